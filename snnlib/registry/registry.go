// Package registry is the one name → value table behind nqsnn's models,
// neurons and conversion strategies, so that each is swapped by name and the
// command line lists what is registered instead of a hand-kept list.
package registry

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Registry maps names to values of one kind; it is safe for concurrent use
// (packages register in init while notebooks may already look names up).
type Registry[T any] struct {
	kind    string
	mu      sync.RWMutex
	entries map[string]T
}

// New returns an empty registry; kind names what it holds in error messages
// ("model", "neuron model", "strategy").
func New[T any](kind string) *Registry[T] {
	return &Registry[T]{kind: kind, entries: map[string]T{}}
}

// Register adds v under name, replacing an existing entry. An empty name
// panics: it is a programming error, caught by the first test that runs.
func (r *Registry[T]) Register(name string, v T) {
	if name == "" {
		panic("registry: empty " + r.kind + " name")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries[name] = v
}

// Lookup returns the value registered under name, or an error that names the
// known entries.
func (r *Registry[T]) Lookup(name string) (T, error) {
	r.mu.RLock()
	v, ok := r.entries[name]
	r.mu.RUnlock()
	if !ok {
		var zero T
		return zero, fmt.Errorf("unknown %s %q (known: %s)", r.kind, name, r.List())
	}
	return v, nil
}

// Names lists the registered names, sorted.
func (r *Registry[T]) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.entries))
	for n := range r.entries {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// List is Names joined by ", ", for help texts and error messages.
func (r *Registry[T]) List() string { return strings.Join(r.Names(), ", ") }
