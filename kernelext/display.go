package kernelext

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"

	"github.com/janpfeifer/gonb/gonbui"
)

// pngSignature starts every PNG file.
var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// ShowMarkdown displays Markdown (with $…$ LaTeX) in a notebook; elsewhere it prints the
// text on standard output, followed by a newline if it lacks one.
func ShowMarkdown(md string) {
	if gonbui.IsNotebook {
		gonbui.DisplayMarkdown(md)
		gonbui.Sync()
		return
	}
	fmt.Fprint(stdout, md)
	if len(md) == 0 || md[len(md)-1] != '\n' {
		fmt.Fprintln(stdout)
	}
}

// ShowHTML displays HTML in a notebook; elsewhere it prints the raw HTML on standard
// output, since there is nothing better to do with it in a terminal.
func ShowHTML(html string) {
	if gonbui.IsNotebook {
		gonbui.DisplayHTML(html)
		gonbui.Sync()
		return
	}
	fmt.Fprintln(stdout, html)
}

// ShowImagePNG displays an encoded PNG inline in a notebook; elsewhere it writes it to
// a new file in the display folder (see DisplayDirEnv) and prints the path. It returns
// an error if b is not a PNG, or if sending or writing it fails.
func ShowImagePNG(b []byte) error {
	if !bytes.HasPrefix(b, pngSignature) {
		return fmt.Errorf("kernelext: ShowImagePNG: data (%d bytes) does not start with the PNG signature", len(b))
	}
	if gonbui.IsNotebook {
		gonbui.DisplayPNG(b)
		gonbui.Sync()
		return gonbui.Error()
	}
	_, err := writeDisplayFile("image", "png", b)
	return err
}

// ShowImage encodes img as PNG and shows it with ShowImagePNG.
func ShowImage(img image.Image) error {
	if img == nil {
		return errors.New("kernelext: ShowImage: nil image")
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("kernelext: ShowImage: encoding PNG: %w", err)
	}
	return ShowImagePNG(buf.Bytes())
}
