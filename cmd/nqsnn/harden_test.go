package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nqsnn/nqsnn/snnlib/backend"
	"github.com/nqsnn/nqsnn/snnlib/experiment"
)

// quick is a tiny run on the pure-Go backend: about a second per run, no
// XLA compilation, for the tests of how runs start, stop and resume.
var quick = []string{"run", "-dataset", "synthetic", "-batch-size", "16", "-quiet", "-backend", "go"}

func args(extra ...string) []string { return append(append([]string(nil), quick...), extra...) }

// A value given as 0 stays 0: refused where 0 is invalid, kept where it
// means something (dropout, momentum, weight decay, seed).
func TestParseRunFlagsZeros(t *testing.T) {
	for flag, want := range map[string]string{
		"-L":            "invalid L (quantisation levels): must be >= 1, got 0",
		"-epochs":       "invalid epochs: must be >= 1, got 0",
		"-batch-size":   "invalid batch-size: must be >= 1, got 0",
		"-val-fraction": "invalid val-fraction: must be in (0, 1), got 0",
	} {
		_, err := parseRunFlags([]string{flag, "0"}, io.Discard)
		assert.EqualError(t, err, want, flag)
	}
	rf, err := parseRunFlags([]string{"-model", "vgg16", "-dropout", "0", "-momentum", "0", "-wd", "0", "-seed", "0"}, io.Discard)
	require.NoError(t, err)
	cfg := rf.cfg.WithPreset()
	assert.Zero(t, cfg.Dropout)
	assert.Zero(t, cfg.Momentum)
	assert.Zero(t, cfg.WeightDecay)
	assert.Zero(t, cfg.Seed)

	rf, err = parseRunFlags([]string{"-model", "vgg16"}, io.Discard)
	require.NoError(t, err)
	assert.Zero(t, rf.cfg.WithPreset().Dropout, "VGG-16 defaults to dropout 0, as in the reference code")
	rf, err = parseRunFlags([]string{"-model", "vgg16", "-dropout", "0.5"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 0.5, rf.cfg.WithPreset().Dropout)

	rf, err = parseRunFlags([]string{"-resume", "somewhere", "-t", "1,2", "-L", "8"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "somewhere", rf.dir)
	assert.ElementsMatch(t, []string{"t", "L"}, rf.cfg.Given, "on resume the given settings are passed on to be checked")
}

// runFlagNames are the flags of run, for FuzzParseRunFlags.
var runFlagNames = append(experiment.Settings(), "out", "resume", "force", "quiet", "stop-after", "h")

// FuzzParseRunFlags drives run's flag parsing with random command lines (a
// random line, then two known flags with random values): it must never
// panic, and whatever it accepts for a new run is a valid configuration.
func FuzzParseRunFlags(f *testing.F) {
	for i, s := range []string{"", "-L 0", "-t 1", "-t 1,2,4 -epochs 3", "-lr Inf", "-lr NaN", "-dropout 0.5 -model vgg16",
		"-resume x -epochs 9", "-devices 3", "-val-fraction 1e-300", "-t 99999999999999999999", "-batch-size 100000",
		"-h", "-seed -1", "-momentum 0.99999", "-select-t 0", "extra", "-t ,,,", "-noise gaussian -strategy qcfs"} {
		f.Add(s, uint8(i), "0", uint8(3*i), "-1")
	}
	f.Add("", uint8(0), "NaN", uint8(1), "Inf")
	f.Fuzz(func(t *testing.T, line string, a uint8, va string, b uint8, vb string) {
		args := append(strings.Fields(line),
			"-"+runFlagNames[int(a)%len(runFlagNames)], va, "-"+runFlagNames[int(b)%len(runFlagNames)], vb)
		rf, err := parseRunFlags(args, io.Discard)
		if err != nil {
			assert.NotEmpty(t, err.Error())
			return
		}
		if !rf.resume {
			assert.NoError(t, rf.cfg.WithPreset().Validate(), "accepted %q", args)
			assert.NotEmpty(t, rf.dir)
		}
	})
}

// -t 1 alone renders (a single point on the log T axis); a run interrupted
// after an epoch is neither overwritten nor resumed with a setting it cannot
// change, and resumes with the ones it can.
func TestRunLifecycle(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	out, code := nqsnn(t, args("-epochs", "2", "-t", "1", "-out", dir, "-stop-after", "1")...)
	require.Equal(t, 130, code, out)

	// Without --resume the interrupted run is kept, and the message says how to go on.
	out, code = nqsnn(t, args("-epochs", "2", "-out", dir)...)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "holds an interrupted run (1 epoch(s) complete); continue it with: nqsnn run --resume "+dir)
	for _, f := range []string{experiment.CheckpointFile, experiment.ResumeFile} {
		assert.FileExists(t, filepath.Join(dir, f))
	}
	metrics, err := os.ReadFile(filepath.Join(dir, experiment.MetricsFile))
	require.NoError(t, err)
	assert.Equal(t, 1, bytes.Count(metrics, []byte("\n")), "the epoch's metrics are kept")

	// Settings fixed by the trained state are refused, all named.
	out, code = nqsnn(t, "run", "-resume", dir, "-quiet", "-L", "8", "-lr", "0.1")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "cannot change with --resume: -L 8 (the run has 4), -lr 0.1 (the run has 0.05)")

	// The T list and the epoch count can change, and the run says so.
	out, code = nqsnn(t, "run", "-resume", dir, "-quiet", "-epochs", "3", "-t", "1")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "resume: applied -epochs 3 (was 2): the cosine learning rate of epochs 2..3 follows the new length")
	res := readResults(t, dir)
	assert.Equal(t, []int{1}, res.T)
	assert.Len(t, res.Epochs, 3)
	assert.Equal(t, 3, res.Config.Epochs)
	assert.FileExists(t, filepath.Join(dir, experiment.ReportFile))
	assert.FileExists(t, filepath.Join(dir, "accuracy_vs_t.png"))

	// Nothing left to resume.
	out, code = nqsnn(t, "run", "-resume", dir, "-quiet")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "holds a finished run: nothing to resume")

	// eval, compare and figures of a one-T run.
	out, code = nqsnn(t, "eval", "-backend", "go", "-t", "1", "-out", filepath.Join(dir, "ev"), filepath.Join(dir, "checkpoint"))
	require.Equal(t, 0, code, out)
	out, code = nqsnn(t, "compare", "-out", filepath.Join(t.TempDir(), "cmp"), dir, filepath.Join(dir, "ev"))
	require.Equal(t, 0, code, out)
	out, code = nqsnn(t, "figures", "-results", filepath.Dir(dir), "-out", filepath.Join(t.TempDir(), "fig"))
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "wrote ")
}

