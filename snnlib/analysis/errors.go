package analysis

import "fmt"

func errorf(format string, args ...any) error { return fmt.Errorf("analysis: "+format, args...) }
