/*
 * Parallel parsing of a regular file (read with pread, block by block) or of the caller's
 * buffer (see cs_par_start in parse_internal.h).
 *
 * The input is cut into blocks of about block_bytes at record boundaries, so that each block
 * parses on its own:
 *   - COPY text: a newline ends a record unless an odd run of backslashes precedes it (the
 *     reader's rule; PostgreSQL itself writes a newline in data as "\n");
 *   - CSV: a newline ends a record when the quotes before it, counted from the start of the
 *     data, are even: a record ends only outside quotes and every quote toggles (doubled
 *     quotes toggle twice), so every record boundary has even parity.
 * Cutting is sequential (a block starts where the previous one ends) and cheap: text needs a
 * memchr, CSV the parity of the block's quotes (16 bytes a step).
 *
 * A block's life, block seq s living in slot s % nslots:
 *
 *   FREE --cut_locked() (under the lock: a worker, or the consumer when no worker got there
 *        first)--> PARSING --parse_block() (no lock)--> READY --handed out by cs_par_next(),
 *        then finish_block()--> FREE
 *
 * A block is cut only when its slot is free (s < cur_seq + nslots): at most nslots blocks
 * are in flight whatever the input's size. A file is read, never mapped: each slot holds its
 * block's bytes (block_bytes and the rest of the last record), so memory stays bounded and a
 * file truncated while it is read simply ends early (a mapping would raise SIGBUS).
 *
 * Bounds (issue 10): a boundary is looked for at most CS_MAX_LINE_BYTES + 2 bytes past the
 * cut point; when there is none, the record across the cut is over the line limit whatever
 * comes after, so the block ends there with that record cut short (reported as too long),
 * and — only with a rejects file, where parsing goes on — the cutter skips to the record's
 * real end reading a small window at a time. A block keeps at most PAR_BLOCK_REJECTS bad
 * records: a worker that meets more stops there (`partial`) and the consumer parses the rest
 * of the block itself once it has handed out what came before, so a file of millions of bad
 * lines costs the memory of a few thousand.
 *
 * A worker parses a block as parser.c parses a stream, into the block's own batch, but
 * reports nothing: it keeps each bad record (how many good rows precede it, its line, raw
 * bytes, column and reason). The consumer replays the block: good rows are copied into the
 * caller's batch and bad records reported (rejects file, or the error) exactly when the
 * sequential parser would have met them, so that rows, errors (the first in file order
 * wins), the rejects file, line numbers, byte progress and the max_rows chunking are those
 * of the sequential parse. Line numbers are relative to the block's first line until the
 * consumer, which knows it by then, adds it. Without a rejects file a block stops at its
 * first bad record and no block after it is cut: nothing after it is ever handed out.
 */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__SSE2__)
#    include <emmintrin.h>
#endif

#include "etl/parse_internal.h"

enum { BLK_FREE = 0, BLK_PARSING = 1, BLK_READY = 2 };

/* Bad records a block keeps before a worker stops it (the consumer parses the rest). */
#define PAR_BLOCK_REJECTS 4096
/* Bytes read at a time while looking for the end of a record past the block. */
#define PAR_SCAN_BYTES (256u << 10)

struct par_reject {
    size_t pos;    /* good rows of the block before this record */
    uint64_t line; /* physical line, relative to the block's first line */
    size_t off;    /* the record verbatim: data[off .. off + raw_len) */
    size_t raw_len;
    const char *column; /* a column name (static schema text) or "row" */
    size_t why_off;     /* the reason: msgs + why_off, NUL-terminated */
};

