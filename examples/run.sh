#!/usr/bin/env bash
# Builds and runs every example against the shipped library; the C scorer also runs under valgrind.
# Expects .build/release/libafme.so (scripts/test.sh builds it). Prints "examples: N passed, M failed".
source "$(dirname "$0")/../scripts/common.sh"
O=.build/examples; mkdir -p "$O"
LINK=(-Iinclude -L.build/release -lafme "-Wl,-rpath,$ROOT/.build/release")
QUERIES=$'0 1 ?\n? 1 5\n0 1 5\nnot a query\n99999 1 ?\n'
pass=0; fail=0
check() { if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $*"; fi; }

build_c() {
    gcc -std=c99 -Wall -Wextra -Werror -pedantic examples/c/train.c -o "$O/train" "${LINK[@]}" &&
    gcc -std=c99 -Wall -Wextra -Werror -pedantic examples/c/serve.c -o "$O/serve" "${LINK[@]}" &&
    g++ -std=c++14 -Wall -Wextra -Werror -pedantic examples/cpp/serve.cpp -o "$O/serve_cpp" "${LINK[@]}"
}
c_train() { "$O/train" - "$O/model.afme" 30 | tee "$O/train.log" && grep -q "^test: MRR" "$O/train.log" && [ -s "$O/model.afme" ]; }
c_serve() {
    printf '%s' "$QUERIES" | "$O/serve" "$O/model.afme" 3 | tee "$O/serve.log" &&
    grep -q "^tails: " "$O/serve.log" && grep -q "^heads: " "$O/serve.log" && grep -q "^score: " "$O/serve.log" &&
    [ "$(grep -c '^error: ' "$O/serve.log")" = 2 ] &&
    # By label (the model carries the synthetic graph's labels e<id> / r<id>): the same answers as by id.
    # Written to the file first: `tee | head -2` let head's exit cut tee off before the third line (a flake).
    printf 'e0\tr1\t?\ne0 r1 e5\nnobody r1 ?\n' | "$O/serve" "$O/model.afme" 3 > "$O/serve-labels.log" &&
    [ "$(head -2 "$O/serve-labels.log")" = "$(grep -E '^(tails|score):' "$O/serve.log" | head -2)" ] &&
    grep -q "^error: .*nobody" "$O/serve-labels.log"
}
cpp_serve() {
    printf '%s' "$QUERIES" | "$O/serve_cpp" "$O/model.afme" 3 > "$O/serve_cpp.log" &&
    [ "$(grep -c '^tails: \|^heads: \|^score: ' "$O/serve_cpp.log")" = 3 ] && [ "$(grep -c '^error: ' "$O/serve_cpp.log")" = 2 ]
}
python_flow() {
    AFME_LIBRARY="$ROOT/.build/release/libafme.so" PYTHONPATH="$ROOT/bindings/python" \
        python3 examples/python/flow.py - "$O/py.afme" 2>/dev/null | tee "$O/flow.log" && grep -q "^test: MRR" "$O/flow.log"
}
python_walkthrough() {
    AFME_LIBRARY="$ROOT/.build/release/libafme.so" PYTHONPATH="$ROOT/bindings/python" \
        python3 examples/python/walkthrough.py - "$O" 2>/dev/null | tee "$O/walkthrough.log" &&
    grep -q "^test: MRR" "$O/walkthrough.log" && grep -q "^score(city " "$O/walkthrough.log"
}
valgrind_serve() {
    command -v valgrind >/dev/null || { echo "valgrind missing"; return 1; }
    # An AVX2 build of the library in its own scratch directory (valgrind 3.19 lacks AVX-512).
    build_valgrind_library >/dev/null
    gcc -std=c99 -O1 -g examples/c/serve.c -o "$O/serve_vg" -Iinclude -L.build/valgrind/release -lafme \
        "-Wl,-rpath,$ROOT/.build/valgrind/release"
    printf '%s' "$QUERIES" | OPENBLAS_CORETYPE=Haswell valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=3 \
        "$O/serve_vg" "$O/model.afme" 3 > /dev/null 2> "$O/valgrind.log"
    local rc=$?
    grep -E "definitely lost|ERROR SUMMARY" "$O/valgrind.log"
    [ $rc = 0 ] && grep -q "definitely lost: 0 bytes" "$O/valgrind.log"
}

check build_c
check c_train
check c_serve
check cpp_serve
check python_flow
check python_walkthrough
check valgrind_serve
echo "examples: $pass passed, $fail failed"
echo "$pass $fail" > "$O/summary"
[ "$fail" = 0 ]
