package backend

import (
	"bytes"
	"io"
	"os"
	"strings"
	"sync"
)

// XNNPACKFlag is the XLA debug option that makes the CPU plugin compute dot
// products with XNNPACK.
//
// XLA's XNNPACK dot packs its weight operand once when that operand is a
// parameter of the program, and afterwards recognises it by its address alone
// (a TODO in XLA's xnn_fusion_thunk.cc says as much). Training frees every
// weight buffer and allocates a new one each step, so the weights an
// evaluation program receives after an epoch sometimes sit at the address
// the previous epoch's weights had: the program then silently computes with
// the old weights. Which epochs this hits depends on the heap, i.e. on timing,
// so validation accuracy, σ and checkpoint selection changed from run to run
// while the training losses stayed identical. newXLA therefore turns XNNPACK
// off (Eigen computes the dots) unless $XLA_FLAGS sets the option already.
const XNNPACKFlag = "xla_cpu_use_xnnpack"

// envXLAFlags holds XLA's debug options; each plugin reads it once, on first use.
const envXLAFlags = "XLA_FLAGS"

var (
	knowsMu sync.Mutex
	knows   = map[string]bool{}
)

// pluginKnows reports whether the plugin file p mentions the XLA option name.
// XLA aborts the whole process on an option it does not know, so nothing is
// set for a plugin built without it.
func pluginKnows(p, name string) bool {
	knowsMu.Lock()
	defer knowsMu.Unlock()
	key := p + "\x00" + name
	if k, ok := knows[key]; ok {
		return k
	}
	k := fileContains(p, []byte(name))
	knows[key] = k
	return k
}

// fileContains scans path for needle in 1 MiB chunks (plugins are hundreds of MiB).
func fileContains(path string, needle []byte) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	buf := make([]byte, 1<<20+len(needle))
	keep := 0 // bytes carried over from the previous chunk, so a split needle is found
	for {
		n, err := io.ReadFull(f, buf[keep:])
		if bytes.Contains(buf[:keep+n], needle) {
			return true
		}
		if err != nil {
			return false
		}
		keep = min(len(needle)-1, keep+n)
		copy(buf, buf[len(buf)-keep:])
	}
}

// disableXNNPACK adds --xla_cpu_use_xnnpack=false to $XLA_FLAGS for plugin p
// (see XNNPACKFlag). It returns a note for the backend description when the
// user's $XLA_FLAGS keeps XNNPACK on.
func disableXNNPACK(p string) string {
	flags := os.Getenv(envXLAFlags)
	for _, f := range strings.Fields(flags) {
		if value, ok := strings.CutPrefix(strings.TrimLeft(f, "-"), XNNPACKFlag); ok {
			if value == "=false" || value == "=0" {
				return ""
			}
			return " [$XLA_FLAGS turns XNNPACK on: evaluations may use stale weights]"
		}
	}
	if !pluginKnows(p, XNNPACKFlag) {
		return ""
	}
	_ = os.Setenv(envXLAFlags, strings.TrimSpace(flags+" --"+XNNPACKFlag+"=false"))
	return ""
}
