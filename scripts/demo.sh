#!/usr/bin/env bash
# The main job on a fresh machine: validate, plan and apply examples/acme on the embedded `local` target,
# then plan again to show it converged.
set -euo pipefail
ORGSYNC=${1:-orgsync}
# A path given relative to the repository root must survive the cd below.
case "$ORGSYNC" in */*) ORGSYNC="$(cd "$(dirname "$ORGSYNC")" && pwd)/$(basename "$ORGSYNC")" ;; esac
cd "$(dirname "$0")/../examples/acme"
"$ORGSYNC" validate
"$ORGSYNC" plan --out .orgsync/plan.json
"$ORGSYNC" apply .orgsync/plan.json --auto-approve
"$ORGSYNC" plan --detailed-exitcode
