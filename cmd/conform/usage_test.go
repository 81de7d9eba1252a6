package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fbpkit/fbp/internal/cliargs"
)

// -h, -help and "help" print the help on stdout, nothing on stderr, and exit 0; the top-level
// help names every subcommand, and each subcommand has its own.
func TestHelpOnStdout(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"-help"}, {"help"}} {
		code, out, errs := conform(t, args...)
		if code != exitPass || errs != "" || !strings.HasPrefix(out, "usage: conform ") {
			t.Errorf("%q: exit %d, stderr %q, stdout %.80q", args, code, errs, out)
		}
		for _, sub := range subcommands {
			if sub != "help" && !strings.Contains(out, "conform "+sub+" ") {
				t.Errorf("%q: the help does not name conform %s:\n%s", args, sub, out)
			}
		}
	}
	for _, sub := range [][]string{{"model", "-steps"}, {"fuzz", "-max-inputs"}, {"replay", "-addr"}, {"doctor", "-no-crash-probes"},
		{"bench", "-mix"}, {"client", "-listen"}} {
		code, out, errs := conform(t, sub[0], "-h")
		if code != exitPass || errs != "" || !strings.HasPrefix(out, "usage: conform "+sub[0]) || !strings.Contains(out, "\nflags:\n") || !strings.Contains(out, sub[1]) {
			t.Errorf("conform %s -h: exit %d, stderr %q\n%s", sub[0], code, errs, out)
		}
	}
}

// conform version and -version print the build's version, one line on stdout, and exit 0.
func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "-version", "--version"} {
		code, out, errs := conform(t, arg)
		if code != exitPass || errs != "" || out != cliargs.Version("conform")+"\n" || !strings.HasPrefix(out, "conform ") ||
			!strings.Contains(out, runtime.Version()) {
			t.Errorf("conform %s: exit %d, stdout %q, stderr %q", arg, code, out, errs)
		}
	}
}

// serverCommands are the command lines of the catalog and of the subcommands that test a
// server, with their flags defined, by subcommand ("conform" for the catalog).
func serverCommands() map[string]*cliargs.Command {
	cmds := map[string]*cliargs.Command{}
	_, cmds["conform"], _ = parseFlags(nil)
	_, cmds["model"], _ = parseModelFlags(nil)
	_, cmds["fuzz"], _ = parseFuzzFlags(nil)
	_, _, cmds["replay"], _ = parseReplayFlags(nil)
	_, cmds["bench"], _ = parseBenchFlags(nil)
	return cmds
}

// Every flag that runs a server's command says that {port} in it becomes a free port.
func TestEveryExecHelpExplainsPort(t *testing.T) {
	cmds := serverCommands()
	doctor := cliargs.New("doctor", "")
	(&testerFlags{}).register(doctor.Flags, false, time.Second, "")
	cmds["doctor"] = doctor
	var seen int
	for sub, cmd := range cmds {
		cmd.Flags.VisitAll(func(f *flag.Flag) {
			if f.Name == "exec" || f.Name == "compare-exec" {
				seen++
				if !strings.Contains(f.Usage, "{port} in it is replaced by a free port") {
					t.Errorf("%s -%s: %q", sub, f.Name, f.Usage)
				}
			}
		})
	}
	if seen != 7 {
		t.Errorf("%d -exec flags, want 7", seen)
	}
	for _, sub := range []string{"fuzz", "model", "bench", "doctor", "replay"} {
		if _, out, _ := conform(t, sub, "-h"); !strings.Contains(out, "{port}") {
			t.Errorf("conform %s -h does not explain {port}", sub)
		}
	}
	// -compare-exec takes {port} instead of -compare, as -exec does instead of -addr.
	o, _, err := parseBenchFlags([]string{"-compare-exec", "./other {port}"})
	if err != nil || !o.comparing() || o.cfg.Rounds != 3 {
		t.Errorf("-compare-exec with {port}: %v", err)
	}
	if _, _, err := parseBenchFlags([]string{"-compare-exec", "./other"}); err == nil || !strings.Contains(err.Error(), "{port}") {
		t.Errorf("-compare-exec without {port} nor -compare: %v", err)
	}
}

