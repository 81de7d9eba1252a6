// Package vectors holds the golden byte vectors of FBP: requests, responses and filenames, each
// with the requirement IDs of SPEC.md it exercises and the result a decoder must give. The files
// (requests.json, responses.json, names.json; schema "fbp-vectors/1", described in README.md)
// are embedded, so that any package can load them with Load; programs in other languages read
// the same files.
//
// The files are generated: edit vectors/internal/build and run `go generate ./vectors`. They
// are parsed into the types of package vectors/schema.
package vectors

//go:generate go run ./internal/gen

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"

	"github.com/fbpkit/fbp/vectors/schema"
)

//go:embed requests.json responses.json names.json
var files embed.FS

// Set is every vector file, parsed.
type Set struct {
	RequestFile  *schema.File
	ResponseFile *schema.File
	NameFile     *schema.NameFile
}

// Load parses the embedded vector files; each call returns a new Set the caller may change. It fails on a file that breaks the schema: an unknown
// field, bad hex, a vector count that disagrees with the vectors, a valid vector without its
// decoded fields or an invalid one without its error.
func Load() (*Set, error) { return load(files) }

func load(fsys fs.ReadFileFS) (*Set, error) {
	s := &Set{RequestFile: new(schema.File), ResponseFile: new(schema.File), NameFile: new(schema.NameFile)}
	for _, f := range []struct {
		name    string
		message string
		file    *schema.File
	}{
		{"requests.json", schema.MessageRequest, s.RequestFile},
		{"responses.json", schema.MessageResponse, s.ResponseFile},
	} {
		if err := decodeFile(fsys, f.name, f.file); err != nil {
			return nil, err
		}
		if err := f.file.Prepare(f.message); err != nil {
			return nil, fmt.Errorf("vectors: %s: %w", f.name, err)
		}
	}
	if err := decodeFile(fsys, "names.json", s.NameFile); err != nil {
		return nil, err
	}
	if err := s.NameFile.Prepare(); err != nil {
		return nil, fmt.Errorf("vectors: names.json: %w", err)
	}
	return s, nil
}

func decodeFile(fsys fs.ReadFileFS, name string, v any) error {
	b, err := fsys.ReadFile(name)
	if err != nil {
		return fmt.Errorf("vectors: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("vectors: %s: %w", name, err)
	}
	return nil
}

// Requests returns every request vector, in file order, each with its bytes and limits.
func (s *Set) Requests() []*schema.Vector { return s.RequestFile.Vectors() }

// Responses returns every response vector, in file order, each with its bytes and limits.
func (s *Set) Responses() []*schema.Vector { return s.ResponseFile.Vectors() }

// Messages returns every request vector, then every response vector.
func (s *Set) Messages() []*schema.Vector { return append(s.Requests(), s.Responses()...) }

// Names returns every filename vector, in file order, each with its name and limit.
func (s *Set) Names() []*schema.NameVector {
	var out []*schema.NameVector
	for _, g := range s.NameFile.Groups {
		out = append(out, g.Vectors...)
	}
	return out
}
