/* fullonline.h - fully online public services ("dịch vụ công trực tuyến
 * toàn trình", seed 004; issue 19, point 8): the share of the procedures a
 * unit offers that are fully online, and the share of the dossiers it
 * received through them.
 *
 * A unit offers the procedures of the catalogue in force at the period's
 * end at the levels it handles (a province every level, a district its
 * own and its communes', a commune its own; a department, office or
 * centre the level of its nearest province, district or commune
 * ancestor). A dossier counts for the share of its procedure's version in
 * force at the period's end (one not in the catalogue: not fully online).
 *
 * Pure: no I/O; dh_proc_unit_levels allocates only while it runs. */
#ifndef DH_CORE_FULLONLINE_H
#define DH_CORE_FULLONLINE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/unit.h"

typedef struct dh_fo_figures {
    int64_t procedures, full_procedures; /* offered, of them fully online */
    int64_t dossiers, full_dossiers;     /* received, of them through those */
} dh_fo_figures;

/* The levels (province, district, commune) of the procedures unit u
 * handles on d, in lv. */
void dh_proc_unit_levels(const dh_unitreg *reg, int32_t u, dh_date d, bool lv[3]);
/* Whether a procedure of `level` ("province", "district", "commune") is
 * among lv. */
bool dh_proc_level_in(const char *level, const bool lv[3]);

/* A procedure in force the unit offers, with its online level ("full",
 * "partial", "none"). */
void dh_fo_add_procedure(dh_fo_figures *f, const char *online_level);
/* n dossiers received of a procedure of online_level (NULL: not in the
 * catalogue). Negative n counts nothing. */
void dh_fo_add_dossiers(dh_fo_figures *f, const char *online_level, int64_t n);
/* num/den in percent, rounded to two decimals, in *pct; false (and 0)
 * when den <= 0 (no rate: N/A, not 0 %). */
bool dh_fo_rate(int64_t num, int64_t den, double *pct);

#endif
