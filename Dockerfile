# robot-control: the broker and its worker in one image.
#   docker build -t robot-control .
#   docker run -p 8000:8000 -v robot-data:/data robot-control
# Tighter: add --cap-drop ALL --security-opt no-new-privileges --read-only --tmpfs /tmp
# glibc (Debian) base: zeromq ships prebuilt binaries for linux-x64/arm64 glibc.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# python3 runs Python robot projects (standard library only).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json /app/config.yaml ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/types ./types
COPY --from=build /app/worker/executors/python_runner.py ./worker/executors/python_runner.py
COPY --from=build /app/storage/projects/default ./storage/projects/default
# Projects, robot data and logs live in /data; the built-in default project stays in
# the image and is copied to /data/projects/default on first start.
# worker.sandbox is "none" on purpose: bubblewrap needs user namespaces and mounts, which
# Docker's defaults forbid, and the container is the boundary (docs/SECURITY.md). The
# banner and /health say so.
RUN printf '%s\n' \
  'websocket:' '  host: "0.0.0.0"' '  port: 8000' \
  'worker:' '  storage_dir: "/data/projects"' '  data_dir: "/data/robot-data"' '  sandbox: "none"' \
  'log:' '  file: "/data/logs/app.log"' \
  > /app/docker.yaml
# An unprivileged user that owns /data and nothing else: robot code (which runs as this
# user) cannot change the image, the broker's code or its config.
RUN groupadd --system --gid 10001 robot \
 && useradd --system --uid 10001 --gid robot --home-dir /data --no-create-home --shell /usr/sbin/nologin robot \
 && mkdir -p /data \
 && chown robot:robot /data
USER robot
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:8000/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# node directly (not npm start): signals reach the broker, which stops its worker within 5 s.
STOPSIGNAL SIGTERM
CMD ["node", "dist/server/main.js", "--config", "docker.yaml"]
