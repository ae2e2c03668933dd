#!/usr/bin/env bash
# Engine benchmark (issue 2): RotatE on MKG-Y and MKG-W from ../shared/datasets, early stopping on
# filtered validation MRR, 5-minute training budget each. Prints per dataset: test MRR/Hits@1/Hits@10
# (realistic and OpenKE-optimistic), seconds per epoch, positive triples/s, full filtered test
# evaluation time and peak RSS. Usage: bench/engine.sh [extra afme-cli flags]
source "$(dirname "$0")/../scripts/common.sh"
DATA="${AFME_DATASETS:-$ROOT/../shared/datasets}"
[ -d "$DATA/MKG-Y" ] || { echo "no datasets at $DATA (set AFME_DATASETS)"; exit 1; }
ensure_deps
build_release --product afme-cli >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); flags: $(swift_cpu_flags)"
echo "date: $(date -u +%Y-%m-%d)"
for ds in MKG-Y MKG-W; do
    echo "== $ds: RotatE dim 250, γ 4, 64 negatives, batch 1024, lr 1e-3, α 1, validate every 5 (patience 4), ≤ 290 s"
    .build/release/afme-cli --data "$DATA/$ds" --dim 250 --gamma 4 --negatives 64 --batch 1024 --lr 0.001 \
        --adv-temperature 1 --epochs 1000 --validate-every 5 --patience 4 --time-limit 290 --threads 2 --json "$@" \
        | grep -vE '^epoch'
done
