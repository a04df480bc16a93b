// Package experiment is the main job of nqsnn as library calls: load data,
// train the ANN with a conversion strategy, calibrate, convert, simulate on
// the test set, and write a self-contained run directory. The command line
// (cmd/nqsnn) and the notebooks are thin layers over it.
package experiment
