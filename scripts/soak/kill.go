package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/fbpkit/fbp/ref/wire"
)

// killTrials kills the server with SIGKILL at a random point of an upload, restarts it, and
// checks that the file is exactly the old or the new version and that no temporary file is
// left after the restart.
func killTrials(cfg *config, root string) []row {
	const user = 77
	committed := drawn(4096, 0) // the version the server acknowledged last
	srv, err := startWithFile(cfg, root, user, committed)
	if err != nil {
		return []row{broken("kill -9 during uploads", err)}
	}
	var kept, replaced, torn, left, failed int
	var problems []string
	for trial := 1; trial <= cfg.killTrials; trial++ {
		n := 64<<10 + cfg.rng.IntN(4<<20)
		next := drawn(n, uint64(trial))
		full := req(user, wire.OpBackup, "f", next)
		// The kill lands anywhere from the first header byte to a while after the last payload
		// byte, when the server syncs and renames.
		cut := cfg.rng.IntN(len(full) + len(full)/4)
		acked := upload(srv.addr, full, cut, cfg.rng.IntN(20))
		srv.kill()
		if srv, err = startServer(cfg, root); err != nil {
			problems = append(problems, fmt.Sprintf("trial %d: restart: %v", trial, err))
			failed++
			break
		}
		if l := leftovers(root); len(l) > 0 {
			left++
			problems = append(problems, fmt.Sprintf("trial %d: leftovers after restart %q", trial, l))
		}
		resp, _, _, err := exchange(srv.addr, req(user, wire.OpRestore, "f", nil), true)
		switch {
		case err != nil || resp.Status != wire.StatusRestored:
			failed++
			problems = append(problems, fmt.Sprintf("trial %d: restore: status %v, %v", trial, resp.Status, err))
		case bytes.Equal(resp.Payload, next):
			replaced++
			committed = next
		case bytes.Equal(resp.Payload, committed) && !acked:
			kept++
		default:
			torn++
			problems = append(problems, fmt.Sprintf("trial %d: restored %d bytes, neither version (acknowledged %v)", trial, len(resp.Payload), acked))
		}
	}
	srv.stop()
	for _, p := range problems[:min(len(problems), 5)] {
		fmt.Fprintln(os.Stderr, "soak: kill:", p)
	}
	return []row{{
		"kill -9 at random points of uploads",
		fmt.Sprintf("%d trials, 64 KiB-4 MiB", cfg.killTrials),
		fmt.Sprintf("old version %d, new %d, torn %d, leftovers %d, failures %d", kept, replaced, torn, left, failed),
		"old or new; no leftover",
		verdict(torn == 0 && left == 0 && failed == 0 && kept+replaced == cfg.killTrials),
	}}
}

// upload sends the first cut bytes of a BACKUP (all of it if cut is past its end, then waits
// linger milliseconds), and reports whether the server acknowledged it.
func upload(addr string, full []byte, cut, linger int) (acked bool) {
	c, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(ioTimeout))
	if cut < len(full) {
		c.Write(full[:cut])
		// Let the bytes reach the server before it dies.
		time.Sleep(time.Duration(linger) * time.Millisecond)
		return false
	}
	if _, err := c.Write(full); err != nil {
		return false
	}
	c.SetReadDeadline(time.Now().Add(time.Duration(linger) * time.Millisecond))
	resp, _, err := readResponse(c, false)
	return err == nil && resp.Status == wire.StatusOK
}

// cutUploads cuts uploads mid-payload, half with a plain close and half with a reset, and
// checks that the previous version stays and no temporary file remains.
func cutUploads(cfg *config, root string) []row {
	const user = 78
	previous := drawn(256<<10, 1000)
	srv, err := startWithFile(cfg, root, user, previous)
	if err != nil {
		return []row{broken("uploads cut mid-payload", err)}
	}
	defer srv.stop()
	var intact, bad int
	for trial := range cfg.cutTrials {
		full := req(user, wire.OpBackup, "f", drawn(1<<20, uint64(2000+trial)))
		c, err := net.DialTimeout("tcp", srv.addr, ioTimeout)
		if err != nil {
			bad++
			continue
		}
		c.Write(full[:12+cfg.rng.IntN(len(full)-13)])
		if trial%2 == 1 {
			c.(*net.TCPConn).SetLinger(0)
		}
		c.Close()
		if restores(srv.addr, user, "f", previous) {
			intact++
		} else {
			bad++
		}
	}
	// The server removes a cut upload's file when it sees the cut: wait for it.
	clean := waitFor(10*time.Second, func() bool { return len(leftovers(root)) == 0 })
	return []row{{
		"uploads cut mid-payload (close, reset)",
		fmt.Sprintf("%d uploads of 1 MiB", cfg.cutTrials),
		fmt.Sprintf("previous version intact %d of %d, leftovers %s", intact, cfg.cutTrials, map[bool]string{true: "none", false: strings.Join(leftovers(root), ",")}[clean]),
		"previous intact; no leftover",
		verdict(bad == 0 && clean),
	}}
}
