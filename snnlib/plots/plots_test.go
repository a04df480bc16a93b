package plots

import (
	"bytes"
	"encoding/xml"
	"image"
	_ "image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/nqsnn/nqsnn/snnlib/analysis"
)

// layers simulates two IF layers on Gaussian currents for the fixtures.
func layers(t *testing.T, steps int) []analysis.LayerData {
	rng := rand.New(rand.NewPCG(7, uint64(steps)))
	var out []analysis.LayerData
	for l, theta := range []float64{1, 2.5} {
		d := analysis.LayerData{Index: l, Name: []string{"act00", "act01"}[l], Theta: theta, Levels: 4, T: steps}
		for range 2000 {
			z := rng.NormFloat64()*0.4*theta + 0.3*theta
			v, n := theta/2, 0
			for range steps {
				v += z
				if v >= theta {
					v -= theta
					n++
				}
			}
			rate := float64(n) * theta / float64(steps)
			d.Z = append(d.Z, float32(z))
			d.ANN = append(d.ANN, float32(analysis.QCFS(z+0.05*rng.NormFloat64(), theta, 4)))
			d.ANNOnSNNInput = append(d.ANNOnSNNInput, float32(analysis.QCFS(z, theta, 4)))
			d.Rate = append(d.Rate, float32(rate))
			d.Residual = append(d.Residual, float32(v))
			d.SpikeCount = append(d.SpikeCount, float32(n))
		}
		out = append(out, d)
	}
	return out
}

// figures builds every figure of the package from fixture data.
func figures(t *testing.T) map[string]Drawer {
	ls := layers(t, 8)
	res, err := analysis.Residuals(ls, analysis.BinSpec{})
	require.NoError(t, err)
	gap, err := analysis.LayerGap(ls[1], analysis.BinSpec{Bins: 30})
	require.NoError(t, err)
	fir, err := analysis.Firings(ls, analysis.BinSpec{})
	require.NoError(t, err)
	figs := map[string]Drawer{}
	add := func(name string, d Drawer, err error) {
		require.NoError(t, err, name)
		figs[name] = d
	}
	p, err := ResidualHistograms(res)
	add("residual", p, err)
	g, err := ResidualGrid(res, 2)
	add("residual-grid", g, err)
	p, err = GapHistogram(gap, "")
	add("gap", p, err)
	p, err = SigmaOverEpochs([][]float64{{0.1, 0.2}, {0.08, 0.15}, {0.05, 0.1}}, []string{"act00", "act01"})
	add("sigma", p, err)
	p, err = FiringRates(fir)
	add("firing", p, err)
	p, err = FiringHistograms(fir)
	add("firing-hist", p, err)
	runs := []Run{
		{Name: "NQ", T: []int{1, 2, 4, 8, 16}, Accuracy: []float64{0.6, 0.8, 0.9, 0.93, 0.94}, ANNAccuracy: 0.945},
		{Name: "QCFS", T: []int{1, 2, 4, 8, 16}, Accuracy: []float64{0.3, 0.6, 0.8, 0.9, 0.93}, ANNAccuracy: 0.95},
	}
	p, err = AccuracyVsT(runs, true)
	add("acc-t", p, err)
	tab := analysis.Table{
		{T: 2, Accuracy: 0.8, SNNEnergy: 2e6, ANNEnergy: 9e6},
		{T: 8, Accuracy: 0.93, SNNEnergy: 6e6, ANNEnergy: 9e6},
	}
	p, err = AccuracyVsEnergy([]EnergyRun{{Name: "NQ", Table: tab, ANNAccuracy: 0.945}})
	add("acc-energy", p, err)
	p, err = TrainingCurves("Loss", "loss", Curve{"train", []float64{2, 1.2, 0.8}}, Curve{"val", []float64{2.1, 1.4, 1.1}})
	add("curves", p, err)
	g, err = TrainingPanels(History{TrainLoss: []float64{2, 1}, TrainAcc: []float64{0.3, 0.6}, ValAcc: []float64{0.25, 0.5}})
	add("panels", g, err)
	raster := make([][]bool, 20)
	for n := range raster {
		raster[n] = make([]bool, 16)
		for s := range raster[n] {
			raster[n][s] = (n+s)%3 == 0
		}
	}
	p, err = SpikeRaster(raster, "")
	add("raster", p, err)
	p, err = MembraneTraces([][]float64{{0.5, 0.8, 0.1, 0.4}, {0.5, 1.3, 0.9, 0.2}}, 1, nil)
	add("traces", p, err)
	return figs
}

