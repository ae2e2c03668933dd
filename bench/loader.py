#!/usr/bin/env python3
"""Loader throughput and memory at the Wikidata5M shape (issue 23, "Loading").

Writes, once, an OpenKE folder and a labeled TSV copy of a random graph with Wikidata5M's counts
(4,594,485 entities, 822 relations, 20,614,279 / 5,163 / 5,133 triples; labels Q<id> / P<id>), then loads
each in a fresh process and prints its wall time and peak RSS beside the size of the arrays the graph
keeps (12-byte triples plus the label strings).

    python3 bench/loader.py --dir /work/loader-data            # AFME_LIBRARY must point at libafme.so
"""
import argparse
import os
import resource
import subprocess
import sys
import time

import numpy as np

SHAPE = dict(entities=4_594_485, relations=822, train=20_614_279, valid=5_163, test=5_133)


def write_openke(folder, seed=7):
    import pandas as pd
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    for name, n in (("entity2id.txt", SHAPE["entities"]), ("relation2id.txt", SHAPE["relations"])):
        prefix = "Q" if name.startswith("entity") else "P"
        ids = np.arange(n)
        with open(os.path.join(folder, name), "w") as f:
            f.write(f"{n}\n")
            pd.DataFrame({"n": np.char.add(prefix, ids.astype(str)), "i": ids}).to_csv(
                f, sep="\t", header=False, index=False)
    for split in ("train", "valid", "test"):
        n = SHAPE[split]
        # Zipf-like heads and tails, as real graphs have: a few hubs, a long tail.
        h = np.minimum(rng.zipf(1.3, n) - 1, SHAPE["entities"] - 1)
        t = rng.integers(0, SHAPE["entities"], n)
        r = rng.integers(0, SHAPE["relations"], n)
        with open(os.path.join(folder, f"{split}2id.txt"), "w") as f:
            f.write(f"{n}\n")
            pd.DataFrame({"h": h, "t": t, "r": r}).to_csv(f, sep=" ", header=False, index=False)
        with open(os.path.join(folder, f"{split}.tsv"), "w") as f:
            pd.DataFrame({"h": np.char.add("Q", h.astype(str)), "r": np.char.add("P", r.astype(str)),
                          "t": np.char.add("Q", t.astype(str))}).to_csv(f, sep="\t", header=False, index=False)


def child(kind, folder):
    import afme
    start = time.perf_counter()
    if kind == "openke":
        ds = afme.Dataset.load_openke(folder)
    else:
        ds = afme.Dataset.from_tsv(*(os.path.join(folder, f"{s}.tsv") for s in ("train", "valid", "test")))
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"{kind:7s} {seconds:7.1f} s  peak RSS {peak:5.2f} GB  entities {ds.n_entities:,}  "
          f"train triples {ds.n_triples('train'):,}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--child", choices=("openke", "tsv"))
    args = ap.parse_args()
    if args.child:
        return child(args.child, args.dir)
    if not os.path.exists(os.path.join(args.dir, "test.tsv")):
        start = time.perf_counter()
        write_openke(args.dir)
        print(f"wrote {args.dir} in {time.perf_counter() - start:.0f} s", flush=True)
    for name in sorted(os.listdir(args.dir)):
        print(f"  {name:16s} {os.path.getsize(os.path.join(args.dir, name)) / 2**20:8.0f} MiB")
    triples = sum(SHAPE[s] for s in ("train", "valid", "test"))
    arrays = triples * 12 + (SHAPE["entities"] + SHAPE["relations"]) * 16
    print(f"final arrays: {arrays / 2**30:.2f} GB (12-byte triples, 16-byte small-string labels); 3x = "
          f"{3 * arrays / 2**30:.2f} GB", flush=True)
    for kind in ("openke", "tsv"):
        subprocess.run([sys.executable, __file__, "--dir", args.dir, "--child", kind], check=True)


if __name__ == "__main__":
    main()
