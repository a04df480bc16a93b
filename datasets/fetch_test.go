package datasets

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func md5Hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// serve returns a test server that serves files by path and counts requests.
func serve(t *testing.T, files map[string][]byte) (*httptest.Server, *atomic.Int32) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		data, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		_, _ = w.Write(data)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestFetchVerifiesAndCaches(t *testing.T) {
	payload := bytes.Repeat([]byte("cifar"), 10000)
	srv, hits := serve(t, map[string][]byte{"/a.tar.gz": payload})
	dir := t.TempDir()
	r := Remote{URL: srv.URL + "/a.tar.gz", MD5: md5Hex(payload), File: "a.tar.gz"}
	var bar bytes.Buffer
	path, err := Fetch(context.Background(), r, dir, srv.Client(), &bar)
	require.NoError(t, err)
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, payload, got)
	assert.Contains(t, bar.String(), "a.tar.gz")
	assert.Contains(t, bar.String(), "100%")

	// A second call finds the verified file and does not download again.
	_, err = Fetch(context.Background(), r, dir, srv.Client(), nil)
	require.NoError(t, err)
	assert.EqualValues(t, 1, hits.Load())
}

func TestFetchRejectsBadChecksumAndStatus(t *testing.T) {
	srv, _ := serve(t, map[string][]byte{"/x": []byte("corrupted")})
	dir := t.TempDir()
	_, err := Fetch(context.Background(), Remote{URL: srv.URL + "/x", MD5: "c32a1d4ab5d03f1284b67883e8d87530", File: "x"}, dir, srv.Client(), nil)
	assert.ErrorContains(t, err, "MD5 checksum mismatch: got "+md5Hex([]byte("corrupted"))+", want c32a1d4ab5d03f1284b67883e8d87530")
	_, err = Fetch(context.Background(), Remote{URL: srv.URL + "/missing", MD5: "00", File: "m"}, dir, srv.Client(), nil)
	assert.ErrorContains(t, err, "HTTP status 404")
	// Nothing, not even a temporary file, is left behind.
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries)
}

func tarGz(t *testing.T, files map[string][]byte) []byte {
	var b bytes.Buffer
	zw := gzipWriter(&b)
	tw := tar.NewWriter(zw)
	for name, data := range files {
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}))
		_, err := tw.Write(data)
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	require.NoError(t, zw.Close())
	return b.Bytes()
}

func TestExtractTarGzAndZip(t *testing.T) {
	dir := t.TempDir()
	arch := filepath.Join(dir, "a.tar.gz")
	writeFile(t, arch, tarGz(t, map[string][]byte{"top/one.bin": []byte("1"), "top/sub/two.txt": []byte("22")}))
	out := filepath.Join(dir, "out")
	require.NoError(t, ExtractTarGz(arch, out))
	got, err := os.ReadFile(filepath.Join(out, "top", "sub", "two.txt"))
	require.NoError(t, err)
	assert.Equal(t, "22", string(got))

	evil := filepath.Join(dir, "evil.tar.gz")
	writeFile(t, evil, tarGz(t, map[string][]byte{"../escape": []byte("x")}))
	assert.ErrorContains(t, ExtractTarGz(evil, out), `member "../escape" escapes the extraction folder`)
	assert.NoFileExists(t, filepath.Join(dir, "escape"))

	writeFile(t, filepath.Join(dir, "bad.tar.gz"), []byte("nope"))
	assert.ErrorContains(t, ExtractTarGz(filepath.Join(dir, "bad.tar.gz"), out), "unreadable gzip")

	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, err := zw.Create("z/file.txt")
	require.NoError(t, err)
	_, _ = w.Write([]byte("zip"))
	require.NoError(t, zw.Close())
	writeFile(t, filepath.Join(dir, "a.zip"), zb.Bytes())
	require.NoError(t, ExtractZip(filepath.Join(dir, "a.zip"), out))
	got, err = os.ReadFile(filepath.Join(out, "z", "file.txt"))
	require.NoError(t, err)
	assert.Equal(t, "zip", string(got))
	// No temporary extraction folders remain.
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		assert.False(t, strings.HasPrefix(e.Name(), ".extract-"), e.Name())
	}
}

func zipDir(t *testing.T, root string) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	base := filepath.Dir(root)
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(base, p)
		w, err := zw.Create(filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(w, f)
		return err
	}))
	require.NoError(t, zw.Close())
	return b.Bytes()
}

