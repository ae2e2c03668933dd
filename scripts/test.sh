#!/usr/bin/env bash
# README command 2: the whole test suite (Swift unit and integration tests, in release mode so training
# tests are fast; one build is shared by every stage).
source "$(dirname "$0")/common.sh"
ensure_deps
echo "== build (release)"
build_release --build-tests
echo "== swift test"
# shellcheck disable=SC2046
swift test -c release --skip-build $(swift_cpu_flags) 2>&1 | tee .build/swift-test.log
