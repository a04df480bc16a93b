package backend

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/gomlx/go-xla/pkg/pjrt"
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/xla"

	"github.com/nqsnn/nqsnn/snnlib/backend/purego"
)

// Names of the backends New chooses between (Choice.Name).
const (
	NameCUDA = "xla:cuda" // XLA on an NVIDIA GPU
	NameCPU  = "xla:cpu"  // XLA on the CPU
	NameGo   = "go"       // the pure-Go backend of package purego
)

// Choice describes the backend New returned.
type Choice struct {
	// Name is "xla:cuda", "xla:cpu", "go", or the raw GoMLX config when one was given.
	Name string
	// Config is the GoMLX configuration the backend was created with
	// (e.g. "xla:/path/pjrt_c_api_cpu_plugin.so,shared_buffers", or "purego").
	Config string
	// Plugin is the PJRT plugin file for XLA backends, "" otherwise.
	Plugin string
	// Description says in one line what was chosen and why.
	Description string
}

// String returns the one-line description.
func (c Choice) String() string { return c.Description }

// installHint tells users without a CPU plugin how to get one.
const installHint = "install one with `nqsnn setup` (or scripts/install-xla.sh), " +
	"point $" + EnvXLAPlugin + " at a pjrt_c_api_cpu_plugin.so, or use the \"go\" backend"

// cudaHint tells users without a CUDA plugin how to get one.
const cudaHint = "install one with `pip install jax-cuda12-pjrt` (or jax-cuda13-pjrt) " +
	"or point $" + EnvCUDAPlugin + " at its xla_cuda_plugin.so"

// cpuOptions lets GoMLX share host memory with the XLA CPU client instead of copying it, as
// it does by default only for plugins loaded by the name "cpu".
const cpuOptions = ",shared_buffers"

var (
	cacheMu sync.Mutex
	cache   = map[string]backends.Backend{}
)

// New returns the backend called name and a description of the choice.
//
// name is "" (use $NQSNN_BACKEND, default "auto"), "auto" (best available: XLA CUDA, then XLA
// CPU, then pure Go), "xla:cuda" or "gpu", "xla:cpu" or "xla", "go" (pure Go), or a raw GoMLX
// configuration such as "xla:/abs/path/pjrt_c_api_cpu_plugin.so" or "purego:parallelism=2".
// Asking for an unavailable backend explicitly is an error saying how to install it.
//
// Backends are cached, one per configuration: repeated calls return the same instance, so
// callers must not Finalize it.
func New(name string) (backends.Backend, Choice, error) {
	xla.EnableAutoInstall(false) // GitHub is often unreachable; InstallXLACPU replaces it.
	if name == "" {
		name = os.Getenv(EnvBackend)
	}
	name = strings.TrimSpace(name)
	switch strings.ToLower(name) {
	case "", "auto":
		return newAuto()
	case "xla:cuda", "gpu", "cuda":
		return newCUDA()
	case "xla:cpu", "xla", "cpu":
		return newCPU()
	case "go", "purego":
		b, err := cached("purego", func() (backends.Backend, error) { return purego.New(), nil })
		return b, Choice{Name: NameGo, Config: "purego", Description: "go — pure-Go backend (requested)"}, err
	}
	return newRaw(name)
}

