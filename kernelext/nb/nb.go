// Package nb holds what every nqsnn notebook needs beside kernelext's display helpers: the
// setting a notebook runs in (a small CI setting or the full one), where its runs live, reuse
// of a finished run with identical settings, committed results, and showing figures inline.
// A notebook's first cells are then the GoNB recipe (see kernelext) and one import:
//
//	import "github.com/nqsnn/nqsnn/kernelext/nb"
//
// Everything here also works outside a notebook (figures become files, see kernelext).
package nb

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nqsnn/nqsnn/kernelext"
	"github.com/nqsnn/nqsnn/snnlib/experiment"
	"github.com/nqsnn/nqsnn/snnlib/plots"
)

// EnvSetting names the environment variable that selects the setting: "full" for the
// paper-sized runs (hours), anything else for the small CI setting (minutes).
const EnvSetting = "NQSNN_NOTEBOOK"

// Full is true when notebooks run in the full setting ($NQSNN_NOTEBOOK=full).
var Full = os.Getenv(EnvSetting) == "full"

// RepoRoot is the repository root as seen from a notebook (notebooks live in notebooks/).
var RepoRoot = ".."

// Mode names the setting, "full" or "ci", for run directories and headings.
func Mode() string {
	if Full {
		return "full"
	}
	return "ci"
}

// RunDir is where a notebook's run called name is written: under runs/ (git-ignored), one
// folder per setting so that CI runs never replace full ones.
func RunDir(name string) string {
	return filepath.Join(RepoRoot, "runs", "notebooks", Mode(), name)
}

// ResultsDir is the committed run called name (results/NAME), made by the commands in the
// README; notebooks load these instead of training where they analyse a trained model.
func ResultsDir(name string) string { return filepath.Join(RepoRoot, "results", name) }

// Must stops the cell with a readable error.
func Must(err error) {
	if err != nil {
		panic(err)
	}
}

// Show renders a figure inline at w×h pixels: any plots.Drawer, *plot.Plot included.
func Show(d plots.Drawer, w, h int) {
	b, err := plots.Render(d, plots.Size{Width: w, Height: h}, "png")
	Must(err)
	Must(kernelext.ShowImagePNG(b))
}

// Table shows a table inline: the header row, then one row per entry (kernelext.ShowTable).
func Table(headers []string, rows [][]string) { kernelext.ShowTable(headers, rows) }

// Markdown shows Markdown inline, LaTeX between $ signs included (kernelext.ShowMarkdown).
func Markdown(md string) { kernelext.ShowMarkdown(md) }

// Progress shows progress bars for the phases of experiment.Run (a terminal bar outside a
// notebook).
func Progress(title string, total int) experiment.Progress {
	return kernelext.NewProgress(title, total)
}

// Pct formats a fraction as a percentage with two decimals.
func Pct(x float64) string { return fmt.Sprintf("%.2f", 100*x) }

// MNISTSettings is the MNIST run that notebooks 01, 02 and 06 share: the small CNN, NQ,
// L = 4; one epoch on 3,000 images in the CI setting, 20 epochs on all in the full one.
func MNISTSettings() experiment.Config {
	cfg := experiment.DefaultConfig() // mnist, cnn, nq, if neuron, quick preset
	cfg.Levels = 4
	if Full {
		cfg.Epochs = 20
		cfg.EvalT = []int{1, 2, 4, 8, 16, 32, 64}
	} else {
		cfg.TrainLimit, cfg.Epochs, cfg.CalibrationBatches = 3000, 1, 4
		cfg.EvalT = []int{1, 2, 4, 8, 16}
	}
	return cfg.WithPreset()
}

// EnvTrain, set to "1", makes notebooks that analyse a trained model train their own
// (MNISTSettings, a few minutes in the CI setting) instead of loading the committed one.
const EnvTrain = "NQSNN_NOTEBOOK_TRAIN"

// Train reports whether notebooks train their own models ($NQSNN_NOTEBOOK_TRAIN=1, or the
// full setting) instead of analysing the committed ones.
func Train() bool { return Full || os.Getenv(EnvTrain) == "1" }

// CommittedMNIST is the committed MNIST run the analysis notebooks load by default: the small
// CNN trained with NQ at L = 4 for 5 epochs (quick preset; 99.0 % ANN test accuracy), made by
// `nqsnn run -backend xla:cuda -strategy nq` (see the README's Results).
const CommittedMNIST = "mnist-cnn-nq-L4"

// MNISTModel returns the run directory and results of the MNIST model a notebook analyses: the
// committed run (results/mnist-cnn-nq-L4, loaded in a second), or, with $NQSNN_NOTEBOOK_TRAIN=1,
// in the full setting or when nothing is committed, the run of MNISTSettings (reused when
// finished, trained otherwise). It says which one it took.
func MNISTModel() (string, *experiment.Results, error) {
	if !Train() {
		dir := ResultsDir(CommittedMNIST)
		if res, err := experiment.LoadResults(dir); err == nil {
			fmt.Printf("analysing the committed run %s: %s, %d epochs on %d images, ANN test accuracy %s %% (%s=1 trains one here instead)\n",
				dir, res.Label(), res.Config.Epochs, res.Data.TrainExamples, Pct(res.TestANNAccuracy), EnvTrain)
			return dir, res, nil
		}
	}
	res, err := EnsureRun(MNISTSettings(), MNISTDir())
	return MNISTDir(), res, err
}

// MNISTDir is the run directory of MNISTSettings.
func MNISTDir() string { return RunDir("mnist-cnn-nq-L4") }

// EnsureRun returns the finished run in dir when it was made with exactly cfg (its preset
// applied), and otherwise trains it there, replacing what dir held, with progress bars and a
// live training plot (LiveTraining).
func EnsureRun(cfg experiment.Config, dir string) (*experiment.Results, error) {
	cfg = cfg.WithPreset()
	if res, ok := finishedWith(cfg, dir); ok {
		fmt.Printf("reusing the finished run in %s (same settings)\n", dir)
		return res, nil
	}
	return experiment.Run(cfg, dir, experiment.Options{Force: true, Log: os.Stdout, Progress: Progress, AfterEpoch: LiveTraining()})
}

// finishedWith loads the results in dir if their settings are exactly cfg.
func finishedWith(cfg experiment.Config, dir string) (*experiment.Results, bool) {
	res, err := experiment.LoadResults(dir)
	if err != nil {
		return nil, false
	}
	a, errA := json.Marshal(res.Config)
	b, errB := json.Marshal(cfg)
	return res, errA == nil && errB == nil && bytes.Equal(a, b)
}
