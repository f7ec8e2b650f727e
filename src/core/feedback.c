/* feedback.c - see feedback.h. */
#include "core/feedback.h"

#include <stdlib.h>
#include <string.h>

static const char *const state_names[DH_FB_STATE_COUNT] = {
    "received", "accepted", "rejected", "in_progress", "needs_info", "answered", "closed"};
static const char *const event_names[DH_FBE_COUNT] = {
    "received", "accept", "reject", "start", "request_info",
    "resume",   "transfer", "answer", "rate", "close"};
static const char *const outcome_names[] = {NULL,      "within",  "at_risk",
                                            "overdue", "on_time", "late"};
static const char *const channels[] = {"portal", "hotline", "zalo",  "app",
                                       "counter", "letter", "open311"};

const char *dh_fb_state_name(dh_fb_state s)
{
    return (unsigned)s < DH_FB_STATE_COUNT ? state_names[s] : "?";
}

const char *dh_fb_event_name(dh_fb_event_type t)
{
    return (unsigned)t < DH_FBE_COUNT ? event_names[t] : "?";
}

const char *dh_fb_outcome_name(dh_fb_outcome o) { return (unsigned)o < 6 ? outcome_names[o] : NULL; }

static int parse_name(const char *const *names, int n, const char *s)
{
    for (int i = 0; s && i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

int dh_fb_state_parse(const char *s, dh_fb_state *out)
{
    int i = parse_name(state_names, DH_FB_STATE_COUNT, s);
    if (i < 0)
        return -1;
    *out = (dh_fb_state)i;
    return 0;
}

int dh_fb_event_parse(const char *s, dh_fb_event_type *out)
{
    int i = parse_name(event_names, DH_FBE_COUNT, s);
    if (i < 0)
        return -1;
    *out = (dh_fb_event_type)i;
    return 0;
}

bool dh_fb_state_open(dh_fb_state s)
{
    return s == DH_FB_RECEIVED || s == DH_FB_ACCEPTED || s == DH_FB_IN_PROGRESS ||
           s == DH_FB_NEEDS_INFO;
}

bool dh_fb_channel_valid(const char *channel)
{
    return parse_name(channels, (int)(sizeof channels / sizeof *channels), channel) >= 0;
}

int dh_fb_transition(dh_fb_state from, dh_fb_state paused_from, dh_fb_event_type t,
                     dh_fb_state *to, const char **why)
{
    *to = from;
    switch (t) {
    case DH_FBE_RECEIVED:
        *why = "the record was already received";
        return -1;
    case DH_FBE_ACCEPT:
        if (from == DH_FB_RECEIVED)
            return *to = DH_FB_ACCEPTED, 0;
        *why = "only a received record can be accepted";
        return -1;
    case DH_FBE_REJECT:
        if (from == DH_FB_RECEIVED || (from == DH_FB_NEEDS_INFO && paused_from == DH_FB_RECEIVED))
            return *to = DH_FB_REJECTED, 0;
        *why = "only a received record can be rejected";
        return -1;
    case DH_FBE_START:
        if (from == DH_FB_ACCEPTED)
            return *to = DH_FB_IN_PROGRESS, 0;
        *why = "only an accepted record can be started";
        return -1;
    case DH_FBE_REQUEST_INFO:
        if (from == DH_FB_RECEIVED || from == DH_FB_ACCEPTED || from == DH_FB_IN_PROGRESS)
            return *to = DH_FB_NEEDS_INFO, 0;
        *why = from == DH_FB_NEEDS_INFO ? "the record already waits for information"
                                        : "information can only be requested on an open record";
        return -1;
    case DH_FBE_RESUME:
        if (from == DH_FB_NEEDS_INFO)
            return *to = paused_from, 0;
        *why = "the record does not wait for information";
        return -1;
    case DH_FBE_TRANSFER:
        if (dh_fb_state_open(from))
            return 0;
        *why = "only an open record can be transferred";
        return -1;
    case DH_FBE_ANSWER:
        if (from == DH_FB_ACCEPTED || from == DH_FB_IN_PROGRESS)
            return *to = DH_FB_ANSWERED, 0;
        *why = from == DH_FB_ANSWERED || from == DH_FB_CLOSED
                   ? "the record is already answered or closed"
                   : "only an accepted record can be answered";
        return -1;
    case DH_FBE_RATE:
        if (from == DH_FB_ANSWERED || from == DH_FB_CLOSED)
            return 0;
        *why = "only an answered record can be rated";
        return -1;
    case DH_FBE_CLOSE:
        if (from == DH_FB_ANSWERED || from == DH_FB_REJECTED)
            return *to = DH_FB_CLOSED, 0;
        *why = "only an answered or rejected record can be closed";
        return -1;
    case DH_FBE_COUNT:
        break;
    }
    *why = "unknown event";
    return -1;
}

static int cmp_event(const void *pa, const void *pb)
{
    const dh_fb_event *a = pa, *b = pb;
    if (a->at != b->at)
        return a->at < b->at ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void dh_fb_events_sort(dh_fb_event *ev, size_t n)
{
    if (n > 1)
        qsort(ev, n, sizeof *ev, cmp_event);
}

/* Working minutes of [from, at) outside the pauses, and inside them. */
static int used_at(const dh_workcal *wc, time_t from, time_t at, const dh_interval *pauses,
                   size_t np, int64_t *used, int64_t *paused)
{
    enum { MAXP = 64 };
    dh_interval cut[MAXP];
    size_t k = 0;
    if (at < from)
        at = from;
    for (size_t i = 0; i < np && k < MAXP; i++) {
        if (pauses[i].from >= at)
            continue;
        cut[k] = pauses[i];
        if (cut[k].to == 0 || cut[k].to > at)
            cut[k].to = at;
        k++;
    }
    int64_t total;
    if (dh_workcal_between(wc, from, at, NULL, 0, &total) ||
        dh_workcal_between(wc, from, at, cut, k, used))
        return -1;
    *paused = total - *used;
    return 0;
}

static const char *label_of(const char *const (*map)[2], size_t n, const char *s)
{
    for (size_t i = 0; s && i < n; i++)
        if (!strcmp(map[i][0], s))
            return map[i][1];
    return s ? s : "—";
}

const char *dh_fb_state_label(const char *state)
{
    static const char *const map[][2] = {
        {"received", "Đã tiếp nhận"},           {"accepted", "Đã thụ lý"},
        {"rejected", "Không thụ lý"},           {"in_progress", "Đang xử lý"},
        {"needs_info", "Chờ bổ sung thông tin"}, {"answered", "Đã trả lời"},
        {"closed", "Đã kết thúc"}};
    return label_of(map, sizeof map / sizeof *map, state);
}

const char *dh_fb_event_label(const char *type)
{
    static const char *const map[][2] = {
        {"received", "Tiếp nhận"},      {"accept", "Thụ lý"},
        {"reject", "Không thụ lý"},     {"start", "Bắt đầu xử lý"},
        {"request_info", "Yêu cầu bổ sung thông tin"}, {"resume", "Tiếp tục xử lý"},
        {"transfer", "Chuyển đơn vị"},  {"answer", "Trả lời"},
        {"rate", "Đánh giá"},           {"close", "Kết thúc"}};
    return label_of(map, sizeof map / sizeof *map, type);
}

dh_fb_outcome dh_fb_open_outcome(int64_t budget, int64_t left, int64_t day_minutes,
                                 int at_risk_minutes)
{
    int64_t margin = at_risk_minutes > 0 ? at_risk_minutes : day_minutes;
    if (at_risk_minutes <= 0 && margin > budget / 2)
        margin = budget / 2;
    return left < 0 ? DH_FBO_OVERDUE : left <= margin ? DH_FBO_AT_RISK : DH_FBO_WITHIN;
}

int dh_fb_replay(const dh_fb_event *ev, size_t n, const dh_workcal *wc, const dh_fb_limits *lim,
                 time_t now, dh_fb_view *out, long *bad, const char **why)
{
    enum { MAXP = 64 };
    dh_interval pauses[MAXP];
    size_t np = 0;
    memset(out, 0, sizeof *out);
    *bad = -1;
    if (n == 0 || ev[0].type != DH_FBE_RECEIVED) {
        *bad = 0;
        *why = "the first event of a record must be its receipt";
        return -1;
    }
    dh_fb_state st = DH_FB_RECEIVED, before_pause = DH_FB_RECEIVED;
    out->received_at = ev[0].at;
    out->unit = ev[0].to_unit;
    for (size_t i = 1; i < n && ev[i].at <= now; i++) {
        const dh_fb_event *e = &ev[i];
        dh_fb_state to;
        if (dh_fb_transition(st, before_pause, e->type, &to, why)) {
            *bad = (long)i;
            return -1;
        }
        switch (e->type) {
        case DH_FBE_ACCEPT:
        case DH_FBE_REJECT:
            out->accepted_at = e->at;
            break;
        case DH_FBE_REQUEST_INFO:
            before_pause = st;
            if (np == MAXP) {
                *bad = (long)i;
                *why = "too many pauses";
                return -1;
            }
            pauses[np++] = (dh_interval){e->at, 0};
            break;
        case DH_FBE_RESUME:
            pauses[np - 1].to = e->at;
            break;
        case DH_FBE_TRANSFER:
            out->unit = e->to_unit;
            out->ntransfers++;
            break;
        case DH_FBE_ANSWER:
            out->answered_at = e->at;
            break;
        case DH_FBE_RATE:
            if (e->rating < 1 || e->rating > 5) {
                *bad = (long)i;
                *why = "a rating is 1 to 5";
                return -1;
            }
            out->rating = e->rating;
            break;
        case DH_FBE_CLOSE:
            out->closed_at = e->at;
            break;
        default:
            break;
        }
        if (st == DH_FB_NEEDS_INFO && to == DH_FB_REJECTED)
            pauses[np - 1].to = e->at; /* rejected while waiting: the pause ends */
        st = to;
    }
    out->state = st;
    out->in_pause = st == DH_FB_NEEDS_INFO;
    if (dh_workcal_add_minutes(wc, out->received_at, 0, -1, &out->counting_from))
        return *why = "an instant outside the calendar's range", -1;
    int64_t day = dh_workcal_day_minutes(wc);
    int64_t acc_budget = (int64_t)lim->accept_days * day;
    out->answer_budget_minutes = (int64_t)lim->answer_days * day;

    /* The accept clock: read at acceptance or rejection, else at now (at the
     * pause's start while waiting). */
    time_t acc_at = out->accepted_at ? out->accepted_at
                    : out->in_pause  ? pauses[np - 1].from
                                     : now;
    int64_t acc_used, acc_paused;
    if (used_at(wc, out->counting_from, acc_at, pauses, np, &acc_used, &acc_paused))
        return *why = "an instant outside the calendar's range", -1;
    if (dh_workcal_add_minutes(wc, out->counting_from, acc_budget + acc_paused, -1,
                               &out->accept_due))
        return *why = "an instant outside the calendar's range", -1;
    out->accepted_late = out->accepted_at && acc_used > acc_budget;

    /* The answer clock: read at the answer, else now. */
    time_t at = out->answered_at ? out->answered_at : out->in_pause ? pauses[np - 1].from : now;
    if (st == DH_FB_REJECTED || (st == DH_FB_CLOSED && !out->answered_at))
        at = out->accepted_at;
    if (used_at(wc, out->counting_from, at, pauses, np, &out->used_minutes, &out->paused_minutes))
        return *why = "an instant outside the calendar's range", -1;
    if (dh_workcal_add_minutes(wc, out->counting_from,
                               out->answer_budget_minutes + out->paused_minutes, -1,
                               &out->answer_due))
        return *why = "an instant outside the calendar's range", -1;

    if (out->answered_at) {
        out->outcome = out->used_minutes > out->answer_budget_minutes ? DH_FBO_LATE : DH_FBO_ON_TIME;
    } else if (dh_fb_state_open(st)) {
        bool accepting = st == DH_FB_RECEIVED ||
                         (st == DH_FB_NEEDS_INFO && before_pause == DH_FB_RECEIVED);
        int64_t budget = accepting ? acc_budget : out->answer_budget_minutes;
        int64_t used = accepting ? acc_used : out->used_minutes;
        out->outcome = dh_fb_open_outcome(budget, budget - used, day, lim->at_risk_minutes);
    }
    return 0;
}

static const char *rule_for(const dh_fb_rule *rules, size_t n, const char *category,
                            const char *commune)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(rules[i].category, category) && !strcmp(rules[i].commune, commune))
            return rules[i].unit;
    return NULL;
}

const char *dh_fb_route(const dh_fb_rule *rules, size_t n, const dh_unitreg *reg,
                        const char *category, const char *commune, dh_date d)
{
    const char *u = NULL;
    int32_t cu = commune && *commune ? dh_unitreg_find(reg, commune) : -1;
    if (cu >= 0 && dh_unitreg_at(reg, cu, d)) {
        if ((u = rule_for(rules, n, category, commune)) || (u = rule_for(rules, n, "", commune)))
            return u;
        return commune;
    }
    if ((u = rule_for(rules, n, category, "")))
        return u;
    return rule_for(rules, n, "", "");
}
