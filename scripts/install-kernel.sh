#!/usr/bin/env bash
# install-kernel.sh — installs the GoNB Jupyter kernel (pinned to v0.11.4) and the
# Jupyter pieces that the nqsnn notebooks and kernelext/kernel_test.py need.
#
# Usage: bash scripts/install-kernel.sh [--check]
#   --check   install nothing; only report what is present and what is missing.
#
# Idempotent: each step is skipped when what it installs is already there, so a second
# run takes a few seconds. Exits non-zero, naming what is missing and how to get it,
# when the final check fails.
#
# Why a tools module: `go install github.com/janpfeifer/gonb@v0.11.4` needs the module
# proxy's version list, which it refuses here; `go get -tool` in a throw-away module pins
# exact versions instead and `go install tool` builds all three programs at once.
set -euo pipefail

GONB_VERSION=v0.11.4
GOPLS_VERSION=v0.23.0
PY=/usr/bin/python3
CHECK_ONLY=0
[[ "${1:-}" == "--check" ]] && CHECK_ONLY=1

ORIG_PATH="$PATH"

log() { printf '[install-kernel] %s\n' "$*" >&2; }

if ! command -v go >/dev/null 2>&1; then
  log "MISSING: go (Go toolchain) — install Go >= 1.24 from https://go.dev/dl and put it on PATH"
  exit 1
fi
GOBIN_DIR="$(go env GOBIN)"
[[ -z "$GOBIN_DIR" ]] && GOBIN_DIR="$(go env GOPATH)/bin"
export PATH="$GOBIN_DIR:$PATH"
GO_DIR="$(dirname "$(command -v go)")"

# --- 1. Jupyter (client, nbconvert, kernel test library) for /usr/bin/python3. ---
py_has() { "$PY" -c "import $1" >/dev/null 2>&1; }
jupyter_ok() {
  py_has jupyter_client && py_has nbconvert && py_has nbformat && py_has jupyter_kernel_test &&
    command -v jupyter >/dev/null 2>&1
}
if ! jupyter_ok && [[ $CHECK_ONLY == 0 ]]; then
  if command -v apt-get >/dev/null 2>&1 && [[ $(id -u) == 0 ]]; then
    log "installing Jupyter from Debian packages"
    pkgs=(jupyter-core jupyter-client python3-jupyter-client python3-nbconvert jupyter-nbconvert
      python3-nbformat python3-nbclient python3-jupyter-kernel-test python3-ipykernel)
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${pkgs[@]}" >/tmp/install-kernel-apt.log 2>&1; then
      # Package lists may be stale or absent on a fresh machine: refresh once and retry.
      apt-get update >>/tmp/install-kernel-apt.log 2>&1 || true
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${pkgs[@]}" >>/tmp/install-kernel-apt.log 2>&1 ||
        log "apt-get install failed (see /tmp/install-kernel-apt.log)"
    fi
  fi
  if ! jupyter_ok; then
    log "installing Jupyter with pip for $PY"
    "$PY" -m pip install --quiet --break-system-packages jupyter_client nbconvert nbformat nbclient \
      jupyter_kernel_test ipykernel jupyter_core >/tmp/install-kernel-pip.log 2>&1 ||
      log "pip install failed (see /tmp/install-kernel-pip.log)"
  fi
fi

# --- 2. gonb, goimports, gopls at pinned versions. ---
# The module version, read from the binary's build info: `gonb -V` prints a version string
# that upstream forgot to bump (v0.11.4 reports v0.11.1).
gonb_module_version() {
  go version -m "$(command -v gonb)" 2>/dev/null | awk '$1 == "mod" && $2 == "github.com/janpfeifer/gonb" {print $3}'
}
gonb_ok() {
  command -v gonb >/dev/null 2>&1 && command -v goimports >/dev/null 2>&1 &&
    command -v gopls >/dev/null 2>&1 && [[ "$(gonb_module_version)" == "$GONB_VERSION" ]]
}
if ! gonb_ok && [[ $CHECK_ONLY == 0 ]]; then
  log "building gonb $GONB_VERSION, goimports and gopls $GOPLS_VERSION into $GOBIN_DIR (a few minutes)"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (
    cd "$tmp"
    # GOWORK=off: a go.work in some parent directory must not capture the tools module.
    export GOWORK=off GOFLAGS=-mod=mod
    go mod init tools >/dev/null 2>&1
    go get -tool "github.com/janpfeifer/gonb@$GONB_VERSION" "golang.org/x/tools/gopls@$GOPLS_VERSION"
    go mod edit -tool golang.org/x/tools/cmd/goimports
    GOBIN="$GOBIN_DIR" go install tool
  )
