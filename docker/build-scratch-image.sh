#!/usr/bin/env bash
# Builds a runnable agent-runner image without any registry: FROM scratch + this machine's node + the shared
# libraries `ldd` lists for it + an /etc/passwd with a non-root user + the runner bundle directory.
# For CI and offline machines; uses the legacy builder (DOCKER_BUILDKIT=0), so no buildx is needed.
#
#   docker/build-scratch-image.sh [-t TAG] [--docker BIN] [--node PATH] [--uid N] [--label K=V]... RUNNER_DIR
#
#   RUNNER_DIR   directory copied to /app (e.g. apps/agent-runner/dist; it must hold main.js to run the runner).
#   -t TAG       image tag (default: nanoclaw/agent-runner:scratch)
#   --docker BIN docker or podman (default: $DOCKER or docker)
#   --node PATH  node binary to copy (default: `command -v node`)
#   --uid N      uid/gid of the image's `agent` user (default: 1000)
#   --label K=V  an image label (repeatable; the host stamps the runner bundle's digest this way)
#
# The image has no shell and no package manager: only /usr/bin/node (also /bin/node), its libs, /etc/passwd,
# /etc/group, /app, /workspace and /home/agent. It sets no ENV: the container runner passes the complete env.
# Run it as the container runner does (command given explicitly):
#   docker run --rm -i --network none --read-only --user 1000:1000 TAG /usr/bin/node /app/main.js
set -euo pipefail

tag="nanoclaw/agent-runner:scratch"
docker_bin="${DOCKER:-docker}"
node_bin="$(command -v node || true)"
uid=1000
runner_dir=""
labels=""

while [ $# -gt 0 ]; do
  case "$1" in
  -t | --tag) tag="$2"; shift 2 ;;
  --docker) docker_bin="$2"; shift 2 ;;
  --node) node_bin="$2"; shift 2 ;;
  --uid) uid="$2"; shift 2 ;;
  --label)
    case "$2" in [a-z]*=*) ;; *) echo "build-scratch-image: --label must be key=value" >&2; exit 2 ;; esac
    case "$2" in *[!A-Za-z0-9._=:/-]*) echo "build-scratch-image: bad characters in --label $2" >&2; exit 2 ;; esac
    labels="$labels
LABEL ${2%%=*}=\"${2#*=}\""; shift 2 ;;
  -h | --help) sed -n '2,19p' "$0"; exit 0 ;;
  -*) echo "build-scratch-image: unknown option $1" >&2; exit 2 ;;
  *)
    [ -z "$runner_dir" ] || { echo "build-scratch-image: one RUNNER_DIR only" >&2; exit 2; }
    runner_dir="$1"; shift ;;
  esac
done

[ -n "$runner_dir" ] || { echo "build-scratch-image: RUNNER_DIR is required (e.g. apps/agent-runner/dist)" >&2; exit 2; }
[ -d "$runner_dir" ] || { echo "build-scratch-image: $runner_dir is not a directory" >&2; exit 2; }
[ -n "$node_bin" ] && [ -x "$node_bin" ] || { echo "build-scratch-image: node not found (use --node PATH)" >&2; exit 2; }
case "$uid" in '' | *[!0-9]* | 0) echo "build-scratch-image: --uid must be a non-root number" >&2; exit 2 ;; esac

node_bin="$(readlink -f "$node_bin")"
ctx="$(mktemp -d "${TMPDIR:-/tmp}/nanoclaw-scratch-image.XXXXXX")"
trap 'rm -rf "$ctx"' EXIT
fs="$ctx/fs"
mkdir -p "$fs/usr/bin" "$fs/etc" "$fs/app" "$fs/workspace/group" "$fs/home/agent" "$fs/tmp"

cp "$node_bin" "$fs/usr/bin/node"
# Each library keeps its path, moved under /usr (the image has lib -> usr/lib, lib64 -> usr/lib64, bin -> usr/bin).
# Besides node's own: librt, which the agent runtimes' native binaries mounted by the host (Claude Code) need.
libc_dir="$(dirname "$(ldd "$node_bin" | awk '/libc\.so/ { print $3 }')")"
{
  ldd "$node_bin" | awk '/=>/ { print $3; next } /^[[:space:]]*\// { print $1 }'
  if [ -e "$libc_dir/librt.so.1" ]; then echo "$libc_dir/librt.so.1"; fi
} | while read -r lib; do
  [ -n "$lib" ] || continue
  case "$lib" in /usr/*) dest="$fs$lib" ;; *) dest="$fs/usr$lib" ;; esac
  mkdir -p "$(dirname "$dest")"
  cp -L "$lib" "$dest"
done
for link in lib lib64 bin; do
  [ -e "$fs/usr/$link" ] || mkdir -p "$fs/usr/$link"
  ln -s "usr/$link" "$fs/$link"
done

printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nagent:x:%s:%s:agent:/home/agent:/usr/sbin/nologin\n' "$uid" "$uid" >"$fs/etc/passwd"
printf 'root:x:0:\nagent:x:%s:\n' "$uid" >"$fs/etc/group"
cp -R "$runner_dir/." "$fs/app/"
chmod -R a+rX "$fs"
chmod 1777 "$fs/tmp"
chown -R "$uid:$uid" "$fs/home/agent" "$fs/workspace" 2>/dev/null || true

cat >"$ctx/Dockerfile" <<EOF
FROM scratch
COPY fs/ /
USER $uid:$uid
WORKDIR /workspace/group
LABEL org.opencontainers.image.title="nanoclaw agent-runner (scratch)"$labels
CMD ["/usr/bin/node", "/app/main.js"]
EOF

DOCKER_BUILDKIT=0 "$docker_bin" build -q -t "$tag" "$ctx" >/dev/null
echo "$tag"
