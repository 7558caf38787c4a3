// Package course embeds the course-style Python producer and worker (redis-py +
// Pillow, lesson 4's layout) that the e2e tests run, so `imgq bench course` can
// write them to a temporary folder and run them from any working directory.
package course

import "embed"

// Scripts holds course_queue.py, producer.py and worker.py.
//
//go:embed *.py
var Scripts embed.FS
