/* pg_b_stubs.c - TEMPORARY: DELETE THIS FILE once every domain file
 * (pg_units.c ... pg_targets.c) is merged. It lets the pg-base branch, and
 * a domain branch that merges pg-base before the others, link while the
 * domain files are written on other branches.
 *
 * Each table here is zero-filled (a call through one crashes) and WEAK, so
 * that a real dh_postgres_<domain>_ops wins without a duplicate-definition
 * error. In the static library that needs this file's member to sit after
 * pg_aggs.o and pg_audit.o and before pg_base.o (whose extraction makes the
 * tables wanted): the linker then pulls every real member first, and this
 * one only for the tables nobody else defines. A weak definition met first
 * would keep a real member from being pulled in at all (the tables would
 * be these zeros). Hence the name "pg_b_", and hence: delete it. */
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

__attribute__((weak)) const dh_units_ops dh_postgres_units_ops = {0};
__attribute__((weak)) const dh_people_ops dh_postgres_people_ops = {0};
__attribute__((weak)) const dh_audit_ops dh_postgres_audit_ops = {0};
__attribute__((weak)) const dh_meta_ops dh_postgres_meta_ops = {0};
__attribute__((weak)) const dh_calendars_ops dh_postgres_calendars_ops = {0};
__attribute__((weak)) const dh_procedures_ops dh_postgres_procedures_ops = {0};
__attribute__((weak)) const dh_dossiers_ops dh_postgres_dossiers_ops = {0};
__attribute__((weak)) const dh_aggs_ops dh_postgres_aggs_ops = {0};
__attribute__((weak)) const dh_i766_ops dh_postgres_i766_ops = {0};
__attribute__((weak)) const dh_plans_ops dh_postgres_plans_ops = {0};
__attribute__((weak)) const dh_indicators_ops dh_postgres_indicators_ops = {0};
__attribute__((weak)) const dh_targets_ops dh_postgres_targets_ops = {0};
