package datasets

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseCIFARConvertsCHWToHWC(t *testing.T) {
	data := append(cifarRecord(0, 3), cifarRecord(7, 9)...)
	im, lb, err := ParseCIFAR(data, "x.bin", CIFAR10Format)
	require.NoError(t, err)
	assert.Equal(t, []int32{3, 9}, lb)
	require.Len(t, im, 2*3072)
	// Sample 1, row 2, column 5, green: plane 1, position 2*32+5.
	i := 2*32 + 5
	assert.Equal(t, byte(7+3*i+1), im[3072+3*i+1])
	assert.Equal(t, byte(0+3*i+2), im[3*i+2])
}

func TestParseCIFARErrors(t *testing.T) {
	good := cifarRecord(1, 2)
	_, _, err := ParseCIFAR(nil, "e.bin", CIFAR10Format)
	assert.ErrorContains(t, err, "e.bin: empty file")

	_, _, err = ParseCIFAR(append(good, good[:100]...), "t.bin", CIFAR10Format)
	assert.ErrorContains(t, err, "t.bin: size 3173 is not a multiple of the record size 3073: record 1 at offset 3073 is truncated (100 of 3073 bytes)")

	bad := append(append([]byte(nil), good...), cifarRecord(0, 10)...)
	_, _, err = ParseCIFAR(bad, "l.bin", CIFAR10Format)
	assert.ErrorContains(t, err, "l.bin: record 1 (offset 3073): label 10 out of range [0, 10)")

	_, _, err = ParseCIFAR(cifarRecord(0, 5, 100), "f.bin", CIFAR100FineFormat)
	assert.ErrorContains(t, err, "f.bin: record 0 (offset 1): label 100 out of range [0, 100)")
}

// writeCIFAR10Dir writes a miniature CIFAR-10 folder with perFile records per file.
func writeCIFAR10Dir(t *testing.T, dir string, perFile int) {
	for _, f := range append(append([]string(nil), cifar10Layout.train...), cifar10Layout.test...) {
		var data []byte
		for r := range perFile {
			data = append(data, cifarRecord(r, byte(r%10))...)
		}
		writeFile(t, filepath.Join(dir, f), data)
	}
	writeFile(t, filepath.Join(dir, "batches.meta.txt"), []byte(classNames("c", 10)+"\n"))
}

func TestCIFAR10LayoutOnGeneratedFiles(t *testing.T) {
	dir := t.TempDir()
	writeCIFAR10Dir(t, dir, 20)
	small := cifar10Layout
	small.perTrainFile, small.perTestFile = 20, 20
	train, test, err := small.load(dir)
	require.NoError(t, err)
	assert.Equal(t, 100, train.Len())
	assert.Equal(t, 20, test.Len())
	assert.Equal(t, []int{10, 10, 10, 10, 10, 10, 10, 10, 10, 10}, train.ClassCounts())
	assert.Equal(t, "cifar10/train", train.Name)
	assert.Equal(t, CIFAR10Norm, train.Norm)
	require.Len(t, train.ClassNames, 10)

	// The official loader insists on 10,000 records per file.
	_, _, err = LoadCIFAR10Dir(dir)
	assert.ErrorContains(t, err, "data_batch_1.bin: has 20 records (61460 bytes), want 10000 records (30730000 bytes)")
}

func TestCIFAR10MissingFileAndNames(t *testing.T) {
	dir := t.TempDir()
	writeCIFAR10Dir(t, dir, 3)
	small := cifar10Layout
	small.perTrainFile, small.perTestFile = 3, 3
	require.NoError(t, os.Remove(filepath.Join(dir, "data_batch_4.bin")))
	_, _, err := small.load(dir)
	assert.ErrorContains(t, err, "data_batch_4.bin")

	writeFile(t, filepath.Join(dir, "batches.meta.txt"), []byte("a\nb\n"))
	_, _, err = small.load(dir)
	assert.ErrorContains(t, err, "batches.meta.txt: has 2 class names, want 10")
}

func TestCIFAR100OnGeneratedFiles(t *testing.T) {
	dir := t.TempDir()
	var train, test []byte
	for r := range 200 {
		train = append(train, cifarRecord(r, byte(r%20), byte(r%100))...)
	}
	for r := range 100 {
		test = append(test, cifarRecord(r, byte(r%20), byte(99-r))...)
	}
	writeFile(t, filepath.Join(dir, "train.bin"), train)
	writeFile(t, filepath.Join(dir, "test.bin"), test)
	writeFile(t, filepath.Join(dir, "fine_label_names.txt"), []byte(classNames("f", 100)))
	writeFile(t, filepath.Join(dir, "coarse_label_names.txt"), []byte(classNames("g", 20)))
	small := cifar100Layout
	small.perTrainFile, small.perTestFile = 200, 100
	tr, te, err := small.load(dir)
	require.NoError(t, err)
	assert.Equal(t, 200, tr.Len())
	assert.Equal(t, int32(57), tr.Labels[57])  // fine label, not coarse
	assert.Equal(t, int32(99-3), te.Labels[3]) // fine label of the test set
	assert.Equal(t, 100, tr.NumClasses())

	_, _, err = LoadCIFAR100Dir(dir)
	assert.ErrorContains(t, err, "train.bin: has 200 records (614800 bytes), want 50000 records")
}

