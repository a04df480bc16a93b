package report

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nqsnn/nqsnn/snnlib/record"
)

func TestBudget(t *testing.T) {
	a, b := &record.Results{}, &record.Results{}
	a.Config.Epochs, a.Data.TestExamples = 5, 10000
	b.Config.Epochs, b.Data.TestExamples = 400, 10000
	require.Equal(t, "5 training epochs, 10000 test images", Budget(a))
	require.Equal(t, "5–400 training epochs, 10000 test images", Budget(a, b))
	require.Equal(t, "", Budget())
}
