#!/usr/bin/env bash
# The test suite: installs missing system packages, checks formatting and lints, then runs
# every unit and integration test (the shared clips in ../shared/clips are used when present).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
if [ ! -f ../shared/clips/SOURCES.md ]; then
  echo "NOTE: ../shared/clips is absent: the tests that use the real clips will SKIP."
fi
cargo fmt --all -- --check
cargo clippy --release --locked --all-targets -- -D warnings
cargo test --release --locked
# The distributed run on a real one-node Slurm cluster (root only; it says when it skips).
./scripts/slurm/test.sh
