/*
 * The export parser (etl/parse.h): reader → record → fields → row, with the header, the
 * end-of-data marker, error messages "file:line: column: reason" and the rejects file.
 *
 * State: open → (header read, when there is one) → next()* → done. The first fatal error
 * (bad row without a rejects file, read or write failure, no memory) is sticky: every later
 * next() returns it again.
 */
#include <stdlib.h>
#include <string.h>

#include "etl/dump.h"
#include "etl/parse_internal.h"

static int spill(void *ctx, const char *raw, size_t len, struct cs_error *err);

static int write_header_once(struct cs_parser *p, struct cs_error *err)
{
    if (p->header_raw == NULL || p->header_written) return CS_OK;
    p->header_written = true;
    int rc = cs_rejects_spill(p->rejects, p->header_raw, p->header_len, err);
    if (rc == CS_OK && p->header_raw[p->header_len - 1] != '\n')
        rc = cs_rejects_spill(p->rejects, "\n", 1, err);
    return rc;
}

static int spill(void *ctx, const char *raw, size_t len, struct cs_error *err)
{
    struct cs_parser *p = ctx;
    int rc = write_header_once(p, err);
    if (rc == CS_OK) rc = cs_rejects_spill(p->rejects, raw, len, err);
    if (len > 0) p->spill_last = raw[len - 1];
    return rc;
}

/* split_header() - fields of the header record in the export's format. */
static int split_header(struct cs_parser *p, const struct cs_record *rec, char *why)
{
    p->scratch = malloc(rec->len + 1);
    if (p->scratch == NULL) return -2;
    p->scratch_cap = rec->len + 1;
    int bad = 0;
    const int nf =
        p->format == CS_FMT_TEXT
            ? cs_text_split(rec->p, rec->len, p->fields, CS_MAX_COLS + 1, p->scratch, &bad)
            : cs_csv_split(rec->p, rec->len, p->fields, CS_MAX_COLS + 1, p->scratch, &bad);
    if (nf < 0) {
        (void)snprintf(why, CS_VP_WHY_SIZE, "%s",
                       p->format == CS_FMT_TEXT ? "end-of-copy marker corrupt"
                                                : "unterminated quoted field");
    }
    return nf;
}

