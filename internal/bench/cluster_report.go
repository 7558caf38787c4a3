package bench

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// ClusterSummary gathers the runs of one (masters, shards) as ranges.
type ClusterSummary struct {
	Masters     int       `json:"masters"`
	Shards      int       `json:"shards"`
	Runs        int       `json:"runs"`
	TasksPerSec MinMedMax `json:"tasks_per_sec"`
	// RedisUSPerTask: the masters' CPU per no-op task, summed over them.
	RedisUSPerTask  MinMedMax `json:"redis_cpu_us_per_task"`
	CommandsPerTask MinMedMax `json:"commands_per_task"`
	// VsBaseline is the median RedisUSPerTask over that of the first
	// (masters, shards) measured (1 master, unsharded by default).
	VsBaseline float64 `json:"redis_cpu_vs_baseline"`
	// The busiest master's figure over the idlest's, across runs (0: one had none).
	CommandsMaxOverMin MinMedMax `json:"commands_max_over_min"`
	CPUMaxOverMin      MinMedMax `json:"cpu_max_over_min"`
	BlobMaxOverMin     MinMedMax `json:"blob_memory_max_over_min"`
	// BlobMaxShare is the busiest master's part of the input bytes' memory.
	BlobMaxShare MinMedMax `json:"blob_memory_max_share"`
}

// MinMedMax is a range over runs with its median.
type MinMedMax struct {
	Min    float64 `json:"min"`
	Median float64 `json:"median"`
	Max    float64 `json:"max"`
}

// ratioRange is minMedMax of max/min ratios, where 0 stands for infinite (the
// idlest master had none): it sorts above every number and stays 0.
func ratioRange(xs []float64) MinMedMax {
	ys := make([]float64, len(xs))
	for i, x := range xs {
		ys[i] = x
		if x == 0 {
			ys[i] = math.Inf(1)
		}
	}
	r := minMedMax(ys)
	for _, p := range []*float64{&r.Min, &r.Median, &r.Max} {
		if math.IsInf(*p, 1) {
			*p = 0
		}
	}
	return r
}

func minMedMax(xs []float64) MinMedMax {
	if len(xs) == 0 {
		return MinMedMax{}
	}
	return MinMedMax{Min: round3(slices.Min(xs)), Median: round3(Median(xs)), Max: round3(slices.Max(xs))}
}

