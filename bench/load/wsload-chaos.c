/*
 * wsload's chaos role (--chaos), included by wsload.c: the shoppers of the chaos suite
 * (bench/chaos/), who must survive what the nemesis does to the engine under them.
 *
 * It is the storm (per-socket grabs at planned instants from `go`; --seed=<n> makes the plan
 * the same on every run, --first-ms=<ms> puts each socket's first grab in [at, at + first-ms))
 * plus what a real shopper's page does when things break:
 *   - a socket that is lost (its gateway was killed) reconnects after --reconnect-ms to the
 *     next url, round robin, again and again until it opens; once open it subscribes to
 *     --festival=<id> when given (the answer lists where the shopper's holds stand), resends every grab
 *     it sent and never got a final answer to, with the SAME rid and "retry":true, then sends
 *     the grabs whose planned instant came while it was down (as first sends);
 *   - a grab answered `unavailable` (Redis did not answer in time) is resent the same way
 *     --retry-ms later, doubling for each further `unavailable` of that grab up to 16 times
 *     --retry-ms (a fixed short interval kept thousands of sockets retrying in step, and the
 *     engine busy with them, long after the outage);
 *   - the driver (bench/chaos/shoppers.mjs) adds frames of its own over stdin: payments and
 *     resends of rids already answered, on a fresh socket (`reopen`).
 * The judging is the driver's: every frame the sockets receive (but hello) goes to stdout.
 *
 * stdin commands, besides go and stop:
 *   send <socket> <text>    the text as one frame on that socket; kept for the next open
 *                           while the socket is down
 *   reopen <socket>         close that socket (ours, no close frame) and reconnect it to the
 *                           next url, as after a loss
 * stdout lines (epoch ms, as `go`'s instants):
 *   g <socket> <seq> <retry 0|1> <at>          a grab (rid "<seq>") written to the socket
 *   f <socket> <at> <latency us|-1> <frame>    a text frame received; the latency (since the
 *                                              grab's latest send) when it answers a grab in
 *                                              flight, -1 for anything else
 *   l <socket> <at>                            the socket was lost or closed by `reopen`
 *   o <socket> <url index> <at>                the socket (re)opened after set-up
 *   done <at>                                  every planned grab was sent and has a final
 *                                              answer (not `unavailable`)
 * It finishes on `stop` or at the storm's time-out, never by itself: payments and pushes go on.
 */

enum { G_NONE, G_FLIGHT, G_FINAL, G_RETRY }; /* a grab slot: unsent, sent, answered, awaiting resend */
static uint8_t *slot;                         /* per socket i, seq k: slot[i * W + k] */
static uint64_t chaos_seed; static int seeded;
static double first_ms = -1, reconnect_ms = 200, retry_ms = 250;
static size_t nfinal, nplanned;
static int said_done;
static uint64_t ps; /* the plan's own xorshift, so --seed fixes it whatever else draws numbers */

typedef struct { uint64_t t; uint32_t sock, seq; } Due;
typedef struct { Due *v; size_t cap, head, tail; } Fifo; /* entries are pushed in time order */
#define RETRY_LEVELS 5 /* retry-ms x 1, 2, 4, 8, 16: one queue per delay keeps each in time order */
static Fifo reconnects, retries[RETRY_LEVELS];
static uint8_t *tries; /* per grab slot: `unavailable` answers so far */

static char *obuf; static uint32_t olen, ocap; /* stdout lines of one loop round */

static void ob_printf(const char *fmt, ...) {
  char line[512]; va_list ap; va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap); va_end(ap);
  if (n > (int)sizeof line - 1) n = (int)sizeof line - 1;
  if (n > 0) buf_append(&obuf, &olen, &ocap, line, (size_t)n);
}
static void chaos_flush(void) { if (olen) { out_line(obuf, olen); olen = 0; } }

static void fifo_push(Fifo *q, uint64_t t, uint32_t sock, uint32_t seq) {
  if (q->tail - q->head == q->cap) { /* full: grow, keeping order */
    size_t cap = q->cap ? q->cap * 2 : 1024;
    Due *v = xrealloc(NULL, cap * sizeof(Due));
    for (size_t k = q->head; k < q->tail; k++) v[k - q->head] = q->v[k % q->cap];
    free(q->v); q->v = v; q->tail -= q->head; q->head = 0; q->cap = cap;
  }
  q->v[q->tail++ % q->cap] = (Due){ t, sock, seq };
}
static Due *fifo_due(Fifo *q, uint64_t now) {
  if (q->head == q->tail || q->v[q->head % q->cap].t > now) return NULL;
  return &q->v[q->head++ % q->cap];
}
static uint64_t fifo_next(Fifo *q) { return q->head == q->tail ? UINT64_MAX : q->v[q->head % q->cap].t; }

