/*
 * colstore.h - the public C API of the colstore analytics engine. This header is the whole
 * contract: anything not declared here is not API.
 *
 * A store is a directory holding the warehouse's tables (docs/tables.md): fact tables as day
 * partitions of LZ4-compressed column segments, dimensions, and the materialized daily
 * aggregates, committed atomically through a manifest.
 *
 * Conventions
 * - Every function that can fail returns COLSTORE_OK (0) or a COLSTORE_E* code and, when the
 *   caller passes a colstore_error, describes the failure there (and clears it on success).
 *   Codes 1-4 equal the CLI exit codes.
 * - Option structs (colstore_load_options, colstore_report_params) start with `size_t size`,
 *   set by their COLSTORE_*_INIT macro to the size the caller was compiled with: the library
 *   reads the fields that fit in it and takes the defaults for the rest, so a program built
 *   against an older header keeps working with a newer library. Always start from the INIT
 *   macro; never memset such a struct to zero.
 * - Ownership: a pointer returned through an out-parameter is owned by the caller and released
 *   with the matching close or free function; a `const char *` returned by a getter stays
 *   valid until the object it came from is released.
 * - The library never prints, never exits, never aborts, and keeps no mutable global state
 *   (beyond internal switches that only its own tests set).
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

/* The project's version is set here and nowhere else: CMakeLists.txt reads these three lines. */
#define COLSTORE_VERSION_MAJOR 0 /* incompatible API changes */
#define COLSTORE_VERSION_MINOR 2 /* additions */
#define COLSTORE_VERSION_PATCH 0 /* fixes */
#define COLSTORE_VERSION_NUMBER \
    (COLSTORE_VERSION_MAJOR * 10000 + COLSTORE_VERSION_MINOR * 100 + COLSTORE_VERSION_PATCH)
#define COLSTORE_STR_(x) #x
#define COLSTORE_STR(x)  COLSTORE_STR_(x)
#define COLSTORE_VERSION_STRING          \
    COLSTORE_STR(COLSTORE_VERSION_MAJOR) \
    "." COLSTORE_STR(COLSTORE_VERSION_MINOR) "." COLSTORE_STR(COLSTORE_VERSION_PATCH)

#if defined(__GNUC__)
#    define COLSTORE_API __attribute__((visibility("default")))
#else
#    define COLSTORE_API
#endif

/* colstore_version_number() - COLSTORE_VERSION_NUMBER of the library actually linked. */
COLSTORE_API int colstore_version_number(void);
/* colstore_version() - COLSTORE_VERSION_STRING ("0.2.0") of the library actually linked. */
COLSTORE_API const char *colstore_version(void);

/* Status codes. 0-4 are also the CLI exit codes (docs/cli.md); the tools exit 3 for 5-8.
 * EINPUT is about data a person supplied: an export line, or the value of a parameter (a date
 * that is no date, a negative day count). EINVAL is a program's mistake: a NULL argument, an
 * unknown table or report name, a bad flag or enum value, an option struct of a wrong size. */
enum {
    COLSTORE_OK = 0,
    COLSTORE_EINPUT = 1,    /* bad input: an export line, a parameter's value */
    COLSTORE_EINVAL = 2,    /* caller mistake: NULL, bad enum or size, unknown table or report */
    COLSTORE_EIO = 3,       /* the operating system refused (open, write, fsync, no space) */
    COLSTORE_ECORRUPT = 4,  /* the store is damaged: checksum, size or offset mismatch */
    COLSTORE_ENOMEM = 5,    /* out of memory (or another resource: threads) */
    COLSTORE_EBUSY = 6,     /* another writer holds the store */
    COLSTORE_ECANCELED = 7, /* the caller's progress callback asked to stop; nothing committed */
    COLSTORE_ELIMIT = 8,    /* a value is beyond what the engine computes (an overflowing sum) */
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
#define COLSTORE_WRITABLE  1u
#define COLSTORE_CREATE    2u /* with COLSTORE_WRITABLE: create an empty store if missing */
/* For a handle that serves one short task and is then closed (a command-line run): reports
 * read column segments with pread() into their own buffers instead of mapping the data files,
 * which spares a short process the kernel's work of mapping, and at exit unmapping, every page
 * it reads. A long-lived handle should leave it out: mapped pages serve every later report. */
#define COLSTORE_READ_ONCE 4u
/* With COLSTORE_WRITABLE: no automatic compaction after the loads through this handle
 * (colstore_compact(); docs/storage-format.md section 12). */
#define COLSTORE_NO_AUTO_COMPACT 8u

/* colstore_open() - open the store in directory `path`. Sets *out_store (release with
 * colstore_close()); on failure sets it to NULL and returns the code. */
COLSTORE_API int
colstore_open(const char *path, unsigned flags, colstore_store **out_store, colstore_error *err);
/* colstore_close() - release a store; results obtained from it stay valid, and open snapshots
 * (and their scans and streams) keep the store open until they are released. NULL is a
 * no-op. */
COLSTORE_API void colstore_close(colstore_store *store);

/* ---- Loading (docs/loading.md) ---- */

enum colstore_format {
    COLSTORE_FORMAT_AUTO = 0, /* from the file name: .csv is CSV, anything else COPY text */
    COLSTORE_FORMAT_TEXT = 1, /* COPY text */
    COLSTORE_FORMAT_CSV = 2,  /* COPY CSV */
};

/* Progress callback of a load: called from the loading thread now and then. Return 0 to go
 * on; anything else cancels the load: it stops soon after, commits nothing and returns
 * COLSTORE_ECANCELED. */
typedef int (*colstore_progress_fn)(void *ctx,
                                    uint64_t bytes_read,
                                    uint64_t bytes_total, /* 0 when unknown (a pipe) */
                                    uint64_t rows);

typedef struct colstore_load_options {
    size_t size;                 /* sizeof(colstore_load_options): COLSTORE_LOAD_OPTIONS_INIT */
    enum colstore_format format; /* COLSTORE_FORMAT_AUTO */
    bool no_header;              /* CSV without a header line: columns in DDL order */
    const char *rejects_path;    /* NULL: the first bad line fails the load, nothing commits */
    int64_t load_time_us;        /* DEFAULT now(), in UTC microseconds; 0 = the current time */
    /* Fact rows held in memory before the days that are complete are written out; bounds the
     * load's memory (about 120 bytes a row). 0 = the default (524288). */
    size_t max_staged_rows;
    colstore_progress_fn progress; /* may be NULL */
    void *progress_ctx;
    /* With rejects_path: the load fails (COLSTORE_EINPUT, nothing committed) at the rejected row
     * after this many, parse errors and key/foreign-key rejects alike. 0 = the default
     * (COLSTORE_DEFAULT_MAX_REJECTS); UINT64_MAX = no limit. */
    uint64_t max_rejects;
} colstore_load_options;

/* Rows a load (or a night, per export) may reject before it fails as a whole. */
#define COLSTORE_DEFAULT_MAX_REJECTS 1000

/* The defaults of every option: start from this, then set what you need. */
#define COLSTORE_LOAD_OPTIONS_INIT                                                            \
    {                                                                                         \
        sizeof(colstore_load_options), COLSTORE_FORMAT_AUTO, false, NULL, 0, 0, NULL, NULL, 0 \
    }

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

/* colstore_parse_date() - "YYYY-MM-DD" (a real date, years 1..9999) → days since 1970-01-01.
 * COLSTORE_EINPUT when it is not one. */
COLSTORE_API int colstore_parse_date(const char *text, int32_t *out_days, colstore_error *err);

/* colstore_parse_timestamptz() - a timestamptz as an export holds it ("2025-06-01 03:00:00+00",
 * other offsets, 'T', fractions) → UTC microseconds since 1970, validated exactly as export
 * values are (2025-02-30 is refused). For load_time_us. COLSTORE_EINPUT when it is not one. */
COLSTORE_API int colstore_parse_timestamptz(const char *text, int64_t *out_us, colstore_error *err);

/* ---- The nightly job (docs/contract.md): operational exports into the warehouse ---- */

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
    size_t size; /* sizeof(colstore_nightly_options): set by COLSTORE_NIGHTLY_OPTIONS_INIT */
    int64_t load_time_us;     /* the load time (SCD-2 valid_from/valid_to, new users); 0 = now */
    const char *rejects_path; /* NULL: the first bad line fails the night, nothing commits */
    colstore_nightly_input agents;    /* agents: current agent definitions (SCD-2) */
    colstore_nightly_input queries;   /* agent_queries -> fact_agent_query */
    colstore_nightly_input approvals; /* agent_approvals -> fact_approval */
    colstore_nightly_input feedback;  /* agent_feedback -> fact_training */
    /* As colstore_load_options.max_rejects, for each export (0 = the default). */
    uint64_t max_rejects;
} colstore_nightly_options;

