package main

import (
	"io"
	"sync"
	"time"
)

// logFlushDelay is how long a log line may wait in logWriter's buffer before it is written.
const logFlushDelay = 20 * time.Millisecond

// logFlushAt is how much of the buffer's lines are written at once without waiting.
const logFlushAt = 32 << 10

// logWriter gathers log lines and writes them out together, at most logFlushDelay after the
// first of them, at once when logFlushAt bytes wait, and on Flush. A line per request written
// as it comes was a write(2) of its own per request, and a wakeup of whoever reads the log:
// for a small RESTORE a twelfth of the server's CPU. Lines are whole in every write; the
// server flushes at the lines a supervisor waits for (started, stopped) and before it exits,
// so no line is lost at exit; a kill -9 loses at most the last logFlushDelay of them.
type logWriter struct {
	mu    sync.Mutex
	dst   io.Writer
	buf   []byte
	timer *time.Timer
	err   error // the first failed write; lines are dropped after it, as before
}

func newLogWriter(dst io.Writer) *logWriter {
	w := &logWriter{dst: dst}
	w.timer = time.AfterFunc(time.Hour, func() { w.Flush() })
	w.timer.Stop()
	return w
}

// Write takes one or more whole lines.
func (w *logWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) == 0 {
		w.timer.Reset(logFlushDelay)
	}
	w.buf = append(w.buf, b...)
	if len(w.buf) >= logFlushAt {
		w.flushLocked()
	}
	return len(b), nil
}

// Flush writes out the lines waiting.
func (w *logWriter) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flushLocked()
	return w.err
}

func (w *logWriter) flushLocked() {
	w.timer.Stop()
	if len(w.buf) == 0 {
		return
	}
	if w.err == nil {
		_, w.err = w.dst.Write(w.buf)
	}
	if cap(w.buf) > 4*logFlushAt {
		w.buf = nil
	} else {
		w.buf = w.buf[:0]
	}
}
