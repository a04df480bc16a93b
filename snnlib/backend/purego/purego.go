// Package purego is a pure-Go GoMLX backend able to train convolutional networks.
//
// It wraps GoMLX's own pure-Go backend (simplego, registered as "go") and adds what a CNN
// training loop needs but simplego lacks: Reverse, Pad, SelectAndScatterMax/Min, the three
// BatchNorm ops, a ConvGeneral lowered to im2col + matrix multiplication (default strides and
// dilations, input/kernel dilation, negative padding, channel groups), and a packed,
// cache-blocked float32 matrix multiplication (AVX2/FMA assembly on amd64) that runs on all cores.
//
// The missing ops are composed from ops simplego already executes, so the graphs still run on
// simplego's executor. For nodes built by this backend three simplego executors are replaced
// (simplego has no exported hook; see hook.go): DotGeneral, whose float32 rank-3 form (the one
// this package's builder emits) runs on the blocked SGEMM; ConvGeneral (float32), run as an
// implicit im2col feeding the same SGEMM; and Slice, which copies contiguous runs instead of
// single elements. Graphs built on plain simplego keep simplego's executors.
//
// Importing the package registers the backend as "purego", so GOMLX_BACKEND=purego selects it:
//
//	import _ "github.com/nqsnn/nqsnn/snnlib/backend/purego"
package purego

import (
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/pkg/errors"
)

// BackendName is the name under which the backend is registered (GOMLX_BACKEND=purego).
const BackendName = "purego"

func init() {
	backends.Register(BackendName, NewWithConfig)
}

// Backend is a simplego backend whose builders supply the ops simplego lacks.
type Backend struct {
	*simplego.Backend
}

var _ backends.Backend = (*Backend)(nil)

// New returns a purego backend with simplego's default configuration.
func New() backends.Backend {
	b, err := NewWithConfig("")
	if err != nil {
		// The empty configuration is always valid for simplego.
		panic(err)
	}
	return b
}

// NewWithConfig returns a purego backend; config is passed to simplego unchanged
// (e.g. "parallelism=2,ops_sequential").
func NewWithConfig(config string) (backends.Backend, error) {
	inner, err := simplego.New(config)
	if err != nil {
		return nil, errors.WithMessage(err, "purego backend")
	}
	sg, ok := inner.(*simplego.Backend)
	if !ok {
		return nil, errors.Errorf("purego backend: simplego.New returned %T, expected *simplego.Backend", inner)
	}
	return &Backend{Backend: sg}, nil
}

// Name returns the backend's short name.
func (b *Backend) Name() string { return BackendName }

// String returns the backend's short name.
func (b *Backend) String() string { return BackendName }

// Description describes the backend.
func (b *Backend) Description() string {
	return "Pure Go backend (simplego + conv/pad/reverse/batch-norm/select-and-scatter + fast SGEMM)"
}

// addedOps are the ops this package supplies on top of simplego.
var addedOps = []backends.OpType{
	backends.OpTypeReverse,
	backends.OpTypePad,
	backends.OpTypeSelectAndScatterMax,
	backends.OpTypeSelectAndScatterMin,
	backends.OpTypeBatchNormForTraining,
	backends.OpTypeBatchNormForInference,
	backends.OpTypeBatchNormGradient,
	backends.OpTypeConvGeneral,
	backends.OpTypeDotGeneral,
}

// Capabilities returns simplego's capabilities plus the ops added here.
func (b *Backend) Capabilities() backends.Capabilities {
	c := simplego.Capabilities.Clone()
	for _, op := range addedOps {
		c.Operations[op] = true
	}
	return c
}

// Builder returns a builder for a new computation.
func (b *Backend) Builder(name string) backends.Builder {
	inner := b.Backend.Builder(name).(*simplego.Builder)
	registerBuilder(inner)
	return &Builder{Builder: inner}
}

// Builder wraps simplego's Builder: ops it lacks are composed from the ops it has.
// All nodes belong to the embedded simplego builder, so compilation and execution are simplego's.
type Builder struct {
	*simplego.Builder
}

var _ backends.Builder = (*Builder)(nil)
