# Ensures a Docker engine, compose v2 and buildx. Sourced by run.sh.
# Idempotent: reuses a running engine and plugins already unpacked.
# shellcheck shell=bash

STARTED_DOCKERD_PID=""

ensure_engine() {
  local need_apt=()
  command -v dockerd >/dev/null 2>&1 || need_apt+=(docker.io)
  command -v debootstrap >/dev/null 2>&1 || need_apt+=(debootstrap)
  command -v iptables >/dev/null 2>&1 || need_apt+=(iptables)
  command -v curl >/dev/null 2>&1 || need_apt+=(curl)
  command -v ss >/dev/null 2>&1 || need_apt+=(iproute2)
  if [ ${#need_apt[@]} -gt 0 ]; then
    log "installing ${need_apt[*]} with apt-get"
    bounded 300 apt-get update -q >/dev/null || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive bounded 600 apt-get install -y -q --no-install-recommends "${need_apt[@]}" >/dev/null \
      || die "apt-get install ${need_apt[*]} failed"
  fi
  command -v docker >/dev/null 2>&1 || die "no docker client after installing docker.io"

  if ! docker info >/dev/null 2>&1; then
    log "starting dockerd (log: $STACK_CACHE/dockerd.log)"
    dockerd >"$STACK_CACHE/dockerd.log" 2>&1 &
    STARTED_DOCKERD_PID=$!
    local i
    for i in $(seq 1 60); do
      docker info >/dev/null 2>&1 && break
      kill -0 "$STARTED_DOCKERD_PID" 2>/dev/null || die "dockerd exited; see $STACK_CACHE/dockerd.log"
      sleep 1
    done
    docker info >/dev/null 2>&1 || die "dockerd did not answer within 60 s"
  fi

  if ! docker compose version >/dev/null 2>&1 || ! docker buildx version >/dev/null 2>&1; then
    install_plugins
  fi
  docker compose version >/dev/null 2>&1 || die "docker compose plugin unavailable"
  docker buildx version >/dev/null 2>&1 || die "docker buildx plugin unavailable"
  export DOCKER_BUILDKIT=1
}

# compose v2 and buildx from Debian trixie, downloaded with apt from the mirror
# that this machine's apt sources name, unpacked into ~/.docker/cli-plugins.
install_plugins() {
  local mirror dir
  mirror=$(debian_mirror)
  dir="$STACK_CACHE/apt-trixie"
  mkdir -p "$dir/lists/partial" "$dir/archives/partial" "$dir/debs"
  printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s trixie main\n' "$mirror" >"$dir/sources.list"
  local aptopts=(-o "Dir::Etc::SourceList=$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache::Archives=$dir/archives" -o APT::Sandbox::User=root)
  log "downloading docker-compose and docker-buildx from Debian trixie"
  bounded 300 apt-get -q "${aptopts[@]}" update >/dev/null || die "apt-get update (trixie) failed"
  (cd "$dir/debs" && bounded 300 apt-get -q "${aptopts[@]}" download docker-compose docker-buildx >/dev/null) \
    || die "apt-get download docker-compose docker-buildx failed"
  rm -rf "$dir/x" && mkdir -p "$dir/x" "$HOME/.docker/cli-plugins"
  local deb
  for deb in "$dir"/debs/*.deb; do dpkg-deb -x "$deb" "$dir/x"; done
  cp "$dir"/x/usr/libexec/docker/cli-plugins/docker-* "$HOME/.docker/cli-plugins/"
}

stop_started_engine() {
  if [ -n "$STARTED_DOCKERD_PID" ] && kill -0 "$STARTED_DOCKERD_PID" 2>/dev/null; then
    log "stopping the dockerd this test started (pid $STARTED_DOCKERD_PID)"
    kill "$STARTED_DOCKERD_PID"
    local i
    for i in $(seq 1 30); do kill -0 "$STARTED_DOCKERD_PID" 2>/dev/null || break; sleep 1; done
  fi
}
