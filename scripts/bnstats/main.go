// Command bnstats asks whether a checkpoint's validation accuracy is limited by its batch-norm
// running statistics: it measures the ANN's validation accuracy with the stored statistics,
// then re-estimates them at the checkpoint's own weights (forward passes in training mode over
// training batches, with the same momentum-0.1 running average, no weight update) and measures
// again.
//
//	go run ./scripts/bnstats [-batches N] CHECKPOINT
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/nqsnn/nqsnn/snnlib/experiment"
	"github.com/nqsnn/nqsnn/snnlib/snn"
)

func main() {
	batches := flag.Int("batches", 78, "training batches of the re-estimation")
	verbose := flag.Bool("v", false, "print stored against re-estimated statistics per variable")
	flag.Parse()
	if flag.NArg() != 1 || *batches < 1 {
		fmt.Fprintln(os.Stderr, "usage: bnstats [-batches N>=1] CHECKPOINT")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *batches, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "bnstats:", err)
		os.Exit(1)
	}
}

type bnValue struct {
	name   string
	values []float32
}

// bnValues are the batch-norm running statistics of ctx, in scope order.
func bnValues(ctx *context.Context) []bnValue {
	var out []bnValue
	ctx.EnumerateVariables(func(v *context.Variable) {
		if strings.HasSuffix(v.Name(), "mean") || strings.HasSuffix(v.Name(), "variance") {
			val, _ := v.Value()
			out = append(out, bnValue{v.Scope() + "/" + v.Name(), tensors.MustCopyFlatData[float32](val)})
		}
	})
	return out
}

// compare summarises new against old: mean |difference|, mean |old|, mean ratio.
func compare(old, new []float32) string {
	var d, a, r float64
	for i := range old {
		d += math.Abs(float64(new[i] - old[i]))
		a += math.Abs(float64(old[i]))
		r += float64(new[i]) / float64(old[i])
	}
	n := float64(len(old))
	return fmt.Sprintf("mean |re-estimated − stored| %.4f, mean |stored| %.4f, mean re-estimated/stored %.3f", d/n, a/n, r/n)
}

func run(path string, batches int, verbose bool) error {
	m, err := experiment.OpenModel(path, nil)
	if err != nil {
		return err
	}
	defer m.Close()
	fmt.Fprintln(os.Stderr, "backend:", m.Describe)
	be, ctx, nw, data, meta := m.Backend, m.Context, m.Network, m.Data, m.Meta
	// The executor reads the variables at every call, so it measures before and after alike.
	eval, err := snn.NewANNEval(be, ctx, nw)
	if err != nil {
		return err
	}
	before, err := snn.EvalANN(eval, data.Val, nil)
	if err != nil {
		return err
	}
	// A training-mode forward pass updates the running statistics (and nothing else: no loss,
	// no gradient).
	forward, err := context.NewExec(be, ctx.In(snn.ModelScope).Checked(false), func(ctx *context.Context, x *Node) *Node {
		ctx.SetTraining(x.Graph(), true)
		logits, _ := nw.ANN(ctx, x)
		return ReduceAllSum(logits)
	})
	if err != nil {
		return err
	}
	stored := bnValues(ctx)
	data.SetEpoch(meta.Best + 1)
	n := 0
	for n < batches {
		_, inputs, _, err := data.Train.Yield()
		if errors.Is(err, io.EOF) {
			data.SetEpoch(meta.Best + 2 + n)
			continue
		}
		if err != nil {
			return err
		}
		out, err := forward.Exec(inputs[0])
		if err != nil {
			return err
		}
		out[0].FinalizeAll()
		n++
	}
	after, err := snn.EvalANN(eval, data.Val, nil)
	if err != nil {
		return err
	}
	if verbose {
		for i, v := range bnValues(ctx) {
			fmt.Printf("%-40s %s\n", v.name, compare(stored[i].values, v.values))
		}
	}
	fmt.Printf("%s (epoch %d): validation ANN %.2f %% with the stored batch-norm statistics, %.2f %% re-estimated over %d training batches\n",
		path, meta.Best, 100*before, 100*after, batches)
	return nil
}
