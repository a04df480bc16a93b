//go:build cgo

package purego

import (
	"os"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/xla"
	"github.com/stretchr/testify/require"
)

// xlaPluginPath is where this project installs the XLA CPU PJRT plugin.
const xlaPluginPath = "/root/.cache/nqsnn/xla/pjrt_c_api_cpu_plugin.so"

// TestNetworkMatchesXLA runs the network forward and backward (float32) on purego and XLA CPU.
func TestNetworkMatchesXLA(t *testing.T) {
	if _, err := os.Stat(xlaPluginPath); err != nil {
		t.Skip("XLA CPU plugin not installed at " + xlaPluginPath)
	}
	xla.EnableAutoInstall(false)
	xlaBackend, err := xla.New(xlaPluginPath)
	if err != nil {
		t.Skipf("XLA backend unavailable: %v", err)
	}
	defer xlaBackend.Finalize()
	// Tensors are bound to one backend: each gets its own copy of the same inputs.
	want := execNetwork(t, xlaBackend, true, netInputs[float32](1))
	got := execNetwork(t, New(), true, netInputs[float32](1))
	require.Len(t, got, len(netOutputNames))
	for i, name := range netOutputNames {
		requireRelClose(t, want[i], got[i], 1e-4, name)
	}
	// The gradients are not trivially zero.
	for i := 2; i < len(got); i++ {
		require.NotZero(t, maxAbs(got[i]), netOutputNames[i])
	}
}

// The benchmarks also run on XLA CPU, as the reference speed, when its plugin is installed.
func init() {
	if _, err := os.Stat(xlaPluginPath); err != nil {
		return
	}
	benchBackends = append(benchBackends, struct {
		name string
		new  func() backends.Backend
	}{"xla", func() backends.Backend {
		xla.EnableAutoInstall(false)
		b, err := xla.New(xlaPluginPath)
		if err != nil {
			panic(err)
		}
		return b
	}})
}
