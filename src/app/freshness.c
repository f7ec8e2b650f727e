/* freshness.c - is each source of values on time? For every pushed or
 * reported indicator, its freshness rule (core/indicator.h) judged at
 * `now` on the latest values of a unit's subtree (docs/INDICATORS.md). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "app/indint.h"
#include "util/buf.h"

/* The answers of the last few scopes. A province's freshness reads the
 * latest value of every indicator over its whole subtree (seconds with
 * years of values), and the overview asks on every view. An answer holds
 * while no value or indicator is written (DH_IVALUES_REV, which every node
 * reads) and until the next instant a judgment can change: the next local
 * midnight (monthly to yearly rules, and late_by_days) or a daily rule's
 * minute. The scope is part of the key as the units it covers. */
#define FRESH_SLOTS 16
typedef struct fresh_slot {
    char *units; /* the scope's units (JSON), NULL: empty */
    int64_t rev;
    time_t at, until; /* valid for at <= now < until */
    json_t *fr;
} fresh_slot;
struct dh_freshcache {
    pthread_mutex_t lock;
    fresh_slot s[FRESH_SLOTS];
};

struct dh_freshcache *dh_freshcache_new(void)
{
    struct dh_freshcache *fc = dh_xcalloc(1, sizeof *fc);
    pthread_mutex_init(&fc->lock, NULL);
    return fc;
}

void dh_freshcache_free(struct dh_freshcache *fc)
{
    if (!fc)
        return;
    for (size_t i = 0; i < FRESH_SLOTS; i++) {
        free(fc->s[i].units);
        json_decref(fc->s[i].fr);
    }
    pthread_mutex_destroy(&fc->lock);
    free(fc);
}

static size_t slot_of(const char *units)
{
    size_t h = 5381;
    for (const char *p = units; *p; p++)
        h = h * 33 + (unsigned char)*p;
    return h % FRESH_SLOTS;
}

/* A copy of the cached answer for units at now, or NULL. */
static json_t *cache_get(struct dh_freshcache *fc, const char *units, int64_t rev, time_t now)
{
    json_t *fr = NULL;
    pthread_mutex_lock(&fc->lock);
    fresh_slot *sl = &fc->s[slot_of(units)];
    if (sl->fr && sl->rev == rev && sl->at <= now && now < sl->until && !strcmp(sl->units, units))
        fr = json_deep_copy(sl->fr);
    pthread_mutex_unlock(&fc->lock);
    return fr;
}

static void cache_put(struct dh_freshcache *fc, const char *units, int64_t rev, time_t at,
                      time_t until, const json_t *fr)
{
    json_t *copy = json_deep_copy(fr);
    pthread_mutex_lock(&fc->lock);
    fresh_slot *sl = &fc->s[slot_of(units)];
    free(sl->units);
    json_decref(sl->fr);
    *sl = (fresh_slot){dh_xstrdup(units), rev, at, until, copy};
    pthread_mutex_unlock(&fc->lock);
}


static json_t *local_minute_json(int64_t min)
{
    char buf[40];
    int64_t day = min >= 0 ? min / 1440 : (min - 1439) / 1440;
    int y, m, d, hm = (int)(min - day * 1440);
    dh_date_to_ymd((dh_date)day, &y, &m, &d);
    snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:00+07:00", y, m, d, hm / 60, hm % 60);
    return json_string(buf);
}

static int cmp_item(const void *pa, const void *pb)
{
    json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    int la = json_is_true(json_object_get(a, "late")), lb = json_is_true(json_object_get(b, "late"));
    if (la != lb)
        return lb - la;
    json_int_t da = json_is_integer(json_object_get(a, "late_by_days"))
                        ? json_integer_value(json_object_get(a, "late_by_days"))
                        : (la ? 1000000 : -1);
    json_int_t db = json_is_integer(json_object_get(b, "late_by_days"))
                        ? json_integer_value(json_object_get(b, "late_by_days"))
                        : (lb ? 1000000 : -1);
    if (da != db)
        return da < db ? 1 : -1;
    return strcmp(json_string_value(json_object_get(a, "indicator")),
                  json_string_value(json_object_get(b, "indicator")));
}

