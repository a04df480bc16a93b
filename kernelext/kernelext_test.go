package kernelext

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// captureStdout points the package's text output at a buffer for one test and sends
// fallback images to a fresh folder.
func captureStdout(t *testing.T) (*bytes.Buffer, string) {
	t.Helper()
	require.False(t, gonbui.IsNotebook, "tests cover the non-notebook paths; unset GONB_PIPE")
	var buf bytes.Buffer
	old := stdout
	stdout = &buf
	t.Cleanup(func() { stdout = old })
	dir := t.TempDir()
	t.Setenv(DisplayDirEnv, dir)
	return &buf, dir
}

// pixels is the PNG size of cm centimetres at PNGDPI.
func pixels(cm float64) int { return int(math.Round(cm / 2.54 * PNGDPI)) }

func testPlot(t *testing.T) *plot.Plot {
	t.Helper()
	p := plot.New()
	p.Title.Text = "spikes"
	pts := plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}, {X: 2, Y: 4}}
	line, err := plotter.NewLine(pts)
	require.NoError(t, err)
	p.Add(line)
	return p
}

func TestMarkdownTable(t *testing.T) {
	got := MarkdownTable([]string{"T", "accuracy"}, [][]string{{"4", "91.25"}, {"16", "93.5"}})
	want := "" +
		"| T   | accuracy |\n" +
		"| --- | -------- |\n" +
		"| 4   | 91.25    |\n" +
		"| 16  | 93.5     |\n"
	assert.Equal(t, want, got)
}

func TestMarkdownTableEscapesAndPads(t *testing.T) {
	got := MarkdownTable([]string{"a"}, [][]string{{"x|y", "two\nlines"}, {}})
	want := "" +
		"| a    |              |\n" +
		"| ---- | ------------ |\n" +
		`| x\|y | two<br>lines |` + "\n" +
		"|      |              |\n"
	assert.Equal(t, want, got)
	assert.Equal(t, "", MarkdownTable(nil, nil))
	assert.Equal(t, "| x   |\n| --- |\n", MarkdownTable([]string{"x"}, nil))
}

func TestMarkdownTableCountsRunesNotBytes(t *testing.T) {
	got := MarkdownTable([]string{"σ", "λ"}, [][]string{{"0.1", "1"}})
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	require.Len(t, lines, 3)
	for _, l := range lines {
		assert.Equal(t, len([]rune(lines[0])), len([]rune(l)), "line %q misaligned", l)
	}
}

func TestHTMLTable(t *testing.T) {
	got := HTMLTable([]string{"name", "v"}, [][]string{{"<b>", "1"}, {"only"}})
	want := "<table>\n<thead><tr><th>name</th><th>v</th></tr></thead>\n<tbody>\n" +
		"<tr><td>&lt;b&gt;</td><td>1</td></tr>\n" +
		"<tr><td>only</td><td></td></tr>\n" +
		"</tbody>\n</table>\n"
	assert.Equal(t, want, got)
	assert.NotContains(t, HTMLTable(nil, [][]string{{"a"}}), "<thead>")
}

func TestShowTableOutsideNotebookPrintsMarkdown(t *testing.T) {
	out, _ := captureStdout(t)
	h, rows := []string{"k", "v"}, [][]string{{"L", "8"}}
	ShowTable(h, rows)
	assert.Equal(t, MarkdownTable(h, rows), out.String())
}

func TestShowMarkdownOutsideNotebook(t *testing.T) {
	out, _ := captureStdout(t)
	ShowMarkdown("# title")
	ShowMarkdown("text\n")
	assert.Equal(t, "# title\ntext\n", out.String())
}

