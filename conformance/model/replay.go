package model

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/fbpkit/fbp/internal/content"
	"github.com/fbpkit/fbp/ref/wire"
)

// ReplaySchema names the replay file format; ReadReplay refuses any other.
const ReplaySchema = "fbp-model-replay/1"

// Replay modes.
const (
	ModeSequential = "sequential"
	ModeConcurrent = "concurrent"
)

// DefaultReplayRounds is how many times Replay re-runs a concurrent failure that gives no
// Rounds: a race shows only now and then, and a shrunk round is kept when one of a few reruns
// fails, so it may reproduce in one round of fifty. Replay stops at the first failure, so the
// margin costs nothing while the bug is there, and a second or two once it is fixed.
const DefaultReplayRounds = 500

// ReplayFile is a failure saved to be re-run: the steps, not the users (a replay draws fresh
// ones) nor the responses (a replay checks them against the model again).
type ReplayFile struct {
	Seed  int64 // the run that found it, for reference
	Mode  string
	Users int // how many users the steps use
	// Steps is a sequential failure's sequence.
	Steps []Step
	// Clients is a concurrent failure's sequences, one per client, and Rounds how many times
	// Replay runs them at once before it says the failure is gone.
	Clients [][]Step
	Rounds  int
	// Requirement and Reason say what the failure was when it was found.
	Requirement, Reason string
}

func newReplay(cfg Config, steps []Step, f *Failure) *ReplayFile {
	return &ReplayFile{Seed: cfg.Seed, Mode: ModeSequential, Users: cfg.Users, Steps: inputs(steps),
		Requirement: string(f.Requirement), Reason: f.Detail}
}

// inputs strips steps of their outcomes.
func inputs(steps []Step) []Step {
	out := make([]Step, len(steps))
	for i, s := range steps {
		out[i] = Step{User: s.User, Op: s.Op, Name: s.Name, Content: s.Content}
	}
	return out
}

type fileJSON struct {
	Schema      string       `json:"schema"`
	Mode        string       `json:"mode"`
	Seed        int64        `json:"seed"`
	Users       int          `json:"users"`
	Requirement string       `json:"requirement,omitempty"`
	Reason      string       `json:"reason,omitempty"`
	Steps       []stepJSON   `json:"steps,omitempty"`
	Clients     [][]stepJSON `json:"clients,omitempty"`
	Rounds      int          `json:"rounds,omitempty"`
}

type stepJSON struct {
	User    string       `json:"user"`
	Op      string       `json:"op"`
	Name    string       `json:"name,omitempty"`
	Payload *payloadJSON `json:"payload,omitempty"`
}

// payloadJSON is a payload as {"len": 1000, "seed": 7} or as {"hex": "..."}.
type payloadJSON struct {
	Len  *int64  `json:"len,omitempty"`
	Seed *uint64 `json:"seed,omitempty"`
	Hex  *string `json:"hex,omitempty"`
}

// WriteReplay writes rf as indented JSON.
func WriteReplay(w io.Writer, rf *ReplayFile) error {
	f := fileJSON{Schema: ReplaySchema, Mode: rf.Mode, Seed: rf.Seed, Users: rf.Users,
		Requirement: rf.Requirement, Reason: rf.Reason, Rounds: rf.Rounds, Steps: stepsJSON(rf.Steps)}
	for _, c := range rf.Clients {
		f.Clients = append(f.Clients, stepsJSON(c))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&f); err != nil {
		return fmt.Errorf("write replay: %w", err)
	}
	return nil
}

func stepsJSON(steps []Step) []stepJSON {
	out := make([]stepJSON, 0, len(steps))
	for _, s := range steps {
		j := stepJSON{User: UserLabel(s.User), Op: s.Op.String(), Name: s.Name}
		if s.Op == wire.OpBackup {
			if s.Content.Literal != nil {
				h := hex.EncodeToString(s.Content.Literal)
				j.Payload = &payloadJSON{Hex: &h}
			} else {
				j.Payload = &payloadJSON{Len: new(s.Content.N), Seed: new(s.Content.Seed)}
			}
		}
		out = append(out, j)
	}
	return out
}

// ErrReplay is a replay file that cannot be run.
var ErrReplay = errors.New("model: bad replay file")

// maxReplayBytes bounds what ReadReplay reads: a replay holds steps, not payloads.
const maxReplayBytes = 16 << 20

// ReadReplay reads a file WriteReplay wrote (or a person, by the same schema).
func ReadReplay(r io.Reader) (*ReplayFile, error) {
	var f fileJSON
	dec := json.NewDecoder(io.LimitReader(r, maxReplayBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrReplay, err)
	}
	if f.Schema != ReplaySchema {
		return nil, fmt.Errorf("%w: schema %q, want %q", ErrReplay, f.Schema, ReplaySchema)
	}
	rf := &ReplayFile{Seed: f.Seed, Mode: f.Mode, Users: f.Users, Rounds: f.Rounds, Requirement: f.Requirement, Reason: f.Reason}
	var err error
	if rf.Steps, err = stepsFromJSON(f.Steps); err != nil {
		return nil, err
	}
	for _, c := range f.Clients {
		steps, err := stepsFromJSON(c)
		if err != nil {
			return nil, err
		}
		rf.Clients = append(rf.Clients, steps)
	}
	if err := rf.validate(); err != nil {
		return nil, err
	}
	return rf, nil
}

