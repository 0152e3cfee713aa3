/*
 * The value codecs of storage/codec.h, each forced in turn: bit packing at every width and
 * length (the tail path included), FOR/DELTA/PFOR/DELTA_PFOR at the edges of int64
 * (INT64_MIN/MAX, ranges wider than INT64_MAX, wrapping deltas), PFOR blocks at every width
 * and around every block boundary, with exceptions and all-NULL blocks, BOOL/STR/FIX16 codecs
 * with and without NULLs and LZ4, forced codecs that cannot represent a column, and damaged
 * sections behind a valid checksum.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seg_test_util.h"
#include "storage/codec.h"
#include "storage/segment.h"

Test(codec, bitpack_roundtrips_every_width_and_length)
{
    uint64_t seed = 7;
    uint64_t in[300], out[300];
    for (unsigned w = 0; w <= 64; w++) {
        const uint64_t mask = w == 64 ? ~(uint64_t)0 : (((uint64_t)1 << w) - 1);
        for (size_t n = 0; n <= 300; n += (n < 40 ? 1 : 37)) {
            for (size_t i = 0; i < n; i++) {
                in[i] = test_rand(&seed) & mask;
                if (i % 5 == 0) in[i] = mask; /* all ones at this width */
            }
            const size_t bytes = cs_bitpack_bytes(n, w);
            /* Exactly `bytes` bytes on the heap, so that ASan catches any over-read. */
            uint8_t *buf = malloc(bytes + 1);
            cs_bitpack_pack(in, n, w, 0, buf);
            uint8_t *exact = malloc(bytes > 0 ? bytes : 1);
            memcpy(exact, buf, bytes);
            cs_bitpack_unpack(exact, n, w, 0, out);
            for (size_t i = 0; i < n; i++)
                cr_assert_eq(out[i], in[i], "w %u n %zu i %zu", w, n, i);
            if (n > 0 && (n * w) % 8 != 0)
                cr_assert_eq(exact[bytes - 1] >> ((n * w) % 8), 0, "unused bits are zero");
            free(buf);
            free(exact);
        }
    }
}

Test(codec, bitpack_unpack_u8_equals_unpack_for_widths_to_8)
{
    uint64_t seed = 11;
    uint64_t in[300];
    uint8_t out[300];
    for (unsigned w = 0; w <= 8; w++) {
        const uint64_t mask = ((uint64_t)1 << w) - 1;
        for (size_t n = 0; n <= 300; n += (n < 140 ? 1 : 23)) {
            for (size_t i = 0; i < n; i++)
                in[i] = test_rand(&seed) & mask;
            const size_t bytes = cs_bitpack_bytes(n, w);
            uint8_t *exact = malloc(bytes > 0 ? bytes : 1); /* ASan: no read past the end */
            cs_bitpack_pack(in, n, w, 0, exact);
            memset(out, 0xAA, sizeof(out));
            const uint8_t add = (uint8_t)(n * 7); /* wraps modulo 256 too */
            cs_bitpack_unpack_u8(exact, n, w, add, out);
            for (size_t i = 0; i < n; i++)
                cr_assert_eq(out[i], (uint8_t)(in[i] + add), "w %u n %zu i %zu", w, n, i);
            for (size_t i = n; i < 300; i++)
                cr_assert_eq(out[i], 0xAA, "w %u n %zu: wrote past n", w, n);
            free(exact);
        }
    }
}

/* A PFOR block's 128 values at every width, through the SIMD code (where the CPU has it) and
 * the scalar code, equal to cs_bitpack_unpack(); the packed bytes end the allocation (ASan). */
