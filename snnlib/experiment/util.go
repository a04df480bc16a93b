package experiment

import (
	"sort"

	"github.com/nqsnn/nqsnn/snnlib/checkpoint"
)

func writeFile(path string, data []byte) error { return checkpoint.WriteFileAtomic(path, data) }

func sortStrings(s []string) { sort.Strings(s) }

func sortInts(s []int) { sort.Ints(s) }
