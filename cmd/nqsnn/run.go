package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nqsnn/nqsnn/snnlib/experiment"
	"github.com/nqsnn/nqsnn/snnlib/model"
	"github.com/nqsnn/nqsnn/snnlib/neuron"
	"github.com/nqsnn/nqsnn/snnlib/strategy"
)

// tList is a flag.Value for "1,2,4,8".
type tList []int

func (t *tList) String() string { return fmt.Sprint([]int(*t)) }

func (t *tList) Set(s string) error {
	v, err := experiment.ParseTList(s)
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// runFlags is what run's command line asks for.
type runFlags struct {
	cfg       experiment.Config // with Given set; the preset not yet applied
	dir       string            // run directory
	resume    bool
	force     bool
	quiet     bool
	stopAfter int
	budget    time.Duration // stop before an epoch that would not end within this time of the start
}

// parseRunFlags turns run's command line into a config and options without
// touching any file. Bad values are refused here, before a run directory is
// made; on resume, the config only carries the settings given (Given), which
// experiment.Run checks against the saved run.
func parseRunFlags(args []string, stderr io.Writer) (*runFlags, error) {
	fs := newFlags("run", "run [flags]", stderr)
	cfg := experiment.DefaultConfig()
	fs.StringVar(&cfg.Dataset, "dataset", cfg.Dataset, "data set: mnist, fashion-mnist, cifar10, cifar100, tiny-imagenet, synthetic")
	fs.StringVar(&cfg.DataDir, "data-dir", "", "directory holding the data set (default: $NQSNN_DATA_DIR, ../shared/data, the cache, or download)")
	fs.StringVar(&cfg.Model, "model", cfg.Model, "model: "+model.Registry.List())
	fs.StringVar(&cfg.Strategy, "strategy", cfg.Strategy, "conversion strategy: "+strategy.Registry.List()+" (see nqsnn help strategies)")
	var params paramsFlag
	fs.Var(&params, "strategy-param", "parameters of the strategy, name=value[,name=value] ("+strategyParamsHelp()+")")
	fs.StringVar(&cfg.Neuron, "neuron", cfg.Neuron, "spiking neuron: "+neuron.Registry.List()+" (if: reset by subtraction)")
	fs.IntVar(&cfg.Levels, "L", 4, "quantisation levels L of the NQ/QCFS activation")
	fs.Float64Var(&cfg.Lambda, "lambda", 8, "initial clip λ of every activation layer")
	fs.IntVar(&cfg.NoiseT, "noise-t", 4, "noise-induction time step T_n: the SNN window whose gap sets σ")
	fs.StringVar(&cfg.Noise, "noise", "fast", "sampler of the NQ noise ε: fast (hashed Irwin–Hall, 8 bytes) or gaussian (exact Box–Muller, ≈25× slower to draw on CPU)")
	fs.IntVar(&cfg.SelectT, "select-t", 0, "T at which validation SNN accuracy selects the checkpoint (default: noise-t)")
	evalT := tList{1, 2, 4, 8, 16, 32, 64}
	fs.Var(&evalT, "t", "comma-separated time steps reported on the test set")
	fs.StringVar(&cfg.Preset, "preset", cfg.Preset, "quick (minutes on a CPU) or paper (reference schedule: 400 epochs)")
	fs.IntVar(&cfg.Epochs, "epochs", 0, "training epochs (default: from the preset)")
	fs.IntVar(&cfg.BatchSize, "batch-size", 128, "training batch size (evaluation uses at most "+fmt.Sprint(experiment.MaxEvalBatch)+")")
	fs.Float64Var(&cfg.LearningRate, "lr", 0.05, "initial learning rate (cosine decay per epoch)")
	fs.Float64Var(&cfg.Momentum, "momentum", 0.9, "SGD momentum")
	fs.Float64Var(&cfg.WeightDecay, "wd", 5e-4, "weight decay")
	fs.Float64Var(&cfg.Dropout, "dropout", 0, "dropout of VGG's classifier")
	fs.StringVar(&cfg.WeightInit, "weight-init", string(model.DefaultInit), "weight initialisation of a fresh model: reference (PyTorch's defaults, as the reference code) or he (He-normal convolutions, zero biases)")
	fs.StringVar(&cfg.Augment, "augment", "", "augmentation: paper, basic, none (default: from the preset)")
	fs.Int64Var(&cfg.Seed, "seed", 2024, "seed of initialisation, data order, augmentation, noise and the validation split")
	fs.Int64Var(&cfg.SplitSeed, "split-seed", 0, "seed of the validation split only (default: -seed); a warm start passes its base model's, so no validation image was trained on")
	fs.Float64Var(&cfg.ValFraction, "val-fraction", 0.1, "fraction of the training set held out for validation")
	fs.IntVar(&cfg.TrainLimit, "train-limit", 0, "use at most this many training examples (0: all)")
	fs.IntVar(&cfg.TestLimit, "test-limit", 0, "evaluate on the first N test images only (0: all); results record it")
	fs.StringVar(&cfg.InitFrom, "init", "", "start from this checkpoint's weights (same model; a QCFS/NQ model keeps its λ, a ReLU model gets λ from its 99.9th activation percentile): a warm start")
	fs.BoolVar(&cfg.CalibAugment, "calib-augment", false, "measure the NQ noise σ on validation images with the training augmentation, as the reference code (default: clean images)")
	fs.IntVar(&cfg.CalibrationBatches, "calib-batches", 0, "validation batches for calibration and selection (0: all)")
	fs.BoolVar(&cfg.NoisyANN, "noisy-ann", false, "also report the ANN's test accuracy with the NQ noise on (the reference code's \"ANN accuracy\")")
	fs.IntVar(&cfg.Devices, "devices", 1, "devices for data-parallel training (each batch split over devices 0..n-1)")
	fs.StringVar(&cfg.Backend, "backend", "", "compute backend: auto, xla:cuda, xla:cpu, go (default: $NQSNN_BACKEND or auto)")
	out := fs.String("out", "", "run directory (default: runs/DATASET-MODEL-STRATEGY-L)")
	resume := fs.String("resume", "", "continue the run in this directory from its last complete epoch (may change: -"+
		strings.Join(experiment.ResumableSettings(), ", -")+")")
	force := fs.Bool("force", false, "overwrite a finished or interrupted run in the run directory")
	quiet := fs.Bool("quiet", false, "no progress bars")
	budget := fs.Duration("time-budget", 0, "stop as if interrupted before an epoch that would not end within this time of the start, e.g. 9m (0: no limit; resume with --resume)")
	stopAfter := fs.Int("stop-after", 0, "stop as if interrupted once this many epochs are complete (to test --resume)")
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, usageError{fmt.Errorf("run takes no arguments, got %q", fs.Args())}
	}
	cfg.EvalT = evalT
	cfg.StrategyParams = params.m
	// Which settings were given, so that a value given as 0 stays 0 (and is
	// refused where 0 is invalid) instead of becoming the default.
	fs.Visit(func(f *flag.Flag) {
		if slices.Contains(experiment.Settings(), f.Name) {
			cfg.Given = append(cfg.Given, f.Name)
		}
	})
	rf := &runFlags{cfg: cfg, dir: *out, resume: *resume != "", force: *force, quiet: *quiet, stopAfter: *stopAfter, budget: *budget}
	if *budget < 0 {
		return nil, fmt.Errorf("invalid time-budget: must be >= 0, got %s", *budget)
	}
	if *stopAfter < 0 {
		return nil, fmt.Errorf("invalid stop-after: must be >= 0, got %d", *stopAfter)
	}
	if rf.resume {
		if rf.dir != "" && rf.dir != *resume {
			return nil, usageError{errors.New("give the run directory once: --resume DIR replaces --out")}
		}
		rf.dir = *resume
		return rf, nil
	}
	if err := cfg.WithPreset().Validate(); err != nil {
		return nil, err
	}
	if rf.dir == "" {
		rf.dir = filepath.Join("runs", fmt.Sprintf("%s-%s-%s-L%d", cfg.Dataset, cfg.Model, cfg.Strategy, cfg.Levels))
	}
	return rf, nil
}