fi

# --- 3. Kernelspec. ---
kernelspec_ok() { command -v jupyter >/dev/null 2>&1 && jupyter kernelspec list 2>/dev/null | grep -w gonb >/dev/null; }
KERNEL_JSON="$("$PY" -c 'import jupyter_core.paths as p; print(p.jupyter_data_dir())' 2>/dev/null || echo "$HOME/.local/share/jupyter")/kernels/gonb/kernel.json"
if [[ $CHECK_ONLY == 0 ]] && command -v gonb >/dev/null 2>&1; then
  if ! kernelspec_ok || ! grep -q "$(command -v gonb)" "$KERNEL_JSON" 2>/dev/null || ! grep -q '"PATH"' "$KERNEL_JSON" 2>/dev/null; then
    log "registering the gonb kernelspec"
    gonb --install >/tmp/install-kernel-gonb.log 2>&1 || { cat /tmp/install-kernel-gonb.log >&2; exit 1; }
    # The kernel runs `go`, `goimports` and `gopls`: pin their directories into the
    # kernelspec's PATH so the kernel works even when Jupyter is started from a shell
    # whose PATH lacks $GOBIN (e.g. a desktop launcher or CI).
    "$PY" - "$KERNEL_JSON" "$GOBIN_DIR:$GO_DIR" <<'EOF'
import json, os, sys, tempfile
path, extra = sys.argv[1], sys.argv[2]
with open(path) as f:
    spec = json.load(f)
env = spec.get("env") or {}
base = os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin")
parts = extra.split(":") + [p for p in base.split(":") if p not in extra.split(":")]
env["PATH"] = ":".join(parts)
spec["env"] = env
fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path))
with os.fdopen(fd, "w") as f:
    json.dump(spec, f, indent=1)
os.replace(tmp, path)
EOF
  fi
fi

# --- 4. Final check: say exactly what is missing and how to get it. ---
missing=0
for prog in gonb goimports gopls; do
  if command -v "$prog" >/dev/null 2>&1; then
    log "ok: $prog -> $(command -v "$prog")"
  else
    missing=1
    log "MISSING: $prog — run this script without --check (needs the Go module proxy), or see its step 2"
  fi
done
if command -v gonb >/dev/null 2>&1 && [[ "$(gonb_module_version)" != "$GONB_VERSION" ]]; then
  missing=1
  log "MISSING: gonb $GONB_VERSION (found module version '$(gonb_module_version)') — run this script without --check"
fi
for mod in jupyter_client nbconvert nbformat jupyter_kernel_test; do
  if py_has "$mod"; then
    log "ok: python module $mod"
  else
    missing=1
    log "MISSING: python module $mod for $PY — apt-get install python3-jupyter-client python3-nbconvert python3-jupyter-kernel-test, or $PY -m pip install $mod"
  fi
done
if kernelspec_ok; then
  log "ok: kernelspec gonb ($KERNEL_JSON)"
else
  missing=1
  log "MISSING: gonb kernelspec in 'jupyter kernelspec list' — run: gonb --install"
fi
if [[ ":$ORIG_PATH:" != *":$GOBIN_DIR:"* ]]; then
  log "note: add $GOBIN_DIR to PATH to run gonb/gopls from your shell"
fi
if [[ $missing == 1 ]]; then
  log "kernel set-up INCOMPLETE (see MISSING lines above)"
  exit 1
fi
log "kernel set-up complete: start Jupyter in notebooks/ and pick the 'Go (gonb)' kernel"
