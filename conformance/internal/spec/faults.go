package spec

import (
	"regexp"
	"slices"
	"strings"
)

// Fault is a known way a server or client breaks the spec: what a report names its problem by.
// Its ID is what -baseline files list, so it never changes with a message's wording, a size or
// a name; a finding that shows no known fault is named by its requirement and check instead
// (CheckProblemID).
type Fault struct {
	ID  string
	Req ID
	// Summary says the fault in plain words, in a line.
	Summary string
	// Fix says where to look in the code.
	Fix string
	// Checks are the (requirement, check) pairs of the oracle's violations that show the fault
	// whatever else the run met: "R-7.5|differs".
	Checks []string
}

// faults is the one catalog of known faults, for servers and clients.
var faults = []Fault{
	// Servers.
	{ID: "serves-one-at-a-time", Req: R5_3,
		Summary: "the server serves one connection at a time: a client that connects and stalls keeps every other client waiting",
		Fix:     "serve each connection in a thread, a process or an event loop of its own; never read from one client in the loop that accepts the others"},
	{ID: "list-needs-name-len", Req: R2_1,
		Summary: "LIST is answered only when two more bytes follow it: the server reads a name_len for every op, LIST included",
		Fix:     "read the 6-byte header first, and name_len and the name only for BACKUP, RESTORE and DELETE"},
	{ID: "unsafe-names-accepted", Req: R5_1,
		Summary: "the server accepts names with / or .. and joins them to its folder unchecked: one user reaches another's files, or files outside the store",
		Fix:     "refuse, before any disk access, a name that is empty, holds / or \\, or is . or ..; answer 1003",
		Checks:  []string{string(R5_1) + "|" + CheckUnsafeNameServed}},
	{ID: "bad-name-unanswered", Req: R5_1,
		Summary: "a request with a name the server cannot use (empty, ., .., a / or a NUL in it, too long) gets no answer: the server fails on opening or removing it and drops the connection, where 1003 is owed",
		Fix:     "check every name before any disk access and answer 1003 to a bad one; catch the errors of open and remove and answer a status (1001 or 1003), never a close",
		Checks:  []string{string(R5_1) + "|" + CheckNoAnswer}},
	{ID: "valid-name-refused", Req: R4_1,
		Summary: "the server refuses a name the spec allows with 1003 (one character, 255 characters, spaces, dots such as \".hidden\" or \"...\"): its name check is too strict",
		Fix:     "refuse only what R-5.1 lists: an empty name, a / or \\, NUL or a control character in it, exactly . or .., or a length over your limit (255 at least); compare whole names with . and .., never look for \"..\" inside one",
		Checks:  []string{string(R4_1) + "|" + CheckValidNameRefused}},
	{ID: "server-file-listed", Req: R4_4,
		Summary: "LIST shows a file the user never stored: the server keeps a file of its own (its listing, a temporary file) in the user's folder, and lists the folder as it is",
		Fix:     "build the listing in memory, or write it and any temporary file outside the users' folders: a user's folder holds only what the user stored",
		Checks:  []string{string(R4_4) + "|" + CheckServerFileListed}},
	{ID: "partial-upload-kept", Req: R5_3,
		Summary: "an upload that has not arrived whole shows as the user's file, in LIST or RESTORE, while it arrives or after the client left: the server writes uploads straight into the user's file",
		Fix:     "write the upload to a temporary file outside the user's folder and rename it into place once the whole payload is in; remove it when the client leaves mid-payload",
		Checks:  []string{string(R5_3) + "|" + CheckPartialUploadKept}},
	{ID: "overwrite-keeps-old-tail", Req: R4_1,
		Summary: "a BACKUP of a shorter new version keeps the old version's tail after it: the server writes over the old file without truncating it",
		Fix:     "open the file with truncation (\"wb\", O_TRUNC), never \"r+b\"; better, write to a temporary file and rename it over the old one",
		Checks:  []string{string(R4_1) + "|" + CheckOldTailKept}},
	{ID: "cut-upload-destroys-old-version", Req: R5_5,
		Summary: "an upload cut short over an existing file destroys the old version: the server writes the new version over it (or removes it) before the whole payload is in",
		Fix:     "write the upload to a temporary file and rename it over the old one only once the whole payload is in; on a cut, remove the temporary file and leave the old version alone",
		Checks:  []string{string(R5_5) + "|" + CheckOldVersionLost}},
	{ID: "concurrent-uploads-mix", Req: R5_5,
		Summary: "two uploads of one file at once leave a mix of both, and a RESTORE meanwhile gets one: the server writes each upload straight into the user's file as it arrives",
		Fix:     "write each upload to a temporary file of its own and rename it over the user's file once whole: a rename replaces a file at once, so a reader sees one version or the other",
		Checks:  []string{string(R5_5) + "|" + CheckVersionsMixed}},
	{ID: "dies-on-early-close", Req: R5_3,
		Summary: "the server dies when a client closes or resets its connection before a request is whole",
		Fix:     "treat recv returning 0 or an error as the end of that client alone: close its socket and go on; ignore SIGPIPE"},
	{ID: "dies-on-unknown-op", Req: R5_3,
		Summary: "the server dies on a request of an op the spec does not define",
		Fix:     "answer 1003 to an op other than 1, 2, 3 and 4, and keep serving"},
	{ID: "listing-format", Req: R4_4,
		Summary: "the server's LIST payload is not the spec's format: names each ended by a newline, nothing else",
		Fix:     "write each name of the user's folder as it was stored, followed by \\n: no paths, quotes or separators of another kind"},
	{ID: "size-before-name", Req: R3_1,
		Summary: "a 210 or 211 carries its size before its name_len and filename; SPEC §3 has name_len, filename, size",
		Fix:     "write version, status, name_len, filename, then size and payload, in SPEC §3's order"},
	{ID: "missing-file-status", Req: R4_2,
		Summary: "the server answers a RESTORE or DELETE of a file the user does not have with another status than 1001",
		Fix:     "check that the file exists in the user's folder and answer 1001 with its name when it does not"},
	{ID: "reads-request-in-one-read", Req: R1_1,
		Summary: "the server takes what one read returns for a whole request: a request that arrives in pieces is misread or left unanswered, whatever it asks",
		Fix:     "read each field to its length in a loop (recv until the count is reached); TCP is a stream, not messages"},
	{ID: "listing-name", Req: R4_4,
		Summary: "a 211 does not carry a fresh listing name of 32 characters [A-Za-z0-9]: it is empty, of another length or of other characters",
		Fix:     "draw 32 random characters from A-Z, a-z and 0-9 for every LIST, and write name_len 32 and those characters before the size",
		Checks:  []string{string(R4_4) + "|" + CheckListingName}},
	// Clients: their summaries are ClientProblem's words for the check.
	{ID: "reads-response-in-one-read", Req: R7_5,
		Summary: "the client reads a response with one read: a response that arrives in pieces is misread, or its rest left unread",
		Fix:     "read each field to its length in a loop (recv until the count is reached); TCP is a stream, not messages",
		Checks:  []string{string(R7_5) + "|" + CheckDiffers, string(R7_5) + "|" + CheckUnread}},
	clientFault("gives-up-on-slow-responses", R7_12, CheckDiffers, "time out on idle time between bytes, not on the whole response"),
	clientFault("crashes-on-error-status", R7_10, CheckClientCrash, "handle 1001, 1002 and 1003 as answers: say what failed and exit non-zero"),
	clientFault("client-crash", R7_11, CheckClientCrash, "catch the socket's errors and timeouts and a cut or lying response: report them and exit non-zero"),
	clientFault("hangs-on-error-status", R7_10, CheckClientHang, "read a 1001 to its filename and a 1002 or 1003 to its 3 bytes, then go on"),
	clientFault("client-hang", R7_11, CheckClientHang, "set a timeout on every read and stop at a close"),
	clientFault("waits-for-close", R7_5, CheckWaited, "read each response by its fields' lengths and stop there"),
	clientFault("waits-after-error-status", R7_10, CheckWaited, "a 1002 or 1003 is 3 bytes and a 1001 ends after its filename: read that much, no more"),
	clientFault("client-op", R7_2, CheckClientOp, "send the op codes of §2 only: 100, 200, 201, 202"),
	clientFault("client-version", R7_2, CheckClientVersion, "send version 1 in every request"),
	clientFault("bytes-after", R7_1, CheckBytesAfter, "send each request's fields as §2 lays them out for its op, and nothing after them"),
	clientFault("request-cut", R7_1, CheckRequestCut, "send the whole request: loop on send until every byte is written"),
	clientFault("script-order", R7_4, CheckScriptOrder, "send the requests of §6's run in its order"),
	clientFault("user-changes", R7_3, CheckUserChanges, "choose the user id once per run and use it in every request"),
	clientFault("user-repeats", R7_3, CheckUserRepeats, "choose a random user id at every run"),
	clientFault("upload", R7_7, CheckUpload, "send the file's name, its size and its bytes as they are on disk"),
	clientFault("path-as-name", R7_7, CheckUploadPath, "send the file's base name (os.path.basename, std::filesystem::path::filename): its path stays on the client"),
	clientFault("restored-file", R7_8, CheckRestoredFile, "write tmp with exactly the payload's bytes, after the whole payload came"),
	clientFault("tmp-after-refusal", R7_10, CheckRestoredFile, "write tmp only when a RESTORE is answered 210"),
	clientFault("file-without-payload", R7_8, CheckFileNoPayload, "write tmp only once a whole payload came: write to a temporary name and rename"),
	clientFault("partial-file", R7_9, CheckPartialFile, "remove what was written of a payload that did not come whole"),
	clientFault("memory", R7_9, CheckMemory, "stream a payload to the file in chunks; never allocate the size the server states"),
	clientFault("stall", R7_12, CheckStall, "set a timeout on connect and on every read"),
	clientFault("lost-on-closed", R7_6, CheckResentOnClosed, "open a new connection when the server closed the last one, and send the request again"),
	clientFault("echoed-controls", R7_13, CheckEchoedControls, "print names from the server with their control bytes escaped"),
	clientFault("exit-0-on-failure", R7_14, CheckExitOnFailure, "exit non-zero when any request did not get the answer it needed"),
	clientFault("exit-on-success", R7_14, CheckExitOnSuccess, "exit 0 when every step of the run finished"),
}

