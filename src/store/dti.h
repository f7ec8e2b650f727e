/* dti.h - the storage contract for the digital-transformation index (issue
 * 16): frameworks (a tree of nodes, versioned by code and year, at a
 * level), assessments per unit × framework (status, printed total,
 * warnings, revision), their per-criterion entries (self-assessed and
 * appraised points or values, evidence, notes, comments) and the
 * revisions of a published assessment.
 *
 * One small table of operations, filled by each backend (src/store/sqlite/
 * sq_dti.c, src/store/postgres/pg_dti.c) and reached from a connection with
 * DH_DTI(c). The conventions of store.h hold: rows come back through
 * callbacks (0 goes on, non-zero stops), strings given to a callback are
 * borrowed for the call, every operation returns DH_OK or fills *e. The
 * tables only grow at the end.
 *
 * Numbers: points, maxima, thresholds and values are doubles (SQLite REAL,
 * PostgreSQL double precision); an absent figure is NULL, carried here as
 * has_* flags. */
#ifndef DH_STORE_DTI_H
#define DH_STORE_DTI_H

#include "store/store.h"

typedef struct dh_dti_framework_row {
    int64_t id;
    const char *code, *name;
    const char *level; /* province, department, district, commune */
    int year;
    const char *note;
    time_t created_at;
} dh_dti_framework_row;

typedef struct dh_dti_node_row {
    int64_t framework_id;
    int ord; /* file order, from 1 */
    const char *code, *parent, *name; /* parent "": a pillar */
    double max_points;
    const char *method; /* "": a node with children; manual, boolean, ratio, kpi */
    double threshold;   /* 0: none (100) */
    const char *source; /* kpi only, else "" */
    const char *responsible; /* a default lead unit for remediation; "" none */
    const char *note;        /* e.g. "other criteria" */
    long line;
} dh_dti_node_row;

typedef struct dh_dti_assessment_row {
    int64_t id, framework_id;
    const char *unit;
    int year;
    const char *status; /* self_assessment, submitted, appraisal, published */
    bool has_printed;
    double printed_total;
    long printed_line;
    const char *warnings_json; /* the import's warnings, a JSON array */
    const char *source;        /* e.g. "import:ket-qua.csv", "self" */
    int revision;              /* 0 until published; +1 per correction */
    bool synthetic;            /* demo data made up, not published */
    time_t created_at, updated_at;
} dh_dti_assessment_row;

typedef struct dh_dti_entry_row {
    int64_t assessment_id;
    const char *code;
    bool has_self_points, has_self_value, has_points, has_value;
    double self_points, self_value; /* what the unit entered */
    double points, value;           /* appraised or published */
    const char *evidence, *note, *comment; /* comment: the appraiser's */
    long line; /* the imported file's line; 0: none */
    int64_t task_id; /* the criterion's remediation task (a plan task); 0: none */
} dh_dti_entry_row;

typedef struct dh_dti_revision_row {
    int64_t assessment_id;
    int revision;
    time_t at;
    const char *actor, *reason;
    const char *snapshot_json; /* the entries before the correction */
} dh_dti_revision_row;

typedef int (*dh_dti_framework_cb)(void *closure, const dh_dti_framework_row *row);
typedef int (*dh_dti_node_cb)(void *closure, const dh_dti_node_row *row);
typedef int (*dh_dti_assessment_cb)(void *closure, const dh_dti_assessment_row *row);
typedef int (*dh_dti_entry_cb)(void *closure, const dh_dti_entry_row *row);
typedef int (*dh_dti_revision_cb)(void *closure, const dh_dti_revision_row *row);

typedef struct dh_dti_ops {
    /* A new framework; (code, year) taken is DH_E_CONFLICT. */
    dh_status (*put_framework)(dh_conn *c, const dh_dti_framework_row *r, int64_t *id,
                               dh_err *e);
    /* Frameworks by year (latest first), then code; code NULL and year 0:
     * any. */
    dh_status (*list_frameworks)(dh_conn *c, const char *code, int year,
                                 dh_dti_framework_cb cb, void *closure, dh_err *e);
    /* A node of a framework; (framework_id, code) taken is DH_E_CONFLICT. */
    dh_status (*put_node)(dh_conn *c, const dh_dti_node_row *r, dh_err *e);
    /* A framework's nodes by ord. */
    dh_status (*list_nodes)(dh_conn *c, int64_t framework_id, dh_dti_node_cb cb, void *closure,
                            dh_err *e);
    /* Inserts an assessment (id 0; (framework_id, unit) taken is
     * DH_E_CONFLICT) or updates every field but framework_id, unit and
     * created_at of the one with that id (DH_E_NOTFOUND if none). */
    dh_status (*save_assessment)(dh_conn *c, const dh_dti_assessment_row *r, int64_t *id,
                                 dh_err *e);
    /* Assessments by year (latest first), then unit; framework_id 0: any,
     * unit NULL: any. */
    dh_status (*list_assessments)(dh_conn *c, int64_t framework_id, const char *unit,
                                  dh_dti_assessment_cb cb, void *closure, dh_err *e);
    /* Inserts or replaces the entry (assessment_id, code). */
    dh_status (*put_entry)(dh_conn *c, const dh_dti_entry_row *r, dh_err *e);
    /* An assessment's entries by code. */
    dh_status (*list_entries)(dh_conn *c, int64_t assessment_id, dh_dti_entry_cb cb,
                              void *closure, dh_err *e);
    /* Removes every entry of an assessment (a re-import replaces them). */
    dh_status (*clear_entries)(dh_conn *c, int64_t assessment_id, dh_err *e);
    /* Appends a revision; (assessment_id, revision) taken is
     * DH_E_CONFLICT. Revisions are never changed. */
    dh_status (*add_revision)(dh_conn *c, const dh_dti_revision_row *r, dh_err *e);
    /* An assessment's revisions by number. */
    dh_status (*list_revisions)(dh_conn *c, int64_t assessment_id, dh_dti_revision_cb cb,
                                void *closure, dh_err *e);
} dh_dti_ops;

#define DH_DTI(c) (dh_conn_ops(c)->dti)

#endif
