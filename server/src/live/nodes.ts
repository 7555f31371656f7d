// Node heartbeats for the ops board: every process writes one field of `<prefix>:nodes` (HASH,
// node id -> JSON) each second. Hash fields have no TTL in Redis 7.0, so readers judge age by
// `at`: stale after 3 s, and a field silent for 10 minutes is removed by whoever reads it.
import { hostname } from 'node:os';
import type { RedisClient } from '../redis.ts';
import type { OpsNode } from '../shared/ops-view.ts';

export const nodesKey = (prefix: string) => `${prefix}:nodes`;
const STALE_MS = 3_000;
const FORGET_MS = 10 * 60_000;

export type NodeInfo = Omit<OpsNode, 'id' | 'role' | 'host' | 'pid' | 'startedAt' | 'at' | 'stale'>;

export class Heartbeat {
  readonly id: string;
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = Date.now();
  private readonly parts: (() => Partial<NodeInfo>)[] = [];
  private beating = false;

  constructor(private readonly redis: RedisClient, private readonly prefix: string, private readonly role: string, private readonly everyMs = 1_000) {
    this.id = `${role}@${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 6)}`;
  }

  /** Adds fields to every beat (sockets, latency, worker stats, leadership). */
  add(part: () => Partial<NodeInfo>): void {
    this.parts.push(part);
  }

  start(): void {
    void this.beat();
    this.timer = setInterval(() => void this.beat(), this.everyMs);
    this.timer.unref();
  }

  async beat(): Promise<void> {
    // A Redis that answers nothing must not collect a write a second until it wakes.
    if (this.beating) return;
    this.beating = true;
    try {
      const node: Omit<OpsNode, 'stale'> = {
        id: this.id, role: this.role, host: hostname(), pid: process.pid, startedAt: this.startedAt, at: Date.now(), leader: false,
      };
      for (const p of this.parts) Object.assign(node, p());
      await this.redis.hset(nodesKey(this.prefix), this.id, JSON.stringify(node)).catch(() => {});
    } finally {
      this.beating = false;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.redis.hdel(nodesKey(this.prefix), this.id).catch(() => {});
  }
}

export async function readNodes(redis: RedisClient, prefix: string, now = Date.now()): Promise<OpsNode[]> {
  const all = await redis.hgetall(nodesKey(prefix));
  const out: OpsNode[] = [];
  const forget: string[] = [];
  for (const [id, raw] of Object.entries(all)) {
    try {
      const n = JSON.parse(raw) as OpsNode;
      if (now - n.at > FORGET_MS) forget.push(id);
      else out.push({ ...n, stale: now - n.at > STALE_MS });
    } catch {
      forget.push(id);
    }
  }
  if (forget.length) await redis.hdel(nodesKey(prefix), ...forget).catch(() => {});
  return out.sort((a, b) => a.role.localeCompare(b.role) || a.id.localeCompare(b.id));
}
