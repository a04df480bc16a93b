package model

import (
	. "github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/nqsnn/nqsnn/snnlib/registry"
)

// Fn builds a network's logits from normalised images [B, H, W, C].
type Fn func(n *Net, images *Node, numClasses int) *Node

// Registry holds the models by name; register a new one from an init
// function so that `nqsnn run -model` and notebooks can pick it.
var Registry = registry.New[Fn]("model")

func init() {
	Registry.Register("cnn", SmallCNN)
	Registry.Register("vgg16", VGG16)
	Registry.Register("resnet18", ResNet18)
	Registry.Register("resnet20", ResNet20)
	Registry.Register("resnet34", ResNet34)
}

// Register adds a model under name, replacing any existing one.
func Register(name string, fn Fn) { Registry.Register(name, fn) }

// Names lists the registered models, sorted.
func Names() []string { return Registry.Names() }

// ByName returns the model registered under name.
func ByName(name string) (Fn, error) { return Registry.Lookup(name) }

// SmallCNN is the quick MNIST model: two conv-BN-act-pool stages (16 and 32
// channels) and a two-layer classifier (3 activation sites). Sized so the
// default job trains in minutes on a laptop CPU.
func SmallCNN(n *Net, x *Node, numClasses int) *Node {
	x = n.AvgPool(n.Act(n.ConvBN(x, 16, 3, 1)), 2)
	x = n.AvgPool(n.Act(n.ConvBN(x, 32, 3, 1)), 2)
	x = n.Act(n.Dense(n.Flatten(x), 128))
	return n.Dense(x, numClasses)
}

// vgg16Config is the CIFAR VGG-16 layer list of the QCFS/NQ reference code:
// channel counts, 0 for a 2×2 average pooling.
var vgg16Config = []int{64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0}

// VGG16 is the CIFAR variant with average pooling and a 4096-4096 classifier
// with dropout (15 activation sites). Its reference initialisation is
// Kaiming-normal on fan_out (see [InitReference]).
func VGG16(n *Net, x *Node, numClasses int) *Node {
	n.KaimingFanOutConvs()
	for _, c := range vgg16Config {
		if c == 0 {
			if x.Shape().Dimensions[1] >= 2 {
				x = n.AvgPool(x, 2)
			}
			continue
		}
		x = n.Act(n.ConvBN(x, c, 3, 1))
	}
	x = n.DropoutIfTraining(n.Act(n.Dense(n.Flatten(x), 4096)))
	x = n.DropoutIfTraining(n.Act(n.Dense(x, 4096)))
	return n.Dense(x, numClasses)
}

// basicBlock is the two-convolution residual block of He et al. with a 1×1
// convolution shortcut when the shape changes. The activation comes after the
// addition, as in the reference code.
func basicBlock(n *Net, x *Node, channels, stride int) *Node {
	shortcut := x
	if stride != 1 || x.Shape().Dimensions[3] != channels {
		shortcut = n.ConvBN(x, channels, 1, stride)
	}
	y := n.Act(n.ConvBN(x, channels, 3, stride))
	y = n.ConvBN(y, channels, 3, 1)
	return n.Act(Add(y, shortcut))
}

func resnet(n *Net, x *Node, numClasses int, widths, blocks []int) *Node {
	x = n.Act(n.ConvBN(x, widths[0], 3, 1))
	for stage, w := range widths {
		for b := 0; b < blocks[stage]; b++ {
			stride := 1
			if b == 0 && stage > 0 {
				stride = 2
			}
			x = basicBlock(n, x, w, stride)
		}
	}
	return n.Dense(n.GlobalAvgPool(x), numClasses)
}

// ResNet20 is the CIFAR ResNet-20 of He et al.: widths 16/32/64, three blocks
// per stage (19 activation sites).
func ResNet20(n *Net, x *Node, numClasses int) *Node {
	return resnet(n, x, numClasses, []int{16, 32, 64}, []int{3, 3, 3})
}

// ResNet18 is the CIFAR variant of ResNet-18 (3×3 stem, no max pooling).
func ResNet18(n *Net, x *Node, numClasses int) *Node {
	return resnet(n, x, numClasses, []int{64, 128, 256, 512}, []int{2, 2, 2, 2})
}

// ResNet34 is the CIFAR variant of ResNet-34 (3×3 stem, no max pooling).
func ResNet34(n *Net, x *Node, numClasses int) *Node {
	return resnet(n, x, numClasses, []int{64, 128, 256, 512}, []int{3, 4, 6, 3})
}
