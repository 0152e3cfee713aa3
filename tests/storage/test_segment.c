/*
 * Column segments through the public functions of storage/segment.h: every kind round-trips
 * with and without NULLs, all NULL, 0 and 1 rows; the zone map is right; and damage (a bit
 * flip in any byte, any truncation, a wrong kind) is reported as CS_ECORRUPT naming the file.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "seg_test_util.h"
#include "storage/base/limits.h"
#include "storage/codec.h"
#include "storage/hash.h"
#include "storage/segment.h"

static struct cs_col i64_col(const int64_t *v, const int *null, size_t n)
{
    struct cs_col c;
    cs_col_init(&c, CS_K_I64);
    for (size_t i = 0; i < n; i++) {
        if (null != NULL && null[i])
            cr_assert(cs_col_push_null(&c));
        else
            cr_assert(cs_col_push_i64(&c, v[i]));
    }
    return c;
}

static struct cs_col str_col(const char *const *v, size_t n)
{
    struct cs_col c;
    cs_col_init(&c, CS_K_STR);
    for (size_t i = 0; i < n; i++) {
        if (v[i] == NULL)
            cr_assert(cs_col_push_null(&c));
        else
            cr_assert(cs_col_push_str(&c, v[i], strlen(v[i])));
    }
    return c;
}

/* A small column of each kind, with a NULL, for the damage tests. */
static struct cs_col small_col(int kind)
{
    struct cs_col c;
    cs_col_init(&c, kind);
    for (int i = 0; i < 20; i++) {
        if (i % 7 == 3) {
            cr_assert(cs_col_push_null(&c));
            continue;
        }
        uint8_t h[16];
        memset(h, i, sizeof(h));
        char s[16];
        (void)snprintf(s, sizeof(s), "v%d", i % 4);
        switch (kind) {
        case CS_K_I64:
            cr_assert(cs_col_push_i64(&c, 1000 + i * 3));
            break;
        case CS_K_BOOL:
            cr_assert(cs_col_push_bool(&c, i % 3 == 0));
            break;
        case CS_K_STR:
            cr_assert(cs_col_push_str(&c, s, strlen(s)));
            break;
        default:
            cr_assert(cs_col_push_fix16(&c, h));
            break;
        }
    }
    return c;
}

static int type_of(int kind)
{
    switch (kind) {
    case CS_K_I64:
        return CS_TY_INT8;
    case CS_K_BOOL:
        return CS_TY_BOOL;
    case CS_K_STR:
        return CS_TY_TEXT;
    default:
        return CS_TY_HASH16;
    }
}

Test(segment, i64_roundtrips_with_and_without_nulls)
{
    const int64_t v[] = {5, -3, INT64_MAX, INT64_MIN, 0, 42, 42, 7};
    const int nulls[] = {0, 1, 0, 0, 1, 0, 0, 1};
    struct cs_col a = i64_col(v, NULL, 8), b = i64_col(v, nulls, 8);
    roundtrip(&a, CS_TY_INT8);
    roundtrip(&b, CS_TY_INT8);
    cs_col_free(&a);
    cs_col_free(&b);
}

Test(segment, zero_rows_one_row_and_all_null_for_every_kind)
{
    for (int kind = CS_K_I64; kind <= CS_K_FIX16; kind++) {
        struct cs_col c;
        cs_col_init(&c, kind);
        roundtrip(&c, type_of(kind)); /* 0 rows */
        struct cs_col one = small_col(kind);
        one.len = 1; /* first row only */
        one.null_count = 0;
        roundtrip(&one, type_of(kind));
        cr_assert(cs_col_push_null(&c));
        roundtrip(&c, type_of(kind)); /* one NULL row */
        for (int i = 0; i < 99; i++)
            cr_assert(cs_col_push_null(&c));
        int codec = 0;
        roundtrip_opt(&c, type_of(kind), NULL, &codec); /* 100 NULL rows */
        cr_assert_eq(codec, CS_CODEC_EMPTY);
        cs_col_free(&c);
        cs_col_free(&one);
    }
}

