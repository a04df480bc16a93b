#!/usr/bin/env bash
# run-notebooks.sh — executes the notebooks in notebooks/ headless, in place (their
# outputs are saved into the .ipynb files), and prints the time each one took.
#
# Each executed notebook is stamped with the fingerprint of the code and results it ran on
# (scripts/nbfresh.py), which the tests check.
#
# Usage: bash scripts/run-notebooks.sh [--keep-runs] [NOTEBOOK.ipynb ...]
#   NOTEBOOK...   names inside notebooks/ (default: every NN_*.ipynb, in order)
#   --keep-runs   reuse runs/notebooks/<setting>/ from an earlier execution instead of
#                 starting from an empty folder (faster, but outputs may be stale)
#
# Runs the CI setting unless NQSNN_NOTEBOOK=full is set (see notebooks/README.md).
# Exits non-zero if any notebook fails (a cell error or a timeout), after trying all
# of them; the failing notebook's log tail is printed. Needs the GoNB kernel:
# bash scripts/install-kernel.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/malloc-env.sh
source "$ROOT/scripts/malloc-env.sh"
KEEP=0
NOTEBOOKS=()
for arg in "$@"; do
  case "$arg" in
    --keep-runs) KEEP=1 ;;
    -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) NOTEBOOKS+=("$(basename "$arg")") ;;
  esac
done

# The kernel must be installed (bash scripts/install-kernel.sh). Checked here without
# `grep -q`: under pipefail its early exit can fail the pipeline through SIGPIPE.
if ! command -v jupyter >/dev/null 2>&1 || ! jupyter kernelspec list 2>/dev/null | grep -w gonb >/dev/null; then
  echo "run-notebooks: jupyter or the GoNB kernel is missing; run: bash scripts/install-kernel.sh" >&2
  exit 1
fi

cd "$ROOT/notebooks"
if [[ ${#NOTEBOOKS[@]} == 0 ]]; then
  NOTEBOOKS=([0-9][0-9]_*.ipynb)
fi
for nb in "${NOTEBOOKS[@]}"; do
  [[ -f "$nb" ]] || { echo "run-notebooks: no notebook notebooks/$nb" >&2; exit 1; }
done

SETTING=ci
[[ "${NQSNN_NOTEBOOK:-}" == "full" ]] && SETTING=full
if [[ $KEEP == 0 && $SETTING == ci ]]; then
  # Fresh CI runs: notebooks reuse runs whose settings match, which must not be
  # left over from an older version of the code.
  rm -rf "$ROOT/runs/notebooks/ci"
fi

LOGDIR="$(mktemp -d "${TMPDIR:-/tmp}/run-notebooks.XXXXXX")"
failed=()
total_start=$(date +%s)
printf '%-28s %8s  %s\n' "notebook ($SETTING setting)" "seconds" "result"
for nb in "${NOTEBOOKS[@]}"; do
  log="$LOGDIR/${nb%.ipynb}.log"
  start=$(date +%s)
  if jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=1200 "$nb" >"$log" 2>&1 &&
    python3 "$ROOT/scripts/nbfresh.py" stamp "$nb" >>"$log" 2>&1; then
    status="ok ($(du -k "$nb" | cut -f1) KiB)"
  else
    status="FAILED (log: $log)"
    failed+=("$nb")
  fi
  printf '%-28s %8d  %s\n' "$nb" "$(($(date +%s) - start))" "$status"
  if [[ $status == FAILED* ]]; then
    grep -v '^I[0-9]\{4\} ' "$log" | tail -n 25 | sed 's/^/    /' >&2
  fi
done
printf '%-28s %8d\n' "total" "$(($(date +%s) - total_start))"
echo "notebooks: $((${#NOTEBOOKS[@]} - ${#failed[@]})) passed, ${#failed[@]} failed"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "run-notebooks: ${#failed[@]} notebook(s) failed: ${failed[*]}" >&2
  exit 1
fi
