#!/bin/sh
# A real `systemd --user` manager for a throwaway user, on a machine whose
# PID 1 is not systemd (containers, CI VMs). Used by the end-to-end test in
# cmd/patina (systemd_e2e_test.go); handy by hand too. Run as root.
#
#   user-manager.sh start USER     create USER if missing, start its manager,
#                                  wait until it runs; prints its pid
#   user-manager.sh stop USER      stop the manager, kill what is left in its
#                                  cgroup, remove the cgroups and runtime dir
#   user-manager.sh purge USER     stop, then delete USER, its home and the log
#   user-manager.sh run USER CMD…  run CMD as USER with the manager's env
#
# How it works:
#   - the runtime dir is exactly /run/user/UID (0700): systemd's sandboxing
#     code hardcodes /run/user/UID/systemd/inaccessible;
#   - the manager runs in a private mount namespace with a tmpfs on
#     /run/systemd holding system/ (so sd_booted() is true for it only) and
#     unit-root/ (the mount point PrivateUsers= units need), and /run bound
#     on itself when it is not a mount point; nothing changes outside that
#     namespace;
#   - it gets a cgroup delegated to USER in both hierarchies of the hybrid
#     layout (/sys/fs/cgroup/systemd and /sys/fs/cgroup/unified);
#   - it starts detached (setsid, stdio on /dev/null and a log file) so no
#     caller hangs on inherited pipes. There is no journald: services need
#     StandardError=append:%t/… to keep their logs.
#
# Env: PATINA_MGR_STATE (default /run/patina-user-manager) holds USER.pid and
# USER.log (the manager's own log: --log-target=kmsg, with a fifo bound over
# /dev/kmsg in its namespace); PATINA_MGR_LOGLEVEL (default info).
set -eu

STATE=${PATINA_MGR_STATE:-/run/patina-user-manager}
CG_HIERARCHIES="/sys/fs/cgroup/systemd /sys/fs/cgroup/unified"

die() { echo "user-manager: $*" >&2; exit 1; }

[ $# -ge 2 ] || die "usage: $0 start|stop|purge USER | run USER CMD..."
CMD=$1 USR=$2
shift 2
case $USR in
  *[!a-z0-9_-]*|'') die "bad user name '$USR'" ;;
esac
[ "$(id -u)" -eq 0 ] || die "must run as root"
CG=patina-mgr-$USR
PIDFILE=$STATE/$USR.pid
LOG=$STATE/$USR.log
KMSG=$STATE/$USR.kmsg     # fifo bound over /dev/kmsg for the manager
LOGGER_PIDFILE=$STATE/$USR.logger.pid

user_exists() { getent passwd "$USR" >/dev/null; }
uid_of() { getent passwd "$USR" | cut -d: -f3; }
home_of() { getent passwd "$USR" | cut -d: -f6; }

as_user() {
  u=$(uid_of)
  setpriv --reuid="$USR" --regid="$USR" --init-groups \
    env -i HOME="$(home_of)" USER="$USR" LOGNAME="$USR" PATH=/usr/local/bin:/usr/bin:/bin \
      XDG_RUNTIME_DIR="/run/user/$u" "$@"
}

# manager_pid prints the pid in the pidfile if it is still that user's
# systemd, nothing otherwise (a stale pidfile never leads to a wrong kill).
manager_pid() {
  [ -f "$PIDFILE" ] || return 0
  p=$(cat "$PIDFILE")
  case $p in *[!0-9]*|'') return 0 ;; esac
  [ -d "/proc/$p" ] || return 0
  [ "$(cat "/proc/$p/comm" 2>/dev/null)" = systemd ] || return 0
  [ "$(stat -c %u "/proc/$p")" = "$(uid_of)" ] || return 0
  echo "$p"
}

# cgroup_pids lists every process in the delegated cgroups (ours only).
cgroup_pids() {
  for h in $CG_HIERARCHIES; do
    [ -d "$h/$CG" ] && find "$h/$CG" -name cgroup.procs -exec cat {} + 2>/dev/null
  done | sort -u
}

wait_gone() { # PID TENTHS
  i=0
  while [ -d "/proc/$1" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ] && [ $i -lt "$2" ]; do
    sleep 0.1; i=$((i + 1))
  done
}

stop() {
  if user_exists; then
    p=$(manager_pid)
    if [ -n "$p" ]; then
      timeout 5 setpriv --reuid="$USR" --regid="$USR" --init-groups \
        env -i XDG_RUNTIME_DIR="/run/user/$(uid_of)" PATH=/usr/bin:/bin systemctl --user exit >/dev/null 2>&1 || true
      wait_gone "$p" 50
      [ -d "/proc/$p" ] && kill -KILL "$p" 2>/dev/null || true
    fi
  fi
  # Anything still in the manager's cgroup (services of a killed manager).
  for p in $(cgroup_pids); do kill -KILL "$p" 2>/dev/null || true; done
  for p in $(cgroup_pids); do wait_gone "$p" 30; done
  for h in $CG_HIERARCHIES; do
    [ -d "$h/$CG" ] || continue
    i=0
    until find "$h/$CG" -depth -type d -exec rmdir {} \; 2>/dev/null; do
      i=$((i + 1)); [ $i -lt 30 ] || die "cannot remove cgroup $h/$CG: $(cgroup_pids | tr '\n' ' ')"
      sleep 0.1
    done
  done
  if user_exists; then rm -rf "/run/user/$(uid_of)"; fi
  # The log reader (a cat we started) ends last so it gets everything.
  if [ -f "$LOGGER_PIDFILE" ]; then
    p=$(cat "$LOGGER_PIDFILE")
    case $p in *[!0-9]*|'') ;; *)
      [ "$(cat "/proc/$p/comm" 2>/dev/null)" = cat ] && kill "$p" 2>/dev/null || true ;;
    esac
  fi
  rm -f "$PIDFILE" "$LOGGER_PIDFILE" "$KMSG"
}

