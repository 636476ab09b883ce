# syntax=docker/dockerfile:1
# The NanoClaw host itself in a container. Agents still run in their own sandboxes: the host starts them as
# sibling containers through the Docker socket that compose.yaml mounts (see the warning there).
#
#   docker build -f docker/host.Dockerfile -t nanoclaw/host:latest .
FROM node:20-bookworm-slim

ARG PNPM_VERSION=10.34.8
ARG DEBIAN_FRONTEND=noninteractive
# python3/make/g++ build better-sqlite3 when no prebuilt binary matches; docker.io provides the CLI only.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ docker.io ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && npm install -g "pnpm@${PNPM_VERSION}"

# compose.yaml mounts the checkout at the same absolute path as on the host, so the bind paths the host gives
# to sibling sandboxes name real host folders. This image only needs the toolchain.
WORKDIR /srv/nanoclaw
ENV NANOCLAW_RUNTIME=docker
CMD ["sh", "-c", "pnpm install --frozen-lockfile && pnpm build && exec node apps/host/dist/cli.js start"]
