# flashfest: one image for every role (FF_ROLE=gateway | worker | scheduler | all).
# node:20-bookworm-slim: Node 20 (ABI 115) and glibc 2.36, what the uWebSockets.js native binary
# needs. The server runs from TypeScript through tsx (as `npm start` does), so the image keeps the
# dev dependencies.
FROM node:20-bookworm-slim

WORKDIR /app
ENV npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

# dependencies first: this layer is rebuilt only when the lock file changes
COPY package.json package-lock.json ./
RUN npm ci --include=dev && npm cache clean --force

COPY . .
RUN node_modules/.bin/vite build --config client/vite.config.ts

ENV NODE_ENV=production \
    FF_ROLE=all \
    HOST=0.0.0.0 \
    PORT=8080
USER node
EXPOSE 8080
# main.ts applies migrations at boot (under an advisory lock) and stops gracefully on SIGTERM
CMD ["node", "--import", "tsx", "server/src/main.ts"]
