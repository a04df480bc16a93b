package experiment

import (
	"github.com/gomlx/gomlx/backends"

	"github.com/nqsnn/nqsnn/snnlib/backend"
)

// NewBackend returns the compute backend for name ("" or "auto": the best
// available, see backend.New) and a one-line description of the choice.
func NewBackend(name string) (backends.Backend, string, error) {
	b, choice, err := backend.New(name)
	if err != nil {
		return nil, "", err
	}
	return b, choice.Description, nil
}
