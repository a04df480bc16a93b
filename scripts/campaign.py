#!/usr/bin/env python3
"""Helpers of scripts/campaign.sh: the long CIFAR-10 training campaign on short GPU lends.

Python 3 standard library only (it runs on a bare GPU machine too). Subcommands:

  pack-cifar SRC DST          compress one CIFAR binary batch file (lossless, ≈61 % of raw)
  unpack-cifar SRC DST        the inverse
  uploads ...                 split the payload (binary + data) into upload folders with a manifest
  sync --tree T --store S     on the GPU machine: take in carried upload folders, rebuild and
                              verify the binary and the data; exit 0 when complete, 4 when
                              waiting for later folders, 3 when earlier ones are missing
  next-runs, stage, budget, pack-run, status   the training step (see campaign.sh)
  collect DIR                 here: fold what came back from the machine into results/campaign/
  status-md                   here: rewrite results/campaign/STATUS.md

CIFAR compression: each record is 1 label byte + 3 planes of 32×32. The labels go first,
then the pixels interleaved R,G,B per pixel, compressed by xz with three delta filters
(dist 3 = left neighbour of the same colour, dist 96 = the pixel above, dist 1 = the colour
before) and LZMA2 with lc=4, pb=0: a PNG-style gradient predictor with colour
decorrelation that xz itself undoes. Only the interleaving is done here.
"""
import argparse
import concurrent.futures
import hashlib
import io
import json
import lzma
import os
import shutil
import sys
import tarfile
import time

MIB = 1 << 20
RECORD = 3073
CIFAR_FILTERS = [
    {"id": lzma.FILTER_DELTA, "dist": 3},
    {"id": lzma.FILTER_DELTA, "dist": 96},
    {"id": lzma.FILTER_DELTA, "dist": 1},
    {"id": lzma.FILTER_LZMA2, "preset": 6, "lc": 4, "lp": 0, "pb": 0},
]
MANIFEST = "manifest.json"
# Files of a run directory that travel and are kept (figures are redrawn from results.json).
RUN_FILES = ["config.json", "metrics.jsonl", "resume.ckpt", "checkpoint", "results.json", "diagnostics.json"]
STATE_FILES = ["resume.ckpt", "checkpoint"]
FINAL_FILES = ["checkpoint", "config.json", "diagnostics.json", "metrics.jsonl", "results.json"]


def die(msg, code=1):
    print(f"campaign: {msg}", file=sys.stderr)
    sys.exit(code)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(4 * MIB)
            if not b:
                return h.hexdigest()
            h.update(b)


def write_atomic(path, data, mode=0o644):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


# ---------------------------------------------------------------- CIFAR codec

def cifar_encode(raw):
    if len(raw) % RECORD:
        raise ValueError(f"size {len(raw)} is not a multiple of the CIFAR-10 record size {RECORD}")
    n = len(raw) // RECORD
    out = bytearray(n + 3072 * n)
    out[:n] = raw[0::RECORD]
    for i in range(n):
        o, s = n + 3072 * i, RECORD * i + 1
        out[o:o + 3072:3] = raw[s:s + 1024]
        out[o + 1:o + 3072:3] = raw[s + 1024:s + 2048]
        out[o + 2:o + 3072:3] = raw[s + 2048:s + 3072]
    return lzma.compress(bytes(out), format=lzma.FORMAT_XZ, filters=CIFAR_FILTERS)


def cifar_decode(packed):
    buf = lzma.decompress(packed)
    if len(buf) % RECORD:
        raise ValueError("decoded size is not a multiple of the record size")
    n = len(buf) // RECORD
    raw = bytearray(len(buf))
    raw[0::RECORD] = buf[:n]
    for i in range(n):
        o, s = n + 3072 * i, RECORD * i + 1
        raw[s:s + 1024] = buf[o:o + 3072:3]
        raw[s + 1024:s + 2048] = buf[o + 1:o + 3072:3]
        raw[s + 2048:s + 3072] = buf[o + 2:o + 3072:3]
    return bytes(raw)


