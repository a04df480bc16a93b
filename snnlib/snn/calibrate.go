package snn

import (
	"math"
	"sort"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"

	"github.com/nqsnn/nqsnn/snnlib/model"
	"github.com/nqsnn/nqsnn/snnlib/strategy"
)

// GapStats are the per-site statistics of the gap between the noise-free ANN
// activation (ANN inputs) and the SNN's firing rate times θ (SNN inputs) over
// a window of T steps: the residual error the NQ activation models.
type GapStats struct {
	T       int
	Batches int
	Mean    []float64 // μ_l: mean over batches of the batch's mean gap
	Std     []float64 // σ_l = sqrt(mean over batches of the batch's gap variance)
}

// Calibrate measures GapStats on up to maxBatches batches of ds (all when
// maxBatches <= 0), simulating T steps per batch. This is the paper's noise
// calibration: run it on validation data, never the test set.
func (s *Simulator) Calibrate(ds train.Dataset, T, maxBatches int) (*GapStats, error) {
	rec := s.record
	s.recordOnly(recordOutput)
	defer s.recordOnly(rec)
	gapExec := s.gaps[T]
	st := &GapStats{T: T}
	var sumVar []float64
	err := forEachBatch(ds, func(images, labels *tensors.Tensor) error {
		if maxBatches > 0 && st.Batches >= maxBatches {
			return nil
		}
		br, err := s.RunBatch(images, labels, T)
		if err != nil {
			return err
		}
		defer br.Window.Free()
		if gapExec == nil {
			gapExec, err = context.NewExec(s.backend, s.modelCtx(), func(ctx *context.Context, in []*Node) []*Node {
				return s.gapGraph(ctx, in, T)
			})
			if err != nil {
				return err
			}
			if s.gaps == nil {
				s.gaps = map[int]*context.Exec{}
			}
			s.gaps[T] = gapExec
		}
		out, err := gapExec.Exec(append([]any{images}, anySlice(br.Window.OutSum)...)...)
		if err != nil {
			return err
		}
		means, vars := tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1])
		freeAll(out)
		if st.Mean == nil {
			st.Mean, sumVar = make([]float64, len(means)), make([]float64, len(means))
		}
		for i := range means {
			st.Mean[i] += float64(means[i])
			sumVar[i] += float64(vars[i])
		}
		st.Batches++
		return nil
	})
	if err != nil {
		return nil, err
	}
	if st.Batches == 0 {
		return nil, errorf("calibration data set %q yielded no batches", ds.Name())
	}
	st.Std = make([]float64, len(sumVar))
	for i := range sumVar {
		st.Mean[i] /= float64(st.Batches)
		st.Std[i] = math.Sqrt(sumVar[i] / float64(st.Batches))
	}
	return st, nil
}

// gapGraph: inputs images, osum[n]; outputs mean and variance of the gap per site.
func (s *Simulator) gapGraph(ctx *context.Context, in []*Node, T int) []*Node {
	x, osum := in[0], in[1:]
	means, vars := make([]*Node, len(osum)), make([]*Node, len(osum))
	s.nw.ANNWithSites(ctx, x, func(_ *context.Context, i int, _, act *Node) *Node {
		gap := Sub(act, DivScalar(osum[i], float64(T)))
		means[i] = ReduceAllMean(gap)
		vars[i] = ReduceAllMean(Square(Sub(gap, means[i])))
		return act
	})
	return []*Node{Stack(means, 0), Stack(vars, 0)}
}

// siteVariable returns the variable name of site i's scope in ctx's model scope.
func siteVariable(ctx *context.Context, site int, name string) *context.Variable {
	return ctx.In(ModelScope).In(model.SiteName(site)).GetVariable(name)
}

// SetSigma writes σ_l into each site's noise variable (strategy "nq").
func SetSigma(ctx *context.Context, sigma []float64) error {
	return SetSiteScalars(ctx, strategy.SigmaVar, sigma)
}

// SiteScalars reads a scalar variable (λ, σ, threshold) of every site, in
// order, stopping at the first site without it.
func SiteScalars(ctx *context.Context, name string) []float64 {
	var out []float64
	for i := 0; ; i++ {
		v := siteVariable(ctx, i, name)
		if v == nil {
			return out
		}
		t, err := v.Value()
		if err != nil {
			return out
		}
		out = append(out, float64(tensors.ToScalar[float32](t)))
	}
}

