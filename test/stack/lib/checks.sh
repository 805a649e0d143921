# The stack test's checks. Sourced by run.sh, which defines compose, PROJECT,
# DOMAIN, BIND_IP, WORK, WEB_IMAGE and the stand-in image variables.
# Every wait below is a loop bounded in count and time; every probe targets
# loopback or a container this test created.
# shellcheck shell=bash

RES_NAME=() RES_STATUS=() RES_DETAIL=()
FIG_NAME=() FIG_VALUE=()

result() { # name PASS|FAIL|SKIP detail
  RES_NAME+=("$1") RES_STATUS+=("$2") RES_DETAIL+=("$3")
  log "$2  $1 — $3"
}
pass() { result "$1" PASS "$2"; }
fail() { result "$1" FAIL "$2"; }
skip() { result "$1" SKIP "$2"; }
expect() { # name detail command... : PASS when the command succeeds
  local name=$1 detail=$2; shift 2
  if "$@"; then pass "$name" "$detail"; else fail "$name" "$detail"; fi
}
figure() { FIG_NAME+=("$1") FIG_VALUE+=("$2"); log "figure: $1 = $2"; }

cid() { compose ps -q "$1" 2>/dev/null | head -1; }
now_ms() { date +%s%3N; }
secs_since_ms() { local d=$(( $(now_ms) - $1 )); printf '%d.%01d' $((d / 1000)) $(((d % 1000) / 100)); }

# curl through Caddy exactly as a client on the host would: TLS verified
# against Caddy's internal root CA, the test domain resolved to the bind IP.
https() { # path [curl args...]
  local path=$1; shift
  curl -sS --max-time 10 --cacert "$WORK/root.crt" --resolve "$DOMAIN:443:$BIND_IP" "$@" "https://$DOMAIN$path"
}
https_status() { https "$1" -o /dev/null -w '%{http_code}' "${@:2}" 2>/dev/null || true; }

# Runs a command inside the network namespace of a container, in a throwaway
# container from the base stand-in (bash, coreutils), so probes do not depend
# on what the production images contain.
in_netns() { # container cmd...
  local target=$1; shift
  docker run --rm --network "container:$target" --label org.quarry.test-only=true "$BASE_STANDIN" "$@"
}
tcp_open() { # container ip port -> 0 if a TCP connection succeeds within 3 s
  in_netns "$1" timeout 3 bash -c "exec 3<>/dev/tcp/$2/$3" >/dev/null 2>&1
}
ip_on() { # container network -> IPv4 address
  docker inspect -f "{{with index .NetworkSettings.Networks \"$2\"}}{{.IPAddress}}{{end}}" "$1"
}

# ---------------------------------------------------------------------------
stack_up() { # label
  local label=$1 t0
  UP_SINCE=$(date +%s.%N)
  t0=$(now_ms)
  log "$label: docker compose up -d --wait"
  if ! bounded 420 compose up -d --wait --wait-timeout 360 >"$WORK/up.log" 2>&1; then
    cat "$WORK/up.log" >&2
    compose ps -a >&2
    compose logs --no-color --tail 80 >&2
    fail "$label: all services healthy" "compose up --wait failed"
    return 1
  fi
  UP_SECONDS=$(secs_since_ms "$t0")
  figure "$label: up -> all healthy" "${UP_SECONDS}s"
  wait_https "$label" || return 1
}

# Caddy's internal CA and the site certificate appear shortly after start.
wait_https() {
  local label=$1 i code=""
  for i in $(seq 1 60); do
    if docker cp "$(cid caddy):/data/caddy/pki/authorities/local/root.crt" "$WORK/root.crt" >/dev/null 2>&1; then
      code=$(https_status /api/health)
      [ "$code" = 200 ] && return 0
    fi
    sleep 1
  done
  fail "$label: HTTPS ready" "no 200 from https://$DOMAIN/api/health within 60 s (last: ${code:-no answer})"
  compose logs --no-color --tail 40 caddy web >&2
  return 1
}

