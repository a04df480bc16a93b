package purego

import (
	"reflect"
	"runtime"
	"sync"
	_ "unsafe" // for go:linkname
	"weak"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// execFn has the layout of simplego's (unexported) nodeExecutor type.
type execFn = func(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, inputsOwned []bool) (*simplego.Buffer, error)

// simplegoNodeExecutors is simplego's per-op executor table. simplego offers no exported way to
// plug in a faster kernel, so the DotGeneral, ConvGeneral and Slice entries are swapped at init.
// The replacements only act on nodes built through a purego Builder (plain simplego graphs in
// the same process keep simplego's behaviour and speed); anything else, and anything the fast
// paths do not handle, goes to the original executor.
//
//go:linkname simplegoNodeExecutors github.com/gomlx/gomlx/backends/simplego.nodeExecutors
var simplegoNodeExecutors [backends.OpTypeLast]execFn

var simplegoDotGeneral, simplegoSlice, simplegoConvGeneral execFn

func init() {
	simplegoDotGeneral = simplegoNodeExecutors[backends.OpTypeDotGeneral]
	if simplegoDotGeneral != nil {
		simplegoNodeExecutors[backends.OpTypeDotGeneral] = execDotGeneral
	}
	simplegoConvGeneral = simplegoNodeExecutors[backends.OpTypeConvGeneral]
	if simplegoConvGeneral != nil {
		simplegoNodeExecutors[backends.OpTypeConvGeneral] = execConvGeneral
	}
	simplegoSlice = simplegoNodeExecutors[backends.OpTypeSlice]
	if simplegoSlice != nil {
		simplegoNodeExecutors[backends.OpTypeSlice] = execSlice
	}
}

// puregoBuilders holds the simplego builders wrapped by purego Builders, weakly: an entry is
// removed when its builder is garbage collected.
var puregoBuilders sync.Map // weak.Pointer[simplego.Builder] -> struct{}

func registerBuilder(b *simplego.Builder) {
	key := weak.Make(b)
	puregoBuilders.Store(key, struct{}{})
	runtime.AddCleanup(b, func(k weak.Pointer[simplego.Builder]) { puregoBuilders.Delete(k) }, key)
}

var builderPtrType = reflect.TypeOf((*simplego.Builder)(nil))

// fromPurego reports whether node was built through a purego Builder.
func fromPurego(node *simplego.Node) bool {
	f := reflect.ValueOf(node).Elem().FieldByName("builder")
	if !f.IsValid() || f.Type() != builderPtrType || f.IsNil() {
		return false
	}
	_, ok := puregoBuilders.Load(weak.Make((*simplego.Builder)(f.UnsafePointer())))
	return ok
}

// nodeDataInts reads the named []int fields of the struct that a simplego node's (unexported)
// data field points to; ok is false if the node does not have that layout, so that a GoMLX
// upgrade that changes it falls back to simplego's executors instead of misbehaving.
func nodeDataInts(node *simplego.Node, names ...string) (fields [][]int, ok bool) {
	v := reflect.ValueOf(node).Elem().FieldByName("data")
	if !v.IsValid() || v.Kind() != reflect.Interface || v.IsNil() {
		return nil, false
	}
	v = v.Elem()
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil, false
	}
	v = v.Elem()
	fields = make([][]int, len(names))
	for i, name := range names {
		f := v.FieldByName(name)
		if !f.IsValid() || f.Kind() != reflect.Slice || f.Type().Elem().Kind() != reflect.Int {
			return nil, false
		}
		fields[i] = make([]int, f.Len())
		for j := range fields[i] {
			fields[i][j] = int(f.Index(j).Int())
		}
	}
	return fields, true
}

// dotAxes reads the axes simplego stored in a DotGeneral node (a *dotGeneralNodeData).
func dotAxes(node *simplego.Node) (lhsContracting, lhsBatch, rhsContracting, rhsBatch []int, ok bool) {
	f, ok := nodeDataInts(node, "lhsContractingAxes", "lhsBatchAxes", "rhsContractingAxes", "rhsBatchAxes")
	if !ok {
		return nil, nil, nil, nil, false
	}
	return f[0], f[1], f[2], f[3], true
}

