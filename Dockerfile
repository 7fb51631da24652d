# syntax=docker/dockerfile:1
# One image for every service: EXCHANGE_SERVICE (or --service=<name>) picks which one a container runs;
# unset runs them all in one process (embedded mode). The Helm chart (helm/exchange) sets it per workload.
#
#   docker build -t exchange .
#   docker run --rm -p 8080:8080 -p 8081:8081 exchange                                  # embedded
#   docker run --rm -e EXCHANGE_SERVICE=order -e WALLET_ADDR=... -e MATCHING_ADDR=... exchange  # one service
#
# The image holds what `npm run build` makes (dist/), the production node_modules and package.json, nothing else.
# .dockerignore lists what the build reads. `npm run test:image` (tests/image/smoke.ts) assembles the image from this
# file without Docker and starts every service from it: keep to the instructions it emulates (it says which).
ARG NODE_VERSION=20

# --- build: every package (the compiler is a devDependency; native modules built for this image), then dist/, then
# the devDependencies removed so node_modules is what production needs
FROM node:${NODE_VERSION}-slim AS build
WORKDIR /app
# Toolchain for node-gyp, used when a native module has no prebuilt binary for this platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# The npm the lockfile was written with (npm 11).
RUN npm install -g npm@11.19.1 --no-audit --no-fund
COPY package.json package-lock.json ./
# The workspace's manifest (the TypeScript SDK, sdk/typescript): npm ci wants every workspace the lockfile names.
COPY sdk/typescript/package.json sdk/typescript/
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# --- runtime: no compilers, no npm cache, no TypeScript; code owned by root and read-only for the service user
FROM node:${NODE_VERSION}-slim AS runtime
LABEL org.opencontainers.image.title="exchange" \
      org.opencontainers.image.description="Spot exchange backend: auth, wallet, order, matching, marketdata, edge" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production \
    EXCHANGE_HOST=0.0.0.0 \
    EXCHANGE_GRPC_PORT=8080 \
    EXCHANGE_HTTP_PORT=8081 \
    EXCHANGE_DATA_DIR=/var/lib/exchange
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The data dir for embedded mode and matching's volume.
RUN mkdir -p /var/lib/exchange && chown 1000:1000 /var/lib/exchange
# uid 1000 is the base image's `node` user; numeric so Kubernetes can check runAsNonRoot.
USER 1000:1000
EXPOSE 8080 8081
# A larger young generation (64 MiB semi-spaces, grown only under load): the hot paths allocate many short-lived
# objects per request, and the default size promotes batches still in flight to the old generation (measured: docs/wallet.md).
ENTRYPOINT ["node", "--max-semi-space-size=64", "dist/services/main.js"]
