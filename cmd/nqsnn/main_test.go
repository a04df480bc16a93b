package main

import (
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nqsnn/nqsnn/snnlib/backend"
	"github.com/nqsnn/nqsnn/snnlib/experiment"
)

var (
	binary    string
	buildOnce sync.Once
	buildErr  error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "nqsnn-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "nqsnn")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// built returns the path of the nqsnn binary, built on first use (so that
// unit tests and fuzzing do not wait for it).
func built(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building nqsnn: %w\n%s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return binary
}

// nqsnn runs the real binary and returns its combined output and exit code.
func nqsnn(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(built(t), args...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return string(out), code
}

// tiny is a run on the generated synthetic data set that takes seconds.
var tiny = []string{"run", "-dataset", "synthetic", "-epochs", "3", "-batch-size", "16", "-t", "1,2,4,16", "-quiet", "-lr", "0.05"}

// assertSameEpochs checks that two runs trained alike: every epoch's loss and
// per-layer σ agree within tol.
func assertSameEpochs(t *testing.T, a, b *experiment.Results, tol float64) {
	t.Helper()
	for i := range a.Epochs {
		assert.InDelta(t, a.Epochs[i].Loss, b.Epochs[i].Loss, tol, "epoch %d loss", i)
		assert.InDeltaSlice(t, a.Epochs[i].Sigma, b.Epochs[i].Sigma, tol, "epoch %d σ", i)
	}
}

var (
	referenceOnce sync.Once
	referenceDir  string
)

// referenceRun returns the directory of one uninterrupted, single-device tiny
// run, made once and shared by the tests that compare other runs against it.
func referenceRun(t *testing.T) string {
	t.Helper()
	referenceOnce.Do(func() {
		dir := filepath.Join(filepath.Dir(built(t)), "reference")
		if out, code := nqsnn(t, append(tiny, "-out", dir)...); code == 0 {
			referenceDir = dir
		} else {
			t.Logf("reference run failed (exit %d):\n%s", code, out)
		}
	})
	require.NotEmpty(t, referenceDir, "the reference tiny run failed (see the first test that needed it)")
	return referenceDir
}

func readResults(t *testing.T, dir string) *experiment.Results {
	t.Helper()
	res, err := experiment.LoadResults(dir)
	require.NoError(t, err)
	return res
}

func TestRunEndToEnd(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	out, code := nqsnn(t, append(tiny, "-out", dir, "-noisy-ann")...)
	require.Equal(t, 0, code, out)
	res := readResults(t, dir)
	require.NotNil(t, res.TestNoisyANNAccuracy, "-noisy-ann reports the ANN with the noise on")
	assert.Greater(t, *res.TestNoisyANNAccuracy, 0.3)
	report, err := os.ReadFile(filepath.Join(dir, "report.md"))
	require.NoError(t, err)
	assert.Contains(t, string(report), "ANN with the NQ noise on")
	assert.Equal(t, []int{1, 2, 4, 16}, res.T)
	require.Len(t, res.SNNAccuracy, 4)
	require.Len(t, res.Curve, 16)
	assert.Greater(t, res.TestANNAccuracy, 0.5, "the synthetic classes are learnable")
	assert.Len(t, res.Epochs, 3)
	assert.Len(t, res.Sites, 3)
	for _, f := range []string{"config.json", "checkpoint", "metrics.jsonl", "report.md", "accuracy_vs_t.svg"} {
		assert.FileExists(t, filepath.Join(dir, f))
	}
	for _, f := range []string{"accuracy_vs_t.png", "training.png", "sigma.png", "firing_rates.png", "accuracy_vs_energy.png"} {
		fh, err := os.Open(filepath.Join(dir, f))
		require.NoError(t, err)
		img, err := png.Decode(fh)
		fh.Close()
		require.NoError(t, err, f)
		assert.Equal(t, 900, img.Bounds().Dx(), f)
	}
	metrics, err := os.ReadFile(filepath.Join(dir, "metrics.jsonl"))
	require.NoError(t, err)
	assert.Len(t, strings.Split(strings.TrimSpace(string(metrics)), "\n"), 3)

	// A finished run is not overwritten without --force.
	out, code = nqsnn(t, append(tiny, "-out", dir)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "already holds a finished run; use --force to overwrite it")

	// eval re-simulates the saved model with other T values.
	out, code = nqsnn(t, "eval", "-t", "1,3", "-out", filepath.Join(dir, "ev"), filepath.Join(dir, "checkpoint"))
	require.Equal(t, 0, code, out)
	ev := readResults(t, filepath.Join(dir, "ev"))
	assert.Equal(t, []int{1, 3}, ev.T)
	assert.InDelta(t, res.Curve[0], ev.SNNAccuracy[0], 1e-9, "same model, same T=1 accuracy")
	assert.InDelta(t, res.TestANNAccuracy, ev.TestANNAccuracy, 1e-9)

	// compare overlays runs.
	cmp := filepath.Join(dir, "cmp")
	out, code = nqsnn(t, "compare", "-out", cmp, dir, filepath.Join(dir, "ev"))
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "| run | ANN | T=1 | T=2 | T=3 | T=4 | T=16 | warm-up steps | mean σ |")
	assert.FileExists(t, filepath.Join(cmp, "compare_accuracy_vs_t.png"))
}

// An interrupted run resumed from its last complete epoch ends exactly as an
// uninterrupted run with the same seed.
func TestResumeEquivalence(t *testing.T) {
	full, part := referenceRun(t), filepath.Join(t.TempDir(), "part")
	out, code := nqsnn(t, append(tiny, "-out", part, "-stop-after", "1")...)
	require.Equal(t, 130, code, out)
	assert.Contains(t, out, "resume with: nqsnn run --resume "+part)
	assert.NoFileExists(t, filepath.Join(part, "results.json"))
	out, code = nqsnn(t, "run", "-resume", part, "-quiet")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "resuming after epoch 1 of 3")

	a, b := readResults(t, full), readResults(t, part)
	require.Len(t, b.Epochs, 3)
	assertSameEpochs(t, a, b, 1e-6)
	assert.Equal(t, a.TestANNAccuracy, b.TestANNAccuracy)
	assert.Equal(t, a.Curve, b.Curve)
}

