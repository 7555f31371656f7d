// Baseline e, the latency floor of this machine: a uWS WebSocket server that answers every grab
// at once with a fixed `held`, without Redis, JSON parsing or any decision. It is not a way to
// sell anything: what it measures under the same open-loop load is what the sockets, the load
// generator and the scheduler of these cores cost on their own, so flashfest's tail latency
// can be read against it.
import uWS from 'uWebSockets.js';
import { verifyToken } from './common.mjs';

const app = uWS.App().ws('/*', {
  idleTimeout: 0,
  maxPayloadLength: 4096,
  upgrade(res, req, context) {
    const shopper = verifyToken(new URLSearchParams(req.getQuery() ?? '').get('token'));
    if (!shopper) { res.writeStatus('401 Unauthorized').end(); return; }
    res.upgrade({ shopper }, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'),
      req.getHeader('sec-websocket-extensions'), context);
  },
  message(ws, buf) {
    // the rid, found without parsing, as the load generator needs it back
    const s = Buffer.from(buf).toString('latin1');
    const r = s.indexOf('"rid":"');
    const rid = r < 0 ? '' : s.slice(r + 7, s.indexOf('"', r + 7));
    ws.send(`{"t":"held","rid":"${rid}","hold":"e-${rid}","qty":1}`);
  },
});
app.listen('127.0.0.1', Number(process.env.PORT ?? 0), (token) => {
  if (!token) { console.error('baseline e: cannot listen'); process.exit(1); }
  console.log(`baseline ready: uws-echo :${uWS.us_socket_local_port(token)}`);
});
process.on('SIGTERM', () => process.exit(0));
