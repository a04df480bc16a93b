// Package plots draws the figures of the nqsnn experiments with gonum/plot:
// residual membrane histograms, the ANN−SNN gap with its fitted Gaussian, the
// noise σ per layer over training, firing rates, accuracy against time steps
// and energy, training curves, spike rasters and membrane traces.
//
// Every constructor returns a *plot.Plot (or a *Grid of them) so a notebook can
// adjust it before rendering; [Render] turns either into PNG, SVG or PDF bytes
// of an exact pixel size and [Save] writes them atomically, choosing the format
// by the file's extension. All figures share one look: a title, axis labels
// with units, a light grid and a legend where there are several series.
package plots
