#!/usr/bin/env bash
# README command 1: install what is missing, build, train on the built-in dataset, evaluate, show predictions.
source "$(dirname "$0")/common.sh"
ensure_deps
build_release --product afme-cli
exec .build/release/afme-cli --dim 64 --learning-rate 0.003 --epochs 100 --validate-every 10 --examples 3 "$@"
