package datasets

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// CIFAR image geometry.
const (
	cifarSide   = 32
	cifarPixels = cifarSide * cifarSide * 3
)

// CIFARFormat describes one CIFAR binary record layout.
type CIFARFormat struct {
	// LabelBytes is the number of label bytes before the pixels (1 for
	// CIFAR-10; 2 for CIFAR-100: coarse then fine).
	LabelBytes int
	// LabelIndex selects which label byte to use (CIFAR-100: 0 coarse, 1 fine).
	LabelIndex int
	// NumClasses bounds the chosen label.
	NumClasses int
}

// RecordSize returns the size of one record in bytes.
func (f CIFARFormat) RecordSize() int { return f.LabelBytes + cifarPixels }

// Record layouts of the official files.
var (
	CIFAR10Format        = CIFARFormat{LabelBytes: 1, LabelIndex: 0, NumClasses: 10}
	CIFAR100FineFormat   = CIFARFormat{LabelBytes: 2, LabelIndex: 1, NumClasses: 100}
	CIFAR100CoarseFormat = CIFARFormat{LabelBytes: 2, LabelIndex: 0, NumClasses: 20}
)

// ParseCIFAR decodes CIFAR binary records (label bytes then 1024 red, 1024
// green, 1024 blue bytes, each plane row-major) into HWC images and labels.
// file names the source in error messages.
func ParseCIFAR(data []byte, file string, f CIFARFormat) (images []uint8, labels []int32, err error) {
	n, err := cifarRecords(data, file, f)
	if err != nil {
		return nil, nil, err
	}
	images, labels = make([]uint8, n*cifarPixels), make([]int32, n)
	if err := decodeCIFAR(data, file, f, images, labels); err != nil {
		return nil, nil, err
	}
	return images, labels, nil
}

// cifarRecords checks the format and that data holds whole records, and
// returns their number.
func cifarRecords(data []byte, file string, f CIFARFormat) (int, error) {
	rs := f.RecordSize()
	if f.LabelIndex < 0 || f.LabelIndex >= f.LabelBytes || f.NumClasses <= 0 || f.NumClasses > 256 {
		return 0, fmt.Errorf("%s: invalid CIFAR format %+v", file, f)
	}
	if len(data) == 0 {
		return 0, fmt.Errorf("%s: empty file, want records of %d bytes", file, rs)
	}
	if rem := len(data) % rs; rem != 0 {
		return 0, fmt.Errorf("%s: size %d is not a multiple of the record size %d: record %d at offset %d is truncated (%d of %d bytes)",
			file, len(data), rs, len(data)/rs, len(data)-rem, rem, rs)
	}
	return len(data) / rs, nil
}

// decodeCIFAR decodes data's records (checked by cifarRecords) into images
// and labels, which hold exactly that many.
func decodeCIFAR(data []byte, file string, f CIFARFormat, images []uint8, labels []int32) error {
	rs := f.RecordSize()
	const plane = cifarSide * cifarSide
	for r := range labels {
		rec := data[r*rs : (r+1)*rs]
		l := int(rec[f.LabelIndex])
		if l >= f.NumClasses {
			return fmt.Errorf("%s: record %d (offset %d): label %d out of range [0, %d)", file, r, r*rs+f.LabelIndex, l, f.NumClasses)
		}
		labels[r] = int32(l)
		px := rec[f.LabelBytes:]
		img := images[r*cifarPixels : (r+1)*cifarPixels]
		for i := range plane {
			img[3*i] = px[i]
			img[3*i+1] = px[plane+i]
			img[3*i+2] = px[2*plane+i]
		}
	}
	return nil
}

// readCIFARFiles reads and concatenates files, each of which must hold exactly
// perFile records (0: any positive number) and pass v's checksums (v nil:
// none). The images go straight into one slice sized from the files and the
// files are read through one reused buffer: appending file by file used to
// leave ≈3× the data set in garbage (CIFAR-10: a 525 MB heap for 180 MB of
// images), which the process's resident memory kept.
func readCIFARFiles(paths []string, f CIFARFormat, perFile int, v *verifier) ([]uint8, []int32, error) {
	total := 0
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil { // a missing file is reported below
			total += int(st.Size()) / f.RecordSize()
		}
	}
	images := make([]uint8, 0, total*cifarPixels)
	labels := make([]int32, 0, total)
	var buf bytes.Buffer
	for _, p := range paths {
		data, err := readFileInto(&buf, p)
		if err != nil {
			return nil, nil, fmt.Errorf("reading CIFAR file: %w", err)
		}
		n, err := cifarRecords(data, p, f)
		if err != nil {
			return nil, nil, err
		}
		i, l := len(images), len(labels)
		images, labels = slices.Grow(images, n*cifarPixels)[:i+n*cifarPixels], slices.Grow(labels, n)[:l+n]
		if err := decodeCIFAR(data, p, f, images[i:], labels[l:]); err != nil {
			return nil, nil, err
		}
		if perFile > 0 && n != perFile {
			return nil, nil, fmt.Errorf("%s: has %d records (%d bytes), want %d records (%d bytes)",
				p, n, len(data), perFile, perFile*f.RecordSize())
		}
		// After the structural checks, whose messages say more about a
		// truncated or mislabelled file than a checksum does.
		if v != nil {
			if err := v.check(p, data); err != nil {
				return nil, nil, err
			}
		}
	}
	return images, labels, nil
}

