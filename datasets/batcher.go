package datasets

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/train"

	"github.com/nqsnn/nqsnn/datasets/augment"
)

// BatcherConfig configures a Batcher.
type BatcherConfig struct {
	// BatchSize is the number of samples per batch (required, > 0).
	BatchSize int
	// Shuffle draws a new sample order each epoch from (Seed, epoch).
	Shuffle bool
	// DropLast skips the final partial batch (training); otherwise it is
	// yielded with fewer rows (evaluation).
	DropLast bool
	// Repeat makes the stream endless: instead of io.EOF at the end of an
	// epoch the next epoch starts (for train.Loop.RunSteps).
	Repeat bool
	// Seed fixes shuffling and augmentation.
	Seed uint64
	// Augment is applied to every sample (zero value: none).
	Augment augment.Pipeline
	// Indices restricts the batcher to these samples (nil: all), e.g. Split.Train.
	Indices []int
	// Workers is the number of goroutines augmenting samples (0: GOMAXPROCS).
	Workers int
	// Prefetch is how many batches are prepared ahead (0: 2).
	Prefetch int
}

// Batch is one host-side batch: normalised float32 NHWC images and labels.
type Batch struct {
	// Images holds N*H*W*C values.
	Images []float32
	// Labels holds N class indices.
	Labels []int32
	// Indices are the dataset indices of the samples.
	Indices []int
	// N, H, W, C give the shape of Images.
	N, H, W, C int
}

// Batcher yields augmented, normalised batches of a Dataset. It implements
// train.Dataset: inputs are one float32 tensor [B, H, W, C], labels one int32
// tensor [B, 1] (the shape losses.SparseCategoricalCrossEntropyLogits wants).
//
// The order of epoch e and the augmentation of every sample depend only on
// (Seed, e, sample index), so training can resume anywhere with Seek and the
// number of workers does not change the data.
type Batcher struct {
	ds     *Dataset
	cfg    BatcherConfig
	idx    []int
	h, w   int
	nBatch int

	mu       sync.Mutex
	epoch    int
	next     int // next batch to yield within the epoch
	finished bool
	prod     *producer
}

var _ train.Dataset = (*Batcher)(nil)

// NewBatcher checks the configuration and returns a Batcher positioned at
// the start of epoch 0.
func NewBatcher(ds *Dataset, cfg BatcherConfig) (*Batcher, error) {
	if err := ds.Validate(); err != nil {
		return nil, err
	}
	if cfg.BatchSize <= 0 {
		return nil, fmt.Errorf("batcher %s: batch size %d must be positive", ds.Name, cfg.BatchSize)
	}
	idx := cfg.Indices
	if idx == nil {
		idx = make([]int, ds.Len())
		for i := range idx {
			idx[i] = i
		}
	} else {
		for pos, i := range idx {
			if i < 0 || i >= ds.Len() {
				return nil, fmt.Errorf("batcher %s: index %d at position %d out of range [0, %d)", ds.Name, i, pos, ds.Len())
			}
		}
		idx = append([]int(nil), idx...)
	}
	n := len(idx) / cfg.BatchSize
	if !cfg.DropLast && len(idx)%cfg.BatchSize != 0 {
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("batcher %s: %d samples make no batch of %d (DropLast=%v)", ds.Name, len(idx), cfg.BatchSize, cfg.DropLast)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.Prefetch <= 0 {
		cfg.Prefetch = 2
	}
	h, w := cfg.Augment.OutputSize(ds.H, ds.W)
	return &Batcher{ds: ds, cfg: cfg, idx: idx, h: h, w: w, nBatch: n}, nil
}

// Name returns the dataset name.
func (b *Batcher) Name() string { return b.ds.Name }

// BatchesPerEpoch returns the number of batches in one epoch.
func (b *Batcher) BatchesPerEpoch() int { return b.nBatch }

// Epoch returns the current epoch.
func (b *Batcher) Epoch() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.epoch
}

// Position returns the epoch and the index of the next batch within it.
func (b *Batcher) Position() (epoch, batch int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.epoch, b.next
}

// Reset restarts the data: after the end of an epoch (io.EOF) it moves to the
// start of the next epoch; in the middle of an epoch it restarts that epoch.
func (b *Batcher) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished {
		b.epoch++
	}
	b.next, b.finished = 0, false
	b.stopLocked()
}

// Seek positions the batcher before batch `batch` of epoch `epoch`, to resume
// an interrupted run exactly.
func (b *Batcher) Seek(epoch, batch int) error {
	if epoch < 0 || batch < 0 || batch > b.nBatch {
		return fmt.Errorf("batcher %s: cannot seek to epoch %d batch %d (epochs >= 0, batches 0..%d)", b.ds.Name, epoch, batch, b.nBatch)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.epoch, b.next, b.finished = epoch, batch, false
	b.stopLocked()
	return nil
}

// Close stops the background workers.
func (b *Batcher) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stopLocked()
}

