//go:build unix

package experiment

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// LockFile is the lock a run holds on its directory while it runs, so that
// two runs can never write one directory. It holds the owner's PID and is
// removed when the run ends.
const LockFile = ".nqsnn.lock"

// lockDir takes the exclusive lock of run directory dir (flock on
// dir/LockFile) and returns the function that releases it. A directory held
// by another process is an error naming that process.
func lockDir(dir string) (unlock func(), err error) {
	path := filepath.Join(dir, LockFile)
	// The holder removes the file when done, so the file just opened may
	// already be unlinked by the time the lock is granted: retry until the
	// locked file is the one under the name.
	for range 100 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, fmt.Errorf("locking run directory: %w", err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			b := make([]byte, 32)
			n, _ := f.ReadAt(b, 0)
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				pid := strings.TrimSpace(string(b[:n]))
				if _, perr := strconv.Atoi(pid); perr != nil {
					pid = "unknown"
				}
				return nil, fmt.Errorf("run directory %s is in use by another nqsnn process (PID %s); wait for it to end or stop it, or choose another -out", dir, pid)
			}
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		held, err1 := f.Stat()
		named, err2 := os.Stat(path)
		if err1 != nil || err2 != nil || !os.SameFile(held, named) {
			f.Close()
			continue
		}
		if err := f.Truncate(0); err == nil {
			_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
		}
		return func() {
			// Removed while still locked: a process waiting on this file
			// then sees that it is no longer the named one and retries.
			_ = os.Remove(path)
			f.Close()
		}, nil
	}
	return nil, fmt.Errorf("locking %s: the lock file keeps changing", path)
}
