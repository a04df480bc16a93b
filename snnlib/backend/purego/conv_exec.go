package purego

import (
	"reflect"

	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// convPlan is a float32 convolution in terms of flat strides: input, kernel and output may
// have their batch/channel/spatial axes in any order.
type convPlan struct {
	numSpatial                    int
	batch, channels, outChannels  int
	groups                        int
	inSpatial, kSpatial, oSpatial []int
	strides, padLow, inDil, kDil  []int

	inBatchStride, inChStride   int
	inSpStride                  []int
	kInStride, kOutStride       int
	kSpStride                   []int
	outBatchStride, outChStride int
	outSpStride                 []int
}

// readConvPlan reads the parameters simplego stored in a ConvGeneral node (a *convNode) and
// the operand shapes; ok is false for layouts or features it does not handle.
func readConvPlan(node *simplego.Node, in, kernel shapes.Shape) (p convPlan, outShape shapes.Shape, ok bool) {
	v := reflect.ValueOf(node).Elem().FieldByName("data")
	if !v.IsValid() || v.Kind() != reflect.Interface || v.IsNil() {
		return
	}
	v = v.Elem()
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return
	}
	v = v.Elem()
	field := func(s reflect.Value, name string, kind reflect.Kind) (reflect.Value, bool) {
		f := s.FieldByName(name)
		return f, f.IsValid() && f.Kind() == kind
	}
	ints := func(s reflect.Value, name string) ([]int, bool) {
		f, ok := field(s, name, reflect.Slice)
		if !ok || f.Type().Elem().Kind() != reflect.Int {
			return nil, false
		}
		out := make([]int, f.Len())
		for i := range out {
			out[i] = int(f.Index(i).Int())
		}
		return out, true
	}
	integer := func(s reflect.Value, name string) (int, bool) {
		f, ok := field(s, name, reflect.Int)
		if !ok {
			return 0, false
		}
		return int(f.Int()), true
	}
	axes, ok1 := field(v, "axes", reflect.Struct)
	pads, ok2 := field(v, "paddings", reflect.Slice)
	strides, ok3 := ints(v, "strides")
	inDil, ok4 := ints(v, "inputDilations")
	kDil, ok5 := ints(v, "kernelDilations")
	groups, ok6 := integer(v, "channelGroupCount")
	batchGroups, ok7 := integer(v, "batchGroupCount")
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || batchGroups != 1 || groups < 1 {
		return
	}
	inBatch, okA := integer(axes, "InputBatch")
	inCh, okB := integer(axes, "InputChannels")
	inSp, okC := ints(axes, "InputSpatial")
	kIn, okD := integer(axes, "KernelInputChannels")
	kOut, okE := integer(axes, "KernelOutputChannels")
	kSp, okF := ints(axes, "KernelSpatial")
	outBatch, okG := integer(axes, "OutputBatch")
	outCh, okH := integer(axes, "OutputChannels")
	outSp, okI := ints(axes, "OutputSpatial")
	if !(okA && okB && okC && okD && okE && okF && okG && okH && okI) {
		return
	}
	ns := len(inSp)
	p.numSpatial = ns
	if in.Rank() != ns+2 || kernel.Rank() != ns+2 || len(kSp) != ns || len(outSp) != ns || len(strides) != ns ||
		pads.Len() != ns || len(inDil) != ns || (len(kDil) != ns && len(kDil) != 0) {
		return
	}
	if len(kDil) == 0 {
		kDil = ones(ns)
	}
	p.strides, p.inDil, p.kDil, p.groups = strides, inDil, kDil, groups
	p.padLow = make([]int, ns)
	padHigh := make([]int, ns)
	for i := range ns {
		pair := pads.Index(i)
		if pair.Kind() != reflect.Array || pair.Len() != 2 {
			return
		}
		p.padLow[i], padHigh[i] = int(pair.Index(0).Int()), int(pair.Index(1).Int())
	}
	inStrides, kStrides := in.Strides(), kernel.Strides()
	p.batch, p.channels = in.Dimensions[inBatch], in.Dimensions[inCh]
	p.inBatchStride, p.inChStride = inStrides[inBatch], inStrides[inCh]
	p.kInStride, p.kOutStride = kStrides[kIn], kStrides[kOut]
	p.outChannels = kernel.Dimensions[kOut]
	if p.channels != kernel.Dimensions[kIn]*groups || p.outChannels%groups != 0 {
		return
	}
	p.inSpatial, p.kSpatial, p.oSpatial = make([]int, ns), make([]int, ns), make([]int, ns)
	p.inSpStride, p.kSpStride = make([]int, ns), make([]int, ns)
	outDims := make([]int, ns+2)
	outDims[outBatch], outDims[outCh] = p.batch, p.outChannels
	for i := range ns {
		if strides[i] < 1 || inDil[i] < 1 || kDil[i] < 1 {
			return
		}
		p.inSpatial[i], p.inSpStride[i] = in.Dimensions[inSp[i]], inStrides[inSp[i]]
		p.kSpatial[i], p.kSpStride[i] = kernel.Dimensions[kSp[i]], kStrides[kSp[i]]
		dilated := (p.inSpatial[i]-1)*inDil[i] + 1 + p.padLow[i] + padHigh[i]
		effK := (p.kSpatial[i]-1)*kDil[i] + 1
		if p.inSpatial[i] < 1 || dilated < effK {
			return
		}
		p.oSpatial[i] = (dilated-effK)/strides[i] + 1
		outDims[outSp[i]] = p.oSpatial[i]
	}
	outShape = shapes.Make(dtypes.Float32, outDims...)
	outStrides := outShape.Strides()
	p.outBatchStride, p.outChStride = outStrides[outBatch], outStrides[outCh]
	p.outSpStride = make([]int, ns)
	for i := range ns {
		p.outSpStride[i] = outStrides[outSp[i]]
	}
	return p, outShape, true
}

