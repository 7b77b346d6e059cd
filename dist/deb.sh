#!/bin/sh
# `make deb`: the Debian package, built with dpkg-deb from what `make
# install` puts under /usr, with its dependencies from dpkg-shlibdeps (and
# libunwind8, which the shim loads with dlopen for the call sites its own
# unwinder cannot walk).  Usage: deb.sh BUILD VERSION
set -eu
build=$1
version=$2
# The project has no address of its own yet: whoever distributes a package
# names themselves (lintian's bogus-mail-host is overridden only for this
# default, see the overrides below).
maintainer=${DEB_MAINTAINER:-exectrace developers <exectrace@localhost>}
arch=$(dpkg --print-architecture)
here=$(pwd)
deb=$build/deb
root=$deb/root
out=$build/exectrace_${version}_${arch}.deb

rm -rf "$deb"
mkdir -p "$root/DEBIAN"
${MAKE:-make} --no-print-directory BUILD="$build" install DESTDIR="$here/$root" PREFIX=/usr >/dev/null

# Debian's policy: binaries stripped of what a debugger needs (the shim
# keeps its unwind tables: strip leaves .eh_frame), manual pages compressed.
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/exectrace"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/lib/exectrace/libexectrace.so"
gzip -9n "$root/usr/share/man/man1/exectrace.1" "$root/usr/share/man/man7/exectrace-findings.7"

doc=$root/usr/share/doc/exectrace
mkdir -p "$doc"
cat >"$doc/copyright" <<COPYRIGHT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: exectrace
Comment: The project has not yet chosen a license; until it does, this
 package is for building and testing exectrace itself, not for distribution.

Files: *
Copyright: 2026 the exectrace authors
License: none-yet
 No license has been granted yet.
COPYRIGHT
# A native package: its changelog is the project's, in Debian's format.
{
    printf 'exectrace (%s) unstable; urgency=medium\n\n' "$version"
    printf '  * Version %s: see /usr/share/doc/exectrace/CHANGELOG.md.gz.\n\n' "$version"
    printf ' -- %s  %s\n' "$maintainer" "$(date -R -u -d @"${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")"
} | gzip -9n >"$doc/changelog.gz"
gzip -9n <CHANGELOG.md >"$doc/CHANGELOG.md.gz"
chmod 644 "$doc"/*

# What lintian would say that is so on purpose, each with its reason.
overrides=$root/usr/share/lintian/overrides
if [ -z "${DEB_MAINTAINER:-}" ]; then
    mkdir -p "$overrides"
    {
        echo "# The project has no mailing address yet; make deb DEB_MAINTAINER=\"Name <address>\" sets one."
        echo "exectrace: bogus-mail-host Maintainer exectrace@localhost"
        echo "exectrace: bogus-mail-host-in-debian-changelog exectrace@localhost *"
    } >"$overrides/exectrace"
    chmod 644 "$overrides/exectrace"
fi

# Dependencies of what is linked, by dpkg-shlibdeps, which wants a
# debian/control beside it.
mkdir -p "$deb/src/debian"
printf 'Source: exectrace\n\nPackage: exectrace\nArchitecture: any\n' >"$deb/src/debian/control"
shlibs=$(cd "$deb/src" && dpkg-shlibdeps -O "$here/$root/usr/bin/exectrace" "$here/$root/usr/lib/exectrace/libexectrace.so" 2>/dev/null |
    sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || { echo "deb.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<CONTROL
Package: exectrace
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $size
Depends: $shlibs, libunwind8
Section: devel
Priority: optional
Description: find the bugs between a program and the processes it starts
 exectrace records the lifecycle of a whole process tree (fork, exec, kill,
 wait, pipes and the fds that hold them, process groups) with a preloaded
 library and, for Go and static programs, a ptrace recorder, into a trace
 that survives SIGKILL; then it names what went wrong between the
 processes: signals sent to reaped pids, kill/wait races, pipes held open
 by the wrong process, zombies, ECHILD, orphaned descendants, pipe stalls
 and deadlocks, each with the evidence, the call site and the fix.
CONTROL
(cd "$root" && find usr -type f -exec md5sum {} + | sort -k2) >"$root/DEBIAN/md5sums"
chmod 644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"

dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
echo "deb: $out"
