package backend

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeIndex is a PyPI-style JSON API serving one release per package.
type fakeIndex struct {
	srv       *httptest.Server
	releases  map[string]fakeRelease
	downloads atomic.Int32
}

type fakeRelease struct {
	version string
	files   []fakeFile
}

type fakeFile struct {
	name      string
	data      []byte
	sha256    string // published digest; default: the real one
	truncate  bool   // serve only half the bytes, announcing the full length
	typ       string // default bdist_wheel
	absoluteU bool   // publish an absolute URL instead of a relative one
}

func newFakeIndex(t *testing.T, releases map[string]fakeRelease) *fakeIndex {
	fi := &fakeIndex{releases: releases}
	mux := http.NewServeMux()
	mux.HandleFunc("/pypi/{pkg}/json", func(w http.ResponseWriter, r *http.Request) {
		rel, ok := fi.releases[r.PathValue("pkg")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		var urls []map[string]any
		for _, f := range rel.files {
			sum := sha256.Sum256(f.data)
			digest := hex.EncodeToString(sum[:])
			if f.sha256 != "" {
				digest = f.sha256
			}
			u := "../../files/" + f.name // relative, as some PyPI mirrors publish them
			if f.absoluteU {
				u = fi.srv.URL + "/files/" + f.name
			}
			typ := f.typ
			if typ == "" {
				typ = "bdist_wheel"
			}
			urls = append(urls, map[string]any{"filename": f.name, "url": u, "packagetype": typ,
				"size": len(f.data), "digests": map[string]string{"sha256": digest}})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"info": map[string]string{"name": r.PathValue("pkg"), "version": rel.version}, "urls": urls})
	})
	mux.HandleFunc("/files/{name}", func(w http.ResponseWriter, r *http.Request) {
		fi.downloads.Add(1)
		for _, rel := range fi.releases {
			for _, f := range rel.files {
				if f.name != r.PathValue("name") {
					continue
				}
				w.Header().Set("Content-Length", fmt.Sprint(len(f.data)))
				if f.truncate {
					_, _ = w.Write(f.data[:len(f.data)/2])
					return // the server closes the connection short of Content-Length
				}
				_, _ = w.Write(f.data)
				return
			}
		}
		http.NotFound(w, r)
	})
	fi.srv = httptest.NewServer(mux)
	t.Cleanup(fi.srv.Close)
	return fi
}

// makeWheel builds a zip with the given files.
func makeWheel(t *testing.T, files map[string]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w, err := zw.Create(n)
		require.NoError(t, err)
		_, err = w.Write([]byte(files[n]))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

const fakeSO = "\x7fELF fake PJRT plugin"

func goodWheel(t *testing.T) []byte {
	return makeWheel(t, map[string]string{
		"xla_plugins/xla_cpu_pjrt/xla_cpu_pjrt.so":  fakeSO,
		"xla_plugins/xla_cpu_pjrt/__init__.py":      "",
		"xla_cpu_pjrt-0.0.1.dist-info/METADATA":     "Name: xla-cpu-pjrt",
		"xla_cpu_pjrt-0.0.1.dist-info/RECORD":       "",
		"xla_plugins/xla_cpu_pjrt/libsomething.txt": "not a library",
	})
}

const wheelName = "pkg-1.0-py3-none-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl"

// installer returns an Installer for the fake index whose check records the plugin it saw.
func (fi *fakeIndex) installer(t *testing.T, pkgs ...string) (Installer, *[]string) {
	var checked []string
	return Installer{
		IndexURL: fi.srv.URL + "/pypi/",
		Packages: pkgs,
		Dir:      filepath.Join(t.TempDir(), "xla"),
		Client:   fi.srv.Client(),
		Arch:     "x86_64",
		Check: func(p string) error {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if string(data) != fakeSO {
				return fmt.Errorf("plugin content %q", data)
			}
			checked = append(checked, p)
			return nil
		},
	}, &checked
}

func dirNames(t *testing.T, dir string) []string {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func skipUnlessLinux(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("wheels are only picked on Linux")
	}
}

func TestInstallSuccessAndReinstall(t *testing.T) {
	skipUnlessLinux(t)
	whl := goodWheel(t)
	fi := newFakeIndex(t, map[string]fakeRelease{"pkg": {version: "1.0", files: []fakeFile{
		{name: "pkg-1.0.tar.gz", data: []byte("sdist"), typ: "sdist"},
		{name: "pkg-1.0-py3-none-manylinux_2_27_aarch64.whl", data: []byte("arm")},
		{name: wheelName, data: whl},
	}}})
	in, checked := fi.installer(t, "pkg")
	var out bytes.Buffer
	p, err := in.Install(context.Background(), &out)
	require.NoError(t, err, out.String())
	assert.Equal(t, filepath.Join(in.Dir, CPUPluginFile), p)
	assert.Equal(t, []string{p}, *checked)
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, fakeSO, string(data))
	st, err := os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o755), st.Mode().Perm())
	info, ok := readPluginInfo(p)
	require.True(t, ok)
	sum := sha256.Sum256(whl)
	assert.Equal(t, PluginInfo{Package: "pkg", Version: "1.0", Wheel: wheelName, SHA256: hex.EncodeToString(sum[:])}, info)
	assert.Equal(t, []string{CPUPluginFile, PluginInfoFile}, dirNames(t, in.Dir), "no temporary files left")
	assert.Contains(t, out.String(), "100%")
	assert.Contains(t, out.String(), "sha256 "+info.SHA256+" verified")
	assert.Equal(t, int32(1), fi.downloads.Load())

	// Same release again: nothing is downloaded, the plugin is only checked.
	out.Reset()
	p2, err := in.Install(context.Background(), &out)
	require.NoError(t, err)
	assert.Equal(t, p, p2)
	assert.Contains(t, out.String(), "already installed")
	assert.Equal(t, int32(1), fi.downloads.Load())
	assert.Len(t, *checked, 2)
}

