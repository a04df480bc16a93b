package experiment

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nqsnn/nqsnn/snnlib/backend"
	"github.com/nqsnn/nqsnn/snnlib/fit"
)

// A setting given as 0 stays 0 (and fails validation where 0 is invalid);
// one not given takes the preset's value.
func TestWithPresetKeepsGivenZeros(t *testing.T) {
	def := DefaultConfig().WithPreset()
	assert.Equal(t, 4, def.Levels)
	assert.Equal(t, 5, def.Epochs)
	assert.Equal(t, 128, def.BatchSize)
	assert.Equal(t, 0.1, def.ValFraction)
	assert.Equal(t, 0.9, def.Momentum)
	assert.Equal(t, int64(2024), def.Seed)

	for flag, want := range map[string]string{
		"L":            "invalid L (quantisation levels): must be >= 1, got 0",
		"epochs":       "invalid epochs: must be >= 1, got 0",
		"batch-size":   "invalid batch-size: must be >= 1, got 0",
		"val-fraction": "invalid val-fraction: must be in (0, 1), got 0",
		"lr":           "invalid lr: must be a finite number > 0, got 0",
		"lambda":       "invalid lambda: must be a finite number > 0, got 0",
		"noise-t":      "invalid noise-t: must be >= 1, got 0",
		"select-t":     "invalid select-t: must be >= 1, got 0",
	} {
		c := DefaultConfig()
		c.Given = []string{flag}
		assert.EqualError(t, c.WithPreset().Validate(), want, flag)
	}

	c := DefaultConfig()
	c.Given = []string{"momentum", "wd", "seed", "dropout"}
	c = c.WithPreset()
	require.NoError(t, c.Validate())
	assert.Zero(t, c.Momentum)
	assert.Zero(t, c.WeightDecay)
	assert.Zero(t, c.Seed)
}

// VGG-16 is built with dropout 0, as the reference code builds it; 0.5 is
// there when asked for.
func TestVGG16Dropout(t *testing.T) {
	c := DefaultConfig()
	c.Model = "vgg16"
	assert.Zero(t, c.WithPreset().Dropout)
	c.Dropout = 0.5
	c.Given = []string{"dropout"}
	assert.Equal(t, 0.5, c.WithPreset().Dropout)
}

// Infinite or NaN numbers are refused by name before anything runs.
func TestValidateRefusesNonFinite(t *testing.T) {
	for _, tc := range []struct {
		set  func(*Config)
		want string
	}{
		{func(c *Config) { c.LearningRate = math.Inf(1) }, "invalid lr: must be a finite number > 0, got +Inf"},
		{func(c *Config) { c.LearningRate = math.NaN() }, "invalid lr: must be a finite number > 0, got NaN"},
		{func(c *Config) { c.Lambda = math.Inf(1) }, "invalid lambda: must be a finite number > 0, got +Inf"},
		{func(c *Config) { c.Momentum = math.NaN() }, "invalid momentum: must be in [0, 1), got NaN"},
		{func(c *Config) { c.WeightDecay = math.Inf(1) }, "invalid wd: must be a finite number >= 0, got +Inf"},
		{func(c *Config) { c.Dropout = math.NaN() }, "invalid dropout: must be in [0, 1), got NaN"},
		{func(c *Config) { c.ValFraction = math.NaN() }, "invalid val-fraction: must be in (0, 1), got NaN"},
		{func(c *Config) { c.EvalT = []int{1, MaxEvalT + 1} }, "invalid t: time steps must be <= 1048576, got 1048577 (the simulation keeps per-step counts)"},
	} {
		c := DefaultConfig().WithPreset()
		tc.set(&c)
		assert.EqualError(t, c.Validate(), tc.want)
	}
}

