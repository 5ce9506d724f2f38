#!/bin/sh
# Debian packages the tests (or, with "bench", the benchmark) need: Chromium for browser tests,
# Redis for shared limits and caches, PostgreSQL (the tests start their own throwaway servers from
# the binaries under /usr/lib/postgresql/*/bin), wrk for load.
set -eu
wanted="chromium redis-server postgresql"
# The benchmark needs no browser: wrk drives the load, redis-server backs --redis.
[ "${1:-}" = bench ] && wanted="redis-server postgresql wrk"
# make soak: several workers on PostgreSQL and Redis.
[ "${1:-}" = soak ] && wanted="redis-server postgresql"
missing=""
for package in $wanted; do
  dpkg -s "$package" >/dev/null 2>&1 || missing="$missing $package"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
