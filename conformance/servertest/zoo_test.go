package servertest

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/killset"
	"github.com/fbpkit/fbp/conformance/internal/mutants"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/ref/server"
	"github.com/fbpkit/fbp/ref/server/servertest"
	"github.com/fbpkit/fbp/ref/wire"
)

// kill says which cases a mutant must fail: the proof that none of them is vacuous.
type kill struct {
	mutant string
	// fail lists cases whose own rule the fault breaks: each must fail.
	fail []string
	// pass lists cases about another rule that the fault must not drag down with it: a fault
	// is reported where its rule is checked, not once for every case that happens to meet it.
	pass []string
	// blocked lists cases the fault keeps from running: a step they need is another rule's.
	blocked []string
	// problems lists problems the report must open with (the diagnosis's, by ID), whether or
	// not a case fails with them.
	problems []string
	// cause: each listed case that does not pass is reported under this problem (by ID).
	cause map[string]string
	// crash: the server dies during each case of fail; each runs against a fresh server and the
	// report must attribute the crash to it. The cases of pass run together against one more,
	// which none of them may kill.
	crash bool
	// notes: INFO cases whose observation must contain the text.
	notes map[string]string
	opts  mutants.Options
	cfg   func(*Config)
}

var backupNameCases = func() []string {
	var ids []string
	for _, n := range unsafeNames {
		ids = append(ids, "security/backup-name-"+n.kind)
	}
	return ids
}()

// backupNameCasesOf are the cases of security/backup-name-<kind> for kinds.
func backupNameCasesOf(kinds ...string) []string {
	ids := make([]string, len(kinds))
	for i, k := range kinds {
		ids[i] = "security/backup-name-" + k
	}
	return ids
}

