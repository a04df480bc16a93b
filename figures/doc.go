// Package figures holds the PNG and SVG figures of the README and the
// notebooks. They are drawn from the committed run outputs in ../results by
//
//	go generate ./figures
//
// (equivalently `go run ./cmd/nqsnn figures` from the repository root); no
// figure is edited by hand.
package figures

//go:generate go run ../cmd/nqsnn figures -results ../results -out .
