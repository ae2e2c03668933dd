"""Perturbed copies of an OpenKE dataset with a text.npy modality, for the robustness studies of
bench/afme.sh (kept out of the product CLI). The copy links the triple files and writes new feature files:

    python3 bench/perturb_data.py SRC_DIR OUT_DIR [--drop-rows F] [--noise-rows F] [--random-modality DIM] [--seed S]

--drop-rows F     a random F of the entities lose their text row: zeroed in text.npy and listed in
                  missing_text.txt (afme-cli --text reads it), the way a pipeline reports absent rows.
--noise-rows F    a random F of the rows get Gaussian noise with the row's own RMS as its std.
--random-modality DIM   writes random.npy (standard normal, DIM columns): use with --modality random=OUT/random.npy.
Needs NumPy only. The draws are NumPy's (seeded), not the ones the CLI flags made before 0.3.0, so figures
from before that move by the seed spread, not by more.
"""
import argparse
import os

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("src"); ap.add_argument("out")
ap.add_argument("--drop-rows", type=float, default=0); ap.add_argument("--noise-rows", type=float, default=0)
ap.add_argument("--random-modality", type=int, default=0); ap.add_argument("--seed", type=int, default=12345)
a = ap.parse_args()
for f in (a.drop_rows, a.noise_rows):
    if not 0 <= f <= 1:
        raise SystemExit("fractions must be in [0, 1]")
os.makedirs(a.out, exist_ok=True)
for name in ("entity2id.txt", "relation2id.txt", "train2id.txt", "valid2id.txt", "test2id.txt"):
    dst = os.path.join(a.out, name)
    if os.path.lexists(dst):
        os.remove(dst)
    os.symlink(os.path.abspath(os.path.join(a.src, name)), dst)
rng = np.random.default_rng(a.seed)
text = np.load(os.path.join(a.src, "text.npy")).astype(np.float32)
missing = np.zeros(0, dtype=np.int64)
if a.drop_rows > 0:
    missing = np.sort(rng.permutation(text.shape[0])[: int(a.drop_rows * text.shape[0])])
    text[missing] = 0
if a.noise_rows > 0:
    rows = rng.random(text.shape[0]) < a.noise_rows
    rms = np.sqrt((text[rows] ** 2).mean(axis=1, keepdims=True))
    text[rows] += rms * rng.standard_normal((int(rows.sum()), text.shape[1])).astype(np.float32)
np.save(os.path.join(a.out, "text.npy"), text)
with open(os.path.join(a.out, "missing_text.txt"), "w") as f:
    f.writelines(f"{i}\n" for i in missing)
if a.random_modality > 0:
    np.save(os.path.join(a.out, "random.npy"), rng.standard_normal((text.shape[0], a.random_modality)).astype(np.float32))
print(f"{a.out}: {len(missing)} text rows missing, noise on {a.noise_rows:.0%} of rows, random modality {a.random_modality}")
