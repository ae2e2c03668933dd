"""Score ensembles of AFME models trained with different seeds, on MKG-Y (structure + text.npy).

    AFME_LIBRARY=.build/release/libafme.so PYTHONPATH=bindings/python python3 bench/ensemble.py \
        [--data ../shared/datasets/MKG-Y] [--seeds 0 1 2] [--jobs 2] [--epochs 60] [--save-dir DIR]
    ... python3 bench/ensemble.py --models a.afme b.afme c.afme      (checkpoints instead of training)

Trains one AFME model per seed (the settings of BENCHMARKS.md's MKG-Y runs: dim 250, margin 6, 64
negatives, Bernoulli corruption, 60 epochs, validation every 5, patience 3), `--jobs` of them at a time
on one thread each, then ranks every filtered test query by the sum of the models' scores
(γ − dist on the same scale for every member). Prints each model's filtered test MRR from the library's
own evaluation, the same figure recomputed by this script (a check of the ranking below), and the MRR
of every subset of two or more models. An ensemble multiplies training and inference cost by its size;
it is a measurement of how much of the seed-to-seed spread averaging removes, not the library's model.
"""
import argparse
import collections
import concurrent.futures
import itertools
import os
import sys
import time

import numpy as np

import afme

PARAMS = dict(model_kind="afme", dim=250, gamma=6.0, negatives=64, batch_size=1024, learning_rate=1e-3,
              adversarial_temperature=1.0, epochs=60, validate_every=5, patience=3, threads=1,
              bernoulli_negatives=True)


def filtered_rank(scores, truth, known):
    """Realistic filtered rank: 1 + #better + #tied / 2 among candidates that are not known answers."""
    v = scores[truth]
    row = scores.copy()
    row[known] = -np.inf
    return 1 + np.sum(row > v) + np.sum(row == v) / 2


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(here, "..", "..", "shared", "datasets", "MKG-Y"))
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--save-dir")
    ap.add_argument("--models", nargs="+", help="checkpoints trained on --data (skips training)")
    a = ap.parse_args()
    if not os.path.isdir(a.data):
        print(f"skip: no dataset at {a.data}")
        return 0
    ds = afme.Dataset.load_openke(a.data)
    ds.add_modality_npy("text", os.path.join(a.data, "text.npy"))
    if a.models:
        names, models = a.models, [afme.Model.load(p) for p in a.models]
    else:
        def train(seed):
            t0 = time.perf_counter()
            m = afme.Model.train(ds, **dict(PARAMS, seed=seed, epochs=a.epochs))
            if a.save_dir:
                m.save(os.path.join(a.save_dir, f"afme_seed{seed}.afme"))
            return m, time.perf_counter() - t0
        t0 = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:  # ctypes calls release the GIL
            trained = list(pool.map(train, a.seeds))
        names, models = [f"seed {s}" for s in a.seeds], [m for m, _ in trained]
        for n, (_, s) in zip(names, trained):
            print(f"{n}: trained in {s:.0f} s")
        print(f"all {len(models)} models: {time.perf_counter() - t0:.0f} s wall with {a.jobs} at a time")
    library = [100 * m.evaluate(ds, "test")["both"]["mrr"] for m in models]

    E = ds.n_entities
    known = collections.defaultdict(list)
    for split in ("train", "valid", "test"):
        for h, r, t in ds.triples(split):
            known[(int(h), int(r), "tail")].append(int(t))
            known[(int(t), int(r), "head")].append(int(h))
    known = {k: np.array(v, dtype=np.int64) for k, v in known.items()}
    subsets = [c for n in range(2, len(models) + 1) for c in itertools.combinations(range(len(models)), n)]
    recip_single = np.zeros(len(models))
    recip_subset = np.zeros(len(subsets))
    candidates = np.arange(E, dtype=np.int64)
    test = ds.triples("test")
    t0 = time.perf_counter()
    for h, r, t in test:
        for direction in ("tail", "head"):
            anchor, truth = (int(h), int(t)) if direction == "tail" else (int(t), int(h))
            q = np.empty((E, 3), dtype=np.int64)
            q[:, 1] = r
            if direction == "tail":
                q[:, 0], q[:, 2] = h, candidates
            else:
                q[:, 0], q[:, 2] = candidates, t
            scores = [m.score(q) for m in models]
            filt = known[(anchor, int(r), direction)]
            for i, s in enumerate(scores):
                recip_single[i] += 1 / filtered_rank(s, truth, filt)
            for j, c in enumerate(subsets):
                recip_subset[j] += 1 / filtered_rank(sum(scores[i] for i in c), truth, filt)
    n = 2 * len(test)
    print(f"ranked {n} test queries in {time.perf_counter() - t0:.0f} s")
    for name, lib_mrr, mine in zip(names, library, 100 * recip_single / n):
        print(f"{name}: test MRR {lib_mrr:.2f} (library evaluation), {mine:.2f} (this script)")
    for c, rr in zip(subsets, 100 * recip_subset / n):
        print(f"ensemble of {' + '.join(names[i] for i in c)}: test MRR {rr:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
