//go:build race

package pipeline

// The race detector makes the filters 5 to 10 times slower.
const raceSlowdown = 8
