package backend

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

const (
	// EnvBackend selects the backend when New is given "" (same values as New's name).
	EnvBackend = "NQSNN_BACKEND"
	// EnvXLAPlugin, if set, is the path of the XLA CPU PJRT plugin to use.
	EnvXLAPlugin = "NQSNN_XLA_PLUGIN"
	// EnvCUDAPlugin, if set, is the path of the XLA CUDA PJRT plugin to use.
	EnvCUDAPlugin = "NQSNN_XLA_CUDA_PLUGIN"

	// CPUPluginFile is the file name InstallXLACPU gives the CPU plugin.
	CPUPluginFile = "pjrt_c_api_cpu_plugin.so"
	// PluginInfoFile is written next to the installed plugin and records where it came from.
	PluginInfoFile = "plugin.json"

	// envPJRTPaths is go-xla's plugin search path variable (":"-separated directories).
	envPJRTPaths = "PJRT_PLUGIN_LIBRARY_PATH"
)

// PluginInfo is the content of plugin.json: which PyPI package the plugin came from.
type PluginInfo struct {
	Package string `json:"package"`
	Version string `json:"version"`
	Wheel   string `json:"wheel"`
	SHA256  string `json:"sha256"` // of the wheel, as published by PyPI
}

// CacheDir is the per-user directory holding the XLA CPU plugin:
// $XDG_CACHE_HOME/nqsnn/xla, else ~/.cache/nqsnn/xla.
func CacheDir() (string, error) {
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "nqsnn", "xla"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".cache", "nqsnn", "xla"), nil
}

// pjrtSearchDirs are the directories of $PJRT_PLUGIN_LIBRARY_PATH.
func pjrtSearchDirs() []string {
	var dirs []string
	for _, d := range strings.Split(os.Getenv(envPJRTPaths), ":") {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// FindCPUPlugin returns the XLA CPU PJRT plugin to use and where it was found
// ("$NQSNN_XLA_PLUGIN", "per-user cache", "$PJRT_PLUGIN_LIBRARY_PATH"), or "" if none.
// A set but missing $NQSNN_XLA_PLUGIN is reported as an error: the user asked for that file.
func FindCPUPlugin() (path, source string, err error) {
	if p := os.Getenv(EnvXLAPlugin); p != "" {
		if !isFile(p) {
			return "", "", &missingPluginError{what: "$" + EnvXLAPlugin, path: p}
		}
		abs, err := filepath.Abs(p)
		return abs, "$" + EnvXLAPlugin, err
	}
	if dir, err := CacheDir(); err == nil && isFile(filepath.Join(dir, CPUPluginFile)) {
		return filepath.Join(dir, CPUPluginFile), "per-user cache", nil
	}
	for _, d := range pjrtSearchDirs() {
		if p := filepath.Join(d, CPUPluginFile); isFile(p) {
			return p, "$" + envPJRTPaths, nil
		}
	}
	return "", "", nil
}

type missingPluginError struct{ what, path string }

func (e *missingPluginError) Error() string {
	return e.what + " = " + e.path + ": no such plugin file"
}

// cudaPluginNames are the file names CUDA PJRT plugins ship under.
var cudaPluginNames = []string{"xla_cuda_plugin.so", "pjrt_c_api_cuda_plugin.so"}

// FindCUDAPlugin returns the path of an XLA CUDA PJRT plugin, or "" if none is found. It looks
// at $NQSNN_XLA_CUDA_PLUGIN, $PJRT_PLUGIN_LIBRARY_PATH, go-xla's install dirs and the Python
// site-packages where JAX's jax-cuda13-pjrt / jax-cuda12-pjrt wheels put them.
func FindCUDAPlugin() string {
	if p := os.Getenv(EnvCUDAPlugin); p != "" {
		if isFile(p) {
			abs, _ := filepath.Abs(p)
			return abs
		}
		return ""
	}
	dirs := pjrtSearchDirs()
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, ".local", "lib", "go-xla"))
	}
	dirs = append(dirs, "/usr/local/lib/go-xla")
	for _, sp := range pythonSitePackages() {
		// Newest CUDA first: jax-cuda13-pjrt, then jax-cuda12-pjrt.
		dirs = append(dirs, filepath.Join(sp, "jax_plugins", "xla_cuda13"), filepath.Join(sp, "jax_plugins", "xla_cuda12"))
	}
	for _, d := range dirs {
		for _, n := range cudaPluginNames {
			if p := filepath.Join(d, n); isFile(p) {
				return p
			}
		}
	}
	return ""
}

// pythonSitePackages asks python3 for its site-packages directories; none if there is no
// python3 (it is only a place to look, never required).
func pythonSitePackages() []string {
	py, err := exec.LookPath("python3")
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, py, "-c",
		"import site,sys\nfor p in site.getsitepackages()+[site.getusersitepackages()]: print(p)").Output()
	if err != nil {
		return nil
	}
	return strings.Fields(string(out))
}

// HasNVIDIAGPU reports whether the NVIDIA driver exposes at least one GPU.
func HasNVIDIAGPU() bool {
	if ents, err := os.ReadDir("/proc/driver/nvidia/gpus"); err == nil && len(ents) > 0 {
		return true
	}
	devs, _ := filepath.Glob("/dev/nvidia[0-9]*")
	return len(devs) > 0
}

// readPluginInfo reads plugin.json next to the plugin; ok=false if absent or unreadable.
func readPluginInfo(pluginPath string) (PluginInfo, bool) {
	var info PluginInfo
	data, err := os.ReadFile(filepath.Join(filepath.Dir(pluginPath), PluginInfoFile))
	if err != nil || json.Unmarshal(data, &info) != nil || info.Package == "" {
		return PluginInfo{}, false
	}
	return info, true
}

// tildePath shortens a path under the home directory to ~/... for messages.
func tildePath(p string) string {
	if home, err := os.UserHomeDir(); err == nil && home != "" && home != "/" {
		if rel, err := filepath.Rel(home, p); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.Join("~", rel)
		}
	}
	return p
}
