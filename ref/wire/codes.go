package wire

//go:generate go tool stringer -type=Op,Status -linecomment -output=codes_string.go

// Version is the protocol version the reference client and server write.
const Version uint8 = 1

// Op is a request's operation code (SPEC §2).
type Op uint8

const (
	OpBackup  Op = 100 // BACKUP
	OpRestore Op = 200 // RESTORE
	OpDelete  Op = 201 // DELETE
	OpList    Op = 202 // LIST
)

// Status is a response's status code (SPEC §3), in the canonical mapping. Its names are the
// ones every tool of the toolkit prints: 212 means backup-ok or delete-ok, as the op asked
// (Name).
type Status uint16

const (
	StatusRestored    Status = 210  // restore-ok
	StatusListed      Status = 211  // list-ok
	StatusOK          Status = 212  // backup-ok/delete-ok
	StatusNotExist    Status = 1001 // not-found
	StatusNoFiles     Status = 1002 // no-files
	StatusServerError Status = 1003 // server-error
)

// Name is the status's name in an answer to op: 212 is backup-ok to a BACKUP and delete-ok to
// a DELETE; every other status has its one name (String).
func (s Status) Name(op Op) string {
	if s == StatusOK {
		switch op {
		case OpBackup:
			return "backup-ok"
		case OpDelete:
			return "delete-ok"
		}
	}
	return s.String()
}

// Fields says which of the optional fields a message carries after its fixed prefix.
// A message with a payload always carries the size field before it.
type Fields uint8

const (
	// HasName: name_len and filename.
	HasName Fields = 1 << iota
	// HasPayload: size and payload.
	HasPayload
)

// Has reports whether every field of want is in f.
func (f Fields) Has(want Fields) bool { return f&want == want }

// Fields gives the fields a request with this op carries, following the table of SPEC §2.
// ok is false for an op the spec does not define: its layout is unknown.
func (o Op) Fields() (f Fields, ok bool) {
	switch o {
	case OpBackup:
		return HasName | HasPayload, true
	case OpRestore, OpDelete:
		return HasName, true
	case OpList:
		return 0, true
	}
	return 0, false
}

// Known reports whether the spec defines o.
func (o Op) Known() bool { _, ok := o.Fields(); return ok }

// Fields gives the fields a response with this status carries, following the table of SPEC §3.
// ok is false for a status the spec does not define.
func (s Status) Fields() (f Fields, ok bool) {
	switch s {
	case StatusRestored, StatusListed:
		return HasName | HasPayload, true
	case StatusOK, StatusNotExist:
		return HasName, true
	case StatusNoFiles, StatusServerError:
		return 0, true
	}
	return 0, false
}

// Known reports whether the spec defines s.
func (s Status) Known() bool { _, ok := s.Fields(); return ok }

// Ops lists every op the spec defines, in numeric order.
var Ops = []Op{OpBackup, OpRestore, OpDelete, OpList}

// Statuses lists every status the spec defines, in numeric order.
var Statuses = []Status{StatusRestored, StatusListed, StatusOK, StatusNotExist, StatusNoFiles, StatusServerError}
