// Package fuzz holds the property tests and the native fuzz targets of the wire codec
// (github.com/fbpkit/fbp/ref/wire) and of the reference server's connection handler. It has no
// API: everything lives in its _test.go files, so that ref/wire itself stays free of anything
// but the standard library.
//
// The property tests generate valid requests and responses of every op and status with gopter
// and check that encoding and decoding are inverse, that every strict prefix of an encoding is
// refused as truncated, that bytes after a message are left unread, and that the streaming
// Reader and Writer agree with Append. They run with go test, from a seed taken from the clock
// or given with -prop.seed; a failure prints its seed and its counterexample, shrunk.
//
// The fuzz targets feed arbitrary bytes to the decoders and check that they never panic, never
// allocate beyond the input's length whatever lengths the input declares, return only the
// errors the codec documents, and re-encode whatever they accept to the very bytes they read.
// They are seeded with messages built in code and with the golden vectors (package vectors).
//
// FuzzServerConn feeds arbitrary bytes to the reference server's handler over net.Pipe, with no
// socket, and checks that it answers exactly what each request is owed, writes nothing outside
// its storage root, leaves no temporary file, keeps serving, and allocates in proportion to the
// bytes exchanged. Each BACKUP is synced to disk, so it runs several times faster with its
// storage in memory: TMPDIR=/dev/shm scripts/fuzz.sh FuzzServerConn 60s.
// Go fuzzes one target per run:
//
//	scripts/fuzz.sh FuzzParseRequest 30s
//	scripts/fuzz.sh all 10s
//
// A failing input the fuzzer finds is kept under testdata/fuzz/<Target>/ and replayed by every
// go test run from then on.
package fuzz
