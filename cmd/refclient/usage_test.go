package main

import (
	"runtime"
	"strings"
	"testing"

	"github.com/fbpkit/fbp/internal/cliargs"

	"github.com/fbpkit/fbp/ref/server"
	"github.com/fbpkit/fbp/ref/server/servertest"
)

// -h, -help and "help" print the help on stdout, nothing on stderr, and exit 0; the top-level
// help names every command, and each command has its own.
func TestHelpOnStdout(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"-help"}, {"help"}, {"-user", "5", "-h"}} {
		out := invoke(t, t.TempDir(), false, args...)
		if out.code != exitOK || out.stderr != "" || !strings.HasPrefix(out.stdout, "usage: refclient [flags] COMMAND") {
			t.Errorf("%q: exit %d, stderr %q, stdout %.80q", args, out.code, out.stderr, out.stdout)
		}
		for _, want := range []string{"backup FILE...", "restore NAME [-o PATH]", "delete NAME", "list", "run [-dir DIR]", "Exit status: 0", "\nflags:\n", "-timeout"} {
			if !strings.Contains(out.stdout, want) {
				t.Errorf("%q: the help does not say %q", args, want)
			}
		}
	}
	for _, tc := range []struct{ cmd, says string }{
		{"backup", "FILE..."}, {"restore", "-o PATH"}, {"delete", "NAME"}, {"list", "names"},
		{"run", "server.info  one line, the server's host:port"},
	} {
		for _, args := range [][]string{{tc.cmd, "-h"}, {"-user", "5", tc.cmd, "-help"}} {
			out := invoke(t, t.TempDir(), false, args...)
			if out.code != exitOK || out.stderr != "" || !strings.HasPrefix(out.stdout, "usage: refclient "+tc.cmd) ||
				!strings.Contains(out.stdout, tc.says) || !strings.Contains(out.stdout, "\nflags:\n") || !strings.Contains(out.stdout, "-timeout") {
				t.Errorf("%q: exit %d, stderr %q\n%s", args, out.code, out.stderr, out.stdout)
			}
		}
	}
}

// refclient version (or -version) prints the build's version, one line on stdout, and exits 0.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"-version"}, {"-user", "5", "version"}} {
		out := invoke(t, t.TempDir(), false, args...)
		if out.code != exitOK || out.stderr != "" || out.stdout != cliargs.Version("refclient")+"\n" || !strings.Contains(out.stdout, runtime.Version()) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, out.code, out.stdout, out.stderr)
		}
	}
	if out := invoke(t, t.TempDir(), false, "-h"); !strings.Contains(out.stdout, "\n  version ") {
		t.Errorf("the help does not name version:\n%s", out.stdout)
	}
}

