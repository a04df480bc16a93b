// Package fit trains the source ANN of a conversion and does the per-epoch
// work around it: evaluation on the validation split, the NQ noise
// calibration (σ measured from the real ANN/SNN gap), and checkpoint
// selection by validation SNN accuracy. The test set is never used here.
package fit

import (
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/losses"
	"github.com/gomlx/gomlx/pkg/ml/train/metrics"

	"github.com/nqsnn/nqsnn/snnlib/snn"
	"github.com/nqsnn/nqsnn/snnlib/strategy"
)

// Config holds the training settings. Zero values are replaced by Defaults.
type Config struct {
	Epochs       int     // number of epochs
	LearningRate float64 // initial learning rate (cosine decay per epoch)
	Momentum     float64 // SGD momentum
	WeightDecay  float64 // L2 weight decay, on every trainable variable
	// SelectT is the SNN window at which validation accuracy selects the
	// checkpoint (default 4, the paper's noise-induction window).
	SelectT int
	// CalibrationBatches caps the validation batches used for calibration
	// and selection (0: all).
	CalibrationBatches int
	// Devices is the number of devices for data-parallel training: 0 or 1
	// trains on one device (the default); n > 1 splits each training batch
	// along the batch axis over devices 0..n-1 of the backend, with the
	// variables replicated on every device, using GoMLX's AutoSharding. The
	// batch size should be divisible by n: a batch that is not (such as the
	// last, partial one of an epoch) is trained on device 0 alone. It must not
	// exceed the backend's device count (backends.Backend.NumDevices).
	// Evaluation, calibration and the SNN simulation run on one device.
	Devices int
}

// Defaults are the reference settings: SGD momentum 0.9, lr 0.05 with cosine
// decay, weight decay 5e-4, checkpoints selected at T = 4.
func Defaults() Config {
	return Config{Epochs: 400, LearningRate: 0.05, Momentum: 0.9, WeightDecay: 5e-4, SelectT: 4}
}

func (c Config) withDefaults() Config {
	d := Defaults()
	if c.Epochs == 0 {
		c.Epochs = d.Epochs
	}
	if c.LearningRate == 0 {
		c.LearningRate = d.LearningRate
	}
	if c.SelectT == 0 {
		c.SelectT = d.SelectT
	}
	return c
}

// Validate reports an unusable setting.
func (c Config) Validate() error {
	switch {
	case c.Epochs < 1:
		return fmt.Errorf("fit: epochs must be >= 1, got %d", c.Epochs)
	case c.LearningRate <= 0 || math.IsNaN(c.LearningRate):
		return fmt.Errorf("fit: learning rate must be > 0, got %g", c.LearningRate)
	case c.Momentum < 0 || c.Momentum >= 1:
		return fmt.Errorf("fit: momentum must be in [0, 1), got %g", c.Momentum)
	case c.WeightDecay < 0:
		return fmt.Errorf("fit: weight decay must be >= 0, got %g", c.WeightDecay)
	case c.SelectT < 1:
		return fmt.Errorf("fit: selection T must be >= 1, got %d", c.SelectT)
	case c.Devices < 0:
		return fmt.Errorf("fit: devices must be >= 0, got %d", c.Devices)
	}
	return nil
}

// Epoch is what one epoch of training measured. Lambda, Mu and Sigma are per
// activation site; Sigma is the noise the next epoch trains with.
type Epoch struct {
	Epoch     int       `json:"epoch"`
	LR        float64   `json:"lr"`
	Loss      float64   `json:"loss"`
	TrainAcc  float64   `json:"train_acc"`
	ValANNAcc float64   `json:"val_ann_acc"`
	ValSNNAcc float64   `json:"val_snn_acc"` // at SelectT
	SelectT   int       `json:"select_t"`
	Lambda    []float64 `json:"lambda"`
	Mu        []float64 `json:"mu,omitempty"`
	Sigma     []float64 `json:"sigma,omitempty"`
	Seconds   float64   `json:"seconds"`
}

// Progress receives progress reports: phase ("train", "validate",
// "calibrate"), examples done in the phase, and a short status.
type Progress func(phase string, done int, status string)