// A usage error is one line saying what is wrong and one with the hint, on stderr; nothing on
// stdout; exit 2.
func TestUsageErrorIsOneLineAndAHint(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-bogus"}, "conform: flag provided but not defined: -bogus\nrun 'conform -h' for usage\n"},
		{[]string{"-adr", "127.0.0.1:9999"}, "conform: flag provided but not defined: -adr: did you mean -addr?\nrun 'conform -h' for usage\n"},
		{[]string{"doctor", "-no-crash-probe"}, "conform doctor: flag provided but not defined: -no-crash-probe: did you mean -no-crash-probes?\nrun 'conform doctor -h' for usage\n"},
		{[]string{"docter"}, "conform: unknown subcommand \"docter\": did you mean \"doctor\"?\nrun 'conform -h' for usage\n"},
		{[]string{"-addr", "127.0.0.1:9999", "fuz"}, "conform: unknown subcommand \"fuz\": did you mean \"fuzz\"?\nrun 'conform -h' for usage\n"},
		{[]string{"verison"}, "conform: unknown subcommand \"verison\": did you mean \"version\"?\nrun 'conform -h' for usage\n"},
		{[]string{"nothing-like-it"}, "conform: unexpected arguments: [\"nothing-like-it\"]\nrun 'conform -h' for usage\n"},
		{[]string{"127.0.0.1:9999"}, "conform: unexpected argument \"127.0.0.1:9999\": the server's address goes after -addr (-addr 127.0.0.1:9999)\nrun 'conform -h' for usage\n"},
		{[]string{"doctor", "127.0.0.1:9999"}, "conform doctor: unexpected argument \"127.0.0.1:9999\": the server's address goes after -addr (-addr 127.0.0.1:9999)\nrun 'conform doctor -h' for usage\n"},
		{[]string{"-addr", "localhost"}, "conform: -addr \"localhost\": want host:port, as 127.0.0.1:9000\nrun 'conform -h' for usage\n"},
		{[]string{"-addr", "127.0.0.1:9999", "model"}, "conform: \"model\" after the flags: a subcommand comes first (conform model [flags])\nrun 'conform -h' for usage\n"},
		{[]string{"-timeout", "soon"}, "conform: invalid value \"soon\" for flag -timeout: parse error\nrun 'conform -h' for usage\n"},
		{[]string{"fuzz", "-bogus"}, "conform fuzz: flag provided but not defined: -bogus\nrun 'conform fuzz -h' for usage\n"},
		{[]string{"doctor", "-addr", "host"}, "conform doctor: -addr \"host\": want host:port, as 127.0.0.1:9000\nrun 'conform doctor -h' for usage\n"},
		{[]string{"bench", "-compare", "host"}, "conform bench: -compare \"host\": want host:port, as 127.0.0.1:9000\nrun 'conform bench -h' for usage\n"},
		{[]string{"client", "-listen", "9000"}, "conform client: -listen \"9000\": want host:port, as 127.0.0.1:9000\nrun 'conform client -h' for usage\n"},
		{[]string{"model", "-max-file", "lots"}, ""},
		{[]string{"replay"}, "conform replay: want one FILE to replay, got 0 arguments\nrun 'conform replay -h' for usage\n"},
		{[]string{"-exec-log", "server.log"}, "conform: -exec-log needs -exec: it is the output of the server conform starts\nrun 'conform -h' for usage\n"},
		{[]string{"doctor", "-exec-log", "server.log"}, "conform doctor: -exec-log needs -exec: it is the output of the server conform starts\nrun 'conform doctor -h' for usage\n"},
		{[]string{"-exec", "true {port}", "-exec-log", "/nonexistent/server.log"}, "conform: -exec-log: open /nonexistent/server.log: no such file or directory\nrun 'conform -h' for usage\n"},
		{[]string{"model", "-exec", "true {port}", "-exec-log", "/nonexistent/server.log"}, "conform model: -exec-log: open /nonexistent/server.log: no such file or directory\nrun 'conform model -h' for usage\n"},
	} {
		code, out, errs := conform(t, tc.args...)
		lines := strings.Split(strings.TrimSuffix(errs, "\n"), "\n")
		if code != exitUsage || out != "" || len(lines) != 2 || !strings.HasPrefix(lines[1], "run 'conform") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", tc.args, code, out, errs)
		}
		if tc.want != "" && errs != tc.want {
			t.Errorf("%q: stderr\n%q, want\n%q", tc.args, errs, tc.want)
		}
	}
}

