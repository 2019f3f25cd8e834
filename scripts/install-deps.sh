#!/usr/bin/env bash
# Installs what Hearth's build and tests need on Debian bookworm, then creates or updates the
# Python test venv at ~/.cache/hearth/venv from tests/requirements.txt.
# Fast on a warm machine: apt runs only when a package is missing (dpkg-query), pip only when
# tests/requirements.txt changed since the last successful install (a stamp in the venv).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${HOME}/.cache/hearth/venv"
REQUIREMENTS="${ROOT}/tests/requirements.txt"

PACKAGES=(build-essential cmake ninja-build ccache libfmt-dev nlohmann-json3-dev libcli11-dev
          libssl-dev libpcre2-dev libcpp-httplib-dev libgtest-dev libgmock-dev libsimde-dev clang
          libclang-rt-14-dev clang-format
          python3-venv git unzip curl)

log() { echo "[install-deps] $*"; }

missing_packages() {
  local pkg
  for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "${pkg}" 2>/dev/null | grep -q "install ok installed"; then
      echo "${pkg}"
    fi
  done
}

install_debian_packages() {
  local missing
  mapfile -t missing < <(missing_packages)
  if [[ ${#missing[@]} -eq 0 ]]; then
    log "Debian packages: all ${#PACKAGES[@]} present"
    return
  fi
  log "Debian packages to install: ${missing[*]}"
  local sudo=()
  if [[ "$(id -u)" -ne 0 ]]; then sudo=(sudo); fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}"
}

# Prefer the python3 on PATH (may be pyenv's); fall back to Debian's, which python3-venv serves.
pick_python() {
  local candidate
  for candidate in python3 /usr/bin/python3; do
    if command -v "${candidate}" >/dev/null && "${candidate}" -c 'import venv, ensurepip' 2>/dev/null
    then
      command -v "${candidate}"
      return
    fi
  done
  echo "no python3 with the venv module found" >&2
  return 1
}

setup_venv() {
  local stamp="${VENV}/.hearth-requirements.sha256"
  local want
  want="$(sha256sum "${REQUIREMENTS}" | cut -d' ' -f1)"
  if [[ -x "${VENV}/bin/python" ]] && "${VENV}/bin/python" -c 'import sys' 2>/dev/null &&
     [[ -f "${stamp}" && "$(cat "${stamp}")" == "${want}" ]]; then
    log "test venv up to date: ${VENV}"
    return
  fi
  if [[ ! -x "${VENV}/bin/python" ]] || ! "${VENV}/bin/python" -c 'import sys' 2>/dev/null; then
    local python
    python="$(pick_python)"
    log "creating test venv ${VENV} with ${python}"
    rm -rf "${VENV}"
    mkdir -p "$(dirname "${VENV}")"
    "${python}" -m venv "${VENV}"
  fi
  log "installing ${REQUIREMENTS}"
  "${VENV}/bin/python" -m pip install -q --disable-pip-version-check -r "${REQUIREMENTS}"
  echo "${want}" > "${stamp}"
}

install_debian_packages
setup_venv
log "done"
