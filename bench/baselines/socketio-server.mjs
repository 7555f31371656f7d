// Baseline b: the usual socket.io server (WebSocket transport only, acks), one EVALSHA per grab.
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { Redis } from 'ioredis';
import { REDIS_URL, defineSingleGrab, grabOnce, validGrab, verifyToken } from './common.mjs';

const redis = new Redis(REDIS_URL);
defineSingleGrab(redis);
const http = createServer();
const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, maxHttpBufferSize: 4096, serveClient: false });
io.use((socket, next) => {
  const shopper = verifyToken(socket.handshake.auth?.token);
  if (!shopper) return next(new Error('unauthorized'));
  socket.data.shopper = shopper;
  next();
});
io.on('connection', (socket) => {
  socket.on('grab', (m, ack) => {
    if (typeof ack !== 'function') return;
    const msg = { t: 'grab', ...m };
    if (!validGrab(msg)) return ack({ t: 'refused', rid: m?.rid ?? '', deal: '', code: 'invalid' });
    grabOnce(redis, socket.data.shopper, msg).then(ack, () => ack({ t: 'refused', rid: msg.rid, deal: msg.deal, code: 'unavailable' }));
  });
});
http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log(`baseline ready: socket.io :${http.address().port}`));
process.on('SIGTERM', () => { io.close(); redis.disconnect(); process.exit(0); });