// watched is a running nqsnn whose output can be waited on.
type watched struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
	code int
}

func start(t *testing.T, args ...string) *watched {
	t.Helper()
	w := &watched{cmd: exec.Command(built(t), args...), done: make(chan struct{})}
	pr, pw := io.Pipe()
	w.cmd.Stdout, w.cmd.Stderr = pw, pw
	require.NoError(t, w.cmd.Start())
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			w.mu.Lock()
			w.out.WriteString(sc.Text() + "\n")
			w.mu.Unlock()
		}
	}()
	go func() {
		err := w.cmd.Wait()
		w.code = 0
		if ee, ok := err.(*exec.ExitError); ok {
			w.code = ee.ExitCode()
		}
		pw.Close()
		close(w.done)
	}()
	t.Cleanup(func() {
		select {
		case <-w.done:
		default:
			_ = w.cmd.Process.Kill()
			<-w.done
		}
	})
	return w
}

func (w *watched) output() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.out.String()
}

// waitFor waits until the output holds s.
func (w *watched) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(w.output(), s) {
		select {
		case <-w.done:
			t.Fatalf("nqsnn ended (exit %d) before printing %q:\n%s", w.code, s, w.output())
		default:
		}
		require.True(t, time.Now().Before(deadline), "no %q after 2 minutes:\n%s", s, w.output())
		time.Sleep(50 * time.Millisecond)
	}
}

// wait waits for the end and returns the exit code.
func (w *watched) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-w.done:
		time.Sleep(50 * time.Millisecond) // the last lines
		return w.code
	case <-time.After(limit):
		t.Fatalf("nqsnn still running after %s:\n%s", limit, w.output())
		return -1
	}
}

// A run locks its directory: a second run there is refused, naming the
// first one's PID. Ctrl-C stops a run within a batch in the test phase too,
// even in the middle of a long simulation, and says how to resume.
func TestLockAndInterrupt(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	a := start(t, args("-epochs", "1", "-t", "1000000", "-out", dir)...)
	a.waitFor(t, "test: the model of epoch 1")

	out, code := nqsnn(t, args("-epochs", "1", "-out", dir)...)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "run directory "+dir+" is in use by another nqsnn process (PID "+strconv.Itoa(a.cmd.Process.Pid)+")")

	require.NoError(t, a.cmd.Process.Signal(syscall.SIGINT))
	assert.Equal(t, 130, a.wait(t, 30*time.Second))
	assert.Contains(t, a.output(), "interrupted: the last complete epoch is kept; resume with: nqsnn run --resume "+dir)
	assert.NoFileExists(t, filepath.Join(dir, experiment.ResultsFile))
	assert.NoFileExists(t, filepath.Join(dir, experiment.LockFile))

	out, code = nqsnn(t, "run", "-resume", dir, "-quiet", "-t", "1,2")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "resume: applied -t 1,2 (was 1000000)")
	assert.Equal(t, []int{1, 2}, readResults(t, dir).T)
}

