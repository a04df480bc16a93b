package kernelext

import (
	"fmt"
	"html"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/schollz/progressbar/v3"
)

// progressMode says where a Progress draws itself.
type progressMode int

const (
	modeNotebook progressMode = iota // one HTML block, updated in place
	modeBar                          // a terminal progress bar redrawn with \r
	modeLines                        // plain lines, for logs and pipes
)

// notebookInterval bounds how often a notebook progress block is re-sent: each update
// is a message through GoNB to the browser, and a training loop can update thousands
// of times a second.
const notebookInterval = 250 * time.Millisecond

// Progress is a live progress display for a long loop: in a notebook an HTML progress
// bar updated in place, in a terminal a redrawn progress bar, and in a log (standard
// error not a terminal) a line at each tenth of the way. Its methods are safe for
// concurrent use. Create it with NewProgress and finish it with Done.
type Progress struct {
	mu       sync.Mutex
	title    string
	total    int
	start    time.Time
	done     int
	msg      string
	finished bool
	mode     progressMode

	displayID string    // notebook block id
	lastSent  time.Time // last notebook update

	bar *progressbar.ProgressBar

	w          io.Writer // line mode output
	lastMarker int       // line mode: last tenth (or power of two when total is unknown) printed
}

// NewProgress starts a progress display titled title for total steps; total <= 0 means
// the number of steps is unknown, and only the count is shown.
func NewProgress(title string, total int) *Progress {
	mode := modeLines
	if gonbui.IsNotebook {
		mode = modeNotebook
	} else if isTerminal(os.Stderr) {
		mode = modeBar
	}
	return newProgress(title, total, os.Stderr, mode)
}

// newProgress builds a Progress drawing in the given mode; w is used by the bar and
// line modes.
func newProgress(title string, total int, w io.Writer, mode progressMode) *Progress {
	if total < 0 {
		total = 0
	}
	p := &Progress{title: title, total: total, start: time.Now(), mode: mode, w: w, lastMarker: -1}
	switch mode {
	case modeNotebook:
		p.displayID = "kernelext-progress-" + gonbui.UniqueId()
		p.sendLocked(true)
	case modeBar:
		length := total
		if length == 0 {
			length = -1 // progressbar's spinner for an unknown length
		}
		p.bar = progressbar.NewOptions(length,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(title),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetRenderBlankState(true),
		)
	}
	return p
}

// isTerminal reports whether f is a character device, i.e. an interactive terminal.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Update records that done steps are complete, with an optional short message (e.g.
// "loss 0.31"). done is clamped to [0, total]. Updates after Done are ignored.
func (p *Progress) Update(done int, msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	done = max(done, 0)
	if p.total > 0 {
		done = min(done, p.total)
	}
	p.done, p.msg = done, msg
	switch p.mode {
	case modeNotebook:
		p.sendLocked(p.total > 0 && done == p.total)
	case modeBar:
		p.bar.Describe(p.description())
		_ = p.bar.Set(done)
	case modeLines:
		if m := p.marker(); m > p.lastMarker {
			p.lastMarker = m
			fmt.Fprintln(p.w, p.statusLine())
		}
	}
}

// Done ends the display, leaving a final line that shows the steps done and the time
// taken. Calling it again does nothing.
func (p *Progress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	p.finished = true
	switch p.mode {
	case modeNotebook:
		p.sendLocked(true)
	case modeBar:
		p.bar.Describe(p.description())
		if p.total > 0 && p.done == p.total {
			_ = p.bar.Finish()
		} else {
			_ = p.bar.Exit() // stopped early: don't draw the bar as full
		}
		fmt.Fprintf(p.w, "\n%s\n", p.statusLine())
	case modeLines:
		fmt.Fprintln(p.w, p.statusLine())
	}
}

// description is the bar's label: the title and the latest message.
func (p *Progress) description() string {
	if p.msg == "" {
		return p.title
	}
	return p.title + " " + p.msg
}

// marker is the line-mode checkpoint reached: the tenth done for a known total, else
// floor(log2(done)) so an open-ended loop prints O(log n) lines.
func (p *Progress) marker() int {
	if p.total > 0 {
		return p.done * 10 / p.total
	}
	m := -1
	for d := p.done; d > 0; d >>= 1 {
		m++
	}
	return m
}

// statusLine is the plain-text state, e.g. "train: 30/100 (30%) loss 0.2 [1.5s]" or,
// once finished, "train: done 100/100 (100%) loss 0.1 in 5s".
func (p *Progress) statusLine() string {
	var b strings.Builder
	b.WriteString(p.title + ": ")
	if p.finished {
		b.WriteString("done ")
	}
	b.WriteString(countText(p.done, p.total))
	if p.msg != "" {
		b.WriteString(" " + p.msg)
	}
	elapsed := time.Since(p.start).Round(time.Millisecond)
	if p.finished {
		fmt.Fprintf(&b, " in %s", elapsed)
	} else {
		fmt.Fprintf(&b, " [%s]", elapsed)
	}
	return b.String()
}

// countText is "3/10 (30%)" for a known total and "3" otherwise.
func countText(done, total int) string {
	if total <= 0 {
		return fmt.Sprint(done)
	}
	return fmt.Sprintf("%d/%d (%d%%)", done, total, done*100/total)
}

// sendLocked re-sends the notebook block, at most every notebookInterval unless force.
func (p *Progress) sendLocked(force bool) {
	now := time.Now()
	if !force && now.Sub(p.lastSent) < notebookInterval {
		return
	}
	p.lastSent = now
	gonbui.UpdateHTML(p.displayID, progressHTML(p.title, p.done, p.total, p.msg, now.Sub(p.start), p.finished))
	if p.finished {
		gonbui.Sync() // the final state must be shown before the cell ends
	}
}

// progressHTML renders the notebook block: title, an HTML <progress> bar (omitted for
// an unknown total), the count, the message, the elapsed time and, while running with
// a known total, the estimated time left.
func progressHTML(title string, done, total int, msg string, elapsed time.Duration, finished bool) string {
	var b strings.Builder
	b.WriteString(`<div class="kernelext-progress" style="font-family:monospace">`)
	b.WriteString("<b>" + html.EscapeString(title) + "</b> ")
	if total > 0 {
		fmt.Fprintf(&b, `<progress value="%d" max="%d" style="width:40%%;vertical-align:middle"></progress> `, done, total)
	}
	if finished {
		b.WriteString("done ")
	}
	b.WriteString(html.EscapeString(countText(done, total)))
	if msg != "" {
		b.WriteString(" · " + html.EscapeString(msg))
	}
	elapsed = elapsed.Round(100 * time.Millisecond)
	if finished {
		fmt.Fprintf(&b, " · in %s", elapsed)
	} else {
		fmt.Fprintf(&b, " · %s", elapsed)
		if total > 0 && done > 0 && done < total {
			eta := time.Duration(float64(elapsed) * float64(total-done) / float64(done)).Round(time.Second)
			fmt.Fprintf(&b, " · ETA %s", eta)
		}
	}
	b.WriteString("</div>")
	return b.String()
}
