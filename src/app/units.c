/* units.c - unit operations: create, change, reorganisation events, CSV
 * import and export, and the JSON form of a unit. */
#include <stdlib.h>
#include <string.h>

#include "app/internal.h"
#include "util/buf.h"
#include "util/csv.h"
#include "util/text.h"

static json_t *date_json(dh_date d)
{
    if (d == DH_DATE_NONE)
        return json_null();
    char buf[DH_DATE_TEXT_LEN];
    dh_date_format(d, buf);
    return json_string(buf);
}

static json_t *parent_json(const dh_unitreg *r, int32_t p)
{
    return p >= 0 ? json_string(r->u[p].code) : json_null();
}

json_t *dh_app_unit_json(const dh_unitreg *r, int32_t u, dh_date d, bool detailed)
{
    const dh_unit *unit = &r->u[u];
    const dh_unit_version *v = dh_unitreg_nearest(r, u, d);
    json_t *o = json_object();
    json_object_set_new(o, "code", json_string(unit->code));
    json_object_set_new(o, "name", json_string(v ? v->name : ""));
    json_object_set_new(o, "short_name", json_string(v ? v->short_name : ""));
    json_object_set_new(o, "kind", json_string(dh_unit_kind_name(unit->kind)));
    json_object_set_new(o, "parent", parent_json(r, v ? v->parent : -1));
    json_object_set_new(o, "valid_from", date_json(unit->valid_from));
    json_object_set_new(o, "valid_to", date_json(unit->valid_to));
    if (detailed) {
        json_t *vs = json_array();
        for (size_t i = 0; i < unit->nv; i++) {
            const dh_unit_version *x = &unit->v[i];
            json_t *vo = json_object();
            json_object_set_new(vo, "valid_from", date_json(x->from));
            json_object_set_new(vo, "valid_to", date_json(i + 1 < unit->nv ? unit->v[i + 1].from - 1
                                                                          : unit->valid_to));
            json_object_set_new(vo, "name", json_string(x->name));
            json_object_set_new(vo, "short_name", json_string(x->short_name));
            json_object_set_new(vo, "parent", parent_json(r, x->parent));
            json_array_append_new(vs, vo);
        }
        json_object_set_new(o, "versions", vs);
    }
    return o;
}

/* The audit/response snapshot of a unit: its full history. */
static json_t *snapshot(const dh_unitreg *r, int32_t u, dh_date today)
{
    return u >= 0 ? dh_app_unit_json(r, u, today, true) : NULL;
}

/* ------------------------------------------------------------------ */
/* Create.                                                            */

/* Owned strings of a unit spec read from JSON or CSV. */
typedef struct spec_buf {
    char *code, *name, *short_name, *kind, *parent;
    dh_unit_spec spec;
} spec_buf;

static void spec_buf_free(spec_buf *b)
{
    free(b->code);
    free(b->name);
    free(b->short_name);
    free(b->kind);
    free(b->parent);
    memset(b, 0, sizeof *b);
}

static dh_status spec_finish(spec_buf *b, dh_err *e)
{
    b->spec.code = b->code;
    b->spec.name = b->name;
    b->spec.short_name = b->short_name;
    b->spec.parent = b->parent && *b->parent ? b->parent : NULL;
    if (dh_unit_kind_parse(b->kind, &b->spec.kind))
        return dh_err_set(e, DH_E_INVALID, "invalid_kind", "kind",
                          "kind '%s' is not one of province, department, district, commune, "
                          "enterprise, centre, office",
                          b->kind ? b->kind : "");
    return DH_OK;
}

static dh_status spec_from_json(json_t *o, bool with_code, spec_buf *b, dh_err *e)
{
    dh_status st;
    memset(b, 0, sizeof *b);
    if ((with_code && (st = dh_json_text(o, "code", true, &b->code, e))) ||
        (st = dh_json_text(o, "name", true, &b->name, e)) ||
        (st = dh_json_text(o, "short_name", false, &b->short_name, e)) ||
        (st = dh_json_text(o, "kind", true, &b->kind, e)) ||
        (st = dh_json_text(o, "parent", false, &b->parent, e)) ||
        (st = dh_json_date(o, "valid_from", with_code, &b->spec.valid_from, e)) ||
        (st = dh_json_date(o, "valid_to", false, &b->spec.valid_to, e)))
        return st;
    return spec_finish(b, e);
}

