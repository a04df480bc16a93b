package model

import (
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// GoMLX v0.26 differentiates a matrix product [i,j]·[j,k] by broadcasting the
// incoming gradient to [i,j,k], multiplying and summing an axis away: i·j·k
// memory and an elementwise loop where two matrix products do. For a batch of
// 128 through the small CNN's 2048→128 layer that is a 134 MB temporary per
// gradient (a third of its training step); through VGG-16's 4096→4096 layers,
// 8.6 GB. GoMLX lets its gradient table be changed, so every Dot of two
// matrices built in a process that uses this package gets the textbook
// gradient instead: dA = v·Bᵀ, dB = Aᵀ·v. Other ranks keep GoMLX's.
func init() {
	VJPRegistration[NodeTypeDot] = matrixProductVJP(VJPRegistration[NodeTypeDot])
}

// matrixProductVJP returns the gradient of Dot as two matrix products for
// rank-2 operands, and fallback's for the vector cases.
func matrixProductVJP(fallback VJP) VJP {
	return func(node *Node, vjps []*Node, outputShape shapes.Shape) []*Node {
		a, b := node.Inputs()[0], node.Inputs()[1]
		if a.Rank() != 2 || b.Rank() != 2 {
			return fallback(node, vjps, outputShape)
		}
		v := vjps[0] // [i, k]
		return []*Node{
			DotGeneral(v, []int{1}, nil, b, []int{1}, nil), // [i, j]
			DotGeneral(a, []int{0}, nil, v, []int{0}, nil), // [j, k]
		}
	}
}
