# The Node toolchain image the api, web and migrations services run in. Only the dependencies are
# baked in: docker-compose mounts the source, so edits reload without a rebuild.
FROM node:24-bookworm-slim
WORKDIR /app
ENV WRANGLER_SEND_METRICS=false \
    ASTRO_TELEMETRY_DISABLED=1 \
    CLERK_TELEMETRY_DISABLED=1
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
