#!/usr/bin/env bash
# Quarry restore: puts a backup made by docker/backup.sh into a stack —
# normally a freshly started, empty one (new VPS, or after `down -v`). See
# docs/runbooks/backup-restore.md.
#
#   docker/restore.sh /var/backups/quarry/quarry-20260101T020000Z.tar[.age|.gpg]
#   docker/restore.sh --force <file>     # replace a database that already holds data
#
# Steps: verify the archive's checksums → check the database is empty (no users,
# workspaces, documents or audit events; a freshly migrated schema counts as
# empty) unless --force → stop caddy and web → drop and recreate the database →
# pg_restore in one transaction → replace web_data:/data/objects and verify every
# file's sha256 → start the stack and wait for health (the migrate service applies
# any newer migrations and re-grants web's database role) → compare row counts
# with the manifest.
#
# Environment (all optional):
#   AGE_IDENTITY           age identity file for .age backups (default ~/.config/age/quarry-backup.key)
#   COMPOSE_FILE           default: docker-compose.prod.yml beside this script (a:b for overrides)
#   ENV_FILE               default: .env beside this script
#   COMPOSE_PROJECT_NAME   default: the compose file's `name:` (quarry)
# gpg backups are decrypted with the host's gpg keyring.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
COMPOSE_FILE="${COMPOSE_FILE:-$HERE/docker-compose.prod.yml}"
ENV_FILE="${ENV_FILE:-$HERE/.env}"
# Several files (e.g. the PostgreSQL 18 override of docs/runbooks/upgrade.md) are
# separated by ':', as in compose's own COMPOSE_FILE.
IFS=: read -ra COMPOSE_FILES <<<"$COMPOSE_FILE"
AGE_IDENTITY="${AGE_IDENTITY:-$HOME/.config/age/quarry-backup.key}"

log() { printf '[restore %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

compose() {
  local args=() f
  for f in "${COMPOSE_FILES[@]}"; do args+=(-f "$f"); done
  [ -f "$ENV_FILE" ] && args+=(--env-file "$ENV_FILE")
  [ -n "${COMPOSE_PROJECT_NAME:-}" ] && args+=(-p "$COMPOSE_PROJECT_NAME")
  docker compose "${args[@]}" "$@"
}
psql_at() { # sql [database]: as the database owner over the local socket
  local db=${2:-}
  compose exec -T -e "PSQL_DB=$db" postgres sh -c 'psql -X -v ON_ERROR_STOP=1 -At -U "$POSTGRES_USER" -d "${PSQL_DB:-$POSTGRES_DB}"' <<<"$1"
}
COUNT_SQL="SELECT string_agg(format('%s=%s', t, (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I', t), false, true, '')))[1]::text), ' ' ORDER BY t)
  FROM unnest(ARRAY['users','workspaces','memberships','documents','passages','passage_embeddings','audit_events']) AS t WHERE to_regclass(t) IS NOT NULL"

FORCE=0
FILE=""
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $arg" ;;
    *) [ -z "$FILE" ] || die "one backup file only"; FILE=$arg ;;
  esac
done
[ -n "$FILE" ] || die "usage: restore.sh [--force] <backup file>"
[ -f "$FILE" ] || die "no such file: $FILE"
for f in "${COMPOSE_FILES[@]}"; do [ -f "$f" ] || die "compose file not found: $f"; done

umask 077
WORK=$(mktemp -d "${TMPDIR:-/tmp}/quarry-restore.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
T0=$(date +%s%N)

# 1. Decrypt, unpack, verify.
case "$FILE" in
  *.age)
    command -v age >/dev/null || die "age is not installed (apt-get install age)"
    [ -f "$AGE_IDENTITY" ] || die "age identity not found: $AGE_IDENTITY (set AGE_IDENTITY)"
    age -d -i "$AGE_IDENTITY" "$FILE" | tar -xf - -C "$WORK" ;;
  *.gpg) gpg --batch --decrypt "$FILE" 2>/dev/null | tar -xf - -C "$WORK" ;;
  *.tar) tar -xf "$FILE" -C "$WORK" ;;
  *) die "not a Quarry backup (expected quarry-*.tar, .tar.age or .tar.gpg): $FILE" ;;
