// Package model defines the networks nqsnn converts and the small builder they
// are written with.
//
// A network is a plain graph-building function over a [Net]. The Net owns the
// activation sites: every call to [Net.Act] hands the pre-activation to an
// [ActFn] chosen by the caller, so the same model code trains the ANN (with
// QCFS/NQ or ReLU activations) and runs the converted SNN (with spiking
// neurons) — conversion is a change of ActFn, not a rewrite of the network.
package model

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/gomlx/gomlx/pkg/ml/layers"
)

// ActFn computes an activation site. ctx is scoped to the site ("act00",
// "act01", ...) so per-layer variables (λ, σ, thresholds) live there; index is
// the site's position in network order.
type ActFn func(ctx *context.Context, index int, x *Node) *Node

// BatchNormMomentum is the weight of the new batch in the running averages
// (PyTorch's convention and default).
const BatchNormMomentum = 0.1

// BatchNormEpsilon is added to the variance before normalising.
const BatchNormEpsilon = 1e-5

// Synapse describes a weighted layer (convolution or dense) of a built
// network, for counting synaptic operations.
type Synapse struct {
	Name    string  // scope of the layer, e.g. "conv03"
	Kind    string  // "conv" or "dense"
	Input   int     // index of the activation site feeding it; -1 for the analog image
	InSize  int     // input elements per example
	OutSize int     // output elements per example
	MACs    float64 // multiply-accumulates per example
}

// FanOut is the mean number of synaptic operations one input element
// triggers: MACs / InSize (exact up to border effects of padded convolutions).
func (s Synapse) FanOut() float64 { return s.MACs / float64(s.InSize) }

// Site describes an activation site of a built network.
type Site struct {
	Name  string // scope, e.g. "act03"
	Shape []int  // per-example shape of the activation (without batch axis)
}

// Net builds a network. Create it with [NewNet], call its layer methods from a
// model function, then read Sites and Synapses.
type Net struct {
	ctx      *context.Context
	act      ActFn
	fold     bool
	dropout  float64
	init     Init
	convs    convFamily
	Sites    []Site    // activation sites, in order
	Synapses []Synapse // weighted layers, in order
	source   map[*Node]int
	counter  map[string]int
}

// NewNet starts a network whose activation sites are computed by act.
// Variables are created under ctx (unchecked, so a context loaded from a
// checkpoint is reused as is).
func NewNet(ctx *context.Context, act ActFn) *Net {
	return &Net{ctx: ctx.Checked(false), act: act, init: DefaultInit, source: map[*Node]int{}, counter: map[string]int{}}
}

// Init sets the weight initialisation scheme of variables created from now on
// ("" keeps DefaultInit). Variables that already exist (a loaded or trained
// model) are not touched.
func (n *Net) Init(scheme Init) *Net {
	if scheme != "" {
		n.init = scheme
	}
	return n
}

// KaimingFanOutConvs makes the reference initialisation of later convolutions
// Kaiming-normal on fan_out with zero dense biases, as the reference VGG-16
// does; model functions call it before their first layer.
func (n *Net) KaimingFanOutConvs() { n.convs = convKaimingFanOut }

// FoldBatchNorm makes ConvBN fold batch normalisation (running statistics)
// into the convolution's weights and bias, as the converted SNN does.
// Outputs are unchanged up to float rounding (tested).
func (n *Net) FoldBatchNorm(fold bool) *Net { n.fold = fold; return n }

// Dropout sets the dropout rate of the dense classifier layers of models that
// use it (VGG); it only acts while training.
func (n *Net) Dropout(rate float64) *Net { n.dropout = rate; return n }

// Context returns the network's variable context.
func (n *Net) Context() *context.Context { return n.ctx }

func (n *Net) scope(kind string) (*context.Context, string) {
	i := n.counter[kind]
	n.counter[kind] = i + 1
	name := fmt.Sprintf("%s%02d", kind, i)
	return n.ctx.In(name), name
}

func (n *Net) inputSite(x *Node) int {
	if s, ok := n.source[x]; ok {
		return s
	}
	return -1
}

// SiteName is the context scope of activation site i ("act00", "act01", ...),
// where its per-layer variables (λ, σ, thresholds) live.
func SiteName(i int) string { return fmt.Sprintf("act%02d", i) }

func perExample(x *Node) int { return x.Shape().Size() / x.Shape().Dimensions[0] }

// Act applies the network's activation function at the next site.
func (n *Net) Act(x *Node) *Node {
	idx := len(n.Sites)
	name := SiteName(idx)
	ctx := n.ctx.In(name)
	n.Sites = append(n.Sites, Site{Name: name, Shape: append([]int(nil), x.Shape().Dimensions[1:]...)})
	y := n.act(ctx, idx, x)
	n.source[y] = idx
	return y
}

