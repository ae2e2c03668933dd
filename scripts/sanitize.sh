#!/usr/bin/env bash
# The C tests against libafme.so built with AddressSanitizer (+ LeakSanitizer) and with
# ThreadSanitizer: memory errors and leaks across every ABI path abi_test drives (the refused
# inputs included), and data races while 8 threads score and rank on one structural and one AFME
# model (threads_test); under ASan also every option value (options_test) and the hardening regressions
# (hardening_test: hostile files, concurrent and killed saves, stale handles) and labels, batch top-k and
# labeled data (labels_test). The sanitizer runtimes
# are linked into the C host with the toolchain's clang (a sanitized .so does not carry them). Summary in .build/sanitize/summary: "passed failed".
source "$(dirname "$0")/common.sh"
ensure_deps test
out="$ROOT/.build/sanitize"; mkdir -p "$out"
swiftlib=$(dirname "$(dirname "$(command -v swift)")")/lib/swift/linux
clang=$(dirname "$(command -v swift)")/clang
pass=0; fail=0
for kind in address thread; do
    echo "== $kind sanitizer: build"
    # shellcheck disable=SC2046
    swift build -c release --product afme --sanitize=$kind --build-path "$ROOT/.build/san-$kind" $(swift_cpu_flags) \
        -Xlinker -soname=libafme.so > "$out/$kind.build.log" 2>&1 || { cat "$out/$kind.build.log"; exit 1; }
    lib="$ROOT/.build/san-$kind/release"
    extra=(); [ $kind = thread ] && extra=(-L"$swiftlib" -ldispatch -lBlocksRuntime -Wl,-rpath,"$swiftlib")
    tests=(abi_test threads_test); [ $kind = address ] && tests+=(options_test params_test hardening_test labels_test)
    for t in "${tests[@]}"; do
        "$clang" -fsanitize=$kind -std=c99 -Iinclude "Tests/c/$t.c" -o "$out/$t-$kind" -L"$lib" -lafme -Wl,-rpath,"$lib" \
            "${extra[@]}" -lpthread -lm 2> "$out/$t-$kind.link.log" || { cat "$out/$t-$kind.link.log"; fail=$((fail + 1)); continue; }
        if ASAN_OPTIONS=detect_leaks=1 TSAN_OPTIONS=halt_on_error=1 "$out/$t-$kind" > "$out/$t-$kind.log" 2>&1 \
                && ! grep -qE "ERROR: AddressSanitizer|ERROR: LeakSanitizer|WARNING: ThreadSanitizer" "$out/$t-$kind.log"; then
            echo "$t under $kind sanitizer: ok ($(tail -1 "$out/$t-$kind.log"))"; pass=$((pass + 1))
        else
            echo "FAIL: $t under $kind sanitizer"; grep -E -A12 "ERROR: |WARNING: ThreadSanitizer" "$out/$t-$kind.log" | head -40
            fail=$((fail + 1))
        fi
    done
done
echo "sanitize: $pass passed, $fail failed"
echo "$pass $fail" > "$out/summary"
[ "$fail" = 0 ]