// newAuto tries XLA CUDA, XLA CPU and pure Go in turn, noting why each better one was skipped.
func newAuto() (backends.Backend, Choice, error) {
	var notes []string
	if HasNVIDIAGPU() {
		if p := FindCUDAPlugin(); p == "" {
			notes = append(notes, "NVIDIA GPU found but no CUDA PJRT plugin: "+cudaHint)
		} else if b, c, err := newXLA(NameCUDA, p, "", "XLA CUDA PJRT plugin at "+tildePath(p)+" on an NVIDIA GPU"); err == nil {
			return b, c, nil
		} else {
			notes = append(notes, fmt.Sprintf("CUDA plugin %s failed: %v", p, err))
		}
	}
	p, _, ferr := FindCPUPlugin()
	switch {
	case ferr != nil:
		notes = append(notes, ferr.Error())
	case p != "":
		b, c, err := newXLA(NameCPU, p, cpuOptions, cpuDescription(p))
		if err == nil {
			c.Description += withNotes(notes)
			return b, c, nil
		}
		notes = append(notes, fmt.Sprintf("XLA CPU plugin %s failed: %v", p, err))
	default:
		notes = append(notes, "no XLA plugin found; run `nqsnn setup` to install one")
	}
	b, err := cached("purego", func() (backends.Backend, error) { return purego.New(), nil })
	return b, Choice{Name: NameGo, Config: "purego",
		Description: "go — pure-Go fallback: " + strings.Join(notes, "; ")}, err
}

func withNotes(notes []string) string {
	if len(notes) == 0 {
		return ""
	}
	return " [" + strings.Join(notes, "; ") + "]"
}

func cpuDescription(p string) string {
	d := "XLA CPU PJRT plugin at " + tildePath(p)
	if info, ok := readPluginInfo(p); ok {
		d += " (" + info.Package + " " + info.Version + ")"
	}
	return d
}

func newCUDA() (backends.Backend, Choice, error) {
	if !HasNVIDIAGPU() {
		return nil, Choice{}, errors.New(`backend "xla:cuda": no NVIDIA GPU found (no /proc/driver/nvidia/gpus/* or /dev/nvidia0); use "xla:cpu" or "go"`)
	}
	p := FindCUDAPlugin()
	if p == "" {
		return nil, Choice{}, fmt.Errorf("backend %q: no XLA CUDA PJRT plugin found (looked at $%s, $%s, ~/.local/lib/go-xla, /usr/local/lib/go-xla and python3's site-packages/jax_plugins): %s",
			NameCUDA, EnvCUDAPlugin, envPJRTPaths, cudaHint)
	}
	return newXLA(NameCUDA, p, "", "XLA CUDA PJRT plugin at "+tildePath(p)+" on an NVIDIA GPU (requested)")
}

func newCPU() (backends.Backend, Choice, error) {
	p, _, err := FindCPUPlugin()
	if err != nil {
		return nil, Choice{}, fmt.Errorf("backend %q: %w; %s", NameCPU, err, installHint)
	}
	if p == "" {
		cacheDir, _ := CacheDir()
		return nil, Choice{}, fmt.Errorf("backend %q: no XLA CPU PJRT plugin found (looked at $%s, %s and $%s): %s",
			NameCPU, EnvXLAPlugin, tildePath(filepath.Join(cacheDir, CPUPluginFile)), envPJRTPaths, installHint)
	}
	return newXLA(NameCPU, p, cpuOptions, cpuDescription(p)+" (requested)")
}

// EnvCUDAPreallocate, set to "1", lets the XLA CUDA client take most of the GPU's memory at
// start (XLA's own default) instead of growing its pool as needed.
const EnvCUDAPreallocate = "NQSNN_XLA_CUDA_PREALLOCATE"

// CUDAClientOptions are the PJRT client options of the XLA CUDA backend. XLA preallocates 75 %
// of the GPU's memory per process by default, so a second process on the same GPU (a second
// run side by side, a notebook beside a training job) fails to allocate; nqsnn grows the pool
// on demand instead, unless $NQSNN_XLA_CUDA_PREALLOCATE=1.
func CUDAClientOptions() pjrt.NamedValuesMap {
	if os.Getenv(EnvCUDAPreallocate) == "1" {
		return pjrt.NamedValuesMap{"preallocate": true}
	}
	return pjrt.NamedValuesMap{"preallocate": false}
}

