package datasets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// Data set names accepted by Load.
const (
	NameMNIST        = "mnist"
	NameFashionMNIST = "fashion-mnist"
	NameCIFAR10      = "cifar10"
	// NameCIFAR10Partial is CIFAR-10 from a folder holding only some of its
	// batch files (see LoadCIFAR10PartialDir); its test set may be absent.
	NameCIFAR10Partial = "cifar10-partial"
	NameCIFAR100       = "cifar100"
	NameTinyImageNet   = "tiny-imagenet"
	NameSynthetic      = "synthetic"
)

// Names lists the data sets Load knows.
func Names() []string {
	return []string{NameMNIST, NameFashionMNIST, NameCIFAR10, NameCIFAR10Partial, NameCIFAR100, NameTinyImageNet, NameSynthetic}
}

type loadOptions struct {
	ctx       context.Context
	download  bool
	cacheDir  string
	client    *http.Client
	progress  io.Writer
	remotes   []Remote
	synthetic SyntheticConfig
	// skipShared ignores the shared data folder (tests of the download path).
	skipShared bool
}

// Option configures Load.
type Option func(*loadOptions)

// WithDownload allows (default) or forbids downloading missing data.
func WithDownload(allowed bool) Option { return func(o *loadOptions) { o.download = allowed } }

// WithCacheDir sets the folder for downloads (default CacheDir()).
func WithCacheDir(dir string) Option { return func(o *loadOptions) { o.cacheDir = dir } }

// WithHTTPClient sets the client used for downloads.
func WithHTTPClient(c *http.Client) Option { return func(o *loadOptions) { o.client = c } }

// WithProgress sends download progress bars to w (default os.Stderr; nil: silent).
func WithProgress(w io.Writer) Option { return func(o *loadOptions) { o.progress = w } }

// WithRemotes replaces the official download locations and checksums (for a
// mirror, or tests); Fashion-MNIST needs four, the others one.
func WithRemotes(r ...Remote) Option { return func(o *loadOptions) { o.remotes = r } }

// WithSynthetic sets the generator configuration of the "synthetic" data set.
func WithSynthetic(cfg SyntheticConfig) Option { return func(o *loadOptions) { o.synthetic = cfg } }

// WithContext bounds downloads by ctx.
func WithContext(ctx context.Context) Option { return func(o *loadOptions) { o.ctx = ctx } }

// Load returns the training and test sets of the named data set.
//
// When dir is non-empty it must hold the data (either the data set's own
// folder, e.g. cifar-10-batches-bin, or a root containing it); for CIFAR-10
// $CIFAR10_DIR, when set, counts as dir. Otherwise Load looks, in order, in
// $NQSNN_DATA_DIR, system locations (the GoMNIST module for MNIST,
// /usr/share/datasets/fashion-mnist), the shared data folder beside the
// module (../shared/data) and the cache folder; failing that it downloads the official archive into the
// cache, verifies its MD5 and extracts it.
func Load(name, dir string, opts ...Option) (train, test *Dataset, err error) {
	o := loadOptions{ctx: context.Background(), download: true, progress: os.Stderr, synthetic: DefaultSyntheticConfig}
	for _, opt := range opts {
		opt(&o)
	}
	if o.cacheDir == "" {
		if o.cacheDir, err = CacheDir(); err != nil && o.download {
			return nil, nil, err
		}
	}
	switch canonicalName(name) {
	case NameSynthetic:
		return Synthetic(o.synthetic)
	case NameCIFAR10:
		if dir == "" {
			dir = os.Getenv(EnvCIFAR10Dir) // an explicit setting must hold the data
		}
		d, err := o.locate(name, dir, "cifar-10-batches-bin", "data_batch_1.bin", "", CIFAR10Remote, ExtractTarGz)
		if err != nil {
			return nil, nil, err
		}
		return LoadCIFAR10Dir(d)
	case NameCIFAR10Partial:
		d, err := o.locate(name, dir, "cifar-10-batches-bin", "batches.meta.txt", os.Getenv(EnvCIFAR10Dir), Remote{}, nil)
		if err != nil {
			return nil, nil, err
		}
		return LoadCIFAR10PartialDir(d)
	case NameCIFAR100:
		d, err := o.locate(name, dir, "cifar-100-binary", "train.bin", "", CIFAR100Remote, ExtractTarGz)
		if err != nil {
			return nil, nil, err
		}
		return LoadCIFAR100Dir(d)
	case NameTinyImageNet:
		d, err := o.locate(name, dir, "tiny-imagenet-200", "wnids.txt", "", TinyImageNetRemote, ExtractZip)
		if err != nil {
			return nil, nil, err
		}
		return LoadTinyImageNetDir(d)
	case NameMNIST:
		sys, _ := GoMNISTDataDir()
		d, err := o.locate(name, dir, "mnist", idxTrainImages, sys, Remote{}, nil)
		if err != nil {
			return nil, nil, err
		}
		return LoadMNISTDir(d)
	case NameFashionMNIST:
		d, err := o.locate(name, dir, "fashion-mnist", idxTrainImages, FashionMNISTSystemDir, Remote{}, nil)
		if err != nil {
			return nil, nil, err
		}
		train, test, err := LoadFashionMNISTDir(d)
		if errors.Is(err, os.ErrNotExist) {
			err = fmt.Errorf("%w; %s", err, FashionMNISTHint)
		}
		return train, test, err
	}
	return nil, nil, fmt.Errorf("unknown data set %q (known: %s)", name, strings.Join(Names(), ", "))
}