purge() {
  stop
  if user_exists; then
    # Only processes of this throwaway user can remain (e.g. a test command
    # left behind); userdel refuses while any runs.
    for p in $(pgrep -u "$(uid_of)" || true); do kill -KILL "$p" 2>/dev/null || true; done
    for p in $(pgrep -u "$(uid_of)" || true); do wait_gone "$p" 30; done
    userdel -r "$USR" 2>/dev/null || userdel -r "$USR" || die "userdel $USR failed"
  fi
  rm -f "$LOG"
  rmdir "$STATE" 2>/dev/null || true
}

start() {
  stop
  user_exists || useradd -m -s /bin/sh "$USR"
  u=$(uid_of)
  RT=/run/user/$u
  install -d -m 0755 /run/user
  install -d -m 0700 "$STATE"
  rm -rf "$RT"
  install -d -m 0700 -o "$USR" -g "$USR" "$RT"
  for h in $CG_HIERARCHIES; do
    [ -d "$h" ] || die "no cgroup hierarchy at $h"
    mkdir -p "$h/$CG"
    for f in "$h/$CG" "$h/$CG/cgroup.procs" "$h/$CG/tasks" "$h/$CG/cgroup.subtree_control" "$h/$CG/cgroup.threads"; do
      [ -e "$f" ] && chown "$USR:" "$f"
    done
  done
  : >"$LOG"
  # No journald, and the user can open neither /dev/console (which must be
  # a tty anyway) nor /dev/kmsg: the manager logs to "kmsg", which in its
  # namespace is a fifo drained into the log. The reader also holds a write
  # end (<>), so it never sees EOF and writers never block on open.
  rm -f "$KMSG"
  mkfifo -m 0600 "$KMSG"
  chown "$USR:" "$KMSG"
  setsid sh -c 'exec cat <>"$0" >>"$1"' "$KMSG" "$LOG" </dev/null >/dev/null 2>&1 &
  echo $! >"$LOGGER_PIDFILE"
  # The inner shell writes its pid, joins the cgroups and execs down to the
  # manager, so the pid in the file is the manager's.
  setsid unshare --mount --propagation private -- sh -c '
    USR=$0 RT=$1 CG=$2 PIDFILE=$3 LEVEL=$4 KMSG=$5
    # /run must be a mount point, as on any systemd machine: otherwise units
    # with MountAPIVFS= (implied by ProtectKernelTunables=, ProtectProc=, …)
    # get an empty tmpfs over /run, which hides $NOTIFY_SOCKET (READY=1 is
    # lost, the unit hangs in "activating") and everything under %t.
    mountpoint -q /run || mount --bind /run /run
    mount -t tmpfs -o mode=0755 patina-sd /run/systemd   # no size cap: daemon-reload wants 16 MiB free
    mkdir /run/systemd/system /run/systemd/unit-root
    mount --bind "$KMSG" /dev/kmsg
    echo $$ >/sys/fs/cgroup/systemd/$CG/cgroup.procs
    echo $$ >/sys/fs/cgroup/unified/$CG/cgroup.procs
    echo $$ >"$PIDFILE"
    exec setpriv --reuid="$USR" --regid="$USR" --init-groups \
      env -i HOME="$(getent passwd "$USR" | cut -d: -f6)" USER="$USR" LOGNAME="$USR" \
        PATH=/usr/local/bin:/usr/bin:/bin XDG_RUNTIME_DIR="$RT" \
      /lib/systemd/systemd --user --log-target=kmsg --log-level="$LEVEL"
  ' "$USR" "$RT" "$CG" "$PIDFILE" "${PATINA_MGR_LOGLEVEL:-info}" "$KMSG" </dev/null >>"$LOG" 2>&1 &
  launcher=$!
  deadline=$(($(date +%s) + 10))
  while :; do
    st=$(as_user systemctl --user show -p SystemState --value 2>/dev/null || true)
    case $st in running|degraded) break ;; esac
    if ! kill -0 "$launcher" 2>/dev/null; then
      echo "user-manager: the manager died; its log:" >&2; cat "$LOG" >&2; stop; exit 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "user-manager: manager not running after 10 s (state '$st'); its log:" >&2; cat "$LOG" >&2; stop; exit 1
    fi
    sleep 0.01
  done
  manager_pid
}

case $CMD in
  start) start ;;
  stop) stop ;;
  purge) purge ;;
  run) user_exists || die "no user $USR"; as_user "$@" ;;
  *) die "unknown command '$CMD' (start, stop, purge, run)" ;;
esac
