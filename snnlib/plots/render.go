package plots

import (
	"bytes"
	"fmt"
	"image"
	"path/filepath"
	"strings"

	"github.com/nqsnn/nqsnn/snnlib/atomicfile"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Drawer is anything that draws itself on a canvas: *plot.Plot and *Grid.
type Drawer interface {
	Draw(c draw.Canvas)
}

// Size is a figure's size in pixels. PNGs have exactly this many pixels
// (at 96 DPI); vector formats use 1 px = 0.75 pt, the CSS pixel.
type Size struct {
	Width, Height int
}

// DefaultSize suits a single figure on a page or in a notebook.
var DefaultSize = Size{Width: 800, Height: 500}

// dpi is the resolution at which a pixel is 1/96 inch.
const dpi = 96

// maxPixels bounds a figure's area so a typo cannot allocate gigabytes.
const maxPixels = 1 << 26

func (s Size) validate() error {
	if s.Width <= 0 || s.Height <= 0 || s.Width*s.Height > maxPixels {
		return fmt.Errorf("plots: figure size %dx%d px, want positive and at most %d pixels in all", s.Width, s.Height, maxPixels)
	}
	return nil
}

func (s Size) lengths() (vg.Length, vg.Length) {
	px := vg.Inch / dpi
	return vg.Length(s.Width) * px, vg.Length(s.Height) * px
}

// Formats lists the formats Render and Save accept.
var Formats = []string{"png", "svg", "pdf"}

// Render draws d at size in format ("png", "svg" or "pdf") and returns the bytes.
func Render(d Drawer, size Size, format string) ([]byte, error) {
	if d == nil {
		return nil, fmt.Errorf("plots: nothing to render (nil figure)")
	}
	if err := size.validate(); err != nil {
		return nil, err
	}
	w, h := size.lengths()
	var c vg.CanvasWriterTo
	switch strings.ToLower(format) {
	case "png":
		img := image.NewRGBA(image.Rect(0, 0, size.Width, size.Height))
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseImage(img), vgimg.UseDPI(dpi))}
	case "svg":
		c = vgsvg.New(w, h)
	case "pdf":
		c = vgpdf.New(w, h)
	default:
		return nil, fmt.Errorf("plots: unsupported format %q (want one of %s)", format, strings.Join(Formats, ", "))
	}
	if err := drawSafely(d, draw.New(c)); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("plots: encoding %s: %w", format, err)
	}
	return buf.Bytes(), nil
}

// drawSafely draws d on c and turns a panic of the plotting library (gonum
// reports some impossible axis ranges by panicking) into an error, so a bad
// figure fails its caller instead of killing the program.
func drawSafely(d Drawer, c draw.Canvas) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("plots: drawing the figure failed: %v", r)
		}
	}()
	d.Draw(c)
	return nil
}

// Save renders d at size into path, in the format named by its extension
// (.png, .svg or .pdf). It writes a temporary file in the same folder and
// renames it, so readers never see a half-written figure.
func Save(d Drawer, size Size, path string) error {
	ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	if ext == "" {
		return fmt.Errorf("plots: %s: no file extension to choose the format (want .png, .svg or .pdf)", path)
	}
	data, err := Render(d, size, ext)
	if err != nil {
		return fmt.Errorf("%w (writing %s)", err, path)
	}
	return writeAtomic(path, data)
}

func writeAtomic(path string, data []byte) error {
	if err := atomicfile.Write(path, data, 0o644); err != nil {
		return fmt.Errorf("plots: %w", err)
	}
	return nil
}

// Grid lays plots out in rows and columns with aligned axes. A nil entry
// leaves its cell empty.
type Grid struct {
	Plots [][]*plot.Plot // [row][column]
}

// NewGrid arranges plots row-major into cols columns.
func NewGrid(plots []*plot.Plot, cols int) (*Grid, error) {
	if len(plots) == 0 {
		return nil, fmt.Errorf("plots: grid needs at least one plot")
	}
	if cols <= 0 {
		return nil, fmt.Errorf("plots: grid needs at least one column, got %d", cols)
	}
	cols = min(cols, len(plots))
	rows := (len(plots) + cols - 1) / cols
	g := &Grid{Plots: make([][]*plot.Plot, rows)}
	for r := range rows {
		g.Plots[r] = make([]*plot.Plot, cols)
		for c := range cols {
			if i := r*cols + c; i < len(plots) {
				g.Plots[r][c] = plots[i]
			}
		}
	}
	return g, nil
}

// MinCell is the smallest panel a Grid is drawn with: below it titles and
// axes leave no room for the data.
var MinCell = Size{Width: 280, Height: 210}

// PreferredSize implements Sized: at least base, and large enough that
// every panel gets MinCell.
func (g *Grid) PreferredSize(base Size) Size {
	cols := 0
	for _, row := range g.Plots {
		cols = max(cols, len(row))
	}
	return Size{Width: max(base.Width, cols*MinCell.Width), Height: max(base.Height, len(g.Plots)*MinCell.Height)}
}

// Sized is a Drawer that needs more room than a caller's default size.
type Sized interface {
	PreferredSize(base Size) Size
}

// SizeFor is the size to draw d at, given the caller's default size: a
// Sized drawer's preferred size, else base.
func SizeFor(d Drawer, base Size) Size {
	if s, ok := d.(Sized); ok {
		return s.PreferredSize(base)
	}
	return base
}

// Draw implements Drawer.
func (g *Grid) Draw(c draw.Canvas) {
	// Align needs a rectangle: pad ragged rows with empty cells.
	cols := 0
	for _, row := range g.Plots {
		cols = max(cols, len(row))
	}
	if cols == 0 {
		return
	}
	cells := make([][]*plot.Plot, len(g.Plots))
	for r, row := range g.Plots {
		cells[r] = make([]*plot.Plot, cols)
		copy(cells[r], row)
	}
	pad := vg.Points(6)
	t := draw.Tiles{Rows: len(cells), Cols: cols,
		PadX: pad, PadY: pad, PadTop: pad, PadBottom: pad, PadLeft: pad, PadRight: pad}
	canvases := plot.Align(cells, t, c)
	for r, row := range cells {
		for col, p := range row {
			if p != nil {
				p.Draw(canvases[r][col])
			}
		}
	}
}