func TestInstallSHAMismatch(t *testing.T) {
	skipUnlessLinux(t)
	fi := newFakeIndex(t, map[string]fakeRelease{"pkg": {version: "1.0", files: []fakeFile{
		{name: wheelName, data: goodWheel(t), sha256: strings.Repeat("ab", 32), absoluteU: true},
	}}})
	in, checked := fi.installer(t, "pkg")
	_, err := in.Install(context.Background(), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "pkg: downloading "+wheelName+": sha256 mismatch: index publishes abab")
	assert.Empty(t, *checked)
	assert.Empty(t, dirNames(t, in.Dir), "nothing left behind")
}

func TestInstallNoWheelForArch(t *testing.T) {
	skipUnlessLinux(t)
	fi := newFakeIndex(t, map[string]fakeRelease{"pkg": {version: "2.0", files: []fakeFile{
		{name: "pkg-2.0.tar.gz", data: []byte("sdist"), typ: "sdist"},
		{name: "pkg-2.0-py3-none-manylinux_2_27_aarch64.whl", data: []byte("arm")},
		{name: "pkg-2.0-py3-none-macosx_11_0_x86_64.whl", data: []byte("mac")},
	}}})
	in, _ := fi.installer(t, "pkg")
	_, err := in.Install(context.Background(), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "pkg: version 2.0 has no Linux x86_64 wheel")
	assert.Contains(t, err.Error(), "pkg-2.0-py3-none-manylinux_2_27_aarch64.whl")
	assert.Zero(t, fi.downloads.Load())
}

func TestInstallTruncatedDownload(t *testing.T) {
	skipUnlessLinux(t)
	fi := newFakeIndex(t, map[string]fakeRelease{"pkg": {version: "1.0", files: []fakeFile{
		{name: wheelName, data: goodWheel(t), truncate: true},
	}}})
	in, checked := fi.installer(t, "pkg")
	_, err := in.Install(context.Background(), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "downloading "+wheelName+": unexpected EOF")
	assert.Empty(t, *checked)
	assert.Empty(t, dirNames(t, in.Dir), "nothing left behind")
}

func TestInstallFallsBackToNextPackage(t *testing.T) {
	skipUnlessLinux(t)
	fi := newFakeIndex(t, map[string]fakeRelease{
		"broken": {version: "1.0", files: []fakeFile{{name: "broken-1.0-py3-none-manylinux_2_27_x86_64.whl",
			data: makeWheel(t, map[string]string{"broken/README": "no library here"})}}},
		"pkg": {version: "1.0", files: []fakeFile{{name: wheelName, data: goodWheel(t)}}},
	})
	in, _ := fi.installer(t, "missing", "broken", "pkg")
	var out bytes.Buffer
	p, err := in.Install(context.Background(), &out)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(in.Dir, CPUPluginFile), p)
	assert.Contains(t, out.String(), "missing: GET "+fi.srv.URL+"/pypi/missing/json: 404 Not Found")
	assert.Contains(t, out.String(), "broken: broken-1.0-py3-none-manylinux_2_27_x86_64.whl: no PJRT plugin (*pjrt*.so) inside the wheel")
	info, ok := readPluginInfo(p)
	require.True(t, ok)
	assert.Equal(t, "pkg", info.Package)

	// When all fail, the error lists every candidate.
	in.Packages = []string{"missing", "broken"}
	_, err = in.Install(context.Background(), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "every candidate failed: missing: GET")
	assert.Contains(t, err.Error(), "; broken: broken-1.0")
}