dh_status dh_app_sources_freshness(dh_app *app, const dh_actor *a, const char *unit, time_t now,
                                   json_t **out, dh_err *e)
{
    *out = NULL;
    char *units = NULL;
    dh_status st =
        dh_app_scope_units_of(app, a, unit, true, "indicator_value", false, now, &units, e);
    if (st)
        return st;
    dh_conn *c = dh_store_acquire(app->store, e);
    if (!c) {
        free(units);
        return e->status;
    }
    int64_t rev = 0;
    if ((st = DH_META(c)->meta_get(c, DH_IVALUES_REV, &rev, e)) == DH_OK &&
        (*out = cache_get(app->fresh, units ? units : "", rev, now))) {
        dh_store_release(c);
        free(units);
        return DH_OK;
    }
    dh_indset inds;
    if (st || (st = dh_indset_load(c, &inds, e))) {
        dh_store_release(c);
        free(units);
        return st;
    }
    int64_t now_min = ((int64_t)now + DH_VN_OFFSET) / 60;
    /* the next local midnight, or a daily rule's next minute, if sooner */
    int64_t today_min = (now_min >= 0 ? now_min / 1440 : (now_min - 1439) / 1440) * 1440;
    int64_t until_min = today_min + 1440;
    size_t n = 0;
    json_t **items = dh_xcalloc(inds.n + 1, sizeof *items);
    int late = 0;
    for (size_t i = 0; i < inds.n && st == DH_OK; i++) {
        const dh_ind *ind = &inds.v[i];
        if (strcmp(ind->source, "pushed") && strcmp(ind->source, "reported"))
            continue;
        dh_date from = DH_DATE_NONE, to = DH_DATE_NONE;
        time_t rec = 0;
        st = DH_INDICATORS(c)->ivalues_latest(c, ind->id, units, &from, &to, &rec, e);
        bool have = st == DH_OK;
        if (st == DH_E_NOTFOUND)
            st = DH_OK;
        if (st)
            break;
        json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "indicator", ind->code, "name", ind->name,
                              "source", ind->source, "freshness", ind->freshness);
        if (have) {
            char at[24], label[32];
            dh_time_format_utc(rec, at);
            dh_ind_period_label(ind->pt, dh_ind_period_of(ind->pt, from), label, sizeof label);
            json_object_set_new(o, "last_value_at", json_string(at));
            json_object_set_new(o, "last_period", json_string(label));
        } else {
            json_object_set_new(o, "last_value_at", json_null());
            json_object_set_new(o, "last_period", json_null());
        }
        dh_fresh f;
        const char *why = NULL;
        if (!*ind->freshness || dh_fresh_parse(ind->freshness, &f, &why)) {
            if (*ind->freshness)
                json_object_set_new(o, "rule_error", json_string(why));
            json_object_set_new(o, "due", json_null());
            json_object_set_new(o, "late", json_false());
            json_object_set_new(o, "late_by_days", json_null());
        } else {
            dh_fresh_for_period(&f, ind->pt);
            if (f.kind == DH_FR_DAILY) {
                int64_t next = today_min + f.minute;
                if (next <= now_min)
                    next += 1440;
                if (next < until_min)
                    until_min = next;
            }
            dh_fresh_eval ev;
            int64_t rec_min = ((int64_t)rec + DH_VN_OFFSET) / 60;
            dh_fresh_judge(&f, now_min, have, rec_min, to, &ev);
            json_object_set_new(o, "due", f.kind == DH_FR_DAILY ? local_minute_json(ev.due_min)
                                                                : dh_ind_date_json(ev.due_day));
            if (f.kind != DH_FR_DAILY) {
                char label[32];
                dh_ind_period_label(dh_fresh_ptype(&f), ev.expected, label, sizeof label);
                json_object_set_new(o, "expected_period", json_string(label));
            }
            json_object_set_new(o, "late", json_boolean(ev.late));
            json_object_set_new(o, "late_by_days", ev.late_by_days >= 0
                                                       ? json_integer(ev.late_by_days)
                                                       : json_null());
            late += ev.late;
        }
        items[n++] = o;
    }
    dh_store_release(c);
    dh_indset_free(&inds);
    if (st == DH_OK) {
        qsort(items, n, sizeof *items, cmp_item);
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, items[i]);
        char asof[24];
        dh_time_format_utc(now, asof);
        *out = json_pack("{s:s,s:i,s:o}", "as_of", asof, "late", late, "items", arr);
        cache_put(app->fresh, units ? units : "", rev, now,
                  (time_t)(until_min * 60 - DH_VN_OFFSET), *out);
    } else {
        for (size_t i = 0; i < n; i++)
            json_decref(items[i]);
    }
    free(items);
    free(units);
    return st;
}