/* May the actor create a unit under `parent` (a code or NULL for a root)? */
static bool may_write_under(const dh_unitreg *r, const dh_actor *a, const char *parent,
                            dh_date d)
{
    int32_t p = parent ? dh_unitreg_find(r, parent) : -1;
    if (!parent)
        return a->role == DH_ROLE_ADMIN;
    /* An unknown parent is a 409 found by validation, not a 403. */
    if (p < 0)
        return true;
    return dh_access_allows(r, a->role, dh_app_actor_scope(r, a), DH_ACT_WRITE, p, d);
}

typedef struct unit_create_cl {
    const dh_actor *a;
    const spec_buf *b;
    dh_date today;
    time_t now;
    json_t *out;
} unit_create_cl;

/* Concurrency: reads the whole unit registry (units, unit_versions,
 * unit_links) inside the write transaction (DH_TX_UNITS) and decides from
 * it that the code is new, that the parent exists and that the actor may
 * write under it; the new unit is saved and units_rev bumped in the same
 * transaction, so a second writer waits for the write lock (SQLite) or
 * fails its commit and is rerun against the new registry (PostgreSQL);
 * the unique code of units is the last guard. */
static dh_status unit_create_tx(dh_tx *tx, void *closure, dh_err *e)
{
    unit_create_cl *cl = closure;
    json_decref(cl->out);
    cl->out = NULL;
    const spec_buf *b = cl->b;
    if (!may_write_under(tx->reg, cl->a, b->spec.parent, cl->today))
        return dh_tx_deny(tx, cl->a, "create", "unit", b->code,
                          b->spec.parent ? b->spec.parent : "", cl->now, e,
                          "create a unit there (outside their subtree)");
    int32_t u;
    dh_status st = dh_unitreg_create(tx->reg, &b->spec, &u, e);
    if (st == DH_OK) {
        cl->out = snapshot(tx->reg, u, cl->today);
        st = dh_app_audit(tx->c, cl->a, "create", "unit", b->code, b->code, "ok", NULL, cl->out,
                          cl->now, e);
    }
    return st;
}

dh_status dh_app_unit_create(dh_app *app, const dh_actor *a, json_t *body, time_t now,
                             json_t **out, dh_err *e)
{
    static const char *const allowed[] = {"code",   "name",       "short_name", "kind",
                                          "parent", "valid_from", "valid_to",   NULL};
    spec_buf b;
    dh_status st;
    *out = NULL;
    if ((st = dh_json_only(body, allowed, e)))
        return st;
    if ((st = spec_from_json(body, true, &b, e))) {
        spec_buf_free(&b);
        return st;
    }
    unit_create_cl cl = {a, &b, dh_date_of_time_vn(now), now, NULL};
    st = dh_tx_run(app, DH_TX_UNITS, unit_create_tx, &cl, e);
    spec_buf_free(&b);
    if (st)
        json_decref(cl.out);
    else
        *out = cl.out;
    return st;
}

/* ------------------------------------------------------------------ */
/* Patch: corrections, or changes from an effective date.             */

typedef struct unit_patch_cl {
    const dh_actor *a;
    const char *code, *name, *short_name, *parent;
    dh_date eff, today;
    time_t now;
    json_t *out;
} unit_patch_cl;

/* Concurrency: reads the whole unit registry inside the write transaction
 * (DH_TX_UNITS): the unit's versions, the actor's scope, the new parent
 * and the tree that must stay free of cycles. The changed versions are
 * saved and units_rev bumped in the same transaction, so two changes to
 * the tree are serialised by the write lock (SQLite) or the later one
 * fails its commit and is rerun on the new tree (PostgreSQL). */
