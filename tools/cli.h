/*
 * Shared pieces of the command-line tools: argument parsing through getopt_long, exit codes,
 * messages and value helpers. Depends on nothing but libc and the macros of engine/colstore.h,
 * so that colgen (which links no engine code) uses it too.
 *
 * A tool describes its options in a table (struct cli_opt); an option's index in that table is
 * its id. cli_parse() accepts `--opt value`, `--opt=value`, unambiguous prefixes, `--` (the
 * rest are operands) and operands anywhere among the options, and answers --help and
 * --version itself. A subcommand (a report, `dump`, `info`, ...) then says which options apply
 * to it with cli_only(); an option given to a subcommand it does not apply to is an error.
 */
#ifndef CS_TOOLS_CLI_H
#define CS_TOOLS_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/colstore.h"

/* Exit codes, the same for every tool (docs/cli.md). */
enum { CLI_OK = 0, CLI_INPUT = 1, CLI_USAGE = 2, CLI_IO = 3, CLI_CORRUPT = 4 };

/* One long option. */
struct cli_opt {
    const char *name; /* without the leading "--" */
    const char *arg;  /* the value's name in messages ("DIR"); NULL: a flag without a value */
};

#define CLI_MAX_OPTS 48

struct cli {
    const char *prog;          /* "colload": the prefix of every message */
    const char *usage;         /* the --help text */
    const struct cli_opt *opt; /* the tool's option table */
    int nopt;
    const char
        *val[CLI_MAX_OPTS]; /* the value of each option given (the last one); "" for a flag */
    int npos;               /* operands, in order */
    char **pos;
};

/* Bit of option id in a cli_only() mask. */
#define CLI_BIT(id) (UINT64_C(1) << (id))

/* cli_parse() - parse argv into c (c->prog, c->usage, c->opt, c->nopt set by the caller).
 * Returns -1 when the tool should go on; otherwise the exit code to return at once: 0 after
 * --help or --version, CLI_USAGE after an unknown option or a missing value (already said on
 * stderr, followed by "Try 'prog --help'."). */
int cli_parse(struct cli *c, int argc, char **argv);

/* cli_given() - whether option id was on the command line. */
bool cli_given(const struct cli *c, int id);

/* cli_only() - CLI_USAGE, with "--NAME does not apply to WHAT", when an option outside `allowed`
 * was given; -1 otherwise. */
int cli_only(const struct cli *c, uint64_t allowed, const char *what);

/* cli_usage() - print "prog: MESSAGE" and the --help hint on stderr; returns CLI_USAGE. */
int cli_usage(const struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* cli_error() - print "prog: MESSAGE" on stderr; returns code. */
int cli_error(const struct cli *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* cli_fail() - print "prog: " and err's message on stderr; returns the exit code of rc. */
int cli_fail(const struct cli *c, int rc, const colstore_error *err);

/* cli_exit_code() - the exit code for a colstore status code. */
int cli_exit_code(int code);

/* cli_unknown_name() - CLI_USAGE after `unknown KIND "NAME"; did you mean "X"?` and the list of
 * valid names (names[0..n)). */
int cli_unknown_name(
    const struct cli *c, const char *kind, const char *name, const char *const *names, int n);

/* cli_nearest() - the name of names[0..n) nearest to s (edit distance), or NULL when none is
 * close enough to be a likely typo. */
const char *cli_nearest(const char *s, const char *const *names, int n);

/* cli_store_dir() - the --store value, or $COLSTORE_DIR, or NULL. */
const char *cli_store_dir(const char *opt);

/* cli_parse_int() - a decimal integer in [lo, hi]; false otherwise. */
bool cli_parse_int(const char *s, long lo, long hi, long *out);

/* cli_date_text() - day number (days since 1970-01-01) as "YYYY-MM-DD" in out. */
void cli_date_text(int64_t days, char out[16]);

/* cli_key_days() - a time_key (YYYYMMDD) as a day number. */
int64_t cli_key_days(int32_t time_key);

/* cli_huge_heap() - for a tool that allocates tens of MB (colload): its malloc heap in one
 * region backed by transparent huge pages where the kernel gives them on request
 * (/sys/kernel/mm/transparent_hugepage/enabled = madvise or always), so that each 2 MiB of fresh
 * memory costs one page fault instead of 512 (the nightly job spent more time in page faults
 * than in any function of its own). Every thread allocates from that heap (one arena), blocks
 * up to 32 MiB come from it rather than from mappings of their own, and freed memory is kept
 * for reuse. Best effort: nothing changes where the kernel or the C library says no. */
void cli_huge_heap(void);

#endif
