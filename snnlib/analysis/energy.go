package analysis

import (
	"fmt"
	"math"
	"strings"
)

// EnergyModel gives the energy of one operation in picojoules.
type EnergyModel struct {
	AC  float64 // one accumulate (a spike reaching a synapse)
	MAC float64 // one multiply-accumulate
}

// DefaultEnergyModel is 32-bit floating point at 45 nm (Horowitz, "Computing's
// energy problem", ISSCC 2014): 0.9 pJ per add, 4.6 pJ per multiply-add
// (3.7 pJ multiply + 0.9 pJ add), the figures the SNN literature uses.
func DefaultEnergyModel() EnergyModel { return EnergyModel{AC: 0.9, MAC: 4.6} }

// Validate reports a negative or non-finite energy.
func (e EnergyModel) Validate() error {
	if !(e.AC >= 0) || !(e.MAC >= 0) || math.IsInf(e.AC, 0) || math.IsInf(e.MAC, 0) {
		return errorf("energy model needs finite non-negative energies, got AC %g pJ, MAC %g pJ", e.AC, e.MAC)
	}
	return nil
}

// SNN is the spiking network's energy per example in pJ: ACs·AC + MACs·MAC.
func (e EnergyModel) SNN(ops []LayerOps) float64 {
	t := SumOps(ops)
	return t.ACs*e.AC + t.MACs*e.MAC
}

// ANN is the ANN's energy per example in pJ: ANNMACs·MAC.
func (e EnergyModel) ANN(ops []LayerOps) float64 { return SumOps(ops).ANNMACs * e.MAC }

// LatencyPoint is the SNN measured after T steps: its accuracy and the
// operation counts of the window (from CountOps or CountOpsFromTotals).
type LatencyPoint struct {
	T        int
	Accuracy float64 // fraction in [0, 1]
	Ops      []LayerOps
}

// TableRow is one line of the accuracy–latency–energy table (per example).
type TableRow struct {
	T         int
	Accuracy  float64
	ACs       float64
	MACs      float64 // SNN MACs (analog first layer)
	SNNEnergy float64 // pJ
	ANNEnergy float64 // pJ
	Ratio     float64 // SNNEnergy / ANNEnergy (NaN when the ANN costs nothing)
}

// Table is an accuracy–latency–energy table, one row per T.
type Table []TableRow

// LatencyEnergyTable builds a Table from measurements at several T.
func LatencyEnergyTable(points []LatencyPoint, e EnergyModel) (Table, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	t := make(Table, 0, len(points))
	for i, p := range points {
		if p.T < 1 {
			return nil, errorf("latency point %d: T is %d, want ≥ 1", i, p.T)
		}
		if !(p.Accuracy >= 0 && p.Accuracy <= 1) {
			return nil, errorf("latency point %d (T=%d): accuracy %g, want a fraction in [0, 1]", i, p.T, p.Accuracy)
		}
		s := SumOps(p.Ops)
		row := TableRow{T: p.T, Accuracy: p.Accuracy, ACs: s.ACs, MACs: s.MACs,
			SNNEnergy: e.SNN(p.Ops), ANNEnergy: e.ANN(p.Ops), Ratio: math.NaN()}
		if row.ANNEnergy > 0 {
			row.Ratio = row.SNNEnergy / row.ANNEnergy
		}
		t = append(t, row)
	}
	return t, nil
}

// Markdown renders the table with operations in millions and energy in µJ.
func (t Table) Markdown() string {
	var b strings.Builder
	b.WriteString("| T | accuracy (%) | ACs (M) | MACs (M) | SNN energy (µJ) | ANN energy (µJ) | SNN/ANN |\n")
	b.WriteString("|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range t {
		fmt.Fprintf(&b, "| %d | %.2f | %.3f | %.3f | %.4f | %.4f | %.3f |\n", r.T, 100*r.Accuracy,
			r.ACs/1e6, r.MACs/1e6, r.SNNEnergy/1e6, r.ANNEnergy/1e6, r.Ratio)
	}
	return b.String()
}