#define COLSTORE_NIGHTLY_OPTIONS_INIT                                    \
    {                                                                    \
        sizeof(colstore_nightly_options), 0, NULL, {0}, {0}, {0}, {0}, 0 \
    }

/* Per export: rows parsed, new rows stored, rows already stored (skipped), rows rejected. */
typedef struct colstore_nightly_counts {
    uint64_t read, loaded, skipped, rejected;
} colstore_nightly_counts;

typedef struct colstore_nightly_stats {
    size_t
        size; /* sizeof(colstore_nightly_stats): set by the caller (COLSTORE_NIGHTLY_STATS_INIT) */
    colstore_nightly_counts agents; /* loaded = agents new or changed */
    colstore_nightly_counts queries, approvals, feedback;
    uint64_t versions_added; /* dim_agent rows inserted (new agents and changed ones) */
    uint64_t conversations_added, users_added;
    uint64_t days_touched; /* days whose facts and daily aggregates changed */
    double seconds;
} colstore_nightly_stats;

#define COLSTORE_NIGHTLY_STATS_INIT                                       \
    {                                                                     \
        sizeof(colstore_nightly_stats), {0}, {0}, {0}, {0}, 0, 0, 0, 0, 0 \
    }

/* colstore_nightly() - apply one night's operational exports (any subset) in one atomic commit
 * (docs/contract.md, nightly job): agents as SCD-2 first, then the facts, each resolved to the agent version valid
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

/* ---- The nightly job straight from PostgreSQL (docs/contract.md, pull) ---- */

typedef struct colstore_pull_options {
    size_t size;          /* sizeof(colstore_pull_options): set by COLSTORE_PULL_OPTIONS_INIT */
    const char *conninfo; /* libpq connection string; NULL: libpq's environment (PGHOST, ...) */
    int64_t load_time_us; /* as colstore_nightly_options; 0 = now */
    const char *since;    /* "YYYY-MM-DD": also every row created on or after it (a re-sync) */
    const char *overlap;  /* PostgreSQL interval re-read before the load time; NULL: "2 days" */
    const char *rejects_path;
} colstore_pull_options;

#define COLSTORE_PULL_OPTIONS_INIT                               \
    {                                                            \
        sizeof(colstore_pull_options), NULL, 0, NULL, NULL, NULL \
    }

/* colstore_pull() - the nightly job of colstore_nightly() on the operational tables of a live
 * PostgreSQL server (docs/contract.md, pull): one REPEATABLE READ READ ONLY transaction with TimeZone UTC;
 * agents whole; of each fact table the rows whose id is above the largest operational id the
 * store holds for it, plus those created in the overlap before the load time (and since
 * `since`), streamed with COPY ... TO STDOUT into the same parser; one commit. The library
 * loads libpq (libpq.so.5) only when this runs. A failed connection, query or COPY commits
 * nothing: COLSTORE_EIO with what failed (a password never appears in a message). */
COLSTORE_API int colstore_pull(colstore_store *store,
                               const colstore_pull_options *opts,
                               colstore_nightly_stats *stats,
                               colstore_error *err);

/* ---- Reports (docs/reports.md) ---- */

typedef struct colstore_report_params {
    size_t size;       /* sizeof(colstore_report_params): COLSTORE_REPORT_PARAMS_INIT */
    const char *as_of; /* "YYYY-MM-DD"; NULL = today (UTC) */
    int days;          /* window [as_of - days, as_of]; -1 = the report's default (7 or 30);
                        * 0 is the one day as_of; other negative values are bad input */
    int year;          /* approval-queue; 0 = the current UTC year */
    const char *from;  /* daily-agg; NULL = yesterday (UTC) */
    const char *to;    /* daily-agg; NULL = yesterday (UTC) */
    bool recompute;    /* daily-agg: from the facts, not the materialized rows */
} colstore_report_params;

/* The defaults of every parameter: start from this, then set what you need. */
#define COLSTORE_REPORT_PARAMS_INIT                                    \
    {                                                                  \
        sizeof(colstore_report_params), NULL, -1, 0, NULL, NULL, false \
    }

/* colstore_report() - run report `name` ("agent-performance", "approval-queue",
 * "training-quality", "daily-agg") on the newest committed data. params may be NULL
 * (defaults). Sets *out (release with colstore_result_free()). A parameter's value that is
 * wrong (a date that is not YYYY-MM-DD, days or year out of range) is COLSTORE_EINPUT, with a
 * message naming the parameter ("as_of: invalid date ..."); an unknown report name or a
 * params->size smaller than the first version's is COLSTORE_EINVAL. */
COLSTORE_API int colstore_report(colstore_store *store,
                                 const char *name,
                                 const colstore_report_params *params,
                                 colstore_result **out,
                                 colstore_error *err);

/* Column types of results and tables. Result columns use INT for every integer; table
 * columns (colstore_column_describe, scans) use SMALLINT / INTEGER / BIGINT. */
