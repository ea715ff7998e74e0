# One image for both apps; the command picks which one runs:
#   docker run IMAGE                                  -> the gateway (the default CMD, with its V8 flags)
#   docker run IMAGE node --max-old-space-size=1024 apps/worker/dist/main.js  -> a worker
#   docker run IMAGE node apps/api/dist/main.js       -> the notifications API (docs/notifications.md)
#   docker run IMAGE node apps/ops/dist/main.js status  -> an ops command (doctor-main.js: the doctor)
# docs/deploy.md shows the whole stack (docker-compose.yml).

ARG NODE_IMAGE=node:24-bookworm-slim

# Only the package manifests, so `npm ci` below stays cached until a dependency changes. Every
# folder under apps/ and libs/ is a workspace (root package.json), and npm ci needs all of their
# manifests to match package-lock.json.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir /manifests \
 && cp package.json package-lock.json /manifests/ \
 && find apps libs -mindepth 2 -maxdepth 2 -name package.json -exec cp --parents {} /manifests/ \;

# Compile every workspace (`tsc -b tsconfig.build.json` writes each one's dist/).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY --from=manifests /manifests/ ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
 && mkdir /dists \
 && for dir in apps/* libs/*; do cp -R --parents "$dir/dist" /dists/; done

# Production dependencies of the apps, then the compiled packages. `--workspace` keeps the
# install to what the gateway, the worker and the ops commands need (their @wxq/* libs included): @wxq/testing,
# @wxq/redis-server (testcontainers) and @wxq/wechat-sim are not installed. node_modules/@wxq/* are symlinks to
# ../../apps/<name> and ../../libs/<name>; each of those gets its package.json (manifests stage)
# and its dist/ (build stage), which is all that "exports" points at outside @wxq/source.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=manifests /manifests/ ./
# typescript comes along as devOptional (valibot, under Bull Board, names it an optional peer for
# its types; npm keeps such a package unless optional ones are omitted too, which would drop
# msgpackr's native extension): nothing runs it, so it goes (23 MB).
RUN npm ci --omit=dev --workspace=@wxq/gateway --workspace=@wxq/worker --workspace=@wxq/api --workspace=@wxq/ops --no-audit --no-fund \
 && rm -rf node_modules/typescript node_modules/.bin/tsc node_modules/.bin/tsserver \
 && npm cache clean --force
COPY --from=build /dists/ ./
# The files stay root-owned: the app never writes to /app, and a compromised process cannot
# change the code it runs.
USER node
# 3000: public listener (POST /wechat, /healthz, /readyz). 3001: admin listener (Bull Board,
# /metrics), bound only when ADMIN_PASSWORD is set; never publish it to the internet.
EXPOSE 3000 3001
# --max-semi-space-size=8: V8's young generation at 2 x 8 MB instead of 2 x 16 MB.
# --max-old-space-size=256: a heap ceiling for a gateway (its heap after a GC is about 17 MB), not
# one V8 derives from the host's memory: with a ceiling in the gigabytes V8 lets garbage grow to 4x
# the live heap between full GCs. Both lower the RSS under load (docs/deploy.md, "Memory").
# --v8-pool-size=1: one V8 helper thread (concurrent GC, compilation) instead of node's 4: about
# 3 MB less idle, no throughput cost measured on one core. Keep them when you replace the command. A worker runs `node --max-old-space-size=1024
# apps/worker/dist/main.js` (docker-compose.yml): the same reason, with room for handlers' data.
CMD ["node", "--max-semi-space-size=8", "--max-old-space-size=256", "--v8-pool-size=1", "apps/gateway/dist/main.js"]
