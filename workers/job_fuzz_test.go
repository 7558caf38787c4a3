package workers

import (
	"encoding/json"
	"testing"

	"github.com/imgq/imgq/queue"
)

// FuzzDecodeJob: DecodeJob never panics on whatever bytes sit in a task hash's
// payload field (a hand-written HSET, a newer or older imgq), every error it
// returns is permanent (retrying cannot fix a payload), and what it accepts
// survives a round trip through its canonical form.
// Seeds live in testdata/fuzz/FuzzDecodeJob and run as ordinary tests.
func FuzzDecodeJob(f *testing.F) {
	for _, s := range []string{
		`{"filters":"brightness:1.8,blur:2,grayscale","input":"cat.jpg"}`,
		`{"filters":"","input":"a.png","shared":true}`,
		`{"filters":"nosuchfilter","input":"x"}`,
		`{"filters":"blur:1e309","input":"x"}`,
		`{"filters":"brightness:-1","input":"x"}`,
		`{"filters":42}`,
		`not json at all`,
		`{"input":"../../etc/passwd","shared":true}`,
		"{\"input\":\"\x1b[2Jevil\"}",
		`null`,
		``,
		`[]`,
		`{"filters":"blur:2,,grayscale"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		job, spec, err := DecodeJob(payload)
		if err != nil {
			if !queue.IsPermanent(err) {
				t.Fatalf("DecodeJob(%q): error %v is not permanent", payload, err)
			}
			return
		}
		// Canonical form: encode the job with the spec's own string, decode again.
		job.Filters = spec.String()
		b, merr := json.Marshal(job)
		if merr != nil {
			t.Fatalf("marshal %+v: %v", job, merr)
		}
		job2, spec2, err := DecodeJob(b)
		if err != nil {
			t.Fatalf("canonical payload %s of %q refused: %v", b, payload, err)
		}
		if spec2.String() != spec.String() || job2 != job {
			t.Fatalf("round trip of %q: %+v %q -> %+v %q", payload, job, spec.String(), job2, spec2.String())
		}
	})
}
