//go:build !linux || !cgo

package backend

// ReturnFreeMemory does nothing here: it needs glibc (Linux, cgo).
func ReturnFreeMemory() bool { return false }