// sharedCIFAR10 returns the shared CIFAR-10 copy or skips.
func sharedCIFAR10(t testing.TB) string {
	shared, err := SharedDataDir()
	if err != nil {
		t.Skip("shared data folder not present: " + err.Error())
	}
	dir := filepath.Join(shared, "cifar-10-batches-bin")
	if !isFile(filepath.Join(dir, "data_batch_1.bin")) {
		t.Skip("shared CIFAR-10 copy not present in " + dir)
	}
	return dir
}

func TestSharedCIFAR10(t *testing.T) {
	dir := sharedCIFAR10(t)
	sums, err := os.Open(filepath.Join(dir, "SHA256SUMS"))
	require.NoError(t, err)
	defer sums.Close()
	sc := bufio.NewScanner(sums)
	checked := 0
	for sc.Scan() {
		want, name, ok := strings.Cut(sc.Text(), "  ")
		require.True(t, ok, "SHA256SUMS line %q", sc.Text())
		f, err := os.Open(filepath.Join(dir, name))
		require.NoError(t, err)
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		require.NoError(t, err)
		assert.Equal(t, want, hex.EncodeToString(h.Sum(nil)), name)
		checked++
	}
	assert.Equal(t, 7, checked)

	train, test, err := LoadCIFAR10Dir(dir)
	require.NoError(t, err)
	assert.Equal(t, 50000, train.Len())
	assert.Equal(t, 10000, test.Len())
	for c, n := range train.ClassCounts() {
		assert.Equal(t, 5000, n, "train class %d", c)
	}
	for c, n := range test.ClassCounts() {
		assert.Equal(t, 1000, n, "test class %d", c)
	}
	assert.Equal(t, "airplane", train.ClassNames[0])
	assert.Equal(t, "truck", train.ClassNames[9])
	// Known label order: the first test images are cat, ship, ship, airplane.
	assert.Equal(t, []int32{3, 8, 8, 0}, test.Labels[:4])
	// Channel means over the training set match the published statistics.
	var sum [3]float64
	for i, v := range train.Images {
		sum[i%3] += float64(v)
	}
	for c := range 3 {
		mean := sum[c] / float64(train.Len()*1024) / 255
		assert.InDelta(t, CIFAR10Norm.Mean[c], mean, 5e-4, "channel %d", c)
	}
}

// cifar10-partial reads whichever official batches are present and never
// passes for the full set; plain cifar10 still refuses the folder.
func TestCIFAR10Partial(t *testing.T) {
	shared, err := SharedDataDir()
	if err != nil || shared == "" {
		t.Skip("shared CIFAR-10 copy not found")
	}
	src := filepath.Join(shared, "cifar-10-batches-bin")
	if _, err := os.Stat(filepath.Join(src, "data_batch_3.bin")); err != nil {
		t.Skip("shared CIFAR-10 copy not found")
	}
	dir := filepath.Join(t.TempDir(), "cifar-10-batches-bin")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for _, f := range []string{"data_batch_3.bin", "batches.meta.txt"} {
		require.NoError(t, os.Symlink(filepath.Join(src, f), filepath.Join(dir, f)))
	}
	train, test, err := Load("cifar10-partial", dir)
	require.NoError(t, err)
	assert.Equal(t, 10000, train.Len())
	assert.Nil(t, test, "no test_batch.bin: no test set")
	assert.Equal(t, "cifar10-partial/train", train.Name)
	_, _, err = Load("cifar10", dir)
	assert.ErrorContains(t, err, "data_batch_1.bin")

	require.NoError(t, os.Symlink(filepath.Join(src, "test_batch.bin"), filepath.Join(dir, "test_batch.bin")))
	_, test, err = LoadCIFAR10PartialDir(dir)
	require.NoError(t, err)
	assert.Equal(t, 10000, test.Len())

	empty := t.TempDir()
	writeFile(t, filepath.Join(empty, "batches.meta.txt"), []byte("a\n"))
	_, _, err = LoadCIFAR10PartialDir(empty)
	assert.ErrorContains(t, err, "no CIFAR-10 training batch")
}

// Reading allocates the images once plus one file's buffer, not the garbage
// of appending file after file (which was ≈3× the data).
func TestReadCIFARFilesAllocatesTheDataOnce(t *testing.T) {
	dir := t.TempDir()
	const perFile = 400
	writeCIFAR10Dir(t, dir, perFile)
	var paths []string
	for _, f := range cifar10Layout.train {
		paths = append(paths, filepath.Join(dir, f))
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	im, lb, err := readCIFARFiles(paths, CIFAR10Format, perFile, nil)
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	require.Len(t, lb, 5*perFile)
	data := len(im) + 4*len(lb)
	fileSize := perFile * CIFAR10Format.RecordSize()
	assert.Less(t, int(after.TotalAlloc-before.TotalAlloc), data+2*fileSize,
		"allocated bytes for %d bytes of images and labels and %d-byte files", data, fileSize)
	// The concatenation is exact: every file's records in order.
	for _, r := range []int{0, perFile - 1, perFile, 5*perFile - 1} {
		assert.Equal(t, int32((r%perFile)%10), lb[r], "label of record %d", r)
	}
}
