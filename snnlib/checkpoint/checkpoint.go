// Package checkpoint stores a trained network in one self-describing file:
// every context variable (weights, λ, σ, batch-norm statistics, optimizer
// state, RNG state) plus caller metadata (config, data set, normalisation,
// per-epoch history) and a format version.
//
// Layout: the magic line "NQSNN-CHECKPOINT\n", an 8-byte little-endian header
// length, the JSON header, the raw little-endian tensor bytes in header order,
// and a CRC-32 (IEEE) of everything before it. Files are written to a
// temporary name and renamed, so a crash never leaves a half-written
// checkpoint under the real name.
package checkpoint

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"sort"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/nqsnn/nqsnn/snnlib/atomicfile"
)

// FormatVersion is the version this code writes; it reads versions 1..FormatVersion.
const FormatVersion = 1

const magic = "NQSNN-CHECKPOINT\n"

// maxHeader bounds the JSON header so a corrupt length cannot exhaust memory.
const maxHeader = 64 << 20

// maxRank bounds a variable's number of axes (a corrupt header could list
// millions).
const maxRank = 16

// Variable describes one stored variable.
type Variable struct {
	Scope     string `json:"scope"`
	Name      string `json:"name"`
	DType     string `json:"dtype"`
	Dims      []int  `json:"dims"`
	Bytes     int64  `json:"bytes"`
	Trainable bool   `json:"trainable"`
}

type header struct {
	Format    int             `json:"format"`
	Meta      json.RawMessage `json:"meta,omitempty"`
	Variables []Variable      `json:"variables"`
}

// Checkpoint is a loaded checkpoint file.
type Checkpoint struct {
	Path      string
	Format    int
	Meta      json.RawMessage // caller metadata, decode with DecodeMeta
	Variables []Variable
	values    []*tensors.Tensor
}

// Save writes every variable of ctx and meta (any JSON-encodable value) to
// path atomically.
func Save(path string, ctx *context.Context, meta any) error {
	var h header
	h.Format = FormatVersion
	if meta != nil {
		raw, err := json.Marshal(meta)
		if err != nil {
			return fmt.Errorf("checkpoint: encoding metadata: %w", err)
		}
		h.Meta = raw
	}
	var vars []*context.Variable
	for v := range ctx.IterVariables() {
		vars = append(vars, v)
	}
	sort.Slice(vars, func(i, j int) bool { return vars[i].ScopeAndName() < vars[j].ScopeAndName() })
	var payload bytes.Buffer
	for _, v := range vars {
		t, err := v.Value()
		if err != nil {
			return fmt.Errorf("checkpoint: reading variable %s: %w", v.ScopeAndName(), err)
		}
		var n int
		if err := t.ConstBytes(func(b []byte) { n, _ = payload.Write(b) }); err != nil {
			return fmt.Errorf("checkpoint: reading variable %s: %w", v.ScopeAndName(), err)
		}
		h.Variables = append(h.Variables, Variable{Scope: v.Scope(), Name: v.Name(), DType: v.DType().String(),
			Dims: v.Shape().Dimensions, Bytes: int64(n), Trainable: v.Trainable})
	}
	hj, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("checkpoint: encoding header: %w", err)
	}
	var buf bytes.Buffer
	buf.WriteString(magic)
	_ = binary.Write(&buf, binary.LittleEndian, uint64(len(hj)))
	buf.Write(hj)
	buf.Write(payload.Bytes())
	_ = binary.Write(&buf, binary.LittleEndian, crc32.ChecksumIEEE(buf.Bytes()))
	return atomicfile.Write(path, buf.Bytes(), 0o644)
}

// Load reads and verifies a checkpoint file.
func Load(path string) (*Checkpoint, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	c, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	c.Path = path
	return c, nil
}

