/*
 * Parsing a PostgreSQL 15 export of a warehouse table (docs/contract.md, warehouse exports) into batches of typed rows.
 *
 * An export is COPY text (tab separated, \N NULL, backslash escapes) or CSV (quotes, doubled
 * quotes, unquoted empty = NULL, fields spanning lines, optional HEADER). Columns are matched
 * by the CSV header when there is one, else the seed's DDL order (visible columns only);
 * columns the export lacks get their default (or NULL, or the load time for DEFAULT now());
 * overall_score is computed when absent and checked when present.
 *
 * Row-level rules are checked here: field count, value syntax and range, NOT NULL, CHECK sets,
 * UTF-8, line length. Rules that need the store (foreign keys, key conflicts) are the
 * loader's. Errors read "file:line: column: reason".
 *
 * With a rejects FILE, a bad line is written there verbatim followed by a line
 * "-- file:line: column: reason", and parsing goes on (when the export has a header line, the
 * rejects file starts with it); without one, the first bad line stops the parse with
 * CS_EINPUT. Whole-record problems use "row" as the column (`t.tsv:7: row: expected 11
 * fields, found 10`), header problems "header". docs/export-formats.md lists every message.
 */
#ifndef CS_ETL_PARSE_H
#define CS_ETL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "storage/base/column.h"
#include "storage/base/status.h"

enum cs_export_format {
    CS_FMT_TEXT = 1,
    CS_FMT_CSV = 2,
};

struct cs_parse_opts {
    int format;           /* enum cs_export_format */
    bool header;          /* CSV: the first record names the columns (the contract: default true) */
    const char *filename; /* for messages: "approvals.csv" or "<stdin>" */
    FILE *rejects;        /* NULL: the first bad line fails the parse */
    int64_t now_us;       /* load time: the value of DEFAULT now() */
    /* Parallel parsing of a regular file or a memory buffer (see docs/export-formats.md,
     * "Parallel parsing"). Both 0 in production: the parser decides. */
    int threads;        /* 0: CS_PARSE_THREADS workers for inputs of CS_PARSE_PAR_MIN_BYTES or
                         * more, else none; < 0: never (one thread, the caller's); > 0: that
                         * many workers (at most CS_PARSE_MAX_THREADS) whatever the input's size
                         * (tests) */
    size_t block_bytes; /* 0: CS_PARSE_BLOCK_BYTES; else the size parallel blocks are cut at
                         * (tests force tiny blocks to cross every boundary) */
    /* With rejects: the parse fails (CS_EINPUT) at the rejected row after this many; 0: no
     * limit. Rows rejected through cs_parser_reject() count too. */
    uint64_t max_rejects;
};

/* Workers of the parallel parse by default; the caller's thread consumes the blocks. */
#define CS_PARSE_THREADS     2
#define CS_PARSE_MAX_THREADS 8
/* Inputs smaller than this are parsed on the caller's thread alone: starting threads would
 * cost more than it saves. */
#define CS_PARSE_PAR_MIN_BYTES (4u << 20)
/* Bytes of a parallel block (cut at the next record boundary): large enough to amortize the
 * hand-off, small enough that the blocks in flight (CS_PARSE_THREADS + 2) stay a few MB. */
#define CS_PARSE_BLOCK_BYTES (4u << 20)

struct cs_parser;

/* cs_parser_open_fd() - parse the export read from fd (not closed by the parser), from its
 * current offset. A regular file (fstat) that is large enough for parallel parsing (see
 * struct cs_parse_opts) is mapped (mmap) up to its size at open and parsed by worker threads,
 * blocks handed back in file order; it must not be truncated while the parser is open. Other
 * input (pipes, terminals, small files) is read() on the caller's thread. */
int cs_parser_open_fd(const struct cs_table_def *t,
                      int fd,
                      const struct cs_parse_opts *opts,
                      struct cs_parser **out,
                      struct cs_error *err);
/* cs_parser_open_mem() - parse the export in buf[0..len) (not copied: must outlive the
 * parser, and stay unchanged: worker threads may read it ahead of cs_parser_next()). */
int cs_parser_open_mem(const struct cs_table_def *t,
                       const char *buf,
                       size_t len,
                       const struct cs_parse_opts *opts,
                       struct cs_parser **out,
                       struct cs_error *err);
/* A byte source the parser pulls from: fill buf[0..cap) and return the bytes written (> 0),
 * 0 at the end of the input, or -1 with err set (its code: CS_EIO usually). */
typedef long (*cs_read_fn)(void *ctx, char *buf, size_t cap, struct cs_error *err);

/* cs_parser_open_fn() - parse the export that fn produces (a libpq COPY stream, ...), read on
 * the caller's thread as the parse goes. */
int cs_parser_open_fn(const struct cs_table_def *t,
                      cs_read_fn fn,
                      void *ctx,
                      const struct cs_parse_opts *opts,
                      struct cs_parser **out,
                      struct cs_error *err);
/* cs_parser_next() - reset `out` (a batch of the parser's table) and fill it with up to
 * max_rows rows; out->line_no is filled. Rows, errors, rejects and counters are the same
 * whether the parse runs in parallel or not. Returns CS_OK with out->rows == 0 at the end.
 * CS_EINPUT on the first bad line when there is no rejects file (the rows of that call are
 * then not to be used), CS_EIO when reading or writing the rejects file fails, CS_ENOMEM.
 * Errors are sticky: later calls return the same error. Hidden columns (source_id) are NULL;
 * absent columns hold their default, DEFAULT now() columns opts->now_us. */
int cs_parser_next(struct cs_parser *p,
                   struct cs_batch *out,
                   size_t max_rows,
                   struct cs_error *err);
/* cs_parser_reject() - report a row the loader found bad (foreign key, conflict) after
 * parsing: with a rejects file, writes the line (re-rendered from the batch row when the raw
 * text is gone) and the reason and returns CS_OK; without one returns CS_EINPUT with the
 * message "file:line: column: reason". */
int cs_parser_reject(struct cs_parser *p,
                     const struct cs_batch *b,
                     size_t row,
                     const char *column,
                     const char *reason,
                     struct cs_error *err);
/* cs_parser_filename() - the export's name as messages give it ("<stdin>" for standard input). */
const char *cs_parser_filename(const struct cs_parser *p);

/* Counters: lines read, rows rejected so far (by the parser and through cs_parser_reject()),
 * records the parser itself rejected, bytes consumed. */
uint64_t cs_parser_lines(const struct cs_parser *p);
uint64_t cs_parser_rejected(const struct cs_parser *p);
uint64_t cs_parser_bad_records(const struct cs_parser *p);
uint64_t cs_parser_bytes(const struct cs_parser *p);
void cs_parser_close(struct cs_parser *p);

#endif