static dh_status unit_patch_tx(dh_tx *tx, void *closure, dh_err *e)
{
    unit_patch_cl *cl = closure;
    json_decref(cl->out);
    cl->out = NULL;
    int32_t u = dh_unitreg_find(tx->reg, cl->code);
    if (u < 0)
        return dh_err_set(e, DH_E_NOTFOUND, "unknown_unit", "code", "unit '%s' does not exist",
                          cl->code);
    int32_t scope = dh_app_actor_scope(tx->reg, cl->a);
    bool ok = dh_access_allows(tx->reg, cl->a->role, scope, DH_ACT_WRITE, u, cl->today);
    if (ok && cl->parent)
        ok = may_write_under(tx->reg, cl->a, *cl->parent ? cl->parent : NULL,
                             cl->eff == DH_DATE_NONE ? cl->today : cl->eff);
    if (!ok)
        return dh_tx_deny(tx, cl->a, "update", "unit", cl->code, cl->code, cl->now, e,
                          "change this unit (outside their subtree)");
    json_t *before = snapshot(tx->reg, u, cl->today);
    dh_status st = dh_unitreg_change(tx->reg, u, cl->eff, cl->name, cl->short_name, cl->parent, e);
    if (st == DH_OK) {
        cl->out = snapshot(tx->reg, u, cl->today);
        st = dh_app_audit(tx->c, cl->a, cl->eff == DH_DATE_NONE ? "correct" : "update", "unit",
                          cl->code, cl->code, "ok", before, cl->out, cl->now, e);
    }
    json_decref(before);
    return st;
}

dh_status dh_app_unit_patch(dh_app *app, const dh_actor *a, const char *code, json_t *body,
                            time_t now, json_t **out, dh_err *e)
{
    static const char *const allowed[] = {"name", "short_name", "parent", "effective", NULL};
    char *name = NULL, *short_name = NULL, *parent = NULL;
    dh_date eff = DH_DATE_NONE;
    dh_status st;
    *out = NULL;
    if ((st = dh_json_only(body, allowed, e)) ||
        (st = dh_json_text(body, "name", false, &name, e)) ||
        (st = dh_json_text(body, "short_name", false, &short_name, e)) ||
        (st = dh_json_text(body, "parent", false, &parent, e)) ||
        (st = dh_json_date(body, "effective", false, &eff, e)))
        goto done;
    if (!name && !short_name && !parent && !json_object_get(body, "parent")) {
        st = dh_err_set(e, DH_E_INVALID, "nothing_to_change", NULL,
                        "give at least one of name, short_name, parent");
        goto done;
    }
    /* "parent": null makes the unit a root. */
    if (!parent && json_object_get(body, "parent"))
        parent = dh_xstrdup("");
    unit_patch_cl cl = {a, code, name, short_name, parent, eff, dh_date_of_time_vn(now), now, NULL};
    st = dh_tx_run(app, DH_TX_UNITS, unit_patch_tx, &cl, e);
    if (st)
        json_decref(cl.out);
    else
        *out = cl.out;
done:
    free(name);
    free(short_name);
    free(parent);
    return st;
}

/* ------------------------------------------------------------------ */
/* Reorganisation events.                                             */

typedef struct event_buf {
    dh_unit_event ev;
    dh_event_part *from, *to;
    spec_buf *specs;
    char **strs;
    size_t nstrs;
    char *source, *note;
} event_buf;

static char *keep(event_buf *b, char *s)
{
    b->strs = dh_xrealloc(b->strs, (b->nstrs + 1) * sizeof *b->strs);
    b->strs[b->nstrs++] = s;
    return s;
}

static void event_buf_free(event_buf *b)
{
    for (size_t i = 0; i < b->ev.nto; i++)
        spec_buf_free(&b->specs[i]);
    for (size_t i = 0; i < b->nstrs; i++)
        free(b->strs[i]);
    free(b->strs);
    free(b->specs);
    free(b->from);
    free(b->to);
    free(b->source);
    free(b->note);
}

#define EVENT_PARTS_MAX 1000

