"""Serving latency of a trained model through the Python bindings (the C API underneath).

    AFME_LIBRARY=.build/release/libafme.so PYTHONPATH=bindings/python python3 bench/serving.py \
        [--data ../shared/datasets/MKG-Y] [--model CHECKPOINT] [--queries 56]

Without --model it trains AFME (structure + DATA/text.npy) for one epoch: latency does not depend on
how well the model is trained. Prints milliseconds per call for top-k queries whose relation table
is not cached (each query's relation differs from the last few, the worst case of a service answering
random queries), for queries of one relation (cached table), for one batched score call, and the full
filtered test evaluation.
"""
import argparse
import os
import sys
import time

import numpy as np

import afme


def per_call(fn, calls):
    t0 = time.perf_counter()
    for c in calls:
        fn(*c)
    return 1000 * (time.perf_counter() - t0) / max(len(calls), 1)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(here, "..", "..", "shared", "datasets", "MKG-Y"))
    ap.add_argument("--model", help="a saved checkpoint of a model trained on --data")
    ap.add_argument("--queries", type=int, default=56)
    a = ap.parse_args()
    if not os.path.isdir(a.data):
        print(f"skip: no dataset at {a.data}")
        return 0
    ds = afme.Dataset.load_openke(a.data)
    if a.model:
        model = afme.Model.load(a.model)
    else:
        ds.add_modality_npy("text", os.path.join(a.data, "text.npy"))
        t0 = time.perf_counter()
        model = afme.Model.train(ds, model_kind="afme", epochs=1, validate_every=0, dim=250, negatives=64)
        print(f"trained AFME for 1 epoch in {time.perf_counter() - t0:.1f} s")
    R = ds.n_relations
    test = ds.triples("test")
    heads = test[:, 0]
    # Relations in round-robin order: each query's table was evicted (the scorer keeps the last 4).
    cold = [(int(heads[i % len(heads)]), i % R) for i in range(a.queries)]
    warm = [(int(heads[i % len(heads)]), int(test[0, 1])) for i in range(a.queries)]
    model.topk(*warm[0], k=10)  # build the warm table once
    ms_cold = per_call(lambda e, r: model.topk(e, r, k=10), cold)
    ms_warm = per_call(lambda e, r: model.topk(e, r, k=10), warm)
    triples = test[np.arange(10000) % len(test)]
    t0 = time.perf_counter()
    model.score(triples)
    ms_score = 1000 * (time.perf_counter() - t0)
    t0 = time.perf_counter()
    m = model.evaluate(ds, "test")
    s_eval = time.perf_counter() - t0
    print(f"topk k=10, relation table not cached: {ms_cold:.1f} ms per query ({a.queries} queries)")
    print(f"topk k=10, relation table cached:     {ms_warm:.2f} ms per query")
    print(f"score, 10000 triples in one call:     {ms_score:.0f} ms")
    print(f"filtered test evaluation:             {s_eval:.1f} s (MRR {100 * m['both']['mrr']:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
