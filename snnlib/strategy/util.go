package strategy

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

func scalarShape() shapes.Shape { return shapes.Make(dtypes.Float32) }

func scalarTensor(v float64) *tensors.Tensor { return tensors.FromValue(float32(v)) }
