package record

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nqsnn/nqsnn/snnlib/analysis"
	"github.com/nqsnn/nqsnn/snnlib/atomicfile"
	"github.com/nqsnn/nqsnn/snnlib/fit"
	"github.com/nqsnn/nqsnn/snnlib/model"
)

// SiteResult describes one activation site of the converted network on the test set.
type SiteResult struct {
	Name      string  `json:"name"`
	Shape     []int   `json:"shape"`
	Neurons   int     `json:"neurons"`
	Threshold float64 `json:"threshold"` // θ of the IF neurons (λ, or the balanced threshold)
	Mu        float64 `json:"mu,omitempty"`
	Sigma     float64 `json:"sigma,omitempty"`
	// SpikesPerExample[t] is the mean number of spikes one example causes at step t+1.
	SpikesPerExample []float64 `json:"spikes_per_example"`
	// FiringRate is spikes per neuron per step over the whole window.
	FiringRate float64 `json:"firing_rate"`
	// WarmupSpikesPerExample is the mean number of spikes one example causes
	// at the site during the strategy's warm-up (SRP, COS): part of its cost.
	WarmupSpikesPerExample float64 `json:"warmup_spikes_per_example,omitempty"`
}

// Results are a run's test-set numbers; saved as results.json.
type Results struct {
	Config        Config   `json:"config"`
	Data          DataInfo `json:"data"`
	Version       string   `json:"version"`
	Backend       string   `json:"backend"`
	BestEpoch     int      `json:"best_epoch"`
	BestValSNNAcc float64  `json:"best_val_snn_accuracy"`
	// TestANNAccuracy is the noise-free ANN's test accuracy.
	TestANNAccuracy float64 `json:"test_ann_accuracy"`
	// TestNoisyANNAccuracy is the ANN's test accuracy with the NQ noise left
	// on (σ of the checkpoint, fresh ε per batch), as the reference code's
	// "ANN accuracy" is measured; only with Config.NoisyANN on an nq run.
	TestNoisyANNAccuracy *float64  `json:"test_noisy_ann_accuracy,omitempty"`
	T                    []int     `json:"t"`
	SNNAccuracy          []float64 `json:"snn_accuracy"` // at each T
	// Latency is the number of steps the strategy runs before its scored
	// window (SRP's τ, COS's ρ; 0 for the others): its SNN answers at T after
	// Latency + T steps, and its energy includes them.
	Latency int `json:"latency,omitempty"`
	// Curve is the SNN test accuracy at every t = 1..max T.
	Curve    []float64       `json:"curve"`
	Sites    []SiteResult    `json:"sites"`
	Synapses []model.Synapse `json:"synapses"`
	Epochs   []fit.Epoch     `json:"epochs"`
	Seconds  float64         `json:"seconds"`
}

// AccuracyAt returns the SNN test accuracy at T (NaN-free: false if T was not simulated).
func (r *Results) AccuracyAt(T int) (float64, bool) {
	if T < 1 || T > len(r.Curve) {
		return 0, false
	}
	return r.Curve[T-1], true
}

// Energy returns the accuracy-latency-energy table of a run: for every
// evaluated T, test accuracy, synaptic operations per example (from the
// measured spike counts and each layer's mean fan-out) and energy with the
// default 45 nm per-operation energies.
func (r *Results) Energy() (analysis.Table, error) {
	syn := make([]analysis.Synapse, len(r.Synapses))
	for i, s := range r.Synapses {
		syn[i] = analysis.Synapse{Name: s.Name, Input: s.Input, InSize: s.InSize, MACs: s.MACs}
	}
	var points []analysis.LatencyPoint
	for i, T := range r.T {
		spikes := make([]float64, len(r.Sites))
		for s, site := range r.Sites {
			spikes[s] = site.WarmupSpikesPerExample // a warm-up's spikes are part of every answer's cost
			for t := 0; t < T && t < len(site.SpikesPerExample); t++ {
				spikes[s] += site.SpikesPerExample[t]
			}
		}
		// The analog input drives the first layer at every step, warm-up included.
		ops, err := analysis.CountOpsFromTotals(syn, spikes, analysis.OpsOptions{T: T + r.Latency})
		if err != nil {
			return nil, err
		}
		points = append(points, analysis.LatencyPoint{T: T, Accuracy: r.SNNAccuracy[i], Ops: ops})
	}
	return analysis.LatencyEnergyTable(points, analysis.DefaultEnergyModel())
}

// Label names a run in legends: "nq resnet20 cifar10 L=4".
func (r *Results) Label() string {
	strat := r.Config.Strategy
	if len(r.Config.StrategyParams) > 0 {
		strat += "(" + FormatParams(r.Config.StrategyParams) + ")"
	}
	return fmt.Sprintf("%s %s %s L=%d", strat, r.Config.Model, r.Config.Dataset, r.Config.Levels)
}

// WriteResults saves res as results.json in dir, atomically.
func WriteResults(dir string, res *Results) error {
	return WriteJSON(filepath.Join(dir, ResultsFile), res)
}

// WriteJSON writes v as indented JSON to path atomically.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(b, '\n'), 0o644)
}

// LoadResults reads a run directory's results.json.
func LoadResults(dir string) (*Results, error) {
	var res Results
	if err := ReadJSON(filepath.Join(dir, ResultsFile), &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// ReadJSON decodes the JSON file at path into v, naming the file in errors.
func ReadJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
