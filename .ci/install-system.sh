#!/usr/bin/env bash
# Installs the system packages Vantage needs: a Vulkan driver that Dawn accepts (lavapipe from
# Mesa >= 23; on Debian 12 that is bookworm-backports), plus chromium for the browser tests, redis-server for the job
# queue's tests and ffmpeg for video input.
# The backports entry is derived from the machine's own Debian source entry (same mirror, same key),
# so no registry host is written here.
set -euo pipefail

have_lavapipe() {
  local icd
  for icd in /usr/share/vulkan/icd.d/lvp_icd*.json; do
    [ -f "$icd" ] || continue
    local ver
    ver=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || echo 0)
    dpkg --compare-versions "$ver" ge 23 && return 0
  done
  return 1
}

add_backports() {
  local codename src out
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  [ -n "$codename" ] || { echo "install-system: cannot tell the Debian codename" >&2; return 1; }
  out=/etc/apt/sources.list.d/vantage-backports.sources
  [ -f "$out" ] && return 0
  src=/etc/apt/sources.list.d/debian.sources
  if [ -f "$src" ]; then
    # First deb822 stanza whose Suites line names the plain codename: copy it, renaming the suites.
    awk -v cn="$codename" '
      BEGIN { RS=""; ORS="\n\n" }
      $0 ~ ("Suites:[^\n]*(^|[ \t])" cn "([ \t]|$|\n)") && !done {
        n = split($0, lines, "\n"); s = ""
        for (i = 1; i <= n; i++) {
          if (lines[i] ~ /^Suites:/) lines[i] = "Suites: " cn "-backports"
          if (lines[i] ~ /^#/) continue
          s = s lines[i] "\n"
        }
        printf "%s\n", s; done = 1
      }' "$src" >"$out"
  elif [ -f /etc/apt/sources.list ]; then
    grep -E "^deb[[:space:]].*[[:space:]]$codename[[:space:]]" /etc/apt/sources.list | head -n1 |
      sed -E "s/[[:space:]]$codename[[:space:]]/ $codename-backports /" >/etc/apt/sources.list.d/vantage-backports.list
    out=/etc/apt/sources.list.d/vantage-backports.list
  fi
  if [ ! -s "$out" ]; then
    rm -f "$out"; echo "install-system: found no Debian source entry to copy for backports" >&2; return 1
  fi
}

export DEBIAN_FRONTEND=noninteractive
if ! have_lavapipe; then
  add_backports
  apt-get update -qq
  codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
  apt-get install -y -qq -t "$codename-backports" mesa-vulkan-drivers libvulkan1 >/dev/null
fi
if [ "${VANTAGE_SKIP_CHROMIUM:-0}" != 1 ] && ! command -v chromium >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v ffmpeg >/dev/null || missing+=(ffmpeg)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
echo "install-system: lavapipe $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers), chromium $(command -v chromium || echo absent), redis $(command -v redis-server || echo absent), ffmpeg $(command -v ffmpeg || echo absent)"
