/*
 * subscribe.c: print a trackfeed feed, one "artist — album — title" line per
 * track (the message format is in docs/PROTOCOL.md).
 *
 *   cc -o subscribe subscribe.c -lzmq
 *   ./subscribe [-n COUNT] [ENDPOINT [PREFIX...]]
 *
 * ENDPOINT defaults to tcp://localhost:10001; with no PREFIX it subscribes to
 * every artist. It exits after COUNT tracks if given -n COUNT or the
 * environment variable TRACKFEED_COUNT, otherwise it runs until interrupted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define FRAMES 5 /* topic, artist, album, title, JSON; later frames are ignored */

static long parse_count(const char *s) {
    char *end;
    long n = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || n < 0) {
        fprintf(stderr, "subscribe: count %s: want a whole number\n", s);
        exit(2);
    }
    return n;
}

int main(int argc, char **argv) {
    long count = 0; /* 0: no limit */
    const char *env = getenv("TRACKFEED_COUNT");
    if (env != NULL && *env != '\0')
        count = parse_count(env);
    int arg = 1;
    if (arg < argc && strcmp(argv[arg], "-n") == 0) {
        if (arg + 1 == argc) {
            fputs("usage: subscribe [-n COUNT] [ENDPOINT [PREFIX...]]\n", stderr);
            return 2;
        }
        count = parse_count(argv[arg + 1]);
        arg += 2;
    }
    const char *endpoint = arg < argc ? argv[arg++] : "tcp://localhost:10001";

    void *ctx = zmq_ctx_new();
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    int linger = 0; /* nothing to flush at exit: do not wait for it */
    zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(sub, endpoint) != 0) {
        fprintf(stderr, "subscribe: connect %s: %s\n", endpoint, zmq_strerror(errno));
        return 1;
    }
    if (arg == argc)
        zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
    for (; arg < argc; arg++)
        zmq_setsockopt(sub, ZMQ_SUBSCRIBE, argv[arg], strlen(argv[arg]));

    zmq_msg_t frame[FRAMES];
    for (int i = 0; i < FRAMES; i++)
        zmq_msg_init(&frame[i]);
    for (long seen = 0; count == 0 || seen < count;) {
        /* Receive every frame of one message, keeping the first five. */
        int n = 0, more = 1;
        while (more) {
            zmq_msg_t discard, *m = &discard;
            if (n < FRAMES)
                m = &frame[n];
            else
                zmq_msg_init(&discard);
            if (zmq_msg_recv(m, sub, 0) < 0) {
                fprintf(stderr, "subscribe: receive: %s\n", zmq_strerror(errno));
                return 1;
            }
            more = zmq_msg_more(m);
            if (m == &discard)
                zmq_msg_close(&discard);
            n++;
        }
        if (n < FRAMES)
            continue; /* not a trackfeed message */
        for (int i = 1; i <= 3; i++) {
            fwrite(zmq_msg_data(&frame[i]), 1, zmq_msg_size(&frame[i]), stdout);
            fputs(i < 3 ? " \xe2\x80\x94 " : "\n", stdout); /* U+2014 EM DASH */
        }
        fflush(stdout); /* one line at a time, even into a pipe */
        seen++;
    }
    for (int i = 0; i < FRAMES; i++)
        zmq_msg_close(&frame[i]);
    zmq_close(sub);
    zmq_ctx_term(ctx);
    return 0;
}
