#!/usr/bin/env bash
# Prepares .gpu/ (git-ignored) for the GPU machine of the `device` tool, whose copy of the
# working tree is limited to 64 MiB in all: a stripped nqsnn binary built here (the GPU
# machine has no Go toolchain) and CIFAR-10's first training batch (10,000 images) with the
# class names, both gzipped (≈38 MB; the tracked tree adds ≈17 MB).
# Then, with the device tool:  run(command="bash scripts/device-cifar.sh 100", carry=[".gpu"])
# and afterwards, here, the test-set numbers: see scripts/device-cifar.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
src=${CIFAR10_DIR:-../shared/data/cifar-10-batches-bin}
[[ -f "$src/data_batch_1.bin" ]] || { echo "device-prepare: no $src/data_batch_1.bin (set CIFAR10_DIR)" >&2; exit 1; }
rm -rf .gpu # only what this script puts there: start from scratch so nothing stale travels
mkdir -p .gpu
go build -ldflags="-s -w" -o .gpu/nqsnn ./cmd/nqsnn
gzip -9 .gpu/nqsnn
gzip -6 -c "$src/data_batch_1.bin" > .gpu/data_batch_1.bin.gz
cp "$src/batches.meta.txt" .gpu/
tracked=$(git ls-files -z | xargs -0 du -cb | tail -1 | cut -f1)
echo "device-prepare: .gpu holds $(du -sm .gpu | cut -f1) MiB, the tracked tree $((tracked >> 20)) MiB (limit 64 MiB in all)"
