package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/fbpkit/fbp/internal/fakepeer"
	"github.com/fbpkit/fbp/ref/server"
	"github.com/fbpkit/fbp/ref/server/servertest"
	"github.com/fbpkit/fbp/ref/wire"
)

type outcome struct {
	stdout, stderr string
	code           int
}

// invoke runs the command in-process with dir as its working folder.
func invoke(t *testing.T, dir string, terminal bool, args ...string) outcome {
	t.Helper()
	var stdout, stderr bytes.Buffer
	c := &cli{ctx: context.Background(), dir: dir, stdout: &stdout, stderr: &stderr, stderrTerminal: terminal}
	code := c.run(args)
	t.Logf("refclient %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
	return outcome{stdout.String(), stderr.String(), code}
}

func writeFile(t *testing.T, path string, content []byte) {
	t.Helper()
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// exerciseFolder is the exercise's client folder: server.info, backup.info and two files.
func exerciseFolder(t *testing.T, addr string) (dir string, file1 []byte) {
	t.Helper()
	dir = t.TempDir()
	file1 = randomBytes(29189)
	writeFile(t, filepath.Join(dir, "server.info"), []byte(addr+"\n"))
	writeFile(t, filepath.Join(dir, "backup.info"), []byte("mmn14.pdf\r\nnotes.txt\n"))
	writeFile(t, filepath.Join(dir, "mmn14.pdf"), file1)
	writeFile(t, filepath.Join(dir, "notes.txt"), []byte("remember the milk\n"))
	return dir, file1
}

// The scripted run of SPEC §6 against the reference server, from the current folder.
func TestRunScript(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	dir, file1 := exerciseFolder(t, srv.Addr)
	out := invoke(t, dir, false, "run")
	if out.code != exitOK {
		t.Fatalf("exit %d", out.code)
	}
	lines := strings.Split(strings.TrimSuffix(out.stdout, "\n"), "\n")
	want := []string{
		`^user (\d+), a random id, server ` + regexp.QuoteMeta(srv.Addr) + `$`,
		`^LIST: 1002 \(no-files\), no files yet$`,
		`^BACKUP mmn14\.pdf: 212 \(backup-ok\), 29189 bytes stored$`,
		`^BACKUP notes\.txt: 212 \(backup-ok\), 18 bytes stored$`,
		`^LIST: 211 \(list-ok\), 2 files$`,
		`^  (mmn14\.pdf|notes\.txt)$`,
		`^  (mmn14\.pdf|notes\.txt)$`,
		`^RESTORE mmn14\.pdf: 210 \(restore-ok\), 29189 bytes saved to tmp, same as mmn14\.pdf$`,
		`^DELETE mmn14\.pdf: 212 \(delete-ok\), deleted$`,
		`^RESTORE mmn14\.pdf: 1001 \(not-found\), not on the server, as expected after DELETE$`,
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d", len(lines), len(want))
	}
	for i, re := range want {
		if !regexp.MustCompile(re).MatchString(lines[i]) {
			t.Errorf("line %d: %q does not match %s", i+1, lines[i], re)
		}
	}
	if lines[5] == lines[6] {
		t.Errorf("the listing names one file twice: %q", lines[5:7])
	}
	user := regexp.MustCompile(`\d+`).FindString(lines[0])
	if got, err := os.ReadFile(filepath.Join(dir, "tmp")); err != nil || !bytes.Equal(got, file1) {
		t.Fatalf("tmp is not file 1: %d bytes, %v", len(got), err)
	}
	if got := servertest.Entries(t, dir); !slices.Equal(got, []string{"backup.info", "mmn14.pdf", "notes.txt", "server.info", "tmp"}) {
		t.Errorf("client folder holds %q", got)
	}
	if got := servertest.Entries(t, filepath.Join(srv.Root, user)); !slices.Equal(got, []string{"notes.txt"}) {
		t.Errorf("the server keeps %q for user %s, want notes.txt only", got, user)
	}
}

type step struct {
	User       uint32   `json:"user"`
	Server     string   `json:"server"`
	Op         string   `json:"op"`
	Name       string   `json:"name"`
	Path       string   `json:"path"`
	Status     int      `json:"status"`
	StatusName string   `json:"status_name"`
	Bytes      *int64   `json:"bytes"`
	Files      []string `json:"files"`
	OK         bool     `json:"ok"`
	Error      string   `json:"error"`
}

func decode[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("stdout is not the JSON document: %v", err)
	}
	if dec.More() {
		t.Fatal("stdout holds more than one JSON document")
	}
	return v
}

// The run with -json, flags on both sides of the command and -dir: one array of steps.
func TestRunScriptJSON(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	dir, _ := exerciseFolder(t, srv.Addr)
	out := invoke(t, "", false, "-user", "31337", "run", "-json", "-dir", dir)
	if out.code != exitOK || out.stderr != "" {
		t.Fatalf("exit %d, stderr %q", out.code, out.stderr)
	}
	steps := decode[[]step](t, out.stdout)
	type brief struct {
		op, name string
		status   int
		bytes    int64
	}
	// bytes -1: absent, as for every step that moves no file.
	want := []brief{
		{"LIST", "", 1002, -1}, {"BACKUP", "mmn14.pdf", 212, 29189}, {"BACKUP", "notes.txt", 212, 18},
		{"LIST", "", 211, -1}, {"RESTORE", "mmn14.pdf", 210, 29189}, {"DELETE", "mmn14.pdf", 212, -1},
		{"RESTORE", "mmn14.pdf", 1001, -1},
	}
	if len(steps) != len(want) {
		t.Fatalf("%d steps, want %d", len(steps), len(want))
	}
	for i, s := range steps {
		got := brief{s.Op, s.Name, s.Status, -1}
		if s.Bytes != nil {
			got.bytes = *s.Bytes
		}
		if got != want[i] || !s.OK || s.Error != "" || s.User != 31337 || s.Server != srv.Addr || s.StatusName != wire.Status(s.Status).Name(opNamed(s.Op)) {
			t.Errorf("step %d: %+v, want %+v, ok, user 31337", i+1, s, want[i])
		}
	}
	if steps[0].Files == nil || len(steps[0].Files) != 0 {
		t.Errorf("first LIST files = %#v, want []", steps[0].Files)
	}
	if files := slices.Sorted(slices.Values(steps[3].Files)); !slices.Equal(files, []string{"mmn14.pdf", "notes.txt"}) {
		t.Errorf("second LIST files = %q", files)
	}
	if steps[4].Path != filepath.Join(dir, "tmp") {
		t.Errorf("RESTORE path %q", steps[4].Path)
	}
	if _, err := os.Stat(filepath.Join(srv.Root, "31337", "notes.txt")); err != nil {
		t.Errorf("-user before the command was not used: %v", err)
	}
}

// Every subcommand, in text and in JSON.
func TestSubcommands(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "server.info"), []byte(srv.Addr))
	if err := os.Mkdir(filepath.Join(dir, "docs"), 0o755); err != nil {
		t.Fatal(err)
	}
	a, b := randomBytes(5000), []byte("bee")
	writeFile(t, filepath.Join(dir, "docs", "a.bin"), a)
	writeFile(t, filepath.Join(dir, "b.txt"), b)
	u := []string{"-user", "5"}

	out := invoke(t, dir, false, append(u, "backup", "docs/a.bin", "b.txt")...)
	if out.code != exitOK || out.stdout != "BACKUP a.bin: 212 (backup-ok), 5000 bytes stored\nBACKUP b.txt: 212 (backup-ok), 3 bytes stored\n" {
		t.Fatalf("backup: %+v", out)
	}
	out = invoke(t, dir, false, append(u, "list")...)
	if out.code != exitOK || (out.stdout != "LIST: 211 (list-ok), 2 files\n  a.bin\n  b.txt\n" && out.stdout != "LIST: 211 (list-ok), 2 files\n  b.txt\n  a.bin\n") {
		t.Fatalf("list: %+v", out)
	}
	out = invoke(t, dir, false, append(u, "restore", "a.bin", "-o", "copy.bin")...)
	if got, _ := os.ReadFile(filepath.Join(dir, "copy.bin")); out.code != exitOK || !bytes.Equal(got, a) ||
		out.stdout != "RESTORE a.bin: 210 (restore-ok), 5000 bytes saved to copy.bin\n" {
		t.Fatalf("restore -o: %+v, %d bytes", out, len(got))
	}
	// Without -o: NAME in the current folder; with a folder for -o: NAME inside it.
	out = invoke(t, dir, false, append(u, "restore", "b.txt")...)
	if got, _ := os.ReadFile(filepath.Join(dir, "b.txt")); out.code != exitOK || !bytes.Equal(got, b) {
		t.Fatalf("restore: %+v", out)
	}
	out = invoke(t, dir, false, append(u, "restore", "-o", "docs", "b.txt")...)
	if got, _ := os.ReadFile(filepath.Join(dir, "docs", "b.txt")); out.code != exitOK || !bytes.Equal(got, b) {
		t.Fatalf("restore into a folder: %+v", out)
	}
	out = invoke(t, dir, false, append(u, "delete", "a.bin")...)
	if out.code != exitOK || out.stdout != "DELETE a.bin: 212 (delete-ok), deleted\n" {
		t.Fatalf("delete: %+v", out)
	}
	out = invoke(t, dir, false, append(u, "restore", "a.bin", "-o", "gone.bin")...)
	if out.code != exitStatus || out.stdout != "" || out.stderr != `refclient: restore "a.bin" on `+srv.Addr+": 1001 (not-found), not on the server\n" {
		t.Fatalf("restore of a deleted file: %+v", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "gone.bin")); !os.IsNotExist(err) {
		t.Fatalf("a failed restore left gone.bin: %v", err)
	}
	out = invoke(t, dir, false, "-user", "6", "list")
	if out.code != exitOK || out.stdout != "LIST: 1002 (no-files), no files\n" {
		t.Fatalf("list of a user without files: %+v", out)
	}
	// A random user is printed, so that it can be used again.
	out = invoke(t, dir, false, "list")
	if out.code != exitOK || !regexp.MustCompile(`user \d+ \(random; -user \d+ to use it again\)`).MatchString(out.stderr) {
		t.Fatalf("random user: %+v", out)
	}

	// The same in JSON.
	j := append(u, "-json")
	out = invoke(t, dir, false, append(j, "backup", "docs/a.bin")...)
	if rs := decode[[]step](t, out.stdout); out.code != exitOK || len(rs) != 1 || !reflect.DeepEqual(rs[0], step{User: 5, Server: srv.Addr, Op: "BACKUP", Name: "a.bin", Path: "docs/a.bin", Status: 212, StatusName: "backup-ok", Bytes: new(int64(5000)), OK: true}) {
		t.Fatalf("backup -json: %+v", rs)
	}
	out = invoke(t, dir, false, append(j, "list")...)
	if r := decode[step](t, out.stdout); out.code != exitOK || r.Status != 211 || !r.OK || r.Bytes != nil || !slices.Equal(slices.Sorted(slices.Values(r.Files)), []string{"a.bin", "b.txt"}) {
		t.Fatalf("list -json: %+v", r)
	}
	out = invoke(t, dir, false, append(j, "restore", "a.bin", "-o", "again.bin")...)
	if r := decode[step](t, out.stdout); out.code != exitOK || r.Status != 210 || r.Bytes == nil || *r.Bytes != 5000 || r.Path != "again.bin" || !r.OK {
		t.Fatalf("restore -json: %+v", r)
	}
	out = invoke(t, dir, false, append(j, "delete", "a.bin")...)
	if r := decode[step](t, out.stdout); out.code != exitOK || r.Status != 212 || !r.OK {
		t.Fatalf("delete -json: %+v", r)
	}
	out = invoke(t, dir, false, append(j, "delete", "a.bin")...)
	if r := decode[step](t, out.stdout); out.code != exitStatus || r.Status != 1001 || r.StatusName != "not-found" || r.OK || r.Error != `delete "a.bin" on `+srv.Addr+": 1001 (not-found), not on the server" {
		t.Fatalf("delete -json of a missing file: %+v", r)
	}
	out = invoke(t, dir, false, "-json", "-user", "6", "list")
	if r := decode[step](t, out.stdout); out.code != exitOK || r.Status != 1002 || r.StatusName != "no-files" || !r.OK || r.Files == nil || len(r.Files) != 0 {
		t.Fatalf("list -json of a user without files: %+v", r)
	}
}

