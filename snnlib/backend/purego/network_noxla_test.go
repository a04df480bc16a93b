//go:build !cgo

package purego

import "testing"

// TestNetworkMatchesXLA needs the XLA backend, which needs cgo.
func TestNetworkMatchesXLA(t *testing.T) {
	t.Skip("built without cgo: the XLA backend (reference for this test) is unavailable")
}
