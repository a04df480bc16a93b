package analysis

import (
	"math/rand/v2"
	"testing"
)

// benchLayer is a VGG-sized layer (32×32×64 neurons × batch 16).
func benchLayer() LayerData {
	const n = 32 * 32 * 64 * 16
	rng := rand.New(rand.NewPCG(9, 9))
	z, rate := make([]float32, n), make([]float32, n)
	for i := range z {
		z[i] = float32(rng.NormFloat64())
		rate[i] = float32(rng.IntN(5)) / 4
	}
	return LayerData{Theta: 1, Levels: 4, T: 4, Z: z, Rate: rate}
}

func BenchmarkSplitError(b *testing.B) {
	d := benchLayer()
	b.SetBytes(int64(8 * len(d.Z)))
	for b.Loop() {
		if _, err := SplitError(d); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCountOpsExactConv(b *testing.B) {
	syn, err := ConvSame(32, 32, 64, 64, 3, 1).Synapse("conv", 0)
	if err != nil {
		b.Fatal(err)
	}
	d := benchLayer()
	spikes := [][]float32{d.Rate}
	b.SetBytes(int64(4 * len(d.Rate)))
	for b.Loop() {
		if _, err := CountOps([]Synapse{syn}, spikes, 16, OpsOptions{T: 4}); err != nil {
			b.Fatal(err)
		}
	}
}
