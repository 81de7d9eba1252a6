// Package mutants is a zoo of deliberately faulty FBP servers. Each one is a small, correct,
// in-memory server (the canonical mapping of SPEC §1–5) with a set of faults switched on: most
// mutants switch on exactly one, so that the conformance runner can prove that each of its cases
// fails when it should, and passes the variations the spec allows; a few combine several, as a
// real server that is wrong in several ways at once is, so that the runner can be shown to name
// each root cause of such a server.
//
// Every fault is a test of the fault's name (s.has) at the point where the server deviates from
// the correct path; there is only one server. Where two faults switched on together touch the
// same step, the code says which one wins.
package mutants

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

// Mutant describes one server of the zoo.
type Mutant struct {
	Name string // stable ID, lower-case-with-dashes
	Desc string // what the fault changes, and the exchange that exposes it
	// Allowed marks a behaviour the spec permits: conformance must pass it on every MUST case.
	Allowed bool
	// Faults names the faults the mutant switches on, each the Name of the mutant that
	// switches on that fault alone: the mutant's own Name for a single fault, several names
	// for a combination, none for the fault-free "none".
	Faults []string
}

// fault is the Name of the mutant that switches it on alone.
type fault string

const (
	faultNone                     fault = "none"
	faultMissingFile1003          fault = "missing-file-1003"
	faultOKTrailingSize           fault = "ok-trailing-size"
	faultNoFilesExtraFields       fault = "no-files-extra-fields"
	faultStatusBigEndian          fault = "status-big-endian"
	faultVersionZero              fault = "version-zero"
	faultListShowsListing         fault = "list-shows-listing"
	faultListStaleAfterDelete     fault = "list-stale-after-delete"
	faultOverwriteAppends         fault = "overwrite-appends"
	faultTraversalWrite           fault = "traversal-write"
	faultTraversalRead            fault = "traversal-read"
	faultTraversalDelete          fault = "traversal-delete"
	faultListHangs                fault = "list-hangs"
	faultSplitHeaderCloses        fault = "split-header-closes"
	faultTruncatesOver1MiB        fault = "truncates-over-1mib"
	faultDiesOnUnknownOp          fault = "dies-on-unknown-op"
	faultDeadlockAfterTrunc       fault = "deadlock-after-truncated"
	faultLateAnswer               fault = "late-answer"
	faultListNameFixed            fault = "list-name-fixed"
	faultListName31               fault = "list-name-31"
	faultDeleteIgnored            fault = "delete-ignored"
	faultSeed003                  fault = "seed-003-status-map"
	faultNoFilesAsEmptyList       fault = "no-files-as-empty-list"
	faultRestoreSizeOverstated    fault = "restore-size-overstated"
	faultRestoreEmpty1001         fault = "restore-empty-1001"
	faultBackupEmptyRejected      fault = "backup-empty-rejected"
	faultOKWrongName              fault = "ok-wrong-name"
	faultRestoreWrongName         fault = "restore-wrong-name"
	faultListOtherUsers           fault = "list-other-users"
	faultListCommaJoined          fault = "list-comma-joined"
	faultListCRLF                 fault = "list-crlf"
	faultListNoFinalNewline       fault = "list-no-final-newline"
	faultListShowsTempFile        fault = "list-shows-temp-file"
	faultPartialUploadStored      fault = "partial-upload-stored"
	faultOversizeNotRejected      fault = "oversize-not-rejected"
	faultUnknownOp1001            fault = "unknown-op-1001"
	faultUnknownOpCloses          fault = "unknown-op-closes"
	faultUnsafeNameAccepted       fault = "unsafe-name-accepted"
	faultName255Rejected          fault = "name-255-rejected"
	faultDeleteMissingOK          fault = "delete-missing-ok"
	faultNoReadDeadline           fault = "no-read-deadline"
	faultTornOverwrite            fault = "torn-overwrite"
	faultVersionRejected          fault = "version-not-1-rejected"
	faultCloseAfterEach           fault = "close-after-each-response"
	faultListTrailingNUL          fault = "list-trailing-nul"
	faultContentStopsAtNUL        fault = "content-stops-at-nul"
	faultContentTextMode          fault = "content-text-mode"
	faultTruncatesAt64KiB         fault = "truncates-at-64kib"
	faultNameOneCharRejected      fault = "name-one-char-rejected"
	faultNameSpacesTrimmed        fault = "name-spaces-trimmed"
	faultNameDotsStripped         fault = "name-leading-dots-stripped"
	faultListRepeatsOverwritten   fault = "list-repeats-overwritten"
	faultSharedNamespace          fault = "shared-namespace"
	faultRestoreDotListsFolder    fault = "restore-dot-lists-folder"
	faultDeleteDotRemovesFolder   fault = "delete-dot-removes-folder"
	faultDiesOnReset              fault = "dies-on-reset"
	faultAllocatesStatedSize      fault = "allocates-stated-size"
	faultNameLenSigned            fault = "name-len-signed"
	faultDiesOnTruncatedHeader    fault = "dies-on-truncated-header"
	faultStaleNameBuffer          fault = "truncated-name-stale-buffer"
	faultEmptyFileBeforePayload   fault = "empty-file-before-payload"
	faultPayloadWithHeaderDropped fault = "payload-with-header-dropped"
	faultDiesOnConnectClose       fault = "dies-on-connect-close"
	faultLengthPrefixed           fault = "length-prefixed-responses"
	faultFrames1024               fault = "frames-1024"
	faultSizeBeforeName           fault = "size-before-name"
	faultSilent                   fault = "silent"
	faultHTTP                     fault = "http"
	faultDrip                     fault = "drip"
	faultListNameEmpty            fault = "list-name-empty"
	faultMissingUser1002          fault = "missing-user-1002"
	faultNotFoundNameMissing      fault = "not-found-name-missing"
	faultRefusedPayloadUnread     fault = "refused-payload-unread"
	faultServesOneAtATime         fault = "serves-one-at-a-time"
	faultShortReadCloses          fault = "short-read-closes"
	faultNotFoundNameStalls       fault = "not-found-name-stalls"
	faultOKNameMissing            fault = "ok-name-missing"
	faultFixedHeader              fault = "fixed-header-responses"
	faultListQuotedPaths          fault = "list-quoted-paths"
	faultSecondPerRequest         fault = "second-per-request"
	faultBadNameCloses            fault = "bad-name-closes"
	faultNameLenEveryOp           fault = "name-len-every-op"
)

