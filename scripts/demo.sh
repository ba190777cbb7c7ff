#!/usr/bin/env bash
# Probant's main job on the embedded default, from a fresh clone: build the
# `probant` binary, create a home, ingest the sample documents (a scanned page,
# a PDF, an XML message), find them by subject, read one back bit-identical,
# verify the vault, and show what the access journal proves.
# README's first command. Leaves the demo home in a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "building probant"
cargo build --locked -p probant-cli
probant="${CARGO_TARGET_DIR:-$PWD/target}/debug/probant"

work=$(mktemp -d -t probant-demo.XXXXXX)
export XDG_CONFIG_HOME="$work/config"   # where init puts the master key file (never in the home)
export PROBANT_HOME="$work/probant-home"
export PROBANT_ACTOR="demo-operator"

step "probant init: key ring, journal and default configuration"
"$probant" init --name demo.probant.example/journal --approver demo-approver

subject=85073003328   # a made-up INSZ/NISS with a valid mod-97 check

step "ingest the samples: formats identified and validated (AR-16), content hashed and encrypted, each journaled"
"$probant" ingest samples/scan-page-001.tiff --subject "$subject" --type scanned-letter \
  --original-id PAPER-2026-000123 --classification confidential --created 2026-11-02
"$probant" ingest samples/attestation.pdf --subject "$subject" --type attestation \
  --original-id ATT-2026-0042 --classification confidential
"$probant" ingest samples/message.xml --subject "$subject" --type insurability-message \
  --original-id MSG-2026-9001 --classification internal --retention social-security-file

step "a damaged scan (truncated TIFF) is refused, and nothing is stored (AR-16)"
head -c 3000 samples/scan-page-001.tiff > "$work/damaged.tiff"
if "$probant" ingest "$work/damaged.tiff" --subject "$subject" --type scanned-letter --original-id X-1 --classification internal; then
  echo "accepted?!"; exit 1
fi

step "find them by subject (blind index: the number is stored only encrypted)"
"$probant" search --subject "$subject" --purpose "demo: list the person's file"

step "read one back: the read is journaled first, the content checked against its SHA-256"
id=$("$probant" search --subject "$subject" --type attestation --json | sed -n 's/.*"record_id":"\([^"]*\)".*/\1/p' | head -n 1)
"$probant" get "$id" -o "$work/attestation-copy.pdf" --purpose "demo: reproduce the attestation"
cmp samples/attestation.pdf "$work/attestation-copy.pdf" && echo "bit-identical to samples/attestation.pdf"

step "probant verify: every record decrypted and re-hashed, catalog <-> blobs <-> journal cross-checked"
"$probant" verify

step "the journal's latest signed checkpoint (C2SP tlog-checkpoint, Ed25519 signed note)"
"$probant" journal checkpoint

step "access control: an unregistered actor gets nothing, and the refusal is journaled (contract 6)"
if "$probant" --as intruder search --subject "$subject"; then echo "unregistered actor served?!"; exit 1; fi

step "the DPO asks who accessed the person's data (N-5.9.5: request, approval by another person, one run)"
consultation=$("$probant" consult request --reason "demo: GDPR art. 15 request of the data subject" --subject "$subject" --json | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
"$probant" --as demo-approver consult approve "$consultation"
"$probant" consult run "$consultation" --report | cut -c1-200

step "what may be accessed, by which role, under which legal basis (CC-8)"
"$probant" access report

step "inclusion proof of the first ingest's entry, checked offline with nothing but the verifier key"
"$probant" journal proof --index 1 --json > "$work/proof.json"
"$probant" verify-proof "$work/proof.json" --vkey "$PROBANT_HOME/journal/vkey"

step "consistency proof: the log only ever grew"
"$probant" journal consistency --from 1 --json > "$work/consistency.json"
"$probant" verify-proof "$work/consistency.json"

step "tampering is detected: an altered proof is refused"
sed 's/scanned-letter/forged-letter/' "$work/proof.json" > "$work/forged.json"
if "$probant" verify-proof "$work/forged.json"; then echo "forged proof accepted?!"; exit 1; fi

step "export the person's file as a BagIt bag with inclusion proofs, and check it offline (contract 4)"
"$probant" export --subject "$subject" -o "$work/export-bag" --purpose "demo: hand the file to an auditor"
"$probant" verify-bag "$work/export-bag" --vkey "$PROBANT_HOME/journal/vkey"

step "tampering with the bag is detected: an edited metadata file is named"
sed -i 's/"original_id": "PAPER-/"original_id": "FORGED-/' "$work"/export-bag/data/records/*/1/metadata.json
if "$probant" verify-bag "$work/export-bag"; then echo "tampered bag accepted?!"; exit 1; fi

step "journal verify: every tile recomputed from the decrypted entries, every checkpoint checked"
"$probant" journal verify

step "done"
echo "demo home: $PROBANT_HOME"
echo "master key: $XDG_CONFIG_HOME/probant/keys/ (outside the home)"
echo "credentials: $XDG_CONFIG_HOME/probant/credentials/ (outside the home)"
echo "home layout:"
find "$PROBANT_HOME" -maxdepth 2 | sort | sed "s|$PROBANT_HOME/||" | head -n 20