func cmdRun(args []string, stdout, stderr io.Writer) error {
	start := time.Now()
	rf, err := parseRunFlags(args, stderr)
	if err != nil {
		return err
	}
	hint := "resume with: nqsnn run --resume " + rf.dir
	opt := experiment.Options{Resume: rf.resume, Force: rf.force, Log: stdout, Stop: interrupts(stderr, hint), StopAfterEpoch: rf.stopAfter}
	if rf.budget > 0 {
		opt.Deadline = start.Add(rf.budget)
	}
	if !rf.quiet {
		opt.Progress = progress
	}
	fmt.Fprintf(stdout, "run directory: %s\n", rf.dir)
	res, err := experiment.Run(rf.cfg, rf.dir, opt)
	if errors.Is(err, experiment.ErrInterrupted) {
		return fmt.Errorf("%w: the last complete epoch is kept; %s", err, hint)
	}
	if err != nil {
		return err
	}
	if len(res.T) > 0 {
		fmt.Fprintf(stdout, "report: %s\n", filepath.Join(rf.dir, experiment.ReportFile))
	}
	return nil
}

func cmdEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", "eval [flags] CHECKPOINT", stderr)
	var ts tList
	fs.Var(&ts, "t", "comma-separated time steps (default: the run's list)")
	dataDir := fs.String("data-dir", "", "directory holding the data set (default: as the run found it)")
	dataset := fs.String("dataset", "", "evaluate on this data set's test split (default: the run's; e.g. cifar10 for a cifar10-partial run)")
	out := fs.String("out", "", "directory for results.json, report.md and figures (default: CHECKPOINT's dir + /eval)")
	backendName := fs.String("backend", "", "compute backend (default: auto)")
	strat := fs.String("strategy", "", "convert with this strategy instead of the run's (one with the same thresholds: qcfs, nq, srp and cos share λ; e.g. srp or cos on a QCFS model)")
	var params paramsFlag
	fs.Var(&params, "strategy-param", "parameters of the strategy, name=value[,name=value] ("+strategyParamsHelp()+")")
	testLimit := fs.Int("test-limit", 0, "evaluate on the first N test images only (0: all); results record it")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{fmt.Errorf("eval takes one checkpoint path, got %d arguments", fs.NArg())}
	}
	if *testLimit < 0 {
		return fmt.Errorf("invalid test-limit: must be >= 0, got %d", *testLimit)
	}
	path := fs.Arg(0)
	opt := experiment.Options{Log: stdout, Progress: progress}
	if *backendName != "" {
		b, desc, err := experiment.NewBackend(*backendName)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, "backend:", desc)
		opt.Backend = b
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join(filepath.Dir(path), "eval")
	}
	if err := checkOutDir(dir, experiment.ResultsFile); err != nil {
		return err
	}
	res, err := experiment.EvaluateCheckpoint(path, experiment.Eval{T: ts, Dataset: *dataset, DataDir: *dataDir,
		Strategy: *strat, StrategyParams: params.m, TestLimit: *testLimit}, opt)
	if err != nil {
		return err
	}
	if err := writeRun(dir, res); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ANN %.2f%%\n", 100*res.TestANNAccuracy)
	if res.Latency > 0 {
		fmt.Fprintf(stdout, "%s runs %d warm-up steps before every window: its answer at T comes after %d+T steps\n", res.Config.Strategy, res.Latency, res.Latency)
	}
	for i, t := range res.T {
		fmt.Fprintf(stdout, "T=%-4d SNN %.2f%%\n", t, 100*res.SNNAccuracy[i])
	}
	fmt.Fprintf(stdout, "report: %s\n", filepath.Join(dir, experiment.ReportFile))
	return nil
}

