package clienttest

import (
	"strings"
	"testing"
	"time"
)

// A watched sequence is found wherever writes cut it, and kept output stays bounded.
func TestOutputWatchesAcrossWrites(t *testing.T) {
	o := newOutput(planted...)
	o.Write([]byte("name: \x1b]2;conf"))
	o.Write([]byte("orm-title"))
	o.Write([]byte("\x07retitled\n"))
	o.Write([]byte(strings.Repeat("x", 3*outputHead)))
	if !o.saw(planted[0]) || o.saw(planted[1]) {
		t.Errorf("saw %q: %v, %q: %v", planted[0], o.saw(planted[0]), planted[1], o.saw(planted[1]))
	}
	// Only watched sequences are looked for: "retitled" went by, unwatched.
	if o.saw([]byte("retitled")) {
		t.Error("an unwatched sequence counts as seen")
	}
	if text := o.text(); len(text) > outputHead+outputTail+64 || !strings.Contains(text, "bytes …]") {
		t.Errorf("kept %d bytes", len(text))
	}
}

func TestCrashSignatures(t *testing.T) {
	for out, want := range map[string]string{
		"Traceback (most recent call last):\n  File \"c.py\"\nZeroDivisionError: division by zero\n": "an uncaught Python exception: ZeroDivisionError: division by zero",
		"panic: LIST: status 1003\n\ngoroutine 1 [running]:\nmain.main()\n":                          "a Go panic: panic: LIST: status 1003",
		"client: LIST failed: panic: not really\n":                                                   "",
	} {
		o := newOutput(crashWatch()...)
		o.Write([]byte(out))
		if got := crashIn(o); got != want {
			t.Errorf("%q: %q, want %q", out, got, want)
		}
	}
}

func TestDiffSeesMadeChangedRemoved(t *testing.T) {
	now := time.Now()
	before := map[string]entry{"client": {dir: true}, "client/a": {size: 1, mtime: now}, "client/b": {size: 1, mtime: now}}
	after := map[string]entry{"client": {dir: true}, "client/a": {size: 2, mtime: now}, "client/tmp": {size: 3, mtime: now}, "escape": {size: 4}}
	var got []string
	for _, c := range diff(before, after) {
		got = append(got, c.String())
	}
	want := "changed client/a (2 bytes), removed client/b, made client/tmp (3 bytes), made escape (4 bytes)"
	if strings.Join(got, ", ") != want {
		t.Errorf("%s\nwant %s", strings.Join(got, ", "), want)
	}
}