struct par_block {
    int state;
    size_t start, end; /* input bytes [start, end): whole records (the last may be cut short) */
    const char *bytes; /* those bytes: in the caller's buffer, or buf */
    char *buf;         /* file input: the block read here */
    size_t buf_cap;
    uint64_t skipped_lines; /* physical lines of the cut-short last record past end */
    size_t next;            /* where the next block starts (past end when cut short) */
    int io_errno;           /* file input: reading failed at end (nothing after it) */
    bool endless;           /* the cut-short last record runs past CS_MAX_RECORD_SKIP_BYTES */
    bool partial;           /* parsing stopped at data_end after PAR_BLOCK_REJECTS */
    size_t data_end;        /* end, or just after an end-of-data marker */
    bool end_marker;        /* the data ends in this block, at marker_off */
    size_t marker_off;
    bool oom; /* parsing ran out of memory after oom_pos good rows */
    size_t oom_pos;
    uint64_t nlines;      /* physical lines of the records before data_end */
    struct cs_batch rows; /* the good rows; line_no relative to the block's first line */
    size_t *row_off;      /* where each good row's record starts in data */
    size_t row_off_cap;
    struct par_reject *rej;
    size_t nrej, rej_cap;
    char *msgs;
    size_t msgs_len, msgs_cap;
};

struct par_worker {
    struct cs_par *par;
    struct cs_parser *ctx; /* scratch buffers and fields of this thread */
};

struct cs_par {
    const char *data; /* the caller's buffer, or NULL for file input */
    size_t len;       /* input bytes; file input: SIZE_MAX until the end is met */
    int fd;           /* file input: read with pread at fd_base + offset; else -1 */
    off_t fd_base;
    char *skip; /* file input: the window skipping over a too-long record */
    int format;
    bool stop_at_first_bad; /* no rejects file: the first bad record ends the parse */
    size_t block_bytes;
    pthread_mutex_t mu;
    pthread_cond_t ready; /* a block became READY, or cutting ended */
    pthread_cond_t space; /* a slot became FREE, cutting ended, or stop */
    /* under mu */
    size_t cut_pos;    /* where the next block starts */
    bool cut_done;     /* no block after next_seq - 1 */
    uint64_t next_seq; /* the next block to cut */
    uint64_t cur_seq;  /* the block the consumer is on (written by it, under mu) */
    bool stop;
    int nslots;
    struct par_block *slots;
    int nthreads, started;
    pthread_t th[CS_PARSE_MAX_THREADS];
    struct par_worker workers[CS_PARSE_MAX_THREADS];
    struct cs_parser *ctx; /* nthreads + 1 parsing contexts, the last the consumer's */
    /* the consumer's alone */
    bool have_cur;
    size_t row, rej;   /* next good row and next bad record of the current block */
    uint64_t line0;    /* first physical line of the current block */
    size_t done_bytes; /* end of the last block handed out */
};

/* quote_parity() - parity of the '"' bytes in p[0..n). */
static unsigned quote_parity(const char *p, size_t n)
{
    /* exports of facts have no quotes at all: memchr skips such blocks fastest */
    const char *first = memchr(p, '"', n);
    if (first == NULL) return 0;
    n -= (size_t)(first - p);
    p = first;
    unsigned parity = 0;
    size_t i = 0;
#if defined(__SSE2__)
    const __m128i q = _mm_set1_epi8('"');
    __m128i acc = _mm_setzero_si128();
    for (; i + 16 <= n; i += 16) {
        const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        acc = _mm_xor_si128(acc, _mm_cmpeq_epi8(v, q)); /* per byte lane: parity so far */
    }
    parity = (unsigned)__builtin_popcount((unsigned)_mm_movemask_epi8(acc)) & 1u;
#endif
    for (; i < n; i++)
        parity ^= p[i] == '"';
    return parity;
}

/* Record-boundary scanning carried across chunks of input. */
struct scan {
    int format;
    unsigned parity; /* CSV: quotes seen since the last boundary */
    size_t bs;       /* text: backslashes just before the next byte */
};

