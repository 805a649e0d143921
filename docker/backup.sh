#!/usr/bin/env bash
# Quarry backup: one timestamped file with a consistent database dump, the
# locally stored files and a manifest. Runs on the VPS host, against the
# running compose project. Restore with docker/restore.sh; see
# docs/runbooks/backup-restore.md.
#
#   docker/backup.sh                   # → $BACKUP_DIR/quarry-20260101T020000Z.tar[.age|.gpg]
#
# What goes in (quarry-<UTC timestamp>.tar):
#   database.dump   pg_dump --format=custom (compressed), one snapshot of the whole database
#   objects.tar.gz  the web_data volume's objects/ (uploaded files; empty when R2 is used —
#                   R2 objects are protected by the bucket itself, see the runbook)
#   objects.sha256  sha256sum of every file in objects/ (restore.sh verifies them)
#   manifest.json   app version, PostgreSQL version, migration level, row counts, object count
#   SHA256SUMS      checksums of the four files above
# The dump is taken first, then the files: every file row in the dump has its
# file in the archive (files are written before their row and never changed).
#
# Environment (all optional):
#   BACKUP_DIR             where backups go (default /var/backups/quarry), created 0700
#   BACKUP_KEEP_DAYS       delete quarry-*.tar* older than this many days (default 14; 0 keeps all)
#   BACKUP_AGE_RECIPIENT   encrypt to this age public key (age1…); needs `age` on the host
#   BACKUP_GPG_RECIPIENT   or encrypt to this key of the host's gpg keyring (key id or e-mail)
#   COMPOSE_FILE           default: docker-compose.prod.yml beside this script (a:b for overrides)
#   ENV_FILE               default: .env beside this script
#   COMPOSE_PROJECT_NAME   default: the compose file's `name:` (quarry)
# Exit status is non-zero on any failure; a partial backup is never left behind.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
COMPOSE_FILE="${COMPOSE_FILE:-$HERE/docker-compose.prod.yml}"
ENV_FILE="${ENV_FILE:-$HERE/.env}"
# Several files (e.g. the PostgreSQL 18 override of docs/runbooks/upgrade.md) are
# separated by ':', as in compose's own COMPOSE_FILE.
IFS=: read -ra COMPOSE_FILES <<<"$COMPOSE_FILE"
BACKUP_DIR="${BACKUP_DIR:-/var/backups/quarry}"
BACKUP_KEEP_DAYS="${BACKUP_KEEP_DAYS:-14}"
AGE_RECIPIENT="${BACKUP_AGE_RECIPIENT:-}"
GPG_RECIPIENT="${BACKUP_GPG_RECIPIENT:-}"

log() { printf '[backup %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

compose() {
  local args=() f
  for f in "${COMPOSE_FILES[@]}"; do args+=(-f "$f"); done
  [ -f "$ENV_FILE" ] && args+=(--env-file "$ENV_FILE")
  [ -n "${COMPOSE_PROJECT_NAME:-}" ] && args+=(-p "$COMPOSE_PROJECT_NAME")
  docker compose "${args[@]}" "$@"
}
# SQL in the postgres container, as the database owner over the local socket.
psql_at() { compose exec -T postgres sh -c 'psql -X -v ON_ERROR_STOP=1 -At -U "$POSTGRES_USER" -d "$POSTGRES_DB"' <<<"$1"; }

case "${1:-}" in
  -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) die "unknown argument '$1' (configuration is by environment variables; see --help)" ;;
esac

for f in "${COMPOSE_FILES[@]}"; do [ -f "$f" ] || die "compose file not found: $f"; done
[[ "$BACKUP_KEEP_DAYS" =~ ^[0-9]+$ ]] || die "BACKUP_KEEP_DAYS must be a number of days, got '$BACKUP_KEEP_DAYS'"
[ -z "$AGE_RECIPIENT" ] || [ -z "$GPG_RECIPIENT" ] || die "set BACKUP_AGE_RECIPIENT or BACKUP_GPG_RECIPIENT, not both"
[ -z "$AGE_RECIPIENT" ] || command -v age >/dev/null || die "BACKUP_AGE_RECIPIENT is set but age is not installed (apt-get install age)"
[ -z "$GPG_RECIPIENT" ] || gpg --batch --list-keys "$GPG_RECIPIENT" >/dev/null 2>&1 || die "no gpg public key '$GPG_RECIPIENT' in the keyring (gpg --import it first)"
[ -n "$(compose ps -q --status running postgres 2>/dev/null)" ] || die "the postgres service is not running (docker compose ps)"

