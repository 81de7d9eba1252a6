package cliargs

import (
	"runtime/debug"
	"strings"
)

// Version is the line a command's `version` prints: its name, the module's version ("(devel)"
// for a build the go command could not version), the commit it was built from when the build
// recorded one, and the Go release that built it.
func Version(name string) string {
	bi, _ := debug.ReadBuildInfo()
	return versionOf(name, bi)
}

func versionOf(name string, bi *debug.BuildInfo) string {
	if bi == nil {
		return name + " (devel), no build information"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	line := []string{v}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		commit := "commit " + rev
		if modified == "true" {
			commit += " with local changes"
		}
		line = append(line, commit)
	}
	if bi.GoVersion != "" {
		line = append(line, bi.GoVersion)
	}
	return name + " " + strings.Join(line, ", ")
}