/* scan_init() - the state after p[0..n), which starts at a record boundary. */
static void scan_init(struct scan *s, int format, const char *p, size_t n)
{
    s->format = format;
    s->parity = format == CS_FMT_CSV ? quote_parity(p, n) : 0;
    s->bs = 0;
    while (format != CS_FMT_CSV && s->bs < n && p[n - 1 - s->bs] == '\\')
        s->bs++;
}

/* scan_chunk() - the index just after the first record boundary in p[0..n), or SIZE_MAX;
 * s is the state before p and becomes the state after what was scanned; *nl (may be NULL)
 * counts the newlines passed, the boundary's included. */
static size_t scan_chunk(struct scan *s, const char *p, size_t n, uint64_t *nl)
{
    size_t pos = 0;
    for (;;) {
        const char *q = memchr(p + pos, '\n', n - pos);
        const size_t at = q != NULL ? (size_t)(q - p) : n;
        if (s->format == CS_FMT_CSV) {
            s->parity ^= quote_parity(p + pos, at - pos);
        } else {
            size_t k = 0;
            while (k < at - pos && p[at - 1 - k] == '\\')
                k++;
            s->bs = k == at - pos ? s->bs + k : k;
        }
        if (q == NULL) return SIZE_MAX;
        if (nl != NULL) (*nl)++;
        const bool ends = s->format == CS_FMT_CSV ? s->parity == 0 : s->bs % 2 == 0;
        s->bs = 0;
        if (ends) return at + 1;
        pos = at + 1;
    }
}

/* The farthest a boundary is looked for past the cut point: any record across it that runs
 * further is over the line limit. */
#define PAR_LOOK (CS_MAX_LINE_BYTES + 2u)

/* cut_mem() - the block of the caller's buffer starting at par->cut_pos: blk's extent, and
 * par->cut_pos moved to where the next block starts. */
static void cut_mem(struct cs_par *par, struct par_block *blk)
{
    const size_t start = par->cut_pos, len = par->len;
    blk->bytes = par->data + start;
    size_t end = len, next = len;
    if (len - start > par->block_bytes) {
        const size_t pos = start + par->block_bytes;
        const size_t limit = len - pos > PAR_LOOK ? pos + PAR_LOOK : len;
        struct scan sc;
        scan_init(&sc, par->format, par->data + start, pos - start);
        const size_t r = scan_chunk(&sc, par->data + pos, limit - pos, NULL);
        if (r != SIZE_MAX) {
            end = next = pos + r;
        } else if (limit < len) { /* the record across pos is too long */
            end = limit;
            if (!par->stop_at_first_bad) {
                uint64_t nl = 0;
                const size_t room = len - limit > CS_MAX_RECORD_SKIP_BYTES
                                        ? (size_t)CS_MAX_RECORD_SKIP_BYTES + 1
                                        : len - limit;
                const size_t k = scan_chunk(&sc, par->data + limit, room, &nl);
                next = k == SIZE_MAX ? limit + room : limit + k;
                blk->skipped_lines = nl + (k == SIZE_MAX ? 1 : 0);
                blk->endless = k == SIZE_MAX && room < len - limit;
            }
        }
    }
    blk->end = end;
    par->cut_pos = next;
}

/* read_upto() - blk->buf holds the input from blk->start up to `want` (or the end of the
 * file, or a read error: par->len / blk->io_errno set); *have is the bytes held. */
static void read_upto(struct cs_par *par, struct par_block *blk, size_t want, size_t *have)
{
    const size_t need = want - blk->start;
    if (need > blk->buf_cap) {
        char *b = realloc(blk->buf, need);
        if (b == NULL) { /* as an I/O error: the parse ends here with a message */
            blk->io_errno = ENOMEM;
            par->len = blk->start + *have;
            return;
        }
        blk->buf = b;
        blk->buf_cap = need;
    }
    while (*have < need) {
        const ssize_t k = pread(par->fd, blk->buf + *have, need - *have,
                                par->fd_base + (off_t)(blk->start + *have));
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            if (k < 0) blk->io_errno = errno;
            par->len = blk->start + *have; /* the input ends here */
            return;
        }
        *have += (size_t)k;
    }
}

