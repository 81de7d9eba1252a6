package cliargs

import (
	"flag"
	"io"
	"slices"
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
