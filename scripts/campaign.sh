#!/usr/bin/env bash
# The paper-scale CIFAR-10 campaign (400 epochs per run) carried out in short lends of a GPU
# machine that is reached through one command per call, with at most 64 MiB travelling in and
# 64 MiB (8 files of at most 16 MiB) coming back. See README.md, "Long runs on short GPU lends".
#
#   bash scripts/campaign.sh prepare            here: build the binary, pack binary + CIFAR-10 into
#                                               .gpu/upload-1..K, print the device calls
#   bash scripts/campaign.sh check              here: does every call still fit in 64 MiB?
#   bash scripts/campaign.sh step [SECONDS]     on the GPU machine: take in the carried upload
#                                               folder; once all are in, train the next runs of the
#                                               plan side by side for SECONDS (default 540) in all,
#                                               write their state to $OUT
#   bash scripts/campaign.sh collect DIR        here: fold the files a step returned into
#                                               results/campaign/ (and results/RUN/ when a run is done)
#   bash scripts/campaign.sh status             here: one line per run of the plan
#   bash scripts/campaign.sh finish RUN         here: the final test evaluation of a run whose
#                                               training is complete, on this machine's backend
#
# Settings (environment):
#   BACKEND                 step: xla:cuda; finish: auto
#   CAMPAIGN_STORE          step: where data, binary and run directories persist on the machine
#                           (default $HOME/nqsnn-data)
#   CAMPAIGN_PLAN           the plan (default results/campaign/plan.tsv)
#   CAMPAIGN_RUNS           step: runs side by side (2); 0 only takes in and verifies uploads
#   CAMPAIGN_PARALLEL       step: 1 side by side (default), 0 one after the other
#   CAMPAIGN_EVAL_RESERVE   step: seconds kept for the final test evaluation (120)
#   CAMPAIGN_RESERVE_MIB    prepare: room left in every call for files committed later (2)
#   CIFAR10_DIR             prepare: the official cifar-10-batches-bin with its SHA256SUMS
set -euo pipefail
cd "$(dirname "$0")/.."
plan=${CAMPAIGN_PLAN:-results/campaign/plan.tsv}
gpu=.gpu
py() { python3 scripts/campaign.py "$@"; }
say() { echo "campaign: $*"; }
limit=$((64 << 20))

# Bytes of the working tree that travel with every call: tracked files and untracked ones
# git does not ignore.
tree_bytes() {
  git ls-files -z -c -o --exclude-standard | python3 -c '
import os, sys
names = set(n for n in sys.stdin.buffer.read().split(b"\0") if n)
print(sum(os.lstat(n).st_size for n in names if os.path.lexists(n)))'
}

mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

