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
#include <sys/stat.h>
#include <unistd.h>

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

/* spill() - the bytes of a too-long record as the reader passes them: only its first
 * CS_MAX_LINE_BYTES go to the rejects file (report_bad() writes the rest of that share). */
static int spill(void *ctx, const char *raw, size_t len, struct cs_error *err)
{
    struct cs_parser *p = ctx;
    int rc = write_header_once(p, err);
    const size_t room = p->spilled < CS_MAX_LINE_BYTES ? CS_MAX_LINE_BYTES - p->spilled : 0;
    const size_t n = len < room ? len : room;
    if (rc == CS_OK && n > 0) rc = cs_rejects_spill(p->rejects, raw, n, err);
    if (n > 0) p->spill_last = raw[n - 1];
    p->spilled += len;
    if (rc == CS_OK && p->spilled > CS_MAX_RECORD_SKIP_BYTES)
        rc = cs_error_set(err, CS_EINPUT, "%s:%llu: row: a record longer than %u bytes: %s",
                          p->filename, (unsigned long long)p->line, CS_MAX_RECORD_SKIP_BYTES,
                          CS_NOT_AN_EXPORT);
    return rc;
}

void cs_format_hint(int format, const char *s, size_t n, char *why)
{
    size_t tabs = 0, commas = 0;
    for (size_t i = 0; i < n; i++) {
        tabs += s[i] == '\t';
        commas += s[i] == ',';
    }
    /* a COPY text record has a tab between fields, a CSV record a comma: the one with more
     * separators than the other is the format of the file */
    const char *hint = NULL;
    if (format == CS_FMT_CSV && tabs > 0 && tabs >= commas) hint = "COPY text, not CSV";
    if (format == CS_FMT_TEXT && tabs == 0 && commas > 0) hint = "CSV, not COPY text";
    if (hint == NULL) return;
    const size_t used = strlen(why);
    if (used < CS_VP_WHY_SIZE)
        (void)snprintf(why + used, CS_VP_WHY_SIZE - used, "; looks like %s", hint);
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
        if (!rec.too_long) cs_format_hint(p->format, rec.p, rec.len, why);
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
    p->max_rejects = opts->max_rejects;
    p->now_us = opts->now_us;
    p->threads = opts->threads;
    p->block_bytes = opts->block_bytes;
    p->filename = strdup(opts->filename != NULL ? opts->filename : "<stdin>");
    p->line = 1;
    p->rd.fd = -1;
    p->par_fd = -1;
    if (p->filename == NULL) {
        free(p);
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    cs_map_ddl(t, &p->map);
    *out = p;
    return cs_row_defaults(p, err);
}

/* par_workers() - workers for a parallel parse of len bytes, 0 for none. */
static int par_workers(const struct cs_parser *p, size_t len)
{
    if (p->threads != 0) return p->threads < 0 ? 0 : p->threads;
    if (len < CS_PARSE_PAR_MIN_BYTES) return 0;
    const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus > 0 && cpus < CS_PARSE_THREADS ? (int)cpus : CS_PARSE_THREADS;
}

/* parser_start() - after the reader is set up: the header, then the parallel parse of the
 * rest when the input is in memory and worth it; or fail and free. */
static int parser_start(struct cs_parser *p, struct cs_parser **out, struct cs_error *err)
{
    int rc = p->header ? read_header(p, err) : CS_OK;
    const size_t block = p->block_bytes > 0 ? p->block_bytes : CS_PARSE_BLOCK_BYTES;
    if (rc == CS_OK && !p->done && p->par_fd >= 0) {
        /* a regular file: the rest of it in parallel, from just after the header */
        rc = cs_par_start(p, NULL, 0, p->rd.consumed + p->rd.pos, p->par_fd, p->par_base,
                          p->par_workers, block, err);
    } else if (rc == CS_OK && !p->done && p->rd.fd < 0 && p->rd.fn == NULL) {
        const int workers = par_workers(p, p->rd.end);
        if (workers > 0)
            rc = cs_par_start(p, p->rd.data, p->rd.end, p->rd.pos, -1, 0, workers, block, err);
    }
    if (rc != CS_OK) {
        cs_parser_close(p);
        *out = NULL;
        return rc;
    }
    *out = p;
    return CS_OK;
}

/* par_input() - when fd is a regular file worth a parallel parse, remember it: after the
 * header (read through p->rd), the rest is read block by block with pread (parallel.c). A
 * file is never mapped: one truncated while it is read would kill the process (SIGBUS). */
static void par_input(struct cs_parser *p, int fd)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) return;
    const off_t at = lseek(fd, 0, SEEK_CUR);
    if (at < 0 || sb.st_size <= at) return;
    p->par_workers = par_workers(p, (size_t)(sb.st_size - at));
    if (p->par_workers == 0) return;
    p->par_fd = fd;
    p->par_base = at;
}

int cs_parser_open_fd(const struct cs_table_def *t,
                      int fd,
                      const struct cs_parse_opts *opts,
                      struct cs_parser **out,
                      struct cs_error *err)
{
    struct cs_parser *p;
    int rc = parser_new(t, opts, &p, err);
    if (rc == CS_OK) par_input(p, fd);
    if (rc == CS_OK) rc = cs_reader_init_fd(&p->rd, fd, p->filename, err);
    if (rc != CS_OK) {
        cs_parser_close(p);
        *out = NULL;
        return rc;
    }
    return parser_start(p, out, err);
}

