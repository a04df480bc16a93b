package record_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nqsnn/nqsnn/snnlib/record"
)

func TestParamsRoundTrip(t *testing.T) {
	m, err := record.ParseParams(nil, " tau=4, rho = 2.5 ,")
	require.NoError(t, err)
	assert.Equal(t, map[string]float64{"tau": 4, "rho": 2.5}, m)
	assert.Equal(t, "rho=2.5,tau=4", record.FormatParams(m))
	back, err := record.ParseParams(nil, record.FormatParams(m))
	require.NoError(t, err)
	assert.Equal(t, m, back)
	m, err = record.ParseParams(m, "tau=8")
	require.NoError(t, err)
	assert.Equal(t, 8.0, m["tau"], "a later value replaces")
	for in, msg := range map[string]string{
		"tau":     `"tau" is not name=value`,
		"=3":      `"=3" is not name=value`,
		"tau=x":   `tau: "x" is not a finite number`,
		"tau=Inf": `tau: "Inf" is not a finite number`,
	} {
		_, err := record.ParseParams(nil, in)
		assert.EqualError(t, err, msg, in)
	}
	assert.Empty(t, record.FormatParams(nil))
}

// Strategy parameters are validated with the config and survive config.json.
func TestConfigStrategyParams(t *testing.T) {
	cfg := record.Config{Dataset: "synthetic", Model: "cnn", Strategy: "cos", StrategyParams: map[string]float64{"rho": 6}}.WithPreset()
	require.NoError(t, cfg.Validate())
	path := filepath.Join(t.TempDir(), record.ConfigFile)
	require.NoError(t, record.WriteJSON(path, cfg))
	back, err := record.LoadConfig(path)
	require.NoError(t, err)
	assert.Equal(t, cfg.StrategyParams, back.StrategyParams)
	assert.Equal(t, 6.0, back.StrategyConfig().Params["rho"])

	cfg.StrategyParams = map[string]float64{"tau": 6}
	assert.EqualError(t, cfg.Validate(), `invalid strategy-param: strategy "cos" has no parameter "tau" (its parameters: rho)`)
	cfg.StrategyParams = nil
	cfg.TestLimit = -1
	assert.EqualError(t, cfg.Validate(), "invalid test-limit: must be >= 0, got -1")
}

func ExampleParseParams() {
	m, err := record.ParseParams(nil, "tau=4,percentile=99.5")
	fmt.Println(m["tau"], m["percentile"], err)
	fmt.Println(record.FormatParams(m))
	// Output:
	// 4 99.5 <nil>
	// percentile=99.5,tau=4
}

func TestLoadDiagnostics(t *testing.T) {
	dir := t.TempDir()
	_, err := record.LoadDiagnostics(dir)
	require.Error(t, err, "no diagnostics.json")
	assert.Contains(t, err.Error(), record.DiagnosticsFile)

	want := record.Diagnostics{Examples: 7, Windows: []record.WindowDiagnostics{{T: 4, Layers: []record.LayerDiagnostics{{}}}}}
	want.Windows[0].Layers[0].Gap.Std = 0.25
	require.NoError(t, record.WriteJSON(filepath.Join(dir, record.DiagnosticsFile), want))
	got, err := record.LoadDiagnostics(dir)
	require.NoError(t, err)
	assert.Equal(t, 7, got.Examples)
	require.Len(t, got.Windows, 1)
	assert.Equal(t, 4, got.Windows[0].T)
	assert.InDelta(t, 0.25, got.Windows[0].Layers[0].Gap.Std, 0)

	require.NoError(t, record.WriteJSON(filepath.Join(dir, record.DiagnosticsFile), record.Diagnostics{Examples: 3}))
	_, err = record.LoadDiagnostics(dir)
	require.ErrorContains(t, err, "no diagnostics windows")
}
