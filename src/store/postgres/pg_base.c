/* pg_base.c - the PostgreSQL backend: the pool, connections, the statement
 * cache, parameters and columns, error mapping, transactions and schema
 * migrations; the domains are in pg_<domain>.c.
 *
 * A dh_store here is a pool of libpq connections to one database (the URL
 * "postgres://..." or "postgresql://..."). Each connection prepares every
 * statement literal once (PQprepare, named "s1", "s2", ... on it) and then
 * runs the prepared statement. Write transactions run at SERIALIZABLE and
 * read transactions at REPEATABLE READ READ ONLY (one snapshot, like a
 * SQLite read transaction), so a transaction that would see another's
 * writes half-way fails with 40001 and the runner runs it again.
 *
 * Bulk writers of one domain (begin_domain: the dossiers, their events,
 * facts and aggregate cells) are the exception: SERIALIZABLE keeps a
 * predicate lock for every row and index page such a transaction reads, and
 * an import of tens of thousands of events beside other serializable
 * writers can fill the server's predicate lock table (53200, "out of shared
 * memory"), besides failing with 40001 against every small batch that
 * commits meanwhile. Those writers run at
 * READ COMMITTED instead, and each takes first, before it reads anything, a
 * transaction-level advisory lock keyed by the domain's name
 * (pg_advisory_xact_lock(DOMAIN_LOCK_CLASS, hashtext(domain))): every
 * writer of the domain's tables begins this way (app.c, dh_tx_run with
 * DH_TX_DOSSIERS), so they run one at a time, and each statement's fresh
 * READ COMMITTED snapshot, taken after the lock was granted, sees every
 * earlier writer's commit: what the transaction reads of those tables stays
 * true until it commits, as under SQLite's one write lock. The wait for the
 * lock is bounded by lock_timeout (the busy timeout): past it, 55P03, busy.
 * Such a transaction reads nothing that writers of other domains change
 * (the unit registry, catalogue and calendars are snapshots taken before
 * it begins), so SERIALIZABLE writers elsewhere lose no guarantee.
 *
 * Migrations: the table dh_schema(version) holds the schema version; each
 * migration runs in its own transaction together with the version update,
 * under a transaction-level advisory lock, so that two nodes starting at
 * once apply each migration once.
 */
#include <ctype.h>
#include <inttypes.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/migrations.h"
#include "store/postgres/pg.h"
#include "store/store.h"
#include "util/fault.h"
#include "util/buf.h"

/* The advisory lock taken by migrate (any constant shared by all nodes:
 * "dhmigrat" in ASCII). */
#define MIGRATE_LOCK_KEY "7522127443331391860"
/* The first key of a domain writers' advisory lock (the two-integer form,
 * a lock space apart from the migrations' one-bigint key): "dhwd". */
#define DOMAIN_LOCK_CLASS "1684567908"

/* ------------------------------------------------------------------ */
/* Errors.                                                            */

/* libpq's messages span lines and end with a newline; this copies one on
 * one line, each run of spaces, tabs and newlines made one space. */
static void trim_message(const char *m, char *out, size_t size)
{
    size_t n = 0;
    for (m = m ? m : ""; *m && n + 1 < size; m++) {
        bool space = *m == ' ' || *m == '\n' || *m == '\t' || *m == '\r';
        if (space && (n == 0 || out[n - 1] == ' '))
            continue;
        out[n++] = space ? ' ' : *m;
    }
    while (n && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

static bool connection_lost(dh_conn *c, const char *state)
{
    if (PQstatus(c->pg) != CONNECTION_OK)
        return true;
    /* 08xxx: connection exceptions; 57P01-57P03: the server shuts down. */
    return state && (strncmp(state, "08", 2) == 0 || strncmp(state, "57P0", 4) == 0);
}

/* Maps a failed result (or a NULL one: libpq could not send) to *e. */
static dh_status pg_error(dh_conn *c, const PGresult *res, const char *what, dh_err *e)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    char msg[400];
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    trim_message(primary ? primary : PQerrorMessage(c->pg), msg, sizeof msg);
    if (state && strcmp(state, "23505") == 0)
        return dh_err_set(e, DH_E_CONFLICT, "conflict", NULL, "%s: %s", what, msg);
    /* Serialization failure, deadlock, lock timeout: worth trying again,
     * the transaction runner rolls back and reruns (app.c, dh_tx_run). */
    if (state && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
                  strcmp(state, "55P03") == 0))
        return dh_err_set(e, DH_E_BUSY, "busy", NULL, "%s: the database is busy (%s)", what, msg);
    /* Class 53, insufficient resources (53000; 53100 disk full; 53200 out
     * of memory, which is also "out of shared memory": the lock or
     * predicate-lock table is full; 53300 too many connections; 53400 a
     * configured limit): the server cannot take the transaction now. The
     * runner tries again a few times (another transaction may give the
     * resource back); past that the caller gets busy (503 with
     * Retry-After), with the server's words and hint for its operator. */
    if (state && strncmp(state, "53", 2) == 0) {
        const char *hint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;
        char h[200];
        trim_message(hint, h, sizeof h);
        return dh_err_set(e, DH_E_BUSY, "database_resources", NULL,
                          "%s: the PostgreSQL server is short of resources: %s (SQLSTATE %s)%s%s",
                          what, msg, state, *h ? "; " : "", h);
    }
    /* Class 54, a program limit (a statement too complex, too many
     * arguments): no retry helps; a clear error naming the limit. */
    if (state && strncmp(state, "54", 2) == 0)
        return dh_err_set(e, DH_E_DB, "database_limit", NULL,
                          "%s: a limit of the PostgreSQL server was exceeded: %s (SQLSTATE %s)",
                          what, msg, state);
    if (connection_lost(c, state)) {
        c->lost = true;
        return dh_err_set(e, DH_E_UNAVAILABLE, "database_unavailable", NULL,
                          "%s: lost the connection to the PostgreSQL server: %s", what, msg);
    }
    return dh_err_set(e, DH_E_DB, "database_error", NULL, "%s: %s%s%s%s", what, msg,
                      state ? " (SQLSTATE " : "", state ? state : "", state ? ")" : "");
}

