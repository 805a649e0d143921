# shellcheck shell=bash
# Scale-out (issue 16): web ×2 and worker ×2 on one PostgreSQL, behind Caddy. Sourced by run.sh after
# the other checks; uses compose(), https(), psql_in() and the result helpers from checks.sh.
#
#   - ingest throughput of a batch with 2 workers, then 1 (documents/s, MB/s);
#   - search p95 through Caddy with 2 web replicas, then 1, under the same bounded load;
#   - a batch uploaded, then one worker killed (SIGKILL) and one web replica stopped mid-ingest while
#     searches run through Caddy: every document ends ready, no search fails;
#   - the same search through either replica directly gives the same results; a session, an
#     invitation and the sign-in attempt limit made on one replica hold on the other.

SCALE_DOCS=${QUARRY_STACK_SCALE_DOCS:-24}
SCALE_LOAD_SECONDS=${QUARRY_STACK_SCALE_LOAD_SECONDS:-20}

scale_node() { bounded 400 node "$HERE/scale-out.mjs" "$DOMAIN" "$BIND_IP" "$WORK/root.crt" "$WORK/scale-state.json" "$@"; }
jfield() { node -e 'const o=JSON.parse(require("fs").readFileSync(0,"utf8"));const v=process.argv[1].split(".").reduce((a,k)=>a?.[k],o);process.stdout.write(typeof v==="object"?JSON.stringify(v):String(v??""))' "$1"; }
scale_to() { # web workers
  bounded 300 compose up -d --wait --wait-timeout 240 --scale web="$1" --scale worker="$2" >"$WORK/scale-up.log" 2>&1 || {
    tail -30 "$WORK/scale-up.log" >&2
    return 1
  }
}
replicas() { compose ps -q "$1" 2>/dev/null | sort; }
# A request from inside a web replica, straight to its own port, with the image's own Node (it has no wget or
# curl). Options: --header 'Name: value' (repeatable), --post-data BODY (POST), --status (print the status code,
# not the body). Without --status a non-2xx answer prints nothing and fails, as `wget -qO-` did.
REPLICA_HTTP='const [path, ...a] = process.argv.slice(1); const headers = {}; let body; let status = false;
for (let i = 0; i < a.length; i++) {
  if (a[i] === "--header") { const h = a[++i]; const k = h.indexOf(":"); headers[h.slice(0, k).trim()] = h.slice(k + 1).trim(); }
  else if (a[i] === "--post-data") body = a[++i];
  else if (a[i] === "--status") status = true;
}
fetch("http://127.0.0.1:2000" + path, { method: body === undefined ? "GET" : "POST", headers, body, signal: AbortSignal.timeout(15000) })
  .then(async (r) => { if (status) process.stdout.write(String(r.status)); else if (r.ok) process.stdout.write(await r.text()); else process.exitCode = 1; })
  .catch(() => process.exit(1));'
in_replica() { # container path [--header H]… [--post-data BODY] [--status]
  local c=$1 path=$2; shift 2
  docker exec "$c" node -e "$REPLICA_HTTP" "$path" "$@" 2>/dev/null
}

# An ingest batch: upload, then wait until every document is ready; prints "docs bytes seconds".
ingest_batch() { # tag
  local up ids bytes t0 ready ms
  up=$(scale_node upload "$SCALE_DOCS" "$1") || { echo "upload failed: ${up:0:300}" >&2; return 1; }
  ids=$(jfield ids <<<"$up" | tr -d '[]"' | tr ',' ' ')
  bytes=$(jfield bytes <<<"$up")
  t0=$(jfield startedAt <<<"$up")
  # shellcheck disable=SC2086
  ready=$(scale_node wait-ready 300 $ids)
  [ "$(jfield ok <<<"$ready")" = true ] || { echo "not all ready: $(jfield counts <<<"$ready")" >&2; return 1; }
  ms=$(( $(jfield finishedAt <<<"$ready") - t0 ))
  echo "$SCALE_DOCS $bytes $ms"
}
rate() { # docs bytes ms -> "x.xx docs/s, y.yy MB/s"
  awk -v d="$1" -v b="$2" -v ms="$3" 'BEGIN { s = ms / 1000; printf "%.2f documents/s, %.3f MB/s (%d documents, %.2f MB in %.1f s)", d / s, b / 1e6 / s, d, b / 1e6, s }'
}

