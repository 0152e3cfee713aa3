#define _GNU_SOURCE /* syncfs() */
/*
 * colstore_export: a snapshot's tables as Parquet files, fed by the table scan's Arrow C
 * Stream (engine/scan_arrow.c) into the Parquet writer (etl/parquet_write.c).
 *
 * Layout: fact tables Hive-partitioned by day, one file per partition
 * (OUT/<table>/time_key=<YYYYMMDD>/part-0.parquet); the dimensions and the aggregate (about ten
 * rows a day: a file per day would be mostly footer) as OUT/<table>.parquet.
 *
 * Safety (the output is the user's data): OUT is created, or must be empty, or must be a
 * previous export — recognised by OUT/_colstore_export, the list of every directory and file
 * an export created, written as it creates them. A re-export first removes `_SUCCESS`, then
 * exactly the files and (empty) directories listed, nothing else. Files are created with
 * O_EXCL | O_NOFOLLOW: nothing in the way is overwritten, no symlink is followed. Once every
 * file is written the file system is synced, and `_SUCCESS` is written last (and synced): its
 * presence means a complete export, also after a crash. On failure this run's files and
 * directories are removed again.
 *
 * Work: the files are independent; `threads` workers (default 2) take them one at a time,
 * largest first, each with its own scan of the shared snapshot.
 */
#include "engine/engine.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "etl/parquet_write.h"
#include "storage/base/pgtext.h"

#define MARKER             "_colstore_export"
#define MARKER_HEADER      "colstore export 1\n"
#define SUCCESS            "_SUCCESS"
#define EXPORT_PATH_MAX    4096
#define EXPORT_MAX_THREADS 16u

struct item {
    const struct cs_table_def *t;
    size_t part;     /* SIZE_MAX: the whole table (in the day bounds) in one file */
    size_t nparts;   /* a fact day: its row groups [part, part + nparts), one file */
    char rel[256];   /* path below OUT */
    uint64_t weight; /* bytes stored: largest first */
};

struct exporter {
    colstore_snapshot *snap;
    char out[EXPORT_PATH_MAX];
    int out_fd; /* OUT, opened O_DIRECTORY */
    colstore_export_options o;
    int32_t tk_min, tk_max;
    struct item *items;
    size_t nitems;
    /* this run's creations, in order (directories end with '/') */
    char **made;
    size_t nmade, made_cap;
    /* what the previous export in OUT listed (a directory it made that the user has since put
     * something in survives the clean-up, and is taken over again) */
    char **prev;
    size_t nprev;
    FILE *marker;
    pthread_mutex_t mu;
    size_t next;         /* the next item to take, under mu */
    bool failed;         /* under mu */
    struct cs_error err; /* the first failure */
    uint64_t files, rows, bytes;
};

/* ---- the record of what this export created ---- */

static int record(struct exporter *x, const char *rel, struct cs_error *err)
{
    int rc = CS_OK;
    (void)pthread_mutex_lock(&x->mu);
    if (x->nmade == x->made_cap) {
        const size_t cap = x->made_cap ? 2 * x->made_cap : 64;
        char **m = realloc(x->made, cap * sizeof(*m));
        if (m != NULL) {
            x->made = m;
            x->made_cap = cap;
        }
    }
    char *copy = x->nmade < x->made_cap ? strdup(rel) : NULL;
    if (copy == NULL) {
        rc = cs_error_set(err, CS_ENOMEM, "out of memory");
    } else {
        x->made[x->nmade++] = copy;
        if (fprintf(x->marker, "%s\n", rel) < 0 || fflush(x->marker) != 0)
            rc = cs_error_set(err, CS_EIO, "could not write \"%s/%s\": %s", x->out, MARKER,
                              strerror(errno));
    }
    (void)pthread_mutex_unlock(&x->mu);
    return rc;
}

/* A path below OUT that an export may have written: relative, no "..", no empty parts. */
static bool safe_rel(const char *rel)
{
    if (rel[0] == '\0' || rel[0] == '/') return false;
    for (const char *p = rel; *p != '\0';) {
        const char *e = strchr(p, '/');
        const size_t n = e != NULL ? (size_t)(e - p) : strlen(p);
        if ((n == 0 && e != NULL && e[1] != '\0') || (n == 2 && p[0] == '.' && p[1] == '.') ||
            (n == 1 && p[0] == '.'))
            return false;
        if (e == NULL) break;
        p = e + 1;
    }
    return true;
}

