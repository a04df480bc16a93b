package fit_test

import (
	"fmt"
	"math"
	"regexp"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nqsnn/nqsnn/snnlib/fit"
	"github.com/nqsnn/nqsnn/snnlib/internal/testutil"
	"github.com/nqsnn/nqsnn/snnlib/snn"
)

// needDevices skips the test when the backend has fewer than n devices. The XLA CPU PJRT
// plugin has several host devices by default (4 for the plugin nqsnn installs); the pure-Go
// backend, and XLA on one GPU, have one.
func needDevices(t *testing.T, b backends.Backend, n int) {
	t.Helper()
	if have := b.NumDevices(); have < n {
		t.Skipf("backend %q has %d device(s), this test needs %d (use the XLA CPU backend: NQSNN_BACKEND=xla:cpu)",
			b.Name(), have, n)
	}
}

// uuid is the per-Trainer suffix of GoMLX metric scopes.
var uuid = regexp.MustCompile(`_uuid_[0-9a-f-]+`)

// floatVars returns every float32 variable of ctx by scope and name (metric uuids removed).
func floatVars(t *testing.T, ctx *context.Context) map[string][]float32 {
	t.Helper()
	out := map[string][]float32{}
	for v := range ctx.IterVariables() {
		if v.DType() != dtypes.Float32 || !v.HasValue() {
			continue
		}
		val, err := v.Value()
		require.NoError(t, err)
		out[uuid.ReplaceAllString(v.ScopeAndName(), "")], err = tensors.CopyFlatData[float32](val)
		require.NoError(t, err)
	}
	return out
}

func maxAbsDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

// trainTwice trains a fresh network (strategy name, seed 42) for two passes over data at
// lr 0.05 on the given number of devices, the second pass with noise σ on every site (nq
// only), and returns its float32 variables and its ANN accuracy on data.
func trainTwice(t *testing.T, data *testutil.Data, name string, devices int, sigma float64) (map[string][]float32, float64) {
	t.Helper()
	b := testutil.Backend(t)
	ctx := context.New()
	require.NoError(t, ctx.SetRNGStateFromSeed(42))
	tr, err := fit.New(b, ctx, network(t, name), fit.Config{Epochs: 2, LearningRate: 0.05, Momentum: 0.9,
		WeightDecay: 5e-4, Devices: devices})
	require.NoError(t, err)
	require.NoError(t, fit.SetLearningRate(ctx, 0.05))
	require.NoError(t, tr.TrainSteps(data))
	if sigma > 0 {
		require.NoError(t, snn.SetSigma(ctx, []float64{sigma, sigma, sigma}))
	}
	require.NoError(t, tr.TrainSteps(data))
	// A variable updated by a sharded step keeps the (replicated) sharding spec it got.
	spec := ctx.GetVariableByScopeAndName("/model/conv00", "weights").ShardingSpec()
	if devices > 1 {
		require.NotNil(t, spec, "training ran sharded")
		assert.True(t, spec.IsReplicated(), "variables are replicated")
		assert.Equal(t, devices, spec.Mesh.NumDevices())
	} else {
		assert.Nil(t, spec, "training ran on one device")
	}
	acc, err := tr.EvalANN(data, nil)
	require.NoError(t, err)
	return floatVars(t, ctx), acc
}

// assertSameVars checks that two trainings ended with the same variables (within 1e-4).
func assertSameVars(t *testing.T, want, got map[string][]float32) {
	t.Helper()
	require.NotEmpty(t, want)
	require.Len(t, got, len(want))
	weights := 0
	for name, w := range want {
		g, ok := got[name]
		require.True(t, ok, "variable %s missing", name)
		require.Len(t, g, len(w), name)
		assert.LessOrEqual(t, maxAbsDiff(w, g), 1e-4, "variable %s", name)
		if len(w) > 1 {
			weights++
		}
	}
	assert.Greater(t, weights, 3, "compared the network's weight tensors")
}

