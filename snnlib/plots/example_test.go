package plots_test

import (
	"bytes"
	"fmt"
	"image"
	_ "image/png"
	"os"
	"path/filepath"

	"github.com/nqsnn/nqsnn/snnlib/analysis"
	"github.com/nqsnn/nqsnn/snnlib/plots"
)

// The gap between ANN activations and SNN rates, with the Gaussian the NQ
// activation's noise is fitted to, rendered to PNG bytes (e.g. for a notebook).
func ExampleGapHistogram() {
	ann := []float32{0.5, 0.5, 0.75, 0.25, 1, 0.5, 0.75, 0.5}
	rate := []float32{0.5, 0.375, 0.75, 0.375, 0.875, 0.5, 0.625, 0.5}
	gap, err := analysis.Gap(ann, rate, analysis.BinSpec{Bins: 8})
	if err != nil {
		panic(err)
	}
	p, err := plots.GapHistogram(gap, "act03, T=4")
	if err != nil {
		panic(err)
	}
	png, err := plots.Render(p, plots.Size{Width: 480, Height: 320}, "png")
	if err != nil {
		panic(err)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(png))
	if err != nil {
		panic(err)
	}
	fmt.Printf("μ=%.4f σ=%.4f, %dx%d PNG\n", gap.Mean, gap.Std, cfg.Width, cfg.Height)
	// Output: μ=0.0312 σ=0.0827, 480x320 PNG
}

// Accuracy against time steps for two runs, saved as SVG (the extension picks
// the format; the write is atomic).
func ExampleAccuracyVsT() {
	runs := []plots.Run{
		{Name: "NQ", T: []int{1, 2, 4, 8}, Accuracy: []float64{0.62, 0.85, 0.92, 0.94}, ANNAccuracy: 0.95},
		{Name: "QCFS", T: []int{1, 2, 4, 8}, Accuracy: []float64{0.35, 0.66, 0.84, 0.92}},
	}
	p, err := plots.AccuracyVsT(runs, true)
	if err != nil {
		panic(err)
	}
	dir, err := os.MkdirTemp("", "plots")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "accuracy_vs_t.svg")
	if err := plots.Save(p, plots.DefaultSize, path); err != nil {
		panic(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	fmt.Println(bytes.Contains(data, []byte("<svg")))
	// Output: true
}

// Residual membranes of every layer, one panel per layer, three per row.
func ExampleResidualGrid() {
	var stats []analysis.ResidualStats
	for l, v := range [][]float32{{-0.2, 0.1, 0.5, 0.9}, {0.3, 0.4, 1.2, 0.7}} {
		s, err := analysis.Residual(analysis.LayerData{Index: l, Theta: 1, T: 4, Residual: v}, analysis.BinSpec{})
		if err != nil {
			panic(err)
		}
		stats = append(stats, s)
	}
	grid, err := plots.ResidualGrid(stats, 3)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(grid.Plots), "row of", len(grid.Plots[0]), "panels;", grid.Plots[0][1].Title.Text)
	// Output: 1 row of 2 panels; layer 1, T=4: 25.0% outside [0,θ)
}
