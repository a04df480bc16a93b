#!/usr/bin/env bash
# cpu-evidence.sh — does explicit residual-error noise (nq) beat QCFS at T = 1
# and 2 on a CPU budget? Three experiments, several seeds each, about two hours
# on 2 cores; every run is an `nqsnn run`, so each number is reproducible from
# its config.json.
#
#   bash scripts/cpu-evidence.sh [scratch] [warm] [levels]   (default: all three)
#
#   scratch  CIFAR-10 ResNet-20 (19 activation sites) from scratch, nq vs qcfs,
#            one identical budget: 5,000 training images, 3 epochs, L = 4.
#   warm     a QCFS ResNet-20 trained for longer (BASE, by default the committed
#            results/evidence/warm/base-cifar10-resnet20-qcfs-L4-he: 5 epochs on
#            47,500 images, He initialisation; see results/evidence/warm/BASE.md), then
#            WARM_EPOCHS more epochs from it on 5,000 of its training images:
#            NQ fine-tuning (σ measured on the base model before its first step)
#            against QCFS continuation. The runs keep the base's validation
#            split (-split-seed), so selection never sees a training image.
#            With BASE unset to "" a base is trained here (BASE_EPOCHS epochs).
#   levels   Fashion-MNIST small CNN, L = 4 and L = 8, nq vs qcfs, 4 epochs on
#            10,000 images: what the quantisation level does at T = 1, 2, 4.
# CIFAR-10 runs are tested on the first 5,000 test images (TEST_LIMIT) to fit
# the budget; Fashion-MNIST runs on all 10,000.
#
# Environment: SEEDS="1 2 3", JOBS=2 (runs at once; each pinned to one core),
# OUT=results/evidence, SCRATCH_EPOCHS=3, BASE_EPOCHS=15, WARM_EPOCHS=2, TEST_LIMIT=5000, NQSNN_ARGS (extra flags
# for every run, e.g. "-backend xla:cuda"), SMOKE=1 (a tiny synthetic version
# of every experiment, to check the script in minutes).
# Finished runs are kept, so an interrupted call resumes where it stopped; an
# unfinished run restarts from its last complete epoch (--resume).
# Tables and plots (mean ± sd over seeds): $FIG/evidence-EXPERIMENT/compare.md
# (FIG=figures).
# Only the base model keeps its checkpoint and figures; the other runs keep
# their numbers (config, metrics, results, report.md without its figures; the
# first seed also its diagnostics). Checked end to end in minutes with SMOKE=1 SEEDS=1.
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS=${SEEDS:-1 2 3}
JOBS=${JOBS:-2}
OUT=${OUT:-results/evidence}
BASE_EPOCHS=${BASE_EPOCHS:-15}
WARM_EPOCHS=${WARM_EPOCHS:-2}
BASE=${BASE-results/evidence/warm/base-cifar10-resnet20-qcfs-L4-he}
TEST_LIMIT=${TEST_LIMIT:-5000}
NQSNN_ARGS=${NQSNN_ARGS:-}
FIG=${FIG:-figures}
log() { printf '[evidence] %s\n' "$*" >&2; }

# NQSNN_BIN: a built nqsnn to use (e.g. one built before editing the tree).
bin=${NQSNN_BIN:-}
if [[ -z $bin ]]; then
  bin=$(mktemp -d)/nqsnn
  go build -o "$bin" ./cmd/nqsnn
fi
cifar=(-dataset cifar10 -model resnet20 -train-limit 5000 -val-fraction 0.05 -augment basic -t 1,2,4,8 -test-limit "$TEST_LIMIT")
fashion=(-dataset fashion-mnist -model cnn -train-limit 10000 -val-fraction 0.05 -t 1,2,4,8,16)
epochs=${SCRATCH_EPOCHS:-3} levels_epochs=4
if [[ ${SMOKE:-} == 1 ]]; then
  cifar=(-dataset synthetic -model resnet20 -train-limit 256 -batch-size 32 -t 1,2,4)
  fashion=(-dataset synthetic -model cnn -train-limit 256 -batch-size 32 -t 1,2,4)
  epochs=1 levels_epochs=1 BASE_EPOCHS=2 WARM_EPOCHS=1 BASE=""
  OUT=$(mktemp -d)/evidence FIG=$OUT/figures
  log "smoke test in $OUT"
