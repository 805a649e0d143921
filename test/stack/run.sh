#!/usr/bin/env bash
# Quarry stack test: brings up docker/docker-compose.prod.yml UNMODIFIED (only
# environment variables differ) on local stand-in base images, and checks what
# the stack promises. `npm run test:stack`; see docs/deploy.md.
#
# Installs what it needs (docker.io, debootstrap, compose v2 + buildx from
# Debian trixie) idempotently, starts dockerd if none answers, tears down all it
# started on exit. Bounded in time: QUARRY_STACK_TIMEOUT seconds (default 1500).
#
# Environment knobs (all optional):
#   QUARRY_STACK_TIMEOUT   overall limit in seconds (default 1500)
#   QUARRY_STACK_SKIP_DB_SUITE=1   skip running the repo's tests against PostgreSQL
#   QUARRY_STACK_KEEP_ENGINE=1     leave a dockerd this script started running
#   QUARRY_STACK_SCALE_DOCS / QUARRY_STACK_SCALE_LOAD_SECONDS   scale-out batch size (24) and load time (20 s)
#   QUARRY_STACK_ONLY_SCALE=1      after the first up, run only the scale-out check (for working on it)
set -uo pipefail

if [ -z "${QUARRY_STACK_BOUNDED:-}" ]; then
  export QUARRY_STACK_BOUNDED=1
  exec timeout --kill-after=60 "${QUARRY_STACK_TIMEOUT:-1500}" bash "$0" "$@"
fi

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source=lib/common.sh
source "$HERE/lib/common.sh"
# shellcheck source=lib/engine.sh
source "$HERE/lib/engine.sh"
# shellcheck source=standins/build.sh
source "$HERE/standins/build.sh"
# shellcheck source=lib/checks.sh
source "$HERE/lib/checks.sh"
# shellcheck source=lib/scale.sh
source "$HERE/lib/scale.sh"

T_START=$(date +%s)
PROJECT=quarry-stacktest
DOMAIN=quarry.test
BIND_IP=127.0.0.2
WEB_IMAGE=quarry-web:stacktest
WORK=$(mktemp -d /tmp/quarry-stack.XXXXXX)
PROBES=()        # containers this script started outside compose
DBTEST_CONTAINER=""
export ROOT PROJECT WORK

compose() {
  # A clean environment: only the generated env file feeds interpolation.
  env -i PATH="$PATH" HOME="$HOME" DOCKER_BUILDKIT=1 \
    docker compose --env-file "$WORK/test.env" -p "$PROJECT" -f "$ROOT/docker/docker-compose.prod.yml" "$@"
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  log "tearing down"
  if docker info >/dev/null 2>&1; then
    [ -f "$WORK/test.env" ] && bounded 120 compose down -v --remove-orphans --timeout 10 >/dev/null 2>&1
    local c
    for c in "${PROBES[@]}" $DBTEST_CONTAINER; do docker rm -f "$c" >/dev/null 2>&1; done
  fi
  [ -n "${QUARRY_STACK_KEEP_ENGINE:-}" ] || stop_started_engine
  rm -rf "$WORK"
  log "total time $(( $(date +%s) - T_START ))s"
  exit $rc
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

write_env() {
  local pgpw apppw secret
  pgpw=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
  apppw=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
  secret=$(head -c 32 /dev/urandom | base64 | tr -d '\n')
  cat >"$WORK/test.env" <<EOF
POSTGRES_IMAGE=$POSTGRES_STANDIN
NODE_IMAGE=$NODE_STANDIN
WEB_IMAGE=$WEB_IMAGE
CADDY_IMAGE=$CADDY_STANDIN
CADDY_TLS_MODE=internal
CADDY_BIND_IP=$BIND_IP
DOMAIN=$DOMAIN
ACME_EMAIL=ops@$DOMAIN
HETZNER_API_TOKEN=unused-with-tls-internal
POSTGRES_PASSWORD=$pgpw
POSTGRES_APP_PASSWORD=$apppw
AUTH_SECRET=$secret
ADMIN_EMAIL=admin@$DOMAIN
LOG_LEVEL=info
EOF
  chmod 600 "$WORK/test.env"
}

# ---------------------------------------------------------------------------
log "stack test: compose file docker/docker-compose.prod.yml, project $PROJECT"
ensure_engine
figure "engine" "$(docker version -f 'engine {{.Server.Version}}') / $(docker compose version --short 2>/dev/null | sed 's/^/compose /') / buildx $(docker buildx version | awk '{print $2}')"

T=$(date +%s)
build_standins
figure "stand-in images ready" "$(( $(date +%s) - T ))s"

write_env
# Leftovers from an interrupted run would break the checks below.
bounded 120 compose down -v --remove-orphans --timeout 5 >/dev/null 2>&1

T=$(date +%s)
log "building the web image from the repo's Dockerfile"
if ! bounded 900 compose build web >"$WORK/build-web.log" 2>&1; then
  tail -60 "$WORK/build-web.log" >&2
  die "building the web image failed"
fi
figure "web image build" "$(( $(date +%s) - T ))s"

stack_up "first up" || die "the stack did not become healthy"

if [ -n "${QUARRY_STACK_ONLY_SCALE:-}" ]; then
  check_scale_out
  print_results
  exit
fi
check_health_order
check_db_roles
check_ports
check_networks
check_https
check_ui_headers
check_crash_recovery
check_upgrade_creates_role
check_persistence
# Last while the stack is up: it destroys the volumes (down -v) and restores them from the backup.
expect "backup → down -v → up → restore round trip" "docker/backup.sh + docker/restore.sh; counts, files and a search result compared" \
  env COMPOSE_FILE="$ROOT/docker/docker-compose.prod.yml" COMPOSE_PROJECT_NAME="$PROJECT" ENV_FILE="$WORK/test.env" \
  ROUNDTRIP_TIMEOUT=600 bash "$HERE/backup-roundtrip.sh"
# web ×2 and worker ×2: starts from fresh volumes (down -v) and leaves the stack scaled.
check_scale_out
log "docker compose down -v (the stack is done; the DB suite uses its own container)"
bounded 120 compose down -v --timeout 10 >/dev/null 2>&1
check_db_suite

print_results