func TestInstallFailedCheckRestoresPrevious(t *testing.T) {
	skipUnlessLinux(t)
	fi := newFakeIndex(t, map[string]fakeRelease{"pkg": {version: "1.0", files: []fakeFile{{name: wheelName, data: goodWheel(t)}}}})
	in, _ := fi.installer(t, "pkg")
	require.NoError(t, os.MkdirAll(in.Dir, 0o755))
	prev := filepath.Join(in.Dir, CPUPluginFile)
	require.NoError(t, os.WriteFile(prev, []byte("previous plugin"), 0o755))
	prevInfo := `{"package":"old","version":"0.1"}`
	require.NoError(t, os.WriteFile(filepath.Join(in.Dir, PluginInfoFile), []byte(prevInfo), 0o644))
	in.Check = func(string) error { return errors.New("PJRT API version too old") }

	_, err := in.Install(context.Background(), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "plugin from "+wheelName+" does not work, removed it: PJRT API version too old")
	data, err := os.ReadFile(prev)
	require.NoError(t, err)
	assert.Equal(t, "previous plugin", string(data))
	data, err = os.ReadFile(filepath.Join(in.Dir, PluginInfoFile))
	require.NoError(t, err)
	assert.Equal(t, prevInfo, string(data))
	assert.Equal(t, []string{CPUPluginFile, PluginInfoFile}, dirNames(t, in.Dir))
}

func TestInstallCanceled(t *testing.T) {
	skipUnlessLinux(t)
	fi := newFakeIndex(t, map[string]fakeRelease{"pkg": {version: "1.0", files: []fakeFile{{name: wheelName, data: goodWheel(t)}}}})
	in, _ := fi.installer(t, "pkg", "other")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := in.Install(ctx, nil)
	require.ErrorIs(t, err, context.Canceled)
	assert.NotContains(t, err.Error(), "other", "stops at the first candidate")
}

func TestPickWheelPrefersPluginName(t *testing.T) {
	open := func(files map[string]string) *zip.Reader {
		data := makeWheel(t, files)
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		require.NoError(t, err)
		return zr
	}
	zr := open(map[string]string{"a/libpjrt_helper.so": "x", "b/" + CPUPluginFile: "y"})
	f, err := findPluginEntry(zr)
	require.NoError(t, err)
	assert.Equal(t, "b/"+CPUPluginFile, f.Name)

	_, err = findPluginEntry(open(map[string]string{"a/pjrt_one.so": "x", "b/pjrt_two.so": "y"}))
	require.ErrorContains(t, err, `several PJRT plugin candidates inside the wheel: ["a/pjrt_one.so" "b/pjrt_two.so"]`)
}

// TestInstallFromPyPI downloads the real plugin (~60 MB) into a temporary directory and
// loads it; it needs network access, so it only runs with NQSNN_TEST_PYPI=1.
func TestInstallFromPyPI(t *testing.T) {
	if os.Getenv("NQSNN_TEST_PYPI") != "1" {
		t.Skip("set NQSNN_TEST_PYPI=1 to download the XLA CPU plugin from PyPI")
	}
	pkg := os.Getenv("NQSNN_TEST_PYPI_PACKAGE") // default: DefaultCPUPackages
	in := Installer{Dir: t.TempDir()}
	if pkg != "" {
		in.Packages = []string{pkg}
	}
	var out bytes.Buffer
	p, err := in.Install(context.Background(), &out)
	t.Log(out.String())
	require.NoError(t, err)
	info, ok := readPluginInfo(p)
	require.True(t, ok)
	t.Logf("installed %+v", info)
	_, c, err := New("xla:" + p)
	require.NoError(t, err)
	t.Log(c.Description)
}