def decode(kind, packed):
    if kind == "cifar":
        return cifar_decode(packed)
    if kind == "xz":
        return lzma.decompress(packed)
    if kind == "raw":
        return packed
    raise ValueError(f"unknown payload kind {kind!r}")


def cmd_pack_cifar(a):
    raw = open(a.src, "rb").read()
    packed = cifar_encode(raw)
    if cifar_decode(packed) != raw:
        die(f"{a.src}: the round trip does not give the file back")
    write_atomic(a.dst, packed)
    print(f"{os.path.basename(a.src)}: {len(raw)} → {len(packed)} bytes ({100 * len(packed) / len(raw):.2f} %)")


def cmd_unpack_cifar(a):
    write_atomic(a.dst, cifar_decode(open(a.src, "rb").read()))


# ---------------------------------------------------------------- uploads (here)

def cmd_uploads(a):
    """Splits payload files into upload-1..K folders of at most a.capacity bytes each.

    a.payload is a JSON list of {"name": output path in the store, "packed": local file,
    "kind": cifar|xz|raw, "sha256": of the decoded file, "size": decoded size, "mode": "755"?}.
    """
    spec = json.load(open(a.payload))
    cap = a.capacity - 256 * 1024  # room for the manifest
    if cap < MIB:
        die(f"an upload folder would hold only {a.capacity} bytes: the tree leaves too little of the 64 MiB")
    for d in os.listdir(a.out):
        if d.startswith("upload-"):
            shutil.rmtree(os.path.join(a.out, d))
    folder, used, files = 1, 0, []
    for f in spec:
        data = open(f["packed"], "rb").read()
        entry = dict(f, packed_size=len(data), packed_sha256=hashlib.sha256(data).hexdigest(), pieces=[])
        entry.pop("packed")
        off = 0
        while off < len(data):
            if used >= cap:
                folder, used = folder + 1, 0
            piece = data[off:off + (cap - used)]
            sha = hashlib.sha256(piece).hexdigest()
            write_atomic(os.path.join(a.out, f"upload-{folder}", sha), piece)
            entry["pieces"].append({"folder": folder, "sha256": sha, "size": len(piece)})
            off += len(piece)
            used += len(piece)
        files.append(entry)
    manifest = {"format": 1, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "version": a.version, "folders": folder, "files": files}
    blob = (json.dumps(manifest, indent=1) + "\n").encode()
    for k in range(1, folder + 1):
        write_atomic(os.path.join(a.out, f"upload-{k}", MANIFEST), blob)
    for k in range(1, folder + 1):
        d = os.path.join(a.out, f"upload-{k}")
        size = sum(os.path.getsize(os.path.join(d, x)) for x in os.listdir(d))
        names = sorted({f["name"] for f in files for p in f["pieces"] if p["folder"] == k})
        print(f"upload-{k}\t{size}\t{', '.join(names)}")


# ---------------------------------------------------------------- sync (GPU machine)

def folder_list(ks):
    return ", ".join(f"upload-{k}" for k in sorted(ks))


