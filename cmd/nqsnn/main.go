// Command nqsnn trains an ANN with the noisy quantised (NQ) activation,
// converts it to an integrate-and-fire SNN and reports accuracy, latency,
// residual error and energy (Huang et al., arXiv 2404.17456).
//
// With no arguments it runs the embedded default job: MNIST (from the GoMNIST
// Go module), the small CNN, strategy nq, the quick preset.
//
//	nqsnn [run] [flags]          train + calibrate + convert + simulate + report
//	nqsnn eval CHECKPOINT        simulate a saved model at chosen T
//	nqsnn compare RUN_DIR...     overlay several runs
//	nqsnn bench                  backend and data benchmarks
//	nqsnn setup                  install the XLA CPU plugin, check the notebook kernel
//	nqsnn figures                regenerate figures/ from committed results
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/nqsnn/nqsnn/kernelext"
	"github.com/nqsnn/nqsnn/snnlib/backend"
	"github.com/nqsnn/nqsnn/snnlib/experiment"
	"github.com/nqsnn/nqsnn/snnlib/strategy"
)

// usageError marks errors in the command line (exit code 2).
type usageError struct{ error }

const usage = `nqsnn converts ANNs to low-latency spiking neural networks (NQ method).

Usage:
  nqsnn [run] [flags]            train, calibrate, convert, simulate, write a report
  nqsnn eval [flags] CHECKPOINT  simulate a saved model at chosen T values (-strategy srp|cos converts a QCFS model with SRP or COS)
  nqsnn compare [flags] RUN_DIR...  one table and plot over several runs
  nqsnn bench [flags]            backend and data-pipeline benchmarks
  nqsnn setup [flags]            install the XLA CPU plugin; check the notebook kernel
  nqsnn figures [flags]          regenerate figures/ from committed results
  nqsnn split [flags]            write a run's train/validation indices as JSON
  nqsnn version                  print the code version
  nqsnn help strategies          the conversion strategies and their parameters

'nqsnn run' (or 'nqsnn' alone) starts the default job: MNIST, the small CNN,
strategy nq, the quick preset (5 epochs; minutes with the XLA plugin of
'nqsnn setup'), written to runs/mnist-cnn-nq-L4/.
Run 'nqsnn COMMAND -h' for the flags of a command.
`

// defaultJobNote is the first line of a bare 'nqsnn': what it is about to do.
const defaultJobNote = "nqsnn: no command given, so running the default job ('nqsnn run': MNIST, small CNN, nq, quick preset); 'nqsnn -h' lists the commands\n"

func main() {
	// glibc reads its malloc tunables once, at start: start again with huge
	// pages for XLA's per-call buffers (see backend.MallocEnv). If the exec
	// fails, run as is.
	if env, ok := backend.MallocEnv(os.Environ(), backend.THPMode()); ok {
		if exe, err := os.Executable(); err == nil {
			_ = syscall.Exec(exe, os.Args, env)
		}
	}
	// Return what XLA's runtime freed to the system as the run goes, so a
	// long run's resident memory tracks what it uses (see
	// backend.ReturnFreeMemory); NQSNN_MALLOC=default leaves malloc alone.
	stop := func() {}
	if os.Getenv(backend.MallocEnvVar) != "default" {
		stop = backend.TrimFreeMemory(backend.DefaultTrimInterval)
	}
	// The Go heap holds the data set and churns through batches and probe
	// copies; collecting at 1.5× the live heap instead of 2× took ≈250 MB
	// off a ResNet-20 run's peak at no measurable cost in speed. GOGC, when
	// set, decides.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(50)
	}
	code := run(os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(args []string, stdout, stderr io.Writer) int {
	cmd := "run"
	switch {
	case len(args) == 0:
		fmt.Fprint(stdout, defaultJobNote)
	case args[0] == "-h" || args[0] == "-help" || args[0] == "--help":
		// The commands, not run's flags: 'nqsnn run -h' lists those.
		cmd = "help"
	case len(args[0]) > 0 && args[0][0] != '-':
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "run":
		err = cmdRun(args, stdout, stderr)
	case "eval":
		err = cmdEval(args, stdout, stderr)
	case "compare":
		err = cmdCompare(args, stdout, stderr)
	case "bench":
		err = cmdBench(args, stdout, stderr)
	case "setup":
		err = cmdSetup(args, stdout, stderr)
	case "figures":
		err = cmdFigures(args, stdout, stderr)
	case "split":
		err = cmdSplit(args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, experiment.Version())
	case "help":
		if len(args) > 0 && args[0] == "strategies" {
			fmt.Fprint(stdout, "Conversion strategies (nqsnn run|eval -strategy NAME -strategy-param name=value):\n"+strategy.Help())
			break
		}
		fmt.Fprint(stdout, usage)
	default:
		err = usageError{fmt.Errorf("unknown command %q", cmd)}
	}
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "nqsnn: %v\n\n%s", err, usage)
		return 2
	case errors.Is(err, experiment.ErrInterrupted):
		fmt.Fprintf(stderr, "nqsnn: %v\n", err)
		return 130
	default:
		fmt.Fprintf(stderr, "nqsnn: %v\n", err)
		return 1
	}
}

// newFlags makes a FlagSet whose errors are returned, not printed twice.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: nqsnn %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	return nil
}

// progress shows a bar on a terminal and periodic lines in logs.
func progress(title string, total int) experiment.Progress {
	return kernelext.NewProgress(title, total)
}

// interrupts returns a channel closed at the first Ctrl-C or SIGTERM; a second
// signal exits at once. hint says how to go on from what is kept.
func interrupts(stderr io.Writer, hint string) <-chan struct{} {
	stop := make(chan struct{})
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		fmt.Fprintln(stderr, "\nnqsnn: stopping within the current batch (the last complete epoch is kept); press Ctrl-C again to quit now")
		close(stop)
		<-sig
		// Files are written atomically, so quitting here loses only the
		// epoch in progress.
		fmt.Fprintf(stderr, "nqsnn: quitting now; the last complete epoch is kept; %s\n", hint)
		os.Exit(130)
	}()
	return stop
}
