package report

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nqsnn/nqsnn/snnlib/plots"
	"github.com/nqsnn/nqsnn/snnlib/record"
)

func fakeRun(strategy string, seed int64, ann float64, curve ...float64) *record.Results {
	cfg := record.Config{Dataset: "cifar10", Model: "resnet20", Strategy: strategy, Levels: 4, Epochs: 5, Seed: seed, Backend: "xla:cpu"}
	return &record.Results{Config: cfg, TestANNAccuracy: ann, T: []int{1, 2}, SNNAccuracy: curve, Curve: curve, BestEpoch: int(seed)}
}

func TestBySeed(t *testing.T) {
	c := &Comparison{
		Runs: []*record.Results{
			fakeRun("nq", 1, 0.80, 0.10, 0.50),
			fakeRun("qcfs", 1, 0.90, 0.20, 0.60),
			fakeRun("nq", 2, 0.82, 0.20, 0.54),
			fakeRun("nq", 3, 0.84, 0.30, 0.58),
		},
		Dirs: []string{"nq-s1", "qcfs-s1", "nq-s2", "nq-s3"},
	}
	c.Runs[2].Config.Backend = "xla:cuda" // where a seed ran does not split a setting
	g := c.BySeed()
	require.Len(t, g, 2)
	assert.Equal(t, []string{"nq-s1", "nq-s2", "nq-s3"}, g[0].Dirs)
	assert.Equal(t, "nq resnet20 cifar10 L=4, 5 epochs", g[0].Label)
	m, s := g[0].At(1)
	assert.InDelta(t, 0.2, m, 1e-12)
	assert.InDelta(t, 0.1, s, 1e-12, "sample standard deviation")
	m, s = g[1].At(2)
	assert.InDelta(t, 0.6, m, 1e-12)
	assert.Zero(t, s, "one seed has no spread")
	assert.True(t, c.HasSeeds())
	md := c.SeedMarkdown()
	assert.Contains(t, md, "| setting | seeds | ANN | T=1 | T=2 | selected epochs |")
	assert.Contains(t, md, "| nq resnet20 cifar10 L=4, 5 epochs | 3 | 82.00 ± 2.00 | 20.00 ± 10.00 | 54.00 ± 4.00 | 2, 3, 4 |")
	assert.Contains(t, md, "| qcfs resnet20 cifar10 L=4, 5 epochs | 1 | 90.00 ± 0.00 | 20.00 ± 0.00 | 60.00 ± 0.00 | 2 |")
	p, err := c.SeedFigure()
	require.NoError(t, err)
	_, err = plots.Render(p, plots.Size{Width: 400, Height: 300}, "png")
	require.NoError(t, err)

	c.Runs[3].Config.Epochs = 6 // another setting now
	assert.Len(t, c.BySeed(), 3)
}

func TestAccuracyVsTSeedsErrors(t *testing.T) {
	_, err := plots.AccuracyVsTSeeds(nil, true)
	assert.ErrorContains(t, err, "at least one setting")
	_, err = plots.AccuracyVsTSeeds([]plots.SeedRun{{Name: "a", T: []int{1}, Mean: []float64{0.5}, SD: []float64{-1}}}, true)
	assert.ErrorContains(t, err, "standard deviation -1 at T=1")
	_, err = plots.AccuracyVsTSeeds([]plots.SeedRun{{Name: "a", T: []int{1, 2}, Mean: []float64{0.5}, SD: []float64{0}}}, true)
	assert.ErrorContains(t, err, "2 time steps, 1 means and 1 deviations")
}
