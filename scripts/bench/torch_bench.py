#!/usr/bin/env python3
"""The PyTorch side of nqsnn's side-by-side benchmark (scripts/bench/side-by-side.sh).

Times, on random data, what `nqsnn bench -data=false` times: a training step (SGD, momentum 0.9,
weight decay 5e-4) with the reference code's QCFS/NQ activation, ANN inference, and the SNN
simulation with the reference IF neuron (reset by subtraction, v(0) = θ/2) at T = 4, for the
small MNIST CNN and ResNet-20 (the models of scripts/parity/torch_reference.py, the same layers
as nqsnn's). Prints one Markdown row per model, in images (or image·steps) per second.

  python3 scripts/bench/torch_bench.py [--model cnn|resnet20 ...] [--threads N] [--steps N]

PyTorch is needed (pip install torch numpy); it is never a dependency of nqsnn.
"""
import argparse
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "parity"))
from torch_reference import ResNet20, Site, set_snn, simulate  # noqa: E402


class SmallCNN(nn.Module):
    """nqsnn's "cnn": two conv(3×3, pad 1)-BN-act-avgpool(2) stages (16, 32), dense 128-act, dense."""

    def __init__(self, act, num_classes=10):
        super().__init__()
        self.f = nn.Sequential(
            nn.Conv2d(1, 16, 3, 1, 1), nn.BatchNorm2d(16), act(), nn.AvgPool2d(2),
            nn.Conv2d(16, 32, 3, 1, 1), nn.BatchNorm2d(32), act(), nn.AvgPool2d(2),
            nn.Flatten(), nn.Linear(32 * 7 * 7, 128), act(), nn.Linear(128, num_classes))

    def forward(self, x):
        return self.f(x)


def build(name, strategy):
    act = lambda: Site(4, 8.0, strategy == "nq")  # noqa: E731
    if name == "cnn":
        return SmallCNN(act), (1, 28, 28)
    return ResNet20(act), (3, 32, 32)


def rate(fn, items, steps, warmup=2):
    for _ in range(warmup):
        fn()
    start = time.perf_counter()
    for _ in range(steps):
        fn()
    return items * steps / (time.perf_counter() - start)


def bench(name, strategy, batch, steps, device):
    torch.manual_seed(0)
    model, shape = build(name, strategy)
    model = model.to(device)
    for s in model.modules():
        if isinstance(s, Site):
            s.sigma = 0.5  # nq draws noise every step, as in training after the first calibration
    x = torch.randn(batch, *shape, device=device)
    y = torch.randint(0, 10, (batch,), device=device)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)

    def train_step():
        model.train()
        set_snn(model, False)
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        loss.item()  # wait for the step, as a training loop that logs the loss does

    @torch.no_grad()
    def infer():
        model.eval()
        set_snn(model, False)
        model(x).argmax(1).cpu()

    def snn():
        model.eval()
        simulate(model, x, 4).argmax(2).cpu()
        set_snn(model, False)

    return (rate(train_step, batch, steps), rate(infer, batch, steps), rate(snn, batch * 4, steps))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", action="append", choices=["cnn", "resnet20"], help="default: both")
    ap.add_argument("--strategy", choices=["nq", "qcfs"], default="nq")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=10, help="timed steps per path (after 2 warm-up steps)")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: PyTorch's default)")
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} thread(s), device {a.device}, "
          f"strategy {a.strategy}, batch {a.batch}, {a.steps} timed steps")
    print("| model | train img/s | inference img/s | SNN img·steps/s (T=4) |")
    print("|---|---|---|---|")
    for name in a.model or ["cnn", "resnet20"]:
        tr, inf, sn = bench(name, a.strategy, a.batch, a.steps, a.device)
        print(f"| {name} | {tr:.1f} | {inf:.1f} | {sn:.1f} |", flush=True)


if __name__ == "__main__":
    main()