// clientFault is a client's fault that a violation of req by check shows (and of also's
// pairs), in ClientProblem's words.
func clientFault(id string, req ID, check, fix string, also ...string) Fault {
	return Fault{ID: id, Req: req, Summary: ClientProblem(&Violation{Req: req, Check: check}), Fix: fix,
		Checks: append([]string{string(req) + "|" + check}, also...)}
}

// Faults lists the catalog.
func Faults() []Fault { return faults }

// FaultByID returns the fault of id.
func FaultByID(id string) (Fault, bool) {
	for _, f := range faults {
		if f.ID == id {
			return f, true
		}
	}
	return Fault{}, false
}

// FaultOf returns the fault a violation shows on its own, when the catalog knows one.
func FaultOf(v *Violation) (Fault, bool) {
	key := ProblemKey(v)
	for _, f := range faults {
		for _, c := range f.Checks {
			if c == key {
				return f, true
			}
		}
	}
	return Fault{}, false
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// CheckProblemID names a finding no known fault explains by its requirement and its check:
// "r-4-4-listing". Both are stable names, so the ID is too.
func CheckProblemID(req ID, check string) string {
	if req == "" {
		return Slug(check)
	}
	return Slug(string(req) + "-" + check)
}

// ProblemID names a violation's problem: its fault's ID when the catalog knows it, its
// requirement and check otherwise.
func ProblemID(v *Violation) string {
	if f, ok := FaultOf(v); ok {
		return f.ID
	}
	return CheckProblemID(v.Req, v.Check)
}

// Slug spells s as a problem ID: lower case letters and digits joined by hyphens.
func Slug(s string) string {
	return strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(s), "-"), "-")
}

// ListingFormat reports whether a listing that differs from the names held shows them in
// another format, not other names: every name held and not listed stands inside a listed
// entry (a path, quotes, a separator of its own around it). Such a listing is one fault
// however many lists meet it; a listing of other names is the case's own rule.
func ListingFormat(d ListingDiff) bool {
	if len(d.Missing) == 0 {
		return false
	}
	for _, n := range d.Missing {
		if !slices.ContainsFunc(d.Unexpected, func(u string) bool { return strings.Contains(u, n) }) {
			return false
		}
	}
	return true
}
