#!/usr/bin/env bash
# Daemon benchmarks (issue 2), all measured in this one run:
#   1. GET /health over the unix socket, keep-alive and a new connection per
#      request, each as a ratio against a raw unix-socket echo round trip
#      (64 bytes, same process): Go benchmarks BenchmarkUDS in ./service/.
#   2. Cold activation: the built binary under systemd-socket-activate, from
#      the client's connect until the first /health response (median of RUNS).
#   3. Idle RSS of a daemon that has served a few requests.
#
# Usage: packaging/scripts/bench.sh BIN     (make bench calls it with bin/patina)
# Knobs: BENCHTIME (default 2s), RUNS (default 10), REQUESTS (default 50).
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

# --- Summary -----------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
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
echo "=========================================================================="
