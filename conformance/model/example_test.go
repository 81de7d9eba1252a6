package model_test

import (
	"context"
	"fmt"

	"github.com/fbpkit/fbp/conformance/internal/mutants"
	"github.com/fbpkit/fbp/conformance/model"
)

// A server whose BACKUP appends to an existing file instead of replacing it: the model finds
// it and shrinks the failure to the three steps that show it.
func ExampleRun() {
	addr, stop, err := mutants.Start("overwrite-appends")
	if err != nil {
		panic(err)
	}
	defer stop()
	res, err := model.Run(context.Background(), model.Config{Addr: addr, Seed: 11, Steps: 16, Runs: 60, Names: 3, MaxPayload: 8 << 10})
	if err != nil {
		panic(err)
	}
	fmt.Printf("seed %d: failed=%v\n%s", res.Seed, res.Failed, model.FormatScript(res.Script))
	// Output:
	// seed 11: failed=true
	// 1. user A BACKUP "a" (1 byte) -> 212 "a"
	// 2. user A BACKUP "a" (1 byte) -> 212 "a"
	// 3. user A RESTORE "a" -> 210 "a" (2 bytes)   want 210 "a" (1 byte)   [R-4.1]
}