// execConvGeneral runs float32 convolutions as one implicit-im2col GEMM per channel group:
// the patches matrix [batch·outSpatial, kernelSpatial·channels] is never materialized, the
// GEMM's panel packing reads it straight from the image. Other convolutions go to simplego.
func execConvGeneral(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, inputsOwned []bool) (*simplego.Buffer, error) {
	if !fromPurego(node) {
		return simplegoConvGeneral(backend, node, inputs, inputsOwned)
	}
	if out, ok := fastConvGeneral(backend, node, inputs); ok {
		return out, nil
	}
	return simplegoConvGeneral(backend, node, inputs, inputsOwned)
}

func fastConvGeneral(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer) (*simplego.Buffer, bool) {
	if len(inputs) != 2 {
		return nil, false
	}
	inShape, err1 := backend.BufferShape(inputs[0])
	kShape, err2 := backend.BufferShape(inputs[1])
	if err1 != nil || err2 != nil || inShape.DType != dtypes.Float32 || kShape.DType != dtypes.Float32 {
		return nil, false
	}
	plan, outShape, ok := readConvPlan(node, inShape, kShape)
	if !ok {
		return nil, false
	}
	inFlat, err1 := backend.BufferData(inputs[0])
	kFlat, err2 := backend.BufferData(inputs[1])
	if err1 != nil || err2 != nil {
		return nil, false
	}
	output := backend.NewBuffer(outShape)
	if output == nil {
		return nil, false
	}
	outFlat, err := backend.BufferData(output)
	if err != nil {
		return nil, false
	}
	plan.run(inFlat.([]float32), kFlat.([]float32), outFlat.([]float32))
	return output, true
}

// channelsLast returns x copied to [batch, spatial..., channels] and the plan adjusted to it.
// Packing reads runs of channels, so when they are not contiguous in memory (e.g. the kernel
// gradient, whose "channels" are the batch axis) one transposing pass is far cheaper than
// the cache misses of gathering every patch element.
func (p convPlan) channelsLast(x []float32) (convPlan, []float32) {
	ns := p.numSpatial
	spatialSize := product(p.inSpatial)
	dst := make([]float32, p.batch*spatialSize*p.channels)
	spOff := make([]int, 0, spatialSize)
	forEachIndex(p.inSpatial, func(idx []int) {
		off := 0
		for a := range ns {
			off += idx[a] * p.inSpStride[a]
		}
		spOff = append(spOff, off)
	})
	// Spatial position outermost: the source cache lines of one position are reused across
	// the whole batch before moving on.
	const chunk = 64
	parallelFor((spatialSize+chunk-1)/chunk, defaultWorkers(), func(ci int) {
		for sp := ci * chunk; sp < min((ci+1)*chunk, spatialSize); sp++ {
			for n := range p.batch {
				src := n*p.inBatchStride + spOff[sp]
				row := dst[(n*spatialSize+sp)*p.channels : (n*spatialSize+sp+1)*p.channels]
				for c := range row {
					row[c] = x[src+c*p.inChStride]
				}
			}
		}
	})
	p.inBatchStride, p.inChStride = spatialSize*p.channels, 1
	p.inSpStride = make([]int, ns)
	stride := p.channels
	for a := ns - 1; a >= 0; a-- {
		p.inSpStride[a] = stride
		stride *= p.inSpatial[a]
	}
	return p, dst
}