// -run and -skip select by requirement as by case ID.
func TestRunSelectsByRequirement(t *testing.T) {
	out, _ := conformExit(t, exitPass, "-list", "-run", `^R-4\.3$`)
	for line := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		if strings.Contains(line, "/") && !strings.Contains(line, "R-4.3") {
			t.Errorf("a case without R-4.3: %s", line)
		}
	}
	if !strings.Contains(out, "delete/missing-1001") {
		t.Errorf("delete/missing-1001 not selected:\n%s", out)
	}
	code, out, _ := conform(t, "-list", "-run", "^delete/", "-skip", `^R-4\.2$`)
	if code != exitPass || strings.Contains(out, "delete/then-restore-1001") || !strings.Contains(out, "delete/missing-1001") {
		t.Errorf("-skip by requirement: exit %d\n%s", code, out)
	}
}

// The -exec server's output goes to -exec-log, and nowhere near the report without it; each
// start is marked in the log.
func TestExecLog(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, fault string
		sub, flags  []string
		code        int
		starts      int // a server that dies of the case is started again: a marker each
	}{
		{"run", "none", nil, []string{"-run", "^backup/new$"}, exitPass, 1},
		{"doctor", "none", []string{"doctor"}, nil, exitPass, 1},
		{"restarted", "dies-on-unknown-op", nil, []string{"-run", "^security/unknown-op$"}, exitFail, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			server := mutantServer(t) + " -fault " + tc.fault + " -addr 127.0.0.1:{port}"
			log := filepath.Join(dir, tc.name+".log")
			args := append(append(append([]string{}, tc.sub...), "-exec", server, "-exec-log", log), tc.flags...)
			code, _, errs := conform(t, args...)
			if code != tc.code {
				t.Fatalf("%q: exit %d\n%s", args, code, errs)
			}
			b, err := os.ReadFile(log)
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(string(b), "--- conform: starting "); n != tc.starts || !strings.Contains(string(b), "listening on 127.0.0.1:") {
				t.Errorf("%d starts marked, want %d; the log holds %q", n, tc.starts, b)
			}
			if strings.Contains(errs, "listening on") {
				t.Errorf("the server's output reached stderr:\n%s", errs)
			}
			args = append(append(append([]string{}, tc.sub...), "-exec", server), tc.flags...)
			if code, _, errs = conform(t, args...); code != tc.code || strings.Contains(errs, "listening on") {
				t.Errorf("without -exec-log: exit %d, stderr\n%s", code, errs)
			}
		})
	}
}

