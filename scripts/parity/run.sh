#!/usr/bin/env bash
# parity/run.sh — train the same task with nqsnn and with a PyTorch port of
# the reference method, side by side, and tabulate per-epoch validation
# accuracy, loss, λ and σ (mean ± standard deviation over seeds).
#
#   bash scripts/parity/run.sh OUT_DIR [SEEDS] [STRATEGIES]
#
# SEEDS defaults to "1 2 3", STRATEGIES to "qcfs nq". The task (environment
# variables, defaults = CIFAR-10 ResNet-20, 10,000 training and 2,500
# validation images, L = 4, batch 128, 5 epochs, crop + flip):
#   EPOCHS=5 TRAIN_LIMIT=10000 VAL_FRACTION=0.05 DATA_DIR=../shared/data/cifar-10-batches-bin
#   NQSNN_ARGS="..."   extra flags for `nqsnn run` (e.g. "-weight-init he", "-noise gaussian")
#   SIDES="nqsnn torch" which implementations to run
#   PYTHON=python3     a Python with PyTorch and numpy (pip install torch numpy)
#   TORCH_DEVICE=cpu   where the PyTorch side runs (cuda on a GPU machine; give
#                      nqsnn "-backend xla:cuda" in NQSNN_ARGS there)
#   JOBS=1             runs trained at the same time (with JOBS > 1 each run is
#                      pinned to one core and PyTorch uses one thread)
# Runs already finished in OUT_DIR are kept, so an interrupted call resumes
# where it stopped. Results: OUT_DIR/{nqsnn,torch}-STRATEGY-sSEED.jsonl and
# OUT_DIR/table.md (made by scripts/parity/table.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: run.sh OUT_DIR [SEEDS] [STRATEGIES]}
seeds=${2:-1 2 3}
strategies=${3:-qcfs nq}
EPOCHS=${EPOCHS:-5}
TRAIN_LIMIT=${TRAIN_LIMIT:-10000}
VAL_FRACTION=${VAL_FRACTION:-0.05}
DATA_DIR=${DATA_DIR:-../shared/data/cifar-10-batches-bin}
SIDES=${SIDES:-nqsnn torch}
PYTHON=${PYTHON:-python3}
TORCH_DEVICE=${TORCH_DEVICE:-cpu}
NQSNN_ARGS=${NQSNN_ARGS:-}
JOBS=${JOBS:-1}
threads=0
((JOBS > 1)) && threads=1
mkdir -p "$out/runs"
log() { printf '[parity] %s\n' "$*" >&2; }

bin="$out/nqsnn"
go build -o "$bin" ./cmd/nqsnn
"$bin" version >"$out/version.txt"
if [[ " $SIDES " == *" torch "* ]]; then
  "$PYTHON" -c 'import torch, numpy' 2>/dev/null || { log "PyTorch is not importable by $PYTHON: pip install torch numpy, or set PYTHON"; exit 1; }
fi
echo "dataset cifar10, model resnet20, L 4, batch 128, epochs $EPOCHS, train-limit $TRAIN_LIMIT," \
  "val-fraction $VAL_FRACTION, augment basic, nqsnn flags: ${NQSNN_ARGS:-none}" >"$out/task.txt"

# one_run SIDE STRATEGY SEED trains one run unless its results are complete.
one_run() {
  local side=$1 s=$2 seed=$3
  local res="$out/$side-$s-s$seed.jsonl" split="$out/split-s$seed.json" start
  if [[ -s "$res" ]] && (($(wc -l <"$res") >= EPOCHS)); then
    log "$side $s seed $seed: done"
    return
  fi
  log "$side $s seed $seed: training $EPOCHS epochs"
  start=$(date +%s)
  case $side in
  nqsnn)
    local run="$out/runs/$s-s$seed"
    # shellcheck disable=SC2086
    $PIN "$bin" run -dataset cifar10 -data-dir "$DATA_DIR" -model resnet20 -strategy "$s" -L 4 -batch-size 128 \
      -epochs "$EPOCHS" -train-limit "$TRAIN_LIMIT" -val-fraction "$VAL_FRACTION" -augment basic \
      -seed "$seed" -t 4 -quiet -force -out "$run" $NQSNN_ARGS >"$run.log" 2>&1 || return 1
    cp "$run/metrics.jsonl" "$res.tmp"
    ;;
  torch)
    $PIN "$PYTHON" scripts/parity/torch_reference.py --split "$split" --data-dir "$DATA_DIR" --strategy "$s" \
      --epochs "$EPOCHS" --seed "$seed" --threads "$threads" --device "$TORCH_DEVICE" --out "$res.tmp" 2>"$out/runs/torch-$s-s$seed.log" || return 1
    ;;
  esac
  mv "$res.tmp" "$res"
  log "$side $s seed $seed: $(($(date +%s) - start)) s"
}

for seed in $seeds; do
  split="$out/split-s$seed.json"
  [[ -s "$split" ]] || "$bin" split -dataset cifar10 -data-dir "$DATA_DIR" -seed "$seed" \
    -val-fraction "$VAL_FRACTION" -train-limit "$TRAIN_LIMIT" -o "$split" 2>/dev/null
done
# JOBS workers share the runs (strategy by strategy, seed by seed, side by
# side); with more than one, worker w runs on core w alone (taskset), which
# trains more images per second in all than runs competing for every core.
runs=()
for s in $strategies; do for seed in $seeds; do for side in $SIDES; do runs+=("$side $s $seed"); done; done; done
worker() {
  local w=$1 i pin=()
  if ((JOBS > 1)) && command -v taskset >/dev/null; then pin=(taskset -c $((w % $(nproc))))
  fi
  for ((i = w; i < ${#runs[@]}; i += JOBS)); do
    # shellcheck disable=SC2086
    PIN="${pin[*]}" one_run ${runs[i]} || log "run ${runs[i]} failed"
  done
}
for ((w = 0; w < JOBS; w++)); do worker "$w" & done
wait
python3 scripts/parity/table.py "$out" | tee "$out/table.md"