def cmd_sync(a):
    """Takes in the upload folders present in the tree, then rebuilds and verifies every file."""
    store = a.store
    pieces_dir = os.path.join(store, "pieces")
    os.makedirs(pieces_dir, exist_ok=True)
    gpu = os.path.join(a.tree, ".gpu")
    carried = []
    if os.path.isdir(gpu):
        for d in sorted(os.listdir(gpu)):
            if d.startswith("upload-") and os.path.isfile(os.path.join(gpu, d, MANIFEST)):
                carried.append(os.path.join(gpu, d))
    manifest = None
    for d in carried:
        m = json.load(open(os.path.join(d, MANIFEST)))
        k = int(os.path.basename(d).split("-")[1])
        bad = 0
        for f in m["files"]:
            for p in f["pieces"]:
                if p["folder"] != k:
                    continue
                src, dst = os.path.join(d, p["sha256"]), os.path.join(pieces_dir, p["sha256"])
                if os.path.isfile(dst) and os.path.getsize(dst) == p["size"]:
                    continue
                if not os.path.isfile(src) or sha256_file(src) != p["sha256"]:
                    bad += 1
                    continue
                shutil.copyfile(src, dst + ".tmp")
                os.replace(dst + ".tmp", dst)
        if bad:
            print(f"upload-{k}: {bad} piece(s) missing or damaged in transit; send it again")
        else:
            print(f"upload-{k}: taken in ({sum(os.path.getsize(os.path.join(d, x)) for x in os.listdir(d)) / MIB:.1f} MiB)")
            shutil.rmtree(d, ignore_errors=True)  # taken in: no need to hash it again on the next call
        manifest = m
    mpath = os.path.join(store, MANIFEST)
    if manifest is not None:
        write_atomic(mpath, (json.dumps(manifest, indent=1) + "\n").encode())
    elif os.path.isfile(mpath):
        manifest = json.load(open(mpath))
    else:
        print(f"nothing has been uploaded to this machine ({store} is empty): the machine is fresh.")
        print("RESEND: all upload folders, one per call, starting with upload-1")
        return 3
    carried_k = {int(os.path.basename(d).split("-")[1]) for d in carried}

    # Rebuild what is complete; verify what is there (checksums, every call: nothing is trusted).
    missing, jobs, ok = set(), [], []
    for f in manifest["files"]:
        out = os.path.join(store, f["name"])
        if os.path.isfile(out) and os.path.getsize(out) == f["size"] and sha256_file(out) == f["sha256"]:
            ok.append(f["name"])
            continue
        lack = [p for p in f["pieces"] if not os.path.isfile(os.path.join(pieces_dir, p["sha256"]))
                or os.path.getsize(os.path.join(pieces_dir, p["sha256"])) != p["size"]]
        if lack:
            missing.update(p["folder"] for p in lack)
        else:
            jobs.append(f)
    if missing:
        lost = {k for k in missing if not carried_k or k < max(carried_k)}
        have = sorted(set(range(1, manifest["folders"] + 1)) - missing)
        print(f"store {store}: {len(ok) + len(jobs)} of {len(manifest['files'])} files complete; "
              f"folders present: {folder_list(have) or 'none'}; missing: {folder_list(missing)}")
        if lost:
            why = ("nothing was carried this call" if not carried_k else
                   "the machine was handed back (or restarted) since they were sent, or they were never sent")
            print(f"MISSING: {folder_list(lost)} ({why})")
            print(f"RESEND: {folder_list(missing)}, one per call")
            return 3
        print(f"NEXT: {folder_list([min(missing)])} (then {folder_list(sorted(missing)[1:]) or 'training starts'})")
        return 4
    if jobs:
        t0 = time.time()
        with concurrent.futures.ProcessPoolExecutor(max_workers=min(len(jobs), os.cpu_count() or 1)) as ex:
            errs = list(ex.map(rebuild, [store] * len(jobs), jobs))
        for e in errs:
            if e:
                print(e)
        if any(errs):
            return 3
        print(f"rebuilt {len(jobs)} file(s) in {time.time() - t0:.1f} s")
    # The data set's own checksums, as published with it: every file it lists was just hashed
    # (above, or when rebuilt) and must carry that checksum.
    data = os.path.join(store, "cifar-10-batches-bin")
    sums = os.path.join(data, "SHA256SUMS")
    if os.path.isfile(sums):
        verified = {f["name"]: f["sha256"] for f in manifest["files"]}
        for line in open(sums):
            want, name = line.split()
            if verified.get("cifar-10-batches-bin/" + name) != want:
                print(f"{name}: its checksum differs from SHA256SUMS (or it was not uploaded)")
                return 3
        print(f"data verified against SHA256SUMS ({data})")
    return 0


