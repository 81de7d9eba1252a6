package vectors

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/fbpkit/fbp/vectors/schema"
)

// Small files in the schema, one vector of each shape, so that each broken copy loads fast.
const (
	goodRequests = `{"schema": "fbp-vectors/1", "message": "request", "header": ["h"], "numberOfVectors": 4,
"errorClasses": {"eof": "e"}, "groups": [{"comment": "c", "limits": {"max_name": 255, "max_payload": 4294967295}, "vectors": [
{"id": "request/list/basic", "requirements": ["R-2.1"], "comment": "c", "hex": "4433221101ca", "result": "valid",
 "decoded": {"user_id": 287454020, "version": 1, "op": 202}, "consumed": 6},
{"id": "request/backup/header", "requirements": ["R-2.2"], "comment": "c", "scope": "header",
 "hex": "4433221101640100610100000078", "result": "valid",
 "decoded": {"user_id": 287454020, "version": 1, "op": 100, "name_hex": "61", "size": 1}, "consumed": 13},
{"id": "request/eof", "requirements": ["R-5.3"], "comment": "c", "hex": "", "result": "invalid", "error": {"class": "eof"}},
{"id": "request/list/basic/truncated-at-1", "requirements": ["R-5.3"], "comment": "c", "hex": "d2", "result": "invalid",
 "error": {"class": "truncated", "field": "user_id", "offset": 1}}]}]}`
	goodResponses = `{"schema": "fbp-vectors/1", "message": "response", "header": ["h"], "numberOfVectors": 1,
"errorClasses": {"eof": "e"}, "groups": [{"comment": "c", "limits": {"max_name": 16, "max_payload": 1048576}, "vectors": [
{"id": "response/restored/basic", "requirements": ["R-4.2"], "comment": "c", "hex": "01d200010061010000007a", "result": "valid",
 "decoded": {"version": 1, "status": 210, "name": "a", "size": 1, "payload_hex": "7a"}, "consumed": 11}]}]}`
	goodNames = `{"schema": "fbp-vectors/1", "kind": "filename", "header": ["h"], "numberOfVectors": 2,
"reasonClasses": {"dot": "d"}, "groups": [{"comment": "c", "limits": {"max_name": 255}, "vectors": [
{"id": "name/a", "requirements": ["R-5.1"], "comment": "c", "name_hex": "61", "result": "valid"},
{"id": "name/dot", "requirements": ["R-5.1"], "comment": "c", "name_hex": "2e", "result": "invalid", "reason": "dot"}]}]}`
)

func goodFiles() fstest.MapFS {
	return fstest.MapFS{
		"requests.json":  {Data: []byte(goodRequests)},
		"responses.json": {Data: []byte(goodResponses)},
		"names.json":     {Data: []byte(goodNames)},
	}
}

func TestLoadReadsTheSchema(t *testing.T) {
	s, err := load(goodFiles())
	if err != nil {
		t.Fatal(err)
	}
	reqs, resps, names := s.Requests(), s.Responses(), s.Names()
	if len(reqs) != 4 || len(resps) != 1 || len(names) != 2 || len(s.Messages()) != 5 {
		t.Fatalf("%d requests, %d responses, %d names", len(reqs), len(resps), len(names))
	}
	if h := reqs[1]; !h.HeaderOnly() || string(h.Decoded.NameBytes()) != "a" || h.Decoded.Payload() != nil || h.Message != schema.MessageRequest {
		t.Errorf("header-scoped vector: %+v", h)
	}
	if r := resps[0]; r.Limits.MaxName != 16 || r.Limits.MaxPayload != 1<<20 || string(r.Decoded.Payload()) != "z" ||
		r.Decoded.Response().Status != 210 || len(r.Bytes) != 11 {
		t.Errorf("response vector: %+v", r)
	}
	if n := names[1]; string(n.Name) != "." || n.MaxName != 255 || n.Reason != "dot" {
		t.Errorf("name vector: %+v", n)
	}
}

// Load must refuse a file that breaks the schema, so that a bad edit is caught before any
// vector is used.
func TestLoadRejectsBrokenFiles(t *testing.T) {
	for _, tc := range []struct{ name, file, old, new string }{
		{"unknown field", "requests.json", `"consumed": 6`, `"consumd": 6`},
		{"vector count", "responses.json", `"numberOfVectors": 1`, `"numberOfVectors": 2`},
		{"name count", "names.json", `"numberOfVectors": 2`, `"numberOfVectors": 3`},
		{"bad hex", "requests.json", `"hex": "4433221101ca"`, `"hex": "zz"`},
		{"odd hex", "responses.json", `"hex": "01d2`, `"hex": "1d2`},
		{"bad payload hex", "responses.json", `"payload_hex": "7a"`, `"payload_hex": "7"`},
		{"name and name_hex", "responses.json", `"name": "a"`, `"name": "a", "name_hex": "61"`},
		{"schema", "names.json", `"fbp-vectors/1"`, `"fbp-vectors/2"`},
		{"message kind", "requests.json", `"message": "request"`, `"message": "response"`},
		{"unknown class", "requests.json", `"class": "truncated"`, `"class": "short"`},
		{"unknown result", "responses.json", `"result": "valid"`, `"result": "ok"`},
		{"valid without decoded", "requests.json", `"decoded": {"user_id": 287454020, "version": 1, "op": 202}, `, ``},
		{"consumed past the bytes", "requests.json", `"consumed": 6`, `"consumed": 7`},
		{"invalid with consumed", "requests.json", `"offset": 1}`, `"offset": 1}, "consumed": 1`},
		{"eof with an offset", "requests.json", `"class": "eof"`, `"class": "eof", "offset": 0`},
		{"truncated without offset", "requests.json", `, "offset": 1`, ``},
		{"unknown scope", "requests.json", `"scope": "header"`, `"scope": "frame"`},
		{"valid name with a reason", "names.json", `"result": "invalid"`, `"result": "valid"`},
		{"invalid name without a reason", "names.json", `, "reason": "dot"`, ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := goodFiles()
			data := string(files[tc.file].Data)
			if !strings.Contains(data, tc.old) {
				t.Fatalf("%s holds no %s", tc.file, tc.old)
			}
			files[tc.file] = &fstest.MapFile{Data: []byte(strings.Replace(data, tc.old, tc.new, 1))}
			if _, err := load(files); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}
