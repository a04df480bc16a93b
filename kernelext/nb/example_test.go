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
