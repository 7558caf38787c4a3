package cli

import (
	"context"
	"errors"
	"time"

	"github.com/spf13/cobra"
)

type dashFlags struct{}
type shareOpts struct {
	bindAll  bool
	password string
}

func (d *dashFlags) register(*cobra.Command) {}
func runDash(context.Context, *globals, *dashFlags) error {
	_ = time.Second
	return errors.New("dashboard not wired yet")
}
