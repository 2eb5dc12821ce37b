#!/usr/bin/env bash
# Installs what building, running and testing Patina needs on Debian, and
# nothing when it is already there (so `make run` and `make test` stay fast).
# Only Debian's packages and the Go module proxy are used.
set -euo pipefail

# Debian package → a file it provides, checked before asking apt.
declare -A want=(
  [age]=/usr/bin/age
  [systemd]=/usr/bin/systemd-socket-activate
  [curl]=/usr/bin/curl
  [git]=/usr/bin/git
  [gcc]=/usr/bin/gcc
  [util-linux]=/usr/bin/setpriv
  [passwd]=/usr/sbin/useradd
)
missing=()
for pkg in "${!want[@]}"; do
  [ -e "${want[$pkg]}" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    sudo=sudo
  else
    sudo=
  fi
  echo "deps: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v go >/dev/null || { echo "deps: Go is not on PATH (expected /usr/local/go/bin)" >&2; exit 1; }
go mod download