// summarizeCluster groups runs by (masters, shards), in the order first run.
func summarizeCluster(runs []ClusterRun) []ClusterSummary {
	type key struct{ m, s int }
	var order []key
	groups := map[key][]ClusterRun{}
	for _, r := range runs {
		k := key{r.Masters, r.Shards}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	var out []ClusterSummary
	for _, k := range order {
		s := ClusterSummary{Masters: k.m, Shards: k.s, Runs: len(groups[k])}
		values := func(f func(ClusterRun) float64) []float64 {
			var xs []float64
			for _, r := range groups[k] {
				xs = append(xs, f(r))
			}
			return xs
		}
		col := func(f func(ClusterRun) float64) MinMedMax { return minMedMax(values(f)) }
		ratio := func(f func(ClusterRun) float64) MinMedMax { return ratioRange(values(f)) }
		s.TasksPerSec = col(func(r ClusterRun) float64 { return r.TasksPerSec })
		s.RedisUSPerTask = col(func(r ClusterRun) float64 { return r.RedisUSPerTask })
		s.CommandsPerTask = col(func(r ClusterRun) float64 { return r.CommandsPerTask })
		s.CommandsMaxOverMin = ratio(func(r ClusterRun) float64 { return r.Balance.Commands.MaxOverMin })
		s.CPUMaxOverMin = ratio(func(r ClusterRun) float64 { return r.Balance.CPU.MaxOverMin })
		s.BlobMaxOverMin = ratio(func(r ClusterRun) float64 { return r.Balance.BlobMemory.MaxOverMin })
		s.BlobMaxShare = col(func(r ClusterRun) float64 { return r.Balance.BlobMemory.MaxShare })
		if len(out) > 0 && out[0].RedisUSPerTask.Median > 0 {
			s.VsBaseline = round3(s.RedisUSPerTask.Median / out[0].RedisUSPerTask.Median)
		} else if len(out) == 0 {
			s.VsBaseline = 1
		}
		out = append(out, s)
	}
	return out
}

// WriteTable prints the summary, then every run master by master.
func (rep ClusterReport) WriteTable(w io.Writer) {
	m, o := rep.Machine, rep.Options
	fmt.Fprintf(w, "machine: %d CPUs (%s), %s, %s; load average %v at start, %v at end\n", m.CPUs, m.CPUModel,
		m.GoVersion, m.Date, rep.LoadAvgStart, rep.LoadAvgEnd)
	fmt.Fprintf(w, "each run: a fresh loopback cluster; %d no-op tasks run by %d×%d slots; then %d tasks with %d input bytes each enqueued; %d runs each\n\n",
		o.Tasks, o.Workers, o.Concurrency, o.BlobTasks, o.BlobBytes, o.Reps)
	var rows [][]string
	for _, s := range rep.Summary {
		rows = append(rows, []string{configLabel(s.Masters, s.Shards), rangeText(s.TasksPerSec, 0),
			rangeText(s.RedisUSPerTask, 1), fmt.Sprintf("%.2f×", s.VsBaseline), rangeText(s.CommandsPerTask, 1),
			ratioText(s.Masters, s.CommandsMaxOverMin), ratioText(s.Masters, s.CPUMaxOverMin), ratioText(s.Masters, s.BlobMaxOverMin)})
	}
	table(w, []string{"CONFIG", "TASKS/S", "REDIS µs/TASK", "VS FIRST", "CMDS/TASK", "CMDS max/min", "CPU max/min", "BLOB MEM max/min"}, rows)
	fmt.Fprintln(w, "\nranges are min–median–max over runs; per task figures sum every master; max/min ∞: a master had none")
	fmt.Fprintln(w)
	rows = nil
	for _, r := range rep.Runs {
		for i, pm := range r.PerMaster {
			head := []string{"", "", ""}
			if i == 0 {
				head = []string{configLabel(r.Masters, r.Shards), strconv.Itoa(r.Rep), fmt.Sprintf("%.0f", r.TasksPerSec)}
			}
			rows = append(rows, append(head, pm.Addr, pm.Slots, strings.Join(pm.Shards, " "), strconv.FormatInt(pm.Commands, 10),
				fmt.Sprintf("%.3f", pm.CPUSeconds), fmt.Sprintf("%.1f", pm.RedisUSPerTask), fmt.Sprintf("%.1f", pm.BlobMB),
				fmt.Sprintf("%.1f", pm.UsedMemoryMB)))
		}
	}
	table(w, []string{"CONFIG", "RUN", "TASKS/S", "MASTER", "SLOTS", "QUEUES", "COMMANDS", "CPU s", "µs/TASK", "BLOB MB", "USED MB"}, rows)
}

func configLabel(masters, shards int) string {
	return fmt.Sprintf("%d master%s, %s", masters, map[bool]string{true: "s"}[masters != 1], shardLabel(shards))
}

func rangeText(r MinMedMax, decimals int) string {
	f := "%." + strconv.Itoa(decimals) + "f"
	return fmt.Sprintf(f+"–"+f+"–"+f, r.Min, r.Median, r.Max)
}

// ratioText prints a max/min range; one master has nothing to compare.
func ratioText(masters int, r MinMedMax) string {
	if masters <= 1 {
		return "-"
	}
	one := func(x float64) string {
		if x == 0 {
			return "∞"
		}
		return fmt.Sprintf("%.2f", x)
	}
	return one(r.Min) + "–" + one(r.Median) + "–" + one(r.Max)
}
