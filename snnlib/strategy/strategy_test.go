package strategy_test

import (
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nqsnn/nqsnn/snnlib/internal/testutil"
	"github.com/nqsnn/nqsnn/snnlib/model"
	"github.com/nqsnn/nqsnn/snnlib/neuron"
	"github.com/nqsnn/nqsnn/snnlib/snn"
	"github.com/nqsnn/nqsnn/snnlib/strategy"
)

// chainGain scales the first site's output into the second site's input.
const chainGain = 0.7

// chain is a two-site network without weights: the pixels are the first
// site's input current, chainGain times its output the second's, and the
// second's first two outputs are the logits. Its SNN can be simulated by hand
// neuron by neuron, layer after layer, as the SRP and COS authors' code does.
func chain(n *model.Net, images *Node, _ int) *Node {
	x := n.Act(n.Flatten(images))
	x = n.Act(MulScalar(x, chainGain))
	return Slice(x, AxisRange(), AxisRange(0, 2))
}

// simulateChain runs the SNN of chain under strategy name (θ = λ = 1) on the
// currents z for T scored steps, and returns the scored window's spike count
// and final membrane per site and neuron, and the batch's charged warm-up
// spikes per site.
func simulateChain(t *testing.T, name string, params map[string]float64, z []float32, T int) (spikes, membrane [2][]float64, warmup []float64, latency int) {
	cfg := strategy.DefaultConfig()
	cfg.Lambda = 1
	cfg.Params = params
	st, err := strategy.ByName(name, cfg)
	require.NoError(t, err)
	b := testutil.Backend(t)
	nw := snn.Network{Model: chain, NumClasses: 2, Strategy: st, Neuron: neuron.IF{InitFraction: 0.5}}
	ctx := context.New()
	_, _, err = nw.Describe(b, ctx, []int{1, 1, len(z)})
	require.NoError(t, err)
	require.NoError(t, ctx.InitializeVariables(b, nil))
	sim, err := snn.NewSimulator(b, ctx, nw)
	require.NoError(t, err)
	sim.Record(true)
	images := tensors.FromFlatDataAndDimensions(z, 1, 1, 1, len(z))
	res, err := sim.RunBatch(images, tensors.FromFlatDataAndDimensions([]int32{0}, 1), T)
	require.NoError(t, err)
	defer res.Window.Free()
	for i := range 2 {
		spikes[i] = toFloat64(tensors.MustCopyFlatData[float32](res.Window.SpikeSum[i]))
		membrane[i] = toFloat64(tensors.MustCopyFlatData[float32](res.Window.Membrane[i]))
	}
	ev, err := sim.Evaluate(&testutil.Data{N: 1, H: 1, W: 1, C: len(z), Batch: 1, Images: z, Labels: []int32{0}}, T, nil)
	require.NoError(t, err)
	return spikes, membrane, res.WarmupSpikes, ev.Latency
}

func toFloat64(xs []float32) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x)
	}
	return out
}

// ifRun is one IF neuron (θ = 1, reset by subtraction) from v0 on the
// currents z: its spikes per step and its membrane after each step.
func ifRun(v0 float64, z []float64) (spike []float64, v []float64) {
	for _, zt := range z {
		v0 += zt
		s := 0.0
		if v0 >= 1 {
			s, v0 = 1, v0-1
		}
		spike, v = append(spike, s), append(v, v0)
	}
	return spike, v
}

func sum(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s
}

func constant(z float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = z
	}
	return out
}

func currents(seed uint64, n int) []float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	z := make([]float32, n)
	for i := range z {
		z[i] = float32(r.Float64()*3 - 0.5) // below 0, within [0, θ] and well above θ
	}
	return z
}

