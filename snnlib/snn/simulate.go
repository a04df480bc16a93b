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
	"github.com/nqsnn/nqsnn/snnlib/strategy"
)

// Simulator runs the converted SNN of a Network.
type Simulator struct {
	nw      Network
	backend backends.Backend
	ctx     *context.Context
	record  recording
	// sim is the strategy's simulation (its neuron and warm-up phases), known
	// once the init graph has counted the sites.
	sim strategy.Simulation
	// stateLen[i] is the number of state tensors of site i's neuron.
	stateLen []int
	// inits and steps cache the compiled initial-state and step graphs of
	// each recording mode, so calibration after every epoch does not
	// recompile; step is the current mode's.
	inits [numRecordings]*context.Exec
	step  *context.Exec
	steps [numRecordings]*context.Exec
	// chunk is the number of time steps one call of the compiled simulation
	// runs (see StepsPerCall); chunks caches those graphs by mode.
	chunk  int
	chunks [numRecordings]*context.Exec
	// starts holds the phase-start graphs by phase (len(sim.Warmup) is the
	// scored window's).
	starts map[int]*context.Exec
	probe  *context.Exec
	gaps   map[int]*context.Exec // calibration graphs by window T
	// onStep, when set, sees the state after every scored step (recording
	// mode); the Window shares the live state: read it, never free or keep it.
	onStep func(t int, w *Window) error
	// Stop, if set, is polled before every compiled call of RunBatch (one or
	// StepsPerCall time steps; so also of Evaluate, Calibrate and Probe); when
	// it returns true the simulation ends with ErrStopped. A window of many
	// steps can thus be interrupted.
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
	return &Simulator{nw: nw, backend: backend, ctx: ctx, chunk: DefaultStepsPerCall}, nil
}

// DefaultStepsPerCall is the number of time steps a simulator runs in one
// compiled call unless told otherwise (see StepsPerCall).
const DefaultStepsPerCall = 4

// StepsPerCall sets how many time steps one call of the compiled simulation
// runs (at least 1). Several steps per call keep the state on the device
// between them, compute the input layer once (the image is the same at every
// step) and save a call's overhead per step; the graph grows with k, and so
// does its compile time. Results are the same for every k. Simulations that
// record every window sum (Probe, ProbeEach, Raster) run one step per call:
// their state is four times larger and their few windows would not repay
// compiling the larger graph, whose compilation alone lifted a ResNet-20
// run's peak memory.
func (s *Simulator) StepsPerCall(k int) *Simulator {
	s.chunk = max(k, 1)
	s.chunks = [numRecordings]*context.Exec{}
	return s
}

// Record makes the simulator keep, per neuron, the summed input current,
// output and spike count over the scored window (needed by analysis; costs
// three extra tensors per layer).
func (s *Simulator) Record(on bool) *Simulator {
	if on {
		return s.recordOnly(recordAll)
	}
	return s.recordOnly(recordNothing)
}

// recording says which sums over the scored window the simulation keeps per
// neuron: each costs a tensor per layer in memory and in every call.
type recording int

const (
	recordNothing recording = iota
	recordOutput            // the summed output only: what σ calibration needs
	recordAll               // input current, output and spikes: probes and rasters
	numRecordings
)

// The kinds of window sums, in the order of a Window's fields.
const (
	sumInput = iota
	sumOutput
	sumSpikes
)

// kinds lists the window sums kept, in state order.
func (r recording) kinds() []int {
	switch r {
	case recordOutput:
		return []int{sumOutput}
	case recordAll:
		return []int{sumInput, sumOutput, sumSpikes}
	}
	return nil
}

// recordOnly sets the recording mode; a switch back and forth reuses the
// compiled graphs.
func (s *Simulator) recordOnly(r recording) *Simulator {
	s.record = r
	s.step = s.steps[r]
	return s
}

// NeuronsPerExample is the number of spiking neurons one example of
// exampleShape passes through (see [Network.NeuronsPerExample]).
func (s *Simulator) NeuronsPerExample(exampleShape []int) (int, error) {
	return s.nw.NeuronsPerExample(s.backend, s.ctx, exampleShape)
}

