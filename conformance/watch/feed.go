package watch

import "io"

// chunk is bytes as one read of a side returned them, with the count of bytes the other side
// had sent when they were read: a judge compares marks to tell bytes that came before the
// peer's answer from bytes that came after it.
type chunk struct {
	b    []byte
	mark int64
}

// feed hands a forwarder's reads to a judge without a copy and without a buffer of its own:
// push returns once the judge has done with the chunk and asks for more, so the forwarder's one
// buffer is all the memory a connection's direction holds, whatever the payload.
type feed struct {
	ch   chan chunk
	idle chan struct{}
	end  error // what ended the stream: io.EOF or a network error; set before ch is closed

	// The judge's side.
	cur  []byte
	mark int64
	held bool
}

func newFeed() *feed { return &feed{ch: make(chan chunk), idle: make(chan struct{})} }

// push gives b to the judge and waits until it is done with it.
func (f *feed) push(b []byte, mark int64) {
	f.ch <- chunk{b, mark}
	<-f.idle
}

// close ends the stream with err.
func (f *feed) close(err error) {
	f.end = err
	close(f.ch)
}

// next makes the current chunk non-empty, releasing the one used up; false at the end.
func (f *feed) next() bool {
	for len(f.cur) == 0 {
		if f.held {
			f.held = false
			f.idle <- struct{}{}
		}
		c, ok := <-f.ch
		if !ok {
			return false
		}
		f.cur, f.mark, f.held = c.b, c.mark, true
	}
	return true
}

func (f *feed) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if !f.next() {
		return 0, f.end
	}
	n := copy(p, f.cur)
	f.cur = f.cur[n:]
	return n, nil
}

// peekMark waits for the next byte and returns its chunk's mark; ok is false at the end.
func (f *feed) peekMark() (mark int64, ok bool) {
	if !f.next() {
		return 0, false
	}
	return f.mark, true
}

// takeUnanswered consumes the bytes that follow the end of a message before the other side
// sent anything more (their chunks carry the mark of the one the message ended in): bytes after
// the message. It returns the first 16 of them and their count, and writes them all to w.
func (f *feed) takeUnanswered(w io.Writer) (first []byte, n int64) {
	end := f.mark
	for {
		m, ok := f.peekMark()
		if !ok || m != end {
			return first, n
		}
		b := f.cur
		f.cur = nil
		w.Write(b)
		if len(first) < 16 {
			first = append(first, b[:min(len(b), 16-len(first))]...)
		}
		n += int64(len(b))
	}
}

// drain consumes the stream to its end: a judge that can no longer read it still lets the
// forwarder go on.
func (f *feed) drain() {
	for f.next() {
		f.cur = nil
	}
}
