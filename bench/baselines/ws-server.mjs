// Baseline a: the usual Node WebSocket server (`ws`), one EVALSHA per grab, no batching.
// Token checked at the upgrade, JSON frames, the same answers as flashfest.
import { WebSocketServer } from 'ws';
import { Redis } from 'ioredis';
import { REDIS_URL, defineSingleGrab, grabOnce, validGrab, verifyToken } from './common.mjs';

const redis = new Redis(REDIS_URL);
defineSingleGrab(redis);
const wss = new WebSocketServer({
  host: '127.0.0.1', port: Number(process.env.PORT ?? 0), perMessageDeflate: false, maxPayload: 4096,
  verifyClient: (info, cb) => {
    const shopper = verifyToken(new URL(info.req.url, 'http://x').searchParams.get('token'));
    if (!shopper) return cb(false, 401);
    info.req.shopper = shopper;
    cb(true);
  },
});
wss.on('connection', (ws, req) => {
  const shopper = req.shopper;
  ws.on('message', (data) => {
    let m;
    try { m = JSON.parse(data.toString()); } catch { return ws.send('{"t":"error","code":"bad_json"}'); }
    if (!validGrab(m)) return ws.send(JSON.stringify({ t: 'refused', rid: m?.rid ?? '', deal: '', code: 'invalid' }));
    grabOnce(redis, shopper, m).then(
      (ans) => ws.send(JSON.stringify(ans)),
      () => ws.send(JSON.stringify({ t: 'refused', rid: m.rid, deal: m.deal, code: 'unavailable' })),
    );
  });
});
wss.on('listening', () => console.log(`baseline ready: ws :${wss.address().port}`));
process.on('SIGTERM', () => { wss.close(); redis.disconnect(); process.exit(0); });
