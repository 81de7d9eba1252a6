package mutants

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/fbpkit/fbp/ref/wire"
)

const (
	// truncateAt is where truncates-over-1mib cuts a file.
	truncateAt = 1 << 20
	// recvBufferSize is truncates-at-64kib's one receive buffer.
	recvBufferSize = 64 << 10
	// allocLimit is the largest buffer allocates-stated-size can get: a bound on the model,
	// which allocates nothing of the kind.
	allocLimit = 1 << 30
	// tornChunk and tornPause pace torn-overwrite's in-place write: a 64 KiB overwrite stays
	// half-done for several milliseconds, long enough for a concurrent RESTORE to land in it.
	tornChunk = 4 << 10
	tornPause = time.Millisecond
	// listNameLen is the length of a LIST response's random name (SPEC §3).
	listNameLen = 32
	// fixedListName is what list-name-fixed answers every time: well-formed, never fresh.
	fixedListName = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	// storePath is where list-quoted-paths says its files are.
	storePath    = "/srv/fbp/"
	listAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// nameOK applies to a request's filename, as the fault in force bends it.
func (s *Server) nameOK(op wire.Op, name []byte) bool {
	limit := wire.DefaultMaxName
	if s.has(faultName255Rejected) {
		// Fault: off by one, the reference limit of 255 becomes 254.
		limit = wire.DefaultMaxName - 1
	}
	switch {
	case s.has(faultUnsafeNameAccepted) && op == wire.OpBackup:
		// Fault: no check at all.
		return true
	case s.traverses(op):
		// Fault: the name is taken as a path (see locate); only its length is checked.
		return len(name) <= limit
	case s.has(faultNameOneCharRejected) && len(name) == 1:
		// Fault: the empty-name check reads len(name) <= 1.
		return false
	case s.namesFolder(op, name):
		// Fault: the check forgets the empty name and the dot names, which name folders.
		return true
	}
	return wire.CheckName(s.sanitize(name), limit) == nil
}

// sanitize is what the name-mangling faults make of a filename before it is checked and
// stored; the correct server uses the name as it is.
func (s *Server) sanitize(name []byte) []byte {
	if s.has(faultNameSpacesTrimmed) {
		// Fault: spaces at either end are taken for noise.
		name = bytes.Trim(name, " ")
	}
	if s.has(faultNameDotsStripped) {
		// Fault: leading dots are stripped, to keep names from hiding or climbing.
		name = bytes.TrimLeft(name, ".")
	}
	return name
}

// namesFolder reports whether the fault in force lets op's name through as a folder: "" and
// "." (the user's folder) and ".." (the store's root).
func (s *Server) namesFolder(op wire.Op, name []byte) bool {
	if !(s.has(faultRestoreDotListsFolder) && op == wire.OpRestore) &&
		!(s.has(faultDeleteDotRemovesFolder) && op == wire.OpDelete) {
		return false
	}
	n := string(name)
	return n == "" || n == "." || n == ".."
}

// folderNamed is the folder a name let through by namesFolder resolves to, joined to user's
// folder as a file system would.
func (s *Server) folderNamed(user uint32, name []byte) string {
	if string(name) == ".." {
		return ""
	}
	return s.folderOf(user)
}

// traverses reports whether the fault in force resolves op's filename as a path.
func (s *Server) traverses(op wire.Op) bool {
	return s.has(faultTraversalWrite) && op == wire.OpBackup ||
		s.has(faultTraversalRead) && op == wire.OpRestore ||
		s.has(faultTraversalDelete) && op == wire.OpDelete
}

// locate gives the folder and file a request's name refers to. The correct server uses the
// name as it is, inside the user's folder; a traversal fault resolves it as a path relative to
// that folder, as a file system would, so "../<B>/x" reaches user B's folder.
func (s *Server) locate(op wire.Op, user uint32, name []byte) (folder, file string) {
	folder = s.folderOf(user)
	if !s.traverses(op) {
		return folder, string(s.sanitize(name))
	}
	rest := strings.TrimPrefix(path.Clean("/"+folder+"/"+string(name)), "/")
	if f, n, ok := strings.Cut(rest, "/"); ok {
		return f, n
	}
	return "", rest
}

// files returns folder's files, creating the folder if create is set. Call with the lock held.
func (s *Server) files(folder string, create bool) map[string][]byte {
	files := s.folders[folder]
	if files == nil && create {
		files = map[string][]byte{}
		s.folders[folder] = files
	}
	return files
}

// put stores data as folder/file. Call with the lock held.
func (s *Server) put(folder, file string, data []byte) {
	files := s.files(folder, true)
	if old, ok := files[file]; ok && s.has(faultOverwriteAppends) {
		// Fault: the old content stays in front of the new.
		data = append(slices.Clip(old), data...)
	}
	files[file] = data
	if s.has(faultListRepeatsOverwritten) {
		// Fault: the name goes into the index whether or not it is there already.
		s.listIndex[folder] = append(s.listIndex[folder], file)
	}
	if s.has(faultListShowsTempFile) {
		// Fault: the upload's temporary file is never removed.
		files[file+".part"] = data
	}
	// A cached listing is out of date once a file is added; list-stale-after-delete forgets
	// that a DELETE makes it so too.
	delete(s.listCache, folder)
}

func (c *conn) backup(h *wire.RequestHeader) bool {
	s := c.s
	name := bytes.Clone(h.Name)
	if s.has(faultAllocatesStatedSize) {
		// Fault: a buffer of the stated size is set aside before the limit is checked and
		// before a byte of the payload has come (R-5.4 forbids it). Over what the process can
		// get, the allocation fails and takes it down.
		if h.Size > allocLimit {
			s.die()
			return false
		}
		if h.Size > s.opt.MaxFileSize {
			// The limit check, too late but still there: 1003, then close.
			_ = c.send(reply{op: wire.OpBackup, status: wire.StatusServerError})
			return false
		}
	}
	if h.Size > s.opt.MaxFileSize {
		// Only oversize-not-rejected gets here (its decoder has no limit). Fault: it reads
		// what it should have refused before reading, drops it, and says 212.
		if _, err := io.Copy(io.Discard, c.r.Payload()); err != nil {
			return false
		}
		return c.ok(wire.OpBackup, name)
	}
	if s.has(faultBadNameCloses) && !s.nameOK(wire.OpBackup, name) {
		// Fault: the open fails and its error ends the connection, the payload unread.
		return false
	}
	if s.has(faultRefusedPayloadUnread) && !s.nameOK(wire.OpBackup, name) {
		// Fault: the refusal goes out before the payload is read, and the stream is not moved
		// past the payload: a fresh decoder takes its first byte for the next request's.
		c.r = wire.NewReader(c.src, c.lim)
		return c.send(reply{op: wire.OpBackup, status: wire.StatusServerError}) == nil
	}
	held := false
	if s.has(faultDeadlockAfterTrunc) {
		// Fault: the store lock is taken for the whole upload...
		if !s.lock() {
			return false
		}
		held = true
	}
	if s.has(faultEmptyFileBeforePayload) && s.nameOK(wire.OpBackup, name) {
		// Fault: the file is created (or truncated) before the payload comes, and nothing
		// removes it if the payload never does.
		folder, file := s.locate(wire.OpBackup, h.UserID, name)
		if !s.lock() {
			return false
		}
		s.put(folder, file, nil)
		s.unlock()
	}
	var data bytes.Buffer
	// The decoder has checked the size against the limit: the buffer grows only as bytes
	// arrive, up to MaxFileSize.
	if _, err := io.Copy(&data, c.r.Payload()); err != nil {
		// ...and, on a truncated upload, never released (the deadlock fault's bug).
		if c.frame != nil {
			// Fault frames-1024: the payload runs past the frame; the request is taken for a
			// bad one.
			return c.send(reply{op: wire.OpBackup, status: wire.StatusServerError}) == nil
		}
		if s.has(faultPartialUploadStored) && data.Len() > 0 {
			// Fault: what arrived before the cut is kept (R-5.3 forbids it).
			folder, file := s.locate(wire.OpBackup, h.UserID, name)
			if s.lock() {
				s.put(folder, file, data.Bytes())
				s.unlock()
			}
		}
		// a truncated request owes no response and stores nothing.
		return false
	}
	if held {
		s.unlock()
	}
	if !s.nameOK(wire.OpBackup, name) {
		// a bad name on BACKUP is 1003.
		return c.send(reply{op: wire.OpBackup, status: wire.StatusServerError}) == nil
	}
	content := data.Bytes()
	if len(content) == 0 && s.has(faultBackupEmptyRejected) {
		// Fault: an empty file is refused (R-4.1 says it SHOULD be stored).
		return c.send(reply{op: wire.OpBackup, status: wire.StatusServerError}) == nil
	}
	if s.has(faultTruncatesOver1MiB) && len(content) > truncateAt {
		// Fault: only the first MiB is kept.
		content = content[:truncateAt]
	}
	if s.has(faultTruncatesAt64KiB) && len(content) > recvBufferSize {
		// Fault: what fits the one receive buffer is kept; the rest was read and dropped.
		content = content[:recvBufferSize]
	}
	if s.has(faultContentStopsAtNUL) {
		// Fault: the content is copied as a C string, up to its first NUL.
		if i := bytes.IndexByte(content, 0); i >= 0 {
			content = content[:i]
		}
	}
	if s.has(faultContentTextMode) {
		// Fault: the file is written in text mode, which folds line ends.
		content = bytes.ReplaceAll(content, []byte("\r\n"), []byte("\n"))
	}
	folder, file := s.locate(wire.OpBackup, h.UserID, name)
	if s.has(faultTornOverwrite) {
		if !c.tornPut(folder, file, content) {
			return false
		}
		return c.ok(wire.OpBackup, name)
	}
	if !s.lock() {
		return false
	}
	s.put(folder, file, content)
	s.unlock()
	return c.ok(wire.OpBackup, name)
}

// tornPut is torn-overwrite's store. Fault: an existing file is overwritten in place, one
// chunk at a time, with the lock released between chunks, so a RESTORE in between reads part
// old, part new content. (Each chunk is copied under the lock: the tearing is in the
// protocol's view, not a data race in the process.)
func (c *conn) tornPut(folder, file string, content []byte) bool {
	s := c.s
	if !s.lock() {
		return false
	}
	files := s.files(folder, true)
	old, exists := files[file]
	if !exists {
		s.put(folder, file, content)
		s.unlock()
		return true
	}
	if len(old) != len(content) {
		resized := make([]byte, len(content))
		copy(resized, old)
		files[file] = resized
	}
	s.unlock()
	for off := 0; off < len(content); off += tornChunk {
		end := min(off+tornChunk, len(content))
		if !s.lock() {
			return false
		}
		cur := s.files(folder, true)[file]
		if len(cur) != len(content) {
			// Replaced or deleted meanwhile: this write lost.
			s.unlock()
			return true
		}
		copy(cur[off:end], content[off:end])
		s.unlock()
		if !s.pause(tornPause) {
			return false
		}
	}
	return true
}

// ok answers 212 for a BACKUP or DELETE of name.
func (c *conn) ok(op wire.Op, name []byte) bool {
	if c.s.has(faultOKWrongName) {
		// Fault: the answer names another file.
		name = append(slices.Clip(name), '~')
	}
	return c.send(reply{op: op, status: wire.StatusOK, name: name}) == nil
}

// refuseName answers 1001 to a RESTORE or DELETE whose name refuses, as the fault in
// force bends it: such a name cannot name a stored file (1003 would do too). refused says it
// answered, ok that the connection goes on.
func (c *conn) refuseName(op wire.Op, name []byte) (refused, ok bool) {
	if c.s.nameOK(op, name) {
		return false, true
	}
	if c.s.has(faultBadNameCloses) {
		// Fault: the open or remove fails and its error ends the connection.
		return true, false
	}
	return true, c.send(reply{op: op, status: wire.StatusNotExist, name: name}) == nil
}

// notExist answers a RESTORE or DELETE by user of a file that is not there.
func (c *conn) notExist(op wire.Op, user uint32, name []byte) bool {
	if c.s.has(faultMissingUser1002) {
		if !c.s.lock() {
			return false
		}
		noFiles := len(c.s.files(c.s.folderOf(user), false)) == 0
		c.s.unlock()
		if noFiles {
			// Fault: a user without a folder gets LIST's "no files" (1002), not the name.
			return c.send(reply{op: op, status: wire.StatusNoFiles}) == nil
		}
	}
	switch {
	case c.s.has(faultMissingFile1003):
		// Fault: the generic error instead of "does not exist".
		return c.send(reply{op: op, status: wire.StatusServerError}) == nil
	case c.s.has(faultDeleteMissingOK) && op == wire.OpDelete:
		// Fault: success for a file that was never there.
		return c.ok(op, name)
	}
	return c.send(reply{op: op, status: wire.StatusNotExist, name: name}) == nil
}

func (c *conn) restore(h *wire.RequestHeader) bool {
	s := c.s
	name := bytes.Clone(h.Name)
	if refused, ok := c.refuseName(wire.OpRestore, name); refused {
		return ok
	}
	if s.namesFolder(wire.OpRestore, name) {
		// Fault: the folder is read as a file, as a directory read gives its entries.
		if !s.lock() {
			return false
		}
		entries := s.entries(s.folderNamed(h.UserID, name))
		s.unlock()
		return c.send(reply{op: wire.OpRestore, status: wire.StatusRestored, name: name, payload: entries}) == nil
	}
	folder, file := s.locate(wire.OpRestore, h.UserID, name)
	if !s.lock() {
		return false
	}
	data, found := s.files(folder, false)[file]
	// A copy: torn-overwrite changes stored content in place.
	data = bytes.Clone(data)
	s.unlock()
	if !found {
		return c.notExist(wire.OpRestore, h.UserID, name)
	}
	if len(data) == 0 && s.has(faultRestoreEmpty1001) {
		// Fault: an empty file is taken for a missing one.
		return c.notExist(wire.OpRestore, h.UserID, name)
	}
	answerName := name
	if s.has(faultRestoreWrongName) {
		// Fault: the server's own path leaks into the answer.
		answerName = []byte("/" + folder + "/" + file)
	}
	if c.send(reply{op: wire.OpRestore, status: wire.StatusRestored, name: answerName, payload: data}) != nil {
		return false
	}
	// restore-size-overstated has left the peer waiting for bytes that never come: the stream
	// cannot carry another message.
	return !s.has(faultRestoreSizeOverstated)
}

func (c *conn) delete(h *wire.RequestHeader) bool {
	s := c.s
	name := bytes.Clone(h.Name)
	if refused, ok := c.refuseName(wire.OpDelete, name); refused {
		return ok
	}
	if s.namesFolder(wire.OpDelete, name) {
		// Fault: the joined path is removed recursively: the folder and all it holds, and
		// from the root, every user's folder.
		if !s.lock() {
			return false
		}
		if folder := s.folderNamed(h.UserID, name); folder == "" {
			clear(s.folders)
		} else {
			delete(s.folders, folder)
		}
		s.unlock()
		return c.ok(wire.OpDelete, name)
	}
	folder, file := s.locate(wire.OpDelete, h.UserID, name)
	if !s.lock() {
		return false
	}
	files := s.files(folder, false)
	_, found := files[file]
	if found && !s.has(faultDeleteIgnored) { // Fault delete-ignored: the file stays.
		delete(files, file)
		s.listIndex[folder] = slices.DeleteFunc(s.listIndex[folder], func(n string) bool { return n == file })
		if len(files) == 0 {
			delete(s.folders, folder)
		}
	}
	s.unlock()
	if !found {
		return c.notExist(wire.OpDelete, h.UserID, name)
	}
	return c.ok(wire.OpDelete, name)
}

func (c *conn) list(h *wire.RequestHeader) bool {
	s := c.s
	folder := s.folderOf(h.UserID)
	name := s.listName()
	if !s.lock() {
		return false
	}
	var names []string
	for f, files := range s.folders {
		if f != folder && !s.has(faultListOtherUsers) { // Fault list-other-users: every folder.
			continue
		}
		for n := range files {
			names = append(names, n)
		}
	}
	if s.has(faultListRepeatsOverwritten) {
		// The index, with each name as often as it was backed up (see put).
		names = slices.Clone(s.listIndex[folder])
	}
	slices.Sort(names)
	listing := s.listing(names)
	if s.has(faultListQuotedPaths) {
		// Fault: each entry is the file's path on the server's disk in double quotes, with
		// nothing between entries, as a listing built with a path's quoted form is.
		listing = nil
		for _, n := range names {
			listing = fmt.Appendf(listing, "%q", storePath+folder+"/"+n)
		}
	}
	if s.has(faultListStaleAfterDelete) {
		// Fault: the first listing is kept until a BACKUP, whatever DELETE does.
		if cached, ok := s.listCache[folder]; ok {
			listing = cached
		} else if len(listing) > 0 {
			s.listCache[folder] = listing
		}
	}
	if s.has(faultListShowsListing) && len(listing) > 0 {
		// Fault: the listing file is written among the user's files and left there.
		s.files(folder, true)[string(name)] = listing
	}
	s.unlock()
	if len(listing) == 0 && !s.has(faultNoFilesAsEmptyList) { // Fault: an empty 211 instead.
		// a user with no files gets 1002.
		return c.send(reply{op: wire.OpList, status: wire.StatusNoFiles, name: name}) == nil
	}
	return c.send(reply{op: wire.OpList, status: wire.StatusListed, name: name, payload: listing}) == nil
}

// entries lists folder's entries, one per line, as a directory read gives them: the names of
// a user's files, or from the store's root (""), the users' folders. Call with the lock held.
func (s *Server) entries(folder string) []byte {
	var names []string
	if folder == "" {
		for f := range s.folders {
			if f != "" {
				names = append(names, f)
			}
		}
	} else {
		for n := range s.folders[folder] {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var b []byte
	for _, n := range names {
		b = append(append(b, n...), '\n')
	}
	return b
}

// listing is the text of a LIST: one name per line, each ended by "\n".
func (s *Server) listing(names []string) []byte {
	var b []byte
	for i, n := range names {
		switch {
		case s.has(faultListCommaJoined):
			// Fault: one line, names separated by commas.
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, n...)
			if i == len(names)-1 {
				b = append(b, '\n')
			}
		case s.has(faultListCRLF):
			// Allowed: a reader accepts "\r\n".
			b = append(append(b, n...), '\r', '\n')
		case s.has(faultListNoFinalNewline) && i == len(names)-1:
			// Allowed: a reader accepts a missing final newline.
			b = append(b, n...)
		default:
			b = append(append(b, n...), '\n')
		}
	}
	return b
}

// listName is a LIST response's name: 32 characters [A-Za-z0-9] from crypto/rand (SPEC §3).
func (s *Server) listName() []byte {
	n := listNameLen
	switch {
	case s.has(faultListNameFixed):
		// Fault: never fresh.
		return []byte(fixedListName)
	case s.has(faultListName31):
		// Fault: one character short.
		n = listNameLen - 1
	case s.has(faultListNameEmpty):
		// Fault: no name at all.
		return []byte{}
	}
	out := make([]byte, 0, n)
	var buf [64]byte
	for len(out) < n {
		_, _ = rand.Read(buf[:]) // crypto/rand.Read never fails
		for _, b := range buf {
			// Rejection sampling keeps the 62 characters equally likely: 248 = 4 × 62.
			if b < 248 && len(out) < n {
				out = append(out, listAlphabet[int(b)%len(listAlphabet)])
			}
		}
	}
	return out
}