/* remove_listed() - remove what the list names (files, then directories deepest first), only
 * regular files and directories, never following a symlink. Missing entries are fine. */
static int remove_listed(int dirfd, char **list, size_t n, const char *out, struct cs_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const size_t len = strlen(list[i]);
        if (len == 0 || list[i][len - 1] == '/') continue;
        struct stat sb;
        if (fstatat(dirfd, list[i], &sb, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (!S_ISREG(sb.st_mode)) continue; /* not what we wrote: leave it */
        if (unlinkat(dirfd, list[i], 0) != 0 && errno != ENOENT)
            return cs_error_set(err, CS_EIO, "could not remove \"%s/%s\": %s", out, list[i],
                                strerror(errno));
    }
    for (size_t i = n; i-- > 0;) {
        const size_t len = strlen(list[i]);
        if (len == 0 || list[i][len - 1] != '/') continue;
        char d[EXPORT_PATH_MAX];
        snprintf(d, sizeof(d), "%.*s", (int)(len - 1), list[i]);
        struct stat sb;
        if (fstatat(dirfd, d, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(sb.st_mode)) continue;
        (void)unlinkat(dirfd, d, AT_REMOVEDIR); /* not empty: the user put something there */
    }
    return CS_OK;
}

/* ---- the output directory ---- */

static int previous_export(struct exporter *x, struct cs_error *err)
{
    const int fd = openat(x->out_fd, MARKER, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
    if (f == NULL) {
        if (fd >= 0) (void)close(fd);
        return cs_error_set(err, CS_EIO, "could not read \"%s/%s\": %s", x->out, MARKER,
                            strerror(errno));
    }
    char line[EXPORT_PATH_MAX];
    char **list = NULL;
    size_t n = 0, cap = 0;
    int rc = CS_OK;
    if (fgets(line, sizeof(line), f) == NULL || strcmp(line, MARKER_HEADER) != 0)
        rc = cs_error_set(err, CS_EINVAL, "%s/%s: not a colstore export record", x->out, MARKER);
    while (rc == CS_OK && fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (!safe_rel(line)) {
            rc = cs_error_set(err, CS_EINVAL, "%s/%s: unexpected entry \"%s\"", x->out, MARKER,
                              line);
            break;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **l = realloc(list, cap * sizeof(*l));
            if (l == NULL) {
                rc = cs_error_set(err, CS_ENOMEM, "out of memory");
                break;
            }
            list = l;
        }
        if ((list[n] = strdup(line)) == NULL)
            rc = cs_error_set(err, CS_ENOMEM, "out of memory");
        else
            n++;
    }
    fclose(f);
    /* _SUCCESS goes first: an interrupted re-export must not look complete */
    if (rc == CS_OK && unlinkat(x->out_fd, SUCCESS, 0) != 0 && errno != ENOENT)
        rc = cs_error_set(err, CS_EIO, "could not remove \"%s/%s\": %s", x->out, SUCCESS,
                          strerror(errno));
    if (rc == CS_OK) rc = remove_listed(x->out_fd, list, n, x->out, err);
    x->prev = list;
    x->nprev = n;
    return rc;
}

/* check_out() - OUT exists now: empty (*ours = false) or a previous export (cleaned). */
static int check_out(struct exporter *x, struct cs_error *err)
{
    DIR *d = fdopendir(dup(x->out_fd));
    if (d == NULL)
        return cs_error_set(err, CS_EIO, "could not read \"%s\": %s", x->out, strerror(errno));
    bool empty = true, marker = false;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        empty = false;
        if (strcmp(e->d_name, MARKER) == 0) marker = true;
    }
    closedir(d);
    if (empty) return CS_OK;
    if (!marker)
        return cs_error_set(err, CS_EINVAL,
                            "%s: not empty and not a previous export (no %s): refusing to write "
                            "there",
                            x->out, MARKER);
    return previous_export(x, err);
}

static int open_out(struct exporter *x, bool *created, struct cs_error *err)
{
    *created = false;
    struct stat sb;
    if (lstat(x->out, &sb) != 0) {
        if (errno != ENOENT || mkdir(x->out, 0777) != 0)
            return cs_error_set(err, CS_EIO, "could not create \"%s\": %s", x->out,
                                strerror(errno));
        *created = true;
    } else if (!S_ISDIR(sb.st_mode)) {
        return cs_error_set(err, CS_EINVAL, "%s: not a directory%s", x->out,
                            S_ISLNK(sb.st_mode) ? " (a symbolic link)" : "");
    }
    x->out_fd = open(x->out, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (x->out_fd < 0)
        return cs_error_set(err, CS_EIO, "could not open \"%s\": %s", x->out, strerror(errno));
    int rc = *created ? CS_OK : check_out(x, err);
    if (rc != CS_OK) return rc;
    const int fd =
        openat(x->out_fd, MARKER, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
    x->marker = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (x->marker == NULL) {
        if (fd >= 0) (void)close(fd);
        return cs_error_set(err, CS_EIO, "could not create \"%s/%s\": %s", x->out, MARKER,
                            strerror(errno));
    }
    if (fputs(MARKER_HEADER, x->marker) < 0 || fflush(x->marker) != 0)
        return cs_error_set(err, CS_EIO, "could not write \"%s/%s\"", x->out, MARKER);
    return CS_OK;
}

static bool listed_before(const struct exporter *x, const char *rel)
{
    for (size_t i = 0; i < x->nprev; i++) {
        if (strcmp(x->prev[i], rel) == 0) return true;
    }
    return false;
}

static int make_dir(struct exporter *x, const char *rel, struct cs_error *err)
{
    char with_slash[EXPORT_PATH_MAX];
    snprintf(with_slash, sizeof(with_slash), "%s/", rel);
    struct stat sb;
    /* recorded once made, so that the record never names what someone else made */
    if (mkdirat(x->out_fd, rel, 0777) != 0) {
        const int e = errno;
        const bool ours = e == EEXIST && listed_before(x, with_slash) &&
                          fstatat(x->out_fd, rel, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
                          S_ISDIR(sb.st_mode);
        if (!ours)
            return cs_error_set(err, CS_EIO, "could not create \"%s/%s\": %s", x->out, rel,
                                strerror(e));
    }
    return record(x, with_slash, err);
}

/* ---- the work list ---- */

static int add_item(struct exporter *x,
                    const struct cs_table_def *t,
                    size_t part,
                    size_t nparts,
                    const char *rel,
                    uint64_t weight,
                    struct cs_error *err)
{
    struct item *it = realloc(x->items, (x->nitems + 1) * sizeof(*it));
    if (it == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
    x->items = it;
    it = &x->items[x->nitems++];
    it->t = t;
    it->part = part;
    it->nparts = nparts;
    snprintf(it->rel, sizeof(it->rel), "%s", rel);
    it->weight = weight;
    return CS_OK;
}

static bool in_days(const struct exporter *x, int32_t tk)
{
    return (x->tk_min == 0 || tk >= x->tk_min) && (x->tk_max == 0 || tk <= x->tk_max);
}

static int plan_table(struct exporter *x, const struct cs_table_def *t, struct cs_error *err)
{
    struct cs_snap *snap = x->snap->snap;
    const size_t n = cs_snap_part_count(snap, t->id);
    char rel[256];
    if (!t->is_fact || t->id == CS_T_AGG_DAILY) {
        uint64_t w = 0;
        for (size_t i = 0; i < n; i++) {
            const struct cs_part_info p = cs_snap_part(snap, t->id, i);
            if (!t->is_fact || in_days(x, p.time_key)) w += p.bytes;
        }
        snprintf(rel, sizeof(rel), "%s.parquet", t->name);
        return add_item(x, t, SIZE_MAX, 0, rel, w, err);
    }
    int rc = make_dir(x, t->name, err);
    for (size_t i = 0, end; i < n && rc == CS_OK; i = end) {
        end = cs_snap_part_end(snap, t->id, i); /* a day's row groups: one file */
        const struct cs_part_info p = cs_snap_part(snap, t->id, i);
        if (!in_days(x, p.time_key)) continue;
        uint64_t bytes = 0;
        for (size_t g = i; g < end; g++)
            bytes += cs_snap_part(snap, t->id, g).bytes;
        snprintf(rel, sizeof(rel), "%s/time_key=%d", t->name, (int)p.time_key);
        rc = make_dir(x, rel, err);
        snprintf(rel, sizeof(rel), "%s/time_key=%d/part-0.parquet", t->name, (int)p.time_key);
        if (rc == CS_OK) rc = add_item(x, t, i, end - i, rel, bytes, err);
    }
    return rc;
}

static int cmp_weight(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    return (x->weight < y->weight) - (x->weight > y->weight);
}

/* ---- writing one file ---- */

static int
stream_error(struct ArrowArrayStream *st, int code, const char *what, struct cs_error *err)
{
    const char *m = st->get_last_error(st);
    return cs_error_set(err,
                        code == ENOMEM   ? CS_ENOMEM
                        : code == EINVAL ? CS_EINVAL
                                         : CS_EIO,
                        "%s: %s", what, m != NULL ? m : strerror(code));
}

static int
pump(struct ArrowArrayStream *st, struct cs_pq_writer *pw, const char *path, struct cs_error *err)
{
    for (;;) {
        struct ArrowArray a;
        const int code = st->get_next(st, &a);
        if (code != 0) return stream_error(st, code, path, err);
        if (a.release == NULL) return CS_OK;
        const int rc = cs_pq_write(pw, &a, err);
        if (rc != CS_OK) return rc;
    }
}

static int write_file(struct exporter *x,
                      const struct item *it,
                      int fd,
                      const char *path,
                      struct cs_pq_scratch *scratch,
                      struct cs_pq_file_stats *fs,
                      struct cs_error *err)
{
    colstore_scan_options so = COLSTORE_SCAN_OPTIONS_INIT;
    if (it->part != SIZE_MAX) {
        so.first_partition = it->part;
        so.partition_count = it->nparts;
    } else {
        so.time_key_min = x->tk_min;
        so.time_key_max = x->tk_max;
    }
    struct ArrowArrayStream st;
    colstore_error ce;
    if (colstore_scan_arrow(x->snap, it->t->name, &so, &st, &ce) != COLSTORE_OK)
        return cs_error_set(err, ce.code, "%s", ce.message);
    struct ArrowSchema schema;
    struct cs_pq_writer *pw = NULL;
    int rc = CS_OK;
    const int code = st.get_schema(&st, &schema);
    if (code != 0) {
        rc = stream_error(&st, code, path, err);
        goto out_stream;
    }
    const struct cs_pq_options po = {
        x->o.compression == COLSTORE_COMPRESSION_NONE ? CS_PQ_UNCOMPRESSED : CS_PQ_LZ4_RAW,
        x->o.row_group_rows, 0, "colstore version " COLSTORE_VERSION_STRING, scratch};
    rc = cs_pq_open(fd, path, &schema, &po, &pw, err);
    schema.release(&schema);
    if (rc == CS_OK) rc = pump(&st, pw, path, err);
    if (rc == CS_OK) rc = cs_pq_finish(pw, fs, err);
    cs_pq_free(pw);
out_stream:
    st.release(&st);
    return rc;
}

static int export_item(struct exporter *x,
                       const struct item *it,
                       struct cs_pq_scratch *scratch,
                       struct cs_error *err)
{
    char path[EXPORT_PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", x->out, it->rel);
    const int fd =
        openat(x->out_fd, it->rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0)
        return cs_error_set(err, CS_EIO, "could not create \"%s\": %s", path, strerror(errno));
    struct cs_pq_file_stats fs = {0};
    int rc = record(x, it->rel, err); /* ours now: listed, so a later run can remove it */
    if (rc == CS_OK) rc = write_file(x, it, fd, path, scratch, &fs, err);
    /* the partitions' mapped pages leave the resident set (they stay in the page cache): an
     * export reads each once, and a year would otherwise stay mapped to the end */
    struct cs_snap *snap = x->snap->snap;
    const size_t n = cs_snap_part_count(snap, it->t->id);
    for (size_t i = it->part != SIZE_MAX ? it->part : 0; i < n; i++) {
        cs_snap_release_part(snap, it->t->id, i);
        if (it->part != SIZE_MAX) break;
    }
    if (close(fd) != 0 && rc == CS_OK)
        rc = cs_error_set(err, CS_EIO, "could not close \"%s\": %s", path, strerror(errno));
    if (rc == CS_OK) {
        (void)pthread_mutex_lock(&x->mu);
        x->files++;
        x->rows += fs.rows;
        x->bytes += fs.bytes;
        (void)pthread_mutex_unlock(&x->mu);
    }
    return rc;
}

static void *worker(void *arg)
{
    struct exporter *x = arg;
    /* one writer's working memory for all the files of this worker */
    struct cs_pq_scratch *scratch = cs_pq_scratch_new();
    for (;;) {
        (void)pthread_mutex_lock(&x->mu);
        const size_t i = x->failed ? x->nitems : x->next++;
        (void)pthread_mutex_unlock(&x->mu);
        if (i >= x->nitems) break;
        struct cs_error e = {0};
        if (export_item(x, &x->items[i], scratch, &e) != CS_OK) {
            (void)pthread_mutex_lock(&x->mu);
            if (!x->failed) x->err = e;
            x->failed = true;
            (void)pthread_mutex_unlock(&x->mu);
        }
    }
    cs_pq_scratch_free(scratch);
    return NULL;
}

static int run_workers(struct exporter *x, struct cs_error *err)
{
    unsigned n = x->o.threads == 0 ? 2 : x->o.threads;
    if (n > EXPORT_MAX_THREADS) n = EXPORT_MAX_THREADS;
    if (n > x->nitems) n = x->nitems > 0 ? (unsigned)x->nitems : 1;
    pthread_t tid[EXPORT_MAX_THREADS];
    unsigned started = 0;
    for (unsigned i = 1; i < n; i++) {
        if (pthread_create(&tid[i], NULL, worker, x) != 0) break; /* fewer threads: still right */
        started = i;
    }
    (void)worker(x);
    for (unsigned i = 1; i <= started; i++)
        (void)pthread_join(tid[i], NULL);
    if (x->failed) {
        *err = x->err;
        return err->code;
    }
    return CS_OK;
}

/* ---- finishing ---- */

/* finish() - make every file and directory durable, then write _SUCCESS. One syncfs() of the
 * output's file system instead of an fsync() per file and directory: on the development
 * machine each fsync costs 5-8 ms, and a year is 1,091 files in 1,100 directories. */
static int finish(struct exporter *x, struct cs_error *err)
{
    int rc = fflush(x->marker) == 0
                 ? CS_OK
                 : cs_error_set(err, CS_EIO, "could not write \"%s/%s\"", x->out, MARKER);
    if (rc == CS_OK && syncfs(x->out_fd) != 0)
        rc = cs_error_set(err, CS_EIO, "could not sync the file system of \"%s\": %s", x->out,
                          strerror(errno));
    if (rc != CS_OK) return rc;
    const int fd =
        openat(x->out_fd, SUCCESS, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0 || fsync(fd) != 0 || fsync(x->out_fd) != 0)
        rc = cs_error_set(err, CS_EIO, "could not write \"%s/%s\": %s", x->out, SUCCESS,
                          strerror(errno));
    if (fd >= 0) (void)close(fd);
    return rc;
}

/* undo() - after a failure: remove this run's files and directories, and OUT itself when
 * this run created it. */
static void undo(struct exporter *x, bool created)
{
    struct cs_error ignored = {0};
    if (x->out_fd < 0) return;
    (void)remove_listed(x->out_fd, x->made, x->nmade, x->out, &ignored);
    if (x->marker == NULL) return; /* nothing of this run's: the directory was refused */
    fclose(x->marker);
    x->marker = NULL;
    if (created) {
        (void)unlinkat(x->out_fd, MARKER, 0);
        (void)rmdir(x->out);
    } else {
        /* the record lists what is left of this run (directories the user put something in),
         * so that the next run may take them over */
        const int fd = openat(x->out_fd, MARKER, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
        FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (f == NULL) {
            if (fd >= 0) (void)close(fd);
            return;
        }
        fputs(MARKER_HEADER, f);
        for (size_t i = 0; i < x->nmade; i++) {
            struct stat sb;
            if (fstatat(x->out_fd, x->made[i], &sb, AT_SYMLINK_NOFOLLOW) == 0)
                fprintf(f, "%s\n", x->made[i]);
        }
        fclose(f);
    }
}

/* ---- options and the entry point ---- */

static int read_options(const colstore_export_options *opts, struct exporter *x, struct cs_error *e)
{
    const colstore_export_options d = COLSTORE_EXPORT_OPTIONS_INIT;
    x->o = d;
    if (opts != NULL) {
        if (opts->size < sizeof(size_t))
            return cs_error_set(e, CS_EINVAL,
                                "export options: size is %zu: start from "
                                "COLSTORE_EXPORT_OPTIONS_INIT",
                                opts->size);
        memcpy(&x->o, opts, opts->size < sizeof(x->o) ? opts->size : sizeof(x->o));
        x->o.size = sizeof(x->o);
    }
    if (x->o.format != COLSTORE_EXPORT_PARQUET)
        return cs_error_set(e, CS_EINVAL, "export: unknown format %d", x->o.format);
    if (x->o.compression != COLSTORE_COMPRESSION_LZ4_RAW &&
        x->o.compression != COLSTORE_COMPRESSION_NONE)
        return cs_error_set(e, CS_EINVAL, "export: unknown compression %d", x->o.compression);
    int64_t days;
    if (x->o.from != NULL) {
        if (!cs_engine_parse_date(x->o.from, &days))
            return cs_error_set(e, CS_EINVAL, "export: from: invalid date \"%s\"", x->o.from);
        x->tk_min = cs_time_key_from_days(days);
    }
    if (x->o.to != NULL) {
        if (!cs_engine_parse_date(x->o.to, &days))
            return cs_error_set(e, CS_EINVAL, "export: to: invalid date \"%s\"", x->o.to);
        x->tk_max = cs_time_key_from_days(days);
    }
    if (x->o.tables != NULL) {
        for (size_t i = 0; i < x->o.ntables; i++) {
            struct cs_engine_table et = {0};
            const int rc = cs_engine_table(x->o.tables[i], &et, e);
            if (rc != CS_OK) return rc;
        }
    }
    return CS_OK;
}

static int plan(struct exporter *x, struct cs_error *err)
{
    int rc = CS_OK;
    const size_t n = x->o.tables != NULL ? x->o.ntables : colstore_table_count();
    for (size_t i = 0; i < n && rc == CS_OK; i++) {
        const char *name = x->o.tables != NULL ? x->o.tables[i] : colstore_table_name(i);
        bool repeat = false;
        for (size_t k = 0; x->o.tables != NULL && k < i && !repeat; k++)
            repeat = strcmp(x->o.tables[k], name) == 0;
        if (!repeat) rc = plan_table(x, cs_schema_find_table(name), err);
    }
    if (rc == CS_OK) qsort(x->items, x->nitems, sizeof(*x->items), cmp_weight);
    return rc;
}

static void exporter_free(struct exporter *x)
{
    if (x->marker != NULL) fclose(x->marker);
    if (x->out_fd >= 0) (void)close(x->out_fd);
    for (size_t i = 0; i < x->nmade; i++)
        free(x->made[i]);
    free(x->made);
    for (size_t i = 0; i < x->nprev; i++)
        free(x->prev[i]);
    free(x->prev);
    free(x->items);
    pthread_mutex_destroy(&x->mu);
}

int colstore_export(colstore_snapshot *snap,
                    const char *out_dir,
                    const colstore_export_options *opts,
                    colstore_export_stats *stats,
                    colstore_error *err)
{
    struct cs_error e = {0};
    struct exporter x = {.snap = snap, .out_fd = -1};
    pthread_mutex_init(&x.mu, NULL);
    int rc;
    if (snap == NULL || out_dir == NULL) {
        rc = cs_error_set(&e, CS_EINVAL, "export: snapshot and out_dir are required");
        goto done;
    }
    if (stats != NULL && stats->size < sizeof(size_t)) {
        rc = cs_error_set(&e, CS_EINVAL, "export: stats->size is %zu", stats->size);
        goto done;
    }
    if (strlen(out_dir) >= EXPORT_PATH_MAX - 300) {
        rc = cs_error_set(&e, CS_EINVAL, "export: output path too long");
        goto done;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    snprintf(x.out, sizeof(x.out), "%s", out_dir);
    rc = read_options(opts, &x, &e);
    if (rc != CS_OK) goto done;
    bool created = false;
    rc = open_out(&x, &created, &e);
    if (rc == CS_OK) rc = plan(&x, &e);
    if (rc == CS_OK) rc = run_workers(&x, &e);
    if (rc == CS_OK) rc = finish(&x, &e);
    if (rc != CS_OK) undo(&x, created);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc == CS_OK && stats != NULL) {
        const colstore_export_stats full = {sizeof(full), x.files, x.rows, x.bytes,
                                            (double)(t1.tv_sec - t0.tv_sec) +
                                                (double)(t1.tv_nsec - t0.tv_nsec) / 1e9};
        const size_t n = stats->size < sizeof(full) ? stats->size : sizeof(full);
        memcpy((char *)stats + sizeof(size_t), (const char *)&full + sizeof(size_t),
               n - sizeof(size_t));
    }
done:
    exporter_free(&x);
    return cs_engine_return(err, rc, &e);
}
