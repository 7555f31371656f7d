/*
 * wsload's waiting-room role (--room) and the per-socket send delay (--delay-ms, any role);
 * included by wsload.c, whose sockets, frames and loop it uses.
 *
 * Role room (--room [--buy]): at `go` every open socket sends {"t":"join","deal":"<deal>"}; a
 * `pow` answer is solved here (ALTCHA v1: the n <= maxnumber with sha256(salt + n) == challenge,
 * hex) and the join sent again with "pow": base64 of {"algorithm","challenge","number","salt",
 * "signature"}. Per socket it keeps: the `joined` frames, those with a number (and the number),
 * `room_closed` frames (and whether the reason was sold_out), whether it was admitted, and with
 * --buy: on `admitted` it grabs one unit with the pass ({"t":"grab",...,"rid":"r","pass":...}),
 * pays a `held` answer ({"t":"pay","hold":...}) and counts `paid`; refusals count by code in
 * counts.refused. Every `serving` frame's "at" (the tick's Redis time, epoch ms) gives
 * arrival - at into the histogram `lat`. An `error` `unavailable` (the gateway could not reach
 * the room) is answered with a plain join again at the next 500 ms retry instant, as a page
 * would (counted in "rejoins", not in errors). It finishes once every open socket has had its
 * room_closed and every held unit its `paid`, or timeout-ms after `go`'s `at`.
 *
 * Delay (--delay-ms=D --delay-every=K): sockets with index i % K == K - 1 hold every frame they
 * send after the opening handshake for D ms (a slow link, one way) before writing it; the others
 * send at once. Frames of one socket keep their order.
 *
 * Result: the usual counts and lat, plus "room":{"number":[...],"numbered":[...],"joined":[...],
 * "closed":[...],"soldOut":[...],"admitted":[...],"held":[...],"paid":[...] (one entry per socket
 * of this process, in token order), "firstJoinAt","lastJoinedAt","lastClosedAt","lastAdmittedAt"
 * (epoch ms, 0: none), "pows" (challenges solved), "rejoins"}. A delayed socket is one whose index
 * i % K == K - 1, as above (the driver knows which).
 */

/* ---- the delay queue: a FIFO (every delayed frame waits the same time, so it is sorted) ---- */
static double delay_ms;
static uint32_t delay_every;
typedef struct { uint64_t due; uint32_t sock, off, len; } Delayed;
static Delayed *dq; static size_t dq_head, dq_len, dq_cap;
static char *dq_bytes; static uint32_t dqb_len, dqb_cap, dqb_head;

static int is_delayed(uint32_t i) { return delay_every > 0 && delay_ms > 0 && i % delay_every == delay_every - 1; }

/* sends now, or after the delay for a delayed socket */
static int sock_send(uint32_t i, const char *p, size_t n) {
  if (!is_delayed(i)) return sock_write(i, p, n);
  if (dq_len == dq_cap) { dq_cap = dq_cap ? dq_cap * 2 : 1024; dq = xrealloc(dq, dq_cap * sizeof(Delayed)); }
  dq[dq_len++] = (Delayed){ mono_ns() + (uint64_t)(delay_ms * 1e6), i, dqb_len, (uint32_t)n };
  buf_append(&dq_bytes, &dqb_len, &dqb_cap, p, n);
  return 0;
}
static uint64_t delay_next(void) { return dq_head < dq_len ? dq[dq_head].due : UINT64_MAX; }
static void delay_flush(uint64_t now) {
  while (dq_head < dq_len && dq[dq_head].due <= now) {
    Delayed *d = &dq[dq_head++];
    if (socks[d->sock].state == S_OPEN) sock_write(d->sock, dq_bytes + d->off, d->len);
    dqb_head = d->off + d->len;
  }
  if (dq_head == dq_len) { dq_head = dq_len = 0; dqb_len = dqb_head = 0; }
  else if (dq_head > 4096 && dq_head * 2 > dq_len) { /* compact the consumed front */
    memmove(dq_bytes, dq_bytes + dqb_head, dqb_len - dqb_head);
    for (size_t k = dq_head; k < dq_len; k++) dq[k].off -= dqb_head;
    dqb_len -= dqb_head; dqb_head = 0;
    memmove(dq, dq + dq_head, (dq_len - dq_head) * sizeof(Delayed));
    dq_len -= dq_head; dq_head = 0;
  }
}

