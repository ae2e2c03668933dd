#!/usr/bin/env bash
# The comparison of issue 19: RotatE, AFME, AdaMF-MAT and NATIVE on MKG-Y (structure + name text) under one
# evaluation (test figures of the model with the best validation MRR, realistic and OpenKE ties).
#   bench/peers.sh [DATASET] [KINDS]     e.g. bench/peers.sh MKG-Y "adamf_mat native"
# SEEDS (default "0 1 2"), EPOCHS (60), VALIDATE (5), THREADS (2) set the budget; every row shares the
# engine's MKG-Y settings (dim 250, batch 1024, lr 1e-3, 64 Bernoulli negatives, γ 6, α 1, patience 3),
# the adversarial terms at each paper's weight (AdaMF-MAT λ 0.01, NATIVE μ 1e-4). EXTRA adds flags.
# Prints one JSON line per run (test MRR/Hits, s/epoch, eval s, peak RSS) after its command.
source "$(dirname "$0")/../scripts/common.sh"
DATA="${AFME_DATASETS:-$ROOT/../shared/datasets}"
DS="${1:-MKG-Y}"
[ -d "$DATA/$DS" ] || { echo "no dataset $DS at $DATA (set AFME_DATASETS)"; exit 1; }
ensure_deps
build_release --product afme-cli >/dev/null
KINDS="${2:-rotate afme adamf_mat native}"
read -r -a EXTRA_FLAGS <<< "${EXTRA:-}"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); flags: $(swift_cpu_flags)"
echo "date: $(date -u +%Y-%m-%d); commit $(git -C "$ROOT" rev-parse --short HEAD)"
for seed in ${SEEDS:-0 1 2}; do
    for kind in $KINDS; do
        args=(--data "$DATA/$DS" --model "$kind" --bernoulli --gamma 6 --epochs "${EPOCHS:-60}" --validate-every "${VALIDATE:-5}"
              --patience 3 --threads "${THREADS:-2}" --seed "$seed" --json)
        [ "$kind" = rotate ] || args+=(--text)
        args+=(${EXTRA_FLAGS[@]+"${EXTRA_FLAGS[@]}"})
        echo "== $DS $kind seed $seed: afme-cli ${args[*]}"
        /usr/bin/time -f "peak RSS %M KiB, wall %e s" .build/release/afme-cli "${args[@]}" 2>&1 |
            grep -E '^\{|^test \[|^trained|peak RSS'
    done
done
