#!/bin/sh
# The Debian package: lintian finds nothing it does not explain, apt-get
# installs it, the installed exectrace traces a pipeline with its own shim,
# and apt-get removes every file of it.  Usage: check-deb.sh DEB
# It installs into the system, so it runs only as root, and never over an
# exectrace package that was installed before it.
set -eu
deb=$(readlink -f "$1")
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "check-deb: skipped: installing a package needs root and apt-get"
    exit 0
fi
if dpkg-query -W -f '${Status}' exectrace 2>/dev/null | grep -q 'install ok installed'; then
    echo "check-deb: skipped: an exectrace package is installed already, and this test would remove it"
    exit 0
fi

if ! command -v lintian >/dev/null; then
    echo "check-deb: lintian is not installed (./make.sh installs it): the package is not linted"
    exit 1
fi
if ! lintian --fail-on error,warning "$deb" >/dev/null 2>&1; then
    lintian --fail-on error,warning "$deb" 2>&1 | grep -v "running with root privileges"
    echo "check-deb: lintian finds more than the package explains"
    exit 1
fi

tmp=$(mktemp -d)
cleanup() {
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq exectrace >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb" >"$tmp/apt.log" 2>&1 || {
    cat "$tmp/apt.log"
    exit 1
}
# The installed command, from a directory of its own, with nothing to help it find its shim.
cd "$tmp"
env -u EXECTRACE_SHIM -u LD_PRELOAD /usr/bin/exectrace run -o t.trace -- sh -c 'sleep 0.1 | cat' 2>run.err
grep -q "trace t.trace: 3 processes, .* 0 dropped" run.err || { echo "check-deb: the installed exectrace said:"; cat run.err; exit 1; }
/usr/bin/exectrace events t.trace | grep -q 'start exec "/usr/bin/sleep" \["sleep", "0.1"\]' ||
    { echo "check-deb: the installed shim did not trace sleep"; exit 1; }
/usr/bin/exectrace report t.trace >/dev/null
man -w exectrace >/dev/null && man -w 7 exectrace-findings >/dev/null
files=$(dpkg-query -L exectrace | while read -r f; do [ -f "$f" ] && echo "$f"; done)
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq exectrace >/dev/null
for f in $files; do
    [ -e "$f" ] && { echo "check-deb: $f is left after apt-get purge"; exit 1; }
done
echo "check-deb: $(basename "$deb"): lintian-clean, installed, traced a pipeline, removed"
