package bench

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/fbpkit/fbp/ref/wire"
)

// Probe is how many connections a server was found to serve at once.
type Probe struct {
	Label string `json:"label"`
	// Limit is the most connections served at once; 0 when the probe found no limit up to
	// Upto.
	Limit int `json:"limit,omitempty"`
	Upto  int `json:"upto"`
	// Note says what the probe met, when it could not finish or the limit is unconfirmed.
	Note string `json:"note,omitempty"`
}

// probe finds how many connections the server serves at once, up to upto+1. It holds k
// connections, each with a request it has not finished (5 of a LIST's 6 bytes), so that a
// server serving them waits on each; then a whole LIST on one more connection must be answered.
// k grows by one while the LIST is answered. When it is not, within the probe wait, the held
// connections are released one by one: the LIST answered right after a release was waiting
// for a connection to end, so the server serves k at once.
func probe(ctx context.Context, s *server, upto int, cfg *Config) Probe {
	p := Probe{Label: s.Label, Upto: upto + 1}
	var held []net.Conn
	defer func() {
		for _, c := range held {
			_ = c.Close()
		}
	}()
	user := s.userBase - 1 // a user no client has
	req := (&wire.Request{UserID: user, Version: wire.Version, Op: wire.OpList}).Append(nil)
	dial := func() (net.Conn, error) {
		d := net.Dialer{Timeout: cfg.Timeout}
		return d.DialContext(ctx, "tcp", s.Addr)
	}
	for k := 0; k <= upto && ctx.Err() == nil; k++ {
		c, err := dial()
		if err != nil {
			p.Note = fmt.Sprintf("a connection failed while %d were held: %v", k, err)
			return p
		}
		answered, err := listAnswered(c, req, cfg.ProbeWait)
		if err != nil {
			_ = c.Close()
			p.Note = fmt.Sprintf("the probe's LIST failed while %d connections were held: %v", k, err)
			return p
		}
		if !answered {
			defer c.Close()
			for released := 1; len(held) > 0; released++ {
				_ = held[0].Close()
				held = held[1:]
				if ok, _ := listAnswered(c, nil, cfg.ProbeWait); ok {
					p.Limit = k
					if released > 1 {
						p.Note = fmt.Sprintf("the LIST was answered after %d held connections ended", released)
					}
					return p
				}
			}
			p.Note = fmt.Sprintf("a LIST was not answered within %v while %d connections were held, nor once they were closed", cfg.ProbeWait, k)
			return p
		}
		_ = c.Close()
		if k == upto {
			break
		}
		h, err := dial()
		if err != nil {
			p.Note = fmt.Sprintf("a connection failed while %d were held: %v", k, err)
			return p
		}
		held = append(held, h)
		if _, err := h.Write(req[:len(req)-1]); err != nil {
			p.Note = fmt.Sprintf("a held connection failed: %v", err)
			return p
		}
	}
	return p
}

// listAnswered sends req (unless nil) and reports whether the first byte of an answer comes
// within wait.
func listAnswered(c net.Conn, req []byte, wait time.Duration) (bool, error) {
	if req != nil {
		if err := c.SetWriteDeadline(time.Now().Add(wait)); err != nil {
			return false, err
		}
		if _, err := c.Write(req); err != nil {
			return false, err
		}
	}
	if err := c.SetReadDeadline(time.Now().Add(wait)); err != nil {
		return false, err
	}
	var b [1]byte
	_, err := c.Read(b[:])
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return false, nil
	}
	return err == nil, err
}