// Data-parallel training over 2 devices computes the same steps as one device: same weights,
// batch-norm statistics, optimizer state and metrics after two passes, including a last batch
// (131 = 8×16 + 3) that does not split over 2 devices and is trained on device 0 alone.
//
// qcfs draws no noise. nq draws its noise from the context RNG; under AutoSharding the draw is
// the same as on one device (the RNG state stays replicated), so with σ = 0.5 the runs match
// too, while differing from a σ = 0 run (the noise is really there).
func TestDataParallelMatchesSingleDevice(t *testing.T) {
	needDevices(t, testutil.Backend(t), 2)
	data := testutil.Blobs(131, 4, 12, 12, 1, 16, 1)
	t.Run("qcfs", func(t *testing.T) {
		single, accSingle := trainTwice(t, data, "qcfs", 1, 0)
		multi, accMulti := trainTwice(t, data, "qcfs", 2, 0)
		assertSameVars(t, single, multi)
		assert.InDelta(t, accSingle, accMulti, 1e-9)
		assert.Greater(t, accMulti, 0.5, "training happened")
	})
	t.Run("nq", func(t *testing.T) {
		single, _ := trainTwice(t, data, "nq", 1, 0.5)
		multi, _ := trainTwice(t, data, "nq", 2, 0.5)
		assertSameVars(t, single, multi)
		noiseless, _ := trainTwice(t, data, "nq", 1, 0)
		const w = "/model/conv01/weights"
		require.Contains(t, noiseless, w)
		assert.Greater(t, maxAbsDiff(noiseless[w], multi[w]), 1e-4, "σ = 0.5 noise changed the training")
	})
}

// A whole nq epoch with training on 2 devices: single-device evaluation, σ calibration and
// SNN selection then run on the same variables, and the next epoch trains sharded again.
func TestDataParallelNQEpoch(t *testing.T) {
	b := testutil.Backend(t)
	needDevices(t, b, 2)
	ctx := context.New()
	require.NoError(t, ctx.SetRNGStateFromSeed(42))
	train := testutil.Blobs(256, 4, 12, 12, 1, 32, 1)
	val := testutil.Blobs(128, 4, 12, 12, 1, 64, 2)
	tr, err := fit.New(b, ctx, network(t, "nq"), fit.Config{Epochs: 2, LearningRate: 0.05, Momentum: 0.9,
		WeightDecay: 5e-4, Devices: 2})
	require.NoError(t, err)
	var last *fit.Epoch
	for e := range 2 {
		last, err = tr.RunEpoch(e, train, val, nil)
		require.NoError(t, err)
		require.False(t, math.IsNaN(last.Loss), "epoch %d loss", e)
	}
	require.Len(t, last.Sigma, 3)
	for _, s := range last.Sigma {
		assert.GreaterOrEqual(t, s, 0.0, "σ per site: %v", last.Sigma)
	}
	// The first site sees the constant analog image, and with T_n = L an IF
	// neuron equals QCFS exactly, so its gap vanishes (up to float rounding at
	// the quantisation steps); later sites see spikes and have a gap.
	assert.Less(t, last.Sigma[0], 0.01, "σ per site: %v", last.Sigma)
	assert.Greater(t, last.Sigma[1], 0.0, "σ per site: %v", last.Sigma)
	assert.Greater(t, last.Sigma[2], 0.0, "σ per site: %v", last.Sigma)
	assert.Greater(t, last.ValANNAcc, 0.8)
}

func TestDevicesValidation(t *testing.T) {
	b := testutil.Backend(t)
	_, err := fit.New(b, context.New(), network(t, "qcfs"), fit.Config{Devices: -1})
	assert.ErrorContains(t, err, "devices must be >= 0, got -1")
	have := b.NumDevices()
	_, err = fit.New(b, context.New(), network(t, "qcfs"), fit.Config{Devices: have + 1})
	assert.ErrorContains(t, err, fmt.Sprintf("%d devices requested for data-parallel training, but backend %q has only %d",
		have+1, b.Name(), have))
	for _, n := range []int{0, 1} {
		_, err = fit.New(b, context.New(), network(t, "qcfs"), fit.Config{Devices: n})
		assert.NoError(t, err, "Devices=%d is single-device", n)
	}
}
