package experiment

import (
	"os"
	"path/filepath"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/backends/xla"
)

// NewBackend returns the compute backend for name ("" or "auto": the best
// available) and a one-line description of the choice.
// TEMPORARY until snnlib/backend lands.
func NewBackend(name string) (backends.Backend, string, error) {
	xla.EnableAutoInstall(false)
	cfg := name
	if cfg == "" || cfg == "auto" {
		home, _ := os.UserHomeDir()
		p := filepath.Join(home, ".cache", "nqsnn", "xla", "pjrt_c_api_cpu_plugin.so")
		cfg = "xla:" + p
	}
	b, err := backends.NewWithConfig(cfg)
	if err != nil {
		return nil, "", err
	}
	return b, b.Name() + " " + b.Description(), nil
}