/* Checks a result: OK when it is a command or a row set. Clears it on
 * failure. */
static dh_status check(dh_conn *c, PGresult *res, const char *what, dh_err *e)
{
    ExecStatusType rs = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK)
        return DH_OK;
    dh_status st = pg_error(c, res, what, e);
    PQclear(res);
    return st;
}

dh_status dh_pg_check(dh_conn *c, PGresult *res, const char *what, dh_err *e)
{
    return check(c, res, what, e);
}

/* ------------------------------------------------------------------ */
/* Parameters.                                                        */

/* One more slot; a statement given more than DH_PG_PARAMS_MAX parameters
 * (a programming error) is refused by dh_pg_exec. */
static int param_slot(dh_pg_params *p)
{
    if (p->n >= DH_PG_PARAMS_MAX) {
        p->n = DH_PG_PARAMS_MAX + 1;
        return -1;
    }
    int i = p->n++;
    p->len[i] = 0;
    p->fmt[i] = 0;
    return i;
}

void dh_pg_text(dh_pg_params *p, const char *s)
{
    int i = param_slot(p);
    if (i >= 0)
        p->v[i] = s;
}

void dh_pg_null(dh_pg_params *p) { dh_pg_text(p, NULL); }

void dh_pg_int(dh_pg_params *p, int64_t v)
{
    int i = param_slot(p);
    if (i < 0)
        return;
    snprintf(p->buf[i], sizeof p->buf[i], "%" PRId64, v);
    p->v[i] = p->buf[i];
}

void dh_pg_id(dh_pg_params *p, int64_t id)
{
    if (id)
        dh_pg_int(p, id);
    else
        dh_pg_null(p);
}

void dh_pg_date(dh_pg_params *p, dh_date d)
{
    if (d == DH_DATE_NONE) {
        dh_pg_null(p);
        return;
    }
    int i = param_slot(p);
    if (i < 0)
        return;
    dh_date_format(d, p->buf[i]);
    p->v[i] = p->buf[i];
}

void dh_pg_time(dh_pg_params *p, time_t t)
{
    if (t)
        dh_pg_int(p, (int64_t)t);
    else
        dh_pg_null(p);
}

void dh_pg_real(dh_pg_params *p, double v)
{
    int i = param_slot(p);
    if (i < 0)
        return;
    snprintf(p->buf[i], sizeof p->buf[i], "%.17g", v);
    p->v[i] = p->buf[i];
}

void dh_pg_bool(dh_pg_params *p, bool b) { dh_pg_int(p, b ? 1 : 0); }

void dh_pg_bytes(dh_pg_params *p, const void *data, size_t n)
{
    int i = param_slot(p);
    if (i < 0)
        return;
    p->v[i] = data ? (const char *)data : ""; /* an empty bytea, not NULL */
    p->len[i] = (int)n;
    p->fmt[i] = 1;
}

/* ------------------------------------------------------------------ */
/* Statements.                                                        */

/* Sets *name to the literal's prepared statement on this connection,
 * preparing it on first use (a statement the server refuses is not kept:
 * the error is returned); *name is "" when the cache is full (the caller
 * then runs the statement unnamed). */