# 1. postgres healthy before web started; web healthy before caddy started.
check_health_order() {
  local events
  events=$(bounded 30 docker events --since "$UP_SINCE" --until "$(date +%s.%N)" \
    --filter "label=com.docker.compose.project=$PROJECT" --filter type=container \
    --format '{{.TimeNano}} {{.Action}}|{{index .Actor.Attributes "com.docker.compose.service"}}')
  first() { awk -v want="$1" '{ t=$1; $1=""; sub(/^ /,""); if ($0==want) { print t; exit } }' <<<"$events"; }
  local pg_healthy web_start web_healthy caddy_start
  pg_healthy=$(first 'health_status: healthy|postgres')
  web_start=$(first 'start|web')
  web_healthy=$(first 'health_status: healthy|web')
  caddy_start=$(first 'start|caddy')
  if [ -z "$pg_healthy" ] || [ -z "$web_start" ] || [ -z "$web_healthy" ] || [ -z "$caddy_start" ]; then
    fail "health cascade order" "missing events (pg healthy '$pg_healthy', web start '$web_start', web healthy '$web_healthy', caddy start '$caddy_start')"
    return
  fi
  local base
  base=$(awk 'NR==1{print $1}' <<<"$events")
  rel() { awk -v a="$1" -v b="$base" 'BEGIN{printf "%.1fs", (a-b)/1e9}'; }
  # The one-shot migrate service (migrations as the owner, then the app role) ran to exit 0 in between.
  local mig_start mig_die mig_code
  mig_start=$(first 'start|migrate')
  mig_die=$(first 'die|migrate')
  mig_code=$(docker inspect -f '{{.State.ExitCode}}' "$(compose ps -a -q migrate 2>/dev/null | head -1)" 2>/dev/null)
  local timeline="postgres healthy $(rel "$pg_healthy") < migrate $(rel "${mig_start:-0}")..$(rel "${mig_die:-0}") exit ${mig_code:-?} < web started $(rel "$web_start"); web healthy $(rel "$web_healthy") < caddy started $(rel "$caddy_start")"
  if [ -n "$mig_start" ] && [ -n "$mig_die" ] && [ "$mig_code" = 0 ] && [ "$pg_healthy" -lt "$mig_start" ] && [ "$mig_die" -lt "$web_start" ] &&
    [ "$pg_healthy" -lt "$web_start" ] && [ "$web_healthy" -lt "$caddy_start" ]; then
    pass "health cascade order" "$timeline"
  else
    fail "health cascade order" "$timeline"
  fi
  # Cross-check with the containers' own start times (RFC 3339, sortable).
  local s_web s_caddy
  s_web=$(docker inspect -f '{{.State.StartedAt}}' "$(cid web)")
  s_caddy=$(docker inspect -f '{{.State.StartedAt}}' "$(cid caddy)")
  expect "StartedAt: web before caddy" "web $s_web, caddy $s_caddy" test "$s_web" \< "$s_caddy"
}

# 1b. G1 (docs/security.md): web serves as a role that owns nothing and may only
# add to and read the audit log; migrate applied the migrations as the owner first.
# The probe runs in the web container with web's own DATABASE_URL.
g1_probe() { compose exec -T web node --input-type=module - <"$HERE/lib/g1-probe.mjs" 2>&1 | tr -d '\r'; }
g1_judge() { # label-prefix probe-output: one PASS/FAIL per promise
  local p=$1 out=$2 line name
  line=$(grep '^role ok ' <<<"$out" | head -1)
  if [ -n "$line" ] && ! grep -q '^role ok quarry ' <<<"$line" && grep -q 'superuser=false owns=0 audit_events_owner=quarry$' <<<"$line"; then
    pass "${p}web's database role owns nothing" "${line#role ok }"
  else
    fail "${p}web's database role owns nothing" "${line:-no answer: $(head -c 300 <<<"$out")}"
  fi
  line=$(grep -E '^(insert|select) ' <<<"$out" | tr '\n' ';')
  expect "${p}web role: INSERT and SELECT on audit_events work" "$line" grep -qE '^insert ok;select ok [1-9]' <<<"$line"
  for name in update delete truncate; do
    line=$(grep "^$name " <<<"$out" | head -1)
    # 42501 "permission denied": the grants refuse it, before the append-only trigger is reached.
    expect "${p}web role: ${name^^} on audit_events refused" "${line:-no line}" grep -qE "^$name refused 42501 permission denied for table audit_events" <<<"$line"
  done
  for name in drop-trigger disable-trigger drop-function create-table; do
    line=$(grep "^$name " <<<"$out" | head -1)
    expect "${p}web role: ${name/-/ } refused" "${line:-no line}" grep -qE "^$name refused 42501 " <<<"$line"
  done
}
check_db_roles() {
  local out
  out=$(compose logs --no-color migrate 2>/dev/null | sed 's/^[^|]*| //' | grep -E '^(migrations:|app role )' | tr '\n' ' ')
  expect "migrate applied migrations as the owner and made the app role" "${out:-no migrate log}" \
    grep -qE 'migrations: [1-9][0-9]* applied.*app role quarry_web: created' <<<"$out"
  out=$(g1_probe)
  g1_judge "" "$out"
}

