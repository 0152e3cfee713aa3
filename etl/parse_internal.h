/*
 * The pieces behind etl/parse.h, one file each, in the order the bytes flow:
 *   reader.c     input buffer (large read()s or the caller's memory) → one record at a time,
 *                a record being one line, or several when a CSV quote or a text-format
 *                backslash spans a newline;
 *   copy_text.c  a COPY text record → fields (\N, backslash escapes);
 *   csv.c        a CSV record → fields (quotes, doubled quotes, unquoted empty = NULL);
 *   table_map.c  which column each field fills: the DDL order or the header's;
 *   row_build.c  fields → typed, checked values → one row appended to a batch;
 *   rejects.c    bad records, verbatim, with their reason;
 *   parser.c     the cs_parser object tying them together;
 *   parallel.c   the same over blocks of a mapped file or a buffer, in worker threads,
 *                handed back in file order.
 * Nothing here allocates per field: fields point into the input buffer or into one scratch
 * buffer per record.
 */
#ifndef CS_ETL_PARSE_INTERNAL_H
#define CS_ETL_PARSE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "etl/parse.h"
#include "storage/base/limits.h"
#include "etl/value_parse.h"

/* Bytes of the fd input buffer: one read() fills most of it. It must hold a whole record of
 * CS_MAX_LINE_BYTES plus a useful read, so memory stays bounded whatever the file's size. */
#define CS_READ_BUF_BYTES (8u << 20)
_Static_assert(CS_READ_BUF_BYTES >= 4 * CS_MAX_LINE_BYTES, "a record and a read fit");

struct cs_reader {
    int fd;        /* -1 for memory (and callback) input */
    cs_read_fn fn; /* callback input (a COPY stream), or NULL */
    void *fn_ctx;
    char *buf;         /* owned buffer of fd input, NULL for memory input */
    const char *data;  /* buf, or the caller's memory */
    size_t cap;        /* bytes of buf */
    size_t pos, end;   /* next record starts at data[pos]; data[end] is past the valid bytes */
    bool eof;          /* no more bytes after data[end] */
    uint64_t consumed; /* input bytes before data[0] (dropped by compaction) */
    const char *filename;
};

struct cs_record {
    const char *p;   /* the record's bytes: valid until the next cs_reader_next() */
    size_t len;      /* without the final line terminator (\n or \r\n) */
    size_t raw_len;  /* with it: p[0..raw_len) is the record verbatim */
    uint64_t line;   /* physical line where the record starts (1-based) */
    uint64_t nlines; /* physical lines the record spans */
    bool too_long;   /* len > CS_MAX_LINE_BYTES; p holds only the tail if it was spilled */
};

/* cs_reader_init_fd() - an fd reader (fd is not closed by the reader). CS_ENOMEM on failure. */
int cs_reader_init_fd(struct cs_reader *r, int fd, const char *filename, struct cs_error *err);
/* cs_reader_init_fn() - a reader pulling bytes from fn (see cs_parser_open_fn). */
int cs_reader_init_fn(
    struct cs_reader *r, cs_read_fn fn, void *ctx, const char *filename, struct cs_error *err);
/* cs_reader_init_mem() - a reader of buf[0..len) (not copied). */
void cs_reader_init_mem(struct cs_reader *r, const char *buf, size_t len, const char *filename);
void cs_reader_free(struct cs_reader *r);
/* cs_reader_next() - the next record of format starting at physical line `line`. Returns 1
 * with *rec filled, 0 at the end of input, or CS_EIO (negated: -CS_EIO) when read() fails.
 * A record longer than CS_MAX_LINE_BYTES comes back with too_long set; when spill is not
 * NULL its head is passed to spill(spill_ctx, ...) as the reader skips it (so memory stays
 * bounded) and rec holds only its tail; a spill failure is returned negated. */
typedef int (*cs_spill_fn)(void *ctx, const char *raw, size_t len, struct cs_error *err);
int cs_reader_next(struct cs_reader *r,
                   int format,
                   uint64_t line,
                   cs_spill_fn spill,
                   void *spill_ctx,
                   struct cs_record *rec,
                   struct cs_error *err);

_Static_assert(CS_MAX_COLS <= 32, "column sets are uint32_t bit masks");

