/* unit.h - the unit registry: units, their effective-dated names and parents,
 * and the reorganisation events that link predecessors to successors.
 *
 * Pure domain logic: no storage, no clock. The registry is an in-memory
 * value built from stored rows (dh_unitreg_add_*), queried as of a date, and
 * changed by the operations below, each of which validates the whole result
 * (dh_unitreg_check) so that a failed change can be discarded by the caller.
 *
 * Invariants (checked by dh_unitreg_check):
 *  1. Codes are unique and never reused.
 *  2. A unit's versions are sorted by start date, the first starts on the
 *     unit's valid_from, and none starts after its valid_to.
 *  3. A version's parent is valid over the whole span of that version.
 *  4. On every date, the parent relation is acyclic.
 *  5. valid_to, when set, is on or after valid_from.
 *
 * Dates are inclusive: a unit with valid_to 2025-06-30 exists on that day and
 * not on 2025-07-01. Ownership: the registry owns every string in it; getters
 * return borrowed pointers valid until the registry changes or is freed.
 */
#ifndef DH_CORE_UNIT_H
#define DH_CORE_UNIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/date.h"
#include "util/err.h"

typedef enum dh_unit_kind {
    DH_UNIT_PROVINCE,
    DH_UNIT_DEPARTMENT,
    DH_UNIT_DISTRICT,
    DH_UNIT_COMMUNE,
    DH_UNIT_ENTERPRISE,
    DH_UNIT_CENTRE,
    DH_UNIT_OFFICE,
    DH_UNIT_KIND_COUNT
} dh_unit_kind;

const char *dh_unit_kind_name(dh_unit_kind k);
/* Returns 0 and sets *k, or -1 for an unknown name. */
int dh_unit_kind_parse(const char *s, dh_unit_kind *k);

#define DH_UNIT_CODE_MAX 64
#define DH_UNIT_NAME_MAX 300 /* code points */

typedef struct dh_unit_version {
    dh_date from;
    int32_t parent; /* index in the registry, -1 for a root */
    char *name;
    char *short_name; /* "" when none */
    char *folded;     /* dh_text_fold(name) " " dh_text_fold(short_name) */
} dh_unit_version;

typedef struct dh_unit {
    int64_t id; /* storage id; 0 while not yet stored */
    char *code;
    dh_unit_kind kind;
    dh_date valid_from;
    dh_date valid_to; /* DH_DATE_NONE while open */
    dh_unit_version *v;
    size_t nv;
    bool dirty; /* changed since loaded: the caller must save it */
} dh_unit;

typedef enum dh_event_kind {
    DH_EV_CREATE,
    DH_EV_MERGE,
    DH_EV_SPLIT,
    DH_EV_RENAME,
    DH_EV_MOVE,
    DH_EV_CLOSE,
    DH_EV_EDIT,
} dh_event_kind;

const char *dh_event_kind_name(dh_event_kind k);
int dh_event_kind_parse(const char *s, dh_event_kind *k);

typedef struct dh_unit_link {
    int32_t from, to;
    bool partial;
    dh_date effective;
    int64_t event_id;
} dh_unit_link;

typedef struct dh_unitreg {
    dh_unit *u;
    size_t n, cap;
    dh_unit_link *links;
    size_t nlinks, caplinks;
    size_t nlinks_saved; /* links [nlinks_saved, nlinks) are new */
    /* open-addressing index code -> unit index */
    int32_t *slots;
    size_t nslots;
    void *owner; /* for whoever shares the registry; never touched here */
} dh_unitreg;

dh_unitreg *dh_unitreg_new(void);
void dh_unitreg_free(dh_unitreg *r);

/* ---- Building from stored rows (no validation until dh_unitreg_check). */
/* Adds a unit with no versions; returns its index. */
int32_t dh_unitreg_add_unit(dh_unitreg *r, int64_t id, const char *code, dh_unit_kind kind,
                            dh_date valid_from, dh_date valid_to);
/* Appends a version (parent given as index, -1 for none). Versions may come
 * in any order; dh_unitreg_finish sorts them. */
void dh_unitreg_add_version(dh_unitreg *r, int32_t unit, dh_date from, int32_t parent,
                            const char *name, const char *short_name);
void dh_unitreg_add_link(dh_unitreg *r, int32_t from, int32_t to, bool partial,
                         dh_date effective, int64_t event_id);
/* Sorts versions and marks everything as saved. */
void dh_unitreg_finish(dh_unitreg *r);
/* Index of the unit with storage id, or -1 (linear; used while loading). */
int32_t dh_unitreg_by_id(const dh_unitreg *r, int64_t id);

