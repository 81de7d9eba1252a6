package bench

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fbpkit/fbp/ref/wire"
)

// Defaults for the zero fields of Config.
const (
	DefaultTimeout   = 5 * time.Second
	DefaultNames     = 4
	DefaultProbeWait = time.Second
	// MaxNames bounds the names a client (or, shared, all clients) uses.
	MaxNames = 100
	// MaxClients bounds a run's clients: each holds a connection and a goroutine, and the
	// concurrency probe holds as many more.
	MaxClients = 4096
)

// ErrConfig marks a Config that cannot run; the command reports it as a usage error.
var ErrConfig = errors.New("bench config")

// Ops are the operations a mix can weigh, in the order reports list them.
var Ops = [numOps]wire.Op{wire.OpBackup, wire.OpRestore, wire.OpList, wire.OpDelete}

const numOps = 4

// Mix weighs the operations a client chooses from: an op is drawn with probability
// weight / total.
type Mix map[wire.Op]int

// DefaultMix is mostly reads, as backup systems see: every op, RESTORE four times as often.
var DefaultMix = Mix{wire.OpBackup: 1, wire.OpRestore: 4, wire.OpList: 1, wire.OpDelete: 1}

var opNames = map[string]wire.Op{"backup": wire.OpBackup, "restore": wire.OpRestore, "list": wire.OpList, "delete": wire.OpDelete}

// ParseMix reads "backup=1,restore=4": op names (backup, restore, list, delete), each with a
// weight of 0 or more; an op left out weighs 0.
func ParseMix(s string) (Mix, error) {
	m := Mix{}
	for part := range strings.SplitSeq(s, ",") {
		name, w, ok := strings.Cut(strings.TrimSpace(part), "=")
		op, known := opNames[strings.ToLower(name)]
		if !ok || !known {
			return nil, fmt.Errorf("%q: want op=weight, op one of backup, restore, list, delete", part)
		}
		if _, dup := m[op]; dup {
			return nil, fmt.Errorf("%s given twice", name)
		}
		n, err := strconv.Atoi(w)
		if err != nil || n < 0 || n > 1e6 {
			return nil, fmt.Errorf("%q: the weight must be a whole number from 0 to 1000000", part)
		}
		m[op] = n
	}
	if m.total() == 0 {
		return nil, errors.New("every weight is 0")
	}
	return m, nil
}

func (m Mix) total() int {
	t := 0
	for _, w := range m {
		t += w
	}
	return t
}

// Has reports whether op can be drawn.
func (m Mix) Has(op wire.Op) bool { return m[op] > 0 }

// pick draws an op.
func (m Mix) pick(r *rand.Rand) wire.Op {
	n := r.IntN(m.total())
	for _, op := range Ops {
		if n < m[op] {
			return op
		}
		n -= m[op]
	}
	panic("unreachable")
}

func (m Mix) String() string {
	var parts []string
	for _, op := range Ops {
		if m[op] > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", strings.ToLower(op.String()), m[op]))
		}
	}
	return strings.Join(parts, ",")
}

// MarshalText writes the mix as ParseMix reads it.
func (m Mix) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// Sizes is the distribution of a BACKUP's size: Min when Min == Max, otherwise log-uniform
// between them (as many files from 1 to 10 KiB as from 10 to 100 KiB), which is roughly how
// file sizes spread.
type Sizes struct {
	Min int64 `json:"min"`
	Max int64 `json:"max"`
}

func (s Sizes) draw(r *rand.Rand) int64 {
	if s.Min == s.Max {
		return s.Min
	}
	lo, hi := math.Log(float64(s.Min)), math.Log(float64(s.Max))
	return min(max(int64(math.Exp(lo+r.Float64()*(hi-lo))), s.Min), s.Max)
}

func (s Sizes) String() string {
	if s.Min == s.Max {
		return FormatBytes(s.Min)
	}
	return FormatBytes(s.Min) + "-" + FormatBytes(s.Max) + " (log-uniform)"
}

