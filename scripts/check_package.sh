#!/usr/bin/env bash
# The Python package as a user installs it: `pip install ./bindings/python` in a fresh virtual
# environment (no AFME_LIBRARY, no PYTHONPATH), run from outside the checkout; the installed library is
# self-contained; `pip wheel` gives a platform wheel that carries it. Writes "passed failed" to
# .build/package/summary.
source "$(dirname "$0")/common.sh"
out="$ROOT/.build/package"; rm -rf "$out"; mkdir -p "$out"
pass=0 fail=0
check() {  # name command...
    local name=$1; shift
    if "$@" >"$out/$name.log" 2>&1; then pass=$((pass + 1)); echo "ok   $name"
    else fail=$((fail + 1)); echo "FAIL $name"; tail -20 "$out/$name.log"; fi
}
venv="$out/venv"
install() {
    python3 -m venv "$venv" && "$venv/bin/pip" install -q ./bindings/python
}
trains() (
    cd "$out" && env -u AFME_LIBRARY -u PYTHONPATH "$venv/bin/python" - <<'PY'
import pathlib, afme
where = pathlib.Path(afme.__file__).resolve()
assert "site-packages" in str(where), where
ds = afme.Dataset.synthetic()
model = afme.Model.train(ds, model="rotate", dim=64, epochs=100, learning_rate=0.003, validate_every=0, threads=2)
mrr = model.evaluate(ds, split="test")["both"]["mrr"]
print("installed at", where.parent, "test MRR", mrr, "library", afme.version())
assert mrr > 0.1, mrr  # random ranking: about 0.004 over 2,000 entities
PY
)
self_contained() {
    local lib; lib=$(find "$venv" -name libafme.so | head -1)
    [ -n "$lib" ] || { echo "no libafme.so in the venv"; return 1; }
    ldd "$lib"
    # Anything beyond the system C/C++ runtime and OpenBLAS (and what OpenBLAS pulls in) is a leak.
    ! ldd "$lib" | awk '{print $1}' | grep -vE '^(linux-vdso|/lib64/ld-linux-x86-64|libc|libm|libstdc\+\+|libgcc_s|libopenblas|libgfortran|libquadmath|libpthread|libdl)\.so'
}
wheel() {
    "$venv/bin/pip" wheel -q --no-deps -w "$out/wheel" ./bindings/python &&
        local w; w=$(ls "$out"/wheel/afme-*.whl) && echo "$w" &&
        [[ "$w" == *linux_x86_64.whl || "$w" == *linux_aarch64.whl ]] &&
        python3 -m zipfile -l "$w" | grep -E "afme/libafme.so|afme/cpu_target.txt"
}
check install install
check trains trains
check self_contained self_contained
check wheel wheel
echo "$pass $fail" > "$out/summary"
