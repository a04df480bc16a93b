#!/usr/bin/env bash
# Trains ResNet-20 on CIFAR-10's first batch with qcfs and nq under one identical schedule
# (9,000 training and 1,000 validation images; σ calibration and checkpoint selection on the
# validation split), on the GPU machine of the `device` tool. Prepare with
# scripts/device-prepare.sh; the run directories land in $OUT (default: device-runs/).
#   bash scripts/device-cifar.sh [EPOCHS]        (default 100; ≈2 s per epoch on an H200)
# The partial data set has no test split: measure the returned checkpoints on the full test
# set here with
#   nqsnn eval -dataset cifar10 -t 1,2,4,8,16,32 -out DIR/test DIR/checkpoint
# BACKEND (default xla:cuda) lets the script be tried on a CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
epochs=${1:-100}
out=${OUT:-device-runs}
[[ -f .gpu/nqsnn.gz ]] || { echo "device-cifar: no .gpu/nqsnn.gz; run scripts/device-prepare.sh first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/cifar-10-batches-bin"
gunzip -c .gpu/nqsnn.gz > "$work/nqsnn" && chmod +x "$work/nqsnn"
gunzip -c .gpu/data_batch_1.bin.gz > "$work/cifar-10-batches-bin/data_batch_1.bin"
cp .gpu/batches.meta.txt "$work/cifar-10-batches-bin/"
bin=$work/nqsnn
export GOPJR_CUDA_CHECKS=0
for s in qcfs nq; do
  start=$(date +%s)
  "$bin" run -backend "${BACKEND:-xla:cuda}" -dataset cifar10-partial -data-dir "$work/cifar-10-batches-bin" \
    -model resnet20 -strategy "$s" -epochs "$epochs" -augment basic -t 1,2,4,8,16,32 -quiet \
    -out "$out/cifar10p-resnet20-$s-L4"
  rm -f "$out/cifar10p-resnet20-$s-L4/resume.ckpt"
  echo "device-cifar: $s took $(( $(date +%s) - start )) s"
done
