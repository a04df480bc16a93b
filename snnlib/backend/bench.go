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
	"github.com/gomlx/gomlx/pkg/core/graph"
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
	run := func() error {
		out, err := exec.Exec(x, y)
		if err != nil {
			return fmt.Errorf("MatMulGFLOPS: %w", err)
		}
		for _, t := range out {
			t.MaterializeLocal()
			if err := t.FinalizeAll(); err != nil {
				return err
			}
		}
		return nil
	}
	if err := run(); err != nil { // compiles and moves the inputs to the device
		return 0, err
	}
	start := time.Now()
	for range reps {
		if err := run(); err != nil {
			return 0, err
		}
	}
	secs := time.Since(start).Seconds()
	return 2 * float64(n) * float64(n) * float64(n) * float64(reps) / secs / 1e9, nil
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