Test(codec, bitpack_unpack128_simd_and_scalar_equal_unpack)
{
    uint64_t seed = 13;
    uint64_t in[128], want[128], got[128];
    for (unsigned w = 0; w <= 64; w++) {
        const uint64_t mask = w == 64 ? ~(uint64_t)0 : (((uint64_t)1 << w) - 1);
        for (int round = 0; round < 4; round++) {
            for (size_t i = 0; i < 128; i++)
                in[i] = round == 0 ? mask : test_rand(&seed) & mask;
            const size_t bytes = cs_bitpack_bytes(128, w);
            uint8_t *exact = malloc(bytes > 0 ? bytes : 1);
            cs_bitpack_pack(in, 128, w, 0, exact);
            const uint64_t base = round == 3 ? UINT64_MAX - 5 : (uint64_t)round * 1000;
            cs_bitpack_unpack(exact, 128, w, base, want);
            for (int simd = 1; simd >= 0; simd--) {
                (void)cs_bitpack_simd(simd != 0);
                memset(got, 0xAA, sizeof(got));
                cs_bitpack_unpack128(exact, w, base, got);
                for (size_t i = 0; i < 128; i++)
                    cr_assert_eq(got[i], want[i], "w %u round %d simd %d i %zu", w, round, simd, i);
            }
            (void)cs_bitpack_simd(true);
            free(exact);
        }
    }
}

Test(codec, bitpack_applies_the_base_modulo_2_64)
{
    const uint64_t in[] = {UINT64_MAX, 0, 5};
    uint8_t buf[32];
    uint64_t out[3];
    cs_bitpack_pack(in, 3, 64, 10, buf);
    cs_bitpack_unpack(buf, 3, 64, 10, out);
    cr_assert_eq(memcmp(in, out, sizeof(in)), 0);
    cr_assert_eq(cs_bitpack_width(0), 0);
    cr_assert_eq(cs_bitpack_width(1), 1);
    cr_assert_eq(cs_bitpack_width(UINT64_MAX), 64);
    cr_assert_eq(cs_bitpack_width((uint64_t)1 << 62), 63);
}

static struct cs_col i64_of(const int64_t *v, size_t n, int null_every)
{
    struct cs_col c;
    cs_col_init(&c, CS_K_I64);
    for (size_t i = 0; i < n; i++) {
        if (null_every > 0 && i % (size_t)null_every == 1)
            cr_assert(cs_col_push_null(&c));
        else
            cr_assert(cs_col_push_i64(&c, v[i]));
    }
    return c;
}

/* Round-trip v with the codec forced, with and without NULLs and LZ4. */
static void force_i64(const int64_t *v, size_t n, int codec)
{
    for (int null_every = 0; null_every <= 3; null_every += 3) {
        for (int comp = -1; comp <= 1; comp += 2) {
            struct cs_col c = i64_of(v, n, null_every);
            const struct cs_seg_encode_opts opts = {codec, comp};
            int got = 0;
            roundtrip_opt(&c, CS_TY_INT8, &opts, &got);
            cr_assert_eq(got, codec);
            cs_col_free(&c);
        }
    }
}

Test(codec, i64_for_and_delta_at_the_edges_of_int64)
{
    const int64_t edges[] = {INT64_MIN, INT64_MAX, -1, 0, 1, INT64_MIN + 1, INT64_MAX - 1, -7};
    static const int codecs[] = {CS_CODEC_I64_FOR, CS_CODEC_I64_DELTA, CS_CODEC_I64_PFOR,
                                 CS_CODEC_I64_DELTA_PFOR};
    const int64_t neg[] = {-100, -90, -95, -1000, -5};
    for (size_t k = 0; k < 4; k++) {
        force_i64(edges, 8, codecs[k]); /* max - min overflows int64: width 64; deltas wrap */
        force_i64(neg, 5, codecs[k]);
        force_i64(edges, 1, codecs[k]);
    }
    int64_t w63[40], w1[40], seq[40];
    for (int i = 0; i < 40; i++) {
        w63[i] = i % 2 ? INT64_MAX / 2 + i : -(INT64_MAX / 2) - i; /* range needs 63/64 bits */
        w1[i] = 1000 + i % 2;
        seq[i] = 5000000 + i;
    }
    for (size_t k = 0; k < 4; k++) {
        force_i64(w63, 40, codecs[k]);
        force_i64(w1, 40, codecs[k]);
        force_i64(seq, 40, codecs[k]);
        force_i64(seq, 1, codecs[k]);
    }
    force_i64(seq, 1, CS_CODEC_I64_CONST);
}

