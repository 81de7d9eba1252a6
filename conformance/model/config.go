package model

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	mrand "math/rand"
	"slices"
	"time"

	"github.com/fbpkit/fbp/conformance/capture"
	"github.com/fbpkit/fbp/internal/content"
	"github.com/fbpkit/fbp/ref/wire"
)

// Defaults for a zero Config field.
const (
	DefaultSteps       = 20
	DefaultRuns        = 100
	DefaultUsers       = 2
	DefaultNames       = 4
	DefaultMaxPayload  = 64 << 10
	DefaultTimeout     = 5 * time.Second
	DefaultClients     = 4
	DefaultMaxShrinks  = 200
	DefaultShrinkTime  = 20 * time.Second
	DefaultShrinkTries = 8
	// MaxPayloadLimit bounds Config.MaxPayload: a run keeps no payload in memory, but every
	// step streams one, and a random tester needs many steps more than large ones.
	MaxPayloadLimit = 1 << 30
)

// Config is one run of the model.
type Config struct {
	Addr string // host:port of the server under test
	// Seed makes the run reproducible: the same seed draws the same sequences. Zero draws a
	// seed at random; Result.Seed says which.
	Seed int64
	// Steps is the length of the longest sequence (sequential) or of each client's sequence
	// (concurrent). Sequential sequences grow from Steps/2 to Steps over the run.
	Steps int
	// Runs is how many sequences (sequential) or concurrent rounds the run tries at most.
	Runs int
	// Users is how many users share the server in a sequence (1 to MaxUsers); Names how many
	// filenames of the pool they use (1 to MaxNames). Few names make overwrites likely.
	Users, Names int
	// MaxPayload is the largest BACKUP the run sends, in bytes. No RESTORE is read beyond it.
	MaxPayload int
	// Timeout bounds the dial and every read and write of every request.
	Timeout time.Duration
	// MaxShrinks bounds the shrinking: how many successive smaller failing sequences it moves
	// to (sequential), or how many smaller sets of client sequences it tries (concurrent). A
	// negative value turns shrinking off.
	MaxShrinks int
	// ShrinkTime bounds the shrinking's time; the smallest failure found by then is reported.
	ShrinkTime time.Duration
	// ShrinkTries is how many rounds a concurrent shrink runs a smaller set of client
	// sequences before it takes the failure to be gone: races show only now and then.
	ShrinkTries int
	// Concurrent runs Clients clients at once on shared users and names and checks each
	// round's history for linearizability.
	Concurrent bool
	Clients    int
	// Restart, when set, restarts the server under test once it stops answering: before the
	// next sequence, round or shrink attempt after a request that got no response, if the
	// server then does not answer a LIST either. It returns the address the server now listens
	// on ("" for unchanged). Without it, every attempt after a crash runs against a dead
	// server, and shrinking cannot tell which steps caused the crash.
	Restart func(ctx context.Context) (addr string, err error)
	// Log receives a line per milestone (the seed first); nil discards.
	Log io.Writer
	// Visualization, when set, receives porcupine's HTML view of a non-linearizable history.
	Visualization io.Writer
	// Capture, if set, records every connection of the run under CaptureID (-pcap).
	Capture *capture.Recorder
}

// ErrConfig is a Config field out of range.
var ErrConfig = errors.New("model: bad config")

func (c Config) withDefaults() (Config, error) {
	c.Steps = cmp.Or(c.Steps, DefaultSteps)
	c.Runs = cmp.Or(c.Runs, DefaultRuns)
	c.Users = cmp.Or(c.Users, DefaultUsers)
	c.Names = cmp.Or(c.Names, DefaultNames)
	c.MaxPayload = cmp.Or(c.MaxPayload, DefaultMaxPayload)
	c.Clients = cmp.Or(c.Clients, DefaultClients)
	c.MaxShrinks = cmp.Or(c.MaxShrinks, DefaultMaxShrinks)
	c.ShrinkTries = cmp.Or(c.ShrinkTries, DefaultShrinkTries)
	c.ShrinkTime = cmp.Or(c.ShrinkTime, DefaultShrinkTime)
	c.Timeout = cmp.Or(c.Timeout, DefaultTimeout)
	if c.Log == nil {
		c.Log = io.Discard
	}
	if c.Seed == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		c.Seed = int64(binary.LittleEndian.Uint64(b[:]) >> 1)
		if c.Seed == 0 {
			c.Seed = 1
		}
	}
	switch {
	case c.Addr == "":
		return c, fmt.Errorf("%w: no address", ErrConfig)
	case c.Steps < 1 || c.Runs < 1 || c.Clients < 1 || c.Timeout < 0 || c.ShrinkTime < 0 || c.ShrinkTries < 1:
		return c, fmt.Errorf("%w: steps, runs, clients and shrink tries must be positive", ErrConfig)
	case c.Users < 1 || c.Users > MaxUsers:
		return c, fmt.Errorf("%w: users %d, want 1 to %d", ErrConfig, c.Users, MaxUsers)
	case c.Names < 1 || c.Names > MaxNames:
		return c, fmt.Errorf("%w: names %d, want 1 to %d", ErrConfig, c.Names, MaxNames)
	case c.MaxPayload < 1 || c.MaxPayload > MaxPayloadLimit:
		return c, fmt.Errorf("%w: max payload %d, want 1 to %d", ErrConfig, c.MaxPayload, MaxPayloadLimit)
	}
	return c, nil
}

// stepDraw draws random steps for a run.
type stepDraw struct {
	users, names, maxPayload int
	// large is the share of BACKUPs, in percent, whose payload is above 4 KiB: the concurrent
	// mode wants many, so that an overwrite takes long enough to be seen half done.
	large int
}

// step draws one step. With the model's store at hand (nil in concurrent rounds, which have
// none), RESTORE and DELETE mostly name a stored file and BACKUP often overwrites one: the
// stateful faults hide behind exactly such steps.
func (d stepDraw) step(rng *mrand.Rand, st *store) Step {
	s := Step{User: rng.Intn(d.users), Name: namePool[rng.Intn(d.names)]}
	var stored []string
	if st != nil {
		stored = slices.Sorted(maps.Keys(st.users[s.User].files))
	}
	pickStored := func(percent int) {
		if len(stored) > 0 && rng.Intn(100) < percent {
			s.Name = stored[rng.Intn(len(stored))]
		}
	}
	// A user with files gets fewer BACKUPs: a fault of DELETE or LIST shows only in a run of
	// steps that adds nothing.
	backup, restore, del := 40, 65, 80
	if len(stored) > 0 {
		backup, restore, del = 30, 52, 75
	}
	switch p := rng.Intn(100); {
	case p < backup:
		s.Op = wire.OpBackup
		s.Content = content.Drawn(int64(d.size(rng)), rng.Uint64())
		pickStored(40)
	case p < restore:
		s.Op = wire.OpRestore
		pickStored(70)
	case p < del:
		s.Op = wire.OpDelete
		pickStored(70)
	default:
		s.Op, s.Name = wire.OpList, ""
	}
	return s
}

// size draws a payload length: empty, tiny, small and large ones, never above maxPayload.
func (d stepDraw) size(rng *mrand.Rand) int {
	const small = 4 << 10
	n := 0
	switch p := rng.Intn(100); {
	case p < d.large:
		n = small + 1 + rng.Intn(max(1, d.maxPayload-small))
	case p < d.large+5:
		n = 0
	case p < d.large+50:
		n = 1 + rng.Intn(16)
	default:
		n = 17 + rng.Intn(small-16)
	}
	return min(n, d.maxPayload)
}