// Every setting names a Config field, and every Config field but Given is a
// setting: the resume check must not miss one.
func TestSettingsCoverConfig(t *testing.T) {
	fields := map[string]bool{}
	for _, s := range settings {
		f, ok := reflect.TypeOf(Config{}).FieldByName(s.field)
		require.True(t, ok, "setting -%s names no field %s", s.flag, s.field)
		fields[f.Name] = true
	}
	for i := range reflect.TypeOf(Config{}).NumField() {
		name := reflect.TypeOf(Config{}).Field(i).Name
		assert.True(t, fields[name] || name == "Given", "Config.%s has no setting", name)
	}
}

// Resuming applies the settings that can change, refuses the others by
// name, and says what a new epoch count does to the learning rate.
func TestResumeWith(t *testing.T) {
	saved := DefaultConfig().WithPreset()
	saved.Epochs = 3
	req := DefaultConfig()
	req.Levels, req.LearningRate, req.Model = 8, 0.1, "cnn"
	req.Given = []string{"L", "lr", "model"} // model unchanged: fine
	_, _, err := resumeWith(saved, req, 1)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot change with --resume: -L 8 (the run has 4), -lr 0.1 (the run has 0.05)")
	assert.NotContains(t, err.Error(), "-model cnn")

	req = DefaultConfig()
	req.EvalT, req.Epochs, req.NoisyANN = []int{1, 4}, 5, true
	req.Given = []string{"t", "epochs", "noisy-ann"}
	got, applied, err := resumeWith(saved, req, 1)
	require.NoError(t, err)
	assert.Equal(t, []int{1, 4}, got.EvalT)
	assert.Equal(t, 5, got.Epochs)
	assert.True(t, got.NoisyANN)
	assert.Equal(t, saved.Levels, got.Levels)
	require.Len(t, applied, 3)
	assert.Contains(t, applied[0], "-t 1,4 (was 1,2,4,8,16,32,64)")
	lr := strconv.FormatFloat(fit.CosineLR(0.05, 1, 5), 'g', 4, 64)
	assert.Contains(t, applied[1], "-epochs 5 (was 3): the cosine learning rate of epochs 2..5 follows the new length (epoch 2 trains at lr "+lr)

	req.Epochs = 1
	_, _, err = resumeWith(saved, req, 2)
	assert.EqualError(t, err, "invalid epochs: -epochs 1, but the run has already completed 2 epoch(s)")
}

// An epoch with a NaN or infinite number, or a λ that is not positive, is
// a divergence, reported by name.
func TestCheckEpoch(t *testing.T) {
	good := fit.Epoch{Epoch: 1, Loss: 0.5, Lambda: []float64{2, 3}, Sigma: []float64{0.1, 0.2}}
	require.NoError(t, checkEpoch(&good))
	e := good
	e.Sigma = []float64{0.1, math.Inf(1)}
	err := checkEpoch(&e)
	assert.ErrorIs(t, err, ErrDiverged)
	assert.EqualError(t, err, "training diverged: epoch 2: σ of activation layer 1 is +Inf; λ per layer: [2 3]")
	e = good
	e.Lambda = []float64{-1, 3}
	assert.ErrorContains(t, checkEpoch(&e), "λ of activation layer 0 is -1")
	e = good
	e.ValSNNAcc = math.NaN()
	assert.EqualError(t, checkEpoch(&e), "training diverged: epoch 2: validation SNN accuracy is NaN")
}

// A run directory is locked while a run uses it; a second run is refused
// with the holder's PID; the lock file goes away with the lock.
func TestLockDir(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no flock")
	}
	dir := t.TempDir()
	unlock, err := lockDir(dir)
	require.NoError(t, err)
	_, err = lockDir(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "run directory "+dir+" is in use by another nqsnn process (PID "+strconv.Itoa(os.Getpid())+")")
	unlock()
	assert.NoFileExists(t, filepath.Join(dir, LockFile))
	unlock, err = lockDir(dir)
	require.NoError(t, err)
	unlock()
}

