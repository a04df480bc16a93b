package datasets

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Environment variables consulted when no folder is given.
const (
	// EnvDataDir names a data root holding one folder per data set
	// (cifar-10-batches-bin, cifar-100-binary, tiny-imagenet-200, mnist, fashion-mnist).
	EnvDataDir = "NQSNN_DATA_DIR"
	// EnvCIFAR10Dir names the cifar-10-batches-bin folder itself.
	EnvCIFAR10Dir = "CIFAR10_DIR"
)

// ModuleRoot walks up from the working directory to the folder holding go.mod.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if isFile(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod found above the working directory")
		}
		dir = parent
	}
}

// SharedDataDir returns ../shared/data relative to the module root, where the
// project's CI and development machines keep verified copies of data sets.
func SharedDataDir() (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	d := filepath.Join(filepath.Dir(root), "shared", "data")
	if !isDir(d) {
		return "", fmt.Errorf("shared data folder %s not found", d)
	}
	return d, nil
}

// CacheDir returns $XDG_CACHE_HOME/nqsnn/data, or ~/.cache/nqsnn/data.
func CacheDir() (string, error) {
	if x := os.Getenv("XDG_CACHE_HOME"); x != "" {
		return filepath.Join(x, "nqsnn", "data"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no cache folder: %w", err)
	}
	return filepath.Join(home, ".cache", "nqsnn", "data"), nil
}

// findIn returns the first candidate folder holding marker: for each root r,
// r itself and r/sub are tried.
func findIn(roots []string, sub, marker string) string {
	for _, r := range roots {
		if r == "" {
			continue
		}
		for _, d := range []string{r, filepath.Join(r, sub)} {
			if isFile(filepath.Join(d, marker)) {
				return d
			}
		}
	}
	return ""
}
