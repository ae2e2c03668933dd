#!/usr/bin/env bash
# README command 2: the whole test suite (Swift unit and integration tests, in release mode so training
# tests are fast; one build is shared by every stage).
source "$(dirname "$0")/common.sh"
ensure_deps test
# Stage headers carry the seconds since the start, so a slow stage shows in the CI log.
stage() { echo "== $1 [${SECONDS}s]"; }
stage "build (release)"
build_release --build-tests
stage "swift test"
# shellcheck disable=SC2046
swift test -c release --skip-build --disable-swift-testing $(swift_cpu_flags) 2>&1 | tee .build/swift-test.log
summary=$(grep -E "^\s*Executed [0-9]+ tests?," .build/swift-test.log | tail -1)
total=$(sed -E 's/.*Executed ([0-9]+) tests?,.*/\1/' <<<"$summary")
failed=$(sed -E 's/.* ([0-9]+) failures?.*/\1/' <<<"$summary")
skipped=$(grep -cE "Test Case .* skipped" .build/swift-test.log || true)
echo "swift: $((total - failed - skipped)) passed, $failed failed, $skipped skipped"
stage "libafme.so"
build_library
stage "C checks"
bash Tests/c/run.sh
read -r cpass cfail < .build/ctests/summary
stage "examples (C, C++, Python; the C scorer under valgrind)"
bash examples/run.sh
read -r epass efail < .build/examples/summary
cpass=$((cpass + epass)); cfail=$((cfail + efail))
stage "Python"
python3 -c "import numpy, pytest" 2>/dev/null || python3 -m pip install -q numpy pytest
# Optional parts the package supports (DataFrames in and out); their tests skip, saying why, if this fails.
python3 -c "import pandas" 2>/dev/null || python3 -m pip install -q pandas || echo "pandas could not be installed: its tests skip"
python3 -c "import matplotlib" 2>/dev/null || python3 -m pip install -q matplotlib || echo "matplotlib could not be installed: plot tests skip"
# afme.spark: PySpark (with pyarrow) from PyPI and a Java runtime from Debian; the Spark tests skip, saying
# why, if either is missing.
if ! command -v java >/dev/null; then
    sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq openjdk-17-jre-headless >/dev/null; } ||
        echo "Java could not be installed: Spark tests skip"
fi
python3 -c "import pyspark, pyarrow" 2>/dev/null || python3 -m pip install -q pyspark pyarrow || echo "PySpark could not be installed: Spark tests skip"
# afme.mpi: Open MPI from Debian and mpi4py from PyPI; the MPI tests skip, saying why, if either is missing.
if ! command -v mpirun >/dev/null; then
    sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq openmpi-bin libopenmpi-dev >/dev/null; } ||
        echo "Open MPI could not be installed: MPI tests skip"
fi
python3 -c "import mpi4py" 2>/dev/null || python3 -m pip install -q mpi4py || echo "mpi4py could not be installed: MPI tests skip"
set +e
AFME_LIBRARY="$ROOT/.build/release/libafme.so" PYTHONPATH="$ROOT/bindings/python" \
    python3 -m pytest -q -p no:cacheprovider bindings/python/tests 2>&1 | tee .build/pytest.log
pystatus=${PIPESTATUS[0]}
set -e
ppass=$( (grep -oE "[0-9]+ passed" .build/pytest.log || true) | tail -1 | cut -d' ' -f1); ppass=${ppass:-0}
pfail=$( (grep -oE "[0-9]+ failed" .build/pytest.log || true) | tail -1 | cut -d' ' -f1); pfail=${pfail:-0}
[ "$pystatus" = 0 ] || [ "$pfail" != 0 ] || pfail=1
stage "Python package (pip install ./bindings/python in a fresh venv; the wheel)"
bash scripts/check_package.sh || true
read -r kpass kfail < .build/package/summary 2>/dev/null || { kpass=0; kfail=1; }
cpass=$((cpass + kpass)); cfail=$((cfail + kfail))
stage "fuzz (the parsers behind the ABI's file and buffer inputs; libFuzzer + ASan, fixed runs)"
rm -f .build/fuzz/summary
bash scripts/fuzz.sh --quick || true
read -r fpass ffail < .build/fuzz/summary 2>/dev/null || { fpass=0; ffail=1; }
cpass=$((cpass + fpass)); cfail=$((cfail + ffail))
stage "sanitizers (the C tests against AddressSanitizer and ThreadSanitizer builds of libafme.so)"
rm -f .build/sanitize/summary
bash scripts/sanitize.sh || true
read -r spass sfail < .build/sanitize/summary 2>/dev/null || { spass=0; sfail=1; }
cpass=$((cpass + spass)); cfail=$((cfail + sfail))
echo "total: $((total - failed - skipped + cpass + ppass)) passed, $((failed + cfail + pfail)) failed [${SECONDS}s]"
[ "$((failed + cfail + pfail))" = 0 ]
