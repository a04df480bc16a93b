package snn

import (
	"errors"
	"fmt"
	"io"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"

	"github.com/nqsnn/nqsnn/snnlib/model"
)

// Simulator runs the converted SNN of a Network.
type Simulator struct {
	nw      Network
	backend backends.Backend
	ctx     *context.Context
	record  bool
	nSites  int
	init    *context.Exec
	step    *context.Exec
	// steps caches the compiled step graph of each mode (plain, recording),
	// so calibration after every epoch does not recompile.
	steps [2]*context.Exec
	probe *context.Exec
	gaps  map[int]*context.Exec // calibration graphs by window T
	// onStep, when set, sees the state after every step (recording mode).
	onStep func(t int, w *Window) error
	// Stop, if set, is polled before every time step of RunBatch (so also of
	// Evaluate, Calibrate and Probe); when it returns true the simulation
	// ends with ErrStopped. A window of many steps can thus be interrupted.
	Stop func() bool
}

// ErrStopped is returned when Simulator.Stop asked to stop.
var ErrStopped = errors.New("snn: simulation stopped")

// NewSimulator converts nw (whose variables live in ctx under ModelScope) to
// spiking neurons. Nothing is compiled until the first batch.
func NewSimulator(backend backends.Backend, ctx *context.Context, nw Network) (*Simulator, error) {
	if err := nw.Validate(); err != nil {
		return nil, err
	}
	return &Simulator{nw: nw, backend: backend, ctx: ctx}, nil
}

// Record makes the simulator keep, per neuron, the summed input current and
// summed output over the window (needed by calibration and analysis; costs
// two extra tensors per layer).
func (s *Simulator) Record(on bool) *Simulator {
	s.record = on
	s.step = s.steps[boolIndex(on)]
	return s
}

func (s *Simulator) modelCtx() *context.Context { return s.ctx.In(ModelScope).Checked(false) }

func (s *Simulator) threshold(ctx *context.Context, z *Node) *Node {
	return ConvertDType(s.nw.Strategy.Threshold(ctx, z.Graph()), z.DType())
}

func (s *Simulator) compile() error {
	if s.step != nil {
		return nil
	}
	var err error
	if s.init == nil {
		s.init, err = context.NewExec(s.backend, s.modelCtx(), func(ctx *context.Context, x *Node) []*Node {
			var v []*Node
			net := model.NewNet(ctx, func(ctx *context.Context, i int, z *Node) *Node {
				v = append(v, s.nw.Neuron.Init(z, s.threshold(ctx, z)))
				return z
			}).FoldBatchNorm(true)
			logits := s.nw.Model(net, x, s.nw.NumClasses)
			s.nSites = len(v)
			// The logits are returned (and dropped) so that every graph input is
			// an ancestor of some output: simplego sizes its buffers by the outputs.
			return append(v, logits)
		})
		if err != nil {
			return err
		}
	}
	// stepGraph reads s.record while building, so each mode gets its own graph.
	record := s.record
	s.step, err = context.NewExec(s.backend, s.modelCtx(), func(ctx *context.Context, in []*Node) []*Node {
		return s.stepGraph(ctx, in, record)
	})
	s.steps[boolIndex(record)] = s.step
	return err
}

func boolIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}

// stepGraph inputs: x, labels, acc, v[n] (+ zsum[n], osum[n] when recording).
// outputs: acc', correct, spikes[n], v'[n] (+ zsum'[n], osum'[n]).
func (s *Simulator) stepGraph(ctx *context.Context, in []*Node, record bool) []*Node {
	n := s.nSites
	x, labels, acc := in[0], in[1], in[2]
	v := in[3 : 3+n]
	var zs, os []*Node
	if record {
		zs, os = in[3+n:3+2*n], in[3+2*n:3+3*n]
	}
	nv, nz, no := make([]*Node, n), make([]*Node, n), make([]*Node, n)
	spikes := make([]*Node, n)
	net := model.NewNet(ctx, func(ctx *context.Context, i int, z *Node) *Node {
		theta := s.threshold(ctx, z)
		out, next := s.nw.Neuron.Step(v[i], z, theta)
		nv[i] = next
		spikes[i] = Div(ReduceAllSum(out), theta)
		if record {
			nz[i], no[i] = Add(zs[i], z), Add(os[i], out)
		}
		return out
	}).FoldBatchNorm(true)
	acc = Add(acc, s.nw.Model(net, x, s.nw.NumClasses))
	pred := ArgMax(acc, 1, dtypes.Int32)
	labels = Reshape(ConvertDType(labels, dtypes.Int32), pred.Shape().Dimensions...)
	correct := ReduceAllSum(ConvertDType(Equal(pred, labels), dtypes.Int32))
	out := append([]*Node{acc, correct, Stack(spikes, 0)}, nv...)
	if record {
		out = append(append(out, nz...), no...)
	}
	return out
}

// Window is the state of one batch after a simulation window.
type Window struct {
	T        int
	Logits   *tensors.Tensor   // summed outputs of the last layer [B, classes]
	Membrane []*tensors.Tensor // membrane per site at the end of the window
	InputSum []*tensors.Tensor // summed input current per site (Record only)
	OutSum   []*tensors.Tensor // summed output (spikes·θ) per site (Record only)
}

// Free releases the window's tensors.
func (w *Window) Free() {
	for _, list := range [][]*tensors.Tensor{{w.Logits}, w.Membrane, w.InputSum, w.OutSum} {
		for _, t := range list {
			if t != nil {
				t.FinalizeAll()
			}
		}
	}
}

