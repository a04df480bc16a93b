package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/nqsnn/nqsnn/snnlib/record"
)

// compareKey names the comparison a run directory belongs to: its name without
// the strategy ("cifar10-resnet20-nq-L4-paper-s2024" → "compare-cifar10-resnet20-L4-paper-s2024"),
// or ending in it ("tiny-nq" → "compare-tiny"), so runs of one schedule are
// compared with each other only; other names fall back to data set, model and L.
func compareKey(name string, c record.Config) string {
	if i := strings.Index(name, "-"+c.Strategy+"-"); i > 0 {
		return "compare-" + name[:i] + name[i+len(c.Strategy)+1:]
	}
	if base, ok := strings.CutSuffix(name, "-"+c.Strategy); ok && base != "" {
		return "compare-" + base
	}
	return fmt.Sprintf("compare-%s-%s-L%d", c.Dataset, c.Model, c.Levels)
}

// RegenerateFigures redraws every figure from committed run outputs: for
// each run directory under resultsDir (one holding results.json) its report
// and figures go to figuresDir/<run>/, and runs whose directory names differ
// only in the strategy are compared in figuresDir/compare-<name without it>/
// (e.g. compare-cifar10-resnet20-L4/). It returns
// the directories written. Nothing is recomputed: inputs are results.json
// and diagnostics.json. A run that cannot be drawn does not stop the others:
// its error is returned, joined with any other, after every other run is
// written. A results folder without any run is an error.
func RegenerateFigures(resultsDir, figuresDir string) ([]string, error) {
	entries, err := os.ReadDir(resultsDir)
	if err != nil {
		return nil, err
	}
	groups := map[string][]string{}
	var written []string
	var errs []error
	runs := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(resultsDir, e.Name())
		res, err := record.LoadResults(dir)
		if os.IsNotExist(err) {
			continue
		}
		runs++
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out := filepath.Join(figuresDir, e.Name())
		if err := writeReport(out, dir, res); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", dir, err))
			continue
		}
		written = append(written, out)
		key := compareKey(e.Name(), res.Config)
		groups[key] = append(groups[key], dir)
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if len(groups[k]) < 2 {
			continue
		}
		c, err := Compare(groups[k])
		if err == nil {
			out := filepath.Join(figuresDir, k)
			if err = c.Write(out); err == nil {
				written = append(written, out)
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", k, err))
		}
	}
	if runs == 0 {
		return nil, fmt.Errorf("%s holds no run: expected one folder per run, each with a %s (as nqsnn run writes)", resultsDir, record.ResultsFile)
	}
	return written, errors.Join(errs...)
}