Test(segment, bool_roundtrips_with_nulls_and_constants)
{
    struct cs_col c;
    cs_col_init(&c, CS_K_BOOL);
    for (int i = 0; i < 1001; i++) {
        if (i % 5 == 0)
            cr_assert(cs_col_push_null(&c));
        else
            cr_assert(cs_col_push_bool(&c, i % 3 != 0));
    }
    roundtrip(&c, CS_TY_BOOL);
    cs_col_reset(&c);
    for (int i = 0; i < 77; i++)
        cr_assert(cs_col_push_bool(&c, true));
    int codec = 0;
    roundtrip_opt(&c, CS_TY_BOOL, NULL, &codec);
    cr_assert_eq(codec, CS_CODEC_BOOL_CONST);
    cs_col_free(&c);
}

Test(segment, text_roundtrips_empty_long_and_null_strings)
{
    char *big = malloc(200001);
    for (size_t i = 0; i < 200000; i++)
        big[i] = (char)('a' + i % 26);
    big[200000] = '\0';
    const char *v[] = {"", "pending", NULL, big, "", "approved", NULL, "pending", "é\t\n\\"};
    struct cs_col c = str_col(v, 9);
    roundtrip(&c, CS_TY_TEXT);
    const char *empties[] = {"", "", "", NULL, ""};
    struct cs_col e = str_col(empties, 5);
    roundtrip(&e, CS_TY_JSONB);
    cs_col_free(&c);
    cs_col_free(&e);
    free(big);
}

Test(segment, fix16_roundtrips_with_nulls)
{
    struct cs_col c = small_col(CS_K_FIX16);
    roundtrip(&c, CS_TY_HASH16);
    cs_col_free(&c);
}

Test(segment, stats_are_the_zone_map_of_non_null_values)
{
    const int64_t v[] = {-9, 100, -50, 7, 1000};
    const int nulls[] = {0, 0, 0, 0, 1};
    struct cs_col c = i64_col(v, nulls, 5);
    uint8_t *buf;
    size_t len;
    struct cs_seg_stats st, st2;
    struct cs_error err = {0};
    cr_assert_eq(cs_seg_encode(&c, CS_TY_INT8, &buf, &len, &st, &err), CS_OK);
    cr_assert_eq(st.rows, 5);
    cr_assert_eq(st.null_count, 1);
    cr_assert_eq(st.min, -50);
    cr_assert_eq(st.max, 100);
    cr_assert_eq(cs_seg_read_stats(buf, 64, &st2, "t.seg", &err), CS_OK, "%s", err.message);
    cr_assert_eq(memcmp(&st, &st2, sizeof(st)), 0);
    free(buf);
    cs_col_free(&c);

    struct cs_col b;
    cs_col_init(&b, CS_K_BOOL);
    cr_assert(cs_col_push_null(&b));
    cr_assert(cs_col_push_bool(&b, true));
    cr_assert_eq(cs_seg_encode(&b, CS_TY_BOOL, &buf, &len, &st, &err), CS_OK);
    cr_assert_eq(st.min, 1);
    cr_assert_eq(st.max, 1);
    free(buf);
    cr_assert(cs_col_push_bool(&b, false));
    cr_assert_eq(cs_seg_encode(&b, CS_TY_BOOL, &buf, &len, &st, &err), CS_OK);
    cr_assert_eq(st.min, 0);
    cr_assert_eq(st.max, 1);
    free(buf);
    cs_col_free(&b);
}

Test(segment, rejects_a_type_of_another_kind)
{
    struct cs_col c = small_col(CS_K_I64);
    uint8_t *buf;
    size_t len;
    struct cs_error err = {0};
    cr_assert_eq(cs_seg_encode(&c, CS_TY_TEXT, &buf, &len, NULL, &err), CS_EINVAL);
    cr_assert_eq(cs_seg_encode(&c, 99, &buf, &len, NULL, &err), CS_EINVAL);
    cs_col_free(&c);
}

Test(segment, decoding_into_a_column_of_another_kind_is_corruption)
{
    struct cs_col c = small_col(CS_K_I64), out;
    uint8_t *buf;
    size_t len;
    struct cs_error err = {0};
    cr_assert_eq(cs_seg_encode(&c, CS_TY_INT8, &buf, &len, NULL, &err), CS_OK);
    cs_col_init(&out, CS_K_STR);
    cr_assert_eq(cs_seg_decode(buf, len, &out, "x.seg", &err), CS_ECORRUPT);
    cr_assert_str_eq(err.message, "x.seg: segment holds i64 values, the column is text");
    free(buf);
    cs_col_free(&c);
    cs_col_free(&out);
}

