package report

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/nqsnn/nqsnn/snnlib/record"
)

func TestCompareKey(t *testing.T) {
	for _, c := range []struct {
		name, strategy, want string
	}{
		{"cifar10-resnet20-nq-L4", "nq", "compare-cifar10-resnet20-L4"},
		{"mnist-cnn-relu-L4", "relu", "compare-mnist-cnn-L4"},
		{"cifar10-resnet20-qcfs-L4-paper-s2024", "qcfs", "compare-cifar10-resnet20-L4-paper-s2024"},
		{"tiny-nq", "nq", "compare-tiny"},
		{"my-run", "nq", "compare-cifar10-resnet20-L4"},
	} {
		cfg := record.Config{Dataset: "cifar10", Model: "resnet20", Strategy: c.strategy, Levels: 4}
		assert.Equal(t, c.want, compareKey(c.name, cfg), c.name)
	}
}