// killTable covers every mutant of the zoo. The allowed variations (Mutant.Allowed) and "none"
// are not here: they must pass every MUST and SHOULD case (TestZooAllowedServersPass).
var killTable = []kill{
	// One problem: the status a missing file gets, whatever the case that asks; the layout of
	// 1001 cannot be checked without a 1001.
	{mutant: "missing-file-1003", fail: []string{"transport/status-mapping", "restore/missing-1001",
		"restore/missing-new-user", "delete/then-restore-1001", "delete/missing-1001", "delete/twice-1001"},
		blocked: []string{"transport/fields-1001"}, problems: []string{"missing-file-status"},
		pass: []string{"security/isolation-restore", "security/isolation-delete", "security/traversal-cross-user-write"}},
	// The layout cases fail; the cases that only meet a 212 on their way pass.
	{mutant: "ok-trailing-size", fail: []string{"transport/fields-212-backup", "transport/fields-212-delete"},
		pass: []string{"backup/new", "delete/then-restore-1001", "transport/fields-210"}, problems: []string{"trailing-212"}},
	{mutant: "no-files-extra-fields", fail: []string{"transport/fields-1002", "list/empty-user-1002"},
		pass: []string{"list/empty-after-delete-all"}, problems: []string{"trailing-1002"}},
	// The diagnosis finds it and reads statuses big-endian: the cases test the rest.
	// The case aimed at the codes on the wire fails with the diagnosis's problem.
	{mutant: "status-big-endian", fail: []string{"transport/status-mapping"}, pass: []string{"transport/fields-1003", "backup/new", "restore/missing-1001",
		"list/empty-user-1002"}, problems: []string{"status-byte-order"}, cause: map[string]string{"transport/status-mapping": "status-byte-order"}},
	{mutant: "version-zero", notes: map[string]string{"transport/version-byte": "responses carry version 0"}},
	{mutant: "list-shows-listing", fail: []string{"list/no-listing-files", "list/name-format", "list/empty-after-delete-all"}},
	{mutant: "list-stale-after-delete", fail: []string{"list/no-listing-files", "list/empty-after-delete-all"}},
	{mutant: "overwrite-appends", fail: []string{"backup/overwrite", "transport/concurrent-overwrite"}},
	{mutant: "traversal-write", fail: []string{"security/traversal-cross-user-write"}},
	{mutant: "traversal-read", fail: []string{"security/traversal-cross-user-read"}},
	{mutant: "traversal-delete", fail: []string{"security/traversal-cross-user-delete"}},
	// LIST is sent with two more bytes: only the case of sends it bare.
	{mutant: "list-hangs", fail: []string{"list/six-bytes-no-wait"}, pass: []string{"list/empty-user-1002", "list/after-backups"},
		problems: []string{"list-needs-name-len"}},
	// Its LIST and its unknown ops wait for a name_len: one fault, which the diagnosis finds
	// and the unknown-op cases meet again (with two zero bytes after it, the op gets its 1003).
	// (security/unknown-op, whose seven ops each wait the timeout, is left out to keep it short.)
	{mutant: "name-len-every-op", fail: []string{"list/six-bytes-no-wait", "transport/fields-1003"},
		pass: []string{"list/empty-user-1002", "list/after-backups"}, problems: []string{"list-needs-name-len"},
		cause: map[string]string{"transport/fields-1003": "list-needs-name-len"}},
	{mutant: "split-header-closes", fail: []string{"transport/split-writes"}, cause: map[string]string{"transport/split-writes": "reads-request-in-one-read"}},
	{mutant: "short-read-closes", fail: []string{"transport/split-writes"}, pass: []string{"backup/new", "list/after-backups", "transport/stalled-client"},
		cause: map[string]string{"transport/split-writes": "reads-request-in-one-read"}},
	{mutant: "truncates-over-1mib", fail: []string{"backup/large"}},
	{mutant: "dies-on-unknown-op", crash: true, fail: []string{"transport/fields-1003", "security/unknown-op"}},
	{mutant: "deadlock-after-truncated", crash: true, fail: []string{"transport/stalled-client", "list/no-temp-files",
		"security/truncated-backup-in-payload"}},
	// Slower than the timeout: nothing answers in time, so no case can run.
	{mutant: "late-answer", opts: mutants.Options{AnswerDelay: 3 * time.Second}, blocked: []string{"backup/new", "list/empty-user-1002"},
		problems: []string{"no-answer"}},
	{mutant: "list-name-fixed", fail: []string{"list/name-format"}},
	{mutant: "list-name-31", fail: []string{"list/name-format"}, pass: []string{"list/after-backups"}},
	{mutant: "delete-ignored", fail: []string{"delete/then-restore-1001", "delete/twice-1001", "delete/keeps-others", "list/after-delete",
		"transport/parallel-clients"}},
	// Under the default dialect "auto", the mapping is reported once and spoken after.
	{mutant: "seed-003-status-map", fail: []string{"transport/status-mapping"}, pass: []string{"backup/new", "restore/missing-1001", "list/empty-user-1002"},
		problems: []string{"status-map-seed003"}},
	// Which status an empty user gets is the LIST cases' rule: the cases that list only to see
	// that nothing was stored judge their own rule by the empty listing.
	{mutant: "no-files-as-empty-list", fail: []string{"transport/fields-1002", "list/empty-user-1002", "list/empty-after-delete-all"},
		pass: []string{"security/backup-name-slash", "security/backup-name-dotdot", "security/truncated-backup-in-payload", "security/huge-size"}},
	{mutant: "restore-size-overstated", fail: []string{"transport/fields-210", "backup/new", "restore/exact-bytes"}},
	{mutant: "restore-empty-1001", fail: []string{"backup/zero-length"}},
	// The payload is refused, under a plain name too: a wrong status, not a name check.
	{mutant: "backup-empty-rejected", fail: []string{"backup/zero-length"}, cause: map[string]string{"backup/zero-length": "status-want-212-got-1003"}},
	{mutant: "ok-wrong-name", fail: []string{"backup/new"}, blocked: []string{"transport/fields-212-backup", "transport/fields-212-delete"}},
	{mutant: "restore-wrong-name", fail: []string{"restore/exact-bytes"}, blocked: []string{"transport/fields-210"}},
	{mutant: "list-other-users", fail: []string{"list/other-users-hidden"}},
	{mutant: "list-comma-joined", fail: []string{"list/after-backups", "list/after-delete"}},
	{mutant: "list-shows-temp-file", fail: []string{"list/after-backups", "list/no-temp-files"}},
	{mutant: "partial-upload-stored", fail: []string{"security/truncated-backup-in-payload", "security/truncated-backup-before-last-byte", "list/no-temp-files"}},
	{mutant: "oversize-not-rejected", fail: []string{"backup/large", "security/size-over-limit"},
		// Over the mutant's 8 MiB limit: it says 212 and stores nothing, and it waits for a
		// payload it should have refused.
		cfg: func(c *Config) { c.LargeSize, c.MaxSize = 9<<20, mutants.DefaultMaxFileSize }},
	{mutant: "unknown-op-1001", fail: []string{"security/unknown-op", "transport/fields-1003"}},
	// Every op the spec does not define is one problem, however many the cases send.
	{mutant: "unknown-op-closes", fail: []string{"security/unknown-op", "transport/fields-1003"},
		cause: map[string]string{"security/unknown-op": "r-5-2-closed-unknown-op", "transport/fields-1003": "r-5-2-closed-unknown-op"}},
	{mutant: "unsafe-name-accepted", fail: append([]string{"security/traversal-cross-user-write"}, backupNameCases...)},
	// A name the spec allows, refused where a plain one is stored: the name check's fault.
	{mutant: "name-255-rejected", fail: []string{"backup/name-255-chars"}, cause: map[string]string{"backup/name-255-chars": "valid-name-refused"}},
	// A close where owes a refusal is one fault, whatever the op and however the
	// connection ends (a BACKUP's unread payload makes it a reset); a missing file, a plain
	// name, keeps its 1001.
	{mutant: "bad-name-closes", fail: append([]string{"security/unsafe-name-restore", "security/unsafe-name-delete"}, backupNameCasesOf("empty", "slash", "nul", "dot", "too-long")...),
		pass: []string{"restore/missing-1001", "delete/missing-1001", "backup/name-dots"},
		cause: map[string]string{"security/unsafe-name-restore": "bad-name-unanswered", "security/unsafe-name-delete": "bad-name-unanswered",
			"security/backup-name-nul": "bad-name-unanswered", "security/backup-name-empty": "bad-name-unanswered"}},
	// User B's DELETE of A's file answers 212 and removes nothing: R-4.3's fault, and A's file
	// is intact, so isolation holds.
	{mutant: "delete-missing-ok", fail: []string{"delete/missing-1001", "delete/twice-1001"}, pass: []string{"security/isolation-delete"}},
	{mutant: "no-read-deadline", fail: []string{"transport/stall-cut-off"}},
	{mutant: "torn-overwrite", fail: []string{"transport/concurrent-overwrite"}, cause: map[string]string{"transport/concurrent-overwrite": "concurrent-uploads-mix"}},
	{mutant: "list-trailing-nul", fail: []string{"transport/fields-211"}, pass: []string{"list/after-backups", "list/name-format"}},
	// These three fail backup/large too; left out here to keep the zoo's traffic small.
	{mutant: "content-stops-at-nul", fail: []string{"backup/all-byte-values", "restore/exact-bytes"}},
	{mutant: "content-text-mode", fail: []string{"backup/all-byte-values", "restore/exact-bytes"}},
	{mutant: "truncates-at-64kib", fail: []string{"backup/one-mib"}},
	// The other cases that store 1-character names cannot run: their BACKUP is refused.
	{mutant: "name-one-char-rejected", fail: []string{"backup/name-one-char"}, blocked: []string{"list/name-format", "list/empty-after-delete-all"},
		cause: map[string]string{"backup/name-one-char": "valid-name-refused", "list/name-format": "valid-name-refused"}},
	{mutant: "name-spaces-trimmed", fail: []string{"backup/name-spaces"}},
	{mutant: "name-leading-dots-stripped", fail: []string{"backup/name-dots"}, cause: map[string]string{"backup/name-dots": "valid-name-refused"}},
	{mutant: "list-repeats-overwritten", fail: []string{"list/after-overwrite"}},
	{mutant: "shared-namespace", fail: []string{"security/isolation-overwrite", "security/isolation-restore", "security/isolation-delete",
		"list/other-users-hidden"}},
	{mutant: "restore-dot-lists-folder", fail: []string{"security/unsafe-name-restore"}},
	{mutant: "delete-dot-removes-folder", fail: []string{"security/unsafe-name-delete"}},
	// Only the case that resets a connection on purpose kills it: the steps of the others read
	// what they asked for before they close, the fingerprint's that read only a status too.
	{mutant: "dies-on-reset", crash: true, fail: []string{"security/connect-and-close"},
		pass: []string{"transport/status-mapping", "transport/fields-212-backup", "transport/fields-212-delete", "transport/fields-210",
			"transport/fields-211", "transport/fields-1001", "security/traversal-cross-user-read"}},
	{mutant: "allocates-stated-size", crash: true, fail: []string{"security/huge-size"}},
	{mutant: "name-len-signed", crash: true, fail: []string{"security/huge-name-len"}},
	// after-size is a whole header with the payload cut at its first byte: not a header cut.
	{mutant: "dies-on-truncated-header", crash: true, fail: append(truncatedBackupCases("in-user-id", "after-user-id", "after-version",
		"after-op", "in-name-len", "after-name-len", "in-filename", "after-filename", "in-size"),
		"security/truncated-restore-in-filename", "security/truncated-delete-in-filename", "security/huge-name-len",
		"transport/stalled-client")},
	{mutant: "truncated-name-stale-buffer", fail: []string{"security/truncated-delete-in-filename"}},
	// It fails the in-payload and before-last-byte cuts and transport/stalled-client too, each
	// after a second of waitMissing: left out to keep the run short.
	// A restore during overwrites that meets the empty file is the upload shown before it is
	// whole, not a file stored at the wrong size.
	{mutant: "empty-file-before-payload", fail: []string{"security/truncated-backup-after-size", "list/no-temp-files"},
		cause: map[string]string{"transport/concurrent-overwrite": "partial-upload-kept"}},

	// The faults of real servers, most found by the diagnosis before any case runs.
	{mutant: "payload-with-header-dropped", fail: []string{"transport/backup-one-write"}, pass: []string{"backup/new", "restore/exact-bytes", "list/after-backups"},
		problems: []string{"backup-payload-dropped"}, cause: map[string]string{"transport/backup-one-write": "backup-payload-dropped"}},
	{mutant: "dies-on-connect-close", crash: true, fail: []string{"security/connect-and-close"}},
	// Its responses acknowledged, a connection carries request after request: the cases that
	// send several on one go on to their own rules.
	{mutant: "length-prefixed-responses", fail: []string{"transport/fields-212-backup", "transport/fields-1002"},
		pass:     []string{"backup/new", "restore/exact-bytes", "list/after-backups", "transport/no-session", "transport/stalled-client"},
		problems: []string{"length-prefix"},
		cause:    map[string]string{"transport/fields-212-backup": "length-prefix", "transport/fields-1002": "length-prefix"}},
	// A cut request goes out unpadded: a frame it does not fill is never read, and no file is
	// kept of it.
	{mutant: "frames-1024", fail: []string{"list/six-bytes-no-wait"}, pass: []string{"backup/new", "restore/missing-1001", "list/after-backups",
		"security/truncated-backup-after-filename", "security/truncated-backup-in-payload", "security/truncated-overwrite-keeps-old"},
		blocked: []string{"backup/one-mib"}, problems: []string{"fixed-frames"}},
	{mutant: "size-before-name", fail: []string{"transport/fields-210", "transport/fields-211"}, pass: []string{"backup/new", "restore/exact-bytes",
		"list/after-backups", "transport/fields-212-backup"}, problems: []string{"size-before-name"},
		cause: map[string]string{"transport/fields-210": "size-before-name"}},
	{mutant: "silent", blocked: []string{"backup/new", "list/empty-user-1002"}, problems: []string{"no-answer"}},
	{mutant: "http", blocked: []string{"backup/new", "list/empty-user-1002"}, problems: []string{"not-fbp"}},
	{mutant: "drip", opts: mutants.Options{DripInterval: 400 * time.Millisecond}, blocked: []string{"backup/new"}, problems: []string{"drips"}},
	{mutant: "list-name-empty", fail: []string{"list/name-format"}, pass: []string{"list/after-backups", "list/after-delete"}},
	{mutant: "missing-user-1002", fail: []string{"restore/missing-new-user"}, pass: []string{"restore/missing-1001", "security/truncated-backup-in-payload"},
		problems: []string{"missing-file-status"}},
	// A 1001 cut after its name_len is still a 1001: the cases that need only the status pass
	// on it, and the cut is the layout's, whether the server then closes or sends nothing.
	{mutant: "not-found-name-missing", fail: []string{"transport/fields-1001"}, pass: []string{"restore/missing-1001", "security/isolation-restore"},
		problems: []string{"cut-1001"}, cause: map[string]string{"transport/fields-1001": "cut-1001"}},
	{mutant: "not-found-name-stalls", fail: []string{"transport/fields-1001"},
		pass:     []string{"restore/missing-1001", "restore/missing-new-user", "delete/then-restore-1001", "security/isolation-restore"},
		problems: []string{"cut-1001"}, cause: map[string]string{"transport/fields-1001": "cut-1001"}},
	{mutant: "ok-name-missing", fail: []string{"transport/fields-212-backup", "transport/fields-212-delete"},
		pass: []string{"backup/new", "restore/exact-bytes", "delete/then-restore-1001"}, problems: []string{"cut-212"},
		cause: map[string]string{"transport/fields-212-backup": "cut-212", "transport/fields-212-delete": "cut-212"}},
	// Status first: a 212 to an unsafe name accepts it, cut short or not; every BACKUP's 212 is
	// cut, and the cases that store a file first go on to judge their own rule.
	{mutant: "real-cut-unchecked-names", fail: append([]string{"security/traversal-cross-user-write", "security/traversal-cross-user-read",
		"security/traversal-cross-user-delete", "transport/fields-212-backup", "transport/fields-1001"}, backupNameCases...),
		pass:     []string{"backup/new", "restore/missing-1001", "security/isolation-restore", "security/isolation-delete"},
		problems: []string{"cut-212", "cut-1001"},
		cause: map[string]string{"security/traversal-cross-user-write": "unsafe-names-accepted", "security/backup-name-slash": "unsafe-names-accepted",
			"security/traversal-cross-user-delete": "unsafe-names-accepted", "transport/fields-212-backup": "cut-212"}},
	{mutant: "refused-payload-unread", fail: []string{"security/refused-payload-not-served"}, problems: []string{"refused-payload-read-as-request"},
		cause: map[string]string{"security/refused-payload-not-served": "refused-payload-read-as-request"}},
	// Its read deadline outlasts the diagnosis's wait: a stalled client holds it that long.
	{mutant: "serves-one-at-a-time", opts: mutants.Options{ReadTimeout: 10 * time.Second}, fail: []string{"transport/stalled-client"},
		pass: []string{"backup/new", "list/after-backups"}, problems: []string{"serves-one-at-a-time"}},
	// Its LIST waits for two bytes more: the cases send them, but the case that sends a bare
	// LIST gives up on it and leaves, which kills the server.
	{mutant: "real-list-name-len", crash: true, fail: []string{"list/six-bytes-no-wait"}, opts: mutants.Options{ReadTimeout: 10 * time.Second}},
	{mutant: "real-split-payload", fail: []string{"restore/missing-1001", "security/traversal-cross-user-write", "security/truncated-backup-in-payload"},
		problems: []string{"backup-payload-dropped"}},
	// A silent client holds it, a client of a few bytes does not: the diagnosis must stall
	// with silence to see it serve one at a time. Clients at once that it leaves waiting are
	// that fault's, and do not take BACKUP for an op it never answers.
	{mutant: "real-one-read", opts: mutants.Options{ReadTimeout: 10 * time.Second}, fail: []string{"restore/missing-1001"},
		pass:     []string{"backup/new", "restore/exact-bytes", "list/after-backups", "backup/overwrite"},
		problems: []string{"serves-one-at-a-time", "backup-payload-dropped", "list-needs-name-len"},
		cause: map[string]string{"transport/parallel-clients": "serves-one-at-a-time", "transport/concurrent-overwrite": "serves-one-at-a-time",
			"list/six-bytes-no-wait": "list-needs-name-len"}},
	{mutant: "list-quoted-paths", fail: []string{"list/after-backups", "list/after-delete"},
		cause: map[string]string{"list/after-backups": "listing-format", "list/after-delete": "listing-format"}},
	// Slow, not dead: every answer comes, a second late, and is right.
	{mutant: "second-per-request", pass: []string{"backup/new", "restore/exact-bytes"}},
	// The multi-fault servers: TestMultiFaultServersGetTheirFaults runs each whole.
	{mutant: "real-quoted-paths", crash: true, fail: []string{"security/connect-and-close"}},
	{mutant: "real-one-read-cut", fail: []string{"security/traversal-cross-user-write", "transport/fields-212-backup"},
		problems: []string{"backup-payload-dropped"}},
	// A second a request: the default timeout, not the zoo's, is what a run waits.
	{mutant: "real-slow-serial", opts: mutants.Options{ReadTimeout: 10 * time.Second}, fail: []string{"transport/stalled-client"},
		problems: []string{"serves-one-at-a-time", "list-needs-name-len"}, cfg: func(c *Config) { c.Timeout = 5 * time.Second }},
	{mutant: "real-lax-statuses", fail: []string{"delete/missing-1001", "list/name-format", "security/refused-payload-not-served"},
		problems: []string{"refused-payload-read-as-request"}},
	{mutant: "real-eight-byte-header", fail: []string{"security/unsafe-name-delete", "list/no-listing-files", "transport/fields-1003"},
		problems: []string{"list-needs-name-len"}, cause: map[string]string{"security/unsafe-name-delete": "bad-name-unanswered",
			"list/no-listing-files": "server-file-listed", "transport/fields-1003": "list-needs-name-len"}},
	{mutant: "real-framing", pass: []string{"backup/new", "restore/exact-bytes"}, problems: []string{"length-prefix", "status-byte-order"}},
	// Acknowledged, its responses are served one connection at a time: the framing is worked
	// around, and the fault of its own still fails its case.
	{mutant: "real-framing-serial", opts: mutants.Options{ReadTimeout: 10 * time.Second}, fail: []string{"transport/stalled-client", "restore/missing-1001"},
		pass: []string{"backup/new", "list/after-backups", "transport/no-session"}, problems: []string{"length-prefix", "serves-one-at-a-time"},
		cause: map[string]string{"transport/stalled-client": "serves-one-at-a-time", "restore/missing-1001": "missing-file-status"}},
	// Every status carries name_len, size, filename: read so, every case but the layout's
	// judges the rest, and every layout case fails with the one problem.
	{mutant: "fixed-header-responses", fail: []string{"transport/fields-212-backup", "transport/fields-210", "transport/fields-1001",
		"transport/fields-1002", "list/empty-user-1002"},
		pass:     []string{"backup/new", "restore/exact-bytes", "restore/missing-1001", "list/after-backups", "delete/then-restore-1001"},
		problems: []string{"size-before-name"},
		cause:    map[string]string{"transport/fields-210": "size-before-name", "transport/fields-1002": "size-before-name"}},
	// Seed 003's wire format, status map and layout both, and its LIST of 8 bytes: each is one
	// problem, and the cases read through them judge the rest (TestRealSeed003 runs them all).
	{mutant: "real-seed-003",
		fail: []string{"transport/status-mapping", "transport/fields-210", "transport/fields-212-backup", "list/six-bytes-no-wait"},
		pass: []string{"backup/new", "restore/exact-bytes", "restore/missing-1001", "list/after-backups", "delete/then-restore-1001",
			"security/isolation-restore"},
		problems: []string{"list-needs-name-len", "status-map-seed003", "size-before-name"},
		cause: map[string]string{"transport/status-mapping": "status-map-seed003", "transport/fields-210": "size-before-name",
			"transport/fields-212-backup": "size-before-name", "list/six-bytes-no-wait": "list-needs-name-len"}},
}

