package experiment

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nqsnn/nqsnn/snnlib/snn"
)

func TestOpenModel(t *testing.T) {
	path := trained(t, "nq")
	m, err := OpenModel(path, func(cfg *Config) { cfg.NoiseT = 2 })
	require.NoError(t, err)
	defer m.Close()
	require.Equal(t, 2, m.Config.NoiseT, "adjust changes the settings the model is opened with")
	require.NotEqual(t, 2, m.Meta.Config.NoiseT, "the saved settings stay as saved")
	require.Equal(t, "synthetic", m.Config.Dataset)

	// The restored variables give the validation accuracy the run recorded for its checkpoint.
	res, err := LoadResults(filepath.Dir(path))
	require.NoError(t, err)
	eval, err := snn.NewANNEval(m.Backend, m.Context, m.Network)
	require.NoError(t, err)
	acc, err := snn.EvalANN(eval, m.Data.Val, nil)
	require.NoError(t, err)
	require.InDelta(t, res.Epochs[res.BestEpoch].ValANNAcc, acc, 1e-9)

	_, err = OpenModel(filepath.Join(t.TempDir(), "missing"), nil)
	require.ErrorContains(t, err, "missing")
}