# An install from before G1 (web connected as the owner; no app role) upgrades with
# one `up`: migrate creates the role, web comes back as it. Simulated by dropping the role.
check_upgrade_creates_role() {
  log "G1 upgrade: stop web, drop the app role, docker compose up -d --wait"
  bounded 60 compose stop web caddy >/dev/null 2>&1
  psql_in "DROP OWNED BY quarry_web; DROP ROLE quarry_web;" >/dev/null
  local gone
  gone=$(psql_in "SELECT count(*) FROM pg_roles WHERE rolname = 'quarry_web';")
  if ! bounded 300 compose up -d --wait --wait-timeout 240 >"$WORK/up-g1.log" 2>&1; then
    tail -30 "$WORK/up-g1.log" >&2
    fail "upgrade without the app role: one up makes it" "compose up --wait failed"
    return
  fi
  wait_web_back || { fail "upgrade without the app role: one up makes it" "web not back within 90 s"; return; }
  local out back
  back=$(psql_in "SELECT count(*) FROM pg_roles WHERE rolname = 'quarry_web' AND NOT rolsuper;")
  out=$(compose logs --no-color migrate 2>/dev/null | sed 's/^[^|]*| //' | grep -E '^app role ' | tail -1)
  expect "upgrade without the app role: one up makes it" "quarry_web rows: $gone before, $back after; migrate: ${out:-no log}; web healthy as it, /api/health 200" \
    test "$gone" = 0 -a "$back" = 1
}

# 2. No published port for postgres or web; caddy on the bind IP only.
check_ports() {
  local svc out
  for svc in postgres web; do
    out=$(docker port "$(cid "$svc")" 2>&1)
    expect "$svc publishes no host port" "docker port: ${out:-none}" test -z "$out"
  done
  out=$(docker port "$(cid caddy)" | sort | tr '\n' ' ')
  local bad
  bad=$(docker port "$(cid caddy)" | grep -v -- "-> $BIND_IP:" || true)
  if [ -z "$bad" ] && [ "$(docker port "$(cid caddy)" | wc -l)" -eq 3 ]; then
    pass "caddy bound to $BIND_IP only" "$out"
  else
    fail "caddy bound to $BIND_IP only" "$out"
  fi
  # Nothing (Docker's proxy included) listens on 80/443 on any other address.
  local listeners others
  listeners=$(ss -Hlntu | awk '{print $1" "$5}' | grep -E ':(80|443)$' | sort -u | tr '\n' ' ')
  others=$(ss -Hlntu | awk '{print $5}' | grep -E ':(80|443)$' | grep -v "^$BIND_IP:" || true)
  expect "no other listener on :80/:443" "${listeners:-none}" test -z "$others"
  local rc=0
  curl -s --max-time 3 -o /dev/null "https://127.0.0.1:443/" || rc=$?
  expect "nothing on 127.0.0.1:443" "curl exit $rc (7 = connection refused)" test "$rc" -eq 7
}

