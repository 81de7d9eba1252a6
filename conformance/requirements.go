package conformance

// requirements holds the sentence of every requirement of SPEC.md a case may cite, so that a
// failure shows the rule it breaks without the reader opening the spec.
var requirements = map[string]string{
	"R-1.1": "FBP runs over TCP. All numeric fields are unsigned and little-endian.",
	"R-1.2": "Filenames are ASCII, not NUL-terminated; their length is given by name_len.",
	"R-1.3": "A server MUST serve one request per connection; it MAY serve further requests on the same connection, and MAY close after each response.",
	"R-2.1": "A LIST request is exactly 6 bytes. A server MUST answer it without waiting for more bytes.",
	"R-3.1": "A response carries version and status, then exactly the fields its status carries: 210 and 211 all fields; 212 and 1001 name_len and filename; 1002 and 1003 nothing more (3 bytes in all).",
	"R-4.1": "BACKUP stores the payload as <root>/<user_id>/<filename>, creating the user's folder; a backup of an existing name replaces it. Success: 212 with the filename. A zero-length file is a valid backup (SHOULD).",
	"R-4.2": "RESTORE of a stored file: 210 with the filename, size and exact content. Of a missing file: 1001 with the filename.",
	"R-4.3": "DELETE of a stored file removes it: 212 with the filename. Of a missing file: 1001 with the filename.",
	"R-4.4": "LIST: the server answers 211 with a fresh random 32-character name and a listing of exactly the user's stored files, one name per line: no listing files of its own, no temporary files, nothing of another user. A user with no files gets 1002.",
	"R-4.5": "Users are isolated: no request of user A can read, list, change or delete anything of user B.",
	"R-5.1": "A filename that is empty, holds /, \\, NUL or a control character, is . or .., or is longer than the server's limit MUST NOT touch the filesystem outside the user's folder. BACKUP answers 1003; RESTORE and DELETE answer 1001 or 1003.",
	"R-5.2": "Unknown op: 1003. A request whose version the server does not support: 1003 or served (informational).",
	"R-5.3": "A truncated request: no response is owed; the server MUST NOT store a partial file, MUST NOT crash, and MUST keep serving other connections.",
	"R-5.4": "A size larger than the server accepts: 1003 before reading the payload, then close. A server MUST NOT allocate memory in proportion to a size or name_len it has not yet received.",
	"R-5.5": "Any failure to store answers 1003 and leaves the previous version of the file intact.",
}

// Requirement returns the sentence of requirement id, or "" if the table does not hold it.
func Requirement(id string) string { return requirements[id] }
