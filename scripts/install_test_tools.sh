#!/usr/bin/env bash
# Install the Debian packages whose programs the tests run, each only when one of its programs
# is missing from the PATH: prometheus (prometheus, promtool) for the monitoring tests, and
# chromium (chromium) for the browser tests. `make test` runs this first.
#
# Installing needs root: the script runs apt-get directly as root, or through sudo. The package
# list is updated only when the first install attempt fails, since a fresh machine may lack it.
# NOTE: on a machine whose init system starts services on install (systemd, no policy-rc.d that
# blocks it), the prometheus package also starts its own service on port 9090. The tests never
# use it; `systemctl disable --now prometheus` stops it.
# Exit status: 0 when every program is installed, 1 when one cannot be.
set -euo pipefail

# Package, then the programs it provides.
PACKAGES=(
  "prometheus prometheus promtool"
  "chromium chromium"
)

versions() {
  echo "$(prometheus --version 2>&1 | head -n 1); $(chromium --version 2>&1 | head -n 1)"
}

missing=()
for entry in "${PACKAGES[@]}"; do
  read -r package programs <<<"$entry"
  for program in $programs; do
    if ! command -v "$program" >/dev/null; then
      missing+=("$package")
      break
    fi
  done
done
if ((${#missing[@]} == 0)); then
  echo "install_test_tools: $(versions)"
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "install_test_tools: the packages ${missing[*]} are missing and this machine has no" \
    "apt-get: install Prometheus (the tests ran with 2.42) and Chromium so that prometheus," \
    "promtool and chromium are on the PATH" >&2
  exit 1
fi
as_root=()
if [[ "$(id -u)" -ne 0 ]]; then
  if ! command -v sudo >/dev/null; then
    echo "install_test_tools: installing ${missing[*]} needs root, and sudo is missing:" \
      "run this script as root" >&2
    exit 1
  fi
  as_root=(sudo)
fi

install() {
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
}

echo "install_test_tools: missing programs: installing Debian's ${missing[*]}"
if ! install; then
  echo "install_test_tools: the install failed, retrying after apt-get update"
  "${as_root[@]}" apt-get update
  install
fi
echo "install_test_tools: installed ${missing[*]}: $(versions)"
