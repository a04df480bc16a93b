package snn

import (
	"math"
	"slices"
)

// percentileBins is the histogram resolution of percentilesOf's second pass:
// the third pass keeps only the values of the one or two bins that hold the
// wanted order statistics.
const percentileBins = 1 << 14

// replay visits a stream of per-site values, the same values in the same order
// at every call (e.g. one pass of the ANN over a data set).
type replay func(visit func(site int, xs []float32)) error

// errNotReplayable reports a stream that gave other values on a later pass.
var errNotReplayable = errorf("activation percentiles: the data gave other activations on a second pass; it must yield the same images every time (no shuffling or augmentation)")

// percentilesOf returns the p-th percentile (0..100) of each site's values in
// the stream, exactly as Percentile would on all of them (linear
// interpolation between order statistics), in three passes whose memory is
// O(bins) plus the values of at most two bins per site, instead of every value
// (a ResNet-20 on 2,500 CIFAR-10 images has 470 million activations). A NaN
// is an error naming its site.
func percentilesOf(p float64, stream replay) ([]float64, error) {
	type site struct {
		n, seen        int
		min, max       float32
		counts         []int
		rank           [2]int  // the order statistics to interpolate between
		frac           float64 // and the weight of the second
		binLo, binHi   int     // the bins that hold them
		below          int     // values in bins before binLo
		kept           []float32
		sawNaN, inited bool
	}
	var sites []*site
	at := func(i int) *site {
		for len(sites) <= i {
			sites = append(sites, &site{})
		}
		return sites[i]
	}
	bin := func(s *site, x float32) int {
		if s.max == s.min {
			return 0
		}
		return min(percentileBins-1, int(float64(x-s.min)/float64(s.max-s.min)*percentileBins))
	}
	// Pass 1: count and range.
	if err := stream(func(i int, xs []float32) {
		s := at(i)
		for _, x := range xs {
			switch {
			case x != x:
				s.sawNaN = true
			case !s.inited:
				s.min, s.max, s.inited = x, x, true
			default:
				s.min, s.max = min(s.min, x), max(s.max, x)
			}
		}
		s.n += len(xs)
	}); err != nil {
		return nil, err
	}
	for i, s := range sites {
		if s.sawNaN {
			return nil, errorf("site %d: an activation is NaN, so it has no percentile (has training diverged?)", i)
		}
		s.counts = make([]int, percentileBins)
	}
	// Pass 2: histogram, then the bins of the two order statistics.
	changed := false
	if err := stream(func(i int, xs []float32) {
		if i >= len(sites) {
			changed = true
			return
		}
		s := sites[i]
		for _, x := range xs {
			if x != x || x < s.min || x > s.max {
				changed = true
				continue
			}
			s.counts[bin(s, x)]++
		}
		s.seen += len(xs)
	}); err != nil {
		return nil, err
	}
	for _, s := range sites {
		changed = changed || s.seen != s.n
	}
	if changed {
		return nil, errNotReplayable
	}
	for _, s := range sites {
		if s.n == 0 {
			continue
		}
		pos := p / 100 * float64(s.n-1)
		s.rank[0] = int(math.Floor(pos))
		s.rank[1] = min(s.rank[0]+1, s.n-1)
		s.frac = pos - math.Floor(pos)
		cum := 0
		s.binLo, s.binHi = -1, -1
		for b, c := range s.counts {
			if s.binLo < 0 && cum+c > s.rank[0] {
				s.binLo, s.below = b, cum
			}
			if cum+c > s.rank[1] {
				s.binHi = b
				break
			}
			cum += c
		}
		s.counts = nil
	}
	// Pass 3: keep the values of those bins.
	if err := stream(func(i int, xs []float32) {
		if i >= len(sites) {
			return // reported below as a missing rank
		}
		s := sites[i]
		for _, x := range xs {
			if b := bin(s, x); b >= s.binLo && b <= s.binHi {
				s.kept = append(s.kept, x)
			}
		}
	}); err != nil {
		return nil, err
	}
	out := make([]float64, len(sites))
	for i, s := range sites {
		if s.n == 0 {
			out[i] = math.NaN()
			continue
		}
		if s.rank[1]-s.below >= len(s.kept) {
			return nil, errNotReplayable
		}
		slices.Sort(s.kept)
		lo, hi := s.kept[s.rank[0]-s.below], s.kept[s.rank[1]-s.below]
		out[i] = float64(lo)*(1-s.frac) + float64(hi)*s.frac
	}
	return out, nil
}