// truncatedBackupCases names the security/truncated-backup-* cases of the given cuts.
func truncatedBackupCases(cuts ...string) []string {
	ids := make([]string, len(cuts))
	for i, c := range cuts {
		ids[i] = "security/truncated-backup-" + c
	}
	return ids
}

// zooOptions are the options every mutant runs with: a read deadline short enough that the
// fault-free servers pass transport/stall-cut-off within zooConfig's cutoff, and long enough
// that a loaded machine does not cut a client off mid-request.
func zooOptions(o mutants.Options) mutants.Options {
	if o.ReadTimeout == 0 {
		o.ReadTimeout = 2 * time.Second
	}
	return o
}

func zooConfig(addr string) Config {
	cfg := fastConfig(addr, "")
	// The diagnosis and the cases wait this long for an answer: long enough for a loaded
	// machine under -race, whose answers can take a second.
	cfg.Timeout = 2 * time.Second
	cfg.StallCutoff = 3 * time.Second
	// Over 1 MiB, so that truncates-over-1mib shows, and quick under -race.
	cfg.LargeSize = 2 << 20
	return cfg
}

// passConfig is zooConfig for a server that must pass every case: a correct server is never
// waited for to the timeout, so a long one costs nothing and keeps a loaded machine from
// failing it.
func passConfig(addr string) Config {
	cfg := zooConfig(addr)
	cfg.Timeout = 5 * time.Second
	return cfg
}

