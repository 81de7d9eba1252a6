package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/fbpkit/fbp/ref/server/storage"
	"github.com/fbpkit/fbp/ref/wire"
)

// planted plants what a careless operator or a local attacker could leave in the root: a link
// in place of a user folder (<root>/5002 -> 4243), a FIFO in a user folder, and a folder named
// like an upload's temporary file; the server must start, refuse the link, answer the FIFO at
// once, and keep serving.
func planted(cfg *config, root string) []row {
	leftover := filepath.Join(root, "7", storage.TempPrefix+"a-folder")
	if err := os.MkdirAll(leftover, 0o700); err != nil {
		return []row{broken("planted files", err)}
	}
	if err := os.WriteFile(filepath.Join(leftover, "inside"), nil, 0o600); err != nil {
		return []row{broken("planted files", err)}
	}
	var rows []row
	srv, err := startServer(cfg, root)
	rows = append(rows, row{"a folder named like an upload, at startup", "<root>/7/<temp prefix>a-folder/inside",
		startupSays(srv, err), "starts, says it left it alone", verdict(err == nil && strings.Contains(strings.Join(srv.log(), "\n"), "left alone"))})
	if err != nil {
		// The rest is still worth measuring on a server that refuses the leftover.
		os.RemoveAll(leftover)
		if srv, err = startServer(cfg, root); err != nil {
			return rows
		}
	}
	defer srv.stop()

	secret := []byte("user 4243's file")
	exchange(srv.addr, req(4243, wire.OpBackup, "secret", secret), false)
	linkOK := os.Symlink("4243", filepath.Join(root, "5002")) == nil
	var statuses []string
	refusedAll := linkOK
	for _, r := range [][]byte{req(5002, wire.OpList, "", nil), req(5002, wire.OpRestore, "secret", nil),
		req(5002, wire.OpDelete, "secret", nil), head(5002, "secret", 5)} {
		resp, _, _, err := exchange(srv.addr, r, false)
		statuses = append(statuses, statusText(resp, err))
		refusedAll = refusedAll && err == nil && resp.Status == wire.StatusServerError
	}
	intact := restores(srv.addr, 4243, "secret", secret)
	rows = append(rows, row{"a link in place of a user folder", "<root>/5002 -> 4243; LIST, RESTORE, DELETE, BACKUP as 5002",
		fmt.Sprintf("%s; 4243's file intact: %v", strings.Join(statuses, ", "), intact), "1003 to all; intact", verdict(refusedAll && intact)})

	fifo := filepath.Join(root, "4243", "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		return append(rows, row{"a FIFO in a user folder", "", "mkfifo: " + err.Error(), "", skip})
	}
	resp, _, d, err := exchange(srv.addr, req(4243, wire.OpRestore, "fifo", nil), false)
	// The same user, and one sharing its lock, are served after it.
	other, _, _, oerr := exchange(srv.addr, req(4243+64, wire.OpList, "", nil), false)
	again, _, _, aerr := exchange(srv.addr, req(4243, wire.OpRestore, "secret", nil), false)
	c, derr := net.Dial("tcp", srv.addr)
	if derr == nil {
		c.Close()
	}
	served := oerr == nil && other.Status == wire.StatusNoFiles && aerr == nil && again.Status == wire.StatusRestored
	rows = append(rows, row{"a FIFO in a user folder, then RESTORE of it", "mkfifo <root>/4243/fifo",
		fmt.Sprintf("%s in %v; user and lock neighbours served: %v", statusText(resp, err), d.Round(100*time.Microsecond), served),
		"1001 or 1003 at once (< 1s)", verdict(err == nil && (resp.Status == wire.StatusNotExist || resp.Status == wire.StatusServerError) && d < time.Second && served)})
	return rows
}

func startupSays(srv *server, err error) string {
	if err != nil {
		return "did not start: " + err.Error()
	}
	for _, l := range srv.log() {
		if strings.Contains(l, "left alone") {
			i := strings.Index(l, `"msg"`)
			return "started; log: " + strings.ReplaceAll(l[i:min(len(l), i+60)], "\x7f", `\x7f`) + "..."
		}
	}
	return "started, said nothing of it"
}

func statusText(resp wire.Response, err error) string {
	if err != nil {
		return "error " + err.Error()
	}
	return fmt.Sprint(uint16(resp.Status))
}
