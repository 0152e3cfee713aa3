/*
 * colstore.h - the public C API of the colstore analytics engine. This header is the whole
 * contract: anything not declared here is not API.
 *
 * A store is a directory holding the warehouse's tables (SPEC 2): fact tables as day
 * partitions of LZ4-compressed column segments, dimensions, and the materialized daily
 * aggregates, committed atomically through a manifest.
 *
 * Conventions
 * - Every function that can fail returns COLSTORE_OK (0) or a COLSTORE_E* code and, when the
 *   caller passes a colstore_error, describes the failure there. Codes equal the CLI exit codes.
 * - Ownership: a pointer returned through an out-parameter is owned by the caller and released
 *   with the matching close or free function; a `const char *` returned by a getter stays
 *   valid until the object it came from is released.
 * - The library never prints, never exits, never aborts, and keeps no global state.
 * - Thread safety: a colstore_store may be shared by any number of threads; report runs on one
 *   store proceed in parallel, each on its own snapshot. Loads on one store are serialized
 *   (one writer per store, across processes too: a second writer gets COLSTORE_EBUSY). A
 *   colstore_result belongs to one thread at a time. Readers see whole commits only.
 */
#ifndef COLSTORE_H
#define COLSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define COLSTORE_VERSION_MAJOR 0 /* incompatible API changes */
#define COLSTORE_VERSION_MINOR 1 /* additions */
#define COLSTORE_VERSION_PATCH 0 /* fixes */
#define COLSTORE_VERSION_NUMBER                                                                  \
    (COLSTORE_VERSION_MAJOR * 10000 + COLSTORE_VERSION_MINOR * 100 + COLSTORE_VERSION_PATCH)
#define COLSTORE_VERSION_STRING "0.1.0"

#if defined(__GNUC__)
#    define COLSTORE_API __attribute__((visibility("default")))
#else
#    define COLSTORE_API
#endif

/* colstore_version_number() - COLSTORE_VERSION_NUMBER of the library actually linked. */
COLSTORE_API int colstore_version_number(void);
/* colstore_version() - "0.1.0" of the library actually linked. */
COLSTORE_API const char *colstore_version(void);

/* Status codes (also the CLI exit codes of SPEC 3.3; 2 is usage). */
enum {
    COLSTORE_OK = 0,
    COLSTORE_EINPUT = 1,   /* bad input: an export line, a parameter */
    COLSTORE_EINVAL = 2,   /* caller mistake: NULL, closed handle, unknown table or report */
    COLSTORE_EIO = 3,      /* the operating system refused (open, write, fsync, no space) */
    COLSTORE_ECORRUPT = 4, /* the store is damaged: checksum, size or offset mismatch */
    COLSTORE_ENOMEM = 5,   /* out of memory */
    COLSTORE_EBUSY = 6,    /* another writer holds the store */
};

typedef struct colstore_error {
    int code;           /* COLSTORE_OK or a COLSTORE_E* value */
    char message[1024]; /* NUL-terminated; "" when code is COLSTORE_OK */
} colstore_error;

/* colstore_strerror() - a short static description of a code ("bad input", ...). */
COLSTORE_API const char *colstore_strerror(int code);

typedef struct colstore_store colstore_store;   /* opaque */
typedef struct colstore_result colstore_result; /* opaque */

/* Open flags. */
#define COLSTORE_READ_ONLY 0u
#define COLSTORE_WRITABLE 1u
#define COLSTORE_CREATE 2u /* with COLSTORE_WRITABLE: create an empty store if missing */
/* For a handle that serves one short task and is then closed (a command-line run): reports
 * read column segments with pread() into their own buffers instead of mapping the data files,
 * which spares a short process the kernel's work of mapping, and at exit unmapping, every page
 * it reads. A long-lived handle should leave it out: mapped pages serve every later report. */
#define COLSTORE_READ_ONCE 4u

/* colstore_open() - open the store in directory `path`. Sets *out_store (release with
 * colstore_close()); on failure sets it to NULL and returns the code. */
COLSTORE_API int colstore_open(const char *path,
                               unsigned flags,
                               colstore_store **out_store,
                               colstore_error *err);
