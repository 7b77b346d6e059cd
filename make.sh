#!/usr/bin/env bash
# Installs the Debian packages exectrace needs, if any are missing, then runs
# make with the given arguments:  ./make.sh demo   ./make.sh check
# As root it installs them with apt-get; otherwise it prints the command.
set -euo pipefail
cd "$(dirname "$0")"

# package   what shows it is installed: a command, a file, or py:MODULE
required=(
    "gcc        cc"
    "make       make"
    "libc6-dev  /usr/include/stdio.h"
    "libcmocka-dev /usr/include/cmocka.h"
    "python3    python3"
    "dash       dash"
    "procps     ps"
    "python3-jsonschema py:jsonschema"
    "libcap2-bin setcap"
    "libpython3.11-testsuite py:test.support"
    "clang      clang"
    "libunwind8 /usr/lib/x86_64-linux-gnu/libunwind.so.8"
    "libdw-dev  /usr/include/elfutils/libdwfl.h"
    "libclang-rt-14-dev /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a"
    "strace     strace"
    "golang-go  go"
    "protobuf-compiler protoc"
    "chromium   chromium"
    "python3-websocket /usr/lib/python3/dist-packages/websocket/__init__.py"
    "groff-base groff"
    "man-db     man"
    "dpkg-dev   dpkg-shlibdeps"
    "lintian    lintian"
)

missing=()
for entry in "${required[@]}"; do
    read -r package probe <<<"$entry"
    if [[ $probe == /* ]]; then
        [[ -e $probe ]] || missing+=("$package")
    elif [[ $probe == py:* ]]; then
        python3 -c "import ${probe#py:}" >/dev/null 2>&1 || missing+=("$package")
    else
        command -v "$probe" >/dev/null 2>&1 || missing+=("$package")
    fi
done

if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]]; then
        echo "make.sh: installing ${missing[*]}" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "make.sh: exectrace needs these Debian packages: ${missing[*]}" >&2
        echo "make.sh: install them with:  sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
fi

# Go 1.23, from Debian's bookworm-backports suite: a Go that starts, waits for
# and kills its children through pidfds (clone CLONE_PIDFD, waitid P_PIDFD,
# pidfd_send_signal), which the ptrace recorder must follow as well as Go
# 1.19's plain pids.  Without it those tests skip and say why.
go123=/usr/lib/go-1.23/bin/go
backports=/etc/apt/sources.list.d/exectrace-bookworm-backports.sources
if [[ ! -x $go123 ]]; then
    if [[ $(id -u) -eq 0 ]]; then
        echo "make.sh: installing golang-1.23-go from bookworm-backports" >&2
        if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
            printf '%s\n' "Types: deb" "URIs: http://deb.debian.org/debian" "Suites: bookworm-backports" \
                "Components: main" "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" >"$backports"
        fi
        export DEBIAN_FRONTEND=noninteractive
        if ! { apt-get update -qq &&
            apt-get install -y -qq --no-install-recommends -t bookworm-backports golang-1.23-go >/dev/null; }; then
            echo "make.sh: golang-1.23-go could not be installed: the Go 1.23 tests will skip" >&2
        fi
    else
        echo "make.sh: the Go 1.23 tests skip without golang-1.23-go; to install it:" >&2
        echo "make.sh:   echo 'deb http://deb.debian.org/debian bookworm-backports main' |" \
            "sudo tee /etc/apt/sources.list.d/bookworm-backports.list" >&2
        echo "make.sh:   sudo apt-get update && sudo apt-get install -t bookworm-backports golang-1.23-go" >&2
    fi
fi

exec make -j"$(nproc)" "$@"