func (s *Simulator) modelCtx() *context.Context { return s.ctx.In(ModelScope).Checked(false) }

func (s *Simulator) threshold(ctx *context.Context, z *Node) *Node {
	return ConvertDType(s.nw.Strategy.Threshold(ctx, z.Graph()), z.DType())
}

// nSites is the number of activation sites (after compile).
func (s *Simulator) nSites() int { return len(s.stateLen) }

// nState is the number of state tensors of all sites together.
func (s *Simulator) nState() int {
	n := 0
	for _, k := range s.stateLen {
		n += k
	}
	return n
}

// siteStates splits a flat list of state tensors or nodes by site.
func siteStates[T any](lens []int, flat []T) [][]T {
	out := make([][]T, len(lens))
	for i, k := range lens {
		out[i], flat = flat[:k:k], flat[k:]
	}
	return out
}

func (s *Simulator) compile() error {
	if s.step != nil {
		return nil
	}
	var err error
	record := s.record
	if s.inits[record] == nil {
		s.inits[record], err = context.NewExec(s.backend, s.modelCtx(), func(ctx *context.Context, x *Node) []*Node {
			var zs, thetas []*Node
			net := model.NewNet(ctx, func(ctx *context.Context, i int, z *Node) *Node {
				zs, thetas = append(zs, z), append(thetas, s.threshold(ctx, z))
				return z
			}).FoldBatchNorm(true)
			s.nw.Model(net, x, s.nw.NumClasses)
			s.sim = s.nw.Strategy.Simulation(s.nw.Neuron, len(zs))
			if s.sim.Neuron == nil {
				s.sim.Neuron = s.nw.Neuron
			}
			s.stateLen = make([]int, len(zs))
			var v, membranes []*Node
			for i, z := range zs {
				st := s.sim.Neuron.Init(z, thetas[i])
				s.stateLen[i] = len(st)
				v = append(v, st...)
				membranes = append(membranes, st[0])
			}
			// The window sums start at zero, made here rather than sent from
			// Go: for a deep network they are hundreds of MB per batch.
			for range record.kinds() {
				for _, m := range membranes {
					v = append(v, ZerosLike(m))
				}
			}
			// The state needs the sites' shapes, not their values: the forward
			// pass is left out of the compiled graph (XLA drops what no output
			// uses), which made every batch's set-up cost one more step. The
			// returned scalar only makes x an ancestor of an output, which
			// simplego needs to size its buffers.
			return append(v, ReduceAllMax(Slice(x, AxisRange(0, 1))))
		})
		if err != nil {
			return err
		}
	}
	// stepGraph reads the recording mode while building, so each mode gets its own graph.
	s.step, err = context.NewExec(s.backend, s.modelCtx(), func(ctx *context.Context, in []*Node) []*Node {
		return s.stepGraph(ctx, in, record)
	})
	s.steps[record] = s.step
	return err
}

