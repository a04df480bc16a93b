package registry

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRegistry(t *testing.T) {
	r := New[int]("widget")
	r.Register("b", 2)
	r.Register("a", 1)
	v, err := r.Lookup("b")
	require.NoError(t, err)
	assert.Equal(t, 2, v)
	assert.Equal(t, []string{"a", "b"}, r.Names())
	_, err = r.Lookup("c")
	assert.EqualError(t, err, `unknown widget "c" (known: a, b)`)
	r.Register("a", 10)
	v, _ = r.Lookup("a")
	assert.Equal(t, 10, v, "registering again replaces")
	assert.Panics(t, func() { r.Register("", 0) })
}

// Registering while others look up is safe (run with -race).
func TestRegistryConcurrent(t *testing.T) {
	r := New[int]("widget")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(2)
		go func() { defer wg.Done(); r.Register(fmt.Sprint(i), i) }()
		go func() { defer wg.Done(); _, _ = r.Lookup(fmt.Sprint(i)); _ = r.Names() }()
	}
	wg.Wait()
	assert.Len(t, r.Names(), 8)
}

func ExampleRegistry() {
	colours := New[string]("colour")
	colours.Register("red", "#f00")
	_, err := colours.Lookup("blue")
	fmt.Println(err)
	// Output: unknown colour "blue" (known: red)
}
