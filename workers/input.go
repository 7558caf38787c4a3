package workers

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/imgq/imgq/queue"
	"github.com/imgq/imgq/workers/pipeline"
)

// errNotRegular marks an input that is not a regular file (a device, a FIFO, a
// socket, a directory): reading it could block for ever or never end.
var errNotRegular = errors.New("not a regular file")

// readInput reads an input image through open (os.OpenFile or an os.Root's
// OpenFile, given the flags): regular files only, checked on the open file
// itself (so a file swapped after a Stat is still caught), opened without
// blocking (a FIFO cannot hold the open), and read through a hard limit of max
// bytes, so a file that grows while it is read, or a size that lies, is cut at
// the limit with an error rather than read to the end. Refusals are permanent
// (queue.Permanent) and wrap pipeline.ErrBadInput.
func readInput(open func(flag int) (*os.File, error), what string, max int64) ([]byte, error) {
	if max <= 0 {
		max = pipeline.DefaultMaxBytes
	}
	f, err := open(os.O_RDONLY | openNonblock)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, notRegular(what, fi.Mode())
	}
	if fi.Size() > max {
		return nil, queue.Permanent(fmt.Errorf("%s: %d bytes is over the %d byte limit: %w", what, fi.Size(), max, pipeline.ErrBadInput))
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, queue.Permanent(fmt.Errorf("%s: more than the %d byte limit was read (it grew, or its size lied): %w", what, max, pipeline.ErrBadInput))
	}
	return b, nil
}

// notRegular is the permanent error for an input that is not a regular file.
func notRegular(what string, m fs.FileMode) error {
	return queue.Permanent(fmt.Errorf("%s is %s, %w: only regular image files are read (%w)", what, kindOf(m), errNotRegular, pipeline.ErrBadInput))
}

func kindOf(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeIrregular != 0:
		return "an irregular file"
	}
	return "not a regular file (" + m.Type().String() + ")"
}
