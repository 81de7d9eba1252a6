package cliargs

import (
	"runtime/debug"
	"testing"
)

func TestSuggest(t *testing.T) {
	subs := []string{"model", "fuzz", "replay", "doctor", "bench", "client", "help", "version"}
	for word, want := range map[string]string{
		"docter": "doctor", "doctr": "doctor", "dcotor": "doctor", "fuz": "fuzz", "fuzzz": "fuzz", "modle": "model",
		"benchh": "bench", "clinet": "client", "replya": "replay", "verison": "version", "hlep": "help",
		// Too far from everything to guess.
		"xyz": "", "extra-argument": "", "": "", "f": "", "fu": "", "doc": "", "127.0.0.1:1234": "",
	} {
		got, ok := Suggest(word, subs)
		if !ok {
			got = ""
		}
		if got != want {
			t.Errorf("Suggest(%q) = %q, %v; want %q", word, got, ok, want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"a", "", 1}, {"", "ab", 2}, {"doctor", "doctor", 0}, {"docter", "doctor", 1}, {"dcotor", "doctor", 1},
		{"ca", "abc", 3}, {"kitten", "sitting", 3}, {"é", "e", 1}} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := editDistance(tc.b, tc.a); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.b, tc.a, got, tc.want)
		}
	}
}

func TestVersion(t *testing.T) {
	vcs := []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "6892dda1a2b3c4d5e6f708192a3b4c5d6e7f8091"}}
	for _, tc := range []struct {
		bi   *debug.BuildInfo
		want string
	}{
		{&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/fbpkit/fbp", Version: "v1.4.0"}},
			"conform v1.4.0, go1.26.8"},
		{&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: vcs},
			"conform (devel), commit 6892dda1a2b3, go1.26.8"},
		{&debug.BuildInfo{GoVersion: "go1.26.8", Settings: append(vcs, debug.BuildSetting{Key: "vcs.modified", Value: "true"})},
			"conform (devel), commit 6892dda1a2b3 with local changes, go1.26.8"},
		{nil, "conform (devel), no build information"},
	} {
		if got := versionOf("conform", tc.bi); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
	if v := Version("conform"); v == "conform " || len(v) < len("conform (devel)") {
		t.Errorf("Version of this build: %q", v)
	}
}
