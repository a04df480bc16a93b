package experiment

import (
	"fmt"
	"runtime"
	"strings"

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

// hostDevices reports whether b's devices are threads of this machine's CPU
// (the XLA CPU plugin), not accelerators.
func hostDevices(b backends.Backend) bool {
	return b.Name() == "xla" && !strings.Contains(strings.ToLower(b.Description()), "cuda")
}

// checkDevices refuses a data-parallel device count the backend cannot run.
// The XLA CPU plugin's devices share one thread pool, and each device's part
// of the gradient all-reduce blocks a thread until every device has arrived;
// with more devices than cores the last one may find no thread left (seen
// with 4 devices on 2 cores, even with a larger pool through $NPROC), and
// XLA then aborts the whole program after 60 s. So there the devices must
// not outnumber the cores.
func checkDevices(b backends.Backend, devices int) error {
	if devices <= 1 {
		return nil
	}
	if have := b.NumDevices(); devices > have {
		return fmt.Errorf("invalid devices: %d requested, but backend %s has only %d", devices, b.Name(), have)
	}
	if cores := runtime.NumCPU(); hostDevices(b) && devices > cores {
		return fmt.Errorf("invalid devices: -devices %d on the XLA CPU backend needs as many CPU cores, this machine has %d "+
			"(the devices' gradient all-reduce waits for a thread per device and, short of threads, XLA aborts the program after 60 s); "+
			"use -devices %d or fewer", devices, cores, cores)
	}
	return nil
}
