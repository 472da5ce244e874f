/*
 * zmqpeer.c: the libzmq side of trackfeed's benchmark (tools/bench builds
 * it with cc -O2 and runs it; see main.go for the protocol it speaks).
 *
 *   zmqpeer version
 *   zmqpeer pub ENDPOINT RATE DURATION TRACKS [PREFIX]
 *   zmqpeer sub ENDPOINT TIMEOUT [SOCKETS [LATENCY]]
 *
 * pub binds a libzmq PUB socket (ZMQ_SNDHWM 1000, as trackfeed's) and prints
 * "endpoint tcp://127.0.0.1:PORT". Until it reads "go" on stdin it sends a
 * "_warmup" message every 10 ms (or at RATE, if slower); then it sends the
 * tracks of TRACKS (one a line, tab-separated: topic, artist, album, title,
 * path, track, disc, year, genre, album_artist) in a loop for DURATION
 * seconds at RATE messages/s (0: as fast as zmq_send returns), each as
 * trackfeed's five frames with the JSON of frame 4 built per message,
 * "sent" from CLOCK_REALTIME. It prints
 * {"sent":N,"sent_prefix":P,"seconds":S,"cpu_seconds":C}, P counting the
 * tracks whose topic starts with PREFIX (default "the_"), then sends an
 * "_end" message as often as "_warmup" until stdin closes.
 *
 * sub connects SOCKETS (default 1) SUB sockets subscribed to everything,
 * prints "ready" once every socket has had a "_warmup", counts the messages
 * between the warm-up and an "_end" on every socket, takes the latency of
 * each from its "sent" field (unless LATENCY is 0: parsing it costs a third
 * of the rate one SUB can take, and latency means nothing at saturation),
 * and prints one JSON line: count, sockets, seconds (first to last message),
 * rate (per socket), p50_us, p99_us, max_us and the histogram. It gives up
 * after TIMEOUT seconds.
 *
 * CURVE: with ZMQPEER_CURVE_SERVER_SECRET set (Z85), pub is a CURVE server
 * of that secret key; with ZMQPEER_CURVE_SERVER (the server's public key),
 * ZMQPEER_CURVE_PUBLIC and ZMQPEER_CURVE_SECRET set, each sub socket is a
 * CURVE client of that key pair. Unset, both speak NULL.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

static const char warmup_topic[] = "_warmup", end_topic[] = "_end";

static void fail(const char *what) {
    fprintf(stderr, "zmqpeer: %s: %s\n", what, zmq_strerror(errno));
    exit(1);
}

static int64_t now_ns(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* 1,000 sockets need more than the usual 1,024 descriptors. */
static void raise_nofile(void) {
    struct rlimit r;
    if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        setrlimit(RLIMIT_NOFILE, &r);
    }
}

/* stdin_says waits up to ms for a line on stdin: 1 for "go", -1 for end of
 * input or "quit", 0 otherwise. */
static int stdin_says(int ms) {
    struct pollfd p = {.fd = 0, .events = POLLIN};
    if (poll(&p, 1, ms) <= 0)
        return 0;
    char buf[64];
    ssize_t n = read(0, buf, sizeof buf - 1);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    if (strstr(buf, "go"))
        return 1;
    return strstr(buf, "quit") ? -1 : 0;
}

/* ---- pub ---------------------------------------------------------------- */

enum { TOPIC, ARTIST, ALBUM, TITLE, PATH, TRACKNO, DISC, YEAR, GENRE, ALBUMARTIST, NFIELDS };

struct track {
    const char *s[NFIELDS];
    size_t len[NFIELDS];
};

