// Package badclients is a zoo of deliberately faulty FBP clients. Each is one small, correct
// client of the scripted run (SPEC §6) with exactly one fault switched on, the faults of real
// clients written for the protocol: padded requests, fields an op does not carry, other op
// codes and versions, another status mapping, a response read until the close or in one read,
// a restored file written under the server's name, an upload loop that resends its header...
// The client tester runs them (as the badclient command) to prove that each of its cases fails
// when it should.
//
// Every fault is a switch on its name where the client leaves the correct path; there is only
// one client.
package badclients

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/deadline"
)

// Fault is one client of the zoo.
type Fault struct {
	Name string
	Desc string
}

// Faults lists the zoo, "none" (the correct client) first.
func Faults() []Fault { return slices.Clone(faults) }

var faults = []Fault{
	{"none", "the correct client"},
	{"pad-1024", "pads every request shorter than 1024 bytes with zeros to 1024"},
	{"list-name-len", "sends LIST with a name_len of 0: 8 bytes"},
	{"all-fields", "sends LIST, RESTORE and DELETE with name_len, name, size and the file"},
	{"ops-1-4", "uses op codes 1 (BACKUP), 2 (RESTORE), 3 (DELETE), 4 (LIST)"},
	{"version-4", "sends version 4"},
	{"seed003-statuses", "reads responses by seed 003's status mapping: 212 carries a payload, 210 none"},
	{"read-until-close", "reads every response until the server closes the connection"},
	{"one-recv", "reads a response's header with one read and parses whatever it got"},
	{"server-name", "writes the restored file under the name the response carries"},
	{"resend-header", "its upload loop writes the header again in front of every later chunk"},
	{"utf8-decode", "decodes a restored payload as UTF-8 before saving it"},
	{"fixed-user", "uses user 1234 in every run"},
	{"user-per-request", "draws a new user id for every request"},
	{"wrong-order", "backs up both files before the first LIST"},
	{"reuse-connection", "sends every request on one connection, and never reconnects"},
	{"no-stall-timeout", "waits for a response forever"},
	{"whole-response-timeout", "gives every response 300ms in all to arrive"},
	{"buffer-payload", "holds a restored payload in memory before saving it"},
	{"partial-tmp", "writes tmp as the payload arrives and leaves it when the payload is cut"},
	{"spin-on-eof", "reads a payload until it has all of it, whatever the connection says"},
	{"crash-on-error", "panics on an error status or a failed exchange"},
	{"misread-short-statuses", "reads 1001, 1002 and 1003 as if they carried a name and a size"},
	{"prints-raw-names", "prints the names of a listing as they came"},
	{"scanner-panics", "splits a listing with bufio.Scanner and panics on a line over 64 KiB"},
	{"ignores-server-info", "connects to 127.0.0.1:1, whatever server.info says"},
	{"truncates-tmp", "opens tmp for writing before it reads a RESTORE's response"},
}

// client is one run of the scripted client.
type client struct {
	fault   string
	addr    string
	user    uint32
	timeout time.Duration
	stdout  io.Writer
	stderr  io.Writer
	kept    net.Conn // reuse-connection's one connection
	failed  bool
}

// Main runs the badclient command: badclient [-fault NAME] [-timeout D] run, in the folder
// holding server.info and backup.info; badclient -list prints the zoo.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("badclient", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fault := fs.String("fault", "none", "the fault to switch on (see -list)")
	timeout := fs.Duration("timeout", 5*time.Second, "give up when the server moves no data for this long")
	list := fs.Bool("list", false, "print the zoo")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *list {
		for _, f := range faults {
			fmt.Fprintf(stdout, "%s\t%s\n", f.Name, f.Desc)
		}
		return 0
	}
	if !slices.ContainsFunc(faults, func(f Fault) bool { return f.Name == *fault }) {
		fmt.Fprintf(stderr, "badclient: unknown fault %q\n", *fault)
		return 2
	}
	if fs.NArg() != 1 || fs.Arg(0) != "run" {
		fmt.Fprintln(stderr, "usage: badclient [-fault NAME] [-timeout D] run")
		return 2
	}
	c := &client{fault: *fault, timeout: *timeout, stdout: stdout, stderr: stderr}
	return c.run()
}

func (c *client) is(f string) bool { return c.fault == f }

