package analysis

import "math"

// ErrorPart is one component of the conversion error, averaged over neurons.
type ErrorPart struct {
	MeanSigned float64 // mean of the signed error
	MeanAbs    float64 // mean of its absolute value
}

// ErrorSplit splits the total conversion error ReLU(Z) − Rate of a layer into
//
//	clipping      ReLU(Z) − clip(Z, 0, θ)        what the clip λ = θ cuts off
//	quantisation  clip(Z, 0, θ) − QCFS_{L,θ}(Z)  rounding to L levels
//	residual      QCFS_{L,θ}(Z) − Rate           what the SNN misses even given
//	                                             its own input: the residual
//	                                             membrane error NQ models
//
// per element. The signed parts telescope, so Clipping + Quantisation +
// Residual equals Total (MeanSigned) up to float64 rounding (exactly when the
// values are dyadic); the absolute parts need not sum to Total.MeanAbs.
type ErrorSplit struct {
	Index int
	Name  string
	T     int
	N     int

	Total, Clipping, Quantisation, Residual ErrorPart
}

// SplitError computes the ErrorSplit of a layer (needs Theta, Levels, Z, Rate).
func SplitError(d LayerData) (ErrorSplit, error) {
	n, err := d.need(true, true, false, fieldZ, fieldRate)
	if err != nil {
		return ErrorSplit{}, err
	}
	var tot, clp, qnt, res, tAbs, cAbs, qAbs, rAbs kahan
	for i, zf := range d.Z {
		z, r := float64(zf), float64(d.Rate[i])
		a := math.Max(z, 0)
		c := math.Min(a, d.Theta)
		q := QCFS(z, d.Theta, d.Levels)
		t, e1, e2, e3 := a-r, a-c, c-q, q-r
		tot.add(t)
		clp.add(e1)
		qnt.add(e2)
		res.add(e3)
		tAbs.add(math.Abs(t))
		cAbs.add(math.Abs(e1))
		qAbs.add(math.Abs(e2))
		rAbs.add(math.Abs(e3))
	}
	m := float64(n)
	part := func(s, a kahan) ErrorPart { return ErrorPart{MeanSigned: s.sum() / m, MeanAbs: a.sum() / m} }
	return ErrorSplit{
		Index: d.Index, Name: d.Name, T: d.T, N: n,
		Total:        part(tot, tAbs),
		Clipping:     part(clp, cAbs),
		Quantisation: part(qnt, qAbs),
		Residual:     part(res, rAbs),
	}, nil
}

// SplitErrors runs SplitError on each layer, in order.
func SplitErrors(layers []LayerData) ([]ErrorSplit, error) {
	out := make([]ErrorSplit, 0, len(layers))
	for _, d := range layers {
		s, err := SplitError(d)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// kahan is Neumaier's compensated sum: the means of millions of small errors
// stay accurate to a few ulps, which keeps the telescoping identity tight.
type kahan struct{ s, c float64 }

func (k *kahan) add(x float64) {
	t := k.s + x
	if math.Abs(k.s) >= math.Abs(x) {
		k.c += (k.s - t) + x
	} else {
		k.c += (x - t) + k.s
	}
	k.s = t
}

func (k kahan) sum() float64 { return k.s + k.c }
