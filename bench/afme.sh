#!/usr/bin/env bash
# AFME benchmark (issue 4). Same epoch budget, seed and optimiser settings for every row.
#   bench/afme.sh compare [DATASET]   RotatE vs AFME vs w/o MoIFu vs w/o MoIEn (structure + text.npy)
#   bench/afme.sh missing             MKG-Y with 20/40/60/80 % of text rows removed: generator vs random fill
#   bench/afme.sh noise               MKG-Y with Gaussian noise on 20/50 % of rows: denoising vs none
#   bench/afme.sh speed               the reference MKG-Y settings (NATIVE's scripts/run_mkgy.sh): dim 250,
#                                     128 negatives, batch 1024, margin 4, lr 1e-4, μ = 1e-4 (the weight of
#                                     the loss on synthetic triples: --synthetic-negatives), text + a random
#                                     383-dim modality; s/epoch, eval s, peak RSS
# The perturbed datasets (missing, noise, the random modality) are made by bench/perturb_data.py in .build/perturbed.
# Prints one JSON line per run (test MRR/Hits realistic and OpenKE, s/epoch, eval s, peak RSS).
# EPOCHS (default 60), VALIDATE (default 5), GAMMA (default 6), NEGATIVES (default 64), DIM (default 250),
# SEED (default 0) and THREADS (default 2) override the budget, margin, negatives, dimension, seed and
# threads; EXTRA adds flags to every row (e.g. EXTRA=--bernoulli); FRACTIONS the study's fractions;
# SKIP_RANDOM=1 skips the random-fill rows of the missing study.
source "$(dirname "$0")/../scripts/common.sh"
DATA="${AFME_DATASETS:-$ROOT/../shared/datasets}"
[ -d "$DATA/MKG-Y" ] || { echo "no datasets at $DATA (set AFME_DATASETS)"; exit 1; }
ensure_deps
build_release --product afme-cli >/dev/null
EPOCHS="${EPOCHS:-60}"; VALIDATE="${VALIDATE:-5}"; GAMMA="${GAMMA:-6}"; NEGATIVES="${NEGATIVES:-64}"; DIM="${DIM:-250}"
read -r -a EXTRA_FLAGS <<< "${EXTRA:-}"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); flags: $(swift_cpu_flags)"
echo "date: $(date -u +%Y-%m-%d)"
COMMON=(--dim "$DIM" --gamma "$GAMMA" --negatives "$NEGATIVES" --batch 1024 --lr 0.001 --adv-temperature 1 --epochs "$EPOCHS"
        --validate-every "$VALIDATE" --patience 3 --threads "${THREADS:-2}" --seed "${SEED:-0}" --json ${EXTRA_FLAGS[@]+"${EXTRA_FLAGS[@]}"})
run() {
    local label="$1"; shift
    echo "== $label: $*"
    /usr/bin/time -f "peak RSS %M KiB, wall %e s" .build/release/afme-cli "${COMMON[@]}" "$@" 2>&1 |
        grep -E '^\{|^test|^trained|peak RSS|^  |^mean modality|^cold-start'
}
case "${1:-compare}" in
compare)
    ds="${2:-MKG-Y}"
    [ -n "${SKIP_ROTATE:-}" ] || run "$ds RotatE (structure only)" --data "$DATA/$ds"
    run "$ds AFME" --afme --data "$DATA/$ds" --text --weights
    run "$ds AFME w/o MoIFu" --afme --data "$DATA/$ds" --text --no-moifu
    run "$ds AFME w/o MoIEn" --afme --data "$DATA/$ds" --text --no-moien
    ;;
missing)
    for f in ${FRACTIONS:-0.2 0.4 0.6 0.8}; do
        d="$ROOT/.build/perturbed/missing-$f"; python3 bench/perturb_data.py "$DATA/MKG-Y" "$d" --drop-rows "$f"
        run "MKG-Y AFME, $f of text rows missing, generator completion" --afme --data "$d" --text
        [ -n "${SKIP_RANDOM:-}" ] ||
            run "MKG-Y AFME, $f of text rows missing, random fill" --afme --data "$d" --text --missing-random
    done
    ;;
noise)
    for f in ${FRACTIONS:-0.2 0.5}; do
        d="$ROOT/.build/perturbed/noise-$f"; python3 bench/perturb_data.py "$DATA/MKG-Y" "$d" --noise-rows "$f" --seed 54321
        run "MKG-Y AFME, noise on $f of rows, denoising" --afme --data "$d" --text
        run "MKG-Y AFME, noise on $f of rows, no denoising" --afme --data "$d" --text --no-denoise
    done
    ;;
speed)
    echo "== MKG-Y AFME at the reference settings, 3 epochs"
    d="$ROOT/.build/perturbed/random-383"; python3 bench/perturb_data.py "$DATA/MKG-Y" "$d" --random-modality 383 --seed 777
    /usr/bin/time -f "peak RSS %M KiB, wall %e s" .build/release/afme-cli --afme --data "$d" --text --modality "random=$d/random.npy" \
        --dim 250 --gamma 4 --negatives 128 --batch 1024 --lr 0.0001 --g-lr 0.0001 --d-lr 0.0001 --synthetic-negatives 0.0001 \
        --epochs 3 --validate-every 0 \
        --threads 2 --json 2>&1 | grep -E '^epoch|^test evaluation|^\{|peak RSS'
    ;;
esac
