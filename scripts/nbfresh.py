#!/usr/bin/env python3
"""Keeps the saved notebooks honest: a notebook's outputs must come from the code and
results that are in the repository now.

  python3 scripts/nbfresh.py stamp NOTEBOOK...   record the inputs' fingerprint in each notebook
                                                 (scripts/run-notebooks.sh does this after a
                                                 successful execution)
  python3 scripts/nbfresh.py check [NOTEBOOK...] exit 1 naming every notebook whose outputs were
                                                 made from other inputs (default: all of them)

The fingerprint is a SHA-256 over the path and content of every file under INPUTS that git
tracks or would track (ignored files such as run directories are left out; so are the reports
directly in results/, such as benchmark tables, which no notebook reads), so it does not
depend on commits: a notebook executed on a working tree and committed together with it is
fresh, and any later change to the library, the loaders, the notebook helpers or a committed
result makes it stale until it is executed again. Standard library only.
"""
import hashlib
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INPUTS = ["snnlib", "datasets", "kernelext", "results", "cmd", "go.mod", "go.sum"]
KEY = "nqsnn"


def fingerprint():
    names = subprocess.run(["git", "ls-files", "-z", "-c", "-o", "--exclude-standard", "--", *INPUTS],
                           cwd=ROOT, check=True, capture_output=True).stdout.split(b"\0")
    h = hashlib.sha256()
    for name in sorted(set(n for n in names if n)):
        if name.startswith(b"results/") and name.count(b"/") == 1:
            continue  # a report beside the run directories, not something a notebook shows
        path = os.path.join(ROOT, os.fsdecode(name))
        if not os.path.isfile(path):
            continue  # deleted in the working tree
        h.update(name + b"\0")
        with open(path, "rb") as f:
            h.update(hashlib.sha256(f.read()).digest())
    return h.hexdigest()


def notebooks(args):
    if args:
        return args
    d = os.path.join(ROOT, "notebooks")
    return sorted(os.path.join(d, n) for n in os.listdir(d) if n[:2].isdigit() and n.endswith(".ipynb"))


def stamp(paths):
    fp = fingerprint()
    setting = "full" if os.environ.get("NQSNN_NOTEBOOK") == "full" else "ci"
    for p in paths:
        with open(p) as f:
            nb = json.load(f)
        nb.setdefault("metadata", {})[KEY] = {"inputs": fp, "setting": setting}
        tmp = p + ".tmp"
        with open(tmp, "w") as f:
            json.dump(nb, f, indent=1, ensure_ascii=False)
            f.write("\n")
        os.replace(tmp, p)
    print(f"nbfresh: stamped {len(paths)} notebook(s) with inputs {fp[:12]}")


def check(paths):
    fp = fingerprint()
    stale = []
    for p in paths:
        with open(p) as f:
            meta = json.load(f).get("metadata", {}).get(KEY, {})
        if meta.get("inputs") != fp:
            why = "never stamped" if not meta else f"made from inputs {meta['inputs'][:12]}"
            stale.append(f"{os.path.relpath(p, ROOT)} ({why})")
    if stale:
        print(f"nbfresh: {len(stale)} saved notebook(s) show outputs of other code or results than the "
              f"repository's (inputs now {fp[:12]}):", file=sys.stderr)
        for s in stale:
            print("  " + s, file=sys.stderr)
        print("re-execute them (bash scripts/run-notebooks.sh) and commit them with the change", file=sys.stderr)
        return 1
    print(f"nbfresh: {len(paths)} notebook(s) fresh (inputs {fp[:12]})")
    return 0


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("stamp", "check"):
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    paths = notebooks(sys.argv[2:])
    if sys.argv[1] == "stamp":
        if not sys.argv[2:]:
            print("nbfresh: name the notebooks to stamp", file=sys.stderr)
            return 2
        stamp(paths)
        return 0
    return check(paths)


if __name__ == "__main__":
    sys.exit(main())
