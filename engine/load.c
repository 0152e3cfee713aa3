/*
 * colstore_load_*: one load is one transaction.
 *
 *   open source → parse options → begin a session (writer lock, transaction) → cs_load_dim
 *   or cs_load_fact (parse, check, put partitions) → finish the session (refresh the touched
 *   days' aggregates, commit), or abort when nothing changed or anything failed. Readers never
 *   see a partial load.
 */
#include "engine/load.h"
#include "engine/load_rejects.h"
#include "engine/session.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The first version of colstore_load_options ended with progress_ctx. */
#define LOAD_OPTIONS_V1_SIZE (offsetof(colstore_load_options, progress_ctx) + sizeof(void *))

int cs_load_progress(struct cs_load *ld)
{
    if (ld->opts->progress == NULL) return CS_OK;
    if (ld->opts->progress(ld->opts->progress_ctx, cs_parser_bytes(ld->parser), ld->bytes_total,
                           ld->stats.rows_read) == 0)
        return CS_OK;
    return cs_error_set(&ld->e, CS_ECANCELED, "%s: load canceled by the progress callback",
                        ld->t->name);
}

struct load_source {
    int fd;          /* >= 0: read from fd */
    const char *buf; /* else this buffer */
    size_t len;
    const char *name;
};

/* The arguments every entry point checks: *o receives the options (defaults when NULL). */
static int check_args(colstore_store *store,
                      const char *table,
                      const colstore_load_options *opts,
                      const struct cs_table_def **t,
                      colstore_load_options *o,
                      struct cs_error *e)
{
    *o = (colstore_load_options)COLSTORE_LOAD_OPTIONS_INIT;
    if (store == NULL || table == NULL)
        return cs_error_set(e, CS_EINVAL, "load: store and table are required");
    if (!(store->flags & COLSTORE_WRITABLE))
        return cs_error_set(e, CS_EINVAL, "load: the store was opened read-only");
    *t = cs_schema_find_table(table);
    if (*t == NULL || (*t)->id == CS_T_AGG_DAILY)
        return cs_error_set(e, CS_EINVAL, "load: unknown table \"%s\"", table);
    if (opts == NULL) return CS_OK;
    int rc = cs_engine_read_options(o, sizeof(*o), opts, LOAD_OPTIONS_V1_SIZE,
                                    "colstore_load_options", e);
    if (rc != CS_OK) return rc;
    if (o->format < COLSTORE_FORMAT_AUTO || o->format > COLSTORE_FORMAT_CSV)
        return cs_error_set(e, CS_EINVAL, "load: invalid format %d", (int)o->format);
    return CS_OK;
}

static void fill_parse_opts(const struct load_source *src,
                            const colstore_load_options *opts,
                            FILE *rejects,
                            struct cs_parse_opts *po)
{
    enum colstore_format fmt = opts->format;
    if (fmt == COLSTORE_FORMAT_AUTO)
        fmt = ends_with(src->name, ".csv") ? COLSTORE_FORMAT_CSV : COLSTORE_FORMAT_TEXT;
    po->format = fmt == COLSTORE_FORMAT_CSV ? CS_FMT_CSV : CS_FMT_TEXT;
    po->header = po->format == CS_FMT_CSV && !opts->no_header;
    po->filename = src->name;
    po->rejects = rejects;
    po->now_us = opts->load_time_us != 0 ? opts->load_time_us : now_us();
    po->max_rejects = cs_engine_max_rejects(opts->max_rejects);
}

static int
run_load(struct cs_load *ld, const struct load_source *src, const struct cs_parse_opts *po)
{
    int rc = src->fd >= 0 ? cs_parser_open_fd(ld->t, src->fd, po, &ld->parser, &ld->e)
                          : cs_parser_open_mem(ld->t, src->buf, src->len, po, &ld->parser, &ld->e);
    if (rc != CS_OK) return rc;
    rc = ld->t->is_fact ? cs_load_fact(ld) : cs_load_dim(ld);
    ld->stats.rows_rejected = cs_parser_rejected(ld->parser);
    ld->stats.rows_read += cs_parser_bad_records(ld->parser); /* read, then rejected */
    cs_parser_close(ld->parser);
    ld->parser = NULL;
    return rc;
}