// readFileInto reads the file at path into buf (emptied first, its capacity
// reused) and returns its contents, valid until buf's next use.
func readFileInto(buf *bytes.Buffer, path string) ([]byte, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	buf.Reset()
	if st, err := file.Stat(); err == nil {
		buf.Grow(int(st.Size()) + bytes.MinRead) // ReadFrom then needs no second pass to see EOF
	}
	if _, err := buf.ReadFrom(file); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return buf.Bytes(), nil
}

// readNames reads one name per non-empty line.
func readNames(path string, want int) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading class names: %w", err)
	}
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" {
			names = append(names, s)
		}
	}
	if want > 0 && len(names) != want {
		return nil, fmt.Errorf("%s: has %d class names, want %d", path, len(names), want)
	}
	return names, nil
}

// cifarLayout lists the files of one CIFAR variant and their expected record counts.
type cifarLayout struct {
	name         string
	train, test  []string
	perTrainFile int
	perTestFile  int
	namesFile    string
	format       CIFARFormat
	norm         Normalization
	// official are the sizes and sums of the official files (nil: unknown);
	// title names the data set in messages.
	official map[string]officialFile
	title    string
}

var cifar10Layout = cifarLayout{
	name:         "cifar10",
	train:        []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"},
	test:         []string{"test_batch.bin"},
	perTrainFile: 10000, perTestFile: 10000,
	namesFile: "batches.meta.txt",
	format:    CIFAR10Format,
	norm:      CIFAR10Norm,
	official:  cifar10Official,
	title:     "CIFAR-10",
}

var cifar100Layout = cifarLayout{
	name:         "cifar100",
	train:        []string{"train.bin"},
	test:         []string{"test.bin"},
	perTrainFile: 50000, perTestFile: 10000,
	namesFile: "fine_label_names.txt",
	format:    CIFAR100FineFormat,
	norm:      CIFAR100Norm,
	title:     "CIFAR-100",
}

func (l cifarLayout) load(dir string) (train, test *Dataset, err error) {
	names, err := readNames(filepath.Join(dir, l.namesFile), l.format.NumClasses)
	if err != nil {
		return nil, nil, err
	}
	v, err := newVerifier(dir, l.title, l.official)
	if err != nil {
		return nil, nil, err
	}
	mk := func(split string, files []string, per int) (*Dataset, error) {
		paths := make([]string, len(files))
		for i, f := range files {
			paths[i] = filepath.Join(dir, f)
		}
		im, lb, err := readCIFARFiles(paths, l.format, per, v)
		if err != nil {
			return nil, err
		}
		d := &Dataset{Name: l.name + "/" + split, Source: dir, Images: im, Labels: lb, ClassNames: names,
			H: cifarSide, W: cifarSide, C: 3, Norm: l.norm}
		return d, d.Validate()
	}
	if train, err = mk("train", l.train, l.perTrainFile); err != nil {
		return nil, nil, err
	}
	if len(l.test) == 0 {
		return train, nil, nil // only LoadCIFAR10PartialDir leaves the test files out
	}
	if test, err = mk("test", l.test, l.perTestFile); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// LoadCIFAR10Dir reads the official binary CIFAR-10 folder
// (cifar-10-batches-bin): 50,000 training and 10,000 test images.
func LoadCIFAR10Dir(dir string) (train, test *Dataset, err error) {
	return cifar10Layout.load(dir)
}

// LoadCIFAR10PartialDir reads a CIFAR-10 folder that holds only some of the
// official files: every data_batch_k.bin present (at least one, each with
// its official 10,000 records) and test_batch.bin if present (test is nil
// otherwise). It is for machines that cannot hold the whole set — e.g. a
// GPU box reached through a size-limited copy — and is a separate data set
// name ("cifar10-partial") so that a missing file never silently shrinks
// "cifar10".
func LoadCIFAR10PartialDir(dir string) (train, test *Dataset, err error) {
	l := cifar10Layout
	l.name = NameCIFAR10Partial
	var present []string
	for _, f := range l.train {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			present = append(present, f)
		}
	}
	if len(present) == 0 {
		return nil, nil, fmt.Errorf("%s: no CIFAR-10 training batch (data_batch_1.bin ... data_batch_5.bin)", dir)
	}
	l.train = present
	if _, err := os.Stat(filepath.Join(dir, l.test[0])); err != nil {
		l.test = nil
	}
	return l.load(dir)
}

// LoadCIFAR100Dir reads the official binary CIFAR-100 folder
// (cifar-100-binary) with the 100 fine labels.
func LoadCIFAR100Dir(dir string) (train, test *Dataset, err error) {
	return cifar100Layout.load(dir)
}
