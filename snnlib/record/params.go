package record

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// FormatParams prints strategy parameters as -strategy-param takes them:
// "name=value,..." sorted by name ("" when there are none).
func FormatParams(m map[string]float64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + strconv.FormatFloat(m[k], 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

// ParseParams parses "name=value,..." (as -strategy-param takes it) into m,
// which it creates when nil; a name given twice keeps the last value.
func ParseParams(m map[string]float64, s string) (map[string]float64, error) {
	if m == nil {
		m = map[string]float64{}
	}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		name, value, ok := strings.Cut(f, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, fmt.Errorf("%q is not name=value", f)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%s: %q is not a finite number", name, value)
		}
		m[name] = v
	}
	return m, nil
}