// Combinations: servers wrong in several ways at once, as a student's server is.
const (
	realListNameLen   = "real-list-name-len"
	realSplitPayload  = "real-split-payload"
	realFraming       = "real-framing"
	realFramingSerial = "real-framing-serial"
	realOneRead       = "real-one-read"
	realCutUnchecked  = "real-cut-unchecked-names"
	realSeed003       = "real-seed-003"
	realQuotedPaths   = "real-quoted-paths"
	realOneReadCut    = "real-one-read-cut"
	realSlowSerial    = "real-slow-serial"
	realLaxStatuses   = "real-lax-statuses"
	realEightByte     = "real-eight-byte-header"
)

// zoo is every mutant, "none" first. The order is the listing order only: a mutant is known by
// its Name.
var zoo = ownFaults([]Mutant{
	{Name: string(faultNone), Desc: "no fault: the canonical server every other mutant deviates from"},
	{Name: string(faultMissingFile1003), Desc: "RESTORE or DELETE of a missing file answers 1003 (3 bytes) instead of 1001 with the filename (R-4.2, R-4.3)"},
	{Name: string(faultOKTrailingSize), Desc: "every 212 carries a trailing 4-byte size field (0) after the filename (SPEC §3 layout)"},
	{Name: string(faultNoFilesExtraFields), Desc: "1002 carries name_len 0 and size 0 after the status: 9 bytes instead of 3 (SPEC §3 layout)"},
	{Name: string(faultStatusBigEndian), Desc: "the status field is written big-endian (R-1.1)"},
	{Name: string(faultVersionZero), Desc: "every response carries version 0 instead of 1 (SPEC §3)"},
	{Name: string(faultListShowsListing), Desc: "LIST stores its listing under its random name in the user's files, so later LISTs (and RESTORE of that name) show it (R-4.4)"},
	{Name: string(faultListStaleAfterDelete), Desc: "LIST answers from a per-user cache that BACKUP clears but DELETE does not: a deleted file stays listed, an emptied user gets 211 instead of 1002 (R-4.4)"},
	{Name: string(faultOverwriteAppends), Desc: "BACKUP of an existing name appends to the old content instead of replacing it (R-4.1)"},
	{Name: string(faultTraversalWrite), Desc: "BACKUP resolves the filename as a path from the user's folder: \"../<B>/canary\" is answered 212 and lands in user B's files (R-5.1, R-4.5)"},
	{Name: string(faultTraversalRead), Desc: "RESTORE resolves the filename as a path from the user's folder: \"../<B>/x\" answers 210 with user B's file (R-5.1, R-4.5)"},
	{Name: string(faultTraversalDelete), Desc: "DELETE resolves the filename as a path from the user's folder: \"../<B>/x\" answers 212 and removes user B's file (R-5.1, R-4.5)"},
	{Name: string(faultListHangs), Desc: "after the 6-byte LIST it waits for 2 more bytes (as if a name_len followed); with none it never answers and closes at its read deadline (R-2.1)"},
	{Name: string(faultSplitHeaderCloses), Desc: "closes the connection without an answer when a request's header arrives in more than one read (TCP is a stream, R-1.1)"},
	{Name: string(faultTruncatesOver1MiB), Desc: "stores only the first 1 MiB of a larger file, answers 212 all the same; RESTORE gives back 1 MiB (R-4.1, R-4.2)"},
	{Name: string(faultDiesOnUnknownOp), Desc: "an unknown op kills the whole server: no answer, listener and every connection closed; mutantserver exits with status 2 (R-5.2, R-5.3)"},
	{Name: string(faultDeadlockAfterTrunc), Desc: "BACKUP takes the global store lock before reading the payload and never releases it when the upload is truncated: every later request on any connection hangs (R-5.3)"},
	{Name: string(faultLateAnswer), Desc: "waits Options.AnswerDelay (default LateAnswerDelay, 3 s) before every response, longer than a runner's timeout"},
	{Name: string(faultListNameFixed), Desc: "LIST always answers the same 32-character name instead of a fresh random one (R-4.4)"},
	{Name: string(faultListName31), Desc: "LIST names are 31 random characters instead of 32 (SPEC §3)"},
	{Name: string(faultDeleteIgnored), Desc: "DELETE answers 212 but keeps the file: RESTORE still gives it back, LIST still shows it (R-4.3)"},
	{Name: string(faultSeed003), Desc: "speaks seed 003's status map: 210 backup ok, 211 delete ok (name only), 212 restore/list ok (name, size, payload), 1003 + name for a missing file on RESTORE, 1002 (3 bytes) for DELETE of a missing file, 1001 (3 bytes) for a generic error; an empty LIST is 212 with an empty payload (SPEC §3: a deviation to report)"},
	{Name: string(faultNoFilesAsEmptyList), Desc: "LIST for a user with no files answers 211 with a random name and an empty payload instead of 1002 (R-4.4)"},
	{Name: string(faultRestoreSizeOverstated), Desc: "RESTORE's 210 states a size 16 bytes larger than the payload it sends, then closes the connection (R-4.2)"},
	{Name: string(faultRestoreEmpty1001), Desc: "RESTORE of a stored zero-length file answers 1001 instead of 210 with size 0 (R-4.2)"},
	{Name: string(faultBackupEmptyRejected), Desc: "BACKUP of a zero-length file answers 1003 and stores nothing (R-4.1, a SHOULD)"},
	{Name: string(faultOKWrongName), Desc: "212 names a different file: the request's name with \"~\" appended (R-4.1, R-4.3)"},
	{Name: string(faultRestoreWrongName), Desc: "210 names the server-side path \"/<user_id>/<name>\" instead of the requested name (R-4.2; a client must not use it, R-5.6)"},
	{Name: string(faultListOtherUsers), Desc: "LIST shows the files of every user, not just the requester's (R-4.4, R-4.5)"},
	{Name: string(faultListCommaJoined), Desc: "LIST joins the names with \",\" on a single line instead of one per line (R-4.4)"},
	{Name: string(faultListCRLF), Allowed: true, Desc: "allowed variation (R-4.4: a reader accepts \\r\\n): LIST ends each line with \"\\r\\n\""},
	{Name: string(faultListNoFinalNewline), Allowed: true, Desc: "allowed variation (R-4.4: a reader accepts a missing final newline): the listing's last line has no \"\\n\""},
	{Name: string(faultListShowsTempFile), Desc: "BACKUP leaves a temporary \"<name>.part\" behind in the user's files: LIST shows it, RESTORE gives it back (R-4.4)"},
	{Name: string(faultPartialUploadStored), Desc: "a truncated BACKUP stores the bytes received so far: later visible in LIST and RESTORE (R-5.3)"},
	{Name: string(faultOversizeNotRejected), Desc: "a size over the limit is not refused with 1003: the server reads (and drops) the whole payload and answers 212 (R-5.4)"},
	{Name: string(faultUnknownOp1001), Desc: "an unknown op answers 1001 with an empty filename instead of 1003 (R-5.2)"},
	{Name: string(faultUnknownOpCloses), Desc: "an unknown op closes the connection without an answer instead of 1003 (R-5.2)"},
	{Name: string(faultUnsafeNameAccepted), Desc: "BACKUP skips the filename check: \"a/b\", \"..\", \"\" and names with control characters are stored as files and answered 212 (R-5.1)"},
	{Name: string(faultName255Rejected), Desc: "the filename limit is off by one: a 255-character name is refused (BACKUP 1003) (R-5.1, the reference limit is 255)"},
	{Name: string(faultDeleteMissingOK), Desc: "DELETE of a missing file answers 212 instead of 1001 (R-4.3)"},
	{Name: string(faultNoReadDeadline), Desc: "no read deadline: a peer that stalls mid-request holds its connection open forever (R-5.3)"},
	{Name: string(faultTornOverwrite), Desc: "BACKUP over an existing file writes the new content in place in 4 KiB chunks, releasing the lock between them: a concurrent RESTORE sees a mix of old and new (R-4.1)"},
	{Name: string(faultVersionRejected), Allowed: true, Desc: "allowed variation (R-5.2: an unsupported version may be answered 1003): every request whose version is not 1 answers 1003"},
	{Name: string(faultCloseAfterEach), Allowed: true, Desc: "allowed variation (R-1.3: a server may close after each response): keeps no session, closes the connection after every response"},
	{Name: string(faultListTrailingNUL), Desc: "211 is followed by a NUL byte: the listing is written as a C string, terminator included, while its size field counts only the text (SPEC §3 layout)"},
	{Name: string(faultContentStopsAtNUL), Desc: "BACKUP keeps the payload as a C string: only the bytes before its first NUL are stored, answered 212 all the same (R-4.1, R-4.2)"},
	{Name: string(faultContentTextMode), Desc: "BACKUP stores the payload in text mode: every \"\\r\\n\" becomes \"\\n\", answered 212 all the same (R-4.1, R-4.2)"},
	{Name: string(faultTruncatesAt64KiB), Desc: "stores only the first 64 KiB of a larger file (one fixed receive buffer; the rest is read and dropped), answers 212 all the same (R-4.1, R-4.2)"},
	{Name: string(faultNameOneCharRejected), Desc: "the empty-name check is off by one: a 1-character name is refused (BACKUP 1003, RESTORE and DELETE 1001) (R-1.2, R-4.1)"},
	{Name: string(faultNameSpacesTrimmed), Desc: "filenames are stored with leading and trailing spaces trimmed: \" a \" is answered 212 as sent but stored, listed and found as \"a\"; a name of spaces only is refused as empty (R-1.2, R-4.1, R-4.4)"},
	{Name: string(faultNameDotsStripped), Desc: "filenames are \"sanitized\" by stripping leading dots: \".hidden\" is stored and listed as \"hidden\", a name of dots only is refused as empty (1003) (R-1.2, R-4.1, R-4.4)"},
	{Name: string(faultListRepeatsOverwritten), Desc: "LIST reads a per-user index to which every BACKUP appends its name, even one that replaces a file: an overwritten file is listed once per backup (R-4.4)"},
	{Name: string(faultSharedNamespace), Desc: "every user's files live in one folder keyed by name only (user_id ignored): user B's backup of a name replaces user A's file, and every user restores, deletes and lists everyone's files (R-4.5)"},
	{Name: string(faultRestoreDotListsFolder), Desc: "RESTORE's filename check forgets the empty name and the dot names, which resolve to folders (\"\" and \".\" the user's, \"..\" the store's root): each is read as a directory, 210 with a listing of its entries (R-5.1, R-4.5)"},
	{Name: string(faultDeleteDotRemovesFolder), Desc: "DELETE's filename check forgets the empty name and the dot names, and DELETE removes the joined path recursively: \"\" and \".\" remove the user's whole folder, \"..\" the whole store, each answered 212 (R-5.1, R-4.5)"},
	{Name: string(faultDiesOnReset), Desc: "a connection reset by the peer while the server waits for a request kills the whole server (the read error of a reset is not caught; a clean close is): listener and every connection closed; mutantserver exits with status 2 (R-5.3)"},
	{Name: string(faultAllocatesStatedSize), Desc: "BACKUP sets aside a buffer of the stated size before checking the limit or reading the payload; a size over what the process can allocate (modelled as 1 GiB) kills the whole server; mutantserver exits with status 2 (R-5.4, R-5.3)"},
	{Name: string(faultNameLenSigned), Desc: "name_len is read as a signed 16-bit number: from 32768 on it is negative, and allocating the name's buffer kills the whole server; mutantserver exits with status 2 (R-5.4, R-5.3)"},
	{Name: string(faultDiesOnTruncatedHeader), Desc: "a request header cut short by the peer's close (a short read anywhere in the header) kills the whole server; mutantserver exits with status 2 (R-5.3)"},
	{Name: string(faultStaleNameBuffer), Desc: "the filename is read into one buffer shared by all connections, and that read's error is not checked: a RESTORE or DELETE whose name is cut short by the peer's close goes ahead with name_len bytes of the buffer, whose tail still holds an earlier request's name, so a cut DELETE of \"cut.b…\" deletes \"cut.bin\" (R-5.3)"},
	{Name: string(faultEmptyFileBeforePayload), Desc: "BACKUP creates the file, empty, once the header is read and fills it when the whole payload is in: an upload cut anywhere in its payload (even before its first byte) leaves an empty file, and replaces an older version with it (R-5.3, R-5.5)"},
	{Name: string(faultPayloadWithHeaderDropped), Desc: "reads each request's header with one read of up to 64 KiB (more only if the header is not whole) and drops whatever else that read returned, then reads the payload from the socket: a BACKUP sent in one write loses the payload bytes that came with its header and waits for them until its read deadline, unanswered; one whose payload comes after the server has read the header works; requests sent back to back are lost the same way (TCP is a stream, R-1.1; R-4.1)"},
	{Name: string(faultDiesOnConnectClose), Desc: "closes each connection after its response (as R-1.3 allows), and a connection that ends before a whole request came (a bare connect and close, such as a port probe, or a cut header) kills the whole server; mutantserver exits with status 2 (R-5.3)"},
	{Name: string(faultLengthPrefixed), Desc: "every response is preceded by its length as an 8-byte little-endian integer, and after it the server waits for a 1-byte acknowledgement from the client (up to its read deadline) before it reads the next request or closes: a client that sends its next request instead loses that request's first byte as the acknowledgement (SPEC §3 layout, R-3.1)"},
	{Name: string(faultFrames1024), Desc: "reads every request as a fixed 1024-byte frame and answers only once 1024 bytes have come: the request at the frame's start, the rest ignored as padding; a request longer than the frame is cut at 1024 and answered 1003, its rest read as the next frames; a 6-byte LIST alone is never answered, padded with zeros to 1024 it is (R-2.1, R-1.1)"},
	{Name: string(faultSizeBeforeName), Desc: "responses that carry a size (210, 211) send it right after the status, before name_len and the filename (SPEC §3 layout, R-3.1)"},
	{Name: string(faultSilent), Desc: "accepts connections and reads what they send but never answers: each connection is held until the peer closes it or the server's read deadline passes (R-4.1 to R-4.4, R-5.2: every answer is owed)"},
	{Name: string(faultHTTP), Desc: "speaks HTTP: once a connection sends its first bytes (or closes), whatever they are, it answers \"HTTP/1.1 400 Bad Request\" with a text body and closes (R-1.1, SPEC §3)"},
	{Name: string(faultDrip), Desc: "sends every response one byte at a time, waiting Options.DripInterval (default 1 s) between bytes: each response is correct but takes seconds to arrive (a runner's timeout is what it breaks)"},
	{Name: string(faultListNameEmpty), Desc: "211 carries an empty listing name (name_len 0) instead of 32 random characters (R-4.4, SPEC §3)"},
	{Name: string(faultMissingUser1002), Desc: "RESTORE or DELETE by a user who has no files at all answers 1002 (3 bytes) instead of 1001 with the filename; a user with files still gets 1001 for a missing one (R-4.2, R-4.3)"},
	{Name: string(faultNotFoundNameMissing), Desc: "1001 carries name_len but not the filename's bytes, then the server closes the connection: a client waits for a name that never comes (SPEC §3 layout, R-3.1)"},
	{Name: string(faultRefusedPayloadUnread), Desc: "a BACKUP refused for its filename (R-5.1) is answered 1003 without its payload being read, and the connection is kept: the payload's bytes are read as the next request, so a payload that holds a request is served (request smuggling; SPEC §2 and §5 clarifications)"},
	{Name: string(faultServesOneAtATime), Desc: "serves at most Options.MaxConcurrent connections at once (default 1), each holding its slot until it closes: the others are accepted but not read until a slot frees, so one idle client stalls every other (R-1.3: every request stands alone)"},
	{Name: string(faultShortReadCloses), Desc: "takes what one read returns for a request's whole header: when the first read holds less, the connection is closed at once without an answer (TCP is a stream, R-1.1)"},
	{Name: string(faultNotFoundNameStalls), Desc: "1001 carries name_len but not the filename's bytes, and the server keeps the connection open, waiting for the next request: a client waits for a name that never comes (SPEC §3 layout, R-3.1)"},
	{Name: string(faultOKNameMissing), Desc: "212 carries name_len but not the filename's bytes, then the server closes the connection: a client waits for a name that never comes (SPEC §3 layout, R-3.1)"},
	{Name: string(faultFixedHeader), Desc: "every response, whatever its status, is laid out version, status, name_len, size, filename, payload: the size comes between name_len and the filename, and a status without a filename or a payload sends name_len 0 or size 0 (SPEC §3 layout, R-3.1)"},
	{Name: string(faultListQuotedPaths), Desc: "LIST's payload is each file's path on the server's disk in double quotes, one after the other with no separator: \"/srv/fbp/<user>/a\"\"/srv/fbp/<user>/b\" (R-4.4)"},
	{Name: string(faultSecondPerRequest), Desc: "takes a second over every request before it answers it, as a server that sleeps in its loop does: slow, not dead (every answer is right)"},
	{Name: string(faultBadNameCloses), Desc: "checks no name, and fails on opening or removing one it cannot use (empty, a dot name, a separator, NUL, control characters, over the limit), as a server whose open raises does: the connection is closed without an answer, a BACKUP's payload left unread, so the peer sees a reset (R-5.1: 1003 is owed)"},
	{Name: string(faultNameLenEveryOp), Desc: "reads an 8-byte header for every op, as if a name_len followed each: a 6-byte LIST, and a 6-byte request of an op it does not know, wait for 2 more bytes; with them, LIST is answered and the unknown op 1003 (R-2.1, R-5.2)"},
	{Name: realListNameLen, Faults: names(faultListHangs, faultOKTrailingSize, faultMissingUser1002, faultDiesOnConnectClose),
		Desc: "a real server that reads LIST's header as 8 bytes: combines list-hangs, ok-trailing-size, missing-user-1002 and dies-on-connect-close; a client that gives up on its unanswered LIST and closes cuts what the server takes for a header, which kills it"},
	{Name: realSplitPayload, Faults: names(faultPayloadWithHeaderDropped, faultMissingFile1003, faultTraversalWrite, faultPartialUploadStored),
		Desc: "a real server that reads a header with one read and drops the payload bytes that came with it: combines payload-with-header-dropped, missing-file-1003, traversal-write and partial-upload-stored; a BACKUP whose payload comes after its header is stored (a traversal name in another user's folder), and one whose payload never comes whole is stored as far as it came"},
	{Name: realOneRead, Faults: names(faultServesOneAtATime, faultShortReadCloses, faultPayloadWithHeaderDropped, faultListHangs, faultMissingFile1003),
		Desc: "a real single-threaded server that takes one read for a request's header: combines serves-one-at-a-time, short-read-closes, payload-with-header-dropped, list-hangs and missing-file-1003; a client that sends a few bytes is dropped at once, one that connects and sends nothing holds the server, and of two BACKUPs at once the second's payload comes with its header and is dropped"},
	{Name: realCutUnchecked, Faults: names(faultOKNameMissing, faultNotFoundNameMissing, faultUnsafeNameAccepted, faultTraversalWrite, faultTraversalRead, faultTraversalDelete),
		Desc: "a real server that writes a response's name_len and closes before its filename, and joins names into paths unchecked: combines ok-name-missing, not-found-name-missing, unsafe-name-accepted, traversal-write, traversal-read and traversal-delete; every 212 and 1001 is cut short after its status, and a name such as \"../<B>/x\" is answered 212 (cut) and reaches user B's folder"},
	{Name: realSeed003, Faults: names(faultSeed003, faultBackupEmptyRejected, faultFixedHeader, faultListHangs),
		Desc: "seed 003's own server, as its write-up describes it: combines seed-003-status-map, backup-empty-rejected (its write-up answers an empty file 1001), fixed-header-responses and list-hangs; its status map is the seed's, every response carries name_len, size and filename in that order, and it reads a name_len for every op, LIST included"},
	{Name: realQuotedPaths, Faults: names(faultListQuotedPaths, faultDiesOnConnectClose, faultDiesOnReset, faultUnsafeNameAccepted, faultTraversalWrite, faultTraversalRead, faultTraversalDelete),
		Desc: "a real server that lists quoted paths, dies on any early close and joins names unchecked: combines list-quoted-paths, dies-on-connect-close (a bare connect and close or a cut header), dies-on-reset, unsafe-name-accepted, traversal-write, traversal-read and traversal-delete; it closes each connection after its response"},
	{Name: realOneReadCut, Faults: names(faultPayloadWithHeaderDropped, faultOKNameMissing, faultNotFoundNameMissing,
		faultUnsafeNameAccepted, faultTraversalWrite, faultTraversalRead, faultTraversalDelete),
		Desc: "a real server that reads a request's header and what came with it in one read, cuts its 212 and 1001 after name_len and joins names unchecked: combines payload-with-header-dropped, ok-name-missing, not-found-name-missing, unsafe-name-accepted, traversal-write, traversal-read and traversal-delete"},
	{Name: realSlowSerial, Faults: names(faultServesOneAtATime, faultSecondPerRequest, faultListHangs, faultOKTrailingSize, faultDiesOnUnknownOp),
		Desc: "a real single-threaded server that sleeps a second per request: combines serves-one-at-a-time, second-per-request, list-hangs, ok-trailing-size and dies-on-unknown-op; it reads 8 bytes for LIST, puts a size after every 212's name and dies on an op it does not know"},
	{Name: realLaxStatuses, Faults: names(faultDeleteMissingOK, faultListNameEmpty, faultRefusedPayloadUnread),
		Desc: "a real server lax about its answers: combines delete-missing-ok, list-name-empty and refused-payload-unread; DELETE of a missing file is answered 212, a listing has no name, and a BACKUP refused for its name leaves its payload to be read as requests"},
	{Name: realEightByte, Faults: names(faultNameLenEveryOp, faultShortReadCloses, faultMissingFile1003, faultBadNameCloses, faultListShowsListing, faultPartialUploadStored),
		Desc: "a real threaded server that takes one read of 8 bytes for every request's header and joins names into paths unchecked: combines name-len-every-op, short-read-closes, missing-file-1003, bad-name-closes, list-shows-listing and partial-upload-stored; a 6-byte LIST or unknown op is dropped, a name its open refuses drops the connection, its listing file shows in later lists, and an upload is written in place and kept when cut"},
	{Name: realFraming, Faults: names(faultLengthPrefixed, faultStatusBigEndian),
		Desc: "a real server with a framing of its own: combines length-prefixed-responses and status-big-endian; behind the 8-byte length of each response, its status is big-endian"},
	{Name: realFramingSerial, Faults: names(faultLengthPrefixed, faultServesOneAtATime, faultMissingFile1003),
		Desc: "a real single-threaded server with a framing of its own: combines length-prefixed-responses, serves-one-at-a-time and missing-file-1003; it waits for the acknowledgement of each response before it serves anyone else, and answers a missing file 1003"},
})