// execDotGeneral runs float32 DotGenerals in the rank-3 form emitted by Builder.DotGeneral
// with the blocked SGEMM; all others go to simplego's executor.
func execDotGeneral(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, inputsOwned []bool) (*simplego.Buffer, error) {
	if !fromPurego(node) {
		return simplegoDotGeneral(backend, node, inputs, inputsOwned)
	}
	if out, ok := fastDotGeneral(backend, node, inputs); ok {
		return out, nil
	}
	return simplegoDotGeneral(backend, node, inputs, inputsOwned)
}

func fastDotGeneral(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer) (*simplego.Buffer, bool) {
	if len(inputs) != 2 {
		return nil, false
	}
	ls, err1 := backend.BufferShape(inputs[0])
	rs, err2 := backend.BufferShape(inputs[1])
	if err1 != nil || err2 != nil || ls.DType != dtypes.Float32 || rs.DType != dtypes.Float32 || ls.Rank() != 3 || rs.Rank() != 3 {
		return nil, false
	}
	lc, lb, rc, rb, ok := dotAxes(node)
	if !ok || len(lc) != 1 || len(rc) != 1 || len(lb) != 1 || len(rb) != 1 || lb[0] != 0 || rb[0] != 0 {
		return nil, false
	}
	batch := ls.Dimensions[0]
	var m, k, n int
	var a, b matrix
	switch lc[0] {
	case 2: // [batch, M, K]
		m, k = ls.Dimensions[1], ls.Dimensions[2]
		a = matrix{rowStride: k, colStride: 1}
	case 1: // [batch, K, M]
		k, m = ls.Dimensions[1], ls.Dimensions[2]
		a = matrix{rowStride: 1, colStride: m}
	default:
		return nil, false
	}
	switch rc[0] {
	case 1: // [batch, K, N]
		n = rs.Dimensions[2]
		if rs.Dimensions[1] != k {
			return nil, false
		}
		b = matrix{rowStride: n, colStride: 1}
	case 2: // [batch, N, K]
		n = rs.Dimensions[1]
		if rs.Dimensions[2] != k {
			return nil, false
		}
		b = matrix{rowStride: 1, colStride: k}
	default:
		return nil, false
	}
	if rs.Dimensions[0] != batch {
		return nil, false
	}
	lhsFlat, err1 := backend.BufferData(inputs[0])
	rhsFlat, err2 := backend.BufferData(inputs[1])
	if err1 != nil || err2 != nil {
		return nil, false
	}
	a.data, _ = lhsFlat.([]float32)
	b.data, _ = rhsFlat.([]float32)
	if len(a.data) != batch*m*k || len(b.data) != batch*k*n {
		return nil, false
	}
	output := backend.NewBuffer(shapes.Make(dtypes.Float32, batch, m, n))
	if output == nil {
		return nil, false
	}
	outFlat, err := backend.BufferData(output)
	if err != nil {
		return nil, false
	}
	c := outFlat.([]float32)
	batchedSGEMM(batch, m, n, k, a, b, c)
	return output, true
}

// batchedSGEMM multiplies `batch` pairs of matrices stored back to back; small products are
// spread across goroutines one matrix each, large ones are split internally.
func batchedSGEMM(batch, m, n, k int, a, b matrix, c []float32) {
	workers := defaultWorkers()
	one := func(i int, w int) {
		ai, bi := a, b
		ai.off, bi.off = i*m*k, i*k*n
		sgemm(m, n, k, ai, bi, c[i*m*n:(i+1)*m*n], n, w)
	}
	if batch > 1 && 2*m*n*k < gemmParallelFlops {
		parallelFor(batch, workers, func(i int) { one(i, 1) })
		return
	}
	for i := range batch {
		one(i, workers)
	}
}