/* Values of about w bits around a base: mostly below 2^(w/2), one in 9 of w bits, and every
 * 41st INT64_MIN or INT64_MAX when w is 64 (exceptions of every high width). */
static void long_tail(int64_t *v, size_t n, unsigned w, int64_t base, uint64_t *seed)
{
    const uint64_t mask = w == 64 ? ~(uint64_t)0 : (((uint64_t)1 << w) - 1);
    const uint64_t small = w == 0 ? 0 : (((uint64_t)1 << (w / 2)) - 1);
    for (size_t i = 0; i < n; i++) {
        const uint64_t r = test_rand(seed);
        uint64_t x = r % 9 == 0 ? test_rand(seed) & mask : test_rand(seed) & small;
        if (i % 9 == 4) x = mask; /* all ones at this width */
        v[i] = (int64_t)((uint64_t)base + x);
        if (w == 64 && i % 41 == 7) v[i] = i % 2 ? INT64_MIN : INT64_MAX;
    }
}

Test(codec, pfor_roundtrips_every_width_around_block_boundaries)
{
    static const size_t sizes[] = {1, 2, 127, 128, 129, 255, 256, 257, 3 * 128 + 5};
    static int64_t v[3 * 128 + 5];
    uint64_t seed = 21;
    for (unsigned w = 0; w <= 64; w++) {
        for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
            const int64_t base = w % 3 == 0 ? -5000 : (w % 3 == 1 ? INT64_MIN / 3 : 77);
            long_tail(v, sizes[si], w, base, &seed);
            force_i64(v, sizes[si], CS_CODEC_I64_PFOR);
            force_i64(v, sizes[si], CS_CODEC_I64_DELTA_PFOR);
        }
    }
    /* Running sums of the long tail: DELTA_PFOR's exceptions are the deltas. */
    int64_t t = INT64_MAX - 1000000;
    for (size_t i = 0; i < 3 * 128 + 5; i++) {
        t -= (int64_t)(test_rand(&seed) % (i % 50 == 3 ? 1000000000u : 1000u));
        v[i] = t;
    }
    force_i64(v, 3 * 128 + 5, CS_CODEC_I64_DELTA_PFOR);
    force_i64(v, 3 * 128 + 5, CS_CODEC_I64_PFOR);
}

Test(codec, pfor_blocks_that_are_all_null_or_all_equal)
{
    enum { N = 5 * 128 + 3 };
    for (int codec = CS_CODEC_I64_PFOR; codec <= CS_CODEC_I64_DELTA_PFOR; codec++) {
        for (int comp = -1; comp <= 1; comp += 2) {
            struct cs_col c;
            cs_col_init(&c, CS_K_I64);
            for (size_t i = 0; i < N; i++) {
                if ((i >= 128 && i < 256) || i >= 4 * 128 || i == 0) /* leading NULL too */
                    cr_assert(cs_col_push_null(&c));
                else
                    cr_assert(cs_col_push_i64(&c, i < 384 ? 42 : -(int64_t)i * 1000003));
            }
            const struct cs_seg_encode_opts opts = {codec, comp};
            int got = 0;
            roundtrip_opt(&c, CS_TY_INT8, &opts, &got);
            cr_assert_eq(got, codec);
            cs_col_free(&c);
        }
    }
}

