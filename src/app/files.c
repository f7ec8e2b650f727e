/* files.c - stored files (source documents, evidence): checking a new
 * file's type by its bytes, random ids, who may read one, storing and
 * reading them. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "app/planbook.h"
#include "util/text.h"

/* ------------------------------------------------------------------ */
/* Stored files.                                                      */

/* The type of a document from its first bytes (and, for the zip-based
 * formats, the names inside); NULL when it is none we take. */
static const char *sniff_type(const char *name, const unsigned char *d, size_t n)
{
    if (n >= 5 && memcmp(d, "%PDF-", 5) == 0)
        return "pdf";
    if (n >= 8 && memcmp(d, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) == 0)
        return "doc"; /* OLE2 compound file: Word 97-2003 */
    if (n >= 4 && memcmp(d, "PK\x03\x04", 4) == 0) {
        /* Office Open XML and OpenDocument are zips; tell them apart by the
         * entry names near the start (bounded search). */
        size_t lim = n < 65536 ? n : 65536;
        if (memmem(d, lim, "mimetypeapplication/vnd.oasis.opendocument.text", 47))
            return "odt";
        if (memmem(d, n, "word/", 5))
            return "docx";
        if (memmem(d, n, "xl/", 3))
            return "xlsx";
        return NULL;
    }
    /* Plain text: valid UTF-8 without NULs, named .txt. */
    size_t ln = strlen(name);
    if (ln > 4 && strcasecmp(name + ln - 4, ".txt") == 0 &&
        dh_utf8_invalid_offset((const char *)d, n) < 0)
        return "txt";
    return NULL;
}

struct file_ctx {
    json_t *meta;
    char *data;
    size_t len;
};

static int on_file(void *closure, const dh_file_row *r);

/* A new file's id (issue 13): random in 1 .. 2^53 - 1 (exact as a JSON
 * number), so that ids can be neither guessed nor enumerated; drawn again
 * in the unlikely case it is taken (inside the caller's write transaction,
 * so the check holds until the insert). */
static dh_status new_file_id(dh_conn *c, int64_t *id, dh_err *e)
{
    for (;;) {
        uint64_t x;
        randombytes_buf(&x, sizeof x);
        x &= (UINT64_C(1) << 53) - 1;
        if (x == 0)
            continue;
        struct file_ctx f = {0};
        dh_status st = DH_PLANS(c)->get_file(c, (int64_t)x, false, on_file, &f, e);
        json_decref(f.meta);
        if (st == DH_E_NOTFOUND) {
            *id = (int64_t)x;
            return DH_OK;
        }
        if (st)
            return st;
    }
}

/* Who may read stored file id, uploaded by `uploader` (issue 13): an
 * admin; its uploader; and whoever may read what it is attached to, the
 * document of a plan or the evidence of a task update. Plans and tasks are
 * read by every signed-in user (docs/PLANS.md), so an attached file is too;
 * a file attached to nothing is its uploader's and the admins' only. */
static bool file_readable(const dh_planbook *b, const dh_actor *a, int64_t id,
                          const char *uploader)
{
    if (a->role == DH_ROLE_ADMIN || (uploader && *uploader && !strcmp(uploader, a->login)))
        return true;
    for (size_t i = 0; i < b->np; i++)
        if (json_integer_value(json_object_get(b->p[i].j, "document_file")) == id)
            return true;
    for (size_t k = 0; k < b->nt; k++) {
        size_t i, j;
        json_t *u, *f;
        json_array_foreach(b->t[k].updates, i, u)
        {
            json_array_foreach(json_object_get(u, "evidence"), j, f)
            {
                if (json_integer_value(f) == id)
                    return true;
            }
        }
    }
    return false;
}

/* Checks a new file (name, size, type judged by its bytes) and fills *f
 * (f->name malloc'd, freed by dh_file_new_free). */
