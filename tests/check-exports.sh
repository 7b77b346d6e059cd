#!/bin/sh
# The shim exports exactly the functions it wraps: the names in
# shim/exports.map, the functions marked ET_EXPORT (and the assembly
# wrappers' .globl), and what the built library exports must be one set.
# A wrapper left out of the map would be hidden and never interpose; a name
# in the map without a wrapper would be a typo.  Usage: check-exports.sh LIB
set -eu
lib=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sed -n '/global:/,/local:/p' shim/exports.map | tr ' ;' '\n\n' |
    grep -E '^[A-Za-z_][A-Za-z0-9_]*$' | sort -u >"$tmp/map"
{
    grep -ho 'ET_EXPORT[^(]*(' shim/*.c | sed -e 's/($//' -e 's/.*[ *]//'
    grep -ho '^[[:space:]]*\.globl[[:space:]]*[A-Za-z_][A-Za-z0-9_]*' shim/*.S | awk '{print $2}'
} | sort -u >"$tmp/source"
nm -D --defined-only "$lib" | awk '$2 ~ /^[TW]$/ {print $3}' | sort -u >"$tmp/library"

status=0
if ! cmp -s "$tmp/map" "$tmp/source"; then
    echo "check-exports: shim/exports.map and the wrappers in shim/ differ (< map only, > source only):"
    diff "$tmp/map" "$tmp/source" | grep '^[<>]'
    status=1
fi
if ! cmp -s "$tmp/map" "$tmp/library"; then
    echo "check-exports: shim/exports.map and what $lib exports differ (< map only, > library only):"
    diff "$tmp/map" "$tmp/library" | grep '^[<>]'
    status=1
fi
[ $status -eq 0 ] && echo "check-exports: $(wc -l <"$tmp/map") wrapped functions, exported and listed alike"
exit $status
