package experiment

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/nqsnn/nqsnn/snnlib/atomicfile"
	"github.com/nqsnn/nqsnn/snnlib/backend"
	"github.com/nqsnn/nqsnn/snnlib/checkpoint"
	"github.com/nqsnn/nqsnn/snnlib/fit"
	"github.com/nqsnn/nqsnn/snnlib/model"
	"github.com/nqsnn/nqsnn/snnlib/nq"
	"github.com/nqsnn/nqsnn/snnlib/snn"
)

// ErrInterrupted is returned when Options.Stop fires; the run directory then
// holds the last complete epoch and can be resumed.
var ErrInterrupted = errors.New("interrupted")

// Progress shows the progress of one phase of long work.
type Progress interface {
	Update(done int, status string)
	Done()
}

// Options control how a run executes (not what it computes).
type Options struct {
	Resume   bool                                   // continue the run in the directory (see Run)
	Force    bool                                   // overwrite a finished or interrupted run
	Backend  backends.Backend                       // nil: chosen from Config.Backend
	Progress func(title string, total int) Progress // nil: no progress display
	Log      io.Writer                              // nil: io.Discard
	Stop     <-chan struct{}                        // closed to interrupt (Ctrl-C)
	// AfterEpoch, if set, is called with every finished epoch (e.g. to plot live).
	AfterEpoch func(*fit.Epoch)
	// StopAfterEpoch > 0 interrupts the run once that many epochs are complete,
	// exactly as Stop would (used to test resuming).
	StopAfterEpoch int
	// Deadline, if set, interrupts the run (as Stop would) before an epoch that
	// is not expected to end by then: the estimate is the shortest of the last
	// three epochs (their wall time in this process, their recorded time before
	// it; a process's first epoch includes compiling), none for a fresh run.
	Deadline time.Time
}

type runner struct {
	cfg  Config
	dir  string
	opt  Options
	log  io.Writer
	data *Data
	be   backends.Backend
	nw   snn.Network
	// unlock releases the run directory's lock (nil: not locked).
	unlock func()
	// resumeFrom is the state after the last complete epoch of a resumed
	// run, with its metadata (nil: start from scratch).
	resumeFrom *checkpoint.Checkpoint
	resumeMeta *Meta
}

// Run trains, calibrates, converts and evaluates as cfg says and writes the
// run directory dir. See the package documentation for its contents.
//
// The directory is locked while Run uses it. A finished or interrupted run
// in it is only replaced with opt.Force, and a folder of other files is not
// written into. With opt.Resume the run in dir continues with its saved
// settings, changed by those of cfg.Given that a resume may change
// (ResumableSettings); giving any other with a different value is an error.
func Run(cfg Config, dir string, opt Options) (*Results, error) {
	r := &runner{dir: dir, opt: opt, log: opt.Log}
	if r.log == nil {
		r.log = io.Discard
	}
	defer r.close()
	if err := r.prepare(cfg); err != nil {
		return nil, err
	}
	meta, err := r.trainAll()
	if err != nil {
		return nil, err
	}
	return r.finish(meta)
}

func (r *runner) close() {
	if r.data != nil && r.data.Close != nil {
		r.data.Close()
	}
	if r.unlock != nil {
		r.unlock()
	}
}