func TestLoadDownloadsTinyImageNet(t *testing.T) {
	src := filepath.Join(t.TempDir(), "tiny-imagenet-200")
	writeTinyTree(t, src, []string{"n01443537", "n01629819"}, 2)
	archive := zipDir(t, src)
	srv, hits := serve(t, map[string][]byte{"/tiny.zip": archive})
	t.Setenv(EnvDataDir, "")
	cache := t.TempDir()
	remote := Remote{URL: srv.URL + "/tiny.zip", MD5: md5Hex(archive), File: "tiny-imagenet-200.zip"}
	train, test, err := Load("tiny-imagenet", "", WithCacheDir(cache), WithRemotes(remote),
		WithHTTPClient(srv.Client()), WithProgress(nil))
	require.NoError(t, err)
	assert.Equal(t, 4, train.Len())
	assert.Equal(t, 4, test.Len())
	assert.Equal(t, filepath.Join(cache, "tiny-imagenet-200"), train.Source)
	// Loading again uses the extracted copy.
	_, _, err = Load("tiny-imagenet", "", WithCacheDir(cache), WithRemotes(remote), WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	assert.EqualValues(t, 1, hits.Load())

	// A corrupt download is refused.
	bad := Remote{URL: srv.URL + "/tiny.zip", MD5: "90528d7ca1a48142e341f4ef8d21d0de", File: "other.zip"}
	_, _, err = Load("tiny-imagenet", "", WithCacheDir(t.TempDir()), WithRemotes(bad), WithHTTPClient(srv.Client()), WithProgress(nil))
	assert.ErrorContains(t, err, "MD5 checksum mismatch")
}

func TestFashionMNISTDownloadPath(t *testing.T) {
	src := t.TempDir()
	writeIDXDir(t, src, 20, 10, func(i int) byte { return byte(i % 10) })
	files := map[string][]byte{}
	var remotes []Remote
	for _, f := range []string{idxTrainImages, idxTrainLabels, idxTestImages, idxTestLabels} {
		data, err := os.ReadFile(filepath.Join(src, f))
		require.NoError(t, err)
		files["/"+f] = data
		remotes = append(remotes, Remote{MD5: md5Hex(data), File: f})
	}
	srv, hits := serve(t, files)
	for i := range remotes {
		remotes[i].URL = srv.URL + "/" + remotes[i].File
	}
	t.Setenv(EnvDataDir, "")
	cache := t.TempDir()
	o := loadOptions{ctx: context.Background(), download: true, cacheDir: cache, client: srv.Client(), remotes: remotes}
	// extra="" skips the system copy so the download path runs.
	dir, err := o.locate(NameFashionMNIST, "", "fashion-mnist", idxTrainImages, "", Remote{}, nil)
	require.NoError(t, err)
	assert.EqualValues(t, 4, hits.Load())
	train, _, err := LoadFashionMNISTDir(dir)
	require.NoError(t, err)
	assert.Equal(t, 20, train.Len())
}

func TestLoadErrors(t *testing.T) {
	_, _, err := Load("imagenet-21k", "")
	assert.ErrorContains(t, err, `unknown data set "imagenet-21k" (known: mnist, fashion-mnist, cifar10, cifar10-partial, cifar100, tiny-imagenet, synthetic)`)
	empty := t.TempDir()
	_, _, err = Load("CIFAR-100", empty)
	assert.ErrorContains(t, err, "train.bin not found in "+empty)
	t.Setenv(EnvDataDir, "")
	_, _, err = Load("cifar100", "", WithDownload(false), WithCacheDir(empty))
	assert.ErrorContains(t, err, "cifar100: train.bin not found")
	assert.ErrorContains(t, err, "downloads are off")
}

func TestLoadCIFAR10ByName(t *testing.T) {
	dir := sharedCIFAR10(t)
	t.Setenv(EnvCIFAR10Dir, "")
	t.Setenv(EnvDataDir, "")
	train, test, err := Load("cifar10", "", WithDownload(false))
	require.NoError(t, err)
	assert.Equal(t, dir, train.Source)
	assert.Equal(t, 50000, train.Len())
	assert.Equal(t, 10000, test.Len())
	// A root holding cifar-10-batches-bin is accepted too.
	_, _, err = Load("cifar-10", filepath.Dir(dir))
	require.NoError(t, err)
}

func TestLoadDownloadsCIFAR10Archive(t *testing.T) {
	files := map[string][]byte{"cifar-10-batches-bin/batches.meta.txt": []byte(classNames("c", 10))}
	for _, f := range append(append([]string(nil), cifar10Layout.train...), cifar10Layout.test...) {
		files["cifar-10-batches-bin/"+f] = append(cifarRecord(0, 1), cifarRecord(1, 2)...)
	}
	archive := tarGz(t, files)
	srv, _ := serve(t, map[string][]byte{"/c.tar.gz": archive})
	t.Setenv(EnvDataDir, "")
	t.Setenv(EnvCIFAR10Dir, "")
	cache := t.TempDir()
	_, _, err := Load("cifar10", "", WithCacheDir(cache), WithHTTPClient(srv.Client()), WithProgress(nil),
		func(o *loadOptions) { o.skipShared = true },
		WithRemotes(Remote{URL: srv.URL + "/c.tar.gz", MD5: md5Hex(archive), File: "cifar-10-binary.tar.gz"}))
	// Download and extraction worked; the strict loader then rejects the tiny files.
	assert.ErrorContains(t, err, filepath.Join(cache, "cifar-10-batches-bin", "data_batch_1.bin")+": has 2 records")
}

func TestLoadHonoursEnvironment(t *testing.T) {
	root := t.TempDir()
	writeIDXDir(t, filepath.Join(root, "mnist"), 12, 3, func(i int) byte { return byte(i % 10) })
	t.Setenv(EnvDataDir, root)
	train, _, err := Load("mnist", "")
	require.NoError(t, err)
	assert.Equal(t, 12, train.Len(), "NQSNN_DATA_DIR wins over the GoMNIST module")

	t.Setenv(EnvCIFAR10Dir, filepath.Join(root, "nowhere"))
	_, _, err = Load("cifar10", "")
	assert.ErrorContains(t, err, "data_batch_1.bin not found in "+filepath.Join(root, "nowhere"))
}
