package diagnosis

import (
	"fmt"
	"strings"

	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/ref/wire"
)

// Problem keys: a finding of the diagnosis and a failure of a conformance case that come
// from one fault carry the same key, so that a report shows them as one problem. A key is the
// requirement broken and a few words that tell the fault apart from others of that rule.

// KeyNoAnswer is the key of a request of op left unanswered: ended is "timeout", "closed" or
// "reset".
// Ops the spec does not define share one key: the server treats them alike.
func KeyNoAnswer(op wire.Op, ended string) string {
	if !op.Known() {
		return fmt.Sprintf("%s|%s:%s", spec.R5_2, ended, UnknownOps)
	}
	return fmt.Sprintf("%s|%s:%v", spec.Request{Op: op}.Owed(), ended, op)
}

// UnknownOps names, in a KeyNoAnswer, the requests of ops the spec does not define.
const UnknownOps = "unknown-op"

// BadNames names, in a KeyUnanswered, the requests of a name has the server refuse,
// whatever their op: a server that fails on such a name fails on it for every op.
const BadNames = "bad-name"

// KeyUnanswered is the key of request q left unanswered, as KeyNoAnswer's: a bad name's is
// one key of for every op. A refused connection is the server down, whatever was asked.
func KeyUnanswered(q spec.Request, ended string) string {
	if q.Form == spec.BadName && ended != "refused" {
		return fmt.Sprintf("%s|%s:%s", q.Owed(), ended, BadNames)
	}
	return KeyNoAnswer(q.Op, ended)
}

// KeyPieces is the key of a request sent in pieces, a byte per write, left unanswered: the
// server takes what one read returns for a whole header (TCP is a stream, not messages).
func KeyPieces(ended string) string { return fmt.Sprintf("%s|pieces:%s", spec.R1_1, ended) }

// IsNoAnswerKey reports whether key is a request's missing answer (KeyNoAnswer, KeyPieces).
func IsNoAnswerKey(key string) bool {
	_, _, _, ok := ParseNoAnswerKey(key)
	return ok
}

// ParseNoAnswerKey reads a key of KeyNoAnswer (op: the op's name, or UnknownOps) or of
// KeyPieces (pieces true), and how the request ended: "timeout", "closed", "reset" or
// "refused".
func ParseNoAnswerKey(key string) (ended, op string, pieces, ok bool) {
	_, rest, _ := strings.Cut(key, "|")
	for _, ended := range []string{"timeout", "closed", "reset", "refused"} {
		if rest == "pieces:"+ended {
			return ended, "", true, true
		}
		if op, found := strings.CutPrefix(rest, ended+":"); found {
			return ended, op, false, true
		}
	}
	return "", "", false, false
}

// KeyStatus is the key of an answer with the wrong status: want are the codes owed, got the
// code that came. It names no rule: a missing file answered 1003 is one problem, whether
// RESTORE or DELETE asked.
func KeyStatus(want []uint16, got uint16) string {
	return fmt.Sprintf("status|want %v|got %d", want, got)
}

// KeyFingerprint is the key of a status mapping other than the spec's: when it differs in one
// code only, that is a wrong status of its own (KeyStatus), not a mapping.
func KeyFingerprint(fp spec.Fingerprint) string {
	c := spec.CanonicalFingerprint
	var diffs [][2]uint16
	for i, x := range []uint16{fp.Backup, fp.Restore, fp.Missing, fp.List} {
		if y := []uint16{c.Backup, c.Restore, c.Missing, c.List}[i]; x != y {
			diffs = append(diffs, [2]uint16{y, x})
		}
	}
	if len(diffs) == 1 {
		return KeyStatus([]uint16{diffs[0][0]}, diffs[0][1])
	}
	return KeyStatusMap
}

// KeyTrailing is the key of bytes after a response of status code.
func KeyTrailing(code uint16) string { return fmt.Sprintf("%s|trailing:%d", spec.R3_1, code) }

// KeyCut is the key of a response of status code that ended before its fields did.
func KeyCut(code uint16) string { return fmt.Sprintf("%s|cut:%d", spec.R3_1, code) }

// KeyCrash is the key of a server that dies on cause.
func KeyCrash(cause string) string { return fmt.Sprintf("%s|dies:%s", spec.R5_3, cause) }

// KeyStalledClients is the key of a server that clients stalling mid-request keep from serving
// others.
const KeyStalledClients = string(spec.R5_3) + "|stalled-clients"

// KeyStatusMap is the key of a status mapping other than the spec's.
const KeyStatusMap = string(spec.R4_1) + "|status-map"

// Keys of faults of the framing and layout the diagnosis finds.
var (
	// KeyByteOrder: the status written big-endian.
	KeyByteOrder = string(spec.R1_1) + "|byte-order"
	// KeyLengthPrefix: every response preceded by a length of the server's own.
	KeyLengthPrefix = string(spec.R3_1) + "|length-prefix"
	// KeyFieldOrder: a response's fields in an order of the server's own, its size before its
	// filename (spec.Format).
	KeyFieldOrder = string(spec.R3_1) + "|field-order"
	// KeySplitBackup: a BACKUP's payload dropped when it comes in one read with its header.
	KeySplitBackup = string(spec.R1_1) + "|split-backup"
	// KeySmuggling: a refused BACKUP's payload read as the next request.
	KeySmuggling = string(spec.R2_3) + "|smuggling"
)

// KeyCheck is the key of a violation the spec oracle reports.
func KeyCheck(v *spec.Violation) string { return fmt.Sprintf("%s|%s", v.Req, v.Check) }

// Crash causes: what a client did when the server died.
const (
	CauseConnectClose = "connect-and-close"
	CauseReset        = "reset"
	CauseTruncated    = "truncated-request"
)
