/* dtiint.h - what the DTI files of src/app/ (dti.c, dtiflow.c) share and
 * nobody else sees: a framework as loaded from the store. */
#ifndef DH_APP_DTIINT_H
#define DH_APP_DTIINT_H

#include "app/internal.h"
#include "core/dti.h"
#include "store/dti.h"

/* A framework with its nodes in file order (strings malloc'd, freed by
 * dh_dti_fw_free); responsible and note per node. */
typedef struct dti_fw {
    int64_t id;
    int year;
    char *code, *name, *level;
    size_t n;
    dh_dti_node *nodes;
    char **responsible, **note;
} dti_fw;

/* Loads framework `code` of `year` with its nodes through c; DH_E_NOTFOUND
 * (unknown_framework, field framework) naming them when there is none. */
dh_status dh_dti_fw_load(dh_conn *c, const char *code, int year, dti_fw *f, dh_err *e);
void dh_dti_fw_free(dti_fw *f);

/* Assessment rows copied out of a list callback (their strings owned,
 * freed by dh_dti_arows_free). dh_dti_arows_add is the callback. */
typedef struct dti_arows {
    dh_dti_assessment_row *v;
    size_t n;
} dti_arows;
int dh_dti_arows_add(void *closure, const dh_dti_assessment_row *r);
void dh_dti_arows_free(dti_arows *l);

/* An entry's evidence column holds the evidence text and, once files are
 * attached (issue 16: evidence files per criterion), their ids: plain text
 * when there are no files and the text does not start with '{', else the
 * JSON object {"text": "...", "files": [ids]} (no migration). */
char *dh_dti_ev_text(const char *stored);  /* the text, malloc'd */
json_t *dh_dti_ev_files(const char *stored); /* the file ids, a new array */
char *dh_dti_ev_join(const char *text, json_t *files); /* the stored form, malloc'd */
/* The stored files' metadata {id, name, type, size, sha256, unit,
 * uploaded_by, created_at} for the ids, in their order (a new array). */
dh_status dh_dti_files_meta(dh_conn *c, json_t *ids, json_t **out, dh_err *e);

#endif
