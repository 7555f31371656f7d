// A wire-protocol server for one embedded PGlite that several `pg` connections can share safely.
//
// Why not PGLiteSocketServer as it is: its query queue serialises single protocol messages and
// pins a connection only while a SQL transaction is open, so the Parse/Bind/Execute/Sync messages
// of two connections interleave in PGlite's one backend session, and one connection's Bind meets
// the other's unnamed statement ("unnamed prepared statement does not exist"; known upstream:
// electric-sql/pglite issue 1046). Here the backend belongs to one connection from its first
// message until the end of its protocol cycle (Sync or a simple Query, or Terminate) outside a
// transaction; the other connections' messages wait. The per-connection framing is still
// PGLiteSocketHandler's.
import net from 'node:net';

// Extended-query and COPY messages after which the cycle is not over yet.
const CONTINUES = new Set(['P', 'B', 'D', 'E', 'C', 'H', 'd', 'c', 'f']);

class AffinityQueue {
  constructor(db) {
    this.db = db;
    this.queue = [];
    this.owner = null;
    this.processing = false;
  }

  enqueue(handlerId, message, onData) {
    return new Promise((resolve, reject) => {
      this.queue.push({ handlerId, message, onData, resolve, reject });
      void this.process();
    });
  }

  next() {
    if (this.owner === null) return this.queue.shift();
    const i = this.queue.findIndex((q) => q.handlerId === this.owner);
    return i === -1 ? undefined : this.queue.splice(i, 1)[0];
  }

  async process() {
    if (this.processing) return;
    this.processing = true;
    try {
      for (let item = this.next(); item; item = this.next()) {
        // a startup packet begins with its length, not a type letter: it never continues a cycle
        const type = item.message.length > 0 && item.message[0] >= 0x41 ? String.fromCharCode(item.message[0]) : '';
        this.owner = item.handlerId;
        let bytes = 0;
        try {
          await this.db.runExclusive(() => this.db.execProtocolRawStream(item.message, {
            onRawData: (data) => { bytes += data.length; item.onData(data); },
          }));
          item.resolve(bytes);
        } catch (err) {
          item.reject(err);
        }
        if (!CONTINUES.has(type) && !this.db.isInTransaction()) this.owner = null;
      }
    } finally {
      this.processing = false;
    }
  }

  getQueueLength() {
    return this.queue.length;
  }

  clearQueueForHandler(handlerId) {
    this.queue = this.queue.filter((q) => {
      if (q.handlerId !== handlerId) return true;
      q.reject(new Error('Handler disconnected'));
      return false;
    });
  }

  async clearTransactionIfNeeded(handlerId) {
    if (this.owner !== handlerId) return;
    // the connection went away mid-cycle: end what it left open, then let the others in
    await this.db.runExclusive(async () => {
      if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
    }).catch(() => {});
    this.owner = null;
    void this.process();
  }
}

/**
 * Serves `db` on host:port (port 0 picks a free one). Resolves with { port, stop() }.
 * @param {{ db: import('@electric-sql/pglite').PGlite, PGLiteSocketHandler: any, host?: string, port?: number, maxConnections?: number }} o
 */
export async function servePglite({ db, PGLiteSocketHandler, host = '127.0.0.1', port = 0, maxConnections = 100 }) {
  await db.waitReady;
  const queue = new AffinityQueue(db);
  const handlers = new Set();
  const server = net.createServer((socket) => {
    if (handlers.size >= maxConnections) {
      socket.end();
      return;
    }
    const h = new PGLiteSocketHandler({ queryQueue: queue, closeOnDetach: true });
    handlers.add(h);
    const drop = () => handlers.delete(h);
    h.addEventListener('close', drop);
    h.addEventListener('error', drop);
    h.attach(socket).catch(() => { drop(); socket.destroy(); });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: server.address().port,
    async stop() {
      for (const h of handlers) await h.detach(true).catch(() => {});
      handlers.clear();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