// FormatBytes writes n with the largest binary unit that divides it: 4KiB, 1MiB, 1000.
func FormatBytes(n int64) string {
	for _, u := range []struct {
		shift uint
		name  string
	}{{30, "GiB"}, {20, "MiB"}, {10, "KiB"}} {
		if n >= 1<<u.shift && n%(1<<u.shift) == 0 {
			return fmt.Sprintf("%d%s", n>>u.shift, u.name)
		}
	}
	return strconv.FormatInt(n, 10)
}

// Target is a server under load.
type Target struct {
	// Label names it in reports ("server", "compare").
	Label string
	Addr  string
	// Usage reads the CPU time and memory of the server's process, when the tester started it;
	// nil otherwise.
	Usage func() (Usage, error)
}

// Config describes a run.
type Config struct {
	Target Target
	// Compare, when set, is a second server measured in the same run: rounds alternate
	// between the two, and the report gives their ratio per round.
	Compare *Target
	// Clients lists the numbers of concurrent clients to run, in order: more than one makes
	// a sweep.
	Clients []int
	Mix     Mix
	Sizes   Sizes
	// A round lasts Duration, or, when Count is positive, until Count requests have been
	// answered.
	Duration time.Duration
	Count    int
	// Warmup runs before the first round of each number of clients, unmeasured.
	Warmup time.Duration
	// Rounds per number of clients; each runs every system (server, compare, baselines) once,
	// in turn, starting with a different one each round.
	Rounds int
	// MaxRounds, when above Rounds, lets the run go on past Rounds, a round at a time, until
	// every ratio (to the other server, to each limit) lies within ±10% of its median, or
	// MaxRounds is reached; the report says which ratios did not settle.
	MaxRounds int
	// KeepConns keeps each client's connection for its next request; otherwise every request
	// has a connection of its own, as the exercise's clients do.
	KeepConns bool
	// Shared makes every client back up and restore the same names of one user.
	Shared bool
	// Names is how many filenames each client (shared: all clients) uses (DefaultNames).
	Names int
	// Baseline also measures, at the same concurrency, loopback TCP carrying the same bytes
	// and the same operations done on the local disk (BaselineDir, default the system's
	// temporary folder), so that the server's figures read as fractions of the machine's.
	Baseline    bool
	BaselineDir string
	// Probe finds how many connections each server serves at once, up to the largest number
	// of clients, when that is more than 1. ProbeWait is how long an unanswered probe is
	// waited for (DefaultProbeWait).
	Probe     bool
	ProbeWait time.Duration
	// Timeout bounds every connect, read and write (DefaultTimeout).
	Timeout time.Duration
	// Keep leaves the files the clients stored on the servers; otherwise the run deletes them.
	Keep bool
	Seed uint64
	// Log, when set, receives a line as each phase starts.
	Log io.Writer
}

func (c *Config) check() error {
	fail := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, a...))
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Names == 0 {
		c.Names = DefaultNames
	}
	if c.ProbeWait == 0 {
		c.ProbeWait = DefaultProbeWait
	}
	if c.Mix == nil {
		c.Mix = DefaultMix
	}
	switch {
	case c.Target.Addr == "":
		return fail("no server address")
	case len(c.Clients) == 0:
		return fail("no number of clients")
	case c.Mix.total() <= 0:
		return fail("the mix draws no op")
	case c.Sizes.Min < HeaderLen || c.Sizes.Max < c.Sizes.Min || c.Sizes.Max > math.MaxUint32:
		return fail("sizes %d to %d: want %d bytes (each file's header) to 4GiB-1, the smaller first", c.Sizes.Min, c.Sizes.Max, HeaderLen)
	case c.Duration <= 0 && c.Count <= 0:
		return fail("a round needs a duration or a count")
	case c.Warmup < 0 || c.Timeout < 0 || c.ProbeWait < 0:
		return fail("negative warm-up, timeout or probe wait")
	case c.Rounds <= 0:
		return fail("rounds must be positive")
	case c.Names < 1 || c.Names > MaxNames:
		return fail("names %d: want 1 to %d", c.Names, MaxNames)
	}
	for _, n := range c.Clients {
		if n < 1 || n > MaxClients {
			return fail("clients %d: want 1 to %d", n, MaxClients)
		}
	}
	return nil
}

func (c *Config) maxRounds() int { return max(c.Rounds, c.MaxRounds) }

func (c *Config) maxClients() int { return slices.Max(c.Clients) }
