/* test_faults.c - fault injection over the main writes (issue 18, point 2),
 * after SQLite's own tests: an ingestion batch, a unit reorganisation, a
 * plan import, an indicator-value upload and a target save, each run
 * through src/app against a real SQLite file while, in turn,
 *   - the n-th store call fails (util/fault.h, DH_FAULT_STORE: a statement
 *     the backend prepares or runs, BEGIN and COMMIT included),
 *   - the n-th write or sync to disk fails (a VFS shim over the default
 *     one: xWrite answers SQLITE_IOERR_WRITE, xSync SQLITE_IOERR_FSYNC),
 *   - the n-th allocation of SQLite fails (SQLITE_CONFIG_MALLOC: SQLite
 *     answers SQLITE_NOMEM and our code must carry it out as an error),
 * for n = 1, 2, ... until the operation gets through without meeting the
 * fault. Each failed run must return an error with a message, leave the
 * database exactly as before (a logical dump of every table, rows in rowid
 * order), and the next request must succeed: a read after every failure,
 * and the run with the next n reaches its fault. The run that finally
 * succeeds must leave what the same operation leaves on a fresh copy.
 * Leaks are found by LeakSanitizer in the sanitizer build (make test runs
 * both builds).
 *
 * Our own allocations (malloc, calloc, realloc, strdup called by our code:
 * this program is linked with -Wl,--wrap for them, see the Makefile) are
 * swept too, but in a child process each: by the house rule an allocation
 * failure may abort (util/buf.h, dh_xmalloc), so the child must either end
 * with an error or succeed, or abort; never die otherwise (a crash on an
 * unchecked NULL). Whatever it did, the database must be as before (or, if
 * it succeeded, as after), and a request in a new process must work.
 *
 * Long operations are sampled: every n up to 60, then a step growing as n
 * does (our allocations: about 30 points over the operation, the first 10
 * and 20 spread over the rest);
 * DH_FAULT_FULL=1 in the environment sweeps every n (minutes). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "app/app.h"
#include "app/demo.h"
#include "util/buf.h"
#include "util/fault.h"

static const time_t NOW = 1767225600; /* 2026-01-01T00:00:00Z */

/* ------------------------------------------------------------------ */
/* The other two fault points: SQLite's allocator and its disk writes. */

enum { PT_STORE, PT_DISK, PT_MEM, PT_N };
static const char *const pt_name[PT_N] = {"store call", "disk write", "sqlite allocation"};

static struct {
    long count, at; /* calls since armed; the one to fail (0: none) */
} mem, disk;

static bool due(long *count, long at) { return ++*count == at && at > 0; }

/* Our own allocations (-Wl,--wrap=malloc,... for this program only). */
static struct {
    long count, at;
} ours;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);

void *__wrap_malloc(size_t n) { return due(&ours.count, ours.at) ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t size)
{
    return due(&ours.count, ours.at) ? NULL : __real_calloc(n, size);
}
void *__wrap_realloc(void *p, size_t n)
{
    return due(&ours.count, ours.at) ? NULL : __real_realloc(p, n);
}
char *__wrap_strdup(const char *s) { return due(&ours.count, ours.at) ? NULL : __real_strdup(s); }

static sqlite3_mem_methods mem_real;

static void *mem_malloc(int n) { return due(&mem.count, mem.at) ? NULL : mem_real.xMalloc(n); }
static void mem_free(void *p) { mem_real.xFree(p); }
static void *mem_realloc(void *p, int n)
{
    return due(&mem.count, mem.at) ? NULL : mem_real.xRealloc(p, n);
}
static int mem_size(void *p) { return mem_real.xSize(p); }
static int mem_roundup(int n) { return mem_real.xRoundup(n); }
static int mem_init(void *x) { return mem_real.xInit(x); }
static void mem_shutdown(void *x) { mem_real.xShutdown(x); }

static sqlite3_vfs *vfs_real;

typedef struct ffile {
    sqlite3_file base;
    sqlite3_file *real; /* follows this struct in the same block */
} ffile;

