// Small helpers for uWS HTTP handlers. uWS rules that bite: register onAborted before the
// first await, copy everything out of `req` before any await, and cork late writes.
import type { HttpResponse } from 'uWebSockets.js';
import { Errors, type ErrorDef } from '../errors.ts';

const STATUS_TEXT: Record<number, string> = {
  200: '200 OK', 201: '201 Created', 204: '204 No Content', 304: '304 Not Modified',
  400: '400 Bad Request', 401: '401 Unauthorized', 403: '403 Forbidden', 404: '404 Not Found',
  405: '405 Method Not Allowed', 409: '409 Conflict', 413: '413 Payload Too Large', 429: '429 Too Many Requests',
  500: '500 Internal Server Error', 503: '503 Service Unavailable',
};

export function statusLine(status: number): string {
  return STATUS_TEXT[status] ?? `${status} Status`;
}

/** Tracks whether the client went away, so late writes are skipped instead of crashing. */
export function guard(res: HttpResponse): { aborted: boolean } {
  const state = { aborted: false };
  res.onAborted(() => { state.aborted = true; });
  return state;
}

export function sendJson(res: HttpResponse, status: number, body: unknown, state?: { aborted: boolean }): void {
  if (state?.aborted) return;
  const payload = JSON.stringify(body);
  res.cork(() => {
    res.writeStatus(statusLine(status))
      .writeHeader('content-type', 'application/json; charset=utf-8')
      .writeHeader('cache-control', 'no-store')
      .end(payload);
  });
}

export function sendError(res: HttpResponse, def: ErrorDef, state?: { aborted: boolean }, message?: string): void {
  sendJson(res, def.status, { code: def.code, message: message ?? def.message }, state);
}

/** Reads a request body up to `limit` bytes; rejects with payload_too_large past it. */
export function readBody(res: HttpResponse, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.onData((chunk, isLast) => {
      size += chunk.byteLength;
      if (size > limit) {
        reject(Object.assign(new Error('too large'), { def: Errors.payloadTooLarge }));
        return;
      }
      chunks.push(Buffer.from(chunk.slice(0)));
      if (isLast) resolve(Buffer.concat(chunks));
    });
  });
}

export function bearerToken(header: string): string | null {
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  return m ? m[1]! : null;
}
