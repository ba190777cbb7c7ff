#!/usr/bin/env bash
# Probant's main job on the embedded default, from a fresh clone: build the
# `probant` binary, create a home, and show what the access journal proves.
# README's first command. Leaves the demo home in a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "building probant"
cargo build --locked -p probant-cli
probant="$PWD/target/debug/probant"

work=$(mktemp -d -t probant-demo.XXXXXX)
export XDG_CONFIG_HOME="$work/config"   # where init puts the master key file (never in the home)
export PROBANT_HOME="$work/probant-home"
export PROBANT_ACTOR="demo-operator"

step "probant init: key ring, journal and default configuration"
"$probant" init --name demo.probant.example/journal

step "the journal's latest signed checkpoint (C2SP tlog-checkpoint, Ed25519 signed note)"
"$probant" journal checkpoint

step "reading the journal: the read itself is journaled first (N-5.9.5)"
"$probant" journal entries
"$probant" journal entries | tail -n 1

step "inclusion proof of entry 0, checked offline with nothing but the verifier key"
"$probant" journal proof --index 0 --json > "$work/proof.json"
"$probant" verify-proof "$work/proof.json" --vkey "$PROBANT_HOME/journal/vkey"

step "consistency proof: the log only ever grew"
"$probant" journal consistency --from 1 --json > "$work/consistency.json"
"$probant" verify-proof "$work/consistency.json"

step "tampering is detected: an altered proof is refused"
sed 's/demo-operator/someone-else/' "$work/proof.json" > "$work/forged.json"
if "$probant" verify-proof "$work/forged.json"; then echo "forged proof accepted?!"; exit 1; fi

step "journal verify: every tile recomputed from the decrypted entries, every checkpoint checked"
"$probant" journal verify

step "done"
echo "demo home: $PROBANT_HOME"
echo "master key: $XDG_CONFIG_HOME/probant/keys/ (outside the home)"
echo "journal layout (C2SP tlog-tiles):"
find "$PROBANT_HOME/journal" -maxdepth 3 | sort | sed "s|$PROBANT_HOME/||" | head -n 20
