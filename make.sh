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

exec make -j"$(nproc)" "$@"
