/* pg.h - what the files of the PostgreSQL backend share and nobody else
 * sees: the pool and connection types, the prepared-statement cache, the
 * parameter list and column helpers, and each domain's ops table (one
 * pg_<domain>.c per header of src/store/, like sqlite/sq_<domain>.c).
 *
 * Representation: the same as the SQLite backend's, so that the SQL of the
 * two stays close and `dieuhanh copy` moves rows unchanged: dates are text
 * 'YYYY-MM-DD' (columns of type text), instants are bigint seconds since
 * the epoch, flags are integer 0/1, ids are bigint, blobs are bytea, JSON
 * is text. Parameters travel as text (libpq's text format) except bytea,
 * which travels binary.
 *
 * Statements: every SQL text is a string literal; dh_pg_exec prepares it on
 * a connection the first time (PQprepare, named by the literal's address)
 * and then runs the prepared statement (PQexecPrepared). Placeholders are
 * $1, $2, ... Write transactions run at SERIALIZABLE (pg_base.c; the
 * writers of one domain's tables, begin_domain, at READ COMMITTED under
 * the domain's advisory lock instead), so the
 * concurrency rules of the storage contract (docs/ARCHITECTURE.md) hold:
 * a serialization failure (40001), deadlock (40P01) or lock timeout (55P03)
 * is DH_E_BUSY and the runner runs the transaction again; a unique
 * violation (23505) is DH_E_CONFLICT; a connection refused or lost is
 * DH_E_UNAVAILABLE (503 database_unavailable); everything else DH_E_DB.
 *
 * Ownership: a PGresult from dh_pg_exec is the caller's (PQclear it);
 * strings from the column helpers are libpq's, valid until PQclear. */
#ifndef DH_STORE_PG_H
#define DH_STORE_PG_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "store/store.h"
#include "util/buf.h"

/* Idle connections a node keeps for reuse: DIEUHANH_PG_POOL (1 to
 * DH_PG_POOL_MAX, default DH_PG_POOL_DEFAULT). A node opens a connection
 * for each request or job running at once whatever this is; it only
 * bounds the idle ones kept (docs/DEPLOY.md, max_connections). */
#define DH_PG_POOL_MAX 64
#define DH_PG_POOL_DEFAULT 16
#define DH_PG_STMT_CACHE 512 /* power of two; statements per connection */
#define DH_PG_PARAMS_MAX 32  /* the most parameters one statement takes (tasks: 27) */

struct dh_store {
    struct dh_store_base base;
    char *conninfo; /* the URL as libpq takes it ("postgresql://...") */
    pthread_mutex_t lock;
    dh_conn *idle[DH_PG_POOL_MAX];
    int nidle;
    int pool_max; /* DIEUHANH_PG_POOL */
};

struct dh_pg_slot {
    const char *sql; /* the literal's address is the key */
    char name[24];   /* the prepared statement's name on this connection */
};

struct dh_conn {
    struct dh_conn_base base;
    PGconn *pg;
    struct dh_pg_slot cache[DH_PG_STMT_CACHE];
    int ncache;
    bool in_tx;
    /* The bulk insert in progress (pg_rows.c): a COPY ... FROM STDIN. */
    bool in_copy;
    dh_buf *copy_buf; /* rows not yet sent */
    bool copy_failed; /* a row could not be sent: the COPY is abandoned */
    int copy_cols;
    bool lost; /* an error said the connection or its server is gone: never reused */
};

/* The parameters of one statement, in order ($1, $2, ...). Zero-initialise
 * (dh_pg_params p = {0};) and append with the functions below. */
typedef struct dh_pg_params {
    int n;
    const char *v[DH_PG_PARAMS_MAX]; /* NULL: SQL NULL */
    int len[DH_PG_PARAMS_MAX];       /* bytes, for binary (bytea) values */
    int fmt[DH_PG_PARAMS_MAX];       /* 0 text, 1 binary */
    char buf[DH_PG_PARAMS_MAX][32];  /* numbers and dates are formatted here */
} dh_pg_params;

void dh_pg_text(dh_pg_params *p, const char *s);      /* NULL: NULL */
void dh_pg_int(dh_pg_params *p, int64_t v);
void dh_pg_id(dh_pg_params *p, int64_t id);            /* 0: NULL */
void dh_pg_date(dh_pg_params *p, dh_date d);           /* DH_DATE_NONE: NULL */
void dh_pg_time(dh_pg_params *p, time_t t);            /* 0: NULL */
void dh_pg_real(dh_pg_params *p, double v);            /* %.17g */
void dh_pg_bool(dh_pg_params *p, bool b);              /* integer 0/1 */
void dh_pg_null(dh_pg_params *p);
void dh_pg_bytes(dh_pg_params *p, const void *data, size_t n); /* bytea, binary */

/* Runs the statement `sql` (a literal) with p (NULL: no parameters). On
 * success *res (when res is not NULL) holds the result, the caller's to
 * PQclear; statements without rows may pass res NULL. `what` names the
 * operation in error messages. */
dh_status dh_pg_exec(dh_conn *c, const char *sql, const dh_pg_params *p, PGresult **res,
                     const char *what, dh_err *e);
/* The same for a statement that returns one row with one bigint column
 * (INSERT ... RETURNING id, SELECT count(*)): *out gets it (0 if no row). */