static double plan_unit(void) {
  if (!seeded) return rnd_unit();
  ps ^= ps << 13; ps ^= ps >> 7; ps ^= ps << 17;
  return (double)(ps >> 11) * 0x1p-53;
}

static void chaos_init(void) {
  slot = calloc((size_t)(nsock ? nsock : 1) * W, 1);
  tries = calloc((size_t)(nsock ? nsock : 1) * W, 1);
  if (!slot || !tries) fatal("out of memory");
  ps = chaos_seed * 0x9E3779B97F4A7C15ULL + 1;
  if (!ps) ps = 1;
}

/* a grab written: the driver hears of every send, first or resend */
static void chaos_sent(uint32_t i, uint32_t seq, int retry, uint64_t t) {
  if (seq < W) slot[(size_t)i * W + seq] = G_FLIGHT;
  ob_printf("g %u %u %d %.3f\n", i, seq, retry, epoch_ms(t));
}

static void resend_grab(uint32_t i, uint32_t seq, uint64_t t) {
  char pl[512 + 48], f[600];
  memcpy(pl, prefix, prefix_len);
  size_t n = prefix_len;
  n += (size_t)snprintf(pl + n, sizeof pl - n, "%u\",\"retry\":true}", seq);
  times[(size_t)i * W + seq % W] = t;
  chaos_sent(i, seq, 1, t);
  sock_write(i, f, put_frame(f, 1, pl, n));
}

static void send_text(uint32_t i, const char *p, size_t n) {
  char f[16 + 2048];
  if (n > 2048) n = 2048;
  sock_write(i, f, put_frame(f, 1, p, n));
}

/* sock_close's hook: after set-up, a socket that closed or failed to open tries again */
static void chaos_closed(uint32_t i, int state) {
  if (phase == P_SETUP || (state != S_CLOSED && state != S_FAILED)) return;
  if (state == S_CLOSED) ob_printf("l %u %.3f\n", i, epoch_ms(mono_ns()));
  fifo_push(&reconnects, mono_ns() + (uint64_t)(reconnect_ms * 1e6), i, 0);
}

/* opened again after set-up: resend what was in flight, send what came due meanwhile, then
 * the driver's frames kept for this moment */
static void chaos_opened(uint32_t i) {
  Sock *s = &socks[i];
  uint64_t t = mono_ns();
  ob_printf("o %u %u %.3f\n", i, s->url, epoch_ms(t));
  /* a page subscribes on every open: the answer carries where its holds stand now */
  if (festival && send_sub(i) < 0) return;
  for (uint32_t k = 0; k < s->seq && k < W; k++) {
    uint8_t *g = &slot[(size_t)i * W + k];
    if (*g == G_FLIGHT || *g == G_RETRY) { resend_grab(i, k, t); if (s->fd < 0) return; }
  }
  if (s->due) { uint32_t d = s->due; s->due = 0; send_grabs(i, d, t); if (s->fd < 0) return; }
  char *q = s->dq; uint32_t left = s->dqlen;
  s->dq = NULL; s->dqlen = s->dqcap = 0;
  for (char *p = q; left > 0;) {
    char *nl = memchr(p, '\n', left);
    size_t n = nl ? (size_t)(nl - p) : left;
    if (s->fd >= 0 && s->state == S_OPEN) send_text(i, p, n);
    else buf_append(&s->dq, &s->dqlen, &s->dqcap, p, n), buf_append(&s->dq, &s->dqlen, &s->dqcap, "\n", 1);
    left -= (uint32_t)(n + (nl ? 1 : 0)); p += n + (nl ? 1 : 0);
  }
  free(q);
}

/* the seq of a grab answer's rid: all digits, below W; -1 for anything else (a pay's rid) */
static long answer_seq(const char *p, size_t n) {
  const char *r = memmem(p, n, "\"rid\":\"", 7);
  if (!r) return -1;
  r += 7;
  long seq = 0; const char *d = r;
  while (d < p + n && *d >= '0' && *d <= '9' && d - r < 9) seq = seq * 10 + (*d++ - '0');
  if (d == r || d >= p + n || *d != '"' || seq >= (long)W) return -1;
  return seq;
}

