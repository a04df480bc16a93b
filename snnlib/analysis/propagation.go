package analysis

// PropagationRow compares, at one depth, the ANN−SNN gap when the ANN layer is
// fed the SNN's own input (the error this layer adds by itself) with the gap
// when it is fed the ANN's input (the error accumulated through all earlier
// layers). The growth of WithANNInput over WithSNNInput with depth shows how
// residual errors propagate.
type PropagationRow struct {
	Index int
	Name  string
	T     int

	WithSNNInput Moments // of ANNOnSNNInput − Rate
	WithANNInput Moments // of ANN − Rate
}

// Propagation computes one PropagationRow per layer (needs ANN,
// ANNOnSNNInput, Rate), in the given order.
func Propagation(layers []LayerData) ([]PropagationRow, error) {
	out := make([]PropagationRow, 0, len(layers))
	for _, d := range layers {
		if _, err := d.need(false, false, false, fieldANN, fieldANNOnSNNInput, fieldRate); err != nil {
			return nil, err
		}
		row := PropagationRow{Index: d.Index, Name: d.Name, T: d.T}
		for i, r := range d.Rate {
			row.WithSNNInput.add(float64(d.ANNOnSNNInput[i]) - float64(r))
			row.WithANNInput.add(float64(d.ANN[i]) - float64(r))
		}
		row.WithSNNInput.done()
		row.WithANNInput.done()
		out = append(out, row)
	}
	return out, nil
}
