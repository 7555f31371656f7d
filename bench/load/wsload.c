/*
 * wsload: the bench's WebSocket load generator for the `grab`, `storm` and `sub` roles and the
 * `json` protocol, in C (one epoll loop, no libraries beyond libc).
 *
 * Why: the load processes share the machine's two cores with the engine under test, and the
 * Node client (bench/load/client.mjs, `ws`) costs a lot of CPU per grab: in the bench's grab runs
 * here 32-60 us open loop (one grab per socket write, one answer per read) and 9-22 us closed
 * loop, against 14-19 us and 3-9 us for this program (whose open-loop cost is nearly all the
 * kernel's: loopback TCP and wake-ups). That CPU is taken from the gateway and Redis and shows
 * up in the latency figures. The same holds for `sub`: 10,000 subscribers parsing ~100k snapshot
 * frames/s in Node take CPU from the engine and add their own queueing to the publish -> arrival
 * latency they measure. bench/lib/wsload.mjs compiles it on first use and drives it;
 * bench/lib/load.mjs uses it for protocol json with role grab (without `watch`), storm or sub
 * unless BENCH_LOAD=node, and falls back to the Node client when it cannot be built.
 *
 * Behaviour, as client.mjs: one WebSocket per token at <url>?token=<urlencoded token> (no Origin
 * header), round robin over the urls by socket index; grab frames
 * {"t":"grab","deal":"<deal>","qty":1,"rid":"<seq>"} with seq a per-socket counter from 0;
 * latency from a frame's send to its answer (monotonic clock), recorded in the histogram of
 * bench/lib/stats.mjs (10 us * 1.02^i, 1200 buckets) for grabs sent in the measured window.
 * Role grab, closed loop (no --rate):
 * every socket keeps `window` grabs in flight; the next grabs of every socket answered in one
 * epoll round go out in one write per socket (client.mjs: one corked write per event-loop turn).
 * Role grab, open loop (--rate=R, grabs/s for this process): a ~1 ms tick sends
 * floor(elapsed * R) grabs in all, round robin over the sockets, one write each; a socket with
 * `window` grabs in flight is skipped (counts.skipped).
 * Role storm (--storm): at `go`, every open socket gets per-socket grabs at uniformly random
 * instants in [at, at + spread-ms), planned and sorted up front; the loop sends them in time
 * order (the grabs of one socket due in the same round in one write; up to ~1 ms late, the
 * resolution of epoll_wait's timeout, where client.mjs spins on setImmediate). Every answer is
 * measured (counts and latency) from the start; held answers are kept as [socket, hold id], and
 * the latest answer and held answer instants (epoch ms) reported. It finishes once every planned
 * grab was sent and answered, or timeout-ms after it started. The window is raised to
 * per-socket if lower, so every grab of a socket has its own send-time slot.
 * Role sub (--sub --festival=<id>): every socket sends {"t":"sub","festival":"<id>"} right after
 * the 101 and never grabs; `go` as for grab (measure from warm-up for the duration, finish after
 * the drain). Every text frame starting {"t":"deal ("deals", "deal") that arrives while
 * measuring: its first "seq":<digits> (kept as the digit string) and "at":<[0-9.]+> (publish
 * epoch ms); arrival - at goes into snapLat when `at` is a number, and per seq the first and
 * last arrival (epoch ms) and the number of arrivals are kept. Arrivals are stamped once per
 * epoll round (client.mjs: per frame, after its own parsing).
 * Role chaos (--chaos [--seed=<n>] [--first-ms=<ms>] [--reconnect-ms=<ms>] [--retry-ms=<ms>]
 * [--festival=<id>]):
 * the storm with reconnects, resends and a line per frame for the chaos suite; see
 * wsload-chaos.c (included below), which has its commands and output.
 * Role room (--room [--buy]) and the per-socket send delay (--delay-ms=<ms> --delay-every=<k>,
 * any role): see wsload-room.c (included below), which has their behaviour and output.
 * Differences, all outside a healthy run: a socket the server closed is skipped from then on
 * (client.mjs would count its sends), an open that failed is not also counted as closed, and
 * socket errors after the open count in counts.errors (client.mjs never counts any); the
 * server's Sec-WebSocket-Accept is not checked.
 *
 * Protocol.
 *   argv:   wsload --deal=<id> --window=<W> --tokens=<n> [--rate=<grabs/s>]
 *                  [--storm --per-socket=<n> --spread-ms=<ms>] [--sub --festival=<id>]
 *                  <ws://host:port/path>...           (--deal is optional with --sub)
 *   stdin:  first the n tokens, one per line; then commands, one per line:
 *             go <atEpochMs> <warmupMs> <durationMs> <drainMs> [<timeoutMs>]
 *                 start at atEpochMs (CLOCK_REALTIME). grab, sub: measure from warmupMs after it for
 *                 durationMs, stop sending, finish drainMs later. storm: the grabs' instants
 *                 count from atEpochMs; finish at the latest timeoutMs (default 30000) after it
 *             stop                                               finish now
 *             deal <id>            grab: the grabs sent from now on are for this deal
 *             lap                  grab: print the latency histogram of the answers recorded
 *                                  since the last lap (or the start) and start a new one
 *           EOF on stdin (the parent is gone): exit 1 at once.
 *   stdout: ready <opened> <failed>        once every socket has opened or failed
 *           result <json>                  {"cpu":s,"counts":{sent,answered,held,refused:{code:n},
 *                                           errors,skipped,closed},"lat":[1200 counts]}, and for
 *                                           storm "storm":{"held":[[socket,"holdId"],...],
 *                                           "lastHeldAt":ms,"lastAt":ms} (epoch ms, 0: none);
 *                                           for sub "snapshots":[["seq",min,max,n],...] (epoch
 *                                           ms) and "snapLat":[1200 counts];
 *                                           cpu is user+sys of this process from "go" on
 *           lap {"answered":n,"lat":[1200 counts]}   after each `lap` (answers of the lap)
 *           fatal <message>                set-up error, then exit 1
 *   stderr: diagnostics (WSLOAD_DEBUG=1 in the environment: rusage and epoll counts at the end;
 *           WSLOAD_SLOW_MS=<ms>: a line for every answer slower than that, see on_answer).
 *   After `result` the sockets are closed and the process exits 0.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define WAVE 250                      /* connects in flight while opening, as client.mjs */
#define OPEN_TIMEOUT_NS 20000000000LL /* 20 s, as client.mjs (socket.io's timeout; ws has none) */
#define ROOM_OPEN_TIMEOUT_NS 5000000000LL /* room: an open waits 5 s, then is tried again */
#define ROOM_OPEN_RETRIES 3
#define RBUF (256 * 1024)
#define MAX_FRAME (16 * 1024 * 1024)  /* a server frame larger than this closes the socket */
#define BUCKETS 1200
#define MAXEV 1024
#define STDIN_TAG 0xffffffffu

enum { S_NONE, S_CONNECTING, S_HANDSHAKE, S_OPEN, S_CLOSED, S_FAILED };
enum { P_SETUP, P_IDLE, P_WAIT, P_RUN, P_DRAIN };
static int phase = P_SETUP;

typedef struct {
  int fd;
  uint8_t state, wantout;
  uint32_t seq;          /* next rid */
  int32_t out;           /* grabs in flight */
  uint32_t due;          /* answers this epoll round (closed loop) */
  char *rb; uint32_t rlen, rcap, rneed; /* unparsed input (handshake, partial frame), its size */
  char *wb; uint32_t wlen, wcap; /* output a short write left behind */
  uint8_t url;           /* index of the url it opens on (chaos: the next one after a loss) */
  char *dq; uint32_t dqlen, dqcap; /* chaos: the driver's frames kept while it is down */
} Sock;

