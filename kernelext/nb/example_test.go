package nb_test

import (
	"fmt"

	"github.com/nqsnn/nqsnn/kernelext/nb"
)

// A notebook's runs live under runs/notebooks/, one folder per setting.
func ExampleRunDir() {
	nb.Full = false
	fmt.Println(nb.RunDir("mnist-cnn-nq-L4"))
	fmt.Println(nb.Pct(0.98765))
	// Output:
	// ../runs/notebooks/ci/mnist-cnn-nq-L4
	// 98.77
}

// Outside a notebook a table is printed as Markdown.
func ExampleTable() {
	nb.Table([]string{"T", "SNN accuracy (%)"}, [][]string{{"2", nb.Pct(0.9813)}, {"4", nb.Pct(0.99)}})
	// Output:
	// | T   | SNN accuracy (%) |
	// | --- | ---------------- |
	// | 2   | 98.13            |
	// | 4   | 99.00            |
}
