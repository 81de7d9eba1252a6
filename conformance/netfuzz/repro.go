package netfuzz

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/internal/bounded"
)

// CorpusTarget is the decoder fuzz target whose corpus format a reproducer's corpus file
// follows: copy the reproducer's testdata folder onto the fuzz package to run it there.
const CorpusTarget = "FuzzParseRequest"

// maxReproducerFile bounds what LoadInput reads: a finding.json of the largest input, hex
// encoded, twice, with its response.
const maxReproducerFile = 4 << 20

// CorpusFile is the `go test fuzz v1` encoding of one []byte argument, as the go command writes
// a corpus entry.
func CorpusFile(b []byte) []byte {
	return []byte("go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n")
}

// corpusName is the name the go command gives a corpus entry: the start of its content's SHA-256.
func corpusName(content []byte) string {
	sum := sha256.Sum256(content)
	return hex.EncodeToString(sum[:])[:16]
}

// save writes fd's reproducer under Config.OutDir and fills in its ID, Files and Replay.
func (f *fuzzer) save(fd *Finding) {
	fd.InputHex = hex.EncodeToString(fd.Input)
	fd.OriginalHex = hex.EncodeToString(fd.Original)
	fd.ResponseHex = hex.EncodeToString(fd.Response)
	fd.ID = findingID(fd)
	fd.Seed = f.cfg.Seed
	fd.Where, fd.Exchange = where(fd.Step), exchangeOf(fd)
	if f.cfg.OutDir == "" {
		return
	}
	files, err := writeReproducer(f.cfg.OutDir, f.cfg.ReplayAddr, fd)
	if err != nil {
		f.logf("saving %s: %v", fd.ID, err)
		return
	}
	f.logf("saved %s in %s", fd.ID, files.Dir)
}

// writeReproducer writes the folder of one finding and sets fd.Files and fd.Replay.
func writeReproducer(outDir, addr string, fd *Finding) (*Files, error) {
	dir := filepath.Join(outDir, fd.ID)
	corpus := CorpusFile(fd.Input)
	files := &Files{
		Dir:      dir,
		Input:    filepath.Join(dir, "input.bin"),
		Original: filepath.Join(dir, "original.bin"),
		Finding:  filepath.Join(dir, "finding.json"),
		Corpus:   filepath.Join(dir, "testdata", "fuzz", CorpusTarget, corpusName(corpus)),
	}
	if err := os.MkdirAll(filepath.Dir(files.Corpus), 0o755); err != nil {
		return nil, fmt.Errorf("reproducer folder: %w", err)
	}
	fd.Files = files
	fd.Replay = fmt.Sprintf("conform replay %s -addr %s", files.Finding, addr)
	js, err := json.MarshalIndent(fd, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode finding: %w", err)
	}
	for _, w := range []struct {
		path string
		data []byte
	}{
		{files.Input, fd.Input},
		{files.Original, fd.Original},
		{files.Corpus, corpus},
		{files.Finding, append(js, '\n')},
	} {
		if err := os.WriteFile(w.path, w.data, 0o644); err != nil {
			return nil, fmt.Errorf("write reproducer: %w", err)
		}
	}
	return files, nil
}

// ErrReproducer: a reproducer file could not be read as one.
var ErrReproducer = errors.New("not a reproducer")

// LoadInput reads a saved input: a finding.json (or the folder holding one), which carries the
// delivery too, or any other file, taken as raw bytes sent in one write and then closed
// (EndCloseWrite).
func LoadInput(path string) (Input, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, "finding.json")
	}
	b, err := bounded.ReadFile(path, maxReproducerFile)
	if errors.Is(err, bounded.ErrTooLarge) {
		return Input{}, fmt.Errorf("%w: %w", ErrReproducer, err)
	}
	if err != nil {
		return Input{}, err
	}
	if filepath.Ext(path) != ".json" {
		return Input{Bytes: b, Delivery: Delivery{End: EndCloseWrite}, Origin: path}, nil
	}
	var fd Finding
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&fd); err != nil {
		return Input{}, fmt.Errorf("%w: %s: %w", ErrReproducer, path, err)
	}
	in, err := hex.DecodeString(fd.InputHex)
	if err != nil {
		return Input{}, fmt.Errorf("%w: %s: input_hex: %w", ErrReproducer, path, err)
	}
	if fd.Delivery.End == "" {
		fd.Delivery.End = EndCloseWrite
	}
	if !fd.Delivery.End.valid() || fd.Delivery.Pause < 0 || fd.Delivery.Pause > time.Second {
		return Input{}, fmt.Errorf("%w: %s: delivery %+v", ErrReproducer, path, fd.Delivery)
	}
	return Input{Bytes: in, Delivery: fd.Delivery.clip(len(in)), Origin: fd.ID, Mutations: fd.Mutations}, nil
}

