// Package report turns a run's records (package record) into what people
// read: the run's figures and report.md, the comparison of several runs, and
// the figures/ folder regenerated from committed results.
package report

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"gonum.org/v1/plot"

	"github.com/nqsnn/nqsnn/snnlib/analysis"
	"github.com/nqsnn/nqsnn/snnlib/atomicfile"
	"github.com/nqsnn/nqsnn/snnlib/fit"
	"github.com/nqsnn/nqsnn/snnlib/plots"
	"github.com/nqsnn/nqsnn/snnlib/record"
)

// FigureSize is the pixel size of report figures.
var FigureSize = plots.Size{Width: 900, Height: 600}

// Figures renders a run's figures as name -> drawer.
func Figures(r *record.Results) (map[string]plots.Drawer, error) {
	figs := map[string]plots.Drawer{}
	acc, err := plots.AccuracyVsT([]plots.Run{{Name: r.Label(), T: r.T, Accuracy: r.SNNAccuracy, ANNAccuracy: r.TestANNAccuracy}}, true)
	if err != nil {
		return nil, err
	}
	acc.Title.Text += " — " + Budget(r)
	figs["accuracy_vs_t"] = acc
	if len(r.Epochs) > 0 {
		h, sigma := EpochHistory(r.Epochs, false)
		tp, err := plots.TrainingPanels(h)
		if err != nil {
			return nil, err
		}
		figs["training"] = tp
		if len(sigma) > 0 {
			names := make([]string, len(r.Sites))
			for i, s := range r.Sites {
				names[i] = s.Name
			}
			sp, err := plots.SigmaOverEpochs(sigma, names)
			if err != nil {
				return nil, err
			}
			figs["sigma"] = sp
		}
	}
	var fs []analysis.FiringStats
	for i, s := range r.Sites {
		fs = append(fs, analysis.FiringStats{Index: i, Name: s.Name, T: len(s.SpikesPerExample), N: s.Neurons, MeanRate: s.FiringRate})
	}
	if len(fs) > 0 {
		fp, err := plots.FiringRates(fs)
		if err != nil {
			return nil, err
		}
		figs["firing_rates"] = fp
	}
	table, err := r.Energy()
	if err != nil {
		return nil, err
	}
	ep, err := plots.AccuracyVsEnergy([]plots.EnergyRun{{Name: r.Label(), Table: table, ANNAccuracy: r.TestANNAccuracy}})
	if err != nil {
		return nil, err
	}
	figs["accuracy_vs_energy"] = ep
	return figs, nil
}

// saveFigures writes every figure as PNG and SVG into dir and returns the sorted names.
func saveFigures(dir string, figs map[string]plots.Drawer) ([]string, error) {
	var names []string
	for name := range figs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, ext := range []string{".png", ".svg"} {
			if err := plots.Save(figs[name], plots.SizeFor(figs[name], FigureSize), filepath.Join(dir, name+ext)); err != nil {
				return nil, err
			}
		}
	}
	return names, nil
}

// WriteReport renders the figures of res into dir and writes report.md,
// including the diagnostics in dir/diagnostics.json when present.
func WriteReport(dir string, res *record.Results) error { return writeReport(dir, dir, res) }

