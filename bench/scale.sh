#!/usr/bin/env bash
# Cost curves at scale (issue 23): RotatE (row-wise Adagrad, shared negatives) on generated power-law
# graphs, one epoch each, against the number of entities (triples ≈ 4.5 per entity, Wikidata5M's ratio)
# and against the number of relations (entities and triples fixed). Prints, per graph: seconds per epoch,
# positive triples/s, peak RSS after training, and the filtered evaluation time of EVAL test triples
# against every entity. Graphs are cached in $AFME_SCALE_CACHE (generated once).
# Usage: bench/scale.sh [entities|relations|all] [extra afme-cli flags]
source "$(dirname "$0")/../scripts/common.sh"
CACHE="${AFME_SCALE_CACHE:-$ROOT/../scale-cache}"
EVAL="${EVAL:-200}"
mkdir -p "$CACHE"
build_release --product afme-cli >/dev/null
what="${1:-all}"; shift || true
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); flags: $(swift_cpu_flags)"
echo "date: $(date -u +%Y-%m-%d)"
run() {  # entities relations triples
    echo "== entities $1, relations $2, triples $3: RotatE dim 250, 64 negatives shared by chunks of 64, batch 1024, Adagrad lr 0.1, 2 threads"
    .build/release/afme-cli --scale "entities=$1 relations=$2 triples=$3 valid=5000 test=5000" --scale-cache "$CACHE" \
        --dim 250 --negatives 64 --batch 1024 --set optimizer=rowwise_adagrad --lr 0.1 --set shared_negatives=64 \
        --epochs 1 --validate-every 0 --threads 2 --test-limit "$EVAL" --json "$@" \
        | grep -E '^(scale graph|dataset|epoch|peak|trained|test \[realistic|test evaluation|\{)'
}
if [ "$what" = entities ] || [ "$what" = all ]; then
    for e in 15000 150000 1500000 4594485; do run "$e" 822 $((e * 45 / 10)) "$@"; done
fi
if [ "$what" = relations ] || [ "$what" = all ]; then
    for r in 28 279 822; do run 1500000 "$r" 6750000 "$@"; done
fi