// A diverging run ends with the divergence guard's message and keeps its
// last good epoch; an infinite learning rate is refused before any folder
// is made.
func TestDivergedRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	out, code := nqsnn(t, args("-epochs", "2", "-lr", "10", "-t", "1", "-out", dir)...)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "training diverged")
	assert.Contains(t, out, "start again with a lower -lr")
	assert.NotContains(t, out, "json: unsupported value")
	metrics, err := os.ReadFile(filepath.Join(dir, experiment.MetricsFile))
	require.NoError(t, err)
	for _, line := range strings.Split(strings.TrimSpace(string(metrics)), "\n") {
		if line != "" {
			assert.True(t, json.Valid([]byte(line)), "metrics line %q", line)
		}
	}

	for _, lr := range []string{"Inf", "NaN", "-Inf"} {
		bad := filepath.Join(t.TempDir(), "never")
		out, code = nqsnn(t, args("-lr", lr, "-out", bad)...)
		assert.Equal(t, 1, code, out)
		assert.Contains(t, out, "invalid lr: must be a finite number > 0, got ")
		assert.NoDirExists(t, bad)
	}
}

// Data-parallel training over more host devices than cores can hang XLA's
// all-reduce and abort the program; it is refused up front.
func TestDevicesBeyondCores(t *testing.T) {
	b, choice, err := backend.New("")
	require.NoError(t, err)
	n := runtime.NumCPU() + 1
	if choice.Name != backend.NameCPU || b.NumDevices() < n {
		t.Skipf("needs the XLA CPU backend with more devices than the %d cores (have %s with %d)", runtime.NumCPU(), choice.Name, b.NumDevices())
	}
	dir := filepath.Join(t.TempDir(), "run")
	out, code := nqsnn(t, "run", "-dataset", "synthetic", "-batch-size", strconv.Itoa(16*n), "-devices", strconv.Itoa(n), "-quiet", "-out", dir)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "invalid devices: -devices "+strconv.Itoa(n)+" on the XLA CPU backend needs as many CPU cores")
	assert.NoDirExists(t, dir)
}

// Output folders of someone else's are never written into; empty inputs of
// figures and bench are errors; a missing Fashion-MNIST says how to get it.
func TestOutputsAndInputs(t *testing.T) {
	own := t.TempDir()
	for _, f := range []string{"report.md", "training.png"} {
		require.NoError(t, os.WriteFile(filepath.Join(own, f), []byte("mine"), 0o644))
	}
	out, code := nqsnn(t, args("-out", own)...)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, own+" already holds files that are not an nqsnn run (report.md, training.png)")
	mine, err := os.ReadFile(filepath.Join(own, "report.md"))
	require.NoError(t, err)
	assert.Equal(t, "mine", string(mine))
	assert.NoFileExists(t, filepath.Join(own, experiment.ConfigFile))

	out, code = nqsnn(t, "compare", "-out", own, own)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "output folder "+own+" already holds other files")

	empty := t.TempDir()
	out, code = nqsnn(t, "figures", "-results", empty, "-out", t.TempDir())
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, empty+" holds no run: expected one folder per run, each with a results.json")

	out, code = nqsnn(t, "bench", "-backends", "bogus", "-data=false")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, `no backend could be measured: bogus: unknown backend "bogus"`)
	assert.NotContains(t, out, "| backend |", "no empty table")

	out, code = nqsnn(t, args("-dataset", "fashion-mnist", "-data-dir", empty, "-out", filepath.Join(t.TempDir(), "f"))...)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "apt-get install dataset-fashion-mnist")
	assert.Contains(t, out, "download")
}

// 'nqsnn -h' lists the commands; a bare 'nqsnn' says first that it starts
// the default job.
func TestCommandsHelp(t *testing.T) {
	out, code := nqsnn(t, "-h")
	assert.Equal(t, 0, code)
	for _, c := range []string{"nqsnn eval", "nqsnn compare", "nqsnn bench", "nqsnn setup", "nqsnn figures", "'nqsnn run' (or 'nqsnn' alone) starts the default job"} {
		assert.Contains(t, out, c)
	}
	assert.NotContains(t, out, "-noise-t", "run's flags are for 'nqsnn run -h'")

	// An unknown backend makes the default job fail at once, after its first line.
	cmd := exec.Command(built(t))
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "NQSNN_BACKEND=none-such")
	raw, _ := cmd.CombinedOutput()
	first, _, _ := strings.Cut(string(raw), "\n")
	assert.Equal(t, "nqsnn: no command given, so running the default job ('nqsnn run': MNIST, small CNN, nq, quick preset); 'nqsnn -h' lists the commands", first)
	entries, err := os.ReadDir(cmd.Dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "a run that never started leaves no folder")
}
