#!/usr/bin/env bash
# install-xla.sh — installs the XLA CPU PJRT plugin for GoMLX without Go and without GitHub:
# `pip download`s the first working wheel (pip checks PyPI's sha256), extracts the shared
# library to $XDG_CACHE_HOME/nqsnn/xla/pjrt_c_api_cpu_plugin.so (default ~/.cache/...) and
# writes plugin.json beside it. Same result as `nqsnn setup` (snnlib/backend.InstallXLACPU).
#
# Usage: bash scripts/install-xla.sh [package ...]
#   Default packages, fastest first on conv-heavy graphs: xla-cpu-pjrt lammps-jax-pjrt-cpu.
# Idempotent: does nothing if the plugin is already installed (delete it to reinstall).
set -euo pipefail

DIR="${XDG_CACHE_HOME:-$HOME/.cache}/nqsnn/xla"
PLUGIN="$DIR/pjrt_c_api_cpu_plugin.so"
PY="${PYTHON:-python3}"
[ $# -gt 0 ] || set -- xla-cpu-pjrt lammps-jax-pjrt-cpu

if [ -f "$PLUGIN" ]; then
  echo "XLA CPU plugin already installed: $PLUGIN"; cat "$DIR/plugin.json" 2>/dev/null || true; exit 0
fi
mkdir -p "$DIR"
TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT

for pkg in "$@"; do
  echo "== $pkg"
  rm -rf "$TMP/dl" "$TMP/x"
  "$PY" -m pip download --quiet --no-deps --only-binary=:all: -d "$TMP/dl" "$pkg" || { echo "$pkg: pip download failed" >&2; continue; }
  whl="$(ls "$TMP"/dl/*.whl | head -n1)"
  "$PY" - "$whl" "$TMP/x" <<'PYEOF' || { echo "$pkg: no usable plugin in $whl" >&2; continue; }
import ctypes, sys, zipfile, os
whl, out = sys.argv[1:]
names = [n for n in zipfile.ZipFile(whl).namelist() if n.endswith(".so") and "pjrt" in os.path.basename(n).lower()]
if len(names) != 1: sys.exit(f"expected one *pjrt*.so in {whl}, found {names}")
so = zipfile.ZipFile(whl).extract(names[0], out)
ctypes.CDLL(so).GetPjrtApi  # loads, and exports the PJRT entry point
os.rename(so, os.path.join(out, "plugin.so"))
PYEOF
  chmod 755 "$TMP/x/plugin.so"
  mv "$TMP/x/plugin.so" "$DIR/.plugin.tmp" && mv "$DIR/.plugin.tmp" "$PLUGIN"
  base="$(basename "$whl")"; ver="$(echo "$base" | cut -d- -f2)"; sha="$(sha256sum "$whl" | cut -d' ' -f1)"
  printf '{\n  "package": "%s",\n  "version": "%s",\n  "wheel": "%s",\n  "sha256": "%s"\n}\n' "$pkg" "$ver" "$base" "$sha" >"$DIR/.plugin.json.tmp"
  mv "$DIR/.plugin.json.tmp" "$DIR/plugin.json"
  echo "installed $pkg $ver at $PLUGIN"
  exit 0
done
echo "install-xla.sh: no candidate installed ($*); try the Go installer: nqsnn setup" >&2
exit 1