/* ---- Queries. */
int32_t dh_unitreg_find(const dh_unitreg *r, const char *code);
bool dh_unitreg_valid_at(const dh_unitreg *r, int32_t unit, dh_date d);
/* The version in force on d, or NULL when the unit does not exist on d. */
const dh_unit_version *dh_unitreg_at(const dh_unitreg *r, int32_t unit, dh_date d);
/* The version in force on d, or the nearest one (first or last) when the
 * unit does not exist on d; never NULL for a unit with versions. */
const dh_unit_version *dh_unitreg_nearest(const dh_unitreg *r, int32_t unit, dh_date d);
/* Children valid on d, in Vietnamese name order. *out is malloc'd. */
size_t dh_unitreg_children(const dh_unitreg *r, int32_t parent, dh_date d, int32_t **out);
/* Roots valid on d (no parent), in name order. */
size_t dh_unitreg_roots(const dh_unitreg *r, dh_date d, int32_t **out);
/* Ancestors on d from the parent up to the root. */
size_t dh_unitreg_ancestors(const dh_unitreg *r, int32_t unit, dh_date d, int32_t **out);
/* Descendants on d in pre-order (not including unit). */
size_t dh_unitreg_descendants(const dh_unitreg *r, int32_t unit, dh_date d, int32_t **out);
/* True when unit is root or below root on d. */
bool dh_unitreg_in_subtree(const dh_unitreg *r, int32_t unit, int32_t root, dh_date d);
/* Predecessors (or successors) through events, transitively, sorted by code. */
size_t dh_unitreg_lineage(const dh_unitreg *r, int32_t unit, bool successors, int32_t **out);
/* Units whose name matches the folded query q (substring of the folded name
 * or short name). When d != DH_DATE_NONE only units valid on d and the
 * version on d are considered; otherwise any version of any unit. */
size_t dh_unitreg_search(const dh_unitreg *r, const char *q, dh_date d, int32_t **out);

/* Checks invariants 1-5 of the whole registry. */
dh_status dh_unitreg_check(const dh_unitreg *r, dh_err *e);

/* ---- Changes. Each marks the units it touches dirty and validates; on
 * failure the registry is left in an unspecified state and must be
 * discarded (the caller reloads it from storage). Text arguments must be
 * already cleaned (NFC, trimmed). */

typedef struct dh_unit_spec {
    const char *code;
    const char *name;
    const char *short_name; /* may be NULL */
    dh_unit_kind kind;
    const char *parent;     /* code or NULL */
    dh_date valid_from;
    dh_date valid_to;       /* DH_DATE_NONE when open */
} dh_unit_spec;

/* Creates a unit; returns its index in *out. On failure the registry is
 * unchanged (unlike the other changes). */
dh_status dh_unitreg_create(dh_unitreg *r, const dh_unit_spec *s, int32_t *out, dh_err *e);

/* Changes name, short name and/or parent (NULL = unchanged; parent "" = make
 * root) from date `from` on: a new version starting that day, or the
 * existing one that starts that day. `from` = DH_DATE_NONE edits the latest
 * version in place (a correction). */
dh_status dh_unitreg_change(dh_unitreg *r, int32_t unit, dh_date from, const char *name,
                            const char *short_name, const char *parent, dh_err *e);

/* Closes a unit: it exists up to and including the day before `effective`.
 * Refused when the unit is not valid on that day or still has children. */
dh_status dh_unitreg_close(dh_unitreg *r, int32_t unit, dh_date effective, dh_err *e);

/* Records that `from` (whole or partial) became part of `to` on effective. */
void dh_unitreg_link(dh_unitreg *r, int32_t from, int32_t to, bool partial, dh_date effective);

/* A reorganisation event as submitted (strings borrowed from the caller). */
typedef struct dh_event_part {
    const char *code;
    bool partial;            /* from-side: only part of the unit transfers */
    const dh_unit_spec *spec; /* to-side: non-NULL creates this new unit */
} dh_event_part;

typedef struct dh_unit_event {
    dh_event_kind kind; /* merge, split, rename, move, close */
    dh_date effective;
    const dh_event_part *from;
    size_t nfrom;
    const dh_event_part *to;
    size_t nto;
    const char *unit;       /* rename, move, close */
    const char *name;       /* rename */
    const char *short_name; /* rename, may be NULL */
    const char *parent;     /* move */
} dh_unit_event;

/* Applies an event: new successors are created on the effective date; whole
 * predecessors are closed (their open children move to the successor when
 * there is exactly one); every predecessor is linked to every successor.
 * Refused when a unit named is unknown or not valid on the effective date
 * (an event on a closed unit), when a merge has fewer than one predecessor
 * or a split fewer than two successors, or when the result breaks an
 * invariant. */
dh_status dh_unitreg_apply_event(dh_unitreg *r, const dh_unit_event *ev, dh_err *e);

#endif
