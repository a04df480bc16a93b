package experiment

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// compareKey names the comparison a run directory belongs to: its name without
// the strategy ("cifar10-resnet20-nq-L4-paper-s2024" → "compare-cifar10-resnet20-L4-paper-s2024"),
// or ending in it ("tiny-nq" → "compare-tiny"), so runs of one schedule are
// compared with each other only; other names fall back to data set, model and L.
func compareKey(name string, c Config) string {
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
// and diagnostics.json.
func RegenerateFigures(resultsDir, figuresDir string) ([]string, error) {
	entries, err := os.ReadDir(resultsDir)
	if err != nil {
		return nil, err
	}
	groups := map[string][]string{}
	var written []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(resultsDir, e.Name())
		res, err := LoadResults(dir)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out := filepath.Join(figuresDir, e.Name())
		if err := writeReport(out, dir, res); err != nil {
			return nil, fmt.Errorf("%s: %w", dir, err)
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
		if err != nil {
			return nil, err
		}
		out := filepath.Join(figuresDir, k)
		if err := c.Write(out); err != nil {
			return nil, err
		}
		written = append(written, out)
	}
	return written, nil
}
