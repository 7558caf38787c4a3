package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// enqueueInputs is what the command line names: the files to enqueue, in
// order, and the folder entries left out (said on stderr, not an error).
type enqueueInputs struct {
	files   []string
	skipped []string
}

// expandInputs turns the arguments into files: a file as given (whatever it
// is: a bad one is reported by name later), a folder's image files (.jpg,
// .jpeg, .png in any case, sorted by name; not its subfolders nor hidden
// files), and "-" the paths read from stdin, one a line. Folders and "-" are
// how 100,000 photos get enqueued without a command line over the system's
// ARG_MAX (`imgq enqueue photos/`, `find photos -name '*.jpg' | imgq enqueue -`).
func expandInputs(args []string, stdin io.Reader) (enqueueInputs, error) {
	var in enqueueInputs
	if n := len(slices.DeleteFunc(slices.Clone(args), func(a string) bool { return a != "-" })); n > 1 {
		return in, usageError{errors.New(`"-" (read paths from stdin) given twice`)}
	}
	for _, a := range args {
		if a == "-" {
			n := len(in.files)
			if err := in.readPaths(stdin); err != nil {
				return in, err
			}
			if len(in.files) == n {
				return in, errors.New(`"-": no paths on stdin (one path a line)`)
			}
			continue
		}
		fi, err := os.Stat(a)
		if err != nil || !fi.IsDir() {
			in.files = append(in.files, a) // a missing file is reported with the others
			continue
		}
		if err := in.readFolder(a); err != nil {
			return in, err
		}
	}
	return in, nil
}

func (in *enqueueInputs) readPaths(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		p := strings.TrimSuffix(sc.Text(), "\r")
		if p != "" {
			in.files = append(in.files, p)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read paths from stdin: %w", err)
	}
	return nil
}

func (in *enqueueInputs) readFolder(dir string) error {
	entries, err := os.ReadDir(dir) // sorted by name
	if err != nil {
		return fmt.Errorf("read folder %s: %w", dir, err)
	}
	found := 0
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		switch {
		case strings.HasPrefix(e.Name(), "."):
			continue // .DS_Store, editors' files: not worth a line
		case e.IsDir() || !isImageName(e.Name()):
			in.skipped = append(in.skipped, p)
			continue
		}
		in.files = append(in.files, p)
		found++
	}
	if found == 0 {
		return fmt.Errorf("%s is a directory without .jpg, .jpeg or .png files (subfolders are not entered)", dir)
	}
	return nil
}

func isImageName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".jpg", ".jpeg", ".png":
		return true
	}
	return false
}
