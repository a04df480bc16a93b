// Package record holds the records of a run: its settings (Config), the data
// it used (DataInfo), the checkpoint metadata (Meta), its test results and
// diagnostics, and the files they are saved in. Training writes them
// (package experiment), reports read them (package report).
package record

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/nqsnn/nqsnn/datasets"
	"github.com/nqsnn/nqsnn/snnlib/fit"
	"github.com/nqsnn/nqsnn/snnlib/model"
	"github.com/nqsnn/nqsnn/snnlib/neuron"
	"github.com/nqsnn/nqsnn/snnlib/nq"
	"github.com/nqsnn/nqsnn/snnlib/snn"
	"github.com/nqsnn/nqsnn/snnlib/strategy"
)

// Config is every setting of a run. It is saved as config.json and inside
// every checkpoint, so a run can be re-created and resumed exactly.
type Config struct {
	Dataset  string `json:"dataset"`            // mnist, fashion-mnist, cifar10, cifar100, tiny-imagenet, synthetic
	DataDir  string `json:"data_dir,omitempty"` // where the data set lies ("" = default location)
	Model    string `json:"model"`              // cnn, vgg16, resnet18, resnet20, resnet34
	Strategy string `json:"strategy"`           // nq, qcfs, relu, srp, cos (strategy.Names)
	// StrategyParams are the strategy's own settings (SRP's tau, COS's rho,
	// ReLU's percentile; see strategy.Spec.Params); missing ones take their
	// defaults.
	StrategyParams map[string]float64 `json:"strategy_params,omitempty"`
	Neuron         string             `json:"neuron"` // if, if-reset-zero

	Levels int     `json:"levels"` // quantisation levels L
	Lambda float64 `json:"lambda"` // initial clip λ
	NoiseT int     `json:"noise_t"`
	// Noise is the sampler of the NQ noise ε: fast (hash + Irwin–Hall, the
	// default) or gaussian (exact Box–Muller); see nq.Sampler.
	Noise string `json:"noise,omitempty"`
	// SelectT is the T at which validation SNN accuracy picks the checkpoint.
	SelectT int   `json:"select_t"`
	EvalT   []int `json:"eval_t"` // T values reported on the test set

	Preset       string  `json:"preset"` // quick or paper (fills zero fields)
	Epochs       int     `json:"epochs"`
	BatchSize    int     `json:"batch_size"`
	LearningRate float64 `json:"learning_rate"`
	Momentum     float64 `json:"momentum"`
	WeightDecay  float64 `json:"weight_decay"`
	Dropout      float64 `json:"dropout"`
	// WeightInit is the weight initialisation of a fresh model: reference
	// (PyTorch's defaults, as the reference code; the default) or he; see
	// model.Init.
	WeightInit string `json:"weight_init,omitempty"`
	Augment    string `json:"augment"` // paper, basic, none
	Seed       int64  `json:"seed"`
	// SplitSeed, when set, draws the validation split instead of Seed: a warm
	// start keeps its base model's split this way, so checkpoint selection
	// never scores an image the base trained on (0: Seed).
	SplitSeed   int64   `json:"split_seed,omitempty"`
	ValFraction float64 `json:"val_fraction"`
	// TrainLimit caps the training examples (0: all), for quick experiments.
	TrainLimit int `json:"train_limit,omitempty"`
	// TestLimit evaluates on the first TestLimit test images only (0: all),
	// for quick looks at slow simulations; results say how many were used.
	TestLimit int `json:"test_limit,omitempty"`
	// InitFrom is a checkpoint (of this project, same model and number of
	// classes) whose weights the run starts from instead of a fresh
	// initialisation: a warm start, e.g. NQ fine-tuning of a trained QCFS or
	// ReLU model (see warmStart).
	InitFrom string `json:"init_from,omitempty"`
	// CalibAugment measures σ on validation images with the training
	// augmentation, as the reference code does (default: clean images).
	CalibAugment bool `json:"calib_augment,omitempty"`
	// CalibrationBatches caps the validation batches of calibration and
	// selection (0: all).
	CalibrationBatches int    `json:"calibration_batches,omitempty"`
	Backend            string `json:"backend,omitempty"`
	// Devices is the number of devices for data-parallel training (0 or 1:
	// one device); see fit.Config.Devices.
	Devices int `json:"devices,omitempty"`
	// NoisyANN also reports the ANN's test accuracy with the NQ noise on, as
	// the reference code's "ANN accuracy" does (nq only; off by default).
	NoisyANN bool `json:"noisy_ann,omitempty"`

	// Given names the settings set on purpose, by their `nqsnn run` flag
	// names (see Settings): WithPreset leaves them as they are even when
	// zero, so that "-epochs 0" is an error rather than the preset's value
	// and "-momentum 0" means no momentum; on resume they are the settings
	// asked to change. Not saved.
	Given []string `json:"-"`
}