// stepGraph inputs: x, labels, acc, state (flat, all sites), then n sums per
// kind the mode records (record.kinds()). Outputs: acc', correct, spikes[n],
// state', the sums'.
func (s *Simulator) stepGraph(ctx *context.Context, in []*Node, record recording) []*Node {
	n, ns := s.nSites(), s.nState()
	x, labels, acc := in[0], in[1], in[2]
	states := siteStates(s.stateLen, in[3:3+ns])
	kinds := record.kinds()
	sums := make([][]*Node, len(kinds)) // by kind: summed over the window
	for k := range kinds {
		sums[k] = in[3+ns+k*n : 3+ns+(k+1)*n]
	}
	next := make([][]*Node, n)
	spikes := make([]*Node, n)
	nsums := make([][]*Node, len(kinds))
	for k := range nsums {
		nsums[k] = make([]*Node, n)
	}
	net := model.NewNet(ctx, func(ctx *context.Context, i int, z *Node) *Node {
		theta := s.threshold(ctx, z)
		out, sp, st := s.sim.Neuron.Step(states[i], z, theta)
		if len(st) != s.stateLen[i] {
			panic(errorf("neuron %s returned %d state tensors, its Init %d", s.sim.Neuron.Name(), len(st), s.stateLen[i]))
		}
		next[i] = st
		spikes[i] = ReduceAllSum(sp)
		for k, kind := range kinds {
			nsums[k][i] = Add(sums[k][i], [...]*Node{sumInput: z, sumOutput: out, sumSpikes: sp}[kind])
		}
		return out
	}).FoldBatchNorm(true)
	acc = Add(acc, s.nw.Model(net, x, s.nw.NumClasses))
	pred := ArgMax(acc, 1, dtypes.Int32)
	labels = Reshape(ConvertDType(labels, dtypes.Int32), pred.Shape().Dimensions...)
	correct := ReduceAllSum(ConvertDType(Equal(pred, labels), dtypes.Int32))
	out := []*Node{acc, correct, Stack(spikes, 0)}
	for _, st := range next {
		out = append(out, st...)
	}
	for k := range nsums {
		out = append(out, nsums[k]...)
	}
	return out
}

// chunkExec returns the compiled graph of s.chunk steps in the current mode:
// stepGraph applied s.chunk times, with the same inputs and outputs except
// that correct is [chunk] and spikes [chunk, sites].
func (s *Simulator) chunkExec() (*context.Exec, error) {
	mode := s.record
	if e := s.chunks[mode]; e != nil {
		return e, nil
	}
	record, k := s.record, s.chunk
	e, err := context.NewExec(s.backend, s.modelCtx(), func(ctx *context.Context, in []*Node) []*Node {
		cur := in
		var corrects, spikes []*Node
		for range k {
			out := s.stepGraph(ctx, cur, record)
			corrects, spikes = append(corrects, out[1]), append(spikes, out[2])
			cur = append([]*Node{in[0], in[1], out[0]}, out[3:]...)
		}
		return append([]*Node{cur[2], Stack(corrects, 0), Stack(spikes, 0)}, cur[3:]...)
	})
	if err != nil {
		return nil, err
	}
	s.chunks[mode] = e
	return e, nil
}

// startExec compiles phase's Start applied to every site: inputs and outputs the
// flat state. The strategy must keep every site's number of state tensors.
func (s *Simulator) startExec(phase int, start strategy.StartFunc) (*context.Exec, error) {
	if e := s.starts[phase]; e != nil {
		return e, nil
	}
	e, err := context.NewExec(s.backend, s.modelCtx(), func(ctx *context.Context, in []*Node) []*Node {
		var out []*Node
		keep := ScalarZero(in[0].Graph(), in[0].DType())
		for i, st := range siteStates(s.stateLen, in) {
			theta := ConvertDType(s.nw.Strategy.Threshold(ctx.In(model.SiteName(i)), in[0].Graph()), st[0].DType())
			next := start(i, st, theta)
			if len(next) != len(st) {
				panic(errorf("strategy %s: phase start of site %d returned %d state tensors, want %d", s.nw.Strategy.Name(), i, len(next), len(st)))
			}
			out = append(out, next...)
			for _, x := range st { // see compile: every input must feed an output
				keep = Add(keep, ReduceAllSum(x))
			}
		}
		return append(out, keep)
	})
	if err != nil {
		return nil, err
	}
	if s.starts == nil {
		s.starts = map[int]*context.Exec{}
	}
	s.starts[phase] = e
	return e, nil
}

// Window is the state of one batch after a simulation window.
type Window struct {
	T        int
	Logits   *tensors.Tensor   // summed outputs of the last layer [B, classes]
	Membrane []*tensors.Tensor // membrane per site at the end of the window
	InputSum []*tensors.Tensor // summed input current per site (Record only)
	OutSum   []*tensors.Tensor // summed output (spikes·θ) per site (Record only)
	SpikeSum []*tensors.Tensor // spikes per neuron over the window (Record only)
	rest     []*tensors.Tensor // the neurons' other state tensors
}

