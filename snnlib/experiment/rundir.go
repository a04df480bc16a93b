package experiment

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/nqsnn/nqsnn/snnlib/fit"
)

// dirState is what a directory holds before a run writes it.
type dirState int

const (
	dirEmpty       dirState = iota // absent, empty, or a run that never completed an epoch
	dirForeign                     // files that are not an nqsnn run
	dirInterrupted                 // a run with trained state but no final results
	dirFinished                    // a run with its results and report
)

// outputs are the files a run writes, removed when a run starts over.
var outputs = []string{ResultsFile, MetricsFile, ResumeFile, CheckpointFile, ReportFile, DiagnosticsFile}

// inspectDir classifies dir. For a run directory, epochs is the number of
// complete epochs its metrics record; for a foreign one, names lists some of
// its files.
func inspectDir(dir string) (state dirState, epochs int, names []string, err error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return dirEmpty, 0, nil, nil
	}
	if err != nil {
		return 0, 0, nil, err
	}
	for _, e := range entries {
		if e.Name() != LockFile {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return dirEmpty, 0, nil, nil
	}
	if c, err := LoadConfig(filepath.Join(dir, ConfigFile)); err != nil || c.Dataset == "" {
		return dirForeign, 0, names, nil
	}
	if m, err := os.ReadFile(filepath.Join(dir, MetricsFile)); err == nil {
		epochs = bytes.Count(m, []byte("\n"))
	}
	has := func(f string) bool { return isFile(filepath.Join(dir, f)) }
	switch {
	case has(ResultsFile) && has(ReportFile):
		return dirFinished, epochs, nil, nil
	case epochs > 0 || has(ResumeFile) || has(CheckpointFile) || has(ResultsFile):
		return dirInterrupted, epochs, nil, nil
	}
	return dirEmpty, 0, nil, nil
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// checkDir refuses to start a run in dir when that would lose something: a
// folder of other files, an interrupted run (without Resume or Force), a
// finished run (without Force). Resume needs a run to resume.
func checkDir(dir string, state dirState, epochs int, names []string, opt Options) error {
	switch {
	case state == dirForeign && opt.Resume:
		return fmt.Errorf("cannot resume %s: it is not an nqsnn run directory (no valid %s)", dir, ConfigFile)
	case state == dirForeign && !opt.Force:
		if len(names) > 4 {
			names = append(names[:4:4], "…")
		}
		return fmt.Errorf("%s already holds files that are not an nqsnn run (%s); choose a new or empty folder with -out (--force writes into it, replacing files of the same names)",
			dir, strings.Join(names, ", "))
	case state == dirInterrupted && !opt.Resume && !opt.Force:
		return fmt.Errorf("run directory %s holds an interrupted run (%d epoch(s) complete); continue it with: nqsnn run --resume %s (or start over with --force, which deletes it)",
			dir, epochs, dir)
	case state == dirFinished && !opt.Resume && !opt.Force:
		return fmt.Errorf("run directory %s already holds a finished run; use --force to overwrite it", dir)
	case state == dirEmpty && opt.Resume && !isFile(filepath.Join(dir, ConfigFile)):
		return fmt.Errorf("cannot resume %s: no run there (no %s)", dir, ConfigFile)
	}
	return nil
}

// setting is one setting of Config, named by its `nqsnn run` flag.
type setting struct {
	flag string
	// resumable settings may differ when a run is resumed: they change how
	// the rest of it runs or what its final evaluation reports, not the state
	// it has trained so far.
	resumable bool
	field     string // Config field
}

var settings = []setting{
	{"dataset", false, "Dataset"}, {"data-dir", true, "DataDir"}, {"model", false, "Model"},
	{"strategy", false, "Strategy"}, {"strategy-param", false, "StrategyParams"}, {"neuron", false, "Neuron"}, {"L", false, "Levels"},
	{"lambda", false, "Lambda"}, {"noise-t", false, "NoiseT"}, {"noise", false, "Noise"},
	{"select-t", false, "SelectT"}, {"t", true, "EvalT"}, {"preset", false, "Preset"},
	{"epochs", true, "Epochs"}, {"batch-size", false, "BatchSize"}, {"lr", false, "LearningRate"},
	{"momentum", false, "Momentum"}, {"wd", false, "WeightDecay"}, {"dropout", false, "Dropout"},
	{"augment", false, "Augment"}, {"seed", false, "Seed"}, {"split-seed", false, "SplitSeed"}, {"val-fraction", false, "ValFraction"},
	{"train-limit", false, "TrainLimit"}, {"test-limit", true, "TestLimit"}, {"calib-batches", false, "CalibrationBatches"},
	{"noisy-ann", true, "NoisyANN"}, {"devices", true, "Devices"}, {"backend", true, "Backend"},
	{"weight-init", false, "WeightInit"}, {"init", false, "InitFrom"}, {"calib-augment", false, "CalibAugment"},
}

// Settings lists the flag names of every setting of Config, as Config.Given
// names them.
func Settings() []string {
	out := make([]string, len(settings))
	for i, s := range settings {
		out[i] = s.flag
	}
	return out
}

// ResumableSettings lists the settings a resumed run may change (the others
// are fixed by the state trained so far).
func ResumableSettings() []string {
	var out []string
	for _, s := range settings {
		if s.resumable {
			out = append(out, s.flag)
		}
	}
	return out
}

func (s setting) value(c *Config) reflect.Value {
	return reflect.ValueOf(c).Elem().FieldByName(s.field)
}

// formatValue prints a setting's value as its flag takes it.
func formatValue(v reflect.Value) string {
	if ts, ok := v.Interface().([]int); ok {
		return strings.Trim(strings.ReplaceAll(fmt.Sprint(ts), " ", ","), "[]")
	}
	if m, ok := v.Interface().(map[string]float64); ok {
		return FormatParams(m)
	}
	if s, ok := v.Interface().(string); ok && s == "" {
		return `""`
	}
	return fmt.Sprint(v.Interface())
}

// resumeWith returns the saved config of a run to resume with the settings
// req.Given asks to change: resumable ones are applied (and described), an
// attempt to change any other is an error naming them all. done is the
// number of epochs already complete.
func resumeWith(saved, req Config, done int) (Config, []string, error) {
	merged := saved
	var applied, refused []string
	for _, s := range settings {
		if !req.IsGiven(s.flag) {
			continue
		}
		old, now := s.value(&saved), s.value(&req)
		if reflect.DeepEqual(old.Interface(), now.Interface()) || (old.Kind() == reflect.Map && old.Len() == 0 && now.Len() == 0) {
			continue
		}
		if !s.resumable {
			refused = append(refused, fmt.Sprintf("-%s %s (the run has %s)", s.flag, formatValue(now), formatValue(old)))
			continue
		}
		s.value(&merged).Set(now)
		var note string
		switch s.flag {
		case "epochs":
			if req.Epochs < max(done, 1) {
				return saved, nil, fmt.Errorf("invalid epochs: -epochs %d, but the run has already completed %d epoch(s)", req.Epochs, done)
			}
			note = epochsNote(saved, req.Epochs, done)
		case "t":
			note = "the final test evaluation reports these T"
		case "test-limit":
			note = "the final test evaluation uses that many test images"
		case "noisy-ann":
			note = "the final test evaluation follows it"
		case "devices", "backend", "data-dir":
			note = "how the rest of the run is computed"
		}
		applied = append(applied, fmt.Sprintf("-%s %s (was %s): %s", s.flag, formatValue(now), formatValue(old), note))
	}
	if len(refused) > 0 {
		return saved, nil, fmt.Errorf("cannot change with --resume: %s; these are fixed by the state the run has trained (start a new run with -out to change them); a resume may change only %s",
			strings.Join(refused, ", "), "-"+strings.Join(ResumableSettings(), ", -"))
	}
	merged.Given = nil
	return merged, applied, nil
}

// epochsNote says what a new epoch count changes: the cosine learning rate
// is a function of the epoch and the total, so the epochs still to train
// follow the new length.
func epochsNote(saved Config, epochs, done int) string {
	if done == 0 {
		return "no epoch was complete, so the run equals one started with this -epochs"
	}
	now := fit.CosineLR(saved.LearningRate, done, epochs)
	if done < saved.Epochs {
		was := fit.CosineLR(saved.LearningRate, done, saved.Epochs)
		return fmt.Sprintf("the cosine learning rate of epochs %d..%d follows the new length (epoch %d trains at lr %.4g instead of %.4g), so the run equals neither an uninterrupted %d- nor %d-epoch run",
			done+1, epochs, done+1, now, was, saved.Epochs, epochs)
	}
	return fmt.Sprintf("training goes on past the old end: epochs %d..%d follow a cosine schedule over %d epochs (epoch %d at lr %.4g), so the run does not equal an uninterrupted %d-epoch run",
		done+1, epochs, epochs, done+1, now, epochs)
}
