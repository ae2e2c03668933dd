#!/usr/bin/env bash
# Inference products: RowwiseProducts against OpenBLAS sgemm, one thread, on AFME's inference shapes
# (GFLOP/s of each and their ratio) and the core's register-only fused multiply-add ceiling (sgemm reaches
# ~105 GFLOP/s single-thread with this environment's Haswell pin, ~210 without, ../shared/notes/platform.md).
# Usage: bash bench/products.sh
source "$(dirname "$0")/../scripts/common.sh"
ensure_deps
out="$ROOT/.build/bench"; mkdir -p "$out"
# shellcheck disable=SC2046
swiftc -O -parse-as-library -module-name AFMECore $(swift_cpu_flags | sed 's/-Xswiftc //g') -I Sources/COpenBLAS \
    $(find Sources/AFMECore -name '*.swift' | sort) bench/products/main.swift $(pkg-config --libs openblas) \
    -o "$out/products" > "$out/products.build.log" 2>&1 || { cat "$out/products.build.log"; exit 1; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); flags: $(swift_cpu_flags); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"
echo "date: $(date -u +%Y-%m-%d)"
"$out/products"
