package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"

	"github.com/nqsnn/nqsnn/datasets"
	"github.com/nqsnn/nqsnn/datasets/augment"
	"github.com/nqsnn/nqsnn/snnlib/backend"
	"github.com/nqsnn/nqsnn/snnlib/bench"
	"github.com/nqsnn/nqsnn/snnlib/experiment"
	"github.com/nqsnn/nqsnn/snnlib/snn"
)

func mkdir(dir string) error { return os.MkdirAll(dir, 0o755) }

func cmdBench(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", "bench [flags]", stderr)
	names := fs.String("backends", "xla:cuda,xla:cpu,go", "comma-separated backends to measure (unavailable ones are skipped)")
	model := fs.String("model", "resnet20", "model to time")
	strat := fs.String("strategy", "nq", "strategy whose activation is trained (nq adds noise every step)")
	noise := fs.String("noise", "fast", "sampler of the NQ noise: fast or gaussian")
	devices := fs.Int("devices", 1, "devices for data-parallel training")
	conv := fs.Bool("conv", false, "also time ResNet-20's 3×3 convolutions: forward, input gradient, kernel gradient")
	batch := fs.Int("batch", 128, "batch size")
	steps := fs.Int("steps", 5, "timed training steps per backend")
	n := fs.Int("matmul", 2048, "size of the n×n×n float32 matmul")
	data := fs.Bool("data", true, "also time the augmented CIFAR-10 batch pipeline")
	snnT := fs.Int("snn-t", 4, "time steps T of the timed SNN simulation")
	perCall := fs.Int("steps-per-call", snn.DefaultStepsPerCall, "SNN time steps run by one compiled call")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case *batch < 1:
		return fmt.Errorf("invalid batch: must be >= 1, got %d", *batch)
	case *steps < 1:
		return fmt.Errorf("invalid steps: must be >= 1, got %d", *steps)
	case *snnT < 1:
		return fmt.Errorf("invalid snn-t: must be >= 1, got %d", *snnT)
	case *perCall < 1:
		return fmt.Errorf("invalid steps-per-call: must be >= 1, got %d", *perCall)
	case *n < 1:
		return fmt.Errorf("invalid matmul: must be >= 1, got %d", *n)
	case strings.TrimSpace(*names) == "":
		return fmt.Errorf("invalid backends: the list is empty (e.g. -backends xla:cpu,go)")
	}
	// Every backend is made before the table starts, so that a list of which
	// none is usable is an error rather than an empty table.
	type named struct {
		name string
		b    backends.Backend
	}
	var bs []named
	var skipped []string
	for _, name := range strings.Split(*names, ",") {
		name = strings.TrimSpace(name)
		b, choice, err := backend.New(name)
		if err != nil {
			fmt.Fprintf(stderr, "skipping %s: %v\n", name, err)
			skipped = append(skipped, fmt.Sprintf("%s: %v", name, err))
			continue
		}
		fmt.Fprintf(stderr, "%s\n", choice.Description)
		bs = append(bs, named{name, b})
	}
	if len(bs) == 0 {
		return fmt.Errorf("no backend could be measured: %s", strings.Join(skipped, "; "))
	}
	host, _ := os.Hostname()
	fmt.Fprintf(stdout, "nqsnn bench on %s, %s, model %s, strategy %s, noise %s, batch %d, %d steps, %d device(s)\n\n", host, time.Now().UTC().Format(time.RFC3339), *model, *strat, *noise, *batch, *steps, *devices)
	fmt.Fprintln(stdout, "| backend | matmul GFLOP/s | train img/s | train GFLOP/s | % of matmul | inference img/s | SNN img·steps/s | peak RSS MiB |")
	fmt.Fprintln(stdout, "|---|---|---|---|---|---|---|---|")
	for _, nb := range bs {
		name, b := nb.name, nb.b
		gf, err := backend.MatMulGFLOPS(b, *n, 3)
		if err != nil {
			return fmt.Errorf("%s matmul: %w", name, err)
		}
		res, err := bench.Bench(b, bench.BenchSpec{Model: *model, Strategy: *strat, Noise: *noise,
			Example: []int{32, 32, 3}, Batch: *batch, Steps: *steps, Devices: *devices, SNNSteps: *snnT, StepsPerCall: *perCall})
		if err != nil {
			return fmt.Errorf("%s %s: %w", name, *model, err)
		}
		fmt.Fprintf(stdout, "| %s | %.1f | %.1f | %.1f | %.0f%% | %.1f | %.1f | %.0f |\n", name, gf, res.TrainImagesSec, res.TrainGFLOPS,
			100*res.TrainGFLOPS/gf, res.InferImagesSec, res.SNNStepsSec, float64(backend.PeakRSS())/(1<<20))
	}
	if *conv {
		if err := benchConv(stdout, stderr, *names, *batch); err != nil {
			return err
		}
	}
	if *data {
		return benchData(stdout, *batch)
	}
	return nil
}

