#!/usr/bin/env bash
# side-by-side.sh — nqsnn (XLA CPU) against PyTorch on the same machine, interleaved: for each of
# ROUNDS rounds and each model, `nqsnn bench -data=false` and scripts/bench/torch_bench.py, so
# that a change in the machine's load hits both alike. Writes the median of each number and the
# ratio nqsnn / PyTorch as Markdown to OUT (default results/bench-side-by-side.md), with the
# machine and the date. Run it on a quiet machine (nothing else on the cores).
#
#   bash scripts/bench/side-by-side.sh [OUT]
#
# Settings: ROUNDS=3 STEPS=10 MODELS="cnn resnet20" STRATEGY=nq BACKEND=xla:cpu
#   PYTHON=python3      a Python with PyTorch (pip install torch numpy)
#   INSTALL_TORCH=1     create .cache/torch-venv and install PyTorch there from PyPI first
#                       (≈5 GB with its CUDA libraries, a few minutes; only when asked)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-results/bench-side-by-side.md}
ROUNDS=${ROUNDS:-3}
STEPS=${STEPS:-10}
MODELS=${MODELS:-cnn resnet20}
STRATEGY=${STRATEGY:-nq}
BACKEND=${BACKEND:-xla:cpu}
PYTHON=${PYTHON:-python3}
if [[ ${INSTALL_TORCH:-0} == 1 ]]; then
  python3 -m venv .cache/torch-venv
  .cache/torch-venv/bin/pip install -q torch numpy
  PYTHON=.cache/torch-venv/bin/python
fi
"$PYTHON" -c 'import torch' 2>/dev/null || {
  echo "side-by-side: PyTorch is not importable by $PYTHON: set PYTHON, or INSTALL_TORCH=1 to install it into .cache/torch-venv" >&2
  exit 1
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/nqsnn" ./cmd/nqsnn
threads=$(nproc)
: >"$work/rows"
for ((r = 1; r <= ROUNDS; r++)); do
  for m in $MODELS; do
    echo "side-by-side: round $r/$ROUNDS, $m" >&2
    # nqsnn's row: | backend | matmul | train img/s | train GFLOP/s | % | inference img/s | SNN img·steps/s | RSS |
    "$work/nqsnn" bench -backends "$BACKEND" -model "$m" -data=false -steps "$STEPS" -strategy "$STRATEGY" -matmul 256 2>/dev/null |
      awk -F'|' -v m="$m" -v b="$BACKEND" '$2 ~ b { gsub(/ /, ""); print "nqsnn", m, $4, $7, $8 }' >>"$work/rows"
    "$PYTHON" scripts/bench/torch_bench.py --model "$m" --strategy "$STRATEGY" --steps "$STEPS" --threads "$threads" 2>/dev/null |
      awk -F'|' -v m="$m" '$2 ~ m { gsub(/ /, ""); print "torch", m, $3, $4, $5 }' >>"$work/rows"
  done
done
torch_version=$("$PYTHON" -c 'import torch; print(torch.__version__)')
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
python3 - "$work/rows" "$ROUNDS" "$STEPS" "$STRATEGY" "$BACKEND" "$torch_version" "$cpu" "$threads" "$(git rev-parse --short HEAD)" >"$out" <<'EOF'
import statistics, sys, datetime
rows, rounds, steps, strategy, backend, torch_version, cpu, threads, commit = sys.argv[1:]
data = {}
for line in open(rows):
    side, model, *vals = line.split()
    data.setdefault((side, model), []).append([float(v) for v in vals])
print(f"nqsnn ({backend}, code {commit}) and PyTorch {torch_version} ({threads} threads), {cpu}, {threads} cores, "
      f"{datetime.date.today()}; strategy {strategy}, batch 128, random data, {steps} timed steps, median of {rounds} "
      f"interleaved rounds (`bash scripts/bench/side-by-side.sh`).\n")
print("| model | path | PyTorch | nqsnn | nqsnn / PyTorch |")
print("|---|---|---|---|---|")
for model in dict.fromkeys(m for _, m in data):
    t, n = data.get(("torch", model)), data.get(("nqsnn", model))
    if not t or not n:
        print(f"| {model} | (missing: {'PyTorch' if not t else 'nqsnn'} gave no numbers) | | | |")
        continue
    for i, path in enumerate(["training, img/s", "inference, img/s", "SNN T=4, img·steps/s"]):
        tm = statistics.median(r[i] for r in t)
        nm = statistics.median(r[i] for r in n)
        print(f"| {model} | {path} | {tm:.0f} | {nm:.0f} | {nm / tm:.2f}x |")
EOF
cat "$out"
