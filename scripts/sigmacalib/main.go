// Command sigmacalib measures the NQ noise σ of a trained model both ways
// the project offers: on clean validation images (nqsnn's default) and on
// validation images with the training augmentation (-calib-augment, as the
// reference code), and prints them side by side as a Markdown table.
//
//	go run ./scripts/sigmacalib [-t T_n] [-repeats N] CHECKPOINT
//
// The augmented measurement draws new crops and flips on every pass; with
// -repeats N it is made N times (mean and spread), the clean one once (it
// is deterministic).
package main

import (
	"flag"
	"fmt"
	"math"
	"os"

	"github.com/nqsnn/nqsnn/snnlib/experiment"
	"github.com/nqsnn/nqsnn/snnlib/fit"
)

func main() {
	tn := flag.Int("t", 0, "noise-induction window T_n (default: the run's)")
	repeats := flag.Int("repeats", 3, "passes over the augmented validation images")
	flag.Parse()
	if flag.NArg() != 1 || *repeats < 1 {
		fmt.Fprintln(os.Stderr, "usage: sigmacalib [-t T_n] [-repeats N>=1] CHECKPOINT")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *tn, *repeats); err != nil {
		fmt.Fprintln(os.Stderr, "sigmacalib:", err)
		os.Exit(1)
	}
}

func run(path string, tn, repeats int) error {
	m, err := experiment.OpenModel(path, func(cfg *experiment.Config) {
		cfg.CalibAugment = true
		if tn > 0 {
			cfg.NoiseT = tn
		}
	})
	if err != nil {
		return err
	}
	defer m.Close()
	fmt.Fprintln(os.Stderr, "backend:", m.Describe)
	be, ctx, nw, data, cfg, meta := m.Backend, m.Context, m.Network, m.Data, m.Config, m.Meta
	if _, _, err := nw.Describe(be, ctx, data.Info.ExampleShape); err != nil {
		return err
	}
	tr, err := fit.New(be, ctx, nw, fit.Config{Epochs: 1, LearningRate: 1})
	if err != nil {
		return err
	}
	sim := tr.Simulator()
	clean, err := sim.Calibrate(data.Val, cfg.NoiseT, 0)
	if err != nil {
		return err
	}
	aug := make([][]float64, repeats)
	for r := range repeats {
		data.SetEpoch(r) // a new draw of crops and flips
		st, err := sim.Calibrate(data.Calib, cfg.NoiseT, 0)
		if err != nil {
			return err
		}
		aug[r] = st.Std
	}
	fmt.Printf("σ per layer of %s (%s %s, epoch %d), T_n = %d, %d validation images; augmented: mean ± sd of %d draws\n\n",
		path, cfg.Model, cfg.Strategy, meta.Best+1, cfg.NoiseT, data.Info.ValExamples, repeats)
	fmt.Println("| site | clean | augmented | augmented / clean |")
	fmt.Println("|---|---|---|---|")
	var sumC, sumA float64
	for i, s := range clean.Std {
		var m, v float64
		for _, a := range aug {
			m += a[i]
		}
		m /= float64(repeats)
		for _, a := range aug {
			v += (a[i] - m) * (a[i] - m)
		}
		sd := 0.0
		if repeats > 1 {
			sd = math.Sqrt(v / float64(repeats-1))
		}
		ratio := "—"
		if s > 0 {
			ratio = fmt.Sprintf("%.2f", m/s)
		}
		fmt.Printf("| %d | %.4f | %.4f ± %.4f | %s |\n", i, s, m, sd, ratio)
		sumC, sumA = sumC+s, sumA+m
	}
	n := float64(len(clean.Std))
	fmt.Printf("| mean | %.4f | %.4f | %.2f |\n", sumC/n, sumA/n, sumA/sumC)
	return nil
}
