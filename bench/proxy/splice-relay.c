/*
 * Would splice(2) make the agent's relay cheaper? A relay between two loopback sockets, three ways, each
 * moving N MiB from a writer process to a reader process; prints MiB/s and the relay's CPU seconds per GiB.
 *   mode 0: read/write through a 1 MiB buffer (what the agent does)
 *   mode 1: splice socket -> pipe -> socket
 *   mode 2: as 1, plus a 9-byte write per chunk (an HTTP/2 frame header)
 * Build and run (docs/benchmarks.md, proxy section):
 *   gcc -O2 -o /tmp/splice-relay bench/proxy/splice-relay.c
 *   for m in 0 1 2; do /tmp/splice-relay $m 2048; done; /tmp/splice-relay 2 2048 1048576   # last: 1 MiB pipe
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int listen_on(int *port) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(0x7f000001);
    bind(s, (void *) &a, sizeof a);
    listen(s, 1);
    socklen_t l = sizeof a;
    getsockname(s, (void *) &a, &l);
    *port = ntohs(a.sin_port);
    return s;
}

static int dial(int port) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(0x7f000001);
    a.sin_port = htons(port);
    connect(s, (void *) &a, sizeof a);
    return s;
}

static double seconds(struct timeval t) { return t.tv_sec + t.tv_usec / 1e6; }

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODE MIB [PIPE_BYTES]\n", argv[0]);
        return 2;
    }
    int mode = atoi(argv[1]);
    long total = atol(argv[2]) << 20;
    int pipe_bytes = argc > 3 ? atoi(argv[3]) : 0;
    static char buf[1 << 20];
    int p1, p2, l1 = listen_on(&p1), l2 = listen_on(&p2);
    if (fork() == 0) { /* the origin */
        int c = accept(l1, 0, 0);
        memset(buf, 'x', sizeof buf);
        for (long left = total; left > 0;) {
            long n = write(c, buf, left < (long) sizeof buf ? left : (long) sizeof buf);
            if (n <= 0) break;
            left -= n;
        }
        _exit(0);
    }
    if (fork() == 0) { /* the client */
        int c = accept(l2, 0, 0);
        while (read(c, buf, sizeof buf) > 0) {
        }
        _exit(0);
    }
    int in = dial(p1), out = dial(p2);
    struct rusage r0, r1;
    struct timespec t0, t1;
    getrusage(RUSAGE_SELF, &r0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long moved = 0;
    if (mode == 0) {
        long n;
        while ((n = read(in, buf, sizeof buf)) > 0) {
            for (long o = 0; o < n;) {
                long w = write(out, buf + o, n - o);
                if (w <= 0) { perror("write"); return 1; }
                o += w;
            }
            moved += n;
        }
    } else {
        int pp[2];
        char header[9] = {0};
        if (pipe(pp) != 0) { perror("pipe"); return 1; }
        if (pipe_bytes) fcntl(pp[1], F_SETPIPE_SZ, pipe_bytes);
        long n;
        while ((n = splice(in, 0, pp[1], 0, 1 << 20, SPLICE_F_MOVE)) > 0) {
            if (mode == 2 && write(out, header, sizeof header) != sizeof header) { perror("write"); return 1; }
            for (long o = 0; o < n;) {
                long w = splice(pp[0], 0, out, 0, n - o, SPLICE_F_MOVE | SPLICE_F_MORE);
                if (w <= 0) { perror("splice"); return 1; }
                o += w;
            }
            moved += n;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    getrusage(RUSAGE_SELF, &r1);
    close(out);
    while (wait(0) > 0) {
    }
    double cpu = seconds(r1.ru_utime) - seconds(r0.ru_utime) + seconds(r1.ru_stime) - seconds(r0.ru_stime);
    double wall = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("mode %d%s: %.0f MiB/s, relay CPU %.3f s/GiB\n", mode, pipe_bytes ? " (pipe resized)" : "",
           moved / 1048576.0 / wall, cpu / (moved / 1073741824.0));
    return 0;
}