func exactly(ids ...string) *regexp.Regexp {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = regexp.QuoteMeta(id)
	}
	return regexp.MustCompile("^(" + strings.Join(q, "|") + ")$")
}

func runMutant(t *testing.T, k kill, ids ...string) report.Report {
	t.Helper()
	addr, stop, err := mutants.StartWithOptions(k.mutant, zooOptions(k.opts))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	cfg := zooConfig(addr)
	cfg.Run = exactly(ids...)
	if k.cfg != nil {
		k.cfg(&cfg)
	}
	return mustRun(t, cfg)
}

func TestZooKillTable(t *testing.T) {
	for _, k := range killTable {
		t.Run(k.mutant, func(t *testing.T) {
			t.Parallel()
			for id, note := range k.notes {
				rep := runMutant(t, k, id)
				checkNoteDiffers(t, rep, id, note)
			}
			if k.crash {
				for _, id := range k.fail {
					t.Run(id, func(t *testing.T) {
						t.Parallel()
						rep := runMutant(t, k, id)
						res := rep.Result(id)
						if res.Status != report.VerdictFail || !strings.Contains(res.Crash, "server stopped answering after case "+id) {
							t.Errorf("%s: %s, crash %q (%s); want the crash attributed to it", id, res.Status, res.Crash, res.Reason)
						}
					})
				}
				if len(k.pass) > 0 {
					t.Run("pass", func(t *testing.T) {
						t.Parallel()
						rep := runMutant(t, k, k.pass...)
						for _, id := range k.pass {
							if res := rep.Result(id); res.Status != report.VerdictPass {
								t.Errorf("%s: %s (%s), want a pass: the crash is another case's", id, res.Status, res.Reason)
							}
						}
						if len(rep.Crashes) > 0 {
							t.Errorf("crashes %v", rep.Crashes)
						}
					})
				}
				return
			}
			ids := append(append(slices.Clone(k.fail), k.pass...), k.blocked...)
			for id := range k.cause {
				if !slices.Contains(ids, id) {
					ids = append(ids, id)
				}
			}
			if len(ids) == 0 && len(k.problems) == 0 {
				return
			}
			if len(ids) == 0 {
				// The diagnosis finds it: one case is enough to run it.
				ids = []string{"transport/version-byte"}
			}
			rep := runMutant(t, k, ids...)
			for _, id := range k.fail {
				if res := rep.Result(id); res.Status != report.VerdictFail {
					t.Errorf("%s: %s, want a failure", id, res.Status)
				}
			}
			for _, id := range k.pass {
				if res := rep.Result(id); res.Status != report.VerdictPass {
					t.Errorf("%s: %s (%s), want a pass: the fault belongs to another case", id, res.Status, res.Reason)
				}
			}
			for _, id := range k.blocked {
				if res := rep.Result(id); res.Status != report.VerdictBlocked || res.BlockedBy == "" {
					t.Errorf("%s: %s, want blocked by a problem", id, res.Status)
				}
			}
			for id, want := range k.cause {
				res := rep.Result(id)
				if res == nil {
					t.Errorf("%s: not run", id)
					continue
				}
				if got := cmp.Or(res.Problem, res.BlockedBy); res.Status != report.VerdictPass && got != want {
					t.Errorf("%s: %s under problem %q (%s), want %q", id, res.Status, got, res.Reason, want)
				}
			}
			for _, id := range k.problems {
				if rep.Problem(id) == nil {
					var got []string
					for _, p := range rep.Problems {
						got = append(got, p.ID)
					}
					t.Errorf("no problem %s; problems %q", id, got)
				}
			}
			if len(k.problems) > 0 && rep.OK() {
				t.Error("the run passes")
			}
		})
	}
}

