/*
 * paused-readers: WebSockets that subscribe to a festival and then never read again, as a shopper
 * page on a phone that went into a pocket (the bench's slow-readers scenario).
 *
 * Each socket: optional SO_RCVBUF before connect (the kernel then advertises a small window, as a
 * phone's stack on a slow link keeps little in flight; 0 leaves the kernel default), a blocking
 * connect, the HTTP upgrade, the 101 read up to its blank line, one masked
 * {"t":"sub","festival":"<id>"} frame, and from then on no read() at all: what the server sends
 * piles up in this socket's receive queue, then in the server's send buffer, then in uWS's
 * userspace buffer (its backpressure).
 *
 * Protocol.
 *   argv:   paused-readers --festival=<id> --tokens=<n> [--rcvbuf=<bytes>] <ws://host:port/path>
 *   stdin:  the n tokens, one per line; then commands, one per line:
 *             stats   print a stats line (below)
 *           EOF on stdin: close every socket and exit 0.
 *   stdout: ready <opened> <failed>
 *           stats {"open":n,"closedByServer":n,"queued":bytes,"queuedMax":bytes}
 *             open: sockets still ESTABLISHED; closedByServer: the rest (FIN or RST seen, from
 *             TCP_INFO, no read needed); queued: unread bytes in all receive queues (FIONREAD),
 *             queuedMax: the largest of one socket.
 *           fatal <message>
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static void fatal(const char *m) {
  printf("fatal %s\n", m);
  fflush(stdout);
  exit(1);
}

/* a masked text frame, FIN set (payloads here are < 126 bytes) */
static size_t text_frame(unsigned char *dst, const char *p, size_t n) {
  unsigned char mask[4];
  if (getrandom(mask, 4, 0) != 4) memset(mask, 0x5a, 4);
  dst[0] = 0x81;
  dst[1] = (unsigned char)(0x80 | n);
  memcpy(dst + 2, mask, 4);
  for (size_t k = 0; k < n; k++) dst[6 + k] = (unsigned char)(p[k] ^ mask[k & 3]);
  return 6 + n;
}

static int write_all(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n > 0) {
    ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
    if (w < 0) { if (errno == EINTR) continue; return -1; }
    c += w; n -= (size_t)w;
  }
  return 0;
}

/* one socket up to "subscribed"; returns the fd or -1 */
static int open_one(struct addrinfo *ai, const char *authority, const char *path, const char *token,
                    const char *festival, int rcvbuf) {
  int fd = socket(ai->ai_family, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  struct timeval tv = { .tv_sec = 10 };
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) { close(fd); return -1; }
  char req[2048];
  int n = snprintf(req, sizeof req,
                   "GET %s?token=%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                   path, token, authority);
  if (n <= 0 || n >= (int)sizeof req || write_all(fd, req, (size_t)n) < 0) { close(fd); return -1; }
  /* read byte by byte up to the blank line: nothing after the 101 is consumed */
  char head[4096]; size_t h = 0;
  while (h < sizeof head - 1) {
    ssize_t r = read(fd, head + h, 1);
    if (r <= 0) { close(fd); return -1; }
    h++;
    if (h >= 4 && memcmp(head + h - 4, "\r\n\r\n", 4) == 0) break;
  }
  head[h] = 0;
  if (strncmp(head, "HTTP/1.1 101", 12) != 0) { close(fd); return -1; }
  char pl[160]; unsigned char fr[200];
  n = snprintf(pl, sizeof pl, "{\"t\":\"sub\",\"festival\":\"%s\"}", festival);
  if (n <= 0 || n >= 126 || write_all(fd, fr, text_frame(fr, pl, (size_t)n)) < 0) { close(fd); return -1; }
  return fd;
}

int main(int argc, char **argv) {
  const char *festival = NULL, *url = NULL;
  long ntok = 0; int rcvbuf = 0;
  for (int a = 1; a < argc; a++) {
    if (strncmp(argv[a], "--festival=", 11) == 0) festival = argv[a] + 11;
    else if (strncmp(argv[a], "--tokens=", 9) == 0) ntok = strtol(argv[a] + 9, NULL, 10);
    else if (strncmp(argv[a], "--rcvbuf=", 9) == 0) rcvbuf = (int)strtol(argv[a] + 9, NULL, 10);
    else url = argv[a];
  }
  if (!festival || !url || ntok <= 0 || strlen(festival) > 40 || strncmp(url, "ws://", 5) != 0)
    fatal("usage: paused-readers --festival=<id> --tokens=<n> [--rcvbuf=<bytes>] ws://host:port/path");
  char authority[256], host[256], port[16] = "80";
  const char *slash = strchr(url + 5, '/');
  const char *path = slash ? slash : "/";
  size_t alen = slash ? (size_t)(slash - (url + 5)) : strlen(url + 5);
  if (alen >= sizeof authority) fatal("url too long");
  memcpy(authority, url + 5, alen); authority[alen] = 0;
  strcpy(host, authority);
  char *colon = strrchr(host, ':');
  if (colon) { *colon = 0; snprintf(port, sizeof port, "%s", colon + 1); }
  struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
  if (getaddrinfo(host, port, &hints, &ai) != 0) fatal("cannot resolve host");

  int *fds = malloc(sizeof(int) * (size_t)ntok);
  if (!fds) fatal("out of memory");
  char line[4096];
  long opened = 0, failed = 0;
  for (long i = 0; i < ntok; i++) {
    if (!fgets(line, sizeof line, stdin)) fatal("fewer tokens than --tokens");
    line[strcspn(line, "\r\n")] = 0;
    int fd = open_one(ai, authority, path, line, festival, rcvbuf);
    if (fd < 0) failed++; else fds[opened++] = fd;
  }
  printf("ready %ld %ld\n", opened, failed);
  fflush(stdout);
  while (fgets(line, sizeof line, stdin)) {
    if (strncmp(line, "stats", 5) != 0) continue;
    long open = 0, closed = 0; long long queued = 0, queuedMax = 0;
    for (long i = 0; i < opened; i++) {
      struct tcp_info ti; socklen_t tl = sizeof ti;
      if (getsockopt(fds[i], IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0 && ti.tcpi_state == 1) open++; else closed++;
      int q = 0;
      if (ioctl(fds[i], FIONREAD, &q) == 0) { queued += q; if (q > queuedMax) queuedMax = q; }
    }
    printf("stats {\"open\":%ld,\"closedByServer\":%ld,\"queued\":%lld,\"queuedMax\":%lld}\n", open, closed, queued, queuedMax);
    fflush(stdout);
  }
  for (long i = 0; i < opened; i++) close(fds[i]);
  return 0;
}
