#!/usr/bin/env bash
# Data-parallel training on MKG-Y: one process (2 threads) against two MPI ranks on loopback (1 thread
# each), same options and epoch budget; prints each run's test metrics, wall time and the bytes one rank
# sent per epoch. Usage: bash bench/mpi_train.sh [rotate|afme]... (default: rotate afme)
#   AFME_EPOCHS=N overrides AFME's epoch budget (default 20: an AFME epoch takes ~12 s on 2 AVX2 cores).
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
    esac
    for ranks in 1 2; do
        threads=$((2 / ranks))
        echo "== $kind, $ranks rank(s) x $threads thread(s): $opts"
        start=$SECONDS
        # shellcheck disable=SC2086
        mpirun -np $ranks python3 -m afme.mpi --openke "$DATA/MKG-Y" "${extra[@]}" --model "$kind" \
            --set $opts threads=$threads --evaluate | grep -E '"test"|digests' | cut -c1-400
        echo "wall: $((SECONDS - start)) s"
    done
done
