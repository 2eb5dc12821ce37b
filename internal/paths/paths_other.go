//go:build !linux

package paths

// platformRuntimeDir is ~/.patina/run: macOS has no per-user runtime dir that
// launchd and the CLI both know.
func platformRuntimeDir() (string, error) { return inHome("run") }
