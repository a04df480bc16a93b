package snn

import (
	"errors"
	"fmt"
	"io"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
)

// NewANNEval compiles nw's ANN as an accuracy executor for EvalANN: images,
// labels -> number of correct predictions. Variables come from ctx's
// ModelScope; the graph is an evaluation graph (no training noise unless
// the strategy keeps it on at evaluation).
func NewANNEval(backend backends.Backend, ctx *context.Context, nw Network) (*context.Exec, error) {
	return context.NewExec(backend, ctx.In(ModelScope).Checked(false), func(ctx *context.Context, x, labels *Node) *Node {
		logits, _ := nw.ANN(ctx, x)
		pred := ArgMax(logits, 1, dtypes.Int32)
		labels = Reshape(ConvertDType(labels, dtypes.Int32), pred.Shape().Dimensions...)
		return ReduceAllSum(ConvertDType(Equal(pred, labels), dtypes.Int32))
	})
}

// EvalANN runs an accuracy executor (images, labels -> correct count) over ds.
func EvalANN(exec *context.Exec, ds train.Dataset, progress func(int)) (float64, error) {
	ds.Reset()
	defer ds.Reset()
	correct, n := 0, 0
	for {
		_, inputs, labels, err := ds.Yield()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("reading data set %q: %w", ds.Name(), err)
		}
		out, err := exec.Exec(inputs[0], labels[0])
		if err != nil {
			return 0, err
		}
		correct += int(tensors.ToScalar[int32](out[0]))
		out[0].FinalizeAll()
		n += inputs[0].Shape().Dimensions[0]
		if progress != nil {
			progress(n)
		}
	}
	if n == 0 {
		return 0, fmt.Errorf("data set %q yielded no examples", ds.Name())
	}
	return float64(correct) / float64(n), nil
}
