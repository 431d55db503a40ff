#!/usr/bin/env bash
# System packages some tests use: PostgreSQL (state tests on both backends), Chromium and
# Korean fonts (the e-mail rendering test). Idempotent and tolerant: what is already installed is skipped, and
# when apt cannot install something we warn and carry on, so those tests skip with their
# own message instead of CI dying here.
set -uo pipefail

warn() { echo "install-system-packages: warning: $*" >&2; }

have_postgres() {
    compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null 2>&1
}

have_chromium() {
    command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
        || command -v google-chrome >/dev/null 2>&1
}

have_cjk_fonts() {
    # Korean glyphs for the e-mail screenshot; without them Chromium draws boxes
    command -v fc-list >/dev/null 2>&1 && fc-list :lang=ko 2>/dev/null | grep -q .
}

wanted=()
have_postgres || wanted+=(postgresql)
have_chromium || wanted+=(chromium)
have_cjk_fonts || wanted+=(fonts-noto-cjk)

if [ ${#wanted[@]} -eq 0 ]; then
    echo "install-system-packages: postgresql, chromium and Korean fonts already present"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    warn "no apt-get here; not installing ${wanted[*]} (the tests that need them will skip)"
    exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo=(sudo -n)
    else
        warn "not root and no sudo; not installing ${wanted[*]} (the tests that need them will skip)"
        exit 0
    fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-system-packages: installing ${wanted[*]}"
if ! "${sudo[@]}" apt-get update -qq >/dev/null; then
    warn "apt-get update failed; trying to install from the existing package lists"
fi
for pkg in "${wanted[@]}"; do
    # one at a time, so a missing chromium does not cost us postgresql
    if ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null; then
        warn "could not install $pkg (the tests that need it will skip)"
    fi
done
# Debian's package starts a cluster on 5432; the tests start their own on a free port and do not need it.
exit 0