static struct track *load_tracks(const char *file, size_t *n) {
    FILE *f = fopen(file, "rb");
    if (!f) {
        perror(file);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    char *data = malloc(size + 1);
    if (fread(data, 1, size, f) != (size_t)size) {
        perror(file);
        exit(1);
    }
    data[size] = '\0';
    fclose(f);

    size_t cap = 16;
    struct track *t = malloc(cap * sizeof *t);
    *n = 0;
    for (char *line = data; *line;) {
        char *eol = strchr(line, '\n');
        if (eol)
            *eol = '\0';
        if (*n == cap)
            t = realloc(t, (cap *= 2) * sizeof *t);
        char *p = line;
        for (int i = 0; i < NFIELDS; i++) {
            char *tab = strchr(p, '\t');
            if ((tab == NULL) != (i == NFIELDS - 1)) {
                fprintf(stderr, "zmqpeer: %s: line %zu: want %d tab-separated fields\n", file, *n + 1, NFIELDS);
                exit(1);
            }
            if (tab)
                *tab = '\0';
            t[*n].s[i] = p;
            t[*n].len[i] = strlen(p);
            p = tab + 1;
        }
        (*n)++;
        if (!eol)
            break;
        line = eol + 1;
    }
    if (*n == 0) {
        fprintf(stderr, "zmqpeer: %s: no tracks\n", file);
        exit(1);
    }
    return t;
}

static char *append(char *p, const char *s, size_t n) {
    memcpy(p, s, n);
    return p + n;
}

#define APPEND_LIT(p, lit) append(p, lit, sizeof lit - 1)

static char *append_uint(char *p, uint64_t v) {
    char tmp[20];
    int i = sizeof tmp;
    do {
        tmp[--i] = '0' + v % 10;
        v /= 10;
    } while (v);
    return append(p, tmp + i, sizeof tmp - i);
}

static char *append_digits(char *p, unsigned v, int width) {
    for (int i = width - 1; i >= 0; i--, v /= 10)
        p[i] = '0' + v % 10;
    return p + width;
}

/* append_json_string writes s as a JSON string, escaped as trackfeed's
 * encoder (and encoding/json) escapes ASCII; other bytes pass through. */
static char *append_json_string(char *p, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    *p++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == '"' || c == '\\') {
            *p++ = '\\';
            *p++ = c;
        } else if (c == '\n') {
            p = APPEND_LIT(p, "\\n");
        } else if (c == '\r') {
            p = APPEND_LIT(p, "\\r");
        } else if (c == '\t') {
            p = APPEND_LIT(p, "\\t");
        } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            p = APPEND_LIT(p, "\\u00");
            *p++ = hex[c >> 4];
            *p++ = hex[c & 0xf];
        } else {
            *p++ = c;
        }
    }
    *p++ = '"';
    return p;
}

/* append_rfc3339 writes the time ns (since the epoch, UTC) as Go's
 * time.RFC3339Nano does: trailing zeros of the fraction dropped. */
static char *append_rfc3339(char *p, int64_t ns) {
    time_t sec = ns / 1000000000;
    unsigned frac = ns % 1000000000;
    struct tm tm;
    gmtime_r(&sec, &tm);
    p = append_digits(p, tm.tm_year + 1900, 4);
    *p++ = '-';
    p = append_digits(p, tm.tm_mon + 1, 2);
    *p++ = '-';
    p = append_digits(p, tm.tm_mday, 2);
    *p++ = 'T';
    p = append_digits(p, tm.tm_hour, 2);
    *p++ = ':';
    p = append_digits(p, tm.tm_min, 2);
    *p++ = ':';
    p = append_digits(p, tm.tm_sec, 2);
    if (frac) {
        int width = 9;
        while (frac % 10 == 0) {
            frac /= 10;
            width--;
        }
        *p++ = '.';
        p = append_digits(p, frac, width);
    }
    *p++ = 'Z';
    return p;
}

/* send_track sends t as trackfeed's five frames; topic overrides its topic
 * for the warm-up and end messages. */
