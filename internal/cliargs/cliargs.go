// Package cliargs parses the command lines of the toolkit's commands, which let flags and
// positional arguments mix: `conform replay FILE -addr host:port`, `refclient restore NAME -o PATH`.
package cliargs

import (
	"flag"
	"strings"
)

// Parse parses fs from args, flags before, between and after the positional arguments, and
// returns the positional ones in order. Everything after "--" is positional, even what starts
// with a dash; a "--" that is a flag's value (-o --) is that value and ends nothing.
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
		if endedByDashes(fs, args[:len(args)-len(rest)]) {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// endedByDashes reports whether the flag package, having parsed the flags in parsed, stopped at
// a "--" of its own: the "--" that ends parsed may also be the value of the flag before it.
// It pairs each flag with its value as the flag package does.
func endedByDashes(fs *flag.FlagSet, parsed []string) bool {
	for i := 0; i < len(parsed); i++ {
		a := parsed[i]
		if a == "--" {
			return true
		}
		name := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			continue
		}
		i++ // the next word is the flag's value, whatever it looks like
	}
	return false
}
