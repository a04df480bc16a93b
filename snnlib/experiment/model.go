package experiment

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/nqsnn/nqsnn/snnlib/checkpoint"
	"github.com/nqsnn/nqsnn/snnlib/snn"
)

// Model is a trained model opened from a checkpoint, ready to evaluate, calibrate or simulate
// in a tool or a notebook cell: the settings it was trained with, its data, its network, a
// backend and a context holding its variables.
type Model struct {
	Path     string
	Meta     Meta   // as saved with the checkpoint (Meta.Config: the run's settings)
	Config   Config // the settings the data and network were built from (adjusted, see OpenModel)
	Data     *Data
	Network  snn.Network
	Backend  backends.Backend
	Context  *context.Context
	Describe string // the backend, in words
}

// OpenModel loads the checkpoint at path with the data set and network of its run, on the
// best available backend (not the run's: the model may come from another machine). adjust,
// if not nil, may change the settings before the data and network are built (e.g. calibrate
// on augmented images). Close the model to release its data.
func OpenModel(path string, adjust func(*Config)) (*Model, error) {
	c, err := checkpoint.Load(path)
	if err != nil {
		return nil, err
	}
	m := &Model{Path: path}
	if err := c.DecodeMeta(&m.Meta); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	m.Config = m.Meta.Config
	if adjust != nil {
		adjust(&m.Config)
	}
	if err := m.Config.Validate(); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if m.Data, err = LoadData(m.Config); err != nil {
		return nil, err
	}
	fail := func(err error) (*Model, error) {
		m.Close()
		return nil, err
	}
	if m.Network, err = m.Config.Network(m.Data.Info.NumClasses); err != nil {
		return fail(err)
	}
	if m.Backend, m.Describe, err = NewBackend(""); err != nil {
		return fail(err)
	}
	m.Context = context.New()
	if err := c.Restore(m.Context); err != nil {
		return fail(fmt.Errorf("checkpoint %s: %w", path, err))
	}
	return m, nil
}

// Close releases the model's data.
func (m *Model) Close() {
	if m.Data != nil {
		m.Data.Close()
	}
}
