/*
 * Micro-benchmarks of the segment codecs (storage/segment.h), as plain C for the Google
 * Benchmark shim (bench/shim/bench_shim.cc). Each case owns its data: the shim sets a case up
 * once, times cs_bench_run() in a loop, and reports values/s and bytes per value.
 */
#ifndef CS_MICRO_CODEC_H
#define CS_MICRO_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* cs_bench_count() - number of benchmark cases. */
size_t cs_bench_count(void);
/* cs_bench_name() - name of case i (i < cs_bench_count()), e.g. "decode/latency_ms". */
const char *cs_bench_name(size_t i);
/* cs_bench_setup() - generate case i's data (fixed seed) and encode it once; NULL when memory
 * runs out. Release with cs_bench_teardown(). */
void *cs_bench_setup(size_t i);
/* cs_bench_run() - run the timed operation `iterations` times (encode or decode a segment, or
 * unpack a bit-packed array). Returns false if an operation fails. */
bool cs_bench_run(void *state, int64_t iterations);
/* cs_bench_values() - values processed by one operation. */
double cs_bench_values(const void *state);
/* cs_bench_bytes_per_value() - encoded bytes per value of the case's segment (header included). */
double cs_bench_bytes_per_value(const void *state);
void cs_bench_teardown(void *state);

#ifdef __cplusplus
}
#endif

#endif
