// Command imgq is a Redis-backed, distributed image-processing task queue with a
// live terminal dashboard. See README.md.
package main

import (
	"context"
	"os"

	"github.com/imgq/imgq/cli"
)

func main() {
	os.Exit(cli.Execute(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}
