// Package bench measures how fast a backend trains, evaluates and simulates a
// model of the zoo on random data (nqsnn bench), next to the backend
// package's own matmul and convolution timings.
package bench

import (
	"cmp"
	"io"
	"math/rand/v2"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/nqsnn/nqsnn/snnlib/backend"
	"github.com/nqsnn/nqsnn/snnlib/fit"
	"github.com/nqsnn/nqsnn/snnlib/record"
	"github.com/nqsnn/nqsnn/snnlib/snn"
)

// BenchResult is the speed of one model on one backend.
type BenchResult struct {
	Backend        string
	Model          string
	Batch          int
	TrainImagesSec float64 // training images per second (forward + backward + update)
	TrainGFLOPS    float64 // achieved, counting 3× the forward multiply-adds ×2 flops
	InferImagesSec float64 // ANN inference images per second
	SNNStepsSec    float64 // SNN simulation: images × time steps per second
	ForwardGFLOP   float64 // forward GFLOP per image
}

// repeatData yields the same batch n times per epoch.
type repeatData struct {
	images, labels *tensors.Tensor
	n, i           int
}

func (d *repeatData) Name() string { return "bench" }
func (d *repeatData) Reset()       { d.i = 0 }
func (d *repeatData) Yield() (any, []*tensors.Tensor, []*tensors.Tensor, error) {
	if d.i >= d.n {
		return nil, nil, nil, io.EOF
	}
	d.i++
	return nil, []*tensors.Tensor{d.images}, []*tensors.Tensor{d.labels}, nil
}

// BenchSpec says what Bench times.
type BenchSpec struct {
	Model    string // model name, e.g. resnet20
	Strategy string // "nq" draws noise every step; "qcfs" does not
	Noise    string // NQ noise sampler ("" = default)
	Example  []int  // shape of one image, e.g. 32, 32, 3
	Batch    int    // batch size
	Steps    int    // timed training steps
	Devices  int    // data-parallel devices (0 or 1: one)
	// SNNSteps is the T of the timed simulation (0: 4); StepsPerCall the time
	// steps per compiled call (0: snn.DefaultStepsPerCall).
	SNNSteps, StepsPerCall int
}

// Bench measures training, inference and SNN simulation speed of a model on
// random images, after one warm-up pass that compiles the graphs.
func Bench(b backends.Backend, spec BenchSpec) (*BenchResult, error) {
	cfg := record.DefaultConfig()
	cfg.Model, cfg.Strategy, cfg.Noise, cfg.Devices = spec.Model, spec.Strategy, spec.Noise, spec.Devices
	cfg.BatchSize = spec.Batch // validated against Devices below
	cfg = cfg.WithPreset()
	example, batch, steps := spec.Example, spec.Batch, spec.Steps
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := backend.CheckDevices(b, spec.Devices); err != nil {
		return nil, err
	}
	nw, err := cfg.Network(10)
	if err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(1, 2))
	img := make([]float32, batch*example[0]*example[1]*example[2])
	for i := range img {
		img[i] = float32(r.NormFloat64())
	}
	lab := make([]int32, batch)
	for i := range lab {
		lab[i] = int32(r.IntN(10))
	}
	data := &repeatData{images: tensors.FromFlatDataAndDimensions(img, append([]int{batch}, example...)...),
		labels: tensors.FromFlatDataAndDimensions(lab, batch, 1), n: steps}
	ctx := context.New()
	_, syn, err := nw.Describe(b, ctx, example)
	if err != nil {
		return nil, err
	}
	var macs float64
	for _, s := range syn {
		macs += s.MACs
	}
	res := &BenchResult{Backend: b.Name(), Model: spec.Model, Batch: batch, ForwardGFLOP: 2 * macs / 1e9}
	tr, err := fit.New(b, ctx, nw, fit.Config{Epochs: 1, Devices: spec.Devices})
	if err != nil {
		return nil, err
	}
	warm := &repeatData{images: data.images, labels: data.labels, n: 1}
	if _, err := trainSteps(tr, warm); err != nil {
		return nil, err
	}
	d, err := trainSteps(tr, data)
	if err != nil {
		return nil, err
	}
	res.TrainImagesSec = float64(batch*steps) / d.Seconds()
	res.TrainGFLOPS = res.TrainImagesSec * 3 * res.ForwardGFLOP
	if _, err := tr.EvalANN(warm, nil); err != nil {
		return nil, err
	}
	start := time.Now()
	if _, err := tr.EvalANN(data, nil); err != nil {
		return nil, err
	}
	res.InferImagesSec = float64(batch*steps) / time.Since(start).Seconds()
	sim, err := snn.NewSimulator(b, ctx, nw)
	if err != nil {
		return nil, err
	}
	if spec.StepsPerCall > 0 {
		sim.StepsPerCall(spec.StepsPerCall)
	}
	T := cmp.Or(spec.SNNSteps, 4)
	if _, err := sim.Evaluate(warm, T, nil); err != nil { // compiles every graph T needs
		return nil, err
	}
	start = time.Now()
	if _, err := sim.Evaluate(data, T, nil); err != nil {
		return nil, err
	}
	res.SNNStepsSec = float64(batch*steps*T) / time.Since(start).Seconds()
	return res, nil
}

func trainSteps(tr *fit.Trainer, data *repeatData) (time.Duration, error) {
	start := time.Now()
	if err := tr.TrainSteps(data); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}