func (n *Net) convKernel(ctx *context.Context, x *Node, channels, kernel int) *context.Variable {
	cin := x.Shape().Dimensions[3]
	return ctx.WithInitializer(n.convWeightInit(ctx, kernel, cin, channels)).
		VariableWithShape("weights", shapeOf(x, kernel, kernel, cin, channels))
}

func (n *Net) recordConv(name string, x, y *Node, kernel int) {
	cin := x.Shape().Dimensions[3]
	n.Synapses = append(n.Synapses, Synapse{
		Name: name, Kind: "conv", Input: n.inputSite(x), InSize: perExample(x), OutSize: perExample(y),
		MACs: float64(perExample(y) * kernel * kernel * cin),
	})
}

func convolve(x, w *Node, stride int) *Node {
	return Convolve(x, w).Strides(stride).PadSame().Done()
}

// Conv is a kernel×kernel convolution with "same" padding and a bias.
func (n *Net) Conv(x *Node, channels, kernel, stride int) *Node {
	ctx, name := n.scope("conv")
	w := n.convKernel(ctx, x, channels, kernel).ValueGraph(x.Graph())
	b := variable(ctx, "bias", n.biasInit(ctx, kernel*kernel*x.Shape().Dimensions[3]), shapeOf(x, channels), x.Graph())
	y := Add(convolve(x, w, stride), ExpandLeftToRank(b, 4))
	n.recordConv(name, x, y, kernel)
	return y
}

// ConvBN is a bias-free kernel×kernel convolution with "same" padding followed
// by batch normalisation over channels. With FoldBatchNorm set it computes the
// equivalent single convolution with folded weights and bias.
func (n *Net) ConvBN(x *Node, channels, kernel, stride int) *Node {
	ctx, name := n.scope("conv")
	g := x.Graph()
	w := n.convKernel(ctx, x, channels, kernel).ValueGraph(g)
	bn := newBatchNorm(ctx.In("bn"), x, channels)
	var y *Node
	switch {
	case n.fold:
		scale := bn.invStd()
		y = Add(convolve(x, Mul(w, ExpandLeftToRank(scale, 4)), stride), ExpandLeftToRank(Sub(bn.offset, Mul(bn.mean, scale)), 4))
	default:
		y = bn.apply(ctx, convolve(x, w, stride))
	}
	n.recordConv(name, x, y, kernel)
	return y
}

// Dense is a fully connected layer with bias over the last axis.
func (n *Net) Dense(x *Node, units int) *Node {
	ctx, name := n.scope("dense")
	if x.Rank() != 2 {
		x = n.Flatten(x)
	}
	in := x.Shape().Dimensions[1]
	w := ctx.WithInitializer(initializers.RandomUniformFn(ctx, -1/math.Sqrt(float64(in)), 1/math.Sqrt(float64(in)))).
		VariableWithShape("weights", shapeOf(x, in, units)).ValueGraph(x.Graph())
	b := variable(ctx, "bias", n.biasInit(ctx, in), shapeOf(x, units), x.Graph())
	y := Add(MatMul(x, w), ExpandLeftToRank(b, 2))
	n.Synapses = append(n.Synapses, Synapse{Name: name, Kind: "dense", Input: n.inputSite(x), InSize: in, OutSize: units,
		MACs: float64(in * units)})
	return y
}

// DropoutIfTraining applies dropout at the rate set with [Net.Dropout] while training.
func (n *Net) DropoutIfTraining(x *Node) *Node {
	if n.dropout <= 0 {
		return x
	}
	y := layers.DropoutStatic(n.ctx, x, n.dropout)
	n.keep(x, y)
	return y
}

// AvgPool is a k×k average pooling with stride k. Average pooling is linear,
// so it is kept as is in the SNN.
func (n *Net) AvgPool(x *Node, k int) *Node {
	d := x.Shape().Dimensions
	var y *Node
	if d[1]%k == 0 && d[2]%k == 0 {
		// Reshape + mean: cheaper than a windowed reduction on every backend.
		y = ReduceMean(Reshape(x, d[0], d[1]/k, k, d[2]/k, k, d[3]), 2, 4)
	} else {
		y = MeanPool(x).Window(k).Strides(k).Done()
	}
	n.keep(x, y)
	return y
}

// GlobalAvgPool averages over the spatial axes: [B, H, W, C] -> [B, C].
func (n *Net) GlobalAvgPool(x *Node) *Node {
	y := ReduceMean(x, 1, 2)
	n.keep(x, y)
	return y
}

// Flatten reshapes to [B, -1].
func (n *Net) Flatten(x *Node) *Node {
	y := Reshape(x, x.Shape().Dimensions[0], -1)
	n.keep(x, y)
	return y
}

// keep records that y carries the same spikes as x (pooling and reshapes keep
// the source site for synaptic-operation counts).
func (n *Net) keep(x, y *Node) {
	if s, ok := n.source[x]; ok {
		n.source[y] = s
	}
}
