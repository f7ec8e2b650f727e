/* dossparse.c - one dossier event from its JSON: identifiers, instants,
 * the members each type requires. */
#include <stdlib.h>
#include <string.h>

#include "app/dossint.h"
#include "util/text.h"

/* ---- Parsing one event. ------------------------------------------------ */

static bool valid_ident(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x21 || *p == 0x7f)
            return false;
    return true;
}

/* RFC 3339 with an offset ("Z" or ±hh:mm), seconds optional. */
static int parse_instant(const char *s, time_t *t)
{
    size_t n = strlen(s);
    if (n < 17)
        return -1;
    bool zoned = s[n - 1] == 'Z' || (n >= 6 && (s[n - 6] == '+' || s[n - 6] == '-') &&
                                     s[n - 3] == ':');
    if (!zoned || s[10] != 'T')
        return -1;
    return dh_time_parse(s, t);
}


const char *dh_doss_str_of(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Fills ev from o (strings borrowed from o): dossint.h. */
dh_status dh_doss_parse_event(const ctx *c, json_t *o, dh_devent *ev, dh_err *e)
{
    memset(ev, 0, sizeof *ev);
    if (!json_is_object(o))
        return dh_err_set(e, DH_E_MALFORMED, "invalid_type", NULL, "an event must be an object");
    static const char *const common[] = {"id", "source", "dossier", "type", "at", NULL};
    for (const char *const *k = common; *k; k++) {
        const char *v = dh_doss_str_of(o, *k);
        if (!v)
            return dh_err_set(e, DH_E_INVALID, json_object_get(o, *k) ? "invalid_type"
                                                                    : "missing_field",
                              *k, "%s is required (a string)", *k);
        if (dh_utf8_invalid_offset(v, strlen(v)) >= 0 || !valid_ident(v, *k[0] == 'd' ? 64 : 100))
            if (strcmp(*k, "type") && strcmp(*k, "at"))
                return dh_err_set(e, DH_E_INVALID, "invalid_value", *k,
                                  "'%s' is not a valid %s (1 to %d visible characters)", v, *k,
                                  *k[0] == 'd' ? 64 : 100);
    }
    ev->id = dh_doss_str_of(o, "id");
    ev->source = dh_doss_str_of(o, "source");
    if (dh_de_type_parse(dh_doss_str_of(o, "type"), &ev->type))
        return dh_err_set(e, DH_E_INVALID, "invalid_type", "type",
                          "'%s' is not an event type (received, supplement_requested, "
                          "supplement_completed, transferred, extended, processed, "
                          "result_returned, refused, stopped, withdrawn, paid, rated, digitised)",
                          dh_doss_str_of(o, "type"));
    if (parse_instant(dh_doss_str_of(o, "at"), &ev->at))
        return dh_err_set(e, DH_E_INVALID, "invalid_time", "at",
                          "'%s' is not an RFC 3339 time with an offset (e.g. "
                          "2025-03-03T08:00:00+07:00)",
                          dh_doss_str_of(o, "at"));
    if (dh_date_of_time_vn(ev->at) < dh_date_from_ymd(DH_HOLIDAY_YEAR_MIN, 1, 1) ||
        dh_date_of_time_vn(ev->at) > dh_date_from_ymd(DH_HOLIDAY_YEAR_MAX - 1, 12, 31))
        return dh_err_set(e, DH_E_INVALID, "out_of_range", "at", "'%s' is outside %d-%d",
                          dh_doss_str_of(o, "at"), DH_HOLIDAY_YEAR_MIN, DH_HOLIDAY_YEAR_MAX - 1);
    if (ev->at > c->now + 86400)
        return dh_err_set(e, DH_E_INVALID, "in_the_future", "at",
                          "'%s' is more than a day in the future", dh_doss_str_of(o, "at"));
    const char *extra[6] = {0};
    switch (ev->type) {
    case DH_DE_RECEIVED:
        extra[0] = "unit", extra[1] = "procedure", extra[2] = "channel", extra[3] = "by_applicant",
        extra[4] = "appointment";
        break;
    case DH_DE_TRANSFERRED:
        extra[0] = "to_unit";
        break;
    case DH_DE_EXTENDED:
        extra[0] = "new_appointment", extra[1] = "reason";
        break;
    case DH_DE_PAID:
        extra[0] = "method", extra[1] = "amount";
        break;
    case DH_DE_RATED:
        extra[0] = "rating";
        break;
    case DH_DE_DIGITISED:
        extra[0] = "input", extra[1] = "result";
        break;
    case DH_DE_SUPPLEMENT_REQUESTED:
    case DH_DE_SUPPLEMENT_COMPLETED:
    case DH_DE_PROCESSED:
    case DH_DE_RESULT_RETURNED:
    case DH_DE_REFUSED:
    case DH_DE_STOPPED:
    case DH_DE_WITHDRAWN:
        extra[0] = "reason";
        break;
    case DH_DE_COUNT:
        break;
    }
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        bool ok = false;
        for (const char *const *k = common; *k; k++)
            ok |= strcmp(*k, key) == 0;
        for (int i = 0; i < 6 && extra[i]; i++)
            ok |= strcmp(extra[i], key) == 0;
        if (!ok)
            return dh_err_set(e, DH_E_INVALID, "unknown_field", key,
                              "'%s' is not a field of a %s event", key, dh_de_type_name(ev->type));
    }
    dh_date day = dh_date_of_time_vn(ev->at);
    if (ev->type == DH_DE_RECEIVED) {
        ev->unit = dh_doss_str_of(o, "unit");
        ev->procedure = dh_doss_str_of(o, "procedure");
        if (!ev->unit || dh_unitreg_find(c->reg, ev->unit) < 0)
            return dh_err_set(e, DH_E_INVALID, "unknown_unit", "unit", "unknown unit '%s'",
                              ev->unit ? ev->unit : "");
        if (!ev->procedure || !dh_procset_at(c->procs, ev->procedure, day))
            return dh_err_set(e, DH_E_INVALID, "unknown_procedure", "procedure",
                              "unknown procedure '%s' (or none in force on that date)",
                              ev->procedure ? ev->procedure : "");
        const char *ch = dh_doss_str_of(o, "channel");
        if (json_object_get(o, "channel") && dh_channel_parse(ch, &ev->channel))
            return dh_err_set(e, DH_E_INVALID, "invalid_channel", "channel",
                              "channel must be counter, online or postal");
        json_t *b = json_object_get(o, "by_applicant");
        if (b && !json_is_boolean(b))
            return dh_err_set(e, DH_E_INVALID, "invalid_type", "by_applicant",
                              "by_applicant must be true or false");
        ev->by_applicant = b && json_is_true(b);
        if (ev->by_applicant && ev->channel != DH_CH_ONLINE)
            return dh_err_set(e, DH_E_INVALID, "invalid_value", "by_applicant",
                              "by_applicant is for online dossiers only");
        const char *ap = dh_doss_str_of(o, "appointment");
        if (json_object_get(o, "appointment") && (!ap || parse_instant(ap, &ev->appointment)))
            return dh_err_set(e, DH_E_INVALID, "invalid_time", "appointment",
                              "appointment must be an RFC 3339 time with an offset");
        if (ev->appointment && ev->appointment < ev->at)
            return dh_err_set(e, DH_E_INVALID, "invalid_time", "appointment",
                              "the appointment is before the receipt");
    } else if (ev->type == DH_DE_TRANSFERRED) {
        ev->to_unit = dh_doss_str_of(o, "to_unit");
        if (!ev->to_unit || dh_unitreg_find(c->reg, ev->to_unit) < 0)
            return dh_err_set(e, DH_E_INVALID, "unknown_unit", "to_unit", "unknown unit '%s'",
                              ev->to_unit ? ev->to_unit : "");
    } else if (ev->type == DH_DE_EXTENDED) {
        const char *na = dh_doss_str_of(o, "new_appointment");
        if (!na || parse_instant(na, &ev->new_appointment))
            return dh_err_set(e, DH_E_INVALID, "invalid_time", "new_appointment",
                              "new_appointment is required: an RFC 3339 time with an offset");
    } else if (ev->type == DH_DE_PAID) {
        const char *m = dh_doss_str_of(o, "method");
        if (!m || (strcmp(m, "online") && strcmp(m, "offline")))
            return dh_err_set(e, DH_E_INVALID, "invalid_value", "method",
                              "method must be online or offline");
        ev->paid_online = strcmp(m, "online") == 0;
        json_t *amt = json_object_get(o, "amount");
        if (amt && (!json_is_number(amt) || json_number_value(amt) < 0))
            return dh_err_set(e, DH_E_INVALID, "invalid_value", "amount",
                              "amount must be a number >= 0");
    } else if (ev->type == DH_DE_RATED) {
        json_t *r = json_object_get(o, "rating");
        if (!json_is_integer(r) || json_integer_value(r) < 1 || json_integer_value(r) > 5)
            return dh_err_set(e, DH_E_INVALID, "invalid_value", "rating",
                              "rating must be a whole number from 1 to 5");
        ev->rating = (int)json_integer_value(r);
    } else if (ev->type == DH_DE_DIGITISED) {
        json_t *in = json_object_get(o, "input"), *res = json_object_get(o, "result");
        if ((in && !json_is_boolean(in)) || (res && !json_is_boolean(res)) || (!in && !res))
            return dh_err_set(e, DH_E_INVALID, "invalid_value", "input",
                              "input and/or result must be given as true or false");
        ev->digitised_input = in && json_is_true(in);
        ev->digitised_result = res && json_is_true(res);
    }
    json_t *reason = json_object_get(o, "reason");
    if (reason && !json_is_string(reason))
        return dh_err_set(e, DH_E_INVALID, "invalid_type", "reason", "reason must be a string");
    return DH_OK;
}

/* ---- Per-dossier buckets during a batch. -------------------------------- */
