#!/usr/bin/env bash
# First-touch cost of fresh pages (see bench/first_touch.c): `bash bench/first_touch.sh [MiB]`.
set -euo pipefail
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
gcc -O2 -o "$out/first_touch" "$(dirname "$0")/first_touch.c"
echo "date: $(date -u +%Y-%m-%d), $(nproc) cores"
"$out/first_touch" "${1:-1024}"
