package nb

import (
	"fmt"

	"gonum.org/v1/plot"

	"github.com/nqsnn/nqsnn/kernelext"
	"github.com/nqsnn/nqsnn/snnlib/fit"
	"github.com/nqsnn/nqsnn/snnlib/plots"
	"github.com/nqsnn/nqsnn/snnlib/report"
)

// LiveTraining returns a hook for experiment.Options.AfterEpoch that redraws, in one place of
// the cell's output, the training loss, the accuracies (training, validation ANN, validation
// SNN) and, once NQ has calibrated it, σ per layer, after every epoch. A figure that fails to
// draw is reported as text; training goes on.
func LiveTraining() func(*fit.Epoch) {
	slot := kernelext.NewSlot()
	var epochs []fit.Epoch
	return func(e *fit.Epoch) {
		epochs = append(epochs, *e)
		b, err := liveFigure(epochs)
		if err == nil {
			err = slot.ShowPNG(b)
		}
		if err != nil {
			fmt.Printf("live training plot: %v\n", err)
		}
	}
}

// liveFigure draws the panels of LiveTraining as one PNG: report's training panels and, when
// σ was measured, σ per layer beside them.
func liveFigure(epochs []fit.Epoch) ([]byte, error) {
	h, sigma := report.EpochHistory(epochs, true)
	g, err := plots.TrainingPanels(h)
	if err != nil {
		return nil, err
	}
	panels := []*plot.Plot{g.Plots[0][0], g.Plots[0][1]}
	panels[1].Legend.Top = false // accuracies rise: the bottom right stays free
	if len(sigma) > 0 && len(sigma[0]) > 0 {
		sp, err := plots.SigmaOverEpochs(sigma, nil)
		if err != nil {
			return nil, err
		}
		sp.Legend.Top = false
		panels = append(panels, sp)
	}
	if g, err = plots.NewGrid(panels, len(panels)); err != nil {
		return nil, err
	}
	return plots.Render(g, plots.Size{Width: 300 * len(panels), Height: 260}, "png")
}