Test(codec, pfor_chosen_for_long_tails_and_smaller_than_for)
{
    /* Latencies: a few hundred ms, one in 200 a timeout of minutes. */
    enum { N = 30000 };
    static int64_t v[N];
    uint64_t seed = 5;
    for (size_t i = 0; i < N; i++)
        v[i] = 50 + (int64_t)(test_rand(&seed) % 1000) +
               (i % 200 == 17 ? (int64_t)(test_rand(&seed) % 600000) : 0);
    struct cs_col c = i64_of(v, N, 0);
    int codec = 0;
    const size_t len = roundtrip_opt(&c, CS_TY_INT4, NULL, &codec);
    cr_assert_eq(codec, CS_CODEC_I64_PFOR);
    const struct cs_seg_encode_opts for_opts = {CS_CODEC_I64_FOR, -1};
    const size_t for_len = roundtrip_opt(&c, CS_TY_INT4, &for_opts, NULL);
    cr_assert_lt(len * 10, for_len * 11 / 2, "PFOR %zu bytes, FOR %zu", len, for_len);
    cs_col_free(&c);
    /* Timestamps: gaps of up to a second, one in 300 a pause of an hour. */
    int64_t t = 1741046400000000;
    for (size_t i = 0; i < N; i++) {
        t += (int64_t)(test_rand(&seed) % 1000000) +
             (i % 300 == 5 ? (int64_t)(test_rand(&seed) % 3600000000u) : 0);
        v[i] = t;
    }
    c = i64_of(v, N, 0);
    roundtrip_opt(&c, CS_TY_TIMESTAMPTZ, NULL, &codec);
    cr_assert_eq(codec, CS_CODEC_I64_DELTA_PFOR);
    cs_col_free(&c);
}

Test(codec, i64_choice_is_const_for_delta_or_for)
{
    int64_t v[1000];
    uint64_t seed = 3;
    int codec = 0;
    for (int i = 0; i < 1000; i++)
        v[i] = -12;
    struct cs_col c = i64_of(v, 1000, 3);
    size_t len = roundtrip_opt(&c, CS_TY_INT8, NULL, &codec);
    cr_assert_eq(codec, CS_CODEC_I64_CONST);
    cs_col_free(&c);
    for (int i = 0; i < 1000; i++)
        v[i] = 77000 + i; /* sequential keys */
    c = i64_of(v, 1000, 0);
    len = roundtrip_opt(&c, CS_TY_INT8, NULL, &codec);
    cr_assert_eq(codec, CS_CODEC_I64_DELTA);
    cr_assert_lt(len, 100, "sequential keys: %zu bytes", len);
    cs_col_free(&c);
    for (int i = 0; i < 1000; i++)
        v[i] = (int64_t)(test_rand(&seed) % 3000);
    c = i64_of(v, 1000, 0);
    len = roundtrip_opt(&c, CS_TY_INT4, NULL, &codec);
    cr_assert_eq(codec, CS_CODEC_I64_FOR);
    cr_assert_leq(len, 64 + 9 + 1000 * 12 / 8);
    cs_col_free(&c);
}

Test(codec, forced_codec_that_cannot_represent_the_column_is_einval)
{
    const int64_t v[] = {1, 2};
    struct cs_col c = i64_of(v, 2, 0);
    const struct cs_seg_encode_opts opts[] = {
        {CS_CODEC_I64_CONST, 0}, {CS_CODEC_STR_DICT, 0}, {CS_CODEC_EMPTY, 0}};
    for (size_t i = 0; i < 3; i++) {
        uint8_t *buf = NULL;
        size_t len = 0;
        struct cs_error err = {0};
        cr_assert_eq(cs_seg_encode_opt(&c, CS_TY_INT8, &opts[i], &buf, &len, NULL, &err), CS_EINVAL,
                     "%zu", i);
        cr_assert_null(buf);
    }
    cs_col_free(&c);
}

