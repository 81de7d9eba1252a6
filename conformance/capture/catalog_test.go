package capture_test

import (
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fbpkit/fbp/conformance"
	"github.com/fbpkit/fbp/conformance/capture"
	"github.com/fbpkit/fbp/conformance/internal/mutants"
	"github.com/fbpkit/fbp/conformance/report"
)

// TestCatalogCapture runs two cases of the catalog against a server that answers a RESTORE of
// a missing file with 1003, one failing and one passing, with -pcap and then -pcap-failed, and
// reads the file with tshark and the dissector: every packet's comment names its case, the
// requests and responses decode, the failing case's connection ends with its finding, and
// -pcap-failed leaves the passing case out.
func TestCatalogCapture(t *testing.T) {
	tshark := needTshark(t)
	srv := mutants.StartTB(t, "missing-file-1003", mutants.Options{})
	_, port, _ := net.SplitHostPort(srv)
	const failing, passing = "restore/missing-1001", "list/empty-user-1002"
	for _, failedOnly := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "conform.pcapng")
		rec, err := capture.Create(path, failedOnly)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := conformance.Run(context.Background(), conformance.Config{Addr: srv, Capture: rec,
			Run: regexp.MustCompile("^(" + regexp.QuoteMeta(failing) + "|" + regexp.QuoteMeta(passing) + ")$")})
		if err != nil {
			t.Fatal(err)
		}
		if err := rec.Close(); err != nil {
			t.Fatal(err)
		}
		status := map[string]report.Verdict{}
		for _, r := range rep.Results {
			status[r.ID] = r.Status
		}
		if status[failing] != report.VerdictFail || status[passing] != report.VerdictPass {
			t.Fatalf("verdicts %v: want %s failing and %s passing", status, failing, passing)
		}

		cmd := exec.Command(tshark, "-X", "lua_script:"+dissector, "-o", "fbp.port:"+port, "-r", path, "-T", "fields",
			"-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=|", "-e", "frame.comment", "-e", "fbp.op", "-e", "fbp.status", "-e", "fbp.filename")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("tshark: %v", err)
		}
		// TCP's own analysis finds nothing to say of the framing: no segment unseen, no
		// acknowledgement of bytes never sent, no retransmission.
		if bad, err := exec.Command(tshark, "-r", path, "-Y", "tcp.analysis.flags || _ws.malformed").Output(); err != nil || len(bad) > 0 {
			t.Errorf("tshark's TCP analysis flags packets (%v):\n%s", err, bad)
		}
		cases := map[string]int{}
		var ops, statuses []string
		var finding string
		for line := range strings.SplitSeq(strings.TrimRight(string(out), "\n"), "\n") {
			cols := strings.Split(line, "\t")
			comment := cols[0]
			id, note, _ := strings.Cut(comment, ": ")
			if id != failing && id != passing {
				t.Errorf("a packet whose comment names no case: %q", line)
				continue
			}
			cases[id]++
			if strings.HasPrefix(note, "FAIL: ") {
				finding = note
			}
			if cols[1] != "" {
				ops = append(ops, id+" "+cols[1])
			}
			if cols[2] != "" {
				statuses = append(statuses, id+" "+cols[2])
			}
		}
		t.Logf("pcap-failed %v: packets per case %v; requests %v; responses %v; finding %q", failedOnly, cases, ops, statuses, finding)
		if cases[failing] == 0 {
			t.Errorf("no packet of the failing case %s", failing)
		}
		if failedOnly != (cases[passing] == 0) {
			t.Errorf("pcap-failed %v: %d packets of the passing case %s", failedOnly, cases[passing], passing)
		}
		if !strings.Contains(strings.Join(ops, ","), failing+" 200") || !strings.Contains(strings.Join(statuses, ","), failing+" 1003") {
			t.Errorf("the failing case's RESTORE and its 1003 were not decoded: %v %v", ops, statuses)
		}
		if !strings.HasPrefix(finding, "FAIL: R-4.2: expected ") || !strings.Contains(finding, "1003") {
			t.Errorf("the failing case's last packet carries %q, want its finding", finding)
		}
	}
}