static void send_track(void *sock, const struct track *t, uint64_t seq, const char *topic) {
    char meta[4096];
    char *p = meta;
    p = APPEND_LIT(p, "{\"v\":1,\"seq\":");
    p = append_uint(p, seq);
    p = APPEND_LIT(p, ",\"sent\":\"");
    p = append_rfc3339(p, now_ns(CLOCK_REALTIME));
    p = APPEND_LIT(p, "\",\"path\":");
    p = append_json_string(p, t->s[PATH], t->len[PATH]);
    p = APPEND_LIT(p, ",\"track\":");
    p = append(p, t->s[TRACKNO], t->len[TRACKNO]);
    p = APPEND_LIT(p, ",\"disc\":");
    p = append(p, t->s[DISC], t->len[DISC]);
    p = APPEND_LIT(p, ",\"year\":");
    p = append(p, t->s[YEAR], t->len[YEAR]);
    p = APPEND_LIT(p, ",\"genre\":");
    p = append_json_string(p, t->s[GENRE], t->len[GENRE]);
    p = APPEND_LIT(p, ",\"album_artist\":");
    p = append_json_string(p, t->s[ALBUMARTIST], t->len[ALBUMARTIST]);
    p = APPEND_LIT(p, ",\"station\":\"\"");
    *p++ = '}';

    if (topic)
        zmq_send(sock, topic, strlen(topic), ZMQ_SNDMORE);
    else
        zmq_send(sock, t->s[TOPIC], t->len[TOPIC], ZMQ_SNDMORE);
    zmq_send(sock, t->s[ARTIST], t->len[ARTIST], ZMQ_SNDMORE);
    zmq_send(sock, t->s[ALBUM], t->len[ALBUM], ZMQ_SNDMORE);
    zmq_send(sock, t->s[TITLE], t->len[TITLE], ZMQ_SNDMORE);
    zmq_send(sock, meta, p - meta, 0);
}

/* curve_server makes sock a CURVE server if the environment says so. */
static void curve_server(void *sock) {
    const char *secret = getenv("ZMQPEER_CURVE_SERVER_SECRET");
    int on = 1;
    if (!secret)
        return;
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &on, sizeof on) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, secret, strlen(secret)) != 0)
        fail("ZMQ_CURVE_SERVER (is libzmq built with CURVE?)");
}

/* curve_client makes sock a CURVE client if the environment says so. */
static void curve_client(void *sock) {
    const char *server = getenv("ZMQPEER_CURVE_SERVER"), *public = getenv("ZMQPEER_CURVE_PUBLIC"),
               *secret = getenv("ZMQPEER_CURVE_SECRET");
    if (!server)
        return;
    if (!public || !secret)
        fail("ZMQPEER_CURVE_SERVER without ZMQPEER_CURVE_PUBLIC and ZMQPEER_CURVE_SECRET");
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, server, strlen(server)) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, public, strlen(public)) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, secret, strlen(secret)) != 0)
        fail("ZMQ_CURVE_SERVERKEY (is libzmq built with CURVE?)");
}

static double seconds(struct timeval tv) { return tv.tv_sec + tv.tv_usec / 1e6; }