func parse(data []byte) (*Checkpoint, error) {
	if len(data) < len(magic)+8+4 || string(data[:len(magic)]) != magic {
		return nil, fmt.Errorf("not an nqsnn checkpoint (bad magic or %d bytes too short)", len(data))
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if got := crc32.ChecksumIEEE(body); got != sum {
		return nil, fmt.Errorf("corrupt: CRC-32 %08x, stored %08x (truncated or modified file)", got, sum)
	}
	r := bytes.NewReader(body[len(magic):])
	var hl uint64
	_ = binary.Read(r, binary.LittleEndian, &hl)
	if hl > maxHeader || hl > uint64(r.Len()) {
		return nil, fmt.Errorf("corrupt: header length %d exceeds the file", hl)
	}
	hj := make([]byte, hl)
	_, _ = io.ReadFull(r, hj)
	var h header
	if err := json.Unmarshal(hj, &h); err != nil {
		return nil, fmt.Errorf("corrupt header: %w", err)
	}
	if h.Format < 1 || h.Format > FormatVersion {
		return nil, fmt.Errorf("format version %d is not supported by this nqsnn (reads 1..%d): upgrade nqsnn", h.Format, FormatVersion)
	}
	c := &Checkpoint{Format: h.Format, Meta: h.Meta, Variables: h.Variables}
	for _, v := range h.Variables {
		if !strings.HasPrefix(v.Scope, context.ScopeSeparator) || v.Name == "" {
			return nil, fmt.Errorf("corrupt: variable %q in scope %q: want an absolute scope and a name", v.Name, v.Scope)
		}
		dt, ok := dtypes.MapOfNames[v.DType]
		if !ok || dt == dtypes.InvalidDType || dt.Memory() == 0 {
			return nil, fmt.Errorf("variable %s/%s: unknown dtype %q", v.Scope, v.Name, v.DType)
		}
		// The size is computed before any shape is made, with overflow in
		// mind: a corrupt header must give an error, not a panic or a huge
		// allocation.
		size, ok := int64(dt.Memory()), len(v.Dims) <= maxRank
		for _, d := range v.Dims {
			if d < 0 || (d > 0 && size > math.MaxInt64/int64(d)) {
				ok = false
				break
			}
			size *= int64(d)
		}
		if !ok {
			return nil, fmt.Errorf("variable %s/%s: invalid dimensions %v", v.Scope, v.Name, v.Dims)
		}
		if size != v.Bytes || v.Bytes > int64(r.Len()) {
			return nil, fmt.Errorf("variable %s/%s: %d bytes stored for %s%v (%d bytes; %d left in file)", v.Scope, v.Name, v.Bytes, dt, v.Dims, size, r.Len())
		}
		shape := shapes.Make(dt, v.Dims...)
		t := tensors.FromShape(shape)
		var rerr error
		_ = t.MutableBytes(func(b []byte) { _, rerr = io.ReadFull(r, b) })
		if rerr != nil {
			return nil, fmt.Errorf("variable %s/%s: %w", v.Scope, v.Name, rerr)
		}
		c.values = append(c.values, t)
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("corrupt: %d unexpected bytes after the last variable", r.Len())
	}
	return c, nil
}

// DecodeMeta unmarshals the caller metadata into v.
func (c *Checkpoint) DecodeMeta(v any) error {
	if len(c.Meta) == 0 {
		return fmt.Errorf("checkpoint %s has no metadata", c.Path)
	}
	return json.Unmarshal(c.Meta, v)
}

// Restore creates (or overwrites) every stored variable in ctx. A variable
// that already exists with another shape is an error naming it.
func (c *Checkpoint) Restore(ctx *context.Context) error {
	return c.RestoreIf(ctx, func(Variable) bool { return true })
}

// RestoreIf is Restore for the stored variables keep accepts, e.g. a
// model's weights without its optimizer state.
func (c *Checkpoint) RestoreIf(ctx *context.Context, keep func(Variable) bool) error {
	for i, v := range c.Variables {
		if !keep(v) {
			continue
		}
		t := c.values[i]
		if old := ctx.GetVariableByScopeAndName(v.Scope, v.Name); old != nil {
			if !old.Shape().Equal(t.Shape()) {
				return fmt.Errorf("checkpoint %s: variable %s/%s has shape %s, the model has %s: the checkpoint is for another model",
					c.Path, v.Scope, v.Name, t.Shape(), old.Shape())
			}
			if err := old.SetValue(t); err != nil {
				return err
			}
			continue
		}
		ctx.InAbsPath(v.Scope).Checked(false).VariableWithValue(v.Name, t).SetTrainable(v.Trainable)
	}
	return nil
}
