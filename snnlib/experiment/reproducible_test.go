package experiment

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nqsnn/nqsnn/snnlib/checkpoint"
	"github.com/nqsnn/nqsnn/snnlib/fit"
)

// reproRun is `nqsnn run -epochs 4 -train-limit 1024 -val-fraction 0.01`,
// stopped after reproEpochs epochs (which skips the test-set phase): the
// shapes of the default MNIST job, where validation was not reproducible, on
// a smaller validation split.
var reproRun = Config{Dataset: "mnist", Model: "cnn", Strategy: "nq", Epochs: 4, TrainLimit: 1024, ValFraction: 0.01, EvalT: []int{4}}

const reproEpochs = 3

// readMetrics returns every epoch of dir's metrics.jsonl as decoded JSON,
// without the wall-clock "seconds".
func readMetrics(t *testing.T, dir string) []map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, MetricsFile))
	require.NoError(t, err)
	var epochs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var e map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &e))
		delete(e, "seconds")
		epochs = append(epochs, e)
	}
	return epochs
}

// Validation numbers select the checkpoint, so a seed must fix them exactly,
// not only the training losses. The XLA CPU plugin used to compute some
// epochs' validation with the previous epoch's dense-layer weights (whenever
// the new weights landed at the old ones' address, see backend.XNNPACKFlag):
// the losses stayed identical while val_ann_acc, val_snn_acc, μ and σ changed
// from run to run. JSON floats are written in shortest round-trip form, so
// equal decoded values are equal bits.
func TestRunIsReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two small networks")
	}
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	// Collecting garbage between epochs (and letting finalizers run) frees the
	// host buffers of finished batches at one point. The stale weights then
	// showed in most tries on that XLA plugin, not only under CPU contention.
	afterEpoch := func(*fit.Epoch) {
		runtime.GC()
		time.Sleep(50 * time.Millisecond)
		runtime.GC()
	}
	// Run a also keeps the state after every epoch, to re-evaluate it below.
	states := t.TempDir()
	saveState := func(e *fit.Epoch) {
		afterEpoch(e)
		raw, err := os.ReadFile(filepath.Join(a, ResumeFile))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(states, fmt.Sprint(e.Epoch)), raw, 0o644))
	}
	_, err := Run(reproRun, a, Options{StopAfterEpoch: reproEpochs, AfterEpoch: saveState})
	require.ErrorIs(t, err, ErrInterrupted)
	_, err = Run(reproRun, b, Options{StopAfterEpoch: reproEpochs, AfterEpoch: afterEpoch})
	require.ErrorIs(t, err, ErrInterrupted)
	ma := readMetrics(t, a)
	require.Len(t, ma, reproEpochs)
	assert.Equal(t, ma, readMetrics(t, b), "same config and seed, different metrics.jsonl")

	// Both runs could be wrong alike: every epoch's validation numbers must
	// also be those of its saved state evaluated afresh.
	cfg, err := LoadConfig(filepath.Join(a, ConfigFile))
	require.NoError(t, err)
	data, err := LoadData(cfg)
	require.NoError(t, err)
	defer data.Close()
	nw, err := cfg.Network(data.Info.NumClasses)
	require.NoError(t, err)
	be, _, err := NewBackend(cfg.Backend)
	require.NoError(t, err)
	ctx := context.New()
	var tr *fit.Trainer
	for e := range reproEpochs {
		c, err := checkpoint.Load(filepath.Join(states, fmt.Sprint(e)))
		require.NoError(t, err)
		require.NoError(t, c.Restore(ctx))
		if tr == nil {
			tr, err = fit.New(be, ctx, nw, cfg.FitConfig())
			require.NoError(t, err)
		}
		ann, err := tr.EvalANN(data.Val, nil)
		require.NoError(t, err)
		res, err := tr.Simulator().Evaluate(data.Val, cfg.SelectT, nil)
		require.NoError(t, err)
		assert.Equal(t, ma[e]["val_ann_acc"], ann, "epoch %d: validation ANN accuracy", e)
		assert.Equal(t, ma[e]["val_snn_acc"], res.Accuracy[cfg.SelectT-1], "epoch %d: validation SNN accuracy", e)
	}
}