typedef struct { struct sockaddr_storage sa; socklen_t salen; char *authority; char *path; } Url;

static Sock *socks;
static char **tokens;
static uint32_t nsock;
static Url *urls;
static int nurls;
static int ep;
static const char *deal;
static uint32_t W = 1;
static double rate = -1; /* < 0: closed loop */
static uint64_t *times;  /* send time (ns) of socket i, slot seq % W, at i*W + slot */
static char *prefix; static size_t prefix_len;

static struct { uint64_t sent, answered, held, errors, skipped, closed; } counts;
/* role chaos (--chaos, wsload-chaos.c): hooks called from the common code */
static int chaos;
static void chaos_closed(uint32_t i, int state);
static void chaos_opened(uint32_t i);
static void chaos_frame(uint32_t i, const char *p, size_t n, uint64_t t);
static void chaos_sent(uint32_t i, uint32_t seq, int retry, uint64_t t);
/* role room and the send delay (wsload-room.c, included below) */
static int room;
static void room_frame(uint32_t i, const char *p, size_t n, uint64_t t);
static int sock_send(uint32_t i, const char *p, size_t n);
static double plan_unit(void);
static void chaos_flush(void);
static double first_ms;
typedef struct { char code[64]; uint64_t n; } Refused;
static Refused refused[64]; static int nrefused;
static uint64_t hist[BUCKETS];
static double edge_us[BUCKETS]; /* upper edge (us) of bucket i: 10 * 1.02^i */

static int measuring, running;
static uint64_t t_start, t_meas, t_stop, t_finish, t_tick, t_open_deadline;
static uint32_t *duelist; static uint32_t ndue;
static char *fbuf; static size_t fbuf_cap; /* frames of one write */
static char rbuf[RBUF];
static uint32_t pending_open; /* sockets of the current wave still connecting */

/* role storm (--storm) */
static int storm;
static uint32_t per_socket;
static double spread_ms, storm_timeout_ms = 30000;
typedef struct { uint64_t t; uint32_t sock; } Plan; /* one grab: send instant (monotonic ns), socket */
static Plan *plan; static size_t nplan, plan_next;
typedef struct { uint32_t sock, off, len; } Held;   /* a held answer: socket, its id in hold_ids */
static Held *held_list; static size_t nheld, held_cap;
static char *hold_ids; static uint32_t hold_len, hold_cap;
static double last_held_at, last_at; /* epoch ms, 0: none yet */

/* role sub (--sub) */
static int sub;
static const char *festival;
typedef struct { uint32_t off, len; double min, max; uint64_t n; } Snap; /* per seq: arrivals, epoch ms */
static Snap *snaps; static size_t nsnap, snap_cap;
static char *snap_seqs; static uint32_t seqs_len, seqs_cap; /* the seqs' digits, as received */
static uint64_t snap_hist[BUCKETS]; /* publish (`at`) -> arrival */

static uint64_t xs = 88172645463325252ULL;
static inline uint32_t rnd32(void) { xs ^= xs << 13; xs ^= xs >> 7; xs ^= xs << 17; return (uint32_t)xs; }
static double rnd_unit(void) { /* uniform in [0, 1), 53 bits, as Math.random() */
  uint64_t r = ((uint64_t)rnd32() << 32) | rnd32();
  return (double)(r >> 11) * 0x1p-53;
}

static inline uint64_t mono_ns(void) {
  struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}
static double real_ms(void) {
  struct timespec t; clock_gettime(CLOCK_REALTIME, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}
/* Epoch ms of a monotonic instant, as client.mjs's now(): the realtime clock read once (at
 * `go`), monotonic steps from there, so a clock step during the run does not skew it */
static double anchor_real_ms; static uint64_t anchor_mono;
static double epoch_ms(uint64_t mono) { return anchor_real_ms + (double)(int64_t)(mono - anchor_mono) / 1e6; }
static uint64_t mono_of_epoch(double ms) { /* clamped at 0 (boot) */
  double d = (ms - anchor_real_ms) * 1e6;
  return d < 0 && (uint64_t)-d > anchor_mono ? 0 : (uint64_t)((int64_t)anchor_mono + (int64_t)d);
}
static double cpu_s(void) {
  struct rusage u; getrusage(RUSAGE_SELF, &u);
  return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6 + (double)u.ru_stime.tv_sec + (double)u.ru_stime.tv_usec / 1e6;
}

static void out_line(const char *s, size_t n) {
  while (n > 0) {
    ssize_t w = write(1, s, n);
    if (w < 0) { if (errno == EINTR) continue; _exit(1); }
    s += w; n -= (size_t)w;
  }
}
static void fatal(const char *fmt, ...) {
  char m[512]; va_list ap; va_start(ap, fmt);
  int n = vsnprintf(m, sizeof m - 8, fmt, ap); va_end(ap);
  if (n < 0) n = 0;
  if (n > (int)sizeof m - 8) n = (int)sizeof m - 8;
  char line[600]; int k = snprintf(line, sizeof line, "fatal %.*s\n", n, m);
  out_line(line, (size_t)k);
  fprintf(stderr, "wsload: %.*s\n", n, m);
  exit(1);
}
static void *xrealloc(void *p, size_t n) { void *q = realloc(p, n); if (!q) fatal("out of memory"); return q; }

/* bench/lib/stats.mjs record(): i = us <= 10 ? 0 : ceil(log(us / 10) / log(1.02)), clamped to
 * 1199, i.e. the first bucket whose upper edge 10 * 1.02^i is >= us. The edges are computed by
 * repeated multiplication in long double (no libm needed); they agree with the log rule except
 * within ~1e-15 of an edge. */
static void init_edges(void) {
  long double e = 10.0L;
  for (int i = 0; i < BUCKETS; i++) { edge_us[i] = (double)e; e *= 1.02L; }
}
static void record_us(uint64_t *h, double us) { /* us <= 10 (also negative): bucket 0 */
  int lo = 0, hi = BUCKETS - 1; /* first i with edge_us[i] >= us, else the last bucket */
  if (us > edge_us[hi]) { h[hi]++; return; }
  while (lo < hi) { int mid = (lo + hi) >> 1; if (edge_us[mid] >= us) hi = mid; else lo = mid + 1; }
  h[lo]++;
}
static inline void record_ns(uint64_t ns) { record_us(hist, (double)ns / 1000.0); }

static void ep_mod(uint32_t i, int out) {
  Sock *s = &socks[i];
  if (s->wantout == out) return;
  struct epoll_event ev = { .events = EPOLLIN | (out ? EPOLLOUT : 0), .data.u32 = i };
  if (epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev) == 0) s->wantout = (uint8_t)out;
}

static void sock_close(uint32_t i, int state) {
  Sock *s = &socks[i];
  if (s->fd >= 0) { epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL); close(s->fd); s->fd = -1; }
  if (s->state == S_CONNECTING || s->state == S_HANDSHAKE) pending_open--;
  s->state = (uint8_t)state;
  free(s->rb); s->rb = NULL; s->rlen = s->rcap = s->rneed = 0;
  free(s->wb); s->wb = NULL; s->wlen = s->wcap = 0;
  if (chaos) chaos_closed(i, state);
}
/* an open socket went away (close frame, EOF, error): client.mjs's 'close' event */
static void sock_lost(uint32_t i, int error) {
  if (socks[i].state != S_OPEN) return;
  counts.closed++;
  if (error) counts.errors++;
  sock_close(i, S_CLOSED);
}

