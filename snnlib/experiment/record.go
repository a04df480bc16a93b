package experiment

import (
	"github.com/nqsnn/nqsnn/snnlib/record"
	"github.com/nqsnn/nqsnn/snnlib/report"
)

// The records of a run live in package record and its reports in package
// report; these names keep the experiment API in one place for notebooks.
type (
	// Config is record.Config: every setting of a run.
	Config = record.Config
	// DataInfo is record.DataInfo: what data a run used.
	DataInfo = record.DataInfo
	// Meta is record.Meta: the metadata in every checkpoint.
	Meta = record.Meta
	// Results is record.Results: a run's test-set numbers.
	Results = record.Results
	// SiteResult is record.SiteResult.
	SiteResult = record.SiteResult
	// Diagnostics is record.Diagnostics: residual-error diagnostics.
	Diagnostics = record.Diagnostics
	// Comparison is report.Comparison: several runs overlaid.
	Comparison = report.Comparison
)

// File names inside a run directory (see package record).
const (
	ConfigFile      = record.ConfigFile
	CheckpointFile  = record.CheckpointFile
	ResumeFile      = record.ResumeFile
	MetricsFile     = record.MetricsFile
	ResultsFile     = record.ResultsFile
	ReportFile      = record.ReportFile
	DiagnosticsFile = record.DiagnosticsFile
	// MaxEvalBatch bounds evaluation batches (record.MaxEvalBatch).
	MaxEvalBatch = record.MaxEvalBatch
	// MaxEvalT bounds evaluation T (record.MaxEvalT).
	MaxEvalT = record.MaxEvalT
)

// Presets and DatasetNames are record.Presets and record.DatasetNames.
var (
	Presets      = record.Presets
	DatasetNames = record.DatasetNames
)

// DefaultConfig is record.DefaultConfig: the embedded default job.
func DefaultConfig() Config { return record.DefaultConfig() }

// LoadConfig is record.LoadConfig.
func LoadConfig(path string) (Config, error) { return record.LoadConfig(path) }

// LoadResults is record.LoadResults.
func LoadResults(dir string) (*Results, error) { return record.LoadResults(dir) }

// LoadDiagnostics is record.LoadDiagnostics.
func LoadDiagnostics(dir string) (*Diagnostics, error) { return record.LoadDiagnostics(dir) }

// WriteResults is record.WriteResults.
func WriteResults(dir string, res *Results) error { return record.WriteResults(dir, res) }

// ParseTList is record.ParseTList.
func ParseTList(s string) ([]int, error) { return record.ParseTList(s) }

// FormatParams is record.FormatParams.
func FormatParams(m map[string]float64) string { return record.FormatParams(m) }

// ParseParams is record.ParseParams.
func ParseParams(m map[string]float64, s string) (map[string]float64, error) {
	return record.ParseParams(m, s)
}

// Version is record.Version: the code version recorded in run outputs.
func Version() string { return record.Version() }

// EvalBatchSize is record.EvalBatchSize.
func EvalBatchSize(cfg Config) int { return record.EvalBatchSize(cfg) }

// Compare is report.Compare: loads several run directories for one table.
func Compare(dirs []string) (*Comparison, error) { return report.Compare(dirs) }

// WriteReport is report.WriteReport.
func WriteReport(dir string, res *Results) error { return report.WriteReport(dir, res) }

// RegenerateFigures is report.RegenerateFigures.
func RegenerateFigures(resultsDir, figuresDir string) ([]string, error) {
	return report.RegenerateFigures(resultsDir, figuresDir)
}
