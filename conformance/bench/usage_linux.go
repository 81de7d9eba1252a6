package bench

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/procgroup"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times: 100 on every Linux
// architecture Go supports.
const clockTicks = 100

// GroupUsage reads from /proc what the process group pgid (a server the tester started in a
// group of its own, with what it started) has used.
func GroupUsage(pgid int) (Usage, error) {
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return Usage{}, err
	}
	var u Usage
	found := false
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // the process ended meanwhile
		}
		// The command name, field 2, is in parentheses and may hold anything: the fields
		// are counted from the last ')'.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		// f[0] is field 3 (state): pgrp is field 5, utime..cstime fields 14 to 17.
		if len(f) < 15 || f[2] != strconv.Itoa(pgid) {
			continue
		}
		found = true
		for _, s := range f[11:15] {
			ticks, _ := strconv.ParseInt(s, 10, 64)
			u.CPU += time.Duration(ticks) * time.Second / clockTicks
		}
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		if hwm, err := procgroup.PeakRSS(pid); err == nil {
			u.PeakRSS = max(u.PeakRSS, hwm)
		}
	}
	if !found {
		return Usage{}, fmt.Errorf("no process in group %d", pgid)
	}
	return u, nil
}