func TestRenderPNGHasRequestedSize(t *testing.T) {
	size := Size{Width: 640, Height: 400}
	for name, f := range figures(t) {
		data, err := Render(f, size, "png")
		require.NoError(t, err, name)
		img, format, err := image.Decode(bytes.NewReader(data))
		require.NoError(t, err, name)
		assert.Equal(t, "png", format)
		assert.Equal(t, image.Rect(0, 0, 640, 400), img.Bounds(), name)
		assert.Greater(t, inked(img), 0.01, "%s: figure looks blank", name)
	}
}

// inked is the fraction of pixels that are not white.
func inked(img image.Image) float64 {
	b := img.Bounds()
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0xf000 || g < 0xf000 || bl < 0xf000 {
				n++
			}
		}
	}
	return float64(n) / float64(b.Dx()*b.Dy())
}

func TestRenderSVGAndPDF(t *testing.T) {
	for name, f := range figures(t) {
		data, err := Render(f, DefaultSize, "svg")
		require.NoError(t, err, name)
		root := svgRoot(t, data)
		assert.Equal(t, "svg", root.Name.Local, name)
		assert.Contains(t, attrs(root), "width=600pt", "800 px at 0.75 pt/px")
		pdf, err := Render(f, DefaultSize, "PDF")
		require.NoError(t, err, name)
		assert.True(t, bytes.HasPrefix(pdf, []byte("%PDF-")), name)
	}
	_, err := Render(plot.New(), DefaultSize, "gif")
	assert.EqualError(t, err, `plots: unsupported format "gif" (want one of png, svg, pdf)`)
	_, err = Render(plot.New(), Size{0, 10}, "png")
	assert.ErrorContains(t, err, "figure size 0x10 px")
	_, err = Render(nil, DefaultSize, "png")
	assert.EqualError(t, err, "plots: nothing to render (nil figure)")
}

// svgRoot parses the whole document as XML and returns its root element.
func svgRoot(t *testing.T, data []byte) xml.StartElement {
	dec := xml.NewDecoder(bytes.NewReader(data))
	var root *xml.StartElement
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if se, ok := tok.(xml.StartElement); ok && root == nil {
			c := se.Copy()
			root = &c
		}
	}
	require.NotNil(t, root, "no element in SVG")
	return *root
}

func attrs(se xml.StartElement) []string {
	var out []string
	for _, a := range se.Attr {
		out = append(out, a.Name.Local+"="+a.Value)
	}
	return out
}

func TestSaveIsAtomicAndPicksFormat(t *testing.T) {
	dir := t.TempDir()
	p, err := TrainingCurves("Loss", "loss", Curve{"train", []float64{1, 0.5}})
	require.NoError(t, err)
	for _, name := range []string{"a.png", "a.svg", "a.pdf"} {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))
		require.NoError(t, Save(p, Size{300, 200}, path))
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.NotEqual(t, "old", string(data), "replaced in place")
	}
	png, err := os.ReadFile(filepath.Join(dir, "a.png"))
	require.NoError(t, err)
	cfg, _, err := image.DecodeConfig(bytes.NewReader(png))
	require.NoError(t, err)
	assert.Equal(t, [2]int{300, 200}, [2]int{cfg.Width, cfg.Height})

	err = Save(p, DefaultSize, filepath.Join(dir, "b.bmp"))
	assert.EqualError(t, err, `plots: unsupported format "bmp" (want one of png, svg, pdf) (writing `+filepath.Join(dir, "b.bmp")+")")
	err = Save(p, DefaultSize, filepath.Join(dir, "noext"))
	assert.ErrorContains(t, err, "no file extension")
	err = Save(p, DefaultSize, filepath.Join(dir, "missing", "c.png"))
	assert.ErrorContains(t, err, "plots: writing "+filepath.Join(dir, "missing", "c.png"))

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{"a.png", "a.svg", "a.pdf"}, names, "no temporary files left behind")
}

