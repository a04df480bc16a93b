// Package testutil holds helpers shared by snnlib's tests: a backend and a
// tiny in-memory data set.
package testutil

import (
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/nqsnn/nqsnn/snnlib/backend"
)

var (
	once sync.Once
	be   backends.Backend
	desc string
	berr error
)

// Backend returns the backend tests run on, chosen like everywhere else in
// nqsnn (backend.New with $NQSNN_BACKEND, default auto: XLA when a plugin is
// installed, else the pure-Go backend). It logs the choice once.
func Backend(t testing.TB) backends.Backend {
	once.Do(func() {
		var c backend.Choice
		be, c, berr = backend.New("")
		desc = c.Description
	})
	if berr != nil {
		t.Fatalf("backend: %v", berr)
	}
	t.Logf("backend: %s", desc)
	return be
}

// Data is a tiny in-memory train.Dataset of images [N, H, W, C] and labels [N, 1].
type Data struct {
	Images     []float32
	Labels     []int32
	N, H, W, C int
	Batch      int
	pos        int
}

// Name implements train.Dataset.
func (d *Data) Name() string { return "testdata" }

// Reset implements train.Dataset.
func (d *Data) Reset() { d.pos = 0 }

// Yield implements train.Dataset.
func (d *Data) Yield() (any, []*tensors.Tensor, []*tensors.Tensor, error) {
	if d.pos >= d.N {
		return nil, nil, nil, io.EOF
	}
	end := min(d.pos+d.Batch, d.N)
	sz := d.H * d.W * d.C
	imgs := tensors.FromFlatDataAndDimensions(append([]float32(nil), d.Images[d.pos*sz:end*sz]...), end-d.pos, d.H, d.W, d.C)
	labels := tensors.FromFlatDataAndDimensions(append([]int32(nil), d.Labels[d.pos:end]...), end-d.pos, 1)
	d.pos = end
	return nil, []*tensors.Tensor{imgs}, []*tensors.Tensor{labels}, nil
}

// Blobs makes n learnable images: class k lights up the k-th horizontal band
// of the image (plus Gaussian noise), so a small CNN separates them quickly.
func Blobs(n, classes, h, w, c, batch int, seed uint64) *Data {
	r := rand.New(rand.NewPCG(seed, 7))
	d := &Data{N: n, H: h, W: w, C: c, Batch: batch, Images: make([]float32, n*h*w*c), Labels: make([]int32, n)}
	band := max(1, h/classes)
	for i := range n {
		k := r.IntN(classes)
		d.Labels[i] = int32(k)
		for y := range h {
			for x := range w {
				for ch := range c {
					v := float32(r.NormFloat64() * 0.5)
					if y/band == k {
						v += 1.5
					}
					d.Images[((i*h+y)*w+x)*c+ch] = v
				}
			}
		}
	}
	return d
}

// Run compiles graphFn (any graph.Exec-compatible function) and runs it once.
func Run(t testing.TB, b backends.Backend, graphFn any, args ...any) []*tensors.Tensor {
	t.Helper()
	e, err := graph.NewExecAny(b, graphFn)
	if err != nil {
		t.Fatalf("compiling graph: %v", err)
	}
	out, err := e.Exec(args...)
	if err != nil {
		t.Fatalf("running graph: %v", err)
	}
	return out
}
