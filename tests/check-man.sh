#!/bin/sh
# The manual pages render without a warning (groff -ww), and exectrace(1)
# names every option that any command's --help lists.
# Usage: check-man.sh EXECTRACE MANDIR
set -eu
cmd=$1
mandir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

for page in "$mandir"/exectrace.1 "$mandir"/exectrace-findings.7; do
    groff -ww -man -Tutf8 -z "$page" 2>"$tmp/warnings" || status=1
    if [ -s "$tmp/warnings" ]; then
        echo "check-man: $page renders with warnings:"
        cat "$tmp/warnings"
        status=1
    fi
done

# The page as a reader sees it, without bold and underline.
groff -man -Tascii -P-cbou "$mandir/exectrace.1" >"$tmp/page.txt"
options=0
for c in run events report tree snapshot export timeline findings; do
    "$cmd" "$c" --help | grep -o -- '--[a-z][a-z-]*' | sort -u >"$tmp/options"
    while read -r option; do
        [ "$option" = --help ] && continue
        options=$((options + 1))
        if ! grep -q -e "$option" "$tmp/page.txt"; then
            echo "check-man: exectrace $c $option is not in exectrace(1)"
            status=1
        fi
    done <"$tmp/options"
done
[ "$options" -gt 20 ] || { echo "check-man: only $options options found in the --help texts"; status=1; }
for section in NAME SYNOPSIS DESCRIPTION COMMANDS "EXIT STATUS" ENVIRONMENT FILES EXAMPLES; do
    grep -q "^$section" "$tmp/page.txt" || { echo "check-man: exectrace(1) has no $section"; status=1; }
done
for variable in EXECTRACE_FILE EXECTRACE_STACK_DEPTH EXECTRACE_SHIM NO_COLOR; do
    grep -q "$variable" "$tmp/page.txt" || { echo "check-man: exectrace(1) does not explain $variable"; status=1; }
done

# The findings page holds every kind the analyzer has.
groff -man -Tascii -P-cbou "$mandir/exectrace-findings.7" >"$tmp/findings.txt"
"$cmd" findings | grep -E '^[a-z-]+$' >"$tmp/kinds"
while read -r kind; do
    grep -q "^   $kind\$" "$tmp/findings.txt" || { echo "check-man: exectrace-findings(7) has no $kind"; status=1; }
done <"$tmp/kinds"
[ "$(wc -l <"$tmp/kinds")" -ge 15 ] || { echo "check-man: exectrace findings lists too few kinds"; status=1; }

bash -n dist/exectrace.bash-completion || status=1
[ $status -eq 0 ] && echo "check-man: the manual pages render cleanly and name every option ($options)"
exit $status
