// redlock 5.0.0-beta.2 ships dist/index.d.ts, but its package "exports" map has no "types"
// entry, so NodeNext resolution cannot see it. This is the slice of that file we use.
declare module 'redlock' {
  import { EventEmitter } from 'node:events';
  import type { Redis, Cluster } from 'ioredis';

  type Client = Redis | Cluster;

  export interface Settings {
    readonly driftFactor: number;
    readonly retryCount: number;
    readonly retryDelay: number;
    readonly retryJitter: number;
    readonly automaticExtensionThreshold: number;
  }

  export interface ExecutionStats {
    readonly membershipSize: number;
    readonly quorumSize: number;
    readonly votesFor: Set<Client>;
    readonly votesAgainst: Map<Client, Error>;
  }

  export interface ExecutionResult {
    attempts: ReadonlyArray<Promise<ExecutionStats>>;
  }

  export class ResourceLockedError extends Error {
    constructor(message: string);
  }

  export class ExecutionError extends Error {
    readonly attempts: ReadonlyArray<Promise<ExecutionStats>>;
    constructor(message: string, attempts: ReadonlyArray<Promise<ExecutionStats>>);
  }

  export class Lock {
    readonly redlock: Redlock;
    readonly resources: string[];
    readonly value: string;
    readonly attempts: ReadonlyArray<Promise<ExecutionStats>>;
    expiration: number;
    release(): Promise<ExecutionResult>;
    extend(duration: number): Promise<Lock>;
  }

  /** Aborted when auto-extension failed and the lock has expired; `error` says why. */
  export type RedlockAbortSignal = AbortSignal & { error?: Error };

  export default class Redlock extends EventEmitter {
    readonly clients: Set<Client>;
    readonly settings: Settings;
    constructor(clients: Iterable<Client>, settings?: Partial<Settings>);
    quit(): Promise<void>;
    acquire(resources: string[], duration: number, settings?: Partial<Settings>): Promise<Lock>;
    release(lock: Lock, settings?: Partial<Settings>): Promise<ExecutionResult>;
    extend(existing: Lock, duration: number, settings?: Partial<Settings>): Promise<Lock>;
    using<T>(resources: string[], duration: number, settings: Partial<Settings>,
      routine: (signal: RedlockAbortSignal) => Promise<T>): Promise<T>;
    using<T>(resources: string[], duration: number,
      routine: (signal: RedlockAbortSignal) => Promise<T>): Promise<T>;
    on(event: 'error', listener: (err: Error) => void): this;
  }
}