static void buf_append(char **b, uint32_t *len, uint32_t *cap, const char *p, size_t n) {
  if (*len + n > *cap) {
    size_t c = *cap ? *cap : 256;
    while (c < *len + n) c *= 2;
    *b = xrealloc(*b, c); *cap = (uint32_t)c;
  }
  memcpy(*b + *len, p, n); *len += (uint32_t)n;
}

/* Writes (or queues behind earlier output). A short write or EAGAIN keeps the rest and finishes
 * it on EPOLLOUT (frames are tiny; this is rare); any other write error counts in
 * counts.errors and closes the socket (counts.closed, as a socket close). */
static int sock_write(uint32_t i, const char *p, size_t n) {
  Sock *s = &socks[i];
  if (s->wlen == 0) {
    ssize_t w;
    do w = send(s->fd, p, n, MSG_NOSIGNAL); while (w < 0 && errno == EINTR);
    if (w < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        if (s->state == S_OPEN) sock_lost(i, 1); else sock_close(i, S_FAILED);
        return -1;
      }
      w = 0;
    }
    if ((size_t)w == n) return 0;
    p += w; n -= (size_t)w;
  }
  buf_append(&s->wb, &s->wlen, &s->wcap, p, n);
  ep_mod(i, 1);
  return 0;
}
static void sock_flush(uint32_t i) {
  Sock *s = &socks[i];
  while (s->wlen > 0) {
    ssize_t w = send(s->fd, s->wb, s->wlen, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (s->state == S_OPEN) sock_lost(i, 1); else sock_close(i, S_FAILED);
      return;
    }
    memmove(s->wb, s->wb + w, s->wlen - (size_t)w);
    s->wlen -= (uint32_t)w;
  }
  ep_mod(i, 0);
}

/* a masked client frame (RFC 6455 5.2), FIN set; returns its length */
static size_t put_frame(char *dst, int opcode, const char *payload, size_t n) {
  size_t h = 0;
  dst[h++] = (char)(0x80 | opcode);
  if (n < 126) dst[h++] = (char)(0x80 | n);
  else { dst[h++] = (char)(0x80 | 126); dst[h++] = (char)(n >> 8); dst[h++] = (char)(n & 0xff); }
  uint32_t m = rnd32();
  unsigned char mask[4] = { (unsigned char)m, (unsigned char)(m >> 8), (unsigned char)(m >> 16), (unsigned char)(m >> 24) };
  memcpy(dst + h, mask, 4); h += 4;
  for (size_t k = 0; k < n; k++) dst[h + k] = (char)(payload[k] ^ mask[k & 3]);
  return h + n;
}
static size_t grab_frame(char *dst, uint32_t seq) {
  char pl[512 + 32];
  memcpy(pl, prefix, prefix_len);
  size_t n = prefix_len;
  char d[12]; int k = 0;
  do { d[k++] = (char)('0' + seq % 10); seq /= 10; } while (seq);
  while (k) pl[n++] = d[--k];
  pl[n++] = '"'; pl[n++] = '}';
  return put_frame(dst, 1, pl, n);
}
/* sub: {"t":"sub","festival":"<festival>"} right after the 101, as client.mjs on 'open' */
static int send_sub(uint32_t i) {
  char pl[512], f[512 + 16];
  int n = snprintf(pl, sizeof pl, "{\"t\":\"sub\",\"festival\":\"%s\"}", festival);
  return sock_write(i, f, put_frame(f, 1, pl, (size_t)n));
}
/* n grabs on socket i, in one write */
static void send_grabs(uint32_t i, uint32_t n, uint64_t t) {
  Sock *s = &socks[i];
  size_t len = 0;
  for (uint32_t k = 0; k < n; k++) {
    uint32_t seq = s->seq++;
    times[(size_t)i * W + seq % W] = t;
    s->out++;
    counts.sent++;
    if (chaos) chaos_sent(i, seq, 0, t);
    len += grab_frame(fbuf + len, seq);
  }
  sock_send(i, fbuf, len);
}

/* WSLOAD_SLOW_MS=<ms>: every answer slower than that is written to stderr as
 * "slow <socket> <seq> <sent, monotonic ns> <latency ns>", to tell a stall of everything (one
 * instant) from one socket's (one TCP connection) */
static uint64_t slow_ns;

/* storm: what client.mjs's onAnswer keeps of an answer: held ones as [socket, hold id] (the id
 * as the raw text between the quotes of "hold":"...", as client.mjs slices it), and the last
 * instants */
static void storm_answer(uint32_t i, int held, const char *p, size_t n, uint64_t t) {
  double at = epoch_ms(t);
  if (held) {
    const char *h = memmem(p, n, "\"hold\":\"", 8), *e = NULL;
    if (h) { h += 8; e = memchr(h, '"', (size_t)(p + n - h)); }
    if (!h || !e) h = e = ""; /* no id: an empty one (client.mjs would slice garbage) */
    if (nheld == held_cap) { held_cap = held_cap ? held_cap * 2 : 4096; held_list = xrealloc(held_list, held_cap * sizeof(Held)); }
    held_list[nheld++] = (Held){ i, hold_len, (uint32_t)(e - h) };
    buf_append(&hold_ids, &hold_len, &hold_cap, h, (size_t)(e - h));
    if (at > last_held_at) last_held_at = at;
  }
  if (at > last_at) last_at = at;
}

static void on_answer(uint32_t i, const char *p, size_t n, uint64_t t) {
  int held;
  if (n >= 11 && memcmp(p, "{\"t\":\"held\"", 11) == 0) held = 1;
  else if (n >= 14 && memcmp(p, "{\"t\":\"refused\"", 14) == 0) held = 0;
  else return; /* hello, deals, ticker, order, ...: not answers */
  const char *r = memmem(p, n, "\"rid\":\"", 7);
  if (!r) return;
  r += 7;
  uint64_t seq = 0; /* Number(rid) in client.mjs; a non-numeric rid reads as slot 0 here */
  while (r < p + n && *r >= '0' && *r <= '9') seq = seq * 10 + (uint64_t)(*r++ - '0');
  Sock *s = &socks[i];
  s->out--;
  counts.answered++;
  /* latency of the grabs SENT in the measured window (their answers may land in the drain): a
   * grab sent in the warm-up measures the warm-up */
  uint64_t sent = times[(size_t)i * W + seq % W];
  if (sent >= t_meas && sent < t_stop) {
    record_ns(t > sent ? t - sent : 0);
    if (slow_ns && t > sent + slow_ns) fprintf(stderr, "slow %u %llu %llu %llu\n", i, (unsigned long long)seq, (unsigned long long)sent, (unsigned long long)(t - sent));
  }
  if (measuring) {
    if (held) counts.held++;
    else {
      const char *c = memmem(p, n, "\"code\":\"", 8), *e = NULL;
      size_t cl;
      if (c) { c += 8; e = memchr(c, '"', (size_t)(p + n - c)); }
      if (c && e) cl = (size_t)(e - c); else { c = "?"; cl = 1; }
      if (cl > 63) cl = 63;
      int k;
      for (k = 0; k < nrefused; k++) if (strlen(refused[k].code) == cl && memcmp(refused[k].code, c, cl) == 0) break;
      if (k == nrefused) {
        if (nrefused == 64) k = 63; /* more than 64 distinct codes: lumped into the last */
        else { memcpy(refused[k].code, c, cl); refused[k].code[cl] = 0; nrefused++; }
      }
      refused[k].n++;
    }
  }
  if (storm) storm_answer(i, held, p, n, t);
  else if (running && rate < 0) { if (s->due++ == 0) duelist[ndue++] = i; }
}