// names gives the names of the single-fault mutants that switch on faults.
func names(faults ...fault) []string {
	out := make([]string, len(faults))
	for i, f := range faults {
		out[i] = string(f)
	}
	return out
}

// ownFaults gives every mutant that names no faults its own: a mutant of one fault is named
// after it.
func ownFaults(ms []Mutant) []Mutant {
	for i, m := range ms {
		if m.Faults == nil && m.Name != string(faultNone) {
			ms[i].Faults = []string{m.Name}
		}
	}
	return ms
}

// All returns every mutant, "none" (the fault-free server) first.
func All() []Mutant {
	all := append([]Mutant(nil), zoo...)
	for i := range all {
		all[i].Faults = slices.Clone(all[i].Faults)
	}
	return all
}

// ErrUnknownMutant: New or Start was given a name that is not in All.
var ErrUnknownMutant = errors.New("unknown mutant")

// ErrServerClosed is what Serve returns after Close.
var ErrServerClosed = errors.New("server closed")

// ErrDied is what Serve returns when the server killed itself (the faults that crash it:
// dies-on-unknown-op, dies-on-reset, allocates-stated-size, name-len-signed,
// dies-on-truncated-header, dies-on-connect-close).
var ErrDied = errors.New("server died")

const (
	// DefaultReadTimeout bounds each read and write on a connection.
	DefaultReadTimeout = 10 * time.Second
	// DefaultMaxFileSize is the largest BACKUP accepted: above 1 MiB, so that the
	// truncates-over-1mib fault is visible, and small enough for an in-memory store.
	DefaultMaxFileSize = 8 << 20
)

