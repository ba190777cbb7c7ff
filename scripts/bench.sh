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
# This project's virtual machines back guest memory lazily: the first write
# to memory the host has taken back costs a host fault per page (writing
# 2 GiB into fresh memory ran at 0.4-0.7 GB/s, into recycled memory at
# 3 GB/s). Every contender writes through the page cache, so a cold machine
# measures the host, not the programs: bring most free memory into use once
# (written to tmpfs, then freed) before measuring.
warm_memory() {
  local free_mib shm_mib mib
  free_mib=$(awk '/MemFree/ {print int($2 / 1024)}' /proc/meminfo)
  shm_mib=$(df -m --output=avail /dev/shm 2>/dev/null | tail -1 | tr -d ' ')
  mib=$(( free_mib - 3072 ))
  [ -n "$shm_mib" ] && [ "$shm_mib" -lt "$mib" ] && mib=$(( shm_mib - 256 ))
  [ "$mib" -gt 0 ] || return 0
  echo "warming ${mib} MiB of memory (see scripts/bench.sh)" >&2
  dd if=/dev/zero of=/dev/shm/probant-bench-warm bs=1M count="$mib" status=none || true
  rm -f /dev/shm/probant-bench-warm
}
[ -d /dev/shm ] && warm_memory
exec target/release/probant-bench --dir bench-out "$@"
