#!/usr/bin/env bash
# The test suite: installs missing system packages, checks formatting and lints, then runs
# every unit and integration test (the shared clips in ../shared/clips are used when present).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cargo fmt --all -- --check
cargo clippy --release --locked --all-targets -- -D warnings
cargo test --release --locked
