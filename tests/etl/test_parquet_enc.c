/*
 * Parquet's byte-level encodings (etl/parquet_enc.h) against bytes computed by hand from the
 * specification: varints and zigzag, Thrift compact fields (short and long field-id forms,
 * bools in the type nibble, nested structs, lists), the RLE / bit-packing hybrid (the spec's
 * own example), DELTA_BINARY_PACKED (padding of the last miniblock, unused miniblock widths,
 * INT32 wrap-around), bit packing at widths up to 64.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "etl/parquet_enc.h"

static void expect(struct cs_pq_buf *b, const uint8_t *want, size_t n)
{
    cr_assert(!b->failed);
    cr_assert_eq(b->len, n, "%zu bytes, expected %zu", b->len, n);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(b->p[i], want[i], "byte %zu: 0x%02x, expected 0x%02x", i, b->p[i], want[i]);
    cs_pq_buf_free(b);
}

Test(parquet_enc, varints)
{
    struct cs_pq_buf b = {0};
    cs_pq_buf_uvarint(&b, 0);
    cs_pq_buf_uvarint(&b, 127);
    cs_pq_buf_uvarint(&b, 300);
    cs_pq_buf_zigzag(&b, -1);
    cs_pq_buf_zigzag(&b, 1);
    cs_pq_buf_zigzag(&b, -64);
    cs_pq_buf_zigzag(&b, 64);
    cs_pq_buf_zigzag(&b, INT64_MIN);
    const uint8_t want[] = {0x00, 0x7F, 0xAC, 0x02, 0x01, 0x02, 0x7F, 0x80, 0x01, 0xFF,
                            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
    expect(&b, want, sizeof(want));
}

Test(parquet_enc, thrift_compact)
{
    struct cs_pq_buf b = {0};
    struct cs_thrift t;
    cs_thrift_begin(&t, &b);
    cs_thrift_i32(&t, 1, 3);       /* 0x15 (delta 1, i32), zigzag 6 */
    cs_thrift_i64(&t, 2, -1);      /* 0x16, 0x01 */
    cs_thrift_string(&t, 4, "ab"); /* 0x28, len 2, 'a' 'b' */
    cs_thrift_bool(&t, 5, true);   /* 0x11: the value in the type nibble */
    cs_thrift_bool(&t, 6, false);  /* 0x12 */
    cs_thrift_struct(&t, 21);      /* delta 15: 0xFC */
    cs_thrift_i32(&t, 1, 0);       /* ids restart inside: 0x15 0x00 */
    cs_thrift_end(&t);             /* STOP 0x00 */
    cs_thrift_i32(&t, 40, 1);      /* delta 19: long form 0x05, zigzag(40) 0x50, value 0x02 */
    cs_thrift_list(&t, 41, CS_TC_I32, 3); /* 0x19, 0x35 */
    cs_thrift_elem_i32(&t, 1);
    cs_thrift_elem_i32(&t, 2);
    cs_thrift_elem_i32(&t, -3);
    cs_thrift_list(&t, 42, CS_TC_STRUCT, 16); /* 0x19, 0xFC, varint 16 */
    for (int i = 0; i < 16; i++) {
        cs_thrift_elem_struct(&t);
        cs_thrift_end(&t); /* empty struct: STOP */
    }
    cs_thrift_i8(&t, 43, -2); /* 0x13 0xFE */
    cs_thrift_end(&t);
    const uint8_t want[] = {0x15, 0x06, 0x16, 0x01, 0x28, 0x02, 'a',  'b',  0x11, 0x12, 0xFC,
                            0x15, 0x00, 0x00, 0x05, 0x50, 0x02, 0x19, 0x35, 0x02, 0x04, 0x05,
                            0x19, 0xFC, 0x10, 0,    0,    0,    0,    0,    0,    0,    0,
                            0,    0,    0,    0,    0,    0,    0,    0,    0x13, 0xFE, 0x00};
    expect(&b, want, sizeof(want));
}