func TestGridLayout(t *testing.T) {
	ps := []*plot.Plot{plot.New(), plot.New(), plot.New()}
	g, err := NewGrid(ps, 2)
	require.NoError(t, err)
	require.Len(t, g.Plots, 2)
	assert.Same(t, ps[2], g.Plots[1][0])
	assert.Nil(t, g.Plots[1][1])
	g, err = NewGrid(ps, 5)
	require.NoError(t, err)
	assert.Len(t, g.Plots[0], 3, "no more columns than plots")
	_, err = NewGrid(nil, 2)
	assert.EqualError(t, err, "plots: grid needs at least one plot")
	_, err = NewGrid(ps, 0)
	assert.EqualError(t, err, "plots: grid needs at least one column, got 0")
	// Ragged rows set by hand still render.
	ragged := &Grid{Plots: [][]*plot.Plot{{plot.New(), plot.New()}, {plot.New()}}}
	_, err = Render(ragged, Size{200, 200}, "png")
	assert.NoError(t, err)

	// A deep network's 19 panels get room: at least MinCell each.
	many := make([]*plot.Plot, 19)
	for i := range many {
		many[i] = plot.New()
	}
	g, err = NewGrid(many, 4)
	require.NoError(t, err)
	base := Size{Width: 900, Height: 600}
	assert.Equal(t, Size{Width: 4 * MinCell.Width, Height: 5 * MinCell.Height}, SizeFor(g, base))
	small, _ := NewGrid(ps[:1], 1)
	assert.Equal(t, base, SizeFor(small, base), "never smaller than asked")
	assert.Equal(t, base, SizeFor(plot.New(), base), "a plain plot keeps the caller's size")
}

// The gap plot shows the occupied bins (and ±4σ), not the whole binned range.
func TestGapHistogramRange(t *testing.T) {
	g, err := analysis.Gap([]float64{-0.5, 0, 0, 0, 0.25}, []float64{0, 0, 0, 0, 0}, analysis.BinSpec{Bins: 40, Lo: -10, Hi: 10})
	require.NoError(t, err)
	p, err := GapHistogram(g, "")
	require.NoError(t, err)
	assert.Greater(t, p.X.Min, -3.0, "not the binned ±10")
	assert.Less(t, p.X.Max, 3.0)
	assert.LessOrEqual(t, p.X.Min, -0.5)
	assert.GreaterOrEqual(t, p.X.Max, 0.25)
}

func TestSigmaOverEpochsDeepNetwork(t *testing.T) {
	assert.Equal(t, []int{0, 1, 2}, sampleIndices(3, 6))
	assert.Equal(t, []int{0, 80, 160, 239, 319, 399}, sampleIndices(400, 6), "first, last, evenly between")

	sigma := make([][]float64, 400)
	for e := range sigma {
		sigma[e] = make([]float64, 19)
		for l := range sigma[e] {
			sigma[e][l] = 0.1 * float64(l) / float64(e+1)
		}
	}
	p, err := SigmaOverEpochs(sigma, nil)
	require.NoError(t, err)
	assert.Contains(t, p.X.Label.Text, "layer", "19 layers are drawn against depth")
	assert.LessOrEqual(t, p.X.Max, 19.0)
	p, err = SigmaOverEpochs(sigma[:5][:], nil)
	require.NoError(t, err)
	assert.Contains(t, p.X.Label.Text, "layer")
	shallow := [][]float64{{0, 0.2, 0.3}, {0, 0.1, 0.2}}
	p, err = SigmaOverEpochs(shallow, nil)
	require.NoError(t, err)
	assert.Equal(t, "epoch", p.X.Label.Text, "three layers: one line each over the epochs")
}