cmd_prepare() {
  local src=${CIFAR10_DIR:-}
  if [[ -z $src ]]; then
    for d in ../shared/data/cifar-10-batches-bin "${NQSNN_DATA_DIR:-/nonexistent}/cifar-10-batches-bin"; do
      [[ -f $d/SHA256SUMS ]] && src=$d && break
    done
  fi
  [[ -n $src && -f $src/SHA256SUMS ]] || { say "no CIFAR-10 folder with SHA256SUMS found; set CIFAR10_DIR" >&2; exit 1; }
  say "checking $src against its SHA256SUMS"
  (cd "$src" && sha256sum --quiet -c SHA256SUMS) || { say "$src does not match its SHA256SUMS" >&2; exit 1; }
  [[ -z $(git status --porcelain --untracked-files=no) ]] ||
    say "warning: the working tree has uncommitted changes; the binary is stamped -dirty"
  mkdir -p "$gpu/cache" "$gpu/build"
  rm -rf "$gpu/payload" && mkdir -p "$gpu/payload"
  say "building the binary (CGO, dynamically linked against glibc: the XLA backend dlopens the PJRT plugin)"
  CGO_ENABLED=1 GOFLAGS=-buildvcs=true go build -trimpath -ldflags="-s -w" -o "$gpu/build/nqsnn" ./cmd/nqsnn 2>/dev/null ||
    CGO_ENABLED=1 go build -trimpath -ldflags="-s -w" -o "$gpu/build/nqsnn" ./cmd/nqsnn
  local version glibc
  # The code version recorded with every device call. (Go stamps binaries only in a checkout
  # whose .git is a folder, not in a git worktree; the binary then reports "devel" there.)
  version=$(git rev-parse --short=12 HEAD)
  [[ -z $(git status --porcelain --untracked-files=no) ]] || version+=-dirty
  glibc=$(objdump -T "$gpu/build/nqsnn" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1 || true)
  say "binary: code $version (it reports: $("$gpu/build/nqsnn" version)), $(mib "$(stat -c %s "$gpu/build/nqsnn")") MiB, needs ${glibc:-glibc}"
  xz -9e -T1 -c "$gpu/build/nqsnn" > "$gpu/payload/nqsnn.xz"
  # CIFAR-10 batches, compressed once and cached by their checksum.
  local jobs=() sum name
  while read -r sum name; do
    [[ $name == *.bin && ! -f $gpu/cache/cifar-v1-$sum.xz ]] && jobs+=("$src/$name $gpu/cache/cifar-v1-$sum.xz")
  done < "$src/SHA256SUMS"
  if ((${#jobs[@]})); then
    say "compressing ${#jobs[@]} CIFAR-10 file(s) (a few minutes per file and core; cached in $gpu/cache)"
    printf '%s\n' "${jobs[@]}" | xargs -P "${JOBS:-$(nproc)}" -L 1 python3 scripts/campaign.py pack-cifar
  fi
  python3 - "$src" "$gpu" "$version" > "$gpu/payload/payload.json" <<'EOF'
import hashlib, json, os, sys
src, gpu, version = sys.argv[1:]
binary = os.path.join(gpu, "build", "nqsnn")
spec = [{"name": "bin/nqsnn", "packed": os.path.join(gpu, "payload", "nqsnn.xz"), "kind": "xz", "mode": "755",
         "size": os.path.getsize(binary), "sha256": hashlib.sha256(open(binary, "rb").read()).hexdigest()}]
for line in open(os.path.join(src, "SHA256SUMS")):
    sha, name = line.split()
    p = os.path.join(src, name)
    if name.endswith(".bin"):
        spec.append({"name": "cifar-10-batches-bin/" + name, "packed": os.path.join(gpu, "cache", f"cifar-v1-{sha}.xz"),
                     "kind": "cifar", "size": os.path.getsize(p), "sha256": sha})
    else:
        spec.append({"name": "cifar-10-batches-bin/" + name, "packed": p, "kind": "raw",
                     "size": os.path.getsize(p), "sha256": sha})
spec.append({"name": "cifar-10-batches-bin/SHA256SUMS", "packed": os.path.join(src, "SHA256SUMS"), "kind": "raw",
             "size": os.path.getsize(os.path.join(src, "SHA256SUMS")),
             "sha256": hashlib.sha256(open(os.path.join(src, "SHA256SUMS"), "rb").read()).hexdigest()})
json.dump(spec, sys.stdout, indent=1)
EOF
  local raw packed
  raw=$(du -cb "$src"/*.bin | tail -1 | cut -f1)
  packed=$(du -cb "$gpu"/cache/cifar-v1-*.xz | tail -1 | cut -f1)
  local tree reserve cap
  tree=$(tree_bytes)
  reserve=$(( ${CAMPAIGN_RESERVE_MIB:-2} << 20 ))
  cap=$((limit - tree - reserve - (512 << 10)))
  say "CIFAR-10: $(mib "$raw") MiB → $(mib "$packed") MiB ($(awk -v a="$packed" -v b="$raw" 'BEGIN { printf "%.1f", 100 * a / b }') %); binary $(mib "$(stat -c %s "$gpu/payload/nqsnn.xz")") MiB packed"
  say "the working tree carries $(mib "$tree") MiB to every call; ${CAMPAIGN_RESERVE_MIB:-2} MiB kept for campaign state committed later; upload folders of ≤ $(mib "$cap") MiB"
  py uploads --payload "$gpu/payload/payload.json" --out "$gpu" --capacity "$cap" --version "$version" |
    while IFS=$'\t' read -r folder size names; do echo "  $gpu/$folder: $(mib "$size") MiB ($names)"; done
  rm -rf "$gpu/payload"
  echo "$version" > "$gpu/version"
  calls
}

calls() {
  local k n
  n=$(ls -d "$gpu"/upload-* 2>/dev/null | wc -l)
  echo
  echo "Device calls, one after the other (the machine stays warm only briefly between calls):"
  for ((k = 1; k <= n; k++)); do
    echo "  run(command=\"bash scripts/campaign.sh step 570\", timeout_s=600, carry=[\"$gpu/upload-$k\"])"
  done
  echo "  (the last one trains; while device time remains: run(command=\"bash scripts/campaign.sh step S\", timeout_s=S+30), carry nothing)"
  echo "Then here: bash scripts/campaign.sh collect FILES_AT && git add results figures && git commit"
}

cmd_check() {
  local tree k size bad=0
  tree=$(tree_bytes)
  for k in "$gpu"/upload-*; do
    [[ -d $k ]] || { say "no upload folders; run: bash scripts/campaign.sh prepare" >&2; exit 1; }
    size=$(du -cb "$k" | tail -1 | cut -f1)
    if ((tree + size > limit)); then
      say "$k: $(mib $((tree + size))) MiB with the tree: over 64 MiB; run prepare again" >&2; bad=1
    else
      echo "$k: $(mib "$size") MiB + tree $(mib "$tree") MiB = $(mib $((tree + size))) MiB (limit 64)"
    fi
  done
  local built
  built=$(cat "$gpu/version" 2>/dev/null || echo "?")
  [[ $built == "$(git rev-parse --short=12 HEAD)" ]] || say "note: the packed binary is $built, HEAD is $(git rev-parse --short=12 HEAD)"
  return $bad
}

cmd_step() {
  local budget=${1:-540} t0 store out backend
  t0=$(date +%s)
  store=${CAMPAIGN_STORE:-${HOME:-/root}/nqsnn-data}
  out=${OUT:-campaign-out}
  backend=${BACKEND:-xla:cuda}
  mkdir -p "$store" "$out"
  local log=$out/status.txt
  : > "$log"
  local rc=0 synclog
  synclog=$(mktemp)
  py sync --tree . --store "$store" > "$synclog" 2>&1 || rc=$?
  tee -a "$log" < "$synclog"
  rm -f "$synclog"
  case $rc in
    0) ;;
    4) say "upload continues; nothing to train yet" | tee -a "$log"; exit 0 ;;
    3) say "the machine lacks uploaded files (see RESEND above); no training this call" | tee -a "$log"; exit 3 ;;
    *) say "taking in the uploads failed (exit $rc)" | tee -a "$log"; exit "$rc" ;;
  esac
  local bin=$store/bin/nqsnn version device
  version=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["version"])' "$store/manifest.json")
  device=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 || true)
  [[ -n $device ]] || device="$(nproc) CPU cores, no GPU"
  local queue=() slots=${CAMPAIGN_RUNS:-2}
  if ((slots == 0)); then
    say "uploads complete and verified; CAMPAIGN_RUNS=0: no training" | tee -a "$log"
    exit 0
  fi
  mapfile -t queue < <(py next-runs --plan "$plan" --store "$store" --max 99)
  if ((${#queue[@]} == 0)); then
    say "every run of the plan meant for lent machines is finished" | tee -a "$log"
    pack_all "$store" "$out" "$version" "$device" 0 1
    py status --plan "$plan" --store "$store" | tee -a "$log"
    exit 0
  fi
  export NQSNN_DATA_DIR=$store CIFAR10_DIR=$store/cifar-10-batches-bin NQSNN_BACKEND=$backend GOPJRT_CUDA_CHECKS=0 TF_FORCE_GPU_ALLOW_GROWTH=true
  local margin=${CAMPAIGN_MARGIN:-25} grace=15 parallel=${CAMPAIGN_PARALLEL:-1} min_start=${CAMPAIGN_MIN_START:-180}
  secs_left() { echo $((budget - ($(date +%s) - t0) - margin)); }
  local runs=() run running=0 share n
  if [[ $parallel == 1 ]]; then
    # Up to $slots runs side by side; when one ends early (finished), the next run of the plan
    # takes its place if enough of the call is left.
    say "training on $device ($backend, code $version), $(secs_left) s, up to $slots runs side by side" | tee -a "$log"
    while ((${#queue[@]} > 0 || running > 0)); do
      if ((${#queue[@]} > 0 && running < slots)) && { ((${#runs[@]} < slots)) || (($(secs_left) > min_start)); }; then
        run=${queue[0]} queue=("${queue[@]:1}")
        runs+=("$run")
        say "$run: starting with $(secs_left) s left" | tee -a "$log"
        start_run "$run" "$(secs_left)" "$store" "$bin" &
        running=$((running + 1))
        continue
      fi
      ((running > 0)) || break
      wait -n || true
      running=$((running - 1))
    done
  else
    runs=("${queue[@]:0:slots}")
    say "training ${runs[*]} on $device ($backend, code $version), $(secs_left) s, one after the other" | tee -a "$log"
    n=${#runs[@]}
    for run in "${runs[@]}"; do
      share=$(($(secs_left) / n))
      n=$((n - 1))
      start_run "$run" "$share" "$store" "$bin" || true
    done
  fi
  pack_all "$store" "$out" "$version" "$device" "$(( $(date +%s) - t0 ))" "$parallel" "${runs[@]}"
  echo | tee -a "$log"
  py status --plan "$plan" --store "$store" --trained "$(IFS=,; echo "${runs[*]}")" | tee -a "$log"
  local r failed=0
  for r in "${runs[@]}"; do
    rc=$(cat "$store/runs/$r.rc" 2>/dev/null || echo "?")
    case $rc in
      0 | 130 | 124) ;;
      *) failed=1; say "$r failed (exit $rc); the end of its log:" | tee -a "$log"; tail -20 "$store/runs/$r.log" | tee -a "$log" ;;
    esac
  done
  return $failed
}

# start_run RUN SECONDS STORE BIN: trains (or resumes, or evaluates) RUN for at most SECONDS.
start_run() {
  local run=$1 secs=$2 store=$3 bin=$4 line args hard tb
  line=$(py stage --plan "$plan" --store "$store" --run "$run")
  read -ra args <<< "$line"
  ((${#args[@]} >= 2)) || { echo 1 > "$store/runs/$run.rc"; return 1; }
  hard=$((secs - grace))
  if ((hard < 10)); then
    echo "no time left in this call" > "$store/runs/$run.log"
    echo 0 > "$store/runs/$run.rc"
    return 0
  fi
  tb=$(py budget --plan "$plan" --store "$store" --run "$run" --hard "$hard" --eval-reserve "${CAMPAIGN_EVAL_RESERVE:-120}")
  local rc=0
  timeout -s TERM -k "$grace" "$hard" "$bin" run "${args[@]}" -quiet -time-budget "${tb}s" > "$store/runs/$run.log" 2>&1 || rc=$?
  echo "$rc" > "$store/runs/$run.rc"
  echo "$(date +%s)" > "$store/runs/$run.end"
}

# pack_all STORE OUT VERSION DEVICE WALL PARALLEL RUN...: one RUN.tar.xz in $OUT per run
# trained, and per run whose state here is ahead of the committed one (an earlier call's files
# that were not collected come back again).
pack_all() {
  local store=$1 out=$2 version=$3 device=$4 wall=$5 parallel=$6 r extra=()
  shift 6
  local trained=$#
  mapfile -t extra < <(py uncommitted --plan "$plan" --store "$store")
  for r in "${extra[@]}"; do [[ " $* " == *" $r "* ]] || set -- "$@" "$r"; done
  for r in "$@"; do
    py pack-run --plan "$plan" --store "$store" --run "$r" --out "$out" --log "$store/runs/$r.log" \
      --wall "$wall" --rc "$(cat "$store/runs/$r.rc" 2>/dev/null || echo 0)" --device "$device" \
      --version "$version" --parallel "$([[ $parallel == 1 ]] && echo "$trained" || echo 1)"
  done
  local f
  for r in "$@"; do
    f=$out/$r.tar.xz
    [[ -f $f ]] && echo "returned: $f ($(mib "$(stat -c %s "$f")") MiB)" | tee -a "$out/status.txt"
  done
}

cmd_collect() {
  local dir=${1:?usage: campaign.sh collect DIR}
  py collect --plan "$plan" --repo . "$dir"
  py status-md --plan "$plan" --repo .
  if [[ -f results/campaign/.finished ]]; then
    say "finished: $(tr '\n' ' ' < results/campaign/.finished); redrawing figures/"
    if [[ ${CAMPAIGN_FIGURES:-1} == 1 ]]; then
      if [[ -n ${NQSNN_BIN:-} ]]; then "$NQSNN_BIN" figures; else go run ./cmd/nqsnn figures; fi
    fi
    rm -f results/campaign/.finished
  fi
  say "now commit the state: git add results figures && git commit -m 'campaign: collect'"
}

cmd_status() {
  py status --plan "$plan" --repo . --all
}

cmd_finish() {
  local run=${1:?usage: campaign.sh finish RUN} store=$gpu/finish
  rm -rf "$store" && mkdir -p "$store/runs" "$store/out"
  local line args
  line=$(py stage --plan "$plan" --store "$store" --run "$run")
  read -ra args <<< "$line"
  [[ ${args[0]} == -resume ]] || { say "$run has not started; nothing to evaluate" >&2; exit 1; }
  local bin=${NQSNN_BIN:-$gpu/build/nqsnn}
  [[ -x $bin ]] || { go build -o "$store/nqsnn" ./cmd/nqsnn; bin=$store/nqsnn; }
  local rc=0 t0
  t0=$(date +%s)
  NQSNN_BACKEND=${BACKEND:-auto} "$bin" run "${args[@]}" -quiet 2>&1 | tee "$store/runs/$run.log" || rc=${PIPESTATUS[0]}
  py pack-run --plan "$plan" --store "$store" --run "$run" --out "$store/out" --log "$store/runs/$run.log" \
    --wall $(($(date +%s) - t0)) --rc "$rc" --device "here: $(nproc) CPU cores" --version "$(git rev-parse --short=12 HEAD)"
  cmd_collect "$store/out"
}

case ${1:-} in
  prepare) cmd_prepare ;;
  check) cmd_check ;;
  step) shift; cmd_step "$@" ;;
  collect) shift; cmd_collect "$@" ;;
  status) cmd_status ;;
  finish) shift; cmd_finish "$@" ;;
  calls) calls ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
