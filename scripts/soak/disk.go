package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/fbpkit/fbp/ref/wire"
)

// fullDisk fills a small tmpfs: first into the server's free-space reserve, which must refuse
// a BACKUP before its payload; then from outside, while an upload is under way, until its
// write fails, which must answer 1003, keep the previous version and free the upload's space.
// Mounting needs privileges: without them the scenario is skipped, and says so.
func fullDisk(cfg *config, mnt string) []row {
	if err := os.MkdirAll(mnt, 0o700); err != nil {
		return []row{broken("full disk", err)}
	}
	const size = 32 << 20
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, fmt.Sprintf("size=%d", size)); err != nil {
		return []row{{"full disk", "tmpfs of 32 MiB", "cannot mount a tmpfs here (" + err.Error() + "): run as root to include it", "", skip}}
	}
	defer syscall.Unmount(mnt, syscall.MNT_DETACH)
	return []row{reserveTrial(cfg, filepath.Join(mnt, "reserve")), enospcTrial(cfg, mnt)}
}

// startOnDisk starts a server with -reserve reserve, holding a previous version of user's
// file "f": 1 MiB drawn from user.
func startOnDisk(cfg *config, root string, user uint32, reserve string) (*server, []byte, error) {
	previous := drawn(1<<20, uint64(user))
	srv, err := startWithFile(cfg, root, user, previous, "-reserve", reserve)
	return srv, previous, err
}

func freeBytes(dir string) int64 {
	var st syscall.Statfs_t
	if syscall.Statfs(dir, &st) != nil {
		return -1
	}
	return int64(st.Bavail) * int64(st.Bsize)
}

// reserveTrial stores a previous version, then backs up 4 MiB files, every other one over the
// previous version, until one is refused: before its payload, with the reserve left free.
func reserveTrial(cfg *config, root string) row {
	const name = "full disk: the free-space reserve"
	const user = 31
	srv, previous, err := startOnDisk(cfg, root, user, "8MiB")
	if err != nil {
		return broken(name, err)
	}
	defer srv.stop()
	stored, refusal, early := 0, "nothing refused", false
	for i := range 64 {
		payload := drawn(4<<20, uint64(100+i))
		fileName := fmt.Sprintf("fill-%d", i)
		if i%2 == 1 {
			fileName = "f"
		}
		c, err := net.DialTimeout("tcp", srv.addr, ioTimeout)
		if err != nil {
			return broken(name, err)
		}
		c.SetDeadline(time.Now().Add(ioTimeout))
		c.Write(head(user, fileName, uint32(len(payload))))
		// Over the reserve, the answer comes before any payload byte is sent.
		c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		resp, _, err := readResponse(c, false)
		if err == nil {
			early = resp.Status == wire.StatusServerError
			refusal = fmt.Sprintf("%d before the payload", uint16(resp.Status))
			c.Close()
			break
		}
		c.SetDeadline(time.Now().Add(ioTimeout))
		c.Write(payload)
		resp, _, err = readResponse(c, false)
		c.Close()
		if err != nil || resp.Status != wire.StatusOK {
			refusal = statusText(resp, err) + " after the payload"
			break
		}
		if fileName == "f" {
			previous = payload
		}
		stored++
	}
	intact := restores(srv.addr, user, "f", previous)
	free := freeBytes(root)
	return row{name, "tmpfs of 32 MiB, -reserve 8MiB, 4 MiB backups",
		fmt.Sprintf("stored %d, then %s; %s left free; previous version intact: %v", stored, refusal, mib(free), intact),
		"1003 before the payload; reserve kept; previous intact", verdict(early && intact && free >= 8<<20)}
}

// enospcTrial starts an upload over a previous version, fills the disk from outside once the
// server has begun storing it, then sends the payload: the write fails.
func enospcTrial(cfg *config, mnt string) row {
	const name = "full disk: filled during an upload"
	root := filepath.Join(mnt, "enospc")
	const user = 32
	srv, previous, err := startOnDisk(cfg, root, user, "1")
	if err != nil {
		return broken(name, err)
	}
	defer srv.stop()
	freeBefore := freeBytes(mnt)
	payload := drawn(4<<20, 33)
	c, err := net.DialTimeout("tcp", srv.addr, ioTimeout)
	if err != nil {
		return broken(name, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(ioTimeout))
	c.Write(head(user, "f", uint32(len(payload))))
	if !waitFor(5*time.Second, func() bool { return len(leftovers(root)) > 0 }) {
		return row{name, "", "the server never began the upload", "", fail}
	}
	filler := filepath.Join(mnt, "filler")
	fillDisk(filler)
	c.Write(payload)
	resp, _, rerr := readResponse(c, false)
	os.Remove(filler)
	intact := restores(srv.addr, user, "f", previous)
	clean := waitFor(5*time.Second, func() bool { return len(leftovers(root)) == 0 })
	freeAfter := freeBytes(mnt)
	return row{name, "tmpfs of 32 MiB, 4 MiB upload, disk filled from outside",
		fmt.Sprintf("%s; previous version intact: %v; leftovers: %v; free %s before, %s after", statusText(resp, rerr), intact, !clean, mib(freeBefore), mib(freeAfter)),
		"1003; previous intact; space freed", verdict(rerr == nil && resp.Status == wire.StatusServerError && intact && clean && freeAfter >= freeBefore-64<<10)}
}

// fillDisk writes to path until the filesystem is full.
func fillDisk(path string) {
	f, err := os.Create(path)
	if err != nil {
		return
	}
	defer f.Close()
	block := make([]byte, 64<<10)
	for {
		if _, err := f.Write(block); err != nil {
			return
		}
	}
}