func TestRenderPlotPNGHasRequestedSize(t *testing.T) {
	// 96 pixels per inch, rounded to the nearest pixel: 10 cm = 377.95 px -> 378.
	for _, size := range []struct {
		w, h     float64
		wPx, hPx int
	}{{10, 6, 378, 227}, {2.54, 2.54, 96, 96}, {15.3, 7.7, 578, 291}} {
		b, err := RenderPlot(testPlot(t), size.w, size.h, "png")
		require.NoError(t, err)
		cfg, err := png.DecodeConfig(bytes.NewReader(b))
		require.NoError(t, err)
		assert.Equal(t, size.wPx, cfg.Width, "width for %v cm", size.w)
		assert.Equal(t, size.hPx, cfg.Height, "height for %v cm", size.h)
		assert.Equal(t, size.wPx, pixels(size.w))
	}
}

func TestRenderPlotRejectsBadInput(t *testing.T) {
	p := testPlot(t)
	_, err := RenderPlot(nil, 5, 5, "png")
	assert.EqualError(t, err, "kernelext: nil plot")
	_, err = RenderPlot(p, 0, 5, "png")
	assert.EqualError(t, err, "kernelext: plot width 0 cm is out of range (0, 500]")
	_, err = RenderPlot(p, 5, -1, "png")
	assert.EqualError(t, err, "kernelext: plot height -1 cm is out of range (0, 500]")
	_, err = RenderPlot(p, 5, 1e9, "png")
	assert.ErrorContains(t, err, "plot height 1e+09 cm is out of range")
	_, err = RenderPlot(p, 5, 5, "gif")
	assert.EqualError(t, err, `kernelext: unsupported plot format "gif" (want one of png, svg, pdf)`)
}

func TestSavePlotByExtension(t *testing.T) {
	dir := t.TempDir()
	p := testPlot(t)

	pngPath := filepath.Join(dir, "a.PNG")
	require.NoError(t, SavePlot(p, pngPath, 8, 5))
	f, err := os.Open(pngPath)
	require.NoError(t, err)
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	require.NoError(t, err)
	assert.Equal(t, pixels(8), cfg.Width)

	svgPath := filepath.Join(dir, "b.svg")
	require.NoError(t, SavePlot(p, svgPath, 8, 5))
	svg, err := os.ReadFile(svgPath)
	require.NoError(t, err)
	assert.Contains(t, string(svg), "<svg")
	assert.Contains(t, string(svg), "spikes", "title text is in the SVG")

	pdfPath := filepath.Join(dir, "c.pdf")
	require.NoError(t, SavePlot(p, pdfPath, 8, 5))
	pdf, err := os.ReadFile(pdfPath)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(pdf, []byte("%PDF-")))

	// Only the three outputs remain: no temporary files are left behind.
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 3)
}

func TestSavePlotErrorsNameThePath(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "x.gif")
	err := SavePlot(testPlot(t), bad, 5, 5)
	assert.EqualError(t, err, `kernelext: SavePlot "`+bad+`": unsupported extension ".gif" (want .png, .svg or .pdf)`)
	_, statErr := os.Stat(bad)
	assert.True(t, os.IsNotExist(statErr))

	missing := filepath.Join(dir, "no-such-dir", "x.png")
	err = SavePlot(testPlot(t), missing, 5, 5)
	assert.ErrorContains(t, err, missing)

	err = SavePlot(testPlot(t), filepath.Join(dir, "y.svg"), -2, 5)
	assert.ErrorContains(t, err, "y.svg")
	assert.ErrorContains(t, err, "plot width -2 cm is out of range")
}

func TestSavePlotReplacesExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.png")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))
	require.NoError(t, SavePlot(testPlot(t), path, 4, 3))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(b, pngSignature))
}

func TestShowPlotOutsideNotebookWritesFile(t *testing.T) {
	out, dir := captureStdout(t)
	require.NoError(t, ShowPlot(testPlot(t), 6, 4))
	require.NoError(t, ShowPlotSVG(testPlot(t), 6, 4))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 2)
	re := regexp.MustCompile(`^\[plot saved to (.+)\]$`)
	var paths []string
	for _, l := range lines {
		m := re.FindStringSubmatch(l)
		require.NotNil(t, m, "unexpected line %q", l)
		assert.Equal(t, dir, filepath.Dir(m[1]))
		paths = append(paths, m[1])
	}
	assert.Equal(t, ".png", filepath.Ext(paths[0]))
	assert.Equal(t, ".svg", filepath.Ext(paths[1]))
	f, err := os.Open(paths[0])
	require.NoError(t, err)
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	require.NoError(t, err)
	assert.Equal(t, pixels(6), cfg.Width)
	assert.Equal(t, pixels(4), cfg.Height)
}

