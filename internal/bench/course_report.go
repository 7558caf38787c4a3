package bench

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// WriteTable prints `imgq bench course`'s table, verdict and demos.
func (rep CourseReport) WriteTable(w io.Writer) {
	m := rep.Machine
	fmt.Fprintf(w, "machine: %d CPUs (%s), redis %s, %s, %s; load average %v at start, %v at end\n", m.CPUs, m.CPUModel,
		m.RedisVersion, m.GoVersion, m.Date, rep.LoadAvgStart, rep.LoadAvgEnd)
	gmp := "Go's default GOMAXPROCS"
	if rep.GOMAXPROCS > 0 {
		gmp = fmt.Sprintf("GOMAXPROCS=%d each", rep.GOMAXPROCS)
	}
	fmt.Fprintf(w, "compared: %s\n", rep.Compared)
	fmt.Fprintf(w, "filters %s; imgq workers %s; %s (%s); %d reps, sides alternating who goes first, medians; %.0fs in all\n\n",
		rep.Filters, gmp, rep.Versions, rep.Python, rep.Reps, rep.Seconds)
	var rows [][]string
	for _, s := range rep.Sizes {
		var rs []string
		for _, r := range s.Ratios {
			rs = append(rs, fmt.Sprintf("%.2f", r))
		}
		rows = append(rows, []string{s.Size, strconv.Itoa(s.Images), fmt.Sprintf("%.1f", s.CourseImagesPerSec),
			fmt.Sprintf("%.1f", s.ImgqImagesPerSec), fmt.Sprintf("%.2f×", s.Ratio), strings.Join(rs, " "),
			fmt.Sprintf("%.1f", s.CourseCPUMSPerImage), fmt.Sprintf("%.1f", s.ImgqCPUMSPerImage),
			fmt.Sprintf("%.0f / %.0f", medianStartup(s.Course), medianStartup(s.Imgq)), okWord(s.TargetMet)})
	}
	table(w, []string{"SIZE", "PHOTOS", "COURSE IMG/S", "IMGQ IMG/S", "IMGQ/COURSE", "PER REP", "COURSE CPU MS/IMG",
		"IMGQ CPU MS/IMG", "STARTUP MS (C / I)", fmt.Sprintf("≥ %.0f×", rep.Target)}, rows)
	fmt.Fprintln(w, "\nimg/s = photos / (last completed_at − first enqueue); CPU = user+system of the worker processes over that time;")
	fmt.Fprintln(w, "startup = spawn → every worker up (course: connected; imgq: registered), outside the timed part.")
	if rep.Demos != nil {
		rep.Demos.writeTable(w)
	}
}

func medianStartup(rs []CourseRun) float64 {
	var xs []float64
	for _, r := range rs {
		xs = append(xs, r.StartupMS)
	}
	return Median(xs)
}