umask 077
mkdir -p "$BACKUP_DIR"
chmod 700 "$BACKUP_DIR"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
NAME="quarry-$STAMP"
WORK=$(mktemp -d "$BACKUP_DIR/.$NAME.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
T0=$(date +%s%N)

# 1. Database: pg_dump's own snapshot makes it consistent while the app runs.
log "pg_dump (custom format) of the database"
compose exec -T postgres sh -c 'pg_dump --format=custom --compress=6 -U "$POSTGRES_USER" -d "$POSTGRES_DB"' >"$WORK/database.dump"
[ -s "$WORK/database.dump" ] || die "pg_dump produced an empty file"

# 2. Facts for the manifest (and for restore.sh to verify against).
PG_VERSION=$(psql_at 'SHOW server_version')
MIGRATIONS=$(psql_at "SELECT count(*) || '|' || coalesce(max(created_at), 0) || '|' || coalesce((SELECT hash FROM drizzle.__drizzle_migrations ORDER BY created_at DESC, id DESC LIMIT 1), '') FROM drizzle.__drizzle_migrations" 2>/dev/null || echo '0|0|')
IFS='|' read -r MIG_COUNT MIG_LAST MIG_HASH <<<"$MIGRATIONS"
# Row counts of the tables that matter, skipping any that do not exist.
COUNTS=$(psql_at "SELECT string_agg(format('\"%s\": %s', t, (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I', t), false, true, '')))[1]::text), ', ' ORDER BY t)
  FROM unnest(ARRAY['users','workspaces','memberships','documents','passages','passage_embeddings','audit_events']) AS t WHERE to_regclass(t) IS NOT NULL")
APP_VERSION=$(compose exec -T web node -e "fetch('http://127.0.0.1:2000/api/health',{signal:AbortSignal.timeout(10000)}).then((r)=>r.text()).then((t)=>process.stdout.write(t),()=>process.exit(1))" 2>/dev/null | grep -o '"version":"[^"]*"' | head -1 | cut -d'"' -f4 || true)
WEB_IMAGE_ID=$(docker inspect -f '{{.Image}}' "$(compose ps -q web 2>/dev/null | head -1)" 2>/dev/null || true)
if [ -z "$APP_VERSION" ] && [ -n "$WEB_IMAGE_ID" ]; then
  APP_VERSION=$(docker image inspect -f '{{index .Config.Labels "org.opencontainers.image.version"}}' "$WEB_IMAGE_ID" 2>/dev/null || true)
fi

# 3. Local files (web_data:/data/objects), read by a one-off container of the web
#    image that mounts the volume; works whether web is healthy or not.
log "archiving locally stored files (web_data:/data/objects)"
compose run --rm --no-deps -T --entrypoint sh web -c 'cd /data && if [ -d objects ]; then tar -cf - objects; else tar -cf - -T /dev/null; fi' \
  | gzip -6 >"$WORK/objects.tar.gz"
mkdir "$WORK/check"
tar -xzf "$WORK/objects.tar.gz" -C "$WORK/check"
( cd "$WORK/check" && if [ -d objects ]; then find objects -type f -print0 | sort -z | xargs -0 -r sha256sum; fi ) >"$WORK/objects.sha256"
OBJECT_COUNT=$(wc -l <"$WORK/objects.sha256" | tr -d ' ')
OBJECT_BYTES=$(if [ -d "$WORK/check/objects" ]; then du -sb "$WORK/check/objects" | cut -f1; else echo 0; fi)
rm -rf "$WORK/check"

cat >"$WORK/manifest.json" <<EOF
{
  "format": "quarry-backup/1",
  "createdAt": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "composeProject": "${COMPOSE_PROJECT_NAME:-quarry}",
  "appVersion": "${APP_VERSION:-unknown}",
  "webImage": "${WEB_IMAGE_ID:-unknown}",
  "postgresVersion": "$PG_VERSION",
  "migrations": { "count": $MIG_COUNT, "lastCreatedAt": $MIG_LAST, "lastHash": "$MIG_HASH" },
  "rows": { $COUNTS },
  "objects": { "count": $OBJECT_COUNT, "bytes": $OBJECT_BYTES, "checksums": "objects.sha256", "storage": "web_data volume; R2 objects are not in this backup" },
  "database": { "file": "database.dump", "format": "pg_dump custom", "bytes": $(stat -c %s "$WORK/database.dump") }
}
EOF
( cd "$WORK" && sha256sum database.dump objects.tar.gz objects.sha256 manifest.json >SHA256SUMS )

# 4. One file, optionally encrypted, moved into place only when complete.
OUT="$BACKUP_DIR/$NAME.tar"
tar -cf "$WORK/$NAME.tar" -C "$WORK" SHA256SUMS manifest.json objects.sha256 database.dump objects.tar.gz
if [ -n "$AGE_RECIPIENT" ]; then
  age -r "$AGE_RECIPIENT" -o "$WORK/$NAME.tar.age" "$WORK/$NAME.tar"
  OUT="$OUT.age"
elif [ -n "$GPG_RECIPIENT" ]; then
  gpg --batch --yes --trust-model always --encrypt --recipient "$GPG_RECIPIENT" -o "$WORK/$NAME.tar.gpg" "$WORK/$NAME.tar"
  OUT="$OUT.gpg"
fi
mv "$WORK/$(basename "$OUT")" "$OUT"
T1=$(date +%s%N)

# 5. Retention: only files this script names, only in BACKUP_DIR, never the one just made.
if [ "$BACKUP_KEEP_DAYS" -gt 0 ]; then
  find "$BACKUP_DIR" -maxdepth 1 -type f -name 'quarry-*.tar*' -mtime +"$BACKUP_KEEP_DAYS" ! -path "$OUT" -print -delete \
    | sed 's/^/[backup] removed (older than '"$BACKUP_KEEP_DAYS"' days): /' >&2
fi

SIZE=$(stat -c %s "$OUT")
ELAPSED=$(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
log "done: $OUT"
log "  $SIZE bytes in ${ELAPSED}s; app ${APP_VERSION:-unknown}, PostgreSQL $PG_VERSION, $MIG_COUNT migrations, $OBJECT_COUNT local files; rows: $COUNTS"
# The path on stdout, for scripts.
printf '%s\n' "$OUT"
