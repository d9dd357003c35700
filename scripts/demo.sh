#!/usr/bin/env bash
# The main job on a fresh machine: validate, plan and apply examples/acme on the embedded `local` target,
# then plan again to show it converged. Each step has a header; the plan is shown once and names the target once.
set -euo pipefail
ORGSYNC=${1:-orgsync}
# A path given relative to the repository root must survive the cd below.
case "$ORGSYNC" in */*) ORGSYNC="$(cd "$(dirname "$ORGSYNC")" && pwd)/$(basename "$ORGSYNC")" ;; esac
cd "$(dirname "$0")/../examples/acme"
step() { printf '\n==> %s\n' "$1"; }
step "1/4 orgsync validate: every offline check of examples/acme (no API call)"
"$ORGSYNC" validate
step "2/4 orgsync plan --out .orgsync/plan.json: what apply would change, saved"
"$ORGSYNC" plan --out .orgsync/plan.json 2>&1
step "3/4 orgsync apply .orgsync/plan.json --auto-approve: the saved plan, carried out"
# apply shows the plan it carries out again; the demo prints from its outcome on (errors included)
"$ORGSYNC" apply .orgsync/plan.json --auto-approve 2>&1 | awk '/^(Apply|Error|Interrupted|Stopped)/ {p=1} p'
step "4/4 orgsync plan --detailed-exitcode: converged, nothing left to do (exit 0)"
"$ORGSYNC" plan --detailed-exitcode 2>&1 | grep -E '^(Plan: |Error)'
