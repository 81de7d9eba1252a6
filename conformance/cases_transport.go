package conformance

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/internal/content"
	"github.com/fbpkit/fbp/ref/wire"
)

// Cases of SPEC §1-3: the status mapping, the exact field layout of every status, the byte
// stream (split writes, several requests on one connection) and concurrent clients.

func transportCases() []*Case {
	return []*Case{
		{
			ID: "transport/status-mapping", Reqs: reqs(spec.R4_1, spec.R4_2, spec.R4_4), Level: report.Must,
			Desc: "the server uses the canonical status codes (else: which dialect it speaks)",
			Run: func(t *T) {
				fp, err := t.fingerprint()
				if err != nil {
					t.Fatalf(spec.R4_1, nil, "answers to BACKUP, RESTORE and LIST", "%v", err)
				}
				want := spec.CanonicalFingerprint
				switch d := fp.Match(); {
				case d == spec.Canonical:
				case d != nil:
					t.Errorf(d.Deviates[0], nil, "the canonical mapping "+want.String(),
						"dialect: %s (deviates from %v): %s; -dialect auto runs the other cases under it", d.Name, d.Deviates, fp)
				default:
					t.Errorf(spec.R4_1, nil, "the canonical mapping "+want.String(), "an unknown mapping: %s", fp)
				}
			},
		},
		fieldsCase("transport/fields-212-backup", "212 after BACKUP carries name_len and filename, no size",
			func(t *T, u uint32) *Reply { return t.Backup(u, "f212", content.Bytes([]byte("x"))) }, spec.BackupOK, "f212"),
		fieldsCase("transport/fields-212-delete", "212 after DELETE carries name_len and filename, no size",
			func(t *T, u uint32) *Reply {
				t.MustBackup(u, "d212", content.Bytes([]byte("x")))
				return t.Delete(u, "d212")
			}, spec.DeleteOK, "d212"),
		fieldsCase("transport/fields-210", "210 carries name_len, filename, size and payload, nothing after",
			func(t *T, u uint32) *Reply {
				c := content.Bytes([]byte("payload"))
				t.MustBackup(u, "f210", c)
				return t.Restore(u, "f210", &c)
			}, spec.RestoreOK, "f210"),
		fieldsCase("transport/fields-211", "211 carries name_len, filename, size and the listing, nothing after",
			func(t *T, u uint32) *Reply {
				t.MustBackup(u, "f211", content.Bytes([]byte("x")))
				return t.List(u)
			}, spec.ListOK, ""),
		fieldsCase("transport/fields-1001", "1001 carries name_len and filename, no size",
			func(t *T, u uint32) *Reply { return t.Restore(u, "f1001", nil) }, spec.NotFound, "f1001"),
		{
			ID: "transport/fields-1002", Reqs: reqs(spec.R3_1, spec.R4_4), Level: report.Must,
			Desc: "1002 is 3 bytes in all",
			Run: func(t *T) {
				r := t.List(t.NewUser())
				if _, ok := t.CheckList(r, spec.R3_1); ok {
					r.waitTail()
				}
			},
		},
		{
			ID: "transport/fields-1003", Reqs: reqs(spec.R3_1, spec.R5_2), Level: report.Must, Hostile: true,
			Desc: "1003 is 3 bytes in all",
			Run: func(t *T) {
				u := t.NewUser()
				r := t.Roundtrip(fmt.Sprintf("unknown op 7, user %d", u), opRequest(u, wire.Version, 7))
				if t.Expect(r, spec.R5_2, nil, spec.ServerError) {
					r.waitTail()
				}
			},
		},
		{
			ID: "transport/version-byte", Reqs: reqs(spec.R3_1), Level: report.Info,
			Desc: "the version byte of responses (the reference sends 1)",
			Run: func(t *T) {
				u := t.NewUser()
				r := t.List(u)
				if r.Outcome != Answered {
					t.Notef("LIST: %s", r)
					return
				}
				t.Notef("responses carry version %d", r.Version)
			},
		},
		{
			ID: "transport/split-writes", Reqs: reqs(spec.R1_1), Level: report.Must,
			Desc: "requests sent one byte per write are served as whole ones",
			Run: func(t *T) {
				u := t.NewUser()
				body := []byte("sent one byte at a time")
				s := send{label: fmt.Sprintf("BACKUP user %d, one byte per write", u),
					head: append(backupHead(u, []byte("split"), int64(len(body))), body...), chunk: 1, pause: splitPause}
				if r := t.roundtrip(s, readSpec{}); !t.Expect(r, spec.R1_1, []byte("split"), spec.BackupOK) {
					return
				}
				t.setStored(u, "split", true)
				c := content.Bytes(body)
				s = send{label: fmt.Sprintf("RESTORE user %d, one byte per write", u),
					head: nameRequest(u, wire.OpRestore, []byte("split")), chunk: 1, pause: splitPause}
				if r := t.roundtrip(s, readSpec{expect: &c}); !t.CheckContent(r, spec.R1_1, "split", c) {
					return
				}
				s = send{label: fmt.Sprintf("LIST user %d, one byte per write", u), head: listRequest(u), chunk: 1, pause: splitPause}
				t.CheckList(t.roundtrip(s, readSpec{maxPayload: t.run.cfg.MaxList}), spec.R1_1, "split")
			},
		},
		{
			ID: "transport/keep-alive", Reqs: reqs(spec.R1_3), Level: report.Info,
			Desc: "several requests on one connection: served, or closed after the first",
			Run: func(t *T) {
				u := t.NewUser()
				body := []byte("kept alive")
				reqs := []struct {
					label string
					req   []byte
				}{
					{"BACKUP", append(backupHead(u, []byte("ka"), int64(len(body))), body...)},
					{"LIST", listRequest(u)},
					{"RESTORE", nameRequest(u, wire.OpRestore, []byte("ka"))},
					{"DELETE", nameRequest(u, wire.OpDelete, []byte("ka"))},
				}
				c := t.Dial()
				defer t.setStored(u, "ka", true) // cleanup deletes it if the DELETE was not served
				for i, q := range reqs {
					r := c.Do(q.label+" on the shared connection", q.req)
					if r.Outcome != Answered {
						t.Notef("served %d of %d requests on one connection, then: %s", i, len(reqs), r)
						return
					}
				}
				t.Notef("served all %d requests on one connection", len(reqs))
			},
		},
		{
			ID: "transport/parallel-clients", Reqs: reqs(spec.R1_3, spec.R4_5), Level: report.Must,
			Desc: "clients running at once with distinct users all get correct answers",
			Run: func(t *T) {
				var wg sync.WaitGroup
				for i := range t.run.cfg.Clients {
					u := t.NewUser()
					wg.Go(func() {
						a := content.Drawn(int64(10000+i), uint64(u))
						b := content.Bytes([]byte(fmt.Sprintf("client %d", i)))
						t.MustBackup(u, "a.bin", a)
						t.MustBackup(u, "b.txt", b)
						t.MustList(u, "a.bin", "b.txt")
						t.MustRestore(u, "a.bin", a)
						t.MustDelete(u, "b.txt")
						t.MustRestore(u, "a.bin", a)
						t.MustList(u, "a.bin")
					})
				}
				wg.Wait()
			},
		},
		{
			ID: "transport/stalled-client", Reqs: reqs(spec.R5_3), Level: report.Must, Hostile: true,
			Desc: "clients that stall mid-request do not keep others from being served",
			Run: func(t *T) {
				stalledUser := t.NewUser()
				start := time.Now()
				// One stalls inside the header, one inside a payload.
				c1 := t.Dial()
				c1.Write(backupHead(stalledUser, []byte("stalled"), 100)[:3])
				c2 := t.Dial()
				c2.Write(append(backupHead(stalledUser, []byte("stalled"), 100), 1, 2, 3))
				u := t.NewUser()
				c := content.Bytes([]byte("served while others stall"))
				t.MustBackup(u, "served", c)
				t.MustList(u, "served")
				t.MustRestore(u, "served", c)
				if rest := t.run.cfg.Stall - time.Since(start); rest > 0 {
					time.Sleep(rest)
				}
				c1.Close()
				c2.Close()
				waitMissing(t, stalledUser, "stalled")
			},
		},
		{
			ID: "transport/stall-cut-off", Reqs: reqs(spec.R5_3), Level: report.Should, Hostile: true,
			Desc: "a client stalled mid-request is disconnected by the server's read deadline (within -stall-cutoff)",
			Run: func(t *T) {
				limit := t.run.cfg.StallCutoff
				if limit <= 0 {
					t.Skipf("give -stall-cutoff, the longest read deadline to accept, to run it")
				}
				u := t.NewUser()
				c := t.Dial()
				head := backupHead(u, []byte("stalled"), 100)[:7]
				if err := c.Write(head); err != nil {
					t.Fatalf(spec.R5_3, nil, "the first bytes of a request to be accepted", "write failed: %v", err)
				}
				start := time.Now()
				c.c.SetReadDeadline(start.Add(limit))
				var b [64]byte
				n, err := c.c.Read(b[:])
				switch o := classify(err); {
				case n > 0:
					t.Notef("the server answered the cut request with % x before closing", b[:n])
				case o == NoAnswer:
					t.Errorf(spec.R5_3, nil, fmt.Sprintf("the server to close a stalled connection within %v", limit),
						"the connection was still open after %v", time.Since(start).Round(time.Millisecond))
				default:
					t.Notef("the server cut the stalled connection after %v (%s)", time.Since(start).Round(time.Millisecond), o)
				}
			},
		},
		{
			ID: "transport/concurrent-overwrite", Reqs: reqs(spec.R4_1, spec.R5_5), Level: report.Should,
			Desc: "concurrent overwrites of one file never yield a torn restore",
			Run: func(t *T) {
				u := t.NewUser()
				const size = 256 << 10
				versions := []content.Content{content.Bytes(bytes.Repeat([]byte{'A'}, size)), content.Bytes(bytes.Repeat([]byte{'B'}, size))}
				t.MustBackup(u, "contended", versions[0])
				var wg sync.WaitGroup
				done := make(chan struct{})
				var writers sync.WaitGroup
				for w := range 2 {
					writers.Go(func() {
						for range 10 {
							t.MustBackup(u, "contended", versions[w])
						}
					})
				}
				go func() { writers.Wait(); close(done) }()
				for range 2 {
					wg.Go(func() {
						for range 400 {
							select {
							case <-done:
								return
							default:
							}
							r := t.Restore(u, "contended", nil)
							if !t.Expect(r, spec.R4_1, []byte("contended"), spec.RestoreOK) {
								return
							}
							if !r.PayloadRead || (!bytes.Equal(r.Payload, versions[0].Literal) && !bytes.Equal(r.Payload, versions[1].Literal)) {
								t.Errorf(spec.R5_5, r, fmt.Sprintf("one whole version of %d bytes, all A or all B", size),
									"a mix: %s", describeMix(r.Payload))
								return
							}
						}
					})
				}
				wg.Wait()
				writers.Wait()
			},
		},
	}
}

