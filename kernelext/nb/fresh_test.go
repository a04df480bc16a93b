package nb

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNotebookFreshness drives scripts/nbfresh.py in a scratch repository: a stamped
// notebook is fresh until a library file or a committed result changes, and ignored files
// (run directories) never matter.
func TestNotebookFreshness(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not found")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not found")
	}
	src, err := os.ReadFile(filepath.Join("..", "..", "scripts", "nbfresh.py"))
	require.NoError(t, err)
	repo := t.TempDir()
	write := func(name, content string) {
		p := filepath.Join(repo, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	write("scripts/nbfresh.py", string(src))
	write("snnlib/a.go", "package a\n")
	write("results/run/results.json", "{}\n")
	write(".gitignore", "/runs/\n")
	write("notebooks/01_x.ipynb", `{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}`)
	nbfresh := func(args ...string) (string, error) {
		cmd := exec.Command("python3", append([]string{filepath.Join(repo, "scripts", "nbfresh.py")}, args...)...)
		cmd.Dir = repo
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	gitOut, err := exec.Command("git", "-C", repo, "init", "-q").CombinedOutput()
	require.NoError(t, err, string(gitOut))

	out, err := nbfresh("check")
	require.Error(t, err)
	require.Contains(t, out, "01_x.ipynb (never stamped)")

	out, err = nbfresh("stamp", filepath.Join(repo, "notebooks", "01_x.ipynb"))
	require.NoError(t, err, out)
	out, err = nbfresh("check")
	require.NoError(t, err, out)

	write("runs/notebooks/ci/model.bin", "ignored")
	_, err = nbfresh("check")
	require.NoError(t, err, "ignored run directories do not make a notebook stale")

	write("results/run/results.json", `{"acc": 1}`)
	out, err = nbfresh("check")
	require.Error(t, err, "a changed result makes the notebook stale")
	require.Contains(t, out, "notebooks/01_x.ipynb (made from inputs")

	write("results/run/results.json", "{}\n")
	_, err = nbfresh("check")
	require.NoError(t, err, "the fingerprint depends on content, not on time")

	write("results/bench.md", "a benchmark table\n")
	_, err = nbfresh("check")
	require.NoError(t, err, "reports directly in results/ are not notebook inputs")

	write("snnlib/b.go", "package a\n")
	_, err = nbfresh("check")
	require.Error(t, err, "a new library file makes the notebook stale")
}
