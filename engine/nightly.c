/*
 * colstore_nightly(): one night of operational exports in one load session (see nightly.h).
 *
 *   parse the exports present (each whole: a night is small; a bad line stops here unless
 *   there is a rejects file) → begin the session (writer lock, transaction) → agents (SCD-2)
 *   → facts: queries, approvals, feedback, each by id (conversations and users maintained in
 *   that order) → the changed dimensions put → finish: every touched day's aggregates refreshed
 *   from the transaction's view, one commit. Any failure aborts: nothing is committed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/nightly.h"
#include "engine/load_rejects.h"
#include "storage/base/limits.h"

static const int op_tables[CS_NI_COUNT] = {CS_T_OP_AGENTS, CS_T_OP_QUERIES, CS_T_OP_APPROVALS,
                                           CS_T_OP_FEEDBACK};

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

/* Parse input `in` of source i whole into n->src[i]; *fd is the file opened for it. */
static int
parse_source(struct cs_night *n, int i, const struct cs_night_input *in, FILE *rejects, int *fd)
{
    struct cs_night_src *s = &n->src[i];
    struct cs_parse_opts po = {0};
    po.format = in->format;
    po.header = in->header;
    po.filename = in->name;
    po.rejects = rejects;
    po.now_us = n->load_time;
    po.max_rejects = n->max_rejects;
    s->t = cs_schema_op_table(op_tables[i]);
    cs_batch_init(&s->rows, s->t);
    s->present = true;
    int rc;
    if (in->fn != NULL) {
        rc = cs_parser_open_fn(s->t, in->fn, in->fn_ctx, &po, &s->parser, &n->e);
    } else if (in->path != NULL) {
        if (strcmp(in->path, "-") == 0) {
            *fd = STDIN_FILENO;
        } else {
            *fd = open(in->path, O_RDONLY | O_CLOEXEC);
            if (*fd < 0)
                return cs_error_set(&n->e, CS_EIO, "could not open \"%s\": %s", in->path,
                                    strerror(errno));
        }
        rc = cs_parser_open_fd(s->t, *fd, &po, &s->parser, &n->e);
    } else {
        rc = cs_parser_open_mem(s->t, in->buf != NULL ? in->buf : "", in->len, &po, &s->parser,
                                &n->e);
    }
    /* the whole export at once, straight into the source's rows (no copy of chunks) */
    if (rc == CS_OK) rc = cs_parser_next(s->parser, &s->rows, SIZE_MAX, &n->e);
    if (rc == CS_OK) {
        s->counts.read = s->rows.rows;
        s->counts.rejected = cs_parser_rejected(s->parser);
        s->order = malloc((s->rows.rows + 1) * sizeof(uint32_t));
        s->state = calloc(s->rows.rows + 1, 1);
        if (s->order == NULL || s->state == NULL)
            rc = cs_error_set(&n->e, CS_ENOMEM, "out of memory");
    }
    return rc;
}

static int load_time_keys(struct cs_night *n)
{
    const struct cs_table_def *t = cs_schema_table(CS_T_DIM_TIME);
    struct cs_batch b;
    cs_batch_init(&b, t);
    const int key = t->key_col;
    const size_t nparts = cs_snap_part_count(n->sess->snap, t->id);
    int rc = cs_snap_read_groups(n->sess->snap, t->id, 0, nparts, &key, 1, &b, &n->e);
    const struct cs_col keys = b.cols[key];
    if (rc == CS_OK && !cs_hmap_init(&n->time_keys, false, keys.len + 1))
        rc = cs_error_set(&n->e, CS_ENOMEM, "out of memory");
    for (size_t r = 0; rc == CS_OK && r < keys.len; r++) {
        if (!cs_hmap_put(&n->time_keys, keys.i64[r], 1))
            rc = cs_error_set(&n->e, CS_ENOMEM, "out of memory");
    }
    cs_batch_free(&b);
    return rc;
}

/* The night inside an open session: everything but the commit. */
static int run_night(struct cs_night *n)
{
    int rc = cs_night_dims_open(n);
    if (rc == CS_OK) rc = load_time_keys(n);
    if (rc == CS_OK && n->src[CS_NI_AGENTS].present) rc = cs_night_agents(n);
    if (rc == CS_OK) rc = cs_night_facts(n);
    if (rc == CS_OK) rc = cs_night_dims_put(n);
    n->stats.days_touched = n->sess->ntouched;
    return rc;
}

static void night_free(struct cs_night *n, int *fds)
{
    for (int i = 0; i < CS_NI_COUNT; i++) {
        struct cs_night_src *s = &n->src[i];
        cs_parser_close(s->parser);
        if (s->t != NULL) cs_batch_free(&s->rows);
        free(s->order);
        free(s->state);
        if (fds[i] > STDIN_FILENO) close(fds[i]);
    }
    cs_night_dims_free(n);
    if (n->time_keys.cap != 0) cs_hmap_free(&n->time_keys);
}

static void copy_stats(colstore_nightly_stats *out, const colstore_nightly_stats *in)
{
    if (out == NULL || out->size < sizeof(size_t)) return;
    const size_t size = out->size < sizeof(*in) ? out->size : sizeof(*in);
    memcpy((char *)out + sizeof(size_t), (const char *)in + sizeof(size_t), size - sizeof(size_t));
}