Test(codec, bool_const_and_bits_with_nulls)
{
    for (int n = 1; n <= 70; n += 3) {
        for (int comp = -1; comp <= 1; comp += 2) {
            struct cs_col c;
            cs_col_init(&c, CS_K_BOOL);
            for (int i = 0; i < n; i++) {
                if (i % 4 == 2)
                    cr_assert(cs_col_push_null(&c));
                else
                    cr_assert(cs_col_push_bool(&c, i % 3 == 0));
            }
            const struct cs_seg_encode_opts bits = {CS_CODEC_BOOL_BITS, comp};
            int got = 0;
            roundtrip_opt(&c, CS_TY_BOOL, &bits, &got);
            cr_assert_eq(got, CS_CODEC_BOOL_BITS);
            cs_col_free(&c);
            cs_col_init(&c, CS_K_BOOL);
            for (int i = 0; i < n; i++) {
                if (i % 4 == 2)
                    cr_assert(cs_col_push_null(&c));
                else
                    cr_assert(cs_col_push_bool(&c, false));
            }
            const struct cs_seg_encode_opts cnst = {CS_CODEC_BOOL_CONST, comp};
            roundtrip_opt(&c, CS_TY_BOOL, &cnst, &got);
            cr_assert_eq(got, CS_CODEC_BOOL_CONST);
            cs_col_free(&c);
        }
    }
}

static struct cs_col text_of(size_t n, size_t distinct, int null_every, uint64_t seed)
{
    struct cs_col c;
    cs_col_init(&c, CS_K_STR);
    for (size_t i = 0; i < n; i++) {
        if (null_every > 0 && i % (size_t)null_every == 0) {
            cr_assert(cs_col_push_null(&c));
            continue;
        }
        char s[64];
        const uint64_t k = test_rand(&seed) % distinct;
        const int len = snprintf(s, sizeof(s), "%.*s%llu", (int)(k % 17), "xxxxxxxxxxxxxxxxx",
                                 (unsigned long long)k);
        cr_assert(cs_col_push_str(&c, s, (size_t)(k == 3 ? 0 : len))); /* one value is "" */
    }
    return c;
}

Test(codec, text_plain_and_dict_with_nulls_and_lz4)
{
    const size_t ns[] = {1, 2, 9, 1000};
    const size_t ds[] = {1, 4, 1000};
    for (size_t a = 0; a < 4; a++) {
        for (size_t b = 0; b < 3; b++) {
            for (int ne = 0; ne <= 5; ne += 5) {
                for (int comp = -1; comp <= 1; comp += 2) {
                    struct cs_col c = text_of(ns[a], ds[b], ne, a * 10 + b + 1);
                    if (c.null_count == c.len) {
                        cs_col_free(&c);
                        continue;
                    }
                    const struct cs_seg_encode_opts p = {CS_CODEC_STR_PLAIN, comp};
                    const struct cs_seg_encode_opts d = {CS_CODEC_STR_DICT, comp};
                    int got = 0;
                    roundtrip_opt(&c, CS_TY_TEXT, &p, &got);
                    cr_assert_eq(got, CS_CODEC_STR_PLAIN);
                    roundtrip_opt(&c, CS_TY_TEXT, &d, &got);
                    cr_assert_eq(got, CS_CODEC_STR_DICT);
                    roundtrip(&c, CS_TY_TEXT_ARRAY);
                    cs_col_free(&c);
                }
            }
        }
    }
}

Test(codec, text_choice_is_dict_for_few_values_plain_for_many)
{
    struct cs_col few = text_of(5000, 6, 0, 9), many = text_of(5000, 1u << 30, 0, 9);
    int codec = 0;
    roundtrip_opt(&few, CS_TY_TEXT, NULL, &codec);
    cr_assert_eq(codec, CS_CODEC_STR_DICT);
    roundtrip_opt(&many, CS_TY_TEXT, NULL, &codec);
    cr_assert_eq(codec, CS_CODEC_STR_PLAIN);
    cs_col_free(&few);
    cs_col_free(&many);
}