#define REAL(f) (((ffile *)(f))->real)

static int f_close(sqlite3_file *f) { return REAL(f)->pMethods->xClose(REAL(f)); }
static int f_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o)
{
    return REAL(f)->pMethods->xRead(REAL(f), b, n, o);
}
static int f_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o)
{
    if (due(&disk.count, disk.at))
        return SQLITE_IOERR_WRITE;
    return REAL(f)->pMethods->xWrite(REAL(f), b, n, o);
}
static int f_truncate(sqlite3_file *f, sqlite3_int64 n)
{
    return REAL(f)->pMethods->xTruncate(REAL(f), n);
}
/* Syncs are counted and may fail, but never reach the disk: the sweeps
 * test what SQLite is told, not power loss, and thousands of fsyncs would
 * make them slow. */
static int f_sync(sqlite3_file *f, int flags)
{
    (void)f;
    (void)flags;
    return due(&disk.count, disk.at) ? SQLITE_IOERR_FSYNC : SQLITE_OK;
}
static int f_size(sqlite3_file *f, sqlite3_int64 *n) { return REAL(f)->pMethods->xFileSize(REAL(f), n); }
static int f_lock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xLock(REAL(f), l); }
static int f_unlock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xUnlock(REAL(f), l); }
static int f_check(sqlite3_file *f, int *r)
{
    return REAL(f)->pMethods->xCheckReservedLock(REAL(f), r);
}
static int f_fcntl(sqlite3_file *f, int op, void *arg)
{
    return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}
static int f_sector(sqlite3_file *f) { return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int f_devchar(sqlite3_file *f) { return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f)); }
static int f_shmmap(sqlite3_file *f, int pg, int sz, int ext, void volatile **p)
{
    return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, ext, p);
}
static int f_shmlock(sqlite3_file *f, int off, int n, int flags)
{
    return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}
static void f_shmbarrier(sqlite3_file *f) { REAL(f)->pMethods->xShmBarrier(REAL(f)); }
static int f_shmunmap(sqlite3_file *f, int del) { return REAL(f)->pMethods->xShmUnmap(REAL(f), del); }
static int f_fetch(sqlite3_file *f, sqlite3_int64 o, int n, void **p)
{
    return REAL(f)->pMethods->xFetch(REAL(f), o, n, p);
}
static int f_unfetch(sqlite3_file *f, sqlite3_int64 o, void *p)
{
    return REAL(f)->pMethods->xUnfetch(REAL(f), o, p);
}

static const sqlite3_io_methods f_methods = {
    3,        f_close,  f_read,   f_write,     f_truncate,  f_sync,     f_size,
    f_lock,   f_unlock, f_check,  f_fcntl,     f_sector,    f_devchar,  f_shmmap,
    f_shmlock, f_shmbarrier, f_shmunmap, f_fetch, f_unfetch};

static int v_open(sqlite3_vfs *v, const char *name, sqlite3_file *f, int flags, int *out)
{
    ffile *ff = (ffile *)f;
    ff->real = (sqlite3_file *)(ff + 1);
    ff->base.pMethods = NULL;
    int rc = vfs_real->xOpen(vfs_real, name, ff->real, flags, out);
    if (ff->real->pMethods)
        ff->base.pMethods = &f_methods;
    (void)v;
    return rc;
}
static int v_delete(sqlite3_vfs *v, const char *n, int s) { return vfs_real->xDelete(vfs_real, n, s); }
static int v_access(sqlite3_vfs *v, const char *n, int fl, int *r)
{
    return vfs_real->xAccess(vfs_real, n, fl, r);
}
static int v_full(sqlite3_vfs *v, const char *n, int cap, char *out)
{
    return vfs_real->xFullPathname(vfs_real, n, cap, out);
}
static void *v_dlopen(sqlite3_vfs *v, const char *n) { return vfs_real->xDlOpen(vfs_real, n); }
static void v_dlerror(sqlite3_vfs *v, int n, char *m) { vfs_real->xDlError(vfs_real, n, m); }
static void (*v_dlsym(sqlite3_vfs *v, void *h, const char *s))(void)
{
    return vfs_real->xDlSym(vfs_real, h, s);
}
static void v_dlclose(sqlite3_vfs *v, void *h) { vfs_real->xDlClose(vfs_real, h); }
static int v_random(sqlite3_vfs *v, int n, char *out) { return vfs_real->xRandomness(vfs_real, n, out); }
static int v_sleep(sqlite3_vfs *v, int us) { return vfs_real->xSleep(vfs_real, us); }
static int v_time(sqlite3_vfs *v, double *t) { return vfs_real->xCurrentTime(vfs_real, t); }
static int v_lasterr(sqlite3_vfs *v, int n, char *m) { return vfs_real->xGetLastError(vfs_real, n, m); }
static int v_time64(sqlite3_vfs *v, sqlite3_int64 *t) { return vfs_real->xCurrentTimeInt64(vfs_real, t); }

