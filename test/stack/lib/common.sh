# Shared helpers for the stack test. Sourced, not executed.
# shellcheck shell=bash

STACK_CACHE="${QUARRY_STACK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/quarry-stack}"
mkdir -p "$STACK_CACHE"

log() { printf '[stack %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }

# The Debian mirror is read from this machine's own apt sources at run time;
# no mirror host name is ever written into the repository.
debian_mirror() {
  local m
  m=$(grep -hE '^[[:space:]]*(URIs:|deb[[:space:]])' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null \
    | grep -v -- '-security' | grep -oE 'https?://[^[:space:]]+' | grep -E '/debian/?$' | head -1)
  [ -n "$m" ] || die "no Debian mirror found in /etc/apt/sources.list*"
  printf '%s\n' "${m%/}"
}

# Runs a command with a hard time limit (seconds) and reports which step timed out.
# Shell functions (e.g. compose) run in a child bash that gets their definition;
# the variables they use must be exported.
bounded() {
  local secs=$1; shift
  if declare -F "$1" >/dev/null; then
    timeout --kill-after=10 "$secs" bash -c "$(declare -f "$1"); $1 \"\$@\"" "$1" "${@:2}"
  else
    timeout --kill-after=10 "$secs" "$@"
  fi
  local rc=$?
  [ $rc -eq 124 ] && log "timed out after ${secs}s: $*"
  return $rc
}

# sha256 of files/strings given on stdin, first 12 hex characters
short_hash() { sha256sum | cut -c1-12; }