// describeMix says where a restored payload switches between byte values, e.g.
// "A at 0-4095, B at 4096-262143".
func describeMix(p []byte) string {
	var parts []string
	for i := 0; i < len(p) && len(parts) < 6; {
		j := i
		for j < len(p) && p[j] == p[i] {
			j++
		}
		parts = append(parts, fmt.Sprintf("%q at %d-%d", p[i], i, j-1))
		i = j
	}
	return strings.Join(parts, ", ")
}

// fieldsCase builds a case that provokes one status and checks its layout byte for byte: the
// runner reads exactly the fields the status carries, then waits for anything more.
func fieldsCase(id, desc string, provoke func(t *T, u uint32) *Reply, m spec.Meaning, name string) *Case {
	return &Case{
		ID: id, Reqs: reqs(spec.R3_1), Level: report.Must, Desc: desc,
		Run: func(t *T) {
			r := provoke(t, t.NewUser())
			var want []byte
			if name != "" {
				want = []byte(name)
			}
			if !t.Expect(r, spec.R3_1, want, m) {
				return
			}
			if r.Fields.Has(wire.HasPayload) && !r.PayloadRead {
				t.Errorf(spec.R3_1, r, "a payload the size field states", "size %d", r.Size)
			}
			r.waitTail()
		},
	}
}

// splitPause separates the one-byte writes of transport/split-writes, so that the bytes
// arrive in separate segments and the server's reads see them apart.
const splitPause = 2 * time.Millisecond

// opRequest is a 6-byte request prefix with any op and version.
func opRequest(user uint32, version, op uint8) []byte {
	h := wire.RawRequest{UserID: user, Version: version, Op: op}
	return h.Append(nil)
}
