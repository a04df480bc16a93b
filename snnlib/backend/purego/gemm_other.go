//go:build !amd64

package purego

// hasSIMDKernel is false: only amd64 has an assembly micro-kernel.
var hasSIMDKernel = false

// useSIMDKernel is unused off amd64; kept so tests build everywhere.
var useSIMDKernel = false

// microKernel computes one 6x16 tile with the portable Go kernel.
func microKernel(kc int, a, b, c []float32, ldc int, accumulate bool) {
	microKernelGo(kc, a, b, c, ldc, accumulate)
}