func TestZooTableCoversEveryMutant(t *testing.T) {
	inTable := map[string]bool{}
	for _, k := range killTable {
		inTable[k.mutant] = true
		for _, id := range append(slices.Clone(k.fail), k.pass...) {
			if !slices.ContainsFunc(Catalog(), func(c *Case) bool { return c.ID == id }) {
				t.Errorf("%s: no case %s", k.mutant, id)
			}
		}
	}
	for _, m := range mutants.All() {
		if m.Allowed || m.Name == "none" {
			if inTable[m.Name] {
				t.Errorf("%s is an allowed server but the table says it must fail", m.Name)
			}
			continue
		}
		if !inTable[m.Name] {
			t.Errorf("mutant %s is not in the kill table", m.Name)
		}
	}
}

// TestZooKillsEveryCase: every MUST and SHOULD case fails against some mutant of the table,
// and every INFO case observes of some mutant what it does not observe of the reference
// server (TestZooKillTable and TestZooAllowedServersPass run those checks).
func TestZooKillsEveryCase(t *testing.T) {
	killed := killset.Of(killTable, func(k kill) []string { return k.fail })
	// The partial-fault zoo's kills count too (TestRealZooKillTable): some faults only a
	// server on disk, run as a process of its own, can show.
	for _, k := range realKillTable {
		for id := range k.fails {
			killed.Add(id)
		}
	}
	observed := map[string]bool{}
	noteSets := []map[string]string{}
	for _, k := range killTable {
		noteSets = append(noteSets, k.notes)
	}
	for _, notes := range allowedNotes {
		noteSets = append(noteSets, notes)
	}
	for _, notes := range noteSets {
		for id := range notes {
			observed[id] = true
		}
	}
	levels := map[string]report.Level{}
	total, covered := map[report.Level]int{}, map[report.Level]int{}
	var unkilled []string
	for _, c := range Catalog() {
		levels[c.ID] = c.Level
		total[c.Level]++
		switch {
		case c.Level != report.Info && !killed[c.ID]:
			unkilled = append(unkilled, c.ID)
		case c.Level == report.Info && (!observed[c.ID] || referenceNotes[c.ID] == ""):
			unkilled = append(unkilled, c.ID+" (INFO: needs a reference note and a mutant observed otherwise)")
		default:
			covered[c.Level]++
		}
	}
	if len(unkilled) > 0 {
		t.Errorf("%d cases no mutant shows to work: %s", len(unkilled), strings.Join(unkilled, ", "))
	}
	for id := range killed {
		if levels[id] == report.Info {
			t.Errorf("%s is an INFO case, which never fails: give it a note instead", id)
		}
	}
	for id := range observed {
		if levels[id] != report.Info {
			t.Errorf("a mutant's note for %s, which is not an INFO case", id)
		}
	}
	for id := range referenceNotes {
		if levels[id] != report.Info {
			t.Errorf("a reference note for %s, which is not an INFO case", id)
		}
	}
	t.Logf("killed: MUST %d of %d, SHOULD %d of %d; INFO told apart from the reference: %d of %d",
		covered[report.Must], total[report.Must], covered[report.Should], total[report.Should], covered[report.Info], total[report.Info])
}

