#!/usr/bin/env bash
# Benchmarks, each compared in the same run with the machine's limit or the
# tool a user would otherwise use. Prints a Markdown table for BENCHMARKS.md.
#   scripts/bench.sh journal [--seconds S] [--proof-entries N] [--phases 1,16,256,16async,256async,load,proofs]
#   scripts/bench.sh vault [--gib G] [--small N]
#   scripts/bench.sh bag [--records N] [--kib K]     (export and verify-bag vs openssl dgst)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v fio >/dev/null || { apt-get update -qq && apt-get install -y -qq fio; }
command -v openssl >/dev/null || { apt-get update -qq && apt-get install -y -qq openssl; }
command -v rage >/dev/null || cargo install rage --locked   # the age CLI the vault is compared with
cargo build --release --locked -p probant-bench
mkdir -p bench-out
exec target/release/probant-bench --dir bench-out "$@"
