#!/bin/sh
# Debian packages the tests (or, with "bench", the benchmark) need: Chromium for browser tests,
# Redis for shared limits and caches, PostgreSQL (the tests start their own throwaway servers from
# the binaries under /usr/lib/postgresql/*/bin), wrk for load, node and the peer's npm packages
# (benchmarks/peer, node oidc-provider: installed here so that nothing downloads while measuring).
set -eu
wanted="chromium redis-server postgresql"
# The benchmark needs no browser: wrk drives the load, redis-server backs --redis.
[ "${1:-}" = bench ] && wanted="redis-server postgresql wrk"
# node from any source will do (oidc-provider 9 needs node >= 20); Debian's only when there is none.
[ "${1:-}" = bench ] && ! command -v node >/dev/null 2>&1 && wanted="$wanted nodejs npm"
# make soak: several workers on PostgreSQL and Redis.
[ "${1:-}" = soak ] && wanted="redis-server postgresql"
missing=""
for package in $wanted; do
  dpkg -s "$package" >/dev/null 2>&1 || missing="$missing $package"
done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
# The peer's packages, exactly as locked, again only when the lock file changed.
peer="$(dirname "$0")/../benchmarks/peer"
if [ "${1:-}" = bench ] && { [ ! -f "$peer/node_modules/.package-lock.json" ] ||
    [ "$peer/package-lock.json" -nt "$peer/node_modules/.package-lock.json" ]; }; then
  echo "installing the benchmark's peer (npm ci in benchmarks/peer)"
  npm ci --prefix "$peer" --no-audit --no-fund --loglevel=error
fi