static int pub_main(const char *endpoint, double rate, double duration, const char *file, const char *prefix) {
    raise_nofile();
    size_t ntracks;
    struct track *tracks = load_tracks(file, &ntracks);

    void *ctx = zmq_ctx_new();
    void *sock = zmq_socket(ctx, ZMQ_PUB);
    int hwm = 1000, linger = 0, backlog = 4096; /* backlog: 1,000 subscribers connect at once */
    zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sock, ZMQ_BACKLOG, &backlog, sizeof backlog);
    curve_server(sock);
    if (zmq_bind(sock, endpoint) != 0)
        fail(endpoint);
    char bound[256];
    size_t size = sizeof bound;
    zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, bound, &size);
    printf("endpoint %s\n", bound);
    fflush(stdout);

    /* The markers' interval: 10 ms, or the run's rate if slower (markerInterval in child.go). */
    int marker_ms = rate > 0 && rate < 100 ? (int)(1000 / rate) : 10;
    for (int said; (said = stdin_says(marker_ms)) != 1;) {
        if (said < 0)
            return 0;
        send_track(sock, &tracks[0], 0, warmup_topic);
    }

    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    int64_t start = now_ns(CLOCK_MONOTONIC), end = start + (int64_t)(duration * 1e9);
    int64_t period = rate > 0 ? (int64_t)(1e9 / rate) : 0, next = start;
    uint64_t seq = 0, nprefix = 0;
    size_t plen = strlen(prefix);
    for (size_t i = 0;; i = (i + 1) % ntracks) {
        int64_t t = now_ns(CLOCK_MONOTONIC);
        if (t >= end)
            break;
        if (period) {
            if (t < next) {
                struct timespec ts = {.tv_sec = next / 1000000000, .tv_nsec = next % 1000000000};
                while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
                    ;
            } else if (t > next + period) {
                next = t; /* more than a tick late: skip ticks, as a Go time.Ticker does */
            }
            next += period;
        }
        send_track(sock, &tracks[i], ++seq, NULL);
        if (tracks[i].len[TOPIC] >= plen && memcmp(tracks[i].s[TOPIC], prefix, plen) == 0)
            nprefix++;
    }
    double elapsed = (now_ns(CLOCK_MONOTONIC) - start) / 1e9;
    getrusage(RUSAGE_SELF, &r1);
    double cpu = seconds(r1.ru_utime) - seconds(r0.ru_utime) + seconds(r1.ru_stime) - seconds(r0.ru_stime);
    printf("{\"sent\":%" PRIu64 ",\"sent_prefix\":%" PRIu64 ",\"seconds\":%.6f,\"cpu_seconds\":%.6f}\n", seq, nprefix, elapsed, cpu);
    fflush(stdout);

    while (stdin_says(marker_ms) >= 0)
        send_track(sock, &tracks[0], 0, end_topic);
    zmq_close(sock);
    zmq_ctx_term(ctx);
    return 0;
}

/* ---- sub ---------------------------------------------------------------- */

/* Latency histogram: 1 µs buckets below 100 ms, then 1 ms buckets to 100 s
 * (the same buckets as hist.go). */
#define FINE 100000
#define BUCKETS 200000
static uint64_t hist[BUCKETS];

static int bucket(int64_t us) {
    if (us < 0)
        us = 0;
    if (us < FINE)
        return us;
    int64_t i = FINE + (us - FINE) / 1000;
    return i < BUCKETS ? i : BUCKETS - 1;
}

static int64_t bucket_low(int i) { return i < FINE ? i : FINE + (int64_t)(i - FINE) * 1000; }

static int64_t percentile(uint64_t count, double q) {
    uint64_t rank = (uint64_t)(q * count + 0.999999), cum = 0;
    if (rank == 0)
        rank = 1;
    for (int i = 0; i < BUCKETS; i++)
        if ((cum += hist[i]) >= rank)
            return bucket_low(i);
    return -1;
}

/* days_from_civil counts days from 1970-01-01 to y-m-d (proleptic
 * Gregorian), with March as the first month of a computational year. */
