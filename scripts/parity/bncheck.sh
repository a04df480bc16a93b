#!/usr/bin/env bash
# parity/bncheck.sh — is the first epoch's validation ANN accuracy limited by the batch-norm
# running statistics? For each seed, trains epoch 0 of the parity task (scripts/parity/run.sh's
# defaults) with nqsnn and with the PyTorch port, and measures the validation ANN accuracy with
# the stored statistics and with statistics re-estimated at the epoch's final weights (one pass
# of augmented training batches, momentum 0.1, no weight update: scripts/bnstats for nqsnn,
# --bn-check for the port). Writes OUT_DIR/bn-check.md.
#
#   PYTHON=... bash scripts/parity/bncheck.sh OUT_DIR [SEEDS]     (default seeds "1 2 3")
#
# About 5 minutes per seed and side on one core.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: bncheck.sh OUT_DIR [SEEDS]}
seeds=${2:-1 2 3}
PYTHON=${PYTHON:-python3}
DATA_DIR=${DATA_DIR:-../shared/data/cifar-10-batches-bin}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
go build -o "$work/nqsnn" ./cmd/nqsnn
go build -o "$work/bnstats" ./scripts/bnstats
rows=()
for seed in $seeds; do
  split=$work/split-s$seed.json
  "$work/nqsnn" split -dataset cifar10 -data-dir "$DATA_DIR" -seed "$seed" -val-fraction 0.05 -train-limit 10000 -o "$split"
  "$work/nqsnn" run -dataset cifar10 -data-dir "$DATA_DIR" -model resnet20 -strategy qcfs -L 4 -batch-size 128 -epochs 1 \
    -train-limit 10000 -val-fraction 0.05 -augment basic -seed "$seed" -t 4 -test-limit 128 -quiet -force -out "$work/run-s$seed" >/dev/null
  ours=$("$work/bnstats" "$work/run-s$seed/checkpoint" 2>/dev/null | grep -o '[0-9.]* %' | tr -d ' %' | paste -sd' ')
  "$PYTHON" scripts/parity/torch_reference.py --split "$split" --data-dir "$DATA_DIR" --strategy qcfs --epochs 1 \
    --seed "$seed" --threads 1 --bn-check --out "$work/torch-s$seed.jsonl" 2>/dev/null
  ref=$("$PYTHON" -c 'import json, sys; r = json.loads(open(sys.argv[1]).readline()); print(100 * r["val_ann_acc"], 100 * r["val_ann_acc_bn"])' "$work/torch-s$seed.jsonl")
  rows+=("$seed $ours $ref")
  echo "bncheck: seed $seed: nqsnn stored / re-estimated $ours; port $ref" >&2
done
printf '%s\n' "${rows[@]}" | python3 -c '
import statistics, sys
rows = [list(map(float, l.split())) for l in sys.stdin if l.strip()]
print("Validation ANN accuracy (%) after epoch 0 (QCFS, parity task), with the batch-norm running statistics")
print("stored by training and re-estimated at the epoch-0 weights:\n")
print("| seed | nqsnn, stored | nqsnn, re-estimated | port, stored | port, re-estimated |")
print("|---|---|---|---|---|")
for r in rows:
    print(f"| {int(r[0])} | {r[1]:.2f} | {r[2]:.2f} | {r[3]:.2f} | {r[4]:.2f} |")
cols = list(zip(*rows))[1:]
ms = lambda c: f"{statistics.fmean(c):.1f} ± {statistics.stdev(c):.1f}" if len(c) > 1 else f"{c[0]:.1f}"
print(f"| mean ± sd | {ms(cols[0])} | {ms(cols[1])} | {ms(cols[2])} | {ms(cols[3])} |")
' > "$out/bn-check.md"
cat "$out/bn-check.md"