// Trainer trains a network epoch by epoch.
type Trainer struct {
	backend backends.Backend
	ctx     *context.Context
	nw      snn.Network
	cfg     Config
	trainer *train.Trainer
	annEval *context.Exec
	sim     *snn.Simulator
	// parallel is set when training data-parallel on several devices.
	parallel *dataParallel
	// Stop, if set, is polled between training batches; when it returns true
	// RunEpoch abandons the epoch with ErrStopped.
	Stop func() bool
	// Calibration, if set, is the data the noise σ is measured on instead of
	// the validation data, e.g. validation images with the training
	// augmentation, as the reference code measures it.
	Calibration train.Dataset
}

// ErrStopped is returned when Trainer.Stop asked to stop mid-epoch.
var ErrStopped = errors.New("training stopped")

// ErrNaN is returned (wrapped) when the training loss stops being finite.
var ErrNaN = errors.New("training loss is not finite")

// New prepares training of nw with variables in ctx (scope snn.ModelScope).
func New(backend backends.Backend, ctx *context.Context, nw snn.Network, cfg Config) (*Trainer, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := nw.Validate(); err != nil {
		return nil, err
	}
	t := &Trainer{backend: backend, ctx: ctx, nw: nw, cfg: cfg}
	if cfg.Devices > 1 {
		var err error
		if t.parallel, err = newDataParallel(backend, cfg.Devices); err != nil {
			return nil, err
		}
	}
	modelFn := func(ctx *context.Context, _ any, inputs []*Node) []*Node {
		logits, _ := nw.ANN(ctx.In(snn.ModelScope), inputs[0])
		return []*Node{logits}
	}
	t.trainer = train.NewTrainer(backend, ctx.Checked(false), modelFn, losses.SparseCategoricalCrossEntropyLogits,
		SGD{Momentum: cfg.Momentum, WeightDecay: cfg.WeightDecay},
		[]metrics.Interface{metrics.NewSparseCategoricalAccuracy("accuracy", "acc")}, nil)
	var err error
	if t.annEval, err = snn.NewANNEval(backend, ctx, nw); err != nil {
		return nil, err
	}
	t.sim, err = snn.NewSimulator(backend, ctx, nw)
	return t, err
}

// Config returns the settings in use (defaults filled in).
func (t *Trainer) Config() Config { return t.cfg }

// Simulator returns the trainer's SNN simulator (shares the variables).
func (t *Trainer) Simulator() *snn.Simulator { return t.sim }

// RunEpoch trains epoch (0-based) on one pass of trainDS, then evaluates on
// valDS: ANN accuracy, noise calibration when the strategy calibrates (σ is
// set for the next epoch), and SNN accuracy at SelectT.
func (t *Trainer) RunEpoch(epoch int, trainDS, valDS train.Dataset, progress Progress) (*Epoch, error) {
	start := time.Now()
	rec := &Epoch{Epoch: epoch, SelectT: t.cfg.SelectT, LR: CosineLR(t.cfg.LearningRate, epoch, t.cfg.Epochs)}
	if err := SetLearningRate(t.ctx, rec.LR); err != nil {
		return nil, err
	}
	loss, acc, err := t.trainPass(epoch, trainDS, progress)
	if err != nil {
		return nil, err
	}
	rec.Loss, rec.TrainAcc = loss, acc
	if rec.ValANNAcc, err = t.EvalANN(valDS, progressPhase(progress, "validate")); err != nil {
		return nil, err
	}
	// The strategy's hooks: its own calibration after the epoch (NQ: σ for
	// the next epoch), then what conversion needs (ReLU: balanced thresholds).
	if progress != nil {
		progress("calibrate", 0, "")
	}
	c, err := t.nw.Strategy.AfterEpoch(t.calibrator(valDS))
	if err != nil {
		return nil, fmt.Errorf("calibrating %s after epoch %d: %w", t.nw.Strategy.Name(), epoch, err)
	}
	rec.Mu, rec.Sigma = c.Mu, c.Sigma
	if err := t.nw.Strategy.BeforeConversion(t.calibrator(valDS)); err != nil {
		return nil, fmt.Errorf("preparing the %s conversion: %w", t.nw.Strategy.Name(), err)
	}
	res, err := t.sim.Evaluate(valDS, t.cfg.SelectT, progressPhase(progress, "snn"))
	if err != nil {
		return nil, err
	}
	rec.ValSNNAcc = res.Accuracy[t.cfg.SelectT-1]
	rec.Lambda = snn.SiteScalars(t.ctx, strategy.LambdaVar)
	rec.Seconds = time.Since(start).Seconds()
	return rec, nil
}

