package experiment

import (
	"fmt"
	"io"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"

	"github.com/nqsnn/nqsnn/snnlib/checkpoint"
	"github.com/nqsnn/nqsnn/snnlib/fit"
	"github.com/nqsnn/nqsnn/snnlib/snn"
	"github.com/nqsnn/nqsnn/snnlib/strategy"
)

// WarmStartPercentile is the activation percentile that sets λ when a
// warm start begins from a ReLU model, which has no learned clip.
const WarmStartPercentile = 99.9

// warmStart loads the model variables of the checkpoint at cfg.InitFrom into
// ctx (a fresh context of a run that has not trained yet): weights, batch
// norm and, from a QCFS or NQ model, the learned λ. From a ReLU model, λ of
// every site is the WarmStartPercentile-th percentile of its activations on
// ds. The optimizer state is not loaded: fine-tuning starts a fresh schedule.
func warmStart(be backends.Backend, ctx *context.Context, cfg Config, nw snn.Network, info DataInfo, ds train.Dataset, log io.Writer) error {
	c, err := checkpoint.Load(cfg.InitFrom)
	if err != nil {
		return fmt.Errorf("warm start: %w", err)
	}
	var src Meta
	if err := c.DecodeMeta(&src); err != nil {
		return fmt.Errorf("warm start from %s: %w", cfg.InitFrom, err)
	}
	switch {
	case src.Config.Model != cfg.Model:
		return fmt.Errorf("warm start from %s: it holds a %s model, this run trains %s", cfg.InitFrom, src.Config.Model, cfg.Model)
	case src.Data.NumClasses != info.NumClasses:
		return fmt.Errorf("warm start from %s: it classifies %d classes (%s), this run's data set has %d (%s)",
			cfg.InitFrom, src.Data.NumClasses, src.Config.Dataset, info.NumClasses, cfg.Dataset)
	}
	modelScope := "/" + snn.ModelScope
	if err := c.RestoreIf(ctx, func(v checkpoint.Variable) bool {
		return v.Scope == modelScope || strings.HasPrefix(v.Scope, modelScope+"/")
	}); err != nil {
		return fmt.Errorf("warm start: %w", err)
	}
	// Build the run's network once: it creates what the checkpoint lacks
	// (λ from a ReLU model, σ from a QCFS one) and checks every shape.
	if _, _, err := nw.Describe(be, ctx, info.ExampleShape); err != nil {
		return fmt.Errorf("warm start from %s does not fit model %s: %w", cfg.InitFrom, cfg.Model, err)
	}
	if err := ctx.InitializeVariables(be, nil); err != nil {
		return fmt.Errorf("warm start: %w", err)
	}
	fmt.Fprintf(log, "warm start from %s (%s %s, %d epochs)\n", cfg.InitFrom, src.Config.Model, src.Config.Strategy, len(src.Epochs))
	if src.Config.Dataset == cfg.Dataset && (src.Data.SplitSeed != info.SplitSeed || src.Data.ValFraction != info.ValFraction) {
		// Selection would then score images the base model trained on.
		fmt.Fprintf(log, "warm start: this run's validation split (seed %d, fraction %g) is not the base model's (seed %d, fraction %g): "+
			"some validation images were its training images; -split-seed %d -val-fraction %g keeps its split\n",
			info.SplitSeed, info.ValFraction, src.Data.SplitSeed, src.Data.ValFraction, src.Data.SplitSeed, src.Data.ValFraction)
	}
	if len(snn.SiteScalars(ctx, strategy.LambdaVar)) == 0 || hasLambda(c) {
		return nil // the run's strategy has no λ, or the checkpoint brought it
	}
	// A ReLU source: balance with its own activations, then start λ there.
	srcNet := nw
	if srcNet.Strategy, err = strategy.ByName("relu", strategy.DefaultConfig()); err != nil {
		return err
	}
	sim, err := snn.NewSimulator(be, ctx, srcNet)
	if err != nil {
		return err
	}
	lambda, err := snn.ActivationPercentiles(sim, ds, WarmStartPercentile, 0)
	if err != nil {
		return fmt.Errorf("warm start: setting λ from activations: %w", err)
	}
	for i := range lambda {
		if lambda[i] <= 0 {
			lambda[i] = 1 // a dead site: any positive λ gives the same silent layer
		}
	}
	fmt.Fprintf(log, "warm start: λ per layer from the %g-th activation percentile: %s\n", WarmStartPercentile, fmtFloats(lambda))
	return snn.SetSiteScalars(ctx, strategy.LambdaVar, lambda)
}

func hasLambda(c *checkpoint.Checkpoint) bool {
	for _, v := range c.Variables {
		if v.Name == strategy.LambdaVar {
			return true
		}
	}
	return false
}

// calibrateBeforeTraining runs the strategy's after-epoch calibration
// before the first epoch of a warm start: NQ then fine-tunes with the trained
// model's real gap from the start (a fresh model has none to measure and
// starts at σ = 0).
func calibrateBeforeTraining(tr *fit.Trainer, data *Data, log io.Writer) error {
	if data.Calib != nil {
		tr.Calibration = data.Calib
	}
	c, err := tr.Calibrate(data.Val)
	if err != nil {
		return fmt.Errorf("warm start: calibrating before the first epoch: %w", err)
	}
	if c.Sigma != nil {
		fmt.Fprintf(log, "warm start: σ per layer before the first epoch: %s\n", fmtFloats(c.Sigma))
	}
	return nil
}

func fmtFloats(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.3g", x)
	}
	return strings.Join(parts, " ")
}
