#!/usr/bin/env bash
# test.sh — every test of nqsnn, as CI runs it (the README's test command):
#   set-up (idempotent), go vet, all Go tests, the GoNB kernel test, and every
#   notebook executed headless in its CI setting; fails if the saved notebooks were
#   executed on other code or results than the working tree's (scripts/nbfresh.py).
set -euo pipefail
cd "$(dirname "$0")/.."
# The saved notebooks must show what the current code and results give; checked before they
# are executed again below (which refreshes them in this working tree).
stale=0
python3 scripts/nbfresh.py check || stale=1
export PATH="$(go env GOPATH)/bin:$PATH"
# shellcheck source=scripts/malloc-env.sh
source scripts/malloc-env.sh
bash scripts/setup.sh
go vet ./...
go test -count=1 -timeout 40m ./...
NQSNN_REQUIRE_KERNEL=1 /usr/bin/python3 kernelext/kernel_test.py
bash scripts/run-notebooks.sh
if ((stale)); then
  echo "test: the saved notebooks were stale when the tests started (see above); they have been re-executed now: commit them" >&2
  exit 1
fi
