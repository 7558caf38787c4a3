package cli

import "github.com/spf13/cobra"

func newBenchDashCmd(g *globals) *cobra.Command { return &cobra.Command{Use: "dash"} }
func newBenchMemoryCmd(g *globals) *cobra.Command { return &cobra.Command{Use: "memory"} }
