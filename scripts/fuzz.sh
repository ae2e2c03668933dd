#!/usr/bin/env bash
# Fuzzes the parsers behind the C ABI's file and buffer inputs with libFuzzer + AddressSanitizer:
# checkpoints (afme_model_load[_from_buffer]), .npy features (afme_dataset_add_modality_npy) and
# OpenKE folders (afme_dataset_load_openke), labeled TSV files, plain and gzip (afme_dataset_load_tsv), each AFMECore's sources plus Tests/fuzz/Fuzz<T>.swift compiled
# into one module; and Sequence, random sequences of C calls (create / train / score / top-k / save / load /
# free with random arguments: Tests/fuzz/sequence_fuzz.c) against an AddressSanitizer build of libafme.so. A crash, a failed property, a leak-free allocation over -rss_limit_mb or
# -malloc_limit_mb (what a crafted size field would cause) stops the run and saves the input.
#
#   bash scripts/fuzz.sh [SECONDS per target, default 60] [TARGET ...]   (targets: Checkpoint NPY OpenKE TSV Sequence)
#   bash scripts/fuzz.sh --quick     the test suite's stage: a fixed number of runs per target from a fresh
#                                    corpus (about 30 s each here), so the same inputs run every time
#
# Corpora grow in .build/fuzz/corpus/<target> and are reused by the next run; the run is seeded
# (-seed=1) so two runs from the same corpus explore the same inputs. The summary line of
# .build/fuzz/summary is "passed failed" over the targets.
source "$(dirname "$0")/common.sh"
ensure_deps
quick=0; [ "${1:-}" = --quick ] && { quick=1; shift; }
seconds=${1:-60}; shift || true
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(Checkpoint NPY OpenKE TSV Sequence)
declare -A quick_runs=([Checkpoint]=3000 [NPY]=1000000 [OpenKE]=8000 [TSV]=20000 [Sequence]=4000)
out="$ROOT/.build/fuzz"; mkdir -p "$out"
passed=0; failed=0
mapfile -t core < <(find Sources/AFMECore -name '*.swift' | sort)
status=0
for t in "${targets[@]}"; do
    bin="$out/fuzz-$t"
    echo "== fuzz $t: build"
    if [ "$t" = Sequence ]; then
        # The same ASan build of the library as scripts/sanitize.sh (one build serves both).
        # shellcheck disable=SC2046
        swift build -c release --product afme --sanitize=address --build-path "$ROOT/.build/san-address" $(swift_cpu_flags) \
            -Xlinker -soname=libafme.so > "$out/$t.build.log" 2>&1 &&
        "$(dirname "$(command -v swift)")/clang" -g -O1 -fsanitize=fuzzer,address -Iinclude Tests/fuzz/sequence_fuzz.c \
            -L"$ROOT/.build/san-address/release" -lafme -Wl,-rpath,"$ROOT/.build/san-address/release" -lm -o "$bin" \
            >> "$out/$t.build.log" 2>&1 || { cat "$out/$t.build.log"; exit 1; }
    else
    # shellcheck disable=SC2046
    swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name AFMECore \
        $(swift_cpu_flags | sed 's/-Xswiftc //g') -I Sources/COpenBLAS $(pkg-config --cflags-only-I openblas | sed 's/-I/-Xcc -I/g') \
        "${core[@]}" Tests/fuzz/FuzzSupport.swift "Tests/fuzz/Fuzz$t.swift" \
        $(pkg-config --libs openblas) -o "$bin" > "$out/$t.build.log" 2>&1 || { cat "$out/$t.build.log"; exit 1; }
    fi
    corpus="$out/corpus/$t"
    if [ $quick = 1 ]; then corpus="$out/quick/$t"; rm -rf "$corpus"; limit=(-runs="${quick_runs[$t]}"); else limit=(-max_total_time="$seconds"); fi
    mkdir -p "$corpus" "$out/crashes/$t"
    if [ "$t" = Sequence ]; then  # random programs as seeds (fixed, so the quick run is the same every time)
        python3 -c "import random,sys,os
r=random.Random(7)
for i in range(16): open(os.path.join(sys.argv[1],'seed%d'%i),'wb').write(bytes(r.randrange(256) for _ in range(400)))" "$corpus"
    fi
    if [ "$t" = TSV ]; then  # gzip seeds: every block kind (stored, fixed, dynamic), from Python's zlib
        python3 -c "import gzip,sys,os
text=b'head\trelation\ttail\n'+b''.join(b'e%d\tr%d\te%d\n'%(i,i%3,(i*7)%50) for i in range(200))
for level in (0,1,9): open(os.path.join(sys.argv[1],'gz%d'%level),'wb').write(b'\x00'+gzip.compress(text,compresslevel=level))" "$corpus"
    fi
    echo "== fuzz $t: ${limit[0]#-}"
    if ! FUZZ_SEEDS="$corpus" ASAN_OPTIONS=detect_leaks=0 OPENBLAS_NUM_THREADS=1 "$bin" "$corpus" \
            "${limit[@]}" -seed=1 -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=65536 \
            -artifact_prefix="$out/crashes/$t/" -print_final_stats=1 > "$out/$t.log" 2>&1; then
        echo "fuzz $t: FAILED — see $out/$t.log and $out/crashes/$t/"; grep -E "Fatal error|ERROR:|crashed|rss limit|malloc limit" "$out/$t.log" | head -5
        failed=$((failed + 1)); status=1
    else
        grep -E "stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added|stat::peak_rss_mb" "$out/$t.log" | tr -s ' \n' ' '; echo
        passed=$((passed + 1))
    fi
done
echo "$passed $failed" > "$out/summary"
exit $status
