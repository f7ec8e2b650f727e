/* ep_units.c - the unit registry over HTTP:
 *   GET   /api/v1/units?as_of=&parent=&q=&kind=&limit=&cursor=
 *   POST  /api/v1/units
 *   GET   /api/v1/units/{code}?as_of=
 *   PATCH /api/v1/units/{code}
 *   GET   /api/v1/units/{code}/children?as_of=
 *   GET   /api/v1/units/{code}/ancestors?as_of=
 *   GET   /api/v1/units/{code}/descendants?as_of=
 *   GET   /api/v1/units/{code}/lineage
 *   POST  /api/v1/unit-events
 *   GET   /api/v1/unit-tree?as_of=&root=
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "util/buf.h"

/* Pages a list of unit indices: items from offset `cursor`, `limit` long. */
static void reply_units(dh_req *rq, dh_resp *rs, const dh_unitreg *r, const int32_t *v, size_t n,
                        dh_date d)
{
    int limit;
    int64_t cursor;
    if (dh_req_limit(rq, rs, &limit) || dh_req_cursor(rq, rs, &cursor))
        return;
    json_t *items = json_array();
    size_t end = (size_t)cursor + (size_t)limit;
    for (size_t i = (size_t)cursor; i < n && i < end; i++)
        json_array_append_new(items, dh_app_unit_json(r, v[i], d, false));
    char next[32];
    snprintf(next, sizeof next, "%zu", end);
    dh_reply_list_steal(rs, items, end < n ? next : NULL);
}

static const dh_unitreg *units(dh_req *rq, dh_resp *rs)
{
    dh_err e;
    const dh_unitreg *r = dh_app_units_acquire(rq->app, &e);
    if (!r)
        dh_reply_err(rs, &e);
    return r;
}

static int32_t unit_param(dh_req *rq, dh_resp *rs, const dh_unitreg *r)
{
    int32_t u = dh_unitreg_find(r, rq->params[0]);
    if (u < 0)
        dh_reply_error(rs, 404, "unknown_unit", "code", "unit '%s' does not exist",
                       rq->params[0]);
    return u;
}

static void list_units(dh_req *rq, dh_resp *rs)
{
    dh_date d;
    const char *q = dh_req_query(rq, "q"), *parent = dh_req_query(rq, "parent");
    const char *kind = dh_req_query(rq, "kind"), *as_of = dh_req_query(rq, "as_of");
    dh_unit_kind k = DH_UNIT_PROVINCE;
    if (dh_req_as_of(rq, rs, &d))
        return;
    if (kind && dh_unit_kind_parse(kind, &k)) {
        dh_reply_error(rs, 422, "invalid_kind", "kind",
                       "kind must be one of province, department, district, commune, "
                       "enterprise, centre, office");
        return;
    }
    if (q && strlen(q) > 200) {
        dh_reply_error(rs, 422, "too_long", "q", "q is longer than 200 bytes");
        return;
    }
    const dh_unitreg *r = units(rq, rs);
    if (!r)
        return;
    int32_t *v = NULL;
    size_t n;
    if (parent) {
        int32_t p = dh_unitreg_find(r, parent);
        if (p < 0) {
            dh_reply_error(rs, 404, "unknown_unit", "parent", "unit '%s' does not exist", parent);
            dh_app_units_release(rq->app, r);
            return;
        }
        n = dh_unitreg_children(r, p, d, &v);
    } else if (q) {
        /* A search without as_of looks through every name a unit ever had. */
        n = dh_unitreg_search(r, q, as_of ? d : DH_DATE_NONE, &v);
    } else {
        v = dh_xmalloc((r->n + 1) * sizeof *v);
        n = 0;
        for (size_t i = 0; i < r->n; i++)
            if (dh_unitreg_valid_at(r, (int32_t)i, d))
                v[n++] = (int32_t)i;
    }
    if (parent && q) {
        /* Both: the children whose names match. */
        int32_t *hits;
        size_t nh = dh_unitreg_search(r, q, d, &hits), m = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < nh; j++)
                if (v[i] == hits[j]) {
                    v[m++] = v[i];
                    break;
                }
        n = m;
        free(hits);
    }
    if (kind) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (r->u[v[i]].kind == k)
                v[m++] = v[i];
        n = m;
    }
    reply_units(rq, rs, r, v, n, d);
    free(v);
    dh_app_units_release(rq->app, r);
}

static void reply_result(dh_resp *rs, int status, dh_status st, json_t *out, const dh_err *e)
{
    if (st)
        dh_reply_err(rs, e);
    else
        dh_reply_json_steal(rs, status, out);
}

static void create_unit(dh_req *rq, dh_resp *rs)
{
    json_t *body = dh_req_json(rq, rs), *out = NULL;
    dh_err e;
    if (!body)
        return;
    dh_status st = dh_app_unit_create(rq->app, &rq->actor, body, rq->now, &out, &e);
    json_decref(body);
    reply_result(rs, 201, st, out, &e);
}

static void get_unit(dh_req *rq, dh_resp *rs)
{
    dh_date d;
    if (dh_req_as_of(rq, rs, &d))
        return;
    const dh_unitreg *r = units(rq, rs);
    if (!r)
        return;
    int32_t u = unit_param(rq, rs, r);
    if (u >= 0) {
        json_t *o = dh_app_unit_json(r, u, d, true);
        json_object_set_new(o, "exists_on_as_of", json_boolean(dh_unitreg_valid_at(r, u, d)));
        dh_reply_json_steal(rs, 200, o);
    }
    dh_app_units_release(rq->app, r);
}

