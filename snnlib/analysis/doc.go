// Package analysis turns plain Go data from an ANN and its converted SNN into
// diagnostics of the residual error the NQ method models (Huang et al., arXiv
// 2404.17456): residual membrane potentials, the ANN−SNN gap and its fitted
// Gaussian, a split of the conversion error into clipping, quantisation and
// residual parts, how the gap propagates through depth, firing statistics,
// synaptic operations and energy.
//
// The package has no GoMLX dependency: the simulator copies per-layer tensors
// into [LayerData] (flattened float32 slices) and the network's weighted layers
// into [Synapse] values, and every function here returns a plain struct that
// the plots package, notebooks and reports consume.
//
// Units: activations, rates, gaps and membrane potentials are in units of
// value (a spike of layer l is worth θ_l); firing rates are spikes per neuron
// per step; energies are picojoules per example.
package analysis
