package snn

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

func imagesShape(batch int, example []int) shapes.Shape {
	return shapes.Make(dtypes.Float32, append([]int{batch}, example...)...)
}

// TryCatchError runs fn and turns a panic (GoMLX reports graph-building errors
// by panicking) into an error.
func TryCatchError(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = e
			} else {
				err = fmt.Errorf("%v", r)
			}
		}
	}()
	fn()
	return nil
}

func errorf(format string, args ...any) error { return fmt.Errorf("snn: "+format, args...) }