dh_status dh_pg_exec_id(dh_conn *c, const char *sql, const dh_pg_params *p, int64_t *out,
                        const char *what, dh_err *e);
/* Checks a result of a statement run outside dh_pg_exec (PQexecParams of
 * SQL built from catalogue names, COPY): DH_OK when it is a command or a
 * row set; otherwise *e is filled and res cleared. */
dh_status dh_pg_check(dh_conn *c, PGresult *res, const char *what, dh_err *e);
/* A plain command outside the cache (BEGIN, COMMIT, migrations' DDL). */
dh_status dh_pg_command(dh_conn *c, const char *sql, const char *what, dh_err *e);

/* ---- Many rows at once (the bulk ops of the domains, issue 15). ----
 *
 * A list of keys travels as one text[] parameter: dh_pg_array builds the
 * array literal of the n strings in b ("{\"a\",\"b\"}", each element
 * quoted and escaped; b must outlive the statement) and binds it as p's
 * next parameter, used as $n::text[] (or ::bigint[]) with unnest. Rows travel by COPY ... FROM STDIN in the text format:
 * the dh_pg_copy_* functions append one field to b, escaped, followed by
 * `end` ('\t' between fields, '\n' after the last); dh_pg_copy runs the
 * COPY statement `sql` (a literal without parameters) and sends b. No SQL
 * text is built from input: the data travels apart from the statement. */
void dh_pg_array(dh_pg_params *p, dh_buf *b, const char *const *v, size_t n);
void dh_pg_copy_text(dh_buf *b, const char *s, char end); /* NULL: \N */
void dh_pg_copy_int(dh_buf *b, int64_t v, char end);
void dh_pg_copy_time(dh_buf *b, time_t t, char end); /* 0: \N */
void dh_pg_copy_bytes(dh_buf *b, const void *data, size_t n, char end); /* NULL: \N */
dh_status dh_pg_copy(dh_conn *c, const char *sql, const dh_buf *b, const char *what, dh_err *e);

/* Column helpers on row r, column i of a result. */
bool dh_pg_is_null(const PGresult *res, int r, int i);
const char *dh_pg_col_text(const PGresult *res, int r, int i);         /* NULL: "" */
const char *dh_pg_col_text_or_null(const PGresult *res, int r, int i); /* NULL: NULL */
int64_t dh_pg_col_int(const PGresult *res, int r, int i);              /* NULL: 0 */
double dh_pg_col_real(const PGresult *res, int r, int i);              /* NULL: 0 */
dh_date dh_pg_col_date(const PGresult *res, int r, int i);             /* NULL: NONE */
time_t dh_pg_col_time(const PGresult *res, int r, int i);              /* NULL: 0 */
bool dh_pg_col_bool(const PGresult *res, int r, int i);                /* 0/1 */
/* bytea (binary result format is not used: the text form "\x..." is
 * decoded into a malloc'd buffer the caller frees). */
void *dh_pg_col_bytes(const PGresult *res, int r, int i, size_t *n);

extern const dh_store_ops dh_postgres_ops;
extern const dh_units_ops dh_postgres_units_ops;
extern const dh_people_ops dh_postgres_people_ops;
extern const dh_audit_ops dh_postgres_audit_ops;
extern const dh_meta_ops dh_postgres_meta_ops;
extern const dh_calendars_ops dh_postgres_calendars_ops;
extern const dh_procedures_ops dh_postgres_procedures_ops;
extern const dh_dossiers_ops dh_postgres_dossiers_ops;
extern const dh_aggs_ops dh_postgres_aggs_ops;
extern const dh_i766_ops dh_postgres_i766_ops;
extern const dh_plans_ops dh_postgres_plans_ops;
extern const dh_indicators_ops dh_postgres_indicators_ops;
extern const dh_targets_ops dh_postgres_targets_ops;
extern const dh_jobs_ops dh_postgres_jobs_ops;
extern const dh_rows_ops dh_postgres_rows_ops;
extern const dh_dti_ops dh_postgres_dti_ops;
extern const dh_feedback_ops dh_postgres_feedback_ops;
extern const dh_geo_ops dh_postgres_geo_ops;

/* Reads the rows of the query `select` (p its parameters, NULL: none)
 * in slices of about 8 MiB through a cursor named `name` (an SQL
 * identifier, not open on this connection), calling cb for each row in
 * order (non-zero stops), so that a result of millions of rows never sits
 * whole in memory. Runs in the caller's transaction, or in one of its own
 * (REPEATABLE READ READ ONLY: one snapshot) when there is none. The
 * PGresult given to cb is valid for the call only; with `binary` its
 * values are in PostgreSQL's binary format (bigint: 8 bytes big-endian,
 * bytea: the bytes themselves), not to be read with the column helpers. */
typedef int (*dh_pg_row_cb)(void *closure, const PGresult *res, int r);
dh_status dh_pg_cursor(dh_conn *c, const char *name, const char *select, const dh_pg_params *p,
                       bool binary, dh_pg_row_cb cb, void *closure, const char *what, dh_err *e);
extern const dh_latereports_ops dh_postgres_latereports_ops;
extern const dh_stations_ops dh_postgres_stations_ops;
extern const struct dh_backup_ops dh_postgres_backup_ops;

#endif
