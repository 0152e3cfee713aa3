// The only C++ file of the project: registers the C micro-benchmark cases of bench/micro_*.c
// with Google Benchmark. Each case is set up once (data generated and encoded outside the
// timed loop); the loop times one operation per iteration and reports items_per_second
// (values per second) and bytes_per_value (encoded size).
#include <benchmark/benchmark.h>

#include <cstddef>
#include <string>

#include "bench/micro_codec.h"

namespace
{

void run_case(benchmark::State &st, std::size_t index)
{
    void *state = cs_bench_setup(index);
    if (state == nullptr) {
        st.SkipWithError("setup failed");
        return;
    }
    for (auto _ : st) {
        if (!cs_bench_run(state, 1)) {
            st.SkipWithError("operation failed");
            break;
        }
    }
    st.SetItemsProcessed(st.iterations() * static_cast<int64_t>(cs_bench_values(state)));
    st.counters["bytes_per_value"] = cs_bench_bytes_per_value(state);
    cs_bench_teardown(state);
}

} // namespace

int main(int argc, char **argv)
{
    for (std::size_t i = 0; i < cs_bench_count(); i++) {
        const std::string name = std::string("codec/") + cs_bench_name(i);
        benchmark::RegisterBenchmark(name.c_str(), run_case, i);
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
