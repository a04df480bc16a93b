package backend

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/nqsnn/nqsnn/snnlib/atomicfile"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// installedPlugin is the XLA CPU plugin of the real user environment, looked up before any
// test changes the environment ("" if none).
var installedPlugin = func() string {
	p, _, err := FindCPUPlugin()
	if err != nil {
		return ""
	}
	return p
}()

// isolate points every place New looks for plugins at empty directories.
func isolate(t *testing.T) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, "cache"))
	t.Setenv(EnvBackend, "")
	t.Setenv(EnvXLAPlugin, "")
	t.Setenv(EnvCUDAPlugin, "")
	t.Setenv(envPJRTPaths, t.TempDir())
}

// matmul runs [[1,2,3],[4,5,6]]·[[7,8],[9,10],[11,12]] on b.
func matmul(t *testing.T, b backends.Backend) [][]float32 {
	t.Helper()
	exec, err := graph.NewExec(b, func(x, y *graph.Node) *graph.Node { return graph.MatMul(x, y) })
	require.NoError(t, err)
	defer exec.Finalize()
	out, err := exec.Exec(tensors.FromValue([][]float32{{1, 2, 3}, {4, 5, 6}}), tensors.FromValue([][]float32{{7, 8}, {9, 10}, {11, 12}}))
	require.NoError(t, err)
	return out[0].Value().([][]float32)
}

var matmulWant = [][]float32{{58, 64}, {139, 154}}

