package experiment

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/train"

	"github.com/nqsnn/nqsnn/datasets"
	"github.com/nqsnn/nqsnn/datasets/augment"
)

// Data is a run's three splits as GoMLX training datasets.
type Data struct {
	Info  DataInfo
	Train train.Dataset // shuffled per epoch, augmented, drops the last partial batch
	Val   train.Dataset // held-out part of the training set: calibration and selection
	// Calib is the validation split with the training augmentation, drawn
	// afresh every epoch (only with Config.CalibAugment; nil otherwise): the
	// data σ is measured on in the reference code.
	Calib train.Dataset
	Test  train.Dataset // the test set: final numbers only (nil when the data set has none here)
	// SetEpoch positions Train at the start of an epoch (its order depends
	// only on the seed and the epoch, so resumed runs see the same data).
	SetEpoch func(epoch int)
	// Close stops the splits' background batch preparation.
	Close func()
	// stop, when set, makes every split end with ErrInterrupted at its next
	// batch (see stoppable).
	stop func() bool
}

// stoppable ends a data set with ErrInterrupted once *stop says so. Every
// phase of a run reads its batches through one, so an interrupt takes effect
// within a batch wherever the run is (training, validation, calibration,
// test, diagnostics).
type stoppable struct {
	train.Dataset
	stop *func() bool
}

// Yield implements train.Dataset.
func (s stoppable) Yield() (any, []*tensors.Tensor, []*tensors.Tensor, error) {
	if f := *s.stop; f != nil && f() {
		return nil, nil, nil, ErrInterrupted
	}
	return s.Dataset.Yield()
}

// LoadData loads cfg's data set and builds its splits.
func LoadData(cfg Config) (*Data, error) {
	trainSet, testSet, err := datasets.Load(cfg.Dataset, cfg.DataDir, datasets.WithProgress(os.Stderr))
	if err != nil {
		return nil, err
	}
	seed := uint64(cfg.Seed)
	split, trainIdx, err := splitIndices(cfg, trainSet)
	if err != nil {
		return nil, err
	}
	pipe, err := augment.Preset(cfg.Augment)
	if err != nil {
		return nil, err
	}
	tr, err := datasets.NewBatcher(trainSet, datasets.BatcherConfig{BatchSize: cfg.BatchSize, Shuffle: true, DropLast: len(trainIdx) >= cfg.BatchSize,
		Seed: seed, Augment: pipe, Indices: trainIdx})
	if err != nil {
		return nil, err
	}
	evalBatch := EvalBatchSize(cfg)
	val, err := datasets.NewBatcher(trainSet, datasets.BatcherConfig{BatchSize: evalBatch, Seed: seed, Indices: split.Val})
	if err != nil {
		return nil, err
	}
	var calib *datasets.Batcher
	if cfg.CalibAugment {
		// Its own seed stream, so the training batches are the same with and without it.
		if calib, err = datasets.NewBatcher(trainSet, datasets.BatcherConfig{BatchSize: cfg.BatchSize, Seed: seed ^ 0xca1b,
			Augment: pipe, Indices: split.Val}); err != nil {
			return nil, err
		}
	}
	var test *datasets.Batcher
	testExamples := 0
	if testSet != nil { // only "cifar10-partial" may come without its test set
		var first []int // the first TestLimit test images (nil: all)
		if cfg.TestLimit > 0 && cfg.TestLimit < testSet.Len() {
			first = make([]int, cfg.TestLimit)
			for i := range first {
				first[i] = i
			}
		}
		if test, err = datasets.NewBatcher(testSet, datasets.BatcherConfig{BatchSize: evalBatch, Seed: seed, Indices: first}); err != nil {
			return nil, err
		}
		if trainSet.H != testSet.H || trainSet.W != testSet.W || trainSet.C != testSet.C {
			return nil, fmt.Errorf("data set %s: train images are %dx%dx%d but test images %dx%dx%d", cfg.Dataset,
				trainSet.H, trainSet.W, trainSet.C, testSet.H, testSet.W, testSet.C)
		}
		testExamples = testSet.Len()
		if first != nil {
			testExamples = len(first)
		}
	}
	h := sha256.New()
	for _, i := range split.Val {
		_ = binary.Write(h, binary.LittleEndian, int64(i))
	}
	info := DataInfo{
		Name: cfg.Dataset, Source: trainSet.Source, NumClasses: trainSet.NumClasses(), ClassNames: trainSet.ClassNames,
		ExampleShape: []int{trainSet.H, trainSet.W, trainSet.C}, TrainExamples: len(trainIdx), ValExamples: len(split.Val),
		TestExamples: testExamples, Mean: trainSet.Norm.Mean, Std: trainSet.Norm.Std, NormSource: trainSet.Norm.Source,
		Augment: pipe.String(), SplitSeed: split.Seed, ValFraction: split.Fraction, Stratified: split.Stratified,
		ValIndicesHash: hex.EncodeToString(h.Sum(nil)), TrainLimit: cfg.TrainLimit, EvalBatch: evalBatch,
	}
	data := &Data{Info: info,
		SetEpoch: func(e int) {
			_ = tr.Seek(e, 0)
			if calib != nil {
				_ = calib.Seek(e, 0)
			}
		},
		Close: func() {
			tr.Close()
			val.Close()
			if calib != nil {
				calib.Close()
			}
			if test != nil {
				test.Close()
			}
		}}
	data.Train, data.Val = stoppable{tr, &data.stop}, stoppable{val, &data.stop}
	if test != nil {
		data.Test = stoppable{test, &data.stop}
	}
	if calib != nil {
		data.Calib = stoppable{calib, &data.stop}
	}
	return data, nil
}