func (c *client) run() int {
	info, err := os.ReadFile("server.info")
	if err != nil {
		fmt.Fprintln(c.stderr, "badclient:", err)
		return 2
	}
	c.addr = strings.TrimSpace(string(info))
	if c.is("ignores-server-info") {
		c.addr = "127.0.0.1:1"
	}
	b, err := os.ReadFile("backup.info")
	if err != nil {
		fmt.Fprintln(c.stderr, "badclient:", err)
		return 2
	}
	files := strings.Fields(string(b))
	if len(files) < 2 {
		fmt.Fprintln(c.stderr, "badclient: backup.info lists fewer than two files")
		return 2
	}
	c.user = c.newUser()
	fmt.Fprintf(c.stdout, "user %d, server %s\n", c.user, c.addr)
	steps := []func(){
		func() { c.list() },
		func() { c.backup(files[0]) },
		func() { c.backup(files[1]) },
		func() { c.list() },
		func() { c.restore(files[0]) },
		func() { c.remove(files[0]) },
		func() { c.restore(files[0]) },
	}
	if c.is("wrong-order") {
		steps[0], steps[1], steps[2] = steps[1], steps[2], steps[0]
	}
	for _, step := range steps {
		step()
	}
	if c.kept != nil {
		c.kept.Close()
	}
	if c.failed {
		return 1
	}
	return 0
}

func (c *client) newUser() uint32 {
	if c.is("fixed-user") {
		return 1234
	}
	var b [4]byte
	rand.Read(b[:])
	return binary.LittleEndian.Uint32(b[:])
}

// fail reports a step that went wrong; crash-on-error panics instead.
func (c *client) fail(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if c.is("crash-on-error") {
		panic(msg)
	}
	c.failed = true
	fmt.Fprintln(c.stderr, "badclient:", msg)
}

// Op codes: the spec's, or ops-1-4's.
func (c *client) op(op byte) byte {
	if !c.is("ops-1-4") {
		return op
	}
	return map[byte]byte{100: 1, 200: 2, 201: 3, 202: 4}[op]
}

// header encodes a request's header.
func (c *client) header(op byte, name string, size int64, withSize bool) []byte {
	user := c.user
	if c.is("user-per-request") {
		user = c.newUser()
	}
	version := byte(1)
	if c.is("version-4") {
		version = 4
	}
	h := binary.LittleEndian.AppendUint32(nil, user)
	h = append(h, version, c.op(op))
	if op != 202 || c.is("list-name-len") || c.is("all-fields") {
		h = binary.LittleEndian.AppendUint16(h, uint16(len(name)))
		h = append(h, name...)
	}
	if withSize || c.is("all-fields") {
		h = binary.LittleEndian.AppendUint32(h, uint32(size))
	}
	return h
}

// conn connects, or hands out reuse-connection's one connection.
func (c *client) conn() (net.Conn, error) {
	if c.kept != nil {
		return c.kept, nil
	}
	conn, err := net.DialTimeout("tcp", c.addr, c.timeout)
	if err != nil {
		return nil, err
	}
	if c.is("reuse-connection") {
		c.kept = conn
	}
	return conn, nil
}

func (c *client) done(conn net.Conn) {
	if conn != c.kept {
		conn.Close()
	}
}

// send writes a request: its header and a payload read from body.
func (c *client) send(conn net.Conn, head []byte, body io.Reader, size int64) error {
	if c.is("pad-1024") && int64(len(head))+size < 1024 {
		msg := append(slices.Clone(head), make([]byte, size)...)
		if _, err := io.ReadFull(body, msg[len(head):]); err != nil {
			return err
		}
		_, err := conn.Write(append(msg, make([]byte, 1024-len(msg))...))
		return err
	}
	if _, err := conn.Write(head); err != nil {
		return err
	}
	if body == nil {
		return nil
	}
	buf := make([]byte, 64<<10)
	for sent := int64(0); sent < size; {
		n, err := io.ReadFull(body, buf[:min(int64(len(buf)), size-sent)])
		if n == 0 {
			return err
		}
		chunk := buf[:n]
		if c.is("resend-header") && sent > 0 {
			// The loop builds every write from the header, as it did for the first.
			chunk = append(slices.Clone(head), chunk[:n-min(n, len(head))]...)[:n]
		}
		if _, err := conn.Write(chunk); err != nil {
			return err
		}
		sent += int64(n)
	}
	return nil
}

// response is a response's header as the client read it.
type response struct {
	status  uint16
	name    string
	size    uint32
	payload io.Reader // the rest of the response, bounded to size
}

// success is the status the client takes for the success the spec answers with s: by seed
// 003's mapping, 210 and 212 change places.
func (c *client) success(s uint16) uint16 {
	switch {
	case !c.is("seed003-statuses"):
		return s
	case s == 210:
		return 212
	case s == 212:
		return 210
	}
	return s
}