static int64_t days_from_civil(int64_t y, int m, int d) {
    if (m <= 2)
        y--;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int digits(const char *p, int n) {
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (p[i] - '0');
    return v;
}

/* sent_ns finds "sent":"..." in frame 4 and returns it in ns since the
 * epoch, or -1. */
static int64_t sent_ns(const char *p, size_t n) {
    static const char key[] = "\"sent\":\"";
    const char *k = memmem(p, n, key, sizeof key - 1), *e = p + n;
    if (!k || e - (k += sizeof key - 1) < 20)
        return -1;
    int64_t days = days_from_civil(digits(k, 4), digits(k + 5, 2), digits(k + 8, 2));
    int64_t sec = days * 86400 + digits(k + 11, 2) * 3600 + digits(k + 14, 2) * 60 + digits(k + 17, 2);
    int64_t frac = 0;
    int width = 0;
    k += 19;
    if (k < e && *k == '.')
        for (k++; k < e && *k >= '0' && *k <= '9'; k++)
            if (width < 9) {
                frac = frac * 10 + (*k - '0');
                width++;
            }
    for (; width < 9; width++)
        frac *= 10;
    return sec * 1000000000 + frac;
}

struct sub_state {
    int nsock, warm, ended, latency;
    char *warmed, *done;
    uint64_t count;
    int64_t first, last; /* CLOCK_REALTIME ns of the first and last counted message */
};

/* recv_one receives one message from socket i; flags is 0 or ZMQ_DONTWAIT.
 * It returns 0 when nothing was there. */
static int recv_one(struct sub_state *st, void *sock, int i, int flags) {
    static zmq_msg_t frames[5], extra;
    static int init;
    if (!init) {
        for (int k = 0; k < 5; k++)
            zmq_msg_init(&frames[k]);
        zmq_msg_init(&extra);
        init = 1;
    }
    if (zmq_msg_recv(&frames[0], sock, flags) < 0) {
        if (errno == EAGAIN || errno == EINTR)
            return 0;
        fail("receive");
    }
    int n = 1;
    for (int more = zmq_msg_more(&frames[0]); more; n++) {
        zmq_msg_t *m = n < 5 ? &frames[n] : &extra;
        if (zmq_msg_recv(m, sock, 0) < 0)
            fail("receive");
        more = zmq_msg_more(m);
    }
    const char *topic = zmq_msg_data(&frames[0]);
    size_t tlen = zmq_msg_size(&frames[0]);
    if (tlen == sizeof warmup_topic - 1 && memcmp(topic, warmup_topic, tlen) == 0) {
        if (!st->warmed[i]) {
            st->warmed[i] = 1;
            if (++st->warm == st->nsock) {
                printf("ready\n");
                fflush(stdout);
            }
        }
        return 1;
    }
    if (tlen == sizeof end_topic - 1 && memcmp(topic, end_topic, tlen) == 0) {
        if (!st->done[i]) {
            st->done[i] = 1;
            st->ended++;
        }
        return 1;
    }
    int64_t now = now_ns(CLOCK_REALTIME);
    if (st->count++ == 0)
        st->first = now;
    st->last = now;
    if (st->latency && n >= 5) {
        int64_t sent = sent_ns(zmq_msg_data(&frames[4]), zmq_msg_size(&frames[4]));
        if (sent > 0)
            hist[bucket((now - sent) / 1000)]++;
    }
    return 1;
}

static int sub_main(const char *endpoint, double timeout, int nsock, int latency) {
    raise_nofile();
    void *ctx = zmq_ctx_new();
    zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, nsock + 64);
    void **socks = calloc(nsock, sizeof *socks);
    zmq_pollitem_t *items = calloc(nsock, sizeof *items);
    struct sub_state st = {.nsock = nsock, .latency = latency, .warmed = calloc(nsock, 1), .done = calloc(nsock, 1)};
    for (int i = 0; i < nsock; i++) {
        socks[i] = zmq_socket(ctx, ZMQ_SUB);
        if (!socks[i])
            fail("socket");
        int linger = 0, timeo = 200;
        zmq_setsockopt(socks[i], ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(socks[i], ZMQ_RCVTIMEO, &timeo, sizeof timeo);
        zmq_setsockopt(socks[i], ZMQ_SUBSCRIBE, "", 0);
        curve_client(socks[i]);
        if (zmq_connect(socks[i], endpoint) != 0)
            fail(endpoint);
        items[i] = (zmq_pollitem_t){.socket = socks[i], .events = ZMQ_POLLIN};
    }
    int64_t deadline = now_ns(CLOCK_MONOTONIC) + (int64_t)(timeout * 1e9);
    while (st.ended < nsock && now_ns(CLOCK_MONOTONIC) < deadline) {
        if (nsock == 1) {
            recv_one(&st, socks[0], 0, 0); /* blocks up to ZMQ_RCVTIMEO */
            continue;
        }
        if (zmq_poll(items, nsock, 200) <= 0)
            continue;
        for (int i = 0; i < nsock; i++)
            if (items[i].revents & ZMQ_POLLIN)
                while (recv_one(&st, socks[i], i, ZMQ_DONTWAIT))
                    ;
    }

    double secs = (st.last - st.first) / 1e9;
    printf("{\"count\":%" PRIu64 ",\"sockets\":%d,\"ended\":%d,\"seconds\":%.6f,\"rate\":%.3f,"
           "\"p50_us\":%" PRId64 ",\"p99_us\":%" PRId64 ",\"max_us\":%" PRId64 ",\"hist\":[",
           st.count, nsock, st.ended, secs, secs > 0 ? st.count / (double)nsock / secs : 0,
           percentile(st.count, 0.50), percentile(st.count, 0.99), percentile(st.count, 1));
    const char *sep = "";
    for (int i = 0; i < BUCKETS; i++)
        if (hist[i]) {
            printf("%s[%" PRId64 ",%" PRIu64 "]", sep, bucket_low(i), hist[i]);
            sep = ",";
        }
    printf("]}\n");
    fflush(stdout);
    for (int i = 0; i < nsock; i++)
        zmq_close(socks[i]);
    zmq_ctx_term(ctx);
    return 0;
}

/* proxy: libzmq's forwarder device between UPSTREAM (a PUB the XSUB
 * connects to) and a kernel-chosen loopback port (the XPUB), which it
 * prints as "endpoint ENDPOINT"; it runs until killed. */
static int proxy_main(const char *upstream) {
    raise_nofile();
    void *ctx = zmq_ctx_new();
    zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, 65536);
    void *xsub = zmq_socket(ctx, ZMQ_XSUB), *xpub = zmq_socket(ctx, ZMQ_XPUB);
    if (!xsub || !xpub)
        fail("socket");
    if (zmq_connect(xsub, upstream) != 0)
        fail(upstream);
    /* The listen backlog Go's listeners have (somaxconn): with libzmq's
     * default of 100, 2,500 subscribers connecting at once overflowed it
     * and their handshakes timed out. */
    int backlog = 4096;
    zmq_setsockopt(xpub, ZMQ_BACKLOG, &backlog, sizeof backlog);
    if (zmq_bind(xpub, "tcp://127.0.0.1:*") != 0)
        fail("bind");
    char ep[256];
    size_t len = sizeof ep;
    zmq_getsockopt(xpub, ZMQ_LAST_ENDPOINT, ep, &len);
    printf("endpoint %s\n", ep);
    fflush(stdout);
    zmq_proxy(xsub, xpub, NULL);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "version") == 0) {
        int major, minor, patch;
        zmq_version(&major, &minor, &patch);
        printf("%d.%d.%d\n", major, minor, patch);
        return 0;
    }
    if ((argc == 6 || argc == 7) && strcmp(argv[1], "pub") == 0)
        return pub_main(argv[2], atof(argv[3]), atof(argv[4]), argv[5], argc == 7 ? argv[6] : "the_");
    if (argc >= 4 && argc <= 6 && strcmp(argv[1], "sub") == 0)
        return sub_main(argv[2], atof(argv[3]), argc >= 5 ? atoi(argv[4]) : 1, argc == 6 ? atoi(argv[5]) : 1);
    if (argc == 3 && strcmp(argv[1], "proxy") == 0)
        return proxy_main(argv[2]);
    fprintf(stderr, "usage: zmqpeer version | pub ENDPOINT RATE DURATION TRACKS [PREFIX] | sub ENDPOINT TIMEOUT [SOCKETS [LATENCY]] | proxy UPSTREAM\n");
    return 2;
}
