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
	return readInputInto(nil, open, what, max)
}

// readInputInto is readInput reading into dst's memory when it is big
// enough (an ImageHandler's recycled input buffer), else into a new buffer.
func readInputInto(dst []byte, open func(flag int) (*os.File, error), what string, max int64) ([]byte, error) {
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
	b, err := readSized(dst, io.LimitReader(f, max+1), fi.Size())
	if err != nil {
		return nil, err // *os.PathError: names the file
	}
	if int64(len(b)) > max {
		return nil, queue.Permanent(fmt.Errorf("%s: more than the %d byte limit was read (it grew, or its size lied): %w", what, max, pipeline.ErrBadInput))
	}
	return b, nil
}

// readSized reads r to its end into one buffer of the size the file's Stat
// gave, plus one byte to see the end: two reads and no copy for a file that
// does not change (io.ReadAll's growing reads took ~15 calls and a final copy
// for a 100 KB photo). A file that grew still reads to its end (r is limited).
// dst's memory is used when it holds size+1 bytes.
func readSized(dst []byte, r io.Reader, size int64) ([]byte, error) {
	b := dst[:0]
	if int64(cap(b)) < size+1 {
		b = make([]byte, 0, size+1)
	}
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // it grew: let append pick a bigger buffer
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
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

// ReadFile reads the image file at path as FileTask does (regular files only,
// opened without blocking, at most max bytes: 0 means
// pipeline.DefaultMaxBytes), for a producer that inspects and builds its
// tasks itself (imgq enqueue's pipeline, which times each step and bounds the
// bytes it holds). Its errors name path (os.PathError or the refusal's text).
func ReadFile(path string, max int64) ([]byte, error) {
	return readInput(func(flag int) (*os.File, error) { return os.OpenFile(path, flag, 0) }, path, max)
}
