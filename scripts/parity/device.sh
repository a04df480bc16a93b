#!/usr/bin/env bash
# parity/device.sh — the side-by-side of scripts/parity/run.sh over a longer schedule, on a GPU
# machine that is reached through one command with at most 64 MiB travelling (the `device`
# tool's H200, or any machine without Go: the binary is built here).
#
#   bash scripts/parity/device.sh prepare      here: build nqsnn and pack it with CIFAR-10's first
#                                              training batch into .gpu-parity/ (≈30 MiB)
#   bash scripts/parity/device.sh gpu [SECONDS] there, with .gpu-parity carried: check the XLA
#                                              CUDA backend (nqsnn bench), then train every run of
#                                              the task side by side until SECONDS (default 540)
#                                              are nearly spent; results to $OUT/parity.tgz
#
# The task: cifar10-partial (data_batch_1: 8,000 training and 2,000 validation images), ResNet-20,
# L = 4, batch 128, crop + flip, EPOCHS (default 40) epochs of the cosine schedule, SEEDS
# (default "1 2 3"), qcfs and nq, both sides; runs still going when the time is spent keep the
# epochs they finished. Settings: EPOCHS, SEEDS, STRATEGIES, BACKEND (xla:cuda), TORCH_DEVICE
# (cuda). Back here: tar xzf parity.tgz -C DIR && python3 scripts/parity/table.py DIR.
set -uo pipefail
cd "$(dirname "$0")/../.."
pack=.gpu-parity
say() { echo "parity-device: $*"; }

prepare() {
  set -e
  local src=${CIFAR10_DIR:-../shared/data/cifar-10-batches-bin}
  [[ -f $src/data_batch_1.bin ]] || { say "no $src/data_batch_1.bin (set CIFAR10_DIR)" >&2; exit 1; }
  mkdir -p "$pack"
  CGO_ENABLED=1 go build -trimpath -ldflags="-s -w" -o "$pack/nqsnn" ./cmd/nqsnn
  xz -9 -T1 -f "$pack/nqsnn"
  [[ -s $pack/data_batch_1.packed ]] || python3 scripts/campaign.py pack-cifar "$src/data_batch_1.bin" "$pack/data_batch_1.packed"
  cp "$src/batches.meta.txt" "$pack/"
  grep ' data_batch_1.bin$' "$src/SHA256SUMS" > "$pack/SHA256SUMS"
  git rev-parse --short=12 HEAD > "$pack/version"
  local tracked
  tracked=$(git ls-files -z -c -o --exclude-standard | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
  say "$pack holds $(du -sm "$pack" | cut -f1) MiB, the tree $((tracked >> 20)) MiB (limit 64 MiB in all)"
  echo "run(command=\"bash scripts/parity/device.sh gpu 540\", timeout_s=600, carry=[\"$pack\"])"
}

gpu() {
  local budget=${1:-540} t0 out work log
  t0=$(date +%s)
  out=${OUT:-parity-device-out}
  work=${PARITY_WORK:-/tmp/nqsnn-parity}
  mkdir -p "$out" "$work/cifar"
  log=$out/log.txt
  exec > >(tee -a "$log") 2>&1
  left() { echo $((budget - ($(date +%s) - t0))); }
  [[ -f $pack/nqsnn.xz ]] || { say "no $pack/nqsnn.xz: run 'bash scripts/parity/device.sh prepare' here and carry $pack"; exit 1; }
  xz -dc "$pack/nqsnn.xz" > "$work/nqsnn" && chmod +x "$work/nqsnn"
  python3 scripts/campaign.py unpack-cifar "$pack/data_batch_1.packed" "$work/cifar/data_batch_1.bin" || exit 1
  cp "$pack/batches.meta.txt" "$work/cifar/"
  (cd "$work/cifar" && sha256sum -c "$OLDPWD/$pack/SHA256SUMS") || { say "data_batch_1.bin does not match its checksum"; exit 1; }
  # The CUDA libraries of the Python wheels (the JAX plugin's own dependencies) and ptxas.
  local libs
  libs=$(python3 - <<'EOF'
import glob, site
dirs = []
for sp in site.getsitepackages():
    dirs += sorted(glob.glob(sp + "/nvidia/*/lib")) + sorted(glob.glob(sp + "/nvidia/cu*/lib"))
print(":".join(dict.fromkeys(dirs)))
EOF
  )
  export LD_LIBRARY_PATH=${libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  [[ -d /usr/local/cuda/bin ]] && export PATH=$PATH:/usr/local/cuda/bin
  {
    say "code $(cat "$pack/version"), binary: $("$work/nqsnn" version 2>&1 | head -1)"
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
    nproc; ldd --version | head -1; python3 -c 'import torch, jax; print("torch", torch.__version__, "jax", jax.__version__)' 2>&1 | tail -1
  } | tee "$out/env.txt"
  nvidia-smi dmon -s u -d 5 > "$out/dmon.txt" 2>&1 &
  local dmon=$!
  local backend=${BACKEND:-xla:cuda} sides="nqsnn torch"
  say "checking $backend with nqsnn bench ($(left) s left)"
  timeout 150 "$work/nqsnn" bench -backends "$backend" -model resnet20 -steps ${BENCH_STEPS:-30} -matmul 4096 2>&1 | tee "$out/bench.txt"
  if ! grep -q "^| $backend |" "$out/bench.txt"; then
    say "nqsnn cannot use $backend here: only the PyTorch side runs"
    for p in $(python3 -c 'import site; print(" ".join(site.getsitepackages()))'); do
      for so in "$p"/jax_plugins/*/xla_cuda_plugin.so; do [[ -f $so ]] && { echo "$so:"; ldd "$so" | grep 'not found'; }; done
    done
    sides=torch
  fi
  local timeout=$(($(left) - 40))
  say "training side by side ($sides) for at most $timeout s"
  DATASET=cifar10-partial DATA_DIR=$work/cifar TRAIN_LIMIT=${TRAIN_LIMIT:-all} VAL_FRACTION=0.2 EPOCHS=${EPOCHS:-40} \
    SIDES=$sides JOBS=24 PIN_CORES=0 TORCH_DEVICE=${TORCH_DEVICE:-cuda} NQSNN_BIN=$work/nqsnn PYTHON=${PYTHON:-python3} \
    NQSNN_ARGS="-backend $backend" RUN_TIMEOUT=$timeout \
    bash scripts/parity/run.sh "$work/parity" "${SEEDS:-1 2 3}" "${STRATEGIES:-qcfs nq}"
  kill "$dmon" 2>/dev/null
  # Results in one archive, the nqsnn checkpoints in one per strategy (each file that comes back
  # from the device tool is at most 16 MiB).
  (cd "$work/parity" && tar czf - --exclude resume.ckpt --exclude checkpoint --exclude '*.png' *.jsonl *.md *.txt split-*.json runs) > "$out/parity.tgz"
  local s
  for s in ${STRATEGIES:-qcfs nq}; do
    (cd "$work/parity" && ls runs/"$s"-s*/checkpoint runs/"$s"-s*/config.json 2>/dev/null | tar czf - -T -) > "$out/checkpoints-$s.tgz"
  done
  say "done in $(($(date +%s) - t0)) s; $(cd "$out" && du -k ./*.tgz | tr '\n' ' ')"
}

case ${1:-} in
prepare) prepare ;;
gpu) shift; gpu "$@" ;;
*) echo "usage: bash scripts/parity/device.sh prepare | gpu [SECONDS]" >&2; exit 2 ;;
esac