int cs_nightly_run(colstore_store *store,
                   int64_t load_time,
                   const char *rejects_path,
                   uint64_t max_rejects,
                   const struct cs_night_input in[CS_NI_COUNT],
                   colstore_nightly_stats *stats,
                   struct cs_error *e)
{
    const double t0 = mono_s();
    struct cs_night n;
    memset(&n, 0, sizeof(n));
    n.stats.size = sizeof(n.stats);
    n.load_time = load_time;
    n.max_rejects = max_rejects;
    int fds[CS_NI_COUNT] = {-1, -1, -1, -1};
    struct cs_session sess;
    int rc = cs_session_begin(store, &sess, 0, e);
    if (rc != CS_OK) return rc;
    n.sess = &sess;
    FILE *rejects = NULL;
    if (rejects_path != NULL) { /* under the lock; never an input, never in the store */
        const char *paths[CS_NI_COUNT];
        for (int i = 0; i < CS_NI_COUNT; i++)
            paths[i] = in[i].present ? in[i].path : NULL;
        rc = cs_rejects_open(store->st, rejects_path, -1, paths, CS_NI_COUNT, &rejects, &n.e);
    }
    for (int i = 0; i < CS_NI_COUNT && rc == CS_OK; i++) {
        if (in[i].present) rc = parse_source(&n, i, &in[i], rejects, &fds[i]);
    }
    if (rc == CS_OK) rc = run_night(&n);
    if (rc == CS_OK) rc = cs_rejects_sync(rejects, rejects_path, &n.e);
    const int frc = cs_session_finish(&sess, rc == CS_OK, &n.e);
    if (rc == CS_OK) rc = frc;
    rc = cs_rejects_close(rejects, rejects_path, rc, &n.e);
    n.stats.agents = n.src[CS_NI_AGENTS].counts;
    n.stats.queries = n.src[CS_NI_QUERIES].counts;
    n.stats.approvals = n.src[CS_NI_APPROVALS].counts;
    n.stats.feedback = n.src[CS_NI_FEEDBACK].counts;
    night_free(&n, fds);
    n.stats.seconds = mono_s() - t0;
    *stats = n.stats;
    if (rc != CS_OK) *e = n.e;
    return rc;
}

static bool input_present(const colstore_nightly_input *in)
{
    return in->path != NULL || in->buf != NULL;
}

/* The first version of colstore_nightly_options ended with `feedback`. */
#define NIGHTLY_OPTIONS_V1_SIZE \
    (offsetof(colstore_nightly_options, feedback) + sizeof(colstore_nightly_input))

/* The arguments of colstore_nightly(): *o receives the caller's options read by size. */
static int check_nightly_args(colstore_store *store,
                              const colstore_nightly_options *opts,
                              colstore_nightly_options *o,
                              struct cs_error *e)
{
    *o = (colstore_nightly_options)COLSTORE_NIGHTLY_OPTIONS_INIT;
    if (store == NULL || opts == NULL)
        return cs_error_set(e, CS_EINVAL, "nightly: store and options are required");
    int rc = cs_engine_read_options(o, sizeof(*o), opts, NIGHTLY_OPTIONS_V1_SIZE,
                                    "colstore_nightly_options", e);
    if (rc != CS_OK) return rc;
    if (!(store->flags & COLSTORE_WRITABLE))
        return cs_error_set(e, CS_EINVAL, "nightly: the store was opened read-only");
    const colstore_nightly_input *ins[CS_NI_COUNT] = {&o->agents, &o->queries, &o->approvals,
                                                      &o->feedback};
    for (int i = 0; i < CS_NI_COUNT; i++) {
        if (ins[i]->format < COLSTORE_FORMAT_AUTO || ins[i]->format > COLSTORE_FORMAT_CSV)
            return cs_error_set(e, CS_EINVAL, "nightly: invalid format %d", (int)ins[i]->format);
    }
    return CS_OK;
}

int colstore_nightly(colstore_store *store,
                     const colstore_nightly_options *caller_opts,
                     colstore_nightly_stats *stats,
                     colstore_error *err)
{
    colstore_nightly_options opts_copy;
    struct cs_error e = {0};
    int rc = check_nightly_args(store, caller_opts, &opts_copy, &e);
    if (rc != CS_OK) return cs_engine_return(err, rc, &e);
    const colstore_nightly_options *opts = &opts_copy;
    const colstore_nightly_input *ins[CS_NI_COUNT] = {&opts->agents, &opts->queries,
                                                      &opts->approvals, &opts->feedback};
    struct cs_night_input in[CS_NI_COUNT];
    memset(in, 0, sizeof(in));
    for (int i = 0; i < CS_NI_COUNT; i++) {
        const colstore_nightly_input *x = ins[i];
        in[i].present = input_present(x);
        in[i].path = x->path;
        in[i].buf = x->buf;
        in[i].len = x->len;
        const char *name = x->name != NULL ? x->name : x->path != NULL ? x->path : "<buffer>";
        if (x->path != NULL && strcmp(x->path, "-") == 0 && x->name == NULL) name = "<stdin>";
        in[i].name = name;
        int fmt = x->format;
        if (fmt == COLSTORE_FORMAT_AUTO)
            fmt = ends_with(name, ".csv") ? COLSTORE_FORMAT_CSV : COLSTORE_FORMAT_TEXT;
        in[i].format = fmt == COLSTORE_FORMAT_CSV ? CS_FMT_CSV : CS_FMT_TEXT;
        in[i].header = in[i].format == CS_FMT_CSV && !x->no_header;
    }
    colstore_nightly_stats st;
    const int64_t lt = opts->load_time_us != 0 ? opts->load_time_us : now_us();
    rc = cs_nightly_run(store, lt, opts->rejects_path, cs_engine_max_rejects(opts->max_rejects), in,
                        &st, &e);
    copy_stats(stats, &st);
    return cs_engine_return(err, rc, &e);
}
