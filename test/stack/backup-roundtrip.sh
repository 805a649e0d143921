#!/usr/bin/env bash
# Backup → destroy → restore round trip against a running Quarry compose stack.
# Proves docker/backup.sh and docker/restore.sh: writes data through the app,
# records counts and a search result, backs up, `down -v` (every volume gone),
# `up -d --wait` (a fresh, empty stack), restores, and compares. Prints backup
# size, backup time and restore time. Exit 0 only when everything matches.
#
# Called by test/stack/run.sh once its stack is up (it can also be run alone
# against any stack you own — it DESTROYS that stack's volumes):
#
#   COMPOSE_FILE=docker/docker-compose.prod.yml COMPOSE_PROJECT_NAME=quarry-stacktest \
#   ENV_FILE=/tmp/…/test.env bash test/stack/backup-roundtrip.sh
#
# Environment:
#   COMPOSE_FILE           (required) the production compose file
#   COMPOSE_PROJECT_NAME   (required) the compose project to use; its volumes are destroyed
#   ENV_FILE               (required) the stack's env file; DOMAIN, CADDY_BIND_IP and
#                          ADMIN_EMAIL are read from it. Caddy must use CADDY_TLS_MODE=internal
#                          and CADDY_BIND_IP must be a loopback address.
#   ROUNDTRIP_WORK         scratch directory (default: a new mktemp -d, removed at exit)
#   ROUNDTRIP_TIMEOUT      overall limit in seconds (default 600)
# The app is reached only through Caddy at https://$DOMAIN via curl --resolve to
# CADDY_BIND_IP, verified against Caddy's internal CA copied from the caddy container.
# Every wait is bounded; nothing but loopback and this project's containers is contacted.
set -uo pipefail

if [ -z "${ROUNDTRIP_BOUNDED:-}" ]; then
  export ROUNDTRIP_BOUNDED=1
  exec timeout --kill-after=30 "${ROUNDTRIP_TIMEOUT:-600}" bash "$0" "$@"
fi

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
: "${COMPOSE_FILE:?set COMPOSE_FILE to the production compose file}"
: "${COMPOSE_PROJECT_NAME:?set COMPOSE_PROJECT_NAME to the project to use (its volumes are destroyed)}"
: "${ENV_FILE:?set ENV_FILE to the stack env file}"
COMPOSE_FILE=$(realpath "$COMPOSE_FILE")
ENV_FILE=$(realpath "$ENV_FILE")

envval() { sed -n "s/^$1=//p" "$ENV_FILE" | tail -1 | sed "s/^[\"']//; s/[\"']$//"; }
DOMAIN=$(envval DOMAIN)
BIND_IP=$(envval CADDY_BIND_IP)
ADMIN=$(envval ADMIN_EMAIL)
[ -n "$DOMAIN" ] && [ -n "$BIND_IP" ] && [ -n "$ADMIN" ] || { echo "ENV_FILE lacks DOMAIN, CADDY_BIND_IP or ADMIN_EMAIL" >&2; exit 2; }
case "$BIND_IP" in 127.*) ;; *) echo "refusing: CADDY_BIND_IP=$BIND_IP is not a loopback address" >&2; exit 2 ;; esac

if [ -n "${ROUNDTRIP_WORK:-}" ]; then WORK=$ROUNDTRIP_WORK; mkdir -p "$WORK"; else WORK=$(mktemp -d /tmp/quarry-roundtrip.XXXXXX); trap 'rm -rf "$WORK"' EXIT; fi
BASE="https://$DOMAIN"
PASSWORD="Roundtrip-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
FAILED=0