// requireAllPass checks that rep has no MUST or SHOULD failure and no case left unrun.
func requireAllPass(t *testing.T, rep report.Report) {
	t.Helper()
	for _, r := range rep.Results {
		if (r.Status == report.VerdictFail && r.Level != report.Info) || r.Status == report.VerdictNotRun || r.Crash != "" {
			t.Errorf("%s: %s %s", r.ID, r.Status, r.Reason)
		}
	}
	if len(rep.Crashes) > 0 || len(rep.Warnings) > 0 {
		t.Errorf("crashes %v warnings %v", rep.Crashes, rep.Warnings)
	}
}

// referenceNotes are what every INFO case observes of the reference server and of "none".
var referenceNotes = map[string]string{
	"transport/keep-alive":         "served all 4 requests",
	"transport/version-byte":       "responses carry version 1",
	"security/unsupported-version": "version 2: status 1002 (no-files)",
}

// allowedNotes are what the INFO cases must observe of the allowed variations, each unlike the
// reference server's observation.
var allowedNotes = map[string]map[string]string{
	"version-not-1-rejected":    {"security/unsupported-version": "version 2: status 1003 (server-error)"},
	"close-after-each-response": {"transport/keep-alive": "served 1 of 4 requests on one connection"},
}

// checkNoteDiffers checks that INFO case id observed note, and not what it observes of the
// reference server: the case tells the two servers apart.
func checkNoteDiffers(t *testing.T, rep report.Report, id, note string) {
	t.Helper()
	r := rep.Result(id)
	if r == nil {
		t.Errorf("%s: no result", id)
		return
	}
	if r.Status != report.VerdictInfo || !strings.Contains(r.Reason, note) {
		t.Errorf("%s: %s %q, want a note with %q", id, r.Status, r.Reason, note)
	}
	if ref := referenceNotes[id]; ref == "" || strings.Contains(r.Reason, ref) {
		t.Errorf("%s: note %q, want one unlike the reference server's %q", id, r.Reason, ref)
	}
}