// IsGiven reports whether the setting with flag name flag was set on purpose.
func (c Config) IsGiven(flag string) bool { return slices.Contains(c.Given, flag) }

// DefaultConfig is the embedded default job: MNIST, small CNN, nq, quick preset.
func DefaultConfig() Config {
	return Config{Dataset: "mnist", Model: "cnn", Strategy: "nq", Neuron: "if", Preset: "quick"}
}

// Presets lists the known presets.
var Presets = []string{"quick", "paper"}

// WithPreset returns c with zero fields filled from its preset: "paper" is the
// reference code's CIFAR schedule (400 epochs, lr 0.05, batch 128, paper
// augmentation); "quick" fits in minutes on a laptop CPU. Fields named in
// c.Given keep their value, zero included.
func (c Config) WithPreset() Config {
	set := func(flag string, p *int, v int) {
		if *p == 0 && !c.IsGiven(flag) {
			*p = v
		}
	}
	setF := func(flag string, p *float64, v float64) {
		if *p == 0 && !c.IsGiven(flag) {
			*p = v
		}
	}
	setS := func(flag string, p *string, v string) {
		if *p == "" && !c.IsGiven(flag) {
			*p = v
		}
	}
	setS("preset", &c.Preset, "quick")
	setS("neuron", &c.Neuron, "if")
	set("L", &c.Levels, 4)
	setF("lambda", &c.Lambda, 8)
	set("noise-t", &c.NoiseT, 4)
	setS("noise", &c.Noise, string(nq.DefaultSampler))
	setS("weight-init", &c.WeightInit, string(model.DefaultInit))
	set("select-t", &c.SelectT, c.NoiseT)
	set("batch-size", &c.BatchSize, 128)
	setF("lr", &c.LearningRate, 0.05)
	setF("momentum", &c.Momentum, 0.9)
	setF("wd", &c.WeightDecay, 5e-4)
	setF("val-fraction", &c.ValFraction, 0.1)
	if c.Seed == 0 && !c.IsGiven("seed") {
		c.Seed = 2024
	}
	if len(c.EvalT) == 0 && !c.IsGiven("t") {
		c.EvalT = []int{1, 2, 4, 8, 16, 32, 64}
	}
	// Dropout is never filled in: zero is a setting, and the reference code
	// builds every model, VGG-16 included, with dropout 0.
	switch c.Preset {
	case "paper":
		set("epochs", &c.Epochs, 400)
		if strings.HasPrefix(c.Dataset, "cifar") {
			setS("augment", &c.Augment, "paper")
		}
		setS("augment", &c.Augment, "basic")
	default:
		if c.Dataset == "mnist" || c.Dataset == "fashion-mnist" || c.Dataset == "synthetic" {
			set("epochs", &c.Epochs, 5)
			setS("augment", &c.Augment, "none")
		} else {
			set("epochs", &c.Epochs, 10)
			setS("augment", &c.Augment, "basic")
		}
	}
	return c
}