/* ---- SHA-256 (FIPS 180-4), for the door's proof of work ---- */
static const uint32_t K256[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2 };
#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
static void sha256_block(uint32_t h[8], const unsigned char *b) {
  uint32_t w[64];
  for (int k = 0; k < 16; k++) w[k] = ((uint32_t)b[4 * k] << 24) | ((uint32_t)b[4 * k + 1] << 16) | ((uint32_t)b[4 * k + 2] << 8) | b[4 * k + 3];
  for (int k = 16; k < 64; k++) {
    uint32_t s0 = ROR(w[k - 15], 7) ^ ROR(w[k - 15], 18) ^ (w[k - 15] >> 3);
    uint32_t s1 = ROR(w[k - 2], 17) ^ ROR(w[k - 2], 19) ^ (w[k - 2] >> 10);
    w[k] = w[k - 16] + s0 + w[k - 7] + s1;
  }
  uint32_t a = h[0], bb = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (int k = 0; k < 64; k++) {
    uint32_t t1 = hh + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K256[k] + w[k];
    uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & bb) ^ (a & c) ^ (bb & c));
    hh = g; g = f; f = e; e = d + t1; d = c; c = bb; bb = a; a = t1 + t2;
  }
  h[0] += a; h[1] += bb; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}
static void sha256_hex(const char *msg, size_t n, char out[65]) {
  uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
  unsigned char b[64];
  size_t off = 0;
  for (; n - off >= 64; off += 64) sha256_block(h, (const unsigned char *)msg + off);
  size_t r = n - off;
  memcpy(b, msg + off, r);
  b[r++] = 0x80;
  if (r > 56) { memset(b + r, 0, 64 - r); sha256_block(h, b); r = 0; }
  memset(b + r, 0, 56 - r);
  uint64_t bits = (uint64_t)n * 8;
  for (int k = 0; k < 8; k++) b[56 + k] = (unsigned char)(bits >> (56 - 8 * k));
  sha256_block(h, b);
  static const char hx[] = "0123456789abcdef";
  for (int k = 0; k < 32; k++) { unsigned char v = (unsigned char)(h[k / 4] >> (24 - 8 * (k % 4))); out[2 * k] = hx[v >> 4]; out[2 * k + 1] = hx[v & 15]; }
  out[64] = 0;
}

static size_t base64(const char *in, size_t n, char *out) {
  static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t o = 0, k = 0;
  for (; k + 2 < n; k += 3) {
    uint32_t v = ((uint32_t)(unsigned char)in[k] << 16) | ((uint32_t)(unsigned char)in[k + 1] << 8) | (unsigned char)in[k + 2];
    out[o++] = b64[v >> 18]; out[o++] = b64[(v >> 12) & 63]; out[o++] = b64[(v >> 6) & 63]; out[o++] = b64[v & 63];
  }
  if (k < n) {
    uint32_t v = (uint32_t)(unsigned char)in[k] << 16 | (k + 1 < n ? (uint32_t)(unsigned char)in[k + 1] << 8 : 0);
    out[o++] = b64[v >> 18]; out[o++] = b64[(v >> 12) & 63];
    out[o++] = k + 1 < n ? b64[(v >> 6) & 63] : '=';
    out[o++] = '=';
  }
  return o;
}

/* ---- the room role ---- */
static int room_buy; /* room: the role's flag, declared in wsload.c */
typedef struct { uint32_t number, numbered, joined, closed, sold_out; uint8_t admitted, held, paid; } Waiter;
static Waiter *waiters;
static double first_join_at, last_joined_at, last_closed_at, last_admitted_at;
static uint64_t pows, rejoins;
/* waiters told `unavailable` join again (the gateway's message says so), all at the next retry
 * instant, every RETRY_NS */
#define RETRY_NS 500000000ULL
static uint32_t *retry_list; static uint32_t nretry; static uint64_t t_retry;
static uint32_t open_at_go, closed_total, held_total, paid_total;

/* the raw text of "key":"<text>" (no escapes: the room's fields never carry any) */
static const char *str_field(const char *p, size_t n, const char *key, size_t *len) {
  size_t kl = strlen(key);
  const char *k = memmem(p, n, key, kl);
  if (!k) return NULL;
  const char *v = k + kl, *e = memchr(v, '"', (size_t)(p + n - v));
  if (!e || memchr(v, '\\', (size_t)(e - v))) return NULL;
  *len = (size_t)(e - v);
  return v;
}

