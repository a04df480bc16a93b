package nb

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nqsnn/nqsnn/kernelext"
	"github.com/nqsnn/nqsnn/snnlib/experiment"
	"github.com/nqsnn/nqsnn/snnlib/fit"
)

func TestRunDirSeparatesSettings(t *testing.T) {
	old := Full
	t.Cleanup(func() { Full = old })
	Full = false
	ci := RunDir("x")
	Full = true
	require.Equal(t, filepath.Join("..", "runs", "notebooks", "full", "x"), RunDir("x"))
	require.NotEqual(t, ci, RunDir("x"), "a CI run must never replace a full one")
	require.Equal(t, filepath.Join("..", "results", "mnist-cnn-nq-L4"), ResultsDir("mnist-cnn-nq-L4"))
}

func TestMNISTSettingsDifferBySetting(t *testing.T) {
	old := Full
	t.Cleanup(func() { Full = old })
	Full = false
	ci := MNISTSettings()
	Full = true
	full := MNISTSettings()
	require.Equal(t, 3000, ci.TrainLimit)
	require.Equal(t, 0, full.TrainLimit)
	require.Equal(t, 4, full.Levels)
	require.Greater(t, full.Epochs, ci.Epochs)
}

func TestEnsureRunReusesOnlyIdenticalSettings(t *testing.T) {
	t.Setenv(kernelext.DisplayDirEnv, t.TempDir())
	dir := filepath.Join(t.TempDir(), "run")
	cfg := experiment.Config{Dataset: "synthetic", Model: "cnn", Strategy: "qcfs", Epochs: 1, TrainLimit: 256,
		ValFraction: 0.25, BatchSize: 64, EvalT: []int{1, 2}}.WithPreset()
	first, err := EnsureRun(cfg, dir)
	require.NoError(t, err)
	stamp, err := os.Stat(filepath.Join(dir, "checkpoint"))
	require.NoError(t, err)

	again, err := EnsureRun(cfg, dir)
	require.NoError(t, err)
	require.Equal(t, first.SNNAccuracy, again.SNNAccuracy, "the same settings reuse the finished run")
	st, err := os.Stat(filepath.Join(dir, "checkpoint"))
	require.NoError(t, err)
	require.Equal(t, stamp.ModTime(), st.ModTime(), "nothing retrained")

	_, ok := finishedWith(cfg, dir)
	require.True(t, ok)
	other := cfg
	other.EvalT = []int{1, 2, 4}
	_, ok = finishedWith(other, dir)
	require.False(t, ok, "different settings must not reuse the run")
}

func TestMNISTModelLoadsTheCommittedRun(t *testing.T) {
	old := Full
	t.Cleanup(func() { Full = old })
	Full = false
	t.Setenv(EnvTrain, "")
	RepoRoot = filepath.Join("..", "..")
	t.Cleanup(func() { RepoRoot = ".." })
	dir, res, err := MNISTModel()
	require.NoError(t, err)
	require.Equal(t, filepath.Join("..", "..", "results", CommittedMNIST), dir)
	require.Equal(t, "nq", res.Config.Strategy)
	require.GreaterOrEqual(t, res.TestANNAccuracy, 0.99, "the committed model is the trained one")
}

func TestLiveTrainingRedrawsOneImage(t *testing.T) {
	t.Setenv(kernelext.DisplayDirEnv, t.TempDir())
	hook := LiveTraining()
	var sizes []int64
	for e := range 3 {
		ep := &fit.Epoch{Epoch: e, Loss: 2 - 0.5*float64(e), TrainAcc: 0.3 + 0.1*float64(e), ValANNAcc: 0.35, ValSNNAcc: 0.2, SelectT: 4}
		if e > 0 {
			ep.Sigma = []float64{0, 0.2 * float64(e), 0.4}
		}
		hook(ep)
		files, err := filepath.Glob(filepath.Join(os.Getenv(kernelext.DisplayDirEnv), "live-*.png"))
		require.NoError(t, err)
		require.Len(t, files, 1, "one image, rewritten in place")
		st, err := os.Stat(files[0])
		require.NoError(t, err)
		sizes = append(sizes, st.Size())
	}
	require.NotEqual(t, sizes[0], sizes[2], "the figure changes as epochs (and the σ panel) arrive")
}