/* One load, from arguments already checked (t, o); errors in ld.e, stats in *stats. */
static int load_checked(colstore_store *store,
                        const struct cs_table_def *t,
                        const struct load_source *src,
                        const colstore_load_options *o,
                        colstore_load_stats *stats,
                        struct cs_error *e)
{
    const double t0 = mono_s();
    const char *rejects_path = o->rejects_path;
    FILE *rejects = NULL;
    struct cs_parse_opts po = {0};
    struct cs_load ld = {.t = t, .opts = o};
    int rc = CS_OK;
    if (src->fd >= 0) {
        struct stat sb;
        if (fstat(src->fd, &sb) == 0 && S_ISREG(sb.st_mode)) ld.bytes_total = (uint64_t)sb.st_size;
    } else {
        ld.bytes_total = src->len;
    }

    /* The rejects file is opened only under the writer lock: a load that cannot start leaves
     * it untouched; its lines are on disk before the commit, or nothing commits. */
    struct cs_session sess;
    rc = cs_session_begin(store, &sess, CS_SESSION_ONE_FACT_TABLE, &ld.e);
    if (rc == CS_OK) {
        if (rejects_path != NULL)
            rc = cs_rejects_open(store->st, rejects_path, src->fd, NULL, 0, &rejects, &ld.e);
        ld.sess = &sess;
        ld.snap = sess.snap;
        fill_parse_opts(src, o, rejects, &po);
        if (rc == CS_OK) rc = run_load(&ld, src, &po);
        if (rc == CS_OK) rc = cs_rejects_sync(rejects, rejects_path, &ld.e);
        const int frc = cs_session_finish(&sess, rc == CS_OK, &ld.e);
        if (rc == CS_OK) rc = frc;
        ld.sess = NULL;
    }
    rc = cs_rejects_close(rejects, rejects_path, rc, &ld.e);
    if (rc != CS_OK) *e = ld.e;
    ld.stats.seconds = mono_s() - t0;
    if (stats != NULL) *stats = ld.stats;
    return rc;
}

int colstore_load_fd(colstore_store *store,
                     const char *table,
                     int fd,
                     const char *name,
                     const colstore_load_options *opts,
                     colstore_load_stats *stats,
                     colstore_error *err)
{
    struct cs_error e = {0};
    const struct cs_table_def *t = NULL;
    colstore_load_options o;
    if (stats != NULL) memset(stats, 0, sizeof(*stats));
    int rc = check_args(store, table, opts, &t, &o, &e);
    if (rc == CS_OK && fd < 0) rc = cs_error_set(&e, CS_EINVAL, "load: invalid file descriptor");
    if (rc == CS_OK) {
        struct load_source src = {fd, NULL, 0, name != NULL ? name : "<fd>"};
        rc = load_checked(store, t, &src, &o, stats, &e);
    }
    return cs_engine_return(err, rc, &e);
}

int colstore_load_buffer(colstore_store *store,
                         const char *table,
                         const void *buf,
                         size_t len,
                         const char *name,
                         const colstore_load_options *opts,
                         colstore_load_stats *stats,
                         colstore_error *err)
{
    struct cs_error e = {0};
    const struct cs_table_def *t = NULL;
    colstore_load_options o;
    if (stats != NULL) memset(stats, 0, sizeof(*stats));
    int rc = check_args(store, table, opts, &t, &o, &e);
    if (rc == CS_OK && buf == NULL && len > 0)
        rc = cs_error_set(&e, CS_EINVAL, "load: buffer is NULL");
    if (rc == CS_OK) {
        struct load_source src = {-1, buf != NULL ? buf : "", len,
                                  name != NULL ? name : "<buffer>"};
        rc = load_checked(store, t, &src, &o, stats, &e);
    }
    return cs_engine_return(err, rc, &e);
}

int colstore_load_path(colstore_store *store,
                       const char *table,
                       const char *path,
                       const colstore_load_options *opts,
                       colstore_load_stats *stats,
                       colstore_error *err)
{
    struct cs_error e = {0};
    const struct cs_table_def *t = NULL;
    colstore_load_options o;
    int fd = -1;
    if (stats != NULL) memset(stats, 0, sizeof(*stats));
    int rc = check_args(store, table, opts, &t, &o, &e);
    if (rc == CS_OK && path == NULL) rc = cs_error_set(&e, CS_EINVAL, "load: path is required");
    if (rc != CS_OK) goto done;
    if (strcmp(path, "-") == 0) {
        struct load_source src = {STDIN_FILENO, NULL, 0, "<stdin>"};
        rc = load_checked(store, t, &src, &o, stats, &e);
        goto done;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = cs_error_set(&e, CS_EIO, "could not open \"%s\": %s", path, strerror(errno));
        goto done;
    }
    struct load_source src = {fd, NULL, 0, path};
    rc = load_checked(store, t, &src, &o, stats, &e);
done:
    if (fd >= 0) close(fd);
    return cs_engine_return(err, rc, &e);
}