// run computes the convolution of x with kernel into out (all laid out as the plan says).
func (p *convPlan) run(x, kernel, out []float32) {
	if p.inChStride != 1 {
		var q convPlan
		q, x = p.channelsLast(x)
		p = &q
	}
	ns := p.numSpatial
	numK, numO := product(p.kSpatial), product(p.oSpatial)
	cg, og := p.channels/p.groups, p.outChannels/p.groups
	rows, depth := p.batch*numO, numK*cg

	// Per kernel position: the offset it adds to each (dilated, padded) input coordinate, and
	// its flat offset in the kernel tensor. Per output position: its first input coordinate.
	kShift, kFlatOff := make([]int, numK*ns), make([]int, numK)
	k := 0
	forEachIndex(p.kSpatial, func(idx []int) {
		for i := range ns {
			kShift[k*ns+i] = idx[i] * p.kDil[i]
			kFlatOff[k] += idx[i] * p.kSpStride[i]
		}
		k++
	})
	oStart, oFlatOff := make([]int, numO*ns), make([]int, numO)
	o := 0
	forEachIndex(p.oSpatial, func(idx []int) {
		for i := range ns {
			oStart[o*ns+i] = idx[i]*p.strides[i] - p.padLow[i]
			oFlatOff[o] += idx[i] * p.outSpStride[i]
		}
		o++
	})

	// The GEMM writes [rows, outChannels] row-major; that is the output itself when the
	// output is laid out [batch, spatial..., channels].
	canonical := p.outChStride == 1 && p.outBatchStride == numO*p.outChannels
	for i := range numO {
		canonical = canonical && oFlatOff[i] == i*p.outChannels
	}
	result := out
	if !canonical {
		result = make([]float32, rows*p.outChannels)
	}
	weights := make([]float32, depth*og)
	for g := range p.groups {
		for k := range numK {
			for c := range cg {
				src := kFlatOff[k] + c*p.kInStride + g*og*p.kOutStride
				row := weights[(k*cg+c)*og : (k*cg+c+1)*og]
				for j := range row {
					row[j] = kernel[src+j*p.kOutStride]
				}
			}
		}
		a := &convPacker{plan: p, x: x, group: g, numO: numO, cg: cg, kShift: kShift, oStart: oStart}
		sgemm(rows, og, depth, a, matrix{data: weights, rowStride: og, colStride: 1}, result[g*og:], p.outChannels, defaultWorkers())
	}
	if !canonical {
		for n := range p.batch {
			for o := range numO {
				src := result[(n*numO+o)*p.outChannels : (n*numO+o+1)*p.outChannels]
				base := n*p.outBatchStride + oFlatOff[o]
				for c, v := range src {
					out[base+c*p.outChStride] = v
				}
			}
		}
	}
}

// convPacker packs panels of the virtual patches matrix of one channel group:
// row (n, o), column (k, c) holds x[n, o·stride + k·kernelDilation - padLow (undilated), g·cg + c]
// or 0 where that falls on padding or between dilated input elements.
type convPacker struct {
	plan     *convPlan
	x        []float32
	group    int
	numO, cg int
	kShift   []int
	oStart   []int
}

func (a *convPacker) packA(dst []float32, i0, rows, p0, kc int) {
	p := a.plan
	ns := p.numSpatial
	dst = dst[:kc*mr]
	if rows < mr {
		clear(dst[rows*kc:])
	}
	chBase := a.group * a.cg * p.inChStride
	for r := range rows {
		row := i0 + r
		n, o := row/a.numO, row%a.numO
		start := a.oStart[o*ns : (o+1)*ns]
		dstRow := dst[r*kc : (r+1)*kc]
		k, c := p0/a.cg, p0%a.cg
		for col := p0; col < p0+kc; k, c = k+1, 0 {
			run := min(a.cg-c, p0+kc-col)
			out := dstRow[col-p0 : col-p0+run]
			off, valid := n*p.inBatchStride+chBase, true
			shift := a.kShift[k*ns : (k+1)*ns]
			for i := range ns {
				pos := start[i] + shift[i]
				if d := p.inDil[i]; d > 1 {
					if pos < 0 || pos%d != 0 {
						valid = false
						break
					}
					pos /= d
				}
				if uint(pos) >= uint(p.inSpatial[i]) {
					valid = false
					break
				}
				off += pos * p.inSpStride[i]
			}
			switch {
			case !valid: // padding, or between dilated input elements
				clear(out)
			case p.inChStride == 1:
				copy(out, a.x[off+c:off+c+run])
			default:
				src := off + c*p.inChStride
				for t := range out {
					out[t] = a.x[src+t*p.inChStride]
				}
			}
			col += run
		}
	}
}
