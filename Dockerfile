# syntax=docker/dockerfile:1
# Patrol: one image for every role (`patrol run`, `patrol worker`, `patrol serve`); see docs/FLEET.md.
# The model weights are not in the repository: mount them read-only where the manifests point
# (models/*.json name ../../shared/models/…, i.e. /shared/models in this image).

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
RUN mkdir -p /app/var /shared/models && chown -R node:node /app/var
# Non-root from here on: the process can write only its storage dir.
USER node
# Every role serves /metrics, /healthz and /readyz on 9464 (PATROL_METRICS_PORT); 0.0.0.0 so Prometheus can scrape it.
ENV NODE_ENV=production PATROL_STORAGE_DIR=/app/var PATROL_METRICS_HOST=0.0.0.0 PATROL_METRICS_PORT=9464
VOLUME ["/app/var"]
# 8080: review UI/API (run, serve); 9464: metrics and health (every role).
EXPOSE 8080 9464
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${PATROL_METRICS_PORT:-9464}/healthz" || exit 1
ENTRYPOINT ["tini", "--", "node", "bin/patrol.js"]
CMD ["run", "--config", "config/default.yaml"]