/* Turns field "name" into "to[2].name" so the client knows which entry. */
static void prefix_field(dh_err *e, const char *key, size_t i)
{
    char inner[sizeof e->field];
    memcpy(inner, e->field, sizeof inner);
    snprintf(e->field, sizeof e->field, "%s[%zu].%s", key, i, inner);
}

static dh_status parts_from_json(json_t *body, const char *key, bool to_side, event_buf *b,
                                 dh_err *e)
{
    json_t *arr = json_object_get(body, key);
    if (!arr)
        return DH_OK;
    if (!json_is_array(arr))
        return dh_err_set(e, DH_E_INVALID, "invalid_type", key, "%s must be an array", key);
    size_t n = json_array_size(arr);
    if (n > EVENT_PARTS_MAX)
        return dh_err_set(e, DH_E_TOOLARGE, "too_many", key, "%s has more than %d entries", key,
                          EVENT_PARTS_MAX);
    dh_event_part *parts = dh_xcalloc(n, sizeof *parts);
    if (to_side) {
        b->to = parts;
        b->specs = dh_xcalloc(n, sizeof *b->specs);
    } else {
        b->from = parts;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(arr, i);
        static const char *const from_keys[] = {"unit", "partial", NULL};
        static const char *const to_keys[] = {"unit", "name", "short_name", "kind", "parent",
                                              NULL};
        dh_status st = dh_json_only(o, to_side ? to_keys : from_keys, e);
        char *code = NULL;
        if (st == DH_OK)
            st = dh_json_text(o, "unit", true, &code, e);
        if (st)
            return prefix_field(e, key, i), st;
        parts[i].code = keep(b, code);
        json_t *partial = json_object_get(o, "partial");
        if (partial && !json_is_boolean(partial))
            return dh_err_set(e, DH_E_INVALID, "invalid_type", "partial",
                              "%s[%zu].partial must be true or false", key, i);
        parts[i].partial = partial && json_is_true(partial);
        if (to_side) {
            b->ev.nto = i + 1;
            if (json_object_get(o, "name")) {
                if ((st = spec_from_json(o, false, &b->specs[i], e)))
                    return prefix_field(e, key, i), st;
                parts[i].spec = &b->specs[i].spec;
            }
        } else {
            b->ev.nfrom = i + 1;
        }
    }
    return DH_OK;
}

static dh_status event_from_json(json_t *body, event_buf *b, dh_err *e)
{
    static const char *const allowed[] = {"kind", "effective", "source", "note",   "from",
                                          "to",   "unit",      "name",   "short_name",
                                          "parent", NULL};
    dh_status st;
    char *kind = NULL, *unit = NULL, *name = NULL, *short_name = NULL, *parent = NULL;
    memset(b, 0, sizeof *b);
    if ((st = dh_json_only(body, allowed, e)) ||
        (st = dh_json_text(body, "kind", true, &kind, e)))
        return st;
    keep(b, kind);
    if (dh_event_kind_parse(kind, &b->ev.kind) || b->ev.kind == DH_EV_CREATE ||
        b->ev.kind == DH_EV_EDIT)
        return dh_err_set(e, DH_E_INVALID, "invalid_event", "kind",
                          "kind must be merge, split, rename, move or close");
    if ((st = dh_json_date(body, "effective", true, &b->ev.effective, e)) ||
        (st = dh_json_text(body, "source", false, &b->source, e)) ||
        (st = dh_json_text(body, "note", false, &b->note, e)) ||
        (st = dh_json_text(body, "unit", false, &unit, e)) ||
        (st = dh_json_text(body, "name", false, &name, e)) ||
        (st = dh_json_text(body, "short_name", false, &short_name, e)) ||
        (st = dh_json_text(body, "parent", false, &parent, e)))
        goto done;
    /* A move to no parent is written "parent": null. */
    if (!parent && json_object_get(body, "parent"))
        parent = dh_xstrdup("");
    b->ev.unit = unit;
    b->ev.name = name;
    b->ev.short_name = short_name;
    b->ev.parent = parent;
    if ((st = parts_from_json(body, "from", false, b, e)) ||
        (st = parts_from_json(body, "to", true, b, e)))
        goto done;
    b->ev.from = b->from;
    b->ev.to = b->to;
done:
    if (unit)
        keep(b, unit);
    if (name)
        keep(b, name);
    if (short_name)
        keep(b, short_name);
    if (parent)
        keep(b, parent);
    return st;
}

