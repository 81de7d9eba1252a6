//go:build !linux

package bench

import "errors"

// GroupUsage is available on Linux only, where /proc tells.
func GroupUsage(pgid int) (Usage, error) {
	return Usage{}, errors.New("process usage is read from /proc, which only Linux has")
}
