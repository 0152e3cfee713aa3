/* Shared pieces of the command-line tools: exit codes and option helpers (colstore.h only). */
#ifndef CS_TOOLS_CLI_H
#define CS_TOOLS_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/colstore.h"

/* Exit codes (SPEC 3.3). */
enum { CLI_OK = 0, CLI_INPUT = 1, CLI_USAGE = 2, CLI_IO = 3, CLI_CORRUPT = 4 };

/* cli_exit_code() - the exit code for a colstore status code. */
int cli_exit_code(int code);
/* cli_store_dir() - the --store value, or $COLSTORE_DIR, or NULL. */
const char *cli_store_dir(const char *opt);
/* cli_parse_int() - a decimal integer in [lo, hi]; false otherwise. */
bool cli_parse_int(const char *s, long lo, long hi, long *out);
/* cli_parse_utc() - "YYYY-MM-DD[ HH:MM:SS[.ffffff]][+00]" as UTC microseconds since 1970. */
bool cli_parse_utc(const char *s, int64_t *out_us);

#endif
