/* people.h - the storage contract for people and credentials: users, sessions and API tokens, login throttling.
 *
 * One small table of operations, filled by each backend (src/store/sqlite/
 * sq_people.c, ...) and reached from a connection with DH_PEOPLE(c). The conventions
 * of store.h hold: rows come back through callbacks (0 goes on, non-zero
 * stops), strings given to a callback are borrowed for the call, every
 * operation returns DH_OK or fills *e. The tables only grow at the end. */
#ifndef DH_STORE_PEOPLE_H
#define DH_STORE_PEOPLE_H

#include "store/store.h"

typedef struct dh_user_row {
    int64_t id;
    const char *login;
    const char *display_name;
    const char *role;
    int64_t unit_id; /* 0 for an admin without a unit */
    const char *password_hash;
    bool disabled;
    time_t created_at;
} dh_user_row;

typedef enum dh_cred_kind { DH_CRED_SESSION = 1, DH_CRED_TOKEN = 2 } dh_cred_kind;

typedef struct dh_cred_row {
    int64_t id;
    dh_cred_kind kind;
    int64_t user_id;
    const char *name;    /* tokens: the name given; sessions: "" */
    int64_t unit_id;     /* scope; 0 = the user's own unit */
    const char *hash;    /* hex of a keyed hash of the secret */
    time_t created_at;
    time_t expires_at;   /* 0 = never */
    time_t revoked_at;   /* 0 = live */
} dh_cred_row;

typedef int (*dh_user_cb)(void *closure, const dh_user_row *row);
typedef int (*dh_cred_cb)(void *closure, const dh_cred_row *row);

typedef struct dh_people_ops {
    dh_status (*insert_user)(dh_conn *c, const dh_user_row *u, int64_t *id, dh_err *e);
    /* Finds by login (id == 0) or by id; DH_E_NOTFOUND when absent. */
    dh_status (*get_user)(dh_conn *c, int64_t id, const char *login, dh_user_cb cb,
                          void *closure, dh_err *e);
    dh_status (*list_users)(dh_conn *c, int64_t after_id, int limit, dh_user_cb cb,
                            void *closure, dh_err *e);
    dh_status (*set_password)(dh_conn *c, int64_t user_id, const char *hash, dh_err *e);
    dh_status (*insert_cred)(dh_conn *c, const dh_cred_row *cr, int64_t *id, dh_err *e);
    dh_status (*find_cred)(dh_conn *c, const char *hash, dh_cred_cb cb, void *closure,
                           dh_err *e);
    dh_status (*get_cred)(dh_conn *c, int64_t id, dh_cred_cb cb, void *closure, dh_err *e);
    dh_status (*revoke_cred)(dh_conn *c, int64_t id, time_t at, dh_err *e);
    /* Login throttling: failures recorded per key ("login:x", "ip:y"). */
    dh_status (*add_login_failure)(dh_conn *c, const char *key, time_t at, dh_err *e);
    dh_status (*count_login_failures)(dh_conn *c, const char *key, time_t since, int *n,
                                      dh_err *e);
    dh_status (*clear_login_failures)(dh_conn *c, const char *key, dh_err *e);
    /* Revokes every live credential of a kind (sessions or tokens) of a
     * user but except_id (0: none); *n (may be NULL) counts them. */
    dh_status (*revoke_user_creds)(dh_conn *c, int64_t user_id, dh_cred_kind kind,
                                   int64_t except_id, time_t at, int *n, dh_err *e);
} dh_people_ops;

#define DH_PEOPLE(c) (dh_conn_ops(c)->people)

#endif
