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

// ErrUnsafeInput marks an input path (a task's image_path) outside the
// worker's input folder.
var ErrUnsafeInput = errors.New("unsafe input path")

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

// LocalOutputPath maps a task's output_path (the course's "output/cat.jpg",
// written relative to a course worker's cwd, or absolute) to a name inside the
// output folder dir: a path already inside dir keeps its place there, a
// relative path loses a leading "output/" (the course's folder, which is this
// worker's --output) and keeps the rest of its shape inside dir, and anything that would leave dir (absolute
// elsewhere, "..") keeps only its base name. "" when no usable name is left.
func LocalOutputPath(dir, p string) string {
	p = filepath.FromSlash(strings.ReplaceAll(p, `\`, "/"))
	if p == "" || strings.ContainsRune(p, 0) {
		return ""
	}
	if absDir, err := filepath.Abs(dir); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			if rel, err := filepath.Rel(absDir, abs); err == nil && filepath.IsLocal(rel) {
				return rel
			}
		}
	}
	if !filepath.IsAbs(p) && filepath.IsLocal(p) {
		// The course's producer names "output/<file>": its output folder, which
		// is this worker's --output, whatever that is called here.
		p = filepath.Clean(p)
		first, rest, ok := strings.Cut(filepath.ToSlash(p), "/")
		if ok && (first == "output" || first == filepath.Base(dir)) {
			return filepath.FromSlash(rest)
		}
		return p
	}
	base := filepath.Base(p)
	if !filepath.IsLocal(base) {
		return ""
	}
	return base
}

// LocalInputPath maps a task's image_path to a name inside the input folder dir
// (relative paths are taken against dir, like the course's worker does against
// its cwd); a path outside dir is refused.
func LocalInputPath(dir, p string) (string, error) {
	p = filepath.FromSlash(strings.ReplaceAll(p, `\`, "/"))
	if p == "" || strings.ContainsRune(p, 0) {
		return "", fmt.Errorf("%w: empty or invalid path", ErrUnsafeInput)
	}
	if !filepath.IsAbs(p) {
		if !filepath.IsLocal(p) {
			return "", fmt.Errorf("%w: %q escapes the input folder %s", ErrUnsafeInput, p, dir)
		}
		return filepath.Clean(p), nil
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(absDir, p)
	if err != nil || !filepath.IsLocal(rel) {
		return "", fmt.Errorf("%w: %q is outside the worker's input folder %s (--input)", ErrUnsafeInput, p, absDir)
	}
	return rel, nil
}

// FormatForName is the output format a file name asks for: PNG for .png, JPEG
// for .jpg/.jpeg, else FormatAuto (the input's).
func FormatForName(name string) Format {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".png":
		return FormatPNG
	case ".jpg", ".jpeg":
		return FormatJPEG
	}
	return FormatAuto
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
	if d := filepath.Dir(name); d != "." {
		if err := root.MkdirAll(d, 0o755); err != nil {
			return "", fmt.Errorf("write output %q: %w", name, wrapEscape(err))
		}
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
