package spec

import (
	"fmt"

	"github.com/fbpkit/fbp/ref/wire"
)

// Holding is what a tester knows the server holds of a request's file, from the answers it
// had before: testers that keep state (the model, bench) judge more than JudgeAnswer can.
type Holding int

const (
	// HoldingUnknown: nothing is known (another client may have stored or deleted it).
	HoldingUnknown Holding = iota
	// HoldingStored: the server answered a BACKUP of it, and nothing deleted it since.
	HoldingStored
	// HoldingMissing: never stored, or deleted since.
	HoldingMissing
)

// Checks that JudgeHeld reports.
const (
	CheckMissingFile = "missing-file" // a RESTORE or DELETE of a missing file not answered 1001
	CheckStoredFile  = "stored-file"  // a RESTORE or DELETE of a stored file answered 1001
)

// JudgeHeld checks an answer JudgeAnswer allowed against what the tester knows the server holds
// of the request's file. A RESTORE or DELETE of a missing file is owed 1001 naming it (R-4.2,
// success is a fault, and so is 1003, which tells the client that the server failed
// where it only had to say the file is not there. A stored file's is owed 210 or 212, not 1001;
// 1003 stays allowed for it (a store that fails, R-5.5). It returns nil when the answer is
// allowed.
func JudgeHeld(q Request, st wire.Status, h Holding) *Violation {
	if q.Form != Whole || (q.Op != wire.OpRestore && q.Op != wire.OpDelete) {
		return nil
	}
	req := OpRequirement(q.Op)
	switch {
	case h == HoldingMissing && st != wire.StatusNotExist:
		return &Violation{Req: req, Check: CheckMissingFile, Expected: fmt.Sprintf("1001 naming %s: the file is missing", Quote(q.Name)),
			Actual: fmt.Sprintf("%d (%v)", uint16(st), st)}
	case h == HoldingStored && st == wire.StatusNotExist:
		success := wire.StatusRestored
		if q.Op == wire.OpDelete {
			success = wire.StatusOK
		}
		return &Violation{Req: req, Check: CheckStoredFile, Expected: fmt.Sprintf("%d naming %s: the file is stored", uint16(success), Quote(q.Name)),
			Actual: fmt.Sprintf("%d (%v)", uint16(st), st)}
	}
	return nil
}
