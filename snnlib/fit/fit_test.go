package fit_test

import (
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nqsnn/nqsnn/snnlib/fit"
	"github.com/nqsnn/nqsnn/snnlib/internal/testutil"
	"github.com/nqsnn/nqsnn/snnlib/model"
	"github.com/nqsnn/nqsnn/snnlib/neuron"
	"github.com/nqsnn/nqsnn/snnlib/snn"
	"github.com/nqsnn/nqsnn/snnlib/strategy"
)

func network(t *testing.T, name string) snn.Network {
	st, err := strategy.ByName(name, strategy.DefaultConfig())
	require.NoError(t, err)
	return snn.Network{Model: model.SmallCNN, NumClasses: 4, Strategy: st, Neuron: neuron.IF{InitFraction: 0.5}}
}

// Training, calibration and conversion together: a small CNN learns the toy
// problem, σ is measured per layer, and at large T the SNN matches the ANN.
func TestTrainCalibrateConvert(t *testing.T) {
	b := testutil.Backend(t)
	for _, name := range []string{"nq", "relu"} {
		t.Run(name, func(t *testing.T) {
			ctx := context.New()
			require.NoError(t, ctx.SetRNGStateFromSeed(42))
			train := testutil.Blobs(512, 4, 12, 12, 1, 64, 1)
			val := testutil.Blobs(256, 4, 12, 12, 1, 64, 2)
			tr, err := fit.New(b, ctx, network(t, name), fit.Config{Epochs: 3, LearningRate: 0.05, Momentum: 0.9, WeightDecay: 5e-4})
			require.NoError(t, err)
			var last *fit.Epoch
			for e := range 3 {
				last, err = tr.RunEpoch(e, train, val, nil)
				require.NoError(t, err)
			}
			assert.Greater(t, last.ValANNAcc, 0.9)
			if name == "nq" {
				require.Len(t, last.Sigma, 3)
				require.Len(t, last.Lambda, 3)
				for _, s := range last.Sigma {
					assert.GreaterOrEqual(t, s, 0.0)
				}
				assert.InDeltaSlice(t, last.Sigma, snn.SiteScalars(ctx, strategy.SigmaVar), 1e-6, "σ installed for the next epoch")
			}
			res, err := tr.Simulator().Evaluate(val, 64, nil)
			require.NoError(t, err)
			assert.InDelta(t, last.ValANNAcc, res.Accuracy[63], 0.03, "conversion keeps accuracy at large T")
			assert.Equal(t, 256, res.Examples)
			for _, s := range res.SpikesPerExample[0] {
				assert.GreaterOrEqual(t, s, 0.0)
			}
		})
	}
}

func TestConfigValidation(t *testing.T) {
	b := testutil.Backend(t)
	_, err := fit.New(b, context.New(), network(t, "nq"), fit.Config{Epochs: -1})
	assert.ErrorContains(t, err, "epochs must be >= 1, got -1")
	_, err = fit.New(b, context.New(), network(t, "nq"), fit.Config{Momentum: 1.5})
	assert.ErrorContains(t, err, "momentum must be in [0, 1), got 1.5")
	assert.InDelta(t, 0.05, fit.CosineLR(0.05, 0, 10), 1e-12)
	assert.InDelta(t, 0.025, fit.CosineLR(0.05, 5, 10), 1e-12)
}

// With Trainer.Calibration set, σ is measured on that data, not on the
// validation data: the epoch's σ equals a direct calibration on it.
func TestCalibrationData(t *testing.T) {
	b := testutil.Backend(t)
	ctx := context.New()
	require.NoError(t, ctx.SetRNGStateFromSeed(42))
	train := testutil.Blobs(256, 4, 12, 12, 1, 64, 1)
	val := testutil.Blobs(128, 4, 12, 12, 1, 64, 2)
	other := testutil.Blobs(128, 4, 12, 12, 1, 64, 3)
	tr, err := fit.New(b, ctx, network(t, "nq"), fit.Config{Epochs: 1, LearningRate: 0.05, Momentum: 0.9, SelectT: 4})
	require.NoError(t, err)
	tr.Calibration = other
	rec, err := tr.RunEpoch(0, train, val, nil)
	require.NoError(t, err)
	onOther, err := tr.Simulator().Calibrate(other, 4, 0)
	require.NoError(t, err)
	onVal, err := tr.Simulator().Calibrate(val, 4, 0)
	require.NoError(t, err)
	assert.InDeltaSlice(t, onOther.Std, rec.Sigma, 1e-6)
	assert.NotEqual(t, onVal.Std, rec.Sigma)
}
