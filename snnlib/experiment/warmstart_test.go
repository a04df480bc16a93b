package experiment

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nqsnn/nqsnn/snnlib/checkpoint"
	"github.com/nqsnn/nqsnn/snnlib/internal/testutil"
	"github.com/nqsnn/nqsnn/snnlib/snn"
	"github.com/nqsnn/nqsnn/snnlib/strategy"
)

func tinyConfig(strategy string) Config {
	return Config{Dataset: "synthetic", Model: "cnn", Strategy: strategy, Epochs: 1, TrainLimit: 256,
		EvalT: []int{1, 4}, BatchSize: 32}.WithPreset()
}

// trained runs a one-epoch tiny run and returns its selected checkpoint.
func trained(t *testing.T, strategy string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), strategy)
	_, err := Run(tinyConfig(strategy), dir, Options{Backend: testutil.Backend(t)})
	require.NoError(t, err)
	return filepath.Join(dir, CheckpointFile)
}

// sourceScalars reads a site variable of every site from a checkpoint.
func sourceScalars(t *testing.T, path, name string) []float64 {
	c, err := checkpoint.Load(path)
	require.NoError(t, err)
	ctx := context.New()
	require.NoError(t, c.Restore(ctx))
	return snn.SiteScalars(ctx, name)
}

// warmContext warm-starts a fresh context for cfg and returns it with the log.
func warmContext(t *testing.T, cfg Config) (*context.Context, string, error) {
	data, err := LoadData(cfg)
	require.NoError(t, err)
	defer data.Close()
	nw, err := cfg.Network(data.Info.NumClasses)
	require.NoError(t, err)
	ctx := context.New()
	var log bytes.Buffer
	err = warmStart(testutil.Backend(t), ctx, cfg, nw, data.Info, data.Val, &log)
	return ctx, log.String(), err
}

func TestWarmStart(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two tiny runs")
	}
	qcfs, relu := trained(t, "qcfs"), trained(t, "relu")

	t.Run("qcfs to nq keeps λ and weights", func(t *testing.T) {
		cfg := tinyConfig("nq")
		cfg.InitFrom = qcfs
		ctx, _, err := warmContext(t, cfg)
		require.NoError(t, err)
		assert.Equal(t, sourceScalars(t, qcfs, strategy.LambdaVar), snn.SiteScalars(ctx, strategy.LambdaVar))
		assert.Equal(t, []float64{0, 0, 0}, snn.SiteScalars(ctx, strategy.SigmaVar), "σ is calibrated by the run, not loaded")
		c, err := checkpoint.Load(qcfs)
		require.NoError(t, err)
		src := context.New()
		require.NoError(t, c.Restore(src))
		for v := range src.IterVariables() {
			if v.Scope() == "/model/conv00" && v.Name() == "weights" {
				want, err := v.Value()
				require.NoError(t, err)
				got, err := ctx.GetVariableByScopeAndName(v.Scope(), v.Name()).Value()
				require.NoError(t, err)
				assert.True(t, want.Equal(got))
			}
		}
		assert.Nil(t, ctx.GetVariableByScopeAndName("/optimizers/sgd_momentum/model/conv00", "weights"), "no optimizer state")
	})

	// A ReLU model's thresholds are the 99.9th percentile of its activations on
	// the validation split, which is exactly what sets λ: they must agree.
	t.Run("relu to qcfs sets λ from activations", func(t *testing.T) {
		cfg := tinyConfig("qcfs")
		cfg.InitFrom = relu
		ctx, log, err := warmContext(t, cfg)
		require.NoError(t, err)
		assert.InDeltaSlice(t, sourceScalars(t, relu, strategy.ThresholdVar), snn.SiteScalars(ctx, strategy.LambdaVar), 1e-5)
		assert.Contains(t, log, "λ per layer from the 99.9-th activation percentile")
	})

	// Another seed draws another validation split, so selection would score
	// images the base trained on: the run says so and how to keep the split;
	// -split-seed keeps it while the seed still changes the training subset.
	t.Run("the base model's validation split", func(t *testing.T) {
		cfg := tinyConfig("nq")
		cfg.InitFrom, cfg.Seed = qcfs, 7
		_, log, err := warmContext(t, cfg)
		require.NoError(t, err)
		assert.Contains(t, log, "this run's validation split (seed 7, fraction 0.1) is not the base model's (seed 2024, fraction 0.1)")
		assert.Contains(t, log, "-split-seed 2024 -val-fraction 0.1 keeps its split")

		cfg.SplitSeed = 2024
		_, log, err = warmContext(t, cfg)
		require.NoError(t, err)
		assert.NotContains(t, log, "validation split")
		kept, err := LoadData(cfg)
		require.NoError(t, err)
		defer kept.Close()
		base, err := LoadData(tinyConfig("nq"))
		require.NoError(t, err)
		defer base.Close()
		assert.Equal(t, base.Info.ValIndicesHash, kept.Info.ValIndicesHash, "the same validation images")
		cfg.TrainLimit = 100
		baseCfg := tinyConfig("nq")
		baseCfg.TrainLimit = 100
		keptSplit, err := SplitOf(cfg)
		require.NoError(t, err)
		baseSplit, err := SplitOf(baseCfg)
		require.NoError(t, err)
		all, err := SplitOf(tinyConfig("nq"))
		require.NoError(t, err)
		assert.Equal(t, all.Val, keptSplit.Val)
		assert.NotEqual(t, baseSplit.Train, keptSplit.Train, "the seed still draws the training subset")
		assert.Len(t, keptSplit.Train, 100)
		assert.Subset(t, all.Train, keptSplit.Train, "from the base's training images")
	})

	t.Run("another model is refused", func(t *testing.T) {
		cfg := Config{Dataset: "synthetic", Model: "resnet20", Strategy: "nq"}.WithPreset()
		cfg.InitFrom = qcfs
		_, _, err := warmContext(t, cfg)
		assert.ErrorContains(t, err, "it holds a cnn model, this run trains resnet20")
	})

	t.Run("a run warm-started as nq calibrates σ before training", func(t *testing.T) {
		cfg := tinyConfig("nq")
		cfg.InitFrom = qcfs
		var log bytes.Buffer
		res, err := Run(cfg, filepath.Join(t.TempDir(), "warm"), Options{Backend: testutil.Backend(t), Log: &log})
		require.NoError(t, err)
		assert.Contains(t, log.String(), "σ per layer before the first epoch")
		assert.Equal(t, qcfs, res.Config.InitFrom)
	})
}

