package golden

import (
	"fmt"
	"strings"
	"testing"
)

// recorder keeps what Check reports instead of failing the test that runs it.
type recorder struct {
	testing.TB
	name   string
	failed []string
}

func (r *recorder) Helper()      {}
func (r *recorder) Name() string { return r.name }
func (r *recorder) Errorf(format string, args ...any) {
	r.failed = append(r.failed, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...) }

func TestCheckPassesOnTheSameBytesAndNamesTheCommandOnOthers(t *testing.T) {
	same := &recorder{TB: t, name: "TestX/sub"}
	Check(same, "pinned.txt", []byte("pinned\n"))
	if len(same.failed) != 0 {
		t.Fatalf("the same bytes failed: %q", same.failed)
	}

	other := &recorder{TB: t, name: "TestX/sub"}
	Check(other, "pinned.txt", []byte("moved\n"))
	if len(other.failed) != 1 || !strings.Contains(other.failed[0], "go test ./internal/golden -run '^TestX$' -update") ||
		!strings.Contains(other.failed[0], "--- got\nmoved\n") {
		t.Fatalf("a difference was reported as %q", other.failed)
	}

	missing := &recorder{TB: t, name: "TestY"}
	Check(missing, "absent.txt", nil)
	if len(missing.failed) != 1 || !strings.Contains(missing.failed[0], "to write it") {
		t.Fatalf("a missing golden file was reported as %q", missing.failed)
	}
}
