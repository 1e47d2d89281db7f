// tlog-verify audits a transparency log in the C2SP tlog-tiles layout using only the Go
// project's own implementations (golang.org/x/mod/sumdb/note and sumdb/tlog), so that
// sharewell's logs are checked by code nobody at sharewell wrote.
//
//	tlog-verify -vkey 'name+hexid+base64' [-old OLD_CHECKPOINT] DIR
//
// It verifies the checkpoint's signature, authenticates every hash tile against the signed
// root, checks that every entry in the entry bundles hashes to its authenticated leaf, proves
// the inclusion of the first and last entry of every bundle, and (with -old) that an older
// checkpoint is consistent with this one.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const height = 8 // C2SP tlog-tiles: 256 hashes per tile

func main() {
	vkey := flag.String("vkey", "", "verifier key of the log")
	old := flag.String("old", "", "an older signed checkpoint to prove consistent")
	flag.Parse()
	if *vkey == "" || flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: tlog-verify -vkey KEY [-old CHECKPOINT] DIR")
		os.Exit(2)
	}
	if err := run(*vkey, *old, flag.Arg(0)); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		os.Exit(1)
	}
}

func run(vkey, oldPath, dir string) error {
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return fmt.Errorf("verifier key: %v", err)
	}
	tree, origin, err := openCheckpoint(filepath.Join(dir, "checkpoint"), verifier)
	if err != nil {
		return err
	}
	reader := tlog.TileHashReader(tree, &tileReader{dir: dir, cache: map[string][]byte{}})
	root, err := tlog.TreeHash(tree.N, reader)
	if err != nil {
		return fmt.Errorf("tree hash: %v", err)
	}
	if root != tree.Hash {
		return fmt.Errorf("tiles give root %v, checkpoint says %v", root, tree.Hash)
	}
	for start := int64(0); start < tree.N; start += 1 << height {
		width := tree.N - start
		if width > 1<<height {
			width = 1 << height
		}
		path := filepath.Join(dir, tilePath(-1, start>>height, int(width)))
		entries, err := readBundle(path, int(width))
		if err != nil {
			return err
		}
		indexes := make([]int64, len(entries))
		for offset := range entries {
			indexes[offset] = tlog.StoredHashIndex(0, start+int64(offset))
		}
		leaves, err := reader.ReadHashes(indexes)
		if err != nil {
			return fmt.Errorf("leaf hashes from %d: %v", start, err)
		}
		for offset, entry := range entries {
			if tlog.RecordHash(entry) != leaves[offset] {
				return fmt.Errorf("entry %d does not hash to its leaf in the tiles", start+int64(offset))
			}
		}
		// The leaves were authenticated against the signed root above; prove inclusion of the
		// bundle's first and last entries as well, with the library's own proof code.
		for _, offset := range []int{0, len(entries) - 1} {
			index := start + int64(offset)
			proof, err := tlog.ProveRecord(tree.N, index, reader)
			if err != nil {
				return fmt.Errorf("inclusion proof %d: %v", index, err)
			}
			if err := tlog.CheckRecord(proof, tree.N, tree.Hash, index, leaves[offset]); err != nil {
				return fmt.Errorf("inclusion of entry %d: %v", index, err)
			}
		}
	}
	if oldPath != "" {
		older, _, err := openCheckpoint(oldPath, verifier)
		if err != nil {
			return err
		}
		proof, err := tlog.ProveTree(tree.N, older.N, reader)
		if err != nil {
			return fmt.Errorf("consistency proof: %v", err)
		}
		if err := tlog.CheckTree(proof, tree.N, tree.Hash, older.N, older.Hash); err != nil {
			return fmt.Errorf("checkpoints %d and %d are not consistent: %v", older.N, tree.N, err)
		}
	}
	fmt.Printf("OK %s: %d entries, root %v\n", origin, tree.N, tree.Hash)
	return nil
}

func openCheckpoint(path string, verifier note.Verifier) (tlog.Tree, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return tlog.Tree{}, "", err
	}
	n, err := note.Open(data, note.VerifierList(verifier))
	if err != nil {
		return tlog.Tree{}, "", fmt.Errorf("checkpoint signature: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 {
		return tlog.Tree{}, "", fmt.Errorf("checkpoint has %d lines", len(lines))
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return tlog.Tree{}, "", fmt.Errorf("checkpoint size %q", lines[1])
	}
	raw, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(raw) != tlog.HashSize {
		return tlog.Tree{}, "", fmt.Errorf("checkpoint root %q", lines[2])
	}
	var hash tlog.Hash
	copy(hash[:], raw)
	return tlog.Tree{N: size, Hash: hash}, lines[0], nil
}

// tilePath is the C2SP tlog-tiles path: tile/<L>/<N>[.p/<W>], or tile/entries/... for L = -1.
func tilePath(level int, index int64, width int) string {
	digits := fmt.Sprintf("%03d", index%1000)
	for rest := index / 1000; rest > 0; rest /= 1000 {
		digits = fmt.Sprintf("x%03d/%s", rest%1000, digits)
	}
	name := "entries"
	if level >= 0 {
		name = strconv.Itoa(level)
	}
	path := "tile/" + name + "/" + digits
	if width < 1<<height {
		path += ".p/" + strconv.Itoa(width)
	}
	return path
}

// tileReader reads tiles from the directory once each; TileHashReader still authenticates
// every tile it is handed against the signed root, on every read.
type tileReader struct {
	dir   string
	cache map[string][]byte
}

func (r *tileReader) Height() int { return height }

func (r *tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		path := tilePath(t.L, t.N, t.W)
		data, ok := r.cache[path]
		if !ok {
			var err error
			data, err = os.ReadFile(filepath.Join(r.dir, path))
			if err != nil {
				return nil, err
			}
			r.cache[path] = data
		}
		if len(data) != t.W*tlog.HashSize {
			return nil, fmt.Errorf("tile %s has %d bytes", tilePath(t.L, t.N, t.W), len(data))
		}
		out[i] = data
	}
	return out, nil
}

func (r *tileReader) SaveTiles([]tlog.Tile, [][]byte) {}

func readBundle(path string, count int) ([][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var entries [][]byte
	reader := bytes.NewReader(data)
	for reader.Len() > 0 {
		var size uint16
		if err := binary.Read(reader, binary.BigEndian, &size); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		entry := make([]byte, size)
		if _, err := io.ReadFull(reader, entry); err != nil {
			return nil, fmt.Errorf("%s: entry %d is cut short: %v", path, len(entries), err)
		}
		entries = append(entries, entry)
	}
	if len(entries) != count {
		return nil, fmt.Errorf("%s holds %d entries, want %d", path, len(entries), count)
	}
	return entries, nil
}
