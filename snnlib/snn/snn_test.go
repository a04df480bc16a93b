package snn_test

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
	"github.com/nqsnn/nqsnn/snnlib/nq"
	"github.com/nqsnn/nqsnn/snnlib/snn"
	"github.com/nqsnn/nqsnn/snnlib/strategy"
)

// oneHidden is input -> dense(H) -> activation -> dense(classes).
func oneHidden(hidden int) model.Fn {
	return func(n *model.Net, x *Node, classes int) *Node {
		return n.Dense(n.Act(n.Dense(n.Flatten(x), hidden)), classes)
	}
}

type tiny struct {
	in, hidden, classes int
	w1, b1, w2, b2      []float64
	lambda              float64
}

func newTiny(r *rand.Rand) *tiny {
	tn := &tiny{in: 3, hidden: 5, classes: 2, lambda: 1.3}
	rnd := func(n int, s float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = r.NormFloat64() * s
		}
		return out
	}
	tn.w1, tn.b1 = rnd(tn.in*tn.hidden, 0.8), rnd(tn.hidden, 0.3)
	tn.w2, tn.b2 = rnd(tn.hidden*tn.classes, 1), rnd(tn.classes, 0.1)
	return tn
}

func f32(xs []float64, dims ...int) *tensors.Tensor {
	out := make([]float32, len(xs))
	for i, x := range xs {
		out[i] = float32(x)
	}
	return tensors.FromFlatDataAndDimensions(out, dims...)
}

// install writes the tiny network's weights into ctx.
func (tn *tiny) install(ctx *context.Context) {
	m := ctx.In(snn.ModelScope)
	m.In("dense00").VariableWithValue("weights", f32(tn.w1, tn.in, tn.hidden))
	m.In("dense00").VariableWithValue("bias", f32(tn.b1, tn.hidden))
	m.In("dense01").VariableWithValue("weights", f32(tn.w2, tn.hidden, tn.classes))
	m.In("dense01").VariableWithValue("bias", f32(tn.b2, tn.classes))
	m.In("act00").VariableWithValue(strategy.LambdaVar, float32(tn.lambda))
}

// pre is the hidden pre-activation of example x, computed by hand.
func (tn *tiny) pre(x []float32) []float64 {
	z := make([]float64, tn.hidden)
	for j := range z {
		z[j] = tn.b1[j]
		for i := range tn.in {
			z[j] += float64(x[i]) * tn.w1[i*tn.hidden+j]
		}
	}
	return z
}

func tinyData(r *rand.Rand, n, batch int) *testutil.Data {
	d := &testutil.Data{N: n, H: 1, W: 1, C: 3, Batch: batch, Images: make([]float32, n*3), Labels: make([]int32, n)}
	for i := range d.Images {
		d.Images[i] = float32(r.NormFloat64())
	}
	for i := range d.Labels {
		d.Labels[i] = int32(r.IntN(2))
	}
	return d
}

func nqNetwork(t *testing.T, fn model.Fn, classes, levels int) snn.Network {
	cfg := strategy.DefaultConfig()
	cfg.Levels = levels
	st, err := strategy.ByName("nq", cfg)
	require.NoError(t, err)
	return snn.Network{Model: fn, NumClasses: classes, Strategy: st, Neuron: neuron.IF{InitFraction: 0.5}}
}

// Calibration's gap statistics equal a direct ANN-vs-SNN computation by hand.
func TestCalibrateMatchesHandComputation(t *testing.T) {
	b := testutil.Backend(t)
	r := rand.New(rand.NewPCG(3, 4))
	tn := newTiny(r)
	ctx := context.New()
	tn.install(ctx)
	const L, T = 4, 3
	sim, err := snn.NewSimulator(b, ctx, nqNetwork(t, oneHidden(tn.hidden), tn.classes, L))
	require.NoError(t, err)
	data := tinyData(r, 20, 8) // batches of 8, 8, 4
	st, err := sim.Calibrate(data, T, 0)
	require.NoError(t, err)
	require.Equal(t, 3, st.Batches)

	var wantMean, wantVar float64
	for start := 0; start < data.N; start += data.Batch {
		end := min(start+data.Batch, data.N)
		var gaps []float64
		for e := start; e < end; e++ {
			for _, z := range tn.pre(data.Images[e*3 : e*3+3]) {
				tr := neuron.SimulateIF([]float64{z, z, z}, tn.lambda, tn.lambda/2)
				rate := (tr.Output[0] + tr.Output[1] + tr.Output[2]) / T
				gaps = append(gaps, nq.Value(z, tn.lambda, L)-rate)
			}
		}
		m, v := meanVar(gaps)
		wantMean += m
		wantVar += v
	}
	require.Len(t, st.Mean, 1)
	assert.InDelta(t, wantMean/3, st.Mean[0], 1e-5)
	assert.InDelta(t, math.Sqrt(wantVar/3), st.Std[0], 1e-5)
	assert.Greater(t, st.Std[0], 0.01, "T=3 != L=4 leaves a real gap")

	require.NoError(t, snn.SetSigma(ctx, st.Std))
	assert.InDelta(t, st.Std[0], snn.SiteScalars(ctx, strategy.SigmaVar)[0], 1e-6)
	assert.InDelta(t, tn.lambda, snn.SiteScalars(ctx, strategy.LambdaVar)[0], 1e-6)
}

