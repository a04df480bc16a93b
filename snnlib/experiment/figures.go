package experiment

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// RegenerateFigures redraws every figure from committed run outputs: for
// each run directory under resultsDir (one holding results.json) its report
// and figures go to figuresDir/<run>/, and runs that differ only in strategy are
// compared in figuresDir/compare-<dataset>-<model>-L<levels>/. It returns
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
		key := fmt.Sprintf("compare-%s-%s-L%d", res.Config.Dataset, res.Config.Model, res.Config.Levels)
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
