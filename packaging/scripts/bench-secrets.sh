#!/usr/bin/env bash
# Secrets benchmark (issue 3), measured in this one run on one vault:
#   warm:  `patina secrets run -- true` served from a warm daemon cache
#          (PATINA_IDENTITY unset, so a cache miss would fail, not decrypt)
#   age:   `age -d -i KEY vault.age >/dev/null && true`, what a user pays
#          per command without the daemon
#   cold:  `patina secrets run -- true` with no daemon (in-process decrypt
#          with PATINA_IDENTITY), and `patina version` (start-up alone), for
#          reference: most of a warm run is the binary starting.
#   mask:  the warm run with masking (the default when stdout is not a
#          terminal, as here) against --no-masking, which hands the child
#          our stdout and stderr: the cost of setting up the relay.
#   relay: `patina secrets run -- head -c 100M /dev/zero | wc -c` (every byte
#          through the masking relay) against the same head without patina,
#          the median of RELAY_RUNS runs each; the byte count is checked.
# Without the daemon a human also pays the unlock itself (a passphrase and
# scrypt, about a second, or Touch ID) on every run; that is not timed here.
# Each is the median wall time of RUNS runs; the ratio is warm / age.
#
# Usage: packaging/scripts/bench-secrets.sh BIN   (make bench calls it with bin/patina)
# Knobs: RUNS (default 30), SECRETS (secrets in the vault, default 20),
# RELAY_RUNS (default 5), RELAY_MB (default 100).
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 PATH-TO-patina-BINARY" >&2; exit 2; }
[ -n "${EPOCHREALTIME:-}" ] || { echo "bench-secrets: needs bash 5 (EPOCHREALTIME)" >&2; exit 2; }
bin=$(realpath "$1")
[ -x "$bin" ] || { echo "bench-secrets: $bin is not an executable (run make build)" >&2; exit 2; }
for tool in age age-keygen; do
  command -v "$tool" >/dev/null || { echo "bench-secrets: $tool not found (packaging/scripts/deps.sh installs it)" >&2; exit 2; }
done
runs=${RUNS:-30}
nsecrets=${SECRETS:-20}
relay_runs=${RELAY_RUNS:-5}
relay_mb=${RELAY_MB:-100}

work=$(mktemp -d /tmp/patina-bench-secrets.XXXXXX)
chmod 700 "$work"
daemon_pid=
cleanup() {
  if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
    kill "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# A private world: its own home, project, key and socket; never the user's.
mkdir -m 0700 -p "$work/home" "$work/run" "$work/proj/.patina"
export HOME="$work/home" PATINA_HOME="$work/home/.patina" PATINA_SOCKET="$work/run/mother.sock"
unset PATINA_MOTHER PATINA_IDENTITY
age-keygen -o "$work/key.txt" 2>/dev/null
cd "$work/proj"
with_id() { PATINA_IDENTITY="$(cat "$work/key.txt")" "$@"; }
with_id "$bin" secrets init >/dev/null 2>&1
for i in $(seq 1 "$nsecrets"); do
  head -c 48 /dev/urandom | base64 | with_id "$bin" secrets add "secret-$i" --stdin 2>/dev/null
done
vault="$work/proj/.patina/vault.age"

# median_ms CMD...: median wall time of $runs runs, in milliseconds.
median_ms() {
  local i t0 t1
  local -a times=()
  for i in $(seq 1 "${n:-$runs}"); do
    # EPOCHREALTIME (bash 5): no `date` process inside the measurement.
    t0=${EPOCHREALTIME/[.,]/}
    "$@" >/dev/null
    t1=${EPOCHREALTIME/[.,]/}
    times+=($(( (t1 - t0) * 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END {
    m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
    printf "%.2f\n", m / 1e6 }'
}

age_then_true() { age -d -i "$work/key.txt" "$vault" >/dev/null && true; }
cold_run() { with_id "$bin" secrets run -- true; }
warm_run() { "$bin" secrets run -- true; }
# --no-masking says so on stderr; stderr is discarded for both, so both
# relay (or not) the same streams whatever the terminal running this.
masked_run() { "$bin" secrets run -- true 2>/dev/null; }
unmasked_run() { "$bin" secrets run --no-masking -- true 2>/dev/null; }
relay_bytes=$((relay_mb * 1024 * 1024))
# check_count CMD...: CMD must print exactly relay_bytes bytes.
check_count() {
  local got
  got=$("$@")
  [ "$got" -eq "$relay_bytes" ] || { echo "bench-secrets: $* counted $got bytes, want $relay_bytes" >&2; exit 1; }
}
relay_masked() { "$bin" secrets run -- head -c "${relay_mb}M" /dev/zero | wc -c; }
relay_direct() { head -c "${relay_mb}M" /dev/zero | wc -c; }

echo "== secrets: $nsecrets secrets in one project vault, median of $runs runs each"
startup_ms=$(median_ms "$bin" version)
cold_ms=$(median_ms cold_run)
age_ms=$(median_ms age_then_true)

"$bin" mother serve 2>"$work/daemon.log" &
daemon_pid=$!
for _ in $(seq 1 200); do [ -S "$PATINA_SOCKET" ] && break; sleep 0.01; done
[ -S "$PATINA_SOCKET" ] || { echo "bench-secrets: the daemon did not start:" >&2; cat "$work/daemon.log" >&2; exit 1; }
with_id "$bin" secrets run -- true # unlock once: the cache is warm
warm_run || { echo "bench-secrets: a run without PATINA_IDENTITY missed the cache" >&2; exit 1; }
warm_ms=$(median_ms warm_run)
masked_ms=$(median_ms masked_run)
unmasked_ms=$(median_ms unmasked_run)
check_count relay_masked
check_count relay_direct
relay_ms=$(n=$relay_runs median_ms relay_masked)
direct_ms=$(n=$relay_runs median_ms relay_direct)

printf '%-52s %8s ms\n' "patina secrets run -- true (warm daemon cache)" "$warm_ms"
printf '%-52s %8s ms\n' "age -d -i KEY vault.age >/dev/null && true" "$age_ms"
printf '%-52s %8s ms\n' "patina secrets run -- true (no daemon, decrypts)" "$cold_ms"
printf '%-52s %8s ms\n' "patina version (the binary's start-up alone)" "$startup_ms"
awk -v w="$warm_ms" -v a="$age_ms" 'BEGIN { printf "ratio warm-cache run / age -d: %.2f\n", w / a }'
echo
printf '%-52s %8s ms\n' "patina secrets run -- true (warm, masking)" "$masked_ms"
printf '%-52s %8s ms\n' "patina secrets run --no-masking -- true (warm)" "$unmasked_ms"
awk -v m="$masked_ms" -v u="$unmasked_ms" 'BEGIN { printf "ratio masking / --no-masking: %.2f\n", m / u }'
echo
printf '%-52s %8s ms  %6.0f MiB/s\n' "secrets run -- head -c ${relay_mb}M /dev/zero | wc -c" "$relay_ms" \
  "$(awk -v ms="$relay_ms" -v mb="$relay_mb" 'BEGIN { print mb / (ms / 1000) }')"
printf '%-52s %8s ms  %6.0f MiB/s\n' "head -c ${relay_mb}M /dev/zero | wc -c (no patina)" "$direct_ms" \
  "$(awk -v ms="$direct_ms" -v mb="$relay_mb" 'BEGIN { print mb / (ms / 1000) }')"
awk -v r="$relay_ms" -v d="$direct_ms" 'BEGIN { printf "ratio through the masking relay / head alone: %.2f (median of %d runs each)\n", r / d, '"$relay_runs"' }'
