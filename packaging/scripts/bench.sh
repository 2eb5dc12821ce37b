#!/usr/bin/env bash
# Daemon benchmarks (issue 2) and CLI start-up (issue 14), all measured in this one run:
#   1. GET /health over the unix socket, keep-alive and a new connection per
#      request, each as a ratio against a raw unix-socket echo round trip
#      (64 bytes, same process): Go benchmarks BenchmarkUDS in ./service/.
#   2. Cold activation: the built binary under systemd-socket-activate, from
#      the client's connect until the first /health response (median of RUNS).
#   3. Idle RSS of a daemon that has served a few requests.
#   4. CLI start-up (issue 14): `patina version` against a hello-world Go
#      binary built here with the same Go (and one that links cgo, as patina
#      does, for the floor); `patina scry --json QUERY` per process against
#      the daemon's API time for the same query (curl's time_total for POST
#      /api/scry over the socket, from its connect to the whole answer), on
#      a clone of this repository, lexical and (with the model provisioned)
#      hybrid. The commands run interleaved, STARTUP_RUNS/SCRY_RUNS times;
#      each figure is a median and each ratio is of medians from this run.
#
# Usage: packaging/scripts/bench.sh BIN     (make bench calls it with bin/patina)
# Knobs: BENCHTIME (default 2s), RUNS (default 10), REQUESTS (default 50),
# STARTUP_RUNS (default 300), SCRY_RUNS (default 40).
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 PATH-TO-patina-BINARY" >&2; exit 2; }
bin=$(realpath "$1")
[ -x "$bin" ] || { echo "bench: $bin is not an executable (run make build)" >&2; exit 2; }
for tool in systemd-socket-activate curl go; do
  command -v "$tool" >/dev/null || { echo "bench: $tool not found (packaging/scripts/deps.sh installs it)" >&2; exit 2; }
done
cd "$(dirname "$0")/../.."
benchtime=${BENCHTIME:-2s}
runs=${RUNS:-10}
requests=${REQUESTS:-50}
startup_runs=${STARTUP_RUNS:-300}
scry_runs=${SCRY_RUNS:-40}
[ -n "${EPOCHREALTIME:-}" ] || { echo "bench: needs bash 5 (EPOCHREALTIME)" >&2; exit 2; }

