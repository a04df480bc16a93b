package backend

import (
	"sync"
	"time"
)

// DefaultTrimInterval is how often [TrimFreeMemory] returns free memory in
// the nqsnn command: often enough to cut a ResNet-20 run's peak resident
// memory by a third (every second left sub-second peaks ≈0.2 GiB higher than
// every quarter second), rarely enough that re-faulting the returned pages
// does not show in training or simulation speed (`nqsnn bench`).
const DefaultTrimInterval = 250 * time.Millisecond

// TrimFreeMemory calls [ReturnFreeMemory] every interval until stop is
// called; where that cannot work it starts nothing. Once stop has returned,
// no further call is made.
func TrimFreeMemory(interval time.Duration) (stop func()) {
	if !ReturnFreeMemory() || interval <= 0 {
		return func() {}
	}
	return every(interval, func() { ReturnFreeMemory() })
}

// every calls f every interval on its own goroutine until stop is called;
// stop waits for that goroutine to end, so f is never running after it.
func every(interval time.Duration, f func()) (stop func()) {
	done, ended := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ended)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				f()
			}
		}
	}()
	return sync.OnceFunc(func() {
		close(done)
		<-ended
	})
}
