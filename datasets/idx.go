package datasets

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// maxIDXBytes bounds the payload an IDX header may announce (1 GiB), so a
// corrupt header cannot make the reader allocate without limit.
const maxIDXBytes = 1 << 30

// ReadIDX decodes an IDX file of unsigned bytes (type 0x08), gzip-compressed
// or not, from r. It returns the dimensions from the header and the payload,
// which must have exactly the announced size. file names the source in errors.
func ReadIDX(r io.Reader, file string) (dims []int, data []byte, err error) {
	br := bufio.NewReader(r)
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: unreadable gzip: %w", file, err)
		}
		defer gz.Close()
		br = bufio.NewReader(gz)
	}
	var head [4]byte
	if _, err := io.ReadFull(br, head[:]); err != nil {
		return nil, nil, fmt.Errorf("%s: reading IDX magic at offset 0: %w", file, noEOF(err))
	}
	if head[0] != 0 || head[1] != 0 {
		return nil, nil, fmt.Errorf("%s: bad IDX magic % x at offset 0 (want 00 00 08 <ndims>)", file, head)
	}
	if head[2] != 0x08 {
		return nil, nil, fmt.Errorf("%s: IDX element type 0x%02x at offset 2 not supported (want 0x08, unsigned byte)", file, head[2])
	}
	nd := int(head[3])
	if nd == 0 {
		return nil, nil, fmt.Errorf("%s: IDX header at offset 3 announces 0 dimensions", file)
	}
	size := 1
	dims = make([]int, nd)
	for i := range nd {
		var d uint32
		if err := binary.Read(br, binary.BigEndian, &d); err != nil {
			return nil, nil, fmt.Errorf("%s: reading IDX dimension %d at offset %d: %w", file, i, 4+4*i, noEOF(err))
		}
		dims[i] = int(d)
		if d == 0 {
			return nil, nil, fmt.Errorf("%s: IDX dimension %d (offset %d) is 0", file, i, 4+4*i)
		}
		if size > maxIDXBytes/int(d) {
			return nil, nil, fmt.Errorf("%s: IDX dimensions %v announce more than %d bytes", file, dims[:i+1], maxIDXBytes)
		}
		size *= int(d)
	}
	hdr := 4 + 4*nd
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(br, int64(size)+1))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: reading IDX data at offset %d: %w", file, hdr+int(n), err)
	}
	if int(n) < size {
		return nil, nil, fmt.Errorf("%s: truncated IDX data: header %v announces %d bytes, file ends after %d (offset %d)",
			file, dims, size, n, hdr+int(n))
	}
	if int(n) > size {
		return nil, nil, fmt.Errorf("%s: trailing bytes after IDX data at offset %d (header %v announces %d bytes)",
			file, hdr+size, dims, size)
	}
	return dims, buf.Bytes(), nil
}

// noEOF turns a bare EOF into ErrUnexpectedEOF so messages say "unexpected".
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// ReadIDXFile reads an IDX file from disk (see ReadIDX).
func ReadIDXFile(path string) (dims []int, data []byte, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading IDX file: %w", err)
	}
	defer f.Close()
	return ReadIDX(f, path)
}

// loadIDXPair reads an images file (n×h×w) and a labels file (n) into a Dataset.
func loadIDXPair(imagesPath, labelsPath string, numClasses int) (images []uint8, labels []int32, h, w int, err error) {
	idims, pix, err := ReadIDXFile(imagesPath)
	if err != nil {
		return nil, nil, 0, 0, err
	}
	if len(idims) != 3 {
		return nil, nil, 0, 0, fmt.Errorf("%s: IDX images must have 3 dimensions (n, h, w), header has %v", imagesPath, idims)
	}
	ldims, lb, err := ReadIDXFile(labelsPath)
	if err != nil {
		return nil, nil, 0, 0, err
	}
	if len(ldims) != 1 {
		return nil, nil, 0, 0, fmt.Errorf("%s: IDX labels must have 1 dimension, header has %v", labelsPath, ldims)
	}
	if ldims[0] != idims[0] {
		return nil, nil, 0, 0, fmt.Errorf("%s has %d labels but %s has %d images", labelsPath, ldims[0], imagesPath, idims[0])
	}
	labels = make([]int32, len(lb))
	for i, l := range lb {
		if int(l) >= numClasses {
			return nil, nil, 0, 0, fmt.Errorf("%s: label %d (offset %d) is %d, out of range [0, %d)", labelsPath, i, 8+i, l, numClasses)
		}
		labels[i] = int32(l)
	}
	return pix, labels, idims[1], idims[2], nil
}
