package backend

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An evaluation program run once per epoch must compute with the weights it is
// given, also when they lie at the address the previous epoch's weights had.
// With XNNPACK on, the XLA CPU plugin reused the weights it had packed for that
// address (see XNNPACKFlag); it did whenever the address repeated here.
func TestXLACPUDotSeesNewWeights(t *testing.T) {
	if installedPlugin == "" {
		t.Skip("no XLA CPU plugin installed (run `nqsnn setup`)")
	}
	isolate(t)
	t.Setenv(EnvXLAPlugin, installedPlugin)
	b, _, err := New("xla:cpu")
	require.NoError(t, err)
	exec, err := graph.NewExec(b, func(x, w *graph.Node) *graph.Node { return graph.MatMul(x, w) })
	require.NoError(t, err)
	defer exec.Finalize()

	// The shapes of the MNIST CNN's first dense layer.
	const rows, in, out = 128, 1568, 128
	r := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = r.Float32() - 0.5
		}
		return v
	}
	x := random(rows * in)
	xt := tensors.FromFlatDataAndDimensions(x, rows, in)
	// run multiplies by w and returns the product and where w lay on the device
	// (the CPU backend shares host memory, so that is the tensor's data).
	run := func(w []float32) ([]float32, uintptr) {
		wt := tensors.FromFlatDataAndDimensions(w, in, out)
		defer wt.FinalizeAll() // frees the address for the next weights
		res, err := exec.Exec(xt, wt)
		require.NoError(t, err)
		var addr uintptr
		require.NoError(t, wt.ConstBytes(func(b []byte) { addr = uintptr(unsafe.Pointer(&b[0])) }))
		return tensors.MustCopyFlatData[float32](res[0]), addr
	}
	reused := 0
	_, prev := run(random(in * out))
	for i := range 20 {
		w := random(in * out)
		got, addr := run(w)
		same := addr == prev
		if same {
			reused++
		}
		prev = addr
		for j := range 4 { // a few entries suffice: stale weights change them all
			var want float64
			for k := range in {
				want += float64(x[j*in+k]) * float64(w[k*out+j])
			}
			require.InDelta(t, want, got[j*out+j], 1e-3, "weights %d, product entry (%d,%d); address reused: %v", i, j, j, same)
		}
	}
	t.Logf("the weights reused the previous address %d times of 20", reused)
	if reused == 0 {
		t.Skip("the allocator never reused the weights' address, so nothing was tested")
	}
}

func TestDisableXNNPACK(t *testing.T) {
	dir := t.TempDir()
	knowing, old := filepath.Join(dir, "new.so"), filepath.Join(dir, "old.so")
	// The name straddles the scan's 1 MiB chunks.
	content := append(make([]byte, 1<<20-5), []byte("--"+XNNPACKFlag+" ...")...)
	require.NoError(t, os.WriteFile(knowing, content, 0o644))
	require.NoError(t, os.WriteFile(old, []byte("a plugin without the option"), 0o644))

	t.Setenv(envXLAFlags, "--xla_dump_to=/tmp/x")
	assert.Empty(t, disableXNNPACK(old), "a plugin without the option gets nothing: XLA aborts on unknown flags")
	assert.Equal(t, "--xla_dump_to=/tmp/x", os.Getenv(envXLAFlags))
	assert.Empty(t, disableXNNPACK(knowing))
	assert.Equal(t, "--xla_dump_to=/tmp/x --"+XNNPACKFlag+"=false", os.Getenv(envXLAFlags))

	// The user's own setting is kept; one that turns XNNPACK on is pointed out.
	t.Setenv(envXLAFlags, "--"+XNNPACKFlag+"=true")
	assert.Contains(t, disableXNNPACK(knowing), "stale weights")
	assert.Equal(t, "--"+XNNPACKFlag+"=true", os.Getenv(envXLAFlags))
	t.Setenv(envXLAFlags, "--"+XNNPACKFlag+"=false")
	assert.Empty(t, disableXNNPACK(knowing))
	assert.Equal(t, 1, strings.Count(os.Getenv(envXLAFlags), XNNPACKFlag))
}
