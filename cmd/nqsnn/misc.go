package main

import (
	"fmt"
	"io"
	"os"
)

func mkdir(dir string) error { return os.MkdirAll(dir, 0o755) }

func cmdBench(args []string, stdout, stderr io.Writer) error {
	return fmt.Errorf("bench: not yet available")
}

func cmdSetup(args []string, stdout, stderr io.Writer) error {
	return fmt.Errorf("setup: not yet available")
}

func cmdFigures(args []string, stdout, stderr io.Writer) error {
	return fmt.Errorf("figures: not yet available")
}
