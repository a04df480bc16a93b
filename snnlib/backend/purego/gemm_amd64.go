package purego

import "golang.org/x/sys/cpu"

// hasSIMDKernel reports whether the AVX2/FMA micro-kernel can run on this CPU.
var hasSIMDKernel = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// useSIMDKernel selects the assembly micro-kernel; tests turn it off to check the Go one.
var useSIMDKernel = hasSIMDKernel

//go:noescape
func sgemmKernel6x16(k int, a, b, c *float32, ldc int, accumulate int)

// microKernel computes one 6x16 tile: c[i*ldc+j] (+)= Σ_p a[i*kc+p]·b[p*16+j].
func microKernel(kc int, a, b, c []float32, ldc int, accumulate bool) {
	if !useSIMDKernel {
		microKernelGo(kc, a, b, c, ldc, accumulate)
		return
	}
	_ = a[kc*mr-1]
	_ = b[kc*nr-1]
	_ = c[(mr-1)*ldc+nr-1]
	acc := 0
	if accumulate {
		acc = 1
	}
	sgemmKernel6x16(kc, &a[0], &b[0], &c[0], ldc, acc)
}