/* Every unit an event touches must be writable by the actor. */
static const char *event_forbidden(const dh_unitreg *r, const dh_actor *a,
                                   const dh_unit_event *ev, dh_date today)
{
    if (a->role == DH_ROLE_ADMIN)
        return NULL;
    int32_t scope = dh_app_actor_scope(r, a);
    const char *codes[2] = {ev->unit, NULL};
    for (size_t i = 0; i < 1; i++) {
        int32_t u = codes[i] ? dh_unitreg_find(r, codes[i]) : -1;
        if (u >= 0 && !dh_access_allows(r, a->role, scope, DH_ACT_WRITE, u, today))
            return codes[i];
    }
    if (ev->kind == DH_EV_MOVE && !may_write_under(r, a, ev->parent && *ev->parent ? ev->parent
                                                                                   : NULL,
                                                   ev->effective))
        return ev->parent;
    for (size_t i = 0; i < ev->nfrom; i++) {
        int32_t u = dh_unitreg_find(r, ev->from[i].code);
        if (u >= 0 && !dh_access_allows(r, a->role, scope, DH_ACT_WRITE, u, today))
            return ev->from[i].code;
    }
    for (size_t i = 0; i < ev->nto; i++) {
        if (ev->to[i].spec) {
            if (!may_write_under(r, a, ev->to[i].spec->parent, ev->effective))
                return ev->to[i].code;
            continue;
        }
        int32_t u = dh_unitreg_find(r, ev->to[i].code);
        if (u >= 0 && !dh_access_allows(r, a->role, scope, DH_ACT_WRITE, u, today))
            return ev->to[i].code;
    }
    return NULL;
}

typedef struct unit_event_cl {
    const dh_actor *a;
    json_t *body;
    const event_buf *b;
    dh_date today;
    time_t now;
    json_t *out;
} unit_event_cl;

/* Concurrency: reads the whole unit registry inside the write transaction
 * (DH_TX_UNITS): every unit the event names, their versions and links, and
 * the actor's scope. The event row, the changed units and the new links
 * are written and units_rev bumped in the same transaction, so two
 * reorganisations never apply to the same tree: the second waits for the
 * write lock (SQLite) or fails its commit and is rerun against the tree
 * the first left (PostgreSQL), where it may now be refused (a unit already
 * closed or merged). */
static dh_status unit_event_tx(dh_tx *tx, void *closure, dh_err *e)
{
    unit_event_cl *cl = closure;
    const dh_unit_event *ev = &cl->b->ev;
    dh_unitreg *reg = tx->reg;
    json_decref(cl->out);
    cl->out = NULL;
    const char *denied = event_forbidden(reg, cl->a, ev, cl->today);
    if (denied)
        return dh_tx_deny(tx, cl->a, "event", "unit", denied, denied, cl->now, e,
                          "reorganise units outside their subtree");
    size_t links_before = reg->nlinks;
    dh_status st = dh_unitreg_apply_event(reg, ev, e);
    if (st)
        return st;
    char *body_text = json_dumps(cl->body, JSON_COMPACT | JSON_SORT_KEYS);
    dh_unit_event_row row = {0,
                             dh_event_kind_name(ev->kind),
                             ev->effective,
                             cl->b->source,
                             cl->b->note,
                             body_text,
                             cl->now,
                             cl->a->user_id};
    int64_t event_id = 0;
    st = DH_UNITS(tx->c)->insert_unit_event(tx->c, &row, &event_id, e);
    free(body_text);
    if (st == DH_OK)
        st = dh_app_save_units(tx->c, reg, event_id, e);
    if (st)
        return st;
    /* The answer: the event, with every unit it touched as it now is. */
    json_t *units = json_array();
    for (size_t i = 0; i < reg->n; i++) {
        bool touched = false;
        for (size_t k = links_before; k < reg->nlinks && !touched; k++)
            touched = reg->links[k].from == (int32_t)i || reg->links[k].to == (int32_t)i;
        const char *c = reg->u[i].code;
        touched = touched || (ev->unit && strcmp(ev->unit, c) == 0);
        if (touched)
            json_array_append_new(units, dh_app_unit_json(reg, (int32_t)i, ev->effective, false));
    }
    cl->out = json_pack("{s:I,s:s,s:o,s:O}", "id", (json_int_t)event_id, "kind",
                        dh_event_kind_name(ev->kind), "effective", date_json(ev->effective),
                        "units", units);
    json_decref(units);
    char key[32];
    snprintf(key, sizeof key, "%lld", (long long)event_id);
    const char *unit_code = ev->unit ? ev->unit : ev->nto ? ev->to[0].code : "";
    return dh_app_audit(tx->c, cl->a, "event", "unit_event", key, unit_code, "ok", NULL, cl->body,
                        cl->now, e);
}

