package target

import (
	"net"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fbpkit/fbp/internal/fakepeer"
)

func TestSplitCommand(t *testing.T) {
	for line, want := range map[string][]string{
		"./server --port 1234":               {"./server", "--port", "1234"},
		"  python3\tserver.py \n":            {"python3", "server.py"},
		`"/opt/my server/run" -v`:            {"/opt/my server/run", "-v"},
		`'/opt/my server/run' 'a "b"'`:       {"/opt/my server/run", `a "b"`},
		`prog "say \"hi\" \\ \n" x`:          {"prog", `say "hi" \ \n`, "x"},
		`prog a\ b \$HOME`:                   {"prog", "a b", "$HOME"},
		`prog ''`:                            {"prog", ""},
		`pre"fix"'ed'`:                       {"prefixed"},
		`server -root $HOME/fbp; rm -rf x &`: {"server", "-root", "$HOME/fbp;", "rm", "-rf", "x", "&"},
	} {
		got, err := SplitCommand(line)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("SplitCommand(%q) = %q, %v; want %q", line, got, err, want)
		}
	}
	for _, bad := range []string{"", "   ", `prog 'open`, `prog "open`, `prog \`} {
		if got, err := SplitCommand(bad); err == nil {
			t.Errorf("SplitCommand(%q) = %q, want an error", bad, got)
		}
	}
}

// A command that cannot start is named in the error, with the port it was given and the
// address it was to listen on: a {port} command has no address before it starts.
func TestStartServerErrorNamesCommandAndAddress(t *testing.T) {
	_, err := StartServer(t.Context(), ExecConfig{Command: []string{"/nonexistent/fbp-server", "-p", PortPlaceholder}})
	if err == nil {
		t.Fatal("a missing program started")
	}
	msg := err.Error()
	_, addr, ok := strings.Cut(msg, " to listen on ")
	addr, _, _ = strings.Cut(addr, ": ")
	_, port, splitErr := net.SplitHostPort(addr)
	if !ok || splitErr != nil || port == "" || !strings.HasPrefix(msg, `starting "/nonexistent/fbp-server -p `+port+`" to listen on 127.0.0.1:`+port+": ") {
		t.Errorf("error %q", msg)
	}
	if got := (&UnreachableError{Err: err}).Error(); strings.Contains(got, "cannot reach :") || !strings.HasPrefix(got, "cannot reach the -exec server: starting ") {
		t.Errorf("without an address: %q", got)
	}
}

// A server started through a wrapper script runs as the script's child: stopping the script
// alone would leave the child holding the port, and the restart after a crash could not listen.
func TestStopEndsWhatTheServerStarted(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no process groups")
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	addr := fakepeer.ClosedAddr(t)
	t.Setenv(envListen, addr)
	// A non-interactive shell's background job ignores SIGINT, as the children of many
	// wrapper scripts do: only a signal to the whole group ends it.
	wrapper := []string{sh, "-c", strings.Join([]string{quoteShell(os.Args[0]), "-test.run=^$", "& wait"}, " ")}
	p, err := StartServer(t.Context(), ExecConfig{Command: wrapper, Addr: addr, StartTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Restart(t.Context()); err != nil {
		t.Fatalf("restart: %v", err)
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	// The port frees once the child is gone; give a killed process a moment to be reaped.
	var ln net.Listener
	for deadline := time.Now().Add(5 * time.Second); ; {
		if ln, err = net.Listen("tcp", addr); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("after Stop, %s is still held: %v", addr, err)
	}
	ln.Close()
}

func quoteShell(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
