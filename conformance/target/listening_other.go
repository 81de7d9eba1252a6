//go:build !linux

package target

// listeningSocket cannot tell here: the caller connects instead.
func listeningSocket(addr string) (up, ok bool) { return false, false }
