package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fbpkit/fbp/conformance/matrix"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/conformance/target"
	"github.com/fbpkit/fbp/internal/cliargs"
	"github.com/fbpkit/fbp/internal/words"
)

// dirPlaceholder in -exec, -root, -client and -build is replaced by a submission's folder.
const dirPlaceholder = "{dir}"

type batchOptions struct {
	matrixFlags
	execCmd   string
	clientCmd string
	root      string
	build     string
	reports   string
	parallel  int
	buildTime time.Duration
	// extra are the flags after "--", given to every conform run.
	extra []string
}

// submission is one folder of the batch and what became of it.
type submission struct {
	dir, name string
	entry     matrix.Entry
	took      time.Duration
}

func runBatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o batchOptions
	cmd := cliargs.New("conform batch", `usage: conform batch -exec "CMD {dir} {port}" [-root "{dir}/store"] [flags] FOLDER... [-- CONFORM FLAGS]
       conform batch -client "CMD {dir}" [flags] FOLDER... [-- CONFORM CLIENT FLAGS]

Tests many submissions, a folder each, on one machine: {dir} in -exec, -root, -client and -build
is replaced by the submission's folder. Each runs isolated (its own port, storage folder and
-deadline), -parallel at a time, and leaves -reports/NAME.json and NAME.html (NAME is the folder's
name); then matrix.html and matrix.csv merge them. A submission that fails to build or start gets
its row with the reason, and the batch goes on. Flags after -- go to every conform run (-run,
-skip, -max-size, -deadline, ...).
Exit status: 0 every submission passed, 1 one did not, 2 usage.
`)
	o.matrixFlags.register(cmd)
	fs := cmd.Flags
	fs.StringVar(&o.execCmd, "exec", "", "`command` that starts a submission's server: {dir} is its folder, {port} a free port")
	fs.StringVar(&o.clientCmd, "client", "", "`command` that runs a submission's client (conform client's scenarios add their arguments): {dir} is its folder")
	fs.StringVar(&o.root, "root", "", "a submission's storage `folder`, checked for escaped files: {dir} is its folder (\"{dir}/store\")")
	fs.StringVar(&o.build, "build", "", "shell `command` run in a submission's folder first (\"make\"): when it fails, the row says why and the server is not run")
	fs.DurationVar(&o.buildTime, "build-timeout", 5*time.Minute, "bound on a submission's -build")
	fs.StringVar(&o.reports, "reports", "reports", "`folder` of the reports and the matrix")
	fs.IntVar(&o.parallel, "parallel", 2, "submissions tested at once")
	flagArgs, extra := args, []string(nil)
	if i := slices.Index(args, "--"); i >= 0 {
		flagArgs, extra = args[:i], args[i+1:]
	}
	o.extra = extra
	dirs, err := cliargs.Parse(fs, flagArgs)
	if err == nil {
		err = o.check(dirs)
	}
	if err != nil {
		return cmd.Fail(err, stdout, stderr)
	}
	if o.out == "" {
		o.out = filepath.Join(o.reports, "matrix."+o.format)
		if o.format == "text" {
			o.out = filepath.Join(o.reports, "matrix.txt")
		}
	}
	if err := os.MkdirAll(o.reports, 0o755); err != nil {
		fmt.Fprintf(stderr, "conform batch: %v\n", err)
		return exitUsage
	}
	subs := o.submissions(dirs)
	o.runAll(ctx, subs, stderr)

	entries := make([]matrix.Entry, len(subs))
	for i := range subs {
		entries[i] = subs[i].entry
	}
	m, err := o.write(entries, stdout)
	if err == nil && o.format != "csv" {
		// A spreadsheet of the grades, beside the page.
		csvOut := matrixFlags{format: "csv", by: o.by, out: filepath.Join(o.reports, "matrix.csv")}
		_, err = csvOut.write(entries, stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "conform batch: writing the matrix: %v\n", err)
		return exitFail
	}
	if err := m.WriteText(stdout); err != nil {
		return exitFail
	}
	fmt.Fprintf(stderr, "conform batch: %s tested: %s\n", words.Count(len(subs), "submission"), o.out)
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "conform batch: interrupted; the submissions not reached have no report")
		return exitFail
	}
	for i := range m.Rows {
		if m.Rows[i].Verdict != report.RunPass {
			return exitFail
		}
	}
	return exitPass
}

func (o *batchOptions) check(dirs []string) error {
	if o.format == "" && o.out == "" {
		// The batch's matrix is a page by default: the text goes to stdout all the same.
		o.format = "html"
	}
	if err := o.matrixFlags.check(); err != nil {
		return err
	}
	switch {
	case (o.execCmd == "") == (o.clientCmd == ""):
		return errors.New("give -exec (servers) or -client (clients), one of them")
	case o.execCmd != "" && !strings.Contains(o.execCmd, target.PortPlaceholder):
		// Submissions run side by side: each gets a port of its own.
		return fmt.Errorf("-exec %q: without %s, every submission's server would listen on the same port", o.execCmd, target.PortPlaceholder)
	case o.clientCmd != "" && o.root != "":
		return errors.New("-root is a server's storage: it goes with -exec")
	case o.parallel <= 0 || o.buildTime <= 0:
		return errors.New("-parallel and -build-timeout must be positive")
	case len(dirs) == 0:
		return errors.New("no submission: conform batch [flags] FOLDER...")
	}
	for _, d := range dirs {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			return fmt.Errorf("%s: not a folder", d)
		}
	}
	// The flags every run gets are checked once, before any runs, with the first folder.
	probe := o.conformArgs(dirs[0], "probe", filepath.Join(os.TempDir(), "probe.json"))
	var err error
	if o.clientCmd != "" {
		_, _, err = parseClientFlags(probe[1:])
	} else {
		_, _, err = parseFlags(probe)
	}
	return err
}

