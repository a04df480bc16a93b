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
#   DATASET=cifar10    or cifar10-partial: the batch files DATA_DIR holds (TRAIN_LIMIT=all: no limit)
#   NQSNN_BIN=...      a built nqsnn to use instead of building one here (a machine without Go)
#   RUN_TIMEOUT=0      seconds after which a run is stopped; the epochs it finished are kept
#   NQSNN_ARGS="..."   extra flags for `nqsnn run` (e.g. "-weight-init he", "-noise gaussian")
#   SIDES="nqsnn torch" which implementations to run
#   PYTHON=python3     a Python with PyTorch and numpy (pip install torch numpy)
#   TORCH_DEVICE=cpu   where the PyTorch side runs (cuda on a GPU machine; give
#                      nqsnn "-backend xla:cuda" in NQSNN_ARGS there)
#   JOBS=1             runs trained at the same time (with JOBS > 1 each run is
#                      pinned to one core, unless PIN_CORES=0, and PyTorch uses one thread)
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
DATASET=${DATASET:-cifar10}
RUN_TIMEOUT=${RUN_TIMEOUT:-0}
limit=()
[[ $TRAIN_LIMIT == all ]] || limit=(-train-limit "$TRAIN_LIMIT")
SIDES=${SIDES:-nqsnn torch}
PYTHON=${PYTHON:-python3}
TORCH_DEVICE=${TORCH_DEVICE:-cpu}
NQSNN_ARGS=${NQSNN_ARGS:-}
JOBS=${JOBS:-1}
threads=0
((JOBS > 1)) && threads=1
mkdir -p "$out/runs"
log() { printf '[parity] %s\n' "$*" >&2; }

if [[ -n ${NQSNN_BIN:-} ]]; then
  bin=$NQSNN_BIN
else
  bin="$out/nqsnn"
  go build -o "$bin" ./cmd/nqsnn
fi
"$bin" version >"$out/version.txt"
if [[ " $SIDES " == *" torch "* ]]; then
  "$PYTHON" -c 'import torch, numpy' 2>/dev/null || { log "PyTorch is not importable by $PYTHON: pip install torch numpy, or set PYTHON"; exit 1; }
fi
echo "dataset $DATASET, model resnet20, L 4, batch 128, epochs $EPOCHS, train-limit $TRAIN_LIMIT," \
  "val-fraction $VAL_FRACTION, augment basic, nqsnn flags: ${NQSNN_ARGS:-none}" >"$out/task.txt"

# one_run SIDE STRATEGY SEED trains one run unless its results are complete.
one_run() {
  local side=$1 s=$2 seed=$3
  local res="$out/$side-$s-s$seed.jsonl" split="$out/split-s$seed.json" start rc=0
  local stop=()
  ((RUN_TIMEOUT > 0)) && stop=(timeout "$RUN_TIMEOUT")
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
    ${stop[@]+"${stop[@]}"} $PIN "$bin" run -dataset "$DATASET" -data-dir "$DATA_DIR" -model resnet20 -strategy "$s" -L 4 -batch-size 128 \
      -epochs "$EPOCHS" ${limit[@]+"${limit[@]}"} -val-fraction "$VAL_FRACTION" -augment basic \
      -seed "$seed" -t 4 -quiet -force -out "$run" $NQSNN_ARGS >"$run.log" 2>&1 || rc=$?
    [[ -s "$run/metrics.jsonl" ]] && cp "$run/metrics.jsonl" "$res.tmp"
    ;;
  torch)
    ${stop[@]+"${stop[@]}"} $PIN "$PYTHON" scripts/parity/torch_reference.py --split "$split" --data-dir "$DATA_DIR" --strategy "$s" \
      --epochs "$EPOCHS" --seed "$seed" --threads "$threads" --device "$TORCH_DEVICE" --out "$res.tmp" 2>"$out/runs/torch-$s-s$seed.log" || rc=$?
    ;;
  esac
  # A stopped run keeps the epochs it finished (the table counts seeds per epoch).
  [[ -s "$res.tmp" ]] && mv "$res.tmp" "$res"
  rm -f "$res.tmp"
  if ((rc != 0)); then
    log "$side $s seed $seed: stopped (exit $rc) after $(($(date +%s) - start)) s with $( [[ -s $res ]] && wc -l <"$res" || echo 0) epoch(s)"
    return 1
  fi
  log "$side $s seed $seed: $(($(date +%s) - start)) s"
}

for seed in $seeds; do
  split="$out/split-s$seed.json"
  [[ -s "$split" ]] || "$bin" split -dataset "$DATASET" -data-dir "$DATA_DIR" -seed "$seed" \
    -val-fraction "$VAL_FRACTION" ${limit[@]+"${limit[@]}"} -o "$split"
done
# JOBS workers share the runs (strategy by strategy, seed by seed, side by
# side); with more than one, worker w runs on core w alone (taskset), which
# trains more images per second in all than runs competing for every core.
runs=()
for s in $strategies; do for seed in $seeds; do for side in $SIDES; do runs+=("$side $s $seed"); done; done; done
worker() {
  local w=$1 i pin=()
  if ((JOBS > 1)) && [[ ${PIN_CORES:-1} != 0 ]] && command -v taskset >/dev/null; then pin=(taskset -c $((w % $(nproc))))
  fi
  for ((i = w; i < ${#runs[@]}; i += JOBS)); do
    # shellcheck disable=SC2086
    PIN="${pin[*]}" one_run ${runs[i]} || log "run ${runs[i]} failed"
  done
}
for ((w = 0; w < JOBS; w++)); do worker "$w" & done
wait
python3 scripts/parity/table.py "$out" | tee "$out/table.md"
