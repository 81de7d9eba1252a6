package spec

import "crypto/rand"

// nameAlphabet is the alphabet of a LIST response's name.
const nameAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// RandomName draws n characters of [A-Za-z0-9] from a cryptographic source: a fresh listing
// name as wants one, or a name unique to a test.
func RandomName(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = nameAlphabet[int(b[i])%len(nameAlphabet)]
	}
	return string(b)
}