const (
	// DefaultDripInterval is how long drip waits between the bytes of a response.
	DefaultDripInterval = time.Second
	// DefaultMaxConcurrent is how many connections serves-one-at-a-time serves at once.
	DefaultMaxConcurrent = 1
)

// LateAnswerDelay is how long the late-answer mutant waits before each response when its
// Options leave AnswerDelay zero. New reads it once; to change it for one server, use Options.
var LateAnswerDelay = 3 * time.Second

// Options tune a mutant. A zero field takes its default.
type Options struct {
	// AnswerDelay is how long late-answer waits before every response (LateAnswerDelay).
	AnswerDelay time.Duration
	// ReadTimeout bounds each read and write on a connection (DefaultReadTimeout).
	ReadTimeout time.Duration
	// MaxFileSize is the largest BACKUP size accepted (DefaultMaxFileSize).
	MaxFileSize uint32
	// DripInterval is how long drip waits between the bytes of a response
	// (DefaultDripInterval).
	DripInterval time.Duration
	// MaxConcurrent is how many connections serves-one-at-a-time serves at once
	// (DefaultMaxConcurrent).
	MaxConcurrent int
	// OnHeader, if set, is called each time the server has read a request's header, before it
	// reads the payload or answers: an event a test can wait for, to act only once the server
	// has got there (payload-with-header-dropped tells a payload that came with its header
	// from one that came after). It runs on the connection's goroutine and must not block.
	OnHeader func()
}

