package server_test

import (
	"bytes"
	"slices"
	"testing"

	"github.com/fbpkit/fbp/ref/server"
	"github.com/fbpkit/fbp/ref/server/servertest"
	"github.com/fbpkit/fbp/ref/wire"
)

// The exercise's scripted run (SPEC §6): LIST, BACKUP ×2, LIST, RESTORE, DELETE, RESTORE.
func TestExerciseFlow(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	const user = 0x2a17f00d
	u := userDir(user)
	file1 := bytes.Repeat([]byte("%PDF-1.6 first\x00\xff"), 2000)
	file2 := []byte("second file\n")

	got := roundTrip(t, srv.Addr, listReq(user))
	wantResp(t, "first LIST", got, wire.StatusNoFiles, "", nil)
	wantTree(t, "first LIST", srv.Root, map[string]string{})

	got = roundTrip(t, srv.Addr, backupReq(user, "mmn14.pdf", file1))
	wantResp(t, "BACKUP 1", got, wire.StatusOK, "mmn14.pdf", nil)
	wantTree(t, "BACKUP 1", srv.Root, map[string]string{u: "<dir>", u + "/mmn14.pdf": string(file1)})

	got = roundTrip(t, srv.Addr, backupReq(user, "notes.txt", file2))
	wantResp(t, "BACKUP 2", got, wire.StatusOK, "notes.txt", nil)
	wantTree(t, "BACKUP 2", srv.Root, map[string]string{u: "<dir>", u + "/mmn14.pdf": string(file1), u + "/notes.txt": string(file2)})

	got = roundTrip(t, srv.Addr, listReq(user))
	resp, n, err := wire.ParseResponse(got, wire.Limits{})
	if err != nil || n != len(got) {
		t.Fatalf("second LIST: %v (%d of %d bytes)", err, n, len(got))
	}
	if resp.Status != wire.StatusListed || len(resp.Name) != server.ListingNameLen || !slices.Equal(listedNames(t, resp.Payload), []string{"mmn14.pdf", "notes.txt"}) {
		t.Fatalf("second LIST: %+v", resp)
	}
	for _, c := range resp.Name {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			t.Fatalf("second LIST: name %q not [A-Za-z0-9]", resp.Name)
		}
	}
	wantTree(t, "second LIST", srv.Root, map[string]string{u: "<dir>", u + "/mmn14.pdf": string(file1), u + "/notes.txt": string(file2)})

	got = roundTrip(t, srv.Addr, restoreReq(user, "mmn14.pdf"))
	wantResp(t, "RESTORE", got, wire.StatusRestored, "mmn14.pdf", file1)

	got = roundTrip(t, srv.Addr, deleteReq(user, "mmn14.pdf"))
	wantResp(t, "DELETE", got, wire.StatusOK, "mmn14.pdf", nil)
	wantTree(t, "DELETE", srv.Root, map[string]string{u: "<dir>", u + "/notes.txt": string(file2)})

	got = roundTrip(t, srv.Addr, restoreReq(user, "mmn14.pdf"))
	wantResp(t, "second RESTORE", got, wire.StatusNotExist, "mmn14.pdf", nil)
	wantTree(t, "second RESTORE", srv.Root, map[string]string{u: "<dir>", u + "/notes.txt": string(file2)})
}
