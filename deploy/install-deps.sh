#!/usr/bin/env bash
# Installs every Debian 12 (bookworm) package needed to build and test Rapport.
#
# Runs as root, or through sudo otherwise. When every package is already
# installed it does nothing (no apt-get at all), so it is cheap to call before
# every build; RAPPORT_FORCE_INSTALL=1 runs apt-get update and install anyway.
#
# The package list below is the single source of truth. Other tooling can read
# it with `deploy/install-deps.sh --print-packages` (one name per line).
set -euo pipefail

# --- packages (keep one per line) ---
RAPPORT_DEB_PACKAGES=(
  build-essential
  g++
  cmake
  make
  pkg-config
  ca-certificates
  libgrpc++-dev
  protobuf-compiler-grpc
  libprotobuf-dev
  protobuf-compiler
  libabsl-dev
  librocksdb-dev
  libgoogle-perftools-dev
  prometheus-cpp-dev
  libgtest-dev
  libgmock-dev
  libbenchmark-dev
  libyaml-cpp-dev
  curl
  python3
  dpkg-dev
  file
  systemd
  python3-yaml
  prometheus
  openssl
)
# --- end of packages ---

log() { printf 'install-deps: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

case "${1:-}" in
  --print-packages)
    printf '%s\n' "${RAPPORT_DEB_PACKAGES[@]}"
    exit 0
    ;;
  -h | --help)
    cat <<EOF
Usage: deploy/install-deps.sh [--print-packages]

Installs with apt-get the Debian 12 packages Rapport needs to build and test:
  ${RAPPORT_DEB_PACKAGES[*]}
Skips apt-get when all are installed; RAPPORT_FORCE_INSTALL=1 forces it.
Needs root, or sudo.
EOF
    exit 0
    ;;
  "") ;;
  *) die "unknown argument '$1' (try --help)" ;;
esac

# Prints the packages that are not installed.
missing_packages() {
  local pkg status
  for pkg in "${RAPPORT_DEB_PACKAGES[@]}"; do
    # ${Status} is "want flag state", e.g. "install ok installed".
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    if [[ "${status##* }" != "installed" ]]; then
      printf '%s\n' "$pkg"
    fi
  done
}

if [[ "${RAPPORT_FORCE_INSTALL:-0}" != "1" ]]; then
  missing="$(missing_packages)"
  if [[ -z "$missing" ]]; then
    log "all ${#RAPPORT_DEB_PACKAGES[@]} packages are installed (RAPPORT_FORCE_INSTALL=1 to reinstall)"
    exit 0
  fi
  log "missing: ${missing//$'\n'/ }"
fi

command -v apt-get >/dev/null 2>&1 || die "apt-get not found: this script supports Debian 12 only"

if [[ "$(id -u)" -eq 0 ]]; then
  as_root=(env DEBIAN_FRONTEND=noninteractive)
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo env DEBIAN_FRONTEND=noninteractive)
else
  die "installing packages needs root: run this script as root, or install sudo"
fi

export DEBIAN_FRONTEND=noninteractive
# Debian's prometheus package starts a Prometheus service when installed; the
# tests run their own /usr/bin/prometheus (and promtool) and need no service.
# One this script installs is stopped and disabled; one that was there before
# is left alone.
prometheus_was_installed=0
if [[ "$(dpkg-query -W -f='${Status}' prometheus 2>/dev/null || true)" == *" installed" ]]; then
  prometheus_was_installed=1
fi
log "apt-get update"
"${as_root[@]}" apt-get update
log "apt-get install ${RAPPORT_DEB_PACKAGES[*]}"
"${as_root[@]}" apt-get install -y --no-install-recommends "${RAPPORT_DEB_PACKAGES[@]}"
if [[ "$prometheus_was_installed" == 0 && -d /run/systemd/system ]]; then
  log "stopping and disabling the prometheus service the package started (tests need none)"
  "${as_root[@]}" systemctl disable --now prometheus.service || true
fi
log "done"