// Validate checks every field and names the first bad one.
func (c Config) Validate() error {
	bad := func(field string, format string, args ...any) error {
		return fmt.Errorf("invalid %s: %s", field, fmt.Sprintf(format, args...))
	}
	if !slices.Contains(DatasetNames, c.Dataset) {
		return bad("dataset", "%q (known: %s)", c.Dataset, strings.Join(DatasetNames, ", "))
	}
	if _, err := model.ByName(c.Model); err != nil {
		return err
	}
	sc := strategy.DefaultConfig()
	sc.Params = c.StrategyParams
	if _, err := strategy.ByName(c.Strategy, sc); err != nil {
		if len(c.StrategyParams) > 0 && slices.Contains(strategy.Names(), c.Strategy) {
			return bad("strategy-param", "%v", err)
		}
		return err
	}
	if _, err := neuron.ByName(c.Neuron); err != nil {
		return err
	}
	if _, err := nq.ParseSampler(c.Noise); err != nil {
		return bad("noise", "%v", err)
	}
	if _, err := model.ParseInit(c.WeightInit); err != nil {
		return bad("weight-init", "%v", err)
	}
	if !slices.Contains(Presets, c.Preset) {
		return bad("preset", "%q (known: %s)", c.Preset, strings.Join(Presets, ", "))
	}
	if !slices.Contains([]string{"paper", "basic", "none"}, c.Augment) {
		return bad("augment", "%q (known: paper, basic, none)", c.Augment)
	}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch {
	case c.Levels < 1:
		return bad("L (quantisation levels)", "must be >= 1, got %d", c.Levels)
	case !(c.Lambda > 0) || !finite(c.Lambda):
		return bad("lambda", "must be a finite number > 0, got %g", c.Lambda)
	case c.Epochs < 1:
		return bad("epochs", "must be >= 1, got %d", c.Epochs)
	case !(c.LearningRate > 0) || !finite(c.LearningRate):
		return bad("lr", "must be a finite number > 0, got %g", c.LearningRate)
	case !(c.Momentum >= 0 && c.Momentum < 1):
		return bad("momentum", "must be in [0, 1), got %g", c.Momentum)
	case !(c.WeightDecay >= 0) || !finite(c.WeightDecay):
		return bad("wd", "must be a finite number >= 0, got %g", c.WeightDecay)
	case c.NoiseT < 1:
		return bad("noise-t", "must be >= 1, got %d", c.NoiseT)
	case c.TestLimit < 0:
		return bad("test-limit", "must be >= 0, got %d", c.TestLimit)
	case c.SelectT < 1:
		return bad("select-t", "must be >= 1, got %d", c.SelectT)
	case c.BatchSize < 1:
		return bad("batch-size", "must be >= 1, got %d", c.BatchSize)
	case !(c.ValFraction > 0 && c.ValFraction < 1):
		return bad("val-fraction", "must be in (0, 1), got %g", c.ValFraction)
	case !(c.Dropout >= 0 && c.Dropout < 1):
		return bad("dropout", "must be in [0, 1), got %g", c.Dropout)
	case c.TrainLimit < 0:
		return bad("train-limit", "must be >= 0, got %d", c.TrainLimit)
	case c.CalibrationBatches < 0:
		return bad("calib-batches", "must be >= 0, got %d", c.CalibrationBatches)
	case c.Devices < 0:
		return bad("devices", "must be >= 0, got %d", c.Devices)
	case c.Devices > 1 && c.BatchSize%c.Devices != 0:
		return bad("devices", "batch size %d does not split over %d devices", c.BatchSize, c.Devices)
	}
	if len(c.EvalT) == 0 {
		return bad("t", "the list of T values is empty")
	}
	for _, t := range c.EvalT {
		if t < 1 {
			return bad("t", "time steps must be >= 1, got %d in %v", t, c.EvalT)
		}
		if t > MaxEvalT {
			return bad("t", "time steps must be <= %d, got %d (the simulation keeps per-step counts)", MaxEvalT, t)
		}
	}
	return c.FitConfig().Validate()
}

// FitConfig is the training part of the config.
func (c Config) FitConfig() fit.Config {
	return fit.Config{Epochs: c.Epochs, LearningRate: c.LearningRate, Momentum: c.Momentum, WeightDecay: c.WeightDecay,
		SelectT: c.SelectT, CalibrationBatches: c.CalibrationBatches, Devices: c.Devices}
}

// StrategyConfig is the strategy part of the config.
func (c Config) StrategyConfig() strategy.Config {
	s := strategy.DefaultConfig()
	s.Levels, s.Lambda, s.NoiseT, s.Params = c.Levels, c.Lambda, c.NoiseT, c.StrategyParams
	s.Noise, _ = nq.ParseSampler(c.Noise) // checked by Validate
	return s
}

