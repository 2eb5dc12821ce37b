package embed

import (
	"os"
	"path/filepath"
	"runtime"

	"github.com/patina-dev/patina/internal/paths"
)

// EnvRuntime overrides where the ONNX Runtime shared library is loaded
// from. An overridden library is used as it is (it must exist); only the
// provisioned one is checked against a pinned hash.
const EnvRuntime = "PATINA_ORT_LIB"

// RuntimeVersion is the ONNX Runtime release `make models` provisions
// (from npm onnxruntime-node); onnxruntime_go speaks its C API.
const RuntimeVersion = "1.30.0"

// runtimeSHA256 pins the provisioned library for each platform that has
// one (packaging/scripts/models.sh pins the same values).
var runtimeSHA256 = map[string]string{
	"linux/amd64":  "ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23",
	"linux/arm64":  "1f549d46250b005580b597f4164984aaf75b3bcb9f3aeb07c7f8a8fe60b23c76",
	"darwin/arm64": "685d2be5dba1309c89d3a5324b7fd06a5c42f1a61bfea32d14c4cc28d072121d",
}

// RuntimePath is the ONNX Runtime library to load: $PATINA_ORT_LIB, else
// the provisioned one, paths.Cache()/onnxruntime/VERSION/libonnxruntime.so.1
// (libonnxruntime.1.dylib on macOS).
func RuntimePath() (string, error) {
	if p := os.Getenv(EnvRuntime); p != "" {
		return filepath.Abs(p)
	}
	cache, err := paths.Cache()
	if err != nil {
		return "", unavailablef("onnx runtime: %v", err)
	}
	return filepath.Join(cache, "onnxruntime", RuntimeVersion, runtimeLibName), nil
}

// pinnedRuntime is the pinned hash of the provisioned library for this
// platform; pinned is false when $PATINA_ORT_LIB overrides it (or no
// library is provisioned for the platform).
func pinnedRuntime() (want string, pinned bool) {
	if os.Getenv(EnvRuntime) != "" {
		return "", false
	}
	want, pinned = runtimeSHA256[runtime.GOOS+"/"+runtime.GOARCH]
	return want, pinned
}

// VerifyRuntime checks the library RuntimePath names: an override must
// exist; the provisioned library must have its pinned hash. Errors wrap
// ErrUnavailable.
func VerifyRuntime() (string, error) {
	path, err := RuntimePath()
	if err != nil {
		return "", err
	}
	if os.Getenv(EnvRuntime) != "" {
		if _, err := os.Stat(path); err != nil {
			return path, unavailablef("onnx runtime: $%s=%s: %v", EnvRuntime, path, unwrapPath(err))
		}
		return path, nil
	}
	platform := runtime.GOOS + "/" + runtime.GOARCH
	want, ok := runtimeSHA256[platform]
	if !ok {
		return path, unavailablef("onnx runtime: none is provisioned for %s; set $%s to a libonnxruntime %s", platform, EnvRuntime, RuntimeVersion)
	}
	f, err := openRuntime(path, want)
	if err != nil {
		return path, err
	}
	f.Close()
	return path, nil
}

// openRuntime opens the provisioned library at path and checks, through
// the open file, that its hash is want. The caller closes the file.
func openRuntime(path, want string) (*os.File, error) {
	fail := func(got string, err error) error {
		return &FileError{Path: path, Want: want, Got: got, Err: err, hint: "run `make models`"}
	}
	f, err := openRegular(path)
	if err != nil {
		return nil, fail("", err)
	}
	got, _, err := hashOpen(f, false)
	switch {
	case err != nil:
		f.Close()
		return nil, fail("", err)
	case got != want:
		f.Close()
		return nil, fail(got, nil)
	}
	return f, nil
}