static sqlite3_vfs fault_vfs = {
    2,       0,         0,        NULL,     "dh-fault", NULL,    v_open,  v_delete,
    v_access, v_full,   v_dlopen, v_dlerror, v_dlsym,   v_dlclose, v_random, v_sleep,
    v_time,  v_lasterr, v_time64, NULL,     NULL,       NULL};

/* Installs both before SQLite starts: the allocator can only be set then. */
static void install_sqlite_faults(void)
{
    sqlite3_config(SQLITE_CONFIG_GETMALLOC, &mem_real);
    static sqlite3_mem_methods m;
    m = mem_real;
    m.xMalloc = mem_malloc;
    m.xFree = mem_free;
    m.xRealloc = mem_realloc;
    m.xSize = mem_size;
    m.xRoundup = mem_roundup;
    m.xInit = mem_init;
    m.xShutdown = mem_shutdown;
    if (sqlite3_config(SQLITE_CONFIG_MALLOC, &m) != SQLITE_OK || sqlite3_initialize() != SQLITE_OK)
        abort();
    vfs_real = sqlite3_vfs_find(NULL);
    fault_vfs.szOsFile = (int)sizeof(ffile) + vfs_real->szOsFile;
    fault_vfs.mxPathname = vfs_real->mxPathname;
    if (sqlite3_vfs_register(&fault_vfs, 1) != SQLITE_OK)
        abort();
}

static void arm(int pt, long n)
{
    dh_fault_arm(DH_FAULT_STORE, pt == PT_STORE ? n : 0);
    mem.count = disk.count = 0;
    mem.at = pt == PT_MEM ? n : 0;
    disk.at = pt == PT_DISK ? n : 0;
}

static long reached(int pt)
{
    return pt == PT_STORE ? dh_fault_count(DH_FAULT_STORE) : pt == PT_MEM ? mem.count : disk.count;
}

/* ------------------------------------------------------------------ */
/* The database: a template made once, copied for each sweep.           */

typedef struct fixture {
    char dir[64];
    char tmpl[128], path[128], url[160];
    dh_app *app;
    dh_actor cli;
} fixture;

static void copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    assert_non_null(a);
    assert_non_null(b);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, a)) > 0)
        assert_int_equal(fwrite(buf, 1, n, b), n);
    fclose(a);
    assert_int_equal(fclose(b), 0);
}

/* The test's own JSON: its allocations are not counted, none fails. */
static json_t *J(const char *text)
{
    long count = ours.count, at = ours.at;
    ours.at = 0;
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    ours.count = count;
    ours.at = at;
    if (!j)
        fail_msg("bad test JSON: %s", je.text);
    return j;
}

/* A write taking a JSON body (given as text) and answering JSON. */
typedef dh_status (*put_fn)(dh_app *, const dh_actor *, json_t *, time_t, json_t **, dh_err *);
static dh_status put_op(fixture *f, put_fn fn, const char *body, dh_err *e)
{
    json_t *in = J(body), *out = NULL;
    dh_status st = fn(f->app, &f->cli, in, NOW, &out, e);
    json_decref(in);
    json_decref(out);
    return st;
}

