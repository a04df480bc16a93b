package checkpoint_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nqsnn/nqsnn/snnlib/checkpoint"
)

type meta struct {
	Model string    `json:"model"`
	Sigma []float64 `json:"sigma"`
}

func sample() *context.Context {
	ctx := context.New()
	ctx.In("model").In("conv00").VariableWithValue("weights", [][]float32{{1, 2, 3}, {4, 5, 6}})
	ctx.In("model").In("act00").VariableWithValue("lambda", float32(7.5))
	ctx.VariableWithValue("global_step", int64(42)).SetTrainable(false)
	return ctx
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ckpt")
	require.NoError(t, checkpoint.Save(path, sample(), meta{Model: "cnn", Sigma: []float64{0.1, 0.2}}))
	c, err := checkpoint.Load(path)
	require.NoError(t, err)
	assert.Equal(t, checkpoint.FormatVersion, c.Format)
	var m meta
	require.NoError(t, c.DecodeMeta(&m))
	assert.Equal(t, meta{Model: "cnn", Sigma: []float64{0.1, 0.2}}, m)

	ctx := context.New()
	require.NoError(t, c.Restore(ctx))
	w := ctx.GetVariableByScopeAndName("/model/conv00", "weights")
	require.NotNil(t, w)
	assert.Equal(t, [][]float32{{1, 2, 3}, {4, 5, 6}}, w.MustValue().Value())
	step := ctx.GetVariableByScopeAndName("/", "global_step")
	require.NotNil(t, step)
	assert.Equal(t, int64(42), step.MustValue().Value())
	assert.False(t, step.Trainable)
	entries, _ := os.ReadDir(filepath.Dir(path))
	assert.Len(t, entries, 1, "no temporary file left behind")
}

func TestCorruptFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt")
	require.NoError(t, checkpoint.Save(path, sample(), nil))
	good, err := os.ReadFile(path)
	require.NoError(t, err)

	write := func(b []byte) string {
		p := filepath.Join(dir, "bad")
		require.NoError(t, os.WriteFile(p, b, 0o644))
		return p
	}
	_, err = checkpoint.Load(write(good[:len(good)-10]))
	assert.ErrorContains(t, err, "CRC-32")
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)/2] ^= 0xff
	_, err = checkpoint.Load(write(flipped))
	assert.ErrorContains(t, err, "corrupt")
	_, err = checkpoint.Load(write([]byte("hello world, not a checkpoint")))
	assert.ErrorContains(t, err, "not an nqsnn checkpoint")
	newer := bytes.Replace(append([]byte(nil), good[:len(good)-4]...), []byte(`"format":1`), []byte(`"format":9`), 1)
	newer = binary.LittleEndian.AppendUint32(newer, crc32.ChecksumIEEE(newer))
	_, err = checkpoint.Load(write(newer))
	assert.ErrorContains(t, err, "format version 9 is not supported by this nqsnn (reads 1..1): upgrade nqsnn")
	_, err = checkpoint.Load(filepath.Join(dir, "missing"))
	assert.ErrorContains(t, err, "no such file")
}

func TestRestoreIntoOtherModelFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ckpt")
	require.NoError(t, checkpoint.Save(path, sample(), nil))
	c, err := checkpoint.Load(path)
	require.NoError(t, err)
	ctx := context.New()
	ctx.In("model").In("conv00").VariableWithValue("weights", tensors.FromShape(tensors.FromValue([]float32{1, 2}).Shape()))
	err = c.Restore(ctx)
	assert.ErrorContains(t, err, "variable /model/conv00/weights has shape (Float32)[2 3], the model has (Float32)[2]")
}