// prepare checks everything a run needs before it changes any file: the
// settings, the directory (lock, and what it holds), the backend, the data
// and the network. Only then are the outputs of an earlier run removed (with
// Force) and config.json written.
func (r *runner) prepare(cfg Config) (err error) {
	if !r.opt.Resume {
		cfg = cfg.WithPreset()
		if err := cfg.Validate(); err != nil {
			return err
		}
	}
	// A folder of other files is refused before the lock file is put in it;
	// every other verdict waits for the lock, so that a run in progress is
	// reported as such.
	state, epochs, names, err := inspectDir(r.dir)
	if err != nil {
		return err
	}
	if state == dirForeign {
		if err := checkDir(r.dir, state, epochs, names, r.opt); err != nil {
			return err
		}
	}
	created := missingDirs(r.dir)
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			// Leave no empty folders behind a run that never started.
			if r.unlock != nil {
				r.unlock()
				r.unlock = nil
			}
			for _, d := range created {
				_ = os.Remove(d) // only if still empty
			}
		}
	}()
	if r.unlock, err = lockDir(r.dir); err != nil {
		return err
	}
	if state, epochs, names, err = inspectDir(r.dir); err != nil {
		return err
	}
	if err := checkDir(r.dir, state, epochs, names, r.opt); err != nil {
		return err
	}
	if r.opt.Resume {
		if cfg, err = r.resumeConfig(cfg, state); err != nil {
			return err
		}
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	r.cfg = cfg
	r.be = r.opt.Backend
	if r.be == nil {
		var desc string
		r.be, desc, err = NewBackend(cfg.Backend)
		if err != nil {
			return err
		}
		fmt.Fprintln(r.log, "backend:", desc)
	}
	if err := backend.CheckDevices(r.be, cfg.Devices); err != nil {
		return err
	}
	if cfg.Devices > 1 {
		fmt.Fprintf(r.log, "training data-parallel over %d of the backend's %d devices\n", cfg.Devices, r.be.NumDevices())
	}
	r.data, err = LoadData(cfg)
	if err != nil {
		return err
	}
	r.data.stop = r.stopped
	fmt.Fprintf(r.log, "data: %s — %d train, %d validation, %d test examples, %d classes\n", r.data.Info.Name,
		r.data.Info.TrainExamples, r.data.Info.ValExamples, r.data.Info.TestExamples, r.data.Info.NumClasses)
	if r.nw, err = cfg.Network(r.data.Info.NumClasses); err != nil {
		return err
	}
	if !r.opt.Resume {
		// A fresh run: clear the outputs of an earlier one (with --force, or
		// one that never completed an epoch; checked above).
		for _, f := range outputs {
			_ = os.Remove(filepath.Join(r.dir, f))
		}
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(r.dir, ConfigFile), append(b, '\n'), 0o644)
}

// missingDirs lists dir and those of its parents that do not exist yet,
// innermost first: what MkdirAll(dir) would create.
func missingDirs(dir string) []string {
	var out []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			return out
		}
		out = append(out, d)
		if filepath.Dir(d) == d {
			return out
		}
	}
}

// resumeConfig returns the saved config of the run in r.dir with the
// changes req.Given asks for, and loads the state to resume from.
func (r *runner) resumeConfig(req Config, state dirState) (Config, error) {
	saved, err := LoadConfig(filepath.Join(r.dir, ConfigFile))
	if err != nil {
		return saved, fmt.Errorf("cannot resume %s: %w", r.dir, err)
	}
	if saved.Noise == "" {
		// Saved before the noise sampler was a setting: such runs drew
		// exact Gaussian noise, and a resumed run must go on doing so.
		saved.Noise = string(nq.Gaussian)
	}
	if saved.WeightInit == "" {
		// Saved before the initialisation was a setting: such runs started
		// He-normal (recorded for the outputs; a resumed run loads its weights).
		saved.WeightInit = string(model.InitHe)
	}
	done := 0
	c, err := checkpoint.Load(filepath.Join(r.dir, ResumeFile))
	switch {
	case err == nil:
		meta := &Meta{}
		if err := c.DecodeMeta(meta); err != nil {
			return saved, fmt.Errorf("cannot resume %s: %w", r.dir, err)
		}
		r.resumeFrom, r.resumeMeta, done = c, meta, len(meta.Epochs)
	case !errors.Is(err, os.ErrNotExist):
		return saved, fmt.Errorf("cannot resume %s: %w", r.dir, err)
	}
	cfg, applied, err := resumeWith(saved, req, done)
	if err != nil {
		return saved, err
	}
	if state == dirFinished && len(applied) == 0 && !r.opt.Force {
		return saved, fmt.Errorf("run directory %s holds a finished run: nothing to resume (nqsnn eval -t LIST %s re-simulates it; --resume with a larger -epochs trains on)",
			r.dir, filepath.Join(r.dir, CheckpointFile))
	}
	for _, a := range applied {
		fmt.Fprintf(r.log, "resume: applied %s\n", a)
	}
	if state == dirFinished && len(applied) > 0 {
		fmt.Fprintf(r.log, "resume: the finished results in %s are replaced when this run ends\n", r.dir)
	}
	return cfg, nil
}