#define CS_ONES UINT64_C(0x0101010101010101)

/* cs_eq_mask() - the high bit of each byte of w that equals c, exactly (no false positives):
 * the splitters scan eight bytes at a time with it. */
static inline uint64_t cs_eq_mask(uint64_t w, unsigned char c)
{
    const uint64_t low7 = UINT64_C(0x7f7f7f7f7f7f7f7f);
    const uint64_t x = w ^ (CS_ONES * c);
    return ~(((x & low7) + low7) | x | low7);
}

struct cs_field {
    const char *p; /* into the record or the scratch buffer */
    size_t len;
    bool null;
};

/* cs_text_split() - the fields of COPY text record s[0..n): split at unescaped tabs, "\N"
 * alone is NULL, escapes decoded into scratch (n bytes suffice). Stores at most max fields
 * in f; returns the number of fields in the record, or -1 for a "\." that is not at the end
 * of the record (*bad_field is then the index of that field). */
int cs_text_split(
    const char *s, size_t n, struct cs_field *f, int max, char *scratch, int *bad_field);

/* cs_csv_split() - the fields of CSV record s[0..n) (may hold newlines inside quotes); quoted
 * parts decoded into scratch (n bytes suffice). Returns the number of fields, or -1 when the
 * record ends inside quotes (*bad_field is then the index of that field). */
int cs_csv_split(
    const char *s, size_t n, struct cs_field *f, int max, char *scratch, int *bad_field);

/* Which column each field of a record fills. */
struct cs_table_map {
    int nfields;                 /* fields per record */
    int8_t col[CS_MAX_COLS];     /* column of field i */
    int alt_nfields;             /* 0, or the count without generated columns (DDL order) */
    int8_t alt_col[CS_MAX_COLS]; /* column of field i for alt_nfields */
};

/* cs_map_ddl() - the DDL order of t's visible columns; without generated ones as the
 * alternative (`COPY t TO` leaves generated columns out). */
void cs_map_ddl(const struct cs_table_def *t, struct cs_table_map *m);
/* cs_map_header() - the header's order. On failure returns CS_EINPUT with the reason in
 * why[CS_VP_WHY_SIZE]: unknown column "x", duplicate column "x", too many columns. */
int cs_map_header(const struct cs_table_def *t,
                  const struct cs_field *f,
                  int nfields,
                  struct cs_table_map *m,
                  char *why);

/* A value between parsing and appending. */
struct cs_val {
    bool null;
    int64_t i;     /* CS_K_I64, and CS_K_BOOL as 0/1 */
    const char *s; /* CS_K_STR */
    size_t len;
    uint8_t h[16]; /* CS_K_FIX16 */
};

/* cs_rejects_write() - raw[0..len) verbatim (a newline added when it has none; nothing when
 * len is 0), then "-- message\n". CS_EIO when writing fails. */
int cs_rejects_write(
    FILE *f, const char *raw, size_t len, const char *message, struct cs_error *err);
/* cs_rejects_spill() - raw bytes of a record being skipped (see cs_reader_next). */
int cs_rejects_spill(FILE *f, const char *raw, size_t len, struct cs_error *err);

/* The end of the message of a record still going after CS_MAX_RECORD_SKIP_BYTES. */
#define CS_NOT_AN_EXPORT "the input is not an export"