// What a directory holds decides whether a run may start in it.
func TestCheckDir(t *testing.T) {
	check := func(dir string, opt Options) error {
		state, epochs, names, err := inspectDir(dir)
		require.NoError(t, err)
		return checkDir(dir, state, epochs, names, opt)
	}
	base := t.TempDir()
	assert.NoError(t, check(filepath.Join(base, "new"), Options{}))

	own := filepath.Join(base, "own")
	require.NoError(t, os.MkdirAll(own, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(own, "report.md"), []byte("mine"), 0o644))
	err := check(own, Options{})
	assert.EqualError(t, err, own+" already holds files that are not an nqsnn run (report.md); choose a new or empty folder with -out (--force writes into it, replacing files of the same names)")
	assert.ErrorContains(t, check(own, Options{Resume: true}), "cannot resume "+own+": it is not an nqsnn run directory")

	run := filepath.Join(base, "run")
	require.NoError(t, os.MkdirAll(run, 0o755))
	cfg, _ := json.Marshal(DefaultConfig().WithPreset())
	require.NoError(t, os.WriteFile(filepath.Join(run, ConfigFile), cfg, 0o644))
	assert.NoError(t, check(run, Options{}), "a run that never completed an epoch loses nothing")
	require.NoError(t, os.WriteFile(filepath.Join(run, MetricsFile), []byte("{}\n{}\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(run, ResumeFile), []byte("x"), 0o644))
	assert.EqualError(t, check(run, Options{}), "run directory "+run+" holds an interrupted run (2 epoch(s) complete); continue it with: nqsnn run --resume "+run+" (or start over with --force, which deletes it)")
	assert.NoError(t, check(run, Options{Resume: true}))
	assert.NoError(t, check(run, Options{Force: true}))
	require.NoError(t, os.WriteFile(filepath.Join(run, ResultsFile), []byte("{}"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(run, ReportFile), []byte("#"), 0o644))
	assert.ErrorContains(t, check(run, Options{}), "already holds a finished run; use --force to overwrite it")
}

// fakeBackend reports a name, description and device count.
type fakeBackend struct {
	backends.Backend
	name, desc string
	devices    int
}

func (f fakeBackend) Name() string        { return f.name }
func (f fakeBackend) Description() string { return f.desc }
func (f fakeBackend) NumDevices() int     { return f.devices }

// On the XLA CPU plugin the devices share the machine's cores; more devices
// than cores can hang the gradient all-reduce, so they are refused.
func TestCheckDevices(t *testing.T) {
	n := runtime.NumCPU() + 1
	cpu := fakeBackend{name: "xla", desc: "xla:/x/pjrt_c_api_cpu_plugin.so - PJRT plugin", devices: n}
	err := backend.CheckDevices(cpu, n)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "invalid devices: -devices "+strconv.Itoa(n)+" on the XLA CPU backend needs as many CPU cores, this machine has "+strconv.Itoa(n-1))
	assert.NoError(t, backend.CheckDevices(cpu, n-1))
	gpu := fakeBackend{name: "xla", desc: "xla:/x/xla_cuda_plugin.so - PJRT plugin", devices: n}
	assert.NoError(t, backend.CheckDevices(gpu, n), "GPUs are not CPU threads")
	assert.EqualError(t, backend.CheckDevices(gpu, n+1), "invalid devices: "+strconv.Itoa(n+1)+" requested, but backend xla has only "+strconv.Itoa(n))
}

// Validation and test batches stay bounded whatever the training batch.
func TestEvalBatchBounded(t *testing.T) {
	cfg := DefaultConfig() // MNIST: 10,000 test images
	cfg.BatchSize, cfg.TrainLimit = 100000, 256
	cfg = cfg.WithPreset()
	data, err := LoadData(cfg)
	if err != nil {
		t.Skip("MNIST not available: ", err)
	}
	defer data.Close()
	assert.Equal(t, MaxEvalBatch, data.Info.EvalBatch)
	_, in, _, err := data.Test.Yield()
	require.NoError(t, err)
	assert.Equal(t, MaxEvalBatch, in[0].Shape().Dimensions[0])
	_, in, _, err = data.Val.Yield()
	require.NoError(t, err)
	assert.Equal(t, MaxEvalBatch, in[0].Shape().Dimensions[0])
	cfg.BatchSize = 64
	assert.Equal(t, 64, EvalBatchSize(cfg), "small batches are used as they are")
}

// figures over a folder without runs is an error; a run that cannot be
// drawn does not stop the others.
func TestRegenerateFiguresErrors(t *testing.T) {
	empty := t.TempDir()
	_, err := RegenerateFigures(empty, t.TempDir())
	assert.EqualError(t, err, empty+" holds no run: expected one folder per run, each with a results.json (as nqsnn run writes)")

	res := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(res, "bad"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(res, "bad", ResultsFile), []byte("{"), 0o644))
	good, err := os.ReadFile(filepath.Join("..", "..", "results", "mnist-cnn-nq-L4", ResultsFile))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(res, "good"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(res, "good", ResultsFile), good, 0o644))
	figs := t.TempDir()
	written, err := RegenerateFigures(res, figs)
	assert.ErrorContains(t, err, filepath.Join(res, "bad", ResultsFile))
	assert.Equal(t, []string{filepath.Join(figs, "good")}, written, "the good run is drawn all the same")
	assert.FileExists(t, filepath.Join(figs, "good", ReportFile))
}

// syncBuffer is a log that a test can read while a run writes it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	on  func(string)
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf.Write(p)
	if s.on != nil {
		s.on(s.buf.String())
	}
	return len(p), nil
}

