#!/usr/bin/env bash
# Data-parallel training on MKG-Y: one process (2 threads) against two MPI ranks on loopback (1 thread
# each), same options and epoch budget; prints each run's test metrics, wall time and the bytes one rank
# sent per epoch. Usage: bash bench/mpi_train.sh [rotate|afme|scale]... (default: rotate afme)
#   AFME_EPOCHS=N overrides AFME's epoch budget (default 20: an AFME epoch takes ~12 s on 2 AVX2 cores).
#   scale: one epoch of RotatE (row-wise Adagrad, shared negatives) on a generated 150 k-entity graph, where
#   rounds send touched rows instead of the table; SCALE_ENTITIES overrides the size, the graph is cached
#   in $AFME_SCALE_CACHE.
source "$(dirname "$0")/../scripts/common.sh"
DATA=${DATA:-$ROOT/../shared/datasets}
export AFME_LIBRARY=$ROOT/.build/release/libafme.so PYTHONPATH=$ROOT/bindings/python
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_hwloc_base_binding_policy=none  # mpirun binds np <= 2 to one core each by default
COMMON="gamma=6 bernoulli_negatives=true validate_every=5 patience=3 seed=0"
for kind in "${@:-rotate afme}"; do
    case $kind in
        rotate) opts="$COMMON epochs=60"; extra=() ;;
        afme) opts="$COMMON epochs=${AFME_EPOCHS:-20}"; extra=(--modality "text=$DATA/MKG-Y/text.npy") ;;
        scale)
            e=${SCALE_ENTITIES:-150000}
            mkdir -p "${AFME_SCALE_CACHE:-$ROOT/../scale-cache}"
            opts="dim=250 negatives=64 batch_size=1024 optimizer=rowwise_adagrad learning_rate=0.1 shared_negatives=64 epochs=1 validate_every=0 seed=0"
            extra=(--scale "entities=$e relations=822 triples=$((e * 45 / 10)) valid=5000 test=5000"
                --scale-cache "${AFME_SCALE_CACHE:-$ROOT/../scale-cache}") ;;
    esac
    for ranks in 1 2; do
        threads=$((2 / ranks))
        echo "== $kind, $ranks rank(s) x $threads thread(s): $opts"
        start=$SECONDS
        source=(--openke "$DATA/MKG-Y" --evaluate); model=$kind; show='"test"|digests'
        if [ "$kind" = scale ]; then source=(); model=rotate; show='"seconds"|digests'; fi
        # shellcheck disable=SC2086
        mpirun -np $ranks python3 -m afme.mpi "${source[@]}" "${extra[@]}" --model "$model" \
            --set $opts threads=$threads | grep -E "$show" | cut -c1-400
        echo "wall: $((SECONDS - start)) s"
    done
done
