/* pg_stubs.c - TEMPORARY: DELETE THIS FILE when the domain files
 * (pg_units.c ... pg_targets.c) are merged; it only lets the pg-base branch
 * link while they are written on other branches. Each table is zero-filled:
 * a call through one crashes. Merged next to a real pg_<domain>.c, the link
 * fails with a duplicate definition, as it should: delete this file then. */
#include "store/aggs.h"
#include "store/audit.h"
#include "store/calendars.h"
#include "store/dossiers.h"
#include "store/index766.h"
#include "store/indicators.h"
#include "store/meta.h"
#include "store/people.h"
#include "store/plans.h"
#include "store/postgres/pg.h"
#include "store/procedures.h"
#include "store/targets.h"
#include "store/units.h"

const dh_units_ops dh_postgres_units_ops = {0};
const dh_people_ops dh_postgres_people_ops = {0};
const dh_audit_ops dh_postgres_audit_ops = {0};
const dh_meta_ops dh_postgres_meta_ops = {0};
const dh_calendars_ops dh_postgres_calendars_ops = {0};
const dh_procedures_ops dh_postgres_procedures_ops = {0};
const dh_dossiers_ops dh_postgres_dossiers_ops = {0};
const dh_aggs_ops dh_postgres_aggs_ops = {0};
const dh_i766_ops dh_postgres_i766_ops = {0};
const dh_plans_ops dh_postgres_plans_ops = {0};
const dh_indicators_ops dh_postgres_indicators_ops = {0};
const dh_targets_ops dh_postgres_targets_ops = {0};
