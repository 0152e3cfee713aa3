/* Parsing of parameter values for callers (colstore_parse_*): the checks export values get. */
#include "engine/engine.h"

#include <string.h>

#include "etl/value_parse.h"

int colstore_parse_date(const char *text, int32_t *out_days, colstore_error *err)
{
    struct cs_error e = {0};
    int64_t days = 0;
    int rc = CS_OK;
    if (text == NULL || out_days == NULL)
        rc = cs_error_set(&e, CS_EINVAL, "parse_date: text and out_days are required");
    else if (!cs_engine_parse_date(text, &days))
        rc = cs_error_set(&e, CS_EINPUT, "invalid date \"%s\" (expected YYYY-MM-DD)", text);
    else
        *out_days = (int32_t)days;
    return cs_engine_return(err, rc, &e);
}

int colstore_parse_timestamptz(const char *text, int64_t *out_us, colstore_error *err)
{
    struct cs_error e = {0};
    char why[CS_VP_WHY_SIZE];
    int rc = CS_OK;
    if (text == NULL || out_us == NULL)
        rc = cs_error_set(&e, CS_EINVAL, "parse_timestamptz: text and out_us are required");
    else if (!cs_vp_timestamptz(text, strlen(text), out_us, why))
        rc = cs_error_set(&e, CS_EINPUT, "invalid timestamptz \"%s\": %s", text, why);
    return cs_engine_return(err, rc, &e);
}
