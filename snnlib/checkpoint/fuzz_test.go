package checkpoint_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/stretchr/testify/require"

	"github.com/nqsnn/nqsnn/snnlib/checkpoint"
)

// withCRC returns body followed by its CRC-32, so that fuzzed bytes get past
// the checksum and exercise the header and variable parsing behind it.
func withCRC(body []byte) []byte {
	return binary.LittleEndian.AppendUint32(append([]byte(nil), body...), crc32.ChecksumIEEE(body))
}

// FuzzLoad feeds random files to Load (as they are, and with a valid CRC
// appended), then decodes and restores whatever loads: nothing may panic,
// and a file that does not load must say why.
func FuzzLoad(f *testing.F) {
	dir := f.TempDir()
	good := filepath.Join(dir, "good")
	require.NoError(f, checkpoint.Save(good, sample(), meta{Model: "cnn", Sigma: []float64{0.1}}))
	raw, err := os.ReadFile(good)
	require.NoError(f, err)
	f.Add(raw)
	f.Add(raw[:len(raw)-4])
	f.Add([]byte("NQSNN-CHECKPOINT\n"))
	f.Add([]byte{})
	header := func(json string) []byte {
		var b bytes.Buffer
		b.WriteString("NQSNN-CHECKPOINT\n")
		_ = binary.Write(&b, binary.LittleEndian, uint64(len(json)))
		b.WriteString(json)
		return b.Bytes()
	}
	f.Add(header(`{"format":1,"variables":[{"scope":"/m","name":"w","dtype":"Float32","dims":[-1],"bytes":0}]}`))
	f.Add(header(`{"format":1,"variables":[{"scope":"","name":"","dtype":"InvalidDType","dims":[],"bytes":0}]}`))
	f.Add(header(`{"format":1,"meta":{"a":1},"variables":[{"scope":"/m","name":"w","dtype":"Int8","dims":[4611686018427387904,4],"bytes":0}]}`))
	path := filepath.Join(dir, "fuzzed") // one file per fuzzing process, rewritten each time
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, file := range [][]byte{data, withCRC(data)} {
			require.NoError(t, os.WriteFile(path, file, 0o644))
			c, err := checkpoint.Load(path)
			if err != nil {
				require.NotEmpty(t, err.Error())
				continue
			}
			var m map[string]any
			_ = c.DecodeMeta(&m)
			_ = c.Restore(context.New())
		}
	})
}