/* The parser object (parse.h's struct cs_parser). */
struct cs_parser {
    const struct cs_table_def *t;
    int format;
    bool header;
    FILE *rejects;
    int64_t now_us;
    char *filename;
    struct cs_reader rd;
    struct cs_table_map map;
    struct cs_val defaults[CS_MAX_COLS];          /* value of each column the export lacks */
    char default_text[CS_MAX_COLS][32];           /* storage of string defaults */
    int8_t precision[CS_MAX_COLS];                /* numeric(p,s) precision, 0 when unknown */
    uint32_t all_mask, not_null_mask, check_mask; /* bit c: column c (exists, NOT NULL, CHECK) */
    struct cs_field fields[CS_MAX_COLS + 1];
    char *scratch; /* unescaped fields of the current record */
    size_t scratch_cap;
    char *arr; /* canonical text[] values of the current record */
    size_t arr_cap;
    char *header_raw; /* the export's header line verbatim, for the rejects file */
    size_t header_len;
    bool header_written;     /* to the rejects file */
    char spill_last;         /* last byte spilled of a too-long record */
    size_t spilled;          /* bytes of the current too-long record passed to spill() */
    uint64_t max_rejects;    /* opts->max_rejects */
    uint64_t parse_rejected; /* records the parser itself rejected */
    uint64_t line;           /* physical line of the next record */
    uint64_t rejected;
    bool done;
    int sticky; /* first fatal status, returned again by later calls */
    struct cs_error sticky_err;
    int threads;        /* opts->threads */
    size_t block_bytes; /* opts->block_bytes */
    int par_fd;         /* a regular file worth a parallel parse (read with pread), or -1 */
    off_t par_base;     /* its offset when the parse began */
    int par_workers;    /* workers for it */
    struct cs_par *par; /* the parallel parse, or NULL when next() reads p->rd itself */
    bool has_str;       /* the table has string columns (text, jsonb, text[]) */
    struct cs_vp_day_cache day_cache; /* of the timestamps this context parsed */
    uint64_t par_bytes;               /* parallel: bytes before the next record to hand out */
};

/* cs_parser_bad() - a record that failed (first physical line `line`, raw[0..raw_len)
 * verbatim): without a rejects file CS_EINPUT with "file:line: column: why" in err; with one,
 * the record and the message go to the file (CS_OK, or CS_EIO). */
int cs_parser_bad(struct cs_parser *p,
                  uint64_t line,
                  const char *raw,
                  size_t raw_len,
                  const char *column,
                  const char *why,
                  struct cs_error *err);
/* cs_parser_ensure_line_no() - room for `rows` entries in b->line_no. */
bool cs_parser_ensure_line_no(struct cs_batch *b, size_t rows);
/* cs_record_is_end_marker() - whether rec is the line "\." that ends the data. */
bool cs_record_is_end_marker(const struct cs_record *rec);

/* cs_format_hint() - when the record s[0..n) that failed to split into the expected fields
 * looks like the other format (tabs read as CSV, commas read as COPY text), append
 * "; looks like COPY text, not CSV" (or "; looks like CSV, not COPY text") to why. */
void cs_format_hint(int format, const char *s, size_t n, char *why);

/* cs_par_start() - parse data[start..len) — or, when data is NULL, the file fd from offset
 * fd_base + start to its end, read with pread — (record boundary at `start`, physical line
 * p->line) in blocks of about block_bytes, with nthreads workers (0: the caller's thread
 * parses each block when it needs it). Sets p->par. CS_ENOMEM on failure; a thread that
 * can't be started is not an error (the caller's thread parses instead). */
int cs_par_start(struct cs_parser *p,
                 const char *data,
                 size_t len,
                 size_t start,
                 int fd,
                 off_t fd_base,
                 int nthreads,
                 size_t block_bytes,
                 struct cs_error *err);
/* cs_par_next() - cs_parser_next() over the blocks: the same rows, rejects and errors in the
 * same order and calls as the sequential parse; updates p->line, p->par_bytes, p->rejected
 * and p->done. Returns CS_OK or the status to make sticky. */
int cs_par_next(struct cs_parser *p, struct cs_batch *out, size_t max_rows, struct cs_error *err);
/* cs_par_free() - stop and join the workers, free everything; NULL is a no-op. */
void cs_par_free(struct cs_par *par);

/* cs_row_build() - check record rec and append it to b as one row. *room: rows that fit in
 * b's columns without growing them, kept up to date here (start each batch with 0, and
 * append to b only through here while using it). Returns CS_OK, CS_EINPUT with *column (a
 * column name, "row" or "header") and why[CS_VP_WHY_SIZE] set, or CS_ENOMEM (b unchanged
 * except on CS_OK). */
int cs_row_build(struct cs_parser *p,
                 const struct cs_record *rec,
                 struct cs_batch *b,
                 size_t *room,
                 const char **column,
                 char *why);
/* cs_row_defaults() - fill p->defaults and p->precision for t. CS_EINVAL if a schema default
 * does not parse (a bug in schema.c). */
int cs_row_defaults(struct cs_parser *p, struct cs_error *err);

#endif
