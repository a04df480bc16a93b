package nb

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nqsnn/nqsnn/snnlib/experiment"
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