// checkReferenceNotes checks that every INFO case observed of rep's server what it observes of
// the reference server.
func checkReferenceNotes(t *testing.T, rep report.Report) {
	t.Helper()
	for id, note := range referenceNotes {
		if r := rep.Result(id); r == nil || r.Status != report.VerdictInfo || !strings.Contains(r.Reason, note) {
			t.Errorf("%s: %v, want a note with %q", id, r, note)
		}
	}
}

func TestZooAllowedServersPass(t *testing.T) {
	for _, m := range mutants.All() {
		if !m.Allowed && m.Name != "none" {
			continue
		}
		t.Run(m.Name, func(t *testing.T) {
			t.Parallel()
			addr, stop, err := mutants.StartWithOptions(m.Name, zooOptions(mutants.Options{}))
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			cfg := passConfig(addr)
			cfg.Strict = true
			rep := mustRun(t, cfg)
			requireAllPass(t, rep)
			if !rep.OK() {
				t.Error("the report does not pass")
			}
			if m.Name == "none" {
				checkReferenceNotes(t, rep)
			}
			for id, note := range allowedNotes[m.Name] {
				checkNoteDiffers(t, rep, id, note)
			}
		})
	}
}

func TestReferenceServerPassesEveryCase(t *testing.T) {
	// The read deadline is under zooConfig's stall cutoff, with room for a loaded machine.
	const limit = 64 << 20
	srv := servertest.Start(t, server.Config{ReadTimeout: time.Second, Limits: wire.Limits{MaxPayload: limit}})
	cfg := passConfig(srv.Addr)
	cfg.Root, cfg.Strict, cfg.MaxSize = srv.Root, true, limit
	rep := mustRun(t, cfg)
	requireAllPass(t, rep)
	for _, r := range rep.Results {
		// The server runs in the test's process: its memory is the test's too, and cannot
		// be watched (TestRealZooFullRuns runs that case against a server of its own).
		if r.Status == report.VerdictSkip && r.ID != "security/stated-size-memory" {
			t.Errorf("%s skipped: %s", r.ID, r.Reason)
		}
	}
	if len(rep.Unjudged) > 0 {
		t.Errorf("with every flag given, not judged: %+v", rep.Unjudged)
	}
	checkReferenceNotes(t, rep)
}