/* A write of the template that must succeed. */
static void must_put(fixture *f, put_fn fn, const char *body)
{
    dh_err e;
    if (put_op(f, fn, body, &e))
        fail_msg("template: %s: %s", body, e.message);
}

static int group_setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/dh-faults-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->tmpl, sizeof f->tmpl, "%s/template.db", f->dir);
    snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
    char url[160];
    snprintf(url, sizeof url, "sqlite:%s", f->tmpl);
    dh_err e;
    f->app = dh_app_open(url, true, &e);
    if (!f->app)
        return -1;
    dh_actor_cli(&f->cli);
    dh_demo_summary sum;
    if (dh_demo_load(f->app, &f->cli, NOW, &sum, &e))
        fail_msg("demo: %s", e.message);
    must_put(f, dh_app_unit_create,
             "{\"code\":\"FT\",\"name\":\"Tỉnh Thử\",\"kind\":\"province\","
             "\"valid_from\":\"2020-01-01\"}");
    must_put(f, dh_app_unit_create,
             "{\"code\":\"FT-A\",\"name\":\"Xã A\",\"kind\":\"commune\",\"parent\":\"FT\","
             "\"valid_from\":\"2020-01-01\"}");
    must_put(f, dh_app_unit_create,
             "{\"code\":\"FT-B\",\"name\":\"Xã B\",\"kind\":\"commune\",\"parent\":\"FT\","
             "\"valid_from\":\"2020-01-01\"}");
    must_put(f, dh_app_indicator_put,
             "{\"code\":\"ft1\",\"name\":\"Chỉ tiêu thử\",\"direction\":\"higher\","
             "\"aggregation\":\"sum\",\"source\":\"pushed\",\"period_type\":\"month\"}");
    must_put(f, dh_app_plan_create,
             "{\"key\":\"FT-PLAN\",\"type\":\"Kế hoạch\",\"issuer\":\"BRVT\",\"title\":\"Kế "
             "hoạch thử\",\"period_from\":\"2025-01-01\",\"period_to\":\"2026-12-31\"}");
    /* Readers of targets refresh what is due (a write): none is left. */
    int recomputed;
    if (dh_app_targets_refresh(f->app, NOW, &recomputed, &e))
        fail_msg("template: refresh: %s", e.message);
    dh_app_close(f->app);
    f->app = NULL;
    FILE *t = fopen(f->tmpl, "rb");
    if (t && fseek(t, 0, SEEK_END) == 0)
        printf("# template database: %ld bytes\n", ftell(t));
    if (t)
        fclose(t);
    *state = f;
    return 0;
}

