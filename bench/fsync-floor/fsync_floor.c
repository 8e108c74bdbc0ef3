/* What this machine's disk allows a write-ahead log: commits per second and the wait of each, for one and several
 * threads, in the audit log's way (append, then fsync) and in the fastest way a log can be made durable here
 * (a file written with zeros first, then overwritten in place and fdatasync'd: no size or block change to write).
 * bench/run-fsync-floor.sh compiles and runs it; bench/README-daemon.md ("The seventh session") says what it showed.
 * Usage: fsync_floor DIR [COMMITS_PER_THREAD] */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

enum { RECORD = 600, PREALLOCATED = 64 << 20 };

static int fd;
static int preallocated;
static int commits;
static atomic_long end;
static double *waits;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void *writer(void *arg)
{
    long first = (long)arg;
    char record[RECORD];
    memset(record, 'x', sizeof record);
    record[RECORD - 1] = '\n';
    for (int i = 0; i < commits; i++) {
        double started = now();
        long at = atomic_fetch_add(&end, RECORD);
        if (pwrite(fd, record, RECORD, at) != RECORD || (preallocated ? fdatasync(fd) : fsync(fd)) != 0) {
            perror("write");
            exit(1);
        }
        waits[first + i] = now() - started;
    }
    return NULL;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double cpu_seconds(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

static void run(const char *dir, int zeroed, int threads)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/fsync-floor.%d", dir, getpid());
    fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
    if (fd < 0) {
        perror(path);
        exit(1);
    }
    preallocated = zeroed != 0;
    if (zeroed == 1 && fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, (long)threads * commits * RECORD) != 0) {
        perror("fallocate");
        exit(1);
    }
    if (zeroed == 2) {
        static char zeros[1 << 16];
        /* Every commit of the run lands on zeros written first: a larger count than 64 MiB holds would append past
           them (the file's size changing again), measuring the first way under the second's name. */
        long size = (long)threads * commits * RECORD;
        if (size < PREALLOCATED)
            size = PREALLOCATED;
        for (long n = 0; n < size; n += sizeof zeros) {
            if (write(fd, zeros, sizeof zeros) != sizeof zeros) {
                perror("preallocate");
                exit(1);
            }
        }
        fsync(fd);
    }
    atomic_store(&end, 0);
    waits = calloc((size_t)threads * commits, sizeof *waits);
    pthread_t t[16];
    double cpu = cpu_seconds(), started = now();
    for (long i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, writer, (void *)(i * commits));
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    double took = now() - started, used = cpu_seconds() - cpu;
    int n = threads * commits;
    qsort(waits, n, sizeof *waits, by_value);
    static const char *const ways[] = {
        "append + fsync (the audit log's way at 1 thread)",
        "append to space fallocate'd (KEEP_SIZE) + fdatasync",
        "overwrite zeros written first + fdatasync",
    };
    printf("| %s | %d | %.0f | %.0f | %.0f | %.0f |\n", ways[zeroed],
           threads, n / took, waits[n / 2] * 1e6, waits[n * 99 / 100] * 1e6, used / n * 1e6);
    free(waits);
    close(fd);
    unlink(path);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: fsync_floor DIR [COMMITS_PER_THREAD]\n");
        return 2;
    }
    commits = argc > 2 ? atoi(argv[2]) : 2000;
    if (commits < 1 || commits > 1000000) {
        fprintf(stderr, "COMMITS_PER_THREAD is 1 to 1,000,000\n");
        return 2;
    }
    printf("%d-byte records, %d commits a thread, each thread waiting for its own; commits/s counts every thread's\n\n", RECORD, commits);
    printf("| way | threads | commits/s | wait p50 µs | wait p99 µs | CPU µs/commit |\n|---|---|---|---|---|---|\n");
    for (int zeroed = 0; zeroed < 3; zeroed++)
        for (int threads = 1; threads <= 4; threads *= 2)
            run(argv[1], zeroed, threads);
    return 0;
}
