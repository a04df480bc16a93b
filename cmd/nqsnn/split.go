package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/nqsnn/nqsnn/snnlib/atomicfile"
	"github.com/nqsnn/nqsnn/snnlib/experiment"
)

// cmdSplit writes the exact train/validation indices a run with the same
// data settings uses, so another framework can train on the same split.
func cmdSplit(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("split", "split [flags]", stderr)
	cfg := experiment.DefaultConfig()
	fs.StringVar(&cfg.Dataset, "dataset", cfg.Dataset, "data set (as for run)")
	fs.StringVar(&cfg.DataDir, "data-dir", "", "directory holding the data set (as for run)")
	fs.Int64Var(&cfg.Seed, "seed", 2024, "seed of the validation split and training subset (as for run)")
	fs.Int64Var(&cfg.SplitSeed, "split-seed", 0, "seed of the validation split only (as for run; default: -seed)")
	fs.Float64Var(&cfg.ValFraction, "val-fraction", 0.1, "fraction of the training set held out for validation")
	fs.IntVar(&cfg.TrainLimit, "train-limit", 0, "use at most this many training examples (0: all)")
	out := fs.String("o", "", "write the JSON here instead of standard output")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("split takes no arguments, got %q", fs.Args())}
	}
	split, err := experiment.SplitOf(cfg)
	if err != nil {
		return err
	}
	b, err := json.Marshal(split)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if *out == "" {
		_, err = stdout.Write(b)
		return err
	}
	return atomicfile.Write(*out, b, 0o644)
}