/* sub: the first `key` in p[0..n) followed by at least one char of [0-9] (dots too if `dot`),
 * as client.mjs's regexes /"seq":(\d+)/ and /"at":([\d.]+)/ take it; its span in *len, or NULL */
static int span_char(char c, int dot) { return (c >= '0' && c <= '9') || (dot && c == '.'); }
static const char *key_span(const char *p, size_t n, const char *key, int dot, size_t *len) {
  size_t kl = strlen(key);
  for (const char *k = p, *end = p + n; (k = memmem(k, (size_t)(end - k), key, kl)); k++) {
    const char *v = k + kl, *e = v;
    while (e < end && span_char(*e, dot)) e++;
    if (e > v) { *len = (size_t)(e - v); return v; }
  }
  return NULL;
}
/* Number() of a [0-9.]+ span: NaN (0 here) with more than one dot or no digit; spans too long
 * for an epoch ms are not taken either */
static int parse_at(const char *v, size_t len, double *out) {
  char b[64]; int dots = 0;
  if (len >= sizeof b) return 0;
  for (size_t k = 0; k < len; k++) dots += v[k] == '.';
  if (dots > 1 || len == (size_t)dots) return 0;
  memcpy(b, v, len); b[len] = 0;
  *out = strtod(b, NULL);
  return 1;
}
/* the entry of a seq (its digits as received: client.mjs keys them as strings), made if new;
 * searched from the newest, where nearly every arrival finds its snapshot */
static Snap *snap_of(const char *seq, size_t len, double t) {
  for (size_t k = nsnap; k-- > 0;)
    if (snaps[k].len == len && memcmp(snap_seqs + snaps[k].off, seq, len) == 0) return &snaps[k];
  if (nsnap == snap_cap) { snap_cap = snap_cap ? snap_cap * 2 : 256; snaps = xrealloc(snaps, snap_cap * sizeof(Snap)); }
  snaps[nsnap] = (Snap){ seqs_len, (uint32_t)len, t, t, 0 };
  buf_append(&snap_seqs, &seqs_len, &seqs_cap, seq, len);
  return &snaps[nsnap++];
}
/* sub: a {"t":"deals",...,"seq":N,"at":<publish epoch ms>,...} (or "deal") frame, as
 * client.mjs's onSnapshot: publish -> arrival latency, and per seq the first and last arrival
 * and how many sockets it reached. Other roles ignore snapshots (no `watch` here). */
static void on_snapshot(const char *p, size_t n, uint64_t t) {
  if (!sub || !measuring) return;
  size_t sl, al;
  const char *seq = key_span(p, n, "\"seq\":", 0, &sl);
  if (!seq) return;
  double now = epoch_ms(t), at;
  const char *a = key_span(p, n, "\"at\":", 1, &al);
  if (a && parse_at(a, al, &at)) record_us(snap_hist, (now - at) * 1000.0);
  Snap *s = snap_of(seq, sl, now);
  if (now < s->min) s->min = now;
  if (now > s->max) s->max = now;
  s->n++;
}

static size_t g_need; /* set by parse_frames: bytes of the incomplete frame it stopped at */
/* Parses server frames in p[0..n); returns the bytes consumed (the rest is a partial frame),
 * or -1 when the socket was closed. */
static long parse_frames(uint32_t i, char *p, size_t n, uint64_t t) {
  size_t off = 0;
  while (n - off >= 2) {
    unsigned char b0 = (unsigned char)p[off], b1 = (unsigned char)p[off + 1];
    int op = b0 & 0x0f, fin = b0 & 0x80, masked = b1 & 0x80;
    uint64_t len = b1 & 0x7f;
    size_t h = 2;
    if (len == 126) {
      if (n - off < 4) break;
      len = ((uint64_t)(unsigned char)p[off + 2] << 8) | (unsigned char)p[off + 3];
      h = 4;
    } else if (len == 127) {
      if (n - off < 10) break;
      len = 0;
      for (int k = 0; k < 8; k++) len = (len << 8) | (unsigned char)p[off + 2 + k];
      h = 10;
    }
    if (masked) h += 4;
    if (len > MAX_FRAME) { fprintf(stderr, "wsload: socket %u: %llu-byte frame, closing it\n", i, (unsigned long long)len); sock_lost(i, 1); return -1; }
    if (n - off < h + len) { g_need = h + (size_t)len; break; } /* incomplete: its size, for the buffer */
    char *pl = p + off + h;
    if (masked) { /* servers must not mask; unmask anyway */
      unsigned char *mk = (unsigned char *)p + off + h - 4;
      for (uint64_t k = 0; k < len; k++) pl[k] ^= (char)mk[k & 3];
    }
    off += h + (size_t)len;
    if (op == 1) {
      if (!fin) { static int said; if (!said++) fprintf(stderr, "wsload: fragmented text frame ignored\n"); }
      else if (room) room_frame(i, pl, (size_t)len, t);
      else if (len >= 10 && memcmp(pl, "{\"t\":\"deal", 10) == 0) on_snapshot(pl, (size_t)len, t); /* "deals" and "deal" */
      else if (chaos) chaos_frame(i, pl, (size_t)len, t);
      else on_answer(i, pl, (size_t)len, t);
    } else if (op == 9) { /* ping -> pong with the same payload */
      char f[16 + 125];
      size_t fl = put_frame(f, 10, pl, len > 125 ? 125 : (size_t)len);
      if (sock_write(i, f, fl) < 0) return -1;
    } else if (op == 8) { /* close: answer it (best effort), count it, drop the socket */
      char f[16 + 2];
      size_t fl = put_frame(f, 8, pl, len >= 2 ? 2 : 0);
      send(socks[i].fd, f, fl, MSG_NOSIGNAL | MSG_DONTWAIT);
      sock_lost(i, 0);
      return -1;
    } /* binary, pong, continuation: ignored */
  }
  return (long)off;
}

/* Parses the whole frames in the socket's own buffer and keeps the partial tail. -1: the socket
 * was closed while parsing. */
static int parse_buffered(uint32_t i, uint64_t t) {
  Sock *s = &socks[i];
  g_need = 0;
  long c = parse_frames(i, s->rb, s->rlen, t);
  if (c < 0) return -1;
  memmove(s->rb, s->rb + c, s->rlen - (size_t)c);
  s->rlen -= (uint32_t)c;
  s->rneed = (uint32_t)g_need;
  return 0;
}

static void on_handshake_data(uint32_t i, uint64_t t) {
  Sock *s = &socks[i];
  char *end = memmem(s->rb, s->rlen, "\r\n\r\n", 4);
  if (!end) {
    if (s->rlen > 16384) sock_close(i, S_FAILED);
    return;
  }
  if (s->rlen < 12 || memcmp(s->rb, "HTTP/1.1 101", 12) != 0) { sock_close(i, S_FAILED); return; }
  s->state = S_OPEN;
  pending_open--;
  size_t hl = (size_t)(end + 4 - s->rb);
  memmove(s->rb, s->rb + hl, s->rlen - hl);
  s->rlen -= (uint32_t)hl;
  if (sub && send_sub(i) < 0) return;
  if (chaos && phase != P_SETUP) { chaos_opened(i); if (s->fd < 0) return; }
  if (s->rlen) parse_buffered(i, t); /* frames right behind the 101 (the gateway's hello) */
}

