// Package kernelext holds small display helpers for GoNB notebooks: inline plots,
// tables, Markdown, images and a live progress display. Every helper is harmless
// outside a notebook: it prints text (Markdown tables, a terminal progress bar) or
// writes an image file and prints its path, so the same code runs from `go test`,
// a command-line tool or a notebook cell.
//
// Whether a program runs inside a notebook is decided by [gonbui.IsNotebook], which
// GoNB sets through an environment variable when it runs a cell.
//
// Every display helper waits ([gonbui.Sync]) until GoNB has published what it sent:
// without that, the last display of a short cell could reach Jupyter after the cell
// reported it was done (seen as a missing output in kernel_test.py).
//
// # Using this module from a notebook
//
// Notebooks live in notebooks/ of the repository and import this module through a
// go.work that "use"s the repository root. The first cell of every notebook is:
//
//	!*go get github.com/janpfeifer/gonb@v0.11.4 2>&1 | { grep -v '^go: added' || true; }
//	!*rm -f go.work && go work init && go work use . "${GONB_DIR}/.."
//	%goworkfix
//
// The first line pins gonb (the module proxy refuses GoNB's attempt to list its
// versions, so an unpinned gonbui import fails). `!*` runs the line in GoNB's
// temporary module directory; GONB_DIR is the directory the kernel was started in
// (the notebook's folder), so "${GONB_DIR}/.." is the repository root. %goworkfix
// turns the go.work "use" lines into go.mod replace rules, which GoNB's automatic
// `go get` of new imports needs. Later cells then import packages normally:
//
//	import "github.com/nqsnn/nqsnn/kernelext"
//
//	%%
//	kernelext.ShowTable([]string{"T", "acc"}, [][]string{{"4", "91.2"}})
//
// Run scripts/install-kernel.sh once to install GoNB, gopls, goimports, Jupyter and
// the kernelspec; see kernelext/README.md for details and kernelext/kernel_test.py
// for the end-to-end check.
package kernelext
