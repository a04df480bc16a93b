package datasets

import (
	"bufio"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
)

const tinySide = 64

// LoadTinyImageNetDir reads a tiny-imagenet-200 folder: wnids.txt lists the
// classes, train/<wnid>/images/*.JPEG the training images, and
// val/images with val/val_annotations.txt the labelled images used as the
// test set (the official test set has no labels). Class names come from
// words.txt when present. Every class must have training images; every image
// must be a 64×64 JPEG (grey images are expanded to RGB).
func LoadTinyImageNetDir(dir string) (train, test *Dataset, err error) {
	wnids, err := readNames(filepath.Join(dir, "wnids.txt"), 0)
	if err != nil {
		return nil, nil, err
	}
	if len(wnids) == 0 {
		return nil, nil, fmt.Errorf("%s: no class ids", filepath.Join(dir, "wnids.txt"))
	}
	classOf := make(map[string]int32, len(wnids))
	for i, w := range wnids {
		if _, dup := classOf[w]; dup {
			return nil, nil, fmt.Errorf("%s: line %d: duplicate class id %s", filepath.Join(dir, "wnids.txt"), i+1, w)
		}
		classOf[w] = int32(i)
	}
	names := tinyClassNames(dir, wnids)

	var trainFiles []string
	var trainLabels []int32
	for i, w := range wnids {
		imgDir := filepath.Join(dir, "train", w, "images")
		files, err := filepath.Glob(filepath.Join(imgDir, "*.JPEG"))
		if err != nil {
			return nil, nil, err
		}
		if len(files) == 0 {
			return nil, nil, fmt.Errorf("%s: class %d (%s) has no training images (missing class folder or empty)", imgDir, i, w)
		}
		sort.Strings(files)
		trainFiles = append(trainFiles, files...)
		for range files {
			trainLabels = append(trainLabels, int32(i))
		}
	}
	ann := filepath.Join(dir, "val", "val_annotations.txt")
	testFiles, testLabels, err := readTinyAnnotations(ann, filepath.Join(dir, "val", "images"), classOf)
	if err != nil {
		return nil, nil, err
	}
	mk := func(split string, files []string, labels []int32) (*Dataset, error) {
		pix, err := decodeJPEGs(files)
		if err != nil {
			return nil, err
		}
		d := &Dataset{Name: "tiny-imagenet/" + split, Source: dir, Images: pix, Labels: labels, ClassNames: names,
			H: tinySide, W: tinySide, C: 3, Norm: TinyImageNetNorm}
		return d, d.Validate()
	}
	if train, err = mk("train", trainFiles, trainLabels); err != nil {
		return nil, nil, err
	}
	if test, err = mk("test", testFiles, testLabels); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// tinyClassNames maps wnids to the first name in words.txt, or the wnid.
func tinyClassNames(dir string, wnids []string) []string {
	names := append([]string(nil), wnids...)
	f, err := os.Open(filepath.Join(dir, "words.txt"))
	if err != nil {
		return names
	}
	defer f.Close()
	words := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if id, rest, ok := strings.Cut(sc.Text(), "\t"); ok {
			first, _, _ := strings.Cut(rest, ",")
			words[id] = strings.TrimSpace(first)
		}
	}
	for i, w := range wnids {
		if n := words[w]; n != "" {
			names[i] = n
		}
	}
	return names
}

// readTinyAnnotations parses val_annotations.txt lines "file<TAB>wnid<TAB>box...".
func readTinyAnnotations(path, imgDir string, classOf map[string]int32) ([]string, []int32, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading validation annotations: %w", err)
	}
	defer f.Close()
	var files []string
	var labels []int32
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		fields := strings.Split(text, "\t")
		if len(fields) < 2 {
			return nil, nil, fmt.Errorf("%s: line %d: want <file>\\t<wnid>..., got %q", path, line, text)
		}
		c, ok := classOf[fields[1]]
		if !ok {
			return nil, nil, fmt.Errorf("%s: line %d: class id %q is not in wnids.txt", path, line, fields[1])
		}
		files = append(files, filepath.Join(imgDir, filepath.Base(fields[0])))
		labels = append(labels, c)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("%s: no annotated images", path)
	}
	return files, labels, nil
}

// decodeJPEGs decodes 64×64 images into one HWC RGB buffer using all cores.
func decodeJPEGs(files []string) ([]uint8, error) {
	const n = tinySide * tinySide * 3
	out := make([]uint8, len(files)*n)
	errs := make([]error, len(files))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = decodeJPEGInto(files[i], out[i*n:(i+1)*n])
			}
		}()
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func decodeJPEGInto(path string, dst []uint8) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("reading image: %w", err)
	}
	defer f.Close()
	img, err := jpeg.Decode(bufio.NewReader(f))
	if err != nil {
		return fmt.Errorf("%s: decoding JPEG: %w", path, err)
	}
	b := img.Bounds()
	if b.Dx() != tinySide || b.Dy() != tinySide {
		return fmt.Errorf("%s: image is %dx%d, want %dx%d", path, b.Dx(), b.Dy(), tinySide, tinySide)
	}
	i := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			switch px := img.(type) {
			case *image.Gray:
				v := px.GrayAt(x, y).Y
				dst[i], dst[i+1], dst[i+2] = v, v, v
			default:
				r, g, bl, _ := img.At(x, y).RGBA()
				dst[i], dst[i+1], dst[i+2] = uint8(r>>8), uint8(g>>8), uint8(bl>>8)
			}
			i += 3
		}
	}
	return nil
}
