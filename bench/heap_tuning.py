"""What afme_tune_heap() buys: AFME epochs on MKG-Y (structure + name text) in a fresh process each,
with and without the heap settings, alternating. Prints seconds per epoch and minor page faults.

    python3 bench/heap_tuning.py [DATA_DIR (default ../shared/datasets/MKG-Y)] [PAIRS (default 2)]
"""
import json
import os
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
import afme
if sys.argv[2] == "tuned":
    afme.tune_heap()
ds = afme.Dataset.load_openke(sys.argv[1]); ds.add_modality_npy("text", sys.argv[1] + "/text.npy")
epochs = []
def progress(info):
    epochs.append(info["seconds"]); return True
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
with afme.Model.train(ds, model="afme", epochs=2, validate_every=0, threads=2, seed=0, progress=progress) as m:
    pass
print(json.dumps({"epochs": epochs, "minor_faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults}))
"""

data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "shared", "datasets", "MKG-Y")
pairs = int(sys.argv[2]) if len(sys.argv) > 2 else 2
for pair in range(pairs):
    for mode in ("default", "tuned"):
        out = subprocess.run([sys.executable, "-c", CHILD, data, mode], capture_output=True, text=True, check=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(f"pair {pair + 1} {mode:8s} epoch s {', '.join(f'{s:.2f}' for s in r['epochs'])}  minor page faults {r['minor_faults']}")