Test(codec, fix16_random_hashes_stay_uncompressed)
{
    struct cs_col c;
    cs_col_init(&c, CS_K_FIX16);
    uint64_t seed = 11;
    for (int i = 0; i < 3000; i++) {
        uint8_t h[16];
        const uint64_t a = test_rand(&seed), b = test_rand(&seed);
        memcpy(h, &a, 8);
        memcpy(h + 8, &b, 8);
        if (i % 10 == 9)
            cr_assert(cs_col_push_null(&c));
        else
            cr_assert(cs_col_push_fix16(&c, h));
    }
    uint8_t *buf;
    size_t len;
    struct cs_error err = {0};
    cr_assert_eq(cs_seg_encode(&c, CS_TY_HASH16, &buf, &len, NULL, &err), CS_OK);
    cr_assert_eq(cs_seg_compression(buf, len), CS_COMP_NONE);
    cr_assert_eq(cs_seg_codec(buf, len), CS_CODEC_FIX16_PLAIN);
    free(buf);
    const struct cs_seg_encode_opts lz4 = {CS_CODEC_FIX16_PLAIN, 1};
    roundtrip_opt(&c, CS_TY_HASH16, &lz4, NULL);
    cs_col_free(&c);
}

/* Re-seal a hand-edited segment: recompute the checksum (XXH3_64bits of bytes [16, len)). */
#include <xxhash.h>
static void reseal(uint8_t *buf, size_t len)
{
    const uint64_t h = XXH3_64bits(buf + 16, len - 16);
    for (int i = 0; i < 8; i++)
        buf[8 + i] = (uint8_t)(h >> (8 * i));
}

Test(codec, corrupt_sections_with_a_valid_checksum_are_still_rejected)
{
    /* A dictionary segment whose codes point past the dictionary: take a DICT segment of two
     * entries with 1-bit codes and set every code bit, then widen the dictionary count. */
    struct cs_col c;
    cs_col_init(&c, CS_K_STR);
    for (int i = 0; i < 16; i++)
        cr_assert(cs_col_push_str(&c, i % 2 ? "ab" : "c", i % 2 ? 2 : 1));
    const struct cs_seg_encode_opts d = {CS_CODEC_STR_DICT, -1};
    uint8_t *buf;
    size_t len;
    struct cs_error err = {0};
    cr_assert_eq(cs_seg_encode_opt(&c, CS_TY_TEXT, &d, &buf, &len, NULL, &err), CS_OK);
    /* Payload: u32 count=2, u8 wl=2, 1 byte lengths, 3 bytes "cab", u8 wc=1, 2 bytes codes. */
    cr_assert_eq(len, 64 + 4 + 1 + 1 + 3 + 1 + 2);
    buf[64 + 4 + 1 + 1 + 3] = 2; /* code width 2: codes now read past the section */
    reseal(buf, len);
    struct cs_col out;
    cs_col_init(&out, CS_K_STR);
    cr_assert_eq(cs_seg_decode(buf, len, &out, "d.seg", &err), CS_ECORRUPT);
    cr_assert_str_eq(err.message,
                     "d.seg: text values: dictionary codes end early or are wider than 32 bits");
    buf[64 + 4 + 1 + 1 + 3] = 1;
    buf[len - 1] = 0xff;
    buf[len - 2] = 0xff; /* codes all 1: still in range (2 entries) */
    reseal(buf, len);
    cr_assert_eq(cs_seg_decode(buf, len, &out, "d.seg", &err), CS_OK, "%s", err.message);
    buf[64] = 1; /* one entry only: code 1 is out of range */
    reseal(buf, len);
    cr_assert_eq(cs_seg_decode(buf, len, &out, "d.seg", &err), CS_ECORRUPT);
    free(buf);
    cs_col_free(&c);
    cs_col_free(&out);
}