static void on_readable(uint32_t i, uint64_t t) {
  for (;;) {
    Sock *s = &socks[i];
    if (s->fd < 0) return;
    ssize_t r;
    size_t space;
    if (s->rlen == 0 && s->state == S_OPEN) {
      /* usual case: whole frames; read into the shared buffer, keep only a partial tail */
      space = RBUF;
      do r = recv(s->fd, rbuf, space, 0); while (r < 0 && errno == EINTR);
      if (r > 0) {
        g_need = 0;
        long c = parse_frames(i, rbuf, (size_t)r, t);
        if (c < 0) return;
        size_t rest = (size_t)r - (size_t)c;
        if (rest) {
          size_t cap = g_need > rest ? g_need : rest;
          if (cap < 4096) cap = 4096;
          if (s->rcap < cap) { s->rb = xrealloc(s->rb, cap); s->rcap = (uint32_t)cap; }
          memcpy(s->rb, rbuf + c, rest); s->rlen = (uint32_t)rest;
        }
        if ((size_t)r < space) return;
        continue;
      }
    } else {
      /* handshake, or the rest of a partial frame: into the socket's own buffer */
      size_t cap = s->rlen + 4096;
      if (s->rneed > cap) cap = s->rneed;
      if (s->rcap < cap) { s->rb = xrealloc(s->rb, cap); s->rcap = (uint32_t)cap; }
      space = s->rcap - s->rlen;
      do r = recv(s->fd, s->rb + s->rlen, space, 0); while (r < 0 && errno == EINTR);
      if (r > 0) {
        s->rlen += (uint32_t)r;
        if (s->state == S_HANDSHAKE) on_handshake_data(i, t);
        else if (parse_buffered(i, t) < 0) return;
        if (s->fd >= 0 && s->rlen == 0) { free(s->rb); s->rb = NULL; s->rcap = 0; s->rneed = 0; }
        if ((size_t)r < space) return;
        continue;
      }
    }
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    /* EOF or error */
    if (s->state == S_OPEN) sock_lost(i, r < 0);
    else sock_close(i, S_FAILED);
    return;
  }
}

static void on_writable(uint32_t i) {
  Sock *s = &socks[i];
  if (s->state == S_CONNECTING) {
    int err = 0; socklen_t l = sizeof err;
    getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &l);
    if (err) { sock_close(i, S_FAILED); return; }
    s->state = S_HANDSHAKE;
  }
  sock_flush(i);
}

/* ---- opening ---- */

static void url_encode(char **b, uint32_t *len, uint32_t *cap, const char *t) { /* encodeURIComponent */
  static const char hex[] = "0123456789ABCDEF";
  for (const unsigned char *p = (const unsigned char *)t; *p; p++) {
    unsigned char c = *p;
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("-_.!~*'()", c)) buf_append(b, len, cap, (const char *)p, 1);
    else { char e[3] = { '%', hex[c >> 4], hex[c & 15] }; buf_append(b, len, cap, e, 3); }
  }
}

static void start_connect(uint32_t i) {
  Sock *s = &socks[i];
  Url *u = &urls[s->url];
  s->fd = socket(u->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s->fd < 0) { fprintf(stderr, "wsload: socket: %s\n", strerror(errno)); s->state = S_FAILED; return; }
  int one = 1;
  setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  s->state = S_CONNECTING;
  pending_open++;
  /* the upgrade request, sent once connected (on EPOLLOUT) */
  unsigned char key[16];
  for (int k = 0; k < 16; k += 4) { uint32_t r = rnd32(); memcpy(key + k, &r, 4); }
  static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char k64[25]; int o = 0;
  for (int k = 0; k < 15; k += 3) {
    uint32_t v = ((uint32_t)key[k] << 16) | ((uint32_t)key[k + 1] << 8) | key[k + 2];
    k64[o++] = b64[v >> 18]; k64[o++] = b64[(v >> 12) & 63]; k64[o++] = b64[(v >> 6) & 63]; k64[o++] = b64[v & 63];
  }
  k64[o++] = b64[key[15] >> 2]; k64[o++] = b64[(key[15] & 3) << 4]; k64[o++] = '='; k64[o++] = '='; k64[o] = 0;
  const char *q = strchr(u->path, '?') ? "&token=" : "?token=";
  buf_append(&s->wb, &s->wlen, &s->wcap, "GET ", 4);
  buf_append(&s->wb, &s->wlen, &s->wcap, u->path, strlen(u->path));
  buf_append(&s->wb, &s->wlen, &s->wcap, q, 7);
  url_encode(&s->wb, &s->wlen, &s->wcap, tokens[i]);
  char hdr[1024];
  int hn = snprintf(hdr, sizeof hdr, " HTTP/1.1\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n"
    "Connection: Upgrade\r\nUpgrade: websocket\r\nHost: %s\r\n\r\n", k64, u->authority);
  buf_append(&s->wb, &s->wlen, &s->wcap, hdr, (size_t)hn);
  struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.u32 = i };
  s->wantout = 1;
  if (connect(s->fd, (struct sockaddr *)&u->sa, u->salen) < 0 && errno != EINPROGRESS) { sock_close(i, S_FAILED); return; }
  if (epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev) < 0) { fprintf(stderr, "wsload: epoll_ctl: %s\n", strerror(errno)); sock_close(i, S_FAILED); }
}

static void parse_url(Url *u, const char *s) {
  if (strncmp(s, "ws://", 5) != 0) fatal("only ws:// urls: %s", s);
  const char *a = s + 5, *slash = strchr(a, '/');
  size_t al = slash ? (size_t)(slash - a) : strlen(a);
  u->authority = strndup(a, al);
  u->path = strdup(slash ? slash : "/");
  char host[256], port[16] = "80";
  const char *colon = memchr(a, ':', al), *hs = a; size_t hl = colon ? (size_t)(colon - a) : al;
  if (*a == '[') { const char *rb = memchr(a, ']', al); if (!rb) fatal("bad url %s", s); hs = a + 1; hl = (size_t)(rb - a - 1); colon = rb[1] == ':' ? rb + 1 : NULL; }
  if (hl >= sizeof host) fatal("bad url %s", s);
  memcpy(host, hs, hl); host[hl] = 0;
  if (colon) { size_t pl = (size_t)(a + al - colon - 1); if (pl >= sizeof port) fatal("bad url %s", s); memcpy(port, colon + 1, pl); port[pl] = 0; }
  struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
  int e = getaddrinfo(host, port, &hints, &res);
  if (e) fatal("%s: %s", s, gai_strerror(e));
  memcpy(&u->sa, res->ai_addr, res->ai_addrlen); u->salen = res->ai_addrlen;
  freeaddrinfo(res);
}

/* ---- stdin ---- */

static char *ib; static size_t ilen, icap;
static int read_stdin(void) { /* one read; 0 on EOF */
  if (icap - ilen < 65536) { icap = icap ? icap * 2 : 131072; ib = xrealloc(ib, icap); }
  ssize_t r;
  do r = read(0, ib + ilen, icap - ilen); while (r < 0 && errno == EINTR);
  if (r <= 0) return 0;
  ilen += (size_t)r;
  return 1;
}
static char *next_line(void) { /* a NUL-terminated line from ib (consumed), or NULL */
  static size_t consumed;
  if (consumed) { memmove(ib, ib + consumed, ilen - consumed); ilen -= consumed; consumed = 0; }
  char *nl = ilen ? memchr(ib, '\n', ilen) : NULL;
  if (!nl) return NULL;
  *nl = 0;
  if (nl > ib && nl[-1] == '\r') nl[-1] = 0;
  consumed = (size_t)(nl - ib) + 1;
  return ib;
}

