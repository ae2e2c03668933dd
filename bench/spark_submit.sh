#!/usr/bin/env bash
# The README's spark-submit recipe, end to end on one machine: build the wheel, install it with pyarrow
# and pandas into a fresh venv, pack it with venv-pack, and submit examples/spark/score_job.py to a
# `local-cluster[2,1,1024]` master — two executor JVMs, each unpacking the archive and importing afme from
# it (the job prints where), as on a cluster. The job checks the executors' scores equal the driver's.
# Usage: bash bench/spark_submit.sh (needs pyspark for spark-submit, Java, and PyPI for the venv).
source "$(dirname "$0")/../scripts/common.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
build_library >/dev/null
AFME_LIBRARY=$ROOT/.build/release/libafme.so python3 -m pip wheel -q --no-deps -w "$work" "$ROOT/bindings/python"
cd "$work"
python3 -m venv afme-env
afme-env/bin/pip install -q afme-*.whl pyarrow pandas venv-pack
afme-env/bin/venv-pack -q -p afme-env -o afme-env.tar.gz
spark_bin=$(python3 -c "import os, pyspark; print(os.path.dirname(pyspark.__file__))")/bin
# Client mode: the driver runs the venv's own interpreter (spark-submit puts pyspark on its path); the
# executors run the unpacked archive's. Nothing of the checkout is on either path.
env -u PYTHONPATH -u AFME_LIBRARY PYSPARK_DRIVER_PYTHON="$work/afme-env/bin/python" PYSPARK_PYTHON=./env/bin/python \
    "$spark_bin/spark-submit" --master "local-cluster[2,1,1024]" --archives afme-env.tar.gz#env \
    --conf spark.executorEnv.OPENBLAS_NUM_THREADS=1 "$ROOT/examples/spark/score_job.py" 2>job.err
status=$?
[ $status = 0 ] || tail -30 job.err
exit $status
