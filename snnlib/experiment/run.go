package experiment

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/nqsnn/nqsnn/snnlib/atomicfile"
	"github.com/nqsnn/nqsnn/snnlib/checkpoint"
	"github.com/nqsnn/nqsnn/snnlib/fit"
	"github.com/nqsnn/nqsnn/snnlib/model"
	"github.com/nqsnn/nqsnn/snnlib/neuron"
	"github.com/nqsnn/nqsnn/snnlib/nq"
	"github.com/nqsnn/nqsnn/snnlib/snn"
	"github.com/nqsnn/nqsnn/snnlib/strategy"
)

// File names inside a run directory.
const (
	ConfigFile     = "config.json"
	CheckpointFile = "checkpoint"  // the selected (best validation SNN accuracy) model
	ResumeFile     = "resume.ckpt" // the state after the last complete epoch
	MetricsFile    = "metrics.jsonl"
	ResultsFile    = "results.json"
	ReportFile     = "report.md"
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
	Resume   bool                                   // continue the run in the directory
	Force    bool                                   // overwrite a finished run
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

// Meta is the metadata stored in every checkpoint of a run.
type Meta struct {
	Config  Config      `json:"config"`
	Data    DataInfo    `json:"data"`
	Epochs  []fit.Epoch `json:"epochs"` // history up to this checkpoint
	Best    int         `json:"best_epoch"`
	Version string      `json:"version"`
}

// Network builds the snn.Network a config describes.
func (c Config) Network(numClasses int) (snn.Network, error) {
	m, err := model.ByName(c.Model)
	if err != nil {
		return snn.Network{}, err
	}
	st, err := strategy.ByName(c.Strategy, c.strategyConfig())
	if err != nil {
		return snn.Network{}, err
	}
	ne, err := neuron.ByName(c.Neuron)
	if err != nil {
		return snn.Network{}, err
	}
	return snn.Network{Model: m, NumClasses: numClasses, Strategy: st, Neuron: ne, Dropout: c.Dropout}, nil
}

// Version is the code version recorded in run outputs.
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, modified := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if rev != "" {
			if modified {
				// Built from a tree with uncommitted changes: the revision alone
				// would claim code the binary does not hold.
				return rev + "-dirty"
			}
			return rev
		}
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
	}
	// Built without VCS stamping (-buildvcs=false, as GOFLAGS sets on some
	// machines): the best remaining clue is the checkout the program runs in,
	// labelled as such, because a binary built earlier may hold other code.
	if out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		rev := strings.TrimSpace(string(out))
		if dirty, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(dirty) > 0 {
			rev += "-dirty"
		}
		return rev + " (unstamped build; checkout at run time)"
	}
	return "devel"
}

type runner struct {
	cfg  Config
	dir  string
	opt  Options
	log  io.Writer
	data *Data
	be   backends.Backend
	nw   snn.Network
}

// Run trains, calibrates, converts and evaluates as cfg says and writes the
// run directory dir. See the package documentation for its contents.
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
}

func (r *runner) prepare(cfg Config) error {
	if _, err := os.Stat(filepath.Join(r.dir, ResultsFile)); err == nil && !r.opt.Force && !r.opt.Resume {
		return fmt.Errorf("run directory %s already holds a finished run; use --force to overwrite it", r.dir)
	}
	if r.opt.Resume {
		saved, err := LoadConfig(filepath.Join(r.dir, ConfigFile))
		if err != nil {
			return fmt.Errorf("cannot resume %s: %w", r.dir, err)
		}
		cfg = saved
		if cfg.Noise == "" {
			// Saved before the noise sampler was a setting: such runs drew
			// exact Gaussian noise, and a resumed run must go on doing so.
			cfg.Noise = string(nq.Gaussian)
		}
	} else {
		cfg = cfg.WithPreset()
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	r.cfg = cfg
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return err
	}
	if !r.opt.Resume {
		// A fresh run: clear outputs of an earlier one (only with --force, checked above).
		for _, f := range []string{ResultsFile, MetricsFile, ResumeFile, CheckpointFile, ReportFile} {
			_ = os.Remove(filepath.Join(r.dir, f))
		}
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(r.dir, ConfigFile), append(b, '\n'), 0o644); err != nil {
		return err
	}
	r.be = r.opt.Backend
	if r.be == nil {
		var desc string
		r.be, desc, err = NewBackend(cfg.Backend)
		if err != nil {
			return err
		}
		fmt.Fprintln(r.log, "backend:", desc)
	}
	if cfg.Devices > 1 {
		fmt.Fprintf(r.log, "training data-parallel over %d of the backend's %d devices\n", cfg.Devices, r.be.NumDevices())
	}
	r.data, err = LoadData(cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(r.log, "data: %s — %d train, %d validation, %d test examples, %d classes\n", r.data.Info.Name,
		r.data.Info.TrainExamples, r.data.Info.ValExamples, r.data.Info.TestExamples, r.data.Info.NumClasses)
	r.nw, err = cfg.Network(r.data.Info.NumClasses)
	return err
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
	if r.opt.Resume {
		c, err := checkpoint.Load(filepath.Join(r.dir, ResumeFile))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		if err == nil {
			if err := c.DecodeMeta(meta); err != nil {
				return nil, err
			}
			if err := c.Restore(ctx); err != nil {
				return nil, err
			}
			fmt.Fprintf(r.log, "resuming after epoch %d of %d\n", len(meta.Epochs), r.cfg.Epochs)
		}
	}
	if len(meta.Epochs) == 0 {
		if err := ctx.SetRNGStateFromSeed(r.cfg.Seed); err != nil {
			return nil, err
		}
	}
	if _, _, err := r.nw.Describe(r.be, ctx, r.data.Info.ExampleShape); err != nil {
		return nil, fmt.Errorf("checkpoint does not fit model %s: %w", r.cfg.Model, err)
	}
	tr, err := fit.New(r.be, ctx, r.nw, r.cfg.fitConfig())
	if err != nil {
		return nil, err
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
		rec, err := tr.RunEpoch(epoch, r.data.Train, r.data.Val, func(phase string, done int, status string) {
			if phase == "train" {
				p.Update(done, status)
			} else {
				p.Update(r.data.Info.TrainExamples, phase+" "+status)
			}
		})
		p.Done()
		if err != nil {
			if errors.Is(err, fit.ErrStopped) {
				return nil, ErrInterrupted
			}
			if errors.Is(err, fit.ErrNaN) {
				return nil, fmt.Errorf("%w\nthe last good state is kept in %s (epoch %d); lower --lr or check the data",
					err, filepath.Join(r.dir, ResumeFile), len(meta.Epochs))
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