func meanVar(xs []float64) (float64, float64) {
	var m, v float64
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	for _, x := range xs {
		v += (x - m) * (x - m)
	}
	return m, v / float64(len(xs))
}

// As T grows the SNN's mean output converges to the clipped ANN at the rate
// θ/(2T) per hidden unit, and stays within θ/(2T) + θ/(2L) of the QCFS ANN.
func TestSNNConvergesWithBound(t *testing.T) {
	b := testutil.Backend(t)
	r := rand.New(rand.NewPCG(5, 6))
	tn := newTiny(r)
	ctx := context.New()
	tn.install(ctx)
	const L = 4
	sim, err := snn.NewSimulator(b, ctx, nqNetwork(t, oneHidden(tn.hidden), tn.classes, L))
	require.NoError(t, err)
	data := tinyData(r, 16, 16)
	_, in, lab, err := data.Yield()
	require.NoError(t, err)
	norm := make([]float64, tn.classes) // Σ_i |W2_ij|
	for i := range tn.hidden {
		for j := range tn.classes {
			norm[j] += math.Abs(tn.w2[i*tn.classes+j])
		}
	}
	prevWorst := math.Inf(1)
	for _, T := range []int{4, 16, 64, 256} {
		br, err := sim.RunBatch(in[0], lab[0], T)
		require.NoError(t, err)
		logits := tensors.MustCopyFlatData[float32](br.Window.Logits)
		br.Window.Free()
		worst := 0.0
		for e := range data.N {
			z := tn.pre(data.Images[e*3 : e*3+3])
			for j := range tn.classes {
				clipOut, qOut := tn.b2[j], tn.b2[j]
				for i := range tn.hidden {
					clipOut += math.Min(math.Max(z[i], 0), tn.lambda) * tn.w2[i*tn.classes+j]
					qOut += nq.Value(z[i], tn.lambda, L) * tn.w2[i*tn.classes+j]
				}
				snnOut := float64(logits[e*tn.classes+j]) / float64(T)
				bound := norm[j] * tn.lambda / (2 * float64(T))
				require.LessOrEqual(t, math.Abs(snnOut-clipOut), bound+1e-4, "T=%d", T)
				require.LessOrEqual(t, math.Abs(snnOut-qOut), bound+norm[j]*tn.lambda/(2*L)+1e-4, "T=%d", T)
				worst = math.Max(worst, math.Abs(snnOut-clipOut))
			}
		}
		assert.Less(t, worst, prevWorst+1e-6, "gap shrinks with T")
		prevWorst = worst
	}
	assert.Less(t, prevWorst, 0.02)
}

// Folding batch norm into the convolutions changes no output.
func TestFoldBatchNormChangesNothing(t *testing.T) {
	b := testutil.Backend(t)
	ctx := context.New()
	ctx.SetRNGStateFromSeed(1)
	relu, err := strategy.ByName("relu", strategy.DefaultConfig())
	require.NoError(t, err)
	nw := snn.Network{Model: model.SmallCNN, NumClasses: 10, Strategy: relu, Neuron: neuron.IF{InitFraction: 0.5}}
	r := rand.New(rand.NewPCG(7, 8))
	x := make([]float32, 4*12*12*1)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	images := tensors.FromFlatDataAndDimensions(x, 4, 12, 12, 1)
	build := func(fold bool) *context.Exec {
		return context.MustNewExec(b, ctx.In(snn.ModelScope), func(ctx *context.Context, x *Node) *Node {
			net := model.NewNet(ctx, func(ctx *context.Context, _ int, z *Node) *Node { return nw.Strategy.Activation(ctx, z) })
			return nw.Model(net.FoldBatchNorm(fold), x, 10)
		})
	}
	plain := build(false).MustExec(images)[0]
	// Give batch norm non-trivial statistics.
	for v := range ctx.IterVariables() {
		switch v.Name() {
		case "mean", "offset":
			v.MustSetValue(randomLike(r, v.Shape().Dimensions, 0.5, 0))
		case "variance", "scale":
			v.MustSetValue(randomLike(r, v.Shape().Dimensions, 0.3, 1))
		}
	}
	unfolded := tensors.MustCopyFlatData[float32](build(false).MustExec(images)[0])
	folded := tensors.MustCopyFlatData[float32](build(true).MustExec(images)[0])
	assert.NotEqual(t, tensors.MustCopyFlatData[float32](plain), unfolded, "statistics changed the output")
	for i := range folded {
		assert.InDelta(t, unfolded[i], folded[i], 1e-4*(1+math.Abs(float64(unfolded[i]))))
	}
}