fi

# run DIR FLAGS... trains one run unless it is finished; resumes an unfinished one.
run() {
  local dir=$1
  shift
  if [[ -s $dir/results.json ]]; then
    log "$dir: done"
    return
  fi
  local how=(-out "$dir")
  [[ -s $dir/resume.ckpt ]] && how=(-resume "$dir")
  log "$dir: training"
  mkdir -p "$(dirname "$dir")"
  # shellcheck disable=SC2086
  $PIN "$bin" run -quiet "${how[@]}" "$@" $NQSNN_ARGS >"$dir.log" 2>&1 || { log "$dir: failed, see $dir.log"; return 1; }
  # Keep the numbers (config, metrics, results, diagnostics, report.md); the
  # per-run figures and model files would add ~3 MB a run.
  [[ ${KEEP:-} == 1 ]] || rm -f "$dir/checkpoint" "$dir/resume.ckpt" "$dir"/*.png "$dir"/*.svg
  # The residual-error diagnostics (≈0.6 MB for ResNet-20) are kept for the
  # first seed of each setting only.
  [[ ${KEEP:-} == 1 || $dir == *-s${SEEDS%% *} ]] || rm -f "$dir/diagnostics.json"
}

# pool runs the queued runs (one line each: DIR FLAGS...) on JOBS pinned workers.
pool() {
  local -a queue=("$@")
  worker() {
    local w=$1 i
    local pin=""
    ((JOBS > 1)) && command -v taskset >/dev/null && pin="taskset -c $((w % $(nproc)))"
    for ((i = w; i < ${#queue[@]}; i += JOBS)); do
      # shellcheck disable=SC2086
      PIN=$pin run ${queue[i]} || true
    done
  }
  for ((w = 0; w < JOBS; w++)); do worker "$w" & done
  wait
}

compare() {
  local name=$1
  shift
  "$bin" compare -out "$FIG/evidence-$name" "$@" >/dev/null && log "$FIG/evidence-$name/compare.md"
}

for e in ${@:-warm levels scratch}; do
  case $e in
  scratch)
    q=()
    for seed in $SEEDS; do for s in nq qcfs; do
      q+=("$OUT/scratch/$s-s$seed ${cifar[*]} -strategy $s -L 4 -epochs $epochs -seed $seed")
    done; done
    pool "${q[@]}"
    compare scratch "$OUT"/scratch/*-s*/
    ;;
  warm)
    base=$BASE
    if [[ -z $base ]]; then
      base=$OUT/warm/base-qcfs
      KEEP=1 PIN="" run "$base" "${cifar[@]}" -strategy qcfs -L 4 -epochs "$BASE_EPOCHS" -seed 2024
    fi
    # The base's split: its seed and validation fraction.
    split=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(c.get("split_seed") or c["seed"], c["val_fraction"])' "$base/config.json")
    q=()
    for seed in $SEEDS; do for s in nq qcfs; do
      q+=("$OUT/warm/$s-s$seed ${cifar[*]} -strategy $s -L 4 -epochs $WARM_EPOCHS -lr 0.01 -seed $seed -split-seed ${split% *} -val-fraction ${split#* } -init $base/checkpoint")
    done; done
    pool "${q[@]}"
    compare warm "$OUT"/warm/*-s*/
    ;;
  levels)
    q=()
    for L in 4 8; do for seed in $SEEDS; do for s in nq qcfs; do
      q+=("$OUT/levels/$s-L$L-s$seed ${fashion[*]} -strategy $s -L $L -epochs $levels_epochs -seed $seed")
    done; done; done
    pool "${q[@]}"
    compare levels "$OUT"/levels/*-s*/
    ;;
  *)
    log "unknown experiment $e (scratch, warm or levels)"
    exit 2
    ;;
  esac
done