static void patch_unit(dh_req *rq, dh_resp *rs)
{
    json_t *body = dh_req_json(rq, rs), *out = NULL;
    dh_err e;
    if (!body)
        return;
    dh_status st = dh_app_unit_patch(rq->app, &rq->actor, rq->params[0], body, rq->now, &out, &e);
    json_decref(body);
    reply_result(rs, 200, st, out, &e);
}

typedef size_t (*relation_fn)(const dh_unitreg *, int32_t, dh_date, int32_t **);

static void relation(dh_req *rq, dh_resp *rs, relation_fn fn)
{
    dh_date d;
    if (dh_req_as_of(rq, rs, &d))
        return;
    const dh_unitreg *r = units(rq, rs);
    if (!r)
        return;
    int32_t u = unit_param(rq, rs, r);
    if (u >= 0) {
        int32_t *v;
        size_t n = fn(r, u, d, &v);
        reply_units(rq, rs, r, v, n, d);
        free(v);
    }
    dh_app_units_release(rq->app, r);
}

static void get_children(dh_req *rq, dh_resp *rs) { relation(rq, rs, dh_unitreg_children); }
static void get_ancestors(dh_req *rq, dh_resp *rs) { relation(rq, rs, dh_unitreg_ancestors); }
static void get_descendants(dh_req *rq, dh_resp *rs) { relation(rq, rs, dh_unitreg_descendants); }

static json_t *codes_json(const dh_unitreg *r, const int32_t *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(r->u[v[i]].code));
    return a;
}

static void get_lineage(dh_req *rq, dh_resp *rs)
{
    const dh_unitreg *r = units(rq, rs);
    if (!r)
        return;
    int32_t u = unit_param(rq, rs, r);
    if (u >= 0) {
        int32_t *pre, *suc;
        size_t np = dh_unitreg_lineage(r, u, false, &pre);
        size_t ns = dh_unitreg_lineage(r, u, true, &suc);
        json_t *events = json_array();
        for (size_t i = 0; i < r->nlinks; i++) {
            const dh_unit_link *l = &r->links[i];
            if (l->from != u && l->to != u)
                continue;
            char eff[DH_DATE_TEXT_LEN];
            dh_date_format(l->effective, eff);
            json_array_append_new(events,
                                  json_pack("{s:I,s:s,s:s,s:s,s:b}", "event", (json_int_t)l->event_id,
                                            "effective", eff, "from", r->u[l->from].code, "to",
                                            r->u[l->to].code, "partial", l->partial));
        }
        dh_reply_json_steal(rs, 200,
                            json_pack("{s:s,s:o,s:o,s:o}", "code", r->u[u].code, "predecessors",
                                      codes_json(r, pre, np), "successors",
                                      codes_json(r, suc, ns), "links", events));
        free(pre);
        free(suc);
    }
    dh_app_units_release(rq->app, r);
}

static void post_event(dh_req *rq, dh_resp *rs)
{
    json_t *body = dh_req_json(rq, rs), *out = NULL;
    dh_err e;
    if (!body)
        return;
    dh_status st = dh_app_unit_event(rq->app, &rq->actor, body, rq->now, &out, &e);
    json_decref(body);
    reply_result(rs, 201, st, out, &e);
}

#define TREE_DEPTH_MAX 64

static json_t *subtree(const dh_unitreg *r, int32_t u, dh_date d, int depth)
{
    json_t *o = dh_app_unit_json(r, u, d, false);
    int32_t *kids;
    size_t n = dh_unitreg_children(r, u, d, &kids);
    json_t *arr = json_array();
    for (size_t i = 0; i < n && depth < TREE_DEPTH_MAX; i++)
        json_array_append_new(arr, subtree(r, kids[i], d, depth + 1));
    free(kids);
    json_object_set_new(o, "children", arr);
    return o;
}

static void get_tree(dh_req *rq, dh_resp *rs)
{
    dh_date d;
    if (dh_req_as_of(rq, rs, &d))
        return;
    const char *root = dh_req_query(rq, "root");
    const dh_unitreg *r = units(rq, rs);
    if (!r)
        return;
    int32_t *roots = NULL;
    size_t n;
    if (root) {
        int32_t u = dh_unitreg_find(r, root);
        if (u < 0 || !dh_unitreg_valid_at(r, u, d)) {
            dh_reply_error(rs, 404, "unknown_unit", "root", "unit '%s' does not exist on that date",
                           root);
            dh_app_units_release(rq->app, r);
            return;
        }
        roots = dh_xmalloc(sizeof *roots);
        roots[0] = u;
        n = 1;
    } else {
        n = dh_unitreg_roots(r, d, &roots);
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, subtree(r, roots[i], d, 0));
    free(roots);
    char ds[DH_DATE_TEXT_LEN];
    dh_date_format(d, ds);
    dh_reply_json_steal(rs, 200, json_pack("{s:s,s:o}", "as_of", ds, "items", items));
    dh_app_units_release(rq->app, r);
}

const dh_route dh_routes_units[] = {
    {"GET", "/api/v1/units", list_units, 0},
    {"POST", "/api/v1/units", create_unit, 0},
    {"GET", "/api/v1/units/{}", get_unit, 0},
    {"PATCH", "/api/v1/units/{}", patch_unit, 0},
    {"GET", "/api/v1/units/{}/children", get_children, 0},
    {"GET", "/api/v1/units/{}/ancestors", get_ancestors, 0},
    {"GET", "/api/v1/units/{}/descendants", get_descendants, 0},
    {"GET", "/api/v1/units/{}/lineage", get_lineage, 0},
    {"POST", "/api/v1/unit-events", post_event, 0},
    {"GET", "/api/v1/unit-tree", get_tree, 0},
    {0, 0, 0, 0},
};
