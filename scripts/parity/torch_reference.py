#!/usr/bin/env python3
"""PyTorch side of nqsnn's training-parity check.

Trains CIFAR-10 ResNet-20 with the reference code's method (hzp2022/ANN2SNN_NQ,
QCFS of putshua/ANN_SNN_QCFS) on exactly the train/validation split an
`nqsnn run` uses (from `nqsnn split`), and writes one JSON line per epoch with
the same keys as nqsnn's metrics.jsonl:

  epoch, lr, loss, train_acc, val_ann_acc, val_snn_acc, select_t, lambda, mu, sigma, seconds

What it reproduces from the reference code:
  * the activation: y = λ/L·floor(clamp(x/λ, 0, 1)·L + 1/2) with a straight-through
    floor and a learnable λ (init 8) per site; nq subtracts σ·ε, ε ~ N(0, 1),
    while training (σ = 0 in the first epoch);
  * PyTorch's default initialisation (the reference ResNet sets none);
  * SGD, momentum 0.9, weight decay 5e-4 on every parameter (λ included),
    CosineAnnealingLR(T_max=epochs) stepped once per epoch, cross-entropy;
  * σ calibration after every epoch: the network simulated as an SNN for T_n
    steps (IF neurons, reset by subtraction, threshold λ, membrane starting at
    λ/2, every layer driven by the previous layer's spikes), the gap
    (quantised ANN output − SNN rate·λ) per site and batch, and
    σ = sqrt(mean over batches of Var(gap)) (torch.var, unbiased);
  * crop (pad 4 with black pixels) and horizontal flip.
Where the reference differs from nqsnn's defaults, this script follows nqsnn so
the two train the same task: validation (not test) numbers, noise-free
validation ANN accuracy, calibration on clean validation images (nqsnn's
default; --calib-augment for the reference's augmented ones).

PyTorch is an optional tool for this check, never a dependency of nqsnn.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN = np.array([0.4914, 0.4822, 0.4465], dtype=np.float32)
STD = np.array([0.2023, 0.1994, 0.2010], dtype=np.float32)


def load_cifar10(data_dir):
    """Images [N, 32, 32, 3] uint8 and labels [N] of the training batches present in data_dir,
    in order (all five for "cifar10", the ones there for "cifar10-partial": the same indexing
    as nqsnn's loaders, so a split from `nqsnn split` selects the same images)."""
    xs, ys = [], []
    for i in range(1, 6):
        path = os.path.join(data_dir, f"data_batch_{i}.bin")
        if not os.path.exists(path):
            continue
        raw = np.fromfile(path, dtype=np.uint8).reshape(-1, 3073)
        ys.append(raw[:, 0].astype(np.int64))
        xs.append(raw[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    if not xs:
        sys.exit(f"{data_dir}: no CIFAR-10 training batch (data_batch_1.bin ... data_batch_5.bin)")
    return np.concatenate(xs), np.concatenate(ys)


def to_tensor(images):
    """uint8 NHWC -> normalised float32 NCHW."""
    x = (images.astype(np.float32) / 255.0 - MEAN) / STD
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


def augment(images, rng):
    """torchvision RandomCrop(32, padding=4) + RandomHorizontalFlip on uint8 NHWC."""
    n = len(images)
    padded = np.zeros((n, 40, 40, 3), dtype=np.uint8)
    padded[:, 4:36, 4:36] = images
    out = np.empty_like(images)
    oy = rng.integers(0, 9, n)
    ox = rng.integers(0, 9, n)
    flip = rng.random(n) < 0.5
    for i in range(n):
        img = padded[i, oy[i]:oy[i] + 32, ox[i]:ox[i] + 32]
        out[i] = img[:, ::-1] if flip[i] else img
    return out


class FloorST(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x.floor()

    @staticmethod
    def backward(ctx, g):
        return g


class Site(nn.Module):
    """An activation site: QCFS (+ noise) in ANN mode, an IF neuron in SNN mode."""

    def __init__(self, levels, lam0, noisy):
        super().__init__()
        self.up = nn.Parameter(torch.tensor([lam0]))
        self.levels = levels
        self.noisy = noisy
        self.sigma = 0.0
        self.snn = False
        self.v = None  # membrane (SNN mode)
        self.spikes = None  # sum of outputs over steps (SNN mode)
        self.record = None  # last ANN output (calibration)

    def quantise(self, x):
        x = torch.clamp(x / self.up, 0, 1)
        return FloorST.apply(x * self.levels + 0.5) / self.levels * self.up

    def forward(self, x):
        if self.snn:
            theta = self.up.detach()
            if self.v is None:
                self.v = torch.full_like(x, 0.5) * theta
                self.spikes = torch.zeros_like(x)
            self.v = self.v + x
            out = (self.v >= theta).to(x.dtype) * theta
            self.v = self.v - out
            self.spikes = self.spikes + out
            return out
        y = self.quantise(x)
        if self.training and self.noisy and self.sigma > 0:
            y = y - torch.randn_like(y) * self.sigma
        self.record = y.detach() if not self.training else None
        return y

    def reset(self):
        self.v, self.spikes = None, None


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride, act):
        super().__init__()
        self.residual = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), act(),
            nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
        self.act = act()

    def forward(self, x):
        return self.act(self.residual(x) + self.shortcut(x))


class ResNet20(nn.Module):
    """ResNet4Cifar of the QCFS/NQ reference code: 16/32/64 channels, 3 blocks a stage."""

    def __init__(self, act, num_classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), act())
        layers, cin = [], 16
        for cout, stride in ((16, 1), (32, 2), (64, 2)):
            for b in range(3):
                layers.append(BasicBlock(cin, cout, stride if b == 0 else 1, act))
                cin = cout
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.layers(self.stem(x))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def sites(model):
    return [m for m in model.modules() if isinstance(m, Site)]


def set_snn(model, on):
    for s in sites(model):
        s.snn = on
        s.reset()


@torch.no_grad()
def simulate(model, x, steps):
    """Summed logits after every step t = 1..steps, [steps, B, classes]."""
    set_snn(model, True)
    total, outs = 0, []
    for _ in range(steps):
        total = total + model(x)
        outs.append(total)
    return torch.stack(outs)


@torch.no_grad()
def evaluate(model, batches, steps):
    model.eval()
    ann_ok = snn_ok = n = 0
    for x, y in batches:
        set_snn(model, False)
        ann_ok += (model(x).argmax(1) == y).sum().item()
        snn_ok += (simulate(model, x, steps)[-1].argmax(1) == y).sum().item()
        n += len(y)
    set_snn(model, False)
    return ann_ok / n, snn_ok / n


@torch.no_grad()
def bn_check(model, images, labels, tr, batch_size, dev):
    """--bn-check: a copy of the model whose batch-norm running statistics are re-estimated
    (momentum 0.1, as in training) over one pass of augmented training batches at the current
    weights, without any weight update; returns the copy's validation ANN accuracy."""
    import copy
    m = copy.deepcopy(model)
    m.train()
    set_snn(m, False)
    rng = np.random.default_rng(12345)
    perm = rng.permutation(tr)
    for i in range(0, len(perm) - batch_size + 1, batch_size):
        idx = perm[i:i + batch_size]
        m(to_tensor(augment(images[idx], rng)).to(dev))
    return evaluate(m, bn_check.val, 1)[0]


@torch.no_grad()
def calibrate(model, batches, steps):
    """Per-site mean and σ of the ANN−SNN gap (σ = sqrt(mean of per-batch var))."""
    model.eval()
    ss = sites(model)
    var_sum, mean_sum, nb = np.zeros(len(ss)), np.zeros(len(ss)), 0
    for x, _ in batches:
        simulate(model, x, steps)
        rates = [s.spikes / steps for s in ss]
        set_snn(model, False)
        model(x)
        for i, (s, r) in enumerate(zip(ss, rates)):
            gap = s.record - r
            var_sum[i] += torch.var(gap).item()
            mean_sum[i] += torch.mean(gap).item()
        nb += 1
    return (mean_sum / nb).tolist(), np.sqrt(var_sum / nb).tolist()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", required=True, help="JSON from `nqsnn split`")
    ap.add_argument("--data-dir", required=True, help="folder with CIFAR-10's data_batch_*.bin")
    ap.add_argument("--strategy", choices=["nq", "qcfs"], default="nq")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--wd", type=float, default=5e-4)
    ap.add_argument("--L", type=int, default=4)
    ap.add_argument("--noise-t", type=int, default=4, help="T_n: SNN window of the calibration")
    ap.add_argument("--select-t", type=int, default=4, help="T of the validation SNN accuracy")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: PyTorch's default)")
    ap.add_argument("--device", default="cpu", help="torch device, e.g. cuda")
    ap.add_argument("--calib-augment", action="store_true", help="calibrate on augmented validation images, as the reference")
    ap.add_argument("--bn-check", action="store_true",
                    help="also record val_ann_acc_bn: the validation ANN accuracy after re-estimating the "
                         "batch-norm statistics at the epoch's final weights (a copy; training is unchanged)")
    ap.add_argument("--out", default="-", help="JSON lines file (default: stdout)")
    a = ap.parse_args()

    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    split = json.load(open(a.split))
    images, labels = load_cifar10(a.data_dir)
    tr, va = np.array(split["train"]), np.array(split["val"])
    if max(tr.max(), va.max()) >= len(labels):
        sys.exit(f"{a.split}: indices up to {max(tr.max(), va.max())} but {a.data_dir} holds {len(labels)} training images")

    def val_batches(aug):  # uses dev, set below before the first call
        out = []
        for i in range(0, len(va), a.batch_size):
            idx = va[i:i + a.batch_size]
            img = augment(images[idx], rng) if aug else images[idx]
            out.append((to_tensor(img).to(dev), torch.from_numpy(labels[idx]).to(dev)))
        return out

    dev = torch.device(a.device)
    clean_val = val_batches(False)
    bn_check.val = clean_val
    model = ResNet20(lambda: Site(a.L, 8.0, a.strategy == "nq")).to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9, weight_decay=a.wd)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=a.epochs)
    out = sys.stdout if a.out == "-" else open(a.out, "w")
    for epoch in range(a.epochs):
        start = time.time()
        lr = opt.param_groups[0]["lr"]
        model.train()
        set_snn(model, False)
        perm = rng.permutation(tr)
        loss_sum = nb = 0
        correct = seen = 0
        for i in range(0, len(perm) - a.batch_size + 1, a.batch_size):  # drops the last partial batch
            idx = perm[i:i + a.batch_size]
            x = to_tensor(augment(images[idx], rng)).to(dev)
            y = torch.from_numpy(labels[idx]).to(dev)
            opt.zero_grad()
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            loss.backward()
            opt.step()
            loss_sum += loss.item()
            nb += 1
            correct += (logits.argmax(1) == y).sum().item()
            seen += len(y)
        sched.step()
        rec = {"epoch": epoch, "lr": lr, "loss": loss_sum / nb, "train_acc": correct / seen}
        if a.strategy == "nq":
            mu, sigma = calibrate(model, val_batches(True) if a.calib_augment else clean_val, a.noise_t)
            for s, sg in zip(sites(model), sigma):
                s.sigma = sg
            rec["mu"], rec["sigma"] = mu, sigma
        rec["val_ann_acc"], rec["val_snn_acc"] = evaluate(model, clean_val, a.select_t)
        rec["select_t"] = a.select_t
        if a.bn_check:
            rec["val_ann_acc_bn"] = bn_check(model, images, labels, tr, a.batch_size, dev)
        rec["lambda"] = [s.up.item() for s in sites(model)]
        rec["seconds"] = time.time() - start
        out.write(json.dumps(rec) + "\n")
        out.flush()
        print(f"epoch {epoch}: loss {rec['loss']:.4f} val ANN {100 * rec['val_ann_acc']:.2f}% "
              f"SNN(T={a.select_t}) {100 * rec['val_snn_acc']:.2f}% ({rec['seconds']:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