static dh_status stmt_name(dh_conn *c, const char *sql, const char **name, const char *what,
                           dh_err *e)
{
    size_t h = (size_t)(((uintptr_t)sql >> 3) * 0x9E3779B97F4A7C15ull) & (DH_PG_STMT_CACHE - 1);
    for (size_t n = 0; n < DH_PG_STMT_CACHE && c->cache[h].sql;
         n++, h = (h + 1) & (DH_PG_STMT_CACHE - 1)) {
        if (c->cache[h].sql == sql) {
            *name = c->cache[h].name;
            return DH_OK;
        }
    }
    /* A half-full table is a programming error (far more distinct
     * statements than the program has): such statements run unprepared. */
    if (c->ncache >= DH_PG_STMT_CACHE / 2 || c->cache[h].sql) {
        *name = "";
        return DH_OK;
    }
    struct dh_pg_slot *slot = &c->cache[h];
    snprintf(slot->name, sizeof slot->name, "s%d", c->ncache + 1);
    PGresult *res = PQprepare(c->pg, slot->name, sql, 0, NULL);
    dh_status st = check(c, res, what, e);
    if (st)
        return st;
    PQclear(res);
    slot->sql = sql;
    c->ncache++;
    *name = slot->name;
    return DH_OK;
}

dh_status dh_pg_exec(dh_conn *c, const char *sql, const dh_pg_params *p, PGresult **res,
                     const char *what, dh_err *e)
{
    if (res)
        *res = NULL;
    if (dh_fault_hit(DH_FAULT_STORE))
        return dh_err_set(e, DH_E_DB, "database_error", NULL, "%s: injected fault (store call %ld)",
                          what, dh_fault_count(DH_FAULT_STORE));
    static const dh_pg_params none;
    if (!p)
        p = &none;
    if (p->n > DH_PG_PARAMS_MAX)
        return dh_err_set(e, DH_E_INTERNAL, "internal_error", NULL,
                          "%s: more than %d parameters", what, DH_PG_PARAMS_MAX);
    const char *name;
    dh_status st = stmt_name(c, sql, &name, what, e);
    if (st)
        return st;
    PGresult *r = *name ? PQexecPrepared(c->pg, name, p->n, p->v, p->len, p->fmt, 0)
                        : PQexecParams(c->pg, sql, p->n, NULL, p->v, p->len, p->fmt, 0);
    if ((st = check(c, r, what, e)))
        return st;
    if (res)
        *res = r;
    else
        PQclear(r);
    return DH_OK;
}

dh_status dh_pg_exec_id(dh_conn *c, const char *sql, const dh_pg_params *p, int64_t *out,
                        const char *what, dh_err *e)
{
    PGresult *res;
    *out = 0;
    dh_status st = dh_pg_exec(c, sql, p, &res, what, e);
    if (st)
        return st;
    if (PQntuples(res) > 0 && PQnfields(res) > 0)
        *out = dh_pg_col_int(res, 0, 0);
    PQclear(res);
    return DH_OK;
}

dh_status dh_pg_command(dh_conn *c, const char *sql, const char *what, dh_err *e)
{
    if (dh_fault_hit(DH_FAULT_STORE))
        return dh_err_set(e, DH_E_DB, "database_error", NULL, "%s: injected fault (store call %ld)",
                          what, dh_fault_count(DH_FAULT_STORE));
    PGresult *res = PQexec(c->pg, sql);
    dh_status st = check(c, res, what, e);
    if (st == DH_OK)
        PQclear(res);
    return st;
}

/* ------------------------------------------------------------------ */
/* Many rows at once: arrays and COPY.                                */

void dh_pg_array(dh_pg_params *p, dh_buf *b, const char *const *v, size_t n)
{
    dh_buf_reset(b);
    dh_buf_putc(b, '{');
    for (size_t i = 0; i < n; i++) {
        if (i)
            dh_buf_putc(b, ',');
        dh_buf_putc(b, '"');
        for (const char *ch = v[i] ? v[i] : ""; *ch; ch++) {
            if (*ch == '"' || *ch == '\\')
                dh_buf_putc(b, '\\');
            dh_buf_putc(b, *ch);
        }
        dh_buf_putc(b, '"');
    }
    dh_buf_putc(b, '}');
    dh_buf_putc(b, '\0');
    dh_pg_text(p, b->p);
}

void dh_pg_copy_text(dh_buf *b, const char *s, char end)
{
    if (!s) {
        dh_buf_puts(b, "\\N");
    } else {
        /* The text format's escapes: backslash, and the three characters
         * that would end a field or a row. */
        const char *run = s;
        for (const char *p = s; *p; p++) {
            char esc = *p == '\\' ? '\\' : *p == '\t' ? 't' : *p == '\n' ? 'n' : *p == '\r' ? 'r' : 0;
            if (!esc)
                continue;
            dh_buf_append(b, run, (size_t)(p - run));
            dh_buf_putc(b, '\\');
            dh_buf_putc(b, esc);
            run = p + 1;
        }
        dh_buf_puts(b, run);
    }
    dh_buf_putc(b, end);
}

