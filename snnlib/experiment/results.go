package experiment

import (
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/nqsnn/nqsnn/snnlib/checkpoint"
	"github.com/nqsnn/nqsnn/snnlib/record"
	"github.com/nqsnn/nqsnn/snnlib/snn"
	"github.com/nqsnn/nqsnn/snnlib/strategy"
)

// finish evaluates the selected checkpoint on the test set and writes results, figures and report.
func (r *runner) finish(meta *Meta) (*Results, error) {
	if r.data.Test == nil {
		ckpt := filepath.Join(r.dir, CheckpointFile)
		fmt.Fprintf(r.log, "no test set here: evaluate later with: nqsnn eval -dataset cifar10 -data-dir DIR %s\n", ckpt)
		return &Results{Config: r.cfg, Data: r.data.Info, Version: Version(), Backend: r.be.Name(), BestEpoch: meta.Best, Epochs: meta.Epochs}, nil
	}
	start := time.Now()
	res, sim, err := r.evaluate(filepath.Join(r.dir, CheckpointFile), r.cfg.EvalT)
	if err != nil {
		return nil, r.interrupted(err)
	}
	neurons, err := sim.NeuronsPerExample(r.data.Info.ExampleShape)
	if err != nil {
		return nil, err
	}
	examples := DiagnosticExamples(neurons, r.data.Info.EvalBatch)
	fmt.Fprintf(r.log, "test: diagnostics at T = %v on the first %d test examples\n", diagnosticWindows(r.cfg), min(examples, r.data.Info.TestExamples))
	diag, err := Diagnose(sim, r.data.Test, diagnosticWindows(r.cfg), r.cfg.Levels, examples)
	if err != nil {
		return nil, r.interrupted(fmt.Errorf("diagnostics: %w", err))
	}
	if err := record.WriteJSON(filepath.Join(r.dir, DiagnosticsFile), diag); err != nil {
		return nil, err
	}
	res.Backend = r.be.Name()
	res.Epochs = meta.Epochs
	res.Seconds += time.Since(start).Seconds()
	for _, e := range meta.Epochs {
		res.Seconds += e.Seconds
	}
	// results.json last: it marks the run finished, so a failure before it
	// leaves a run that --resume completes.
	if err := WriteReport(r.dir, res); err != nil {
		return nil, fmt.Errorf("writing report: %w", err)
	}
	if err := WriteResults(r.dir, res); err != nil {
		return nil, err
	}
	fmt.Fprintf(r.log, "test: ANN %.2f%%, SNN %s (%s)\n", 100*res.TestANNAccuracy, formatCurve(res), elapsed(start))
	return res, nil
}

// interrupted turns an error caused by Options.Stop into ErrInterrupted.
func (r *runner) interrupted(err error) error {
	if isInterrupt(err) {
		return ErrInterrupted
	}
	return err
}

func formatCurve(res *Results) string {
	s := ""
	for i, t := range res.T {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("T=%d %.2f%%", t, 100*res.SNNAccuracy[i])
	}
	return s
}

// diagnosticWindows are the T values diagnosed at the end of a run: one
// step, the noise-induction window, and 16.
func diagnosticWindows(c Config) []int {
	ts := []int{1, c.NoiseT, 16}
	sort.Ints(ts)
	out := ts[:0]
	for i, t := range ts {
		if i == 0 || t != ts[i-1] {
			out = append(out, t)
		}
	}
	return out
}

// convertible reports whether a model trained as saved can be converted
// with strategy name: both must keep θ in the same site variable.
func convertible(saved Config, name string) error {
	if name == "" || name == saved.Strategy {
		return nil
	}
	from, err := strategy.ByName(saved.Strategy, strategy.DefaultConfig())
	if err != nil {
		return err
	}
	to, err := strategy.ByName(name, strategy.DefaultConfig())
	if err != nil {
		return err
	}
	if from.ThresholdVar() != to.ThresholdVar() {
		return fmt.Errorf("a %s model cannot be converted with %s: its thresholds are %q, %s needs %q",
			saved.Strategy, name, from.ThresholdVar(), name, to.ThresholdVar())
	}
	return nil
}