/* skip_record() - file input: from `at`, inside a too-long record, to the record's end
 * (returned), reading a window at a time; *lines counts its physical lines. */
static size_t
skip_record(struct cs_par *par, struct par_block *blk, struct scan *sc, size_t at, uint64_t *lines)
{
    if (par->skip == NULL && (par->skip = malloc(PAR_SCAN_BYTES)) == NULL) return at;
    uint64_t nl = 0;
    for (const size_t from = at;;) {
        if (at - from > CS_MAX_RECORD_SKIP_BYTES) { /* not an export: the parse ends here */
            blk->endless = true;
            *lines = nl + 1;
            return at;
        }
        const ssize_t k = pread(par->fd, par->skip, PAR_SCAN_BYTES, par->fd_base + (off_t)at);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) { /* the end (or an error, met again by the next block's read) */
            *lines = nl + 1;
            return at;
        }
        const size_t r = scan_chunk(sc, par->skip, (size_t)k, &nl);
        if (r != SIZE_MAX) {
            *lines = nl;
            return at + r;
        }
        at += (size_t)k;
    }
}

/* cut_fd() - cut_mem() of file input: the block's bytes are read into blk->buf. */
static void cut_fd(struct cs_par *par, struct par_block *blk)
{
    const size_t start = par->cut_pos;
    size_t have = 0;
    read_upto(par, blk, start + par->block_bytes, &have);
    blk->bytes = blk->buf;
    size_t end = start + have, next = end;
    if (have == par->block_bytes && start + have < par->len && blk->io_errno == 0) {
        const size_t pos = start + par->block_bytes, limit = pos + PAR_LOOK;
        struct scan sc;
        scan_init(&sc, par->format, blk->buf, par->block_bytes);
        size_t scanned = pos, r = SIZE_MAX;
        while (r == SIZE_MAX && scanned < limit && blk->io_errno == 0) {
            const size_t want = limit - scanned > PAR_SCAN_BYTES ? scanned + PAR_SCAN_BYTES : limit;
            read_upto(par, blk, want, &have);
            const size_t got = start + have;
            if (got <= scanned) break; /* the end of the input */
            r = scan_chunk(&sc, blk->buf + (scanned - start), got - scanned, NULL);
            if (r != SIZE_MAX) r += scanned;
            scanned = got;
        }
        blk->bytes = blk->buf;
        if (r != SIZE_MAX) {
            end = next = r;
        } else if (scanned >= limit) { /* the record across pos is too long */
            end = next = limit;
            if (par->stop_at_first_bad)
                par->len = next; /* the parse stops at that record: nothing after it */
            else
                next = skip_record(par, blk, &sc, limit, &blk->skipped_lines);
        } else {
            end = next = start + have;
        }
    }
    blk->end = end;
    par->cut_pos = next;
    if (blk->io_errno != 0 || next >= par->len) par->len = next;
}

/* cut_locked() - cut block next_seq into its (free) slot blk. Under mu. */
static void cut_locked(struct cs_par *par, struct par_block *blk)
{
    blk->state = BLK_PARSING;
    blk->start = par->cut_pos;
    blk->skipped_lines = 0;
    blk->io_errno = 0;
    blk->endless = false;
    blk->partial = false;
    if (par->fd >= 0) {
        cut_fd(par, blk);
    } else {
        cut_mem(par, blk);
    }
    blk->next = par->cut_pos;
    par->next_seq++;
    if (par->cut_pos >= par->len || blk->io_errno != 0 || blk->endless) {
        par->cut_done = true;
        pthread_cond_broadcast(&par->space);
        pthread_cond_broadcast(&par->ready);
    }
}

