#!/usr/bin/env bash
# peak-memory.sh — the resident memory of a short ResNet-20 run over time.
#
#   bash scripts/bench/peak-memory.sh NQSNN_BINARY OUT_DIR STRATEGY [extra run flags]
#
# Runs `nqsnn run -dataset cifar10 -model resnet20 -strategy STRATEGY -epochs 1 -train-limit 1280
# -test-limit 256 -t 1,4 -val-fraction 0.05 -out OUT_DIR` (CIFAR-10 from -data-dir or the usual
# places), samples VmRSS of the process every 0.5 s into OUT_DIR.rss ("unix-seconds pid KiB"),
# writes the run's log to OUT_DIR.log and prints the peak. Run it from the repository root on a
# quiet machine; single runs vary by about ±0.2 GiB.
set -euo pipefail
bin=$1 out=$2 strategy=$3
shift 3
# (The nqsnn command re-executes itself with glibc's huge-page tunable in place, same pid.)
rm -rf "$out" "$out.rss"
"$bin" run -dataset cifar10 -model resnet20 -strategy "$strategy" -epochs 1 -train-limit 1280 \
  -test-limit 256 -t 1,4 -val-fraction 0.05 -out "$out" "$@" >"$out.log" 2>&1 &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
  r=$(awk '/VmRSS/{print $2}' "/proc/$pid/status" 2>/dev/null || true)
  [[ -n $r ]] && echo "$(date +%s) $pid $r" >>"$out.rss"
  sleep 0.5
done
wait "$pid"
awk '{ if ($3 > m) m = $3 } END { printf "peak RSS %.2f GiB\n", m / 1048576 }' "$out.rss"
