/* public.c - what the pages and APIs anyone may use without signing in share
 * (ep_public.c, ep_public_feedback.c, ep_feedback.c): the anonymous actor,
 * the per-address limit of lookups by code, and instants as Vietnamese
 * readers write them. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "http/http.h"

#define LOOKUPS_PER_MINUTE 30
#define SLOTS 1024

void dh_public_actor(const dh_req *rq, dh_actor *out)
{
    memset(out, 0, sizeof *out);
    out->role = DH_ROLE_VIEWER;
    snprintf(out->login, sizeof out->login, "public:%s", rq->ip);
    snprintf(out->ip, sizeof out->ip, "%s", rq->ip);
}

/* A fixed window per client address, in a small hashed table (a collision
 * shares a budget, which only makes the limit stricter). One budget for
 * every lookup by code (dossiers and feedback): guessing codes on one page
 * or the other costs the same. Per node: behind several nodes an address
 * gets the limit on each. */
static struct {
    uint64_t key;
    time_t window;
    int count;
} slots[SLOTS];
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;

bool dh_public_lookup_allow(dh_resp *rs, const char *ip, time_t now)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = ip; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    time_t w = now / 60;
    pthread_mutex_lock(&slots_lock);
    size_t i = h % SLOTS;
    if (slots[i].key != h || slots[i].window != w) {
        slots[i].key = h;
        slots[i].window = w;
        slots[i].count = 0;
    }
    bool ok = ++slots[i].count <= LOOKUPS_PER_MINUTE;
    pthread_mutex_unlock(&slots_lock);
    if (!ok) {
        rs->status = 429;
        rs->retry_after = (int)(60 - now % 60);
    }
    return ok;
}

void dh_public_vn_time(const json_t *v, char *out, size_t cap)
{
    const char *s = json_string_value(v);
    if (!s || strlen(s) < 16)
        snprintf(out, cap, "—");
    else
        snprintf(out, cap, "%.5s ngày %.2s/%.2s/%.4s", s + 11, s + 8, s + 5, s);
}