def rebuild(store, f):
    try:
        packed = b"".join(open(os.path.join(store, "pieces", p["sha256"]), "rb").read() for p in f["pieces"])
        if hashlib.sha256(packed).hexdigest() != f["packed_sha256"]:
            return f"{f['name']}: reassembled pieces do not match; resend the folders holding it"
        data = decode(f["kind"], packed)
        if hashlib.sha256(data).hexdigest() != f["sha256"]:
            return f"{f['name']}: decoded file does not match its checksum"
        write_atomic(os.path.join(store, f["name"]), data, int(f.get("mode", "644"), 8))
        return ""
    except Exception as e:  # reported, not raised: the other files still rebuild
        return f"{f['name']}: {e}"


# ---------------------------------------------------------------- plan and run state

def read_plan(path):
    runs = []
    for line in open(path):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.rstrip("\n").split("\t")
        if len(parts) != 4:
            die(f"{path}: want 4 tab-separated columns (phase, run, lent, flags), got {line!r}")
        phase, run, lent, flags = parts
        runs.append({"phase": phase, "run": run, "lent": lent == "yes", "flags": flags})
    return runs


def flag_value(flags, name, default=None):
    f = flags.split()
    for i, x in enumerate(f):
        if x in ("-" + name, "--" + name) and i + 1 < len(f):
            return f[i + 1]
        if x.startswith(f"-{name}=") or x.startswith(f"--{name}="):
            return x.split("=", 1)[1]
    return default


def read_metrics(path):
    if not os.path.isfile(path):
        return []
    return [json.loads(l) for l in open(path) if l.strip()]


def total_epochs(run, state_dir):
    for p in (os.path.join(state_dir, "config.json"),):
        if os.path.isfile(p):
            return json.load(open(p))["epochs"]
    e = flag_value(run["flags"], "epochs")
    if e:
        return int(e)
    return 400 if flag_value(run["flags"], "preset") == "paper" else 10


def committed_dir(repo, run):
    return os.path.join(repo, "results", "campaign", run)


def final_dir(repo, run):
    return os.path.join(repo, "results", run)


def is_finished(repo, run):
    return os.path.isfile(os.path.join(final_dir(repo, run), "results.json")) and \
        os.path.isfile(os.path.join(committed_dir(repo, run), "config.json"))


def machine_progress(d):
    """(epochs done, finished) of a run directory on the machine."""
    return len(read_metrics(os.path.join(d, "metrics.jsonl"))), os.path.isfile(os.path.join(d, "results.json"))


def cmd_next_runs(a):
    n = 0
    for r in read_plan(a.plan):
        if not r["lent"] or is_finished(a.repo, r["run"]):
            continue
        if a.store and machine_progress(os.path.join(a.store, "runs", r["run"]))[1]:
            continue  # finished on this machine, not yet collected
        print(r["run"])
        n += 1
        if n == a.max:
            break


def cmd_uncommitted(a):
    """Runs whose state on the machine is ahead of the committed one (so a call returns it
    again until it has been collected and committed)."""
    for r in read_plan(a.plan):
        d = os.path.join(a.store, "runs", r["run"])
        if not os.path.isfile(os.path.join(d, "config.json")):
            continue
        epochs, done = machine_progress(d)
        committed = len(read_metrics(os.path.join(committed_dir(a.repo, r["run"]), "metrics.jsonl")))
        if epochs > committed or (done and not is_finished(a.repo, r["run"])):
            print(r["run"])


def same_config(a, b):
    return json.load(open(a)) == json.load(open(b))


