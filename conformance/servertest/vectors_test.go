package servertest

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/casebook"
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/internal/content"
	"github.com/fbpkit/fbp/internal/fakepeer"
	"github.com/fbpkit/fbp/ref/wire"
	"github.com/fbpkit/fbp/vectors"
	"github.com/fbpkit/fbp/vectors/schema"
)

// The runner decodes responses with its own reader (readResponse and the tail check), not with
// the codec the reference server writes them with. Feeding it every golden response vector over
// a real connection makes sure that a misreading of the spec cannot hide on both sides: the
// vectors were stated from the spec's layout, not from a decoder.

func loadVectors(t *testing.T) *vectors.Set {
	t.Helper()
	set, err := vectors.Load()
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// vectorPeer listens on loopback and answers each connection with one vector's bytes, then
// closes: the user_id of the LIST request the runner sends, counted from 1, says which vector.
// It reads the whole 6-byte request first, so that its close is a clean end of stream and not a
// reset.
func vectorPeer(t *testing.T, vs []*schema.Vector) string {
	return peerAnswering(t, fakepeer.Func(func(c *fakepeer.Conn) error {
		i := binary.LittleEndian.Uint32(c.Prefix[:4])
		if i == 0 || int(i) > len(vs) {
			return nil
		}
		_, err := c.Write(vs[i-1].Bytes)
		return err
	}))
}

// vectorRunner is a runner pointed at addr. The peer closes after the vector's bytes, so the
// tail check ends at that close and the grace period is only a bound for a loaded machine.
func vectorRunner(t *testing.T, addr string) *runner {
	t.Helper()
	cfg := Config{Addr: addr, Timeout: 5 * time.Second, Grace: time.Second}
	if err := cfg.defaults(); err != nil {
		t.Fatal(err)
	}
	return makeRunner(cfg)
}

// verdict is what the runner must make of a response: the outcome, the fields when it read a
// response, how many bytes it consumed and what it found after the response's end.
type verdict struct {
	outcome     ending
	version     uint8
	status      uint16
	fields      wire.Fields
	name        []byte
	size        uint32
	payloadRead bool
	payload     []byte
	got         int64
	trailing    []byte // clipped as the tail check clips it
	tailChecked bool   // the runner looks for bytes after the response
}

func clipTrailing(b []byte) []byte {
	if len(b) > report.ClipHead {
		b = b[:report.ClipHead]
	}
	return b
}

// expectedVerdict states the verdict the vector v demands of the runner, from the vector's own
// fields and the spec's layout, and the read bounds to give the runner for it.
func expectedVerdict(v *schema.Vector) (verdict, readSpec, error) {
	b := v.Bytes
	switch {
	case v.Valid() && v.HeaderOnly():
		// The payload is not in the file: the runner must stop after size, as it does for a
		// payload over its bound (readSpec{} bounds payloads to zero bytes).
		w := validVerdict(v.Decoded, b, v.Consumed)
		w.payload, w.trailing, w.tailChecked = nil, nil, false
		w.payloadRead = w.size == 0
		if w.payloadRead {
			w.tailChecked, w.trailing = true, clipTrailing(b[v.Consumed:])
		}
		return w, readSpec{}, nil
	case v.Valid():
		return validVerdict(v.Decoded, b, v.Consumed), readSpec{maxPayload: int64(v.Limits.MaxPayload)}, nil
	}
	spec := readSpec{maxPayload: int64(v.Limits.MaxPayload)}
	e := v.Error
	switch e.Class {
	case schema.ClassEOF:
		return verdict{outcome: endClosed, got: 0}, spec, nil
	case schema.ClassTruncated:
		// The runner reads every byte there is, then meets the end of the stream.
		return verdict{outcome: endClosed, got: *e.Offset}, spec, nil
	case schema.ClassUnknownStatus:
		// The layout is unknown: the runner stops after status, and the tail check shows
		// whatever follows as bytes beyond a response it could not read.
		return verdict{outcome: endUndefined, version: b[0], status: binary.LittleEndian.Uint16(b[1:3]),
			got: *e.Offset, trailing: clipTrailing(b[*e.Offset:]), tailChecked: true}, spec, nil
	case schema.ClassPayloadTooLarge:
		// Given the group's max_payload as its bound, the runner reads the header, takes the
		// size the 4 bytes before the offset state, and leaves the payload unread.
		off := *e.Offset
		return verdict{outcome: endAnswered, version: b[0], status: binary.LittleEndian.Uint16(b[1:3]),
			fields: wire.HasName | wire.HasPayload, name: b[5 : off-4],
			size: binary.LittleEndian.Uint32(b[off-4 : off]), got: off}, spec, nil
	case schema.ClassNameTooLong:
		// The runner bounds a filename only by what name_len can state (it allocates at most
		// 64 KiB), not by the group's max_name, so the vector's verdict is not its verdict.
		// Under the runner's bound the same bytes are decoded by the codec, which shares no
		// code with the runner's reader.
		lim := wire.Limits{MaxName: wire.MaxNameField, MaxPayload: v.Limits.MaxPayload}
		resp, n, err := wire.ParseResponse(b, lim)
		switch {
		case err == nil:
			f, _ := resp.Status.Fields()
			w := verdict{outcome: endAnswered, version: resp.Version, status: uint16(resp.Status), fields: f,
				got: int64(n), trailing: clipTrailing(b[n:]), tailChecked: true}
			if f.Has(wire.HasName) {
				w.name = resp.Name
			}
			if f.Has(wire.HasPayload) {
				w.size, w.payloadRead, w.payload = uint32(len(resp.Payload)), true, resp.Payload
			}
			return w, spec, nil
		case wire.IsTruncated(err):
			return verdict{outcome: endClosed, got: int64(len(b))}, spec, nil
		}
		return verdict{}, spec, fmt.Errorf("no runner verdict for %v under the runner's name bound", err)
	}
	return verdict{}, spec, fmt.Errorf("no runner verdict for error class %q", e.Class)
}

func validVerdict(d *schema.Decoded, b []byte, consumed int) verdict {
	w := verdict{outcome: endAnswered, version: d.Version, status: uint16(*d.Status), got: int64(consumed),
		trailing: clipTrailing(b[consumed:]), tailChecked: true}
	// The fields come from what the vector says the message carries, not from a layout
	// table, so that a wrong layout in the runner's dialect shows.
	if d.Name != nil || d.NameHex != nil {
		w.fields |= wire.HasName
		w.name = d.NameBytes()
	}
	if d.Size != nil {
		w.fields |= wire.HasPayload
		w.size, w.payloadRead, w.payload = *d.Size, true, d.Payload()
	}
	return w
}

// checkResponseVector sends a LIST through the runner's own exchange on a fresh loopback
// connection, lets the peer answer with v's bytes, and returns every way the runner's reply
// disagrees with what v demands. user picks v at the peer.
func checkResponseVector(r *runner, d *spec.Dialect, v *schema.Vector, user uint32) []string {
	want, rs, err := expectedVerdict(v)
	if err != nil {
		return []string{err.Error()}
	}
	got, failures := exchangeVector(r, d, v, user, rs)
	var bad []string
	diff := func(what string, got, want any) {
		bad = append(bad, fmt.Sprintf("%s: runner %v, vector %v", what, got, want))
	}
	if got.Outcome != want.outcome {
		diff("outcome", fmt.Sprintf("%s (%s)", got.Outcome, got), want.outcome)
		return bad
	}
	if got.Got != want.got {
		diff("bytes consumed", got.Got, want.got)
	}
	switch got.Outcome {
	case endClosed:
		if !wire.IsTruncated(got.Err) {
			diff("end of stream", got.Err, "io.EOF or io.ErrUnexpectedEOF")
		}
	case endUndefined:
		if got.Version != want.version || got.Status != want.status {
			diff("version, status", fmt.Sprint(got.Version, got.Status), fmt.Sprint(want.version, want.status))
		}
	case endAnswered:
		if got.Version != want.version || got.Status != want.status {
			diff("version, status", fmt.Sprint(got.Version, got.Status), fmt.Sprint(want.version, want.status))
		}
		if ms := d.MeaningsOf(got.Status); len(ms) == 0 || !got.is(ms...) {
			diff("meaning", fmt.Sprintf("%v", ms), "a status the dialect defines")
		}
		if got.Fields != want.fields {
			diff("fields", got.Fields, want.fields)
		}
		if want.fields.Has(wire.HasName) && !bytes.Equal(got.Name, want.name) {
			diff("name", fmt.Sprintf("%q", got.Name), fmt.Sprintf("%q", want.name))
		}
		if want.fields.Has(wire.HasPayload) {
			if got.Size != want.size {
				diff("size", got.Size, want.size)
			}
			if got.PayloadRead != want.payloadRead {
				diff("payload read", got.PayloadRead, want.payloadRead)
			}
			if want.payloadRead && !bytes.Equal(got.Payload, want.payload) {
				diff("payload", fmt.Sprintf("%x", got.Payload), fmt.Sprintf("%x", want.payload))
			}
		}
	}
	if !bytes.Equal(got.Trailing, want.trailing) {
		diff("trailing bytes", fmt.Sprintf("%x", got.Trailing), fmt.Sprintf("%x", want.trailing))
	}
	// Bytes after a response are a violation of R-3 (every status has an exact layout): the
	// case's record must hold exactly one failure for them, and nothing else.
	wantFailures := 0
	if want.tailChecked && len(want.trailing) > 0 {
		wantFailures = 1
	}
	if len(failures) != wantFailures || (wantFailures == 1 && failures[0].Requirement != "R-3.1") {
		var said []string
		for _, f := range failures {
			said = append(said, f.Requirement+": "+f.Actual)
		}
		diff("violations reported", fmt.Sprintf("%q", said), fmt.Sprintf("%d of R-3", wantFailures))
	}
	if v.Valid() && !v.HeaderOnly() && want.fields.Has(wire.HasPayload) {
		bad = append(bad, checkComparedPayload(r, d, v, user, want)...)
	}
	return bad
}

// exchangeVector runs one exchange with the peer answering v and returns the reply, once its
// tail check is done, and the violations the case's end turns it into.
func exchangeVector(r *runner, d *spec.Dialect, v *schema.Vector, user uint32, rs readSpec) (*reply, []report.Failure) {
	tc := r.newT(context.Background(), &Case{Head: casebook.Head{ID: "vectors/" + v.ID}}, d)
	got := tc.roundtrip(send{label: v.ID, head: listRequest(user)}, rs)
	tc.tails.Wait()
	tc.checkTails()
	tc.mu.Lock()
	defer tc.mu.Unlock()
	// The case owns no rule: what it found is evidence, every piece of it a violation here.
	all := slices.Clone(tc.failures)
	for _, e := range tc.evidence {
		all = append(all, e.failure)
	}
	return got, all
}

// checkComparedPayload reads v again as a RESTORE with expected content does: the payload is
// compared as it passes instead of kept. With the vector's payload as the expected content the
// runner must find no difference; with its last byte changed, exactly that byte.
func checkComparedPayload(r *runner, d *spec.Dialect, v *schema.Vector, user uint32, want verdict) []string {
	var bad []string
	payload := v.Decoded.Payload()
	expected := [][]byte{payload}
	if len(payload) > 0 {
		changed := slices.Clone(payload)
		changed[len(changed)-1] ^= 0xff
		expected = append(expected, changed)
	}
	for i, e := range expected {
		content := content.Bytes(e)
		got, _ := exchangeVector(r, d, v, user, readSpec{expect: &content})
		wantMismatch := int64(-1)
		if i == 1 {
			wantMismatch = int64(len(payload) - 1)
		}
		if got.Outcome != endAnswered || !got.PayloadRead || got.Mismatch != wantMismatch || got.Got != want.got ||
			!bytes.Equal(got.Trailing, want.trailing) {
			bad = append(bad, fmt.Sprintf("payload compared with expected content %x: runner %s, read %v, first difference %d, %d bytes consumed, trailing %x; "+
				"vector: first difference %d, %d bytes consumed, trailing %x",
				e, got, got.PayloadRead, got.Mismatch, got.Got, got.Trailing, wantMismatch, want.got, want.trailing))
		}
	}
	return bad
}

// checkResponseVectors feeds every vector of vs to the runner under dialect d and returns the
// disagreements by vector ID, and how many vectors were checked to the end.
func checkResponseVectors(t *testing.T, d *spec.Dialect, vs []*schema.Vector) (map[string][]string, int) {
	t.Helper()
	r := vectorRunner(t, vectorPeer(t, vs))
	bad := map[string][]string{}
	checked := 0
	for i, v := range vs {
		if v.Message != schema.MessageResponse {
			bad[v.ID] = []string{"not a response vector"}
			continue
		}
		if disagreements := checkResponseVector(r, d, v, uint32(i+1)); len(disagreements) > 0 {
			bad[v.ID] = disagreements
		}
		checked++
	}
	return bad, checked
}

func reportDisagreements(t *testing.T, vs []*schema.Vector, bad map[string][]string) {
	t.Helper()
	shown := 0
	for _, v := range vs {
		d, ok := bad[v.ID]
		if !ok {
			continue
		}
		if shown++; shown > 20 {
			t.Errorf("… and %d more vectors the runner disagrees with", len(bad)-20)
			return
		}
		t.Errorf("%s (% x):\n\t%s", v.ID, v.Bytes, strings.Join(d, "\n\t"))
	}
}

func TestVectorsResponsesReadByRunner(t *testing.T) {
	set := loadVectors(t)
	var message, header []*schema.Vector
	for _, v := range set.Responses() {
		if v.HeaderOnly() {
			header = append(header, v)
		} else {
			message = append(message, v)
		}
	}
	if n := len(message) + len(header); n != set.ResponseFile.NumberOfVectors || len(message) == 0 {
		t.Fatalf("%d message-scope and %d header-scope vectors, the file states %d", len(message), len(header), set.ResponseFile.NumberOfVectors)
	}
	for _, part := range []struct {
		scope string
		vs    []*schema.Vector
	}{{schema.ScopeMessage, message}, {schema.ScopeHeader, header}} {
		bad, checked := checkResponseVectors(t, spec.Canonical, part.vs)
		reportDisagreements(t, part.vs, bad)
		if checked != len(part.vs) {
			t.Errorf("%s scope: checked %d of %d vectors", part.scope, checked, len(part.vs))
		}
		t.Logf("%s scope: %d vectors checked, %d disagreements", part.scope, checked, len(bad))
	}
	// Every class and result of the file must have been among them, or the check covers
	// less than its name says.
	seen := map[string]int{}
	for _, v := range message {
		if v.Valid() {
			seen[schema.ResultValid]++
		} else {
			seen[v.Error.Class]++
		}
	}
	t.Logf("message scope by result and class: %v", seen)
	for class := range set.ResponseFile.ErrorClasses {
		if class != schema.ClassUnknownOp && seen[class] == 0 {
			t.Errorf("no message-scope response vector of class %s", class)
		}
	}
	if seen[schema.ResultValid] == 0 {
		t.Error("no valid message-scope response vector")
	}
}

// A runner that reads a size field after 212 is the codec bug the vectors exist to catch: the
// check must disagree with every valid 212 vector when the runner's dialect says so.
func TestVectorsCatchAWrongLayout(t *testing.T) {
	wrong := *spec.Canonical
	wrong.Name = "canonical-with-size-after-212"
	wrong.Layouts = maps.Clone(spec.Canonical.Layouts)
	wrong.Layouts[uint16(wire.StatusOK)] = wire.HasName | wire.HasPayload
	var ok []*schema.Vector
	for _, v := range loadVectors(t).Responses() {
		if v.Valid() && *v.Decoded.Status == wire.StatusOK {
			ok = append(ok, v)
		}
	}
	if len(ok) == 0 {
		t.Fatal("no valid 212 vector")
	}
	bad, checked := checkResponseVectors(t, &wrong, ok)
	if checked != len(ok) {
		t.Fatalf("checked %d of %d vectors", checked, len(ok))
	}
	for _, v := range ok {
		if len(bad[v.ID]) == 0 {
			t.Errorf("%s: no disagreement found with a runner that reads a size after 212", v.ID)
		}
	}
}

// The runner builds its well-formed requests itself (backupHead, nameRequest, listRequest);
// for every valid request vector it can express, the bytes must be the vector's. Those
// builders always write the client version, so a vector of another version is out of their
// reach and counted apart.
func TestVectorsRequestsBuiltByRunner(t *testing.T) {
	set := loadVectors(t)
	built, otherVersion, valid := 0, 0, 0
	perOp := map[wire.Op]int{}
	for _, v := range set.Requests() {
		if !v.Valid() {
			continue
		}
		valid++
		d := v.Decoded
		if d.Version != wire.Version {
			otherVersion++
			continue
		}
		var got []byte
		switch *d.Op {
		case wire.OpBackup:
			got = backupHead(*d.UserID, d.NameBytes(), int64(*d.Size))
			if !v.HeaderOnly() {
				// As T.Backup sends a small payload: in the same buffer as the header.
				got = append(got, d.Payload()...)
			}
		case wire.OpRestore, wire.OpDelete:
			got = nameRequest(*d.UserID, *d.Op, d.NameBytes())
		case wire.OpList:
			got = listRequest(*d.UserID)
		default:
			t.Errorf("%s: valid request of op %d, which the runner cannot build", v.ID, *d.Op)
			continue
		}
		if want := v.Bytes[:v.Consumed]; !bytes.Equal(got, want) {
			t.Errorf("%s: runner builds\n\t% x\nvector holds\n\t% x", v.ID, got, want)
		}
		built++
		perOp[*d.Op]++
	}
	if built+otherVersion != valid {
		t.Errorf("built %d and left %d of another version, of %d valid request vectors", built, otherVersion, valid)
	}
	for _, op := range wire.Ops {
		if perOp[op] == 0 {
			t.Errorf("no valid %v request vector built", op)
		}
	}
	t.Logf("%d valid request vectors built byte for byte, %d of a version the runner never sends", built, otherVersion)
}