enum colstore_type {
    COLSTORE_TYPE_NULL = 0,    /* a colstore_value that is SQL NULL */
    COLSTORE_TYPE_INT = 1,     /* integer or bigint: colstore_result_int() */
    COLSTORE_TYPE_NUMERIC = 2, /* exact decimal: colstore_result_text(), or _double() */
    COLSTORE_TYPE_DATE = 3,    /* colstore_result_date(), or text "YYYY-MM-DD" */
    COLSTORE_TYPE_TEXT = 4,
    COLSTORE_TYPE_BOOL = 5,
    COLSTORE_TYPE_TIMESTAMPTZ = 6, /* colstore_result_timestamptz(), or text as PostgreSQL */
    COLSTORE_TYPE_TIMESTAMP = 6,   /* the name before 0.2 */
    COLSTORE_TYPE_SMALLINT = 7,
    COLSTORE_TYPE_INTEGER = 8,
    COLSTORE_TYPE_BIGINT = 9,
    COLSTORE_TYPE_JSONB = 10,      /* text as PostgreSQL prints jsonb */
    COLSTORE_TYPE_TEXT_ARRAY = 11, /* text[]: text of the array literal as PostgreSQL prints it */
    COLSTORE_TYPE_DOUBLE = 12,     /* float8 (percentile_cont): colstore_result_double() */
};

COLSTORE_API size_t colstore_result_columns(const colstore_result *r);
COLSTORE_API size_t colstore_result_rows(const colstore_result *r);
/* Name and type of column col; NULL / 0 when col is out of range. */
COLSTORE_API const char *colstore_result_column_name(const colstore_result *r, size_t col);
COLSTORE_API enum colstore_type colstore_result_column_type(const colstore_result *r, size_t col);
COLSTORE_API int colstore_result_column_scale(const colstore_result *r, size_t col);
/* colstore_result_column_index() - the index of the column called `name` (exact, case
 * sensitive), or -1 when there is none. */
COLSTORE_API int colstore_result_column_index(const colstore_result *r, const char *name);
/* colstore_result_is_null() - whether (row, col) is NULL (true when out of range). */
COLSTORE_API bool colstore_result_is_null(const colstore_result *r, size_t row, size_t col);
/* colstore_result_int() - the value of an INT/BOOL cell, or a NUMERIC cell's unscaled digits
 * (12.30 with scale 2 is 1230); 0 for NULL. */
COLSTORE_API int64_t colstore_result_int(const colstore_result *r, size_t row, size_t col);
/* colstore_result_double() - any numeric cell as a double (NaN for NULL or text). */
COLSTORE_API double colstore_result_double(const colstore_result *r, size_t row, size_t col);
/* colstore_result_date() - a DATE cell as days since 1970-01-01 (2025-01-01 is 20089); 0 for
 * NULL, out of range or another type (check colstore_result_is_null()). */
COLSTORE_API int32_t colstore_result_date(const colstore_result *r, size_t row, size_t col);
/* colstore_result_timestamptz() - a TIMESTAMPTZ cell as microseconds since 1970-01-01 00:00:00
 * UTC; 0 for NULL, out of range or another type. */
COLSTORE_API int64_t colstore_result_timestamptz(const colstore_result *r, size_t row, size_t col);
/* colstore_result_text() - the cell as PostgreSQL prints it ("" for NULL or out of range).
 * Every returned string stays valid until colstore_result_free(r), as sqlite keeps a column's
 * text: two calls may appear in one printf. NULL only when memory runs out. */
COLSTORE_API const char *colstore_result_text(colstore_result *r, size_t row, size_t col);

enum colstore_output {
    COLSTORE_OUTPUT_TABLE = 1, /* aligned, like psql */
    COLSTORE_OUTPUT_CSV = 2,   /* byte for byte psql --csv */
    COLSTORE_OUTPUT_JSON = 3,  /* array of objects, numbers as numbers */
};
/* colstore_result_write() - print r to out. */
COLSTORE_API int colstore_result_write(const colstore_result *r,
                                       FILE *out,
                                       enum colstore_output output,
                                       colstore_error *err);
/* colstore_result_free() - release r. NULL is a no-op. */
COLSTORE_API void colstore_result_free(colstore_result *r);

/* ---- Dump: every stored table back as a PostgreSQL export ---- */

/* colstore_dump() - write table as `COPY (SELECT * FROM t ORDER BY key) TO STDOUT` prints it,
 * format COLSTORE_FORMAT_TEXT or COLSTORE_FORMAT_CSV (with HEADER). */