func TestNewUnknownName(t *testing.T) {
	isolate(t)
	_, _, err := New("nosuch")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown backend "nosuch"`)
	assert.Contains(t, err.Error(), `"xla:cpu"`)
	assert.Contains(t, err.Error(), `"go"`)

	t.Setenv(EnvBackend, "tpu-please")
	_, _, err = New("")
	require.ErrorContains(t, err, `unknown backend "tpu-please"`)
}

func TestNewGoAlwaysWorks(t *testing.T) {
	isolate(t)
	b, c, err := New("go")
	require.NoError(t, err)
	assert.Equal(t, NameGo, c.Name)
	assert.Equal(t, "purego", b.Name())
	assert.Equal(t, matmulWant, matmul(t, b))

	// Cached: one instance per configuration, also when chosen through the environment.
	t.Setenv(EnvBackend, "go")
	b2, c2, err := New("")
	require.NoError(t, err)
	assert.Same(t, b, b2)
	assert.Equal(t, c, c2)
}

func TestNewAutoFallsBackToGo(t *testing.T) {
	isolate(t)
	if HasNVIDIAGPU() {
		t.Skip("a GPU is present: auto may find a CUDA plugin in python's site-packages")
	}
	b, c, err := New("auto")
	require.NoError(t, err)
	assert.Equal(t, NameGo, c.Name)
	assert.Equal(t, "purego", b.Name())
	assert.Equal(t, "go — pure-Go fallback: no XLA plugin found; run `nqsnn setup` to install one", c.Description)
}

func TestNewExplicitXLAWithoutPlugin(t *testing.T) {
	isolate(t)
	for _, name := range []string{"xla:cpu", "xla", "cpu"} {
		_, _, err := New(name)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), "no XLA CPU PJRT plugin found")
		assert.Contains(t, err.Error(), "nqsnn setup")
		assert.Contains(t, err.Error(), "scripts/install-xla.sh")
	}

	missing := filepath.Join(t.TempDir(), "gone.so")
	t.Setenv(EnvXLAPlugin, missing)
	_, _, err := New("xla:cpu")
	require.Error(t, err)
	assert.Contains(t, err.Error(), missing)
	assert.Contains(t, err.Error(), "nqsnn setup")
	// Auto does not fail, but says why it fell back.
	_, c, err := New("auto")
	require.NoError(t, err)
	if c.Name == NameGo {
		assert.Contains(t, c.Description, missing)
	}

	_, _, err = New("xla:" + missing)
	require.Error(t, err)
	assert.Contains(t, err.Error(), missing+": no such file")
	assert.Contains(t, err.Error(), "nqsnn setup")
}

func TestNewCUDAWithoutGPU(t *testing.T) {
	isolate(t)
	if HasNVIDIAGPU() {
		t.Skip("this machine has an NVIDIA GPU")
	}
	for _, name := range []string{"xla:cuda", "gpu"} {
		_, _, err := New(name)
		require.ErrorContains(t, err, "no NVIDIA GPU found", name)
	}
}

func TestNewCUDAWithoutPlugin(t *testing.T) {
	isolate(t)
	if !HasNVIDIAGPU() {
		t.Skip("no NVIDIA GPU on this machine")
	}
	t.Setenv("PATH", t.TempDir()) // no python3: site-packages are not searched
	if p := FindCUDAPlugin(); p != "" {
		t.Skipf("a system-wide CUDA plugin is installed at %s", p)
	}
	_, _, err := New("xla:cuda")
	require.ErrorContains(t, err, "pip install jax-cuda12-pjrt")
}

func TestNewAutoPicksXLA(t *testing.T) {
	if installedPlugin == "" {
		t.Skip("no XLA CPU plugin installed (run `nqsnn setup`)")
	}
	isolate(t)
	if HasNVIDIAGPU() {
		t.Skip("a GPU is present: auto may prefer CUDA")
	}
	t.Setenv(EnvXLAPlugin, installedPlugin)
	b, c, err := New("auto")
	require.NoError(t, err)
	assert.Equal(t, NameCPU, c.Name)
	assert.Equal(t, installedPlugin, c.Plugin)
	assert.True(t, strings.HasPrefix(c.Description, "xla:cpu — XLA CPU PJRT plugin at "), c.Description)
	assert.Equal(t, "xla", b.Name())
	assert.Equal(t, matmulWant, matmul(t, b))

	b2, c2, err := New("xla")
	require.NoError(t, err)
	assert.Same(t, b, b2)
	assert.Equal(t, c.Config, c2.Config)

	// The installer's check and raw configurations share the cached instance.
	require.NoError(t, CheckPlugin(installedPlugin))
	b3, c3, err := New("xla:" + installedPlugin + ",shared_buffers")
	require.NoError(t, err)
	assert.Same(t, b, b3)
	assert.Equal(t, installedPlugin, c3.Plugin)
}

func TestNewAutoReadsPluginInfo(t *testing.T) {
	if installedPlugin == "" {
		t.Skip("no XLA CPU plugin installed (run `nqsnn setup`)")
	}
	isolate(t)
	if HasNVIDIAGPU() {
		t.Skip("a GPU is present: auto may prefer CUDA")
	}
	// A plugin found through $PJRT_PLUGIN_LIBRARY_PATH, with a plugin.json beside it.
	dir := t.TempDir()
	require.NoError(t, os.Symlink(installedPlugin, filepath.Join(dir, CPUPluginFile)))
	require.NoError(t, atomicfile.Write(filepath.Join(dir, PluginInfoFile), []byte(`{"package":"some-pkg","version":"1.2.3"}`), 0o644))
	t.Setenv(envPJRTPaths, "/nonexistent:"+dir)
	p, source, err := FindCPUPlugin()
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, CPUPluginFile), p)
	assert.Equal(t, "$PJRT_PLUGIN_LIBRARY_PATH", source)
	assert.Equal(t, "XLA CPU PJRT plugin at "+p+" (some-pkg 1.2.3)", cpuDescription(p))
}

func TestCacheDir(t *testing.T) {
	t.Setenv("HOME", "/home/someone")
	t.Setenv("XDG_CACHE_HOME", "")
	d, err := CacheDir()
	require.NoError(t, err)
	assert.Equal(t, "/home/someone/.cache/nqsnn/xla", d)
	t.Setenv("XDG_CACHE_HOME", "/var/cache/me")
	d, err = CacheDir()
	require.NoError(t, err)
	assert.Equal(t, "/var/cache/me/nqsnn/xla", d)
	assert.Equal(t, "~/x/y.so", tildePath("/var/cache/me/../../../home/someone/x/y.so"))
}

func TestMatMulGFLOPS(t *testing.T) {
	b, _, err := New("go")
	require.NoError(t, err)
	g, err := MatMulGFLOPS(b, 64, 2)
	require.NoError(t, err)
	assert.Greater(t, g, 0.0)
	_, err = MatMulGFLOPS(b, 0, 2)
	require.ErrorContains(t, err, "n=0")
	_, err = MatMulGFLOPS(b, 8, -1)
	require.ErrorContains(t, err, "reps=-1")
}

func TestConvGFLOPS(t *testing.T) {
	b, _, err := New("go")
	require.NoError(t, err)
	r, err := ConvGFLOPS(b, 2, 6, 3, 1)
	require.NoError(t, err)
	assert.Greater(t, r.Forward, 0.0)
	assert.Greater(t, r.InputGrad, 0.0)
	assert.Greater(t, r.KernelGrad, 0.0)
	_, err = ConvGFLOPS(b, 2, 0, 3, 1)
	require.ErrorContains(t, err, "size=0")
}

func TestPeakRSS(t *testing.T) {
	if runtime.GOOS != "linux" {
		assert.Zero(t, PeakRSS())
		return
	}
	before := PeakRSS()
	require.Greater(t, before, uint64(1<<20))
	buf := make([]byte, 64<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	assert.GreaterOrEqual(t, PeakRSS(), before+60<<20)
	runtime.KeepAlive(buf)
}

func TestParseVmHWM(t *testing.T) {
	parse := func(s string) uint64 { return parseVmHWM(bufio.NewScanner(strings.NewReader(s))) }
	assert.Equal(t, uint64(1234*1024), parse("Name:\tx\nVmPeak:\t 9 kB\nVmHWM:\t    1234 kB\nVmRSS: 5 kB\n"))
	assert.Zero(t, parse("VmRSS: 5 kB\n"))
	assert.Zero(t, parse("VmHWM: lots kB\n"))
	assert.Zero(t, parse("VmHWM: 12 MB\n"))
}

func ExampleNew() {
	b, choice, err := New("go")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(choice.Name, b.Name())
	// Output: go purego
}

// ExampleInstallXLACPU installs the plugin as `nqsnn setup` does (not run: it downloads
// ~60 MB from PyPI).
func ExampleInstallXLACPU() {
	p, err := InstallXLACPU(context.Background(), os.Stderr)
	if err != nil {
		fmt.Println("install failed:", err)
		return
	}
	_, choice, _ := New("auto")
	fmt.Println(p, choice)
}

// BenchmarkMatMul2048 reports the matmul throughput of $NQSNN_BACKEND (default auto).
func BenchmarkMatMul2048(b *testing.B) {
	be, c, err := New("")
	require.NoError(b, err)
	b.Log(c.Description)
	for b.Loop() {
		g, err := MatMulGFLOPS(be, 2048, 3)
		require.NoError(b, err)
		b.ReportMetric(g, "GFLOP/s")
	}
}

// BenchmarkConvTrainStep runs a 3×3 convolution 64→64 channels on 64×32×32 images forward
// and backward (input and kernel gradients), the bulk of a VGG/ResNet training step on
// CIFAR, on $NQSNN_BACKEND (default auto).
func BenchmarkConvTrainStep(b *testing.B) {
	const batch, size, ch = 64, 32, 64
	be, c, err := New("")
	require.NoError(b, err)
	b.Log(c.Description)
	rng := rand.New(rand.NewPCG(1, 1))
	randT := func(dims ...int) *tensors.Tensor {
		v := make([]float32, batch*size*size*ch)
		n := 1
		for _, d := range dims {
			n *= d
		}
		v = v[:n]
		for i := range v {
			v[i] = rng.Float32() - 0.5
		}
		return tensors.FromFlatDataAndDimensions(v, dims...)
	}
	x, k := randT(batch, size, size, ch), randT(3, 3, ch, ch)
	exec, err := graph.NewExec(be, func(x, k *graph.Node) (*graph.Node, *graph.Node) {
		y := graph.Convolve(x, k).PadSame().Done()
		y = graph.Convolve(graph.Max(y, graph.ZerosLike(y)), k).PadSame().Done()
		grads := graph.Gradient(graph.ReduceAllSum(graph.Mul(y, y)), x, k)
		return grads[0], grads[1]
	})
	require.NoError(b, err)
	run := func() {
		out, err := exec.Exec(x, k)
		require.NoError(b, err)
		for _, t := range out {
			t.MaterializeLocal()
			require.NoError(b, t.FinalizeAll())
		}
	}
	run()
	for b.Loop() {
		run()
	}
	// Two convolutions forward, and two (input and kernel gradients) for each backward.
	flops := 6.0 * 2 * batch * size * size * ch * 9 * ch
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func TestCUDAClientOptions(t *testing.T) {
	t.Setenv(EnvCUDAPreallocate, "")
	require.Equal(t, false, CUDAClientOptions()["preallocate"], "several processes must be able to share one GPU by default")
	t.Setenv(EnvCUDAPreallocate, "1")
	require.Equal(t, true, CUDAClientOptions()["preallocate"])
}

// MallocEnv adds the huge-page tunable only where it helps and nobody chose
// otherwise, and never edits the caller's slice.
func TestMallocEnv(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("glibc tunables are a Linux matter")
	}
	base := []string{"HOME=/root", "PATH=/bin"}
	env, ok := MallocEnv(base, "madvise")
	assert.True(t, ok)
	assert.Equal(t, []string{"HOME=/root", "PATH=/bin", "GLIBC_TUNABLES=glibc.malloc.hugetlb=1"}, env)
	assert.Equal(t, []string{"HOME=/root", "PATH=/bin"}, base)
	for _, c := range []struct {
		env  []string
		mode string
	}{
		{base, "always"}, {base, "never"}, {base, ""},
		{append(base[:2:2], "GLIBC_TUNABLES=glibc.malloc.arena_max=2"), "madvise"},
		{append(base[:2:2], "NQSNN_MALLOC=default"), "madvise"},
	} {
		got, ok := MallocEnv(c.env, c.mode)
		assert.False(t, ok, "%v %s", c.env, c.mode)
		assert.Equal(t, c.env, got)
	}
	assert.Contains(t, []string{"always", "madvise", "never", ""}, THPMode())
}