// calibrator is what the strategy's hooks measure with: the gap on the
// calibration data (the validation data unless Calibration is set),
// activations on the validation data.
func (t *Trainer) calibrator(valDS train.Dataset) snn.Calibration {
	gaps := valDS
	if t.Calibration != nil {
		gaps = t.Calibration
	}
	return snn.Calibration{Sim: t.sim, Gaps: gaps, Activations: valDS, MaxBatches: t.cfg.CalibrationBatches}
}

// Calibrate runs the strategy's after-epoch calibration now, e.g. before
// the first epoch of a warm start, so that NQ fine-tuning trains with the
// trained model's real gap from its first step.
func (t *Trainer) Calibrate(valDS train.Dataset) (strategy.Calibration, error) {
	return t.nw.Strategy.AfterEpoch(t.calibrator(valDS))
}

func progressPhase(p Progress, phase string) func(int) {
	if p == nil {
		return nil
	}
	return func(done int) { p(phase, done, "") }
}

// EvalANN returns the noise-free ANN accuracy on one pass of ds.
func (t *Trainer) EvalANN(ds train.Dataset, progress func(int)) (float64, error) {
	return snn.EvalANN(t.annEval, ds, progress)
}

// TrainSteps runs one training pass over ds at the current learning rate,
// without evaluation (used by benchmarks).
func (t *Trainer) TrainSteps(ds train.Dataset) error {
	_, _, err := t.trainPass(-1, ds, nil)
	return err
}

// trainStep runs one training step, data-parallel when configured.
func (t *Trainer) trainStep(inputs, labels []*tensors.Tensor) ([]*tensors.Tensor, error) {
	if t.parallel != nil {
		return t.parallel.step(t.trainer, inputs, labels)
	}
	return t.trainer.TrainStep(nil, inputs, labels)
}

// trainPass trains on one pass of ds and returns the mean loss and the
// training accuracy.
func (t *Trainer) trainPass(epoch int, trainDS train.Dataset, progress Progress) (loss, acc float64, err error) {
	if err := t.trainer.ResetTrainMetrics(); err != nil {
		return 0, 0, err
	}
	var lossSum float64
	var batches, examples int
	trainDS.Reset()
	for {
		_, inputs, labels, err := trainDS.Yield()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, 0, fmt.Errorf("reading training data %q: %w", trainDS.Name(), err)
		}
		if t.Stop != nil && t.Stop() {
			return 0, 0, ErrStopped
		}
		var m []*tensors.Tensor
		if cerr := snn.TryCatchError(func() { m, err = t.trainStep(inputs, labels) }); cerr != nil {
			return 0, 0, cerr
		}
		if err != nil {
			return 0, 0, err
		}
		l := float64(tensors.ToScalar[float32](m[0]))
		if math.IsNaN(l) || math.IsInf(l, 0) {
			return 0, 0, fmt.Errorf("epoch %d, batch %d: %w (loss=%g); λ per layer: %v", epoch, batches, ErrNaN, l,
				snn.SiteScalars(t.ctx, strategy.LambdaVar))
		}
		acc = float64(tensors.ToScalar[float32](m[len(m)-1]))
		lossSum += l
		batches++
		examples += inputs[0].Shape().Dimensions[0]
		if progress != nil {
			progress("train", examples, fmt.Sprintf("loss %.4f acc %.2f%%", lossSum/float64(batches), 100*acc))
		}
	}
	if batches == 0 {
		return 0, 0, fmt.Errorf("training data %q yielded no batches", trainDS.Name())
	}
	return lossSum / float64(batches), acc, nil
}
