package client_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fbpkit/fbp/ref/client"
	"github.com/fbpkit/fbp/ref/wire"
)

// listAlloc lists from a server that answers listing, and returns the names and the bytes
// the client allocated meanwhile.
func listAlloc(t *testing.T, opt client.Options, listing string) ([]string, uint64, error) {
	t.Helper()
	resp := raw(wire.StatusListed, listingName, listing)
	answer := resp.Append(nil)
	p := startPeer(t, func(c net.Conn, _ *wire.RequestHeader, _ io.Reader) bool {
		c.Write(answer)
		return false
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := client.New(p.addr, opt)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	names, err := c.List(ctx, 7)
	runtime.ReadMemStats(&after)
	return names, after.TotalAlloc - before.TotalAlloc, err
}

// A listing costs memory in proportion to its size: its bytes once, and a string header a
// name, whatever the names look like (the server's answer itself is allocated by the test
// before it is measured).
func TestListMemoryFollowsListing(t *testing.T) {
	for _, tc := range []struct {
		id      string
		names   int
		nameLen int
		bound   uint64
	}{
		// 16 MiB of the longest names, some 65,000: at most twice the listing.
		{"long-names", (16<<20 - 1) / 256, 255, 32 << 20},
		// The most one-character names a listing may hold, 200 KB of listing: the headers and
		// the slices holding them dominate.
		{"short-names", client.DefaultMaxListNames, 1, 16 << 20},
	} {
		t.Run(tc.id, func(t *testing.T) {
			var b strings.Builder
			for i := range tc.names {
				name := fmt.Sprintf("%0*d", tc.nameLen, i)
				b.WriteString(name[len(name)-tc.nameLen:] + "\n")
			}
			names, alloc, err := listAlloc(t, client.Options{}, b.String())
			if err != nil || len(names) != tc.names {
				t.Fatalf("listed %d names, %v", len(names), err)
			}
			t.Logf("%d names in %d bytes of listing: %d bytes allocated", tc.names, b.Len(), alloc)
			if alloc > tc.bound {
				t.Fatalf("a listing of %d bytes cost %d bytes, over %d", b.Len(), alloc, tc.bound)
			}
		})
	}
}

// More names than MaxListNames are refused, however short.
func TestListNameCountBound(t *testing.T) {
	_, _, err := listAlloc(t, client.Options{MaxListNames: 10}, strings.Repeat("a\n", 11))
	wantProtocolSaying("10 names")(t, err)
	names, _, err := listAlloc(t, client.Options{MaxListNames: 10}, strings.Repeat("a\n", 10))
	if err != nil || len(names) != 10 {
		t.Fatalf("ten names under a bound of ten: %q, %v", names, err)
	}
}

// A listing's lines end in \n, \r\n or the end of the payload; an empty line names no file
// and makes the listing malformed, as every reader of the toolkit takes it (wire.ListingScanner).
func TestListLineEnds(t *testing.T) {
	names, _, err := listAlloc(t, client.Options{}, "a\r\nb\nc")
	if err != nil || strings.Join(names, ",") != "a,b,c" {
		t.Fatalf("names %q, %v", names, err)
	}
	_, _, err = listAlloc(t, client.Options{}, "a\r\n\nb\n")
	wantProtocolSaying("line 2 (byte 3) is an empty line")(t, err)
}
