package model

import (
	"context"
	"fmt"
	"io"

	"github.com/fbpkit/fbp/conformance/target"
	"github.com/fbpkit/fbp/ref/wire"
)

// reviver brings the server back through Config.Restart when it stops answering, before the
// next sequence, round or shrink attempt: a shrink attempt against a dead server fails for the
// crash alone, and the shrunk script would lose the steps that caused it.
type reviver struct {
	restart func(ctx context.Context) (addr string, err error)
	ex      *exchanger
	log     io.Writer
	res     *Result
}

func newReviver(cfg Config, ex *exchanger, res *Result) *reviver {
	return &reviver{restart: cfg.Restart, ex: ex, log: cfg.Log, res: res}
}

// revive restarts the server if a response went missing since the last call and the server
// does not answer a LIST now. It must not run while requests are in flight.
func (v *reviver) revive(ctx context.Context) {
	if v.restart == nil || !v.ex.lost.Swap(false) || ctx.Err() != nil {
		return
	}
	list := wire.RequestHeader{UserID: freshUsers(1)[0], Version: wire.Version, Op: wire.OpList}
	probe := target.Probe{Addr: v.ex.addr, Request: list.Append(nil), Timeout: v.ex.timeout, Wait: v.ex.timeout,
		Enough: wire.ResponsePrefixLen}.Run(ctx)
	if probe.Answered {
		return
	}
	// The probe's own failure is what was to be seen: it must not call for another restart.
	v.ex.lost.Store(false)
	v.res.Restarts++
	addr, err := v.restart(ctx)
	if err != nil {
		fmt.Fprintf(v.log, "model: the server stopped answering (%v); restart failed: %v\n", probe.Err(), err)
		return
	}
	if addr != "" {
		v.ex.addr = addr
	}
	fmt.Fprintf(v.log, "model: the server stopped answering (%v); restarted\n", probe.Err())
}