func TestIntegerTicksLabelShortRanges(t *testing.T) {
	labels := func(lo, hi float64) []string {
		var out []string
		for _, tk := range (integerTicks{}).Ticks(lo, hi) {
			if tk.Label != "" {
				assert.Equal(t, math.Round(tk.Value), tk.Value, "only whole numbers are labelled")
				out = append(out, tk.Label)
			}
		}
		return out
	}
	assert.Equal(t, []string{"1", "2", "3", "4"}, labels(0.5, 4.5), "steps 1…4 of a raster")
	assert.Equal(t, []string{"1", "2"}, labels(0.5, 2.5))
	assert.Equal(t, []string{"2", "4", "6", "8"}, labels(0.5, 8.5), "DefaultTicks' own whole majors kept")
	assert.LessOrEqual(t, len(labels(0.2, 1.8)), 1)
}

func TestPlaceLegendAvoidsData(t *testing.T) {
	// A rising curve leaves the top left and the bottom right free; the first
	// free corner in the order top right, bottom right, top left, bottom left wins.
	p := newPlot("", "x", "y")
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 10, 0, 10
	rising := plotter.XYs{{X: 0, Y: 0}, {X: 10, Y: 10}}
	placeLegend(p, 2, rising)
	assert.False(t, p.Legend.Top, "bottom right")
	assert.False(t, p.Legend.Left)
	assert.Equal(t, 10.0, p.Y.Max, "a free corner needs no band")

	// Data in every corner: the y axis grows to make a band above the data,
	// and its tick labels stay within the data's range.
	p = newPlot("", "x", "y")
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 10, 0, 10
	box := plotter.XYs{{X: 0, Y: 0}, {X: 10, Y: 0}, {X: 10, Y: 10}, {X: 0, Y: 10}, {X: 0, Y: 0}}
	placeLegend(p, 4, box)
	_, h := legendBox(4)
	assert.InDelta(t, 10/(1-h), p.Y.Max, 1e-9)
	assert.True(t, p.Legend.Top)
	for _, tk := range p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max) {
		assert.LessOrEqual(t, tk.Value, 10.0, "no tick in the legend's band")
	}

	// A long legend goes beside the data: the x axis widens instead.
	p = newPlot("", "x", "y")
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 10, 0, 10
	placeLegend(p, 24, box)
	w, _ := legendBox(24)
	assert.Equal(t, 10.0, p.Y.Max)
	assert.InDelta(t, 10/(1-w), p.X.Max, 1e-9)
	assert.Less(t, p.Legend.TextStyle.Font.Size, vg.Points(10), "a long legend gets a smaller font")
}

func TestSqrtScale(t *testing.T) {
	s := SqrtScale{}
	assert.InDelta(t, 0.1, s.Normalize(0, 1, 0.01), 1e-12, "1 % of the maximum at 10 % of the height")
	assert.InDelta(t, 0.5, s.Normalize(0, 4, 1), 1e-12)
	assert.InDelta(t, 1, s.Normalize(0, 4, 4), 1e-12)
	assert.Zero(t, s.Normalize(0, 4, -1), "negative counts as 0")
	assert.Zero(t, s.Normalize(2, 2, 2), "an empty range does not divide by zero")
	ticks := sqrtTicks{}.Ticks(0, 4)
	require.NotEmpty(t, ticks)
	for i, tk := range ticks {
		root := math.Sqrt(tk.Value)
		if i > 0 {
			// Evenly spaced in √y: the step between roots is constant.
			assert.InDelta(t, math.Sqrt(ticks[1].Value)-math.Sqrt(ticks[0].Value), root-math.Sqrt(ticks[i-1].Value), 1e-9)
		}
		assert.NotEmpty(t, tk.Label)
	}
	assert.LessOrEqual(t, ticks[len(ticks)-1].Value, 4.0+1e-9)
}

