# Shared by the build, demo and test scripts. Sourced, not run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Installs what a fresh Debian machine with the Swift toolchain lacks (OpenBLAS headers, pkg-config).
ensure_deps() {
    local missing=()
    pkg-config --exists openblas 2>/dev/null || missing+=(libopenblas-dev pkg-config)
    if [ "${1:-}" = test ]; then
        command -v valgrind >/dev/null || missing+=(valgrind)
        command -v g++ >/dev/null || missing+=(g++)
    fi
    if [ ${#missing[@]} -gt 0 ]; then
        echo "installing ${missing[*]} ..."
        local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

# Code generation for this CPU. Swift defaults to baseline x86-64 (SSE2), which splits the 16-lane
# kernels into four; AVX-512 or AVX2 code is 1.6–2.8x faster here (BENCHMARKS.md). The build is then
# for machines with the same vector extensions, like -march=native. AFME_PORTABLE=1 builds baseline code;
# AFME_CPU=NAME forces a target CPU (the valgrind run uses haswell: valgrind 3.19 cannot decode AVX-512).
swift_cpu_flags() {
    if [ "${AFME_PORTABLE:-0}" = 1 ] || [ "$(uname -m)" != x86_64 ]; then return; fi
    if [ -n "${AFME_CPU:-}" ]; then echo "-Xswiftc -target-cpu -Xswiftc $AFME_CPU"; return; fi
    if grep -qw avx512f /proc/cpuinfo && grep -qw avx512bw /proc/cpuinfo && grep -qw avx512vl /proc/cpuinfo; then
        echo "-Xswiftc -target-cpu -Xswiftc skylake-avx512"
    elif grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then
        echo "-Xswiftc -target-cpu -Xswiftc haswell"
    fi
}

# One release build shared by the CLI, the tests, and (later) the C/Python skins.
build_release() {
    # shellcheck disable=SC2046
    swift build -c release $(swift_cpu_flags) "$@"
}

# The shipped libafme.so: Swift runtime linked in statically, SONAME set, only afme_* exported.
build_library() {
    # shellcheck disable=SC2046
    swift build -c release --product afme $(swift_cpu_flags) -Xswiftc -static-stdlib \
        -Xlinker -soname=libafme.so -Xlinker "--version-script=$ROOT/scripts/afme.map" "$@"
}

# An AVX2 build of the shipped library in its own scratch directory, for valgrind (3.19 cannot decode
# AVX-512, which the default build uses where the CPU has it).
build_valgrind_library() {
    AFME_CPU=haswell build_library --scratch-path "$ROOT/.build/valgrind"
}