def cmd_stage(a):
    """Prepares the machine's run directory: the committed state, or the machine's own copy
    when it is further along and continues the committed history. Prints the nqsnn
    arguments: fresh flags or -resume."""
    run = next((r for r in read_plan(a.plan) if r["run"] == a.run), None)
    if run is None:
        die(f"run {a.run} is not in {a.plan}")
    src, dst = committed_dir(a.repo, a.run), os.path.join(a.store, "runs", a.run)
    committed = read_metrics(os.path.join(src, "metrics.jsonl"))
    have_committed = os.path.isfile(os.path.join(src, "config.json"))
    local = read_metrics(os.path.join(dst, "metrics.jsonl"))
    use_local = os.path.isfile(os.path.join(dst, "config.json")) and len(local) >= len(committed)
    if use_local and have_committed:
        use_local = same_config(os.path.join(src, "config.json"), os.path.join(dst, "config.json")) and \
            [strip_time(m) for m in local[:len(committed)]] == [strip_time(m) for m in committed]
        if not use_local:
            print(f"{a.run}: the machine's copy does not continue the committed history; using the committed state",
                  file=sys.stderr)
    if use_local and local and not os.path.isfile(os.path.join(dst, "resume.ckpt")):
        use_local = False
    if not use_local:
        shutil.rmtree(dst, ignore_errors=True)
        os.makedirs(dst)
        if have_committed:
            for f in ("config.json", "metrics.jsonl"):
                if os.path.isfile(os.path.join(src, f)):
                    shutil.copyfile(os.path.join(src, f), os.path.join(dst, f))
            st = os.path.join(src, "state.tar.xz")
            if os.path.isfile(st):
                with tarfile.open(st) as t:
                    t.extractall(dst, filter="data") if hasattr(tarfile, "data_filter") else t.extractall(dst)
    epochs = machine_progress(dst)[0]
    write_atomic(os.path.join(dst, ".start_epochs"), f"{epochs}\n".encode())
    if os.path.isfile(os.path.join(dst, "config.json")):
        print(f"-resume {dst}")
    else:
        print(f"{run['flags']} -out {dst}")


def strip_time(m):
    return {k: v for k, v in m.items() if k != "seconds"}


def cmd_budget(a):
    """Seconds of -time-budget for a run given the hard limit: when the run may end in this
    call, room for the final test evaluation is kept."""
    run = next(r for r in read_plan(a.plan) if r["run"] == a.run)
    d = os.path.join(a.store, "runs", a.run)
    m = read_metrics(os.path.join(d, "metrics.jsonl"))
    left = total_epochs(run, d) - len(m)
    # The shortest of the last three epochs: a process's first epoch includes compiling.
    spe = min(e["seconds"] for e in m[-3:]) if m else 0
    budget = a.hard
    if left <= 0 or (spe and left * spe < a.hard):
        budget = max(1, a.hard - a.eval_reserve)
    print(int(budget))


def cmd_pack_run(a):
    """$OUT/RUN.tar.xz: the run's files, its log and a lend record."""
    d = os.path.join(a.store, "runs", a.run)
    m = read_metrics(os.path.join(d, "metrics.jsonl"))
    start = int(open(os.path.join(d, ".start_epochs")).read()) if os.path.isfile(os.path.join(d, ".start_epochs")) else 0
    new = m[start:]
    backend = ""
    if os.path.isfile(a.log):
        for line in open(a.log, errors="replace"):
            if line.startswith("backend: "):
                backend = line[len("backend: "):].strip()
    lend = {"run": a.run, "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "from_epoch": start,
            "to_epoch": len(m), "seconds_per_epoch": round(sum(e["seconds"] for e in new) / len(new), 3) if new else None,
            "wall_seconds": a.wall, "exit_code": a.rc, "finished": os.path.isfile(os.path.join(d, "results.json")),
            "backend": backend, "device": a.device, "version": a.version, "parallel": a.parallel}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:xz", preset=6) as t:
        for f in RUN_FILES:
            if os.path.isfile(os.path.join(d, f)):
                t.add(os.path.join(d, f), arcname=f)
        for name, data in (("lend.json", json.dumps(lend, indent=1).encode()),
                           ("log.txt", tail(a.log, 400).encode())):
            ti = tarfile.TarInfo(name)
            ti.size, ti.mtime = len(data), int(time.time())
            t.addfile(ti, io.BytesIO(data))
    blob = buf.getvalue()
    if len(blob) > 16 * MIB - 4096:
        die(f"{a.run}: its state ({len(blob) / MIB:.0f} MiB) exceeds what one returned file may hold (16 MiB); "
            f"it stays on the machine in {d}")
    write_atomic(os.path.join(a.out, f"{a.run}.tar.xz"), blob)