check_scale_out() {
  log "scale-out: fresh volumes, web ×2 and worker ×2"
  bounded 120 compose down -v --timeout 10 >/dev/null 2>&1
  local t0
  t0=$(now_ms)
  if ! scale_to 2 2; then fail "scale-out: web ×2 and worker ×2 healthy" "compose up --scale failed"; return; fi
  wait_https "scale-out" || return
  local webs workers
  webs=$(replicas web | wc -l)
  workers=$(compose ps -q worker | wc -l)
  expect "scale-out: web ×2 and worker ×2 running" "web $webs, worker $workers, healthy after $(secs_since_ms "$t0")s" test "$webs" = 2 -a "$workers" = 2
  local setup
  setup=$(scale_node setup "admin@$DOMAIN" "$APP_PASSWORD")
  [ "$(jfield ok <<<"$setup")" = true ] || { fail "scale-out: sign-up and API key" "${setup:0:300}"; return; }

  # --- shared state across replicas: a session, an invitation, the attempt limit, an API key.
  local w1 w2 cookie
  w1=$(replicas web | sed -n 1p)
  w2=$(replicas web | sed -n 2p)
  cookie=$(jfield cookie <"$WORK/scale-state.json")
  local me1 me2
  me1=$(in_replica "$w1" /api/me --header "Cookie: $cookie" | jfield user.email)
  me2=$(in_replica "$w2" /api/me --header "Cookie: $cookie" | jfield user.email)
  expect "scale-out: one session cookie works on both replicas" "replica 1: ${me1:-refused}, replica 2: ${me2:-refused}" test "$me1" = "admin@$DOMAIN" -a "$me2" = "admin@$DOMAIN"
  local inv token looked
  inv=$(in_replica "$w1" /api/admin/invitations --header "Cookie: $cookie" --header "Origin: https://$DOMAIN" --header 'Content-Type: application/json' \
    --post-data '{"email":"invitee@quarry.test"}')
  token=$(jfield token <<<"$inv")
  looked=$(in_replica "$w2" "/api/invitations/$token" | jfield email)
  expect "scale-out: an invitation made on replica 1 is found on replica 2" "lookup on replica 2: ${looked:-not found}" test "$looked" = invitee@quarry.test
  local i codes="" code
  for i in 1 2 3 4 5 6; do
    # Wrong passwords for one account, alternating replicas: the 6th is over the limit of 5 wherever it lands.
    local target=$w1
    [ $((i % 2)) = 0 ] && target=$w2
    code=$(in_replica "$target" /api/auth/sign-in/email --status --header "Origin: https://$DOMAIN" --header 'Content-Type: application/json' \
      --post-data "{\"email\":\"invitee@quarry.test\",\"password\":\"wrong-$i\"}")
    codes="$codes$code "
  done
  expect "scale-out: the sign-in limit counts across replicas" "attempts 1–6, alternating replicas: $codes(5 refusals, then 429)" test "$(awk '{print $6}' <<<"$codes")" = 429

  # --- ingest throughput: 2 workers, then 1, same batch size. A small batch first, not measured: each
  # worker loads (and the first builds) the embedding model on its first document.
  local two one
  SCALE_DOCS=4 ingest_batch warm-up >/dev/null || { fail "scale-out: warm-up batch" "did not finish"; return; }
  if two=$(ingest_batch two-workers); then figure "ingest with 2 workers" "$(rate $two)"; else fail "scale-out: ingest with 2 workers" "batch did not finish"; return; fi
  scale_to 2 1 || { fail "scale-out: scale worker to 1" "compose failed"; return; }
  if one=$(ingest_batch one-worker); then figure "ingest with 1 worker" "$(rate $one)"; else fail "scale-out: ingest with 1 worker" "batch did not finish"; return; fi
  pass "scale-out: ingest batches end ready with 2 and with 1 worker" "2 workers: $(rate $two); 1 worker: $(rate $one)"

  # --- what each service holds now (docs/scaling.md): memory and CPU per container, disk per passage.
  docker stats --no-stream --format '{{.Name}} {{.CPUPerc}} {{.MemUsage}}' $(compose ps -q) >"$WORK/stats.txt" 2>/dev/null
  figure "container memory after ingest (docker stats)" "$(awk '{printf "%s %s %s; ", $1, $3, $2}' "$WORK/stats.txt" | sed 's/quarry-stacktest-//g')"
  local disk
  disk=$(psql_in "SELECT (SELECT count(*) FROM passages) || ' passages; passages+search_terms+passage_embeddings (heap, TOAST, indexes): ' ||
    pg_size_pretty(pg_total_relation_size('passages') + pg_total_relation_size('search_terms') + pg_total_relation_size('passage_embeddings')) ||
    '; per 100k passages: ' || pg_size_pretty(((pg_total_relation_size('passages') + pg_total_relation_size('search_terms') + pg_total_relation_size('passage_embeddings')) * 100000 / greatest(1, (SELECT count(*) FROM passages)))::bigint) ||
    '; whole database: ' || pg_size_pretty(pg_database_size(current_database()))" | tr -d '\r')
  figure "PostgreSQL disk after the batches" "$disk"

  # --- search p95 through Caddy: 2 web replicas, then 1, same bounded load.
  local load2 load1
  # Not measured: each replica loads the query embedder and builds its in-memory search copies on its
  # first searches (round robin reaches both).
  scale_node load 10 4 >/dev/null
  load2=$(scale_node load "$SCALE_LOAD_SECONDS" 8)
  scale_to 1 1 || { fail "scale-out: scale web to 1" "compose failed"; return; }
  sleep 6 # Caddy re-reads the replicas every 5 s
  load1=$(scale_node load "$SCALE_LOAD_SECONDS" 8)
  figure "search through Caddy, 2 web replicas (8 clients, ${SCALE_LOAD_SECONDS}s)" "p50 $(jfield p50 <<<"$load2") ms, p95 $(jfield p95 <<<"$load2") ms, $(jfield perSecond <<<"$load2") req/s, failures $(jfield failures <<<"$load2")"
  figure "search through Caddy, 1 web replica (8 clients, ${SCALE_LOAD_SECONDS}s)" "p50 $(jfield p50 <<<"$load1") ms, p95 $(jfield p95 <<<"$load1") ms, $(jfield perSecond <<<"$load1") req/s, failures $(jfield failures <<<"$load1")"

  # --- failure mid-ingest: a batch in flight, one worker killed, one web replica stopped, searches running.
  scale_to 2 2 || { fail "scale-out: back to web ×2, worker ×2" "compose failed"; return; }
  sleep 6
  local up ids loadpid victim_worker victim_web
  up=$(scale_node upload "$SCALE_DOCS" failover) || { fail "scale-out: failover batch uploaded" "${up:0:300}"; return; }
  ids=$(jfield ids <<<"$up" | tr -d '[]"' | tr ',' ' ')
  scale_node load 25 4 >"$WORK/failover-load.json" &
  loadpid=$!
  sleep 0.5
  victim_worker=$(compose ps -q worker | head -1)
  victim_web=$(replicas web | head -1)
  docker kill -s KILL "$victim_worker" >/dev/null
  # What was still to do at the kill: 0 would mean the batch finished first and nothing was exercised.
  local pending
  pending=$(psql_in "SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')" | tr -d '\r ')
  docker stop -t 20 "$victim_web" >/dev/null
  log "scale-out: killed worker ${victim_worker:0:12} (SIGKILL), stopped web ${victim_web:0:12} (SIGTERM) mid-ingest"
  wait "$loadpid"
  local failover ready
  failover=$(cat "$WORK/failover-load.json")
  expect "scale-out: no search fails while a web replica stops (through Caddy)" \
    "$(jfield requests <<<"$failover") searches in 25 s, $(jfield failures <<<"$failover") failed $(jfield firstFailures <<<"$failover"), p95 $(jfield p95 <<<"$failover") ms" \
    test "$(jfield failures <<<"$failover")" = 0 -a "$(jfield requests <<<"$failover")" -gt 0
  # shellcheck disable=SC2086
  ready=$(scale_node wait-ready 300 $ids)
  expect "scale-out: every document ends ready after a worker was killed mid-ingest" \
    "${pending:-?} jobs queued or running at the kill; $(jfield counts <<<"$ready") after $(( $(jfield ms <<<"$ready") / 1000 ))s (a killed worker's lease expires after 60 s)" \
    test "$(jfield ok <<<"$ready")" = true -a "${pending:-0}" -gt 0

  # --- the same search through either replica, straight to each one's port.
  scale_to 2 1 || { fail "scale-out: web back to ×2" "compose failed"; return; }
  w1=$(replicas web | sed -n 1p)
  w2=$(replicas web | sed -n 2p)
  local key ws q r1 r2 n1
  key=$(jfield key <"$WORK/scale-state.json")
  ws=$(jfield ws <"$WORK/scale-state.json")
  for q in granite%20dust basalt%20cracks limestone%20kiln; do
    # tookMs differs by nature; everything else (ids, scores, snippets, order) must not.
    r1=$(in_replica "$w1" "/api/workspaces/$ws/search?q=$q&limit=20" --header "x-api-key: $key" | sed 's/"tookMs":[0-9.]*//')
    r2=$(in_replica "$w2" "/api/workspaces/$ws/search?q=$q&limit=20" --header "x-api-key: $key" | sed 's/"tookMs":[0-9.]*//')
    n1=$(grep -o '"passageId"' <<<"$r1" | wc -l)
    if [ -n "$r1" ] && [ "$r1" = "$r2" ] && [ "$n1" -gt 0 ]; then
      pass "scale-out: search \"${q/\%20/ }\" identical through either replica" "$n1 hits, byte-identical JSON (tookMs aside)"
    else
      fail "scale-out: search \"${q/\%20/ }\" identical through either replica" "replica 1: ${#r1} bytes / $n1 hits, replica 2: ${#r2} bytes"
    fi
  done
}