static int group_teardown(void **state)
{
    fixture *f = *state;
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

/* Opens the app on f->path as it is. */
static void reopen(fixture *f)
{
    dh_err e;
    f->app = dh_app_open(f->url, false, &e);
    if (!f->app)
        fail_msg("open: %s", e.message);
}

/* A fresh copy of the template at f->path, opened. */
static void fresh(fixture *f)
{
    char p[160];
    for (const char *sfx = ""; sfx; sfx = !*sfx ? "-wal" : !strcmp(sfx, "-wal") ? "-shm" : NULL) {
        snprintf(p, sizeof p, "%s%s", f->path, sfx);
        unlink(p);
    }
    copy_file(f->tmpl, f->path);
    snprintf(f->url, sizeof f->url, "sqlite:%s", f->path);
    reopen(f);
}

static void shut(fixture *f)
{
    dh_app_close(f->app);
    f->app = NULL;
}

/* Every table's rows, in rowid order (WITHOUT ROWID tables by their key),
 * as text, read through a connection of its own. */
static char *dump(fixture *f)
{
    sqlite3 *db;
    if (sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        fail_msg("dump: open");
    dh_buf b = {0};
    sqlite3_stmt *t;
    if (sqlite3_prepare_v2(db,
                           "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                           "ORDER BY name",
                           -1, &t, NULL) != SQLITE_OK)
        fail_msg("dump: %s", sqlite3_errmsg(db));
    while (sqlite3_step(t) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(t, 0);
        const char *sql = (const char *)sqlite3_column_text(t, 1);
        bool norowid = sql && strstr(sql, "WITHOUT ROWID");
        char q[300];
        snprintf(q, sizeof q, "SELECT * FROM \"%s\" ORDER BY %s", name, norowid ? "1, 2" : "rowid");
        sqlite3_stmt *r;
        if (sqlite3_prepare_v2(db, q, -1, &r, NULL) != SQLITE_OK)
            fail_msg("dump %s: %s", name, sqlite3_errmsg(db));
        dh_buf_printf(&b, "== %s\n", name);
        int rc;
        while ((rc = sqlite3_step(r)) == SQLITE_ROW) {
            for (int i = 0; i < sqlite3_column_count(r); i++) {
                const char *v = (const char *)sqlite3_column_text(r, i);
                int n = sqlite3_column_bytes(r, i);
                dh_buf_putc(&b, '|');
                if (v)
                    dh_buf_append(&b, v, (size_t)n);
                else
                    dh_buf_puts(&b, "\\N");
            }
            dh_buf_putc(&b, '\n');
        }
        if (rc != SQLITE_DONE)
            fail_msg("dump %s: %s", name, sqlite3_errmsg(db));
        sqlite3_finalize(r);
    }
    sqlite3_finalize(t);
    sqlite3_close(db);
    return dh_buf_steal(&b);
}

/* ------------------------------------------------------------------ */
/* The operations.                                                    */

static dh_status op_ingest(fixture *f, dh_err *e)
{
    json_t *ev = J("["
                   "{\"id\":\"f1\",\"source\":\"ft\",\"dossier\":\"FT-1\",\"type\":\"received\","
                   "\"at\":\"2025-03-03T08:00:00+07:00\",\"unit\":\"VT-P1\","
                   "\"procedure\":\"1.001297\",\"channel\":\"online\"},"
                   "{\"id\":\"f2\",\"source\":\"ft\",\"dossier\":\"FT-1\",\"type\":\"processed\","
                   "\"at\":\"2025-03-05T09:00:00+07:00\"},"
                   "{\"id\":\"f3\",\"source\":\"ft\",\"dossier\":\"FT-2\",\"type\":\"received\","
                   "\"at\":\"2025-03-03T08:00:00+07:00\",\"unit\":\"VT-P2\","
                   "\"procedure\":\"1.001297\"},"
                   "{\"id\":\"f4\",\"source\":\"ft\",\"dossier\":\"FT-2\","
                   "\"type\":\"supplement_requested\",\"at\":\"2025-03-03T10:00:00+07:00\"}"
                   "]");
    dh_ingest_report rep; /* dh_app_dossier_ingest sets it */
    dh_status st = dh_app_dossier_ingest(f->app, &f->cli, ev, false, NULL, NULL, NOW, &rep, e);
    if (st == DH_OK && rep.accepted != 4)
        st = dh_err_set(e, DH_E_INTERNAL, "test", NULL, "accepted %d of 4", rep.accepted);
    json_decref(rep.results);
    json_decref(ev);
    return st;
}

static dh_status op_reorg(fixture *f, dh_err *e)
{
    return put_op(f, dh_app_unit_event,
                  "{\"kind\":\"merge\",\"effective\":\"2026-01-01\",\"source\":\"Nghị quyết thử\","
                  "\"from\":[{\"unit\":\"FT-A\"},{\"unit\":\"FT-B\"}],"
                  "\"to\":[{\"unit\":\"FT-AB\",\"name\":\"Xã AB\",\"kind\":\"commune\","
                  "\"parent\":\"FT\"}]}",
                  e);
}

static dh_status op_plan_import(fixture *f, dh_err *e)
{
    static const char csv[] =
        "STT,Nội dung,Đơn vị chủ trì,Đơn vị phối hợp,Thời gian hoàn thành,Ghi chú\n"
        "1,Việc một,Sở Thông tin và Truyền thông,,Quý IV/2025,\n"
        "2,Việc hai,Sở Nội vụ,Sở Thông tin và Truyền thông,2026,\n"
        "3,Việc ba,Sở Nội vụ,,khi có chỉ đạo,\n";
    dh_import_report rep = {0};
    dh_status st = dh_app_plan_import(f->app, &f->cli, "FT-PLAN", csv, sizeof csv - 1, "p.csv",
                                      NOW, &rep, e);
    if (st == DH_OK && rep.taken != 3)
        st = dh_err_set(e, DH_E_INTERNAL, "test", NULL, "took %d of 3", rep.taken);
    dh_import_report_free(&rep);
    return st;
}

static dh_status op_values(fixture *f, dh_err *e)
{
    return put_op(f, dh_app_values_put,
                  "[{\"indicator\":\"ft1\",\"unit\":\"FT-A\",\"period\":\"2025-11\",\"value\":7,"
                  "\"source\":\"ft\",\"id\":\"v1\"},"
                  "{\"indicator\":\"ft1\",\"unit\":\"FT-B\",\"period\":\"2025-11\",\"value\":9,"
                  "\"source\":\"ft\",\"id\":\"v2\"},"
                  "{\"indicator\":\"ft1\",\"unit\":\"FT\",\"period\":\"2025-12\",\"value\":20,"
                  "\"source\":\"ft\",\"id\":\"v3\"}]",
                  e);
}

static dh_status op_target(fixture *f, dh_err *e)
{
    return put_op(f, dh_app_target_put,
                  "{\"indicator\":\"ft1\",\"unit\":\"FT\",\"value\":100,\"due\":\"2026-12-31\","
                  "\"milestones\":\"2026-06-30:50;2026-09-30:75\",\"key\":\"ft-target\"}",
                  e);
}

typedef dh_status (*op_fn)(fixture *, dh_err *);

/* What a reader sees of an operation's data, through the app and its
 * caches (not the file): after a failure it must be what it was before,
 * so a failed write left no trace in memory either; and a failure to read
 * is the next request failing. A malloc'd text. */
typedef char *(*view_fn)(fixture *);

static char *view_text(const char *what, dh_status st, json_t *out, const dh_err *e)
{
    if (st != DH_OK && st != DH_E_NOTFOUND)
        fail_msg("the request after a fault (%s) failed: %s", what, e->message);
    char *text = st ? dh_xstrdup("not found") : json_dumps(out, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(out);
    return text;
}

static char *view_dossiers(fixture *f)
{
    json_t *out = NULL;
    dh_err e;
    dh_status st = dh_app_dossier_get(f->app, &f->cli, "FT-2", false, NOW, &out, &e);
    return view_text("a dossier", st, out, &e);
}

static char *view_units(fixture *f)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    dh_err e;
    dh_status st = dh_app_unit_export(f->app, m, DH_DATE_NONE, &e);
    fclose(m);
    if (st)
        fail_msg("the request after a fault (units) failed: %s", e.message);
    return text;
}

static char *view_plan(fixture *f)
{
    json_t *out = NULL;
    dh_err e;
    dh_status st = dh_app_plan_get(f->app, &f->cli, "FT-PLAN", NOW, &out, &e);
    return view_text("a plan", st, out, &e);
}

static char *view_values(fixture *f)
{
    json_t *items = NULL;
    bool more;
    dh_value_query q = {"ft1", "FT", true, DH_DATE_NONE, DH_DATE_NONE, 0, 100};
    dh_err e;
    dh_status st = dh_app_values_list(f->app, &f->cli, &q, NOW, &items, &more, &e);
    return view_text("values", st, items, &e);
}

static char *view_targets(fixture *f)
{
    json_t *out = NULL;
    dh_target_query q = {0};
    q.unit = "FT";
    q.subtree = true;
    /* Not today's statuses: those are refreshed (written) on demand. */
    if (dh_date_parse("2026-01-02", &q.as_of))
        fail_msg("date");
    dh_err e;
    dh_status st = dh_app_target_status(f->app, &f->cli, &q, NOW, &out, &e);
    return view_text("targets", st, out, &e);
}

/* The view must read as `want` (what it read in that state before). */
static void check_view(fixture *f, view_fn view, const char *want, const char *name, int pt,
                       long n)
{
    char *got = view(f);
    if (strcmp(got, want) != 0)
        fail_msg("%s, %s %ld: a reader sees another state than the database holds:\n%s\n"
                 "instead of\n%s",
                 name, pt < PT_N ? pt_name[pt] : "allocation", n, got, want);
    free(got);
}

/* DH_FAULT_FULL=1: every n of every sweep. */
static bool full_sweep(void)
{
    static int full = -1;
    if (full < 0)
        full = getenv("DH_FAULT_FULL") && atoi(getenv("DH_FAULT_FULL")) > 0;
    return full;
}

/* The next n of a sweep: every one up to 60, then a growing step. */
static long next_n(long n) { return full_sweep() || n < 60 ? n + 1 : n + n / 25; }

/* The states an operation goes between: the database's and a reader's. */
typedef struct states {
    char *before, *after;           /* dumps */
    char *view_before, *view_after; /* view_fn */
} states;

static void sweep_ours(fixture *f, const char *name, op_fn op, view_fn view, const states *w);

static void sweep(fixture *f, const char *name, op_fn op, view_fn view)
{
    /* What the operation leaves when nothing fails. */
    states w;
    fresh(f);
    w.before = dump(f);
    w.view_before = view(f);
    dh_err e;
    arm(PT_N, 0);
    if (op(f, &e))
        fail_msg("%s without faults: %s", name, e.message);
    w.after = dump(f);
    w.view_after = view(f);
    shut(f);
    assert_string_not_equal(w.before, w.after);
    assert_string_not_equal(w.view_before, w.view_after);

    for (int pt = 0; pt < PT_N; pt++) {
        fresh(f);
        long runs = 0, errors = 0, n;
        for (n = 1;; n = next_n(n)) {
            arm(pt, n);
            e = (dh_err){0};
            dh_status st = op(f, &e);
            long seen = reached(pt);
            arm(PT_N, 0);
            runs++;
            if (st == DH_OK) {
                char *got = dump(f);
                if (strcmp(got, w.after) != 0)
                    fail_msg("%s, %s %ld: succeeded but left another state", name, pt_name[pt],
                             n);
                free(got);
                check_view(f, view, w.view_after, name, pt, n);
                if (seen < n)
                    break; /* the operation ended before the fault: the sweep is done */
                /* It met the fault and got through (SQLite or the runner
                 * tried again): start again from the state before. */
                shut(f);
                fresh(f);
                continue;
            }
            errors++;
            if (seen < n)
                fail_msg("%s, %s %ld: failed before the fault (after %ld): %s", name,
                         pt_name[pt], n, seen, e.message);
            if (!e.message[0])
                fail_msg("%s, %s %ld: an error without words (status %d)", name, pt_name[pt], n,
                         (int)st);
            char *now = dump(f);
            if (strcmp(now, w.before) != 0)
                fail_msg("%s, %s %ld (%s): the database changed", name, pt_name[pt], n, e.message);
            free(now);
            check_view(f, view, w.view_before, name, pt, n);
            if (n > 1000000)
                fail_msg("%s, %s: no end", name, pt_name[pt]);
        }
        shut(f);
        printf("# %-12s %-17s %ld calls, %ld runs, %ld errors\n", name, pt_name[pt], n - 1, runs,
               errors);
    }
    sweep_ours(f, name, op, view, &w);
    free(w.before);
    free(w.after);
    free(w.view_before);
    free(w.view_after);
}

/* Runs op in a child process with its n-th allocation of ours failing
 * (0: none); the child's status: 0 done before the fault, 4 done after
 * it, 1 an error returned (with words), 3 no app; or a signal. */
static int child_run(fixture *f, op_fn op, long n, long *count)
{
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(pfd[0]);
        dh_err e = {0};
        f->app = dh_app_open(f->url, false, &e);
        if (!f->app)
            _exit(3);
        ours.count = 0;
        ours.at = n;
        dh_status st = op(f, &e);
        long seen = ours.count;
        ours.at = 0;
        if (write(pfd[1], &seen, sizeof seen) != (ssize_t)sizeof seen)
            _exit(5);
        dh_app_close(f->app);
        _exit(st == DH_OK ? (seen >= n && n ? 4 : 0) : e.message[0] ? 1 : 2);
    }
    close(pfd[1]);
    long seen = -1;
    if (read(pfd[0], &seen, sizeof seen) != (ssize_t)sizeof seen)
        seen = -1;
    close(pfd[0]);
    int ws;
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    if (count)
        *count = seen;
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : 1000 + WTERMSIG(ws);
}

/* A copy of the template at f->path (no app open). */
static void fresh_file(fixture *f)
{
    fresh(f);
    shut(f);
}

static void sweep_ours(fixture *f, const char *name, op_fn op, view_fn view, const states *w)
{
    const char *before = w->before, *after = w->after;
    /* How many allocations the operation makes when none fails. */
    fresh_file(f);
    long total;
    if (child_run(f, op, 0, &total) != 0 || total <= 0)
        fail_msg("%s: the run without faults failed", name);
    long runs = 0, aborts = 0, errors = 0, committed = 0;
    long step = full_sweep() ? 1 : total / 20 + 1;
    bool dirty = true; /* the copy holds more than before */
    for (long n = 1; n <= total; n += n < 10 ? 1 : step) {
        if (dirty)
            fresh_file(f);
        int rc = child_run(f, op, n, NULL);
        runs++;
        char *now = dump(f);
        dirty = strcmp(now, before) != 0;
        if (rc == 1000 + SIGABRT || rc == 1 || rc == 2) {
            if (rc == 2)
                fail_msg("%s, allocation %ld: an error without words", name, n);
            rc == 1 ? errors++ : aborts++;
            /* An error must leave nothing; an abort, like a crash, may come
             * after the commit (the work is then all done) but never in
             * the middle. */
            if (strcmp(now, before) != 0 && (rc == 1 || strcmp(now, after) != 0))
                fail_msg("%s, allocation %ld (%s): the database changed", name, n,
                         rc == 1 ? "error" : "abort");
            if (rc != 1 && strcmp(now, after) == 0)
                committed++;
        } else if (rc == 0 || rc == 4) {
            if (strcmp(now, after) != 0)
                fail_msg("%s, allocation %ld: succeeded but left another state", name, n);
        } else if (rc > 1000) {
            fail_msg("%s, allocation %ld of %ld: killed by signal %d (an unchecked allocation?)",
                     name, n, total, rc - 1000);
        } else {
            fail_msg("%s, allocation %ld: child status %d", name, n, rc);
        }
        free(now);
        /* The next request, in another process, works and sees what the
         * database holds. */
        reopen(f);
        check_view(f, view, dirty ? w->view_after : w->view_before, name, PT_N, n);
        shut(f);
    }
    printf("# %-12s %-17s %ld calls, %ld runs, %ld aborts (%ld after the commit), %ld errors\n",
           name, "our allocation", total, runs, aborts, committed, errors);
}

static void test_ingest(void **state) { sweep(*state, "ingest", op_ingest, view_dossiers); }
static void test_reorg(void **state) { sweep(*state, "reorganise", op_reorg, view_units); }
static void test_plan_import(void **state)
{
    sweep(*state, "plan import", op_plan_import, view_plan);
}
static void test_values(void **state) { sweep(*state, "values", op_values, view_values); }
static void test_target(void **state) { sweep(*state, "target", op_target, view_targets); }

int main(void)
{
    install_sqlite_faults();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ingest),     cmocka_unit_test(test_reorg),
        cmocka_unit_test(test_plan_import), cmocka_unit_test(test_values),
        cmocka_unit_test(test_target),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