/* ---- the run ---- */

static int meas_started;
static double warmup_ms, duration_ms, drain_ms, cpu_at_go;
static uint32_t rr_next;

/* storm's part of the result: ,"storm":{...}; at most 24 + 6 * (id length) bytes per held answer
 * (the id JSON-escaped: it is raw text from the answer, kept as such) */
static size_t storm_json(char *o, size_t cap) {
  size_t n = (size_t)snprintf(o, cap, ",\"storm\":{\"held\":[");
  for (size_t k = 0; k < nheld; k++) {
    n += (size_t)snprintf(o + n, cap - n, k ? ",[%u,\"" : "[%u,\"", held_list[k].sock);
    for (uint32_t c = 0; c < held_list[k].len; c++) {
      unsigned char ch = (unsigned char)hold_ids[held_list[k].off + c];
      if (ch == '\\' || ch == '"') { o[n++] = '\\'; o[n++] = (char)ch; }
      else if (ch < 0x20) n += (size_t)snprintf(o + n, cap - n, "\\u%04x", ch);
      else o[n++] = (char)ch;
    }
    o[n++] = '"'; o[n++] = ']';
  }
  n += (size_t)snprintf(o + n, cap - n, "],\"lastHeldAt\":%.3f,\"lastAt\":%.3f}", last_held_at, last_at);
  return n;
}

/* sub's part of the result: ,"snapshots":[["seq",min,max,n],...],"snapLat":[...]; at most
 * 80 bytes + the seq's digits per snapshot */
static size_t sub_json(char *o, size_t cap) {
  size_t n = (size_t)snprintf(o, cap, ",\"snapshots\":[");
  for (size_t k = 0; k < nsnap; k++)
    n += (size_t)snprintf(o + n, cap - n, "%s[\"%.*s\",%.3f,%.3f,%llu]", k ? "," : "", (int)snaps[k].len,
      snap_seqs + snaps[k].off, snaps[k].min, snaps[k].max, (unsigned long long)snaps[k].n);
  n += (size_t)snprintf(o + n, cap - n, "],\"snapLat\":[");
  for (int b = 0; b < BUCKETS; b++) n += (size_t)snprintf(o + n, cap - n, b ? ",%llu" : "%llu", (unsigned long long)snap_hist[b]);
  o[n++] = ']';
  return n;
}

static uint64_t n_wait, n_events;
static size_t room_json(char *o, size_t cap);
static size_t room_json_cap(void);
static void finish(void) {
  double cpu = cpu_s() - cpu_at_go;
  if (chaos) chaos_flush();
  if (getenv("WSLOAD_DEBUG")) { struct rusage u; getrusage(RUSAGE_SELF, &u); fprintf(stderr, "wsload: user %ld.%06ld sys %ld.%06ld waits %llu events %llu nvcsw %ld nivcsw %ld\n", u.ru_utime.tv_sec, u.ru_utime.tv_usec, u.ru_stime.tv_sec, u.ru_stime.tv_usec, (unsigned long long)n_wait, (unsigned long long)n_events, u.ru_nvcsw, u.ru_nivcsw); }
  running = measuring = 0;
  size_t cap = 64 * 1024 + (size_t)BUCKETS * 48 + nheld * 24 + (size_t)hold_len * 6 + nsnap * 80 + seqs_len + room_json_cap(), n = 0;
  char *o = xrealloc(NULL, cap);
  n += (size_t)snprintf(o + n, cap - n, "result {\"cpu\":%.6f,\"counts\":{\"sent\":%llu,\"answered\":%llu,\"held\":%llu,\"refused\":{",
    phase >= P_WAIT ? cpu : 0.0, (unsigned long long)counts.sent, (unsigned long long)counts.answered, (unsigned long long)counts.held);
  for (int k = 0; k < nrefused; k++) {
    if (k) o[n++] = ',';
    o[n++] = '"';
    for (const char *c = refused[k].code; *c; c++) { if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20) o[n++] = '_'; else o[n++] = *c; }
    n += (size_t)snprintf(o + n, cap - n, "\":%llu", (unsigned long long)refused[k].n);
  }
  n += (size_t)snprintf(o + n, cap - n, "},\"errors\":%llu,\"skipped\":%llu,\"closed\":%llu},\"lat\":[",
    (unsigned long long)counts.errors, (unsigned long long)counts.skipped, (unsigned long long)counts.closed);
  for (int b = 0; b < BUCKETS; b++) n += (size_t)snprintf(o + n, cap - n, b ? ",%llu" : "%llu", (unsigned long long)hist[b]);
  o[n++] = ']';
  if (storm) n += storm_json(o + n, cap - n);
  if (sub) n += sub_json(o + n, cap - n);
  if (room) n += room_json(o + n, cap - n);
  n += (size_t)snprintf(o + n, cap - n, "}\n");
  out_line(o, n);
  for (uint32_t i = 0; i < nsock; i++) if (socks[i].fd >= 0) close(socks[i].fd);
  exit(0);
}

static int plan_cmp(const void *a, const void *b) {
  uint64_t x = ((const Plan *)a)->t, y = ((const Plan *)b)->t;
  return x < y ? -1 : x > y;
}
/* storm: every open socket's per_socket grabs at uniformly random instants in
 * [at, at + spread_ms), sorted by instant. Planned at `go`, not at `at` as client.mjs does:
 * the sort then costs nothing at the opening. */
static void storm_plan(uint64_t at) {
  plan = xrealloc(NULL, sizeof(Plan) * ((size_t)nsock * per_socket + 1));
  double spread_ns = spread_ms * 1e6;
  for (uint32_t i = 0; i < nsock; i++) {
    if (socks[i].state != S_OPEN) continue;
    for (uint32_t k = 0; k < per_socket; k++) {
      double span = k == 0 && first_ms >= 0 ? first_ms * 1e6 : spread_ns;
      plan[nplan++] = (Plan){ at + (uint64_t)(plan_unit() * span), i };
    }
  }
  qsort(plan, nplan, sizeof(Plan), plan_cmp);
}

/* the histogram since the last lap, then a new one: one long run cut into windows (the bench's
 * slowreaders scenario alternates what runs beside the grabbers without reconnecting them) */
static uint64_t lap_answered;
static void lap(void) {
  size_t cap = 64 + (size_t)BUCKETS * 24, n = 0;
  char *o = xrealloc(NULL, cap);
  n += (size_t)snprintf(o + n, cap - n, "lap {\"answered\":%llu,\"lat\":[", (unsigned long long)(counts.answered - lap_answered));
  for (int b = 0; b < BUCKETS; b++) n += (size_t)snprintf(o + n, cap - n, b ? ",%llu" : "%llu", (unsigned long long)hist[b]);
  n += (size_t)snprintf(o + n, cap - n, "]}\n");
  out_line(o, n);
  free(o);
  memset(hist, 0, sizeof hist);
  lap_answered = counts.answered;
}

/* the grab frames' fixed part, for this deal (and the write buffer that holds W of them) */
static void set_deal(const char *id) {
  if (strlen(id) > 64) fatal("deal id longer than 64 characters"); /* grab_frame's buffer */
  size_t pc = strlen(id) + 64;
  prefix = xrealloc(prefix, pc);
  prefix_len = (size_t)snprintf(prefix, pc, "{\"t\":\"grab\",\"deal\":\"%s\",\"qty\":1,\"rid\":\"", id);
  fbuf_cap = (size_t)W * (prefix_len + 32);
  fbuf = xrealloc(fbuf, fbuf_cap);
}

