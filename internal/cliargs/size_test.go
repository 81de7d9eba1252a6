package cliargs

import (
	"flag"
	"io"
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1048576": 1 << 20, "64KiB": 64 << 10, "64KB": 64 << 10, "8MiB": 8 << 20, "8M": 8 << 20,
		"1GiB": 1 << 30, "3G": 3 << 30, "4294967295": MaxSizeField} {
		if got, err := ParseSize(in, MaxSizeField); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1", "4GiB", "12TB", "MiB", "1.5MiB", "1PiB", "1 MiB"} {
		if _, err := ParseSize(in, MaxSizeField); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
	// A larger bound takes sizes the size field cannot state.
	if got, err := ParseSize("12TiB", 16<<40); err != nil || got != 12<<40 {
		t.Errorf("ParseSize(12TiB, 16TiB) = %d, %v", got, err)
	}
	if _, err := ParseSize("9223372036854775807T", 1<<62); err == nil || !strings.Contains(err.Error(), "4194304TiB") {
		t.Errorf("an overflowing count: %v", err)
	}
}

func TestFormatSize(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{{1 << 30, "1GiB"}, {3 << 20, "3MiB"}, {1536, "1536"}, {2048, "2KiB"}, {1000, "1000"}, {5 << 40, "5TiB"}} {
		if got := FormatSize(tc.n); got != tc.want {
			t.Errorf("FormatSize(%d) = %q, want %q", tc.n, got, tc.want)
		}
		if back, err := ParseSize(FormatSize(tc.n), 1<<62); err != nil || back != tc.n {
			t.Errorf("ParseSize(FormatSize(%d)) = %d, %v", tc.n, back, err)
		}
	}
}

func TestSizeFlag(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	quota := Size{N: 1 << 30, Max: 1 << 40}
	fs.Var(&quota, "quota", "")
	if err := fs.Parse([]string{"-quota", "64MiB"}); err != nil || quota.N != 64<<20 || quota.String() != "64MiB" {
		t.Fatalf("-quota 64MiB: %d %q, %v", quota.N, quota.String(), err)
	}
	if err := fs.Parse([]string{"-quota", "2TiB"}); err == nil {
		t.Fatal("-quota over its Max accepted")
	}
}
