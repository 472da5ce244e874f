package main

import (
	"context"

	"github.com/spf13/pflag"
)

var helpCommand = command{
	name:     "help",
	synopsis: "[COMMAND]",
	summary:  "show help for trackfeed or for one command",
	about:    `Help lists trackfeed's commands, or shows one command's flags and examples.`,
	examples: `trackfeed help
trackfeed help publish`,
	new: func() commandRunner { return helpCmd{} },
}

type helpCmd struct{}

func (helpCmd) flags(*pflag.FlagSet) {}

func (helpCmd) run(_ context.Context, st stdio, args []string) error {
	switch len(args) {
	case 0:
		writeUsage(st.stdout)
		return nil
	case 1:
		cmd, ok := lookup(args[0])
		if !ok {
			return usageErrorf("unknown command %q (run 'trackfeed help')", args[0])
		}
		writeHelp(st.stdout, cmd, newFlagSet(cmd, cmd.new(), st.stderr))
		return nil
	}
	return usageErrorf("want one COMMAND at most (run 'trackfeed help')")
}
