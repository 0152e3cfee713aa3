/*
 * colstore_pull() (docs/contract.md, pull): the nightly job with its four inputs streamed from a live
 * PostgreSQL server by COPY (...) TO STDOUT, inside one REPEATABLE READ READ ONLY transaction.
 *
 * libpq is loaded with dlopen("libpq.so.5") when the first pull runs, never linked: the library's
 * other users (colquery, a report service) do not pay for loading it and its two dozen
 * dependencies at start-up, and a machine without libpq can still use everything else.
 * libpq-fe.h is included for its types only.
 *
 * Each input is a cs_read_fn: its COPY is issued when the parser first reads it (the parser
 * reads the four inputs one after the other), rows are copied out of libpq's buffers as the
 * parser asks for bytes. Any failure (connect, query, COPY, a connection lost mid-stream)
 * aborts the session: nothing is committed.
 */
#include <dlfcn.h>
#include <stddef.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/nightly.h"
#include "storage/base/pgtext.h"

struct pq_api {
    void *lib;
    __typeof__(PQconnectdb) *connectdb;
    __typeof__(PQstatus) *status;
    __typeof__(PQerrorMessage) *error_message;
    __typeof__(PQfinish) *finish;
    __typeof__(PQexec) *exec;
    __typeof__(PQresultStatus) *result_status;
    __typeof__(PQresultErrorMessage) *result_error_message;
    __typeof__(PQclear) *clear;
    __typeof__(PQgetCopyData) *get_copy_data;
    __typeof__(PQgetResult) *get_result;
    __typeof__(PQfreemem) *freemem;
    __typeof__(PQescapeLiteral) *escape_literal;
    __typeof__(PQconninfoParse) *conninfo_parse;
    __typeof__(PQconninfoFree) *conninfo_free;
};

static int pq_resolve(struct pq_api *pq, struct cs_error *e)
{
    memset(pq, 0, sizeof(*pq));
    pq->lib = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (pq->lib == NULL)
        return cs_error_set(e, CS_EIO, "pull: could not load libpq (libpq.so.5): %s", dlerror());
    struct {
        void **slot;
        const char *name;
    } syms[] = {
        {(void **)&pq->connectdb, "PQconnectdb"},
        {(void **)&pq->status, "PQstatus"},
        {(void **)&pq->error_message, "PQerrorMessage"},
        {(void **)&pq->finish, "PQfinish"},
        {(void **)&pq->exec, "PQexec"},
        {(void **)&pq->result_status, "PQresultStatus"},
        {(void **)&pq->result_error_message, "PQresultErrorMessage"},
        {(void **)&pq->clear, "PQclear"},
        {(void **)&pq->get_copy_data, "PQgetCopyData"},
        {(void **)&pq->get_result, "PQgetResult"},
        {(void **)&pq->freemem, "PQfreemem"},
        {(void **)&pq->escape_literal, "PQescapeLiteral"},
        {(void **)&pq->conninfo_parse, "PQconninfoParse"},
        {(void **)&pq->conninfo_free, "PQconninfoFree"},
    };
    for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
        *syms[i].slot = dlsym(pq->lib, syms[i].name);
        if (*syms[i].slot == NULL) {
            dlclose(pq->lib);
            pq->lib = NULL;
            return cs_error_set(e, CS_EIO, "pull: libpq.so.5 has no %s", syms[i].name);
        }
    }
    return CS_OK;
}

/* libpq, once loaded, stays loaded until the process ends: it brings OpenSSL, Kerberos and
 * LDAP, which register exit handlers and thread-local state that unloading them would leave
 * pointing into unmapped code (LeakSanitizer's exit scan crashed on it). */
static pthread_mutex_t pq_mu = PTHREAD_MUTEX_INITIALIZER;
static struct pq_api pq_loaded;

static int pq_load(struct pq_api *pq, struct cs_error *e)
{
    pthread_mutex_lock(&pq_mu);
    int rc = pq_loaded.lib != NULL ? CS_OK : pq_resolve(&pq_loaded, e);
    if (rc == CS_OK) *pq = pq_loaded;
    pthread_mutex_unlock(&pq_mu);
    return rc;
}

struct pull {
    struct pq_api pq;
    PGconn *conn;
    char secret[256]; /* the password of the connection string, scrubbed from messages */
};

