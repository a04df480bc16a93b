package fit_test

import (
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/nqsnn/nqsnn/snnlib/fit"
	"github.com/nqsnn/nqsnn/snnlib/internal/testutil"
	"github.com/nqsnn/nqsnn/snnlib/model"
	"github.com/nqsnn/nqsnn/snnlib/neuron"
	"github.com/nqsnn/nqsnn/snnlib/snn"
	"github.com/nqsnn/nqsnn/snnlib/strategy"
)

// BenchmarkResNet20TrainEpoch128 trains ResNet-20 on 1024 CIFAR-shaped images
// in batches of 128 (8 steps per iteration); images/s = 1024 / (ns/op · 1e-9).
func BenchmarkResNet20Train1024(b *testing.B) {
	be := testutil.Backend(b)
	st, _ := strategy.ByName("nq", strategy.DefaultConfig())
	nw := snn.Network{Model: model.ResNet20, NumClasses: 10, Strategy: st, Neuron: neuron.IF{InitFraction: 0.5}}
	ctx := context.New()
	tr, err := fit.New(be, ctx, nw, fit.Config{Epochs: 1})
	if err != nil {
		b.Fatal(err)
	}
	data := testutil.Blobs(1024, 10, 32, 32, 3, 128, 1)
	val := testutil.Blobs(128, 10, 32, 32, 3, 128, 2)
	if _, err := tr.RunEpoch(0, data, val, nil); err != nil { // compile
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := tr.RunEpoch(0, data, val, nil); err != nil {
			b.Fatal(err)
		}
	}
}
