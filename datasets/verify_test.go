package datasets

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// A folder's SHA256SUMS is checked for every file it lists; the verdict is
// stamped in the cache by size and modification time, so an unchanged file
// is not hashed again and a changed one is.
func TestCIFARChecksumsFromSHA256SUMS(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir := t.TempDir()
	writeCIFAR10Dir(t, dir, 5)
	small := cifar10Layout
	small.perTrainFile, small.perTestFile = 5, 5
	var sums strings.Builder
	for _, f := range append(append([]string(nil), small.train...), small.test...) {
		b, err := os.ReadFile(filepath.Join(dir, f))
		require.NoError(t, err)
		fmt.Fprintf(&sums, "%s  %s\n", sha256Hex(b), f)
	}
	writeFile(t, filepath.Join(dir, ChecksumFile), []byte(sums.String()))
	_, _, err := small.load(dir)
	require.NoError(t, err)
	stamps := readStamps()
	assert.Len(t, stamps, 6, "every verified file is stamped")

	// Pixels replaced, labels and size intact: refused, naming the file.
	test := filepath.Join(dir, "test_batch.bin")
	b, err := os.ReadFile(test)
	require.NoError(t, err)
	b[100] ^= 0xff
	require.NoError(t, os.WriteFile(test, b, 0o644))
	later := time.Now().Add(time.Minute)
	require.NoError(t, os.Chtimes(test, later, later))
	_, _, err = small.load(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), test+": SHA-256 "+sha256Hex(b)+" does not match "+filepath.Join(dir, ChecksumFile))
	assert.Contains(t, err.Error(), "replace the folder with a good copy")

	// A malformed SHA256SUMS is an error naming its line.
	writeFile(t, filepath.Join(dir, ChecksumFile), []byte("nonsense\n"))
	_, _, err = small.load(dir)
	assert.ErrorContains(t, err, ChecksumFile+":1: want \"SHA256  FILE\"")
}

// The stamp is trusted while size and modification time are unchanged:
// that is what makes a second load fast.
func TestChecksumStampSkipsHashing(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir := t.TempDir()
	path := filepath.Join(dir, "f.bin")
	writeFile(t, path, []byte("good"))
	v := &verifier{dir: dir, listed: map[string]string{"f.bin": sha256Hex([]byte("good"))}, what: "test"}
	require.NoError(t, v.check(path, []byte("good")))
	st, err := os.Stat(path)
	require.NoError(t, err)
	sum, ok := stampedSum(path, st)
	require.True(t, ok)
	assert.Equal(t, sha256Hex([]byte("good")), sum)
	// Same size and time: the stamped sum is used, the bytes are not hashed.
	require.NoError(t, v.check(path, []byte("evil")))
	// A new modification time invalidates the stamp.
	later := time.Now().Add(time.Hour)
	require.NoError(t, os.Chtimes(path, later, later))
	assert.ErrorContains(t, v.check(path, []byte("evil")), "does not match")
}

// The official CIFAR-10 files are known by their SHA-256: a test batch whose
// pixels were replaced by random bytes (labels intact) is refused even
// without a SHA256SUMS beside it.
func TestCIFAR10OfficialChecksums(t *testing.T) {
	src := sharedCIFAR10(t)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir := filepath.Join(t.TempDir(), "cifar-10-batches-bin")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for _, f := range append([]string{"batches.meta.txt"}, cifar10Layout.train...) {
		require.NoError(t, os.Symlink(filepath.Join(src, f), filepath.Join(dir, f)))
	}
	data, err := os.ReadFile(filepath.Join(src, "test_batch.bin"))
	require.NoError(t, err)
	r := rand.New(rand.NewPCG(1, 2))
	for rec := 0; rec < len(data); rec += 3073 {
		for i := rec + 1; i < rec+3073; i++ {
			data[i] = byte(r.Uint32())
		}
	}
	writeFile(t, filepath.Join(dir, "test_batch.bin"), data)
	_, _, err = LoadCIFAR10Dir(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), filepath.Join(dir, "test_batch.bin")+": SHA-256 ")
	assert.Contains(t, err.Error(), "does not match the official CIFAR-10 file ("+cifar10Official["test_batch.bin"].sha256+")")

	// The good files were stamped on the way: loading them again reads the stamp.
	st, err := os.Stat(filepath.Join(dir, "data_batch_1.bin"))
	require.NoError(t, err)
	sum, ok := stampedSum(filepath.Join(dir, "data_batch_1.bin"), st)
	assert.True(t, ok)
	assert.Equal(t, cifar10Official["data_batch_1.bin"].sha256, sum)
}
