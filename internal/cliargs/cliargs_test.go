package cliargs

import (
	"errors"
	"flag"
	"io"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		args, pos []string
		o         string
		v         bool
	}{
		{[]string{"a", "-o", "p", "b", "-v", "--", "-c", "d"}, []string{"a", "b", "-c", "d"}, "p", true},
		{[]string{"-o", "p", "a"}, []string{"a"}, "p", false},
		{[]string{"a", "b"}, []string{"a", "b"}, "", false},
		{[]string{"--", "-v"}, []string{"-v"}, "", false},
		// A "--" that is -o's value ends nothing: -v after it is a flag.
		{[]string{"-o", "--", "f", "-v"}, []string{"f"}, "--", true},
		{[]string{"a", "-o", "--", "b", "-v", "c"}, []string{"a", "b", "c"}, "--", true},
		{[]string{"-o", "--", "--", "-v"}, []string{"-v"}, "--", false},
		{[]string{"--o", "--", "f", "--v"}, []string{"f"}, "--", true},
		{[]string{"-o=--", "--", "-v"}, []string{"-v"}, "--", false},
		{[]string{"-v", "--", "-o", "p"}, []string{"-o", "p"}, "", true},
		{[]string{"-v=true", "a", "--", "-v=false"}, []string{"a", "-v=false"}, "", true},
		{nil, nil, "", false},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		o, v := fs.String("o", "", ""), fs.Bool("v", false, "")
		pos, err := Parse(fs, tc.args)
		if err != nil || !slices.Equal(pos, tc.pos) || *o != tc.o || *v != tc.v {
			t.Errorf("%q: pos %q, -o %q, -v %v, err %v", tc.args, pos, *o, *v, err)
		}
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if _, err := Parse(fs, []string{"a", "-nope"}); err == nil {
		t.Error("an undefined flag after an argument was accepted")
	}
}

func TestCommandFail(t *testing.T) {
	c := New("tool sub", "usage: tool sub [flags]\n")
	c.Flags.String("addr", "", "the `host:port`")
	var out, errb strings.Builder
	_, err := c.Parse([]string{"-bogus"})
	if code := c.Fail(err, &out, &errb); code != 2 || out.Len() != 0 {
		t.Errorf("an unknown flag: exit %d, stdout %q", code, out.String())
	}
	if want := "tool sub: flag provided but not defined: -bogus\nrun 'tool sub -h' for usage\n"; errb.String() != want {
		t.Errorf("stderr %q, want %q", errb.String(), want)
	}
	// A flag a letter or two from one defined is that flag mistyped.
	for arg, want := range map[string]string{
		"-adr":   "tool sub: flag provided but not defined: -adr: did you mean -addr?\n",
		"--adrr": "tool sub: flag provided but not defined: -adrr: did you mean -addr?\n",
		"-a":     "tool sub: flag provided but not defined: -a\n",
	} {
		errb.Reset()
		_, err = c.Parse([]string{arg, "x:1"})
		if code := c.Fail(err, &out, &errb); code != 2 || errb.String() != want+"run 'tool sub -h' for usage\n" {
			t.Errorf("%s: exit %d, stderr %q", arg, code, errb.String())
		}
	}
	out.Reset()
	errb.Reset()
	_, err = c.Parse([]string{"-h"})
	if code := c.Fail(err, &out, &errb); code != 0 || errb.Len() != 0 ||
		!strings.HasPrefix(out.String(), "usage: tool sub [flags]\n\nflags:\n  -addr host:port\n") {
		t.Errorf("-h: exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
	errb.Reset()
	if code := c.Fail(Usagef("-addr %q: no port", "x"), &out, &errb); code != 2 || errb.String() != "tool sub: -addr \"x\": no port\nrun 'tool sub -h' for usage\n" {
		t.Errorf("a usage error: exit %d, stderr %q", code, errb.String())
	}
}

func TestCheckAddr(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:9000": true, "localhost:1": true, ":9000": true, "[::1]:80": true,
		"localhost": false, "127.0.0.1": false, "host:port": false, "host:70000": false, "": false,
	} {
		if err := CheckAddr("addr", addr); (err == nil) != ok {
			t.Errorf("%q: %v", addr, err)
		}
	}
	var ue *UsageError
	if err := CheckAddr("addr", "localhost"); !errors.As(err, &ue) || err.Error() != `-addr "localhost": want host:port, as 127.0.0.1:9000` {
		t.Errorf("localhost: %v", err)
	}
}

// An old name sets the flag as its name now does, and stays out of the help.
func TestRename(t *testing.T) {
	c := New("cmd", "usage: cmd [flags]")
	limits := c.Flags.Bool("limits", false, "measure the limits")
	dir := c.Flags.String("limits-dir", "/tmp", "a `folder`")
	c.Rename("baseline", "limits")
	c.Rename("baseline-dir", "limits-dir")
	if _, err := c.Parse([]string{"-baseline", "--baseline-dir=/srv"}); err != nil {
		t.Fatal(err)
	}
	if !*limits || *dir != "/srv" {
		t.Errorf("limits %v, dir %q", *limits, *dir)
	}
	var help strings.Builder
	c.PrintHelp(&help)
	if strings.Contains(help.String(), "baseline") || !strings.Contains(help.String(), "-limits-dir folder") ||
		!strings.Contains(help.String(), `(default "/tmp")`) {
		t.Errorf("help:\n%s", help.String())
	}
}