func randomLike(r *rand.Rand, dims []int, scale, offset float64) *tensors.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(offset + math.Abs(r.NormFloat64())*scale)
	}
	return tensors.FromFlatDataAndDimensions(out, dims...)
}

func TestRunBatchRejectsBadInput(t *testing.T) {
	b := testutil.Backend(t)
	sim, err := snn.NewSimulator(b, context.New(), nqNetwork(t, oneHidden(4), 2, 4))
	require.NoError(t, err)
	img := tensors.FromShape(tensors.FromFlatDataAndDimensions([]float32{1, 2, 3}, 1, 1, 1, 3).Shape())
	lab := tensors.FromFlatDataAndDimensions([]int32{0, 1}, 2)
	_, err = sim.RunBatch(img, lab, 0)
	assert.ErrorContains(t, err, "time steps must be >= 1, got 0")
	_, err = sim.RunBatch(img, lab, 2)
	assert.ErrorContains(t, err, "2 labels for a batch of 1 images")
	_, err = snn.NewSimulator(b, context.New(), snn.Network{Model: model.SmallCNN, NumClasses: 10})
	assert.ErrorContains(t, err, "no conversion strategy")
}

func TestPercentile(t *testing.T) {
	xs := []float32{5, 1, 4, 2, 3}
	assert.InDelta(t, 3, snn.Percentile(xs, 50), 1e-9)
	assert.InDelta(t, 5, snn.Percentile(xs, 100), 1e-9)
	assert.InDelta(t, 4.96, snn.Percentile(xs, 99), 1e-6)
	assert.True(t, math.IsNaN(snn.Percentile(nil, 50)))
}

// Probe's per-layer data obey charge conservation (reset by subtraction):
// v(T) = θ/2 + T·Z − T·Rate, and its ANN activation matches a hand computation.
func TestProbeConservesCharge(t *testing.T) {
	b := testutil.Backend(t)
	r := rand.New(rand.NewPCG(9, 10))
	tn := newTiny(r)
	ctx := context.New()
	tn.install(ctx)
	const L, T = 4, 5
	sim, err := snn.NewSimulator(b, ctx, nqNetwork(t, oneHidden(tn.hidden), tn.classes, L))
	require.NoError(t, err)
	data := tinyData(r, 8, 8)
	_, in, lab, err := data.Yield()
	require.NoError(t, err)
	layers, err := sim.Probe(in[0], lab[0], T, L)
	require.NoError(t, err)
	require.Len(t, layers, 1)
	d := layers[0]
	assert.Equal(t, "act00", d.Name)
	assert.InDelta(t, tn.lambda, d.Theta, 1e-6)
	require.Len(t, d.Z, 8*tn.hidden)
	for e := range 8 {
		z := tn.pre(data.Images[e*3 : e*3+3])
		for j := range tn.hidden {
			k := e*tn.hidden + j
			assert.InDelta(t, z[j], float64(d.Z[k]), 1e-5)
			assert.InDelta(t, nq.Value(z[j], tn.lambda, L), float64(d.ANN[k]), 1e-5)
			assert.InDelta(t, tn.lambda/2+T*float64(d.Z[k])-T*float64(d.Rate[k]), float64(d.Residual[k]), 1e-4)
			assert.InDelta(t, float64(d.Rate[k])*T/tn.lambda, float64(d.SpikeCount[k]), 1e-4)
		}
	}

	// The raster of a few neurons agrees with the spike counts.
	spikes, mem, err := sim.Raster(in[0], lab[0], T, 0, 2, []int{0, 3})
	require.NoError(t, err)
	require.Len(t, spikes, 2)
	for k, nidx := range []int{0, 3} {
		require.Len(t, spikes[k], T)
		n := 0
		for _, s := range spikes[k] {
			if s {
				n++
			}
		}
		assert.InDelta(t, float64(d.SpikeCount[2*tn.hidden+nidx]), float64(n), 1e-4)
		assert.InDelta(t, float64(d.Residual[2*tn.hidden+nidx]), mem[k][T-1], 1e-5)
	}
	_, _, err = sim.Raster(in[0], lab[0], T, 3, 0, []int{0})
	assert.ErrorContains(t, err, "site 3 out of range [0, 1)")
}

