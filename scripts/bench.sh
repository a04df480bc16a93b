#!/usr/bin/env bash
# Regenerates the README's Performance tables on this machine: run it on a
# quiet machine (nothing else using the cores), from the repository root.
#   bash scripts/bench.sh [OUT]     (default OUT: bench.md)
set -euo pipefail
out=${1:-bench.md}
bin=$(mktemp -d)/nqsnn
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./cmd/nqsnn
{
  echo "## nq, fast noise (default), all backends, with the convolution breakdown and the data pipeline"
  "$bin" bench -backends xla:cpu,go -steps 8 -conv
  echo
  echo "## nq, exact Gaussian noise (Box-Muller)"
  "$bin" bench -backends xla:cpu -steps 8 -data=false -noise gaussian
  echo
  echo "## qcfs (no noise)"
  "$bin" bench -backends xla:cpu -steps 8 -data=false -strategy qcfs
  echo
  echo "## nq, data-parallel over 2 of the XLA CPU plugin's host devices (at most one a core)"
  "$bin" bench -backends xla:cpu -steps 8 -data=false -devices 2
} 2>&1 | tee "$out"
