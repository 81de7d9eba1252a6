package model

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/internal/content"
	"github.com/fbpkit/fbp/ref/wire"
)

// namePool is where a run takes its filenames from, the first Config.Names of them. It holds
// short names (so that scripts read easily and names recur, which makes overwrites and
// deletes of stored files likely), one with spaces and dots, and one at the reference length
// limit of 255 bytes. Every one passes wire.CheckName.
var namePool = []string{
	"a",
	"b",
	"notes v1.2.final.txt",
	"long-" + strings.Repeat("0123456789", 25),
	"c",
	".profile",
}

// MaxNames is the largest Config.Names: the size of the name pool.
const MaxNames = 6

// MaxUsers is the largest Config.Users: scripts name users A to Z.
const MaxUsers = 26

// Step is one request of a sequence and, once it has run, what came back.
type Step struct {
	User    int             // which of the run's users: 0 is A, 1 is B; the ids are drawn per run
	Op      wire.Op         // BACKUP, RESTORE, DELETE or LIST
	Name    string          // the filename, for every op but LIST
	Content content.Content // BACKUP's payload

	// Filled in by a run, empty in a step that has not run.
	Got         string // the response, summarised: `212 "a"`, `210 "a" (5 bytes)`, `211 ["a" "b"]`
	Want        string // set on a failed step: what the model expected
	Requirement string // set on a failed step: the SPEC.md requirement the response breaks
}

// UserLabel is how scripts name the user with index i.
func UserLabel(i int) string {
	if i >= 0 && i < MaxUsers {
		return string(rune('A' + i))
	}
	return "#" + strconv.Itoa(i)
}

// Request describes the request alone, as a script line shows it before the arrow.
func (s Step) Request() string {
	b := fmt.Sprintf("user %s %v", UserLabel(s.User), s.Op)
	switch s.Op {
	case wire.OpList:
	case wire.OpBackup:
		b += fmt.Sprintf(" %s (%v)", spec.Quote(s.Name), s.Content)
	default:
		b += " " + spec.Quote(s.Name)
	}
	return b
}

func (s Step) String() string {
	line := s.Request()
	if s.Got != "" {
		line += " -> " + s.Got
	}
	if s.Want != "" {
		line += "   want " + s.Want
	}
	if s.Requirement != "" {
		line += "   [" + s.Requirement + "]"
	}
	return line
}

// FormatScript prints steps as a numbered script, one step a line.
func FormatScript(steps []Step) string {
	var b strings.Builder
	for i, s := range steps {
		fmt.Fprintf(&b, "%d. %v\n", i+1, s)
	}
	return b.String()
}