static void chaos_frame(uint32_t i, const char *p, size_t n, uint64_t t) {
  /* hello, the festival and the ticker tell nothing about this shopper's grabs or holds */
  if (n >= 10 && (memcmp(p, "{\"t\":\"hello", 10) == 0 || memcmp(p, "{\"t\":\"festi", 10) == 0 || memcmp(p, "{\"t\":\"ticke", 10) == 0)) return;
  int held = n >= 11 && memcmp(p, "{\"t\":\"held\"", 11) == 0;
  int refused = !held && n >= 14 && memcmp(p, "{\"t\":\"refused\"", 14) == 0;
  long seq = held || refused ? answer_seq(p, n) : -1;
  double lat = -1;
  if (seq >= 0 && (!refused || memmem(p, n, "\"deal\":\"", 8)) && slot[(size_t)i * W + (size_t)seq] == G_FLIGHT) {
    uint64_t sent = times[(size_t)i * W + (size_t)seq];
    lat = t > sent ? (double)(t - sent) / 1e3 : 0;
    record_ns(t > sent ? t - sent : 0);
    counts.answered++;
    if (refused && memmem(p, n, "\"code\":\"unavailable\"", 20)) {
      size_t g = (size_t)i * W + (size_t)seq;
      int level = tries[g] < RETRY_LEVELS - 1 ? tries[g] : RETRY_LEVELS - 1;
      if (tries[g] < 255) tries[g]++;
      slot[g] = G_RETRY;
      fifo_push(&retries[level], t + (uint64_t)(retry_ms * (double)(1 << level) * 1e6), i, (uint32_t)seq);
    } else {
      slot[(size_t)i * W + (size_t)seq] = G_FINAL;
      nfinal++;
      if (held) counts.held++;
    }
  }
  ob_printf("f %u %.3f %.1f ", i, epoch_ms(t), lat);
  buf_append(&obuf, &olen, &ocap, p, n);
  buf_append(&obuf, &olen, &ocap, "\n", 1);
}

/* storm_tick's place in this role: planned grabs, reconnects, resends after `unavailable` */
static void chaos_tick(uint64_t now) {
  if (!nplanned) nplanned = nplan ? nplan : 1; /* nothing planned: done at once */
  while (plan_next < nplan && plan[plan_next].t <= now) {
    uint32_t i = plan[plan_next++].sock;
    /* a socket that is down sends it once it is open again (chaos_opened) */
    if (socks[i].due++ == 0 && socks[i].state == S_OPEN) duelist[ndue++] = i;
  }
  if (ndue) flush_due();
  Due *d;
  while ((d = fifo_due(&reconnects, now))) {
    Sock *s = &socks[d->sock];
    if (s->state != S_CLOSED && s->state != S_FAILED) continue;
    s->url = (uint8_t)((s->url + 1) % nurls);
    start_connect(d->sock);
  }
  for (int level = 0; level < RETRY_LEVELS; level++) {
    while ((d = fifo_due(&retries[level], now))) {
      uint8_t *g = &slot[(size_t)d->sock * W + d->seq];
      if (*g != G_RETRY) continue;
      if (socks[d->sock].state == S_OPEN) resend_grab(d->sock, d->seq, now);
      else *g = G_FLIGHT; /* resent when it opens */
    }
  }
  if (!said_done && plan_next == nplan && nfinal >= (nplan ? nplan : 0)) { said_done = 1; ob_printf("done %.3f\n", epoch_ms(now)); }
  if (now >= t_finish) { chaos_flush(); finish(); }
}

static uint64_t chaos_next(void) {
  uint64_t next = t_finish;
  if (plan_next < nplan && plan[plan_next].t < next) next = plan[plan_next].t;
  uint64_t r = fifo_next(&reconnects);
  if (r < next) next = r;
  for (int level = 0; level < RETRY_LEVELS; level++) { uint64_t q = fifo_next(&retries[level]); if (q < next) next = q; }
  return next;
}

/* 1 when the line was one of this role's commands */
static int chaos_command(char *line) {
  char *rest;
  if (strncmp(line, "send ", 5) == 0) {
    uint32_t i = (uint32_t)strtoul(line + 5, &rest, 10);
    if (i >= nsock || *rest != ' ') return 1;
    rest++;
    size_t n = strlen(rest);
    Sock *s = &socks[i];
    if (s->state == S_OPEN) send_text(i, rest, n);
    else { buf_append(&s->dq, &s->dqlen, &s->dqcap, rest, n); buf_append(&s->dq, &s->dqlen, &s->dqcap, "\n", 1); }
    return 1;
  }
  if (strncmp(line, "reopen ", 7) == 0) {
    uint32_t i = (uint32_t)strtoul(line + 7, NULL, 10);
    if (i < nsock && socks[i].state == S_OPEN) sock_close(i, S_CLOSED);
    return 1;
  }
  return 0;
}
