package backend

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// The trimmer runs until stopped, stopping twice is harmless, and where
// malloc_trim is not available nothing is started.
func TestTrimFreeMemoryStops(t *testing.T) {
	before := runtime.NumGoroutine()
	stop := TrimFreeMemory(time.Millisecond)
	time.Sleep(5 * time.Millisecond)
	if ReturnFreeMemory() {
		assert.Equal(t, before+1, runtime.NumGoroutine())
	}
	stop()
	stop()
	// (assert.Eventually would count its own goroutines.)
	for range 1000 {
		if runtime.NumGoroutine() == before {
			break
		}
		time.Sleep(time.Millisecond)
	}
	assert.Equal(t, before, runtime.NumGoroutine(), "the trimmer has stopped")
	assert.Equal(t, runtime.GOOS == "linux", ReturnFreeMemory(), "glibc's malloc_trim is used on Linux")
	stop = TrimFreeMemory(0)
	assert.Equal(t, before, runtime.NumGoroutine(), "interval 0 starts nothing")
	stop()
}
