package main

import "testing"

// A command to paste names the target as the user gave it: never the port a {port} command
// got for this run alone, nor the built-in server's, both gone when the command ends.
func TestReplayCommandNamesTheTargetAsGiven(t *testing.T) {
	for _, tc := range []struct {
		f    testerFlags
		want string
	}{
		{testerFlags{}, "conform replay f.json"},
		{testerFlags{addr: "127.0.0.1:9000"}, "conform replay f.json -addr 127.0.0.1:9000"},
		{testerFlags{execCmd: "./server {port}"}, "conform replay f.json -exec './server {port}'"},
		{testerFlags{addr: "127.0.0.1:9000", execCmd: "./server -p 9000"}, "conform replay f.json -addr 127.0.0.1:9000 -exec './server -p 9000'"},
	} {
		if got := replayCommand("f.json", &tc.f); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.f, got, tc.want)
		}
	}
}