Test(segment, reports_checksum_mismatch_naming_the_file)
{
    struct cs_col c = small_col(CS_K_STR), out;
    uint8_t *buf;
    size_t len;
    struct cs_error err = {0};
    cr_assert_eq(cs_seg_encode(&c, CS_TY_TEXT, &buf, &len, NULL, &err), CS_OK);
    buf[len - 1] ^= 0x10;
    cs_col_init(&out, CS_K_STR);
    cr_assert_eq(cs_seg_decode(buf, len, &out, "fact_x.seg", &err), CS_ECORRUPT);
    cr_assert_str_eq(err.message, "fact_x.seg: checksum mismatch");
    cr_assert_eq(cs_seg_check(buf, len - 1, "fact_x.seg", &err), CS_ECORRUPT);
    cr_assert_eq(strncmp(err.message, "fact_x.seg: truncated", 21), 0, "%s", err.message);
    free(buf);
    cs_col_free(&c);
    cs_col_free(&out);
}

/* A long-tailed i64 column over two PFOR blocks (the second partial), with NULLs: small
 * values, a few exceptions of several widths, negatives. */
static struct cs_col tail_col(void)
{
    struct cs_col c;
    cs_col_init(&c, CS_K_I64);
    for (int i = 0; i < 150; i++) {
        if (i % 11 == 5) {
            cr_assert(cs_col_push_null(&c));
            continue;
        }
        int64_t v = -40 + i % 13;
        if (i % 37 == 2) v = (int64_t)1 << (20 + i % 30);
        if (i == 140) v = INT64_MIN;
        cr_assert(cs_col_push_i64(&c, v));
    }
    return c;
}

/* Encode kind's small column (or, for i64 codecs, the long-tailed one) with the given codec
 * and compression mode, then flip each bit of each byte in turn: check and decode must both
 * say CS_ECORRUPT. */
static void flip_every_bit_codec(int kind, int codec, int compression)
{
    struct cs_col c = codec == CS_CODEC_AUTO ? small_col(kind) : tail_col(), out;
    const struct cs_seg_encode_opts opts = {codec, compression};
    uint8_t *buf;
    size_t len;
    struct cs_error err = {0};
    cr_assert_eq(cs_seg_encode_opt(&c, type_of(kind), &opts, &buf, &len, NULL, &err), CS_OK);
    cr_assert_eq(cs_seg_compression(buf, len), compression > 0 ? CS_COMP_LZ4 : CS_COMP_NONE);
    cs_col_init(&out, kind);
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            buf[i] ^= (uint8_t)(1u << bit);
            cr_assert_eq(cs_seg_check(buf, len, "f.seg", &err), CS_ECORRUPT, "byte %zu", i);
            cr_assert_eq(cs_seg_decode(buf, len, &out, "f.seg", &err), CS_ECORRUPT,
                         "kind %d byte %zu bit %d", kind, i, bit);
            cr_assert_eq(strncmp(err.message, "f.seg: ", 7), 0, "%s", err.message);
            buf[i] ^= (uint8_t)(1u << bit);
        }
    }
    cr_assert_eq(cs_seg_decode(buf, len, &out, "f.seg", &err), CS_OK);
    assert_cols_equal(&c, &out);
    free(buf);
    cs_col_free(&c);
    cs_col_free(&out);
}

/* The i64 codecs forced in the damage tests, beside each kind's choice for its small column. */
static const int i64_codecs[] = {CS_CODEC_I64_FOR, CS_CODEC_I64_DELTA, CS_CODEC_I64_PFOR,
                                 CS_CODEC_I64_DELTA_PFOR};
#define N_I64_CODECS (sizeof(i64_codecs) / sizeof(i64_codecs[0]))

Test(segment, corrupt_bit_flip_in_every_byte_is_detected)
{
    for (int kind = CS_K_I64; kind <= CS_K_FIX16; kind++) {
        flip_every_bit_codec(kind, CS_CODEC_AUTO, -1);
        flip_every_bit_codec(kind, CS_CODEC_AUTO, 1);
    }
    for (size_t k = 0; k < N_I64_CODECS; k++) {
        flip_every_bit_codec(CS_K_I64, i64_codecs[k], -1);
        flip_every_bit_codec(CS_K_I64, i64_codecs[k], 1);
    }
}