// A flag name means one thing in every subcommand, with one default and one kind of value:
// -timeout is a deadline of each read and write everywhere, -baseline a file of known failures,
// -max-size a size with units. Old names kept readable are left out: they stay out of the help.
func TestOneFlagVocabulary(t *testing.T) {
	cmds := serverCommands()
	_, cmds["client"], _ = parseClientFlags(nil)
	// The same name, the same default, and the same kind of value.
	same := []string{"addr", "timeout", "deadline", "exec", "exec-log", "format", "o", "seed", "strict", "max-size", "baseline", "run", "skip"}
	for _, name := range same {
		var first *flag.Flag
		var firstIn string
		for sub, cmd := range cmds {
			// An old name, kept readable and out of the help, is the flag it became.
			f := cmd.Flags.Lookup(name)
			if _, old := cmd.Renamed[name]; f == nil || old {
				continue
			}
			if first == nil {
				first, firstIn = f, sub
				continue
			}
			if f.DefValue != first.DefValue && name != "format" {
				t.Errorf("-%s: default %q in %s, %q in %s", name, f.DefValue, sub, first.DefValue, firstIn)
			}
			if fmt.Sprintf("%T", f.Value) != fmt.Sprintf("%T", first.Value) {
				t.Errorf("-%s: a %T in %s, a %T in %s", name, f.Value, sub, first.Value, firstIn)
			}
		}
	}
	for _, parse := range []func([]string) error{
		func(a []string) error { _, _, err := parseFlags(a); return err },
		func(a []string) error { _, _, err := parseFuzzFlags(a); return err },
	} {
		if err := parse([]string{"-max-size", "1GiB"}); err != nil {
			t.Errorf("-max-size 1GiB: %v", err)
		}
	}
	if f := cmds["conform"].Flags.Lookup("timeout"); f.DefValue != "5s" {
		t.Errorf("-timeout defaults to %s", f.DefValue)
	}
	// The first names of bench's -limits and client's -hang-after still work, and stay out of
	// the help.
	for _, args := range [][]string{{"-limits"}, {"-baseline"}, {"-baseline=true", "-baseline-dir", "/tmp"}} {
		o, _, err := parseBenchFlags(args)
		if err != nil || !o.cfg.Baseline {
			t.Errorf("bench %q: %v", args, err)
		}
	}
	if o, _, err := parseClientFlags([]string{"-timeout", "3s", "--", "true"}); err != nil || o.cfg.Timeout != 3*time.Second {
		t.Errorf("client -timeout 3s: %v", err)
	}
	for _, sub := range []string{"bench", "client"} {
		if code, out, _ := conform(t, sub, "-h"); code != exitPass || strings.Contains(out, "old name") {
			t.Errorf("conform %s -h shows an old name:\n%s", sub, out)
		}
	}
}

// An -o that cannot be written is a usage error before anything runs, in every subcommand
// that writes a report: a folder, or a file in a folder that does not exist. Testing for
// minutes and then failing to write the report would lose the run.
func TestUnwritableOutputFailsAtOnce(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "no-such-folder", "report.json")
	for _, args := range [][]string{
		{},
		{"client", "--", "true"},
		// Short runs, so that a check missing shows as a late failure rather than a long wait.
		{"model", "-runs", "1", "-steps", "3"},
		{"fuzz", "-max-inputs", "20"},
		{"bench", "-count", "10", "-rounds", "1", "-clients", "1"},
		{"doctor"},
		{"watch", "-listen", "127.0.0.1:0", "-to", "127.0.0.1:9"},
		{"replay", filepath.Join(dir, "finding.json")},
		{"matrix", dir},
		{"batch", "-exec", "true {dir} {port}", dir},
	} {
		for out, want := range map[string]string{dir: "-o " + dir + " is a folder", missing: "there is no folder " + filepath.Dir(missing)} {
			withOut := slices.Concat(args[:min(len(args), 1)], []string{"-o", out}, args[min(len(args), 1):])
			if len(args) == 0 || strings.HasPrefix(args[0], "-") {
				withOut = slices.Concat([]string{"-o", out}, args)
			}
			// The bound ends a run that a missing check let start (watch waits for clients).
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			var o, e bytes.Buffer
			code := run(ctx, withOut, &o, &e)
			cancel()
			stdout, stderr := o.String(), e.String()
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			if code != exitUsage || stdout != "" || len(lines) != 2 || !strings.Contains(lines[0], want) {
				t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and %q alone", withOut, code, stdout, stderr, want)
			}
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a refused run left %v in %s", entries, dir)
	}
}
