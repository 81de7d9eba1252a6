package spec

import (
	"fmt"
	"slices"
	"strings"

	"github.com/fbpkit/fbp/ref/wire"
)

// Meaning is what a response says, independently of the code a server uses to say it.
type Meaning string

// The meanings of SPEC §3 and §4.
const (
	BackupOK  Meaning = "backup-ok"
	DeleteOK  Meaning = "delete-ok"
	RestoreOK Meaning = "restore-ok"
	ListOK    Meaning = "list-ok"
	// NotFound answers a RESTORE of a missing file.
	NotFound Meaning = "not-found"
	// DeleteNotFound answers a DELETE of a missing file: 1001 like NotFound in the canonical
	// mapping, a code of its own in others.
	DeleteNotFound Meaning = "delete-not-found"
	NoFiles        Meaning = "no-files"
	ServerError    Meaning = "server-error"
)

// meanings is the order in which a code's meanings are named.
var meanings = []Meaning{BackupOK, DeleteOK, RestoreOK, ListOK, NotFound, DeleteNotFound, NoFiles, ServerError}

// Dialect maps meanings to the status codes a server uses for them, and codes to the fields
// they carry. Canonical is SPEC §3; any other dialect is a deviation a run reports, and may
// still test the rest of the protocol under.
type Dialect struct {
	Name string
	// Codes gives, for each meaning, the codes that carry it; the first is the one a server of
	// this dialect is documented to send.
	Codes map[Meaning][]uint16
	// Layouts gives the fields each code carries after version and status.
	Layouts map[uint16]wire.Fields
	// EmptyListing: a user with no files gets a list-ok with an empty listing, not a code of
	// its own.
	EmptyListing bool
	// Deviates lists the requirements this mapping breaks.
	Deviates []ID
	// Format is how the dialect's documentation lays a response's fields out on the wire: a
	// run reads by it unless the diagnosis saw the server lay them out otherwise.
	Format Format
}

// Format is the order a server writes the fields of a response in, after version and status.
// Which fields a status carries is its layout in the dialect (Dialect.Layouts); Format says
// where they go, and what more a status carries that its layout does not.
type Format uint8

const (
	// FormatSpec is SPEC §3: name_len, filename, size, payload, each status only the fields of
	// its layout.
	FormatSpec Format = iota
	// FormatSizeFirst writes the size of a status that carries a payload right after the
	// status, before name_len and the filename.
	FormatSizeFirst
	// FormatFixedHeader writes one 9-byte header for every status: version, status, name_len,
	// size, then the filename and the payload; a status without a filename or a payload states
	// name_len 0 or size 0.
	FormatFixedHeader
)

// Formats lists every format a reader knows, SPEC §3's first.
var Formats = []Format{FormatSpec, FormatSizeFirst, FormatFixedHeader}

func (f Format) String() string {
	switch f {
	case FormatSizeFirst:
		return "version, status, size, name_len, filename, payload"
	case FormatFixedHeader:
		return "version, status, name_len, size, filename, payload, on every status"
	}
	return "version, status, name_len, filename, size, payload"
}

// Moves reports whether f lays out a status whose layout is fields otherwise than SPEC §3.
func (f Format) Moves(fields wire.Fields) bool {
	switch f {
	case FormatSizeFirst:
		return fields.Has(wire.HasPayload)
	case FormatFixedHeader:
		return true
	}
	return false
}

const nameAndPayload = wire.HasName | wire.HasPayload

// Canonical is the mapping of SPEC §3.
var Canonical = &Dialect{
	Name: "canonical",
	Codes: map[Meaning][]uint16{
		BackupOK:       {uint16(wire.StatusOK)},
		DeleteOK:       {uint16(wire.StatusOK)},
		RestoreOK:      {uint16(wire.StatusRestored)},
		ListOK:         {uint16(wire.StatusListed)},
		NotFound:       {uint16(wire.StatusNotExist)},
		DeleteNotFound: {uint16(wire.StatusNotExist)},
		NoFiles:        {uint16(wire.StatusNoFiles)},
		ServerError:    {uint16(wire.StatusServerError)},
	},
	Layouts: map[uint16]wire.Fields{210: nameAndPayload, 211: nameAndPayload, 212: wire.HasName, 1001: wire.HasName, 1002: 0, 1003: 0},
}

