// Package backend picks the GoMLX backend nqsnn computes on and installs the XLA CPU
// plugin without GitHub access.
//
// New("auto") prefers, in order: XLA on an NVIDIA GPU (a CUDA PJRT plugin, e.g. from JAX's
// jax-cuda13-pjrt / jax-cuda12-pjrt pip packages, plus a visible GPU), XLA on the CPU (a PJRT
// CPU plugin installed by InstallXLACPU or scripts/install-xla.sh), and finally the pure-Go
// backend of package purego, which always works but is slower. The returned Choice says what
// was picked and why, so notebooks and the command line can print it.
//
// GoMLX's own auto-install of XLA plugins downloads from GitHub, which many of our users
// cannot reach; this package always disables it and installs from PyPI instead.
//
// XLA CPU plugins get XNNPACK turned off through $XLA_FLAGS: it could compute an evaluation
// with stale weights (see XNNPACKFlag).
package backend
