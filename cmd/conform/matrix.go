package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/fbpkit/fbp/conformance/matrix"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/internal/cliargs"
)

// matrixFlags are the flags of conform matrix, which conform batch shares.
type matrixFlags struct {
	format string
	out    string
	by     string
}

func (f *matrixFlags) register(cmd *cliargs.Command) {
	fs := cmd.Flags
	fs.StringVar(&f.out, "o", "", "write the matrix to `file` (default: stdout)")
	fs.StringVar(&f.format, "format", "", "html, csv, json or text (default: by the -o file's extension, else text)")
	fs.StringVar(&f.by, "by", matrix.ByCase, "columns: case, or requirement (a requirement's cell is its worst case)")
}

func (f *matrixFlags) check() error {
	if f.format == "" {
		f.format = "text"
		if ext := strings.TrimPrefix(filepath.Ext(f.out), "."); slices.Contains([]string{"html", "csv", "json"}, ext) {
			f.format = ext
		}
	}
	if !slices.Contains([]string{"html", "csv", "json", "text"}, f.format) {
		return fmt.Errorf("-format %q: want html, csv, json or text", f.format)
	}
	if f.by != matrix.ByCase && f.by != matrix.ByRequirement {
		return fmt.Errorf("-by %q: want case or requirement", f.by)
	}
	return checkOutput(f.out)
}

// write builds the matrix of entries and writes it to -o, or to stdout.
func (f *matrixFlags) write(entries []matrix.Entry, stdout io.Writer) (*matrix.Matrix, error) {
	m, err := matrix.Build(entries, f.by)
	if err != nil {
		return nil, err
	}
	write := formatWriters{"html": m.WriteHTML, "csv": m.WriteCSV, "json": m.WriteJSON, "text": m.WriteText}
	return m, writeTo(f.out, stdout, write[f.format])
}

// outDir is the folder the matrix's links start from.
func (f *matrixFlags) outDir() string {
	if f.out == "" {
		return "."
	}
	return filepath.Dir(f.out)
}

const matrixUsage = `usage: conform matrix [-o FILE] [-format html|csv|json|text] [-by case|requirement] REPORT.json|FOLDER...

Merges the JSON reports of conform and conform client (-format json) into one table: a row per
implementation (named by the run's -name, else by the report's file name) with its verdict, MUST
pass rate and problem count, a column per case, and the problems with the implementations that
have them. A cell links to the case in the implementation's HTML report, the REPORT.html beside
REPORT.json, when there is one (-pages writes it). NAME.failed, a text file, stands for a report
that could not be made: NAME's row gives its text as the reason. A folder stands for the reports
and .failed files in it.
Exit status: 0 the matrix is written, 2 usage or a file that is not a report.
`

// runMatrix is `conform matrix`: many reports, one table.
func runMatrix(_ context.Context, args []string, stdout, stderr io.Writer) int {
	var f matrixFlags
	cmd := cliargs.New("conform matrix", matrixUsage)
	f.register(cmd)
	pages := cmd.Flags.Bool("pages", false, "write the HTML report of every JSON report that has none beside it (REPORT.html), for the cells to link to")
	pos, err := cliargs.Parse(cmd.Flags, args)
	if err == nil {
		err = f.check()
	}
	if err == nil && len(pos) == 0 {
		err = errors.New("no report: conform matrix REPORT.json...")
	}
	if err != nil {
		return cmd.Fail(err, stdout, stderr)
	}
	paths, err := reportPaths(pos)
	if err != nil {
		return cmd.Fail(err, stdout, stderr)
	}
	var entries []matrix.Entry
	for _, p := range paths {
		var e matrix.Entry
		if strings.HasSuffix(p, matrix.FailedExt) {
			e, err = matrix.LoadFailed(p)
		} else {
			e, err = matrix.Load(p, f.outDir())
		}
		if err == nil && *pages && e.Report != nil && e.HTML == "" {
			err = writePage(e.Report, strings.TrimSuffix(p, filepath.Ext(p))+".html")
			e.HTML = matrix.Link(strings.TrimSuffix(p, filepath.Ext(p))+".html", f.outDir())
		}
		if err != nil {
			fmt.Fprintf(stderr, "conform matrix: %v\n", err)
			return exitUsage
		}
		entries = append(entries, e)
	}
	m, err := f.write(entries, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "conform matrix: %v\n", err)
		return exitFail
	}
	if f.out != "" {
		fmt.Fprintf(stderr, "conform matrix: %d implementations, %d distinct problems: %s\n", len(m.Rows), len(m.Problems), f.out)
	}
	return exitPass
}

// reportPaths expands folders into the JSON reports and .failed files they hold (other JSON,
// such as a matrix's, is left out), and keeps files as given.
func reportPaths(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		files, err := filepath.Glob(filepath.Join(a, "*.json"))
		if err != nil {
			return nil, err
		}
		for _, p := range files {
			if isReport(p) {
				out = append(out, p)
			}
		}
		failed, err := filepath.Glob(filepath.Join(a, "*"+matrix.FailedExt))
		if err != nil {
			return nil, err
		}
		out = append(out, failed...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no JSON report of conform in %s", strings.Join(args, " "))
	}
	return out, nil
}

// writePage writes rep's HTML report to path.
func writePage(rep *report.Report, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	return errors.Join(rep.WriteHTML(f), f.Close())
}

func isReport(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	var head struct {
		Schema string `json:"schema"`
	}
	return json.Unmarshal(b, &head) == nil && head.Schema == report.Schema
}