// peer answers every request with the same bytes, then closes: a server that is broken or worse.
func peer(t *testing.T, answer []byte) string {
	return fakepeer.Start(t, fakepeer.ReadRequest(), fakepeer.Send(answer)).Addr
}

// Each class of failure has its exit code, and its message says what failed and why.
func TestExitCodes(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "f.txt"), []byte("data"))
	badInfo := t.TempDir()
	writeFile(t, filepath.Join(badInfo, "server.info"), []byte("no port here\n"))
	oneFile := t.TempDir()
	writeFile(t, filepath.Join(oneFile, "backup.info"), []byte("f.txt\n"))
	writeFile(t, filepath.Join(oneFile, "f.txt"), []byte("data"))
	serverError := peer(t, []byte{1, 0xeb, 0x03})
	garbage := peer(t, []byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
	truncated := peer(t, []byte{1, 0xe9})
	undefined := peer(t, []byte{1, 0xad, 0xbe, 0xef})
	huge := peer(t, (&wire.ResponseHeader{Version: 1, Status: wire.StatusRestored, Name: []byte("f.txt"), Size: 1<<32 - 1}).Append(nil))
	floodLine := peer(t, (&wire.Response{Version: 1, Status: wire.StatusListed, Name: []byte("AbCdEfGhIjKlMnOpQrStUvWxYz012345"),
		Payload: bytes.Repeat([]byte{0xff}, 16<<20-1)}).Append(nil))
	otherName := peer(t, (&wire.Response{Version: 1, Status: wire.StatusNotExist, Name: []byte("../../etc/passwd")}).Append(nil))
	refused := fakepeer.ClosedAddr(t)
	// Two bytes of a 1 MiB file, then nothing: only the minimum rate ends the restore.
	trickle := fakepeer.Start(t, fakepeer.ReadRequest(), fakepeer.Send(append((&wire.ResponseHeader{Version: 1, Status: wire.StatusRestored,
		Name: []byte("f.txt"), Size: 1 << 20}).Append(nil), "ab"...)), fakepeer.Hold()).Addr
	s := "-server=" + srv.Addr

	for _, tc := range []struct {
		id   string
		dir  string
		args []string
		code int
		says []string // in stderr
	}{
		{"usage/no-command", dir, nil, exitUsage, []string{"no command given"}},
		{"usage/unknown-command", dir, []string{"frobnicate"}, exitUsage, []string{`unknown command "frobnicate"`}},
		{"usage/unknown-flag", dir, []string{"list", "-x"}, exitUsage, []string{"-x"}},
		{"usage/bad-user", dir, []string{"-user", "-1", "list"}, exitUsage, []string{"-user"}},
		{"usage/user-too-big", dir, []string{"-user", "4294967296", "list"}, exitUsage, []string{"4294967295"}},
		{"usage/backup-nothing", dir, []string{s, "backup"}, exitUsage, []string{"no FILE"}},
		{"usage/backup-missing-file", dir, []string{s, "backup", "f.txt", "nope.txt"}, exitUsage, []string{"nope.txt", "no such file"}},
		{"usage/backup-folder", dir, []string{s, "backup", "."}, exitUsage, []string{"."}},
		{"usage/backup-same-name", dir, []string{s, "backup", "f.txt", "./f.txt"}, exitUsage, []string{"both be stored as f.txt"}},
		{"usage/restore-traversal", dir, []string{s, "restore", "../f.txt"}, exitUsage, []string{"path separator"}},
		{"usage/restore-two-names", dir, []string{s, "restore", "a", "b"}, exitUsage, []string{"one NAME"}},
		{"usage/restore-no-folder", dir, []string{s, "restore", "f.txt", "-o", "nowhere/f.txt"}, exitUsage, []string{"nowhere is not a folder"}},
		{"usage/delete-dot", dir, []string{s, "delete", ".."}, exitUsage, []string{"dot name"}},
		{"usage/bad-server-flag", dir, []string{"-server", "localhost", "list"}, exitUsage, []string{`-server "localhost": want host:port`}},
		{"usage/bad-server-info", badInfo, []string{"list"}, exitUsage, []string{"server.info", "no port here"}},
		{"usage/run-without-backup-info", dir, []string{s, "run"}, exitUsage, []string{"no backup.info in " + dir + ": it lists the files to back up, one name per line"}},
		{"usage/run-one-file", oneFile, []string{s, "run"}, exitUsage, []string{"lists 1 file; the run backs up two, named one per line"}},
		{"usage/zero-timeout", dir, []string{"-timeout", "0s", "list"}, exitUsage, []string{"-timeout"}},
		{"status/delete-missing", dir, []string{s, "-user", "9", "delete", "f.txt"}, exitStatus, []string{`delete "f.txt" on ` + srv.Addr + ": 1001 (not-found), not on the server"}},
		{"status/restore-missing", dir, []string{s, "restore", "f.txt", "-o", "out"}, exitStatus, []string{"1001 (not-found)"}},
		{"status/server-error", dir, []string{"-server", serverError, "backup", "f.txt"}, exitStatus, []string{`backup "f.txt" on ` + serverError + ": 1003 (server-error)\n"}},
		{"network/refused", dir, []string{"-server", refused, "list"}, exitFailure, []string{"list on " + refused, "connecting", "refused"}},
		{"protocol/garbage", dir, []string{"-server", garbage, "delete", "f.txt"}, exitFailure, []string{`delete "f.txt" on ` + garbage, "response version 72, not 1"}},
		{"protocol/undefined-status", dir, []string{"-server", undefined, "delete", "f.txt"}, exitFailure, []string{`delete "f.txt" on ` + undefined, "status 48813, which the protocol does not define"}},
		{"protocol/over-max-restore", dir, []string{"-server", huge, "-max-restore", "1MiB", "restore", "f.txt", "-o", "out"}, exitFailure, []string{"over the client's limit of 1048576", "-max-restore"}},
		{"protocol/over-default-max-restore", dir, []string{"-server", huge, "restore", "f.txt", "-o", "out"}, exitFailure, []string{"4294967295", "over the client's limit of 1073741824"}},
		{"protocol/listing-line-16MiB", dir, []string{"-server", floodLine, "list"}, exitFailure, []string{"line 1 is longer than the client's limit of 255 bytes", `\xff"...`}},
		{"usage/bad-max-restore", dir, []string{"-max-restore", "5GiB", "list"}, exitUsage, []string{"-max-restore"}},
		{"network/under-speed-limit", dir, []string{"-server", trickle, "-timeout", "1h", "-speed-limit", "1000", "-speed-time", "50ms", "restore", "f.txt", "-o", "out"},
			exitFailure, []string{`restore "f.txt" on ` + trickle, "transfer too slow", "minimum of 1000 bytes/s over 50ms"}},
		{"usage/negative-max-time", dir, []string{"-max-time", "-1s", "list"}, exitUsage, []string{"-max-time"}},
		{"usage/zero-speed-limit", dir, []string{"-speed-limit", "0", "list"}, exitUsage, []string{"-speed-limit"}},
		{"protocol/truncated", dir, []string{"-server", truncated, "list"}, exitFailure, []string{"list on " + truncated, "protocol error: response truncated"}},
		{"protocol/other-name", dir, []string{"-server", otherName, "restore", "f.txt", "-o", "out"}, exitFailure, []string{`restore "f.txt" on ` + otherName, `names "../../etc/passwd", not the requested "f.txt"`}},
	} {
		t.Run(tc.id, func(t *testing.T) {
			out := invoke(t, tc.dir, false, tc.args...)
			if out.code != tc.code {
				t.Errorf("exit %d, want %d", out.code, tc.code)
			}
			for _, s := range tc.says {
				if !strings.Contains(out.stderr, s) {
					t.Errorf("stderr does not say %q", s)
				}
			}
			// Nothing the server sent is quoted at length.
			if len(out.stderr) > 2000 {
				t.Errorf("stderr of %d bytes", len(out.stderr))
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
		t.Errorf("a failed restore left its target: %v", err)
	}
}

// The run against a server that fails every request carries on through status errors (exit 1)
// and stops at the first network or protocol failure (exit 3).
func TestRunScriptFailures(t *testing.T) {
	dir, _ := exerciseFolder(t, "127.0.0.1:1")
	out := invoke(t, dir, false, "-server", peer(t, []byte{1, 0xeb, 0x03}), "run")
	if n := strings.Count(out.stdout, "1003 (server-error)"); out.code != exitStatus || n != 7 {
		t.Fatalf("exit %d, %d lines of 1003; want 1 and 7", out.code, n)
	}
	out = invoke(t, dir, false, "-server", peer(t, nil), "-json", "run")
	steps := decode[[]step](t, out.stdout)
	if out.code != exitFailure || len(steps) != 1 || steps[0].OK || !strings.Contains(steps[0].Error, "closed the connection without a response") {
		t.Fatalf("exit %d, steps %+v", out.code, steps)
	}
	out = invoke(t, dir, false, "run")
	if out.code != exitFailure || !strings.Contains(out.stdout, "LIST: failed: list on 127.0.0.1:1: connecting") {
		t.Fatalf("server.info's address was not used: %+v", out)
	}
	if got := servertest.Entries(t, dir); slices.Contains(got, "tmp") {
		t.Errorf("failed runs left tmp in %q", got)
	}
}

// A bar on a terminal for transfers over 1 MiB; none for small ones, in JSON mode, or when
// stderr is not a terminal.
func TestProgressBar(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "big.bin"), randomBytes(3<<20))
	writeFile(t, filepath.Join(dir, "small.bin"), randomBytes(1<<20))
	g := []string{"-server", srv.Addr, "-user", "3"}
	for _, tc := range []struct {
		id       string
		terminal bool
		args     []string
		bar      string // "" for none
	}{
		{"backup-terminal", true, []string{"backup", "big.bin"}, "BACKUP big.bin"},
		{"restore-terminal", true, []string{"restore", "big.bin", "-o", "r1"}, "RESTORE big.bin"},
		{"small-terminal", true, []string{"backup", "small.bin"}, ""},
		{"backup-piped", false, []string{"backup", "big.bin"}, ""},
		{"restore-piped", false, []string{"restore", "big.bin", "-o", "r2"}, ""},
		{"json-terminal", true, []string{"-json", "restore", "big.bin", "-o", "r3"}, ""},
	} {
		t.Run(tc.id, func(t *testing.T) {
			out := invoke(t, dir, tc.terminal, append(g, tc.args...)...)
			if out.code != exitOK {
				t.Fatalf("exit %d", out.code)
			}
			if tc.bar == "" && out.stderr != "" {
				t.Fatalf("stderr %q, want nothing", out.stderr)
			}
			if tc.bar != "" && (!strings.Contains(out.stderr, tc.bar) || !strings.Contains(out.stderr, "% |")) {
				t.Fatalf("stderr %q, want a bar for %s", out.stderr, tc.bar)
			}
		})
	}
}

// Output that cannot be written is a failure, not a silent success.
func TestStdoutWriteError(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	var stderr bytes.Buffer
	c := &cli{ctx: context.Background(), dir: t.TempDir(), stdout: failingWriter{}, stderr: &stderr}
	if code := c.run([]string{"-server", srv.Addr, "list"}); code != exitFailure || !strings.Contains(stderr.String(), "writing the results: stdout closed") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("stdout closed") }

// opNamed is the op a result's "op" field names.
func opNamed(name string) wire.Op {
	for _, op := range wire.Ops {
		if op.String() == name {
			return op
		}
	}
	return 0
}

// Error statuses read as conform prints them, by their name for the op, in text on stdout
// (run) and stderr (a single command) as in JSON.
func TestStatusNamesAsConformPrintsThem(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "f.txt"), []byte("data"))
	for _, tc := range []struct {
		answer []byte
		args   []string
		says   string // after "refclient: " on stderr, with the peer's address for ADDR
		name   string // status_name in JSON
	}{
		{[]byte{1, 0xeb, 0x03}, []string{"backup", "f.txt"}, `backup "f.txt" on ADDR: 1003 (server-error)`, "server-error"},
		{[]byte{1, 0xe9, 0x03, 5, 0, 'f', '.', 't', 'x', 't'}, []string{"delete", "f.txt"}, `delete "f.txt" on ADDR: 1001 (not-found), not on the server`, "not-found"},
		{[]byte{1, 0xd4, 0x00, 5, 0, 'f', '.', 't', 'x', 't'}, []string{"restore", "f.txt", "-o", "out"}, `restore "f.txt" on ADDR: 212 (backup-ok/delete-ok), not an answer to RESTORE`, "backup-ok/delete-ok"},
	} {
		addr := peer(t, tc.answer)
		want := "refclient: " + strings.ReplaceAll(tc.says, "ADDR", addr) + "\n"
		out := invoke(t, dir, false, append([]string{"-addr", addr, "-user", "1"}, tc.args...)...)
		if out.code != exitStatus || out.stdout != "" || out.stderr != want {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want %q", tc.args, out.code, out.stdout, out.stderr, want)
		}
		out = invoke(t, dir, false, append([]string{"-addr", addr, "-user", "1", "-format", "json"}, tc.args...)...)
		var r step
		if tc.args[0] == "backup" { // one result a file
			r = decode[[]step](t, out.stdout)[0]
		} else {
			r = decode[step](t, out.stdout)
		}
		if out.code != exitStatus || r.StatusName != tc.name || "refclient: "+r.Error+"\n" != want {
			t.Errorf("%q -format json: exit %d, %+v", tc.args, out.code, r)
		}
	}
}