COLSTORE_API int colstore_dump(colstore_store *store,
                               const char *table,
                               enum colstore_format format,
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

/* ---- Compaction (docs/storage-format.md §12) ---- */

typedef struct colstore_compact_options {
    size_t size;    /* sizeof(colstore_compact_options): COLSTORE_COMPACT_OPTIONS_INIT */
    bool automatic; /* false: everything there is to do (`colload compact`); true: only when
                     * the thresholds of the automatic compaction after each load are met */
} colstore_compact_options;
#define COLSTORE_COMPACT_OPTIONS_INIT           \
    {                                           \
        sizeof(colstore_compact_options), false \
    }

typedef struct colstore_compact_stats {
    size_t size;                /* sizeof(colstore_compact_stats): COLSTORE_COMPACT_STATS_INIT */
    bool committed;             /* false: there was nothing to do */
    uint64_t version;           /* the commit it made */
    uint64_t bytes_before;      /* the data files of the version before (whole) ... */
    uint64_t bytes_after;       /* ... and after */
    uint64_t dead_bytes_before; /* bytes of those files that no live block used */
    uint32_t files_before, files_after;
    uint32_t blocks_copied;     /* live blocks copied out of mostly-dead files, undecoded */
    uint32_t partitions_merged; /* days whose row groups became one */
    uint32_t groups_merged;     /* row groups read by merges (days and dimension chunks) */
} colstore_compact_stats;
#define COLSTORE_COMPACT_STATS_INIT                                      \
    {                                                                    \
        sizeof(colstore_compact_stats), false, 0, 0, 0, 0, 0, 0, 0, 0, 0 \
    }

/* colstore_compact() - rewrite, in one commit, the live blocks of data files that carry dead
 * space (copied without decoding) and the partitions spread over many row groups (merged),
 * so that the store takes about the space of its data loaded in one go. Readers are not
 * blocked (their snapshots keep the old files until closed); loads wait for the writer lock.
 * The answers of every report and dump are unchanged. opts and stats may be NULL. A store
 * opened without COLSTORE_NO_AUTO_COMPACT runs the automatic variant after every load. */
COLSTORE_API int colstore_compact(colstore_store *store,
                                  const colstore_compact_options *opts,
                                  colstore_compact_stats *stats,
                                  colstore_error *err);

/* ---- Arrow C Data Interface (https://arrow.apache.org/docs/format/CDataInterface.html) ---- */

#ifndef ARROW_C_DATA_INTERFACE
#    define ARROW_C_DATA_INTERFACE
#    define ARROW_FLAG_DICTIONARY_ORDERED 1
#    define ARROW_FLAG_NULLABLE           2
#    define ARROW_FLAG_MAP_KEYS_SORTED    4
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

#ifndef ARROW_C_STREAM_INTERFACE
#    define ARROW_C_STREAM_INTERFACE
/* Arrow C Stream Interface (https://arrow.apache.org/docs/format/CStreamInterface.html). */
struct ArrowArrayStream {
    int (*get_schema)(struct ArrowArrayStream *, struct ArrowSchema *out);
    int (*get_next)(struct ArrowArrayStream *, struct ArrowArray *out);
    const char *(*get_last_error)(struct ArrowArrayStream *);
    void (*release)(struct ArrowArrayStream *);
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

/* ---- Snapshots: one committed state for several scans and reports ---- */

/* A snapshot pins one committed version of a store: what it shows never changes, whatever
 * loads commit meanwhile, and the files it needs stay on disk (in every process) until it is
 * closed. Cheap to open (the manifest is cached by the store handle). A snapshot may be used
 * from several threads at once; it keeps its store handle alive (colstore_close() of the
 * store may come first), and scans and Arrow streams keep their snapshot alive likewise. */
typedef struct colstore_snapshot colstore_snapshot; /* opaque */

/* colstore_snapshot_open() - pin the newest committed version. Release with
 * colstore_snapshot_close(). */
COLSTORE_API int
colstore_snapshot_open(colstore_store *store, colstore_snapshot **out, colstore_error *err);
/* colstore_snapshot_open_version() - pin version `version`: the newest, or an older one that
 * another snapshot (in this or another process) still pins, so that cooperating processes
 * (a query's parallel workers) read exactly the state their leader pinned. COLSTORE_EINVAL
 * when the version is no longer on disk. */
COLSTORE_API int colstore_snapshot_open_version(colstore_store *store,
                                                uint64_t version,
                                                colstore_snapshot **out,
                                                colstore_error *err);
/* colstore_snapshot_version() - the commit number it pins (0 for an empty new store). */
COLSTORE_API uint64_t colstore_snapshot_version(const colstore_snapshot *snap);
/* colstore_snapshot_close() - release it (the state stays readable by open scans and streams
 * until they are released too). NULL is a no-op. */
COLSTORE_API void colstore_snapshot_close(colstore_snapshot *snap);
/* colstore_snapshot_report() - colstore_report() on the snapshot's state. */
COLSTORE_API int colstore_snapshot_report(colstore_snapshot *snap,
                                          const char *name,
                                          const colstore_report_params *params,
                                          colstore_result **out,
                                          colstore_error *err);

/* ---- Catalog: tables, columns, partitions ---- */

/* Extensible out-structs: the caller sets `size` (the INIT macros do), the library fills only
 * the fields that fit in it, so a program built against an older header keeps working. */

/* colstore_table_count() / colstore_table_name() - the tables, i < count: the four
 * dimensions, the three fact tables, agg_agent_daily_performance. NULL when i is too big. */
COLSTORE_API size_t colstore_table_count(void);
COLSTORE_API const char *colstore_table_name(size_t i);

#define COLSTORE_NO_COLUMN ((size_t)-1)

typedef struct colstore_table_info {
    size_t size;        /* sizeof(colstore_table_info) */
    const char *name;   /* static */
    bool partitioned;   /* one partition per day (time_key): facts and the aggregate */
    size_t columns;     /* columns, in DDL order (what SELECT * shows) */
    size_t key_columns; /* columns of the primary key: 1, or 2 (agent_key, time_key) */
    size_t key[2];      /* their indexes */
    size_t time_column; /* index of time_key, COLSTORE_NO_COLUMN for a dimension */
    /* From the snapshot; 0 when none was given. */
    uint64_t rows;          /* exact, from the manifest */
    size_t partitions;      /* stored row groups: a day (or a dimension) may have several, see
                             * colstore_partition_describe() */
    int32_t first_time_key; /* YYYYMMDD of the first and last partition (0: none, or a
                             * dimension) */
    int32_t last_time_key;
    uint64_t bytes; /* stored bytes of its partitions */
} colstore_table_info;
#define COLSTORE_TABLE_INFO_INIT                                                 \
    {                                                                            \
        sizeof(colstore_table_info), NULL, false, 0, 0, {0, 0}, 0, 0, 0, 0, 0, 0 \
    }

/* colstore_table_describe() - table `table` (and, when snap is not NULL, its size in that
 * snapshot) into *out. COLSTORE_EINVAL for an unknown table. */
COLSTORE_API int colstore_table_describe(colstore_snapshot *snap,
                                         const char *table,
                                         colstore_table_info *out,
                                         colstore_error *err);

typedef struct colstore_column_info {
    size_t size;          /* sizeof(colstore_column_info) */
    const char *name;     /* static */
    int type;             /* enum colstore_type: SMALLINT, INTEGER, BIGINT, NUMERIC, DATE,
                           * TIMESTAMP, TEXT, BOOL, JSONB or TEXT_ARRAY */
    char pg_type[32];     /* as PostgreSQL's DDL spells it: "integer", "numeric(10,6)",
                           * "timestamptz", "text[]", ... */
    int precision, scale; /* NUMERIC: numeric(precision, scale); 0 otherwise */
    bool nullable;
    bool key;       /* part of the primary key */
    bool generated; /* computed by the engine (fact_training.overall_score) */
} colstore_column_info;
#define COLSTORE_COLUMN_INFO_INIT                                             \
    {                                                                         \
        sizeof(colstore_column_info), NULL, 0, {0}, 0, 0, false, false, false \
    }

/* colstore_column_describe() - column `col` (< colstore_table_info.columns) of `table`. */
COLSTORE_API int colstore_column_describe(const char *table,
                                          size_t col,
                                          colstore_column_info *out,
                                          colstore_error *err);
/* colstore_column_index() - *out = the index of column `column` of `table`. COLSTORE_EINVAL
 * naming the table's columns when there is none. */
COLSTORE_API int
colstore_column_index(const char *table, const char *column, size_t *out, colstore_error *err);

typedef struct colstore_partition_info {
    size_t size;      /* sizeof(colstore_partition_info) */
    int32_t time_key; /* YYYYMMDD; 0 for a dimension */
    uint64_t rows;
    uint64_t bytes;
    /* Added after `bytes` (a caller built before gets the fields up to `bytes`): */
    uint64_t version;   /* the commit (a colstore_snapshot_version()) that wrote the partition
                         * as it is now: the snapshot's own version when its commit did */
    int64_t written_us; /* when that commit wrote it (µs since 1970-01-01 UTC; 0: unknown) */
    uint32_t row_group; /* its number within the day (or the dimension): ascending */
} colstore_partition_info;
#define COLSTORE_PARTITION_INFO_INIT                      \
    {                                                     \
        sizeof(colstore_partition_info), 0, 0, 0, 0, 0, 0 \
    }

/* colstore_partition_describe() - stored partition i (< colstore_table_info.partitions,
 * ordered by time_key, then row_group) of `table` in snap. A day's rows may be stored as
 * several row groups (late rows appended by nightly loads, until compaction merges them), and
 * a dimension as several key-ordered chunks: each is a partition here, with its time_key. */
COLSTORE_API int colstore_partition_describe(colstore_snapshot *snap,
                                             const char *table,
                                             size_t i,
                                             colstore_partition_info *out,
                                             colstore_error *err);

/* The store as a snapshot sees it (colstore_snapshot_describe()). */
typedef struct colstore_snapshot_info {
    size_t size;          /* sizeof(colstore_snapshot_info) */
    uint64_t version;     /* the commit number (colstore_snapshot_version()) */
    int64_t committed_us; /* when it was committed: the manifest file's modification time,
                             * microseconds since 1970-01-01 UTC; 0 for an empty new store */
    int format_version;   /* the store's on-disk format (docs/storage-format.md) */
    uint64_t bytes;       /* on disk: the manifest and the data files this version uses */
    uint64_t live_bytes;  /* of those, the partitions of this version (the rest is the space
                             * of rewritten partitions inside files still in use) */
} colstore_snapshot_info;
#define COLSTORE_SNAPSHOT_INFO_INIT                   \
    {                                                 \
        sizeof(colstore_snapshot_info), 0, 0, 0, 0, 0 \
    }

/* colstore_snapshot_describe() - the snapshot's commit, its time and the store's size. */
COLSTORE_API int colstore_snapshot_describe(colstore_snapshot *snap,
                                            colstore_snapshot_info *out,
                                            colstore_error *err);

/* How one column of one partition is stored (colstore_segment_describe()). */
typedef struct colstore_segment_info {
    size_t size;          /* sizeof(colstore_segment_info) */
    const char *encoding; /* static: "const", "for", "pfor", "delta", "delta-pfor", "bits",
                           * "dict", "plain", "fix16" or "empty" (docs/storage-segments.md) */
    bool lz4;             /* the encoded values are LZ4-compressed */
    uint64_t rows;
    uint64_t nulls;
    uint64_t bytes;     /* on disk, its 64-byte header included */
    uint64_t raw_bytes; /* the encoded values before LZ4 (and without the header) */
} colstore_segment_info;
#define COLSTORE_SEGMENT_INFO_INIT                             \
    {                                                          \
        sizeof(colstore_segment_info), NULL, false, 0, 0, 0, 0 \
    }

/* colstore_segment_describe() - column `col` of partition `i` of `table` in snap. Reads the
 * partition's block header and the segment's header (not its values); COLSTORE_ECORRUPT when
 * those are damaged. */
COLSTORE_API int colstore_segment_describe(colstore_snapshot *snap,
                                           const char *table,
                                           size_t i,
                                           size_t col,
                                           colstore_segment_info *out,
                                           colstore_error *err);

/* ---- Table scans ---- */

/* A constant of a predicate. Compared with a column of a compatible type: SMALLINT /
 * INTEGER / BIGINT / NUMERIC columns take integer (type INT, SMALLINT, INTEGER or BIGINT) and
 * NUMERIC constants, compared exactly (x < 1.5 on an integer column is x <= 1); DATE columns
 * take DATE, TIMESTAMP columns TIMESTAMP, BOOL columns BOOL, TEXT columns TEXT (compared
 * bytewise, as COLLATE "C"; = and <> do not depend on a collation). JSONB and TEXT_ARRAY
 * columns take IS [NOT] NULL only. */
typedef struct colstore_value {
    int type;      /* enum colstore_type; COLSTORE_TYPE_NULL is SQL NULL */
    int scale;     /* NUMERIC: the value is i / 10^scale (0..38) */
    int64_t i;     /* integers; NUMERIC unscaled; DATE days since 1970-01-01; TIMESTAMP
                  * microseconds since 1970-01-01 00:00 UTC; BOOL 0 or 1 */
    const char *s; /* TEXT: len bytes (need not be NUL-terminated) */
    size_t len;
} colstore_value;

/* ---- Results of your own, printed as reports are ---- */

/* A column of colstore_result_new(). */
typedef struct colstore_result_column {
    const char *name; /* copied */
    int type;         /* enum colstore_type: INT (also SMALLINT, INTEGER, BIGINT), NUMERIC,
                       * DATE, TIMESTAMPTZ, TEXT or BOOL */
    int scale;        /* NUMERIC: digits after the point, 0..18 */
} colstore_result_column;

/* colstore_result_new() - an empty result with ncols (1..32) columns, to fill with
 * colstore_result_append() and then read or print (colstore_result_write(): psql's aligned
 * table, psql --csv, JSON) like a report's. Release with colstore_result_free(). */
COLSTORE_API int colstore_result_new(const colstore_result_column *cols,
                                     size_t ncols,
                                     colstore_result **out,
                                     colstore_error *err);
/* colstore_result_append() - add a row: values[0..ncols), each of its column's type (integer
 * types for INT, INT or NUMERIC for NUMERIC, rescaled exactly) or COLSTORE_TYPE_NULL; text is
 * copied. COLSTORE_EINVAL when a value does not fit its column (nothing is added then). */
COLSTORE_API int
colstore_result_append(colstore_result *r, const colstore_value *values, colstore_error *err);

enum colstore_op {
    COLSTORE_OP_EQ = 1, /* column = value */
    COLSTORE_OP_NE = 2,
    COLSTORE_OP_LT = 3,
    COLSTORE_OP_LE = 4,
    COLSTORE_OP_GT = 5,
    COLSTORE_OP_GE = 6,
    COLSTORE_OP_BETWEEN = 7, /* value <= column AND column <= value2 */
    COLSTORE_OP_IN = 8,      /* column IN (values[0..nvalues)); NULLs allowed in the list */
    COLSTORE_OP_IS_NULL = 9, /* column IS NULL */
    COLSTORE_OP_IS_NOT_NULL = 10,
    COLSTORE_OP_BOOL = 11,    /* a boolean column as a condition: WHERE approved */
    COLSTORE_OP_IS_TRUE = 12, /* boolean column IS TRUE (never NULL) */
    COLSTORE_OP_IS_FALSE = 13,
    COLSTORE_OP_AND = 14, /* args[0..nargs), nargs >= 1 */
    COLSTORE_OP_OR = 15,
    COLSTORE_OP_NOT = 16,  /* args[0], nargs == 1 */
    COLSTORE_OP_TRUE = 17, /* constants */
    COLSTORE_OP_FALSE = 18,
};

/* A predicate: a tree of these, evaluated with SQL's three-valued logic (a comparison with
 * NULL is unknown, NOT unknown is unknown); a row is returned when the tree is TRUE. The
 * tree is read by colstore_scan_open() and not kept. */
typedef struct colstore_pred {
    int op;                       /* enum colstore_op */
    size_t column;                /* comparisons: the column's index in the table */
    colstore_value value;         /* EQ .. GE; BETWEEN's low end */
    colstore_value value2;        /* BETWEEN's high end */
    const colstore_value *values; /* IN */
    size_t nvalues;
    const struct colstore_pred *args; /* AND, OR, NOT */
    size_t nargs;
} colstore_pred;

typedef struct colstore_scan_options {
    size_t size;                /* sizeof(colstore_scan_options): start from the INIT macro */
    const size_t *columns;      /* projection: column indexes in the order wanted (repeats
                             * allowed); NULL = every column in table order */
    size_t ncolumns;            /* with columns != NULL; 0 = no column (counting rows) */
    const colstore_pred *where; /* NULL = every row */
    int32_t time_key_min;       /* partitions with time_key in [min, max] (YYYYMMDD); 0 = no */
    int32_t time_key_max;       /* bound. Ignored for dimensions */
    size_t first_partition;     /* partitions [first, first + count) of the table in the */
    size_t partition_count; /* snapshot (see colstore_partition_describe); count 0 = to the end */
} colstore_scan_options;
#define COLSTORE_SCAN_OPTIONS_INIT                               \
    {                                                            \
        sizeof(colstore_scan_options), NULL, 0, NULL, 0, 0, 0, 0 \
    }

typedef struct colstore_scan colstore_scan;   /* opaque */
typedef struct colstore_batch colstore_batch; /* opaque */

/* colstore_scan_open() - a scan of `table` in snap: the partitions in range and in the
 * time_key bounds, less those whose zone maps (per-column min/max and NULL counts) prove that
 * no row passes `where`; only the projected columns and those `where` reads are decoded; rows
 * that fail are never copied. opts may be NULL (every column and row). COLSTORE_EINVAL for an
 * unknown table or column, a predicate a column's type does not take. Release with
 * colstore_scan_close(). A scan belongs to one thread; many scans may share a snapshot (a
 * parallel scan: each worker opens its own on a share of the partitions). */
COLSTORE_API int colstore_scan_open(colstore_snapshot *snap,
                                    const char *table,
                                    const colstore_scan_options *opts,
                                    colstore_scan **out,
                                    colstore_error *err);
/* colstore_scan_next() - the next batch (the passing rows of one partition, in key order), or
 * *out = NULL at the end. A batch stays valid until the next call or colstore_scan_close().
 * COLSTORE_ECORRUPT when the store is damaged. */
COLSTORE_API int
colstore_scan_next(colstore_scan *scan, const colstore_batch **out, colstore_error *err);
/* colstore_scan_partitions() - how many partitions the scan reads (after pruning), and
 * colstore_scan_partition() the snapshot index of the k-th (for first_partition of a
 * one-partition scan: how a parallel leader hands partitions to its workers). */
COLSTORE_API size_t colstore_scan_partitions(const colstore_scan *scan);
COLSTORE_API size_t colstore_scan_partition(const colstore_scan *scan, size_t k);

typedef struct colstore_scan_stats {
    size_t size;                      /* sizeof(colstore_scan_stats) */
    uint64_t partitions_total;        /* partitions of the table in the snapshot */
    uint64_t partitions_out_of_range; /* outside first_partition / partition_count */
    uint64_t partitions_pruned_time;  /* outside the time_key bounds */
    uint64_t partitions_pruned_zone;  /* skipped by zone maps */
    uint64_t partitions_scanned;      /* read so far */
    uint64_t rows_scanned;            /* rows of the partitions read */
    uint64_t rows_returned;           /* rows that passed */
    uint64_t predicates;              /* conditions (leaves of `where`) in the engine */
    uint64_t columns_decoded;         /* column segments decoded */
} colstore_scan_stats;
#define COLSTORE_SCAN_STATS_INIT                               \
    {                                                          \
        sizeof(colstore_scan_stats), 0, 0, 0, 0, 0, 0, 0, 0, 0 \
    }

/* colstore_scan_get_stats() - counts for EXPLAIN, as of now. */
COLSTORE_API int
colstore_scan_get_stats(const colstore_scan *scan, colstore_scan_stats *out, colstore_error *err);
/* colstore_scan_close() - release the scan and its batches. NULL is a no-op. */
COLSTORE_API void colstore_scan_close(colstore_scan *scan);

COLSTORE_API size_t colstore_batch_rows(const colstore_batch *b);
COLSTORE_API size_t colstore_batch_columns(const colstore_batch *b);   /* projected columns */
COLSTORE_API int32_t colstore_batch_time_key(const colstore_batch *b); /* 0: a dimension */
COLSTORE_API size_t colstore_batch_partition(const colstore_batch *b); /* snapshot index */

/* The values of one projected column of a batch, in place (valid as long as the batch). */
typedef struct colstore_column_data {
    size_t size; /* sizeof(colstore_column_data) */
    int type;    /* enum colstore_type, as colstore_column_describe() */
    int scale;   /* NUMERIC */
    size_t rows;
    const uint8_t *nulls;    /* NULL when no row is NULL; else nulls[r] is 1 for a NULL row */
    const int64_t *values;   /* SMALLINT, INTEGER, BIGINT; NUMERIC unscaled; DATE days; TIMESTAMP
                            * microseconds (UTC); 0 on NULL rows */
    const uint8_t *bools;    /* BOOL: 0 or 1 */
    const uint64_t *offsets; /* TEXT, JSONB, TEXT_ARRAY: row r is data[offsets[r] ..
                              * offsets[r + 1]), as PostgreSQL prints it, not NUL-terminated */
    const char *data;
} colstore_column_data;
#define COLSTORE_COLUMN_DATA_INIT                                           \
    {                                                                       \
        sizeof(colstore_column_data), 0, 0, 0, NULL, NULL, NULL, NULL, NULL \
    }

/* colstore_batch_column() - projected column `col` (< colstore_batch_columns()) of b. */
COLSTORE_API int colstore_batch_column(const colstore_batch *b,
                                       size_t col,
                                       colstore_column_data *out,
                                       colstore_error *err);

/* colstore_scan_arrow() - the same scan as an Arrow C Stream: the schema is a struct of the
 * projected columns, each batch one struct array (one partition; a dimension in one batch).
 * Types: SMALLINT int16, INTEGER int32, BIGINT int64, NUMERIC decimal128(p, s), DATE date32,
 * TIMESTAMP timestamp[us, UTC], TEXT utf8, BOOL bool, JSONB utf8 with the extension
 * "arrow.json", TEXT_ARRAY list<utf8> (one-dimensional arrays; a multi-dimensional value is
 * an error of get_next). The stream owns its scan and keeps the snapshot alive; the caller
 * releases it (and each array) through their release callbacks. For one partition, set
 * first_partition and partition_count = 1. */
COLSTORE_API int colstore_scan_arrow(colstore_snapshot *snap,
                                     const char *table,
                                     const colstore_scan_options *opts,
                                     struct ArrowArrayStream *out,
                                     colstore_error *err);

/* colstore_result_to_arrow_stream() - r as an Arrow C stream: get_schema gives the struct
 * schema of colstore_result_to_arrow(), get_next the rows as one struct array and then the end
 * of the stream (a released array). The caller owns the stream (release it with its release
 * callback); it holds copies and stays valid after colstore_result_free(r). */
COLSTORE_API int colstore_result_to_arrow_stream(const colstore_result *r,
                                                 struct ArrowArrayStream *out,
                                                 colstore_error *err);

/* ---- Export to Parquet ---- */

enum colstore_export_format {
    COLSTORE_EXPORT_PARQUET = 1,
};

enum colstore_compression {
    COLSTORE_COMPRESSION_LZ4_RAW = 0, /* LZ4_RAW pages where that pays (the default) */
    COLSTORE_COMPRESSION_NONE = 1,
};

typedef struct colstore_export_options {
    size_t size;               /* sizeof(colstore_export_options): start from the INIT macro */
    int format;                /* enum colstore_export_format */
    const char *const *tables; /* the tables to export; NULL = every table */
    size_t ntables;
    const char *from;      /* "YYYY-MM-DD": first day of the fact partitions and aggregate */
    const char *to;        /* rows exported, and the last; NULL = unbounded. Dimensions are
                                * exported whole */
    int compression;       /* enum colstore_compression */
    unsigned threads;      /* files written at once; 0 = 2 */
    size_t row_group_rows; /* rows of a Parquet row group; 0 = 1,048,576 */
} colstore_export_options;
#define COLSTORE_EXPORT_OPTIONS_INIT                                                   \
    {                                                                                  \
        sizeof(colstore_export_options), COLSTORE_EXPORT_PARQUET, NULL, 0, NULL, NULL, \
            COLSTORE_COMPRESSION_LZ4_RAW, 0, 0                                         \
    }

typedef struct colstore_export_stats {
    size_t size;    /* sizeof(colstore_export_stats) */
    uint64_t files; /* Parquet files written */
    uint64_t rows;
    uint64_t bytes; /* of the Parquet files */
    double seconds;
} colstore_export_stats;
#define COLSTORE_EXPORT_STATS_INIT                  \
    {                                               \
        sizeof(colstore_export_stats), 0, 0, 0, 0.0 \
    }

/* colstore_export() - write the snapshot's tables as Parquet under directory out_dir: each fact
 * table Hive-partitioned by day (out_dir/fact_agent_query/time_key=20250101/part-0.parquet),
 * the dimensions and agg_agent_daily_performance as single files (out_dir/dim_agent.parquet),
 * every column with its PostgreSQL name and type (docs/export-formats.md has the mapping).
 * out_dir must be missing (it is created, its parent must exist), empty, or a previous export
 * of this function: then the files that export created (listed in out_dir/_colstore_export)
 * are removed first, and nothing else in it is touched; a file in the way is never
 * overwritten (COLSTORE_EIO). Every file is synced; `_SUCCESS` is written last, so its
 * presence means the export is complete. On failure the files of this run are removed and
 * there is no `_SUCCESS`. opts and stats may be NULL. */
COLSTORE_API int colstore_export(colstore_snapshot *snap,
                                 const char *out_dir,
                                 const colstore_export_options *opts,
                                 colstore_export_stats *stats,
                                 colstore_error *err);

/* ---- Star queries: scan → filter → star join → group → aggregate → order (colstore_query) ---- */

/* One query over a table (usually a fact table) joined with dimensions on its foreign keys,
 * filtered, grouped and aggregated inside the engine, on the snapshot's state: what the
 * PostgreSQL foreign data wrapper runs for a pushed-down star query, and what a service can run
 * without PostgreSQL. Aggregates return their exact raw values (an average is a SUM and a
 * COUNT; the caller divides as it needs).
 *
 * Columns are named by (rel, column): rel 0 is the query's table, rel j + 1 the dimension of
 * joins[j]; column is the table's column index (colstore_column_index()). */
typedef struct colstore_colref {
    size_t rel;
    size_t column;
} colstore_colref;

/* Group keys may be a DATE or TIMESTAMPTZ column's calendar field, in UTC. */
enum colstore_fn {
    COLSTORE_FN_NONE = 0,       /* the column's value */
    COLSTORE_FN_TRUNC_YEAR = 1, /* date_trunc('year', x): TIMESTAMPTZ */
    COLSTORE_FN_TRUNC_QUARTER = 2,
    COLSTORE_FN_TRUNC_MONTH = 3,
    COLSTORE_FN_TRUNC_WEEK = 4, /* ISO week: Monday */
    COLSTORE_FN_TRUNC_DAY = 5,
    COLSTORE_FN_TRUNC_HOUR = 6,
    COLSTORE_FN_YEAR = 10, /* extract(year FROM x): INT */
    COLSTORE_FN_QUARTER = 11,
    COLSTORE_FN_MONTH = 12,
    COLSTORE_FN_DAY = 13,
    COLSTORE_FN_DOW = 14,    /* 0 = Sunday */
    COLSTORE_FN_ISODOW = 15, /* 7 = Sunday */
    COLSTORE_FN_DOY = 16,
    COLSTORE_FN_HOUR = 17,
    COLSTORE_FN_MINUTE = 18,
    COLSTORE_FN_WEEK = 19, /* ISO week number */
    COLSTORE_FN_ISOYEAR = 20,
    COLSTORE_FN_MONTH_NAME = 30, /* to_char(x, 'Month'): TEXT, padded to 9 */
    COLSTORE_FN_DAY_NAME = 31,   /* to_char(x, 'Day') */
};

typedef struct colstore_group_key {
    colstore_colref col;
    int fn; /* enum colstore_fn */
} colstore_group_key;

enum colstore_agg_kind {
    COLSTORE_AGG_COUNT_ROWS = 1,     /* count(*): INT */
    COLSTORE_AGG_COUNT = 2,          /* count(x): INT */
    COLSTORE_AGG_COUNT_DISTINCT = 3, /* count(DISTINCT x): INT */
    COLSTORE_AGG_SUM = 4,            /* NUMERIC with x's scale (0 for integers); NULL over no
                                      * value; a sum beyond 64 bits is COLSTORE_EINPUT */
    COLSTORE_AGG_MIN = 5,            /* x's type; text bytewise (COLLATE "C") */
    COLSTORE_AGG_MAX = 6,
    COLSTORE_AGG_BOOL_AND = 7, /* BOOL */
    COLSTORE_AGG_BOOL_OR = 8,
    COLSTORE_AGG_PERCENTILE = 9, /* percentile_cont(fraction) WITHIN GROUP (ORDER BY x):
                                      * DOUBLE, as PostgreSQL computes it */
};

typedef struct colstore_aggregate {
    int kind;                    /* enum colstore_agg_kind */
    colstore_colref col;         /* the argument (not COUNT_ROWS) */
    double fraction;             /* PERCENTILE: 0..1 */
    const colstore_pred *filter; /* FILTER (WHERE ...) on the query table's columns; NULL: none */
} colstore_aggregate;

typedef struct colstore_join {
    const char *table;          /* the dimension */
    size_t column;              /* the query table's column (foreign key) ... */
    size_t dim_column;          /* ... equal to this dimension column (its key) */
    bool left;                  /* LEFT JOIN: rows without a match keep NULL dimension values */
    const colstore_pred *where; /* on the dimension's columns, applied before the join; NULL */
} colstore_join;

typedef struct colstore_order_by {
    size_t output; /* result column: the group keys, then the aggregates */
    bool desc;
    bool nulls_first;
} colstore_order_by;

typedef struct colstore_query_spec {
    size_t size; /* sizeof(colstore_query_spec): start from the INIT macro */
    const char *table;
    const colstore_pred *where; /* on the table's columns; NULL: every row */
    int32_t time_key_min;       /* partitions with time_key in [min, max]; 0 = no bound */
    int32_t time_key_max;
    const colstore_join *joins; /* at most 8 */
    size_t njoins;
    const colstore_group_key *group_by; /* at most 8 */
    size_t ngroup_by;
    const colstore_aggregate *aggregates; /* at most 24 (with the keys, 32 outputs) */
    size_t naggregates;
    const colstore_order_by *order_by;
    size_t norder_by;
    int64_t limit;              /* < 0: every row */
    unsigned threads;           /* 0: 2 */
    size_t max_groups;          /* 0: 4,000,000; a query making more fails with COLSTORE_ENOMEM */
    const volatile int *cancel; /* read between partitions: non-zero stops the query with
                                 * COLSTORE_EINVAL "canceled" (NULL: never) */
    bool general;               /* never a kernel: the general scan, join and hash grouping even
                                 * for a query a report's kernel computes (comparisons) */
} colstore_query_spec;
#define COLSTORE_QUERY_SPEC_INIT                                                                  \
    {                                                                                             \
        sizeof(colstore_query_spec), NULL, NULL, 0, 0, NULL, 0, NULL, 0, NULL, 0, NULL, 0, -1, 0, \
            0, NULL, false                                                                        \
    }

/* What a query did (for EXPLAIN). */
typedef struct colstore_query_stats {
    size_t size;
    uint64_t partitions_total, partitions_read, partitions_pruned;
    uint64_t rows_scanned; /* rows of the partitions read */
    uint64_t rows_passed;  /* rows passing `where` */
    uint64_t rows_joined;  /* rows left after the joins */
    uint64_t groups;
    unsigned workers;
    const char *kernel; /* the report kernel that ran the query ("agent-performance",
                         * "approval-queue", "training-quality", "daily-aggregates",
                         * "day-totals": a static string), or NULL: the general scan */
} colstore_query_stats;
#define COLSTORE_QUERY_STATS_INIT                                  \
    {                                                              \
        sizeof(colstore_query_stats), 0, 0, 0, 0, 0, 0, 0, 0, NULL \
    }

/* colstore_query() - run spec on snap: a result with one column per group key (the column's
 * type; calendar functions as above) then one per aggregate, one row per group (one row
 * without group keys, as SQL), ordered by order_by (ties in no particular order) and limited.
 * stats may be NULL. COLSTORE_EINVAL for a malformed spec. */
COLSTORE_API int colstore_query(colstore_snapshot *snap,
                                const colstore_query_spec *spec,
                                colstore_result **out,
                                colstore_query_stats *stats,
                                colstore_error *err);

/* ---- Store lifecycle: retention and backup (docs/api.md) ---- */

typedef struct colstore_retain_options {
    size_t size;               /* sizeof(colstore_retain_options): COLSTORE_RETAIN_OPTIONS_INIT */
    const char *before;        /* "YYYY-MM-DD" (required): the days before it are dropped */
    const char *const *tables; /* fact tables to trim; NULL = all three. Dimensions are kept */
    size_t ntables;
} colstore_retain_options;
#define COLSTORE_RETAIN_OPTIONS_INIT                   \
    {                                                  \
        sizeof(colstore_retain_options), NULL, NULL, 0 \
    }

typedef struct colstore_retain_stats {
    size_t size;                 /* sizeof(colstore_retain_stats): COLSTORE_RETAIN_STATS_INIT */
    uint64_t partitions_dropped; /* fact partitions (days of a fact table) dropped */
    uint64_t rows_dropped;       /* their rows */
    uint64_t agg_days;           /* days whose daily aggregates were dropped or recomputed */
    uint64_t version;            /* the commit made; 0 when there was nothing to drop */
    double seconds;
} colstore_retain_stats;
#define COLSTORE_RETAIN_STATS_INIT                     \
    {                                                  \
        sizeof(colstore_retain_stats), 0, 0, 0, 0, 0.0 \
    }

/* colstore_retain() - drop the day partitions before opts->before of the fact tables (all
 * three, or opts->tables) in one atomic commit, with the daily aggregates of those days: with
 * every fact table trimmed they are dropped; with some, they are recomputed from what stays —
 * the state is that of the same data loaded without those rows. Dimensions are kept. Readers
 * are not blocked: open snapshots keep seeing what they pinned, and a data file is deleted
 * once no live version and no snapshot needs it (docs/storage-format.md §7; a file that also
 * holds kept days stays until compaction rewrites it). Nothing before the date: nothing is
 * committed (stats->version 0). A before that is not a date is COLSTORE_EINPUT ("before:
 * ..."); a missing one, a table that is not a fact table, or a read-only store COLSTORE_EINVAL.
 * stats may be NULL. */
COLSTORE_API int colstore_retain(colstore_store *store,
                                 const colstore_retain_options *opts,
                                 colstore_retain_stats *stats,
                                 colstore_error *err);

typedef struct colstore_backup_options {
    size_t size; /* sizeof(colstore_backup_options): COLSTORE_BACKUP_OPTIONS_INIT */
    bool copy;   /* copy every data file, even where a hard link would do */
} colstore_backup_options;
#define COLSTORE_BACKUP_OPTIONS_INIT           \
    {                                          \
        sizeof(colstore_backup_options), false \
    }

typedef struct colstore_backup_stats {
    size_t size;      /* sizeof(colstore_backup_stats): COLSTORE_BACKUP_STATS_INIT */
    uint64_t version; /* the commit copied (the snapshot's) */
    uint64_t files;   /* data files, of which */
    uint64_t linked;  /* hard-linked (DEST on the store's file system) */
    uint64_t copied;  /* copied */
    uint64_t bytes;   /* their size */
    double seconds;
} colstore_backup_stats;
#define COLSTORE_BACKUP_STATS_INIT                        \
    {                                                     \
        sizeof(colstore_backup_stats), 0, 0, 0, 0, 0, 0.0 \
    }

/* colstore_backup() - write what snap shows as a store of its own in directory dest, while
 * loads go on (the snapshot pins what it copies; no lock is taken, no writer or reader waits):
 * the data files hard-linked where dest is on the store's file system (they are immutable),
 * copied otherwise (or always, with opts->copy), each synced; then the manifest and CURRENT,
 * last, as a commit writes them: until then dest holds no CURRENT and opens as no store. The
 * copy opens, verifies and answers as the snapshot. dest must be missing (created; its parent
 * must exist) or an empty directory; a symlink, a file, a non-empty directory or a place inside
 * the store is COLSTORE_EINVAL, and nothing in it is touched. On failure what this call created
 * is removed again. opts and stats may be NULL. */
COLSTORE_API int colstore_backup(colstore_snapshot *snap,
                                 const char *dest,
                                 const colstore_backup_options *opts,
                                 colstore_backup_stats *stats,
                                 colstore_error *err);

#ifdef __cplusplus
}
#endif
#endif