// submissions names each folder by its base name, numbered when two share one.
func (o *batchOptions) submissions(dirs []string) []submission {
	seen := map[string]int{}
	var subs []submission
	for _, d := range dirs {
		name := filepath.Base(filepath.Clean(d))
		if seen[name]++; seen[name] > 1 {
			name += "-" + strconv.Itoa(seen[name])
		}
		subs = append(subs, submission{dir: filepath.Clean(d), name: name})
	}
	return subs
}

// fill replaces {dir} in a command line, quoted as a shell would need it.
func fill(cmdline, dir string) string {
	return strings.ReplaceAll(cmdline, dirPlaceholder, shellQuote(dir))
}

// conformArgs is the command line of conform for one submission.
func (o *batchOptions) conformArgs(dir, name, out string) []string {
	common := []string{"-name", name, "-format", "json", "-o", out}
	if o.clientCmd != "" {
		// Each scenario runs the client in a copy of its folder; sh runs the command as written,
		// and the scenario's arguments follow it.
		args := append([]string{"client", "-dir", dir}, common...)
		args = append(args, o.extra...)
		return append(args, "--", "sh", "-c", fill(o.clientCmd, dir)+` "$@"`, "sh")
	}
	args := append(common, "-exec", fill(o.execCmd, dir))
	if o.root != "" {
		args = append(args, "-root", strings.ReplaceAll(o.root, dirPlaceholder, dir))
	}
	return append(args, o.extra...)
}

// runAll tests the submissions, -parallel at a time, saying each one's outcome as it ends.
func (o *batchOptions) runAll(ctx context.Context, subs []submission, stderr io.Writer) {
	var mu sync.Mutex
	done := 0
	sem := make(chan struct{}, o.parallel)
	var wg sync.WaitGroup
	for i := range subs {
		s := &subs[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if ctx.Err() != nil {
				s.entry = matrix.Entry{Name: s.name, Reason: "not run: the batch was interrupted"}
				return
			}
			start := time.Now()
			o.runOne(ctx, s)
			s.took = time.Since(start)
			mu.Lock()
			defer mu.Unlock()
			done++
			outcome := s.entry.Reason
			if r := s.entry.Report; r != nil {
				outcome = r.Verdict + " (" + words.Count(len(r.Problems), "problem") + ")"
			}
			fmt.Fprintf(stderr, "conform batch: [%d/%d] %s: %s in %v; %d left\n", done, len(subs), s.name, outcome, s.took.Round(time.Millisecond), len(subs)-done)
		}()
	}
	wg.Wait()
}

// runOne builds, runs and reports one submission; what goes wrong becomes the row's reason.
func (o *batchOptions) runOne(ctx context.Context, s *submission) {
	s.entry = matrix.Entry{Name: s.name, Kind: matrix.KindServer}
	if o.clientCmd != "" {
		s.entry.Kind = matrix.KindClient
	}
	failed := filepath.Join(o.reports, s.name+matrix.FailedExt)
	os.Remove(failed)
	defer func() {
		// The reason stays beside the reports, so that conform matrix of the folder gives the
		// submission its row as the batch does.
		if s.entry.Reason != "" {
			os.WriteFile(failed, []byte(s.entry.Reason+"\n"), 0o644)
		}
	}()
	if o.build != "" {
		if reason := o.runBuild(ctx, s.dir); reason != "" {
			s.entry.Reason = reason
			return
		}
	}
	jsonPath := filepath.Join(o.reports, s.name+".json")
	htmlPath := filepath.Join(o.reports, s.name+".html")
	os.Remove(jsonPath)
	os.Remove(htmlPath)
	var log bytes.Buffer
	code := run(ctx, o.conformArgs(s.dir, s.name, jsonPath), io.Discard, &log)
	e, err := matrix.Load(jsonPath, o.outDir())
	if err != nil {
		// No report: the server did not start, or did not answer. conform opened -o before
		// the run; an empty file is no report.
		os.Remove(jsonPath)
		s.entry.Reason = fmt.Sprintf("no report (exit status %d): %s", code, lastLines(log.String(), 3))
		return
	}
	if err := writePage(e.Report, htmlPath); err == nil {
		e.HTML = matrix.Link(htmlPath, o.outDir())
	}
	e.Name = s.name
	s.entry = e
}

// runBuild runs -build in dir and returns why it failed, or "".
func (o *batchOptions) runBuild(ctx context.Context, dir string) string {
	ctx, cancel := context.WithTimeout(ctx, o.buildTime)
	defer cancel()
	c := exec.CommandContext(ctx, "sh", "-c", fill(o.build, dir))
	c.Dir = dir
	out, err := c.CombinedOutput()
	if err == nil {
		return ""
	}
	if ctx.Err() == context.DeadlineExceeded {
		return fmt.Sprintf("build did not end within -build-timeout %v", o.buildTime)
	}
	return fmt.Sprintf("build failed (%v): %s", err, lastLines(string(out), 3))
}

// lastLines are the last n lines of s, joined in one line.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " / ")
}
