/* access.h - roles and what they allow, as a pure function of the actor, the
 * target unit and the unit tree on a date.
 *
 *   admin     everything, everywhere (the only role without a unit)
 *   leader    reads everything in its unit's subtree
 *   officer   reads and writes in its unit's subtree
 *   reporter  reads its subtree; submits data for its own unit only
 *   viewer    reads its subtree
 *
 * The unit registry itself (names, codes, the tree) is the public
 * organisation chart and readable by every signed-in user; scoping applies
 * to writes and to the data attached to units.
 */
#ifndef DH_CORE_ACCESS_H
#define DH_CORE_ACCESS_H

#include <stdbool.h>

#include "core/unit.h"

typedef enum dh_role {
    DH_ROLE_ADMIN,
    DH_ROLE_LEADER,
    DH_ROLE_OFFICER,
    DH_ROLE_REPORTER,
    DH_ROLE_VIEWER,
    DH_ROLE_COUNT
} dh_role;

typedef enum dh_action {
    DH_ACT_READ,   /* see a unit's data */
    DH_ACT_WRITE,  /* change units, plans, tasks of a unit */
    DH_ACT_SUBMIT, /* submit reports and figures for a unit */
    DH_ACT_MANAGE, /* users, tokens of others, calendars, frameworks */
} dh_action;

const char *dh_role_name(dh_role r);
int dh_role_parse(const char *s, dh_role *r);

/* May an actor with `role` scoped to `scope` (registry index, -1 for none)
 * do `act` on `target` (registry index) as the tree stands on `d`? A target
 * that does not exist on d is judged by the tree on its last valid day. */
bool dh_access_allows(const dh_unitreg *r, dh_role role, int32_t scope, dh_action act,
                      int32_t target, dh_date d);

#endif
