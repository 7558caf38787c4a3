package pipeline

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode"
)

// ErrUnsafePath marks an output name that would leave the output folder
// (absolute, "..", or through a symlink) or is otherwise unusable.
var ErrUnsafePath = errors.New("unsafe output path")

// OutputName builds a safe file name "<taskID>_<base>.<ext>" from a task id
// and the input's name: directories and extension dropped, anything but
// letters, digits, '-', '_' and '.' replaced by '_', lengths capped.
func OutputName(taskID, inputName string, f Format) string {
	base := filepath.Base(strings.ReplaceAll(inputName, `\`, "/"))
	base = strings.TrimSuffix(base, filepath.Ext(base))
	name := safeChars(taskID, 64) + "_" + safeChars(base, 100)
	return name + f.Ext()
}

func safeChars(s string, maxLen int) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= maxLen {
			break
		}
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	out := strings.Trim(b.String(), ".")
	if out == "" {
		return "image"
	}
	return out
}

// WriteOutput writes data to name inside root and returns the full path.
// name must be local (no absolute path, no ".."); os.Root also refuses to
// follow any symlink out of root, and a symlink at name itself is refused
// rather than replaced. The file appears atomically (temp file + rename),
// so readers never see half an image. Errors wrap ErrUnsafePath for bad
// names.
func WriteOutput(root *os.Root, name string, data []byte) (string, error) {
	if name == "" || !filepath.IsLocal(name) || strings.ContainsRune(name, 0) {
		return "", fmt.Errorf("%w: %q must be a relative name inside the output folder", ErrUnsafePath, name)
	}
	if fi, err := root.Lstat(name); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return "", fmt.Errorf("%w: %q is a symlink", ErrUnsafePath, name)
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	tmp := filepath.Join(filepath.Dir(name), "."+filepath.Base(name)+".tmp-"+hex.EncodeToString(rnd[:]))
	if err := root.WriteFile(tmp, data, 0o644); err != nil {
		return "", fmt.Errorf("write output %q: %w", name, wrapEscape(err))
	}
	if err := root.Rename(tmp, name); err != nil {
		_ = root.Remove(tmp)
		return "", fmt.Errorf("write output %q: %w", name, wrapEscape(err))
	}
	return filepath.Join(root.Name(), name), nil
}

// WriteOutputDir is WriteOutput for a folder path.
func WriteOutputDir(dir, name string, data []byte) (string, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return "", fmt.Errorf("open output folder: %w", err)
	}
	defer root.Close()
	return WriteOutput(root, name, data)
}

// wrapEscape adds ErrUnsafePath to os.Root's "path escapes from parent".
func wrapEscape(err error) error {
	if strings.Contains(err.Error(), "escapes from parent") {
		return fmt.Errorf("%w: %w", ErrUnsafePath, err)
	}
	return err
}
