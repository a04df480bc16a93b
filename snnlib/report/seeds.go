package report

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"gonum.org/v1/plot"

	"github.com/nqsnn/nqsnn/snnlib/plots"
	"github.com/nqsnn/nqsnn/snnlib/record"
)

// SeedGroup is the runs of a comparison whose settings differ only in the
// seed (and in where or how fast they ran): one setting, several seeds.
type SeedGroup struct {
	Label string
	Runs  []*record.Results
	Dirs  []string
}

// setting is a config with what may differ between seeds of one setting
// blanked out.
func setting(c record.Config) string {
	c.Seed, c.DataDir, c.Backend, c.Devices, c.Given = 0, "", "", 0, nil
	b, _ := json.Marshal(c) // a Config always marshals
	return string(b)
}

// groupLabel names a setting: the run label, the epochs, and a warm start's source.
func groupLabel(r *record.Results) string {
	l := fmt.Sprintf("%s, %d epochs", r.Label(), r.Config.Epochs)
	if r.Config.InitFrom != "" {
		l += ", from " + filepath.Base(filepath.Dir(r.Config.InitFrom))
	}
	return l
}

// BySeed groups the runs by setting, in the order settings first appear.
func (c *Comparison) BySeed() []SeedGroup {
	var groups []SeedGroup
	index := map[string]int{}
	for i, r := range c.Runs {
		k := setting(r.Config)
		j, ok := index[k]
		if !ok {
			j = len(groups)
			index[k] = j
			groups = append(groups, SeedGroup{Label: groupLabel(r)})
		}
		groups[j].Runs = append(groups[j].Runs, r)
		groups[j].Dirs = append(groups[j].Dirs, c.Dirs[i])
	}
	return groups
}

// HasSeeds reports whether some setting was run with more than one seed.
func (c *Comparison) HasSeeds() bool {
	for _, g := range c.BySeed() {
		if len(g.Runs) > 1 {
			return true
		}
	}
	return false
}

// MeanSD returns the mean and the sample standard deviation of xs (0 for one value).
func MeanSD(xs []float64) (mean, sd float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	for _, x := range xs {
		sd += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sd / float64(len(xs)-1))
}

// times returns the T values every run of g evaluated, sorted.
func (g SeedGroup) times() []int {
	count := map[int]int{}
	for _, r := range g.Runs {
		for _, t := range r.T {
			count[t]++
		}
	}
	var ts []int
	for t, n := range count {
		if n == len(g.Runs) {
			ts = append(ts, t)
		}
	}
	sort.Ints(ts)
	return ts
}

// At returns the mean and standard deviation over g's seeds of the SNN test
// accuracy at T.
func (g SeedGroup) At(T int) (mean, sd float64) { return MeanSD(accuracies(g, T)) }

// SeedMarkdown is one table with a row per setting: the number of seeds, the
// ANN and the SNN test accuracy at every T as mean ± standard deviation over
// seeds, and each seed's selected epoch.
func (c *Comparison) SeedMarkdown() string {
	groups := c.BySeed()
	lists := make([][]int, len(groups))
	for i, g := range groups {
		lists[i] = g.times()
	}
	ts := unionT(lists)
	var b strings.Builder
	tableHeader(&b, []string{"setting", "seeds", "ANN"}, ts, []string{"selected epochs"})
	for _, g := range groups {
		var epochs []string
		for _, r := range g.Runs {
			epochs = append(epochs, fmt.Sprint(r.BestEpoch+1))
		}
		m, s := MeanSD(annAccuracies(g))
		fmt.Fprintf(&b, "| %s | %d | %.2f ± %.2f |", g.Label, len(g.Runs), 100*m, 100*s)
		own := map[int]bool{}
		for _, t := range g.times() {
			own[t] = true
		}
		for _, t := range ts {
			if !own[t] {
				b.WriteString(" — |")
				continue
			}
			m, s := g.At(t)
			fmt.Fprintf(&b, " %.2f ± %.2f |", 100*m, 100*s)
		}
		fmt.Fprintf(&b, " %s |\n", strings.Join(epochs, ", "))
	}
	return b.String()
}

// SeedFigure plots every setting's mean SNN accuracy against T with ±1
// standard deviation error bars.
func (c *Comparison) SeedFigure() (*plot.Plot, error) {
	var runs []plots.SeedRun
	for _, g := range c.BySeed() {
		r := plots.SeedRun{Name: g.Label, T: g.times(), Seeds: len(g.Runs)}
		for _, t := range r.T {
			m, s := g.At(t)
			r.Mean, r.SD = append(r.Mean, m), append(r.SD, s)
		}
		runs = append(runs, r)
	}
	return plots.AccuracyVsTSeeds(runs, true)
}