// benchConv times the three convolutions of each ResNet-20 stage's 3×3 layer
// (C→C channels, stride 1) on every backend: where a training step's time goes.
func benchConv(stdout, stderr io.Writer, names string, batch int) error {
	fmt.Fprintf(stdout, "\n3×3 convolutions, batch %d, GFLOP/s (forward / input gradient / kernel gradient):\n\n", batch)
	fmt.Fprintln(stdout, "| backend | layer | forward | input gradient | kernel gradient |")
	fmt.Fprintln(stdout, "|---|---|---|---|---|")
	for _, name := range strings.Split(names, ",") {
		b, _, err := backend.New(strings.TrimSpace(name))
		if err != nil {
			fmt.Fprintf(stderr, "skipping %s: %v\n", name, err)
			continue
		}
		for _, l := range []struct{ size, channels int }{{32, 16}, {16, 32}, {8, 64}} {
			r, err := backend.ConvGFLOPS(b, batch, l.size, l.channels, 3)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "| %s | %d×%d×%d | %.1f | %.1f | %.1f |\n", name, l.size, l.size, l.channels, r.Forward, r.InputGrad, r.KernelGrad)
		}
	}
	return nil
}

// benchData times augmented CIFAR-10 batches (paper pipeline) through the Batcher.
func benchData(stdout io.Writer, batch int) error {
	train, _, err := datasets.Load("cifar10", "", datasets.WithDownload(false))
	if err != nil {
		fmt.Fprintf(stdout, "\ndata pipeline: skipped (%v)\n", err)
		return nil
	}
	pipe, _ := augment.Preset("paper")
	b, err := datasets.NewBatcher(train, datasets.BatcherConfig{BatchSize: batch, Shuffle: true, DropLast: true, Seed: 1, Augment: pipe})
	if err != nil {
		return err
	}
	defer b.Close()
	const batches = 100
	start := time.Now()
	for range batches {
		if _, err := b.NextBatch(); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "\ndata pipeline: %.1f augmented CIFAR-10 batches of %d per second (paper augmentation)\n",
		batches/time.Since(start).Seconds(), batch)
	return nil
}

func cmdSetup(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("setup", "setup [flags]", stderr)
	xla := fs.Bool("xla", true, "install the XLA CPU PJRT plugin from PyPI into the per-user cache (skipped when one is present)")
	kernel := fs.Bool("kernel", true, "check the GoNB notebook kernel (install it with: bash scripts/install-kernel.sh)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *xla {
		if path, source, err := backend.FindCPUPlugin(); err == nil && path != "" {
			fmt.Fprintf(stdout, "XLA CPU plugin: present at %s (%s)\n", path, source)
		} else {
			path, err := backend.InstallXLACPU(context.Background(), stderr)
			if err != nil {
				return fmt.Errorf("installing the XLA CPU plugin: %w (nqsnn still works on the pure-Go backend)", err)
			}
			fmt.Fprintf(stdout, "XLA CPU plugin: installed at %s\n", path)
		}
	}
	_, choice, err := backend.New("")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backend: %s\n", choice.Description)
	if *kernel {
		if _, err := exec.LookPath("gonb"); err != nil {
			gopath, _ := exec.Command("go", "env", "GOPATH").Output()
			if _, serr := os.Stat(strings.TrimSpace(string(gopath)) + "/bin/gonb"); serr != nil {
				fmt.Fprintln(stdout, "notebook kernel: GoNB not installed; run: bash scripts/install-kernel.sh")
				return nil
			}
		}
		fmt.Fprintln(stdout, "notebook kernel: GoNB installed (full check: bash scripts/install-kernel.sh --check)")
	}
	return nil
}

func cmdFigures(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("figures", "figures [flags]", stderr)
	results := fs.String("results", "results", "directory of committed run outputs (one folder per run)")
	out := fs.String("out", "figures", "directory to write the figures into")
	if err := parse(fs, args); err != nil {
		return err
	}
	dirs, err := experiment.RegenerateFigures(*results, *out)
	for _, d := range dirs {
		fmt.Fprintln(stdout, "wrote", d)
	}
	return err
}