// A run in a folder without server.info or backup.info says which is missing, where, and what
// it holds: a usage error, exit 2, as for every input the run cannot start with.
func TestRunWithoutInfoFiles(t *testing.T) {
	empty := t.TempDir()
	onlyServer := t.TempDir()
	writeFile(t, filepath.Join(onlyServer, "server.info"), []byte("127.0.0.1:1\n"))
	if err := os.Mkdir(filepath.Join(onlyServer, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	noServer := "no server.info in %s: it holds one line, the server's host:port (127.0.0.1:1234), or -addr gives it"
	noBackup := "no backup.info in %s: it lists the files to back up, one name per line; the run backs up the first two"
	for _, tc := range []struct {
		dir  string
		args []string
		says string
	}{
		{empty, []string{"run"}, fmt.Sprintf(noServer, empty)},
		{empty, []string{"run", "-dir", "."}, fmt.Sprintf(noServer, empty)},
		{empty, []string{"-addr", "127.0.0.1:1", "run"}, fmt.Sprintf(noBackup, empty)},
		{onlyServer, []string{"run"}, fmt.Sprintf(noBackup, onlyServer)},
		{onlyServer, []string{"run", "-dir", "sub"}, fmt.Sprintf(noServer, filepath.Join(onlyServer, "sub"))},
	} {
		out := invoke(t, tc.dir, false, tc.args...)
		if want := "refclient run: " + tc.says + "\nrun 'refclient run -h' for usage\n"; out.code != exitUsage || out.stdout != "" || out.stderr != want {
			t.Errorf("%q in %s: exit %d, stdout %q, stderr\n%q, want\n%q", tc.args, tc.dir, out.code, out.stdout, out.stderr, want)
		}
	}
}

// The file a run restores (tmp) and any file restore writes get mode 0644 less the umask, as
// files a user makes usually do; a file replaced keeps its mode.
func TestRestoredFileMode(t *testing.T) {
	probe := filepath.Join(t.TempDir(), "probe")
	writeFile(t, probe, nil)
	st, err := os.Stat(probe)
	if err != nil {
		t.Fatal(err)
	}
	want := st.Mode().Perm() // 0644 under this process's umask
	srv := servertest.Start(t, server.Config{})
	dir, _ := exerciseFolder(t, srv.Addr)
	if out := invoke(t, dir, false, "-user", "8", "run"); out.code != exitOK {
		t.Fatalf("run: exit %d", out.code)
	}
	if out := invoke(t, dir, false, "-user", "8", "restore", "notes.txt", "-o", "copy.txt"); out.code != exitOK {
		t.Fatalf("restore: exit %d", out.code)
	}
	kept := filepath.Join(dir, "kept.txt")
	writeFile(t, kept, nil)
	if err := os.Chmod(kept, 0o640); err != nil {
		t.Fatal(err)
	}
	if out := invoke(t, dir, false, "-user", "8", "restore", "notes.txt", "-o", "kept.txt"); out.code != exitOK {
		t.Fatalf("restore over a file: exit %d", out.code)
	}
	for name, mode := range map[string]os.FileMode{"tmp": want, "copy.txt": want, "kept.txt": 0o640} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, want %v", name, st.Mode().Perm(), mode)
		}
	}
}
