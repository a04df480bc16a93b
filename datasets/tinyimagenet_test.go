package datasets

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func jpegBytes(t testing.TB, gray bool, v uint8, side int) []byte {
	var img image.Image
	if gray {
		g := image.NewGray(image.Rect(0, 0, side, side))
		for i := range g.Pix {
			g.Pix[i] = v
		}
		img = g
	} else {
		c := image.NewRGBA(image.Rect(0, 0, side, side))
		for y := range side {
			for x := range side {
				c.Set(x, y, color.RGBA{R: v, G: 255 - v, B: 128, A: 255})
			}
		}
		img = c
	}
	var b bytes.Buffer
	require.NoError(t, jpeg.Encode(&b, img, &jpeg.Options{Quality: 100}))
	return b.Bytes()
}

// writeTinyTree writes a Tiny-ImageNet-shaped tree with the given classes,
// perClass training images each and two validation images per class.
func writeTinyTree(t *testing.T, dir string, wnids []string, perClass int) {
	writeFile(t, filepath.Join(dir, "wnids.txt"), []byte(strings.Join(wnids, "\n")+"\n"))
	writeFile(t, filepath.Join(dir, "words.txt"), []byte(wnids[0]+"\tgoldfish, Carassius auratus\n"))
	var ann strings.Builder
	for k, w := range wnids {
		for i := range perClass {
			writeFile(t, filepath.Join(dir, "train", w, "images", fmt.Sprintf("%s_%d.JPEG", w, i)),
				jpegBytes(t, i == 0, uint8(40*k), 64))
		}
		for i := range 2 {
			name := fmt.Sprintf("val_%d.JPEG", 2*k+i)
			writeFile(t, filepath.Join(dir, "val", "images", name), jpegBytes(t, false, uint8(40*k), 64))
			fmt.Fprintf(&ann, "%s\t%s\t0\t0\t63\t63\n", name, w)
		}
	}
	writeFile(t, filepath.Join(dir, "val", "val_annotations.txt"), []byte(ann.String()))
}

func TestTinyImageNetGeneratedTree(t *testing.T) {
	dir := t.TempDir()
	wnids := []string{"n01443537", "n01629819", "n01641577"}
	writeTinyTree(t, dir, wnids, 3)
	train, test, err := LoadTinyImageNetDir(dir)
	require.NoError(t, err)
	assert.Equal(t, 9, train.Len())
	assert.Equal(t, 6, test.Len())
	assert.Equal(t, []int{3, 3, 3}, train.ClassCounts())
	assert.Equal(t, []int32{0, 0, 1, 1, 2, 2}, test.Labels)
	assert.Equal(t, []string{"goldfish", "n01629819", "n01641577"}, train.ClassNames)
	assert.Equal(t, []int{64, 64, 3}, []int{train.H, train.W, train.C})
	// Class 1 colour (R=40, G=215, B=128) survives JPEG within a few levels.
	img := test.Image(2)
	assert.InDelta(t, 40, int(img.At(10, 10, 0)), 3)
	assert.InDelta(t, 215, int(img.At(10, 10, 1)), 3)
	// The grey image was expanded to RGB.
	g := train.Image(3)
	assert.Equal(t, g.At(5, 5, 0), g.At(5, 5, 2))

	// Loading by name with the root folder also works.
	tr2, _, err := Load("tiny-imagenet", dir, WithDownload(false))
	require.NoError(t, err)
	assert.Equal(t, train.Images, tr2.Images)
}

func TestTinyImageNetErrors(t *testing.T) {
	dir := t.TempDir()
	wnids := []string{"n01443537", "n01629819"}
	writeTinyTree(t, dir, wnids, 2)
	writeFile(t, filepath.Join(dir, "wnids.txt"), []byte("n01443537\nn01629819\nn09999999\n"))
	_, _, err := LoadTinyImageNetDir(dir)
	assert.ErrorContains(t, err, "class 2 (n09999999) has no training images")

	writeFile(t, filepath.Join(dir, "wnids.txt"), []byte("n01443537\n"))
	_, _, err = LoadTinyImageNetDir(dir)
	assert.ErrorContains(t, err, `val_annotations.txt: line 3: class id "n01629819" is not in wnids.txt`)

	writeFile(t, filepath.Join(dir, "wnids.txt"), []byte("n01443537\nn01629819\n"))
	writeFile(t, filepath.Join(dir, "train", "n01629819", "images", "n01629819_0.JPEG"), jpegBytes(t, false, 1, 32))
	_, _, err = LoadTinyImageNetDir(dir)
	assert.ErrorContains(t, err, "n01629819_0.JPEG: image is 32x32, want 64x64")

	writeFile(t, filepath.Join(dir, "train", "n01629819", "images", "n01629819_0.JPEG"), []byte("not a jpeg"))
	_, _, err = LoadTinyImageNetDir(dir)
	assert.ErrorContains(t, err, "n01629819_0.JPEG: decoding JPEG")

	require.NoError(t, os.Remove(filepath.Join(dir, "val", "val_annotations.txt")))
	_, _, err = LoadTinyImageNetDir(dir)
	assert.ErrorContains(t, err, "val_annotations.txt")
}