static bool add_reject(struct par_block *blk,
                       uint64_t line,
                       size_t off,
                       size_t raw_len,
                       const char *column,
                       const char *why)
{
    if (blk->nrej == blk->rej_cap) {
        const size_t cap = blk->rej_cap < 16 ? 16 : 2 * blk->rej_cap;
        struct par_reject *r = realloc(blk->rej, cap * sizeof(*r));
        if (r == NULL) return false;
        blk->rej = r;
        blk->rej_cap = cap;
    }
    const size_t n = strlen(why) + 1;
    if (blk->msgs_len + n > blk->msgs_cap) {
        size_t cap = blk->msgs_cap < 4096 ? 4096 : 2 * blk->msgs_cap;
        while (cap < blk->msgs_len + n)
            cap *= 2;
        char *m = realloc(blk->msgs, cap);
        if (m == NULL) return false;
        blk->msgs = m;
        blk->msgs_cap = cap;
    }
    memcpy(blk->msgs + blk->msgs_len, why, n);
    blk->rej[blk->nrej++] = (struct par_reject){
        .pos = blk->rows.rows,
        .line = line,
        .off = off,
        .raw_len = raw_len,
        .column = column,
        .why_off = blk->msgs_len,
    };
    blk->msgs_len += n;
    return true;
}

static bool ensure_row_off(struct par_block *blk, size_t rows)
{
    if (rows <= blk->row_off_cap) return true;
    size_t cap = blk->row_off_cap < 1024 ? 1024 : 2 * blk->row_off_cap;
    while (cap < rows)
        cap *= 2;
    size_t *q = realloc(blk->row_off, cap * sizeof(*q));
    if (q == NULL) return false;
    blk->row_off = q;
    blk->row_off_cap = cap;
    return true;
}

/* parse_block() - the records of blk into blk->rows and blk->rej, with parsing context ctx
 * (the parser's settings, this thread's buffers). */
static void parse_block(const struct cs_par *par, struct cs_parser *ctx, struct par_block *blk)
{
    cs_batch_reset(&blk->rows);
    blk->nrej = blk->msgs_len = 0;
    blk->end_marker = blk->oom = false;
    struct cs_reader rd;
    cs_reader_init_mem(&rd, blk->bytes, blk->end - blk->start, ctx->filename);
    uint64_t line = 0;
    size_t room = 0;
    for (;;) {
        struct cs_record rec;
        const size_t at = rd.pos;
        if (cs_reader_next(&rd, par->format, line, NULL, NULL, &rec, NULL) <= 0) break;
        if (rd.pos == at && !par->stop_at_first_bad) {
            /* a last record over the limit comes back unconsumed without a spill function;
             * with a rejects file the sequential parser spills it and counts its last line */
            rd.pos = rd.end;
            rec.nlines++;
        }
        if (cs_record_is_end_marker(&rec)) {
            blk->end_marker = true;
            blk->marker_off = blk->start + at;
            break;
        }
        const uint64_t rel = line;
        const size_t off = blk->start + at;
        line += rec.nlines;
        const char *column = "row";
        char why[CS_VP_WHY_SIZE];
        int rc = CS_ENOMEM;
        const size_t n = blk->rows.rows + 1;
        if (!ensure_row_off(blk, n) || !cs_parser_ensure_line_no(&blk->rows, n)) {
            rc = CS_ENOMEM;
        } else if (rec.too_long) {
            (void)snprintf(why, sizeof(why), "line longer than %u bytes", CS_MAX_LINE_BYTES);
            rc = CS_EINPUT;
        } else {
            rc = cs_row_build(ctx, &rec, &blk->rows, &room, &column, why);
        }
        if (rc == CS_OK) {
            blk->rows.line_no[blk->rows.rows - 1] = rel;
            blk->row_off[blk->rows.rows - 1] = off;
            continue;
        }
        if (rc != CS_EINPUT || !add_reject(blk, rel, off, rec.raw_len, column, why)) {
            blk->oom = true;
            blk->oom_pos = blk->rows.rows;
            break;
        }
        if (par->stop_at_first_bad) break;
        if (blk->nrej >= PAR_BLOCK_REJECTS && rd.pos < rd.end) {
            blk->partial = true; /* the consumer parses the rest */
            break;
        }
    }
    /* a last record cut short: the lines of its part not read (its first one is counted) */
    blk->nlines = line;
    blk->data_end = blk->start + rd.pos;
    if (!blk->partial && rd.pos == rd.end && blk->skipped_lines > 0) {
        blk->nlines += blk->skipped_lines - 1;
        blk->data_end = blk->next;
    }
}