func (rf *ReplayFile) validate() error {
	switch rf.Mode {
	case ModeSequential:
		if len(rf.Steps) == 0 || rf.Clients != nil {
			return fmt.Errorf("%w: a sequential replay has steps and no clients", ErrReplay)
		}
	case ModeConcurrent:
		if len(rf.Clients) == 0 || rf.Steps != nil {
			return fmt.Errorf("%w: a concurrent replay has clients and no steps", ErrReplay)
		}
	default:
		return fmt.Errorf("%w: mode %q", ErrReplay, rf.Mode)
	}
	if rf.Users < 1 || rf.Users > MaxUsers {
		return fmt.Errorf("%w: users %d, want 1 to %d", ErrReplay, rf.Users, MaxUsers)
	}
	if rf.Rounds < 0 {
		return fmt.Errorf("%w: rounds %d", ErrReplay, rf.Rounds)
	}
	for _, steps := range append([][]Step{rf.Steps}, rf.Clients...) {
		for i, s := range steps {
			if s.User >= rf.Users {
				return fmt.Errorf("%w: step %d: user %s, but the file has %d users", ErrReplay, i+1, UserLabel(s.User), rf.Users)
			}
		}
	}
	return nil
}

func stepsFromJSON(in []stepJSON) ([]Step, error) {
	var out []Step
	for i, j := range in {
		s, err := j.step()
		if err != nil {
			return nil, fmt.Errorf("%w: step %d: %w", ErrReplay, i+1, err)
		}
		out = append(out, s)
	}
	return out, nil
}

func (j stepJSON) step() (Step, error) {
	var s Step
	if len(j.User) != 1 || j.User[0] < 'A' || j.User[0] > 'Z' {
		return s, fmt.Errorf("user %q, want A to Z", j.User)
	}
	s.User = int(j.User[0] - 'A')
	for _, op := range wire.Ops {
		if op.String() == j.Op {
			s.Op = op
		}
	}
	if s.Op == 0 {
		return s, fmt.Errorf("op %q", j.Op)
	}
	if s.Op == wire.OpList {
		if j.Name != "" || j.Payload != nil {
			return s, errors.New("LIST has no name or payload")
		}
		return s, nil
	}
	// The model knows the answers for valid names only: a bad name is the catalog's business.
	if err := wire.CheckName([]byte(j.Name), wire.DefaultMaxName); err != nil {
		return s, err
	}
	s.Name = j.Name
	if s.Op != wire.OpBackup {
		if j.Payload != nil {
			return s, fmt.Errorf("%v has no payload", s.Op)
		}
		return s, nil
	}
	p := j.Payload
	switch {
	case p == nil:
		return s, errors.New("BACKUP without payload")
	case p.Hex != nil && p.Len == nil && p.Seed == nil:
		b, err := hex.DecodeString(*p.Hex)
		if err != nil {
			return s, fmt.Errorf("payload hex: %w", err)
		}
		if len(b) > MaxPayloadLimit {
			return s, fmt.Errorf("payload of %d bytes, over %d", len(b), MaxPayloadLimit)
		}
		s.Content = content.Bytes(b)
	case p.Hex == nil && p.Len != nil && p.Seed != nil:
		if *p.Len < 0 || *p.Len > MaxPayloadLimit {
			return s, fmt.Errorf("payload len %d, want 0 to %d", *p.Len, MaxPayloadLimit)
		}
		s.Content = content.Drawn(*p.Len, *p.Seed)
	default:
		return s, errors.New(`payload wants {"hex": ...} or {"len": ..., "seed": ...}`)
	}
	return s, nil
}

// Replay re-runs a saved failure on the server at addr with fresh users and reports what it
// found: Result.Failed says whether it still fails. A sequential replay runs its steps once
// and stops at the first response the model rejects; a concurrent one runs its clients at
// once up to Rounds times.
func Replay(ctx context.Context, addr string, rf *ReplayFile, timeout time.Duration) (*Result, error) {
	if err := rf.validate(); err != nil {
		return nil, err
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	maxPayload := 1
	for _, steps := range append([][]Step{rf.Steps}, rf.Clients...) {
		for _, s := range steps {
			maxPayload = max(maxPayload, int(s.Content.Len()))
		}
	}
	ex := newExchanger(addr, timeout, maxPayload)
	if rf.Mode == ModeConcurrent {
		rounds := rf.Rounds
		if rounds == 0 {
			rounds = DefaultReplayRounds
		}
		return replayConcurrent(ctx, ex, rf, rounds)
	}
	start := time.Now()
	res := &Result{Seed: rf.Seed, Runs: 1}
	script, f := runScript(ctx, ex, freshUsers(rf.Users), rf.Users, rf.Steps, &res.Requests)
	res.Elapsed = time.Since(start)
	if err := ctx.Err(); err != nil {
		return res, err
	}
	res.Script = script
	res.OriginalSteps = len(rf.Steps)
	if f != nil {
		res.Failed, res.Failure, res.FoundAfter = true, f, res.Elapsed
		res.Replay = &ReplayFile{Seed: rf.Seed, Mode: ModeSequential, Users: rf.Users, Steps: inputs(script),
			Requirement: string(f.Requirement), Reason: f.Detail}
	}
	return res, nil
}

// runScript runs steps in order against the model and stops at the first rejected response.
func runScript(ctx context.Context, ex *exchanger, ids []uint32, users int, steps []Step, requests *int) ([]Step, *Failure) {
	state := newStore(users)
	seen := map[string]bool{}
	var out []Step
	for i, step := range steps {
		if ctx.Err() != nil {
			return out, nil
		}
		want, next := state.apply(step)
		resp := ex.do(ctx, ids[step.User], step)
		*requests++
		if ctx.Err() != nil {
			return out, nil
		}
		step, f := judge(step, want, resp, seen)
		out = append(out, step)
		if f != nil {
			f.Step = i
			f.witness(step, ids[step.User])
			return out, f
		}
		state = next
	}
	return out, nil
}
