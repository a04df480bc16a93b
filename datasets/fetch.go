package datasets

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/schollz/progressbar/v3"
)

// Remote describes a downloadable file and its published MD5 checksum.
type Remote struct {
	URL string
	MD5 string
	// File is the local file name inside the cache folder.
	File string
}

// Official archives.
var (
	CIFAR10Remote  = Remote{URL: "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz", MD5: "c32a1d4ab5d03f1284b67883e8d87530", File: "cifar-10-binary.tar.gz"}
	CIFAR100Remote = Remote{URL: "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz", MD5: "03b5dce01913d631647c71ecec9e9cb8", File: "cifar-100-binary.tar.gz"}
	// TinyImageNetRemote's checksum is the one published with common loaders
	// (e.g. Avalanche); the Stanford page gives none.
	TinyImageNetRemote = Remote{URL: "http://cs231n.stanford.edu/tiny-imagenet-200.zip", MD5: "90528d7ca1a48142e341f4ef8d21d0de", File: "tiny-imagenet-200.zip"}
	// FashionMNISTRemotes are the four files of zalandoresearch/fashion-mnist.
	FashionMNISTRemotes = []Remote{
		{URL: fashionBase + idxTrainImages, MD5: "8d4fb7e6c68d591d4c3dfef9ec88bf0d", File: idxTrainImages},
		{URL: fashionBase + idxTrainLabels, MD5: "25c81989df183df01b3e8a0aad5dffbe", File: idxTrainLabels},
		{URL: fashionBase + idxTestImages, MD5: "bef4ecab320f06d8554ea6380940ec79", File: idxTestImages},
		{URL: fashionBase + idxTestLabels, MD5: "bb300cfdad3c16e7a12a480ee83cd310", File: idxTestLabels},
	}
)

const fashionBase = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"

// FileMD5 returns the hex MD5 of a file.
func FileMD5(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Fetch downloads r.URL to dir/r.File unless a file with the right checksum
// is already there. It writes to a temporary name, verifies the MD5 and only
// then renames, so an interrupted or corrupt download never looks complete.
// progress receives a progress bar (nil: none); client nil means
// http.DefaultClient.
func Fetch(ctx context.Context, r Remote, dir string, client *http.Client, progress io.Writer) (string, error) {
	dst := filepath.Join(dir, r.File)
	if sum, err := FileMD5(dst); err == nil && strings.EqualFold(sum, r.MD5) {
		return dst, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL, nil)
	if err != nil {
		return "", fmt.Errorf("download %s: %w", r.URL, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("download %s: %w", r.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("download %s: HTTP status %s", r.URL, resp.Status)
	}
	tmp, err := os.CreateTemp(dir, r.File+".part-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	h := md5.New()
	w := io.MultiWriter(tmp, h)
	if progress != nil {
		bar := progressbar.NewOptions64(resp.ContentLength,
			progressbar.OptionSetWriter(progress), progressbar.OptionShowBytes(true),
			progressbar.OptionSetDescription(r.File), progressbar.OptionThrottle(0),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(progress) }))
		w = io.MultiWriter(w, bar)
	}
	n, err := io.Copy(w, resp.Body)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("download %s: after %d bytes: %w", r.URL, n, err)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return "", fmt.Errorf("download %s: got %d bytes, server announced %d", r.URL, n, resp.ContentLength)
	}
	if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, r.MD5) {
		return "", fmt.Errorf("download %s: MD5 checksum mismatch: got %s, want %s", r.URL, got, r.MD5)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", err
	}
	return dst, nil
}

// safeJoin joins an archive member name to dir, refusing names that escape it.
func safeJoin(dir, name, archive string) (string, error) {
	clean := filepath.Clean(filepath.FromSlash(name))
	if filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s: member %q escapes the extraction folder", archive, name)
	}
	return filepath.Join(dir, clean), nil
}

func writeMember(path string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// extractAtomically extracts into a temporary folder inside destDir and then
// renames each top-level entry into place, so a failed extraction leaves no
// half-written data set behind.
func extractAtomically(archive, destDir string, extract func(tmp string) error) error {
	if err := os.MkdirAll(destDir, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(destDir, ".extract-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := extract(tmp); err != nil {
		return err
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return err
	}
	for _, e := range entries {
		dst := filepath.Join(destDir, e.Name())
		if err := os.RemoveAll(dst); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(tmp, e.Name()), dst); err != nil {
			return fmt.Errorf("%s: %w", archive, err)
		}
	}
	return nil
}

// ExtractTarGz extracts the regular files and folders of a .tar.gz archive into destDir.
func ExtractTarGz(archive, destDir string) error {
	return extractAtomically(archive, destDir, func(tmp string) error {
		f, err := os.Open(archive)
		if err != nil {
			return err
		}
		defer f.Close()
		gz, err := gzip.NewReader(f)
		if err != nil {
			return fmt.Errorf("%s: unreadable gzip: %w", archive, err)
		}
		tr := tar.NewReader(gz)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("%s: corrupt tar: %w", archive, err)
			}
			p, err := safeJoin(tmp, h.Name, archive)
			if err != nil {
				return err
			}
			switch h.Typeflag {
			case tar.TypeDir:
				if err := os.MkdirAll(p, 0o755); err != nil {
					return err
				}
			case tar.TypeReg:
				if err := writeMember(p, tr); err != nil {
					return fmt.Errorf("%s: member %s: %w", archive, h.Name, err)
				}
			}
		}
	})
}

// ExtractZip extracts the regular files and folders of a zip archive into destDir.
func ExtractZip(archive, destDir string) error {
	return extractAtomically(archive, destDir, func(tmp string) error {
		zr, err := zip.OpenReader(archive)
		if err != nil {
			return fmt.Errorf("%s: unreadable zip: %w", archive, err)
		}
		defer zr.Close()
		for _, zf := range zr.File {
			p, err := safeJoin(tmp, zf.Name, archive)
			if err != nil {
				return err
			}
			if zf.FileInfo().IsDir() {
				if err := os.MkdirAll(p, 0o755); err != nil {
					return err
				}
				continue
			}
			rc, err := zf.Open()
			if err != nil {
				return fmt.Errorf("%s: member %s: %w", archive, zf.Name, err)
			}
			err = writeMember(p, rc)
			rc.Close()
			if err != nil {
				return fmt.Errorf("%s: member %s: %w", archive, zf.Name, err)
			}
		}
		return nil
	})
}
