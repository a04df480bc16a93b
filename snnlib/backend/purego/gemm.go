package purego

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Blocking parameters of the float32 GEMM (BLIS-style): a 6x16 register tile, an A block of
// mcBlock x kcBlock (~96 KiB, stays in L2) and a B block of kcBlock x ncBlock (in L3).
const (
	mr      = 6
	nr      = 16
	kcBlock = 256
	mcBlock = 96
	ncBlock = 2048
)

// matrix is a strided read-only view of a float32 matrix: element (i, j) is
// data[off + i*rowStride + j*colStride].
type matrix struct {
	data                 []float32
	off                  int
	rowStride, colStride int
}

func (m matrix) at(i, j int) float32 { return m.data[m.off+i*m.rowStride+j*m.colStride] }

// aPacker supplies the left operand of sgemm by packing panels of it: rows [i0, i0+rows) x
// cols [p0, p0+kc) go to dst[r*kc+p] (one contiguous run per row), rows beyond `rows` zero. Besides a plain matrix, the
// convolution executor packs straight from the image (implicit im2col).
type aPacker interface {
	packA(dst []float32, i0, rows, p0, kc int)
}

func (m matrix) packA(dst []float32, i0, rows, p0, kc int) { packA(dst, m, i0, rows, p0, kc) }

// gemmParallelFlops is the problem size (2·m·n·k) above which one multiplication is split
// across goroutines; below it goroutine start-up costs more than it saves.
const gemmParallelFlops = 1 << 21

var packPool = sync.Pool{New: func() any { return new([]float32) }}

func getPack(n int) *[]float32 {
	p := packPool.Get().(*[]float32)
	if cap(*p) < n {
		*p = make([]float32, n)
	}
	*p = (*p)[:n]
	return p
}

// sgemm computes c[i*ldc+j] = Σ_p a(i,p)·b(p,j) for i<m, j<n (overwriting c), using up to
// `workers` goroutines.
func sgemm(m, n, k int, a aPacker, b matrix, c []float32, ldc int, workers int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		for i := range m {
			clear(c[i*ldc : i*ldc+n])
		}
		return
	}
	if 2*m*n*k < gemmParallelFlops {
		workers = 1
	}
	// Shrink row blocks when there are fewer than one per worker (e.g. the kernel gradient of
	// a convolution: few rows, very long contraction), so all workers get a share.
	mcEff := mcBlock
	if workers > 1 {
		mcEff = max(mr, min(mcBlock, roundUp((m+workers-1)/workers, mr)))
	}
	bPackPtr := getPack(kcBlock * min(roundUp(n, nr), ncBlock))
	defer packPool.Put(bPackPtr)
	bPack := *bPackPtr
	for jc := 0; jc < n; jc += ncBlock {
		nc := min(ncBlock, n-jc)
		for pc := 0; pc < k; pc += kcBlock {
			kc := min(kcBlock, k-pc)
			accumulate := pc > 0
			numPanels := (nc + nr - 1) / nr
			parallelFor(numPanels, workers, func(panel int) {
				packB(bPack[panel*kc*nr:(panel+1)*kc*nr], b, pc, kc, jc+panel*nr, min(nr, nc-panel*nr))
			})
			numBlocks := (m + mcEff - 1) / mcEff
			parallelFor(numBlocks, workers, func(block int) {
				ic := block * mcEff
				mc := min(mcEff, m-ic)
				aPackPtr := getPack(roundUp(mc, mr) * kc)
				aPack := *aPackPtr
				for ir := 0; ir < mc; ir += mr {
					a.packA(aPack[ir*kc:(ir+mr)*kc], ic+ir, min(mr, mc-ir), pc, kc)
				}
				var tile [mr * nr]float32
				for jr := 0; jr < nc; jr += nr {
					nTile := min(nr, nc-jr)
					bPanel := bPack[(jr/nr)*kc*nr:]
					for ir := 0; ir < mc; ir += mr {
						mTile := min(mr, mc-ir)
						aPanel := aPack[ir*kc:]
						cOff := (ic+ir)*ldc + jc + jr
						if mTile == mr && nTile == nr {
							microKernel(kc, aPanel, bPanel, c[cOff:], ldc, accumulate)
							continue
						}
						// Edge tile: compute the full tile into a scratch buffer and copy the valid part.
						microKernel(kc, aPanel, bPanel, tile[:], nr, false)
						for i := range mTile {
							row := c[cOff+i*ldc : cOff+i*ldc+nTile]
							if accumulate {
								for j := range row {
									row[j] += tile[i*nr+j]
								}
							} else {
								copy(row, tile[i*nr:i*nr+nTile])
							}
						}
					}
				}
				packPool.Put(aPackPtr)
			})
		}
	}
}

func roundUp(x, multiple int) int { return (x + multiple - 1) / multiple * multiple }

// packA copies rows [i0, i0+rows) x cols [p0, p0+kc) of a into dst as dst[r*kc+p],
// zero-filling rows beyond `rows`.
func packA(dst []float32, a matrix, i0, rows, p0, kc int) {
	dst = dst[:kc*mr]
	if rows < mr {
		clear(dst[rows*kc:])
	}
	for r := range rows {
		base := a.off + (i0+r)*a.rowStride + p0*a.colStride
		row := dst[r*kc : (r+1)*kc]
		if a.colStride == 1 {
			copy(row, a.data[base:base+kc])
			continue
		}
		for p := range row {
			row[p] = a.data[base+p*a.colStride]
		}
	}
}

// packB copies rows [p0, p0+kc) x cols [j0, j0+cols) of b into dst as dst[p*nr+j],
// zero-filling columns beyond `cols`.
func packB(dst []float32, b matrix, p0, kc, j0, cols int) {
	dst = dst[:kc*nr]
	if cols < nr {
		clear(dst)
	}
	for p := range kc {
		base := b.off + (p0+p)*b.rowStride + j0*b.colStride
		row := dst[p*nr : p*nr+cols]
		if b.colStride == 1 {
			copy(row, b.data[base:base+cols])
			continue
		}
		for j := range row {
			row[j] = b.data[base+j*b.colStride]
		}
	}
}

// parallelFor runs fn(0..n-1) on up to `workers` goroutines (the caller included).
func parallelFor(n, workers int, fn func(i int)) {
	workers = min(workers, n)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	work := func() {
		for {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			fn(i)
		}
	}
	wg.Add(workers - 1)
	for range workers - 1 {
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
}

// defaultWorkers is the number of goroutines a multiplication may use.
func defaultWorkers() int { return runtime.GOMAXPROCS(0) }

// microKernelGo is the portable 6x16 kernel: c[i*ldc+j] (+)= Σ_p a[i*kc+p]·b[p*nr+j].
func microKernelGo(kc int, a, b, c []float32, ldc int, accumulate bool) {
	var acc [mr][nr]float32
	a = a[:kc*mr]
	b = b[:kc*nr]
	for p := range kc {
		bRow := (*[nr]float32)(b[p*nr:])
		for i := range mr {
			ai := a[i*kc+p]
			accRow := &acc[i]
			for j := range nr {
				accRow[j] += ai * bRow[j]
			}
		}
	}
	for i := range mr {
		row := c[i*ldc : i*ldc+nr]
		if accumulate {
			for j := range row {
				row[j] += acc[i][j]
			}
		} else {
			copy(row, acc[i][:])
		}
	}
}