// SRP as the authors' code (hzc1208/ANN2SNN_SRP, MPLayer): τ steps of the
// whole network unmasked; a neuron whose membrane is then ≤ 1e-3·θ is
// muted; every membrane restarts at θ/2; T scored steps.
func TestSRPMatchesAuthorsProcedure(t *testing.T) {
	z := currents(1, 64)
	const tau, T = 4, 6
	spikes, membrane, warmup, latency := simulateChain(t, "srp", map[string]float64{"tau": tau}, z, T)
	assert.Equal(t, tau, latency)
	muted := 0
	var warmSpikes [2]float64
	for j, zj := range z {
		// Layer 1: constant current.
		w1, v1 := ifRun(0.5, constant(float64(zj), tau))
		on1 := v1[tau-1] > 1e-3
		s1, m1 := ifRun(0.5, constant(float64(zj), T))
		out1 := make([]float64, T)
		for t := range s1 {
			if on1 {
				out1[t] = s1[t]
			}
		}
		// Layer 2: driven by layer 1's spikes, unmasked while warming up.
		w2, v2 := ifRun(0.5, scale(w1, chainGain))
		on2 := v2[tau-1] > 1e-3
		s2, m2 := ifRun(0.5, scale(out1, chainGain))
		if !on1 {
			muted++
		}
		emitted := func(s []float64, on bool) float64 {
			if on {
				return sum(s)
			}
			return 0
		}
		warmSpikes[0] += sum(w1)
		warmSpikes[1] += sum(w2)
		require.InDelta(t, emitted(s1, on1), spikes[0][j], 1e-6, "site 0, neuron %d (z=%g)", j, zj)
		require.InDelta(t, m1[T-1], membrane[0][j], 1e-5, "site 0, neuron %d: a muted neuron keeps integrating", j)
		require.InDelta(t, emitted(s2, on2), spikes[1][j], 1e-6, "site 1, neuron %d", j)
		require.InDelta(t, m2[T-1], membrane[1][j], 1e-5, "site 1, neuron %d", j)
	}
	assert.Positive(t, muted, "the test must mute some neurons")
	assert.Less(t, muted, len(z), "and keep others")
	assert.InDeltaSlice(t, warmSpikes[:], warmup, 1e-4, "warm-up spikes are counted as cost")
}

func scale(xs []float64, c float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = c * x
	}
	return out
}

// cosInit is the authors' offset-spike rule (hzc1208/ANN2SNN_COS, MPLayer):
// run ρ steps from 0.5; too many spikes (v < 0 after ≥ 1 spike) lowers the
// initial membrane by max(1, a − 0.999), a the lowest potential at a spike;
// too few (v ≥ 1) raises it by max(1, 1.001 − b), b the highest without one.
func cosInit(z []float64) float64 {
	v, count, a, b := 0.5, 0.0, 1000.0, -1000.0
	for _, zt := range z {
		u := v + zt
		if u >= 1 {
			count++
			a = math.Min(a, u)
			v = u - 1
		} else {
			b = math.Max(b, u)
			v = u
		}
	}
	init := 0.5
	if v < 0 && count > 1e-3 {
		init -= math.Max(1, a-0.999)
	}
	if v >= 1 {
		init = 0.5 + math.Max(1, 1.001-b)
	}
	return init
}

// COS as the authors' code: layer by layer, ρ warm-up steps on the already
// calibrated output of the layer before set the initial membrane, then the
// whole window is re-run from step 1.
func TestCOSMatchesAuthorsProcedure(t *testing.T) {
	z := currents(2, 64)
	const rho = 4
	for _, T := range []int{2, 6} { // T < ρ too: the window is a prefix of the authors' longer one
		spikes, membrane, warmup, latency := simulateChain(t, "cos", map[string]float64{"rho": rho}, z, T)
		assert.Equal(t, rho, latency)
		shifted := 0
		var warmSpikes [2]float64
		n := max(T, rho)
		for j, zj := range z {
			in1 := constant(float64(zj), n)
			init1 := cosInit(in1[:rho])
			s1, m1 := ifRun(init1, in1)
			in2 := scale(s1, chainGain)
			init2 := cosInit(in2[:rho])
			s2, m2 := ifRun(init2, in2)
			if init1 != 0.5 || init2 != 0.5 {
				shifted++
			}
			w1, _ := ifRun(0.5, in1[:rho])
			w2, _ := ifRun(0.5, in2[:rho])
			warmSpikes[0] += sum(w1)
			warmSpikes[1] += sum(w2)
			require.InDelta(t, sum(s1[:T]), spikes[0][j], 1e-6, "T=%d site 0, neuron %d (z=%g, v0=%g)", T, j, zj, init1)
			// float32: an always-firing neuron starts near 1001.5 (the authors' ±1000 "no such step").
			require.InDelta(t, m1[T-1], membrane[0][j], 1e-4*(1+math.Abs(m1[T-1])), "T=%d site 0, neuron %d", T, j)
			require.InDelta(t, sum(s2[:T]), spikes[1][j], 1e-6, "T=%d site 1, neuron %d (v0=%g)", T, j, init2)
			require.InDelta(t, m2[T-1], membrane[1][j], 1e-4*(1+math.Abs(m2[T-1])), "T=%d site 1, neuron %d", T, j)
		}
		assert.Positive(t, shifted, "the test must shift some initial membranes")
		assert.InDeltaSlice(t, warmSpikes[:], warmup, 1e-4, "each site is charged for its own warm-up only")
	}
}