/* colstore_close() - release a store; results obtained from it stay valid. NULL is a no-op. */
COLSTORE_API void colstore_close(colstore_store *store);

/* ---- Loading (SPEC 3.1) ---- */

enum colstore_format {
    COLSTORE_FORMAT_AUTO = 0, /* from the file name: .csv is CSV, anything else COPY text */
    COLSTORE_FORMAT_TEXT = 1, /* COPY text */
    COLSTORE_FORMAT_CSV = 2,  /* COPY CSV */
};

typedef struct colstore_load_options {
    int format;            /* enum colstore_format */
    bool no_header;        /* CSV without a header line: columns in DDL order */
    const char *rejects_path; /* NULL: the first bad line fails the load, nothing commits */
    int64_t load_time_us;  /* DEFAULT now(), in UTC microseconds; 0 = the current time */
    /* Fact rows held in memory before the days that are complete are written out; bounds the
     * load's memory (about 120 bytes a row). 0 = the default (524288). */
    size_t max_staged_rows;
    /* Progress callback (may be NULL): called from the loading thread now and then. */
    void (*progress)(void *ctx, uint64_t bytes_read, uint64_t bytes_total, uint64_t rows);
    void *progress_ctx;
} colstore_load_options;

typedef struct colstore_load_stats {
    uint64_t rows_read;     /* data rows parsed */
    uint64_t rows_loaded;   /* new rows committed */
    uint64_t rows_skipped;  /* already stored with the same values (idempotent re-load) */
    uint64_t rows_rejected; /* written to the rejects file */
    uint64_t partitions_written;
    double seconds;
} colstore_load_stats;

/* colstore_load_path() - load the export at `path` ("-" is standard input) into `table`
 * ("fact_agent_query", "dim_agent", ...) in one atomic commit. opts may be NULL (defaults);
 * stats may be NULL. Bad input: COLSTORE_EINPUT with "file:line: column: reason", and nothing
 * committed (unless opts->rejects_path). An empty export commits nothing and succeeds. */
COLSTORE_API int colstore_load_path(colstore_store *store,
                                    const char *table,
                                    const char *path,
                                    const colstore_load_options *opts,
                                    colstore_load_stats *stats,
                                    colstore_error *err);
/* colstore_load_fd() - the same, reading from fd until end of file (fd is not closed).
 * `name` is used in messages and, with COLSTORE_FORMAT_AUTO, to choose the format. */
COLSTORE_API int colstore_load_fd(colstore_store *store,
                                  const char *table,
                                  int fd,
                                  const char *name,
                                  const colstore_load_options *opts,
                                  colstore_load_stats *stats,
                                  colstore_error *err);
/* colstore_load_buffer() - the same, from buf[0..len) (not retained). */
COLSTORE_API int colstore_load_buffer(colstore_store *store,
                                      const char *table,
                                      const void *buf,
                                      size_t len,
                                      const char *name,
                                      const colstore_load_options *opts,
                                      colstore_load_stats *stats,
                                      colstore_error *err);

/* ---- The nightly job (SPEC 3.2): operational exports into the warehouse ---- */

/* One operational export: a file (path, "-" for standard input), or memory (buf, len), or
 * absent (path and buf both NULL). */
typedef struct colstore_nightly_input {
    const char *path;
    const void *buf; /* not retained; used when path is NULL */
    size_t len;
    const char *name;            /* for messages and, with AUTO, the format (default: path) */
    enum colstore_format format; /* AUTO: .csv is CSV, anything else COPY text */
    bool no_header;              /* CSV without a header line: columns in DDL order */
} colstore_nightly_input;

typedef struct colstore_nightly_options {
    size_t size;          /* sizeof(colstore_nightly_options): set by COLSTORE_NIGHTLY_OPTIONS_INIT */
    int64_t load_time_us; /* the load time (SCD-2 valid_from/valid_to, new users); 0 = now */
    const char *rejects_path; /* NULL: the first bad line fails the night, nothing commits */
    colstore_nightly_input agents;    /* agents: current agent definitions (SCD-2) */
    colstore_nightly_input queries;   /* agent_queries -> fact_agent_query */
    colstore_nightly_input approvals; /* agent_approvals -> fact_approval */
    colstore_nightly_input feedback;  /* agent_feedback -> fact_training */
} colstore_nightly_options;