// evaluate loads a checkpoint into a fresh context and measures it on the
// test split, converted as r.cfg says.
func (r *runner) evaluate(ckptPath string, tList []int) (*Results, *snn.Simulator, error) {
	be, data, nw, phase := r.be, r.data, r.nw, r.phase
	c, err := checkpoint.Load(ckptPath)
	if err != nil {
		return nil, nil, err
	}
	var meta Meta
	if err := c.DecodeMeta(&meta); err != nil {
		return nil, nil, err
	}
	// The conversion and the test data asked for now (eval may change them);
	// the results record them.
	converted := meta.Config.Strategy != r.cfg.Strategy || !reflect.DeepEqual(meta.Config.StrategyParams, r.cfg.StrategyParams)
	meta.Config.Strategy, meta.Config.StrategyParams = r.cfg.Strategy, r.cfg.StrategyParams
	meta.Config.Dataset, meta.Config.DataDir, meta.Config.TestLimit = r.cfg.Dataset, r.cfg.DataDir, r.cfg.TestLimit
	ctx := context.New()
	if err := c.Restore(ctx); err != nil {
		return nil, nil, err
	}
	sites, syn, err := nw.Describe(be, ctx, data.Info.ExampleShape)
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint %s does not fit model %s: %w", ckptPath, meta.Config.Model, err)
	}
	// A strategy the model was not trained with may add variables (NQ's σ).
	if err := ctx.InitializeVariables(be, nil); err != nil {
		return nil, nil, err
	}
	// Evaluation needs no trainer: the ANN's accuracy executor and the SNN.
	annEval, err := snn.NewANNEval(be, ctx, nw)
	if err != nil {
		return nil, nil, err
	}
	defer annEval.Finalize()
	sim, err := snn.NewSimulator(be, ctx, nw)
	if err != nil {
		return nil, nil, err
	}
	sim.Stop = r.stopped
	if converted {
		// A strategy or parameters other than the trained ones: let the
		// strategy prepare its conversion (ReLU balances its thresholds at the
		// new percentile) on validation data, as after a training epoch.
		cal := snn.Calibration{Sim: sim, Gaps: data.Val, Activations: data.Val, MaxBatches: r.cfg.CalibrationBatches}
		if err := nw.Strategy.BeforeConversion(cal); err != nil {
			return nil, nil, fmt.Errorf("preparing the %s conversion: %w", nw.Strategy.Name(), err)
		}
	}
	res := &Results{Config: meta.Config, Data: data.Info, Version: Version(), BestEpoch: meta.Best, T: tList, Synapses: syn}
	if meta.Best >= 0 && meta.Best < len(meta.Epochs) {
		res.BestValSNNAcc = meta.Epochs[meta.Best].ValSNNAcc
	}
	fmt.Fprintf(r.log, "test: the model of epoch %d on %d test examples (batches of %d): ANN, then the SNN for T = 1..%d\n",
		meta.Best+1, data.Info.TestExamples, data.Info.EvalBatch, slices.Max(tList))
	p := phase("test ANN", data.Info.TestExamples)
	res.TestANNAccuracy, err = snn.EvalANN(annEval, data.Test, func(n int) { p.Update(n, "") })
	p.Done()
	if err != nil {
		return nil, nil, err
	}
	maxT := 0
	for _, t := range tList {
		maxT = max(maxT, t)
	}
	if meta.Config.NoisyANN {
		if res.TestNoisyANNAccuracy, err = noisyANNAccuracy(be, ctx, nw, meta.Config.Seed, data, phase); err != nil {
			return nil, nil, err
		}
	}
	p = phase(fmt.Sprintf("test SNN T=%d", maxT), data.Info.TestExamples)
	out, err := sim.Evaluate(data.Test, maxT, func(n int) { p.Update(n, "") })
	p.Done()
	if err != nil {
		return nil, nil, err
	}
	res.Curve, res.Latency = out.Accuracy, out.Latency
	for _, t := range tList {
		res.SNNAccuracy = append(res.SNNAccuracy, out.Accuracy[t-1])
	}
	thresholds := snn.SiteScalars(ctx, nw.Strategy.ThresholdVar())
	sigmas := snn.SiteScalars(ctx, strategy.SigmaVar)
	var mus []float64
	if meta.Best >= 0 && meta.Best < len(meta.Epochs) {
		// The checkpoint holds the σ measured right after its epoch.
		mus = meta.Epochs[meta.Best].Mu
	}
	for i, s := range sites {
		sr := SiteResult{Name: s.Name, Shape: s.Shape, Neurons: prod(s.Shape)}
		if i < len(thresholds) {
			sr.Threshold = thresholds[i]
		}
		if i < len(sigmas) {
			sr.Sigma = sigmas[i]
		}
		if i < len(mus) {
			sr.Mu = mus[i]
		}
		total := 0.0
		for t := range maxT {
			sr.SpikesPerExample = append(sr.SpikesPerExample, out.SpikesPerExample[t][i])
			total += out.SpikesPerExample[t][i]
		}
		sr.FiringRate = total / float64(sr.Neurons*maxT)
		if i < len(out.WarmupSpikesPerExample) {
			sr.WarmupSpikesPerExample = out.WarmupSpikesPerExample[i]
		}
		res.Sites = append(res.Sites, sr)
	}
	return res, sim, nil
}

