package datasets

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
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
	rs := f.RecordSize()
	if f.LabelIndex < 0 || f.LabelIndex >= f.LabelBytes || f.NumClasses <= 0 || f.NumClasses > 256 {
		return nil, nil, fmt.Errorf("%s: invalid CIFAR format %+v", file, f)
	}
	if len(data) == 0 {
		return nil, nil, fmt.Errorf("%s: empty file, want records of %d bytes", file, rs)
	}
	if rem := len(data) % rs; rem != 0 {
		return nil, nil, fmt.Errorf("%s: size %d is not a multiple of the record size %d: record %d at offset %d is truncated (%d of %d bytes)",
			file, len(data), rs, len(data)/rs, len(data)-rem, rem, rs)
	}
	n := len(data) / rs
	images = make([]uint8, n*cifarPixels)
	labels = make([]int32, n)
	const plane = cifarSide * cifarSide
	for r := range n {
		rec := data[r*rs : (r+1)*rs]
		l := int(rec[f.LabelIndex])
		if l >= f.NumClasses {
			return nil, nil, fmt.Errorf("%s: record %d (offset %d): label %d out of range [0, %d)", file, r, r*rs+f.LabelIndex, l, f.NumClasses)
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
	return images, labels, nil
}

// readCIFARFiles reads and concatenates files, each of which must hold exactly
// perFile records (0: any positive number) and pass v's checksums (v nil:
// none).
func readCIFARFiles(paths []string, f CIFARFormat, perFile int, v *verifier) ([]uint8, []int32, error) {
	var images []uint8
	var labels []int32
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, fmt.Errorf("reading CIFAR file: %w", err)
		}
		im, lb, err := ParseCIFAR(data, p, f)
		if err != nil {
			return nil, nil, err
		}
		if perFile > 0 && len(lb) != perFile {
			return nil, nil, fmt.Errorf("%s: has %d records (%d bytes), want %d records (%d bytes)",
				p, len(lb), len(data), perFile, perFile*f.RecordSize())
		}
		// After the structural checks, whose messages say more about a
		// truncated or mislabelled file than a checksum does.
		if v != nil {
			if err := v.check(p, data); err != nil {
				return nil, nil, err
			}
		}
		images = append(images, im...)
		labels = append(labels, lb...)
	}
	return images, labels, nil
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