func (r *runner) phase(title string, total int) Progress {
	if r.opt.Progress == nil {
		return nopProgress{}
	}
	return r.opt.Progress(title, total)
}

type nopProgress struct{}

func (nopProgress) Update(int, string) {}
func (nopProgress) Done()              {}

func (r *runner) stopped() bool {
	if r.opt.Stop == nil {
		return false
	}
	select {
	case <-r.opt.Stop:
		return true
	default:
		return false
	}
}

// trainAll runs (or resumes) every epoch and returns the best model's metadata.
func (r *runner) trainAll() (*Meta, error) {
	ctx := context.New()
	meta := &Meta{Config: r.cfg, Data: r.data.Info, Best: -1, Version: Version()}
	if r.resumeFrom != nil {
		meta = r.resumeMeta
		meta.Config = r.cfg // with the changes the resume applied
		if err := r.resumeFrom.Restore(ctx); err != nil {
			return nil, err
		}
		fmt.Fprintf(r.log, "resuming after epoch %d of %d\n", len(meta.Epochs), r.cfg.Epochs)
	}
	if len(meta.Epochs) == 0 {
		if err := ctx.SetRNGStateFromSeed(r.cfg.Seed); err != nil {
			return nil, err
		}
	}
	warm := len(meta.Epochs) == 0 && r.cfg.InitFrom != ""
	if warm {
		if err := warmStart(r.be, ctx, r.cfg, r.nw, r.data.Info, r.data.Val, r.log); err != nil {
			return nil, err
		}
	}
	if _, _, err := r.nw.Describe(r.be, ctx, r.data.Info.ExampleShape); err != nil {
		return nil, fmt.Errorf("checkpoint does not fit model %s: %w", r.cfg.Model, err)
	}
	tr, err := fit.New(r.be, ctx, r.nw, r.cfg.FitConfig())
	if err != nil {
		return nil, err
	}
	tr.Stop = r.stopped
	tr.Simulator().Stop = r.stopped // calibration and validation windows
	if warm {
		if err := calibrateBeforeTraining(tr, r.data, r.log); err != nil {
			if r.stopped() {
				return nil, ErrInterrupted
			}
			return nil, err
		}
	}
	if err := r.writeMetrics(meta.Epochs); err != nil {
		return nil, err
	}
	var recent []time.Duration // the last epochs' durations, for Options.Deadline
	for _, e := range meta.Epochs[max(0, len(meta.Epochs)-3):] {
		recent = append(recent, time.Duration(e.Seconds*float64(time.Second)))
	}
	for epoch := len(meta.Epochs); epoch < r.cfg.Epochs; epoch++ {
		if r.stopped() {
			return nil, ErrInterrupted
		}
		if !r.opt.Deadline.IsZero() {
			var estimate time.Duration
			if len(recent) > 0 {
				estimate = slices.Min(recent[max(0, len(recent)-3):])
			}
			if time.Now().Add(estimate).After(r.opt.Deadline) {
				return nil, fmt.Errorf("%w: the time budget leaves no room for epoch %d (one takes about %s)",
					ErrInterrupted, epoch+1, estimate.Round(100*time.Millisecond))
			}
		}
		epochStart := time.Now()
		r.data.SetEpoch(epoch)
		p := r.phase(fmt.Sprintf("epoch %d/%d", epoch+1, r.cfg.Epochs), r.data.Info.TrainExamples)
		tr.Stop = r.stopped
		tr.Simulator().Stop = r.stopped // calibration and validation windows
		if r.data.Calib != nil {
			tr.Calibration = r.data.Calib
		}
		rec, err := tr.RunEpoch(epoch, r.data.Train, r.data.Val, func(phase string, done int, status string) {
			if phase == "train" {
				p.Update(done, status)
			} else {
				p.Update(r.data.Info.TrainExamples, phase+" "+status)
			}
		})
		p.Done()
		if err == nil {
			err = checkEpoch(rec)
		}
		if err != nil {
			if isInterrupt(err) {
				return nil, ErrInterrupted
			}
			if errors.Is(err, fit.ErrNaN) || errors.Is(err, ErrDiverged) {
				return nil, r.diverged(err, len(meta.Epochs))
			}
			return nil, err
		}
		meta.Epochs = append(meta.Epochs, *rec)
		fmt.Fprintf(r.log, "epoch %d: loss %.4f train %.2f%% val ANN %.2f%% val SNN(T=%d) %.2f%% (%.0fs)\n", epoch+1, rec.Loss,
			100*rec.TrainAcc, 100*rec.ValANNAcc, rec.SelectT, 100*rec.ValSNNAcc, rec.Seconds)
		if meta.Best < 0 || rec.ValSNNAcc > meta.Epochs[meta.Best].ValSNNAcc {
			meta.Best = epoch
			if err := checkpoint.Save(filepath.Join(r.dir, CheckpointFile), ctx, meta); err != nil {
				return nil, err
			}
		}
		if err := checkpoint.Save(filepath.Join(r.dir, ResumeFile), ctx, meta); err != nil {
			return nil, err
		}
		if err := r.writeMetrics(meta.Epochs); err != nil {
			return nil, err
		}
		if r.opt.AfterEpoch != nil {
			r.opt.AfterEpoch(rec)
		}
		recent = append(recent, time.Since(epochStart))
		if r.opt.StopAfterEpoch > 0 && epoch+1 >= r.opt.StopAfterEpoch && epoch+1 < r.cfg.Epochs {
			return nil, ErrInterrupted
		}
	}
	return meta, nil
}