int cs_parser_open_fn(const struct cs_table_def *t,
                      cs_read_fn fn,
                      void *ctx,
                      const struct cs_parse_opts *opts,
                      struct cs_parser **out,
                      struct cs_error *err)
{
    struct cs_parser *p;
    int rc = parser_new(t, opts, &p, err);
    if (rc == CS_OK) rc = cs_reader_init_fn(&p->rd, fn, ctx, p->filename, err);
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

/* report_bad() - a row that failed: into the rejects file, or the error. `spilled`: its
 * bytes went to the rejects file already, to its very end, so it still needs its newline. */
/* count_reject() - one more rejected record; CS_EINPUT once there are more than max_rejects. */
static int count_reject(struct cs_parser *p, int rc, struct cs_error *err)
{
    p->rejected++;
    if (rc == CS_OK && p->max_rejects > 0 && p->rejected > p->max_rejects)
        rc = cs_error_set(err, CS_EINPUT,
                          "%s: more than %llu rows rejected (the limit, --max-rejects): the "
                          "export looks broken",
                          p->filename, (unsigned long long)p->max_rejects);
    return rc;
}

/* report_bad() - a row that failed: into the rejects file, or the error. Of a record, at most
 * its first CS_MAX_LINE_BYTES bytes go to the file (those spilled already included), ended by
 * a newline, then its "-- " line: an endless record cannot fill the disk. */
static int report_bad(struct cs_parser *p,
                      uint64_t line,
                      const char *raw,
                      size_t raw_len,
                      const char *column,
                      const char *why,
                      struct cs_error *err)
{
    char msg[CS_ERROR_MESSAGE_SIZE];
    (void)snprintf(msg, sizeof(msg), "%s:%llu: %s: %s", p->filename, (unsigned long long)line,
                   column, why);
    if (p->rejects == NULL) return cs_error_set(err, CS_EINPUT, "%s", msg);
    const size_t spilled = p->spilled;
    p->spilled = 0;
    int rc = write_header_once(p, err);
    const size_t room = spilled < CS_MAX_LINE_BYTES ? CS_MAX_LINE_BYTES - spilled : 0;
    const size_t n = raw_len < room ? raw_len : room;
    const char last = n > 0 ? raw[n - 1] : p->spill_last;
    if (rc == CS_OK && n > 0) rc = cs_rejects_spill(p->rejects, raw, n, err);
    if (rc == CS_OK && (n > 0 || spilled > 0) && last != '\n')
        rc = cs_rejects_spill(p->rejects, "\n", 1, err);
    if (rc == CS_OK) rc = cs_rejects_write(p->rejects, "", 0, msg, err);
    p->parse_rejected++;
    return count_reject(p, rc, err);
}

int cs_parser_bad(struct cs_parser *p,
                  uint64_t line,
                  const char *raw,
                  size_t raw_len,
                  const char *column,
                  const char *why,
                  struct cs_error *err)
{
    return report_bad(p, line, raw, raw_len, column, why, err);
}

static int bad_row(struct cs_parser *p,
                   const struct cs_record *rec,
                   const char *column,
                   const char *why,
                   struct cs_error *err)
{
    return report_bad(p, rec->line, rec->p, rec->raw_len, column, why, err);
}

bool cs_parser_ensure_line_no(struct cs_batch *b, size_t rows)
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

bool cs_record_is_end_marker(const struct cs_record *rec)
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
    if (p->par != NULL) {
        const int rc = cs_par_next(p, out, max_rows, err);
        return rc == CS_OK ? CS_OK : fail(p, rc, err);
    }
    size_t room = 0;
    while (out->rows < max_rows && !p->done) {
        struct cs_record rec;
        int rc = cs_reader_next(&p->rd, p->format, p->line, p->rejects != NULL ? spill : NULL, p,
                                &rec, err);
        if (rc < 0) return fail(p, -rc, err);
        if (rc == 0 || cs_record_is_end_marker(&rec)) {
            p->done = true;
            break;
        }
        p->line += rec.nlines;
        if (!cs_parser_ensure_line_no(out, out->rows + 1)) {
            return fail(p, cs_error_set(err, CS_ENOMEM, "%s: out of memory", p->filename), err);
        }
        const char *column = "row";
        char why[CS_VP_WHY_SIZE];
        if (rec.too_long) {
            (void)snprintf(why, sizeof(why), "line longer than %u bytes", CS_MAX_LINE_BYTES);
            rc = CS_EINPUT;
        } else {
            rc = cs_row_build(p, &rec, out, &room, &column, why);
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
    return count_reject(p, rc, err);
}

const char *cs_parser_filename(const struct cs_parser *p)
{
    return p->filename;
}

uint64_t cs_parser_lines(const struct cs_parser *p)
{
    return p->line - 1;
}

uint64_t cs_parser_rejected(const struct cs_parser *p)
{
    return p->rejected;
}

uint64_t cs_parser_bad_records(const struct cs_parser *p)
{
    return p->parse_rejected;
}

uint64_t cs_parser_bytes(const struct cs_parser *p)
{
    return p->par != NULL ? p->par_bytes : p->rd.consumed + p->rd.pos;
}

void cs_parser_close(struct cs_parser *p)
{
    if (p == NULL) return;
    cs_par_free(p->par); /* joins the workers: nothing reads the input after this */
    cs_reader_free(&p->rd);
    free(p->scratch);
    free(p->arr);
    free(p->header_raw);
    free(p->filename);
    free(p);
}