# 3. Network isolation, probed only between this test's own containers.
check_networks() {
  local net_int="${PROJECT}_internal" net_pub="${PROJECT}_public"
  local pg web caddy
  pg=$(cid postgres) web=$(cid web) caddy=$(cid caddy)
  expect "internal network is internal" "docker network inspect $net_int: Internal=true" \
    test "$(docker network inspect -f '{{.Internal}}' "$net_int")" = true
  local nets
  nets=$(docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' "$pg" | xargs)
  expect "postgres attached only to internal" "networks: $nets" test "$nets" = "$net_int"
  nets=$(docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' "$caddy" | xargs)
  expect "caddy attached only to public" "networks: $nets" test "$nets" = "$net_pub"

  local pg_ip
  pg_ip=$(ip_on "$pg" "$net_int")
  if tcp_open "$web" "$pg_ip" 5432; then
    pass "control: web reaches postgres" "$pg_ip:5432 open from web"
  else
    fail "control: web reaches postgres" "$pg_ip:5432 closed from web: the probes below would prove nothing"
  fi
  if tcp_open "$caddy" "$pg_ip" 5432; then
    fail "caddy cannot reach postgres" "$pg_ip:5432 reachable from caddy"
  else
    local resolves
    resolves=$(in_netns "$caddy" getent hosts postgres 2>/dev/null | awk '{print $1}' | xargs)
    if [ -z "$resolves" ]; then
      pass "caddy cannot reach postgres" "$pg_ip:5432 unreachable; name 'postgres' does not resolve"
    else
      fail "caddy cannot reach postgres" "name 'postgres' resolves to $resolves from caddy"
    fi
  fi

  # No egress from postgres: a listener of ours on `public` only.
  local listener="${PROJECT}-egress-listener" l_ip
  docker run -d --name "$listener" --network "$net_pub" --label org.quarry.test-only=true "$NODE_STANDIN" \
    node -e "require('net').createServer((s) => { s.on('error', () => {}); s.end('pong\n'); }).listen(8080)" >/dev/null
  PROBES+=("$listener")
  l_ip=$(ip_on "$listener" "$net_pub")
  local i reached=''
  # The listener is a fresh node process: up to 30 s on a loaded machine. It ignores socket errors: a probe that
  # connects and goes away resets the connection, and an unhandled ECONNRESET ended the listener (a CI run saw the
  # first probe connect and the next find it closed), after which "no egress" below proved nothing.
  for i in $(seq 1 60); do
    if tcp_open "$caddy" "$l_ip" 8080; then reached=1; break; fi
    sleep 0.5
  done
  if [ -n "$reached" ]; then
    pass "control: caddy reaches a listener on public" "$l_ip:8080 open from caddy"
  else
    fail "control: caddy reaches a listener on public" "$l_ip:8080 closed from caddy: the probe below would prove nothing"
  fi
  if tcp_open "$pg" "$l_ip" 8080; then
    fail "no egress from postgres" "$l_ip:8080 on public reachable from postgres"
  elif tcp_open "$caddy" "$l_ip" 8080; then
    pass "no egress from postgres" "listener $l_ip:8080 on public unreachable from postgres, reachable from caddy right after"
  else
    fail "no egress from postgres" "the listener $l_ip:8080 was gone after the probe: unreachable from caddy too, so this proves nothing"
  fi
  docker rm -f "$listener" >/dev/null 2>&1
}

# 4. HTTPS through Caddy with its internal CA; redirect; HTTP/3 offered.
check_https() {
  local hdr="$WORK/health.headers" body="$WORK/health.json" code
  code=$(https /api/health -D "$hdr" -o "$body" -w '%{http_code}' 2>/dev/null || true)
  expect "HTTPS /api/health via $BIND_IP" "status $code, verified against Caddy's internal root CA; body $(head -c 120 "$body" 2>/dev/null)" \
    test "$code" = 200
  expect "/api/health reports ok" "$(grep -o '"status":"[a-z]*"' "$body" 2>/dev/null | head -1)" grep -q '"status":"ok"' "$body"
  header() { grep -i "^$1:" "$hdr" | head -1 | cut -d: -f2- | tr -d '\r' | sed 's/^ //'; }
  local h
  h=$(header strict-transport-security)
  expect "HSTS" "${h:-missing}" grep -q 'max-age=[1-9]' <<<"$h"
  h=$(header x-content-type-options)
  expect "X-Content-Type-Options" "${h:-missing}" test "$h" = nosniff
  h=$(header referrer-policy)
  expect "Referrer-Policy" "${h:-missing}" test -n "$h"
  h=$(header content-security-policy)
  local n
  n=$(grep -ci '^content-security-policy:' "$hdr")
  expect "Content-Security-Policy (one header)" "$n header(s): ${h:0:60}..." test "$n" = 1 -a -n "$(grep -F "default-src 'self'" <<<"$h")"
  h=$(header server)
  expect "no Server header" "${h:-absent}" test -z "$h"
  h=$(header alt-svc)
  expect "HTTP/3 offered (Alt-Svc)" "${h:-missing}" grep -q 'h3=":443"' <<<"$h"
  local redirect
  redirect=$(curl -sS --max-time 10 --resolve "$DOMAIN:80:$BIND_IP" -o /dev/null -w '%{http_code} %{redirect_url}' "http://$DOMAIN/api/health" 2>&1)
  expect "HTTP redirects to HTTPS" "$redirect" grep -qE "^30[18] https://$DOMAIN/api/health$" <<<"$redirect"
  local tls
  tls=$(https /api/health -o /dev/null -w '%{http_version}' --http2 2>/dev/null)
  expect "HTTP/2 over TLS" "negotiated HTTP/$tls" test "$tls" = 2
  # Search text never reaches Caddy's access log (the request itself does).
  https '/api/health?q=needle-in-the-log-7319&limit=1' -o /dev/null 2>/dev/null || true
  sleep 1
  local logs leaked logged
  logs=$(compose logs --no-color caddy 2>/dev/null)
  leaked=$(grep -c 'needle-in-the-log' <<<"$logs" || true)
  logged=$(grep -c 'limit=1' <<<"$logs" || true)
  expect "access log drops ?q= (search text)" "search text in log: $leaked line(s); the request itself logged: $logged line(s)" \
    test "$leaked" = 0 -a "$logged" -gt 0
}

# 5. The UI is served through Caddy, compressed, and works under the CSP.
check_ui_headers() {
  local page="$WORK/index.html" code
  code=$(https / -o "$page" -w '%{http_code}' 2>/dev/null || true)
  if [ "$code" != 200 ] || ! grep -qi '<html' "$page"; then
    skip "UI served through Caddy" "GET / answered $code (no UI built yet?)"
    return
  fi
  local inline
  inline=$(grep -oiE '<script[^>]*>' "$page" | grep -viE 'src=|type="application/(ld\+)?json"' || true)
  expect "UI index has no inline script (CSP script-src 'self')" "${inline:-none}" test -z "$inline"
  local asset enc
  asset=$(grep -oE '/assets/[^"]+\.js' "$page" | head -1)
  if [ -n "$asset" ]; then
    enc=$(https "$asset" -H 'Accept-Encoding: zstd, gzip' -o /dev/null -D - 2>/dev/null | grep -i '^content-encoding:' | tr -d '\r' | cut -d' ' -f2)
    expect "compression (encode zstd gzip)" "$asset: Content-Encoding ${enc:-none}" grep -qE '^(zstd|gzip)$' <<<"$enc"
  else
    skip "compression (encode zstd gzip)" "no /assets/*.js referenced by index.html"
  fi
}

# 6. Web dies: Caddy never hangs a client. It holds a request for up to 3 s
# (lb_try_duration) trying to reach a web replica, so a crash that the restart
# policy heals within that window is a slow 200, and an outage that lasts longer
# is a 502/503 after ~3 s. Either is honest; a request that runs into curl's
# 5 s limit (code 000) or any other status is not.
caddy_outage() { # want_error(0|1) -> summary; 0 if no request hung and, when want_error=1, a 502/503 came
  local want_error=$1 t0 t code ms i codes="" slowest=0 seen_error=0 bad=0
  t0=$(now_ms)
  for i in $(seq 1 20); do
    t=$(now_ms)
    code=$(https_status /api/health --max-time 5)
    ms=$(( $(now_ms) - t ))
    [ "$ms" -gt "$slowest" ] && slowest=$ms
    codes="$codes $code"
    case "$code" in
      502 | 503) seen_error=1; break ;;
      200) [ "$want_error" = 0 ] && [ $(( $(now_ms) - t0 )) -gt 6000 ] && break ;;
      *) bad=1 ;;
    esac
    sleep 0.1
  done
  echo "statuses:$codes; slowest ${slowest} ms; $(( $(now_ms) - t0 )) ms watched"
  [ "$bad" = 0 ] || return 1
  [ "$slowest" -lt 4500 ] || return 1
  [ "$want_error" = 0 ] || [ "$seen_error" = 1 ]
}
wait_web_back() { # -> 0 once web is healthy and Caddy answers 200 (90 s max)
  local i
  for i in $(seq 1 90); do
    if [ "$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$(cid web)" 2>/dev/null)" = healthy ] &&
      [ "$(https_status /api/health)" = 200 ]; then
      return 0
    fi
    sleep 1
  done
  return 1
}
check_crash_recovery() {
  local web pid restarts0 out t0
  web=$(cid web)
  restarts0=$(docker inspect -f '{{.RestartCount}}' "$web")
  # A crash: SIGKILL to the container's main process (by its PID). `docker kill`
  # is a manual stop to Docker, after which restart policies do not apply.
  pid=$(docker inspect -f '{{.State.Pid}}' "$web")
  kill -KILL "$pid"
  if out=$(caddy_outage 0); then pass "web crashes: Caddy holds or refuses, never hangs" "$out"; else fail "web crashes: Caddy holds or refuses, never hangs" "$out"; fi
  t0=$(now_ms)
  if wait_web_back; then
    pass "restart policy brings web back" "restarts $restarts0 -> $(docker inspect -f '{{.RestartCount}}' "$web"), healthy and 200 via Caddy after $(secs_since_ms "$t0")s"
  else
    fail "restart policy brings web back" "not healthy within 90 s (restarts $(docker inspect -f '{{.RestartCount}}' "$web"))"
    return
  fi

  docker kill "$web" >/dev/null
  if out=$(caddy_outage 1); then pass "docker kill web: Caddy answers 502/503 within its 3 s retry window" "$out"; else fail "docker kill web: Caddy answers 502/503 within its 3 s retry window" "$out"; fi
  t0=$(now_ms)
  bounded 180 compose up -d --wait --wait-timeout 120 >/dev/null 2>&1
  if wait_web_back; then
    pass "after docker kill, compose up -d restores web" "Docker treats kill as a manual stop (no policy restart); back after $(secs_since_ms "$t0")s"
  else
    fail "after docker kill, compose up -d restores web" "not healthy within 90 s"
  fi
}