// MaxEvalT bounds the evaluation T: the simulation keeps accuracy and spike
// counts for every step, so an absurd T would exhaust memory.
const MaxEvalT = 1 << 20

// MaxT is the largest evaluation T.
func (c Config) MaxT() int { return slices.Max(c.EvalT) }

// ParseTList parses "1,2,4,8" into a sorted list of distinct positive ints.
func ParseTList(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		v, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("invalid T list %q: %q is not an integer", s, f)
		}
		if v < 1 {
			return nil, fmt.Errorf("invalid T list %q: time steps must be >= 1, got %d", s, v)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("invalid T list %q: no values", s)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// LoadConfig reads a config.json.
func LoadConfig(path string) (Config, error) {
	var c Config
	b, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Network builds the snn.Network a config describes.
func (c Config) Network(numClasses int) (snn.Network, error) {
	m, err := model.ByName(c.Model)
	if err != nil {
		return snn.Network{}, err
	}
	st, err := strategy.ByName(c.Strategy, c.StrategyConfig())
	if err != nil {
		return snn.Network{}, err
	}
	ne, err := neuron.ByName(c.Neuron)
	if err != nil {
		return snn.Network{}, err
	}
	init, err := model.ParseInit(c.WeightInit)
	if err != nil {
		return snn.Network{}, err
	}
	return snn.Network{Model: m, NumClasses: numClasses, Strategy: st, Neuron: ne, Dropout: c.Dropout, Init: init}, nil
}

// Meta is the metadata stored in every checkpoint of a run.
type Meta struct {
	Config  Config      `json:"config"`
	Data    DataInfo    `json:"data"`
	Epochs  []fit.Epoch `json:"epochs"` // history up to this checkpoint
	Best    int         `json:"best_epoch"`
	Version string      `json:"version"`
}

// File names inside a run directory.
const (
	ConfigFile     = "config.json"
	CheckpointFile = "checkpoint"  // the selected (best validation SNN accuracy) model
	ResumeFile     = "resume.ckpt" // the state after the last complete epoch
	MetricsFile    = "metrics.jsonl"
	ResultsFile    = "results.json"
	ReportFile     = "report.md"
)

// DatasetNames are the data sets a run can use.
var DatasetNames = datasets.Names()

// DataInfo records what data a run used, for its outputs.
type DataInfo struct {
	Name          string    `json:"name"`
	Source        string    `json:"source"`
	NumClasses    int       `json:"num_classes"`
	ClassNames    []string  `json:"class_names"`
	ExampleShape  []int     `json:"example_shape"` // H, W, C
	TrainExamples int       `json:"train_examples"`
	ValExamples   int       `json:"val_examples"`
	TestExamples  int       `json:"test_examples"`
	Mean          []float32 `json:"mean"`
	Std           []float32 `json:"std"`
	NormSource    string    `json:"norm_source"`
	Augment       string    `json:"augment"`
	// The validation split: seed, fraction, whether stratified per class,
	// and the SHA-256 of its sorted index list (so two runs can be checked
	// to have held out the same images).
	SplitSeed      uint64  `json:"split_seed"`
	ValFraction    float64 `json:"val_fraction"`
	Stratified     bool    `json:"stratified"`
	ValIndicesHash string  `json:"val_indices_sha256"`
	TrainLimit     int     `json:"train_limit,omitempty"`
	// EvalBatch is the batch size of validation, calibration and test
	// (the training batch size, at most MaxEvalBatch).
	EvalBatch int `json:"eval_batch,omitempty"`
}

// MaxEvalBatch bounds the batches of validation, calibration and test, whose
// memory grows with the batch (the SNN holds a membrane per neuron of every
// example), so that a huge training batch cannot exhaust memory there. At or
// below it the training batch size is used, so numbers do not change.
const MaxEvalBatch = 512

// EvalBatchSize is the batch size evaluation uses for a run with cfg.
func EvalBatchSize(cfg Config) int { return min(cfg.BatchSize, MaxEvalBatch) }