func TestFigureInputErrors(t *testing.T) {
	_, err := SigmaOverEpochs([][]float64{{1, 2}, {1}}, nil)
	assert.EqualError(t, err, "plots: σ of epoch 2 has 1 layers, epoch 1 has 2")
	_, err = SigmaOverEpochs([][]float64{{1, math.NaN()}}, nil)
	assert.EqualError(t, err, "plots: σ of epoch 1[1] is NaN, want a finite value")
	_, err = SigmaOverEpochs([][]float64{{1}}, []string{"a", "b"})
	assert.EqualError(t, err, "plots: 2 layer names for 1 layers of σ")
	_, err = AccuracyVsT([]Run{{Name: "x", T: []int{1, 2}, Accuracy: []float64{0.5}}}, false)
	assert.EqualError(t, err, `plots: run "x" has 2 time steps and 1 accuracies, want equal and non-zero`)
	_, err = AccuracyVsT([]Run{{Name: "x", T: []int{1}, Accuracy: []float64{93}}}, false)
	assert.EqualError(t, err, `plots: run "x" accuracy[0] is 93, want a fraction in [0, 1]`)
	_, err = AccuracyVsT([]Run{{Name: "x", T: []int{0}, Accuracy: []float64{0.5}}}, true)
	assert.EqualError(t, err, `plots: run "x": T[0] is 0, want ≥ 1`)
	_, err = SpikeRaster([][]bool{{true}, {true, false}}, "")
	assert.EqualError(t, err, "plots: spike raster row 1 has 2 steps, row 0 has 1")
	_, err = MembraneTraces([][]float64{{1}}, 1, []string{"a", "b"})
	assert.EqualError(t, err, "plots: 2 names for 1 membrane traces")
	_, err = TrainingCurves("Loss", "loss", Curve{Name: "train"})
	assert.EqualError(t, err, `plots: "Loss" has no non-empty curve`)
	_, err = GapHistogram(analysis.GapStats{}, "")
	assert.EqualError(t, err, "plots: gap: empty or malformed histogram (0 bins, 0 edges)")
	_, err = ResidualHistograms(nil)
	assert.EqualError(t, err, "plots: residual histograms need at least one layer")
	_, err = AccuracyVsEnergy([]EnergyRun{{Name: "e"}})
	assert.EqualError(t, err, `plots: run "e" has an empty table`)
}

func TestSpikeRasterCountsSpikes(t *testing.T) {
	p, err := SpikeRaster([][]bool{{true, false, true}, {false, false, false}}, "IF layer")
	require.NoError(t, err)
	assert.Equal(t, "IF layer (2 spikes)", p.Title.Text)
	assert.Equal(t, 0.5, p.X.Min)
	assert.Equal(t, 3.5, p.X.Max)
	empty, err := SpikeRaster([][]bool{{false}}, "")
	require.NoError(t, err)
	_, err = Render(empty, Size{100, 100}, "png")
	assert.NoError(t, err, "a raster without spikes still renders")
}

// A run evaluated at one T only (nqsnn run -t 1) has a single point on the
// log T axis; it must render, not panic in gonum's log scale.
func TestAccuracyVsTSingleT(t *testing.T) {
	for _, ts := range [][]int{{1}, {4}} {
		p, err := AccuracyVsT([]Run{{Name: "one", T: ts, Accuracy: []float64{0.4}, ANNAccuracy: 0.9}}, true)
		require.NoError(t, err)
		data, err := Render(p, Size{Width: 300, Height: 200}, "png")
		require.NoError(t, err, "T=%v", ts)
		img, _, err := image.Decode(bytes.NewReader(data))
		require.NoError(t, err)
		assert.Greater(t, inked(img), 0.01, "T=%v: figure looks blank", ts)
		assert.Less(t, p.X.Min, float64(ts[0]))
		assert.Greater(t, p.X.Max, float64(ts[0]))
	}
}