// Running several time steps per compiled call (with a remainder run step by
// step) gives the same spikes, predictions, warm-up and final state as one
// step per call, in both modes and for a strategy with a warm-up phase.
func TestStepsPerCallChangesNothing(t *testing.T) {
	b := testutil.Backend(t)
	r := rand.New(rand.NewPCG(9, 10))
	x := make([]float32, 6*12*12*1)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	images := tensors.FromFlatDataAndDimensions(x, 6, 12, 12, 1)
	labels := tensors.FromFlatDataAndDimensions([]int32{0, 1, 2, 3, 4, 5}, 6)
	for _, name := range []string{"qcfs", "srp"} {
		st, err := strategy.ByName(name, strategy.DefaultConfig())
		require.NoError(t, err)
		nw := snn.Network{Model: model.SmallCNN, NumClasses: 10, Strategy: st, Neuron: neuron.IF{InitFraction: 0.5}}
		ctx := context.New()
		ctx.SetRNGStateFromSeed(3)
		for _, record := range []bool{false, true} {
			run := func(k int) *snn.BatchResult {
				sim, err := snn.NewSimulator(b, ctx, nw)
				require.NoError(t, err)
				br, err := sim.StepsPerCall(k).Record(record).RunBatch(images, labels, 7)
				require.NoError(t, err)
				return br
			}
			one, three := run(1), run(3)
			msg := func(what string) string {
				return name + " record=" + map[bool]string{false: "off", true: "on"}[record] + ": " + what
			}
			assert.Equal(t, one.Correct, three.Correct, msg("correct"))
			assert.Equal(t, one.Spikes, three.Spikes, msg("spikes"))
			assert.Equal(t, one.WarmupSpikes, three.WarmupSpikes, msg("warm-up spikes"))
			if name == "srp" {
				assert.NotEmpty(t, one.WarmupSpikes, msg("SRP has a warm-up"))
			}
			total := 0.0
			for _, sp := range one.Spikes {
				for _, x := range sp {
					total += x
				}
			}
			assert.Positive(t, total, msg("the network spikes"))
			same := func(what string, a, b []*tensors.Tensor) {
				require.Len(t, b, len(a), msg(what))
				for i := range a {
					assert.InDeltaSlice(t, tensors.MustCopyFlatData[float32](a[i]), tensors.MustCopyFlatData[float32](b[i]), 1e-5, msg(what))
				}
			}
			same("logits", []*tensors.Tensor{one.Window.Logits}, []*tensors.Tensor{three.Window.Logits})
			same("membrane", one.Window.Membrane, three.Window.Membrane)
			same("spike sums", one.Window.SpikeSum, three.Window.SpikeSum)
			same("input sums", one.Window.InputSum, three.Window.InputSum)
			one.Window.Free()
			three.Window.Free()
		}
	}
}

// The neurons an example passes through are the sites' elements: the small
// CNN on MNIST has 28·28·16 + 14·14·32 + 128, ResNet-20 on CIFAR-10
// 7·32·32·16 + 6·16·16·32 + 6·8·8·64.
func TestNeuronsPerExample(t *testing.T) {
	b := testutil.Backend(t)
	relu, err := strategy.ByName("relu", strategy.DefaultConfig())
	require.NoError(t, err)
	for _, c := range []struct {
		model model.Fn
		shape []int
		want  int
	}{
		{model.SmallCNN, []int{28, 28, 1}, 28*28*16 + 14*14*32 + 128},
		{model.ResNet20, []int{32, 32, 3}, 7*32*32*16 + 6*16*16*32 + 6*8*8*64},
	} {
		nw := snn.Network{Model: c.model, NumClasses: 10, Strategy: relu, Neuron: neuron.IF{InitFraction: 0.5}}
		sim, err := snn.NewSimulator(b, context.New(), nw)
		require.NoError(t, err)
		n, err := sim.NeuronsPerExample(c.shape)
		require.NoError(t, err)
		assert.Equal(t, c.want, n)
	}
}
