#!/usr/bin/env bash
# The whole test suite: formatting, lints, then every test of the workspace
# (real files, real processes killed with SIGKILL, the reference C2SP
# implementations). README's second command; .ci/run runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo-nextest >/dev/null 2>&1; then
  echo "== installing cargo-nextest"
  cargo install cargo-nextest --locked
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo nextest run --workspace"
cargo nextest run --workspace --locked --no-fail-fast
