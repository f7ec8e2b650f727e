/* memory.c - the server's heap settings and periodic trim (memory.h). */
#include <malloc.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "http/memory.h"

void dh_memory_setup(void)
{
    const char *arenas = getenv("MALLOC_ARENA_MAX");
    if (!arenas || !*arenas)
        mallopt(M_ARENA_MAX, 2);
    const char *mmap_at = getenv("MALLOC_MMAP_THRESHOLD_");
    if (!mmap_at || !*mmap_at)
        mallopt(M_MMAP_THRESHOLD, 256 * 1024);
}

static _Atomic int64_t last_trim; /* CLOCK_MONOTONIC seconds */

void dh_memory_trim_maybe(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t now = (int64_t)ts.tv_sec;
    int64_t last = atomic_load(&last_trim);
    if (now - last < DH_MEMORY_TRIM_SECONDS)
        return;
    if (atomic_compare_exchange_strong(&last_trim, &last, now))
        malloc_trim(0);
}
