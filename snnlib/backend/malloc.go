package backend

import (
	"os"
	"runtime"
	"strings"
)

// HugePageTunable makes glibc's malloc ask for transparent huge pages for its
// heap (glibc >= 2.35; older versions ignore it). XLA's CPU runtime allocates
// its buffers anew at every call; with 4 KiB pages each call then faults in
// and zeroes every page again, which took a third of the CPU time of a small
// CNN's training step on 2 cores (kernel time, mostly clear_page). With huge
// pages the same step ran ≈1.5x faster.
const HugePageTunable = "glibc.malloc.hugetlb=1"

// MallocEnvVar set to "default" leaves glibc's malloc as the system has it.
const MallocEnvVar = "NQSNN_MALLOC"

// THPMode returns the kernel's transparent-huge-page mode (always, madvise
// or never; "" where it cannot be read, e.g. off Linux).
func THPMode() string {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil {
		return ""
	}
	// The file reads e.g. "always [madvise] never": the mode is bracketed.
	s := string(b)
	i, j := strings.IndexByte(s, '['), strings.IndexByte(s, ']')
	if i < 0 || j < i {
		return ""
	}
	return s[i+1 : j]
}

// MallocEnv returns environ with GLIBC_TUNABLES=HugePageTunable added, and
// true, when that helps and nobody chose otherwise: on Linux, with the
// kernel's huge pages in madvise mode (in always mode malloc gets them
// anyway, in never mode not at all), GLIBC_TUNABLES unset (a user's own
// tunables are kept as they are) and MallocEnvVar not "default". The variable
// acts only at a process's start: the nqsnn command re-executes itself with
// it; scripts/test.sh exports it for tests and notebooks.
func MallocEnv(environ []string, thpMode string) ([]string, bool) {
	if runtime.GOOS != "linux" || thpMode != "madvise" {
		return environ, false
	}
	for _, kv := range environ {
		if strings.HasPrefix(kv, "GLIBC_TUNABLES=") || kv == MallocEnvVar+"=default" {
			return environ, false
		}
	}
	return append(append([]string(nil), environ...), "GLIBC_TUNABLES="+HugePageTunable), true
}
