package kernelext

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// PNGDPI is the resolution of rendered PNGs: a plot of w cm is round(w/2.54*96) pixels
// wide. It is gonum/plot's default, so SavePlot and plot.Save agree.
const PNGDPI = 96

// maxPlotCm bounds plot sizes: a 500 cm PNG is already ~19000 pixels on a side, and a
// typo in a size should fail rather than exhaust memory.
const maxPlotCm = 500

// plotFormats are the formats RenderPlot and SavePlot accept.
var plotFormats = []string{"png", "svg", "pdf"}

// RenderPlot draws p at widthCm × heightCm and returns the encoded image in format
// "png", "svg" or "pdf".
func RenderPlot(p *plot.Plot, widthCm, heightCm float64, format string) ([]byte, error) {
	b, err := renderPlot(p, widthCm, heightCm, format)
	if err != nil {
		return nil, fmt.Errorf("kernelext: %w", err)
	}
	return b, nil
}

// renderPlot is RenderPlot with errors left unprefixed, for callers that add context.
func renderPlot(p *plot.Plot, widthCm, heightCm float64, format string) ([]byte, error) {
	if p == nil {
		return nil, errors.New("nil plot")
	}
	for _, d := range []struct {
		name string
		v    float64
	}{{"width", widthCm}, {"height", heightCm}} {
		if math.IsNaN(d.v) || d.v <= 0 || d.v > maxPlotCm {
			return nil, fmt.Errorf("plot %s %v cm is out of range (0, %d]", d.name, d.v, maxPlotCm)
		}
	}
	format = strings.ToLower(format)
	if !validFormat(format) {
		return nil, fmt.Errorf("unsupported plot format %q (want one of %s)", format, strings.Join(plotFormats, ", "))
	}
	w, err := p.WriterTo(vg.Length(widthCm)*vg.Centimeter, vg.Length(heightCm)*vg.Centimeter, format)
	if err != nil {
		return nil, fmt.Errorf("rendering plot as %s: %w", format, err)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("encoding plot as %s: %w", format, err)
	}
	return buf.Bytes(), nil
}

func validFormat(format string) bool {
	for _, f := range plotFormats {
		if f == format {
			return true
		}
	}
	return false
}

// ShowPlot renders p as a PNG of widthCm × heightCm and displays it inline in a
// notebook; elsewhere the PNG is written to the display folder (see DisplayDirEnv) and
// its path printed.
func ShowPlot(p *plot.Plot, widthCm, heightCm float64) error {
	b, err := RenderPlot(p, widthCm, heightCm, "png")
	if err != nil {
		return err
	}
	if gonbui.IsNotebook {
		gonbui.DisplayPNG(b)
		gonbui.Sync()
		return gonbui.Error()
	}
	_, err = writeDisplayFile("plot", "png", b)
	return err
}

// ShowPlotSVG is ShowPlot with an SVG image: sharp at any zoom, and larger for plots
// with many points. In a notebook the SVG is embedded in HTML (GoNB does so because
// Jupyter's HTML export mishandles image/svg+xml).
func ShowPlotSVG(p *plot.Plot, widthCm, heightCm float64) error {
	b, err := RenderPlot(p, widthCm, heightCm, "svg")
	if err != nil {
		return err
	}
	if gonbui.IsNotebook {
		gonbui.DisplaySVG(string(b))
		gonbui.Sync()
		return gonbui.Error()
	}
	_, err = writeDisplayFile("plot", "svg", b)
	return err
}

// SavePlot writes p, at widthCm × heightCm, to path in the format its extension names
// (.png, .svg or .pdf, any case). The write is atomic: a temporary file in the same
// folder is renamed over path.
func SavePlot(p *plot.Plot, path string, widthCm, heightCm float64) error {
	ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	if !validFormat(ext) {
		return fmt.Errorf("kernelext: SavePlot %q: unsupported extension %q (want .png, .svg or .pdf)", path, filepath.Ext(path))
	}
	b, err := renderPlot(p, widthCm, heightCm, ext)
	if err != nil {
		return fmt.Errorf("kernelext: SavePlot %q: %w", path, err)
	}
	return WriteFileAtomic(path, b)
}