def tail(path, n):
    if not os.path.isfile(path):
        return ""
    lines = open(path, errors="replace").read().splitlines()
    return "\n".join(lines[-n:]) + "\n"


def status_line(run, d, total, start=None, final=None):
    m = read_metrics(os.path.join(d, "metrics.jsonl")) if d else []
    s = f"{run}: epoch {len(m)}/{total}"
    if start is not None:
        s += f" (+{len(m) - start} this call)"
    if m:
        new = m[start:] if start is not None and len(m) > start else m[-5:]
        s += f", {sum(e['seconds'] for e in new) / len(new):.2f} s/epoch"
        e = m[-1]
        s += f", val ANN {100 * e['val_ann_acc']:.2f}%, val SNN(T={e['select_t']}) {100 * e['val_snn_acc']:.2f}%"
    res = final or (os.path.join(d, "results.json") if d else None)
    if res and os.path.isfile(res):
        r = json.load(open(res))
        curve = ", ".join(f"T={t} {100 * acc:.2f}%" for t, acc in zip(r["t"], r["snn_accuracy"]))
        s += f"; test ANN {100 * r['test_ann_accuracy']:.2f}%, SNN {curve} (done)"
    return s


def cmd_status(a):
    for r in read_plan(a.plan):
        run = r["run"]
        d = os.path.join(a.store, "runs", run) if a.store else None
        if d and os.path.isdir(d):
            start_file = os.path.join(d, ".start_epochs")
            trained = run in a.trained.split(",")
            start = int(open(start_file).read()) if os.path.isfile(start_file) and trained else None
            print(status_line(run, d, total_epochs(r, d), start))
        elif a.all:
            c = committed_dir(a.repo, run)
            fin = os.path.join(final_dir(a.repo, run), "results.json")
            line = status_line(run, c if os.path.isdir(c) else None, total_epochs(r, c),
                               final=fin if is_finished(a.repo, run) else None)
            if not r["lent"]:
                line += " [not for lent machines]"
            print(line)


# ---------------------------------------------------------------- collect (here)