Test(segment, corrupt_every_truncation_is_detected)
{
    const size_t kinds = CS_K_FIX16 - CS_K_I64 + 1; /* each kind's choice, then forced codecs */
    for (size_t round = 0; round < kinds + N_I64_CODECS; round++) {
        const bool forced = round >= kinds;
        const int kind = forced ? CS_K_I64 : CS_K_I64 + (int)round;
        const int codec = forced ? i64_codecs[round - kinds] : CS_CODEC_AUTO;
        for (int comp = -1; comp <= 1; comp += 2) {
            struct cs_col c = forced ? tail_col() : small_col(kind), out;
            const struct cs_seg_encode_opts opts = {codec, comp};
            uint8_t *buf;
            size_t len;
            struct cs_error err = {0};
            cr_assert_eq(cs_seg_encode_opt(&c, type_of(kind), &opts, &buf, &len, NULL, &err),
                         CS_OK);
            cs_col_init(&out, kind);
            for (size_t cut = 0; cut < len; cut++) {
                /* A copy of exactly `cut` bytes, so that ASan sees any over-read. */
                uint8_t *t = malloc(cut > 0 ? cut : 1);
                memcpy(t, buf, cut);
                cr_assert_eq(cs_seg_decode(t, cut, &out, "t.seg", &err), CS_ECORRUPT);
                cr_assert_eq(cs_seg_check(t, cut, "t.seg", &err), CS_ECORRUPT);
                free(t);
            }
            free(buf);
            cs_col_free(&c);
            cs_col_free(&out);
        }
    }
}

Test(segment, read_stats_needs_only_a_sane_header)
{
    struct cs_seg_stats st;
    struct cs_error err = {0};
    uint8_t junk[64] = {0};
    cr_assert_eq(cs_seg_read_stats(junk, 64, &st, "j.seg", &err), CS_ECORRUPT);
    cr_assert_str_eq(err.message, "j.seg: not a column segment (bad magic)");
    cr_assert_eq(cs_seg_read_stats(junk, 10, &st, "j.seg", &err), CS_ECORRUPT);
    cr_assert_eq(cs_seg_check(NULL, 0, NULL, &err), CS_ECORRUPT);
}

Test(segment, picks_light_encodings_for_realistic_columns)
{
    struct cs_col ts, status;
    cs_col_init(&ts, CS_K_I64);
    cs_col_init(&status, CS_K_STR);
    const char *names[] = {"pending", "approved", "rejected", "expired"};
    uint64_t seed = 42;
    int64_t t = 1741046400000000;
    for (int i = 0; i < 30000; i++) {
        t += (int64_t)(test_rand(&seed) % 5000000);
        cr_assert(cs_col_push_i64(&ts, t));
        const char *s = names[test_rand(&seed) % 4];
        cr_assert(cs_col_push_str(&status, s, strlen(s)));
    }
    int codec = 0;
    size_t len = roundtrip_opt(&ts, CS_TY_TIMESTAMPTZ, NULL, &codec);
    cr_assert_eq(codec, CS_CODEC_I64_DELTA);
    cr_assert_lt(len, 30000 * 3, "timestamps: %zu bytes", len);
    len = roundtrip_opt(&status, CS_TY_TEXT, NULL, &codec);
    cr_assert_eq(codec, CS_CODEC_STR_DICT);
    cr_assert_lt(len, 30000 / 3, "status: %zu bytes", len);
    cs_col_free(&ts);
    cs_col_free(&status);
}

/* The segment checksum is XXH3_64bits whichever code computes it (AVX2 where the CPU has it,
 * else libxxhash): every length up to 1,100 (each of XXH3's size classes and stripe tails), a
 * few large ones, and unaligned starts. */
Test(segment, checksum_equals_libxxhash_with_and_without_simd)
{
    enum { N = 70000 };
    uint8_t *buf = malloc(N + 8);
    uint64_t seed = 5;
    for (size_t i = 0; i < N + 8; i++)
        buf[i] = (uint8_t)test_rand(&seed);
    const size_t big[] = {4096, 16384, 65536, 65537, N};
    for (int simd = 1; simd >= 0; simd--) {
        (void)cs_seg_hash_simd(simd != 0);
        for (size_t len = 0; len <= 1100; len++)
            cr_assert_eq(cs_seg_hash(buf + len % 8, len), XXH3_64bits(buf + len % 8, len),
                         "simd %d len %zu", simd, len);
        for (size_t k = 0; k < sizeof(big) / sizeof(big[0]); k++)
            cr_assert_eq(cs_seg_hash(buf + 3, big[k]), XXH3_64bits(buf + 3, big[k]),
                         "simd %d len %zu", simd, big[k]);
    }
    (void)cs_seg_hash_simd(true);
    free(buf);
}
