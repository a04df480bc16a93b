#!/usr/bin/env bash
# End-to-end check of scripts/campaign.sh on this machine, with a simulated GPU machine:
# a scratch copy of the repository (its own git history), a "remote" tree that receives what a
# device call would carry (and is checked against the 64 MiB limit), a persistent folder in
# place of the machine's store, and the machine "going back" = both deleted. A tiny plan (small
# CNN on 128 CIFAR-10 images, 40 epochs, nq and qcfs side by side, paper augmentation, pure-Go
# backend) goes through:
#   lend 1: upload folder 1; the machine goes back; folder 2 alone (must fail fast, naming
#           folder 1); the machine goes back again; all folders in order; training stopped by the
#           time budget; one more call on the warm machine; collect both calls' files and commit
#   damage: a rebuilt data file is corrupted and its pieces lost (must fail fast, naming them)
#   lend 2: a fresh machine: a call with nothing carried (must fail fast); all folders; training
#           to the end and the test evaluation; collect (results/RUN/, figures/) and commit
# and the nq run's per-epoch metrics (loss, accuracies, λ, μ, σ) and test results must equal
# those of one uninterrupted run. Needs the CIFAR-10 folder that prepare uses; the first run
# compresses it (minutes; cached in .gpu/cache). A few minutes on 2 cores.
#   bash scripts/campaign-selftest.sh          (KEEP=1 keeps the scratch folder)
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/campaign-selftest.XXXXXX")
cleanup() { if [[ ${KEEP:-0} == 1 ]]; then echo "selftest: kept $T"; else rm -rf "$T"; fi; }
trap cleanup EXIT
fail() { echo "selftest: FAIL: $*" >&2; exit 1; }
ok() { echo "selftest: ok: $*"; }
t_start=$(date +%s)

# The pure-Go backend: two identical runs on it give identical numbers. (XLA CPU does not: two
# uninterrupted runs of this tiny setting part after a few epochs, when a validation accuracy or
# the calibrated σ differs, so it cannot show that resuming changes nothing.)
export BACKEND=${BACKEND:-go}
CIFAR10_DIR=$(cd "${CIFAR10_DIR:-$src/../shared/data/cifar-10-batches-bin}" && pwd) ||
  fail "no CIFAR-10 folder (set CIFAR10_DIR to the official cifar-10-batches-bin with SHA256SUMS)"
export CIFAR10_DIR

# The scratch repository: this working tree (tracked and untracked, not ignored), committed.
repo=$T/repo
mkdir -p "$repo"
git ls-files -z -c -o --exclude-standard | xargs -0 cp --parents -P -t "$repo" 2>/dev/null || true
mkdir -p "$repo/.gpu"
[[ -d .gpu/cache ]] && cp -r .gpu/cache "$repo/.gpu/"
plan=$repo/results/campaign/plan.tsv
flags="-dataset cifar10 -model cnn -train-limit 128 -epochs 40 -batch-size 32 -val-fraction 0.002 -calib-batches 1 -augment paper -t 1,2 -seed 7"
{
  echo "# self-test plan"
  printf '1\ttiny-nq\tyes\t%s -strategy nq\n' "$flags"
  printf '1\ttiny-qcfs\tyes\t%s -strategy qcfs\n' "$flags"
  printf '2\ttiny-big\tno\t%s -strategy nq -model vgg16\n' "$flags"
} > "$plan"
cd "$repo"
git init -q && git config user.email selftest@localhost && git config user.name selftest
git add -A && git commit -qm "self-test base"

echo "selftest: prepare (backend for training: $BACKEND)"
bash scripts/campaign.sh prepare > "$T/prepare.log" 2>&1 || { cat "$T/prepare.log"; fail "prepare"; }
grep -E "CIFAR-10:|upload-[0-9]+:|carries" "$T/prepare.log"
K=$(ls -d .gpu/upload-* | wc -l)
((K >= 2)) || fail "expected at least 2 upload folders, got $K"
bin=$repo/.gpu/build/nqsnn
ok "prepare: $K upload folders"

