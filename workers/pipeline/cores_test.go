package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"sync"
	"sync/atomic"
	"testing"
)

// A budget lends idle cores to the images it has, up to each one's fair
// share, and nothing once every core holds an image.
func TestCoresLendIdleCoresOnly(t *testing.T) {
	c := NewCores(4)
	c.enter()
	if k := c.borrow(10); k != 3 {
		t.Fatalf("one image on 4 cores borrowed %d helpers, want 3", k)
	}
	if k := c.borrow(10); k != 0 {
		t.Fatalf("borrowed %d more with every core held, want 0", k)
	}
	c.giveBack(3)
	c.enter() // a second image: each may use 2 cores
	if k := c.borrow(10); k != 1 {
		t.Fatalf("two images on 4 cores: borrowed %d, want 1 (fair share 2)", k)
	}
	if k := c.borrow(1); k != 1 {
		t.Fatalf("the other image borrowed %d, want 1", k)
	}
	c.giveBack(2)
	c.enter()
	c.enter() // 4 images on 4 cores: no helpers, no oversubscription
	if k := c.borrow(10); k != 0 {
		t.Fatalf("every slot busy: borrowed %d, want 0", k)
	}
	for range 4 {
		c.leave()
	}
	if c.held != 0 || c.busy != 0 {
		t.Fatalf("after leaving: held %d, busy %d", c.held, c.busy)
	}
	if k := (budget{cores: NewCores(8), threads: 2}).helpers(10); k != 1 {
		t.Fatalf("Threads 2 borrowed %d helpers, want 1", k)
	}
}

// parallelRows covers every row exactly once, whatever the budget lends.
func TestParallelRowsCoversEveryRow(t *testing.T) {
	for _, n := range []int{1, 2, 3, 8} {
		for _, h := range []int{0, 1, 31, 64, 65, 100, 1080} {
			ctx := withBudget(context.Background(), budget{cores: NewCores(n)})
			seen := make([]atomic.Int32, h)
			parallelRows(ctx, h, func(y0, y1 int) {
				for y := y0; y < y1; y++ {
					seen[y].Add(1)
				}
			})
			for y := range seen {
				if v := seen[y].Load(); v != 1 {
					t.Fatalf("%d cores, %d rows: row %d done %d times", n, h, y, v)
				}
			}
		}
	}
}

// Process gives back every thread it borrows, and its output does not
// depend on how many threads it got (strips are fixed by the image size).
func TestProcessThreadsSameOutputAndBudgetReturned(t *testing.T) {
	in, err := SampleJPEG(1280, 720, 3, 90)
	if err != nil {
		t.Fatal(err)
	}
	spec := MustParse(courseSpec)
	want, _, err := Process(context.Background(), in, spec, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	cores := NewCores(3)
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			got, _, err := Process(context.Background(), in, spec, Options{Cores: cores, Threads: i % 3})
			if err != nil {
				t.Error(err)
				return
			}
			if !bytes.Equal(got, want) {
				t.Errorf("threads %d: output differs from one thread's", i%3)
			}
		})
	}
	wg.Wait()
	if cores.held != 0 || cores.Busy() != 0 {
		t.Fatalf("budget after Process: held %d, busy %d", cores.held, cores.Busy())
	}
}

// The start made during the decode (early.go) gives the very bytes of the
// plain path: decode, then Apply, then encode.
func TestEarlyStartMatchesApply(t *testing.T) {
	gray := image.NewGray(image.Rect(0, 0, 333, 250))
	for i := range gray.Pix {
		gray.Pix[i] = uint8(i*7 + i/333)
	}
	var gbuf bytes.Buffer
	if err := jpeg.Encode(&gbuf, gray, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	inputs := map[string][]byte{"gray 333x250": gbuf.Bytes()}
	for _, sz := range [][2]int{{640, 480}, {101, 77}, {1280, 720}} {
		in, err := SampleJPEG(sz[0], sz[1], 2, 90)
		if err != nil {
			t.Fatal(err)
		}
		inputs[fmt.Sprintf("colour %dx%d", sz[0], sz[1])] = in
	}
	for name, in := range inputs {
		for _, s := range []string{courseSpec, "grayscale", "invert,brightness:0.7,grayscale,edges", "grayscale,blur:1"} {
			spec := MustParse(s)
			e := newEarlyStart(context.Background(), plan(spec))
			if _, _, fast, err := decode(context.Background(), in, Limits{}.withDefaults(), e.bandFunc); err != nil || !e.done(fast) {
				t.Errorf("%s, %s: the start was not made during the decode (%v)", name, s, err)
			}
			for _, threads := range []int{1, 2} {
				got, _, err := Process(context.Background(), in, spec, Options{Threads: threads, Cores: NewCores(2)})
				if err != nil {
					t.Fatal(err)
				}
				img, _, err := Decode(in, Limits{})
				if err != nil {
					t.Fatal(err)
				}
				out, err := Apply(context.Background(), img, spec)
				if err != nil {
					t.Fatal(err)
				}
				want, err := Encode(out, FormatJPEG, 0)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s, %s, %d threads: Process differs from Decode+Apply+Encode", name, s, threads)
				}
			}
		}
	}
}

// countdownCtx reports Canceled once Err has been asked n times.
type countdownCtx struct {
	context.Context
	n atomic.Int32
}

func (c *countdownCtx) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// A task cancelled during the decode ends with ctx's error, not a bad-input
// one, whether its start is made during the decode or not, on 1 or 2 threads.
func TestCancelInsideTheDecode(t *testing.T) {
	in, err := SampleJPEG(1280, 720, 1, 90)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{courseSpec, "blur:1"} {
		for _, threads := range []int{1, 2} {
			ctx := &countdownCtx{Context: context.Background()}
			ctx.n.Store(6) // Process's first looks, then a few MCU rows
			_, _, err := Process(ctx, in, MustParse(s), Options{Threads: threads, Cores: NewCores(2)})
			if !errors.Is(err, context.Canceled) || errors.Is(err, ErrBadInput) {
				t.Fatalf("%s, %d threads: err %v, want context.Canceled", s, threads, err)
			}
		}
	}
}
