#!/usr/bin/env bash
# Installs the Debian packages the tests use: chromium (browser test, driven by Playwright) and poppler-utils
# (pdftoppm, to render report pages). Nothing is downloaded outside the package registry.
# As root, missing packages are installed; otherwise it only says what is missing.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "note: missing ${need[*]}; install them (apt-get install ${need[*]}) to run the browser test." >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" fonts-dejavu-core >/dev/null
echo "installed: ${need[*]}"
