// Package snnlib is the root of nqsnn's library: it converts trained artificial
// neural networks into low-latency spiking neural networks following Huang et al.,
// "Converting High-Performance and Low-Latency SNNs through Explicit Modelling of
// Residual Error in ANNs" (arXiv 2404.17456, IEEE TNNLS 2025).
//
// The data path runs through small packages, one concern each:
//
//	datasets -> model -> fit (train + calibrate) -> snn (convert + simulate) -> analysis -> plots
//
// A conversion strategy (package strategy) takes part in every step through
// its hooks; experiment runs the whole job and writes the records of package
// record, which package report turns into figures, reports and comparisons.
//
//   - nq: the noisy quantised activation (QCFS clip-floor-shift plus Gaussian noise).
//   - neuron: spiking neuron dynamics (integrate-and-fire with reset by subtraction, ...).
//   - model: network definitions (small CNN, VGG-16, ResNet-18/20/34) built on [model.Net].
//   - strategy: conversion strategies by name ("nq", "qcfs", "relu", "srp", "cos"), each owning
//     its activation, thresholds, calibration and simulation phases.
//   - registry: the locked name registry behind models, neurons and strategies.
//   - snn: conversion to IF neurons and multi-step simulation, noise calibration.
//   - fit: training with SGD+momentum, cosine schedule, per-epoch calibration, checkpoint selection.
//   - experiment: the main job (data splits, epoch loop, resume, warm start, test evaluation).
//   - record, report: a run's saved records; its figures, report and comparisons.
//   - checkpoint: the single-file checkpoint format.
//   - bench: training, inference and simulation speed of a backend.
//   - backend: choosing the compute backend (XLA GPU, XLA CPU, pure Go).
//   - analysis, plots: residual-error diagnostics, synaptic operations, energy and figures.
package snnlib
