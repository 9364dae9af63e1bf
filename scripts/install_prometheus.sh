#!/usr/bin/env bash
# Install Debian's prometheus package, which provides /usr/bin/prometheus and /usr/bin/promtool,
# unless both are on the PATH already. The monitoring tests run both; `make test` runs this first.
#
# Installing needs root: the script runs apt-get directly as root, or through sudo. The package
# list is updated only when the first install attempt fails, since a fresh machine may lack it.
# NOTE: on a machine whose init system starts services on install (systemd, no policy-rc.d that
# blocks it), the package also starts its own prometheus service on port 9090. The tests never
# use it; `systemctl disable --now prometheus` stops it.
# Exit status: 0 when prometheus and promtool are installed, 1 when they cannot be.
set -euo pipefail

if command -v prometheus >/dev/null && command -v promtool >/dev/null; then
  echo "install_prometheus: $(prometheus --version 2>&1 | head -n 1)"
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "install_prometheus: prometheus or promtool is missing and this machine has no apt-get:" \
    "install Prometheus (the tests ran with 2.42) so that both are on the PATH" >&2
  exit 1
fi
as_root=()
if [[ "$(id -u)" -ne 0 ]]; then
  if ! command -v sudo >/dev/null; then
    echo "install_prometheus: installing the prometheus package needs root, and sudo is missing:" \
      "run this script as root" >&2
    exit 1
  fi
  as_root=(sudo)
fi

install() {
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends prometheus
}

echo "install_prometheus: prometheus or promtool is missing: installing Debian's prometheus package"
if ! install; then
  echo "install_prometheus: the install failed, retrying after apt-get update"
  "${as_root[@]}" apt-get update
  install
fi
echo "install_prometheus: installed $(prometheus --version 2>&1 | head -n 1)"
