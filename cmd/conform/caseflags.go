package main

import (
	"flag"
	"fmt"
	"io"
	"regexp"

	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/internal/cliargs"
)

// caseFlags are the flags the two catalogs share, the servers' and the clients': which cases
// run, and where and how the report goes.
type caseFlags struct {
	list     bool
	format   string
	out      string
	baseline string
	runRe    string
	skipRe   string
	name     string
}

// register defines them on fs; example is a requirement ID of the catalog, listWhat what -list
// prints.
func (f *caseFlags) register(fs *flag.FlagSet, example, listWhat string) {
	fs.StringVar(&f.runRe, "run", "", "run only the cases whose ID or one of whose requirements ("+example+") matches `regexp`")
	fs.StringVar(&f.skipRe, "skip", "", "leave out the cases whose ID or one of whose requirements matches `regexp`")
	fs.BoolVar(&f.list, "list", false, "print "+listWhat+" and run nothing")
	fs.StringVar(&f.format, "format", "text", "report format: text, json, junit or html (one self-contained page)")
	fs.StringVar(&f.name, "name", "", "`name` of the implementation under test, in the report (a matrix's rows are named by it)")
	fs.StringVar(&f.out, "o", "", "write the report to `file` (the problems and the verdict still go to stderr)")
	fs.StringVar(&f.baseline, "baseline", "", "`file` of case IDs known to fail, one per line: not counted; a pass is reported")
}

// parse compiles -run and -skip, checks -format and -o, and reads the -baseline file.
func (f *caseFlags) parse() (run, skip *regexp.Regexp, baseline []string, err error) {
	if f.runRe != "" {
		if run, err = regexp.Compile(f.runRe); err != nil {
			return nil, nil, nil, fmt.Errorf("-run: %w", err)
		}
	}
	if f.skipRe != "" {
		if skip, err = regexp.Compile(f.skipRe); err != nil {
			return nil, nil, nil, fmt.Errorf("-skip: %w", err)
		}
	}
	switch f.format {
	case "text", "json", "junit", "html":
	default:
		return nil, nil, nil, fmt.Errorf("-format %q: want text, json, junit or html", f.format)
	}
	if err = checkOutput(f.out); err != nil {
		return nil, nil, nil, err
	}
	if f.baseline != "" {
		if baseline, err = readBaseline(f.baseline); err != nil {
			return nil, nil, nil, err
		}
	}
	return run, skip, baseline, nil
}

// noneSelected is the usage error of a -run and -skip that leave no case; name is the command.
func (f *caseFlags) noneSelected(name string) error {
	return cliargs.Usagef("-run %q -skip %q matched no case (see %s -list)", f.runRe, f.skipRe, name)
}

// reportFile opens -o before the run, so that a path that cannot be written is said at once;
// nil without -o.
func (f *caseFlags) reportFile() (*outputFile, error) { return createOutput(f.out) }

// writeReport writes rep in -format to file, or to stdout without one, and closes the file.
// With a file or a document, the terminal still gets the problems, the failures and the
// verdict.
func (f *caseFlags) writeReport(rep *report.Report, verbose bool, file *outputFile, stdout, stderr io.Writer) error {
	rep.Name = f.name
	write := formatWriters{
		"html": rep.WriteHTML,
		"text": func(w io.Writer) error {
			return rep.WriteText(w, report.TextOptions{Color: file == nil && isTerminal(stdout), Verbose: verbose})
		},
		"json":  rep.WriteJSON,
		"junit": rep.WriteJUnit,
	}
	if err := writeOutput(file, stdout, write[f.format]); err != nil || f.format == "text" && file == nil {
		return err
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(stderr, "problem [%s] %s %s: %s\n", p.ID, p.Level, p.Requirement, p.Summary)
	}
	for i := range rep.Results {
		if res := &rep.Results[i]; res.Status == report.VerdictFail || res.Status == report.VerdictUnexpectedPass {
			fmt.Fprintln(stderr, rep.Line(res, isTerminal(stderr)))
		}
	}
	fmt.Fprint(stderr, rep.SummaryText())
	return nil
}
