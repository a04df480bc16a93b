package kernelext_test

import (
	"fmt"

	"github.com/nqsnn/nqsnn/kernelext"
)

// Outside a notebook MarkdownTable's text is what ShowTable prints.
func ExampleMarkdownTable() {
	fmt.Print(kernelext.MarkdownTable(
		[]string{"T", "top-1 (%)"},
		[][]string{{"4", "91.25"}, {"8", "93.10"}},
	))
	// Output:
	// | T   | top-1 (%) |
	// | --- | --------- |
	// | 4   | 91.25     |
	// | 8   | 93.10     |
}

// A loop reports progress; in a notebook this is a bar updated in place.
func ExampleNewProgress() {
	const steps = 50
	p := kernelext.NewProgress("simulate", steps)
	defer p.Done()
	for t := 1; t <= steps; t++ {
		// ... one simulation step ...
		p.Update(t, fmt.Sprintf("T=%d", t))
	}
}