# The uninterrupted reference run of the nq run, alongside.
(cd "$T" && NQSNN_DATA_DIR=$(dirname "$CIFAR10_DIR") NQSNN_BACKEND=$BACKEND "$bin" run $flags -strategy nq -quiet -out "$T/reference" > "$T/reference.log" 2>&1) &
ref_pid=$!

remote=$T/remote store=$T/machine-store ncall=0
machine_back() { rm -rf "$remote" "$store"; }
# device BUDGET [CARRY...]: one simulated device call; sets $rc, $out, $log.
device() {
  local budget=$1 c bytes
  shift
  ncall=$((ncall + 1))
  out=$T/out-$ncall log=$T/call-$ncall.log
  mkdir -p "$remote" "$out"
  git ls-files -z -c -o --exclude-standard | xargs -0 cp --parents -P -f -t "$remote"
  for c in "$@"; do rm -rf "${remote:?}/$c"; mkdir -p "$remote/$(dirname "$c")"; cp -r "$c" "$remote/$c"; done
  bytes=$( (git ls-files -z -c -o --exclude-standard; for c in "$@"; do find "$c" -type f -print0; done) |
    python3 -c 'import os,sys; print(sum(os.lstat(n).st_size for n in set(sys.stdin.buffer.read().split(b"\0")) if n))')
    ((bytes <= 64 << 20)) || fail "call $ncall carries $bytes bytes, over 64 MiB"
  rc=0
  (cd "$remote" && unset CIFAR10_DIR NQSNN_DATA_DIR && OUT=$out CAMPAIGN_STORE=$store CAMPAIGN_EVAL_RESERVE=200 CAMPAIGN_MARGIN=10 \
    timeout $((budget + 60)) bash scripts/campaign.sh step "$budget") > "$log" 2>&1 || rc=$?
  python3 - "$out" <<'EOF' || fail "call $ncall: \$OUT breaks the limits"
import os, sys
out = sys.argv[1]
files = [os.path.join(d, f) for d, _, fs in os.walk(out) for f in fs]
assert len(files) <= 8, f"{len(files)} files"
assert all(os.path.getsize(f) <= 16 << 20 for f in files), "a file over 16 MiB"
assert sum(os.path.getsize(f) for f in files) <= 64 << 20, "over 64 MiB in all"
assert all(os.path.relpath(f, out).count(os.sep) <= 2 for f in files), "too deep"
EOF
  echo "selftest: call $ncall (carry: ${*:-nothing}, $((bytes >> 20)) MiB): exit $rc"
}
expect() { # expect RC PATTERN WHAT
  [[ $rc == "$1" ]] && grep -q -- "$2" "$log" || { cat "$log"; fail "$3: want exit $1 and '$2'"; }
  ok "$3"
}

echo "selftest: lend 1"
device 60 .gpu/upload-1
expect 0 "NEXT: upload-2" "upload-1 taken in, upload-2 asked for"
machine_back
t0=$(date +%s)
device 60 .gpu/upload-2
expect 3 "MISSING: upload-1" "after the machine went back, a lone upload-2 names the missing upload-1"
(($(date +%s) - t0 < 30)) || fail "the failing call took $(($(date +%s) - t0)) s"
machine_back # and once more: a fresh machine, the folders in order
for ((k = 1; k < K; k++)); do
  device 60 ".gpu/upload-$k"
  expect 0 "NEXT: upload-$((k + 1))" "upload-$k taken in, upload-$((k + 1)) asked for"
done
CAMPAIGN_RUNS=0 device 200 ".gpu/upload-$K"
expect 0 "data verified against SHA256SUMS" "the last folder completes the data, verified against SHA256SUMS"

