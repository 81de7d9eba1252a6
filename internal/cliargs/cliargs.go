// Package cliargs parses the command lines of the toolkit's commands, which let flags and
// positional arguments mix: `conform replay FILE -addr host:port`, `refclient restore NAME -o PATH`.
package cliargs

import "flag"

// Parse parses fs from args, flags before, between and after the positional arguments, and
// returns the positional ones in order. Everything after "--" is positional, even what starts
// with a dash.
func Parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if i := len(args) - len(rest); i > 0 && args[i-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
