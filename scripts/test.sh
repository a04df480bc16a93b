#!/usr/bin/env bash
# test.sh — every test of nqsnn, as CI runs it (the README's test command):
#   set-up (idempotent), go vet, all Go tests, the GoNB kernel test, and every
#   notebook executed headless in its CI setting.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(go env GOPATH)/bin:$PATH"
bash scripts/setup.sh
go vet ./...
go test -count=1 -timeout 40m ./...
NQSNN_REQUIRE_KERNEL=1 /usr/bin/python3 kernelext/kernel_test.py
bash scripts/run-notebooks.sh