dh_status dh_app_unit_event(dh_app *app, const dh_actor *a, json_t *body, time_t now,
                            json_t **out, dh_err *e)
{
    event_buf b;
    *out = NULL;
    dh_status st = event_from_json(body, &b, e);
    if (st == DH_OK) {
        unit_event_cl cl = {a, body, &b, dh_date_of_time_vn(now), now, NULL};
        st = dh_tx_run(app, DH_TX_UNITS, unit_event_tx, &cl, e);
        if (st)
            json_decref(cl.out);
        else
            *out = cl.out;
    }
    event_buf_free(&b);
    return st;
}

/* ------------------------------------------------------------------ */
/* CSV import and export.                                             */

static const char *const csv_cols[] = {"code",   "name",       "short_name", "kind",
                                       "parent", "valid_from", "valid_to"};
#define NCOLS 7

void dh_import_report_free(dh_import_report *r)
{
    for (int i = 0; i < r->nmessages; i++)
        free(r->messages[i]);
    free(r->messages);
    memset(r, 0, sizeof *r);
}

#define report dh_report_add

/* Reads one CSV row into a spec; on error fills *e (field set). */
static dh_status row_spec(char **f, const int *map, spec_buf *b, dh_err *e)
{
    memset(b, 0, sizeof *b);
    char **dst[5] = {&b->code, &b->name, &b->short_name, &b->kind, &b->parent};
    for (int i = 0; i < 5; i++) {
        const char *raw = map[i] >= 0 ? f[map[i]] : "";
        dh_status st = dh_text_clean_field(raw, csv_cols[i], dst[i], e);
        if (st)
            return st;
    }
    const char *vf = map[5] >= 0 ? f[map[5]] : "";
    const char *vt = map[6] >= 0 ? f[map[6]] : "";
    if (dh_date_parse(vf, &b->spec.valid_from))
        return dh_err_set(e, DH_E_INVALID, "invalid_date", "valid_from",
                          "valid_from: '%s' is not a date YYYY-MM-DD", vf);
    b->spec.valid_to = DH_DATE_NONE;
    if (*vt && dh_date_parse(vt, &b->spec.valid_to))
        return dh_err_set(e, DH_E_INVALID, "invalid_date", "valid_to",
                          "valid_to: '%s' is not a date YYYY-MM-DD", vt);
    if (!*b->name)
        return dh_err_set(e, DH_E_INVALID, "missing_field", "name", "name: is empty");
    return spec_finish(b, e);
}

typedef struct unit_import_cl {
    const dh_actor *a;
    const dh_buf *data; /* the whole file, read again by every run */
    const char *name;
    const int *map;
    dh_date today;
    time_t now;
    bool partial;
    dh_import_report *rep;
    void (*progress)(long rows, void *closure);
    void *closure;
    int runs;
} unit_import_cl;

