package bench

import (
	"bytes"
	"context"
	"fmt"
	"image/jpeg"
	"io"
	"strconv"
	"strings"

	"github.com/imgq/imgq/internal/proc"
	"github.com/imgq/imgq/workers/pipeline"
)

// What `imgq bench images` reports besides speed: the fast path's PSNR against
// the reference pipeline, the machine, and the table.

// fastVsReferencePSNR runs in through Process (the fast path, JPEG q90) and
// through pipeline.Reference + image/jpeg q90, decodes both outputs with
// image/jpeg and returns the PSNR of their grey values (100 if identical).
func fastVsReferencePSNR(ctx context.Context, in []byte, spec pipeline.Spec) (float64, error) {
	fast, _, err := pipeline.Process(ctx, in, spec, pipeline.Options{Quality: benchImagesQuality})
	if err != nil {
		return 0, err
	}
	img, _, err := pipeline.Decode(in, pipeline.DefaultLimits())
	if err != nil {
		return 0, err
	}
	ref, err := pipeline.Reference(img, spec)
	if err != nil {
		return 0, err
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, ref, &jpeg.Options{Quality: benchImagesQuality}); err != nil {
		return 0, err
	}
	a, err := jpeg.Decode(bytes.NewReader(fast))
	if err != nil {
		return 0, fmt.Errorf("decode fast output: %w", err)
	}
	b, err := jpeg.Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		return 0, fmt.Errorf("decode reference output: %w", err)
	}
	return PSNRGray(a, b)
}

// loadAvg is the 1, 5 and 15 minute load average, or nil where the system
// cannot tell (the report then shows []).
func loadAvg() []float64 {
	l, _ := proc.LoadAverage()
	return l
}

// WriteTable prints the report as the command's table and verdicts.
func (rep ImagesReport) WriteTable(w io.Writer) {
	m := rep.Machine
	fmt.Fprintf(w, "machine: %d CPUs (%s), %s, %s; load average %v at start, %v at end\n", m.CPUs, m.CPUModel, m.GoVersion, m.Date,
		rep.LoadAvgStart, rep.LoadAvgEnd)
	gmp := fmt.Sprintf("%d threads per image, Go's default GOMAXPROCS", rep.ChildThreads)
	if rep.ChildGOMAXPROCS > 0 {
		gmp = fmt.Sprintf("%d threads per image, GOMAXPROCS=%d each", rep.ChildThreads, rep.ChildGOMAXPROCS)
	}
	pil := "Pillow not run: " + rep.PillowNote
	if rep.PillowVersion != "" {
		pil = fmt.Sprintf("Pillow %s (%s)", rep.PillowVersion, rep.Python)
	}
	fmt.Fprintf(w, "pipeline %s, JPEG q%d; %d Go processes (%s) vs %d Pillow processes; %s\n", rep.Filters, rep.Quality,
		rep.Procs, gmp, rep.Procs, pil)
	fmt.Fprintf(w, "%d interleaved reps, medians; wall time from the workers' common start to the last one's end; %.0fs in all\n\n",
		rep.Reps, rep.Seconds)
	rows := [][]string{}
	allRatio, allPSNR := true, true
	for _, s := range rep.Sizes {
		pil, pcpu, ratio, ratios := "-", "-", "-", "-"
		if len(s.Pillow) > 0 {
			pil = fmt.Sprintf("%.1f", s.PillowImagesPerSec)
			pcpu = fmt.Sprintf("%.1f", s.PillowCPUMSPerImage)
			ratio = fmt.Sprintf("%.2f×", s.Ratio)
			var rs []string
			for _, r := range s.Ratios {
				rs = append(rs, fmt.Sprintf("%.2f", r))
			}
			ratios = strings.Join(rs, " ")
			allRatio = allRatio && s.Ratio >= 1
		}
		allPSNR = allPSNR && s.PSNROK
		rows = append(rows, []string{s.Size, strconv.Itoa(s.Images), fmt.Sprintf("%.1f", s.GoImagesPerSec), pil, ratio, ratios,
			fmt.Sprintf("%.1f", s.GoCPUMSPerImage), pcpu, fmt.Sprintf("%.1f dB", s.PSNRdB)})
	}
	table(w, []string{"SIZE", "IMAGES", "GO IMG/S", "PILLOW IMG/S", "GO/PILLOW", "PER REP", "GO CPU MS/IMG", "PILLOW CPU MS/IMG", "PSNR VS REFERENCE"}, rows)
	fmt.Fprintln(w)
	if rep.PillowVersion != "" {
		fmt.Fprintf(w, "target ≥ 1.0× Pillow's images/s: %s\n", okWord(allRatio))
	}
	fmt.Fprintf(w, "target PSNR ≥ %d dB against pipeline.Reference: %s\n", benchImagesPSNRMin, okWord(allPSNR))
}