/* block_ends_parse() - whether nothing after blk will be handed out. */
static bool block_ends_parse(const struct cs_par *par, const struct par_block *blk)
{
    return blk->end_marker || blk->oom || blk->io_errno != 0 || blk->endless ||
           (par->stop_at_first_bad && blk->nrej > 0);
}

static void *worker_main(void *arg)
{
    struct par_worker *w = arg;
    struct cs_par *par = w->par;
    pthread_mutex_lock(&par->mu);
    for (;;) {
        while (!par->stop && !par->cut_done &&
               par->next_seq >= par->cur_seq + (uint64_t)par->nslots)
            pthread_cond_wait(&par->space, &par->mu);
        if (par->stop || par->cut_done) break;
        struct par_block *blk = &par->slots[par->next_seq % (uint64_t)par->nslots];
        cut_locked(par, blk);
        pthread_mutex_unlock(&par->mu);
        parse_block(par, w->ctx, blk);
        pthread_mutex_lock(&par->mu);
        blk->state = BLK_READY;
        if (block_ends_parse(par, blk) && !par->cut_done) {
            par->cut_done = true; /* later blocks would be thrown away */
            pthread_cond_broadcast(&par->space);
        }
        pthread_cond_broadcast(&par->ready);
    }
    pthread_mutex_unlock(&par->mu);
    return NULL;
}

/* current() - the block the consumer is on, waiting for it (or parsing it here when no
 * worker has cut it yet); NULL when the data has no more blocks. */
static struct par_block *current(struct cs_par *par)
{
    assert(par->slots != NULL && par->nslots > 0); /* cs_par_start() */
    struct par_block *blk = &par->slots[par->cur_seq % (uint64_t)par->nslots];
    if (par->have_cur) return blk;
    pthread_mutex_lock(&par->mu);
    for (;;) {
        if (par->cur_seq < par->next_seq) {
            if (blk->state == BLK_READY) break;
            pthread_cond_wait(&par->ready, &par->mu);
            continue;
        }
        if (par->cut_done) {
            pthread_mutex_unlock(&par->mu);
            return NULL;
        }
        cut_locked(par, blk);
        pthread_mutex_unlock(&par->mu);
        parse_block(par, &par->ctx[par->nthreads], blk);
        pthread_mutex_lock(&par->mu);
        blk->state = BLK_READY;
        if (block_ends_parse(par, blk) && !par->cut_done) {
            par->cut_done = true;
            pthread_cond_broadcast(&par->space);
        }
        break;
    }
    pthread_mutex_unlock(&par->mu);
    par->have_cur = true;
    par->row = par->rej = 0;
    return blk;
}

/* finish_block() - the consumer is done with blk: free its slot for the next cut. */
static void finish_block(struct cs_par *par, struct par_block *blk)
{
    par->line0 += blk->nlines;
    par->done_bytes = blk->data_end;
    pthread_mutex_lock(&par->mu);
    blk->state = BLK_FREE;
    par->cur_seq++;
    pthread_cond_broadcast(&par->space);
    pthread_mutex_unlock(&par->mu);
    par->have_cur = false;
}

