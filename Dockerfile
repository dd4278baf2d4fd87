# syntax=docker/dockerfile:1
# Syncret's container image. Three stages:
#   build: compile TypeScript with the dev dependencies, and the single executable (Node SEA);
#   deps:  install the production dependencies only;
#   final: distroless Node 24, with dist/, the production node_modules, package.json and the
#          single executable dist/sea/syncret.
# CI has no Docker engine: e2e/tools/packaging/dockerfile.ts runs these same stages' steps in a
# clean temporary folder (make test-image) and reports the size of what the final stage copies.

# Debian 12 (bookworm) like the runtime image, so any native module built here would also load there.
ARG BUILD_IMAGE=node:24-bookworm-slim
# Distroless: Node and its runtime libraries only; no shell, no package manager, no npm.
# The :nonroot variant runs as uid/gid 65532 (the chart's runAsUser).
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot

FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Not `npm ci`: the lockfile lists only the platform's optional packages it was made on, so
# `npm ci` rejects it elsewhere; `install --no-save` keeps the locked versions (see Makefile).
RUN npm install --no-save --no-audit --no-fund --loglevel=error
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The declarations (dist/**/*.d.ts) are the library's published types, for applications that
# install the package; the operator's image never reads them.
RUN npm run build && find dist -name '*.d.ts' -delete
# The self-contained `syncret` executable (what `make sea` builds): the injector's exec mode
# copies this one file into app images that have no Node (chart: injector.singleExecutable)
# instead of Node, dist/ and node_modules. It is this stage's Node binary with the bundled
# program inside, so the app image needs glibc 2.28+, libstdc++ and libgcc_s (what Node 24's
# binary links): distroless cc/base, Debian, Ubuntu, UBI have them; static and scratch do not.
# Moved out of dist/ so that the final stage's copy of dist/ leaves out the build's byproducts
# (dist/sea/work/, the cache key dist/sea/syncret.key).
COPY scripts/build-sea.ts ./scripts/
RUN node --experimental-strip-types scripts/build-sea.ts \
  && mkdir sea && mv dist/sea/syncret sea/syncret && rm -rf dist/sea

FROM ${BUILD_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: no production dependency needs one, and none then runs at build time.
# Type declarations, source maps and TypeScript sources of the dependencies are never loaded at
# run time: dropping them halves node_modules (about 150 to 70 MiB). Licenses stay.
RUN npm install --omit=dev --ignore-scripts --no-save --no-audit --no-fund --loglevel=error \
  && find node_modules -type f \( -name '*.d.ts' -o -name '*.d.cts' -o -name '*.d.mts' \
       -o -name '*.map' -o -name '*.ts' -o -name '*.cts' -o -name '*.mts' \) -delete

FROM ${RUNTIME_IMAGE}
WORKDIR /app
ENV NODE_ENV=production
# No NODE_OPTIONS: `syncret run` applies its own V8 and allocator settings however it is started
# (src/cli/runtime-settings.ts, measured in bench/, docs/PERFORMANCE.md).
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# The single executable, where `injector copy --single-executable` looks for it (SEA_PATH of
# src/injector/copy.ts, under the package root); its mode 0555 lets uid 65532 read and copy it.
COPY --from=build /src/sea/syncret ./dist/sea/syncret
# dist/version.js reads the version from here.
COPY package.json ./
USER 65532:65532
EXPOSE 8080
# For docker/podman (Kubernetes uses the probes of the Deployment). No shell or curl in the
# image: Node itself asks /healthz on the port of --metrics-addr / SYNCRET_METRICS_ADDR.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/nodejs/bin/node", "-e", "fetch('http://127.0.0.1:'+(process.env.SYNCRET_METRICS_ADDR||':8080').split(':').pop()+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/main.js"]
CMD ["run"]
