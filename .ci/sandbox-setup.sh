# shellcheck shell=bash
# Sandbox prerequisites for CI: Docker engine + bubblewrap + mmdebstrap, with dockerd started by hand (no systemd).
#
# Sourced by .ci/run:
#   source .ci/sandbox-setup.sh
#   sandbox_setup                  # installs docker.io, bubblewrap, mmdebstrap if missing, starts dockerd, exports DOCKER_HOST
#   trap sandbox_stop EXIT         # stops the dockerd this script started (and nothing else)
#
# Or run directly on a dev machine: `.ci/sandbox-setup.sh start` prints the export line; `.ci/sandbox-setup.sh stop`.
#
# dockerd runs with its own data root, exec root, pidfile and socket under .ci/state/, and with
# --iptables=false --ip-masq=false --bridge=none so it never rewrites the host's network or firewall
# (see docs: sandboxes run with --network none and talk to the host over unix sockets).
# If an engine already answers (e.g. GitHub-hosted runners, or DOCKER_HOST already set), nothing is started.

SANDBOX_CI_ROOT="${SANDBOX_CI_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
SANDBOX_STATE_DIR="${SANDBOX_STATE_DIR:-$SANDBOX_CI_ROOT/.ci/state}"
SANDBOX_DOCKER_SOCK="$SANDBOX_STATE_DIR/docker.sock"
SANDBOX_DOCKERD_PID="$SANDBOX_STATE_DIR/dockerd.pid"
SANDBOX_DOCKERD_LOG="$SANDBOX_STATE_DIR/dockerd.log"
SANDBOX_STARTED_DOCKERD=""

sandbox_log() { printf '[sandbox-setup] %s\n' "$*" >&2; }

sandbox_as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    sandbox_log "need root for: $*"
    return 1
  fi
}

# apt-get install docker.io, bubblewrap and mmdebstrap (which builds the agent userland), skipped when present.
sandbox_install() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v docker >/dev/null || missing+=(docker.io)
  command -v bwrap >/dev/null || missing+=(bubblewrap)
  command -v mmdebstrap >/dev/null || missing+=(mmdebstrap uidmap debian-archive-keyring)
  if [ "${#missing[@]}" -eq 0 ]; then
    sandbox_log "docker, dockerd, bwrap and mmdebstrap present"
    return 0
  fi
  if ! command -v apt-get >/dev/null; then
    sandbox_log "missing ${missing[*]} and no apt-get: install Docker (or podman) and bubblewrap by hand"
    return 1
  fi
  # shellcheck disable=SC2207
  missing=($(printf '%s\n' "${missing[@]}" | sort -u))
  sandbox_log "installing ${missing[*]}"
  sandbox_as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive sandbox_as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

sandbox_docker_answers() {
  timeout 5 docker info >/dev/null 2>&1
}

# Starts dockerd by hand unless an engine already answers; exports DOCKER_HOST.
sandbox_start_dockerd() {
  if [ -z "${DOCKER_HOST:-}" ] && sandbox_docker_answers; then
    sandbox_log "a Docker engine already answers on the default socket; not starting dockerd"
    return 0
  fi
  if [ -n "${DOCKER_HOST:-}" ] && [ "$DOCKER_HOST" != "unix://$SANDBOX_DOCKER_SOCK" ] && sandbox_docker_answers; then
    sandbox_log "a Docker engine already answers at DOCKER_HOST=$DOCKER_HOST; not starting dockerd"
    return 0
  fi
  export DOCKER_HOST="unix://$SANDBOX_DOCKER_SOCK"
  if [ -f "$SANDBOX_DOCKERD_PID" ] && kill -0 "$(cat "$SANDBOX_DOCKERD_PID")" 2>/dev/null && sandbox_docker_answers; then
    sandbox_log "dockerd from an earlier run still answers at $DOCKER_HOST"
    return 0
  fi
  mkdir -p "$SANDBOX_STATE_DIR"
  sandbox_as_root dockerd \
    --data-root "$SANDBOX_STATE_DIR/docker-data" \
    --exec-root "$SANDBOX_STATE_DIR/docker-exec" \
    --pidfile "$SANDBOX_DOCKERD_PID" \
    -H "$DOCKER_HOST" \
    --iptables=false --ip-masq=false --bridge=none \
    --storage-driver=overlay2 >"$SANDBOX_DOCKERD_LOG" 2>&1 &
  SANDBOX_STARTED_DOCKERD=1
  local i
  for i in $(seq 1 150); do
    if sandbox_docker_answers; then
      sandbox_log "dockerd answers at $DOCKER_HOST after ~$((i / 5)) s"
      return 0
    fi
    sleep 0.2
  done
  sandbox_log "dockerd did not answer within 30 s; last log lines:"
  tail -n 20 "$SANDBOX_DOCKERD_LOG" >&2 || true
  return 1
}

# Stops the dockerd started here (by its pidfile), waits for it, removes the empty cgroup dirs it leaves.
sandbox_stop() {
  [ -f "$SANDBOX_DOCKERD_PID" ] || return 0
  local pid
  pid="$(cat "$SANDBOX_DOCKERD_PID")"
  if kill -0 "$pid" 2>/dev/null; then
    sandbox_log "stopping dockerd (pid $pid)"
    sandbox_as_root kill -TERM "$pid" || true
    local i
    for i in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
  fi
  rm -f "$SANDBOX_DOCKERD_PID"
  for d in /sys/fs/cgroup/*/docker; do
    [ -d "$d" ] && rmdir "$d" 2>/dev/null || true
  done
  return 0
}

sandbox_setup() {
  sandbox_install
  sandbox_start_dockerd
  docker version --format 'docker client {{.Client.Version}}, engine {{.Server.Version}}' >&2 || true
  bwrap --version >&2 || true
  mmdebstrap --version >&2 || true
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  case "${1:-start}" in
  start)
    sandbox_setup
    echo "export DOCKER_HOST=$DOCKER_HOST"
    ;;
  stop) sandbox_stop ;;
  *)
    echo "usage: $0 [start|stop]" >&2
    exit 2
    ;;
  esac
fi
