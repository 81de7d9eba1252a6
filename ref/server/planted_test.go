package server_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/fbpkit/fbp/ref/server"
	"github.com/fbpkit/fbp/ref/server/servertest"
	"github.com/fbpkit/fbp/ref/wire"
)

// backupHead is a BACKUP header stating size, with no payload byte.
func backupHead(user uint32, name string, size uint32) []byte {
	h := wire.RequestHeader{UserID: user, Version: wire.Version, Op: wire.OpBackup, Name: []byte(name), Size: size}
	return h.Append(nil)
}

// A BACKUP that would pass the user's file count or byte quota, or eat into the disk's
// reserve, is answered 1003 before any payload byte is sent, and the connection closes.
func TestStoreLimitsRefuseBeforePayload(t *testing.T) {
	for _, tc := range []struct {
		id  string
		cfg server.Config
	}{
		{"files", server.Config{MaxFiles: 1}},
		{"quota", server.Config{Quota: 100}},
		{"reserve", server.Config{Reserve: 1 << 62}},
	} {
		t.Run(tc.id, func(t *testing.T) {
			srv := servertest.Start(t, tc.cfg)
			want := map[string]string{}
			if tc.id != "reserve" {
				wantResp(t, "first file", roundTrip(t, srv.Addr, backupReq(1, "a", make([]byte, 60))), wire.StatusOK, "a", nil)
				want = map[string]string{"1": "<dir>", "1/a": string(make([]byte, 60))}
			}
			c := dial(t, srv.Addr)
			send(t, c, backupHead(1, "b", 41))
			wantClosed(t, "BACKUP over the limit", c, respBytes(wire.StatusServerError, "", nil))
			if tc.id == "reserve" {
				want = map[string]string{"1": "<dir>"}
			}
			wantTree(t, "after", srv.Root, want)
		})
	}
}

// A link planted in place of a user folder (<root>/5002 -> 4243) hands nothing of user 4243
// to user 5002; a FIFO or a folder planted in a user folder is answered at once, and the users
// sharing its lock go on being served.
func TestPlantedLinkAndFIFO(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	wantResp(t, "setup", roundTrip(t, srv.Addr, backupReq(4243, "secret", []byte("4243's"))), wire.StatusOK, "secret", nil)
	if err := os.Symlink("4243", filepath.Join(srv.Root, "5002")); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	refused := respBytes(wire.StatusServerError, "", nil)
	wantResp(t, "LIST through the link", roundTrip(t, srv.Addr, listReq(5002)), wire.StatusServerError, "", nil)
	wantResp(t, "RESTORE through the link", roundTrip(t, srv.Addr, restoreReq(5002, "secret")), wire.StatusServerError, "", nil)
	wantResp(t, "DELETE through the link", roundTrip(t, srv.Addr, deleteReq(5002, "secret")), wire.StatusServerError, "", nil)
	c := dial(t, srv.Addr)
	send(t, c, backupHead(5002, "secret", 5))
	wantClosed(t, "BACKUP through the link", c, refused)

	user := filepath.Join(srv.Root, "4243")
	if err := syscall.Mkfifo(filepath.Join(user, "fifo"), 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	if err := os.Mkdir(filepath.Join(user, "folder"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"fifo", "folder"} {
		wantResp(t, "RESTORE of a "+name, roundTrip(t, srv.Addr, restoreReq(4243, name)), wire.StatusNotExist, name, nil)
		wantResp(t, "DELETE of a "+name, roundTrip(t, srv.Addr, deleteReq(4243, name)), wire.StatusNotExist, name, nil)
		c := dial(t, srv.Addr)
		send(t, c, backupHead(4243, name, 5))
		wantClosed(t, "BACKUP over a "+name, c, refused)
	}
	// User 4243 + 64 shares the lock of user 4243.
	wantResp(t, "a user on the same lock", roundTrip(t, srv.Addr, backupReq(4243+64, "f", []byte("x"))), wire.StatusOK, "f", nil)
	resp, _, err := wire.ParseResponse(roundTrip(t, srv.Addr, listReq(4243)), wire.Limits{})
	if err != nil || resp.Status != wire.StatusListed || string(resp.Payload) != "secret\n" {
		t.Fatalf("LIST of 4243: %+v, %v", resp, err)
	}
	wantResp(t, "RESTORE of 4243's file", roundTrip(t, srv.Addr, restoreReq(4243, "secret")), wire.StatusRestored, "secret", []byte("4243's"))
}