// TestGoAPI runs cases as subtests, as a Go server's own tests would (Test is TestConfig with
// only an address: the whole catalog, which TestReferenceServerPassesEveryCase runs already).
func TestGoAPI(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	TestConfig(t, Config{Addr: srv.Addr, Run: regexp.MustCompile(`^(backup|list|transport/fields)`), Grace: 20 * time.Millisecond})
}

// BenchmarkFullRun measures a full run of the catalog against the reference server.
func BenchmarkFullRun(b *testing.B) {
	srv := servertest.Start(b, server.Config{})
	for b.Loop() {
		rep, err := Run(context.Background(), Config{Addr: srv.Addr, Root: srv.Root})
		if err != nil {
			b.Fatal(err)
		}
		if !rep.OK() {
			b.Fatal(fmt.Sprint(rep.SummaryText()))
		}
	}
}

// A server that reads a name_len for every op leaves the first unknown op of
// security/unknown-op unanswered, which fails the case under list-needs-name-len; the case's
// later unknown ops carry the two bytes from the start and are each judged on their answer,
// instead of waiting out the timeout again.
func TestUnknownOpsAfterANameLenIsShownCarryIt(t *testing.T) {
	t.Parallel()
	cfg := zooConfig(startMutant(t, "name-len-every-op"))
	cfg.Run = exactly("security/unknown-op")
	rep := mustRun(t, cfg)
	r := rep.Result("security/unknown-op")
	if r == nil || r.Status != report.VerdictFail || r.Problem != "list-needs-name-len" {
		t.Fatalf("%+v, want a failure of list-needs-name-len", r)
	}
	var plain, worked int
	for _, x := range r.Exchanges {
		switch {
		case strings.HasSuffix(x.Label, "(worked around)"):
			worked++
			if !strings.Contains(x.Outcome, "1003") {
				t.Errorf("%s: %s, want its 1003", x.Label, x.Outcome)
			}
		case !strings.Contains(x.Label, "two zero bytes"):
			plain++
		}
	}
	if plain != 1 || worked != 6 {
		t.Errorf("%d unknown ops sent bare and %d worked around, want 1 and 6: %+v", plain, worked, r.Exchanges)
	}
}