// layout gives the fields a status carries: name, and size with payload.
func (c *client) layout(status uint16) (name, payload bool) {
	if c.is("seed003-statuses") {
		switch status {
		case 210, 211, 1003:
			return true, false
		case 212:
			return true, true
		}
		return false, false
	}
	switch status {
	case 210, 211:
		return true, true
	case 212:
		return true, false
	case 1001:
		return true, c.is("misread-short-statuses")
	case 1002, 1003:
		return c.is("misread-short-statuses"), c.is("misread-short-statuses")
	}
	return false, false
}

// read reads a response's header from conn and leaves its payload to read.
func (c *client) read(conn net.Conn) (*response, error) {
	// Each read gives up on a server that moves no data for c.timeout; Idle 0 bounds none.
	idle := c.timeout
	if c.is("no-stall-timeout") {
		idle = 0
	}
	var r io.Reader = &deadline.Conn{Conn: conn, Idle: idle}
	switch {
	case c.is("whole-response-timeout"):
		conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		r = conn
	case c.is("read-until-close"):
		all, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		r = bytes.NewReader(all)
	case c.is("spin-on-eof"):
		r = &spinReader{r: r}
	}
	br := bufio.NewReaderSize(r, 512)
	fill := func(b []byte) error { _, err := io.ReadFull(br, b); return err }
	var payload io.Reader = br
	if c.is("one-recv") {
		// One read is taken for the whole header; bytes it did not bring read as zeros.
		first := make([]byte, 64<<10)
		n, err := r.Read(first)
		if n == 0 {
			return nil, err
		}
		got := bytes.NewReader(first[:n])
		fill = func(b []byte) error {
			k, _ := io.ReadFull(got, b)
			clear(b[k:])
			return nil
		}
		payload = io.MultiReader(got, r)
	}
	var b [4]byte
	if err := fill(b[:3]); err != nil {
		return nil, err
	}
	resp := &response{status: binary.LittleEndian.Uint16(b[1:3])}
	hasName, hasPayload := c.layout(resp.status)
	if hasName {
		if err := fill(b[:2]); err != nil {
			return nil, err
		}
		name := make([]byte, binary.LittleEndian.Uint16(b[:2]))
		if err := fill(name); err != nil {
			return nil, err
		}
		resp.name = string(name)
	}
	if hasPayload {
		if err := fill(b[:4]); err != nil {
			return nil, err
		}
		resp.size = binary.LittleEndian.Uint32(b[:4])
	}
	resp.payload = io.LimitReader(payload, int64(resp.size))
	return resp, nil
}

// spinReader retries a read that found the end, as a loop "until all bytes are in" does.
type spinReader struct{ r io.Reader }

func (s *spinReader) Read(b []byte) (int, error) {
	for {
		n, err := s.r.Read(b)
		if n > 0 || err == nil {
			return n, nil
		}
		if !errors.Is(err, io.EOF) {
			return n, err
		}
		time.Sleep(time.Millisecond)
	}
}

// exchange sends a request and reads its response's header.
func (c *client) exchange(what string, head []byte, body io.Reader, size int64) (net.Conn, *response, bool) {
	conn, err := c.conn()
	if err != nil {
		c.fail("%s: %v", what, err)
		return nil, nil, false
	}
	if err := c.send(conn, head, body, size); err != nil {
		c.fail("%s: sending: %v", what, err)
		c.done(conn)
		return nil, nil, false
	}
	resp, err := c.read(conn)
	if err != nil {
		c.fail("%s: reading the response: %v", what, err)
		c.done(conn)
		return nil, nil, false
	}
	return conn, resp, true
}

// extra is what all-fields sends after a RESTORE's or DELETE's name: the size and the file.
func (c *client) extra(name string) (io.Reader, int64) {
	if !c.is("all-fields") {
		return nil, 0
	}
	b, _ := os.ReadFile(name)
	return bytes.NewReader(b), int64(len(b))
}