/* clean_message() - libpq's message without its final newline and with the password (if the
 * connection string has one) replaced, so that it can be shown. */
static void clean_message(const struct pull *p, const char *in, char *out, size_t size)
{
    size_t k = 0;
    const size_t slen = strlen(p->secret);
    for (size_t i = 0; in != NULL && in[i] != '\0' && k + 4 < size;) {
        if (slen > 0 && strncmp(in + i, p->secret, slen) == 0) {
            memcpy(out + k, "***", 3);
            k += 3;
            i += slen;
        } else {
            out[k++] = in[i++];
        }
    }
    while (k > 0 && (out[k - 1] == '\n' || out[k - 1] == ' '))
        k--;
    out[k] = '\0';
}

static int pg_fail(const struct pull *p, struct cs_error *e, const char *what, const char *msg)
{
    char clean[CS_ERROR_MESSAGE_SIZE / 2];
    clean_message(p, msg, clean, sizeof(clean));
    return cs_error_set(e, CS_EIO, "pull: %s: %s", what, clean[0] ? clean : "failed");
}

/* Remember the connection string's password (to scrub it from messages). */
static void note_secret(struct pull *p, const char *conninfo)
{
    if (conninfo == NULL) return;
    char *errmsg = NULL;
    PQconninfoOption *opts = p->pq.conninfo_parse(conninfo, &errmsg);
    if (errmsg != NULL) p->pq.freemem(errmsg);
    for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++) {
        if (strcmp(o->keyword, "password") == 0 && o->val != NULL)
            snprintf(p->secret, sizeof(p->secret), "%s", o->val);
    }
    if (opts != NULL) p->pq.conninfo_free(opts);
}

static int run_sql(struct pull *p, const char *sql, const char *what, struct cs_error *e)
{
    PGresult *r = p->pq.exec(p->conn, sql);
    int rc = CS_OK;
    if (r == NULL || p->pq.result_status(r) != PGRES_COMMAND_OK)
        rc = pg_fail(p, e, what,
                     r != NULL ? p->pq.result_error_message(r) : p->pq.error_message(p->conn));
    if (r != NULL) p->pq.clear(r);
    return rc;
}

/* ---- one COPY stream as a parser source ---- */

struct copy_src {
    struct pull *p;
    const char *table;
    char sql[1024];
    bool started, done;
    char *row; /* libpq's buffer of the current row */
    int len, pos;
};

static int copy_start(struct copy_src *c, struct cs_error *e)
{
    struct pull *p = c->p;
    PGresult *r = p->pq.exec(p->conn, c->sql);
    int rc = CS_OK;
    if (r == NULL || p->pq.result_status(r) != PGRES_COPY_OUT) {
        char what[96];
        snprintf(what, sizeof(what), "COPY of %s", c->table);
        rc = pg_fail(p, e, what,
                     r != NULL ? p->pq.result_error_message(r) : p->pq.error_message(p->conn));
    }
    if (r != NULL) p->pq.clear(r);
    c->started = true;
    return rc;
}

/* The COPY ended: its final result must say success. */
static int copy_end(struct copy_src *c, struct cs_error *e)
{
    struct pull *p = c->p;
    int rc = CS_OK;
    PGresult *r;
    while ((r = p->pq.get_result(p->conn)) != NULL) {
        if (rc == CS_OK && p->pq.result_status(r) != PGRES_COMMAND_OK) {
            char what[96];
            snprintf(what, sizeof(what), "COPY of %s", c->table);
            rc = pg_fail(p, e, what, p->pq.result_error_message(r));
        }
        p->pq.clear(r);
    }
    c->done = true;
    return rc;
}

