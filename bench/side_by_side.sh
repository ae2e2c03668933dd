#!/usr/bin/env bash
# Training and evaluation speed of two afme-cli binaries, run alternately in one sitting (so drift of the
# machine hits both alike): RotatE 5 epochs and AFME 2 epochs with text on MKG-Y, 2 threads.
# Usage: bench/side_by_side.sh OLD_CLI NEW_CLI [PAIRS] [DATA]
# Prints one line per run (binary, model, seconds per epoch, test-evaluation seconds) and the ratios of
# means new/old.
set -euo pipefail
old=$1 new=$2 pairs=${3:-6} data=${4:-../shared/datasets/MKG-Y}
out=$(mktemp); trap 'rm -f "$out"' EXIT
run() {  # binary side model flags...
    local bin=$1 label=$2 model=$3; shift 3
    "$bin" --data "$data" --threads 2 --seed 0 --validate-every 0 --json "$@" 2>/dev/null |
        python3 -c '
import json, sys
d = json.loads(sys.stdin.read().splitlines()[-1])
print(sys.argv[1], sys.argv[2], d["seconds_per_epoch"], d["eval_seconds"])' "$label" "$model"
}
for i in $(seq "$pairs"); do
    for side in old new; do
        bin=$old; [ "$side" = new ] && bin=$new
        run "$bin" "$side" rotate --epochs 5 | tee -a "$out"
        run "$bin" "$side" afme --afme --text --epochs 2 | tee -a "$out"
    done
done
python3 - "$out" <<'PY'
import sys, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    side, model, epoch, ev = line.split()
    rows[(side, model)].append((float(epoch), float(ev)))
for model in ("rotate", "afme"):
    o, n = rows[("old", model)], rows[("new", model)]
    mean = lambda xs: sum(xs) / len(xs)
    for k, name in ((0, "epoch"), (1, "test eval")):
        ov, nv = [x[k] for x in o], [x[k] for x in n]
        print(f"{model} {name}: old {min(ov):.3f}-{max(ov):.3f} new {min(nv):.3f}-{max(nv):.3f} "
              f"ratio of means {mean(nv) / mean(ov):.3f} (n={len(ov)})")
PY
