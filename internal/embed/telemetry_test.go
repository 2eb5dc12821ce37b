package embed

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patina-dev/patina/internal/paths"
)

const leftBehindChild = "PATINA_EMBED_TEST_LEFT_BEHIND"

// Loading ONNX Runtime and embedding a query leaves nothing behind: no
// telemetry store under ~/.cache/Microsoft, no $TMPDIR/mat-debug-PID.log
// or .ses, nothing in the working directory. The runtime is loaded once
// per process, so a fresh child does it, with a fresh HOME, TMPDIR and XDG
// directories and none of the CI variables ORT itself treats as an opt-out.
func TestLoadingRuntimeLeavesNoFiles(t *testing.T) {
	defaultModel(t) // skips unless provisioned
	cache, err := paths.Cache()
	if err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	home, tmp, work := filepath.Join(base, "home"), filepath.Join(base, "tmp"), filepath.Join(base, "work")
	for _, d := range []string{home, tmp, work} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	patinaHome := filepath.Join(home, ".patina") // Patina's own: allowed
	cmd := exec.Command(os.Args[0], "-test.run=^TestLoadingRuntimeLeavesNoFilesChild$", "-test.count=1", "-test.v")
	cmd.Dir = work
	cmd.Env = []string{
		leftBehindChild + "=1",
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"TMPDIR=" + tmp,
		"XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_DATA_HOME=" + filepath.Join(home, ".local", "share"),
		"XDG_STATE_HOME=" + filepath.Join(home, ".local", "state"),
		"XDG_RUNTIME_DIR=" + filepath.Join(tmp, "run"),
		paths.EnvCache + "=" + cache, // the provisioned runtime and model, read only
		paths.EnvHome + "=" + patinaHome,
	}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "embedded 1 vector") {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var left []string
	for _, root := range []string{home, tmp, work} {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				t.Errorf("walking %s: %v", p, err)
			case p == patinaHome:
				return fs.SkipDir
			case p != root:
				left = append(left, p)
			}
			return nil
		})
	}
	if len(left) > 0 {
		t.Fatalf("loading ONNX Runtime left files outside Patina's directories:\n%s", strings.Join(left, "\n"))
	}
}

// The child half of the test above: it loads the runtime and embeds.
func TestLoadingRuntimeLeavesNoFilesChild(t *testing.T) {
	if os.Getenv(leftBehindChild) == "" {
		t.Skip("helper process for TestLoadingRuntimeLeavesNoFiles")
	}
	v, err := openDefault(t).Embed(context.Background(), []string{"where do killed writes leave temp files"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("embedded %d vector(s)", len(v))
}