static void room_send(uint32_t i, const char *pl, size_t n) {
  char *f = xrealloc(NULL, n + 16);
  sock_send(i, f, put_frame(f, 1, pl, n));
  free(f);
}

static void room_join(uint32_t i, const char *pow, size_t pown) {
  char pl[4096];
  int n = pow ? snprintf(pl, sizeof pl, "{\"t\":\"join\",\"deal\":\"%s\",\"pow\":\"%.*s\"}", deal, (int)pown, pow)
              : snprintf(pl, sizeof pl, "{\"t\":\"join\",\"deal\":\"%s\"}", deal);
  if (n > 0 && (size_t)n < sizeof pl) room_send(i, pl, (size_t)n);
}

static void refused_code(const char *c, size_t cl) {
  if (cl > 63) cl = 63;
  int k;
  for (k = 0; k < nrefused; k++) if (strlen(refused[k].code) == cl && memcmp(refused[k].code, c, cl) == 0) break;
  if (k == nrefused) {
    if (nrefused == 64) k = 63;
    else { memcpy(refused[k].code, c, cl); refused[k].code[cl] = 0; nrefused++; }
  }
  refused[k].n++;
}

static void room_pow(uint32_t i, const char *p, size_t n) {
  size_t cl, sl, gl, al;
  const char *ch = str_field(p, n, "\"challenge\":\"", &cl), *salt = str_field(p, n, "\"salt\":\"", &sl);
  const char *sig = str_field(p, n, "\"signature\":\"", &gl), *alg = str_field(p, n, "\"algorithm\":\"", &al);
  size_t ml;
  const char *mx = key_span(p, n, "\"maxnumber\":", 0, &ml);
  if (!ch || !salt || !sig || !alg || cl != 64 || sl > 1000) { counts.errors++; return; }
  uint64_t max = mx ? strtoull(mx, NULL, 10) : 1000000;
  char buf[1100], hex[65];
  memcpy(buf, salt, sl);
  for (uint64_t k = 0; k <= max; k++) {
    int dn = snprintf(buf + sl, sizeof buf - sl, "%llu", (unsigned long long)k);
    sha256_hex(buf, sl + (size_t)dn, hex);
    if (memcmp(hex, ch, 64) != 0) continue;
    char payload[2048], enc[2900];
    int pn = snprintf(payload, sizeof payload, "{\"algorithm\":\"%.*s\",\"challenge\":\"%.*s\",\"number\":%llu,\"salt\":\"%.*s\",\"signature\":\"%.*s\"}",
      (int)al, alg, (int)cl, ch, (unsigned long long)k, (int)sl, salt, (int)gl, sig);
    if (pn <= 0 || (size_t)pn >= sizeof payload) { counts.errors++; return; }
    pows++;
    room_join(i, enc, base64(payload, (size_t)pn, enc));
    return;
  }
  counts.errors++; /* no solution under maxnumber */
}