# A real browser through Caddy: the UI works under the production CSP.
check_browser() {
  local name="UI in Chromium through Caddy: sign-in, no CSP violation"
  if [ ! -x /usr/bin/chromium ] || [ ! -d "$ROOT/node_modules/playwright-core" ]; then
    skip "$name" "needs /usr/bin/chromium and playwright-core (npm ci)"
    return
  fi
  local out shot="$ROOT/test-results/stack/ui-after-sign-in.png"
  mkdir -p "$(dirname "$shot")"
  out=$(cd "$ROOT" && bounded 120 node "$HERE/browser-check.mjs" "$DOMAIN" "$BIND_IP" "admin@$DOMAIN" "$APP_PASSWORD" "$shot" 2>&1 | tail -1)
  if grep -q '"ok":true' <<<"$out"; then pass "$name" "${out:0:220}"; else fail "$name" "${out:0:400}"; fi
}

# 7. Data survives down/up and is gone only with down -v.
APP_PASSWORD="Stack-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
sign_up() {
  https /api/auth/sign-up/email -o "$WORK/signup.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    -H "Origin: https://$DOMAIN" --data "{\"email\":\"admin@$DOMAIN\",\"password\":\"$APP_PASSWORD\",\"name\":\"Stack Test\"}" 2>/dev/null || true
}
sign_in() {
  https /api/auth/sign-in/email -o "$WORK/signin.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    -H "Origin: https://$DOMAIN" --data "{\"email\":\"admin@$DOMAIN\",\"password\":\"$APP_PASSWORD\"}" 2>/dev/null || true
}
psql_in() { compose exec -T postgres psql -X -q -t -A -v ON_ERROR_STOP=1 -U quarry -d quarry -c "$1" 2>&1; }
check_persistence() {
  local mark code app=0
  mark="stack-$(date +%s)-$RANDOM"
  code=$(sign_up)
  if [ "$code" = 200 ]; then
    app=1
    pass "sign-up through the app" "POST /api/auth/sign-up/email as admin@$DOMAIN -> 200"
    check_browser
  else
    skip "sign-up through the app" "POST /api/auth/sign-up/email -> $code ($(head -c 160 "$WORK/signup.json" 2>/dev/null))"
  fi
  psql_in "CREATE TABLE IF NOT EXISTS stacktest_marker (v text); INSERT INTO stacktest_marker VALUES ('$mark');" >/dev/null
  compose exec -T web sh -c "echo $mark > /data/stacktest-marker" >/dev/null 2>&1
  local mounted
  mounted=$(compose exec -T web awk '$5 == "/data" {print $5}' /proc/self/mountinfo 2>/dev/null | tr -d '\r')
  expect "web's /data is a mounted volume" "mountinfo: ${mounted:-no mount at /data}" test "$mounted" = /data
  local rootfs
  rootfs=$(compose exec -T web sh -c 'touch /app/x 2>&1 || true' | tr -d '\r')
  expect "web's root filesystem is read-only" "${rootfs:-writable!}" grep -qi 'read-only' <<<"$rootfs"

  log "docker compose down (volumes kept)"
  bounded 120 compose down --timeout 30 >/dev/null 2>&1
  stack_up "up after down" || return
  local row file
  row=$(psql_in "SELECT v FROM stacktest_marker WHERE v = '$mark';")
  file=$(compose exec -T web cat /data/stacktest-marker 2>/dev/null | tr -d '\r')
  expect "postgres data survives down/up" "row: ${row:-missing}" test "$row" = "$mark"
  expect "web_data survives down/up" "file: ${file:-missing}" test "$file" = "$mark"
  if [ $app = 1 ]; then
    code=$(sign_in)
    expect "user survives down/up (sign-in)" "POST /api/auth/sign-in/email -> $code" test "$code" = 200
  fi

  log "docker compose down -v"
  bounded 120 compose down -v --timeout 30 >/dev/null 2>&1
  local left
  left=$(docker volume ls -q --filter "label=com.docker.compose.project=$PROJECT" | xargs)
  expect "down -v removes the volumes" "left: ${left:-none}" test -z "$left"
  stack_up "up after down -v (fresh volumes)" || return
  row=$(psql_in "SELECT count(*) FROM pg_tables WHERE tablename = 'stacktest_marker';")
  file=$(compose exec -T web sh -c 'cat /data/stacktest-marker 2>/dev/null || echo absent' | tr -d '\r')
  expect "data gone after down -v" "marker table count ${row:-?}, file ${file:-?}" test "$row" = 0 -a "$file" = absent
  if [ $app = 1 ]; then
    code=$(sign_in)
    expect "user gone after down -v" "sign-in -> $code" test "$code" != 200
  fi
}

