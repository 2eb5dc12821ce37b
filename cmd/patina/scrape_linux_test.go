package main

// Interrupting a real `patina scrape` part-way (SIGINT, then SIGKILL) on a
// generated corpus, with its stderr on a real pseudo-terminal so the
// progress bar is drawn and the test can tell how far the scrape got.

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/patina-dev/patina/internal/index/indextest"
)

var progressRE = regexp.MustCompile(`files +(\d+)/(\d+) \[[=> ]+\] +\d+%  chunks \d+`)

// scrapeOnPTY starts `patina scrape root` with stderr on a terminal and
// waits until the bar shows at least minDone files done (and not all); it
// returns how many the bar showed.
func scrapeOnPTY(t *testing.T, env []string, root string, minDone int) (*exec.Cmd, *testPty, *bytes.Buffer, int) {
	t.Helper()
	p := openTestPty(t) // secrets_pty_linux_test.go
	// Text only: this is about interrupting the text phase (the embed
	// phase has its own test below), and embedding 48,000 chunks would
	// take minutes.
	cmd := exec.Command(patinaBin, "scrape", root, "--name", "corpus", "--no-embed")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "PATINA_CACHE=" + modelCache, "HOME=" + t.TempDir()}, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, p.slave
	must(t, cmd.Start())
	deadline := time.Now().Add(60 * time.Second)
	for {
		if ms := progressRE.FindAllStringSubmatch(p.screen(), -1); len(ms) > 0 {
			last := ms[len(ms)-1]
			done, _ := strconv.Atoi(last[1])
			total, _ := strconv.Atoi(last[2])
			if done == total {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("the scrape finished before it could be interrupted (%d files): make the corpus bigger", total)
			}
			if done >= minDone {
				return cmd, p, &out, done
			}
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no progress bar with %d files done; screen: %q", minDone, p.screen())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestScrapeInterruptedThenKilled interrupts a scrape with SIGINT, then
// SIGKILLs the scrape that resumes it, each part-way; after each the index
// answers queries, and the last scrape finishes the job.
func TestScrapeInterruptedThenKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a 4,000-file corpus")
	}
	const files = 4000
	root := t.TempDir()
	corpus, err := indextest.WriteCorpus(root, indextest.CorpusOptions{Files: files, Sections: 12, Seed: 11})
	must(t, err)
	env := []string{"PATINA_HOME=" + t.TempDir(), "PATINA_SOCKET=" + noDaemonSocket(t)}
	searchable := func(after string) {
		t.Helper()
		resp, r := scryJSON(t, env, corpus.Queries[0], "--project", "corpus")
		if resp.Count == 0 {
			t.Errorf("no results after %s: %s", after, r.stderr)
		}
	}

	// SIGINT: a clean stop, exit 130, one line saying what to do.
	cmd, p, out, done := scrapeOnPTY(t, env, root, 400)
	must(t, cmd.Process.Signal(syscall.SIGINT))
	err = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Fatalf("exit %d (%v), want 130; screen %q", code, err, p.screen())
	}
	// settled: the pty reader may still be draining the last line.
	if screen := p.settled(t); !strings.Contains(screen, "\r\x1b[Kpatina: interrupted: the index holds every completed batch; run scrape again to finish\r\n") {
		t.Errorf("no interrupted line after a cleared bar; screen %q", screen)
	}
	if out.Len() != 0 {
		t.Errorf("stdout after an interrupt: %q", out)
	}
	// The bar redraws in place.
	if n := strings.Count(p.screen(), "\rfiles "); n < 2 {
		t.Errorf("progress bar drawn %d times: %q", n, p.screen())
	}
	searchable("SIGINT")

	// SIGKILL the scrape that resumes it, further on.
	cmd, _, _, _ = scrapeOnPTY(t, env, root, done+400)
	must(t, cmd.Process.Kill())
	cmd.Wait()
	searchable("SIGKILL")

	// The next scrape finishes the job, keeping what was done.
	sum, _ := scrapeJSON(t, env, root, "--no-embed")
	if sum.FilesUnchanged < done || sum.FilesIndexed == 0 || sum.FilesUnchanged+sum.FilesIndexed != files {
		t.Errorf("resumed scrape: %+v", sum)
	}
	sum, _ = scrapeJSON(t, env, root, "--no-embed")
	if sum.Writes != 0 || sum.FilesUnchanged != files {
		t.Errorf("scrape of the finished index: %+v", sum)
	}
}

var embedRE = regexp.MustCompile(`embed +(\d+)/(\d+) \[[=> ]+\]`)

// TestScrapeEmbedPhaseInterrupted: the bar shows the embed phase after the
// text; SIGINT during it keeps the text and every committed page of
// vectors, and the next scrape embeds only the rest, after which semantic
// search runs on the real model.
func TestScrapeEmbedPhaseInterrupted(t *testing.T) {
	root := t.TempDir()
	corpus, err := indextest.WriteCorpus(root, indextest.CorpusOptions{Files: 80, Sections: 10, Seed: 5})
	must(t, err)
	env := []string{"PATINA_HOME=" + t.TempDir(), "PATINA_SOCKET=" + noDaemonSocket(t)}
	p := openTestPty(t)
	cmd := exec.Command(patinaBin, "scrape", root, "--name", "corpus")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "PATINA_CACHE=" + modelCache, "HOME=" + t.TempDir()}, env...)
	cmd.Stdout, cmd.Stderr = io.Discard, p.slave
	must(t, cmd.Start())
	deadline := time.Now().Add(120 * time.Second)
	total := 0
	for {
		if ms := embedRE.FindAllStringSubmatch(p.screen(), -1); len(ms) > 0 {
			last := ms[len(ms)-1]
			done, _ := strconv.Atoi(last[1])
			total, _ = strconv.Atoi(last[2])
			if done == total {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("embedding finished (%d chunks) before it could be interrupted", total)
			}
			if done > 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no embed progress; screen: %q", p.screen())
		}
		time.Sleep(2 * time.Millisecond)
	}
	if !strings.Contains(p.screen(), "files ") {
		t.Errorf("the text phase was not shown before the embed phase: %q", p.screen())
	}
	must(t, cmd.Process.Signal(syscall.SIGINT))
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Fatalf("exit %d after SIGINT in the embed phase, want 130", code)
	}
	sum, _ := scrapeJSON(t, env, root)
	if sum.FilesIndexed != 0 || sum.ChunksEmbedded == 0 || sum.ChunksEmbedded >= total {
		t.Errorf("resumed scrape: %d files re-indexed, %d of %d chunks embedded; want 0 and only the rest", sum.FilesIndexed, sum.ChunksEmbedded, total)
	}
	resp, r := scryJSON(t, env, corpus.Queries[0], "--project", "corpus", "--mode", "semantic")
	if resp.Mode != "semantic" || resp.Degraded || resp.Count == 0 {
		t.Errorf("semantic scry after the resumed scrape: %+v\n%s", resp, r.stderr)
	}
}