// writeReport reads diagnostics from runDir and writes report.md and figures into dir.
func writeReport(dir, runDir string, res *record.Results) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	figs, err := Figures(res)
	if err != nil {
		return err
	}
	diag, diagErr := record.LoadDiagnostics(runDir)
	haveDiag := diagErr == nil
	if haveDiag {
		df, err := DiagnosticsFigures(diag)
		if err != nil {
			return err
		}
		for k, v := range df {
			figs[k] = v
		}
	}
	names, err := saveFigures(dir, figs)
	if err != nil {
		return err
	}
	table, err := res.Energy()
	if err != nil {
		return err
	}
	var b strings.Builder
	c := res.Config
	fmt.Fprintf(&b, "# nqsnn run: %s\n\n", res.Label())
	fmt.Fprintf(&b, "Data: %s (%d train / %d validation / %d test; validation split seed %d). Backend: %s. Code: %s.\n\n",
		res.Data.Name, res.Data.TrainExamples, res.Data.ValExamples, res.Data.TestExamples, res.Data.SplitSeed, res.Backend, res.Version)
	fmt.Fprintf(&b, "Training: %d epochs, batch %d, lr %g (cosine), momentum %g, weight decay %g, augmentation %s. "+
		"Checkpoint selected at epoch %d by validation SNN accuracy at T=%d (%.2f%%); the test set is only used below.\n\n",
		c.Epochs, c.BatchSize, c.LearningRate, c.Momentum, c.WeightDecay, c.Augment, res.BestEpoch+1, c.SelectT, 100*res.BestValSNNAcc)
	fmt.Fprintf(&b, "## Test accuracy\n\nANN (noise-free): **%.2f%%**\n\n", 100*res.TestANNAccuracy)
	if res.TestNoisyANNAccuracy != nil {
		fmt.Fprintf(&b, "ANN with the NQ noise on (the reference code's \"ANN accuracy\"): %.2f%%\n\n", 100**res.TestNoisyANNAccuracy)
	}
	b.WriteString("| T | SNN accuracy |\n|---|---|\n")
	for i, t := range res.T {
		fmt.Fprintf(&b, "| %d | %.2f%% |\n", t, 100*res.SNNAccuracy[i])
	}
	fmt.Fprintf(&b, "\n## Accuracy, latency and energy\n\nPer example; energies 0.9 pJ/AC and 4.6 pJ/MAC (45 nm, Horowitz 2014).\n\n%s\n", table.Markdown())
	fmt.Fprintf(&b, "## Layers\n\n| site | neurons | θ | σ | firing rate (spikes/neuron/step) |\n|---|---|---|---|---|\n")
	for _, s := range res.Sites {
		fmt.Fprintf(&b, "| %s | %d | %.4g | %.4g | %.4f |\n", s.Name, s.Neurons, s.Threshold, s.Sigma, s.FiringRate)
	}
	if haveDiag {
		b.WriteString("\n## Residual error\n\nThe total error of each layer, ReLU(z) − SNN rate with z the SNN's time-averaged input, splits exactly " +
			"into clipping (ReLU(z) − clip(z, 0, θ)), quantisation (clip − QCFS) and the residual part (QCFS(z) − rate) that the NQ noise models.\n")
		b.WriteString(diag.Markdown())
	}
	b.WriteString("\n## Figures\n\n")
	for _, n := range names {
		fmt.Fprintf(&b, "![%s](%s.png)\n\n", n, n)
	}
	return atomicfile.Write(filepath.Join(dir, record.ReportFile), []byte(b.String()), 0o644)
}

// Comparison overlays several runs.
type Comparison struct {
	Runs []*record.Results
	Dirs []string
}

// Compare loads the results of several run directories.
func Compare(dirs []string) (*Comparison, error) {
	if len(dirs) == 0 {
		return nil, fmt.Errorf("compare: no run directories given")
	}
	c := &Comparison{Dirs: dirs}
	for _, d := range dirs {
		r, err := record.LoadResults(d)
		if err != nil {
			return nil, fmt.Errorf("compare: %w", err)
		}
		c.Runs = append(c.Runs, r)
	}
	return c, nil
}

// Markdown is one table: per run, ANN accuracy and SNN accuracy at every T
// any run evaluated ("—" where a run did not), the warm-up steps the
// strategy runs before every window (its latency beyond T) and the mean σ.
func (c *Comparison) Markdown() string {
	lists := make([][]int, len(c.Runs))
	for i, r := range c.Runs {
		lists[i] = r.T
	}
	ts := unionT(lists)
	var b strings.Builder
	tableHeader(&b, []string{"run", "ANN"}, ts, []string{"warm-up steps", "mean σ"})
	for i, r := range c.Runs {
		fmt.Fprintf(&b, "| %s (%s) | %.2f%% |", r.Label(), filepath.Base(c.Dirs[i]), 100*r.TestANNAccuracy)
		for _, t := range ts {
			if a, ok := r.AccuracyAt(t); ok {
				fmt.Fprintf(&b, " %.2f%% |", 100*a)
			} else {
				b.WriteString(" — |")
			}
		}
		var s float64
		for _, site := range r.Sites {
			s += site.Sigma
		}
		if len(r.Sites) > 0 {
			s /= float64(len(r.Sites))
		}
		fmt.Fprintf(&b, " %d | %.4f |\n", r.Latency, s)
	}
	return b.String()
}