log() { printf '[roundtrip %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
pass() { log "PASS  $1 — $2"; }
fail() { log "FAIL  $1 — $2"; FAILED=1; }
figure() { log "figure: $1 = $2"; }
die() { log "FATAL: $*"; exit 1; }
now_ms() { date +%s%3N; }
secs() { awk -v d="$1" 'BEGIN { printf "%.1f", d / 1000 }'; }

# A clean environment: only the env file feeds interpolation, as in run.sh.
compose() {
  env -i PATH="$PATH" HOME="$HOME" docker compose --env-file "$ENV_FILE" -p "$COMPOSE_PROJECT_NAME" -f "$COMPOSE_FILE" "$@"
}
scripts_env() { # the operator scripts, with only what they document
  env -i PATH="$PATH" HOME="$HOME" COMPOSE_FILE="$COMPOSE_FILE" ENV_FILE="$ENV_FILE" COMPOSE_PROJECT_NAME="$COMPOSE_PROJECT_NAME" "$@"
}
sql() { compose exec -T postgres sh -c 'psql -X -v ON_ERROR_STOP=1 -At -U "$POSTGRES_USER" -d "$POSTGRES_DB"' <<<"$1"; }

fetch_ca() { # Caddy's internal root CA (new after down -v), bounded wait
  local i
  for i in $(seq 1 60); do
    if docker cp "$(compose ps -q caddy | head -1):/data/caddy/pki/authorities/local/root.crt" "$WORK/root.crt" >/dev/null 2>&1 \
      && [ "$(api GET /api/health -o /dev/null -w '%{http_code}')" = 200 ]; then
      return 0
    fi
    sleep 1
  done
  return 1
}
api() { # METHOD PATH [curl args…]: through Caddy, with the session cookie and our Origin
  local method=$1 path=$2; shift 2
  curl -sS --max-time 20 --cacert "$WORK/root.crt" --resolve "$DOMAIN:443:$BIND_IP" \
    -b "$WORK/cookies" -c "$WORK/cookies" -H "Origin: $BASE" -X "$method" "$@" "$BASE$path" 2>/dev/null
}
json_field() { grep -o "\"$1\":\"[^\"]*\"" | head -1 | cut -d'"' -f4; }

# ----------------------------------------------------------------- write data
write_data() {
  local code body
  code=$(api POST /api/auth/sign-up/email -H 'Content-Type: application/json' \
    -d "{\"email\":\"$ADMIN\",\"password\":\"$PASSWORD\",\"name\":\"Round Trip\"}" -o "$WORK/signup.json" -w '%{http_code}')
  [ "$code" = 200 ] || die "sign-up of $ADMIN answered $code: $(head -c 300 "$WORK/signup.json")"
  code=$(api POST /api/workspaces -H 'Content-Type: application/json' -d '{"name":"Backup round trip"}' -o "$WORK/ws.json" -w '%{http_code}')
  [ "$code" = 201 ] || die "creating a workspace answered $code: $(head -c 300 "$WORK/ws.json")"
  WS=$(json_field id <"$WORK/ws.json")
  log "signed up $ADMIN, workspace $WS"

  mkdir -p "$WORK/docs"
  local i topic
  local topics=(granite basalt marble)
  for i in 0 1 2; do
    topic=${topics[$i]}
    {
      echo "# Field notes on $topic"
      echo
      echo "## Where the $topic comes from"
      for _ in 1 2 3 4 5 6; do echo "The $topic quarry near the river produces blocks that masons cut by hand. Document $i of the backup round trip."; done
      echo
      echo "## How $topic is tested"
      for _ in 1 2 3 4 5 6; do echo "Compressive strength of $topic samples is measured after curing; every sample is logged with its bench number $i."; done
    } >"$WORK/docs/$topic.md"
  done

  code=$(api POST "/api/workspaces/$WS/documents" -F "file=@$WORK/docs/granite.md;type=text/markdown" -o "$WORK/up.json" -w '%{http_code}')
  if [ "$code" = 202 ] || [ "$code" = 201 ]; then
    DOCS_VIA=api
    DOC_IDS=("$(json_field id <"$WORK/up.json")")
    for topic in basalt marble; do
      code=$(api POST "/api/workspaces/$WS/documents" -F "file=@$WORK/docs/$topic.md;type=text/markdown" -o "$WORK/up.json" -w '%{http_code}')
      [ "$code" = 202 ] || [ "$code" = 201 ] || die "upload of $topic.md answered $code: $(head -c 300 "$WORK/up.json")"
      DOC_IDS+=("$(json_field id <"$WORK/up.json")")
    done
    wait_ready || die "documents did not become ready"
  elif [ "$code" = 404 ] || [ "$code" = 405 ]; then
    # The documents API is not in this build yet: write the rows and files directly.
    DOCS_VIA=sql
    write_documents_sql
  else
    die "upload answered $code: $(head -c 300 "$WORK/up.json")"
  fi
  log "3 documents written via $DOCS_VIA"
  # A conversation (issue 13): its thread and message rows must come back with the rest.
  THREAD_ID=
  code=$(api POST "/api/workspaces/$WS/threads" -H 'content-type: application/json' -d '{}' -o "$WORK/thread.json" -w '%{http_code}')
  if [ "$code" = 201 ]; then
    THREAD_ID=$(json_field id <"$WORK/thread.json")
    code=$(api POST "/api/workspaces/$WS/threads/$THREAD_ID/messages" -H 'content-type: application/json' \
      -d '{"question":"Where does the granite come from?"}' -o "$WORK/message.json" -w '%{http_code}')
    [ "$code" = 201 ] || die "asking in a thread answered $code: $(head -c 300 "$WORK/message.json")"
    log "1 conversation written (thread $THREAD_ID)"
  fi
}

thread_answer() { # the stored answers of the conversation, hashed (empty when this build has no threads)
  [ -n "${THREAD_ID:-}" ] || return 0
  api GET "/api/workspaces/$WS/threads/$THREAD_ID" | grep -o '"answer":"[^"]*"' | sha256sum | cut -c1-16
}

wait_ready() { # bounded: 180 × 1 s. Ready (keyword-searchable) and every vector stored: the backup must hold both.
  local i id body status vectors all
  for i in $(seq 1 180); do
    all=1
    for id in "${DOC_IDS[@]}"; do
      body=$(api GET "/api/workspaces/$WS/documents/$id")
      status=$(printf '%s' "$body" | json_field status)
      [ "$status" = failed ] && { log "document $id failed: $(printf '%s' "$body" | json_field error)"; return 1; }
      [ "$status" = ready ] || all=0
      # "vectors":{"ready":n,"total":m}, absent in builds before keyword-first indexing.
      vectors=$(printf '%s' "$body" | grep -o '"vectors":{"ready":[0-9]*,"total":[0-9]*}' | head -1)
      if [ -n "$vectors" ]; then
        [ "$(printf '%s' "$vectors" | sed 's/.*"ready":\([0-9]*\).*/\1/')" = "$(printf '%s' "$vectors" | sed 's/.*"total":\([0-9]*\).*/\1/')" ] || all=0
      fi
    done
    [ "$all" = 1 ] && return 0
    sleep 1
  done
  return 1
}

write_documents_sql() {
  local topic sha size uid
  uid=$(sql "SELECT id FROM users WHERE email = lower('$ADMIN')")
  DOC_IDS=()
  for topic in granite basalt marble; do
    sha=$(sha256sum "$WORK/docs/$topic.md" | cut -d' ' -f1)
    size=$(stat -c %s "$WORK/docs/$topic.md")
    compose run --rm --no-deps -T --entrypoint sh web -c "mkdir -p /data/objects/roundtrip && cat > /data/objects/roundtrip/$sha" <"$WORK/docs/$topic.md" >/dev/null
    DOC_IDS+=("$(sql "INSERT INTO documents (workspace_id, title, filename, mime_type, size_bytes, sha256, storage_key, status, passage_count, created_by)
      VALUES ('$WS', 'Field notes on $topic', '$topic.md', 'text/markdown', $size, '$sha', 'roundtrip/$sha', 'ready', 2, '$uid') RETURNING id" | head -1)")
    sql "INSERT INTO passages (document_id, workspace_id, ordinal, heading_path, text, token_count, tsv)
      SELECT '${DOC_IDS[-1]}', '$WS', n, ARRAY['Field notes on $topic'], t, 40, to_tsvector('english', t)
      FROM (VALUES (0, 'The $topic quarry near the river produces blocks that masons cut by hand.'),
                   (1, 'Compressive strength of $topic samples is measured after curing.')) AS v(n, t)" >/dev/null
  done
}

# ----------------------------------------------------------------- observe
COUNT_TABLES="users workspaces memberships documents passages passage_embeddings ask_threads ask_messages audit_events"
counts() {
  sql "SELECT string_agg(format('%s=%s', t, (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I', t), false, true, '')))[1]::text), ' ' ORDER BY t)
    FROM unnest(string_to_array('$COUNT_TABLES', ' ')) AS t WHERE to_regclass(t) IS NOT NULL"
}
search_result() { # the ordered passage ids of a keyword search, via the API when present
  local code
  code=$(api GET "/api/workspaces/$WS/search?q=granite+quarry&mode=keyword&limit=10" -o "$WORK/search.json" -w '%{http_code}')
  if [ "$code" = 200 ]; then
    printf 'api:'
    grep -o '"passageId":"[^"]*"' "$WORK/search.json" | cut -d'"' -f4 | tr '\n' ' '
  else
    printf 'sql:'
    sql "SELECT string_agg(id::text, ' ' ORDER BY r DESC, id) FROM (SELECT id, ts_rank(tsv, q) AS r FROM passages, websearch_to_tsquery('english', 'granite quarry') q WHERE workspace_id = '$WS' AND tsv @@ q) s"
  fi
}
file_hashes() { # sha256 of each document's original bytes, downloaded through the app when it can
  local id code out=""
  for id in "${DOC_IDS[@]}"; do
    code=$(api GET "/api/workspaces/$WS/documents/$id/file" -o "$WORK/dl" -w '%{http_code}')
    [ "$code" = 200 ] || { out=""; break; }
    out+="$(sha256sum <"$WORK/dl" | cut -c1-16) "
  done
  if [ -n "$out" ]; then printf 'download:%s' "$out"; return; fi
  # No download route in this build: hash what the web_data volume holds.
  printf 'volume:'
  compose run --rm --no-deps -T --entrypoint sh web -c 'cd /data && find objects -type f -print0 2>/dev/null | sort -z | xargs -0 -r sha256sum' 2>/dev/null \
    | cut -c1-16 | tr '\n' ' '
}

# ----------------------------------------------------------------- run
log "project $COMPOSE_PROJECT_NAME, https://$DOMAIN via $BIND_IP"
fetch_ca || die "the stack does not answer https://$DOMAIN/api/health via $BIND_IP"
write_data

BEFORE_COUNTS=$(counts)
BEFORE_SEARCH=$(search_result)
BEFORE_FILES=$(file_hashes)
BEFORE_THREAD=$(thread_answer)
log "before: $BEFORE_COUNTS"
log "before: search $BEFORE_SEARCH"
[[ "$BEFORE_SEARCH" =~ [0-9a-f]{8}- ]] || fail "search finds the written passages" "no result for 'granite quarry' before the backup: $BEFORE_SEARCH"

T=$(now_ms)
BACKUP=$(scripts_env BACKUP_DIR="$WORK/backups" BACKUP_KEEP_DAYS=7 bash "$ROOT/docker/backup.sh") || die "backup.sh failed"
BACKUP_MS=$(( $(now_ms) - T ))
[ -f "$BACKUP" ] || die "backup.sh printed no file ($BACKUP)"
figure "backup size" "$(stat -c %s "$BACKUP") bytes ($(du -h "$BACKUP" | cut -f1))"
figure "backup time" "$(secs $BACKUP_MS)s"

log "destroying the stack: docker compose down -v"
compose down -v --timeout 20 >/dev/null 2>&1 || die "compose down -v failed"
left=$(docker volume ls -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME")
[ -z "$left" ] && pass "down -v removed every volume" "none left" || fail "down -v removed every volume" "left: $left"

log "fresh stack: docker compose up -d --wait"
compose up -d --wait --wait-timeout 240 >"$WORK/up.log" 2>&1 || { tail -30 "$WORK/up.log" >&2; die "the fresh stack did not become healthy"; }
fetch_ca || die "the fresh stack does not answer over HTTPS"
EMPTY=$(counts)
log "fresh: $EMPTY"

T=$(now_ms)
scripts_env bash "$ROOT/docker/restore.sh" "$BACKUP" || die "restore.sh failed"
RESTORE_MS=$(( $(now_ms) - T ))
figure "restore time (into the empty stack, until healthy)" "$(secs $RESTORE_MS)s"
fetch_ca || die "the restored stack does not answer over HTTPS"

# The session table came back too, but prove the account itself: sign in again.
rm -f "$WORK/cookies"
code=$(api POST /api/auth/sign-in/email -H 'Content-Type: application/json' -d "{\"email\":\"$ADMIN\",\"password\":\"$PASSWORD\"}" -o /dev/null -w '%{http_code}')
[ "$code" = 200 ] && pass "the restored account signs in" "$ADMIN" || fail "the restored account signs in" "sign-in answered $code"

AFTER_COUNTS=$(counts)
AFTER_SEARCH=$(search_result)
AFTER_FILES=$(file_hashes)
AFTER_THREAD=$(thread_answer)
log "after:  $AFTER_COUNTS"
# audit_events may grow by the sign-in above: compare it as "at least".
for table in $COUNT_TABLES; do
  b=$(tr ' ' '\n' <<<"$BEFORE_COUNTS" | sed -n "s/^$table=//p")
  a=$(tr ' ' '\n' <<<"$AFTER_COUNTS" | sed -n "s/^$table=//p")
  [ -n "$b" ] || continue
  if [ "$table" = audit_events ]; then
    [ "$a" -ge "$b" ] && pass "$table restored" "$b before, $a after (the sign-in above adds events)" || fail "$table restored" "$b before, $a after"
  else
    [ "$a" = "$b" ] && pass "$table restored" "$b rows" || fail "$table restored" "$b before, $a after"
  fi
done
[ "$AFTER_SEARCH" = "$BEFORE_SEARCH" ] && pass "search returns the same result" "$AFTER_SEARCH" || fail "search returns the same result" "before '$BEFORE_SEARCH', after '$AFTER_SEARCH'"
if [ -n "$BEFORE_THREAD" ]; then
  [ "$AFTER_THREAD" = "$BEFORE_THREAD" ] && pass "the conversation reads the same" "answers $AFTER_THREAD" || fail "the conversation reads the same" "before '$BEFORE_THREAD', after '$AFTER_THREAD'"
fi
[ "$AFTER_FILES" = "$BEFORE_FILES" ] && pass "original files are byte-identical" "$AFTER_FILES" || fail "original files are byte-identical" "before '$BEFORE_FILES', after '$AFTER_FILES'"

# G1 survives the restore: pg_restore --no-owner --no-privileges gives every object to the
# owner, and migrate (run by restore.sh's `up`) re-grants the app role before web starts.
foreign=$(sql "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname IN ('public', 'drizzle') AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = current_user)")
[ "$foreign" = 0 ] && pass "restored objects all belong to the owner" "0 tables, indexes or sequences owned by another role" \
  || fail "restored objects all belong to the owner" "$foreign owned by another role"
probe=$(compose exec -T web node --input-type=module - <"$HERE/lib/g1-probe.mjs" 2>&1 | tr -d '\r')
role_line=$(grep '^role ok ' <<<"$probe" | head -1)
refusals=$(grep -cE '^(update|delete|truncate) refused 42501 permission denied for table audit_events|^(drop-trigger|disable-trigger|drop-function|create-table) refused 42501 ' <<<"$probe")
if grep -q 'superuser=false owns=0' <<<"$role_line" && grep -q '^insert ok' <<<"$probe" && grep -q '^select ok [1-9]' <<<"$probe" && [ "$refusals" = 7 ]; then
  pass "after the restore web's role keeps its grants (G1)" "${role_line#role ok }; INSERT/SELECT ok; UPDATE, DELETE, TRUNCATE, DROP/DISABLE TRIGGER, DROP FUNCTION, CREATE TABLE refused"
else
  fail "after the restore web's role keeps its grants (G1)" "$(tr '\n' ';' <<<"$probe" | head -c 600)"
fi

out=$(scripts_env bash "$ROOT/docker/restore.sh" "$BACKUP" 2>&1) && fail "restore refuses a non-empty database without --force" "it ran" \
  || { grep -q 'already holds data' <<<"$out" && pass "restore refuses a non-empty database without --force" "$(grep -o 'the database already holds data[^.]*' <<<"$out" | head -1)" || fail "restore refuses a non-empty database without --force" "$(tail -2 <<<"$out")"; }

figure "documents written via" "$DOCS_VIA"
[ "$FAILED" = 0 ] && log "backup round trip: all checks passed" || log "backup round trip: FAILED"
exit "$FAILED"