# 8. The repo's test suite against PostgreSQL 17 + pgvector (the stand-in),
# in a separate throwaway container published on 127.0.0.1 only: the stack's
# own postgres publishes no port, by design.
check_db_suite() {
  if [ -n "${QUARRY_STACK_SKIP_DB_SUITE:-}" ]; then
    skip "test suite against PostgreSQL 17 + pgvector" "QUARRY_STACK_SKIP_DB_SUITE set"
    return
  fi
  local pw port i url
  pw=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
  DBTEST_CONTAINER="${PROJECT}-dbsuite"
  docker rm -f "$DBTEST_CONTAINER" >/dev/null 2>&1
  docker run -d --name "$DBTEST_CONTAINER" --label org.quarry.test-only=true \
    -e POSTGRES_USER=quarry -e POSTGRES_PASSWORD="$pw" -e POSTGRES_DB=quarry_test \
    --tmpfs /var/lib/postgresql/data --shm-size 512m -p 127.0.0.1::5432 "$POSTGRES_STANDIN" >/dev/null
  for i in $(seq 1 60); do
    docker exec "$DBTEST_CONTAINER" pg_isready -h 127.0.0.1 -U quarry -d quarry_test >/dev/null 2>&1 && break
    sleep 1
  done
  port=$(docker port "$DBTEST_CONTAINER" 5432/tcp | head -1 | sed 's/.*://')
  url="postgres://quarry:$pw@127.0.0.1:$port/quarry_test"
  local versions
  versions=$(docker exec "$DBTEST_CONTAINER" psql -X -t -A -U quarry -d quarry_test \
    -c "CREATE EXTENSION IF NOT EXISTS vector; SELECT current_setting('server_version') || ' + pgvector ' || extversion FROM pg_extension WHERE extname = 'vector';" 2>&1 | tail -1)
  log "running the test suite with TEST_DATABASE_URL (PostgreSQL $versions on 127.0.0.1:$port)"
  local t0 rc=0 args=()
  # The test files that use TEST_DATABASE_URL (directly or through
  # test/support/databases.ts); QUARRY_STACK_DB_TESTS overrides ("all" = whole suite).
  if [ -n "${QUARRY_STACK_DB_TESTS:-}" ]; then
    [ "$QUARRY_STACK_DB_TESTS" = all ] || read -r -a args <<<"$QUARRY_STACK_DB_TESTS"
  else
    mapfile -t args < <(cd "$ROOT" && grep -rlE --include='*.test.ts' --include='*.test.tsx' --exclude-dir=node_modules \
      'TEST_DATABASE_URL|support/databases' apps packages test 2>/dev/null | sort)
  fi
  log "test files: ${args[*]:-all}"
  t0=$(now_ms)
  (cd "$ROOT" && TEST_DATABASE_URL="$url" bounded 900 npx vitest run "${args[@]}" >"$WORK/db-suite.log" 2>&1) || rc=$?
  local summary
  summary=$(sed 's/\x1b\[[0-9;]*m//g' "$WORK/db-suite.log" | grep -E '^\s*(Test Files|Tests)\s' | xargs)
  if [ $rc -eq 0 ]; then
    pass "test suite against PostgreSQL $versions" "${#args[@]} files: $summary ($(secs_since_ms "$t0")s)"
  else
    tail -60 "$WORK/db-suite.log" | sed 's/\x1b\[[0-9;]*m//g' >&2
    fail "test suite against PostgreSQL $versions" "exit $rc: ${summary:-see log above}"
  fi
  docker rm -f "$DBTEST_CONTAINER" >/dev/null 2>&1
  DBTEST_CONTAINER=""
}

