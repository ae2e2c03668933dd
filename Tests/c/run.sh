#!/usr/bin/env bash
# C-side checks of the shipped library. Expects .build/release/libafme.so (scripts/test.sh builds it).
source "$(dirname "$0")/../../scripts/common.sh"
SO=.build/release/libafme.so
OUT=.build/ctests; mkdir -p "$OUT"
pass=0; fail=0
check() { if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $*"; fi; }

exports_match_header() {
    nm -D -g --defined-only "$SO" | awk '{print $3}' | sort -u > "$OUT/exports.txt"
    grep -oE '\bafme_[a-z0-9_]+[[:space:]]*\(' include/afme.h | sed 's/[[:space:]]*($//' | sort -u > "$OUT/header.txt"
    diff -u "$OUT/header.txt" "$OUT/exports.txt"
}
self_contained() {
    ! ldd "$SO" | grep -qiE 'swift|dispatch|foundation|not found' &&
    readelf -d "$SO" | grep -q 'SONAME.*libafme.so'
}
header_c99() { echo '#include "afme.h"' | gcc -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude -x c -c - -o /dev/null; }
header_cxx() { echo '#include "afme.h"' | g++ -std=c++11 -Wall -Wextra -Werror -pedantic -Iinclude -x c++ -c - -o /dev/null; }
abi_test() {
    gcc -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude Tests/c/abi_test.c -o "$OUT/abi_test" \
        -L.build/release -lafme -Wl,-rpath,"$ROOT/.build/release" -lm && env -u LD_LIBRARY_PATH "$OUT/abi_test"
}
params_test() {
    gcc -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude Tests/c/params_test.c -o "$OUT/params_test" \
        -L.build/release -lafme -Wl,-rpath,"$ROOT/.build/release" -lm && "$OUT/params_test"
}
# The header's option list against the option table (afme-cli --list-options): name, type, kinds, doc.
options_match_header() {
    [ -x .build/release/afme-cli ] || return 1
    sed -n '/OPTIONS BEGIN/,/OPTIONS END/p' include/afme.h | sed '1d;$d' | sed 's/^ \* //' |
        awk '{d=""; for (i=4;i<=NF;i++) d=d (i>4?" ":"") $i; print $1 "|" $2 "|" $3 "|" d}' > "$OUT/options-header.txt"
    .build/release/afme-cli --list-options | tail -n +2 | awk -F'\t' '{print $1 "|" $2 "|" $3 "|" $6}' > "$OUT/options-table.txt"
    diff -u "$OUT/options-header.txt" "$OUT/options-table.txt"
}
options_test() {
    gcc -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude Tests/c/options_test.c -o "$OUT/options_test" \
        -L.build/release -lafme -Wl,-rpath,"$ROOT/.build/release" -lm && "$OUT/options_test" > "$OUT/options_test.log" 2>&1
    local rc=$?; tail -2 "$OUT/options_test.log"; grep FAIL "$OUT/options_test.log" | head -20; return $rc
}
hardening_test() {
    gcc -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude Tests/c/hardening_test.c -o "$OUT/hardening_test" \
        -L.build/release -lafme -Wl,-rpath,"$ROOT/.build/release" -lpthread -lm && "$OUT/hardening_test"
}
# The default build uses AVX-512 where the CPU has it, which valgrind 3.19 cannot decode (SIGILL): memory
# checking runs against an AVX2 build of the library made for it (build_valgrind_library).
valgrind_c() {
    command -v valgrind >/dev/null || { echo "valgrind missing"; return 1; }
    build_valgrind_library >/dev/null || return 1
    local lib="$ROOT/.build/valgrind/release" t rc=0
    for t in abi_test hardening_test labels_test; do
        gcc -std=c99 -O1 -g -Iinclude "Tests/c/$t.c" -o "$OUT/$t-vg" -L"$lib" -lafme -Wl,-rpath,"$lib" -lpthread -lm || return 1
        if OPENBLAS_CORETYPE=Haswell valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=3 \
                --trace-children=no "$OUT/$t-vg" "$OUT" light > "$OUT/$t-vg.log" 2>&1; then
            echo "$t under valgrind: $(grep -E 'ERROR SUMMARY' "$OUT/$t-vg.log" | tail -1 | sed 's/^==[0-9]*== //')"
        else
            echo "FAIL: $t under valgrind"; grep -E -B2 -A12 "Invalid|uninitialised|definitely lost|FAIL" "$OUT/$t-vg.log" | head -40; rc=1
        fi
    done
    return $rc
}
labels_test() {
    gcc -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude Tests/c/labels_test.c -o "$OUT/labels_test" \
        -L.build/release -lafme -Wl,-rpath,"$ROOT/.build/release" -lm && "$OUT/labels_test" "$OUT"
}
threads_test() {
    gcc -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude Tests/c/threads_test.c -o "$OUT/threads_test" \
        -L.build/release -lafme -Wl,-rpath,"$ROOT/.build/release" -lpthread && "$OUT/threads_test"
}

pkg_config_install() {
    local prefix="$ROOT/.build/prefix"
    rm -rf "$prefix"
    bash scripts/install.sh "$prefix" >/dev/null &&
    echo '#include <afme.h>
#include <string.h>
int main(void) { return strcmp(afme_version(), AFME_VERSION_STRING) != 0; }' > "$OUT/pc.c" &&
    # shellcheck disable=SC2046
    gcc "$OUT/pc.c" -o "$OUT/pc" $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs afme) \
        -Wl,-rpath,"$prefix/lib" && env -u LD_LIBRARY_PATH "$OUT/pc"
}

# The Swift sources as the formatter leaves them (.swift-format: 120 columns, 4-space indents).
formatted() {
    command -v swift >/dev/null && swift format --version >/dev/null 2>&1 || { echo "swift format missing"; return 1; }
    rm -rf "$OUT/fmt" && mkdir -p "$OUT/fmt" && cp -r Sources Tests .swift-format "$OUT/fmt/" &&
    (cd "$OUT/fmt" && swift format --in-place --recursive Sources Tests) &&
    diff -r Sources "$OUT/fmt/Sources" > "$OUT/fmt.diff" && diff -r Tests "$OUT/fmt/Tests" >> "$OUT/fmt.diff" ||
        { echo "not formatted (swift format --in-place --recursive Sources Tests):"; head -20 "$OUT/fmt.diff"; return 1; }
}

check exports_match_header
check formatted
check pkg_config_install
check self_contained
check header_c99
check header_cxx
check abi_test
check threads_test
check options_test
check params_test
check labels_test
check options_match_header
check hardening_test
check valgrind_c
echo "c: $pass passed, $fail failed"
echo "$pass $fail" > "$OUT/summary"
[ "$fail" = 0 ]
