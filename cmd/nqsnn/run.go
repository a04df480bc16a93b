package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/nqsnn/nqsnn/snnlib/experiment"
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

func cmdRun(args []string, stdout, stderr io.Writer) error {
	start := time.Now()
	fs := newFlags("run", "run [flags]", stderr)
	cfg := experiment.DefaultConfig()
	fs.StringVar(&cfg.Dataset, "dataset", cfg.Dataset, "data set: mnist, fashion-mnist, cifar10, cifar100, tiny-imagenet, synthetic")
	fs.StringVar(&cfg.DataDir, "data-dir", "", "directory holding the data set (default: $NQSNN_DATA_DIR, ../shared/data, the cache, or download)")
	fs.StringVar(&cfg.Model, "model", cfg.Model, "model: cnn, vgg16, resnet18, resnet20, resnet34")
	fs.StringVar(&cfg.Strategy, "strategy", cfg.Strategy, "conversion strategy: nq, qcfs, relu")
	fs.StringVar(&cfg.Neuron, "neuron", cfg.Neuron, "spiking neuron: if (reset by subtraction), if-reset-zero")
	fs.IntVar(&cfg.Levels, "L", 4, "quantisation levels L of the NQ/QCFS activation")
	fs.Float64Var(&cfg.Lambda, "lambda", 8, "initial clip λ of every activation layer")
	fs.IntVar(&cfg.NoiseT, "noise-t", 4, "noise-induction time step T_n: the SNN window whose gap sets σ")
	fs.StringVar(&cfg.Noise, "noise", "fast", "sampler of the NQ noise ε: fast (hashed Irwin–Hall, 8 bytes) or gaussian (exact Box–Muller, ≈25× slower to draw on CPU)")
	fs.IntVar(&cfg.SelectT, "select-t", 0, "T at which validation SNN accuracy selects the checkpoint (default: noise-t)")
	evalT := tList{1, 2, 4, 8, 16, 32, 64}
	fs.Var(&evalT, "t", "comma-separated time steps reported on the test set")
	fs.StringVar(&cfg.Preset, "preset", cfg.Preset, "quick (minutes on a CPU) or paper (reference schedule: 400 epochs)")
	fs.IntVar(&cfg.Epochs, "epochs", 0, "training epochs (default: from the preset)")
	fs.IntVar(&cfg.BatchSize, "batch-size", 128, "batch size")
	fs.Float64Var(&cfg.LearningRate, "lr", 0.05, "initial learning rate (cosine decay per epoch)")
	fs.Float64Var(&cfg.Momentum, "momentum", 0.9, "SGD momentum")
	fs.Float64Var(&cfg.WeightDecay, "wd", 5e-4, "weight decay")
	fs.Float64Var(&cfg.Dropout, "dropout", 0, "dropout of VGG's classifier (default 0.5 for vgg16)")
	fs.StringVar(&cfg.Augment, "augment", "", "augmentation: paper, basic, none (default: from the preset)")
	fs.Int64Var(&cfg.Seed, "seed", 2024, "seed of initialisation, data order, augmentation, noise and the validation split")
	fs.Float64Var(&cfg.ValFraction, "val-fraction", 0.1, "fraction of the training set held out for validation")
	fs.IntVar(&cfg.TrainLimit, "train-limit", 0, "use at most this many training examples (0: all)")
	fs.IntVar(&cfg.CalibrationBatches, "calib-batches", 0, "validation batches for calibration and selection (0: all)")
	fs.BoolVar(&cfg.NoisyANN, "noisy-ann", false, "also report the ANN's test accuracy with the NQ noise on (the reference code's \"ANN accuracy\")")
	fs.IntVar(&cfg.Devices, "devices", 1, "devices for data-parallel training (each batch split over devices 0..n-1)")
	fs.StringVar(&cfg.Backend, "backend", "", "compute backend: auto, xla:cuda, xla:cpu, go (default: $NQSNN_BACKEND or auto)")
	out := fs.String("out", "", "run directory (default: runs/DATASET-MODEL-STRATEGY-L)")
	resume := fs.String("resume", "", "continue the run in this directory from its last complete epoch")
	force := fs.Bool("force", false, "overwrite a finished run in the run directory")
	quiet := fs.Bool("quiet", false, "no progress bars")
	stopAfter := fs.Int("stop-after", 0, "stop as if interrupted once this many epochs are complete (to test --resume)")
	budget := fs.Duration("time-budget", 0, "stop as if interrupted before an epoch that would not end within this time of the start, e.g. 9m (0: no limit; resume with --resume)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("run takes no arguments, got %q", fs.Args())}
	}
	cfg.EvalT = evalT
	dir := *out
	if *resume != "" {
		if dir != "" && dir != *resume {
			return usageError{errors.New("give the run directory once: --resume DIR replaces --out")}
		}
		dir = *resume
	}
	if dir == "" {
		dir = filepath.Join("runs", fmt.Sprintf("%s-%s-%s-L%d", cfg.Dataset, cfg.Model, cfg.Strategy, cfg.Levels))
	}
	opt := experiment.Options{Resume: *resume != "", Force: *force, Log: stdout, Stop: interrupts(stderr), StopAfterEpoch: *stopAfter}
	if *budget > 0 {
		opt.Deadline = start.Add(*budget)
	}
	if !*quiet {
		opt.Progress = progress
	}
	fmt.Fprintf(stdout, "run directory: %s\n", dir)
	res, err := experiment.Run(cfg, dir, opt)
	if errors.Is(err, experiment.ErrInterrupted) {
		return fmt.Errorf("%w: resume with: nqsnn run --resume %s", err, dir)
	}
	if err != nil {
		return err
	}
	if len(res.T) > 0 {
		fmt.Fprintf(stdout, "report: %s\n", filepath.Join(dir, experiment.ReportFile))
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
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{fmt.Errorf("eval takes one checkpoint path, got %d arguments", fs.NArg())}
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
	res, err := experiment.EvaluateCheckpoint(path, ts, *dataset, *dataDir, opt)
	if err != nil {
		return err
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join(filepath.Dir(path), "eval")
	}
	if err := writeRun(dir, res); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ANN %.2f%%\n", 100*res.TestANNAccuracy)
	for i, t := range res.T {
		fmt.Fprintf(stdout, "T=%-4d SNN %.2f%%\n", t, 100*res.SNNAccuracy[i])
	}
	fmt.Fprintf(stdout, "report: %s\n", filepath.Join(dir, experiment.ReportFile))
	return nil
}

func writeRun(dir string, res *experiment.Results) error {
	if err := mkdir(dir); err != nil {
		return err
	}
	if err := experiment.WriteResults(dir, res); err != nil {
		return err
	}
	return experiment.WriteReport(dir, res)
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
	c, err := experiment.Compare(fs.Args())
	if err != nil {
		return err
	}
	if err := c.Write(*out); err != nil {
		return err
	}
	fmt.Fprint(stdout, c.Markdown())
	fmt.Fprintf(stdout, "written: %s\n", filepath.Join(*out, "compare.md"))
	return nil
}

var _ = flag.ErrHelp