// unionT is every T of the lists, sorted and distinct.
func unionT(lists [][]int) []int {
	var ts []int
	for _, l := range lists {
		ts = append(ts, l...)
	}
	slices.Sort(ts)
	return slices.Compact(ts)
}

// tableHeader writes a Markdown table header: the lead columns, a "T=t"
// column for every t, the tail columns, and the separator row.
func tableHeader(b *strings.Builder, lead []string, ts []int, tail []string) {
	cols := append([]string(nil), lead...)
	for _, t := range ts {
		cols = append(cols, fmt.Sprintf("T=%d", t))
	}
	cols = append(cols, tail...)
	b.WriteString("| " + strings.Join(cols, " | ") + " |\n|" + strings.Repeat("---|", len(cols)) + "\n")
}

// Figures returns the overlaid accuracy-vs-T plot and per-layer σ bars.
func (c *Comparison) Figures() (map[string]plots.Drawer, error) {
	var runs []plots.Run
	var energy []plots.EnergyRun
	for i, r := range c.Runs {
		name := r.Label() + " (" + filepath.Base(c.Dirs[i]) + ")"
		runs = append(runs, plots.Run{Name: name, T: r.T, Accuracy: r.SNNAccuracy, ANNAccuracy: r.TestANNAccuracy})
		table, err := r.Energy()
		if err != nil {
			return nil, err
		}
		energy = append(energy, plots.EnergyRun{Name: name, Table: table, ANNAccuracy: r.TestANNAccuracy})
	}
	acc, err := plots.AccuracyVsT(runs, true)
	if err != nil {
		return nil, err
	}
	acc.Title.Text += " — " + Budget(c.Runs...)
	en, err := plots.AccuracyVsEnergy(energy)
	if err != nil {
		return nil, err
	}
	figs := map[string]plots.Drawer{"compare_accuracy_vs_t": acc, "compare_accuracy_vs_energy": en}
	if c.HasSeeds() {
		sp, err := c.SeedFigure()
		if err != nil {
			return nil, err
		}
		figs["compare_seeds"] = sp
	}
	var sigma []*plot.Plot
	for i, r := range c.Runs {
		if len(r.Epochs) == 0 || len(r.Epochs[len(r.Epochs)-1].Sigma) == 0 {
			continue
		}
		var hist [][]float64
		for _, e := range r.Epochs {
			hist = append(hist, e.Sigma)
		}
		names := make([]string, len(r.Sites))
		for j, s := range r.Sites {
			names[j] = s.Name
		}
		p, err := plots.SigmaOverEpochs(hist, names)
		if err != nil {
			return nil, err
		}
		p.Title.Text = "σ per layer: " + filepath.Base(c.Dirs[i])
		sigma = append(sigma, p)
	}
	if len(sigma) > 0 {
		g, err := plots.NewGrid(sigma, min(2, len(sigma)))
		if err != nil {
			return nil, err
		}
		figs["compare_sigma"] = g
	}
	if steps := sigmaSteps(c); len(steps) > 0 {
		p, err := plots.SigmaToStep(steps)
		if err != nil {
			return nil, err
		}
		figs["compare_sigma_step"] = p
	}
	return figs, nil
}