/* hand_out() - rows [from, from + n) of blk to out, with absolute line numbers. */
static bool hand_out(const struct cs_par *par,
                     struct cs_batch *out,
                     const struct par_block *blk,
                     size_t from,
                     size_t n)
{
    const size_t at = out->rows;
    if (!cs_batch_append_range(out, &blk->rows, from, n)) return false;
    for (size_t k = at; k < at + n; k++)
        out->line_no[k] += par->line0;
    return true;
}

/* note_position() - p->line and p->par_bytes: where the next record to hand out starts. */
static void note_position(struct cs_parser *p, const struct cs_par *par)
{
    if (!par->have_cur) {
        p->line = par->line0;
        p->par_bytes = par->done_bytes;
        return;
    }
    const struct par_block *blk = &par->slots[par->cur_seq % (uint64_t)par->nslots];
    if (par->rej < blk->nrej && blk->rej[par->rej].pos == par->row) {
        p->line = par->line0 + blk->rej[par->rej].line;
        p->par_bytes = blk->rej[par->rej].off;
    } else if (par->row < blk->rows.rows) {
        p->line = par->line0 + blk->rows.line_no[par->row];
        p->par_bytes = blk->row_off[par->row];
    } else {
        /* the sequential parser reads the end marker only when it looks for another row */
        p->line = par->line0 + blk->nlines;
        p->par_bytes = blk->end_marker && !p->done ? blk->marker_off : blk->data_end;
    }
}

int cs_par_next(struct cs_parser *p, struct cs_batch *out, size_t max_rows, struct cs_error *err)
{
    struct cs_par *par = p->par;
    int rc = CS_OK;
    while (out->rows < max_rows && !p->done) {
        struct par_block *blk = current(par);
        if (blk == NULL) {
            p->done = true;
            break;
        }
        if (par->rej < blk->nrej && blk->rej[par->rej].pos == par->row) {
            const struct par_reject *r = &blk->rej[par->rej++];
            rc = cs_parser_bad(p, par->line0 + r->line, blk->bytes + (r->off - blk->start),
                               r->raw_len, r->column, blk->msgs + r->why_off, err);
            if (rc != CS_OK) break;
            continue;
        }
        if (blk->oom && par->row == blk->oom_pos) {
            rc = cs_error_set(err, CS_ENOMEM, "%s: out of memory", p->filename);
            break;
        }
        if (par->row < blk->rows.rows) {
            size_t n = blk->rows.rows - par->row;
            if (n > max_rows - out->rows) n = max_rows - out->rows;
            if (par->rej < blk->nrej && blk->rej[par->rej].pos - par->row < n)
                n = blk->rej[par->rej].pos - par->row;
            if (!hand_out(par, out, blk, par->row, n)) {
                rc = cs_error_set(err, CS_ENOMEM, "%s: out of memory", p->filename);
                break;
            }
            par->row += n;
            continue;
        }
        if (blk->end_marker) {
            p->done = true;
            break;
        }
        if (blk->partial) { /* the rest of the block, parsed here */
            par->line0 += blk->nlines;
            blk->bytes += blk->data_end - blk->start;
            blk->start = blk->data_end;
            blk->partial = false;
            parse_block(par, &par->ctx[par->nthreads], blk);
            par->row = par->rej = 0;
            continue;
        }
        if (blk->io_errno != 0) {
            rc = cs_error_set(err, CS_EIO, "could not read \"%s\": %s", p->filename,
                              strerror(blk->io_errno));
            break;
        }
        if (blk->endless) { /* its line: the block's last bad record */
            const uint64_t at = par->line0 + (blk->nrej > 0 ? blk->rej[blk->nrej - 1].line : 0);
            rc = cs_error_set(err, CS_EINPUT, "%s:%llu: row: a record longer than %u bytes: %s",
                              p->filename, (unsigned long long)at, CS_MAX_RECORD_SKIP_BYTES,
                              CS_NOT_AN_EXPORT);
            break;
        }
        finish_block(par, blk);
    }
    note_position(p, par);
    return rc;
}

