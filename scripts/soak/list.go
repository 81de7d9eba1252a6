package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/fbpkit/fbp/ref/wire"
)

// listFlood plants a folder of listFiles files with 255-byte names, then sends listConc LISTs
// at once, listRounds times, and checks every listing's size while the server's memory is
// watched.
func listFlood(cfg *config, root string) []row {
	const user = 4242
	dir := filepath.Join(root, strconv.Itoa(user))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return []row{broken("concurrent LISTs", err)}
	}
	for i := range cfg.listFiles {
		name := fmt.Sprintf("%0255d", i)
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			return []row{broken("concurrent LISTs", err)}
		}
	}
	srv, err := startServer(cfg, root)
	if err != nil {
		return []row{broken("concurrent LISTs", err)}
	}
	defer srv.stop()
	want := int64(cfg.listFiles) * 256
	var mu sync.Mutex
	var lat []time.Duration
	var wrong int
	for range cfg.listRounds {
		var wg sync.WaitGroup
		for range cfg.listConc {
			wg.Go(func() {
				resp, size, d, err := exchange(srv.addr, req(user, wire.OpList, "", nil), false)
				mu.Lock()
				defer mu.Unlock()
				if err != nil || resp.Status != wire.StatusListed || size != want {
					wrong++
					return
				}
				lat = append(lat, d)
			})
		}
		wg.Wait()
	}
	_, peak := srv.memory()
	p50, worst := spread(lat)
	return []row{{
		"concurrent LISTs of a large folder",
		fmt.Sprintf("%d x %d LISTs of %d files, 255-byte names (%s each)", cfg.listRounds, cfg.listConc, cfg.listFiles, mib(want)),
		fmt.Sprintf("%d exact, %d wrong; p50 %v, max %v; RSS peak %s", len(lat), wrong, p50.Round(time.Millisecond), worst.Round(time.Millisecond), mib(peak)),
		"all exact, RSS < 64 MiB", verdict(wrong == 0 && peak > 0 && peak < 64<<20),
	}}
}