// ErrDiverged is returned (wrapped) when training stops giving usable
// numbers: a loss, accuracy, λ, μ or σ that is NaN or infinite, or a λ that
// is not positive. The run directory keeps the last good epoch.
var ErrDiverged = errors.New("training diverged")

// checkEpoch refuses an epoch whose numbers cannot be used: nothing of it
// must be saved (JSON cannot even encode NaN), and its state is garbage.
func checkEpoch(e *fit.Epoch) error {
	bad := func(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) }
	for _, m := range []struct {
		name string
		x    float64
	}{{"loss", e.Loss}, {"training accuracy", e.TrainAcc}, {"validation ANN accuracy", e.ValANNAcc}, {"validation SNN accuracy", e.ValSNNAcc}} {
		if bad(m.x) {
			return fmt.Errorf("%w: epoch %d: %s is %g", ErrDiverged, e.Epoch+1, m.name, m.x)
		}
	}
	for _, s := range []struct {
		name     string
		v        []float64
		positive bool
	}{{"λ", e.Lambda, true}, {"μ", e.Mu, false}, {"σ", e.Sigma, false}} {
		for i, x := range s.v {
			if bad(x) || (s.positive && x <= 0) {
				return fmt.Errorf("%w: epoch %d: %s of activation layer %d is %g; λ per layer: %v", ErrDiverged, e.Epoch+1, s.name, i, x, e.Lambda)
			}
		}
	}
	return nil
}

// diverged is the message of a run whose training diverged: what is kept
// and what to do.
func (r *runner) diverged(err error, good int) error {
	if !errors.Is(err, ErrDiverged) {
		err = fmt.Errorf("%w: %w", ErrDiverged, err)
	}
	if good == 0 {
		return fmt.Errorf("%w\nno epoch was complete, so no trained state is kept; start again with a lower -lr or check the data", err)
	}
	return fmt.Errorf("%w\nthe last good state is kept in %s (epoch %d; %s holds its history); start again with a lower -lr (--force replaces this run) or check the data",
		err, filepath.Join(r.dir, ResumeFile), good, MetricsFile)
}

// isInterrupt reports whether err is a stop asked for through Options.Stop,
// in whichever phase it struck.
func isInterrupt(err error) bool {
	return errors.Is(err, ErrInterrupted) || errors.Is(err, fit.ErrStopped) || errors.Is(err, snn.ErrStopped)
}

func (r *runner) writeMetrics(epochs []fit.Epoch) error {
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	for _, e := range epochs {
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		w.Write(b)
		w.WriteByte('\n')
	}
	w.Flush()
	return atomicfile.Write(filepath.Join(r.dir, MetricsFile), buf.Bytes(), 0o644)
}

// elapsed formats a duration for logs.
func elapsed(start time.Time) string { return time.Since(start).Round(time.Second).String() }