func TestShowImagePNG(t *testing.T) {
	out, dir := captureStdout(t)
	err := ShowImagePNG([]byte("GIF89a..."))
	assert.EqualError(t, err, "kernelext: ShowImagePNG: data (9 bytes) does not start with the PNG signature")
	assert.Empty(t, out.String())

	img := image.NewGray(image.Rect(0, 0, 3, 2))
	img.SetGray(1, 1, color.Gray{Y: 200})
	require.NoError(t, ShowImage(img))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Contains(t, out.String(), entries[0].Name())
	b, err := os.ReadFile(filepath.Join(dir, entries[0].Name()))
	require.NoError(t, err)
	back, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	assert.Equal(t, image.Rect(0, 0, 3, 2), back.Bounds())
	assert.Equal(t, uint8(200), color.GrayModel.Convert(back.At(1, 1)).(color.Gray).Y, "pixel survives the round trip")

	assert.EqualError(t, ShowImage(nil), "kernelext: ShowImage: nil image")
}

func TestProgressLinesPrintEachTenth(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress("train", 100, &buf, modeLines)
	for i := 1; i <= 100; i++ {
		p.Update(i, "loss x")
	}
	p.Update(150, "clamped") // clamps to 100, same tenth: no line
	p.Done()
	p.Done()
	p.Update(3, "after done")
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	// The first step, tenths 1..10, then the Done line; nothing after Done.
	require.Len(t, lines, 12, buf.String())
	assert.Regexp(t, `^train: 1/100 \(1%\) loss x \[\d.*\]$`, lines[0])
	assert.Regexp(t, `^train: 10/100 \(10%\) loss x \[\d.*\]$`, lines[1])
	assert.Regexp(t, `^train: 100/100 \(100%\) loss x \[`, lines[10])
	assert.Regexp(t, `^train: done 100/100 \(100%\) clamped in \d`, lines[11])
}

func TestProgressLinesUnknownTotal(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress("scan", 0, &buf, modeLines)
	for i := 1; i <= 20; i++ {
		p.Update(i, "")
	}
	p.Done()
	var counts []string
	for _, l := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		counts = append(counts, strings.Fields(l)[1])
	}
	// Powers of two, then the final count.
	assert.Equal(t, []string{"1", "2", "4", "8", "16", "done"}, counts)
	assert.Contains(t, buf.String(), "scan: done 20 in ")
}

func TestProgressBarMode(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress("sim", 10, &buf, modeBar)
	p.Update(4, "T=4")
	p.Update(-3, "")
	p.Update(10, "T=10")
	p.Done()
	s := buf.String()
	assert.Contains(t, s, "sim T=10")
	assert.Contains(t, s, "10/10")
	assert.Regexp(t, `sim: done 10/10 \(100%\) T=10 in \d`, s)
}

func TestProgressHTML(t *testing.T) {
	got := progressHTML("a<b", 25, 100, "loss & acc", 10*time.Second, false)
	assert.Contains(t, got, "<b>a&lt;b</b>")
	assert.Contains(t, got, `<progress value="25" max="100"`)
	assert.Contains(t, got, "25/100 (25%)")
	assert.Contains(t, got, "loss &amp; acc")
	assert.Contains(t, got, "ETA 30s", "75 steps left at 0.4 s/step")

	fin := progressHTML("t", 100, 100, "", 12*time.Second, true)
	assert.Contains(t, fin, "done 100/100 (100%) · in 12s")
	assert.NotContains(t, fin, "ETA")

	open := progressHTML("t", 7, 0, "", time.Second, false)
	assert.NotContains(t, open, "<progress")
	assert.Contains(t, open, "</b> 7 · 1s")
}