esac
[ -f "$WORK/SHA256SUMS" ] && [ -f "$WORK/manifest.json" ] || die "$FILE is not a Quarry backup (no SHA256SUMS/manifest.json)"
( cd "$WORK" && sha256sum --quiet -c SHA256SUMS ) || die "checksum mismatch: the backup is damaged"
grep -q '"format": "quarry-backup/1"' "$WORK/manifest.json" || die "unknown backup format (manifest.json)"
EXPECTED_ROWS=$(tr -d '\n' <"$WORK/manifest.json" | grep -o '"rows": {[^}]*}' | sed 's/"rows": {//; s/}$//; s/"//g; s/: /=/g; s/, / /g')
log "backup verified: $(grep -o '"createdAt": "[^"]*"' "$WORK/manifest.json" | cut -d'"' -f4), app $(grep -o '"appVersion": "[^"]*"' "$WORK/manifest.json" | cut -d'"' -f4); rows:$EXPECTED_ROWS"

# 2. The database must be empty, unless --force.
compose up -d --wait postgres >/dev/null 2>&1 || die "could not start postgres (docker compose up -d --wait postgres)"
NONEMPTY=$(psql_at "SELECT coalesce(sum((xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I', t), false, true, '')))[1]::text::bigint), 0)
  FROM unnest(ARRAY['users','workspaces','documents','audit_events']) AS t WHERE to_regclass(t) IS NOT NULL")
if [ "$NONEMPTY" != 0 ]; then
  if [ "$FORCE" != 1 ]; then
    die "the database already holds data ($(psql_at "$COUNT_SQL")). Restoring would replace it: take a backup first (docker/backup.sh), then run again with --force"
  fi
  log "--force: replacing a database that holds data ($(psql_at "$COUNT_SQL"))"
fi

# 3. Nothing may write while we restore.
log "stopping caddy and web"
compose stop caddy web >/dev/null 2>&1 || true

# 4. Fresh database, then the dump in one transaction (all or nothing).
log "recreating the database"
compose exec -T postgres sh -c 'psql -X -q -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres -c "DROP DATABASE IF EXISTS \"$POSTGRES_DB\" WITH (FORCE)" -c "CREATE DATABASE \"$POSTGRES_DB\""'
log "pg_restore"
# --no-owner: every object belongs to the restoring owner. --no-privileges: the dump's grants
# to the app role are skipped (that role may not exist on a new host); the migrate service
# recreates the role and re-grants when the stack starts below, before web.
compose exec -T postgres sh -c 'pg_restore --exit-on-error --single-transaction --no-owner --no-privileges -U "$POSTGRES_USER" -d "$POSTGRES_DB"' <"$WORK/database.dump"

# 5. Local files: replace objects/ in the web_data volume, then check every sha256.
OBJECTS=$(wc -l <"$WORK/objects.sha256" | tr -d ' ')
log "restoring $OBJECTS local files into web_data:/data/objects"
gzip -dc "$WORK/objects.tar.gz" | compose run --rm --no-deps -T --entrypoint sh web -c 'cd /data && rm -rf objects && tar -xf -' >/dev/null
compose run --rm --no-deps -T --entrypoint sh web -c 'cd /data && if [ -d objects ]; then find objects -type f -print0 | sort -z | xargs -0 -r sha256sum; fi' >"$WORK/restored.sha256"
if ! cmp -s "$WORK/objects.sha256" "$WORK/restored.sha256"; then
  diff "$WORK/objects.sha256" "$WORK/restored.sha256" | head -20 >&2 || true
  die "restored files differ from the backup's checksums"
fi

# 6. Start everything; migrate applies migrations newer than the backup's, if any,
#    and grants web's role (POSTGRES_APP_USER) again before web starts.
log "migrations and web's database role (the migrate service)"
compose run --rm -T migrate >&2 || die "the migrate service failed after the restore (docker compose logs migrate)"
log "starting the stack"
compose up -d --wait >/dev/null 2>&1 || die "the stack did not become healthy after the restore (docker compose ps; docker compose logs web)"
T1=$(date +%s%N)

# 7. Compare with the manifest (new rows may only come from migrations or the app starting).
ACTUAL_ROWS=$(psql_at "$COUNT_SQL")
MISMATCH=""
for pair in $EXPECTED_ROWS; do
  table=${pair%%=*} want=${pair#*=}
  got=$(tr ' ' '\n' <<<"$ACTUAL_ROWS" | sed -n "s/^$table=//p")
  if [ "$table" = audit_events ]; then
    [ "${got:-0}" -ge "$want" ] || MISMATCH+=" $table: $got < $want"
  else
    [ "${got:-}" = "$want" ] || MISMATCH+=" $table: $got != $want"
  fi
done
[ -z "$MISMATCH" ] || die "row counts differ from the manifest:$MISMATCH"
ELAPSED=$(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
log "done in ${ELAPSED}s: rows $ACTUAL_ROWS; $OBJECTS files verified"
