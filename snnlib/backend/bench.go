package backend

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// MatMulGFLOPS measures the float32 matrix multiplication throughput of b: it multiplies two
// n×n matrices reps times (after one untimed run that compiles the graph) and returns
// 2·n³·reps / seconds / 1e9. Each result is copied back to the host, so the time includes
// waiting for the device to finish.
func MatMulGFLOPS(b backends.Backend, n, reps int) (gflops float64, err error) {
	if n <= 0 || reps <= 0 {
		return 0, fmt.Errorf("MatMulGFLOPS: n=%d and reps=%d must be positive", n, reps)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("MatMulGFLOPS on %s: %v", b.Name(), r)
		}
	}()
	rng := rand.New(rand.NewPCG(1, 2))
	data := func() *tensors.Tensor {
		v := make([]float32, n*n)
		for i := range v {
			v[i] = rng.Float32() - 0.5
		}
		return tensors.FromFlatDataAndDimensions(v, n, n)
	}
	x, y := data(), data()
	defer func() { _ = x.FinalizeAll(); _ = y.FinalizeAll() }()
	exec, err := graph.NewExec(b, func(x, y *graph.Node) *graph.Node { return graph.MatMul(x, y) })
	if err != nil {
		return 0, fmt.Errorf("MatMulGFLOPS: %w", err)
	}
	defer exec.Finalize()
	secs, err := timeExec(exec, reps, x, y)
	if err != nil {
		return 0, fmt.Errorf("MatMulGFLOPS: %w", err)
	}
	return 2 * float64(n) * float64(n) * float64(n) / secs / 1e9, nil
}

// PeakRSS returns the process's peak resident set size in bytes (VmHWM in
// /proc/self/status), or 0 where that is not available (non-Linux systems).
func PeakRSS() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer func() { _ = f.Close() }()
	return parseVmHWM(bufio.NewScanner(f))
}

// parseVmHWM finds the "VmHWM:   1234 kB" line.
func parseVmHWM(s *bufio.Scanner) uint64 {
	for s.Scan() {
		rest, ok := strings.CutPrefix(s.Text(), "VmHWM:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0
		}
		kb, err := strconv.ParseUint(fields[0], 10, 64)
		if err != nil {
			return 0
		}
		return kb * 1024
	}
	return 0
}

// ConvResult is the throughput of one 3×3 convolution layer's three
// computations in a training step, in GFLOP/s (2 flops per multiply-add).
type ConvResult struct {
	Forward    float64 // y = x ⊛ w
	InputGrad  float64 // ∂L/∂x, a transposed convolution
	KernelGrad float64 // ∂L/∂w, a convolution that contracts over the batch
}

// ConvGFLOPS times a 3×3, stride-1, "same"-padded convolution of a
// [batch, size, size, channels] input to as many output channels, its input
// gradient and its kernel gradient on b, reps runs each after one untimed run.
func ConvGFLOPS(b backends.Backend, batch, size, channels, reps int) (res ConvResult, err error) {
	if batch <= 0 || size <= 0 || channels <= 0 || reps <= 0 {
		return res, fmt.Errorf("ConvGFLOPS: batch=%d, size=%d, channels=%d and reps=%d must be positive", batch, size, channels, reps)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("ConvGFLOPS on %s: %v", b.Name(), r)
		}
	}()
	rng := rand.New(rand.NewPCG(3, 4))
	random := func(dims ...int) *tensors.Tensor {
		t := tensors.FromShape(shapes.Make(dtypes.Float32, dims...))
		tensors.MutableFlatData(t, func(v []float32) {
			for i := range v {
				v[i] = rng.Float32() - 0.5
			}
		})
		return t
	}
	x, w, v := random(batch, size, size, channels), random(3, 3, channels, channels), random(batch, size, size, channels)
	defer func() { _ = x.FinalizeAll(); _ = w.FinalizeAll(); _ = v.FinalizeAll() }()
	conv := func(x, w *graph.Node) *graph.Node { return graph.Convolve(x, w).PadSame().Done() }
	loss := func(x, w, v *graph.Node) *graph.Node { return graph.ReduceAllSum(graph.Mul(conv(x, w), v)) }
	flops := 2 * float64(batch) * float64(size*size) * 9 * float64(channels*channels)
	for _, c := range []struct {
		out *float64
		fn  func(x, w, v *graph.Node) *graph.Node
	}{
		{&res.Forward, func(x, w, v *graph.Node) *graph.Node { return conv(x, w) }},
		{&res.InputGrad, func(x, w, v *graph.Node) *graph.Node { return graph.Gradient(loss(x, w, v), x)[0] }},
		{&res.KernelGrad, func(x, w, v *graph.Node) *graph.Node { return graph.Gradient(loss(x, w, v), w)[0] }},
	} {
		exec, err := graph.NewExec(b, c.fn)
		if err != nil {
			return res, fmt.Errorf("ConvGFLOPS: %w", err)
		}
		secs, err := timeExec(exec, reps, x, w, v)
		exec.Finalize()
		if err != nil {
			return res, fmt.Errorf("ConvGFLOPS: %w", err)
		}
		*c.out = flops / secs / 1e9
	}
	return res, nil
}

// timeExec runs exec once untimed (compilation, transfers), then reps times,
// copying every result to the host, and returns the mean seconds per run.
func timeExec(exec *graph.Exec, reps int, args ...any) (float64, error) {
	run := func() error {
		out, err := exec.Exec(args...)
		if err != nil {
			return err
		}
		for _, t := range out {
			t.MaterializeLocal()
			if err := t.FinalizeAll(); err != nil {
				return err
			}
		}
		return nil
	}
	if err := run(); err != nil {
		return 0, err
	}
	start := time.Now()
	for range reps {
		if err := run(); err != nil {
			return 0, err
		}
	}
	return time.Since(start).Seconds() / float64(reps), nil
}
