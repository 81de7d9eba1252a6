package main

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fbpkit/fbp/internal/cliargs"
)

// refserver runs the command line args in-process; it must not get as far as serving.
func refserver(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	if _, _, err := parseFlags(args); err == nil {
		t.Fatalf("%q: accepted; it would start the server", args)
	}
	var out, errs bytes.Buffer
	code = run(args, &out, &errs)
	return code, out.String(), errs.String()
}

// -h and -help print the help on stdout, nothing on stderr, and exit 0.
func TestHelpOnStdout(t *testing.T) {
	for _, arg := range []string{"-h", "-help"} {
		code, out, errs := refserver(t, arg)
		if code != exitOK || errs != "" || !strings.HasPrefix(out, "usage: refserver ") {
			t.Errorf("%s: exit %d, stderr %q, stdout %.80q", arg, code, errs, out)
		}
		for _, want := range []string{"Exit status: 0", "\nflags:\n", "-max-size size", "-shutdown-grace", "512MiB"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: the help does not say %q:\n%s", arg, want, out)
			}
		}
		if strings.Contains(out, "  -grace") {
			t.Errorf("%s: the help shows -grace, the old name of -shutdown-grace:\n%s", arg, out)
		}
	}
}

// refserver version and -version print the build's version, one line on stdout, and exit 0
// without serving.
func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "-version", "--version"} {
		var out, errs bytes.Buffer
		if code := run([]string{arg}, &out, &errs); code != exitOK || errs.Len() != 0 ||
			out.String() != cliargs.Version("refserver")+"\n" || !strings.Contains(out.String(), runtime.Version()) {
			t.Errorf("refserver %s: exit %d, stdout %q, stderr %q", arg, code, out.String(), errs.String())
		}
	}
}

// A usage error is one line saying what is wrong and one with the hint, on stderr; nothing on
// stdout; exit 2.
func TestUsageErrorIsOneLineAndAHint(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // the whole of stderr, when given
	}{
		{[]string{"-bogus"}, "refserver: flag provided but not defined: -bogus\nrun 'refserver -h' for usage\n"},
		{[]string{"-max-sise", "1GiB"}, "refserver: flag provided but not defined: -max-sise: did you mean -max-size?\nrun 'refserver -h' for usage\n"},
		{[]string{"-addr", "localhost"}, "refserver: -addr \"localhost\": want host:port, as 127.0.0.1:9000\nrun 'refserver -h' for usage\n"},
		{[]string{"-addr", "127.0.0.1:99999"}, "refserver: -addr \"127.0.0.1:99999\": the port \"99999\" is no number from 0 to 65535\nrun 'refserver -h' for usage\n"},
		{[]string{"serve"}, "refserver: unexpected arguments [\"serve\"]: refserver takes flags only\nrun 'refserver -h' for usage\n"},
		{[]string{"-max-size", "lots"}, "refserver: invalid value \"lots\" for flag -max-size: \"lots\" is not a positive size\nrun 'refserver -h' for usage\n"},
		{[]string{"-log-format", "xml"}, "refserver: -log-format \"xml\": want text or json\nrun 'refserver -h' for usage\n"},
		{[]string{"-root", ""}, ""},
		{[]string{"-max-size", "0"}, ""},
		{[]string{"-max-size", "4294967296"}, ""},
		{[]string{"-max-size", "4GiB"}, ""},
		{[]string{"-quota", "0"}, ""},
		{[]string{"-reserve", "1.5GiB"}, ""},
		{[]string{"-min-rate", "-1"}, ""},
		{[]string{"-max-files", "0"}, ""},
		{[]string{"-header-timeout", "0s"}, ""},
		{[]string{"-shutdown-grace", "0s"}, ""},
		{[]string{"-max-name", "0"}, ""},
		{[]string{"-max-name", "65536"}, ""},
		{[]string{"-timeout", "soon"}, ""},
	} {
		code, out, errs := refserver(t, tc.args...)
		lines := strings.Split(strings.TrimSuffix(errs, "\n"), "\n")
		if code != exitUsage || out != "" || len(lines) != 2 || lines[1] != "run 'refserver -h' for usage" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", tc.args, code, out, errs)
		}
		if tc.want != "" && errs != tc.want {
			t.Errorf("%q: stderr\n%q, want\n%q", tc.args, errs, tc.want)
		}
	}
}

// -max-size reads sizes as conform -max-size does, and a bad one names the flag.
func TestMaxSizeTakesUnits(t *testing.T) {
	for arg, want := range map[string]uint32{"1GiB": 1 << 30, "512MiB": 512 << 20, "64K": 64 << 10, "1000000": 1000000, "4294967295": 1<<32 - 1} {
		o, _, err := parseFlags([]string{"-max-size", arg})
		if err != nil || o.cfg.Limits.MaxPayload != want {
			t.Errorf("-max-size %s: %v, want %d", arg, err, want)
			continue
		}
	}
	for _, arg := range []string{"1.5GiB", "lots", "1GB2", "-1", "4GiB"} {
		if code, _, errs := refserver(t, "-max-size", arg); code != exitUsage || !strings.Contains(errs, "-max-size") {
			t.Errorf("-max-size %s: exit %d, stderr %q", arg, code, errs)
		}
	}
}

// -shutdown-grace is how long a shutdown waits; -grace, its old name, still works.
func TestShutdownGrace(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want time.Duration
	}{
		{nil, 10 * time.Second},
		{[]string{"-shutdown-grace", "3s"}, 3 * time.Second},
		{[]string{"-grace", "4s"}, 4 * time.Second},
	} {
		o, _, err := parseFlags(tc.args)
		if err != nil || o.grace != tc.want {
			t.Errorf("%q: %v, grace %v; want %v", tc.args, err, o, tc.want)
		}
	}
}
