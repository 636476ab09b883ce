# syntax=docker/dockerfile:1
# The agent sandbox image: Node 20 + the agent runtimes (Codex, Claude Code via the Agent SDK, OpenCode) + the
# NanoClaw agent-runner bundle. Build from the repository root after `pnpm build`:
#
#   docker build -f docker/agent-runner.Dockerfile -t nanoclaw/agent-runner:latest .
#
# The container runner starts it hardened (`--read-only --user 1000:1000 --cap-drop ALL --network none ...`)
# and always passes the command explicitly; CMD is only a default for manual runs.
# No registry at hand (CI, offline machines)? Use docker/build-scratch-image.sh instead.

# Pinned by tag; pin by digest too in production (`node:20-bookworm-slim@sha256:...`).
FROM node:20-bookworm-slim

# Versions verified together (see the runtime notes): bump deliberately, one at a time.
ARG CODEX_VERSION=0.169.0
ARG CLAUDE_AGENT_SDK_VERSION=0.3.330
ARG OPENCODE_VERSION=1.18.33
# uid/gid of the non-root user; the runner passes `--user` anyway, this is the default for manual runs.
ARG AGENT_UID=1000

# Build-time only (ARG, not ENV): nothing of the build environment stays in the sandbox's env.
ARG DEBIAN_FRONTEND=noninteractive
ARG NPM_CONFIG_UPDATE_NOTIFIER=false
ARG NPM_CONFIG_FUND=false
ARG NPM_CONFIG_AUDIT=false

# The agent userland: the same package list as the image the host builds offline (BASE_PACKAGES in
# @nanoclaw/sandbox-image; a test keeps them equal). No compilers, no sudo, no setuid bits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      bash ca-certificates coreutils curl diffutils ffmpeg file findutils gawk git grep gzip jq less libstdc++6 \
      make netbase patch poppler-utils procps python3 python3-venv ripgrep sed tar tzdata unzip xz-utils zip \
 && rm -rf /var/lib/apt/lists/* \
 && find / -xdev -type f -perm /6000 -exec chmod ug-s {} +

# The runtimes live in /app/node_modules, next to the runner bundle, so the bundle's imports resolve and the
# CLIs are on PATH. `opencode-ai`'s postinstall links its native binary, so scripts must run here.
WORKDIR /app
RUN printf '{"name":"nanoclaw-agent-image","private":true}\n' > package.json \
 && npm install --omit=dev \
      "@openai/codex@${CODEX_VERSION}" \
      "@anthropic-ai/claude-agent-sdk@${CLAUDE_AGENT_SDK_VERSION}" \
      "opencode-ai@${OPENCODE_VERSION}" \
 && test -x node_modules/.bin/codex \
 && test -x node_modules/.bin/opencode \
 && ln -s /app/node_modules/.bin/codex /app/node_modules/.bin/opencode /usr/local/bin/ \
 && npm cache clean --force

COPY apps/agent-runner/dist/ /app/

# Non-root user `agent` with the configured uid, bash and a real home (the base image's uid 1000 is `node`: renamed).
RUN group="$(getent group "${AGENT_UID}" | cut -d: -f1)" \
 && user="$(getent passwd "${AGENT_UID}" | cut -d: -f1)" \
 && if [ -n "$group" ]; then groupmod -n agent "$group"; else groupadd -g "${AGENT_UID}" agent; fi \
 && if [ -n "$user" ]; then usermod -l agent -d /home/agent -s /bin/bash "$user"; \
    else useradd -u "${AGENT_UID}" -g "${AGENT_UID}" -d /home/agent -s /bin/bash agent; fi \
 && mkdir -p /home/agent /workspace/group /workspace/global /workspace/extra \
 && chown -R "${AGENT_UID}:${AGENT_UID}" /home/agent /workspace \
 && chmod -R a+rX /app

# No PATH/HOME/secrets here: the container runner passes the sandbox's complete env (HOME=/home/agent,
# PATH=/usr/local/bin:/usr/bin:/bin, ...). These only switch off phoning home, as a second line of defence.
ENV CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 \
    DISABLE_AUTOUPDATER=1 \
    OPENCODE_DISABLE_AUTOUPDATE=1 \
    OPENCODE_DISABLE_MODELS_FETCH=1

USER ${AGENT_UID}:${AGENT_UID}
WORKDIR /workspace/group
CMD ["node", "/app/main.js"]
