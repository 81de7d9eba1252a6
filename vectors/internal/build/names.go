package build

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"github.com/fbpkit/fbp/vectors/schema"
)

// A name's reason class is the first rule it breaks, in this order: empty, too_long, dot, then
// the first byte that is a separator, NUL, control character or non-ASCII. The order is
// wire.CheckName's; the spec only says which names are forbidden.

type nameCase struct {
	slug, name, reason, comment string
}

func nameFileContent() *schema.NameFile {
	f := &schema.NameFile{Schema: Schema, Kind: "filename", ReasonClasses: reasonClasses,
		Header: append(header("filenames"), "A refused name's reason is the first rule it breaks, checked in this order: "+
			"empty, too_long, dot, then the first byte that is a separator, nul, control or non_ascii.")}

	var cases []nameCase
	add := func(slug, name, reason, comment string) {
		cases = append(cases, nameCase{slug, name, reason, comment})
	}
	add("mmn14.pdf", "mmn14.pdf", "", "the exercise's file")
	add("one-letter", "a", "", "the shortest name")
	add("with-space", "with space", "", "spaces are printable ASCII")
	add("single-space", " ", "", "a lone space is a name")
	add("three-dots", "...", "", "only . and .. are special")
	add("hidden", ".hidden", "", "a leading dot is allowed")
	add("inner-dots", "a..b", "", "\"..\" inside a name does not climb")
	add("trailing-dot", "a.", "", "a trailing dot is allowed")
	add("dash", "-rf", "", "a leading dash is a name like any other")
	add("reserved-on-windows", "CON", "", "the spec forbids no device names")
	add("printable-ascii", printableASCII(), "", "every printable ASCII character but '/' and '\\'")
	add("name-255", string(name255), "", "exactly the limit, 255 bytes")
	add("empty", "", "empty", "no byte at all")
	add("dot", ".", "dot", "the folder itself")
	add("dot-dot", "..", "dot", "the parent folder")
	add("parent-path", "../x", "separator", "climbs out through '/'")
	add("slash-inside", "a/b", "separator", "a sub-folder")
	add("absolute", "/etc/passwd", "separator", "an absolute path")
	add("backslash-inside", `a\b`, "separator", "a Windows separator")
	add("backslash-parent", `..\x`, "separator", "climbs out through '\\'")
	add("dot-slash", "./", "separator", "not \".\": the separator is what is refused")
	add("nul-inside", "a\x00b", "nul", "NUL would cut the name for a C library")
	add("nul-alone", "\x00", "nul", "a lone NUL")
	add("nul-before-slash", "a\x00/", "nul", "the first bad byte decides: NUL at byte 1")
	add("slash-before-nul", "/\x00", "separator", "the first bad byte decides: '/' at byte 0")
	add("newline", "a\nb", "control", "a newline would break a LIST listing")
	add("tab", "\t", "control", "a control character")
	add("delete", "\x7f", "control", "0x7f is a control character")
	add("utf-8", "caf\xc3\xa9", "non_ascii", "UTF-8 is not ASCII (R-1.2)")
	add("latin-1", "caf\xe9", "non_ascii", "Latin-1 is not ASCII (R-1.2)")
	add("name-256", string(bytes.Repeat([]byte("n"), 256)), "too_long", "one byte over the limit")
	add("name-256-with-slash", "/"+string(bytes.Repeat([]byte("n"), 255)), "too_long",
		"over the limit and holding '/': the length is checked first")
	add("dot-dot-slash-long", "../"+string(bytes.Repeat([]byte("n"), 253)), "too_long",
		"over the limit and climbing: the length is checked first")
	// Every byte value between two letters: the byte alone decides.
	for c := range 256 {
		add(fmt.Sprintf("byte-0x%02x", c), string([]byte{'x', byte(c), 'y'}), byteReason(byte(c)),
			fmt.Sprintf("byte 0x%02x between two letters", c))
	}

	small := []nameCase{
		{"name-16-at-small-limit", string(name16), "", "exactly the group's limit, 16 bytes"},
		{"name-17-over-small-limit", string(name17), "too_long", "one byte over the group's limit"},
		{"empty-small-limit", "", "empty", "empty whatever the limit"},
		{"slash-small-limit", "a/b", "separator", "a separator whatever the limit"},
	}

	f.Groups = []*schema.NameGroup{
		{Comment: "the reference limit, 255 bytes (R-5.1)", Limits: schema.NameLimits{MaxName: 255}, Vectors: nameVectors(cases)},
		{Comment: "a server with a 16-byte limit", Limits: schema.NameLimits{MaxName: 16}, Vectors: nameVectors(small)},
	}
	for _, g := range f.Groups {
		f.NumberOfVectors += len(g.Vectors)
	}
	return f
}

func nameVectors(cases []nameCase) []*schema.NameVector {
	var out []*schema.NameVector
	for _, c := range cases {
		v := &schema.NameVector{ID: "name/" + c.slug, Comment: c.comment, NameHex: hex.EncodeToString([]byte(c.name)), Reason: c.reason}
		v.Requirements = []string{"R-5.1"}
		if c.reason == "non_ascii" {
			v.Requirements = []string{"R-1.2", "R-5.1"}
		}
		v.Result = schema.ResultValid
		if c.reason != "" {
			v.Result = schema.ResultInvalid
		}
		out = append(out, v)
	}
	return out
}

// byteReason is the class of a name whose only unusual byte is c.
func byteReason(c byte) string {
	switch {
	case c == '/' || c == '\\':
		return "separator"
	case c == 0:
		return "nul"
	case c < 0x20 || c == 0x7f:
		return "control"
	case c > 0x7f:
		return "non_ascii"
	}
	return ""
}

func printableASCII() string {
	var b []byte
	for c := byte(0x20); c < 0x7f; c++ {
		if c != '/' && c != '\\' {
			b = append(b, c)
		}
	}
	return string(b)
}
