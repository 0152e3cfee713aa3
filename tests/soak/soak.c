/*
 * soak: the long-lived side of tests/soak/soak.sh, through the public API only, as a service
 * embedding the library would run.
 *
 *   soak state STORE
 *       prints "S <version> <reports hash> <dump hash> <bytes>" for the newest committed state:
 *       run by the writer right after each of its commits (it is the only writer, so the
 *       newest state is the one it committed).
 *   soak read STORE STOPFILE [once]
 *       until STOPFILE exists: pin the newest snapshot, run the four reports on it and hash
 *       them ("R <version> <hash>"), dump the daily aggregate table ("D <hash>"); with `once`,
 *       the store is opened with COLSTORE_READ_ONCE (pread) instead of mapped. At the end
 *       prints "FD <after warm-up> <at the end>" (open descriptors) and "HEAP <after warm-up>
 *       <at the end>" (bytes malloc'ed and not freed), and "N <iterations>".
 *
 * Hashes are FNV-1a 64 of the CSV text, so that the driver compares states with `awk`.
 */
#define _GNU_SOURCE
#include "engine/colstore.h"
#include <dirent.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WARMUP 3

static uint64_t fnv(uint64_t h, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static void die(const char *what, const colstore_error *err)
{
    fprintf(stderr, "soak: %s: %s\n", what, err->message);
    exit(3);
}

/* The four reports over every day the soak loads (2025), hashed in a fixed order. */
static uint64_t reports_hash(colstore_snapshot *snap)
{
    static const char *const names[] = {"agent-performance", "approval-queue", "training-quality",
                                        "daily-agg"};
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        colstore_report_params p = COLSTORE_REPORT_PARAMS_INIT;
        p.as_of = "2025-12-31";
        p.days = 365;
        p.year = 2025;
        p.from = "2025-01-01";
        p.to = "2025-12-31";
        colstore_result *r = NULL;
        colstore_error err;
        if (colstore_snapshot_report(snap, names[i], &p, &r, &err) != COLSTORE_OK)
            die(names[i], &err);
        char *text = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&text, &len);
        if (mem == NULL || colstore_result_write(r, mem, COLSTORE_OUTPUT_CSV, &err) != COLSTORE_OK)
            die("result_write", &err);
        fclose(mem);
        h = fnv(h, text, len);
        free(text);
        colstore_result_free(r);
    }
    return h;
}

static uint64_t dump_hash(colstore_store *st)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    colstore_error err;
    if (mem == NULL || colstore_dump(st, "agg_agent_daily_performance", COLSTORE_FORMAT_CSV, mem,
                                     &err) != COLSTORE_OK)
        die("dump", &err);
    fclose(mem);
    const uint64_t h = fnv(0xcbf29ce484222325ull, text, len);
    free(text);
    return h;
}

static long open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL) return -1;
    long n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1; /* the directory stream's own descriptor */
}

static size_t heap_in_use(void)
{
    return mallinfo2().uordblks;
}

static int state(const char *dir)
{
    colstore_store *st = NULL;
    colstore_snapshot *snap = NULL;
    colstore_error err;
    if (colstore_open(dir, 0, &st, &err) != COLSTORE_OK) die("open", &err);
    if (colstore_snapshot_open(st, &snap, &err) != COLSTORE_OK) die("snapshot", &err);
    colstore_snapshot_info info = COLSTORE_SNAPSHOT_INFO_INIT;
    if (colstore_snapshot_describe(snap, &info, &err) != COLSTORE_OK) die("describe", &err);
    const uint64_t rh = reports_hash(snap);
    const uint64_t dh = dump_hash(st);
    printf("S %" PRIu64 " %016" PRIx64 " %016" PRIx64 " %" PRIu64 "\n", info.version, rh, dh,
           info.bytes);
    colstore_snapshot_close(snap);
    colstore_close(st);
    return 0;
}

static int reader(const char *dir, const char *stopfile, bool once)
{
    colstore_store *st = NULL;
    colstore_error err;
    if (colstore_open(dir, once ? COLSTORE_READ_ONCE : 0, &st, &err) != COLSTORE_OK)
        die("open", &err);
    long fd0 = -1;
    size_t heap0 = 0;
    long n = 0;
    for (; access(stopfile, F_OK) != 0; n++) {
        colstore_snapshot *snap = NULL;
        if (colstore_snapshot_open(st, &snap, &err) != COLSTORE_OK) die("snapshot", &err);
        const uint64_t v = colstore_snapshot_version(snap);
        const uint64_t rh = reports_hash(snap);
        colstore_snapshot_close(snap);
        printf("R %" PRIu64 " %016" PRIx64 "\n", v, rh);
        printf("D %016" PRIx64 "\n", dump_hash(st));
        fflush(stdout);
        if (n + 1 == WARMUP) {
            fd0 = open_fds();
            heap0 = heap_in_use();
        }
    }
    if (n < WARMUP) {
        fd0 = open_fds();
        heap0 = heap_in_use();
    }
    printf("FD %ld %ld\n", fd0, open_fds());
    printf("HEAP %zu %zu\n", heap0, heap_in_use());
    printf("N %ld\n", n);
    colstore_close(st);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "state") == 0) return state(argv[2]);
    if ((argc == 4 || argc == 5) && strcmp(argv[1], "read") == 0)
        return reader(argv[2], argv[3], argc == 5 && strcmp(argv[4], "once") == 0);
    fprintf(stderr, "usage: soak state STORE | soak read STORE STOPFILE [once]\n");
    return 2;
}
