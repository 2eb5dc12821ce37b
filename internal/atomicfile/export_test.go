package atomicfile

// SetAfterTempWritten swaps the crash hook for a test and returns a restore
// func; it lives here so the external test package (which imports vault, and
// so cannot be package atomicfile) can reach it.
func SetAfterTempWritten(f func(tmp string) error) (restore func()) {
	old := afterTempWritten
	afterTempWritten = f
	return func() { afterTempWritten = old }
}