void dh_pg_copy_int(dh_buf *b, int64_t v, char end)
{
    char n[24];
    int len = snprintf(n, sizeof n, "%" PRId64, v);
    dh_buf_append(b, n, (size_t)len);
    dh_buf_putc(b, end);
}

void dh_pg_copy_time(dh_buf *b, time_t t, char end)
{
    if (t)
        dh_pg_copy_int(b, (int64_t)t, end);
    else
        dh_pg_copy_text(b, NULL, end);
}

void dh_pg_copy_bytes(dh_buf *b, const void *data, size_t n, char end)
{
    if (!data) {
        dh_pg_copy_text(b, NULL, end);
        return;
    }
    static const char hex[] = "0123456789abcdef";
    dh_buf_puts(b, "\\\\x"); /* bytea's hex input \x..., its backslash escaped */
    const unsigned char *d = data;
    for (size_t i = 0; i < n; i++) {
        dh_buf_putc(b, hex[d[i] >> 4]);
        dh_buf_putc(b, hex[d[i] & 15]);
    }
    dh_buf_putc(b, end);
}

dh_status dh_pg_copy(dh_conn *c, const char *sql, const dh_buf *b, const char *what, dh_err *e)
{
    PGresult *res = PQexec(c->pg, sql);
    if (!res || PQresultStatus(res) != PGRES_COPY_IN) {
        dh_status st = check(c, res, what, e);
        if (st)
            return st;
        PQclear(res);
        return dh_err_set(e, DH_E_INTERNAL, "internal_error", NULL, "%s: not a COPY FROM STDIN",
                          what);
    }
    PQclear(res);
    /* Sent in pieces of at most 1 MiB (libpq buffers what it cannot send
     * at once; a blocking connection waits until the server takes it). */
    int ok = 1;
    for (size_t off = 0; ok == 1 && off < b->len; off += 1 << 20) {
        size_t n = b->len - off < (1u << 20) ? b->len - off : (1u << 20);
        ok = PQputCopyData(c->pg, b->p + off, (int)n);
    }
    if (PQputCopyEnd(c->pg, ok == 1 ? NULL : "dieuhanh: sending the rows failed") != 1)
        ok = -1;
    /* The COPY's own result, then the end of the command. */
    dh_status st = DH_OK;
    while ((res = PQgetResult(c->pg)) != NULL) {
        if (st != DH_OK)
            PQclear(res);
        else if ((st = check(c, res, what, e)) == DH_OK) /* check clears a failure */
            PQclear(res);
    }
    if (st == DH_OK && ok != 1)
        st = dh_err_set(e, DH_E_DB, "database_unavailable", NULL,
                        "%s: lost the connection to the PostgreSQL server: %s", what,
                        PQerrorMessage(c->pg));
    return st;
}

/* ------------------------------------------------------------------ */
/* Columns.                                                           */

bool dh_pg_is_null(const PGresult *res, int r, int i) { return PQgetisnull(res, r, i) != 0; }

const char *dh_pg_col_text(const PGresult *res, int r, int i)
{
    return PQgetvalue(res, r, i); /* "" for NULL */
}

const char *dh_pg_col_text_or_null(const PGresult *res, int r, int i)
{
    return PQgetisnull(res, r, i) ? NULL : PQgetvalue(res, r, i);
}

int64_t dh_pg_col_int(const PGresult *res, int r, int i)
{
    return PQgetisnull(res, r, i) ? 0 : (int64_t)strtoll(PQgetvalue(res, r, i), NULL, 10);
}

double dh_pg_col_real(const PGresult *res, int r, int i)
{
    return PQgetisnull(res, r, i) ? 0 : strtod(PQgetvalue(res, r, i), NULL);
}

dh_date dh_pg_col_date(const PGresult *res, int r, int i)
{
    dh_date d;
    if (PQgetisnull(res, r, i) || dh_date_parse(PQgetvalue(res, r, i), &d))
        return DH_DATE_NONE;
    return d;
}

time_t dh_pg_col_time(const PGresult *res, int r, int i)
{
    return (time_t)dh_pg_col_int(res, r, i);
}