dh_status dh_file_prepare(const char *name, const void *data, size_t len, dh_file_new *f,
                          dh_err *e)
{
    memset(f, 0, sizeof *f);
    char *clean;
    dh_status cs = dh_text_clean_field(name, "name", &clean, e);
    if (cs)
        return cs;
    if (!*clean || strlen(clean) > 255) {
        free(clean);
        return dh_err_set(e, DH_E_INVALID, "invalid_name", "name",
                          "the file needs a name (UTF-8, at most 255 bytes)");
    }
    if (len == 0) {
        free(clean);
        return dh_err_set(e, DH_E_INVALID, "empty_file", "file", "the file is empty");
    }
    if (len > DH_FILE_MAX) {
        free(clean);
        return dh_err_set(e, DH_E_TOOLARGE, "file_too_large", "file",
                          "the file has %zu bytes; at most %d (20 MB) are taken", len,
                          DH_FILE_MAX);
    }
    const char *type = sniff_type(clean, data, len);
    if (!type) {
        free(clean);
        return dh_err_set(e, DH_E_INVALID, "unsupported_type", "file",
                          "the file is not a PDF, DOCX, DOC, XLSX, ODT or UTF-8 TXT document "
                          "(judged by its content, not its name)");
    }
    unsigned char hash[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(hash, data, len);
    sodium_bin2hex(f->sha256, sizeof f->sha256, hash, sizeof hash);
    f->name = clean;
    f->type = type;
    f->data = data;
    f->len = len;
    return DH_OK;
}

void dh_file_new_free(dh_file_new *f)
{
    free(f->name);
    f->name = NULL;
}

/* Inserts a prepared file under a new random id, uploaded by a for its
 * unit; *out {id, name, type, size, sha256}. Inside a write transaction. */
dh_status dh_file_insert(dh_conn *c, const dh_actor *a, const dh_file_new *f, time_t now,
                         json_t **out, dh_err *e)
{
    *out = NULL;
    dh_file_row r = {0, f->name, f->type, f->sha256, a->unit_code, a->login, f->data, f->len,
                     now};
    int64_t id = 0;
    dh_status st = new_file_id(c, &r.id, e);
    if (st == DH_OK)
        st = DH_PLANS(c)->put_file(c, &r, &id, e);
    if (st == DH_OK)
        *out = json_pack("{s:I,s:s,s:s,s:I,s:s}", "id", (json_int_t)id, "name", f->name, "type",
                         f->type, "size", (json_int_t)f->len, "sha256", f->sha256);
    return st;
}

typedef struct file_put_cl {
    const dh_actor *a;
    const dh_file_new *f;
    time_t now;
    json_t *out;
} file_put_cl;

/* Concurrency: reads whether a random id is free (new_file_id) and
 * inserts the file under it in the same write transaction; the primary
 * key of files is the last guard against two uploads drawing one id (the
 * second fails DH_E_CONFLICT rather than overwriting the first), and a
 * rerun draws a new id. */
static dh_status file_put_tx(dh_tx *tx, void *closure, dh_err *e)
{
    file_put_cl *cl = closure;
    const dh_actor *a = cl->a;
    json_decref(cl->out);
    cl->out = NULL;
    dh_status st = dh_file_insert(tx->c, a, cl->f, cl->now, &cl->out, e);
    if (st == DH_OK) {
        char key[32];
        snprintf(key, sizeof key, "%lld",
                 (long long)json_integer_value(json_object_get(cl->out, "id")));
        st = dh_app_audit(tx->c, a, "upload", "file", key, a->unit_code, "ok", NULL, cl->out,
                          cl->now, e);
    }
    return st;
}

dh_status dh_app_file_put(dh_app *app, const dh_actor *a, const char *name, const void *data,
                          size_t len, time_t now, json_t **out, dh_err *e)
{
    *out = NULL;
    /* Permission first (the bytes are not looked at): a read-only account
     * stores nothing. */
    if (a->role == DH_ROLE_VIEWER)
        return dh_app_deny(app, a, "create", "file", name ? name : "", a->unit_code, now, e,
                           "store files with a read-only account");
    dh_file_new f;
    dh_status st = dh_file_prepare(name, data, len, &f, e);
    if (st)
        return st;
    file_put_cl cl = {a, &f, now, NULL};
    st = dh_tx_run(app, DH_TX_WRITE, file_put_tx, &cl, e);
    if (st)
        json_decref(cl.out);
    else
        *out = cl.out;
    dh_file_new_free(&f);
    return st;
}

static int on_file(void *closure, const dh_file_row *r)
{
    struct file_ctx *f = closure;
    f->meta = json_pack("{s:I,s:s,s:s,s:I,s:s,s:s,s:s}", "id", (json_int_t)r->id, "name",
                        r->name, "type", r->type, "size", (json_int_t)r->size, "sha256",
                        r->sha256, "unit", r->unit, "uploaded_by", r->uploaded_by);
    if (r->data) {
        f->data = dh_xmalloc(r->size + 1);
        memcpy(f->data, r->data, r->size);
        f->len = r->size;
    }
    return 0;
}

dh_status dh_app_file_get(dh_app *app, const dh_actor *a, int64_t id, bool with_data,
                          time_t now, json_t **meta, char **data, size_t *len, dh_err *e)
{
    *meta = NULL;
    if (data)
        *data = NULL;
    if (len)
        *len = 0;
    dh_conn *c = dh_store_acquire(dh_app_store(app), e);
    if (!c)
        return e->status;
    struct file_ctx f = {0};
    dh_status st = DH_PLANS(c)->get_file(c, id, with_data && data, on_file, &f, e);
    dh_store_release(c);
    if (st)
        return st;
    const dh_planbook *b = pb_acquire(app, e);
    if (!b) {
        json_decref(f.meta);
        free(f.data);
        return e->status;
    }
    bool ok = file_readable(b, a, id, json_string_value(json_object_get(f.meta, "uploaded_by")));
    pb_release(app, b);
    if (!ok) {
        /* Refused as if absent, so that nobody learns which ids exist; the
         * refusal is in the audit trail. */
        char key[32];
        snprintf(key, sizeof key, "%lld", (long long)id);
        dh_app_audit_denied(app, a, "read", "file", key,
                            json_string_value(json_object_get(f.meta, "unit")), now);
        json_decref(f.meta);
        free(f.data);
        return dh_err_set(e, DH_E_NOTFOUND, "unknown_file", NULL, "file %lld does not exist",
                          (long long)id);
    }
    *meta = f.meta;
    if (data) {
        *data = f.data;
        *len = f.len;
    } else {
        free(f.data);
    }
    return DH_OK;
}

/* Checks the file ids of arr (planbook.h). */
dh_status pb_check_files(dh_conn *c, const dh_planbook *b, const dh_actor *a, json_t *arr,
                         const char *field, dh_err *e)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        struct file_ctx f = {0};
        if (!json_is_integer(v))
            return dh_err_set(e, DH_E_INVALID, "invalid_type", field,
                              "%s must list file ids (from POST /api/v1/files)", field);
        dh_status st = DH_PLANS(c)->get_file(c, json_integer_value(v), false, on_file, &f, e);
        if (st == DH_OK &&
            !file_readable(b, a, json_integer_value(v),
                           json_string_value(json_object_get(f.meta, "uploaded_by"))))
            st = dh_err_set(e, DH_E_NOTFOUND, "unknown_file", NULL, "file %lld does not exist",
                            (long long)json_integer_value(v));
        json_decref(f.meta);
        if (st) {
            snprintf(e->field, sizeof e->field, "%s", field);
            if (st == DH_E_NOTFOUND)
                e->status = st = DH_E_INVALID;
            return st;
        }
    }
    return DH_OK;
}