static int read_header(struct cs_parser *p, struct cs_error *err)
{
    struct cs_record rec;
    const int got = cs_reader_next(&p->rd, p->format, 1, NULL, NULL, &rec, err);
    if (got < 0) return -got;
    if (got == 0) {
        p->done = true; /* an empty export: nothing to load */
        return CS_OK;
    }
    p->line += rec.nlines;
    char why[CS_VP_WHY_SIZE];
    int nf = -1;
    if (rec.too_long) {
        (void)snprintf(why, sizeof(why), "line longer than %u bytes", CS_MAX_LINE_BYTES);
    } else {
        nf = split_header(p, &rec, why);
        if (nf == -2) return cs_error_set(err, CS_ENOMEM, "%s: out of memory", p->filename);
    }
    if (nf < 0 || cs_map_header(p->t, p->fields, nf, &p->map, why) != CS_OK) {
        return cs_error_set(err, CS_EINPUT, "%s:1: header: %s", p->filename, why);
    }
    p->header_raw = malloc(rec.raw_len + 1);
    if (p->header_raw == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
    memcpy(p->header_raw, rec.p, rec.raw_len);
    p->header_len = rec.raw_len;
    return CS_OK;
}

static int parser_new(const struct cs_table_def *t,
                      const struct cs_parse_opts *opts,
                      struct cs_parser **out,
                      struct cs_error *err)
{
    *out = NULL;
    if (t == NULL || opts == NULL || (opts->format != CS_FMT_TEXT && opts->format != CS_FMT_CSV))
        return cs_error_set(err, CS_EINVAL, "cs_parser_open: bad table or options");
    struct cs_parser *p = calloc(1, sizeof(*p));
    if (p == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
    p->t = t;
    p->format = opts->format;
    p->header = opts->header;
    p->rejects = opts->rejects;
    p->now_us = opts->now_us;
    p->filename = strdup(opts->filename != NULL ? opts->filename : "<stdin>");
    p->line = 1;
    p->rd.fd = -1;
    if (p->filename == NULL) {
        free(p);
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    cs_map_ddl(t, &p->map);
    *out = p;
    return cs_row_defaults(p, err);
}

/* parser_start() - after the reader is set up: the header, or fail and free. */
static int parser_start(struct cs_parser *p, struct cs_parser **out, struct cs_error *err)
{
    const int rc = p->header ? read_header(p, err) : CS_OK;
    if (rc != CS_OK) {
        cs_parser_close(p);
        *out = NULL;
        return rc;
    }
    *out = p;
    return CS_OK;
}

int cs_parser_open_fd(const struct cs_table_def *t,
                      int fd,
                      const struct cs_parse_opts *opts,
                      struct cs_parser **out,
                      struct cs_error *err)
{
    struct cs_parser *p;
    int rc = parser_new(t, opts, &p, err);
    if (rc == CS_OK) rc = cs_reader_init_fd(&p->rd, fd, p->filename, err);
    if (rc != CS_OK) {
        cs_parser_close(p);
        *out = NULL;
        return rc;
    }
    return parser_start(p, out, err);
}

int cs_parser_open_mem(const struct cs_table_def *t,
                       const char *buf,
                       size_t len,
                       const struct cs_parse_opts *opts,
                       struct cs_parser **out,
                       struct cs_error *err)
{
    struct cs_parser *p;
    const int rc = parser_new(t, opts, &p, err);
    if (rc != CS_OK) {
        cs_parser_close(p);
        *out = NULL;
        return rc;
    }
    cs_reader_init_mem(&p->rd, buf, len, p->filename);
    return parser_start(p, out, err);
}

static int fail(struct cs_parser *p, int rc, struct cs_error *err)
{
    p->sticky = rc;
    if (err != NULL)
        p->sticky_err = *err;
    else
        cs_error_set(&p->sticky_err, rc, "%s", cs_status_name(rc));
    return rc;
}

/* bad_row() - a row that failed: into the rejects file, or the error. */
static int bad_row(struct cs_parser *p,
                   const struct cs_record *rec,
                   const char *column,
                   const char *why,
                   struct cs_error *err)
{
    char msg[CS_ERROR_MESSAGE_SIZE];
    (void)snprintf(msg, sizeof(msg), "%s:%llu: %s: %s", p->filename, (unsigned long long)rec->line,
                   column, why);
    if (p->rejects == NULL) return cs_error_set(err, CS_EINPUT, "%s", msg);
    int rc = write_header_once(p, err);
    /* a too-long record spilled to its very end still needs its newline */
    if (rc == CS_OK && rec->too_long && rec->raw_len == 0 && p->spill_last != '\n')
        rc = cs_rejects_spill(p->rejects, "\n", 1, err);
    if (rc == CS_OK) rc = cs_rejects_write(p->rejects, rec->p, rec->raw_len, msg, err);
    p->rejected++;
    return rc;
}

static bool ensure_line_no(struct cs_batch *b, size_t rows)
{
    if (rows <= b->line_cap) return true;
    size_t cap = b->line_cap < 1024 ? 1024 : 2 * b->line_cap;
    while (cap < rows)
        cap *= 2;
    uint64_t *q = realloc(b->line_no, cap * sizeof(*q));
    if (q == NULL) return false;
    b->line_no = q;
    b->line_cap = cap;
    return true;
}

static bool is_end_marker(const struct cs_record *rec)
{
    return !rec->too_long && rec->len == 2 && rec->p[0] == '\\' && rec->p[1] == '.';
}

int cs_parser_next(struct cs_parser *p, struct cs_batch *out, size_t max_rows, struct cs_error *err)
{
    if (p == NULL || out == NULL || out->table != p->t)
        return cs_error_set(err, CS_EINVAL, "cs_parser_next: batch of another table");
    cs_batch_reset(out);
    if (p->sticky != CS_OK) {
        if (err != NULL) *err = p->sticky_err;
        return p->sticky;
    }
    while (out->rows < max_rows && !p->done) {
        struct cs_record rec;
        int rc = cs_reader_next(&p->rd, p->format, p->line, p->rejects != NULL ? spill : NULL, p,
                                &rec, err);
        if (rc < 0) return fail(p, -rc, err);
        if (rc == 0 || is_end_marker(&rec)) {
            p->done = true;
            break;
        }
        p->line += rec.nlines;
        if (!ensure_line_no(out, out->rows + 1)) {
            return fail(p, cs_error_set(err, CS_ENOMEM, "%s: out of memory", p->filename), err);
        }
        const char *column = "row";
        char why[CS_VP_WHY_SIZE];
        if (rec.too_long) {
            (void)snprintf(why, sizeof(why), "line longer than %u bytes", CS_MAX_LINE_BYTES);
            rc = CS_EINPUT;
        } else {
            rc = cs_row_build(p, &rec, out, &column, why);
        }
        if (rc == CS_OK) {
            out->line_no[out->rows - 1] = rec.line;
            continue;
        }
        if (rc == CS_ENOMEM)
            cs_error_set(err, CS_ENOMEM, "%s: out of memory", p->filename);
        else
            rc = bad_row(p, &rec, column, why, err);
        if (rc != CS_OK) return fail(p, rc, err);
    }
    return CS_OK;
}

int cs_parser_reject(struct cs_parser *p,
                     const struct cs_batch *b,
                     size_t row,
                     const char *column,
                     const char *reason,
                     struct cs_error *err)
{
    if (p == NULL || b == NULL || row >= b->rows)
        return cs_error_set(err, CS_EINVAL, "cs_parser_reject: no such row");
    const unsigned long long line = b->line_no != NULL ? (unsigned long long)b->line_no[row] : 0;
    char msg[CS_ERROR_MESSAGE_SIZE];
    (void)snprintf(msg, sizeof(msg), "%s:%llu: %s: %s", p->filename, line, column, reason);
    if (p->rejects == NULL) return cs_error_set(err, CS_EINPUT, "%s", msg);
    int rc = write_header_once(p, err);
    if (rc == CS_OK) {
        rc = cs_dump_row_cols(p->rejects, b, row, p->map.col, p->map.nfields, p->format, err);
    }
    if (rc == CS_OK) rc = cs_rejects_write(p->rejects, "", 0, msg, err);
    p->rejected++;
    return rc;
}

uint64_t cs_parser_lines(const struct cs_parser *p)
{
    return p->line - 1;
}

uint64_t cs_parser_rejected(const struct cs_parser *p)
{
    return p->rejected;
}

uint64_t cs_parser_bytes(const struct cs_parser *p)
{
    return p->rd.consumed + p->rd.pos;
}

void cs_parser_close(struct cs_parser *p)
{
    if (p == NULL) return;
    cs_reader_free(&p->rd);
    free(p->scratch);
    free(p->arr);
    free(p->header_raw);
    free(p->filename);
    free(p);
}
