package nb

import (
	"fmt"

	"gonum.org/v1/plot"

	"github.com/nqsnn/nqsnn/kernelext"
	"github.com/nqsnn/nqsnn/snnlib/fit"
	"github.com/nqsnn/nqsnn/snnlib/plots"
)

// LiveTraining returns a hook for experiment.Options.AfterEpoch that redraws, in one place of
// the cell's output, the training loss, the accuracies (training, validation ANN, validation
// SNN) and, once NQ has calibrated it, σ per layer, after every epoch. A figure that fails to
// draw is reported as text; training goes on.
func LiveTraining() func(*fit.Epoch) {
	slot := kernelext.NewSlot()
	var loss, train, valANN, valSNN []float64
	var sigma [][]float64
	return func(e *fit.Epoch) {
		loss, train = append(loss, e.Loss), append(train, e.TrainAcc)
		valANN, valSNN = append(valANN, 100*e.ValANNAcc), append(valSNN, 100*e.ValSNNAcc)
		if len(e.Sigma) > 0 {
			sigma = append(sigma, e.Sigma)
		}
		b, err := liveFigure(loss, percent(train), valANN, valSNN, sigma, e.SelectT)
		if err == nil {
			err = slot.ShowPNG(b)
		}
		if err != nil {
			fmt.Printf("live training plot: %v\n", err)
		}
	}
}

func percent(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = 100 * x
	}
	return out
}

// liveFigure draws the panels of LiveTraining as one PNG.
func liveFigure(loss, train, valANN, valSNN []float64, sigma [][]float64, selectT int) ([]byte, error) {
	lp, err := plots.TrainingCurves("training loss", "loss", plots.Curve{Name: "train", Values: loss})
	if err != nil {
		return nil, err
	}
	ap, err := plots.TrainingCurves("accuracy", "%", plots.Curve{Name: "train", Values: train},
		plots.Curve{Name: "val ANN", Values: valANN}, plots.Curve{Name: fmt.Sprintf("val SNN T=%d", selectT), Values: valSNN})
	if err != nil {
		return nil, err
	}
	ap.Legend.Top = false // accuracies rise: the bottom right stays free
	panels := []*plot.Plot{lp, ap}
	if len(sigma) > 0 && len(sigma[0]) > 0 {
		sp, err := plots.SigmaOverEpochs(sigma, nil)
		if err != nil {
			return nil, err
		}
		sp.Legend.Top = false
		panels = append(panels, sp)
	}
	g, err := plots.NewGrid(panels, len(panels))
	if err != nil {
		return nil, err
	}
	return plots.Render(g, plots.Size{Width: 300 * len(panels), Height: 260}, "png")
}