// noisyANNAccuracy measures the ANN on the test split with the NQ noise on
// (the reference code's "ANN accuracy"). The noise is seeded, so the number
// is reproducible. It returns nil for strategies without noise.
func noisyANNAccuracy(be backends.Backend, ctx *context.Context, nw snn.Network, seed int64, data *Data, phase func(string, int) Progress) (*float64, error) {
	st, ok := nw.Strategy.(strategy.NQ)
	if !ok {
		return nil, nil
	}
	st.EvalNoise = true
	nw.Strategy = st
	if err := ctx.SetRNGStateFromSeed(seed); err != nil {
		return nil, err
	}
	exec, err := snn.NewANNEval(be, ctx, nw)
	if err != nil {
		return nil, err
	}
	defer exec.Finalize()
	p := phase("test ANN with noise", data.Info.TestExamples)
	acc, err := snn.EvalANN(exec, data.Test, func(n int) { p.Update(n, "") })
	p.Done()
	if err != nil {
		return nil, err
	}
	return &acc, nil
}

func prod(xs []int) int {
	p := 1
	for _, x := range xs {
		p *= x
	}
	return p
}

// Eval says how EvaluateCheckpoint evaluates a saved model; zero fields
// keep the run's own settings.
type Eval struct {
	T []int // time steps reported
	// Dataset evaluates on another data set's test split (e.g. "cifar10" for
	// a model trained on "cifar10-partial"); DataDir overrides where it is read.
	Dataset, DataDir string
	// Strategy converts the model with another strategy that shares its
	// thresholds: qcfs, nq, srp and cos all use the learned λ, so SRP and COS
	// run on a QCFS- or NQ-trained model. StrategyParams are its parameters.
	Strategy       string
	StrategyParams map[string]float64
	// TestLimit evaluates on the first TestLimit test images only (0: all).
	TestLimit int
}

// EvaluateCheckpoint simulates a saved model on its data set's test split
// and returns the results.
func EvaluateCheckpoint(path string, ev Eval, opt Options) (*Results, error) {
	c, err := checkpoint.Load(path)
	if err != nil {
		return nil, err
	}
	var meta Meta
	if err := c.DecodeMeta(&meta); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	cfg := meta.Config
	if ev.Dataset != "" && ev.Dataset != cfg.Dataset {
		cfg.Dataset = ev.Dataset
		cfg.DataDir = "" // the run's directory held the other data set
	}
	if ev.DataDir != "" {
		cfg.DataDir = ev.DataDir
	}
	if len(ev.T) > 0 {
		cfg.EvalT = ev.T
	}
	if ev.TestLimit > 0 {
		cfg.TestLimit = ev.TestLimit
	}
	if ev.Strategy != "" || ev.StrategyParams != nil {
		if err := convertible(meta.Config, ev.Strategy); err != nil {
			return nil, fmt.Errorf("checkpoint %s: %w", path, err)
		}
		if ev.Strategy != "" && ev.Strategy != cfg.Strategy {
			cfg.Strategy, cfg.StrategyParams = ev.Strategy, nil
		}
		if ev.StrategyParams != nil {
			cfg.StrategyParams = ev.StrategyParams
		}
		meta.Config.Strategy, meta.Config.StrategyParams = cfg.Strategy, cfg.StrategyParams
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	r := &runner{cfg: cfg, opt: opt, log: opt.Log}
	defer r.close()
	if r.log == nil {
		r.log = io.Discard
	}
	r.be = opt.Backend
	if r.be == nil {
		// Not cfg.Backend: the model may have been trained on another machine.
		var desc string
		if r.be, desc, err = NewBackend(""); err != nil {
			return nil, err
		}
		fmt.Fprintln(r.log, "backend:", desc)
	}
	if r.data, err = LoadData(cfg); err != nil {
		return nil, err
	}
	if r.data.Test == nil {
		return nil, fmt.Errorf("data set %s has no test set in %q", cfg.Dataset, cfg.DataDir)
	}
	if r.nw, err = cfg.Network(r.data.Info.NumClasses); err != nil {
		return nil, err
	}
	r.data.stop = r.stopped
	res, _, err := r.evaluate(path, cfg.EvalT)
	if err != nil {
		return nil, r.interrupted(err)
	}
	res.Backend = r.be.Name()
	res.Epochs = meta.Epochs
	return res, nil
}