work=$(mktemp -d /tmp/patina-bench.XXXXXX)
daemon_pid=
cleanup() {
  if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
    kill "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# --- 1. Go benchmarks --------------------------------------------------------
echo "== go test -bench BenchmarkUDS (benchtime $benchtime)"
go test -tags sqlite_fts5 -run '^$' -bench '^BenchmarkUDS$' -benchtime "$benchtime" -count 1 ./service/ | tee "$work/go-bench.txt"

# ns/op of one sub-benchmark (the field before "ns/op").
nsop() {
  awk -v name="BenchmarkUDS/$1" '
    { sub(/-[0-9]+$/, "", $1) }
    $1 == name { for (i = 2; i < NF; i++) if ($(i+1) == "ns/op") { print $i; exit } }
  ' "$work/go-bench.txt"
}
echo_ns=$(nsop echo)
keep_ns=$(nsop health-keepalive)
new_ns=$(nsop health-newconn)
[ -n "$echo_ns" ] && [ -n "$keep_ns" ] && [ -n "$new_ns" ] || { echo "bench: could not read the benchmark figures" >&2; exit 1; }

# --- 2. Cold activation ------------------------------------------------------
# systemd-socket-activate binds the socket and execs the daemon on the first
# connection, as systemd does; curl's time_total runs from its connect to the
# complete response, so it covers exec, Go start-up, inheriting the fd and
# serving, but not curl's own start-up.
start_activated() { # dir → sets daemon_pid, waits for the socket
  local dir=$1
  mkdir -m 0700 -p "$dir/run" "$dir/home"
  systemd-socket-activate -l "$dir/run/mother.sock" --fdname=mother \
    -E PATINA_HOME="$dir/home" "$bin" mother serve --idle-timeout 0 2>"$dir/daemon.log" &
  daemon_pid=$!
  for _ in $(seq 500); do
    [ -S "$dir/run/mother.sock" ] && return 0
    sleep 0.01
  done
  echo "bench: socket never appeared; log:" >&2
  cat "$dir/daemon.log" >&2
  exit 1
}
stop_daemon() {
  kill "$daemon_pid" 2>/dev/null || true
  wait "$daemon_pid" 2>/dev/null || true
  daemon_pid=
}
health() { # sock → curl time_total in seconds; fails unless 200
  curl -sS --fail -o /dev/null -w '%{time_total}\n' --max-time 10 --unix-socket "$1" http://patina/health
}
median_ms() { sort -g | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2; printf "%.1f", m * 1000 }'; }

echo
echo "== cold activation under systemd-socket-activate ($runs runs)"
: >"$work/cold.txt"
: >"$work/warm.txt"
for i in $(seq "$runs"); do
  dir="$work/cold-$i"
  start_activated "$dir"
  cold=$(health "$dir/run/mother.sock")
  warm=$(health "$dir/run/mother.sock")
  grep -q 'activation=systemd' "$dir/daemon.log" || { echo "bench: daemon was not socket-activated; log:" >&2; cat "$dir/daemon.log" >&2; exit 1; }
  echo "$cold" >>"$work/cold.txt"
  echo "$warm" >>"$work/warm.txt"
  printf '  run %2d: cold %6.1f ms, then warm %5.1f ms\n' "$i" "$(awk -v s="$cold" 'BEGIN{print s*1000}')" "$(awk -v s="$warm" 'BEGIN{print s*1000}')"
  stop_daemon
done
cold_ms=$(median_ms <"$work/cold.txt")
warm_ms=$(median_ms <"$work/warm.txt")

# --- 3. Idle RSS -------------------------------------------------------------
echo
echo "== idle RSS after $requests requests"
dir="$work/rss"
start_activated "$dir"
for _ in $(seq "$requests"); do health "$dir/run/mother.sock" >/dev/null; done
pid=$(curl -sS --unix-socket "$dir/run/mother.sock" http://patina/health | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
[ "$pid" = "$daemon_pid" ] || echo "bench: note: /health reports pid $pid, launched pid $daemon_pid" >&2
sleep 1
rss_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
hwm_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
stop_daemon

# --- 4. CLI start-up -----------------------------------------------------------
# interleave N OUT CMD... : runs each CMD (a string, word-split) in turn, N
# rounds, and writes the median wall time in ms of each, one a line, to OUT.
interleave() {
  local n=$1 out=$2 i k t0 t1
  shift 2
  local -a times=()
  for ((i = 0; i < n; i++)); do
    k=0
    for c in "$@"; do
      # EPOCHREALTIME (bash 5): no `date` process inside the measurement.
      t0=${EPOCHREALTIME/[.,]/}
      $c >/dev/null 2>&1
      t1=${EPOCHREALTIME/[.,]/}
      times[k]+="$((t1 - t0)) "
      k=$((k + 1))
    done
  done
  : >"$out"
  for ((k = 0; k < $#; k++)); do
    printf '%s\n' ${times[k]} | median_ms_us >>"$out"
  done
}
median_ms_us() { sort -n | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2; printf "%.2f\n", m / 1000 }'; }
# minflt CMD...: the minor page faults of one run (GNU time), "" without it.
minflt() { [ -x /usr/bin/time ] && /usr/bin/time -f '%R' "$@" 2>&1 >/dev/null | tail -1 || true; }

echo
echo "== CLI start-up: hello world vs patina version ($startup_runs interleaved runs)"
mkdir -p "$work/hello" "$work/helloc"
printf 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello") }\n' >"$work/hello/main.go"
printf 'package main\n\n// int one(void) { return 1; }\nimport "C"\nimport "fmt"\n\nfunc main() { fmt.Println("hello", C.one()) }\n' >"$work/helloc/main.go"
for h in hello helloc; do
  printf 'module %s\n\ngo 1.21\n' "$h" >"$work/$h/go.mod"
  (cd "$work/$h" && go build -o "$work/$h/$h" .)
done
interleave "$startup_runs" "$work/startup.txt" "$work/hello/hello" "$work/helloc/helloc" "$bin version"
{ read -r hello_ms; read -r helloc_ms; read -r version_ms; } <"$work/startup.txt"
hello_flt=$(minflt "$work/hello/hello")
version_flt=$(minflt "$bin" version)
printf '  hello world %s ms, with cgo %s ms, patina version %s ms\n' "$hello_ms" "$helloc_ms" "$version_ms"

echo
echo "== scry --json per process vs the daemon's API time ($scry_runs interleaved runs)"
dir="$work/scry"
mkdir -m 0700 -p "$dir/run" "$dir/home"
git clone -q "$PWD" "$dir/proj"
query="how does the daemon cache unlocked secrets"
# In a subshell with a private home and socket exported (an `env` process
# in front of each run would be timed too); the provisioned model and
# runtime are the user's. It writes "MODE API-MS CLI-MS" lines.
(
  export PATINA_CACHE="${PATINA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/patina}"
  export HOME="$dir/home" PATINA_HOME="$dir/home/.patina" PATINA_SOCKET="$dir/run/mother.sock"
  unset PATINA_MOTHER
  cd "$dir/proj"
  modes=lexical
  if "$bin" scrape >"$dir/scrape.log" 2>&1; then
    modes="lexical hybrid"
  else
    echo "  note: scrape with embeddings failed (run make models for the hybrid figure); lexical only:" >&2
    sed 's/^/    /' "$dir/scrape.log" >&2
    "$bin" scrape --no-embed >/dev/null
  fi
  "$bin" mother serve --idle-timeout 0 2>"$dir/daemon.log" &
  daemon_pid=$!
  trap stop_daemon EXIT
  for _ in $(seq 500); do [ -S "$PATINA_SOCKET" ] && break; sleep 0.01; done
  [ -S "$PATINA_SOCKET" ] || { echo "bench: the daemon did not start; log:" >&2; cat "$dir/daemon.log" >&2; exit 1; }
  api_scry() { # mode → curl time_total in µs of POST /api/scry; fails unless 200
    curl -sS --fail -o /dev/null -w '%{time_total}\n' --max-time 30 --unix-socket "$PATINA_SOCKET" \
      -H 'Content-Type: application/json' \
      -d "{\"query\":\"$query\",\"mode\":\"$1\",\"cwd\":\"$dir/proj\"}" http://patina/api/scry |
      awk '{ printf "%d\n", $1 * 1e6 }'
  }
  for mode in $modes; do
    api_scry "$mode" >/dev/null # warm: the model loads on the first semantic query
    "$bin" scry --json --mode "$mode" $query >/dev/null
    : >"$dir/api.txt"
    : >"$dir/cli.txt"
    for ((i = 0; i < scry_runs; i++)); do
      api_scry "$mode" >>"$dir/api.txt"
      t0=${EPOCHREALTIME/[.,]/}
      "$bin" scry --json --mode "$mode" $query >/dev/null
      t1=${EPOCHREALTIME/[.,]/}
      echo $((t1 - t0)) >>"$dir/cli.txt"
    done
    echo "$mode $(median_ms_us <"$dir/api.txt") $(median_ms_us <"$dir/cli.txt")"
  done
) >"$dir/results.txt"
declare -A scry_api_ms scry_cli_ms
modes=
while read -r mode api cli; do
  modes+="$mode "
  scry_api_ms[$mode]=$api
  scry_cli_ms[$mode]=$cli
  printf '  %-7s API %s ms, scry --json %s ms\n' "$mode" "$api" "$cli"
done <"$dir/results.txt"

# --- Summary -----------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
ratio2() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
us() { awk -v n="$1" 'BEGIN { printf "%.1f", n / 1000 }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
row() { printf '  %-44s %12s  %s\n' "$1" "$2" "$3"; }
echo
echo "==================== patina mother: benchmark summary ===================="
echo "  $(nproc) CPU(s), $(go env GOOS)/$(go env GOARCH), $(go version | awk '{print $3}'), $bin"
row "unix-socket echo round trip (64 B)" "$(us "$echo_ns") µs" "baseline (1.0x)"
row "GET /health, keep-alive" "$(us "$keep_ns") µs" "$(ratio "$keep_ns" "$echo_ns")x echo"
row "GET /health, new connection per request" "$(us "$new_ns") µs" "$(ratio "$new_ns" "$echo_ns")x echo"
row "cold activation (connect -> first /health)" "$cold_ms ms" "median of $runs; warm curl request $warm_ms ms"
row "idle RSS after $requests requests" "$(mib "$rss_kb") MiB" "peak $(mib "$hwm_kb") MiB"
row "hello-world Go binary (start-up baseline)" "$hello_ms ms" "1.0x${hello_flt:+; $hello_flt page faults}"
row "hello-world Go binary linking cgo" "$helloc_ms ms" "$(ratio2 "$helloc_ms" "$hello_ms")x hello (the floor for a cgo binary)"
row "patina version" "$version_ms ms" "$(ratio2 "$version_ms" "$hello_ms")x hello${version_flt:+; $version_flt page faults}"
for mode in $modes; do
  row "scry --json per process, $mode" "${scry_cli_ms[$mode]} ms" "$(ratio2 "${scry_cli_ms[$mode]}" "${scry_api_ms[$mode]}")x the API's ${scry_api_ms[$mode]} ms"
done
echo "=========================================================================="
