/*
 * Bit packing: n unsigned values of w bits (0..64) as one little-endian bit stream, value i
 * in bits [i*w, (i+1)*w). The unpacker is the hot loop of every integer, length and
 * dictionary-code decode, so it is specialized per width (a switch over 65 inlined copies)
 * and works in blocks of 64 values (w whole words, every shift a constant); the last values
 * of a stream go through a zero-padded copy so that no read passes the end of the stream.
 */
#include "storage/codec.h"

#include <stdbool.h>
#include <string.h>

void cs_bitpack_pack(const uint64_t *in, size_t n, unsigned w, uint64_t base, uint8_t *out)
{
    if (w == 0) return;
    const uint64_t mask = w == 64 ? ~(uint64_t)0 : (((uint64_t)1 << w) - 1);
    uint64_t acc = 0;
    unsigned fill = 0; /* bits of acc in use, always < 64 between values */
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        const uint64_t v = (in[i] - base) & mask;
        acc |= v << fill;
        fill += w;
        if (fill >= 64) {
            cs_store_u64le(out + pos, acc);
            pos += 8;
            fill -= 64;
            acc = fill != 0 ? v >> (w - fill) : 0;
        }
    }
    for (unsigned b = 0; b < fill; b += 8)
        out[pos++] = (uint8_t)(acc >> b);
}

void cs_bytes_to_bits(const uint8_t *bytes, const uint8_t *skip, size_t n, uint8_t *out)
{
    /* Bitwise, not short-circuit, tests: booleans and NULLs are random, branches would miss. */
    for (size_t i = 0; i < n; i += 8) {
        const size_t m = n - i < 8 ? n - i : 8;
        unsigned byte = 0; /* built in a register: no read-modify-write of out per row */
        for (size_t k = 0; k < m; k++) {
            const unsigned keep = skip == NULL ? 1u : (unsigned)(skip[i + k] == 0);
            byte |= ((unsigned)(bytes[i + k] != 0) & keep) << k;
        }
        out[i >> 3] = (uint8_t)byte;
    }
}

/* Value i of a stream with at least 9 readable bytes after bit i*w's byte. */
static inline __attribute__((always_inline)) uint64_t
get_bits(const uint8_t *in, uint64_t bit, unsigned w, uint64_t mask)
{
    const uint8_t *q = in + (bit >> 3);
    const unsigned s = (unsigned)(bit & 7);
    uint64_t v = cs_load_u64le(q) >> s;
    if (w > 57 && s != 0) v |= (uint64_t)q[8] << (64 - s);
    return v & mask;
}

/* 64 values of w bits are exactly w little-endian words: with w a constant and the loop
 * unrolled, every shift and word index below is a constant too. */
static inline __attribute__((always_inline)) void
unpack_block(const uint8_t *in, unsigned w, uint64_t mask, uint64_t base, uint64_t *out)
{
#pragma GCC unroll 64
    for (unsigned j = 0; j < 64; j++) {
        const unsigned bit = j * w, word = bit >> 6, shift = bit & 63;
        uint64_t v = cs_load_u64le(in + 8 * word) >> shift;
        if (shift + w > 64) v |= cs_load_u64le(in + 8 * (word + 1)) << (64 - shift);
        out[j] = base + (v & mask);
    }
}

