/* audit.h - the storage contract for the append-only audit trail.
 *
 * One small table of operations, filled by each backend (src/store/sqlite/
 * sq_audit.c, ...) and reached from a connection with DH_AUDIT(c). The conventions
 * of store.h hold: rows come back through callbacks (0 goes on, non-zero
 * stops), strings given to a callback are borrowed for the call, every
 * operation returns DH_OK or fills *e. The tables only grow at the end. */
#ifndef DH_STORE_AUDIT_H
#define DH_STORE_AUDIT_H

#include "store/store.h"

typedef struct dh_audit_row {
    int64_t id;
    time_t at;
    int64_t actor_user_id; /* 0 = command line / system */
    const char *actor;     /* login, "cli:<os user>", or "token:<name>" */
    int64_t token_id;      /* 0 when not through an API token */
    const char *action;    /* create, update, event, login, denied, ... */
    const char *entity;    /* unit, user, token, session, ... */
    const char *entity_key;
    const char *unit_code; /* the unit the change concerns, or "" */
    const char *outcome;   /* "ok" or "denied" */
    const char *before_json; /* NULL when none */
    const char *after_json;  /* NULL when none */
    const char *ip;          /* "" for the command line */
} dh_audit_row;

typedef struct dh_audit_filter {
    const char *entity;    /* NULL = any */
    const char *unit_code; /* NULL = any */
    time_t since;          /* 0 = any */
    int64_t after_id;      /* cursor: rows with id > after_id */
    int limit;
} dh_audit_filter;

typedef int (*dh_audit_cb)(void *closure, const dh_audit_row *row);

typedef struct dh_audit_ops {
    /* The audit log is append-only: there is no update or delete op, and the
     * backend refuses them at the database level too. */
    dh_status (*append_audit)(dh_conn *c, const dh_audit_row *a, dh_err *e);
    dh_status (*list_audit)(dh_conn *c, const dh_audit_filter *f, dh_audit_cb cb, void *closure,
                            dh_err *e);
    /* The proof of the line above, for the conformance suite (tests/store/):
     * tries to change and then to delete audit row `id`, each inside a
     * savepoint that is rolled back, and answers DH_OK only when the
     * database refused both (so nothing changed and nothing is restored).
     * DH_E_NOTFOUND when there is no row `id`; DH_E_INTERNAL, code
     * "audit_not_append_only", when either statement went through. Usable
     * inside or outside a transaction. */
    dh_status (*check_append_only)(dh_conn *c, int64_t id, dh_err *e);
} dh_audit_ops;

#define DH_AUDIT(c) (dh_conn_ops(c)->audit)

#endif
