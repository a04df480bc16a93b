//go:build linux && cgo

package backend

/*
#include <malloc.h>
*/
import "C"

// ReturnFreeMemory hands the C heap's free pages back to the operating system
// (glibc's malloc_trim) and reports whether it could. XLA's CPU runtime
// allocates and frees its buffers at every call; glibc keeps what was freed
// in its arenas, fragmented over buffers of many sizes, so a whole run's
// resident memory grows well past what it uses at any moment.
func ReturnFreeMemory() bool {
	C.malloc_trim(0)
	return true
}
