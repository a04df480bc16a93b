package snn_test

import (
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nqsnn/nqsnn/snnlib/backend"
	"github.com/nqsnn/nqsnn/snnlib/model"
	"github.com/nqsnn/nqsnn/snnlib/snn"
)

// The pure-Go backend sizes its buffers by the graph outputs, so every graph
// the simulator builds must use all its inputs (regression: ResNet-20's init
// graph panicked with "index out of range").
func TestSimulatorOnPureGo(t *testing.T) {
	b, _, err := backend.New("go")
	require.NoError(t, err)
	sim, err := snn.NewSimulator(b, context.New(), nqNetwork(t, model.ResNet20, 10, 4))
	require.NoError(t, err)
	img := tensors.FromFlatDataAndDimensions(make([]float32, 2*8*8*3), 2, 8, 8, 3)
	lab := tensors.FromFlatDataAndDimensions([]int32{0, 1}, 2)
	res, err := sim.RunBatch(img, lab, 2)
	require.NoError(t, err)
	res.Window.Free()
	assert.Len(t, res.Spikes[1], 19, "ResNet-20 has 19 activation sites")
	layers, err := sim.Probe(img, lab, 2, 4)
	require.NoError(t, err)
	assert.Len(t, layers, 19)
}
