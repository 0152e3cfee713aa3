/*
 * Calendar functions of group keys, on timestamps in µs since 1970-01-01 UTC (a DATE is its
 * midnight), as PostgreSQL 15 computes them in a session whose TimeZone is UTC: date_trunc,
 * extract of the integer fields, to_char 'Month' / 'Day' (padded to 9 characters).
 */
#include "query/plan_int.h"

#include "storage/base/pgtext.h"
#include "storage/base/schema.h"

#define US_PER_DAY  INT64_C(86400000000)
#define US_PER_HOUR INT64_C(3600000000)
#define US_PER_MIN  INT64_C(60000000)

static int64_t floor_div(int64_t a, int64_t b)
{
    return cs_floor_div(a, b);
}

static void civil(int64_t days, int64_t *y, int *m, int *d)
{
    unsigned mm, dd;
    cs_civil_from_days(days, y, &mm, &dd);
    *m = (int)mm;
    *d = (int)dd;
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
    return cs_days_from_civil(y, (unsigned)m, (unsigned)d);
}

/* 0 = Sunday, as extract(dow) */
static int dow_of(int64_t days)
{
    return (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
}

/* ISO 8601 week-numbering year and week of a day */
static void iso_week(int64_t days, int64_t *iso_year, int *week)
{
    int64_t y;
    int m, d;
    civil(days, &y, &m, &d);
    const int isodow = dow_of(days) == 0 ? 7 : dow_of(days);
    const int64_t thursday = days - isodow + 4; /* the Thursday of the same week */
    int64_t ty;
    int tm, td;
    civil(thursday, &ty, &tm, &td);
    *iso_year = ty;
    *week = (int)((thursday - days_from_civil(ty, 1, 1)) / 7 + 1);
}

/* PostgreSQL has no year 0: astronomical year y <= 0 is printed and extracted as y - 1. */
static int64_t pg_year(int64_t y)
{
    return y > 0 ? y : y - 1;
}

int64_t cs_cal_apply(int fn, int64_t us)
{
    const int64_t days = floor_div(us, US_PER_DAY);
    int64_t y;
    int m, d;
    civil(days, &y, &m, &d);
    switch (fn) {
    case CS_FN_TRUNC_YEAR:
        return days_from_civil(y, 1, 1) * US_PER_DAY;
    case CS_FN_TRUNC_QUARTER:
        return days_from_civil(y, (m - 1) / 3 * 3 + 1, 1) * US_PER_DAY;
    case CS_FN_TRUNC_MONTH:
        return days_from_civil(y, m, 1) * US_PER_DAY;
    case CS_FN_TRUNC_WEEK: {
        const int isodow = dow_of(days) == 0 ? 7 : dow_of(days);
        return (days - (isodow - 1)) * US_PER_DAY;
    }
    case CS_FN_TRUNC_DAY:
        return days * US_PER_DAY;
    case CS_FN_TRUNC_HOUR:
        return floor_div(us, US_PER_HOUR) * US_PER_HOUR;
    case CS_FN_YEAR:
        return pg_year(y);
    case CS_FN_QUARTER:
        return (m - 1) / 3 + 1;
    case CS_FN_MONTH:
        return m;
    case CS_FN_DAY:
        return d;
    case CS_FN_DOW:
        return dow_of(days);
    case CS_FN_ISODOW:
        return dow_of(days) == 0 ? 7 : dow_of(days);
    case CS_FN_DOY:
        return days - days_from_civil(y, 1, 1) + 1;
    case CS_FN_HOUR:
        return floor_div(us - days * US_PER_DAY, US_PER_HOUR);
    case CS_FN_MINUTE:
        return floor_div(us - floor_div(us, US_PER_HOUR) * US_PER_HOUR, US_PER_MIN);
    case CS_FN_WEEK: {
        int64_t iy;
        int w;
        iso_week(days, &iy, &w);
        return w;
    }
    case CS_FN_ISOYEAR: {
        int64_t iy;
        int w;
        iso_week(days, &iy, &w);
        return pg_year(iy);
    }
    case CS_FN_MONTH_NAME:
        return m - 1;
    case CS_FN_DAY_NAME:
        return dow_of(days);
    default:
        return us;
    }
}

const char *cs_cal_name(int fn, int64_t v)
{
    static const char *const months[12] = {"January  ", "February ", "March    ", "April    ",
                                           "May      ", "June     ", "July     ", "August   ",
                                           "September", "October  ", "November ", "December "};
    static const char *const days[7] = {"Sunday   ", "Monday   ", "Tuesday  ", "Wednesday",
                                        "Thursday ", "Friday   ", "Saturday "};
    if (fn == CS_FN_MONTH_NAME) return v >= 0 && v < 12 ? months[v] : "";
    return v >= 0 && v < 7 ? days[v] : "";
}

int cs_cal_result_type(int fn)
{
    if (fn >= CS_FN_TRUNC_YEAR && fn <= CS_FN_TRUNC_HOUR) return CS_TY_TIMESTAMPTZ;
    if (fn == CS_FN_MONTH_NAME || fn == CS_FN_DAY_NAME) return CS_TY_TEXT;
    return CS_TY_INT8;
}
