#!/bin/sh
# Debian packages the tests (or, with "bench", the benchmark) need: Chromium for browser tests,
# Redis for shared limits and caches, wrk for load. PostgreSQL 15 comes with the machine image.
set -eu
wanted="chromium redis-server"
# The benchmark needs no browser: wrk drives the load, redis-server backs --redis.
[ "${1:-}" = bench ] && wanted="redis-server wrk"
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
