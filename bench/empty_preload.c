/*
 * A preload library that does nothing: what loading any LD_PRELOAD library
 * into every process image costs on the machine (bench/run.py's floor for
 * the spawn-heavy workloads).
 */
int exectrace_bench_empty_preload(void);

int exectrace_bench_empty_preload(void)
{
    return 0;
}