type panicky struct{}

func (panicky) Draw(draw.Canvas) { panic("Values must be greater than 0 for a log scale") }

// A figure that makes the plotting library panic fails Render with an error.
func TestRenderTurnsPanicIntoError(t *testing.T) {
	_, err := Render(panicky{}, Size{Width: 100, Height: 100}, "png")
	assert.EqualError(t, err, "plots: drawing the figure failed: Values must be greater than 0 for a log scale")
	err = Save(panicky{}, Size{Width: 100, Height: 100}, filepath.Join(t.TempDir(), "x.png"))
	assert.ErrorContains(t, err, "drawing the figure failed")
}

func TestTransfer(t *testing.T) {
	x := []float64{0, 0.5, 1}
	p, err := Transfer("QCFS and IF", "z / θ", "output / θ", x, Curve{"QCFS", []float64{0, 0.5, 1}}, Curve{"IF, T = 2", []float64{0, 0.5, 1}})
	require.NoError(t, err)
	require.True(t, p.Legend.Top && p.Legend.Left, "the legend goes where an increasing curve leaves room")
	b, err := Render(p, Size{Width: 320, Height: 240}, "png")
	require.NoError(t, err)
	require.NotEmpty(t, b)

	_, err = Transfer("t", "x", "y", x, Curve{"short", []float64{0, 1}})
	require.ErrorContains(t, err, `curve "short" has 2 values for 3 inputs`)
	_, err = Transfer("t", "x", "y", []float64{0}, Curve{"one", []float64{0}})
	require.ErrorContains(t, err, "at least two inputs")
	_, err = Transfer("t", "x", "y", x)
	require.ErrorContains(t, err, "no curve")
	_, err = Transfer("t", "x", "y", x, Curve{"nan", []float64{0, math.NaN(), 1}})
	require.Error(t, err)
}

func TestMembraneTracesFromStepZero(t *testing.T) {
	p, err := MembraneTracesFrom(0, [][]float64{{0.5, 0.8, 0.1}}, 1, nil)
	require.NoError(t, err)
	require.InDelta(t, 0, p.X.Min, 0.5, "the initial membrane v(0) sits at t = 0")
	require.Less(t, p.X.Max, 2.6, "three values end at t = 2")
	q, err := MembraneTraces([][]float64{{0.5, 0.8, 0.1}}, 1, nil)
	require.NoError(t, err)
	require.Greater(t, q.X.Min, 0.4, "MembraneTraces starts at step 1")
}

// σ is drawn in units of λ/L next to the quantisation error's own spread;
// mismatched or non-positive steps are refused by name.
func TestSigmaToStep(t *testing.T) {
	p, err := SigmaToStep([]SigmaStepRun{{Name: "nq-s1", Sigma: []float64{0, 0.5, 1}, Step: []float64{2, 1, 0.5}}})
	require.NoError(t, err)
	assert.InDelta(t, 2, p.Y.Max, 0.5, "the largest ratio, 1/0.5, sets the range")
	assert.Zero(t, p.Y.Min)
	_, err = Render(p, Size{Width: 400, Height: 300}, "png")
	require.NoError(t, err)
	_, err = SigmaToStep([]SigmaStepRun{{Name: "a", Sigma: []float64{1}, Step: []float64{1, 2}}})
	assert.ErrorContains(t, err, "a: 1 σ values for 2 steps")
	_, err = SigmaToStep([]SigmaStepRun{{Name: "b", Sigma: []float64{1}, Step: []float64{0}}})
	assert.ErrorContains(t, err, "b: quantisation step of layer 0 is 0, must be > 0")
	_, err = SigmaToStep(nil)
	assert.Error(t, err)
}