// newXLA creates (or reuses) an XLA backend on the plugin file p; a CPU
// plugin gets XNNPACK turned off first (see XNNPACKFlag).
func newXLA(name, p, options, why string) (backends.Backend, Choice, error) {
	if name == NameCPU {
		why += disableXNNPACK(p)
	}
	cfg := "xla:" + p + options
	var clientOpts pjrt.NamedValuesMap
	if name == NameCUDA {
		clientOpts = CUDAClientOptions()
	}
	b, err := cached(cfg, func() (backends.Backend, error) {
		b, err := xla.NewWithOptions(p+options, clientOpts)
		if err != nil && clientOpts != nil {
			// A plugin that does not know an option refuses the client: fall back to its defaults.
			if b2, err2 := xla.NewWithOptions(p+options, nil); err2 == nil {
				why += fmt.Sprintf("; client options %v refused (%v), plugin defaults used", clientOpts, err)
				return b2, nil
			}
		}
		return b, err
	})
	if err != nil {
		return nil, Choice{}, fmt.Errorf("backend %q: loading PJRT plugin %s: %w", name, p, err)
	}
	return b, Choice{Name: name, Config: cfg, Plugin: p, Description: name + " — " + why}, nil
}

// newRaw handles a GoMLX configuration "<backend>[:<config>]".
func newRaw(name string) (backends.Backend, Choice, error) {
	backendName, conf, _ := strings.Cut(name, ":")
	registered := backends.List()
	if !slices.Contains(registered, backendName) {
		slices.Sort(registered)
		return nil, Choice{}, fmt.Errorf("unknown backend %q: want \"auto\", \"xla:cuda\" (or \"gpu\"), \"xla:cpu\" (or \"xla\"), \"go\", "+
			"or a GoMLX config \"<backend>:<config>\" with backend one of %q (e.g. \"xla:/abs/path/%s\")", name, registered, CPUPluginFile)
	}
	c := Choice{Name: name, Config: name, Description: name + " — GoMLX configuration (requested)"}
	if backendName == "xla" || backendName == "stablehlo" || backendName == "hlo" || backendName == "shlo" {
		plugin, _, _ := strings.Cut(conf, ",")
		if filepath.IsAbs(plugin) {
			if !isFile(plugin) {
				return nil, Choice{}, fmt.Errorf("backend %q: PJRT plugin %s: no such file; %s", name, plugin, installHint)
			}
			c.Plugin = plugin
			c.Description = name + " — PJRT plugin " + tildePath(plugin) + " (requested)" + disableXNNPACK(plugin)
		}
	}
	b, err := cached(name, func() (backends.Backend, error) { return backends.NewWithConfig(name) })
	if err != nil {
		return nil, Choice{}, fmt.Errorf("backend %q: %w", name, err)
	}
	return b, c, nil
}

// cached returns the backend for key, creating it with mk on first use. A failed creation is
// not cached, so fixing the installation and retrying works.
func cached(key string, mk func() (backends.Backend, error)) (b backends.Backend, err error) {
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if b, ok := cache[key]; ok {
		return b, nil
	}
	defer func() {
		// Plugin loading and GoMLX constructors may panic; callers get an error instead.
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("%v", r)
		}
	}()
	if b, err = mk(); err != nil {
		return nil, err
	}
	cache[key] = b
	return b, nil
}

// hostDevices reports whether b's devices are threads of this machine's CPU
// (the XLA CPU plugin), not accelerators.
func hostDevices(b backends.Backend) bool {
	return b.Name() == "xla" && !strings.Contains(strings.ToLower(b.Description()), "cuda")
}

// CheckDevices refuses a data-parallel device count the backend cannot run.
// The XLA CPU plugin's devices share one thread pool, and each device's part
// of the gradient all-reduce blocks a thread until every device has arrived;
// with more devices than cores the last one may find no thread left (seen
// with 4 devices on 2 cores, even with a larger pool through $NPROC), and
// XLA then aborts the whole program after 60 s. So there the devices must
// not outnumber the cores.
func CheckDevices(b backends.Backend, devices int) error {
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
