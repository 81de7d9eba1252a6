//go:build !unix

package storage

import "os"

// openScan opens a user folder for reading its entries.
func openScan(ur *os.Root) (*os.File, error) { return ur.Open(".") }