Test(parquet_enc, rle_hybrid)
{
    struct cs_pq_buf b = {0};
    /* Encodings.md's example: 0..7 at width 3, bit-packed: 10001000 11000110 11111010 */
    const uint32_t v[] = {0, 1, 2, 3, 4, 5, 6, 7};
    cs_pq_rle(&b, v, 8, 3);
    const uint8_t want[] = {0x03, 0x88, 0xC6, 0xFA};
    expect(&b, want, sizeof(want));

    /* ten 1s at width 1: one RLE run, header 10 << 1, value in one byte */
    const uint32_t ones[10] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    cs_pq_rle(&b, ones, 10, 1);
    const uint8_t want2[] = {0x14, 0x01};
    expect(&b, want2, sizeof(want2));

    /* 0 1 0 1 1 0 0 1 | 0 0 (padded): two groups packed, then nothing else */
    const uint32_t mix[] = {0, 1, 0, 1, 1, 0, 0, 1, 0, 0};
    cs_pq_rle(&b, mix, 10, 1);
    const uint8_t want3[] = {0x05, 0x9A, 0x00};
    expect(&b, want3, sizeof(want3));

    /* 1 2 3 then thirteen 300s at width 9 (a two-byte RLE value): the first group of 8 is
     * packed (1 2 3 and five 300s: 1 + 9 bytes), the eight 300s left are one RLE run */
    const uint32_t lr[] = {1,   2,   3,   300, 300, 300, 300, 300,
                           300, 300, 300, 300, 300, 300, 300, 300};
    cs_pq_rle(&b, lr, 16, 9);
    cr_assert_eq(b.p[0], 0x03);
    cr_assert_eq(b.len, 1 + 9 + 1 + 2);
    cr_assert_eq(b.p[10], 8 << 1);
    cr_assert_eq(b.p[11], 300 & 0xFF);
    cr_assert_eq(b.p[12], 300 >> 8);
    cs_pq_buf_free(&b);

    /* long literal stretches are cut into runs of at most 63 groups */
    uint32_t alt[64 * 8];
    for (size_t i = 0; i < 64 * 8; i++)
        alt[i] = i & 1;
    cs_pq_rle(&b, alt, 64 * 8, 1);
    cr_assert_eq(b.len, 1 + 63 + 1 + 1);
    cr_assert_eq(b.p[0], 63 << 1 | 1);
    cr_assert_eq(b.p[64], 1 << 1 | 1);
    cs_pq_buf_free(&b);
}

Test(parquet_enc, delta_binary_packed)
{
    struct cs_pq_buf b = {0};
    /* 1..5: header 128, 4, 5, zigzag(1); block: min delta 1, four zero widths, no data */
    const int64_t a[] = {1, 2, 3, 4, 5};
    cs_pq_delta(&b, a, 5, 64);
    const uint8_t want[] = {0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0, 0, 0, 0};
    expect(&b, want, sizeof(want));

    /* 7 5 3 1 2 3 4 5: deltas -2 -2 -2 1 1 1 1, min -2 (zigzag 3), relative 0 0 0 3 3 3 3 at
     * width 2, the miniblock padded to 32 values: 8 bytes */
    const int64_t c[] = {7, 5, 3, 1, 2, 3, 4, 5};
    cs_pq_delta(&b, c, 8, 64);
    const uint8_t want2[] = {0x80, 0x01, 0x04, 0x08, 0x0E, 0x03, 0x02, 0x00, 0x00,
                             0x00, 0xC0, 0x3F, 0,    0,    0,    0,    0,    0};
    expect(&b, want2, sizeof(want2));

    /* INT32: INT32_MAX then INT32_MIN is a difference of +1 in 32-bit arithmetic */
    const int64_t w[] = {INT32_MAX, INT32_MIN};
    cs_pq_delta(&b, w, 2, 32);
    const uint8_t want3[] = {0x80, 0x01, 0x04, 0x02, 0xFE, 0xFF, 0xFF,
                             0xFF, 0x0F, 0x02, 0,    0,    0,    0};
    expect(&b, want3, sizeof(want3));

    /* one value: the header only */
    const int64_t one[] = {-3};
    cs_pq_delta(&b, one, 1, 64);
    const uint8_t want4[] = {0x80, 0x01, 0x04, 0x01, 0x05};
    expect(&b, want4, sizeof(want4));

    /* 130 values: a full first block (128 differences... 129 values) then a block of 1 */
    int64_t many[130];
    for (int i = 0; i < 130; i++)
        many[i] = i * 3;
    cs_pq_delta(&b, many, 130, 64);
    const uint8_t want5[] = {0x80, 0x01, 0x04, 0x82, 0x01, 0x00, /* 128, 4, 130, zz(0) */
                             0x06, 0,    0,    0,    0,          /* min 3, widths 0 */
                             0x06, 0,    0,    0,    0};         /* last block: 1 delta */
    expect(&b, want5, sizeof(want5));
}

Test(parquet_enc, bit_packing_every_width)
{
    for (unsigned w = 0; w <= 64; w++) {
        struct cs_pq_buf b = {0};
        uint64_t v[16];
        const uint64_t mask = w == 64 ? ~UINT64_C(0) : (UINT64_C(1) << w) - 1;
        for (int i = 0; i < 16; i++)
            v[i] = (UINT64_C(0x9E3779B97F4A7C15) * (uint64_t)(i + 1)) & mask;
        cs_pq_pack(&b, v, 16, w);
        cr_assert_eq(b.len, 2 * w);
        for (int i = 0; i < 16; i++) { /* read back bit by bit, LSB first */
            uint64_t x = 0;
            for (unsigned k = 0; k < w; k++) {
                const size_t bit = (size_t)i * w + k;
                x |= (uint64_t)((b.p[bit / 8] >> (bit % 8)) & 1) << k;
            }
            cr_assert_eq(x, v[i], "width %u value %d", w, i);
        }
        cs_pq_buf_free(&b);
    }
}
