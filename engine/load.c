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

void cs_load_progress(struct cs_load *ld)
{
    if (ld->opts == NULL || ld->opts->progress == NULL) return;
    ld->opts->progress(ld->opts->progress_ctx, cs_parser_bytes(ld->parser), ld->bytes_total,
                       ld->stats.rows_read);
}

struct load_source {
    int fd;          /* >= 0: read from fd */
    const char *buf; /* else this buffer */
    size_t len;
    const char *name;
};

static int check_args(colstore_store *store,
                      const char *table,
                      const colstore_load_options *opts,
                      const struct cs_table_def **t,
                      colstore_error *err)
{
    if (store == NULL || table == NULL)
        return cs_engine_fail(err, COLSTORE_EINVAL, "load: store and table are required");
    if (!(store->flags & COLSTORE_WRITABLE))
        return cs_engine_fail(err, COLSTORE_EINVAL, "load: the store was opened read-only");
    *t = cs_schema_find_table(table);
    if (*t == NULL || (*t)->id == CS_T_AGG_DAILY)
        return cs_engine_fail(err, COLSTORE_EINVAL, "load: unknown table \"%s\"", table);
    if (opts != NULL && (opts->format < COLSTORE_FORMAT_AUTO || opts->format > COLSTORE_FORMAT_CSV))
        return cs_engine_fail(err, COLSTORE_EINVAL, "load: invalid format %d", opts->format);
    return COLSTORE_OK;
}

static void fill_parse_opts(const struct load_source *src,
                            const colstore_load_options *opts,
                            FILE *rejects,
                            struct cs_parse_opts *po)
{
    int fmt = opts != NULL ? opts->format : COLSTORE_FORMAT_AUTO;
    if (fmt == COLSTORE_FORMAT_AUTO) fmt = ends_with(src->name, ".csv") ? CS_FMT_CSV : CS_FMT_TEXT;
    po->format = fmt == COLSTORE_FORMAT_CSV ? CS_FMT_CSV : CS_FMT_TEXT;
    po->header = po->format == CS_FMT_CSV && !(opts != NULL && opts->no_header);
    po->filename = src->name;
    po->rejects = rejects;
    po->now_us = opts != NULL && opts->load_time_us != 0 ? opts->load_time_us : now_us();
}

static int
run_load(struct cs_load *ld, const struct load_source *src, const struct cs_parse_opts *po)
{
    int rc = src->fd >= 0 ? cs_parser_open_fd(ld->t, src->fd, po, &ld->parser, &ld->e)
                          : cs_parser_open_mem(ld->t, src->buf, src->len, po, &ld->parser, &ld->e);
    if (rc != CS_OK) return rc;
    rc = ld->t->is_fact ? cs_load_fact(ld) : cs_load_dim(ld);
    ld->stats.rows_rejected = cs_parser_rejected(ld->parser);
    cs_parser_close(ld->parser);
    ld->parser = NULL;
    return rc;
}

static int load_common(colstore_store *store,
                       const char *table,
                       const struct load_source *src,
                       const colstore_load_options *opts,
                       colstore_load_stats *stats,
                       colstore_error *err)
{
    const double t0 = mono_s();
    if (stats != NULL) memset(stats, 0, sizeof(*stats));
    const struct cs_table_def *t = NULL;
    int rc = check_args(store, table, opts, &t, err);
    if (rc != COLSTORE_OK) return rc;

    const char *rejects_path = opts != NULL ? opts->rejects_path : NULL;
    FILE *rejects = NULL;
    struct cs_parse_opts po = {0};
    struct cs_load ld = {.t = t, .opts = opts};
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
        fill_parse_opts(src, opts, rejects, &po);
        if (rc == CS_OK) rc = run_load(&ld, src, &po);
        if (rc == CS_OK) rc = cs_rejects_sync(rejects, rejects_path, &ld.e);
        const int frc = cs_session_finish(&sess, rc == CS_OK, &ld.e);
        if (rc == CS_OK) rc = frc;
        ld.sess = NULL;
    }
    rc = cs_rejects_close(rejects, rejects_path, rc, &ld.e);
    ld.stats.seconds = mono_s() - t0;
    if (stats != NULL) *stats = ld.stats;
    if (rc != CS_OK) return cs_engine_error(err, &ld.e);
    if (err != NULL) {
        err->code = COLSTORE_OK;
        err->message[0] = '\0';
    }
    return COLSTORE_OK;
}

int colstore_load_fd(colstore_store *store,
                     const char *table,
                     int fd,
                     const char *name,
                     const colstore_load_options *opts,
                     colstore_load_stats *stats,
                     colstore_error *err)
{
    if (fd < 0) return cs_engine_fail(err, COLSTORE_EINVAL, "load: invalid file descriptor");
    struct load_source src = {fd, NULL, 0, name != NULL ? name : "<fd>"};
    return load_common(store, table, &src, opts, stats, err);
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
    if (buf == NULL && len > 0) return cs_engine_fail(err, COLSTORE_EINVAL, "load: buffer is NULL");
    struct load_source src = {-1, buf != NULL ? buf : "", len, name != NULL ? name : "<buffer>"};
    return load_common(store, table, &src, opts, stats, err);
}

int colstore_load_path(colstore_store *store,
                       const char *table,
                       const char *path,
                       const colstore_load_options *opts,
                       colstore_load_stats *stats,
                       colstore_error *err)
{
    if (path == NULL) return cs_engine_fail(err, COLSTORE_EINVAL, "load: path is required");
    const struct cs_table_def *t = NULL;
    int arc = check_args(store, table, opts, &t, err);
    if (arc != COLSTORE_OK) return arc;
    if (strcmp(path, "-") == 0) {
        struct load_source src = {STDIN_FILENO, NULL, 0, "<stdin>"};
        return load_common(store, table, &src, opts, stats, err);
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cs_engine_fail(err, COLSTORE_EIO, "could not open \"%s\": %s", path,
                              strerror(errno));
    struct load_source src = {fd, NULL, 0, path};
    int rc = load_common(store, table, &src, opts, stats, err);
    close(fd);
    return rc;
}