/* Decode must survive any damage that a checksum cannot see (a crafted file): mutate a few
 * random bytes after the checksum, re-seal, decode. CS_OK or CS_ECORRUPT, never a crash or an
 * over-read (ASan runs this too). */
static void mutate_and_decode(const struct cs_col *c, int type, int codec, int comp)
{
    const struct cs_seg_encode_opts opts = {codec, comp};
    uint8_t *buf;
    size_t len;
    struct cs_error err = {0};
    cr_assert_eq(cs_seg_encode_opt(c, type, &opts, &buf, &len, NULL, &err), CS_OK, "%s",
                 err.message);
    struct cs_col out;
    cs_col_init(&out, c->kind);
    uint8_t *t = malloc(len);
    uint64_t seed = (uint64_t)codec * 131 + (uint64_t)(comp + 2);
    for (int trial = 0; trial < 3000; trial++) {
        memcpy(t, buf, len);
        const int flips = 1 + (int)(test_rand(&seed) % 3);
        for (int k = 0; k < flips; k++) {
            /* Mostly the payload, sometimes the header fields after the checksum, except the
             * row count: a crafted count up to 2^28 is legal and makes decode allocate for
             * that many rows before the values prove it wrong, which is slow under ASan. */
            size_t at = 64 + test_rand(&seed) % (len - 64);
            if (test_rand(&seed) % 4 == 0) at = 16 + test_rand(&seed) % 48;
            if (at >= 24 && at < 28) continue;
            t[at] = (uint8_t)test_rand(&seed);
        }
        reseal(t, len);
        const int rc = cs_seg_decode(t, len, &out, "m.seg", &err);
        cr_assert(rc == CS_OK || rc == CS_ECORRUPT, "rc %d", rc);
        if (rc == CS_OK) cr_assert_leq(out.null_count, out.len);
    }
    free(t);
    free(buf);
    cs_col_free(&out);
}

Test(codec, corrupt_resealed_segments_never_crash)
{
    int64_t v[200];
    for (int i = 0; i < 200; i++)
        v[i] = 1000 + i * 7 + (i % 3);
    struct cs_col ints = i64_of(v, 200, 5);
    const int icodecs[] = {CS_CODEC_I64_FOR, CS_CODEC_I64_DELTA, CS_CODEC_I64_PFOR,
                           CS_CODEC_I64_DELTA_PFOR};
    int64_t tail[300]; /* blocks with exceptions, a partial last block */
    uint64_t seed = 9;
    long_tail(tail, 300, 40, -77, &seed);
    struct cs_col tails = i64_of(tail, 300, 4);
    struct cs_col text = text_of(200, 10, 7, 5);
    struct cs_col b;
    cs_col_init(&b, CS_K_BOOL);
    for (int i = 0; i < 200; i++) {
        if (i % 6 == 0)
            cr_assert(cs_col_push_null(&b));
        else
            cr_assert(cs_col_push_bool(&b, i % 4 == 0));
    }
    for (int comp = -1; comp <= 1; comp += 2) {
        for (int k = 0; k < 4; k++) {
            mutate_and_decode(&ints, CS_TY_INT8, icodecs[k], comp);
            mutate_and_decode(&tails, CS_TY_INT8, icodecs[k], comp);
        }
        mutate_and_decode(&text, CS_TY_TEXT, CS_CODEC_STR_PLAIN, comp);
        mutate_and_decode(&text, CS_TY_TEXT, CS_CODEC_STR_DICT, comp);
        mutate_and_decode(&b, CS_TY_BOOL, CS_CODEC_BOOL_BITS, comp);
    }
    cs_col_free(&ints);
    cs_col_free(&tails);
    cs_col_free(&text);
    cs_col_free(&b);
}

/* A PFOR segment of 130 rows (a block of 128, a block of 2) whose first block has two
 * exceptions, raw (no LZ4), for hand-made damage: returns it and the offset of its blocks. */
