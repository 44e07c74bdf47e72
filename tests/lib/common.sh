# Shared by the test scripts: where things are cached, and how steps report.
# Everything downloaded lives under $MODICUM_CACHE, outside the clone, so a second run
# on a warm machine downloads nothing.

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export MODICUM_CACHE=${MODICUM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/modicum}
mkdir -p "$MODICUM_CACHE"

step() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# apt-get update runs at most once per run of the test command, and only when a package is missing.
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  if [ -z "${MODICUM_APT_UPDATED:-}" ]; then
    $sudo apt-get update -qq >&2 || die "apt-get update failed"
    export MODICUM_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
    || die "could not install: ${missing[*]}"
}