func (c *client) list() {
	head := c.header(202, "", 0, false)
	conn, resp, ok := c.exchange("LIST", head, nil, 0)
	if !ok {
		return
	}
	defer c.done(conn)
	switch resp.status {
	case 211:
	case 1002:
		fmt.Fprintln(c.stdout, "LIST: no files (1002)")
		return
	default:
		c.fail("LIST: status %d", resp.status)
		return
	}
	if resp.size > 16<<20 {
		c.fail("LIST: a listing of %d bytes, over 16 MiB", resp.size)
		return
	}
	listing, err := io.ReadAll(resp.payload)
	if err != nil || len(listing) < int(resp.size) {
		c.fail("LIST: listing cut short: %v", err)
		return
	}
	var names []string
	if c.is("scanner-panics") {
		sc := bufio.NewScanner(bytes.NewReader(listing))
		for sc.Scan() {
			names = append(names, sc.Text())
		}
		if err := sc.Err(); err != nil {
			panic(err)
		}
	} else {
		names = strings.FieldsFunc(string(listing), func(r rune) bool { return r == '\n' || r == '\r' })
	}
	fmt.Fprintf(c.stdout, "LIST: %d files (211)\n", len(names))
	for _, n := range names {
		if c.is("prints-raw-names") {
			fmt.Fprintln(c.stdout, "  "+n)
			continue
		}
		if len(n) > 80 {
			n = n[:80]
		}
		fmt.Fprintln(c.stdout, "  "+strconv.QuoteToASCII(n))
	}
}

func (c *client) backup(name string) {
	f, err := os.Open(name)
	if err != nil {
		c.fail("BACKUP %s: %v", name, err)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		c.fail("BACKUP %s: %v", name, err)
		return
	}
	head := c.header(100, filepath.Base(name), st.Size(), true)
	conn, resp, ok := c.exchange("BACKUP "+name, head, f, st.Size())
	if !ok {
		return
	}
	defer c.done(conn)
	if resp.status != c.success(212) {
		c.fail("BACKUP %s: status %d", name, resp.status)
		return
	}
	fmt.Fprintf(c.stdout, "BACKUP %s: ok (%d)\n", name, resp.status)
}

func (c *client) remove(name string) {
	body, size := c.extra(name)
	head := c.header(201, name, size, false)
	conn, resp, ok := c.exchange("DELETE "+name, head, body, size)
	if !ok {
		return
	}
	defer c.done(conn)
	if resp.status != 212 {
		c.fail("DELETE %s: status %d", name, resp.status)
		return
	}
	fmt.Fprintf(c.stdout, "DELETE %s: deleted (212)\n", name)
}

func (c *client) restore(name string) {
	body, size := c.extra(name)
	head := c.header(200, name, size, false)
	var early *os.File
	if c.is("truncates-tmp") {
		early, _ = os.Create("tmp")
		defer early.Close()
	}
	conn, resp, ok := c.exchange("RESTORE "+name, head, body, size)
	if !ok {
		return
	}
	defer c.done(conn)
	want := c.success(210)
	switch {
	case resp.status == 1001:
		fmt.Fprintf(c.stdout, "RESTORE %s: not on the server (1001)\n", name)
		return
	case resp.status != want:
		c.fail("RESTORE %s: status %d", name, resp.status)
		return
	case resp.name != name && !c.is("server-name"):
		c.fail("RESTORE %s: the response names %s", name, strconv.QuoteToASCII(resp.name))
		return
	}
	target := "tmp"
	if c.is("server-name") {
		target = resp.name
	}
	if err := c.save(target, resp); err != nil {
		c.fail("RESTORE %s: %v", name, err)
		return
	}
	fmt.Fprintf(c.stdout, "RESTORE %s: %d bytes saved to %s (210)\n", name, resp.size, target)
}

// save writes a restored payload to target: through a temporary file renamed once the whole
// payload arrived, unless a fault says otherwise.
func (c *client) save(target string, resp *response) error {
	if c.is("buffer-payload") || c.is("utf8-decode") {
		var buf bytes.Buffer
		n, err := io.Copy(&buf, resp.payload)
		if err != nil || n < int64(resp.size) {
			return fmt.Errorf("payload cut short after %d of %d bytes", n, resp.size)
		}
		b := buf.Bytes()
		if c.is("utf8-decode") {
			b = []byte(strings.ToValidUTF8(string(b), "\uFFFD"))
		}
		return os.WriteFile(target, b, 0o644)
	}
	dir := filepath.Dir(target)
	if c.is("partial-tmp") {
		f, err := os.Create(target)
		if err != nil {
			return err
		}
		defer f.Close()
		n, err := io.Copy(f, resp.payload)
		if err != nil || n < int64(resp.size) {
			return fmt.Errorf("payload cut short after %d of %d bytes", n, resp.size)
		}
		return nil
	}
	f, err := os.CreateTemp(dir, ".restore-*")
	if err != nil {
		return err
	}
	n, err := io.Copy(f, resp.payload)
	f.Close()
	if err != nil || n < int64(resp.size) {
		os.Remove(f.Name())
		return fmt.Errorf("payload cut short after %d of %d bytes", n, resp.size)
	}
	return os.Rename(f.Name(), target)
}