// A usage error is one line saying what is wrong and one with the hint, on stderr; nothing on
// stdout; exit 2.
func TestUsageErrorIsOneLineAndAHint(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // the whole of stderr, when given
	}{
		{nil, "refclient: no command given: want backup, restore, delete, list or run\nrun 'refclient -h' for usage\n"},
		{[]string{"-bogus"}, "refclient: flag provided but not defined: -bogus\nrun 'refclient -h' for usage\n"},
		{[]string{"frobnicate"}, "refclient: unknown command \"frobnicate\": want backup, restore, delete, list or run\nrun 'refclient -h' for usage\n"},
		{[]string{"lsit"}, "refclient: unknown command \"lsit\": did you mean \"list\"?\nrun 'refclient -h' for usage\n"},
		{[]string{"-user", "5", "restor", "f"}, "refclient: unknown command \"restor\": did you mean \"restore\"?\nrun 'refclient -h' for usage\n"},
		{[]string{"verson"}, "refclient: unknown command \"verson\": did you mean \"version\"?\nrun 'refclient -h' for usage\n"},
		{[]string{"-uesr", "5", "list"}, "refclient: flag provided but not defined: -uesr: did you mean -user?\nrun 'refclient -h' for usage\n"},
		{[]string{"list", "-uesr", "5"}, "refclient list: flag provided but not defined: -uesr: did you mean -user?\nrun 'refclient list -h' for usage\n"},
		{[]string{"backup", "-bogus"}, "refclient backup: flag provided but not defined: -bogus\nrun 'refclient backup -h' for usage\n"},
		{[]string{"-server", "localhost", "list"}, "refclient list: -server \"localhost\": want host:port, as 127.0.0.1:9000\nrun 'refclient list -h' for usage\n"},
		{[]string{"list", "-server", "127.0.0.1"}, "refclient list: -server \"127.0.0.1\": want host:port, as 127.0.0.1:9000\nrun 'refclient list -h' for usage\n"},
		{[]string{"list", "-timeout", "soon"}, "refclient list: invalid value \"soon\" for flag -timeout: parse error\nrun 'refclient list -h' for usage\n"},
		{[]string{"list", "extra"}, "refclient list: unexpected arguments [\"extra\"]: list takes none\nrun 'refclient list -h' for usage\n"},
		{[]string{"list", "run"}, "refclient list: \"run\" after list: refclient does one command at a time (refclient run [-dir DIR])\nrun 'refclient list -h' for usage\n"},
		{[]string{"-dir", "x", "run"}, "refclient: -dir belongs to run and comes after it: refclient run [-dir DIR]\nrun 'refclient -h' for usage\n"},
		{[]string{"list", "-o", "x"}, "refclient list: -o belongs to restore and comes after it: refclient restore NAME [-o PATH]\nrun 'refclient list -h' for usage\n"},
		{[]string{"run", "x"}, "refclient run: unexpected arguments [\"x\"]: run takes none (the folder goes after -dir: refclient run -dir DIR)\nrun 'refclient run -h' for usage\n"},
		{[]string{"restore"}, "refclient restore: want one NAME, got 0 arguments\nrun 'refclient restore -h' for usage\n"},
		{[]string{"delete", "a", "list"}, "refclient delete: \"list\" after delete: refclient does one command at a time (refclient list)\nrun 'refclient delete -h' for usage\n"},
		{[]string{"backup"}, ""},
		{[]string{"-user", "x", "list"}, ""},
	} {
		out := invoke(t, t.TempDir(), false, tc.args...)
		lines := strings.Split(strings.TrimSuffix(out.stderr, "\n"), "\n")
		if out.code != exitUsage || out.stdout != "" || len(lines) != 2 || !strings.HasPrefix(lines[1], "run 'refclient") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", tc.args, out.code, out.stdout, out.stderr)
		}
		if tc.want != "" && out.stderr != tc.want {
			t.Errorf("%q: stderr\n%q, want\n%q", tc.args, out.stderr, tc.want)
		}
	}
}

// The flags conform also has bear its names and defaults: -addr for the server, -timeout 5s,
// -format text|json, -keep-conns; the older names -server, -json and -reuse still work, and
// the help shows the names now only.
func TestFlagsAsConformNamesThem(t *testing.T) {
	help := invoke(t, t.TempDir(), false, "-h").stdout
	for _, want := range []string{
		"-addr host:port\n", "-timeout duration\n", "(default 5s)\n", "-format string\n", "-keep-conns\n",
		"-json\n    \tthe same as -format json\n",
	} {
		if !strings.Contains(help, want) {
			t.Errorf("the help does not say %q:\n%s", want, help)
		}
	}
	for _, old := range []string{"-server", "-reuse", "old name"} {
		if strings.Contains(help, old) {
			t.Errorf("the help shows %q:\n%s", old, help)
		}
	}
	srv := servertest.Start(t, server.Config{})
	dir := t.TempDir()
	for _, args := range [][]string{
		{"-addr", srv.Addr, "list"}, {"-server", srv.Addr, "list"}, {"list", "-addr", srv.Addr, "-keep-conns"}, {"-reuse", "list", "-server=" + srv.Addr},
	} {
		out := invoke(t, dir, false, append([]string{"-user", "77"}, args...)...)
		if out.code != exitOK || out.stdout != "LIST: 1002 (no-files), no files\n" {
			t.Errorf("%q: %+v", args, out)
		}
	}
	for _, args := range [][]string{{"-format", "json", "list"}, {"-json", "list"}, {"list", "-format=json"}} {
		out := invoke(t, dir, false, append([]string{"-user", "77", "-addr", srv.Addr}, args...)...)
		if r := decode[step](t, out.stdout); out.code != exitOK || r.Status != 1002 || r.User != 77 {
			t.Errorf("%q: %+v", args, out)
		}
	}
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"-addr", "localhost", "list"}, `refclient list: -addr "localhost": want host:port`},
		{[]string{"-server", "localhost", "list"}, `refclient list: -server "localhost": want host:port`},
		{[]string{"-format", "xml", "list"}, `refclient list: -format "xml": want text or json`},
	} {
		if out := invoke(t, dir, false, tc.args...); out.code != exitUsage || !strings.HasPrefix(out.stderr, tc.says) {
			t.Errorf("%q: %+v", tc.args, out)
		}
	}
}
