package main

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fbpkit/fbp/ref/wire"
)

// slowPeers lays siege to a server with default flags: stalled connections that send 10 bytes
// of a header and nothing more, and trickling ones that send a byte every 1.5 s, half of them
// a header and half the payload of a refused BACKUP. Each attacker reconnects when the server
// cuts it off, so that the numbers hold for the whole siege. Meanwhile a probe sends a LIST on
// a fresh connection every 250 ms; its latency and the server's memory are the figures. With
// default flags a trickled header is cut at 10 s, a trickled payload once a 30 s window has not
// carried 240 KiB.
func slowPeers(cfg *config, root string) []row {
	srv, err := startServer(cfg, root)
	if err != nil {
		return []row{broken("slow peers", err)}
	}
	defer srv.stop()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var opened, cutStalled, cutHeader, cutPayload, refusedDial atomic.Int64
	header := req(9, wire.OpBackup, strings.Repeat("n", 200), []byte("x"))
	refused := req(9, wire.OpBackup, "../x", make([]byte, 1<<20))
	refusedHead := len(refused) - 1<<20

	// attacker keeps one connection open, sending what send sends, and opens a new one when the
	// server closes it.
	attacker := func(send func(c net.Conn) bool, cut *atomic.Int64) {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			c, err := net.DialTimeout("tcp", srv.addr, 5*time.Second)
			if err != nil {
				refusedDial.Add(1)
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
				}
				continue
			}
			opened.Add(1)
			if send(c) {
				cut.Add(1)
			}
			c.Close()
		}
	}
	// stall sends 10 bytes, then waits for the server to close or the siege to end; it reports
	// whether the server closed.
	stall := func(c net.Conn) bool {
		c.Write(header[:10])
		return waitClosed(c, stop)
	}
	// trickle sends from, a byte every 1.5 s, after sending lead at once.
	trickle := func(lead, from []byte) func(c net.Conn) bool {
		return func(c net.Conn) bool {
			if _, err := c.Write(lead); err != nil {
				return true
			}
			for _, b := range from {
				select {
				case <-stop:
					return false
				case <-time.After(1500 * time.Millisecond):
				}
				if _, err := c.Write([]byte{b}); err != nil {
					return true
				}
			}
			return waitClosed(c, stop)
		}
	}
	for range cfg.stalled {
		wg.Add(1)
		go attacker(stall, &cutStalled)
	}
	for i := range cfg.trickling {
		wg.Add(1)
		if i%2 == 0 {
			go attacker(trickle(nil, header), &cutHeader)
		} else {
			go attacker(trickle(refused[:refusedHead], refused[refusedHead:]), &cutPayload)
		}
	}

	// The siege is laid once every attacker has connected; then the probe runs.
	waitFor(30*time.Second, func() bool { return opened.Load() >= int64(cfg.stalled+cfg.trickling) })
	var lat []time.Duration
	var failed int
	var peakRSS int64
	end := time.Now().Add(cfg.slowFor)
	for time.Now().Before(end) {
		resp, _, d, err := exchange(srv.addr, req(uint32(len(lat)+failed+1000), wire.OpList, "", nil), false)
		if err != nil || resp.Status != wire.StatusNoFiles {
			failed++
		} else {
			lat = append(lat, d)
		}
		if rss, _ := srv.memory(); rss > peakRSS {
			peakRSS = rss
		}
		time.Sleep(250 * time.Millisecond)
	}
	_, peak := srv.memory()
	close(stop)
	wg.Wait()

	p50, worst := spread(lat)
	setting := fmt.Sprintf("%d stalled + %d trickling, default flags, %v", cfg.stalled, cfg.trickling, cfg.slowFor)
	return []row{
		{"slow peers: a probe's LIST", setting,
			fmt.Sprintf("%d of %d answered, p50 %v, max %v", len(lat), len(lat)+failed, p50.Round(100*time.Microsecond), worst.Round(100*time.Microsecond)),
			"all answered, max < 1s", verdict(failed == 0 && len(lat) > 0 && worst < time.Second)},
		{"slow peers: server memory", setting,
			fmt.Sprintf("RSS peak %s during the siege (VmHWM %s)", mib(peakRSS), mib(peak)),
			"< 64 MiB", verdict(peak > 0 && peak < 64<<20)},
		{"slow peers: cut off", setting,
			fmt.Sprintf("%d connections opened; cut: stalled %d, trickled headers %d, trickled payloads %d", opened.Load(), cutStalled.Load(), cutHeader.Load(), cutPayload.Load()),
			"trickles cut: headers (siege > 10s), payloads (> 31s)",
			verdict((cfg.slowFor < 11*time.Second || cutHeader.Load() > 0) && (cfg.slowFor < 35*time.Second || cutPayload.Load() > 0))},
	}
}

// waitClosed waits until the server closes c (reported true) or stop is closed.
func waitClosed(c net.Conn, stop chan struct{}) bool {
	gone := make(chan struct{})
	go func() {
		var b [1]byte
		c.SetReadDeadline(time.Time{})
		c.Read(b[:])
		close(gone)
	}()
	select {
	case <-gone:
		return true
	case <-stop:
		c.SetReadDeadline(time.Now())
		<-gone
		return false
	}
}
