package datasets

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/nqsnn/nqsnn/snnlib/atomicfile"
)

// ChecksumFile is the file of SHA-256 sums (sha256sum's format) that a data
// folder may ship; every file it lists is verified when loaded.
const ChecksumFile = "SHA256SUMS"

// officialFile is the size and SHA-256 of a file of an official archive.
type officialFile struct {
	size   int64
	sha256 string
}

// cifar10Official are the files inside the official cifar-10-binary.tar.gz
// (the archive whose MD5 is CIFAR10Remote.MD5). A file of the official size
// must have the official content: a batch whose pixels were replaced keeps
// its size and labels and would otherwise load without a word.
var cifar10Official = map[string]officialFile{
	"data_batch_1.bin": {30730000, "cee916563c9f80d84e3cc88e17fdc0941787f1244f00a67874d45b261883ada5"},
	"data_batch_2.bin": {30730000, "a591ca11fa1708a91ee40f54b3da4784ccd871ecf2137de63f51ada8b3fa57ed"},
	"data_batch_3.bin": {30730000, "bbe8596564c0f86427f876058170b84dac6670ddf06d79402899d93ceea26f67"},
	"data_batch_4.bin": {30730000, "014e562d6e23c72197cc727519169a60359f5eccd8945ad5a09d710285ff4e48"},
	"data_batch_5.bin": {30730000, "755304fc0b379caeae8c14f0dac912fbc7d6cd469eb67a1029a08a39453a9add"},
	"test_batch.bin":   {30730000, "8e2eb146ae340b09e24670f29cabc6326dba54da8789dab6768acf480273f65b"},
}

// readChecksums parses dir/SHA256SUMS into file name -> hex sum (nil when
// the folder has none).
func readChecksums(dir string) (map[string]string, error) {
	path := filepath.Join(dir, ChecksumFile)
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sums := map[string]string{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		sum, name, ok := strings.Cut(text, " ")
		name = strings.TrimPrefix(strings.TrimSpace(name), "*") // "*" marks binary mode
		if _, err := hex.DecodeString(sum); !ok || err != nil || len(sum) != 64 || name == "" {
			return nil, fmt.Errorf("%s:%d: want \"SHA256  FILE\", got %q", path, line, text)
		}
		sums[filepath.Base(name)] = strings.ToLower(sum)
	}
	return sums, sc.Err()
}

// verifier checks the files of one data folder against the sums that apply
// to them: the folder's SHA256SUMS and, for official files of official size,
// the official sums. A verdict is remembered in a stamp file in the cache,
// keyed by path, size and modification time, so a folder is hashed once.
type verifier struct {
	dir      string
	listed   map[string]string
	official map[string]officialFile
	what     string // "CIFAR-10", for messages
}

func newVerifier(dir, what string, official map[string]officialFile) (*verifier, error) {
	listed, err := readChecksums(dir)
	if err != nil {
		return nil, err
	}
	return &verifier{dir: dir, listed: listed, official: official, what: what}, nil
}

// check verifies data, the content of path (a file of v.dir).
func (v *verifier) check(path string, data []byte) error {
	name := filepath.Base(path)
	type want struct{ sum, source string }
	var wants []want
	if o, ok := v.official[name]; ok && int64(len(data)) == o.size {
		wants = append(wants, want{o.sha256, "the official " + v.what + " file"})
	}
	if s, ok := v.listed[name]; ok {
		wants = append(wants, want{s, filepath.Join(v.dir, ChecksumFile)})
	}
	if len(wants) == 0 {
		return nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	got, ok := stampedSum(path, st)
	if !ok {
		h := sha256.Sum256(data)
		got = hex.EncodeToString(h[:])
	}
	for _, w := range wants {
		if got != w.sum {
			return fmt.Errorf("%s: SHA-256 %s does not match %s (%s): the file is corrupt or was modified; "+
				"replace the folder with a good copy (remove it and nqsnn downloads the official archive, MD5-checked)",
				path, got, w.source, w.sum)
		}
	}
	if !ok {
		stamp(path, st, got)
	}
	return nil
}

// stampFile holds the remembered sums: absolute path -> size, mtime, sum.
const stampFile = "verified.json"

type stampEntry struct {
	Size   int64  `json:"size"`
	MTime  int64  `json:"mtime_ns"`
	SHA256 string `json:"sha256"`
}

var stampMu sync.Mutex

func stampPath() (string, error) {
	dir, err := CacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, stampFile), nil
}

func readStamps() map[string]stampEntry {
	m := map[string]stampEntry{}
	if p, err := stampPath(); err == nil {
		if b, err := os.ReadFile(p); err == nil {
			_ = json.Unmarshal(b, &m) // a damaged stamp file only costs a re-hash
		}
	}
	return m
}

// stampedSum returns the remembered sum of path if its size and
// modification time are unchanged since it was hashed.
func stampedSum(path string, st os.FileInfo) (string, bool) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", false
	}
	stampMu.Lock()
	defer stampMu.Unlock()
	e, ok := readStamps()[abs]
	if !ok || e.Size != st.Size() || e.MTime != st.ModTime().UnixNano() {
		return "", false
	}
	return e.SHA256, true
}

// stamp remembers the verified sum of path. Failing to write the stamp (a
// read-only cache, say) only costs hashing again next time.
func stamp(path string, st os.FileInfo, sum string) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return
	}
	p, err := stampPath()
	if err != nil {
		return
	}
	stampMu.Lock()
	defer stampMu.Unlock()
	m := readStamps()
	m[abs] = stampEntry{Size: st.Size(), MTime: st.ModTime().UnixNano(), SHA256: sum}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil || os.MkdirAll(filepath.Dir(p), 0o755) != nil {
		return
	}
	_ = atomicfile.Write(p, append(b, '\n'), 0o644)
}