// ReplayOptions tune ReplayInput. A zero field takes its default.
type ReplayOptions struct {
	Timeout    time.Duration // each read and write, and the probe's answer (DefaultTimeout)
	MaxPayload uint32        // as Config.MaxPayload
	// NoProbe skips the health probe after the input.
	NoProbe bool
}

// Replay is what one replayed input came to.
type Replay struct {
	// Kind and Finding are the finding the input amounts to, as Run judges it: a failed health
	// probe outweighs the answer. Kind is "" and Finding nil when nothing was wrong.
	Kind    Kind            `json:"kind,omitempty"`
	Finding *report.Finding `json:"finding,omitempty"`
	// AnswerKind and Answer judge the answer alone, whatever the probe saw: the verdict to
	// compare when the probe itself fails on this server (a finding made before any input,
	// Step 0).
	AnswerKind Kind            `json:"answer_kind,omitempty"`
	Answer     *report.Finding `json:"answer,omitempty"`
	// Health is what the probe after the input saw: "ok", "crash" or "hang"; "" when not probed.
	Health       string `json:"health,omitempty"`
	HealthDetail string `json:"health_detail,omitempty"`
	// Outcome is the input's label: answered, closed, silent, reset, aborted, or the kind.
	Outcome     string `json:"outcome"`
	Response    []byte `json:"-"`
	ResponseHex string `json:"response_hex"`
	ResponseEnd string `json:"response_end"`
}

// ReplayInput sends in to addr once, judges the answer as Run does and probes the server after
// it. It returns an error wrapping ErrUnreachable if addr cannot be reached at all.
func ReplayInput(ctx context.Context, addr string, in Input, opt ReplayOptions) (*Replay, error) {
	if opt.Timeout == 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.Timeout < 0 {
		return nil, fmt.Errorf("%w: negative timeout", ErrConfig)
	}
	if in.Delivery.End == "" {
		in.Delivery.End = EndCloseWrite
	}
	if !in.Delivery.End.valid() {
		return nil, fmt.Errorf("%w: delivery end %q", ErrConfig, in.Delivery.End)
	}
	t := timing{timeout: opt.Timeout, quiet: quietFor(opt.Timeout)}
	p := planFor(in.Bytes, opt.MaxPayload)
	ex, err := send(ctx, addr, in, p, t)
	if err != nil {
		var de *dialError
		if errors.As(err, &de) {
			return nil, fmt.Errorf("%w: %s: %w", ErrUnreachable, addr, err)
		}
		return nil, err
	}
	o := &outcome{ex: ex, v: judge(p, ex.got, ex.end)}
	if !opt.NoProbe {
		var user [4]byte
		sum := sha256.Sum256(in.Bytes)
		copy(user[:], sum[:])
		o.health = probe(ctx, addr, uint32(user[0])|uint32(user[1])<<8|uint32(user[2])<<16|uint32(user[3])<<24, opt.Timeout)
	}
	r := &Replay{Outcome: o.label(), Response: ex.got, ResponseHex: hex.EncodeToString(ex.got), ResponseEnd: string(ex.end)}
	var sent, received report.ClipWriter
	_, _ = sent.Write(in.Bytes)
	_, _ = received.Write(ex.got)
	exch := &report.Exchange{Label: "the input", Conn: 1, Sent: sent.Clip(), Received: received.Clip(),
		Outcome: fmt.Sprintf("%d bytes back, ended %s", len(ex.got), ex.end)}
	if o.v.bad() {
		a := o.v.finding()
		a.Where, a.Exchange = "the input", exch
		r.AnswerKind, r.Answer = o.v.kind, &a
	}
	if kind, found := o.finding(); kind != "" {
		found.Where, found.Exchange = "the input", exch
		r.Kind, r.Finding = kind, &found
	}
	if !opt.NoProbe {
		r.Health, r.HealthDetail = "ok", o.health.detail
		if o.health.kind != "" {
			r.Health = string(o.health.kind)
		}
	}
	return r, ctx.Err()
}
