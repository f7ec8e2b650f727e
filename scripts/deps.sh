#!/bin/sh
# Installs the Debian packages dieuhanh needs to build, test and run, but only
# those that are missing, so that a second run is quick and offline-safe.
# Usage: scripts/deps.sh [build|test|all]   (default: all)
# "all" includes what `make deb` and its test need (dpkg-dev, fakeroot, lintian).
set -eu
what=${1:-all}
build="gcc make pkg-config libmicrohttpd-dev libsqlite3-dev libjansson-dev libsodium-dev libutf8proc-dev libcairo2-dev libpango1.0-dev fonts-dejavu-core fonts-liberation2 libxlsxwriter-dev libcurl4-openssl-dev zlib1g-dev libpq-dev"
# clang and libclang-rt-14-dev (libFuzzer, ASan, UBSan runtimes) build the
# fuzz harnesses of tests/fuzz (`make fuzz`).
test="libcmocka-dev clang libclang-rt-14-dev python3 sqlite3 curl poppler-utils time python3-openpyxl chromium chromium-driver python3-selenium postgresql nginx"
deb="dpkg-dev fakeroot lintian"
case "$what" in
  build) pkgs="$build" ;;
  test) pkgs="$build $test" ;;
  all) pkgs="$build $test $deb" ;;
  *) echo "usage: scripts/deps.sh [build|test|all]" >&2; exit 2 ;;
esac
missing=""
for p in $pkgs; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "deps: missing Debian packages:$missing; run 'sudo scripts/deps.sh' or install them" >&2
  exit 1
fi
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# Debian starts a service it installs (nginx on port 80, PostgreSQL's main
# cluster); the tests start their own, so keep the packages' ones stopped.
guard=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
  guard=1
fi
apt-get install -y -qq --no-install-recommends $missing >/dev/null
if [ -n "$guard" ]; then rm -f /usr/sbin/policy-rc.d; fi