def det_tar_xz(path, files):
    """A reproducible tar.xz of (arcname, path) pairs: same inputs, same bytes."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:xz", preset=6, format=tarfile.GNU_FORMAT) as t:
        for arc, p in files:
            ti = tarfile.TarInfo(arc)
            ti.size, ti.mtime, ti.mode = os.path.getsize(p), 0, 0o644
            with open(p, "rb") as f:
                t.addfile(ti, f)
    write_atomic(path, buf.getvalue())


def cmd_collect(a):
    plan = {r["run"]: r for r in read_plan(a.plan)}
    found = sorted(f for f in os.listdir(a.dir) if f.endswith(".tar.xz"))
    if not found:
        die(f"{a.dir} holds no RUN.tar.xz")
    lends = os.path.join(a.repo, "results", "campaign", "lends.tsv")
    finished = []
    for f in found:
        run = f[:-len(".tar.xz")]
        if run not in plan:
            die(f"{f}: run {run} is not in the plan {a.plan}")
        tmp = os.path.join(a.repo, "results", "campaign", f".collect-{run}")
        shutil.rmtree(tmp, ignore_errors=True)
        with tarfile.open(os.path.join(a.dir, f)) as t:
            t.extractall(tmp, filter="data") if hasattr(tarfile, "data_filter") else t.extractall(tmp)
        lend = json.load(open(os.path.join(tmp, "lend.json")))
        dst = committed_dir(a.repo, run)
        old = read_metrics(os.path.join(dst, "metrics.jsonl"))
        new = read_metrics(os.path.join(tmp, "metrics.jsonl"))
        if os.path.isfile(os.path.join(dst, "config.json")) and \
                not same_config(os.path.join(dst, "config.json"), os.path.join(tmp, "config.json")):
            die(f"{f}: its config.json differs from the committed one in {dst}")
        common = min(len(old), len(new))
        if [strip_time(m) for m in new[:common]] != [strip_time(m) for m in old[:common]]:
            die(f"{f}: its history does not continue the committed one ({len(old)} epochs in {dst})")
        if len(new) < len(old):
            print(f"{run}: {len(new)} epochs came back, {len(old)} are committed: kept the committed state")
            shutil.rmtree(tmp)
            continue
        if len(new) == len(old) and os.path.isfile(os.path.join(dst, "config.json")) and \
                not os.path.isfile(os.path.join(tmp, "results.json")):
            print(f"{run}: nothing new (epoch {len(new)})")
            shutil.rmtree(tmp)
            continue
        os.makedirs(dst, exist_ok=True)
        for x in ("config.json", "metrics.jsonl"):
            if os.path.isfile(os.path.join(tmp, x)):
                shutil.copyfile(os.path.join(tmp, x), os.path.join(dst, x))
        st = [(x, os.path.join(tmp, x)) for x in STATE_FILES if os.path.isfile(os.path.join(tmp, x))]
        if os.path.isfile(os.path.join(tmp, "results.json")):
            fin = final_dir(a.repo, run)
            os.makedirs(fin, exist_ok=True)
            for x in FINAL_FILES:
                shutil.copyfile(os.path.join(tmp, x), os.path.join(fin, x))
            if os.path.isfile(os.path.join(dst, "state.tar.xz")):
                os.remove(os.path.join(dst, "state.tar.xz"))  # done: the selected model is in results/RUN/
            finished.append(run)
        elif st:
            det_tar_xz(os.path.join(dst, "state.tar.xz"), st)
        new_lend = not os.path.isfile(lends) or f"\t{run}\t{lend['from_epoch']}\t{lend['to_epoch']}\t" not in open(lends).read()
        if new_lend:
            if not os.path.isfile(lends):
                write_atomic(lends, b"date\trun\tfrom_epoch\tto_epoch\ts_per_epoch\twall_s\texit\tparallel\tbackend\tdevice\tversion\n")
            with open(lends, "a") as w:
                w.write("\t".join(str(x) for x in (lend["date"], run, lend["from_epoch"], lend["to_epoch"],
                                                   lend["seconds_per_epoch"], lend["wall_seconds"], lend["exit_code"],
                                                   lend.get("parallel", ""), lend["backend"], lend["device"],
                                                   lend["version"])) + "\n")
        shutil.rmtree(tmp)
        print(status_line(run, dst, total_epochs(plan[run], dst),
                          final=os.path.join(final_dir(a.repo, run), "results.json") if run in finished else None))
    if finished:
        write_atomic(os.path.join(a.repo, "results", "campaign", ".finished"), ("\n".join(finished) + "\n").encode())


def cmd_status_md(a):
    runs = read_plan(a.plan)
    camp = os.path.join(a.repo, "results", "campaign")
    out = ["# Campaign status", "",
           "Written by `bash scripts/campaign.sh collect` from the files beside it; see README.md, "
           "section *Long runs on short GPU lends*. Plan: `plan.tsv`; one row per device call and run: `lends.tsv`.", "",
           "| phase | run | epoch | s/epoch (last call) | val ANN | val SNN | state | result |",
           "|---|---|---|---|---|---|---|---|"]
    for r in runs:
        run, c = r["run"], committed_dir(a.repo, r["run"])
        m = read_metrics(os.path.join(c, "metrics.jsonl"))
        total = total_epochs(r, c)
        spe = last_lend_spe(camp, run)
        state = "—"
        if os.path.isfile(os.path.join(c, "state.tar.xz")):
            state = f"`results/campaign/{run}/state.tar.xz` ({os.path.getsize(os.path.join(c, 'state.tar.xz')) / MIB:.1f} MiB)"
        result = "—"
        if is_finished(a.repo, run):
            res = json.load(open(os.path.join(final_dir(a.repo, run), "results.json")))
            acc = dict(zip(res["t"], res["snn_accuracy"]))
            result = f"`results/{run}/`: ANN {100 * res['test_ann_accuracy']:.2f}%, " + ", ".join(
                f"T={t} {100 * acc[t]:.2f}%" for t in (1, 2, 4, 8) if t in acc)
            state = "done"
        elif not r["lent"]:
            state = "not for lent machines (see README)"
        e = m[-1] if m else None
        ann = "%.2f%%" % (100 * e["val_ann_acc"]) if e else "—"
        snn = "%.2f%% (T=%d)" % (100 * e["val_snn_acc"], e["select_t"]) if e else "—"
        out.append(f"| {r['phase']} | {run} | {len(m)}/{total} | {spe} | {ann} | {snn} | {state} | {result} |")
    out += ["", "Exact commands (the campaign passes `-quiet`, `-time-budget` and, on later calls, `-resume DIR`; "
            "data and backend come from `NQSNN_DATA_DIR` and `NQSNN_BACKEND`, so a run resumes on any machine):", ""]
    for r in runs:
        out.append(f"- `{r['run']}`: `nqsnn run {r['flags']} -out {r['run']}`")
    write_atomic(os.path.join(camp, "STATUS.md"), ("\n".join(out) + "\n").encode())


def last_lend_spe(camp, run):
    p = os.path.join(camp, "lends.tsv")
    if not os.path.isfile(p):
        return "—"
    rows = [l.rstrip("\n").split("\t") for l in open(p)][1:]
    rows = [x for x in rows if len(x) > 4 and x[1] == run and x[4] not in ("", "None")]
    if not rows:
        return "—"
    x = rows[-1]
    return f"{float(x[4]):.2f} ({x[8].split(' ')[0] if len(x) > 8 else '?'}, ×{x[7] if len(x) > 7 and x[7] else '1'})"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("pack-cifar"); s.add_argument("src"); s.add_argument("dst"); s.set_defaults(f=cmd_pack_cifar)
    s = sub.add_parser("unpack-cifar"); s.add_argument("src"); s.add_argument("dst"); s.set_defaults(f=cmd_unpack_cifar)
    s = sub.add_parser("uploads")
    s.add_argument("--payload", required=True); s.add_argument("--out", required=True)
    s.add_argument("--capacity", type=int, required=True); s.add_argument("--version", default="")
    s.set_defaults(f=cmd_uploads)
    s = sub.add_parser("sync"); s.add_argument("--tree", default="."); s.add_argument("--store", required=True)
    s.set_defaults(f=cmd_sync)
    for name, fn in (("next-runs", cmd_next_runs), ("uncommitted", cmd_uncommitted), ("stage", cmd_stage), ("budget", cmd_budget),
                     ("pack-run", cmd_pack_run), ("status", cmd_status), ("collect", cmd_collect),
                     ("status-md", cmd_status_md)):
        s = sub.add_parser(name)
        s.add_argument("--plan", required=True); s.add_argument("--repo", default=".")
        s.add_argument("--store", default="")
        s.set_defaults(f=fn)
        if name == "next-runs":
            s.add_argument("--max", type=int, default=2)
        if name in ("stage", "budget", "pack-run"):
            s.add_argument("--run", required=True)
        if name == "budget":
            s.add_argument("--hard", type=int, required=True); s.add_argument("--eval-reserve", type=int, default=120)
        if name == "pack-run":
            s.add_argument("--out", required=True); s.add_argument("--log", required=True)
            s.add_argument("--wall", type=int, default=0); s.add_argument("--rc", type=int, default=0)
            s.add_argument("--device", default=""); s.add_argument("--version", default="")
            s.add_argument("--parallel", type=int, default=1)
        if name == "status":
            s.add_argument("--all", action="store_true")
            s.add_argument("--trained", default="", help="runs trained in this call, comma-separated")
        if name == "collect":
            s.add_argument("dir")
    a = p.parse_args()
    rc = a.f(a)
    sys.exit(rc or 0)


if __name__ == "__main__":
    main()