static int chaos_command(char *line);
static void flush_due(void);
static void on_command(char *line) {
  if (strncmp(line, "go ", 3) == 0 && phase == P_IDLE) {
    double at;
    int k = sscanf(line + 3, "%lf %lf %lf %lf %lf", &at, &warmup_ms, &duration_ms, &drain_ms, &storm_timeout_ms);
    if (k < 4) fatal("bad command: %s", line);
    cpu_at_go = cpu_s();
    anchor_mono = mono_ns();
    anchor_real_ms = real_ms();
    uint64_t now = anchor_mono, at_mono = mono_of_epoch(at);
    t_start = at_mono > now ? at_mono : now;
    if (storm) storm_plan(at_mono); /* instants from `at` itself, even if it has passed */
    phase = P_WAIT;
  } else if (strcmp(line, "stop") == 0) {
    finish();
  } else if (strcmp(line, "lap") == 0) {
    lap();
  } else if (strncmp(line, "deal ", 5) == 0 && !storm && !chaos && !room) {
    set_deal(line + 5);
  } else if (chaos && chaos_command(line)) {
  } else if (*line) {
    fprintf(stderr, "wsload: unknown command: %s\n", line);
  }
}

static void open_loop_tick(uint64_t now) {
  if (nsock == 0) return;
  uint64_t due = (uint64_t)((double)(now - t_start) / 1e9 * rate); /* floor: non-negative */
  while (counts.sent + counts.skipped < due) {
    uint32_t i = rr_next++ % nsock;
    if (socks[i].state == S_OPEN && socks[i].out < (int32_t)W) send_grabs(i, 1, now);
    else counts.skipped++;
  }
}

/* the grabs marked due (socks[i].due, listed in duelist) go out, one write per socket */
static void flush_due(void) {
  uint64_t t = mono_ns();
  for (uint32_t k = 0; k < ndue; k++) {
    uint32_t i = duelist[k], d = socks[i].due;
    socks[i].due = 0;
    if (running && socks[i].state == S_OPEN) send_grabs(i, d, t);
  }
  ndue = 0;
}

#include "wsload-chaos.c"
#include "wsload-room.c"

/* storm: from the start every answer is measured (latency and counts), as client.mjs */
static void storm_start(uint64_t now) {
  measuring = meas_started = 1;
  t_meas = 0; t_stop = UINT64_MAX;
  t_finish = now + (uint64_t)(storm_timeout_ms * 1e6);
}
/* storm: sends the planned grabs due by now, in plan order; finishes once all were sent and
 * answered, or at the time-out */
static void storm_tick(uint64_t now) {
  if (chaos) { chaos_tick(now); return; }
  while (plan_next < nplan && plan[plan_next].t <= now) {
    uint32_t i = plan[plan_next++].sock;
    if (socks[i].state != S_OPEN) { counts.skipped++; continue; }
    if (socks[i].due++ == 0) duelist[ndue++] = i;
  }
  if (ndue) flush_due();
  if ((plan_next == nplan && counts.answered >= counts.sent) || now >= t_finish) finish();
}

static void storm_timers(uint64_t now) {
  if (phase == P_WAIT && now >= t_start) { phase = P_RUN; running = 1; storm_start(now); }
  if (phase == P_RUN) storm_tick(now);
}

static void timers(uint64_t now) {
  delay_flush(now);
  if (storm) { storm_timers(now); return; }
  if (room) { room_timers(now); return; }
  if (phase == P_WAIT && now >= t_start) {
    phase = P_RUN;
    running = 1;
    t_start = now; /* as client.mjs: the run's instants count from when it actually started */
    t_meas = now + (uint64_t)(warmup_ms * 1e6);
    t_stop = t_meas + (uint64_t)(duration_ms * 1e6);
    if (sub) { /* never grabs: it only listens */ }
    else if (rate < 0) { for (uint32_t i = 0; i < nsock; i++) if (socks[i].state == S_OPEN) send_grabs(i, W, now); }
    else { rr_next = 0; t_tick = now; }
  }
  if (phase == P_RUN) {
    if (!meas_started && now >= t_meas) { meas_started = 1; measuring = 1; }
    if (now >= t_stop) {
      measuring = 0; running = 0;
      phase = P_DRAIN;
      t_finish = now + (uint64_t)(drain_ms * 1e6);
    } else if (rate >= 0 && now >= t_tick) {
      open_loop_tick(now);
      t_tick = now + 1000000;
    }
  }
  if (phase == P_DRAIN && now >= t_finish) finish();
}

static int timeout_ms(uint64_t now) {
  uint64_t next = UINT64_MAX;
  if (phase == P_SETUP) next = t_open_deadline;
  else if (phase == P_WAIT) next = t_start;
  else if (phase == P_RUN && chaos) next = chaos_next();
  else if (phase == P_RUN && room) next = nretry && t_retry < t_finish ? t_retry : t_finish;
  else if (phase == P_RUN && storm) { next = t_finish; if (plan_next < nplan && plan[plan_next].t < next) next = plan[plan_next].t; }
  else if (phase == P_RUN) { next = meas_started ? t_stop : t_meas; if (rate >= 0 && t_tick < next) next = t_tick; }
  else if (phase == P_DRAIN) next = t_finish;
  if (delay_next() < next) next = delay_next();
  if (next == UINT64_MAX) return -1;
  if (next <= now) return 0;
  uint64_t d = (next - now + 999999) / 1000000;
  return d > 60000 ? 60000 : (int)d;
}

static void loop_once(void) {
  static struct epoll_event evs[MAXEV];
  int n = epoll_wait(ep, evs, MAXEV, timeout_ms(mono_ns()));
  n_wait++; if (n > 0) n_events += (uint64_t)n;
  if (n < 0 && errno != EINTR) fatal("epoll_wait: %s", strerror(errno));
  uint64_t now = mono_ns();
  /* storm sends only after this round's reads (below): an answer read here is stamped `now`,
   * which must not be before its grab's send */
  if (!storm || phase < P_WAIT) timers(now);
  for (int k = 0; k < n; k++) {
    uint32_t i = evs[k].data.u32;
    if (i == STDIN_TAG) {
      if (!read_stdin()) { fprintf(stderr, "wsload: stdin closed, exiting\n"); exit(1); }
      char *line;
      while ((line = next_line())) on_command(line);
      continue;
    }
    Sock *s = &socks[i];
    if (s->fd < 0) continue;
    uint32_t e = evs[k].events;
    if (e & EPOLLOUT) on_writable(i);
    if (s->fd >= 0 && (e & (EPOLLIN | EPOLLERR | EPOLLHUP))) {
      if (s->state == S_CONNECTING) { on_writable(i); if (s->fd < 0) continue; }
      on_readable(i, now);
    }
  }
  /* closed loop: every socket answered this round sends its next grabs, one write each */
  if (ndue) flush_due();
  if (phase >= P_WAIT) timers(mono_ns());
  if (chaos) chaos_flush();
}