static inline __attribute__((always_inline)) void
unpack_w(const uint8_t *in, size_t n, unsigned w, uint64_t base, uint64_t *out)
{
    if (w == 0) {
        for (size_t i = 0; i < n; i++)
            out[i] = base;
        return;
    }
    const uint64_t mask = w == 64 ? ~(uint64_t)0 : (((uint64_t)1 << w) - 1);
    const size_t blocks = n / 64;
    for (size_t b = 0; b < blocks; b++)
        unpack_block(in + 8 * w * b, w, mask, base, out + 64 * b);
    in += 8 * w * blocks;
    out += 64 * blocks;
    n -= 64 * blocks;

    /* The last n < 64 values: read in place while 9 bytes remain after a value's first byte,
     * then from a zero-padded copy of the stream's last bytes. */
    const size_t bytes = cs_bitpack_bytes(n, w);
    size_t fast = bytes >= 16 ? (size_t)(((uint64_t)(bytes - 16) * 8) / w) : 0;
    if (fast > n) fast = n;
    for (size_t i = 0; i < fast; i++)
        out[i] = base + get_bits(in, (uint64_t)i * w, w, mask);
    /* The tail starts at most 16 + 8 bytes before the end. */
    const size_t start = (size_t)(((uint64_t)fast * w) >> 3);
    uint8_t pad[48] = {0};
    if (bytes > start) memcpy(pad, in + start, bytes - start);
    for (size_t i = fast; i < n; i++) {
        const uint64_t bit = (uint64_t)i * w - (uint64_t)start * 8;
        out[i] = base + get_bits(pad, bit, w, mask);
    }
}

/* One inlined copy of unpack_w() per width, so that shifts and masks are constants. */
// clang-format off
#define CS_W(x) case x: unpack_w(in, n, x, base, out); break;

void cs_bitpack_unpack(const uint8_t *in, size_t n, unsigned w, uint64_t base, uint64_t *out)
{
    if (n == 0) return;
    switch (w) {
    CS_W(0)  CS_W(1)  CS_W(2)  CS_W(3)  CS_W(4)  CS_W(5)  CS_W(6)  CS_W(7)  CS_W(8)
    CS_W(9)  CS_W(10) CS_W(11) CS_W(12) CS_W(13) CS_W(14) CS_W(15) CS_W(16) CS_W(17)
    CS_W(18) CS_W(19) CS_W(20) CS_W(21) CS_W(22) CS_W(23) CS_W(24) CS_W(25) CS_W(26)
    CS_W(27) CS_W(28) CS_W(29) CS_W(30) CS_W(31) CS_W(32) CS_W(33) CS_W(34) CS_W(35)
    CS_W(36) CS_W(37) CS_W(38) CS_W(39) CS_W(40) CS_W(41) CS_W(42) CS_W(43) CS_W(44)
    CS_W(45) CS_W(46) CS_W(47) CS_W(48) CS_W(49) CS_W(50) CS_W(51) CS_W(52) CS_W(53)
    CS_W(54) CS_W(55) CS_W(56) CS_W(57) CS_W(58) CS_W(59) CS_W(60) CS_W(61) CS_W(62)
    CS_W(63) CS_W(64)
    default: break; /* callers validate w <= 64 */
    }
}
#undef CS_W
// clang-format on

static inline uint64_t mask_of(unsigned w)
{
    return w == 64 ? ~(uint64_t)0 : (((uint64_t)1 << w) - 1);
}

#if defined(__x86_64__) && defined(__GNUC__)
#    define CS_HAVE_AVX2_UNPACK 1
#    include <immintrin.h>
#    include <pthread.h>

/* AVX2 unpacking of a PFOR block's 128 values of w <= AVX2_MAX_W bits, four at a time: the
 * four values from bit 4gw on lie within the 16 bytes from byte 4gw / 8 (4w + 7 <= 128 bits);
 * those bytes are loaded into both halves of a register, a byte shuffle moves each value's
 * bytes to its 64-bit lane, a per-lane shift and a mask finish it. Groups start at bit 0 or 4
 * of their first byte (4gw mod 8 is 0, or 4 for odd g when w is odd), so each width needs two
 * shuffles and two shift vectors (avx2_tab). About 2 instructions a value, against ~5 for the
 * unrolled scalar code; the same values (tests/storage/test_codec.c compares both). */
#    define AVX2_MAX_W 30u

struct avx2_consts {
    uint8_t shuf[2][32];
    uint64_t shift[2][4];
};
static struct avx2_consts avx2_tab[AVX2_MAX_W + 1];
static bool avx2_ok;
static pthread_once_t avx2_once = PTHREAD_ONCE_INIT;
static _Atomic int avx2_forced_off;