static uint8_t *pfor_segment(size_t *len, size_t *blocks)
{
    int64_t v[130];
    for (int i = 0; i < 130; i++)
        v[i] = 10 + i % 5;
    v[3] = 1000000;
    v[90] = 70000;
    struct cs_col c = i64_of(v, 130, 0);
    const struct cs_seg_encode_opts o = {CS_CODEC_I64_PFOR, -1};
    uint8_t *buf;
    struct cs_error err = {0};
    cr_assert_eq(cs_seg_encode_opt(&c, CS_TY_INT8, &o, &buf, len, NULL, &err), CS_OK);
    cs_col_free(&c);
    *blocks = 64 + 8; /* after the header and the i64 reference */
    return buf;
}

static void expect_corrupt(uint8_t *buf, size_t len, const char *message)
{
    reseal(buf, len);
    struct cs_col out;
    cs_col_init(&out, CS_K_I64);
    struct cs_error err = {0};
    cr_assert_eq(cs_seg_decode(buf, len, &out, "p.seg", &err), CS_ECORRUPT, "%s", message);
    cr_assert_str_eq(err.message, message);
    struct cs_seg_view v;
    cs_seg_view_init(&v);
    cr_assert_eq(cs_seg_view_open(buf, len, CS_K_I64, &v, "p.seg", &err), CS_ECORRUPT);
    cr_assert_str_eq(err.message, message);
    cs_seg_view_free(&v);
    cs_col_free(&out);
}

Test(codec, corrupt_pfor_blocks_with_a_valid_checksum_are_rejected)
{
    size_t len, at;
    uint8_t *good = pfor_segment(&len, &at);
    /* Block 0: b = 3 (values 10..14 minus 10), e = 2, 48 bytes of low bits, hb, positions 3
     * and 90, the two high parts; then block 1: b = 3, e = 0, 1 byte of low bits. */
    cr_assert_eq(good[at], 3);
    cr_assert_eq(good[at + 1], 2);
    const size_t hb_at = at + 2 + 48, pos_at = hb_at + 1;
    cr_assert_eq(good[pos_at], 3);
    cr_assert_eq(good[pos_at + 1], 90);
    cr_assert_eq(good[len - 3], 3);
    cr_assert_eq(good[len - 2], 0);
    uint8_t *t = malloc(len);
    struct {
        size_t at;
        uint8_t value;
        const char *message;
    } cases[] = {
        {at, 65, "p.seg: i64 block bit width over 64"},
        {at + 1, 129, "p.seg: i64 block has more exceptions than values"},
        {hb_at, 0, "p.seg: i64 block exception width out of range"},
        {hb_at, 62, "p.seg: i64 block exception width out of range"},
        {pos_at, 90, "p.seg: i64 block exception positions out of order"},
        {pos_at + 1, 128, "p.seg: i64 block exception position past the last value"},
        {len - 3, 64, "p.seg: i64 blocks end early"}, /* block 1 at width 64: 16 bytes */
        {len - 2, 1, "p.seg: i64 blocks end early"},  /* block 1: an exception, no room */
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        memcpy(t, good, len);
        t[cases[k].at] = cases[k].value;
        expect_corrupt(t, len, cases[k].message);
    }
    /* A payload cut short (the header's sizes follow it): the last block ends early. */
    memcpy(t, good, len);
    cs_store_u32le(t + 48, (uint32_t)(len - 64 - 1));
    cs_store_u32le(t + 52, (uint32_t)(len - 64 - 1));
    expect_corrupt(t, len - 1, "p.seg: i64 blocks end early");
    /* A byte too many after the blocks. */
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, good, len);
    longer[len] = 0;
    cs_store_u32le(longer + 48, (uint32_t)(len - 64 + 1));
    cs_store_u32le(longer + 52, (uint32_t)(len - 64 + 1));
    expect_corrupt(longer, len + 1, "p.seg: 1 bytes left after the values");
    free(longer);
    free(t);
    free(good);
}
