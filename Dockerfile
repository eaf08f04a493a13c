# syntax=docker/dockerfile:1
# Patrol: one image for every role (`patrol run`, `patrol worker`, `patrol serve`).

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
RUN mkdir -p /app/var && chown -R node:node /app/var
USER node
ENV NODE_ENV=production PATROL_STORAGE_DIR=/app/var
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["tini", "--", "node", "bin/patrol.js"]
CMD ["run", "--config", "config/default.yaml"]