/* opens the listed sockets in waves of WAVE, each waited for in full (or `timeout_ns`) */
static void open_waves(const uint32_t *list, uint32_t n, uint64_t timeout_ns) {
  for (uint32_t w0 = 0; w0 < n; w0 += WAVE) {
    uint32_t w1 = w0 + WAVE < n ? w0 + WAVE : n;
    for (uint32_t k = w0; k < w1; k++) start_connect(list[k]);
    t_open_deadline = mono_ns() + timeout_ns;
    while (pending_open > 0) {
      loop_once();
      if (mono_ns() >= t_open_deadline)
        for (uint32_t k = w0; k < w1; k++) {
          uint32_t i = list[k];
          if (socks[i].state == S_CONNECTING || socks[i].state == S_HANDSHAKE) sock_close(i, S_FAILED);
        }
    }
  }
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  if (getenv("WSLOAD_SLOW_MS")) slow_ns = (uint64_t)(atof(getenv("WSLOAD_SLOW_MS")) * 1e6);
  uint32_t ntok = 0;
  char **u = xrealloc(NULL, sizeof(char *) * (size_t)argc);
  for (int a = 1; a < argc; a++) {
    if (strncmp(argv[a], "--deal=", 7) == 0) deal = argv[a] + 7;
    else if (strncmp(argv[a], "--window=", 9) == 0) W = (uint32_t)strtoul(argv[a] + 9, NULL, 10);
    else if (strncmp(argv[a], "--tokens=", 9) == 0) ntok = (uint32_t)strtoul(argv[a] + 9, NULL, 10);
    else if (strncmp(argv[a], "--rate=", 7) == 0) rate = strtod(argv[a] + 7, NULL);
    else if (strcmp(argv[a], "--storm") == 0) storm = 1;
    else if (strcmp(argv[a], "--sub") == 0) sub = 1;
    else if (strcmp(argv[a], "--room") == 0) room = 1;
    else if (strcmp(argv[a], "--buy") == 0) room_buy = 1;
    else if (strncmp(argv[a], "--delay-ms=", 11) == 0) delay_ms = strtod(argv[a] + 11, NULL);
    else if (strncmp(argv[a], "--delay-every=", 14) == 0) delay_every = (uint32_t)strtoul(argv[a] + 14, NULL, 10);
    else if (strcmp(argv[a], "--chaos") == 0) chaos = storm = 1;
    else if (strncmp(argv[a], "--seed=", 7) == 0) { chaos_seed = strtoull(argv[a] + 7, NULL, 10); seeded = 1; }
    else if (strncmp(argv[a], "--first-ms=", 11) == 0) first_ms = strtod(argv[a] + 11, NULL);
    else if (strncmp(argv[a], "--reconnect-ms=", 15) == 0) reconnect_ms = strtod(argv[a] + 15, NULL);
    else if (strncmp(argv[a], "--retry-ms=", 11) == 0) retry_ms = strtod(argv[a] + 11, NULL);
    else if (strncmp(argv[a], "--festival=", 11) == 0) festival = argv[a] + 11;
    else if (strncmp(argv[a], "--per-socket=", 13) == 0) per_socket = (uint32_t)strtoul(argv[a] + 13, NULL, 10);
    else if (strncmp(argv[a], "--spread-ms=", 12) == 0) spread_ms = strtod(argv[a] + 12, NULL);
    else if (strncmp(argv[a], "--", 2) == 0) fatal("unknown option %s", argv[a]);
    else u[nurls++] = argv[a];
  }
  if (sub && !deal) deal = ""; /* never grabs: the deal is not needed */
  if (!deal || nurls == 0 || W == 0 || (storm && rate >= 0) || (sub && (storm || rate >= 0 || !festival)) || (room && (storm || sub || rate >= 0)))
    fatal("usage: wsload --deal=<id> --window=<W> --tokens=<n> [--rate=<grabs/s> | --storm --per-socket=<n> --spread-ms=<ms> | --sub --festival=<id> | --room [--buy]] [--delay-ms=<ms> --delay-every=<k>] <ws://...>...");
  if ((sub || chaos) && festival && strlen(festival) > 400) fatal("festival id too long"); /* send_sub's buffer */
  if (storm && W < per_socket) W = per_socket; /* a send-time slot for every grab of a socket */
  if (strlen(deal) > 400) fatal("deal id too long");
  urls = xrealloc(NULL, sizeof(Url) * (size_t)nurls);
  for (int k = 0; k < nurls; k++) parse_url(&urls[k], u[k]);
  uint64_t seed;
  if (getrandom(&seed, sizeof seed, 0) != sizeof seed) seed = (uint64_t)mono_ns() ^ ((uint64_t)getpid() << 32);
  xs ^= seed; if (!xs) xs = 1;
  init_edges();

  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) { rl.rlim_cur = rl.rlim_max; setrlimit(RLIMIT_NOFILE, &rl); }

  /* tokens */
  tokens = xrealloc(NULL, sizeof(char *) * (ntok ? ntok : 1));
  while (nsock < ntok) {
    char *line = next_line();
    if (!line) { if (!read_stdin()) fatal("stdin closed after %u of %u tokens", nsock, ntok); continue; }
    tokens[nsock++] = strdup(line);
  }
  set_deal(deal);
  socks = calloc(nsock ? nsock : 1, sizeof(Sock));
  times = calloc((size_t)(nsock ? nsock : 1) * W, sizeof(uint64_t));
  duelist = xrealloc(NULL, sizeof(uint32_t) * (nsock ? nsock : 1));
  if (room) waiters = calloc(nsock ? nsock : 1, sizeof(Waiter));
  if (!socks || !times || (room && !waiters)) fatal("out of memory");
  for (uint32_t i = 0; i < nsock; i++) { socks[i].fd = -1; socks[i].url = (uint8_t)(i % (uint32_t)nurls); }
  if (chaos) chaos_init();

  ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) fatal("epoll_create1: %s", strerror(errno));
  struct epoll_event sev = { .events = EPOLLIN, .data.u32 = STDIN_TAG };
  if (epoll_ctl(ep, EPOLL_CTL_ADD, 0, &sev) < 0) fatal("epoll_ctl(stdin): %s", strerror(errno));

  /* open in waves, each waited for in full, as client.mjs */
  uint32_t *all = xrealloc(NULL, sizeof(uint32_t) * (nsock ? nsock : 1));
  for (uint32_t i = 0; i < nsock; i++) all[i] = i;
  /* room: an open that takes 5 s is given up and tried again, as a page reconnects (on a loaded
   * machine a few of many thousand opens stall; one stalled open holds up its whole wave) */
  open_waves(all, nsock, room ? ROOM_OPEN_TIMEOUT_NS : OPEN_TIMEOUT_NS);
  for (int round = 0; room && round < ROOM_OPEN_RETRIES; round++) {
    uint32_t nf = 0;
    for (uint32_t i = 0; i < nsock; i++) if (socks[i].state == S_FAILED) { socks[i].state = S_NONE; all[nf++] = i; }
    if (!nf) break;
    fprintf(stderr, "wsload: room: opening %u failed sockets again\n", nf);
    open_waves(all, nf, ROOM_OPEN_TIMEOUT_NS);
  }
  free(all);
  uint32_t opened = 0, failed = 0;
  /* as client.mjs: a socket that opened and has closed since still counts as opened */
  for (uint32_t i = 0; i < nsock; i++) { if (socks[i].state == S_OPEN || socks[i].state == S_CLOSED) opened++; else failed++; }
  char line[64];
  int ln = snprintf(line, sizeof line, "ready %u %u\n", opened, failed);
  phase = P_IDLE;
  out_line(line, (size_t)ln);
  /* a command may have come in with the last tokens */
  char *cmd;
  while ((cmd = next_line())) on_command(cmd);
  for (;;) loop_once();
}
