package datasets

import (
	"fmt"
	"math/rand/v2"
	"sort"
)

// DefaultValidationFraction is the share of the training set held out for
// validation when none is given.
const DefaultValidationFraction = 0.1

// Split is a train/validation partition of a training set, as index lists
// into it; it is JSON-serialisable so runs can record exactly what they used.
type Split struct {
	Seed       uint64  `json:"seed"`
	Fraction   float64 `json:"fraction"`
	Stratified bool    `json:"stratified"`
	Train      []int   `json:"train"`
	Val        []int   `json:"val"`
}

// SplitTrainVal holds out round(fraction·N) of the N samples for validation,
// stratified: each class contributes floor or ceil of fraction·(its count),
// so class proportions are kept. Samples are chosen by a generator seeded
// with seed. Both index lists are sorted ascending.
// fraction must be in [0, 1).
func SplitTrainVal(labels []int32, numClasses int, fraction float64, seed uint64) (Split, error) {
	if !(fraction >= 0 && fraction < 1) {
		return Split{}, fmt.Errorf("validation fraction %v must be in [0, 1)", fraction)
	}
	byClass := make([][]int, numClasses)
	for i, l := range labels {
		if l < 0 || int(l) >= numClasses {
			return Split{}, fmt.Errorf("split: sample %d: label %d out of range [0, %d)", i, l, numClasses)
		}
		byClass[l] = append(byClass[l], i)
	}
	// Per-class quotas: floor(fraction·count), then the remaining samples
	// (to reach round(fraction·N) in total) go to the classes with the
	// largest fractional parts, lower class index first on ties.
	quota := make([]int, numClasses)
	frac := make([]float64, numClasses)
	total := 0
	for k, idx := range byClass {
		exact := fraction * float64(len(idx))
		quota[k] = int(exact)
		frac[k] = exact - float64(quota[k])
		total += quota[k]
	}
	want := int(fraction*float64(len(labels)) + 0.5)
	order := make([]int, numClasses)
	for k := range order {
		order[k] = k
	}
	sort.SliceStable(order, func(a, b int) bool { return frac[order[a]] > frac[order[b]] })
	for _, k := range order {
		if total >= want {
			break
		}
		if quota[k] < len(byClass[k]) {
			quota[k]++
			total++
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed5b17))
	s := Split{Seed: seed, Fraction: fraction, Stratified: true, Train: []int{}, Val: []int{}}
	for k, idx := range byClass {
		rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		s.Val = append(s.Val, idx[:quota[k]]...)
		s.Train = append(s.Train, idx[quota[k]:]...)
	}
	sort.Ints(s.Train)
	sort.Ints(s.Val)
	return s, nil
}

// SplitDataset splits d with SplitTrainVal and returns the two subsets.
func SplitDataset(d *Dataset, fraction float64, seed uint64) (train, val *Dataset, s Split, err error) {
	if s, err = SplitTrainVal(d.Labels, d.NumClasses(), fraction, seed); err != nil {
		return nil, nil, s, fmt.Errorf("dataset %s: %w", d.Name, err)
	}
	if train, err = d.Subset(s.Train, "train"); err != nil {
		return nil, nil, s, err
	}
	if val, err = d.Subset(s.Val, "val"); err != nil {
		return nil, nil, s, err
	}
	return train, val, s, nil
}