// Free releases the window's tensors.
func (w *Window) Free() {
	for _, list := range [][]*tensors.Tensor{{w.Logits}, w.Membrane, w.InputSum, w.OutSum, w.SpikeSum, w.rest} {
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
	// WarmupSpikes[site] are the spikes of the strategy's warm-up phases that
	// count as its cost (nil without warm-up).
	WarmupSpikes []float64
	Window       *Window // final state; the caller frees it
}

// batchState is the simulation state of one batch: acc, the flat neuron
// state, and (recording) the window sums.
type batchState struct {
	s    *Simulator
	list []*tensors.Tensor
}

func (b *batchState) neurons() []*tensors.Tensor { return b.list[1 : 1+b.s.nState()] }

// resetWindow zeroes the summed logits and the recorded sums: the scored
// window starts here.
func (b *batchState) resetWindow() {
	ns := b.s.nState()
	for i, t := range b.list {
		if i == 0 || i > ns {
			shape := t.Shape()
			t.FinalizeAll()
			b.list[i] = tensors.FromShape(shape)
		}
	}
}

// step runs one time step and returns the spikes per site.
func (b *batchState) step(images, labels *tensors.Tensor) (correct int, spikes []float64, err error) {
	corrects, sp, err := b.call(b.s.step, images, labels)
	if err != nil {
		return 0, nil, err
	}
	return corrects[0], sp[0], nil
}

// call runs a compiled step (one) or chunk (several) graph on the state and
// returns the correct predictions and spikes per site of each step.
func (b *batchState) call(e *context.Exec, images, labels *tensors.Tensor) (correct []int, spikes [][]float64, err error) {
	s := b.s
	if s.Stop != nil && s.Stop() {
		return nil, nil, ErrStopped
	}
	out, err := e.Exec(append([]any{images, labels}, anySlice(b.list)...)...)
	if err != nil {
		return nil, nil, err
	}
	freeAll(b.list)
	for _, c := range tensors.MustCopyFlatData[int32](out[1]) {
		correct = append(correct, int(c))
	}
	sp := tensors.MustCopyFlatData[float32](out[2])
	n := len(sp) / len(correct)
	for k := range correct {
		row := make([]float64, n)
		for i, x := range sp[k*n : (k+1)*n] {
			row[i] = float64(x)
		}
		spikes = append(spikes, row)
	}
	out[1].FinalizeAll()
	out[2].FinalizeAll()
	b.list = append(out[:1:1], out[3:]...)
	return correct, spikes, nil
}

// steps runs T time steps, s.chunk per call while they last, and calls each
// with every step's correct predictions and spikes per site.
func (b *batchState) steps(images, labels *tensors.Tensor, T int, each func(t, correct int, spikes []float64)) error {
	for t := 0; t < T; {
		e := b.s.step
		// Recording every sum runs one step per call (see StepsPerCall).
		if b.s.chunk > 1 && T-t >= b.s.chunk && b.s.record != recordAll {
			var err error
			if e, err = b.s.chunkExec(); err != nil {
				return err
			}
		}
		correct, spikes, err := b.call(e, images, labels)
		if err != nil {
			return err
		}
		for k := range correct {
			each(t+k, correct[k], spikes[k])
		}
		t += len(correct)
	}
	return nil
}

// start applies a phase start to the neuron state.
func (b *batchState) start(phase int, fn strategy.StartFunc) error {
	if fn == nil {
		return nil
	}
	e, err := b.s.startExec(phase, fn)
	if err != nil {
		return err
	}
	ns := b.s.nState()
	out, err := e.Exec(anySlice(b.neurons())...)
	if err != nil {
		return err
	}
	freeAll(b.neurons())
	out[ns].FinalizeAll()
	copy(b.list[1:1+ns], out[:ns])
	return nil
}

// window views the state as a Window (which then owns the tensors).
func (b *batchState) window(T int) *Window {
	s := b.s
	n, ns := s.nSites(), s.nState()
	w := &Window{T: T, Logits: b.list[0]}
	for _, st := range siteStates(s.stateLen, b.list[1:1+ns]) {
		w.Membrane = append(w.Membrane, st[0])
		w.rest = append(w.rest, st[1:]...)
	}
	sums := b.list[1+ns:]
	for k, kind := range s.record.kinds() {
		*[...]*[]*tensors.Tensor{sumInput: &w.InputSum, sumOutput: &w.OutSum, sumSpikes: &w.SpikeSum}[kind] = sums[k*n : (k+1)*n]
	}
	return w
}

// RunBatch simulates one batch (images [B, H, W, C] float32, labels [B] or
// [B, 1] integers): the strategy's warm-up phases, then T scored steps.
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
	var res *BatchResult
	err := TryCatchError(func() {
		var err error
		if res, err = s.runBatch(images, labels, T); err != nil {
			panic(err)
		}
	})
	return res, err
}