// With no warm-up, SRP and COS are the plain QCFS conversion.
func TestZeroWarmupIsQCFS(t *testing.T) {
	z := currents(3, 32)
	qs, qm, qw, ql := simulateChain(t, "qcfs", nil, z, 5)
	for _, c := range []struct {
		name  string
		param string
	}{{"srp", "tau"}, {"cos", "rho"}} {
		s, m, w, l := simulateChain(t, c.name, map[string]float64{c.param: 0}, z, 5)
		assert.Equal(t, qs, s, c.name)
		assert.Equal(t, qm, m, c.name)
		assert.Equal(t, qw, w, c.name)
		assert.Equal(t, ql, l, c.name)
	}
	assert.Nil(t, qw)
	assert.Zero(t, ql)
}

func TestByNameParams(t *testing.T) {
	cfg := strategy.DefaultConfig()
	s, err := strategy.ByName("srp", cfg)
	require.NoError(t, err)
	assert.Equal(t, 4, s.(strategy.SRP).Tau(), "default τ")
	cfg.Params = map[string]float64{"tau": 8}
	s, err = strategy.ByName("srp", cfg)
	require.NoError(t, err)
	assert.Equal(t, 8, s.(strategy.SRP).Tau())
	cfg.Params = map[string]float64{"rho": 8}
	_, err = strategy.ByName("srp", cfg)
	assert.EqualError(t, err, `strategy "srp" has no parameter "rho" (its parameters: tau)`)
	cfg.Params = map[string]float64{"tau": 1.5}
	_, err = strategy.ByName("srp", cfg)
	assert.EqualError(t, err, `strategy "srp": tau must be a whole number, got 1.5`)
	cfg.Params = map[string]float64{"percentile": 0}
	_, err = strategy.ByName("relu", cfg)
	assert.ErrorContains(t, err, "percentile must be in")
	cfg.Params = map[string]float64{"x": 1}
	_, err = strategy.ByName("qcfs", cfg)
	assert.EqualError(t, err, `strategy "qcfs" has no parameter "x" (it has none)`)
	_, err = strategy.ByName("nq", cfg)
	assert.EqualError(t, err, `strategy "nq" has no parameter "x" (its parameters: sigma-scale)`)
	_, err = strategy.ByName("snn", cfg)
	assert.EqualError(t, err, `unknown strategy "snn" (known: cos, nq, qcfs, relu, srp)`)
	assert.Equal(t, []string{"cos", "nq", "qcfs", "relu", "srp"}, strategy.Names())
}

// gapOnly is a Calibrator whose gap is fixed; it keeps what is set.
type gapOnly struct {
	mean, std []float64
	set       map[string][]float64
}

func (g *gapOnly) Gap(int) ([]float64, []float64, error) {
	return append([]float64(nil), g.mean...), append([]float64(nil), g.std...), nil
}
func (g *gapOnly) ActivationPercentile(float64) ([]float64, error) { return nil, nil }
func (g *gapOnly) SetSiteScalars(name string, v []float64) error {
	g.set[name] = v
	return nil
}

// NQ trains with the measured σ times sigma-scale (1 by default): 0 is
// QCFS training, 2 doubles the noise; the log sees the σ trained with.
func TestNQSigmaScale(t *testing.T) {
	for _, c := range []struct {
		params map[string]float64
		want   []float64
	}{{nil, []float64{0.2, 0.4}}, {map[string]float64{strategy.SigmaScaleParam: 0}, []float64{0, 0}}, {map[string]float64{strategy.SigmaScaleParam: 2.5}, []float64{0.5, 1}}} {
		cfg := strategy.DefaultConfig()
		cfg.Params = c.params
		s, err := strategy.ByName("nq", cfg)
		require.NoError(t, err)
		cal := &gapOnly{mean: []float64{0.1, -0.1}, std: []float64{0.2, 0.4}, set: map[string][]float64{}}
		got, err := s.AfterEpoch(cal)
		require.NoError(t, err)
		assert.InDeltaSlice(t, c.want, cal.set[strategy.SigmaVar], 1e-12, "%v", c.params)
		assert.InDeltaSlice(t, c.want, got.Sigma, 1e-12)
		assert.Equal(t, []float64{0.1, -0.1}, got.Mu, "the gap's mean is reported as measured")
	}
	cfg := strategy.DefaultConfig()
	cfg.Params = map[string]float64{strategy.SigmaScaleParam: -1}
	_, err := strategy.ByName("nq", cfg)
	assert.ErrorContains(t, err, "sigma-scale must be in [0, 100], got -1")
}