// A QCFS model converts with SRP and COS (they share its λ) on a chosen
// part of the test set; the results record the strategy, its parameters
// and its warm-up; a ReLU model cannot be converted with them.
func TestEvaluateWithOtherStrategy(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two tiny runs")
	}
	qcfs, relu := trained(t, "qcfs"), trained(t, "relu")
	opt := Options{Backend: testutil.Backend(t)}
	plain, err := EvaluateCheckpoint(qcfs, Eval{T: []int{1, 2}, TestLimit: 40}, opt)
	require.NoError(t, err)
	assert.Equal(t, 40, plain.Data.TestExamples)
	assert.Zero(t, plain.Latency)
	srp, err := EvaluateCheckpoint(qcfs, Eval{T: []int{1, 2}, TestLimit: 40, Strategy: "srp", StrategyParams: map[string]float64{"tau": 3}}, opt)
	require.NoError(t, err)
	assert.Equal(t, "srp", srp.Config.Strategy)
	assert.Equal(t, map[string]float64{"tau": 3}, srp.Config.StrategyParams)
	assert.Equal(t, 3, srp.Latency)
	assert.Equal(t, plain.TestANNAccuracy, srp.TestANNAccuracy, "the same ANN")
	warm := 0.0
	for _, s := range srp.Sites {
		warm += s.WarmupSpikesPerExample
	}
	assert.Positive(t, warm, "SRP's warm-up spikes are recorded")
	zero, err := EvaluateCheckpoint(qcfs, Eval{T: []int{1, 2}, TestLimit: 40, Strategy: "cos", StrategyParams: map[string]float64{"rho": 0}}, opt)
	require.NoError(t, err)
	assert.Equal(t, plain.Curve, zero.Curve, "COS without warm-up is QCFS")

	// New parameters for the trained strategy take effect: ReLU re-balances
	// its thresholds (on validation data) at the new percentile.
	relu99, err := EvaluateCheckpoint(relu, Eval{T: []int{1}, TestLimit: 40}, opt)
	require.NoError(t, err)
	relu50, err := EvaluateCheckpoint(relu, Eval{T: []int{1}, TestLimit: 40, StrategyParams: map[string]float64{"percentile": 50}}, opt)
	require.NoError(t, err)
	assert.Equal(t, 40, relu50.Config.TestLimit, "results record the test images used")
	for i := range relu50.Sites {
		assert.Less(t, relu50.Sites[i].Threshold, relu99.Sites[i].Threshold, "site %d: the 50th percentile is below the 99.9th", i)
	}

	_, err = EvaluateCheckpoint(relu, Eval{Strategy: "srp"}, opt)
	assert.ErrorContains(t, err, `a relu model cannot be converted with srp: its thresholds are "threshold", srp needs "lambda"`)
	_, err = EvaluateCheckpoint(qcfs, Eval{Strategy: "srp", StrategyParams: map[string]float64{"rho": 1}}, opt)
	assert.ErrorContains(t, err, `strategy "srp" has no parameter "rho"`)
}

// `nqsnn run -strategy srp|cos` trains the QCFS ANN and selects and tests
// with the strategy's SNN, recording its warm-up.
func TestRunWithWarmupStrategies(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two tiny runs")
	}
	for _, c := range []struct {
		name   string
		params map[string]float64
		want   int
	}{{"srp", nil, 4}, {"cos", map[string]float64{"rho": 2}, 2}} {
		cfg := tinyConfig(c.name)
		cfg.StrategyParams = c.params
		dir := filepath.Join(t.TempDir(), c.name)
		res, err := Run(cfg, dir, Options{Backend: testutil.Backend(t)})
		require.NoError(t, err, c.name)
		assert.Equal(t, c.want, res.Latency, c.name)
		assert.Equal(t, c.params, res.Config.StrategyParams, c.name)
		assert.NotEmpty(t, sourceScalars(t, filepath.Join(dir, CheckpointFile), strategy.LambdaVar), "%s trains λ", c.name)
		saved, err := LoadConfig(filepath.Join(dir, ConfigFile))
		require.NoError(t, err)
		assert.Equal(t, c.params, saved.StrategyParams, "config.json records the parameters")
	}
}