// An interrupt in the test phase takes effect within a batch, even in the
// middle of a long simulation window, and the run resumes from there.
func TestInterruptInTestPhase(t *testing.T) {
	be, _, err := backend.New("go")
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "run")
	cfg := DefaultConfig()
	cfg.Dataset, cfg.Epochs, cfg.BatchSize, cfg.EvalT = "synthetic", 1, 16, []int{1_000_000}
	stop := make(chan struct{})
	var once sync.Once
	log := &syncBuffer{on: func(s string) {
		if strings.Contains(s, "test: the model of epoch 1") {
			once.Do(func() { close(stop) })
		}
	}}
	start := time.Now()
	_, err = Run(cfg, dir, Options{Backend: be, Log: log, Stop: stop})
	require.ErrorIs(t, err, ErrInterrupted)
	select {
	case <-stop:
	default:
		t.Fatal("stopped before the test phase")
	}
	assert.Less(t, time.Since(start), time.Minute)
	assert.NoFileExists(t, filepath.Join(dir, ResultsFile))
	assert.NoFileExists(t, filepath.Join(dir, LockFile))

	req := DefaultConfig()
	req.EvalT, req.Given = []int{1, 2}, []string{"t"}
	res, err := Run(req, dir, Options{Backend: be, Resume: true})
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2}, res.T)
	assert.FileExists(t, filepath.Join(dir, ReportFile))
	assert.False(t, errors.Is(err, ErrInterrupted))
}

// A run whose report cannot be written is not marked finished (results.json
// comes last), so --resume completes it.
func TestFailedReportLeavesResumableRun(t *testing.T) {
	be, _, err := backend.New("go")
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "run")
	blocker := filepath.Join(dir, "accuracy_vs_t.png", "x") // a folder where a figure goes
	require.NoError(t, os.MkdirAll(blocker, 0o755))
	cfg := DefaultConfig()
	cfg.Dataset, cfg.Epochs, cfg.BatchSize, cfg.EvalT = "synthetic", 1, 16, []int{1}
	_, err = Run(cfg, dir, Options{Backend: be, Force: true})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "writing report")
	assert.NoFileExists(t, filepath.Join(dir, ResultsFile))

	require.NoError(t, os.RemoveAll(filepath.Dir(blocker)))
	res, err := Run(DefaultConfig(), dir, Options{Backend: be, Resume: true})
	require.NoError(t, err)
	assert.Equal(t, []int{1}, res.T)
	assert.FileExists(t, filepath.Join(dir, ResultsFile))
	assert.FileExists(t, filepath.Join(dir, ReportFile))
}
