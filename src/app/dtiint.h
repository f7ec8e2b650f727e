/* dtiint.h - what the DTI files of src/app/ (dti.c, dtiflow.c) share and
 * nobody else sees: a framework as loaded from the store. */
#ifndef DH_APP_DTIINT_H
#define DH_APP_DTIINT_H

#include "app/internal.h"
#include "core/dti.h"

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

#endif
