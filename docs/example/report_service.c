/*
 * A small "service" embedding colstore: opens a store read-only, runs a report and prints it
 * as JSON (or, with no store argument, prints the library version). Built against the
 * installed library by tests/install/check_install.sh, through pkg-config and find_package.
 *
 *   report_service [STORE_DIR [REPORT [AS_OF]]]
 */
#include <colstore.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        printf("colstore %s (%d)\n", colstore_version(), colstore_version_number());
        return colstore_version_number() == COLSTORE_VERSION_NUMBER ? 0 : 1;
    }
    colstore_error err;
    colstore_store *store = NULL;
    if (colstore_open(argv[1], COLSTORE_READ_ONLY, &store, &err) != COLSTORE_OK) {
        fprintf(stderr, "open: %s\n", err.message);
        return err.code;
    }
    colstore_report_params params = COLSTORE_REPORT_PARAMS_INIT;
    params.as_of = argc > 3 ? argv[3] : NULL;
    colstore_result *result = NULL;
    int rc =
        colstore_report(store, argc > 2 ? argv[2] : "agent-performance", &params, &result, &err);
    if (rc == COLSTORE_OK) rc = colstore_result_write(result, stdout, COLSTORE_OUTPUT_JSON, &err);
    if (rc != COLSTORE_OK) fprintf(stderr, "report: %s\n", err.message);
    colstore_result_free(result);
    colstore_close(store);
    return rc;
}
