#!/usr/bin/env python3
"""Tabulate a parity directory made by scripts/parity/run.sh.

Reads OUT_DIR/{nqsnn,torch}-STRATEGY-sSEED.jsonl (one JSON object per epoch,
nqsnn's metrics.jsonl keys) and prints Markdown: per strategy and epoch, the
validation ANN and SNN accuracy (%) and training loss of each side as
mean ± sample standard deviation over seeds (n seeds in brackets), whether
nqsnn's mean lies within the PyTorch side's mean ± 2 standard deviations
(a difference larger than that is flagged), and the range of λ and σ over
sites at the last epoch both sides reached. Standard library only.
"""
import glob
import json
import math
import os
import re
import statistics
import sys


def load(out):
    runs = {}
    for path in sorted(glob.glob(os.path.join(out, "*-s*.jsonl"))):
        m = re.match(r"(nqsnn|torch)-(\w+)-s(\d+)\.jsonl$", os.path.basename(path))
        if not m:
            continue
        side, strategy, seed = m.group(1), m.group(2), int(m.group(3))
        with open(path) as f:
            recs = [json.loads(l) for l in f if l.strip()]
        runs.setdefault(strategy, {}).setdefault(side, {})[seed] = recs
    return runs


def stat(values):
    if not values:
        return None
    mean = statistics.fmean(values)
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return mean, sd, len(values)


def fmt(s, scale=100, digits=1):
    if s is None:
        return "–"
    mean, sd, n = s
    return f"{scale * mean:.{digits}f} ± {scale * sd:.{digits}f} ({n})"


def column(side_runs, epoch, key):
    return stat([recs[epoch][key] for recs in side_runs.values() if len(recs) > epoch and key in recs[epoch]])


def verdict(ours, ref):
    """'ok' when nqsnn's mean is within the reference's mean ± 2 sd (sd of at least 0.5 points)."""
    if ours is None or ref is None or ref[2] < 2:
        return "–"
    width = 2 * max(ref[1], 0.005)
    return "ok" if abs(ours[0] - ref[0]) <= width else f"**{100 * (ours[0] - ref[0]):+.1f}**"


def _betacf(a, b, x):
    """Continued fraction of the regularised incomplete beta function (Numerical Recipes)."""
    qab, qap, qam = a + b, a + 1, a - 1
    c, d = 1.0, 1 - qab * x / qap
    d = 1 / (d if abs(d) > 1e-300 else 1e-300)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > 1e-300 else 1e-300)
        c = 1 + aa / c if abs(1 + aa / c) > 1e-300 else 1e-300
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > 1e-300 else 1e-300)
        c = 1 + aa / c if abs(1 + aa / c) > 1e-300 else 1e-300
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-12:
            break
    return h


def t_pvalue(t, df):
    """Two-sided p-value of Student's t with df degrees of freedom."""
    if t == 0:
        return 1.0
    x = df / (df + t * t)
    lbeta = math.lgamma(df / 2) + math.lgamma(0.5) - math.lgamma(df / 2 + 0.5)
    front = math.exp(math.log(x) * df / 2 + math.log(1 - x) * 0.5 - lbeta)
    if x < (df / 2 + 1) / (df / 2 + 0.5 + 2):
        return front * _betacf(df / 2, 0.5, x) / (df / 2)
    return 1 - front * _betacf(0.5, df / 2, 1 - x) / 0.5


def welch(ours, ref):
    """p-value of Welch's t-test for the difference of the two means ('–' below 2 seeds a side)."""
    if ours is None or ref is None or ours[2] < 2 or ref[2] < 2:
        return "–"
    va, vb = ours[1] ** 2 / ours[2], ref[1] ** 2 / ref[2]
    if va + vb == 0:
        return "–"
    t = (ours[0] - ref[0]) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / (ours[2] - 1) + vb ** 2 / (ref[2] - 1))
    return f"{t_pvalue(t, df):.2f}"


def span(side_runs, key, epoch):
    lo, hi = [], []
    for recs in side_runs.values():
        if len(recs) > epoch and recs[epoch].get(key):
            lo.append(min(recs[epoch][key]))
            hi.append(max(recs[epoch][key]))
    return f"{min(lo):.2f}–{max(hi):.2f}" if lo else "–"


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    runs = load(out)
    task = os.path.join(out, "task.txt")
    if os.path.exists(task):
        print(f"Task: {open(task).read().strip()}\n")
    for strategy in sorted(runs):
        sides = runs[strategy]
        ours, ref = sides.get("nqsnn", {}), sides.get("torch", {})
        epochs = max(len(r) for s in sides.values() for r in s.values())
        print(f"### {strategy}\n")
        print("| epoch | val ANN, PyTorch port | val ANN, nqsnn | Δ | p | val SNN T=4, PyTorch port | val SNN T=4, nqsnn | Δ | p | loss, port | loss, nqsnn |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for e in range(epochs):
            ra, oa = column(ref, e, "val_ann_acc"), column(ours, e, "val_ann_acc")
            rs, os_ = column(ref, e, "val_snn_acc"), column(ours, e, "val_snn_acc")
            rl, ol = column(ref, e, "loss"), column(ours, e, "loss")
            print(f"| {e} | {fmt(ra)} | {fmt(oa)} | {verdict(oa, ra)} | {welch(oa, ra)} | {fmt(rs)} | {fmt(os_)} | {verdict(os_, rs)} "
                  f"| {welch(os_, rs)} | {fmt(rl, 1, 3)} | {fmt(ol, 1, 3)} |")
        # The last epoch both sides reached in every run.
        last = min(len(r) for s in sides.values() for r in s.values()) - 1
        print(f"\nλ after epoch {last} (range over sites and seeds): port {span(ref, 'lambda', last)}, "
              f"nqsnn {span(ours, 'lambda', last)}")
        if strategy == "nq":
            print(f"σ after epoch {last}: port {span(ref, 'sigma', last)}, nqsnn {span(ours, 'sigma', last)}")
        print()


if __name__ == "__main__":
    main()