// SetSiteScalars writes values[i] into the scalar variable name (λ, σ,
// threshold) of site i, for every i; the sites must have been built.
func SetSiteScalars(ctx *context.Context, name string, values []float64) error {
	for i, x := range values {
		v := siteVariable(ctx, i, name)
		if v == nil {
			return errorf("site %d (%s) has no variable %q: build the network first", i, model.SiteName(i), name)
		}
		if err := v.SetValue(tensors.FromScalar(float32(x))); err != nil {
			return err
		}
	}
	return nil
}

// ActivationPercentiles returns, per site, the p-th percentile (0..100) of
// the ANN activations on up to maxBatches batches of ds (all when
// maxBatches <= 0), e.g. for data-based threshold balancing (Rueckauer et al.
// 2017) or a warm start's λ. It runs the ANN over the batches three times and
// keeps only a histogram and a few values per site (percentilesOf), never
// every activation.
func ActivationPercentiles(s *Simulator, ds train.Dataset, p float64, maxBatches int) ([]float64, error) {
	if !(p > 0 && p <= 100) {
		return nil, errorf("percentile must be in (0, 100], got %g", p)
	}
	exec, err := context.NewExec(s.backend, s.modelCtx(), func(ctx *context.Context, x *Node) []*Node {
		var acts []*Node
		logits, _ := s.nw.ANNWithSites(ctx, x, func(_ *context.Context, _ int, _, act *Node) *Node {
			acts = append(acts, ConvertDType(act, dtypes.Float32))
			return act
		})
		return append(acts, logits) // see compile: every input must feed an output
	})
	if err != nil {
		return nil, err
	}
	defer exec.Finalize()
	// A strided sample of at most this many values per site and batch (times
	// maxBatches when capped) is plenty for a percentile.
	const maxSamples = 1 << 21
	batches := 0
	stream := func(visit func(site int, xs []float32)) error {
		batches = 0
		return forEachBatch(ds, func(images, _ *tensors.Tensor) error {
			if maxBatches > 0 && batches >= maxBatches {
				return nil
			}
			out, err := exec.Exec(images)
			if err != nil {
				return err
			}
			out[len(out)-1].FinalizeAll() // the logits
			for i, t := range out[:len(out)-1] {
				flat := tensors.MustCopyFlatData[float32](t)
				if stride := max(1, len(flat)*max(maxBatches, 1)/maxSamples); stride > 1 {
					k := 0
					for j := 0; j < len(flat); j += stride {
						flat[k] = flat[j]
						k++
					}
					flat = flat[:k]
				}
				visit(i, flat)
			}
			freeAll(out[:len(out)-1])
			batches++
			return nil
		})
	}
	out, err := percentilesOf(p, stream)
	if err != nil {
		return nil, err
	}
	if batches == 0 {
		return nil, errorf("data set %q yielded no batches", ds.Name())
	}
	return out, nil
}

// Calibration is the strategy.Calibrator of a simulator on a run's data: the
// strategy's hooks measure through it (package fit builds one per epoch).
type Calibration struct {
	Sim *Simulator
	// Gaps is the data the ANN/SNN gap is measured on; Activations the data
	// activation percentiles are taken on (both: validation data).
	Gaps, Activations train.Dataset
	MaxBatches        int // cap on the batches of each (0: all)
}

var _ strategy.Calibrator = Calibration{}

// Gap implements strategy.Calibrator.
func (c Calibration) Gap(T int) (mean, std []float64, err error) {
	st, err := c.Sim.Calibrate(c.Gaps, T, c.MaxBatches)
	if err != nil {
		return nil, nil, err
	}
	return st.Mean, st.Std, nil
}

// ActivationPercentile implements strategy.Calibrator.
func (c Calibration) ActivationPercentile(p float64) ([]float64, error) {
	return ActivationPercentiles(c.Sim, c.Activations, p, c.MaxBatches)
}

// SetSiteScalars implements strategy.Calibrator.
func (c Calibration) SetSiteScalars(name string, values []float64) error {
	return SetSiteScalars(c.Sim.ctx, name, values)
}

// Percentile returns the p-th percentile (0..100) of xs by linear
// interpolation between order statistics; xs is sorted in place.
func Percentile(xs []float32, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	sort.Slice(xs, func(a, b int) bool { return xs[a] < xs[b] })
	pos := p / 100 * float64(len(xs)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(xs)-1)
	f := pos - float64(lo)
	return float64(xs[lo])*(1-f) + float64(xs[hi])*f
}
