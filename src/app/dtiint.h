/* dtiint.h - what the DTI files of src/app/ (dti.c, dtiimport.c, dtiflow.c,
 * dtiplan.c) share and nobody else sees, all defined in dti.c: a framework as
 * loaded from the store, assessment rows, the evidence column, stored
 * files' metadata, numbers and warnings as JSON. */
#ifndef DH_APP_DTIINT_H
#define DH_APP_DTIINT_H

#include "app/internal.h"
#include "core/dti.h"
#include "store/dti.h"
#include "store/plans.h"

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

/* The metadata of one stored file (no bytes unless asked). */
typedef struct dti_file_got {
    json_t *meta;
    char *data;
    size_t len;
} dti_file_got;

/* A get_file callback: sets meta (as dh_dti_files_meta describes a file)
 * and copies the bytes when the row has them (data malloc'd, len). */
int dh_dti_on_file(void *closure, const dh_file_row *r);

/* A number rounded to 4 decimals, as JSON. */
json_t *dh_dti_num_json(double x);
/* The warnings of a scored result as a JSON array ({code, line, printed,
 * computed, message}, and unit when unit is not NULL). */
json_t *dh_dti_warnings_json(const dh_dti_result *r, const char *unit);

#endif
