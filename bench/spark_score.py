"""Throughput of afme.spark on a local Spark with 1 and 2 executor cores (local[1], local[2]), on a RotatE
model of MKG-Y's shape: triples scored per second, and filtered top-10 queries answered per second.

    AFME_LIBRARY=.build/release/libafme.so PYTHONPATH=bindings/python python3 bench/spark_score.py [rows]

Scoring cost does not depend on what the model learned, so the model trains for one epoch only. Each
timing is the best of three runs of a job over a cached DataFrame (the first run, which also starts the
Python workers and loads the model in each, is reported separately). Prints one line per measurement.
"""
import os
import pathlib
import sys
import time

import numpy as np
import pandas as pd

import afme
from afme import spark as afme_spark
from pyspark.sql import SparkSession

ROOT = pathlib.Path(__file__).resolve().parents[1]
MKGY = ROOT.parent / "shared" / "datasets" / "MKG-Y"
rows = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000

if MKGY.exists():
    data = afme.Dataset.load_openke(str(MKGY))
    name = "MKG-Y"
else:
    data = afme.Dataset.synthetic(n_entities=15000, n_relations=28)
    name = "synthetic 15k (MKG-Y not found)"
model = afme.Model.train(data, dim=250, epochs=1, validate_every=0, seed=1)
train = data.triples("train")
rng = np.random.default_rng(0)
triples = train[rng.integers(0, len(train), rows)]
test = data.triples("test")
queries = np.concatenate([np.stack([test[:, 0], test[:, 1], np.zeros(len(test), np.int64)], 1),
                          np.stack([test[:, 2], test[:, 1], np.ones(len(test), np.int64)], 1)])
known = np.concatenate([data.triples(s) for s in ("train", "valid", "test")])
print(f"# {name}: {model.n_entities} entities, RotatE dim 250; {rows} triples to score, {len(queries)} top-10 queries")

t = time.perf_counter(); model.score(triples); single = time.perf_counter() - t
print(f"one process, no Spark: score {rows / single:,.0f} triples/s")
t = time.perf_counter()
model.topk_batch(queries[:, 0], queries[:, 1], k=10, direction=np.where(queries[:, 2] == 0, "tail", "head"),
                 exclude=data, threads=1)
single_q = time.perf_counter() - t
print(f"one process, one thread, no Spark: filtered top-10 {len(queries) / single_q:,.0f} queries/s")

for cores in (1, 2):
    s = (SparkSession.builder.master(f"local[{cores}]").config("spark.ui.enabled", "false")
         .config("spark.driver.memory", "4g").config("spark.sql.execution.arrow.pyspark.enabled", "true")
         .getOrCreate())
    s.sparkContext.setLogLevel("ERROR")
    df = s.createDataFrame(pd.DataFrame(triples, columns=["head", "relation", "tail"])).repartition(4 * cores).cache()
    df.count()
    qdf = s.createDataFrame(pd.DataFrame({"entity": queries[:, 0], "relation": queries[:, 1],
                                          "direction": np.where(queries[:, 2] == 0, "tail", "head")}))
    qdf = qdf.repartition(4 * cores).cache()
    qdf.count()
    source = afme_spark.ModelSource(s.sparkContext, model)
    for what, job, n in (("score", lambda: afme_spark.score(df, source).agg({"score": "sum"}).collect(), rows),
                         ("filtered top-10", lambda: afme_spark.topk(qdf, source, k=10, direction="direction",
                                                                    known=known).agg({"score": "sum"}).collect(),
                          len(queries))):
        times = []
        for _ in range(4):
            t = time.perf_counter(); job(); times.append(time.perf_counter() - t)
        print(f"local[{cores}] {what}: first run {times[0]:.2f} s, best {min(times[1:]):.2f} s = "
              f"{n / min(times[1:]):,.0f} /s")
    s.stop()