static void room_frame(uint32_t i, const char *p, size_t n, uint64_t t) {
  Waiter *w = &waiters[i];
  size_t l;
  if (n >= 12 && memcmp(p, "{\"t\":\"serving\"", n < 14 ? n : 14) == 0) {
    const char *a = key_span(p, n, "\"at\":", 1, &l);
    double at;
    if (a && parse_at(a, l, &at)) record_us(hist, (epoch_ms(t) - at) * 1000.0);
  } else if (n >= 11 && memcmp(p, "{\"t\":\"pow\"", 10) == 0) {
    room_pow(i, p, n);
  } else if (n >= 13 && memcmp(p, "{\"t\":\"joined\"", 13) == 0) {
    w->joined++;
    last_joined_at = epoch_ms(t);
    const char *num = key_span(p, n, "\"number\":", 0, &l);
    if (num) { w->numbered++; w->number = (uint32_t)strtoul(num, NULL, 10); }
  } else if (n >= 15 && memcmp(p, "{\"t\":\"admitted\"", 15) == 0) {
    w->admitted = 1;
    last_admitted_at = epoch_ms(t);
    const char *pass = str_field(p, n, "\"pass\":\"", &l);
    if (room_buy && pass && l < 1000) {
      char pl[1200];
      int m = snprintf(pl, sizeof pl, "{\"t\":\"grab\",\"deal\":\"%s\",\"qty\":1,\"rid\":\"r\",\"pass\":\"%.*s\"}", deal, (int)l, pass);
      counts.sent++;
      room_send(i, pl, (size_t)m);
    }
  } else if (n >= 11 && memcmp(p, "{\"t\":\"held\"", 11) == 0) {
    counts.answered++; counts.held++;
    if (!w->held) held_total++;
    w->held = 1;
    const char *hold = str_field(p, n, "\"hold\":\"", &l);
    if (hold && l < 200) {
      char pl[300];
      int m = snprintf(pl, sizeof pl, "{\"t\":\"pay\",\"hold\":\"%.*s\"}", (int)l, hold);
      room_send(i, pl, (size_t)m);
    }
  } else if (n >= 11 && memcmp(p, "{\"t\":\"paid\"", 11) == 0) {
    if (!w->paid) paid_total++;
    w->paid = 1;
  } else if (n >= 14 && memcmp(p, "{\"t\":\"refused\"", 14) == 0) {
    counts.answered++;
    const char *c = str_field(p, n, "\"code\":\"", &l);
    if (c) refused_code(c, l); else refused_code("?", 1);
  } else if (n >= 18 && memcmp(p, "{\"t\":\"room_closed\"", 18) == 0) {
    if (w->closed++ == 0) closed_total++;
    if (memmem(p, n, "\"reason\":\"sold_out\"", 19)) w->sold_out++;
    last_closed_at = epoch_ms(t);
  } else if (n >= 12 && memcmp(p, "{\"t\":\"error\"", 12) == 0) {
    const char *c = str_field(p, n, "\"code\":\"", &l);
    if (c && l == 11 && memcmp(c, "unavailable", 11) == 0 && !w->closed && nretry < nsock * 4) { retry_list[nretry++] = i; return; }
    counts.errors++;
    if (c) refused_code(c, l);
  }
}

static void room_start(uint64_t now) {
  measuring = meas_started = 1;
  t_finish = now + (uint64_t)(storm_timeout_ms * 1e6);
  first_join_at = epoch_ms(now);
  retry_list = xrealloc(NULL, sizeof(uint32_t) * (nsock ? nsock : 1) * 4);
  t_retry = now + RETRY_NS;
  for (uint32_t i = 0; i < nsock; i++) if (socks[i].state == S_OPEN) { open_at_go++; room_join(i, NULL, 0); }
}
static void room_timers(uint64_t now) {
  if (phase == P_WAIT && now >= t_start) { phase = P_RUN; running = 1; room_start(now); }
  if (phase == P_RUN && now >= t_retry) {
    for (uint32_t k = 0; k < nretry; k++) if (socks[retry_list[k]].state == S_OPEN) { rejoins++; room_join(retry_list[k], NULL, 0); }
    nretry = 0;
    t_retry = now + RETRY_NS;
  }
  /* the sold-out notice may overtake the answer to the payment that sold the last unit */
  if (phase == P_RUN && ((open_at_go > 0 && closed_total >= open_at_go && paid_total >= held_total) || now >= t_finish)) finish();
}

static size_t room_json(char *o, size_t cap) {
  size_t n = (size_t)snprintf(o, cap, ",\"room\":{");
  const char *names[] = { "number", "numbered", "joined", "closed", "soldOut", "admitted", "held", "paid" };
  for (int f = 0; f < 8; f++) {
    n += (size_t)snprintf(o + n, cap - n, "%s\"%s\":[", f ? "," : "", names[f]);
    for (uint32_t i = 0; i < nsock; i++) {
      Waiter *w = &waiters[i];
      uint32_t v = f == 0 ? w->number : f == 1 ? w->numbered : f == 2 ? w->joined : f == 3 ? w->closed : f == 4 ? w->sold_out
        : f == 5 ? w->admitted : f == 6 ? w->held : w->paid;
      n += (size_t)snprintf(o + n, cap - n, i ? ",%u" : "%u", v);
    }
    o[n++] = ']';
  }
  n += (size_t)snprintf(o + n, cap - n, ",\"firstJoinAt\":%.3f,\"lastJoinedAt\":%.3f,\"lastClosedAt\":%.3f,\"lastAdmittedAt\":%.3f,\"pows\":%llu,\"rejoins\":%llu}",
    first_join_at, last_joined_at, last_closed_at, last_admitted_at, (unsigned long long)pows, (unsigned long long)rejoins);
  return n;
}
/* bytes room_json may need */
static size_t room_json_cap(void) { return room ? 256 + (size_t)nsock * 8 * 12 : 0; }
