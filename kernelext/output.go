package kernelext

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/nqsnn/nqsnn/snnlib/atomicfile"
)

// DisplayDirEnv names the environment variable that chooses where images shown outside
// a notebook are written. When unset they go to a "nqsnn-display" folder in os.TempDir().
const DisplayDirEnv = "NQSNN_DISPLAY_DIR"

// stdout receives the text that helpers print outside a notebook; tests swap it.
var stdout io.Writer = currentStdout{}

// currentStdout writes to os.Stdout as it is at each call, not as it was at start-up, so
// that output redirected later (Example tests, a notebook kernel's capture) is followed.
type currentStdout struct{}

func (currentStdout) Write(p []byte) (int, error) { return os.Stdout.Write(p) }

// fileSeq and runStamp make fallback file names unique within and across runs.
var (
	fileSeq  atomic.Int64
	runStamp = time.Now().Format("20060102-150405")
)

// displayDir returns the folder for images shown outside a notebook, creating it.
func displayDir() (string, error) {
	dir := os.Getenv(DisplayDirEnv)
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "nqsnn-display")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("kernelext: creating display folder %q (set %s to change it): %w", dir, DisplayDirEnv, err)
	}
	return dir, nil
}

// writeDisplayFile saves data to a fresh file "<kind>-<stamp>-<pid>-<n>.<ext>" in the
// display folder and prints where it went, standing in for an inline image.
func writeDisplayFile(kind, ext string, data []byte) (string, error) {
	dir, err := displayDir()
	if err != nil {
		return "", err
	}
	name := fmt.Sprintf("%s-%s-%d-%03d.%s", kind, runStamp, os.Getpid(), fileSeq.Add(1), ext)
	path := filepath.Join(dir, name)
	if err := WriteFileAtomic(path, data); err != nil {
		return "", err
	}
	fmt.Fprintf(stdout, "[%s saved to %s]\n", kind, path)
	return path, nil
}

// WriteFileAtomic writes data to path through a temporary file in the same folder and
// a rename, so readers never see a half-written file. The file gets mode 0644.
func WriteFileAtomic(path string, data []byte) error {
	if err := atomicfile.Write(path, data, 0o644); err != nil {
		return fmt.Errorf("kernelext: %w", err)
	}
	return nil
}