static void free_block(struct par_block *blk)
{
    free(blk->buf);
    if (blk->rows.table != NULL) cs_batch_free(&blk->rows);
    free(blk->row_off);
    free(blk->rej);
    free(blk->msgs);
}

void cs_par_free(struct cs_par *par)
{
    if (par == NULL) return;
    pthread_mutex_lock(&par->mu);
    par->stop = true;
    pthread_cond_broadcast(&par->space);
    pthread_mutex_unlock(&par->mu);
    for (int i = 0; i < par->started; i++)
        pthread_join(par->th[i], NULL);
    for (int i = 0; i < par->nslots; i++)
        free_block(&par->slots[i]);
    free(par->slots);
    free(par->skip);
    if (par->ctx != NULL) {
        for (int i = 0; i <= par->nthreads; i++) {
            free(par->ctx[i].scratch);
            free(par->ctx[i].arr);
        }
    }
    free(par->ctx);
    pthread_cond_destroy(&par->ready);
    pthread_cond_destroy(&par->space);
    pthread_mutex_destroy(&par->mu);
    free(par);
}

/* setup() - the slots and one parsing context per thread, each a copy of the parser's
 * settings (table, map, defaults) with buffers of its own. Copied here, before any thread
 * starts, because the consumer changes other fields of p while the workers run. */
static bool setup(struct cs_par *par, const struct cs_parser *p)
{
    par->slots = calloc((size_t)par->nslots, sizeof(*par->slots));
    par->ctx = calloc((size_t)par->nthreads + 1, sizeof(*par->ctx));
    if (par->slots == NULL || par->ctx == NULL) return false;
    for (int i = 0; i < par->nslots; i++)
        cs_batch_init(&par->slots[i].rows, p->t);
    for (int i = 0; i <= par->nthreads; i++) {
        struct cs_parser *c = &par->ctx[i];
        *c = *p;
        c->scratch = c->arr = NULL;
        c->scratch_cap = c->arr_cap = 0;
        c->par = NULL;
        c->rejects = NULL;
    }
    return true;
}

int cs_par_start(struct cs_parser *p,
                 const char *data,
                 size_t len,
                 size_t start,
                 int fd,
                 off_t fd_base,
                 int nthreads,
                 size_t block_bytes,
                 struct cs_error *err)
{
    struct cs_par *par = calloc(1, sizeof(*par));
    if (par == NULL) return cs_error_set(err, CS_ENOMEM, "%s: out of memory", p->filename);
    par->data = data;
    par->len = data != NULL ? len : SIZE_MAX;
    par->fd = data != NULL ? -1 : fd;
    par->fd_base = fd_base;
    par->format = p->format;
    par->stop_at_first_bad = p->rejects == NULL;
    par->block_bytes = block_bytes > 0 ? block_bytes : 1;
    par->nthreads = nthreads < 0                      ? 0
                    : nthreads > CS_PARSE_MAX_THREADS ? CS_PARSE_MAX_THREADS
                                                      : nthreads;
    par->nslots = par->nthreads + 2;
    par->cut_pos = par->done_bytes = start;
    par->cut_done = start >= par->len;
    par->line0 = p->line;
    pthread_mutex_init(&par->mu, NULL);
    pthread_cond_init(&par->ready, NULL);
    pthread_cond_init(&par->space, NULL);
    if (!setup(par, p)) {
        cs_par_free(par);
        return cs_error_set(err, CS_ENOMEM, "%s: out of memory", p->filename);
    }
    const bool no_blocks = par->cut_done; /* read before a worker may change it */
    for (int i = 0; i < par->nthreads && !no_blocks; i++) {
        par->workers[i] = (struct par_worker){par, &par->ctx[i]};
        if (pthread_create(&par->th[i], NULL, worker_main, &par->workers[i]) != 0) break;
        par->started++;
    }
    p->par = par;
    p->par_bytes = start;
    return CS_OK;
}