// sigmaSteps is σ per site of every run that trained with noise, with the
// quantisation step λ/L of its selected model.
func sigmaSteps(c *Comparison) []plots.SigmaStepRun {
	var out []plots.SigmaStepRun
	for i, r := range c.Runs {
		run := plots.SigmaStepRun{Name: filepath.Base(c.Dirs[i])}
		noisy := false
		for _, s := range r.Sites {
			run.Sigma, run.Step = append(run.Sigma, s.Sigma), append(run.Step, s.Threshold/float64(max(r.Config.Levels, 1)))
			noisy = noisy || s.Sigma > 0
		}
		if noisy {
			out = append(out, run)
		}
	}
	return out
}

// Write saves the comparison table (compare.md) and figures into dir.
func (c *Comparison) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	figs, err := c.Figures()
	if err != nil {
		return err
	}
	names, err := saveFigures(dir, figs)
	if err != nil {
		return err
	}
	md := "# Comparison\n\n" + c.Markdown() + "\n"
	if c.HasSeeds() {
		md += "## Over seeds (mean ± standard deviation)\n\n" + c.SeedMarkdown() + "\n"
		if ct := c.ContrastMarkdown("qcfs"); ct != "" {
			md += "## Against QCFS: difference of the means over seeds ± its standard error (Welch's t-test)\n\n" + ct + "\n"
		}
	}
	for _, n := range names {
		md += fmt.Sprintf("![%s](%s.png)\n\n", n, n)
	}
	return atomicfile.Write(filepath.Join(dir, "compare.md"), []byte(md), 0o644)
}

// DiagnosticsFigures renders the residual-membrane histograms and the gap histogram
// with its Gaussian fit for every diagnosed window.
func DiagnosticsFigures(d *record.Diagnostics) (map[string]plots.Drawer, error) {
	figs := map[string]plots.Drawer{}
	for _, w := range d.Windows {
		var res []analysis.ResidualStats
		for _, l := range w.Layers {
			res = append(res, l.Residual)
		}
		cols := 3
		if len(res) > 9 {
			cols = 4 // deep networks: 19 ResNet-20 sites in 5 rows
		}
		g, err := plots.ResidualGrid(res, min(cols, len(res)))
		if err != nil {
			return nil, err
		}
		figs[fmt.Sprintf("residual_membrane_T%d", w.T)] = g
		mid := w.Layers[len(w.Layers)/2]
		gp, err := plots.GapHistogram(mid.Gap, fmt.Sprintf("ANN − SNN gap, %s, T=%d", mid.Residual.Name, w.T))
		if err != nil {
			return nil, err
		}
		figs[fmt.Sprintf("gap_T%d", w.T)] = gp
	}
	return figs, nil
}

// Budget says in a few words what the runs were trained for and tested on, for figure titles:
// "5 training epochs, 10000 test images", or ranges ("5–400 training epochs") when they differ.
func Budget(runs ...*record.Results) string {
	if len(runs) == 0 {
		return ""
	}
	span := func(get func(*record.Results) int, what string) string {
		lo, hi := get(runs[0]), get(runs[0])
		for _, r := range runs[1:] {
			lo, hi = min(lo, get(r)), max(hi, get(r))
		}
		if lo == hi {
			return fmt.Sprintf("%d %s", lo, what)
		}
		return fmt.Sprintf("%d–%d %s", lo, hi, what)
	}
	return span(func(r *record.Results) int { return r.Config.Epochs }, "training epochs") + ", " +
		span(func(r *record.Results) int { return r.Data.TestExamples }, "test images")
}

// EpochHistory is what the plots draw of training: loss and accuracies per epoch (the SNN's
// validation accuracy too when withSNN) and σ per layer for the epochs that measured it.
func EpochHistory(epochs []fit.Epoch, withSNN bool) (plots.History, [][]float64) {
	var h plots.History
	var sigma [][]float64
	for _, e := range epochs {
		h.TrainLoss = append(h.TrainLoss, e.Loss)
		h.TrainAcc = append(h.TrainAcc, e.TrainAcc)
		h.ValAcc = append(h.ValAcc, e.ValANNAcc)
		if withSNN {
			h.ValSNNAcc = append(h.ValSNNAcc, e.ValSNNAcc)
		}
		if len(e.Sigma) > 0 {
			sigma = append(sigma, e.Sigma)
		}
	}
	return h, sigma
}