static long copy_read(void *ctx, char *buf, size_t cap, struct cs_error *e)
{
    struct copy_src *c = ctx;
    struct pull *p = c->p;
    if (c->done) return 0;
    if (!c->started && copy_start(c, e) != CS_OK) return -1;
    size_t k = 0;
    while (k < cap) {
        if (c->row != NULL && c->pos < c->len) {
            size_t n = (size_t)(c->len - c->pos);
            if (n > cap - k) n = cap - k;
            memcpy(buf + k, c->row + c->pos, n);
            c->pos += (int)n;
            k += n;
            continue;
        }
        if (c->row != NULL) {
            p->pq.freemem(c->row);
            c->row = NULL;
        }
        if (k > 0 && k + 8192 > cap) break; /* hand over what we have */
        char *row = NULL;
        const int n = p->pq.get_copy_data(p->conn, &row, 0);
        if (n > 0) {
            c->row = row;
            c->len = n;
            c->pos = 0;
        } else if (n == -1) {
            if (copy_end(c, e) != CS_OK) return -1;
            break;
        } else {
            char what[96];
            snprintf(what, sizeof(what), "COPY of %s", c->table);
            pg_fail(p, e, what, p->pq.error_message(p->conn));
            return -1;
        }
    }
    return (long)k;
}

static void copy_free(struct copy_src *c)
{
    if (c->row != NULL) c->p->pq.freemem(c->row);
    c->row = NULL;
}

/* ---- the pull ---- */

/* The largest operational id stored in each fact table (0 when none). */
static int watermarks(colstore_store *store, int64_t w[3], struct cs_error *e)
{
    static const int facts[3] = {CS_T_FACT_AGENT_QUERY, CS_T_FACT_APPROVAL, CS_T_FACT_TRAINING};
    struct cs_snap *snap = NULL;
    int rc = cs_snap_open(store->st, &snap, e);
    for (int i = 0; i < 3 && rc == CS_OK; i++) {
        const struct cs_table_def *t = cs_schema_table(facts[i]);
        w[i] = 0;
        const size_t n = cs_snap_part_count(snap, t->id);
        for (size_t k = 0; k < n && rc == CS_OK; k++) {
            struct cs_part_ranges rg; /* from the manifest: no block header read */
            rc = cs_snap_part_ranges(snap, t->id, k, &rg, e);
            if (rc == CS_OK && rg.id_min <= rg.id_max && rg.id_max > w[i]) w[i] = rg.id_max;
        }
    }
    cs_snap_close(snap);
    return rc;
}

static bool valid_date(const char *s)
{
    int64_t days;
    return cs_engine_parse_date(s, &days);
}

static int build_queries(struct pull *p,
                         const colstore_pull_options *o,
                         int64_t lt,
                         const int64_t w[3],
                         struct copy_src src[CS_NI_COUNT],
                         struct cs_error *e)
{
    static const char *const tables[CS_NI_COUNT] = {"agents", "agent_queries", "agent_approvals",
                                                    "agent_feedback"};
    static const char *const cols[CS_NI_COUNT] = {
        "agent_name, agent_type, capabilities, sla_target_seconds, cost_per_query_usd",
        "id, agent, conversation_id, query, result_size_bytes, latency_ms, approved, "
        "human_edited, error_occurred, created_at",
        "id, agent, conversation_id, approved_by, status, interruption_count, created_at, "
        "resolved_at",
        "id, agent, conversation_id, annotator, safe_to_send, clarity_score, accuracy_score, "
        "tone_score, labels, created_at, annotated_at"};
    const char *overlap = o->overlap != NULL ? o->overlap : "2 days";
    char *ov = p->pq.escape_literal(p->conn, overlap, strlen(overlap));
    if (ov == NULL) return pg_fail(p, e, "--overlap", p->pq.error_message(p->conn));
    char ts[48], since[64] = "";
    cs_fmt_timestamptz(ts, lt);
    if (o->since != NULL) snprintf(since, sizeof(since), " OR created_at >= '%s'", o->since);
    int rc = CS_OK;
    for (int i = 0; i < CS_NI_COUNT; i++) {
        src[i].p = p;
        src[i].table = tables[i];
        int n;
        if (i == CS_NI_AGENTS) {
            n = snprintf(src[i].sql, sizeof(src[i].sql), "COPY (SELECT %s FROM agents) TO STDOUT",
                         cols[i]);
        } else {
            n = snprintf(src[i].sql, sizeof(src[i].sql),
                         "COPY (SELECT %s FROM %s WHERE id > %lld OR created_at >= "
                         "'%s'::timestamptz - %s::interval%s) TO STDOUT",
                         cols[i], tables[i], (long long)w[i - 1], ts, ov, since);
        }
        if (n < 0 || (size_t)n >= sizeof(src[i].sql)) {
            rc = cs_error_set(e, CS_EINVAL, "pull: --overlap is too long");
            break;
        }
    }
    p->pq.freemem(ov);
    return rc;
}