// Order returns the dataset indices in the order epoch visits them.
func (b *Batcher) Order(epoch int) []int {
	order := append([]int(nil), b.idx...)
	if b.cfg.Shuffle {
		rng := rand.New(rand.NewPCG(b.cfg.Seed, mix(uint64(epoch), 0x0bde5)))
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	return order
}

// mix is SplitMix64's finaliser over a⊕b, to derive independent streams.
func mix(a, b uint64) uint64 {
	z := a*0x9e3779b97f4a7c15 ^ b
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// SampleRNG returns the generator that augments dataset sample index in epoch.
func (b *Batcher) SampleRNG(epoch, index int) *rand.Rand {
	return rand.New(rand.NewPCG(mix(b.cfg.Seed, uint64(epoch)+1), uint64(index)))
}

// NextBatch returns the next host-side batch, or io.EOF at the end of an epoch
// (unless Repeat is set).
func (b *Batcher) NextBatch() (*Batch, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished {
		return nil, io.EOF
	}
	if b.next >= b.nBatch {
		if !b.cfg.Repeat {
			b.finished = true
			b.stopLocked()
			return nil, io.EOF
		}
		b.epoch, b.next = b.epoch+1, 0
		b.stopLocked()
	}
	if b.prod == nil {
		b.prod = b.startProducer(b.epoch, b.next)
	}
	res, ok := <-b.prod.out
	if !ok {
		return nil, errors.New("batcher: producer stopped unexpectedly")
	}
	if res.err != nil {
		b.stopLocked()
		return nil, res.err
	}
	b.next++
	if b.next >= b.nBatch && !b.cfg.Repeat {
		b.stopLocked()
	}
	return res.batch, nil
}

// Yield implements train.Dataset.
func (b *Batcher) Yield() (spec any, inputs, labels []*tensors.Tensor, err error) {
	batch, err := b.NextBatch()
	if err != nil {
		return nil, nil, nil, err
	}
	img := tensors.FromFlatDataAndDimensions(batch.Images, batch.N, batch.H, batch.W, batch.C)
	lbl := tensors.FromFlatDataAndDimensions(batch.Labels, batch.N, 1)
	return nil, []*tensors.Tensor{img}, []*tensors.Tensor{lbl}, nil
}

type result struct {
	batch *Batch
	err   error
}

type producer struct {
	out  chan result
	stop chan struct{}
	done chan struct{}
}

func (b *Batcher) stopLocked() {
	if b.prod != nil {
		close(b.prod.stop)
		<-b.prod.done
		b.prod = nil
	}
}

// startProducer prepares batches first.. of epoch in the background.
func (b *Batcher) startProducer(epoch, first int) *producer {
	p := &producer{out: make(chan result, b.cfg.Prefetch), stop: make(chan struct{}), done: make(chan struct{})}
	order := b.Order(epoch)
	go func() {
		defer close(p.done)
		defer close(p.out)
		for k := first; k < b.nBatch; k++ {
			lo := k * b.cfg.BatchSize
			hi := min(lo+b.cfg.BatchSize, len(order))
			batch, err := b.build(epoch, order[lo:hi])
			select {
			case p.out <- result{batch, err}:
			case <-p.stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return p
}

// build augments and normalises the samples in parallel.
func (b *Batcher) build(epoch int, indices []int) (*Batch, error) {
	n := len(indices)
	c := b.ds.C
	per := b.h * b.w * c
	batch := &Batch{Images: make([]float32, n*per), Labels: make([]int32, n),
		Indices: append([]int(nil), indices...), N: n, H: b.h, W: b.w, C: c}
	workers := min(b.cfg.Workers, n)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for wk := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := wk; j < n; j += workers {
				if err := b.sample(epoch, indices[j], batch.Images[j*per:(j+1)*per]); err != nil {
					errs[wk] = err
					return
				}
				batch.Labels[j] = b.ds.Labels[indices[j]]
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return batch, nil
}

// sample writes the augmented, normalised sample i into dst.
func (b *Batcher) sample(epoch, i int, dst []float32) error {
	img := b.ds.Image(i)
	if b.cfg.Augment.IsIdentity() {
		b.ds.Norm.NormalizeTo(dst, img.Pix)
		return nil
	}
	out, hole, err := b.cfg.Augment.Apply(img, b.SampleRNG(epoch, i))
	if err != nil {
		return fmt.Errorf("batcher %s: sample %d: %w", b.ds.Name, i, err)
	}
	b.ds.Norm.NormalizeTo(dst, out.Pix)
	// Cutout after normalisation, as in the reference pipeline: the hole is 0
	// in normalised space.
	for y := hole.Y0; y < hole.Y1; y++ {
		clear(dst[(y*out.W+hole.X0)*out.C : (y*out.W+hole.X1)*out.C])
	}
	return nil
}
