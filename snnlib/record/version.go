package record

import (
	"os/exec"
	"runtime/debug"
	"strings"
)

// Version is the code version recorded in run outputs.
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, modified := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if rev != "" {
			if modified {
				// Built from a tree with uncommitted changes: the revision alone
				// would claim code the binary does not hold.
				return rev + "-dirty"
			}
			return rev
		}
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
	}
	// Built without VCS stamping (-buildvcs=false, as GOFLAGS sets on some
	// machines): the best remaining clue is the checkout the program runs in,
	// labelled as such, because a binary built earlier may hold other code.
	if out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		rev := strings.TrimSpace(string(out))
		if dirty, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(dirty) > 0 {
			rev += "-dirty"
		}
		return rev + " (unstamped build; checkout at run time)"
	}
	return "devel"
}