static void avx2_init(void)
{
    __builtin_cpu_init();
    avx2_ok = __builtin_cpu_supports("avx2");
    for (unsigned w = 1; w <= AVX2_MAX_W; w++) {
        for (unsigned ph = 0; ph < 2; ph++) {
            const unsigned s0 = ph * 4; /* bit of the group's first value in its first byte */
            for (unsigned k = 0; k < 4; k++) {
                const unsigned first = s0 + k * w, last = first + w - 1;
                for (unsigned i = 0; i < 8; i++) {
                    const unsigned src = (first >> 3) + i;
                    avx2_tab[w].shuf[ph][8 * k + i] = src <= (last >> 3) ? (uint8_t)src : 0x80;
                }
                avx2_tab[w].shift[ph][k] = first & 7;
            }
        }
    }
}

__attribute__((target("avx2"))) static void
unpack128_avx2(const uint8_t *in, unsigned w, uint64_t base, uint64_t *out)
{
    /* the last groups' 16-byte loads would pass the block's 16w bytes: a padded copy */
    uint8_t buf[16 * AVX2_MAX_W + 16];
    memcpy(buf, in, 16 * (size_t)w);
    memset(buf + 16 * (size_t)w, 0, 16);
    const struct avx2_consts *c = &avx2_tab[w];
    const __m256i sh0 = _mm256_loadu_si256((const __m256i *)(const void *)c->shuf[0]);
    const __m256i sh1 = _mm256_loadu_si256((const __m256i *)(const void *)c->shuf[1]);
    const __m256i sv0 = _mm256_loadu_si256((const __m256i *)(const void *)c->shift[0]);
    const __m256i sv1 = _mm256_loadu_si256((const __m256i *)(const void *)c->shift[1]);
    const __m256i mask = _mm256_set1_epi64x((long long)(((uint64_t)1 << w) - 1));
    const __m256i vbase = _mm256_set1_epi64x((long long)base);
    const bool odd = w & 1;
    for (unsigned g = 0; g < 32; g += 2) {
        /* group g starts at bit 4gw (even g: a whole byte); group g + 1 four values later */
        const size_t b0 = (size_t)4 * g * w / 8, b1 = (size_t)4 * (g + 1) * w / 8;
        __m256i x =
            _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)(buf + b0)));
        __m256i y =
            _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)(buf + b1)));
        x = _mm256_srlv_epi64(_mm256_shuffle_epi8(x, sh0), sv0);
        y = odd ? _mm256_srlv_epi64(_mm256_shuffle_epi8(y, sh1), sv1)
                : _mm256_srlv_epi64(_mm256_shuffle_epi8(y, sh0), sv0);
        _mm256_storeu_si256((__m256i *)(void *)(out + 4 * g),
                            _mm256_add_epi64(_mm256_and_si256(x, mask), vbase));
        _mm256_storeu_si256((__m256i *)(void *)(out + 4 * g + 4),
                            _mm256_add_epi64(_mm256_and_si256(y, mask), vbase));
    }
}

bool cs_bitpack_simd(bool on)
{
    (void)pthread_once(&avx2_once, avx2_init);
    const bool was = !avx2_forced_off;
    avx2_forced_off = !on;
    return was && avx2_ok;
}
#else
bool cs_bitpack_simd(bool on)
{
    (void)on;
    return false;
}
#endif

/* A PFOR block: two whole unpack blocks per width, no tail, every shift a constant. */
// clang-format off
#define CS_W(x) case x: unpack_block(in, x, mask_of(x), base, out); \
                        unpack_block(in + 8 * (x), x, mask_of(x), base, out + 64); break;