func (s *Simulator) runBatch(images, labels *tensors.Tensor, T int) (*BatchResult, error) {
	if err := s.compile(); err != nil {
		return nil, err
	}
	v, err := s.inits[s.record].Exec(images)
	if err != nil {
		return nil, err
	}
	n := s.nSites()
	v[len(v)-1].FinalizeAll() // the scalar that kept x an input
	b := images.Shape().Dimensions[0]
	st := &batchState{s: s, list: append([]*tensors.Tensor{tensors.FromShape(shapes.Make(dtypes.Float32, b, s.nw.NumClasses))}, v[:len(v)-1]...)}
	res := &BatchResult{Size: b, Correct: make([]int, T), Spikes: make([][]float64, T)}
	done := false
	defer func() {
		if !done { // an error or a panic (recovered by RunBatch): the state goes
			freeAll(st.list)
		}
	}()
	for pi, p := range s.sim.Warmup {
		if err := st.start(pi, p.Start); err != nil {
			return nil, err
		}
		if res.WarmupSpikes == nil {
			res.WarmupSpikes = make([]float64, n)
		}
		err := st.steps(images, labels, p.Steps, func(_, _ int, spikes []float64) {
			for i, x := range spikes {
				if p.Charged == nil || p.Charged(i) {
					res.WarmupSpikes[i] += x
				}
			}
		})
		if err != nil {
			return nil, err
		}
	}
	if err := st.start(len(s.sim.Warmup), s.sim.Start); err != nil {
		return nil, err
	}
	if len(s.sim.Warmup) > 0 {
		st.resetWindow()
	}
	if s.onStep != nil && s.record == recordAll { // a probe looks at the state after every step
		for t := range T {
			var err error
			if res.Correct[t], res.Spikes[t], err = st.step(images, labels); err != nil {
				return nil, err
			}
			if err := s.onStep(t, st.window(t+1)); err != nil {
				return nil, err
			}
		}
	} else if err := st.steps(images, labels, T, func(t, correct int, spikes []float64) {
		res.Correct[t], res.Spikes[t] = correct, spikes
	}); err != nil {
		return nil, err
	}
	res.Window = st.window(T)
	done = true
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
	// Latency is the number of steps the strategy needs before its scored
	// window (SRP's τ, COS's ρ; 0 for a plain simulation): the SNN answers at
	// t after Latency + t steps.
	Latency int
	// WarmupSpikesPerExample[site] is the mean number of spikes one example
	// causes at site during the warm-up (nil without warm-up): a cost of the
	// strategy, like Latency.
	WarmupSpikesPerExample []float64
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
		if br.WarmupSpikes != nil {
			if res.WarmupSpikesPerExample == nil {
				res.WarmupSpikesPerExample = make([]float64, len(br.WarmupSpikes))
			}
			for i, x := range br.WarmupSpikes {
				res.WarmupSpikesPerExample[i] += x
			}
		}
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
	res.Latency = s.sim.Latency
	for i := range res.WarmupSpikesPerExample {
		res.WarmupSpikesPerExample[i] /= float64(res.Examples)
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