/* Concurrency: reads the whole unit registry inside the write transaction
 * (DH_TX_UNITS) and checks every row against it and against the rows
 * before it (a new code, a known parent, the actor's subtree); all the
 * units are saved and units_rev bumped in the same transaction, so the
 * import is all or nothing against one registry: another writer waits for
 * the write lock (SQLite) or one of the two fails its commit and is rerun
 * on the other's registry (PostgreSQL); the unique code of units is the
 * last guard. */
static dh_status unit_import_tx(dh_tx *tx, void *closure, dh_err *e)
{
    unit_import_cl *cl = closure;
    const char *name = cl->name;
    const int *map = cl->map;
    dh_import_report *rep = cl->rep;
    bool first_run = cl->runs++ == 0;
    dh_import_report_free(rep);
    dh_csv *csv = dh_csv_new_mem(cl->data->p, cl->data->len, name);
    char **fields;
    size_t nf;
    dh_status st = DH_OK;
    int rc;
    (void)dh_csv_next(csv, &fields, &nf); /* the header, checked by the caller */
    long rows = 0;
    while ((rc = dh_csv_next(csv, &fields, &nf)) != 0) {
        long line = dh_csv_line(csv);
        rows++;
        if (first_run && cl->progress && rows % 1000 == 0)
            cl->progress(rows, cl->closure);
        if (rc < 0) {
            report(rep, "%s", dh_csv_error(csv));
            rep->refused++;
            continue;
        }
        bool short_row = false;
        for (int i = 0; i < NCOLS; i++)
            short_row = short_row || (map[i] >= 0 && (size_t)map[i] >= nf);
        if (short_row) {
            report(rep, "%s:%ld: the row has %zu fields, the header has more", name, line, nf);
            rep->refused++;
            continue;
        }
        spec_buf b;
        dh_err re;
        dh_err_clear(&re);
        dh_status rs = row_spec(fields, map, &b, &re);
        if (rs == DH_OK && !may_write_under(tx->reg, cl->a, b.spec.parent, cl->today))
            rs = dh_err_set(&re, DH_E_FORBIDDEN, "forbidden", "parent",
                            "parent: %s is outside your subtree", b.spec.parent);
        int32_t u;
        if (rs == DH_OK)
            rs = dh_unitreg_create(tx->reg, &b.spec, &u, &re);
        if (rs == DH_OK) {
            json_t *after = snapshot(tx->reg, u, cl->today);
            rs = dh_app_audit(tx->c, cl->a, "import", "unit", b.code, b.code, "ok", NULL, after,
                              cl->now, &re);
            json_decref(after);
        }
        spec_buf_free(&b);
        if (dh_err_storage(rs)) {
            *e = re;
            st = rs;
            break;
        }
        if (rs) {
            report(rep, "%s:%ld: %s", name, line, re.message);
            rep->refused++;
        } else {
            rep->taken++;
        }
    }
    dh_csv_free(csv);
    if (st == DH_OK && rep->refused && !cl->partial) {
        st = dh_err_set(e, DH_E_INVALID, "invalid_csv", NULL,
                        "%d of %d rows refused; nothing imported (use --partial to take the "
                        "good rows)",
                        rep->refused, rep->refused + rep->taken);
        rep->taken = 0;
    }
    return st;
}

