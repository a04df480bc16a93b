package backend

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The periodic call runs until stopped, never after stop returns, and
// stopping twice is harmless. (Counting calls rather than goroutines: other
// goroutines of the runtime and of earlier tests come and go meanwhile.)
func TestEveryStops(t *testing.T) {
	var calls atomic.Int64
	stop := every(time.Millisecond, func() { calls.Add(1) })
	require.Eventually(t, func() bool { return calls.Load() >= 3 }, 5*time.Second, time.Millisecond,
		"the call repeats")
	stop()
	stopped := calls.Load()
	stop()
	time.Sleep(20 * time.Millisecond)
	assert.Equal(t, stopped, calls.Load(), "no call after stop returned")
}

func TestTrimFreeMemoryWhereAvailable(t *testing.T) {
	assert.Equal(t, runtime.GOOS == "linux", ReturnFreeMemory(), "glibc's malloc_trim is used on Linux")
	stop := TrimFreeMemory(time.Millisecond)
	time.Sleep(3 * time.Millisecond)
	stop()
	stop()
	TrimFreeMemory(0)() // interval 0 starts nothing and its stop is a no-op
}