image_figures() {
  local img
  for img in "$WEB_IMAGE" "$POSTGRES_STANDIN" "$NODE_STANDIN" "$CADDY_STANDIN"; do
    figure "image $img" "$(docker image inspect -f '{{.Size}}' "$img" 2>/dev/null | awk '{printf "%.0f MB", $1/1e6}')"
  done
  local web base
  web=$(docker image inspect -f '{{.Size}}' "$WEB_IMAGE" 2>/dev/null || echo 0)
  base=$(docker image inspect -f '{{.Size}}' "$NODE_STANDIN" 2>/dev/null || echo 0)
  figure "web image above its Node base" "$(( (web - base) / 1000000 )) MB (production node_modules + dist)"
  # Each layer of the web image, newest first (docs/benchmarks.md quotes it): what each Dockerfile step adds.
  docker history --no-trunc --format '{{.Size}}\t{{.CreatedBy}}' "$WEB_IMAGE" 2>/dev/null \
    | awk -F'\t' '{ c = $2; gsub(/[ \t]+/, " ", c); print $1 "\t" substr(c, 1, 160) }' >"$WORK/web-history.txt"
  log "web image layers (docker history, newest first):"
  sed 's/^/    /' "$WORK/web-history.txt" >&2
  if [ -n "${QUARRY_STACK_HISTORY_OUT:-}" ]; then cp "$WORK/web-history.txt" "$QUARRY_STACK_HISTORY_OUT"; fi
}

print_results() {
  image_figures
  figure "stack test total" "$(( $(date +%s) - T_START ))s"
  local i passed=0 failed=0 skipped=0 w=10
  for i in "${!RES_NAME[@]}"; do [ ${#RES_NAME[$i]} -gt $w ] && w=${#RES_NAME[$i]}; done
  echo
  echo "== Quarry stack test: docker/docker-compose.prod.yml on stand-in images =="
  printf '%-6s %-*s %s\n' RESULT "$w" CHECK DETAIL
  for i in "${!RES_NAME[@]}"; do
    printf '%-6s %-*s %s\n' "${RES_STATUS[$i]}" "$w" "${RES_NAME[$i]}" "${RES_DETAIL[$i]}"
    case "${RES_STATUS[$i]}" in PASS) passed=$((passed + 1)) ;; FAIL) failed=$((failed + 1)) ;; SKIP) skipped=$((skipped + 1)) ;; esac
  done
  echo
  echo "== figures =="
  for i in "${!FIG_NAME[@]}"; do printf '%-45s %s\n' "${FIG_NAME[$i]}" "${FIG_VALUE[$i]}"; done
  echo
  echo "stack: $passed passed, $failed failed, $skipped skipped"
  [ $failed -eq 0 ]
}
