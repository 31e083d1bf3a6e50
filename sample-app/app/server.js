'use strict';
// The sample service: GET / shows the release (version, commit, slot), GET /health answers the
// load balancer. No runtime dependencies. Stops gracefully on SIGTERM (ECS stops tasks with it).
const http = require('node:http');
const path = require('node:path');
const { readFileSync } = require('node:fs');

const PACKAGE_VERSION = JSON.parse(readFileSync(path.join(__dirname, 'package.json'), 'utf8')).version;
const SHUTDOWN_GRACE_MS = 10_000;

/** What this process is running, from its environment (APP_VERSION, COMMIT, BLUEGREEN_SLOT). */
function releaseInfo(env = process.env) {
  return {
    version: env.APP_VERSION || PACKAGE_VERSION,
    commit: env.COMMIT || 'unknown',
    slot: env.BLUEGREEN_SLOT || env.SLOT || 'unknown',
  };
}

function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function page(info) {
  const rows = [
    ['Version', info.version],
    ['Commit', info.commit],
    ['Slot', info.slot],
  ]
    .map(([k, v]) => `<tr><th>${k}</th><td><code>${escapeHtml(v)}</code></td></tr>`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Blue/green sample</title>
<style>body{font-family:system-ui,sans-serif;margin:3rem}th{text-align:left;padding-right:1rem}</style></head>
<body><h1>Blue/green sample service</h1><table>${rows}</table></body>
</html>
`;
}

/** An HTTP server for `info`. `isDraining()` turns /health to 503 while shutting down. */
function createServer(info = releaseInfo(), isDraining = () => false) {
  return http.createServer((req, res) => {
    const send = (status, type, body) => {
      res.writeHead(status, {
        'content-type': type,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        ...(isDraining() ? { connection: 'close' } : {}),
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(405, 'text/plain; charset=utf-8', 'Method Not Allowed\n');
    }
    const { pathname } = new URL(req.url || '/', 'http://localhost');
    if (pathname === '/health') {
      const status = isDraining() ? 'draining' : 'ok';
      return send(isDraining() ? 503 : 200, 'application/json', `${JSON.stringify({ status, ...info })}\n`);
    }
    if (pathname === '/') return send(200, 'text/html; charset=utf-8', page(info));
    return send(404, 'text/plain; charset=utf-8', 'Not Found\n');
  });
}

/**
 * Listens on `port` (0 = any free port) and installs the SIGTERM/SIGINT handlers: stop
 * accepting connections, finish the requests in flight, exit 0 (or 1 after the grace period).
 */
function start({ port = Number(process.env.PORT || 8080), env = process.env, log = console.log } = {}) {
  let draining = false;
  const server = createServer(releaseInfo(env), () => draining);
  const shutdown = (signal) => {
    if (draining) return;
    draining = true;
    log(JSON.stringify({ level: 'info', message: `${signal} received, draining`, signal }));
    setTimeout(() => {
      log(JSON.stringify({ level: 'error', message: 'connections still open after the grace period, exiting' }));
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    server.close(() => {
      log(JSON.stringify({ level: 'info', message: 'stopped' }));
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  server.listen(port, () => {
    log(JSON.stringify({ level: 'info', message: 'listening', port: server.address().port, ...releaseInfo(env) }));
  });
  return server;
}

if (require.main === module) start();

module.exports = { createServer, releaseInfo, start };