dh_status dh_app_unit_import(dh_app *app, const dh_actor *a, FILE *f, const char *name,
                             bool partial, time_t now, dh_import_report *rep,
                             void (*progress)(long rows, void *closure), void *closure,
                             dh_err *e)
{
    memset(rep, 0, sizeof *rep);
    /* The whole file first: a transaction run again reads it again. */
    dh_buf data = DH_BUF_INIT;
    dh_buf_read_all(&data, f);
    dh_csv *csv = dh_csv_new_mem(data.p, data.len, name);
    char **fields;
    size_t nf;
    int map[NCOLS];
    dh_status st = DH_OK;
    int rc = dh_csv_next(csv, &fields, &nf);
    if (rc <= 0) {
        if (rc < 0)
            st = dh_err_set(e, DH_E_INVALID, "invalid_csv", NULL, "%s", dh_csv_error(csv));
        else
            st = dh_err_set(e, DH_E_INVALID, "invalid_csv", NULL,
                            "%s:1: the file is empty (no header)", name);
        e->line = 1;
        goto done;
    }
    for (int i = 0; i < NCOLS; i++)
        map[i] = -1;
    for (size_t j = 0; j < nf; j++) {
        int k = -1;
        for (int i = 0; i < NCOLS; i++)
            if (strcmp(fields[j], csv_cols[i]) == 0 ||
                (j == 0 && strncmp(fields[j], "\xEF\xBB\xBF", 3) == 0 &&
                 strcmp(fields[j] + 3, csv_cols[i]) == 0))
                k = i;
        if (k < 0 || map[k] >= 0) {
            st = dh_err_set(e, DH_E_INVALID, "invalid_csv", fields[j],
                            "%s:1: header: unknown or repeated column '%s' (expected "
                            "code,name,short_name,kind,parent,valid_from,valid_to)",
                            name, fields[j]);
            e->line = 1;
            goto done;
        }
        map[k] = (int)j;
    }
    for (int i = 0; i < NCOLS; i++) {
        if (map[i] < 0 && i != 2 && i != 4 && i != 6) {
            st = dh_err_set(e, DH_E_INVALID, "invalid_csv", csv_cols[i],
                            "%s:1: header: missing column '%s'", name, csv_cols[i]);
            e->line = 1;
            goto done;
        }
    }
    unit_import_cl cl = {a,   &data, name, map, dh_date_of_time_vn(now), now, partial, rep,
                         progress, closure, 0};
    st = dh_tx_run(app, DH_TX_UNITS, unit_import_tx, &cl, e);
done:
    dh_csv_free(csv);
    dh_buf_free(&data);
    return st;
}

dh_status dh_app_unit_export(dh_app *app, FILE *f, dh_date d, dh_err *e)
{
    const dh_unitreg *r = dh_app_units_acquire(app, e);
    if (!r)
        return e->status;
    dh_csv_write_row(f, csv_cols, NCOLS);
    /* Parents before children: walk the tree from the roots in pre-order. */
    int32_t *order = dh_xmalloc((r->n + 1) * sizeof *order);
    size_t n = 0;
    char *done = dh_xcalloc(r->n + 1, 1);
    dh_date at = d == DH_DATE_NONE ? DH_DATE_NONE - 1 : d;
    /* Repeatedly take units whose parent (on their first day) is placed. */
    bool progress = true;
    while (progress) {
        progress = false;
        for (size_t i = 0; i < r->n; i++) {
            if (done[i])
                continue;
            if (d != DH_DATE_NONE && !dh_unitreg_valid_at(r, (int32_t)i, d)) {
                done[i] = 1;
                continue;
            }
            const dh_unit_version *v = d == DH_DATE_NONE ? &r->u[i].v[0]
                                                         : dh_unitreg_at(r, (int32_t)i, d);
            if (v && v->parent >= 0 && !done[v->parent])
                continue;
            done[i] = 1;
            order[n++] = (int32_t)i;
            progress = true;
        }
    }
    for (size_t k = 0; k < n; k++) {
        const dh_unit *u = &r->u[order[k]];
        const dh_unit_version *v = d == DH_DATE_NONE ? &u->v[0] : dh_unitreg_at(r, order[k], at);
        char vf[DH_DATE_TEXT_LEN], vt[DH_DATE_TEXT_LEN] = "";
        dh_date_format(u->valid_from, vf);
        if (u->valid_to != DH_DATE_NONE)
            dh_date_format(u->valid_to, vt);
        const char *row[NCOLS] = {u->code,
                                  v->name,
                                  v->short_name,
                                  dh_unit_kind_name(u->kind),
                                  v->parent >= 0 ? r->u[v->parent].code : "",
                                  vf,
                                  vt};
        dh_csv_write_row(f, row, NCOLS);
    }
    free(order);
    free(done);
    dh_app_units_release(app, r);
    return DH_OK;
}
