package backend

import (
	"sync"
	"time"
)

// DefaultTrimInterval is how often [TrimFreeMemory] returns free memory in
// the nqsnn command: often enough to cut a ResNet-20 run's peak resident
// memory by a third, rarely enough that re-faulting the returned pages does
// not show in training speed (`nqsnn bench`).
const DefaultTrimInterval = time.Second

// TrimFreeMemory calls [ReturnFreeMemory] every interval until stop is
// called; where that cannot work it starts nothing.
func TrimFreeMemory(interval time.Duration) (stop func()) {
	if !ReturnFreeMemory() || interval <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				ReturnFreeMemory()
			}
		}
	}()
	return sync.OnceFunc(func() { close(done) })
}