// -time-budget stops before an epoch that would not fit, keeps the last
// complete one, and the resumed run still ends as an uninterrupted one.
func TestTimeBudget(t *testing.T) {
	full, part := referenceRun(t), filepath.Join(t.TempDir(), "part")
	out, code := nqsnn(t, append(tiny, "-out", part, "-time-budget", "1ns")...)
	require.Equal(t, 130, code, out)
	assert.Contains(t, out, "the time budget leaves no room for epoch 1")
	assert.NoFileExists(t, filepath.Join(part, "resume.ckpt"))
	out, code = nqsnn(t, "run", "-resume", part, "-quiet", "-stop-after", "1")
	require.Equal(t, 130, code, out)
	out, code = nqsnn(t, "run", "-resume", part, "-quiet", "-time-budget", "1ns")
	require.Equal(t, 130, code, out)
	assert.Contains(t, out, "the time budget leaves no room for epoch 2 (one takes about")
	assert.Contains(t, out, "resume with: nqsnn run --resume "+part)
	out, code = nqsnn(t, "run", "-resume", part, "-quiet", "-time-budget", "1h")
	require.Equal(t, 0, code, out)
	a, b := readResults(t, full), readResults(t, part)
	require.Len(t, b.Epochs, 3)
	assertSameEpochs(t, a, b, 1e-6)
	assert.Equal(t, a.Curve, b.Curve)
}

// A run saved before the noise sampler was a setting (no "noise" in its
// config.json) drew Gaussian noise, and resumes with it.
func TestResumeKeepsOldNoise(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "old")
	out, code := nqsnn(t, append(tiny, "-out", dir, "-stop-after", "1")...)
	require.Equal(t, 130, code, out)
	path := filepath.Join(dir, "config.json")
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	require.Equal(t, "fast", m["noise"], "new runs record the sampler")
	delete(m, "noise")
	raw, err = json.Marshal(m)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, raw, 0o644))
	out, code = nqsnn(t, "run", "-resume", dir, "-quiet")
	require.Equal(t, 0, code, out)
	cfg, err := experiment.LoadConfig(path)
	require.NoError(t, err)
	assert.Equal(t, "gaussian", cfg.Noise)
}