func (o Options) withDefaults() Options {
	if o.AnswerDelay <= 0 {
		o.AnswerDelay = LateAnswerDelay
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = DefaultReadTimeout
	}
	if o.MaxFileSize == 0 {
		o.MaxFileSize = DefaultMaxFileSize
	}
	if o.DripInterval <= 0 {
		o.DripInterval = DefaultDripInterval
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = DefaultMaxConcurrent
	}
	return o
}

// lookup returns the faults a name switches on: a mutant's Name, or several separated by
// commas, which switch on every fault of each.
func lookup(name string) (map[fault]bool, error) {
	faults := map[fault]bool{}
	for part := range strings.SplitSeq(name, ",") {
		i := slices.IndexFunc(zoo, func(m Mutant) bool { return m.Name == part })
		if i < 0 {
			return nil, fmt.Errorf("%w %q", ErrUnknownMutant, part)
		}
		for _, f := range zoo[i].Faults {
			faults[fault(f)] = true
		}
	}
	return faults, nil
}

// Start runs the named mutant with default options on 127.0.0.1:0. stop closes its listener
// and every connection and returns once the server has stopped. The name may list several
// mutants separated by commas (as New takes it).
func Start(name string) (addr string, stop func(), err error) {
	return StartWithOptions(name, Options{})
}

// StartWithOptions is Start with options.
func StartWithOptions(name string, o Options) (addr string, stop func(), err error) {
	s, err := NewWithOptions(name, o)
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("start %s: %w", name, err)
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		// Serve's error says only why it stopped; stop is how the caller learns that.
		_ = s.Serve(ln)
	}()
	stop = func() {
		_ = s.Close()
		<-served
	}
	return ln.Addr().String(), stop, nil
}

// StartTB runs the named mutant with options o on 127.0.0.1:0 until the test ends, and returns
// its address: the helper every tester's tests start a faulty server with.
func StartTB(t testing.TB, name string, o Options) string {
	t.Helper()
	addr, stop, err := StartWithOptions(name, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return addr
}