# Budgets from the reference run's epoch time on this machine now (it runs alongside, as the
# two campaign runs will): about six epochs per call, after the step's margins and start-up.
until [[ $(wc -l < "$T/reference/metrics.jsonl" 2>/dev/null || echo 0) -ge 3 ]]; do
  kill -0 "$ref_pid" 2>/dev/null || { cat "$T/reference.log"; fail "reference run"; }
  sleep 2
done
e_ref=$(python3 -c 'import json, sys
m = sorted(json.loads(l)["seconds"] for l in list(open(sys.argv[1]))[:3])
print(max(1, round(m[1])))' "$T/reference/metrics.jsonl")
echo "selftest: the reference run takes $e_ref s per epoch"
device $((45 + 9 * e_ref))
[[ $rc == 0 ]] || { cat "$log"; fail "the first training call"; }
sed -n '/^tiny-/p' "$log"
grep -q "^tiny-nq: epoch 40/40" "$log" && fail "this machine is too fast for the self-test's budgets: the nq run should have been stopped part-way"
first_out=$out
device $((45 + 9 * e_ref))
[[ $rc == 0 ]] || { cat "$log"; fail "the second training call"; }
sed -n '/^tiny-/p' "$log"
grep -q "^tiny-nq: epoch [0-9]*/40 (+[1-9][0-9]* this call)" "$log" ||
  { cat "$log"; fail "the warm machine's second call did not continue the nq run"; }
ok "a second call on the warm machine continues from the machine's copy"
for o in "$first_out" "$out"; do
  tar -xOJf "$o/tiny-nq.tar.xz" log.txt | grep -E "the time budget leaves no room for epoch|stopping after the current batch" || true
done | grep -q . || fail "neither call stopped the nq run by its time budget"
ok "the training calls stopped the runs by their time budget"
bash scripts/campaign.sh collect "$first_out" > "$T/collect1.log" && bash scripts/campaign.sh collect "$out" >> "$T/collect1.log" ||
  { cat "$T/collect1.log"; fail "collect"; }
bash scripts/campaign.sh collect "$first_out" >> "$T/collect1.log" || fail "collecting older files again"
grep -q "kept the committed state" "$T/collect1.log" || { cat "$T/collect1.log"; fail "older files must not replace newer state"; }
e1=$(wc -l < results/campaign/tiny-nq/metrics.jsonl)
((e1 >= 1 && e1 < 40)) || fail "after lend 1 the nq run should be part-way, it is at epoch $e1"
[[ -f results/campaign/tiny-nq/state.tar.xz ]] || fail "no committed resume state"
git add -A results && git commit -qm "self-test: collect lend 1"
ok "lend 1 collected and committed: nq at epoch $e1, state $(du -h results/campaign/tiny-nq/state.tar.xz | cut -f1)"
bash scripts/campaign.sh check || echo "selftest: the committed state outgrew the folders (as expected with a 2 MiB reserve)"
echo "selftest: prepare again, as the next session does"
bash scripts/campaign.sh prepare > "$T/prepare2.log" 2>&1 || { cat "$T/prepare2.log"; fail "prepare for lend 2"; }
bash scripts/campaign.sh check || fail "fresh upload folders do not fit"
K=$(ls -d .gpu/upload-* | wc -l)

echo "selftest: damage on a warm machine"
python3 - "$store/cifar-10-batches-bin/data_batch_3.bin" <<'EOF'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(12345); b = f.read(1); f.seek(12345); f.write(bytes([b[0] ^ 1]))
EOF
python3 - "$store" <<'EOF'
import json, os, sys
store = sys.argv[1]
m = json.load(open(os.path.join(store, "manifest.json")))
for f in m["files"]:
    if f["name"].endswith("data_batch_3.bin"):
        for p in f["pieces"]:
            os.remove(os.path.join(store, "pieces", p["sha256"]))
        print("removed pieces of data_batch_3.bin from upload folder(s)", sorted({p["folder"] for p in f["pieces"]}))
EOF
device 60
expect 3 "MISSING: upload-" "a corrupted data file without its pieces is named, nothing trained"

echo "selftest: lend 2 (a fresh machine)"
machine_back
t0=$(date +%s)
device 60
expect 3 "the machine is fresh" "a fresh machine with nothing carried fails fast"
for ((k = 1; k < K; k++)); do device 60 ".gpu/upload-$k"; [[ $rc == 0 ]] || { cat "$log"; fail "upload-$k"; }; done
device 900 ".gpu/upload-$K"
[[ $rc == 0 ]] || { cat "$log"; fail "the training call of lend 2"; }
sed -n '/^tiny-/p' "$log"
grep -q "^tiny-nq: epoch 40/40.*(done)" "$log" || { cat "$log"; fail "the nq run should be finished and evaluated"; }
bash scripts/campaign.sh collect "$out" > "$T/collect2.log" 2>&1 || { cat "$T/collect2.log"; fail "collect lend 2"; }
git add -A results figures && git commit -qm "self-test: collect lend 2"
for f in checkpoint config.json diagnostics.json metrics.jsonl results.json; do
  [[ -f results/tiny-nq/$f ]] || fail "results/tiny-nq/$f missing"
done
[[ -f figures/tiny-nq/accuracy_vs_t.png && -f figures/compare-tiny/compare_accuracy_vs_t.png ]] || fail "figures not drawn"
[[ ! -f results/campaign/tiny-nq/state.tar.xz ]] || fail "a finished run keeps no resume state"
grep -q "tiny-nq.*done" results/campaign/STATUS.md || fail "STATUS.md"
device 60
expect 0 "every run of the plan meant for lent machines is finished" "nothing left to train"
ok "lend 2: finished, evaluated, collected into results/ and figures/"

echo "selftest: waiting for the uninterrupted reference run"
wait "$ref_pid" || { cat "$T/reference.log"; fail "reference run"; }
python3 - "$T/reference" results/tiny-nq "$store" <<'EOF' || fail "the campaign's run differs from the uninterrupted one"
import json, math, sys
ref, got, store = sys.argv[1:]
a = [json.loads(l) for l in open(f"{ref}/metrics.jsonl")]
b = [json.loads(l) for l in open(f"{got}/metrics.jsonl")]
assert len(a) == len(b) == 40, (len(a), len(b))
worst = 0.0
def cmp(x, y, where):
    global worst
    if isinstance(x, list):
        assert len(x) == len(y), where
        for i, (u, v) in enumerate(zip(x, y)):
            cmp(u, v, f"{where}[{i}]")
    elif isinstance(x, float) or isinstance(y, float):
        worst = max(worst, abs(x - y))
        assert abs(x - y) <= 1e-6, f"{where}: {x} vs {y}"
    else:
        assert x == y, f"{where}: {x} vs {y}"
for i, (x, y) in enumerate(zip(a, b)):
    for k in x:
        if k != "seconds":
            cmp(x[k], y[k], f"epoch {i + 1} {k}")
ra, rb = json.load(open(f"{ref}/results.json")), json.load(open(f"{got}/results.json"))
cmp(ra["test_ann_accuracy"], rb["test_ann_accuracy"], "test ANN")
cmp(ra["snn_accuracy"], rb["snn_accuracy"], "test SNN")
assert rb["data"]["source"].startswith(store), rb["data"]["source"]
print(f"selftest: ok: 40 epochs (loss, accuracies, λ, μ, σ) and the test results equal the uninterrupted run's "
      f"(largest difference {worst:.1e}); losses {a[0]['loss']:.4f} … {a[-1]['loss']:.4f}; "
      f"test ANN {100 * rb['test_ann_accuracy']:.2f}%")
EOF
grep -c . results/campaign/lends.tsv > /dev/null
echo "selftest: lends.tsv:"; column -t -s $'\t' results/campaign/lends.tsv | cut -c1-160
echo "selftest: PASS ($(($(date +%s) - t_start)) s)"