// Data-parallel training over two devices trains the same model as one device
// (GoMLX AutoSharding; batch norm statistics span the whole batch).
func TestDataParallelRun(t *testing.T) {
	b, _, err := backend.New("")
	require.NoError(t, err)
	if b.NumDevices() < 2 {
		t.Skipf("backend %q has %d device(s); data-parallel needs 2 (the XLA CPU plugin has 4)", b.Name(), b.NumDevices())
	}
	if runtime.NumCPU() < 2 {
		t.Skip("two XLA CPU devices need two cores")
	}
	one, two := referenceRun(t), filepath.Join(t.TempDir(), "two")
	out, code := nqsnn(t, append(tiny, "-out", two, "-devices", "2")...)
	require.Equal(t, 0, code, out)
	cfg, err := experiment.LoadConfig(filepath.Join(two, "config.json"))
	require.NoError(t, err)
	assert.Equal(t, 2, cfg.Devices)
	a, c := readResults(t, one), readResults(t, two)
	require.Len(t, c.Epochs, len(a.Epochs))
	assertSameEpochs(t, a, c, 1e-3)
	assert.InDelta(t, a.TestANNAccuracy, c.TestANNAccuracy, 0.02)
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"run", "-dataset", "imagenet-1k"}, 1, `invalid dataset: "imagenet-1k" (known: mnist, fashion-mnist, cifar10, cifar10-partial, cifar100, tiny-imagenet, synthetic)`},
		{[]string{"run", "-model", "resnet1000"}, 1, `unknown model "resnet1000"`},
		{[]string{"run", "-strategy", "stdp"}, 1, `unknown strategy "stdp" (known: cos, nq, qcfs, relu, srp)`},
		{[]string{"run", "-strategy", "srp", "-strategy-param", "rho=2"}, 1, `invalid strategy-param: strategy "srp" has no parameter "rho" (its parameters: tau)`},
		{[]string{"run", "-strategy", "cos", "-strategy-param", "rho=-1"}, 1, `invalid strategy-param: strategy "cos": rho must be in [0, 1024], got -1`},
		{[]string{"run", "-strategy-param", "tau"}, 2, `"tau" is not name=value`},
		{[]string{"run", "-strategy-param", "tau=NaN"}, 2, `tau: "NaN" is not a finite number`},
		{[]string{"run", "-test-limit", "-1", "-dataset", "synthetic"}, 1, "invalid test-limit: must be >= 0, got -1"},
		{[]string{"run", "-t", "1,0,4"}, 2, "time steps must be >= 1, got 0"},
		{[]string{"run", "-t", "1,-2"}, 2, "time steps must be >= 1, got -2"},
		{[]string{"run", "-t", "a"}, 2, `"a" is not an integer`},
		{[]string{"run", "-epochs", "-3", "-dataset", "synthetic"}, 1, "invalid epochs: must be >= 1, got -3"},
		{[]string{"run", "-noise", "uniform"}, 1, `invalid noise: unknown noise sampler "uniform" (known: fast, gaussian)`},
		{[]string{"run", "-devices", "3", "-dataset", "synthetic"}, 1, "invalid devices: batch size 128 does not split over 3 devices"},
		{[]string{"run", "-devices", "-1", "-dataset", "synthetic"}, 1, "invalid devices: must be >= 0, got -1"},
		{[]string{"run", "-no-such-flag"}, 2, "flag provided but not defined: -no-such-flag"},
		{[]string{"run", "-dataset", "cifar100", "-data-dir", filepath.Join(dir, "missing")}, 1, "missing"},
		{[]string{"eval", filepath.Join(dir, "nope")}, 1, "no such file"},
		{[]string{"compare"}, 2, "compare needs at least one run directory"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
	}
	for _, c := range cases {
		out, code := nqsnn(t, append(c.args, "-out", filepath.Join(dir, "x"))...)
		if c.args[0] == "compare" || c.args[0] == "frobnicate" || c.args[0] == "eval" {
			out, code = nqsnn(t, c.args...)
		}
		assert.Equal(t, c.code, code, "%v: %s", c.args, out)
		assert.Contains(t, out, c.msg, "%v", c.args)
	}
	// Nothing half-written: a failed run leaves no results behind.
	assert.NoFileExists(t, filepath.Join(dir, "x", "results.json"))

	// A corrupt checkpoint names the problem.
	bad := filepath.Join(dir, "bad.ckpt")
	require.NoError(t, os.WriteFile(bad, []byte("NQSNN-CHECKPOINT\ngarbage garbage garbage"), 0o644))
	out, code := nqsnn(t, "eval", bad)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "corrupt")
}

func TestHelp(t *testing.T) {
	out, code := nqsnn(t, "run", "-h")
	assert.Equal(t, 0, code)
	for _, f := range []string{"-dataset", "-strategy", "-noise-t", "-resume", "-force", "(default 4)"} {
		assert.Contains(t, out, f)
	}
	var cfg experiment.Config
	require.NoError(t, json.Unmarshal([]byte(`{"dataset":"mnist"}`), &cfg))
}
