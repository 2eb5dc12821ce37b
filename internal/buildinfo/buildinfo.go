// Package buildinfo carries the version stamped into the binary.
package buildinfo

// Version is set with -ldflags "-X github.com/patina-dev/patina/internal/buildinfo.Version=…".
var Version = "0.1.0-dev"

// Name is the daemon's name in /version.
const Name = "patina-mother"
