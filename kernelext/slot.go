package kernelext

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/janpfeifer/gonb/gonbui"
)

// Slot is one place in a cell's output that is redrawn in place, e.g. a training plot that
// grows epoch by epoch. Outside a notebook it is one image file in the display folder (see
// DisplayDirEnv), rewritten at every update, whose path is printed once.
type Slot struct {
	mu   sync.Mutex
	uid  string // unique per slot: the notebook display id and the file name derive from it
	path string // outside a notebook: the file
}

// NewSlot reserves a place in the output; nothing shows until the first update.
func NewSlot() *Slot {
	return &Slot{uid: gonbui.UniqueId()}
}

// ShowPNG replaces the slot's content with the encoded PNG b.
func (s *Slot) ShowPNG(b []byte) error {
	if !bytes.HasPrefix(b, pngSignature) {
		return fmt.Errorf("kernelext: Slot.ShowPNG: data (%d bytes) does not start with the PNG signature", len(b))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if gonbui.IsNotebook {
		gonbui.UpdateHTML("kernelext-slot-"+s.uid, `<img src="data:image/png;base64,`+base64.StdEncoding.EncodeToString(b)+`">`)
		gonbui.Sync()
		return gonbui.Error()
	}
	if s.path == "" {
		dir, err := displayDir()
		if err != nil {
			return err
		}
		s.path = filepath.Join(dir, fmt.Sprintf("live-%s-%s.png", runStamp, s.uid))
		if err := WriteFileAtomic(s.path, b); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "[live image at %s, rewritten at every update]\n", s.path)
		return nil
	}
	return WriteFileAtomic(s.path, b)
}

// Path is the file the slot writes outside a notebook ("" before its first update or in a
// notebook).
func (s *Slot) Path() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.path
}
