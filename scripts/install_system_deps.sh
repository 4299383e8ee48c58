#!/usr/bin/env bash
# Installs the Debian packages the tests use: chromium (browser test, driven by Playwright), poppler-utils
# (pdftoppm, to render report pages), postgresql (initdb/pg_ctl: the audit-store tests start a throwaway
# cluster) and openjdk-17-jre-headless (the Java runtime pyspark 3.5 needs for the Spark engine tests).
# Nothing is downloaded outside the package registry.
# As root, missing packages are installed; otherwise it only says what is missing.
set -euo pipefail
have_postgres() {
  command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && return 0
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
have_postgres || need+=(postgresql)
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "note: missing ${need[*]}; install them (apt-get install ${need[*]}) to run the browser, PDF, PostgreSQL store and Spark tests." >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" fonts-dejavu-core >/dev/null
echo "installed: ${need[*]}"
