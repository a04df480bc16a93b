package report

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/nqsnn/nqsnn/snnlib/record"
)

// Contrast is the difference between two settings that differ only in their
// conversion strategy, over seeds: Strategy minus Base at every T both ran.
type Contrast struct {
	Label          string // the base setting's label with the two strategies
	Strategy, Base string
	T              []int
	Diff           []float64 // difference of the mean SNN test accuracies at T[i]
	SE             []float64 // its standard error (Welch)
	P              []float64 // two-sided Welch t-test p-value (NaN with < 2 seeds a side)
	ANNDiff        float64   // difference of the mean ANN test accuracies
	ANNP           float64
}

// Welch returns the difference of the means of a and b, its standard error
// and the two-sided p-value of Welch's t-test (NaN when either has fewer than
// two values or both have no spread).
func Welch(a, b []float64) (diff, se, p float64) {
	ma, sa := MeanSD(a)
	mb, sb := MeanSD(b)
	diff = ma - mb
	if len(a) < 2 || len(b) < 2 {
		return diff, math.NaN(), math.NaN()
	}
	va, vb := sa*sa/float64(len(a)), sb*sb/float64(len(b))
	se = math.Sqrt(va + vb)
	if se == 0 {
		return diff, 0, math.NaN()
	}
	// Welch–Satterthwaite degrees of freedom.
	df := (va + vb) * (va + vb) / (va*va/float64(len(a)-1) + vb*vb/float64(len(b)-1))
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}
	return diff, se, 2 * t.CDF(-math.Abs(diff/se))
}

// withoutStrategy is a setting with its strategy blanked out.
func withoutStrategy(c record.Config) string {
	c.Strategy, c.StrategyParams = "", nil
	return setting(c)
}

// Contrasts pairs every seed group of strategy other than base with the group
// of base whose settings are otherwise the same, in the order of the groups.
func (c *Comparison) Contrasts(base string) []Contrast {
	groups := c.BySeed()
	bases := map[string]SeedGroup{}
	for _, g := range groups {
		if g.Runs[0].Config.Strategy == base {
			bases[withoutStrategy(g.Runs[0].Config)] = g
		}
	}
	var out []Contrast
	for _, g := range groups {
		s := g.Runs[0].Config.Strategy
		b, ok := bases[withoutStrategy(g.Runs[0].Config)]
		if s == base || !ok {
			continue
		}
		ct := Contrast{Label: strings.Replace(g.Label, s, s+" − "+base, 1), Strategy: s, Base: base}
		own := map[int]bool{}
		for _, t := range b.times() {
			own[t] = true
		}
		for _, t := range g.times() {
			if !own[t] {
				continue
			}
			d, se, p := Welch(accuracies(g, t), accuracies(b, t))
			ct.T, ct.Diff, ct.SE, ct.P = append(ct.T, t), append(ct.Diff, d), append(ct.SE, se), append(ct.P, p)
		}
		ct.ANNDiff, _, ct.ANNP = Welch(annAccuracies(g), annAccuracies(b))
		out = append(out, ct)
	}
	return out
}

func accuracies(g SeedGroup, T int) []float64 {
	xs := make([]float64, len(g.Runs))
	for i, r := range g.Runs {
		xs[i], _ = r.AccuracyAt(T)
	}
	return xs
}

func annAccuracies(g SeedGroup) []float64 {
	xs := make([]float64, len(g.Runs))
	for i, r := range g.Runs {
		xs[i] = r.TestANNAccuracy
	}
	return xs
}

// ContrastMarkdown is a table of Contrasts(base): per pair of settings and T,
// the difference in points ± its standard error and Welch's p-value ("" when
// there is no pair).
func (c *Comparison) ContrastMarkdown(base string) string {
	cs := c.Contrasts(base)
	if len(cs) == 0 {
		return ""
	}
	lists := make([][]int, len(cs))
	for i, ct := range cs {
		lists[i] = ct.T
	}
	ts := unionT(lists)
	var b strings.Builder
	tableHeader(&b, []string{"difference (points; p)", "ANN"}, ts, nil)
	for _, ct := range cs {
		fmt.Fprintf(&b, "| %s | %+.2f (p %s) |", ct.Label, 100*ct.ANNDiff, fmtP(ct.ANNP))
		at := map[int]int{}
		for i, t := range ct.T {
			at[t] = i
		}
		for _, t := range ts {
			i, ok := at[t]
			if !ok {
				b.WriteString(" — |")
				continue
			}
			fmt.Fprintf(&b, " %+.2f ± %.2f (p %s) |", 100*ct.Diff[i], 100*ct.SE[i], fmtP(ct.P[i]))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func fmtP(p float64) string {
	switch {
	case math.IsNaN(p):
		return "—"
	case p < 0.001:
		return "< 0.001"
	case p < 0.01:
		return fmt.Sprintf("%.3f", p)
	}
	return fmt.Sprintf("%.2f", p)
}
