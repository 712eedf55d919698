# Patchling: the GitHub App by default, the CLI with `docker run IMAGE patchling review ...`.
# Every command the model runs goes through bubblewrap inside the container, which needs two
# container options (docs/deploy.md: systempaths=unconfined and a seccomp profile that allows
# sethostname). Without them Patchling stops with an error; it never runs unsandboxed.
#
# BASE_IMAGE: any Debian-based Node 24 image (a mirror of node:24-bookworm-slim works).
ARG BASE_IMAGE=node:24-bookworm-slim

# --- build: dependencies, tsc output and the CLI bundle ---------------------------------
FROM ${BASE_IMAGE} AS build
WORKDIR /build
COPY package.json package-lock.json ./
# --ignore-scripts: better-sqlite3 and sharp ship prebuilt binaries, so no compiler is
# needed, and `prepare` would build before the sources are here.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle.mjs scripts/
COPY src src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund --ignore-scripts

# --- runtime --------------------------------------------------------------------------
FROM ${BASE_IMAGE}
# bubblewrap: the sandbox; git: checkouts; tini: PID 1 that forwards signals and reaps
# the processes sandboxed commands leave behind; ca-certificates: HTTPS to GitHub and
# the model provider (node has its own store, git does not).
RUN apt-get update \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    bubblewrap git tini ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/patchling
COPY --from=build /build/package.json ./
COPY --from=build /build/node_modules node_modules
COPY --from=build /build/dist dist
COPY bin bin
COPY prompts prompts
RUN ln -s /opt/patchling/bin/patchling.js /usr/local/bin/patchling \
  && mkdir -p /var/lib/patchling \
  && chown node:node /var/lib/patchling

ENV NODE_ENV=production \
  PATCHLING_STATE_DIR=/var/lib/patchling \
  PORT=3000
# The queue (SQLite), run logs and job workspaces: keep them across restarts.
VOLUME /var/lib/patchling
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "/opt/patchling/dist/triggers/app-server.js"]
