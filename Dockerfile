# syntax=docker/dockerfile:1
# Patrol: one image for every role (`patrol run`, `patrol worker`, `patrol serve`); see docs/FLEET.md.
# `docker run -p 8080:8080 patrol` is the self-contained demo: the shipped detector (models/patrol-det.onnx)
# on the quick fixture cameras generated at build time, review UI on http://localhost:8080 (the first-run
# admin password is in `docker logs`). Other models: mount them read-only where their manifests point
# (../../shared/models/…, i.e. /shared/models in this image). compose.yaml and deploy/k8s/ run a fleet.

FROM node:20-bookworm-slim AS deps
WORKDIR /app
# Build tools only in this stage: better-sqlite3 compiles its native addon here.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund --omit=dev && npm install --no-save --no-audit --no-fund tsx

FROM node:20-bookworm-slim
# Debian ffmpeg decodes the camera streams; fonts render CJK labels on snapshots.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg fonts-noto-cjk ca-certificates tini curl \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY config ./config
COPY models ./models
COPY fixtures ./fixtures
# The review UI's script bundle (esbuild, which tsx brings): built here, since the running user cannot write /app.
RUN node_modules/.bin/tsx src/review/ui-build.ts
# The demo's cameras: the quick fixture set, procedural scenes only (no ../shared here), rendered by ffmpeg;
# config/demo.yaml is config/default.yaml without the scenes that could not be built (fire needs real crops).
COPY deploy/demo-config.ts ./deploy/demo-config.ts
RUN node_modules/.bin/tsx fixtures/generate.ts --quick \
 && node_modules/.bin/tsx deploy/demo-config.ts config/default.yaml config/demo.yaml
RUN mkdir -p /app/var/evidence /shared/models && chown -R node:node /app/var
# Non-root from here on: the process can write only its storage dir.
USER node
# Every role serves /metrics, /healthz and /readyz on 9464 (PATROL_METRICS_PORT); 0.0.0.0 so Prometheus can scrape it.
# The review UI binds every interface inside the container, so `-p 8080:8080` reaches it from the host.
ENV NODE_ENV=production PATROL_STORAGE_DIR=/app/var PATROL_HOST=0.0.0.0 PATROL_PORT=8080 PATROL_METRICS_HOST=0.0.0.0 PATROL_METRICS_PORT=9464
VOLUME ["/app/var"]
# 8080: review UI/API (run, serve); 9464: metrics and health (every role).
EXPOSE 8080 9464
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${PATROL_METRICS_PORT:-9464}/healthz" || exit 1
# The heap floor: see src/pipeline/heap-floor.ts (a V8 flag NODE_OPTIONS cannot carry).
ENTRYPOINT ["tini", "--", "node", "--initial-old-space-size=128", "bin/patrol.js"]
CMD ["run", "--config", "config/demo.yaml"]