static int64_t now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static int pull_run(colstore_store *store,
                    const colstore_pull_options *o,
                    struct pull *p,
                    colstore_nightly_stats *st,
                    struct cs_error *e)
{
    const int64_t lt = o->load_time_us != 0 ? o->load_time_us : now_us();
    int64_t w[3];
    int rc = watermarks(store, w, e);
    if (rc != CS_OK) return rc;
    note_secret(p, o->conninfo);
    p->conn = p->pq.connectdb(o->conninfo != NULL ? o->conninfo : "");
    if (p->conn == NULL) return cs_error_set(e, CS_ENOMEM, "pull: out of memory");
    if (p->pq.status(p->conn) != CONNECTION_OK)
        return pg_fail(p, e, "could not connect", p->pq.error_message(p->conn));
    /* one consistent view of the four tables, timestamps printed in UTC */
    rc = run_sql(p, "SET TimeZone = 'UTC'; SET DateStyle = 'ISO'; SET client_encoding = 'UTF8'",
                 "session settings", e);
    if (rc == CS_OK) rc = run_sql(p, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "BEGIN", e);
    struct copy_src src[CS_NI_COUNT];
    memset(src, 0, sizeof(src));
    if (rc == CS_OK) rc = build_queries(p, o, lt, w, src, e);
    if (rc == CS_OK) {
        struct cs_night_input in[CS_NI_COUNT];
        memset(in, 0, sizeof(in));
        for (int i = 0; i < CS_NI_COUNT; i++) {
            in[i].present = true;
            in[i].fn = copy_read;
            in[i].fn_ctx = &src[i];
            in[i].name = src[i].table;
            in[i].format = CS_FMT_TEXT;
        }
        rc = cs_nightly_run(store, lt, o->rejects_path, cs_engine_max_rejects(0), in, st, e);
        /* the streams were read whole, or the night failed; a COPY still open is dropped
         * with the connection */
    }
    for (int i = 0; i < CS_NI_COUNT; i++)
        copy_free(&src[i]);
    if (rc == CS_OK) rc = run_sql(p, "COMMIT", "COMMIT", e);
    return rc;
}

int colstore_pull(colstore_store *store,
                  const colstore_pull_options *opts,
                  colstore_nightly_stats *stats,
                  colstore_error *err)
{
    struct cs_error e = {0};
    struct pull p;
    memset(&p, 0, sizeof(p));
    colstore_nightly_stats st;
    memset(&st, 0, sizeof(st));
    st.size = sizeof(st);
    int rc;
    if (store == NULL || opts == NULL) {
        rc = cs_error_set(&e, CS_EINVAL, "pull: store and options are required");
        goto done;
    }
    if (opts->size < offsetof(colstore_pull_options, rejects_path) + sizeof(opts->rejects_path)) {
        rc = cs_error_set(&e, CS_EINVAL,
                          "pull: options size %zu is too small (use COLSTORE_PULL_OPTIONS_INIT)",
                          opts->size);
        goto done;
    }
    if (!(store->flags & COLSTORE_WRITABLE)) {
        rc = cs_error_set(&e, CS_EINVAL, "pull: the store was opened read-only");
        goto done;
    }
    if (opts->since != NULL && !valid_date(opts->since)) {
        /* a value a person supplied, like as_of: bad input, named as the library's parameter */
        rc = cs_error_set(&e, CS_EINPUT, "since: invalid date \"%s\" (YYYY-MM-DD)", opts->since);
        goto done;
    }
    rc = pq_load(&p.pq, &e);
    if (rc == CS_OK) rc = pull_run(store, opts, &p, &st, &e);
    if (p.conn != NULL) p.pq.finish(p.conn);
    memset(p.secret, 0, sizeof(p.secret));
    if (stats != NULL && stats->size >= sizeof(size_t)) {
        const size_t n = stats->size < sizeof(st) ? stats->size : sizeof(st);
        memcpy((char *)stats + sizeof(size_t), (const char *)&st + sizeof(size_t),
               n - sizeof(size_t));
    }
done:
    return cs_engine_return(err, rc, &e);
}