// BatchResult is what one batch simulated for T steps gives.
type BatchResult struct {
	Size    int         // examples in the batch
	Correct []int       // correct predictions at t = 1..T
	Spikes  [][]float64 // [t][site] spikes emitted at step t by the whole batch
	Window  *Window     // final state; the caller frees it
}

// RunBatch simulates T steps on one batch (images [B, H, W, C] float32, labels
// [B] or [B, 1] integers).
func (s *Simulator) RunBatch(images, labels *tensors.Tensor, T int) (*BatchResult, error) {
	if T < 1 {
		return nil, errorf("number of time steps must be >= 1, got %d", T)
	}
	if images.Rank() != 4 {
		return nil, errorf("images must be [batch, height, width, channels], got shape %s", images.Shape())
	}
	b := images.Shape().Dimensions[0]
	if labels.Shape().Size() != b {
		return nil, errorf("%d labels for a batch of %d images", labels.Shape().Size(), b)
	}
	var err error
	if cerr := TryCatchError(func() { err = s.compile() }); cerr != nil {
		return nil, cerr
	}
	if err != nil {
		return nil, err
	}
	v, err := s.init.Exec(images)
	if err != nil {
		return nil, err
	}
	n := s.nSites
	v[n].FinalizeAll()
	v = v[:n]
	// state = acc, v[n] (, zsum[n], osum[n])
	state := append([]*tensors.Tensor{tensors.FromShape(shapes.Make(dtypes.Float32, b, s.nw.NumClasses))}, v...)
	if s.record {
		for k := 0; k < 2; k++ {
			for _, vi := range v {
				state = append(state, tensors.FromShape(vi.Shape()))
			}
		}
	}
	res := &BatchResult{Size: b, Correct: make([]int, T), Spikes: make([][]float64, T)}
	for t := 0; t < T; t++ {
		if s.Stop != nil && s.Stop() {
			freeAll(state)
			return nil, ErrStopped
		}
		args := append([]any{images, labels}, anySlice(state)...)
		out, err := s.step.Exec(args...)
		freeAll(state)
		if err != nil {
			return nil, err
		}
		res.Correct[t] = int(tensors.ToScalar[int32](out[1]))
		sp := tensors.MustCopyFlatData[float32](out[2])
		res.Spikes[t] = make([]float64, n)
		for i, x := range sp {
			res.Spikes[t][i] = float64(x)
		}
		out[1].FinalizeAll()
		out[2].FinalizeAll()
		state = append(out[:1:1], out[3:]...)
		if s.onStep != nil && s.record {
			w := &Window{T: t + 1, Logits: state[0], Membrane: state[1 : 1+n], InputSum: state[1+n : 1+2*n], OutSum: state[1+2*n : 1+3*n]}
			if err := s.onStep(t, w); err != nil {
				freeAll(state)
				return nil, err
			}
		}
	}
	w := &Window{T: T, Logits: state[0], Membrane: state[1 : 1+n]}
	if s.record {
		w.InputSum, w.OutSum = state[1+n:1+2*n], state[1+2*n:1+3*n]
	}
	res.Window = w
	return res, nil
}

func anySlice(ts []*tensors.Tensor) []any {
	out := make([]any, len(ts))
	for i, t := range ts {
		out[i] = t
	}
	return out
}

func freeAll(ts []*tensors.Tensor) {
	for _, t := range ts {
		t.FinalizeAll()
	}
}

// Result is the accuracy-vs-time curve of an SNN on a data set.
type Result struct {
	T        int
	Examples int
	Accuracy []float64 // accuracy at t = 1..T
	// SpikesPerExample[t][site] is the mean number of spikes one example causes
	// at site at step t+1.
	SpikesPerExample [][]float64
}

// Evaluate simulates every batch of ds (one epoch; ds is reset first) for T
// steps. progress, if not nil, is called after each batch with the number of
// examples done.
func (s *Simulator) Evaluate(ds train.Dataset, T int, progress func(examples int)) (*Result, error) {
	res := &Result{T: T, Accuracy: make([]float64, T), SpikesPerExample: make([][]float64, T)}
	correct := make([]int, T)
	err := forEachBatch(ds, func(images, labels *tensors.Tensor) error {
		br, err := s.RunBatch(images, labels, T)
		if err != nil {
			return err
		}
		br.Window.Free()
		for t := range T {
			correct[t] += br.Correct[t]
			if res.SpikesPerExample[t] == nil {
				res.SpikesPerExample[t] = make([]float64, len(br.Spikes[t]))
			}
			for i, x := range br.Spikes[t] {
				res.SpikesPerExample[t][i] += x
			}
		}
		res.Examples += br.Size
		if progress != nil {
			progress(res.Examples)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if res.Examples == 0 {
		return nil, errorf("data set %q yielded no examples", ds.Name())
	}
	for t := range T {
		res.Accuracy[t] = float64(correct[t]) / float64(res.Examples)
		for i := range res.SpikesPerExample[t] {
			res.SpikesPerExample[t][i] /= float64(res.Examples)
		}
	}
	return res, nil
}

// forEachBatch resets ds and calls fn for every batch until io.EOF.
func forEachBatch(ds train.Dataset, fn func(images, labels *tensors.Tensor) error) error {
	ds.Reset()
	defer ds.Reset()
	for {
		_, inputs, labels, err := ds.Yield()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading data set %q: %w", ds.Name(), err)
		}
		if len(inputs) < 1 || len(labels) < 1 {
			return fmt.Errorf("data set %q yielded %d inputs and %d labels, want images and labels", ds.Name(), len(inputs), len(labels))
		}
		if err := fn(inputs[0], labels[0]); err != nil {
			return err
		}
	}
}