#define COLSTORE_NIGHTLY_OPTIONS_INIT {sizeof(colstore_nightly_options), 0, NULL, {0}, {0}, {0}, {0}}

/* Per export: rows parsed, new rows stored, rows already stored (skipped), rows rejected. */
typedef struct colstore_nightly_counts {
    uint64_t read, loaded, skipped, rejected;
} colstore_nightly_counts;

typedef struct colstore_nightly_stats {
    size_t size; /* sizeof(colstore_nightly_stats): set by the caller (COLSTORE_NIGHTLY_STATS_INIT) */
    colstore_nightly_counts agents; /* loaded = agents new or changed */
    colstore_nightly_counts queries, approvals, feedback;
    uint64_t versions_added;  /* dim_agent rows inserted (new agents and changed ones) */
    uint64_t conversations_added, users_added;
    uint64_t days_touched;    /* days whose facts and daily aggregates changed */
    double seconds;
} colstore_nightly_stats;

#define COLSTORE_NIGHTLY_STATS_INIT {sizeof(colstore_nightly_stats), {0}, {0}, {0}, {0}, 0, 0, 0, 0, 0}

/* colstore_nightly() - apply one night's operational exports (any subset) in one atomic commit
 * (SPEC 3.2): agents as SCD-2 first, then the facts, each resolved to the agent version valid
 * at its created_at; conversations and users inserted and maintained; idempotent by
 * operational id (rows already stored are skipped); rows of any date go into their own day;
 * the daily aggregates of every touched day refreshed in the same commit. Bad input:
 * COLSTORE_EINPUT with "file:line: column: reason", nothing committed (unless
 * opts->rejects_path: the bad lines go there, the rest commits). opts->size below what this
 * library reads is COLSTORE_EINVAL. stats may be NULL. */
COLSTORE_API int colstore_nightly(colstore_store *store,
                                  const colstore_nightly_options *opts,
                                  colstore_nightly_stats *stats,
                                  colstore_error *err);

/* ---- Reports (SPEC 4) ---- */

typedef struct colstore_report_params {
    const char *as_of; /* "YYYY-MM-DD"; NULL = today (UTC) */
    int days;          /* window [as_of - days, as_of]; negative = the report's default (7 or 30);
                        * 0 is the one day as_of */
    int year;          /* approval-queue; 0 = the current UTC year */
    const char *from;  /* daily-agg; NULL = yesterday (UTC) */
    const char *to;    /* daily-agg; NULL = yesterday (UTC) */
    bool recompute;    /* daily-agg: from the facts, not the materialized rows */
} colstore_report_params;

/* The defaults of every parameter: start from this, then set what you need. */
#define COLSTORE_REPORT_PARAMS_INIT {NULL, -1, 0, NULL, NULL, false}

/* colstore_report() - run report `name` ("agent-performance", "approval-queue",
 * "training-quality", "daily-agg") on the newest committed data. params may be NULL
 * (defaults). Sets *out (release with colstore_result_free()). A malformed parameter (a date
 * that is not YYYY-MM-DD, days or year out of range) is COLSTORE_EINVAL. */
COLSTORE_API int colstore_report(colstore_store *store,
                                 const char *name,
                                 const colstore_report_params *params,
                                 colstore_result **out,
                                 colstore_error *err);

/* Column types of a result. */
enum colstore_type {
    COLSTORE_TYPE_INT = 1,     /* integer or bigint: colstore_result_int() */
    COLSTORE_TYPE_NUMERIC = 2, /* exact decimal: colstore_result_text(), or _double() */
    COLSTORE_TYPE_DATE = 3,    /* "YYYY-MM-DD": colstore_result_text() */
    COLSTORE_TYPE_TEXT = 4,
    COLSTORE_TYPE_BOOL = 5,
    COLSTORE_TYPE_TIMESTAMP = 6,
};