void cs_bitpack_unpack128(const uint8_t *in, unsigned w, uint64_t base, uint64_t *out)
{
#ifdef CS_HAVE_AVX2_UNPACK
    (void)pthread_once(&avx2_once, avx2_init);
    if (avx2_ok && w >= 1 && w <= AVX2_MAX_W && !avx2_forced_off) {
        unpack128_avx2(in, w, base, out);
        return;
    }
#endif
    switch (w) {
    case 0:
        for (unsigned i = 0; i < 128; i++)
            out[i] = base;
        break;
              CS_W(1)  CS_W(2)  CS_W(3)  CS_W(4)  CS_W(5)  CS_W(6)  CS_W(7)  CS_W(8)
    CS_W(9)  CS_W(10) CS_W(11) CS_W(12) CS_W(13) CS_W(14) CS_W(15) CS_W(16) CS_W(17)
    CS_W(18) CS_W(19) CS_W(20) CS_W(21) CS_W(22) CS_W(23) CS_W(24) CS_W(25) CS_W(26)
    CS_W(27) CS_W(28) CS_W(29) CS_W(30) CS_W(31) CS_W(32) CS_W(33) CS_W(34) CS_W(35)
    CS_W(36) CS_W(37) CS_W(38) CS_W(39) CS_W(40) CS_W(41) CS_W(42) CS_W(43) CS_W(44)
    CS_W(45) CS_W(46) CS_W(47) CS_W(48) CS_W(49) CS_W(50) CS_W(51) CS_W(52) CS_W(53)
    CS_W(54) CS_W(55) CS_W(56) CS_W(57) CS_W(58) CS_W(59) CS_W(60) CS_W(61) CS_W(62)
    CS_W(63) CS_W(64)
    default: break; /* callers validate w <= 64 */
    }
}
#undef CS_W
// clang-format on

/* Values of at most 8 bits straight to bytes: out[i] = add + value i (mod 256). */
static inline __attribute__((always_inline)) void
unpack_u8_w(const uint8_t *in, size_t n, unsigned w, uint8_t add, uint8_t *out)
{
    const uint64_t mask = ((uint64_t)1 << w) - 1;
    const size_t blocks = n / 64;
    for (size_t b = 0; b < blocks; b++) {
        const uint8_t *p = in + 8 * w * b;
#pragma GCC unroll 64
        for (unsigned j = 0; j < 64; j++) {
            const unsigned bit = j * w, word = bit >> 6, shift = bit & 63;
            uint64_t v = cs_load_u64le(p + 8 * word) >> shift;
            if (shift + w > 64) v |= cs_load_u64le(p + 8 * (word + 1)) << (64 - shift);
            out[64 * b + j] = (uint8_t)(add + (v & mask));
        }
    }
    const size_t rest = n - 64 * blocks;
    if (rest > 0) {
        uint64_t tmp[64];
        cs_bitpack_unpack(in + 8 * w * blocks, rest, w, add, tmp);
        for (size_t i = 0; i < rest; i++)
            out[64 * blocks + i] = (uint8_t)tmp[i];
    }
}

// clang-format off
#define CS_W(x) case x: unpack_u8_w(in, n, x, add, out); break;

/* Widths that divide a byte: whole input bytes give 8 / w values each, in loops the compiler
 * vectorizes; the other widths go through the 64-value blocks. */
static void unpack_u8_nibbles(const uint8_t *in, size_t n, uint8_t add, uint8_t *out)
{
    const size_t pairs = n / 2;
    for (size_t i = 0; i < pairs; i++) {
        out[2 * i] = (uint8_t)(add + (in[i] & 15u));
        out[2 * i + 1] = (uint8_t)(add + (in[i] >> 4));
    }
    if (n & 1) out[n - 1] = (uint8_t)(add + (in[pairs] & 15u));
}

void cs_bitpack_unpack_u8(const uint8_t *in, size_t n, unsigned w, uint8_t add, uint8_t *out)
{
    switch (w) {
    case 4: unpack_u8_nibbles(in, n, add, out); break;
    case 8:
        for (size_t i = 0; i < n; i++)
            out[i] = (uint8_t)(add + in[i]);
        break;
    case 0: memset(out, add, n); break;
    CS_W(1) CS_W(2) CS_W(3) CS_W(5) CS_W(6) CS_W(7)
    default: break; /* callers pass w <= 8 */
    }
}
#undef CS_W
// clang-format on