// Seed003 is the wire format of seed 003: its reshuffled mapping (210 backup, 211 delete, 212
// restore and list, 1001 empty file or general error, 1002 delete failed, 1003 not found) and
// its fixed response header (version, status, name_len, size, then the filename and payload,
// on every status). Its client prints an empty list for a user with no files: the server
// answers 212 with an empty listing.
var Seed003 = &Dialect{
	Name: "seed003",
	Codes: map[Meaning][]uint16{
		BackupOK:       {210},
		DeleteOK:       {211},
		RestoreOK:      {212},
		ListOK:         {212},
		NotFound:       {1003},
		DeleteNotFound: {1002},
		ServerError:    {1001, 1002},
	},
	Layouts:      map[uint16]wire.Fields{210: wire.HasName, 211: wire.HasName, 212: nameAndPayload, 1001: 0, 1002: 0, 1003: wire.HasName},
	EmptyListing: true,
	Deviates:     []ID{R4_1, R4_2, R4_3, R4_4},
	Format:       FormatFixedHeader,
}

// Dialects lists the dialects a run may be told to speak, besides "auto".
var Dialects = []*Dialect{Canonical, Seed003}

// DialectByName returns the dialect called name, or nil.
func DialectByName(name string) *Dialect {
	for _, d := range Dialects {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// DialectNames lists the names a -dialect flag takes, "auto" last: "canonical, seed003 or auto".
func DialectNames() string {
	var names []string
	for _, d := range Dialects {
		names = append(names, d.Name)
	}
	return strings.Join(names, ", ") + " or auto"
}

// Means reports whether code carries meaning m in d.
func (d *Dialect) Means(code uint16, m Meaning) bool { return slices.Contains(d.Codes[m], code) }

// MeaningsOf lists what code means in d, in a fixed order.
func (d *Dialect) MeaningsOf(code uint16) []Meaning {
	var out []Meaning
	for _, m := range meanings {
		if d.Means(code, m) {
			out = append(out, m)
		}
	}
	return out
}

// Layout is the field layout of a response with status code. ok is false for a code the
// dialect does not define.
func (d *Dialect) Layout(code uint16) (f wire.Fields, ok bool) {
	f, ok = d.Layouts[code]
	return f, ok
}

// Code is the code d documents for m, 0 if none.
func (d *Dialect) Code(m Meaning) uint16 {
	if c := d.Codes[m]; len(c) > 0 {
		return c[0]
	}
	return 0
}

// CodesOf lists the codes that carry any of ms, sorted, each once.
func (d *Dialect) CodesOf(ms ...Meaning) []uint16 {
	var out []uint16
	for _, m := range ms {
		for _, c := range d.Codes[m] {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	slices.Sort(out)
	return out
}

// DescribeCodes says which codes carry any of ms, e.g. "1001 (not-found) or 1003 (server-error)".
func (d *Dialect) DescribeCodes(ms ...Meaning) string {
	var parts []string
	for _, m := range ms {
		for _, c := range d.Codes[m] {
			parts = append(parts, fmt.Sprintf("%d (%s)", c, m))
		}
		if m == NoFiles && d.EmptyListing {
			parts = append(parts, fmt.Sprintf("%d (list-ok) with an empty listing", d.Code(ListOK)))
		}
	}
	return strings.Join(parts, " or ")
}

// DescribeCode names code and its meanings in d.
func (d *Dialect) DescribeCode(code uint16) string {
	ms := d.MeaningsOf(code)
	if len(ms) == 0 {
		return fmt.Sprintf("%d (undefined)", code)
	}
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = string(m)
	}
	return fmt.Sprintf("%d (%s)", code, strings.Join(names, "/"))
}

// Fingerprint is the codes a server answered a backup, a restore, a restore of a missing file
// and a list with.
type Fingerprint struct {
	Backup, Restore, Missing, List uint16
}

// CanonicalFingerprint is what a server of the canonical mapping answers.
var CanonicalFingerprint = Fingerprint{Backup: 212, Restore: 210, Missing: 1001, List: 211}

func (f Fingerprint) String() string {
	return fmt.Sprintf("backup→%d restore→%d missing→%d list→%d", f.Backup, f.Restore, f.Missing, f.List)
}

// Match returns the known dialect whose documented codes give f, or nil.
func (f Fingerprint) Match() *Dialect {
	for _, d := range Dialects {
		if d.Code(BackupOK) == f.Backup && d.Code(RestoreOK) == f.Restore &&
			d.Code(NotFound) == f.Missing && d.Code(ListOK) == f.List {
			return d
		}
	}
	return nil
}
