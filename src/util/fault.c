/* fault.c - fault injection for tests (fault.h). */
#include "util/fault.h"

#include <stdatomic.h>
#include <stdlib.h>

static struct {
    atomic_long count; /* events since armed */
    atomic_long at;    /* the one to fail, 0: none */
} points[DH_FAULT_NPOINTS];

/* DIEUHANH_TX_FAULT=N: every N-th event at DH_FAULT_TX fails; read once. */
static long tx_every(void)
{
    static atomic_long every = -1;
    long n = atomic_load(&every);
    if (n < 0) {
        const char *v = getenv("DIEUHANH_TX_FAULT");
        n = v && atol(v) > 0 ? atol(v) : 0;
        atomic_store(&every, n);
    }
    return n;
}

void dh_fault_arm(dh_fault_point p, long n)
{
    atomic_store(&points[p].at, 0);
    atomic_store(&points[p].count, 0);
    atomic_store(&points[p].at, n > 0 ? n : 0);
}

bool dh_fault_hit(dh_fault_point p)
{
    long c = atomic_fetch_add(&points[p].count, 1) + 1;
    long at = atomic_load(&points[p].at);
    if (at > 0 && c == at)
        return true;
    long every = p == DH_FAULT_TX ? tx_every() : 0;
    return every > 0 && c % every == 0;
}

long dh_fault_count(dh_fault_point p) { return atomic_load(&points[p].count); }
