package server

// RetryAccept is retryAccept, for the tests.
var RetryAccept = retryAccept
