/*
 * Input buffering and record boundaries (see parse_internal.h).
 *
 * fd input is read in large read()s into one buffer of CS_READ_BUF_BYTES; when a record runs
 * past the end, the unread tail moves to the front and the next read() appends (records are
 * at most CS_MAX_LINE_BYTES, so this never grows the buffer). Memory input is used in place.
 *
 * A record ends at a newline that is
 *   - text: not escaped, i.e. preceded by an even number of backslashes (PostgreSQL reads
 *     "\<newline>" as a newline inside the value);
 *   - CSV: outside quotes. With quote == escape == '"', every quote toggles the state, so the
 *     parity of the quotes seen since the record started decides.
 * memchr finds the newlines; the quote count runs only between them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "etl/parse_internal.h"

int cs_reader_init_fd(struct cs_reader *r, int fd, const char *filename, struct cs_error *err)
{
    memset(r, 0, sizeof(*r));
    r->fd = fd;
    r->filename = filename;
    r->buf = malloc(CS_READ_BUF_BYTES);
    if (r->buf == NULL) return cs_error_set(err, CS_ENOMEM, "%s: out of memory", filename);
    r->data = r->buf;
    r->cap = CS_READ_BUF_BYTES;
    return CS_OK;
}

int cs_reader_init_fn(
    struct cs_reader *r, cs_read_fn fn, void *ctx, const char *filename, struct cs_error *err)
{
    int rc = cs_reader_init_fd(r, -1, filename, err);
    r->fn = fn;
    r->fn_ctx = ctx;
    return rc;
}

void cs_reader_init_mem(struct cs_reader *r, const char *buf, size_t len, const char *filename)
{
    memset(r, 0, sizeof(*r));
    r->fd = -1;
    r->data = buf;
    r->end = len;
    r->eof = true;
    r->filename = filename;
}

void cs_reader_free(struct cs_reader *r)
{
    free(r->buf);
    r->buf = NULL;
}

/* fill() - move the unread bytes to the front and read() more after them. */
static int fill(struct cs_reader *r, struct cs_error *err)
{
    if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->end - r->pos);
        r->consumed += r->pos;
        r->end -= r->pos;
        r->pos = 0;
    }
    if (r->fn != NULL) {
        const long k = r->fn(r->fn_ctx, r->buf + r->end, r->cap - r->end, err);
        if (k < 0) return err != NULL && err->code != CS_OK ? err->code : CS_EIO;
        if (k == 0) r->eof = true;
        r->end += (size_t)k;
        return CS_OK;
    }
    for (;;) {
        const ssize_t k = read(r->fd, r->buf + r->end, r->cap - r->end);
        if (k > 0) {
            r->end += (size_t)k;
            return CS_OK;
        }
        if (k == 0) {
            r->eof = true;
            return CS_OK;
        }
        if (errno != EINTR) {
            return cs_error_set(err, CS_EIO, "could not read \"%s\": %s", r->filename,
                                strerror(errno));
        }
    }
}

static size_t count_quotes(const char *p, size_t n)
{
    size_t c = 0;
    const char *e = p + n;
    while ((p = memchr(p, '"', (size_t)(e - p))) != NULL) {
        c++;
        p++;
    }
    return c;
}

/* backslashes_before() - the run of backslashes ending just before base[at]. */
static size_t backslashes_before(const char *base, size_t at)
{
    size_t k = 0;
    while (k < at && base[at - 1 - k] == '\\')
        k++;
    return k;
}

/* finish() - set the record's content length, dropping a "\r" of a "\r\n" terminator when
 * it is not escaped (text) / not quoted (CSV: the record ended outside quotes). */
static void
finish(struct cs_reader *r, int format, size_t content, size_t raw, struct cs_record *rec)
{
    const char *base = r->data + r->pos;
    if (content < raw && content > 0 && base[content - 1] == '\r') {
        if (format == CS_FMT_CSV || backslashes_before(base, content - 1) % 2 == 0) content--;
    }
    rec->p = base;
    rec->len = content;
    rec->raw_len = raw;
    if (content > CS_MAX_LINE_BYTES) rec->too_long = true;
    r->pos += raw;
}

int cs_reader_next(struct cs_reader *r,
                   int format,
                   uint64_t line,
                   cs_spill_fn spill,
                   void *spill_ctx,
                   struct cs_record *rec,
                   struct cs_error *err)
{
    size_t off = 0; /* bytes of the record scanned so far, from data[pos] */
    bool in_quotes = false;
    memset(rec, 0, sizeof(*rec));
    rec->line = line;
    for (;;) {
        const char *base = r->data + r->pos;
        const size_t avail = r->end - r->pos;
        const char *nl = memchr(base + off, '\n', avail - off);
        if (nl != NULL) {
            const size_t at = (size_t)(nl - base);
            bool continues;
            if (format == CS_FMT_CSV) {
                in_quotes ^= count_quotes(base + off, at - off) & 1;
                continues = in_quotes;
            } else {
                continues = at > 0 && base[at - 1] == '\\' && backslashes_before(base, at) % 2;
            }
            off = at + 1;
            rec->nlines++;
            if (continues) continue;
            finish(r, format, at, off, rec);
            return 1;
        }
        if (format == CS_FMT_CSV) in_quotes ^= count_quotes(base + off, avail - off) & 1;
        off = avail;
        if (avail > CS_MAX_LINE_BYTES) {
            rec->too_long = true;
            if (spill == NULL) {
                rec->p = base;
                rec->len = rec->raw_len = avail;
                return 1;
            }
            const int rc = spill(spill_ctx, base, avail, err);
            if (rc != CS_OK) return -rc;
            r->pos += avail;
            off = 0;
        }
        if (r->eof) {
            if (r->end == r->pos && !rec->too_long) return 0;
            rec->nlines++;
            const bool keep = rec->too_long;
            finish(r, format, r->end - r->pos, r->end - r->pos, rec);
            rec->too_long |= keep;
            return 1;
        }
        const int rc = fill(r, err);
        if (rc != CS_OK) return -rc;
    }
}