// writeRun writes an evaluation's report and figures, then results.json:
// the file that marks the folder as complete comes last.
func writeRun(dir string, res *experiment.Results) error {
	if err := mkdir(dir); err != nil {
		return err
	}
	if err := experiment.WriteReport(dir, res); err != nil {
		return err
	}
	return experiment.WriteResults(dir, res)
}

// checkOutDir refuses an output folder that holds files of someone else's:
// it may be absent, empty, or hold marker (an earlier output of the same
// command, which is replaced).
func checkOutDir(dir, marker string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) || (err == nil && len(entries) == 0) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, marker)); err == nil {
		return nil
	}
	var names []string
	for _, e := range entries[:min(len(entries), 4)] {
		names = append(names, e.Name())
	}
	return fmt.Errorf("output folder %s already holds other files (%s) and no %s of an earlier nqsnn output; choose a new or empty folder with -out",
		dir, strings.Join(names, ", "), marker)
}

func cmdCompare(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("compare", "compare [flags] RUN_DIR...", stderr)
	out := fs.String("out", "compare", "directory for compare.md and the figures")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{errors.New("compare needs at least one run directory")}
	}
	if err := checkOutDir(*out, "compare.md"); err != nil {
		return err
	}
	c, err := experiment.Compare(fs.Args())
	if err != nil {
		return err
	}
	if err := c.Write(*out); err != nil {
		return err
	}
	fmt.Fprint(stdout, c.Markdown())
	if c.HasSeeds() {
		fmt.Fprint(stdout, "\nOver seeds (mean ± standard deviation):\n\n"+c.SeedMarkdown())
		if ct := c.ContrastMarkdown("qcfs"); ct != "" {
			fmt.Fprint(stdout, "\nAgainst QCFS (difference of the means ± its standard error, Welch's t-test):\n\n"+ct)
		}
	}
	fmt.Fprintf(stdout, "written: %s\n", filepath.Join(*out, "compare.md"))
	return nil
}

// paramsFlag is -strategy-param: name=value pairs, repeatable.
type paramsFlag struct{ m map[string]float64 }

func (p *paramsFlag) String() string { return experiment.FormatParams(p.m) }

func (p *paramsFlag) Set(s string) error {
	m, err := experiment.ParseParams(p.m, s)
	if err != nil {
		return err
	}
	p.m = m
	return nil
}

// strategyParamsHelp lists every strategy's parameters with their defaults.
func strategyParamsHelp() string {
	var parts []string
	for _, name := range strategy.Names() {
		ps, _ := strategy.ParamsOf(name)
		for _, p := range ps {
			parts = append(parts, fmt.Sprintf("%s: %s=%g", name, p.Name, p.Default))
		}
	}
	return strings.Join(parts, "; ")
}
