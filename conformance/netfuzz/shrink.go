package netfuzz

import (
	"bytes"
	"context"
	"encoding/binary"
	"slices"
	"time"

	"github.com/fbpkit/fbp/conformance/report"
)

// minimize shrinks fd's input while the same finding reproduces, and fills in fd's Input,
// Delivery, Minimized, Reproduced and ShrinkTries. A crash or hang needs a restart before every
// attempt; without Config.Restart it stays as found.
func (f *fuzzer) minimize(ctx context.Context, fd *Finding, in Input) {
	fd.Input, fd.Delivery = in.Bytes, in.Delivery
	needsRestart := fd.Kind == KindCrash || fd.Kind == KindHang
	if needsRestart && f.cfg.Restart == nil {
		f.logf("%s: no restart available: reported as found, not minimized", fd.Kind)
		return
	}
	s := &shrinker{f: f, fd: fd, restart: needsRestart, probe: fd.Step > 0,
		tries: f.cfg.ShrinkTries, stopAt: time.Now().Add(f.cfg.ShrinkTime)}
	if fd.Step == 0 {
		s.detailPrefix = baselinePrefix
	}
	// The input must reproduce the finding on its own (from a fresh start for a crash or hang)
	// before anything is taken from it: otherwise the fault needs what came before.
	fd.Reproduced = s.reproduces(ctx, in)
	if !fd.Reproduced {
		f.logf("%s %s: the input alone does not reproduce it; not minimized", fd.Kind, fd.Requirement)
		fd.ShrinkTries = s.used
		return
	}
	best := s.shrink(ctx, in)
	fd.Input, fd.Delivery = best.Bytes, best.Delivery
	fd.Minimized = true
	fd.ShrinkTries = s.used
	// The detail must describe the input that is saved: the last attempt that reproduced the
	// finding was made with best.
	// Expected, actual and the exchange stay the input's as first sent, whose answer the
	// finding keeps.
	if d := s.detailPrefix + s.seen.Detail; d != fd.Detail {
		fd.OriginalDetail, fd.Detail = fd.Detail, d
	}
	f.logf("%s %s: minimized %d -> %d bytes in %d tries: %x", fd.Kind, fd.Requirement, len(in.Bytes), len(best.Bytes), s.used, head(best.Bytes))
}

type shrinker struct {
	f       *fuzzer
	fd      *Finding
	restart bool // restart the target before each attempt
	probe   bool // probe after each attempt (not when the probe itself is the finding)
	tries   int
	used    int
	stopAt  time.Time
	broken  bool // the target failed and could not be restarted
	// seen is what the last attempt that reproduced the finding saw, detailPrefix what a
	// finding's detail starts with before it.
	seen         report.Finding
	detailPrefix string
}

func (s *shrinker) spent(ctx context.Context) bool {
	return s.broken || ctx.Err() != nil || s.used >= s.tries || !time.Now().Before(s.stopAt)
}

// reproduces runs one attempt and reports whether it gives the same finding.
func (s *shrinker) reproduces(ctx context.Context, in Input) bool {
	if s.spent(ctx) {
		return false
	}
	s.used++
	f := s.f
	if s.restart && !f.restart(ctx) {
		s.broken = true
		return false
	}
	o, err := f.sendJudged(ctx, in)
	if s.probe {
		o.health = f.probe(ctx)
	}
	var same bool
	switch s.fd.Kind {
	case KindCrash, KindHang:
		k, found := o.finding()
		same = k == s.fd.Kind && found.Key() == s.fd.Key()
		if same {
			s.seen = found
		}
	default:
		same = err == nil && o.v.kind == s.fd.Kind && o.v.finding().Key() == s.fd.Key()
		if same {
			s.seen = o.v.finding()
		}
		if o.health.kind != "" && !f.restart(ctx) {
			// Another fault took the target down; without a restart shrinking ends here.
			s.broken = true
		}
	}
	return same
}

// shrink returns the smallest input found that reproduces the finding: a plainer delivery,
// then shorter fields with their length fields told (fieldShrinks), then chunks dropped (halving their size, from the end so that truncations come first), then
// bytes zeroed, until a round changes nothing or the budget is spent.
func (s *shrinker) shrink(ctx context.Context, best Input) Input {
	best.Bytes = bytes.Clone(best.Bytes)
	if len(best.Delivery.Splits) > 0 {
		c := best
		c.Delivery = Delivery{End: best.Delivery.End}
		if s.reproduces(ctx, c) {
			best = c
		}
	}
	for changed := true; changed && !s.spent(ctx); {
		changed = false
		for _, c := range fieldShrinks(best) {
			if s.spent(ctx) {
				break
			}
			if s.reproduces(ctx, c) {
				best, changed = c, true
				break
			}
		}
		for chunk := max(len(best.Bytes)/2, 1); chunk >= 1 && !s.spent(ctx); chunk /= 2 {
			for i := len(best.Bytes) - chunk; i >= 0 && !s.spent(ctx); i -= chunk {
				c := best
				c.Bytes = slices.Delete(bytes.Clone(best.Bytes), i, i+chunk)
				c.Delivery = best.Delivery.clip(len(c.Bytes))
				if s.reproduces(ctx, c) {
					best, changed = c, true
				}
			}
		}
		for i := 0; i < len(best.Bytes) && !s.spent(ctx); i++ {
			if best.Bytes[i] == 0 {
				continue
			}
			c := best
			c.Bytes = bytes.Clone(best.Bytes)
			c.Bytes[i] = 0
			if s.reproduces(ctx, c) {
				best, changed = c, true
			}
		}
	}
	return best
}

// fieldShrinks are smaller versions of in that keep its layout: a shorter filename with
// name_len to match, a smaller size with the payload cut to it. Dropping bytes blindly cannot
// find these: the lengths would then lie, and the server would read another message.
func fieldShrinks(in Input) []Input {
	b := in.Bytes
	l := layoutOf(b)
	var out []Input
	add := func(nb []byte) {
		if len(nb) < len(b) || !bytes.Equal(nb, b) && len(nb) == len(b) {
			out = append(out, Input{Bytes: nb, Delivery: in.Delivery.clip(len(nb)), Origin: in.Origin, Mutations: in.Mutations})
		}
	}
	if l.nameLen >= 0 {
		n := int(binary.LittleEndian.Uint16(b[6:8]))
		if 8+n <= len(b) {
			for _, k := range []int{0, n / 2, n - 1} {
				if k < 0 || k >= n {
					continue
				}
				nb := binary.LittleEndian.AppendUint16(bytes.Clone(b[:6]), uint16(k))
				nb = append(append(nb, b[8:8+k]...), b[8+n:]...)
				add(nb)
			}
		}
	}
	if l.size >= 0 {
		size := binary.LittleEndian.Uint32(b[l.size:])
		present := uint32(len(b) - l.size - 4)
		for _, v := range []uint32{0, 1, present, present + 1, size / 2} {
			if v >= size {
				continue
			}
			nb := binary.LittleEndian.AppendUint32(bytes.Clone(b[:l.size]), v)
			add(append(nb, b[l.size+4:l.size+4+int(min(v, present))]...))
		}
	}
	return out
}
