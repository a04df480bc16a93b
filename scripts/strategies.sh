#!/usr/bin/env bash
# strategies.sh — convert the committed trained models with every conversion
# strategy on this machine's CPU and compare them in one table and plot.
#
#   bash scripts/strategies.sh [mnist|cifar10]...   (default: both)
#
# The ANNs are the committed runs (same training budget per data set):
#   MNIST small CNN:     results/mnist-cnn-{qcfs,nq,relu}-L4 (5 epochs each)
#   CIFAR-10 ResNet-20:  results/cifar10-resnet20-{qcfs,nq,relu}-L4 (5 epochs each)
# qcfs, nq and relu are simulated as trained; srp and cos convert the qcfs
# model (they change the SNN, not the ANN). Every model is re-simulated here
# with `nqsnn eval`, so all rows share one backend. CIFAR-10 uses the first
# 1,000 test images (COS replays the network ρ steps per layer: 76 extra
# steps per batch for ResNet-20). Results: results/strategies-DATA/STRATEGY/
# (results.json, report.md), comparison: figures/strategies-DATA/compare.md.
# An evaluation already written is kept (delete its folder to redo it).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${NQSNN:-}
if [[ -z $bin ]]; then
  bin=$(mktemp -d)/nqsnn
  go build -o "$bin" ./cmd/nqsnn
fi
log() { printf '[strategies] %s\n' "$*" >&2; }

# one DATA STRATEGY CHECKPOINT FLAGS...
one() {
  local data=$1 s=$2 ckpt=$3
  shift 3
  local out=results/strategies-$data/$s
  if [[ -s $out/results.json ]]; then
    log "$data $s: kept ($out)"
    return
  fi
  log "$data $s: simulating $ckpt"
  "$bin" eval -out "$out" "$@" "$ckpt" >&2
}

compare() {
  local data=$1
  shift
  local dirs=()
  for s in "$@"; do dirs+=("results/strategies-$data/$s"); done
  "$bin" compare -out "figures/strategies-$data" "${dirs[@]}"
}

for data in "${@:-mnist cifar10}"; do
  for d in $data; do
    case $d in
    mnist)
      t=1,2,4,8,16
      for s in qcfs nq relu; do one mnist $s results/mnist-cnn-$s-L4/checkpoint -t $t; done
      for s in srp cos; do one mnist $s results/mnist-cnn-qcfs-L4/checkpoint -t $t -strategy $s; done
      compare mnist qcfs nq relu srp cos
      ;;
    cifar10)
      t=1,2,4,8
      for s in qcfs nq relu; do one cifar10 $s results/cifar10-resnet20-$s-L4/checkpoint -t $t -test-limit 1000; done
      for s in srp cos; do one cifar10 $s results/cifar10-resnet20-qcfs-L4/checkpoint -t $t -test-limit 1000 -strategy $s; done
      compare cifar10 qcfs nq relu srp cos
      ;;
    *)
      log "unknown data set $d (mnist or cifar10)"
      exit 2
      ;;
    esac
  done
done