// splitIndices returns cfg's validation split of trainSet and the training
// indices (a seeded random subset of the rest when cfg.TrainLimit is set, so
// every class stays represented).
func splitIndices(cfg Config, trainSet *datasets.Dataset) (split datasets.Split, trainIdx []int, err error) {
	splitSeed := cfg.SplitSeed
	if splitSeed == 0 {
		splitSeed = cfg.Seed
	}
	if split, err = datasets.SplitTrainVal(trainSet.Labels, trainSet.NumClasses(), cfg.ValFraction, uint64(splitSeed)); err != nil {
		return split, nil, err
	}
	seed := uint64(cfg.Seed)
	trainIdx = split.Train
	if cfg.TrainLimit > 0 && cfg.TrainLimit < len(trainIdx) {
		trainIdx = slices.Clone(trainIdx)
		r := rand.New(rand.NewPCG(seed, 0x7472))
		r.Shuffle(len(trainIdx), func(i, j int) { trainIdx[i], trainIdx[j] = trainIdx[j], trainIdx[i] })
		trainIdx = trainIdx[:cfg.TrainLimit]
		slices.Sort(trainIdx)
	}
	return split, trainIdx, nil
}

// Split is the exact partition of a data set's training images that a run
// with the same settings uses, for training the same split elsewhere (e.g.
// the PyTorch side-by-side in scripts/).
type Split struct {
	Dataset string `json:"dataset"`
	Seed    int64  `json:"seed"`
	// Train and Val index the data set's training images (official order).
	Train []int `json:"train"`
	Val   []int `json:"val"`
}

// SplitOf returns the split a run with cfg trains and validates on (cfg's
// zero fields filled from its preset).
func SplitOf(cfg Config) (*Split, error) {
	cfg = cfg.WithPreset()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	trainSet, _, err := datasets.Load(cfg.Dataset, cfg.DataDir, datasets.WithProgress(os.Stderr))
	if err != nil {
		return nil, err
	}
	split, trainIdx, err := splitIndices(cfg, trainSet)
	if err != nil {
		return nil, err
	}
	return &Split{Dataset: cfg.Dataset, Seed: cfg.Seed, Train: trainIdx, Val: split.Val}, nil
}
