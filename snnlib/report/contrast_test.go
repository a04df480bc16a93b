package report

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nqsnn/nqsnn/snnlib/record"
)

// With two values a side of equal spread Welch's test has 2 degrees of
// freedom, where Student's t has the closed-form CDF ½ + t/(2√(2+t²)).
func TestWelch(t *testing.T) {
	d := 2 * math.Sqrt2 // makes t = d / √(1+1) = 2
	diff, se, p := Welch([]float64{d, 2 + d}, []float64{0, 2})
	assert.InDelta(t, d, diff, 1e-12)
	assert.InDelta(t, math.Sqrt2, se, 1e-12)
	assert.InDelta(t, 1-2/math.Sqrt(6), p, 1e-9)
	_, _, p = Welch([]float64{1, 2}, []float64{0, 2, 4})
	assert.Less(t, p, 1.0)
	assert.Greater(t, p, 0.5, "a difference of half a standard deviation is no evidence")
	_, se, p = Welch([]float64{1}, []float64{0, 2})
	assert.True(t, math.IsNaN(se) && math.IsNaN(p), "one seed has no spread to test against")
	_, _, p = Welch([]float64{1, 1}, []float64{0, 0})
	assert.True(t, math.IsNaN(p), "no spread at all")
}

// Contrasts pair each strategy's seeds with QCFS's under the same setting
// and ignore settings without a QCFS counterpart.
func TestContrasts(t *testing.T) {
	c := &Comparison{Runs: []*record.Results{
		fakeRun("nq", 1, 0.80, 0.10, 0.50),
		fakeRun("nq", 2, 0.82, 0.20, 0.54),
		fakeRun("qcfs", 1, 0.90, 0.20, 0.60),
		fakeRun("qcfs", 2, 0.92, 0.30, 0.64),
		fakeRun("srp", 1, 0.90, 0.30, 0.70),
	}, Dirs: []string{"a", "b", "c", "d", "e"}}
	c.Runs[4].Config.Levels = 8 // no qcfs run at L = 8
	cs := c.Contrasts("qcfs")
	require.Len(t, cs, 1)
	ct := cs[0]
	assert.Equal(t, "nq − qcfs resnet20 cifar10 L=4, 5 epochs", ct.Label)
	assert.Equal(t, []int{1, 2}, ct.T)
	assert.InDeltaSlice(t, []float64{-0.10, -0.10}, ct.Diff, 1e-12)
	assert.InDelta(t, -0.10, ct.ANNDiff, 1e-12)
	md := c.ContrastMarkdown("qcfs")
	assert.Contains(t, md, "| difference (points; p) | ANN | T=1 | T=2 |")
	assert.Contains(t, md, "| nq − qcfs resnet20 cifar10 L=4, 5 epochs | -10.00 (p ")
	assert.Contains(t, md, " -10.00 ± 7.07 (p ")
	assert.Empty(t, c.ContrastMarkdown("cos"))
}
