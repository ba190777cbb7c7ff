#!/usr/bin/env bash
# Installs the Python tools that the tests use as independent checkers, and
# prints the absolute path of the Library of Congress BagIt validator
# (bagit-python's `bagit.py`) on stdout; everything else goes to stderr.
#
#   PROBANT_PY_VENV   where the virtualenv lives
#                     (default: $HOME/.cache/probant/venv)
#
# Idempotent: a venv that already has bagit is used as it is. Reads no stdin.
# Used by crates/verify/tests/bag.rs when PROBANT_BAGIT is not set (DESIGN
# contract 4: "any BagIt validator accepts it").
set -euo pipefail
exec </dev/null

venv="${PROBANT_PY_VENV:-$HOME/.cache/probant/venv}"

if ! command -v python3 >/dev/null 2>&1; then
  echo "ensure-python-tools: python3 is not installed; install it (Debian: apt-get install python3 python3-venv)" >&2
  exit 1
fi

# Tests run in parallel processes: the first to get here builds the venv while
# the others wait, so no two pip runs share one venv.
mkdir -p "$(dirname "$venv")"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$venv.lock"
  flock 9
fi

if [ ! -x "$venv/bin/python" ]; then
  echo "ensure-python-tools: creating virtualenv $venv" >&2
  if ! python3 -m venv "$venv" >&2; then
    echo "ensure-python-tools: 'python3 -m venv' failed (Debian: apt-get install python3-venv)" >&2
    exit 1
  fi
fi

if ! "$venv/bin/python" -c 'import bagit' >/dev/null 2>&1; then
  echo "ensure-python-tools: installing bagit into $venv" >&2
  "$venv/bin/python" -m pip install --quiet bagit >&2
fi

# bagit 1.9 installs the script as bin/bagit.py; later releases as bin/bagit.
for name in bagit.py bagit; do
  if [ -x "$venv/bin/$name" ]; then
    (cd "$venv/bin" && printf '%s/%s\n' "$(pwd -P)" "$name")
    exit 0
  fi
done
echo "ensure-python-tools: bagit is installed in $venv but has no bagit.py script" >&2
exit 1
