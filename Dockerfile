# souk as one compiled binary on debian-slim.
#
#   docker build -t souk .          # or: docker compose up (compose.yaml)
#   docker run -d --name souk -p 8080:8080 -v souk-data:/data souk      # serve (migrates on start)
#   docker exec souk /app/souk create-admin --email a@example.com --password '…'
#
# Stages: build (npm ci + bun build --compile), base (the runtime files), fly (base, started as
# root only to hand the Fly volume to uid 10001, see below) and runtime (base as uid 10001; the
# last stage, so the default target).

# The base images are build arguments so the image can be built from other sources of the same
# systems (scripts/image-test.sh builds it from a Debian rootfs made with debootstrap):
#   BUILD_IMAGE: Debian bookworm (glibc) with Node.js and npm on the PATH;
#   RUNTIME_IMAGE: Debian bookworm with apt (the runtime stage installs two packages).
ARG BUILD_IMAGE=node:22-bookworm-slim
ARG RUNTIME_IMAGE=debian:bookworm-slim

# Build. The repo pins its toolchain in package-lock.json, Bun included: the `bun` npm package
# installs the matching @oven/bun-linux-<arch> binary, so `npm ci` gives the very Bun that
# development and CI use, and that Bun compiles the binary. (There is no bun.lock, so
# `bun install --frozen-lockfile` is not an option.)
FROM ${BUILD_IMAGE} AS build
WORKDIR /src
ENV CI=true NPM_CONFIG_UPDATE_NOTIFIER=false
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# Only what the binary is built from: the migrations are embedded in src/db/migrations.gen.ts.
COPY tsconfig.json ./
COPY scripts/build.ts ./scripts/
COPY src ./src
# package.json's build script (scripts/build.ts), so the binary has every entry point it needs (the
# CLI, the WAL checkpointer worker, the webhook sender thread: a missing one only shows at run
# time) and libsql's native module embedded.
RUN npm run build
# The binary alone (no source tree, no node_modules) must migrate a fresh database. (Its libSQL
# mode is checked on the runtime image by scripts/image-test.sh: libsql's client wants the system's
# CA certificates even for http:// URLs, and the node slim images have none.)
RUN mkdir /tmp/smoke \
 && cd /tmp/smoke \
 && DATA_DIR=/tmp/smoke/data LOG_LEVEL=warn /src/dist/souk migrate \
 && rm -rf /tmp/smoke

# Runtime files: glibc (the Bun binary links against it); no Node, no npm, no source.
FROM ${RUNTIME_IMAGE} AS base
# ca-certificates: outgoing HTTPS (Stripe, YooKassa, Telegram, Sentry); libsql's client will not
# start without them, even for an http:// DATABASE_URL.
# sqlite3: online backups from inside the container (`sqlite3 /data/souk.db ".backup …"`).
# apt-get clean: the package caches (~90 MB) where the base image does not drop them itself.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates sqlite3 \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 souk \
 && useradd --system --uid 10001 --gid souk --home-dir /data --no-create-home --shell /usr/sbin/nologin souk \
 && mkdir -p /data \
 && chown souk:souk /data
COPY --from=build /src/dist/souk /app/souk
ENV NODE_ENV=production \
    DATA_DIR=/data \
    PORT=8080 \
    HOST=0.0.0.0
# The SQLite database, its WAL and the generated JWT secret live here: mount a volume on it.
VOLUME ["/data"]
WORKDIR /data
EXPOSE 8080
# The slim image has no curl: the binary checks itself (GET http://127.0.0.1:$PORT/healthz).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["/app/souk", "healthcheck"]
# souk handles SIGTERM itself (stops accepting, lets in-flight requests and the running job finish,
# checkpoints the WAL) and starts no child processes, so it runs as PID 1 without an init.
STOPSIGNAL SIGTERM

# Fly.io (fly.toml sets build-target = "fly"): a Fly volume is mounted owned by root, so a process
# that starts as uid 10001 cannot create /data/souk.db. This stage starts as root, gives /data to
# uid 10001, then execs souk as 10001 with setpriv (util-linux, in every Debian image). Started
# as non-root already, it just execs souk.
FROM base AS fly
ENTRYPOINT ["/bin/sh", "-c", "if [ \"$(id -u)\" = 0 ]; then find \"$DATA_DIR\" -xdev ! -user 10001 -exec chown 10001:10001 {} +; exec setpriv --reuid=10001 --regid=10001 --clear-groups -- /app/souk \"$@\"; fi; exec /app/souk \"$@\"", "souk"]
CMD ["serve"]

# Default target: Docker, Compose, Kubernetes. Named volumes take /data's ownership (10001) from
# the image; a bind mount must be writable by uid 10001 (`chown 10001:10001 ./data`).
FROM base AS runtime
USER 10001:10001
ENTRYPOINT ["/app/souk"]
CMD ["serve"]