bool dh_pg_col_bool(const PGresult *res, int r, int i)
{
    if (PQgetisnull(res, r, i))
        return false;
    const char *s = PQgetvalue(res, r, i);
    return *s == 't' || strtoll(s, NULL, 10) != 0; /* integer 0/1, or a boolean */
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch = tolower(ch);
    return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

void *dh_pg_col_bytes(const PGresult *res, int r, int i, size_t *n)
{
    *n = 0;
    if (PQgetisnull(res, r, i))
        return NULL;
    const char *s = PQgetvalue(res, r, i);
    size_t len = (size_t)PQgetlength(res, r, i);
    if (len >= 2 && s[0] == '\\' && s[1] == 'x') {
        unsigned char *out = dh_xmalloc((len - 2) / 2 + 1);
        size_t k = 0;
        for (size_t j = 2; j + 1 < len; j += 2) {
            int hi = hexval((unsigned char)s[j]), lo = hexval((unsigned char)s[j + 1]);
            if (hi < 0 || lo < 0)
                break;
            out[k++] = (unsigned char)(hi << 4 | lo);
        }
        *n = k;
        return out;
    }
    /* The old "escape" output format (bytea_output = escape). */
    size_t m = 0;
    unsigned char *out = PQunescapeBytea((const unsigned char *)s, &m);
    if (!out)
        return NULL;
    unsigned char *copy = dh_xmalloc(m + 1);
    memcpy(copy, out, m);
    PQfreemem(out);
    *n = m;
    return copy;
}

/* ------------------------------------------------------------------ */
/* Store and connections.                                             */

/* How long a statement waits for a lock before it reports busy (and the
 * runner tries again): 10 s unless DIEUHANH_BUSY_TIMEOUT_MS says
 * otherwise, as for SQLite. */
static int busy_ms(void)
{
    const char *bt = getenv("DIEUHANH_BUSY_TIMEOUT_MS");
    long ms = bt && *bt ? strtol(bt, NULL, 10) : 10000;
    return ms >= 0 && ms <= 600000 ? (int)ms : 10000;
}

static void conn_close(dh_conn *c)
{
    if (c->copy_buf) {
        dh_buf_free(c->copy_buf);
        free(c->copy_buf);
    }
    PQfinish(c->pg);
    free(c);
}

static dh_conn *pg_connect(dh_store *s, dh_err *e)
{
    /* expand_dbname: the URL is expanded where "dbname" stands; the
     * keywords after it add to it or override it, it overrides the ones
     * before it (defaults): a server out of reach is given 10 s to answer
     * unless the URL (connect_timeout=) or PGCONNECT_TIMEOUT says
     * otherwise, and the connections are named "dieuhanh" in
     * pg_stat_activity unless the URL names them (application_name=, e.g.
     * one name per node). */
    const char *env_timeout = getenv("PGCONNECT_TIMEOUT");
    const char *timeout = env_timeout && *env_timeout ? env_timeout : "10";
    const char *const keys[] = {"connect_timeout", "application_name", "dbname",
                                "client_encoding", NULL};
    const char *const vals[] = {timeout, "dieuhanh", s->conninfo, "UTF8", NULL};
    PGconn *pg = PQconnectdbParams(keys, vals, 1);
    if (!pg || PQstatus(pg) != CONNECTION_OK) {
        char msg[400];
        trim_message(pg ? PQerrorMessage(pg) : "out of memory", msg, sizeof msg);
        const char *host = pg ? PQhost(pg) : NULL, *port = pg ? PQport(pg) : NULL;
        dh_err_set(e, DH_E_UNAVAILABLE, "database_unavailable", "db",
                   "cannot connect to the PostgreSQL server at %s%s%s: %s",
                   host && *host ? host : "localhost", port && *port ? ":" : "",
                   port ? port : "", msg);
        PQfinish(pg);
        return NULL;
    }
    dh_conn *c = dh_xcalloc(1, sizeof *c);
    c->base.ops = &dh_postgres_ops;
    c->base.store = s;
    c->pg = pg;
    /* Notices (CREATE ... IF NOT EXISTS skipping) are not for our stderr. */
    char set[96];
    snprintf(set, sizeof set, "SET lock_timeout = %d; SET client_min_messages = warning",
             busy_ms());
    if (dh_pg_command(c, set, "configure", e)) {
        conn_close(c);
        return NULL;
    }
    return c;
}

/* An idle connection in the pool has nothing to read: the server sends it
 * something only when it is going away (a shutdown or restart sends FATAL
 * 57P01, then closes the socket). Such a connection, or one libpq already
 * knows broken, is not handed out. One poll(), no round trip. */
static bool idle_conn_ok(dh_conn *c)
{
    if (c->lost || PQstatus(c->pg) != CONNECTION_OK)
        return false;
    struct pollfd p = {.fd = PQsocket(c->pg), .events = POLLIN};
    return p.fd >= 0 && poll(&p, 1, 0) == 0;
}

static dh_conn *pg_acquire(dh_store *s, dh_err *e)
{
    for (;;) {
        pthread_mutex_lock(&s->lock);
        dh_conn *c = s->nidle ? s->idle[--s->nidle] : NULL;
        pthread_mutex_unlock(&s->lock);
        if (!c)
            return pg_connect(s, e);
        if (idle_conn_ok(c))
            return c;
        conn_close(c);
    }
}

/* Closes every idle connection (after one was found lost: the server has
 * likely restarted and they are all gone too; the next acquire connects
 * afresh instead of failing once per stale connection). */
static void pool_flush(dh_store *s)
{
    dh_conn *drop[DH_PG_POOL_MAX];
    pthread_mutex_lock(&s->lock);
    int n = s->nidle;
    memcpy(drop, s->idle, (size_t)n * sizeof *drop);
    s->nidle = 0;
    pthread_mutex_unlock(&s->lock);
    for (int i = 0; i < n; i++)
        conn_close(drop[i]);
}

static void pg_release(dh_conn *c)
{
    if (!c)
        return;
    dh_store *s = c->base.store;
    if (!c->lost && PQstatus(c->pg) == CONNECTION_OK &&
        PQtransactionStatus(c->pg) != PQTRANS_IDLE)
        PQclear(PQexec(c->pg, "ROLLBACK"));
    c->in_tx = false;
    /* A connection that is lost is dropped with the idle ones; one that is
     * still not idle, alone. */
    if (c->lost || PQstatus(c->pg) != CONNECTION_OK) {
        conn_close(c);
        pool_flush(s);
        return;
    }
    if (PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
        conn_close(c);
        return;
    }
    pthread_mutex_lock(&s->lock);
    if (s->nidle < s->pool_max) {
        s->idle[s->nidle++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&s->lock);
    if (c)
        conn_close(c);
}

static dh_store *pg_open(const char *location, bool create, dh_err *e)
{
    /* location is what follows "postgres:" or "postgresql:" in the URL. */
    if (!location || strncmp(location, "//", 2) != 0) {
        dh_err_set(e, DH_E_INVALID, "invalid_db_url", "db",
                   "a PostgreSQL URL looks like postgres://USER@HOST:PORT/DATABASE");
        return NULL;
    }
    (void)create; /* the database itself is made by its administrator */
    dh_store *s = dh_xcalloc(1, sizeof *s);
    s->base.ops = &dh_postgres_ops;
    size_t n = strlen("postgresql:") + strlen(location) + 1;
    s->conninfo = dh_xmalloc(n);
    snprintf(s->conninfo, n, "postgresql:%s", location);
    pthread_mutex_init(&s->lock, NULL);
    const char *pool = getenv("DIEUHANH_PG_POOL");
    s->pool_max = pool && atoi(pool) > 0 ? atoi(pool) : DH_PG_POOL_DEFAULT;
    if (s->pool_max > DH_PG_POOL_MAX)
        s->pool_max = DH_PG_POOL_MAX;
    /* One connection now, so that a server out of reach fails here,
     * clearly (no retry loop: the caller decides). */
    dh_conn *c = pg_connect(s, e);
    if (!c) {
        pthread_mutex_destroy(&s->lock);
        free(s->conninfo);
        free(s);
        return NULL;
    }
    pg_release(c);
    return s;
}

static void pg_close(dh_store *s)
{
    for (int i = 0; i < s->nidle; i++)
        conn_close(s->idle[i]);
    pthread_mutex_destroy(&s->lock);
    free(s->conninfo);
    free(s);
}

/* ------------------------------------------------------------------ */
/* Transactions.                                                      */

static void pg_rollback(dh_conn *c);

static dh_status pg_begin(dh_conn *c, bool write, dh_err *e)
{
    dh_status st = dh_pg_command(c,
                                 write ? "BEGIN ISOLATION LEVEL SERIALIZABLE"
                                       : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                                 "begin", e);
    if (st == DH_OK)
        c->in_tx = true;
    return st;
}

/* READ COMMITTED under the domain's advisory lock (see the top of this
 * file). The lock is the transaction's first statement, so nothing is read
 * before it is granted; lock_timeout bounds the wait (55P03: busy). */
static dh_status pg_begin_domain(dh_conn *c, const char *domain, dh_err *e)
{
    dh_status st = dh_pg_command(c, "BEGIN ISOLATION LEVEL READ COMMITTED", "begin", e);
    if (st)
        return st;
    c->in_tx = true;
    dh_pg_params p = {0};
    dh_pg_text(&p, domain);
    st = dh_pg_exec(c, "SELECT pg_advisory_xact_lock(" DOMAIN_LOCK_CLASS ", hashtext($1::text))",
                    &p, NULL, "lock the domain's writers", e);
    if (st)
        pg_rollback(c);
    return st;
}

/* COMMIT: a serialization failure here is DH_E_BUSY (pg_error); a
 * transaction that an earlier error aborted answers "ROLLBACK" to COMMIT,
 * which is no commit. */
static dh_status commit_now(dh_conn *c, const char *what, dh_err *e)
{
    PGresult *res = PQexec(c->pg, "COMMIT");
    dh_status st = check(c, res, what, e);
    if (st == DH_OK) {
        if (strcmp(PQcmdStatus(res), "COMMIT") != 0)
            st = dh_err_set(e, DH_E_DB, "database_error", NULL,
                            "%s: the transaction was aborted by an earlier error", what);
        PQclear(res);
    }
    return st;
}

static dh_status pg_commit(dh_conn *c, dh_err *e)
{
    dh_status st = commit_now(c, "commit", e);
    /* Lost during COMMIT: the server may have committed before it went.
     * Say so; the runner never reruns such a transaction (app.c). */
    if (st == DH_E_UNAVAILABLE) {
        char why[sizeof e->message];
        snprintf(why, sizeof why, "%s", e->message);
        dh_err_set(e, DH_E_UNAVAILABLE, "database_unavailable", NULL,
                   "the connection to the database was lost during COMMIT: the change may or "
                   "may not have been saved; check before repeating it (%.300s)",
                   why);
    }
    if (PQtransactionStatus(c->pg) == PQTRANS_IDLE)
        c->in_tx = false;
    return st;
}

static void pg_rollback(dh_conn *c)
{
    if (!c->lost && PQstatus(c->pg) == CONNECTION_OK &&
        PQtransactionStatus(c->pg) != PQTRANS_IDLE)
        PQclear(PQexec(c->pg, "ROLLBACK"));
    c->in_tx = false;
}

/* ------------------------------------------------------------------ */
/* Schema.                                                            */

static dh_status pg_schema_version(dh_conn *c, int *version, dh_err *e)
{
    int64_t exists = 0, v = 0;
    *version = 0;
    dh_status st = dh_pg_exec_id(c, "SELECT (to_regclass('dh_schema') IS NOT NULL)::int", NULL,
                                 &exists, "read schema version", e);
    if (st || !exists)
        return st;
    if ((st = dh_pg_exec_id(c, "SELECT coalesce(max(version), 0) FROM dh_schema", NULL, &v,
                            "read schema version", e)))
        return st;
    *version = (int)v;
    return DH_OK;
}

/* One step of migrate: in one transaction under the advisory lock, reads
 * the version and applies the next migration up to target, if any.
 * *applied is the migration's number, 0 when there was none. */
static dh_status migrate_step(dh_conn *c, int target, int *version, int *applied, dh_err *e)
{
    dh_status st;
    *applied = 0;
    if ((st = dh_pg_command(c, "BEGIN", "begin migration", e)))
        return st;
    c->in_tx = true;
    /* A node waits for another's migration however long it takes, not
     * lock_timeout (which would answer busy). */
    if ((st = dh_pg_command(c,
                            "SET LOCAL lock_timeout = 0; "
                            "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK_KEY ")",
                            "lock for migration", e)))
        goto fail;
    if ((st = pg_schema_version(c, version, e)))
        goto fail;
    if (*version > target) {
        st = dh_err_set(e, DH_E_VERSION, "database_too_new", "db",
                        "the database has schema version %d but this dieuhanh knows only up to "
                        "%d: use a newer dieuhanh (refusing to touch it)",
                        *version, target);
        goto fail;
    }
    const struct dh_migration *next = NULL;
    for (const struct dh_migration *m = dh_migrations; m->backend; m++)
        if (strcmp(m->backend, "postgres") == 0 && m->number > *version &&
            m->number <= target && (!next || m->number < next->number))
            next = m;
    if (!next) {
        pg_rollback(c);
        return DH_OK;
    }
    if ((st = dh_pg_command(c, "CREATE TABLE IF NOT EXISTS dh_schema (version integer NOT NULL)",
                            "create dh_schema", e)))
        goto fail;
    if ((st = dh_pg_command(c, next->sql, next->name, e)))
        goto fail;
    char set[96];
    snprintf(set, sizeof set, "DELETE FROM dh_schema; INSERT INTO dh_schema VALUES (%d)",
             next->number);
    if ((st = dh_pg_command(c, set, "set schema version", e)))
        goto fail;
    if ((st = commit_now(c, "commit migration", e)))
        goto fail;
    c->in_tx = false;
    *applied = next->number;
    return DH_OK;
fail:
    pg_rollback(c);
    return st;
}

static dh_status pg_migrate(dh_conn *c, int target, int *from, int *to, dh_err *e)
{
    int v, applied;
    dh_status st = migrate_step(c, target, &v, &applied, e);
    if (st)
        return st;
    *from = v;
    *to = applied ? applied : v;
    while (applied) {
        if ((st = migrate_step(c, target, &v, &applied, e)))
            return st;
        if (applied)
            *to = applied;
    }
    return DH_OK;
}

static int64_t pg_client_memory(void)
{
    return -1;
}

const dh_store_ops dh_postgres_ops = {
    .scheme = "postgres",
    .open = pg_open,
    .close = pg_close,
    .acquire = pg_acquire,
    .release = pg_release,
    .schema_version = pg_schema_version,
    .migrate = pg_migrate,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .units = &dh_postgres_units_ops,
    .people = &dh_postgres_people_ops,
    .audit = &dh_postgres_audit_ops,
    .meta = &dh_postgres_meta_ops,
    .calendars = &dh_postgres_calendars_ops,
    .procedures = &dh_postgres_procedures_ops,
    .dossiers = &dh_postgres_dossiers_ops,
    .aggs = &dh_postgres_aggs_ops,
    .i766 = &dh_postgres_i766_ops,
    .plans = &dh_postgres_plans_ops,
    .indicators = &dh_postgres_indicators_ops,
    .targets = &dh_postgres_targets_ops,
    .jobs = &dh_postgres_jobs_ops,
    .rows = &dh_postgres_rows_ops,
    .dti = &dh_postgres_dti_ops,
    .begin_domain = pg_begin_domain,
    .begin_bulk = pg_begin_domain, /* the server's own log; nothing to switch */
    .feedback = &dh_postgres_feedback_ops,
    .latereports = &dh_postgres_latereports_ops,
    .stations = &dh_postgres_stations_ops,
    .geo = &dh_postgres_geo_ops,
    .backup = &dh_postgres_backup_ops,
    .client_memory = pg_client_memory,
};

/* ------------------------------------------------------------------ */
/* Reading a large result in slices.                                  */

/* Rows fetched at once: as many as fit in about FETCH_BYTES by the size of
 * the rows fetched before (a table of stored files holds rows of up to
 * 20 MiB, the aggregate cells rows of about 150 bytes), at most FETCH_MAX;
 * the first FETCH takes FETCH_FIRST to measure them. */
#define FETCH_BYTES (8 << 20)
#define FETCH_MAX 5000
#define FETCH_FIRST 16

dh_status dh_pg_cursor(dh_conn *c, const char *name, const char *select, const dh_pg_params *p,
                       bool binary, dh_pg_row_cb cb, void *closure, const char *what, dh_err *e)
{
    static const dh_pg_params none;
    if (!p)
        p = &none;
    /* A cursor needs a transaction: the caller's, or one of its own (one
     * snapshot, read only). */
    bool own = PQtransactionStatus(c->pg) == PQTRANS_IDLE;
    dh_status st = DH_OK;
    if (own && (st = dh_pg_command(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                                   "begin", e)))
        return st;
    /* DECLARE cannot be prepared; its query's parameters still travel
     * apart from the text. */
    dh_buf sql = DH_BUF_INIT;
    dh_buf_printf(&sql, "DECLARE %s NO SCROLL CURSOR FOR %s", name, select);
    PGresult *declared = PQexecParams(c->pg, sql.p, p->n, NULL, p->v, p->len, p->fmt, 0);
    dh_buf_free(&sql);
    if ((st = check(c, declared, what, e)) == DH_OK)
        PQclear(declared);
    char fetch[96]; /* FETCH takes no parameter: a number formatted here */
    long batch = FETCH_FIRST;
    bool stop = false;
    while (st == DH_OK && !stop) {
        snprintf(fetch, sizeof fetch, "FETCH FORWARD %ld FROM %s", batch, name);
        PGresult *res = PQexecParams(c->pg, fetch, 0, NULL, NULL, NULL, NULL, binary ? 1 : 0);
        if ((st = check(c, res, what, e)))
            break;
        int n = PQntuples(res), nf = PQnfields(res);
        size_t bytes = 1;
        for (int r = 0; r < n; r++)
            for (int i = 0; i < nf; i++)
                bytes += (size_t)PQgetlength(res, r, i) + 1;
        if (n > 0) {
            long b = (long)(FETCH_BYTES / (bytes / (size_t)n + 1));
            batch = b < 1 ? 1 : b > FETCH_MAX ? FETCH_MAX : b;
        }
        for (int r = 0; r < n && !stop; r++)
            stop = cb(closure, res, r) != 0;
        PQclear(res);
        if (n == 0)
            break;
    }
    if (own) {
        PQclear(PQexec(c->pg, "ROLLBACK"));
    } else if (st == DH_OK) {
        snprintf(fetch, sizeof fetch, "CLOSE %s", name);
        st = dh_pg_command(c, fetch, what, e);
    }
    return st;
}