// canonicalName accepts common spellings such as "CIFAR-10" or "tinyimagenet".
func canonicalName(name string) string {
	n := strings.ToLower(strings.NewReplacer("-", "", "_", "").Replace(name))
	switch n {
	case "mnist":
		return NameMNIST
	case "fashionmnist":
		return NameFashionMNIST
	case "cifar10":
		return NameCIFAR10
	case "cifar10partial":
		return NameCIFAR10Partial
	case "cifar100":
		return NameCIFAR100
	case "tinyimagenet", "tinyimagenet200":
		return NameTinyImageNet
	case "synthetic":
		return NameSynthetic
	}
	return name
}

// FashionMNISTHint says how to get Fashion-MNIST when it is missing.
const FashionMNISTHint = "get it with `apt-get install dataset-fashion-mnist` (Debian's package, into " + FashionMNISTSystemDir +
	"), or let nqsnn download it (from zalandoresearch's mirror, MD5-checked, into the cache) by giving no -data-dir"

// locate finds the folder of a data set holding marker, downloading it when allowed.
func (o *loadOptions) locate(name, dir, sub, marker, extra string, remote Remote, extract func(archive, dest string) error) (d string, err error) {
	if canonicalName(name) == NameFashionMNIST {
		defer func() {
			if err != nil {
				err = fmt.Errorf("%w; %s", err, FashionMNISTHint)
			}
		}()
	}
	if dir != "" {
		if d := findIn([]string{dir}, sub, marker); d != "" {
			return d, nil
		}
		return "", fmt.Errorf("%s: %s not found in %s or %s", name, marker, dir, filepath.Join(dir, sub))
	}
	shared, _ := SharedDataDir()
	if o.skipShared {
		shared = ""
	}
	roots := []string{os.Getenv(EnvDataDir), extra, shared, o.cacheDir}
	if d := findIn(roots, sub, marker); d != "" {
		return d, nil
	}
	if !o.download {
		return "", fmt.Errorf("%s: %s not found (looked in $%s, shared data, cache %s) and downloads are off", name, marker, EnvDataDir, o.cacheDir)
	}
	if canonicalName(name) == NameFashionMNIST {
		remotes := FashionMNISTRemotes
		if len(o.remotes) > 0 {
			remotes = o.remotes
		}
		dest := filepath.Join(o.cacheDir, sub)
		for _, r := range remotes {
			if _, err := Fetch(o.ctx, r, dest, o.client, o.progress); err != nil {
				return "", fmt.Errorf("%s: %w", name, err)
			}
		}
		return dest, nil
	}
	if extract == nil {
		return "", fmt.Errorf("%s: %s not found and there is no download for it; pass its folder", name, marker)
	}
	if len(o.remotes) > 0 {
		remote = o.remotes[0]
	}
	archive, err := Fetch(o.ctx, remote, o.cacheDir, o.client, o.progress)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	if err := extract(archive, o.cacheDir); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	if d := findIn([]string{o.cacheDir}, sub, marker); d != "" {
		return d, nil
	}
	return "", fmt.Errorf("%s: archive %s did not contain %s/%s", name, archive, sub, marker)
}