COLSTORE_API size_t colstore_result_columns(const colstore_result *r);
COLSTORE_API size_t colstore_result_rows(const colstore_result *r);
/* Name and type of column col; NULL / 0 when col is out of range. */
COLSTORE_API const char *colstore_result_column_name(const colstore_result *r, size_t col);
COLSTORE_API int colstore_result_column_type(const colstore_result *r, size_t col);
COLSTORE_API int colstore_result_column_scale(const colstore_result *r, size_t col);
/* colstore_result_is_null() - whether (row, col) is NULL (true when out of range). */
COLSTORE_API bool colstore_result_is_null(const colstore_result *r, size_t row, size_t col);
/* colstore_result_int() - the value of an INT/BOOL cell, or a NUMERIC cell's unscaled digits
 * (12.30 with scale 2 is 1230); 0 for NULL. */
COLSTORE_API int64_t colstore_result_int(const colstore_result *r, size_t row, size_t col);
/* colstore_result_double() - any numeric cell as a double (NaN for NULL or text). */
COLSTORE_API double colstore_result_double(const colstore_result *r, size_t row, size_t col);
/* colstore_result_text() - the cell as PostgreSQL prints it ("" for NULL); the pointer stays
 * valid until the next call on r or colstore_result_free(). */
COLSTORE_API const char *colstore_result_text(colstore_result *r, size_t row, size_t col);

enum colstore_output {
    COLSTORE_OUTPUT_TABLE = 1, /* aligned, like psql */
    COLSTORE_OUTPUT_CSV = 2,   /* byte for byte psql --csv */
    COLSTORE_OUTPUT_JSON = 3,  /* array of objects, numbers as numbers */
};
/* colstore_result_write() - print r to out. */
COLSTORE_API int colstore_result_write(const colstore_result *r,
                                       FILE *out,
                                       int output,
                                       colstore_error *err);
/* colstore_result_free() - release r. NULL is a no-op. */
COLSTORE_API void colstore_result_free(colstore_result *r);

/* ---- Dump (SPEC 4: every stored table back as a PostgreSQL export) ---- */

/* colstore_dump() - write table as `COPY (SELECT * FROM t ORDER BY key) TO STDOUT` prints it,
 * format COLSTORE_FORMAT_TEXT or COLSTORE_FORMAT_CSV (with HEADER). */
COLSTORE_API int colstore_dump(colstore_store *store,
                               const char *table,
                               int format,
                               FILE *out,
                               colstore_error *err);

/* ---- Integrity ---- */

/* colstore_verify() - read every file of the store and check every checksum and size. Each
 * damaged file is reported through cb (may be NULL). COLSTORE_OK when all is well,
 * COLSTORE_ECORRUPT otherwise. */
COLSTORE_API int colstore_verify(colstore_store *store,
                                 void (*cb)(void *ctx, const char *file, const char *reason),
                                 void *ctx,
                                 colstore_error *err);

/* ---- Arrow C Data Interface (https://arrow.apache.org/docs/format/CDataInterface.html) ---- */

#ifndef ARROW_C_DATA_INTERFACE
#    define ARROW_C_DATA_INTERFACE
#    define ARROW_FLAG_DICTIONARY_ORDERED 1
#    define ARROW_FLAG_NULLABLE 2
#    define ARROW_FLAG_MAP_KEYS_SORTED 4
struct ArrowSchema {
    const char *format;
    const char *name;
    const char *metadata;
    int64_t flags;
    int64_t n_children;
    struct ArrowSchema **children;
    struct ArrowSchema *dictionary;
    void (*release)(struct ArrowSchema *);
    void *private_data;
};
struct ArrowArray {
    int64_t length;
    int64_t null_count;
    int64_t offset;
    int64_t n_buffers;
    int64_t n_children;
    const void **buffers;
    struct ArrowArray **children;
    struct ArrowArray *dictionary;
    void (*release)(struct ArrowArray *);
    void *private_data;
};
#endif

/* colstore_result_to_arrow() - export r as a struct (one child per column: int64 for INT,
 * decimal128(precision, scale) for NUMERIC, date32 for DATE, utf8 for TEXT, bool for BOOL,
 * timestamp[us, UTC] for TIMESTAMP). The caller owns both structs and releases them with their
 * release callbacks; they stay valid after colstore_result_free(r). */
COLSTORE_API int colstore_result_to_arrow(const colstore_result *r,
                                          struct ArrowSchema *out_schema,
                                          struct ArrowArray *out_array,
                                          colstore_error *err);

#ifdef __cplusplus
}
#endif
#endif
