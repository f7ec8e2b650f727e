/* bench/mega.c - the merged mega-province of issue 20: Hồ Chí Minh City after
 * 1 July 2025 (merged with Bà Rịa – Vũng Tàu and Bình Dương) with its history
 * since 2015, and N dossiers over 2016-01-01..2026-10-31 written straight
 * into the tables (without the importer), or an events file of N dossiers
 * for `dieuhanh import events`. docs/benchmarks.md has its figures.
 *
 * usage: build/bench/mega [options]   (--help for the options)
 *
 * The structure (units valid from 2015-01-01; the names of the 168 new
 * communes and of the wards before them are synthetic, the sources we have
 * do not list them):
 * - the provinces HCM, BD and BRVT (as in the demo), merged into HCM on
 *   2025-07-01 (Resolution 202/2025/QH15);
 * - 40 departments of HCM (HCM-S01..S40), and 20 of each of BD and BRVT
 *   merged into HCM-S01..S20 on 2025-07-01;
 * - 39 districts (22 of HCM, 9 of BD, 8 of BRVT), each with 12 offices,
 *   closed on 2025-07-01 (Law 72/2025/QH15: no district level);
 * - 168 communes (HCM-C001..C168) created on 2025-07-01, each by merging 2
 *   to 4 wards of one district (446 wards, valid until then).
 * Procedures: the demo catalogue (data/demo/procedures.csv, 223 codes, 45
 * with a second version from 2025-07-01), its first versions valid from
 * 2015-01-01. A district-level procedure is handled by one office of each
 * district (by its field); a province-level one by one department of each
 * province (by its field); a commune offers 55% of the commune-level
 * procedures (and after the reform of the district-level ones), chosen by a
 * hash of (unit, procedure): about 30,000 reachable (unit, procedure, field)
 * keys. Procedures are drawn with Zipf-like weights (1/rank^0.8): popular
 * ones dominate, as in the real registers.
 *
 * The dossiers: receipts on the working days of the default calendar
 * (statutory holidays, Tết, make-up Saturdays), each day's share of the N
 * following its weight (mega_day_weight: volume growing 7% a year, the last
 * three working days of a month x1.5, the week before Tết x0.7, the ten
 * days from Tết x0.45 rising back to normal over the next two weeks); codes
 * in time order. 65% commune-level, 20% district-level (at the communes
 * after 2025-07-01), 15% province-level. Everything else (channel, times,
 * outcome, ratings, payments) drawn as bench/kpis.c draws it (bench/dossier.h),
 * then written as the events a counter's system would send, replayed by
 * core/dossier.h exactly as the import replays them (the row and the fact),
 * and stored through the store's bulk operations: the events, the rows and
 * the aggregate cells, so that `dieuhanh rebuild` computes the same cells
 * (--check compares them). The cells are summed in memory and written as
 * soon as no later dossier can touch them (a dossier contributes on its
 * receipt day or later), under one agg_rev, so that memory follows the
 * window of open work, not keys x days. SQLite files only.
 */
#include <math.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "app/devbody.h"
#include "app/internal.h"
#include "core/lunar.h"
#include "store/store.h"
#include "util/embed.h"

#define BENCH_NAME "mega"
#include "bench.h"
#include "dossier.h"

static const char help[] =
    "usage: build/bench/mega [--dossiers N] [--seed S] [--db FILE] [--events FILE] [--check]\n"
    "                        [--from DATE] [--to DATE] [--profile] [--no-events]\n"
    "                        [--events-only]\n\n"
    "Builds the merged mega-province of issue 20 (Ho Chi Minh City after 2025-07-01 with its\n"
    "history: 168 communes, 40 departments, 39 districts closed, 446 wards merged) in a new\n"
    "SQLite database and writes N dossiers (default 1000000) received between --from\n"
    "(default 2016-01-01) and --to (default 2026-10-31) straight into its tables, with their\n"
    "aggregate cells, as `dieuhanh rebuild` would compute them.\n\n"
    "  --dossiers N   1 to 100000000\n"
    "  --seed S       a number (default 1): the same seed gives the same database\n"
    "  --db FILE      the SQLite file to create (default /tmp/dh-mega.db); must not exist\n"
    "  --events FILE  write the N dossiers as NDJSON events for `dieuhanh import events`\n"
    "                 instead (the database then holds the structure only)\n"
    "  --check        then run `rebuild` and compare every aggregate cell (small N)\n"
    "  --no-events    store the rows, facts and cells but not the dossiers' events (a\n"
    "                 third of the disk at 50 million; `rebuild` then has nothing to read)\n"
    "  --events-only  store the dossiers' events but no rows and no cells: what `rebuild`\n"
    "                 starts from after an event log is restored on its own (it then\n"
    "                 derives every row and cell; issue 20's rebuild at 50 million)\n"
    "  --profile      print the dossiers per month of every year (the seasonality)\n";

/* ---- The structure. ------------------------------------------------------ */

#define NDEPT 40
#define NDEPT_OLD 20
#define NDIST 39
#define NOFFICE 12
#define NCOMMUNE 168

static const char *const dept_names[NDEPT] = {
    "Sở Nội vụ", "Sở Tài chính", "Sở Tư pháp", "Sở Công Thương", "Sở Xây dựng",
    "Sở Y tế", "Sở Giáo dục và Đào tạo", "Sở Khoa học và Công nghệ",
    "Sở Nông nghiệp và Môi trường", "Sở Văn hóa và Thể thao", "Sở Du lịch",
    "Sở Dân tộc và Tôn giáo", "Công an", "Văn phòng Ủy ban nhân dân",
    "Thanh tra", "Sở Quy hoạch – Kiến trúc", "Sở Giao thông công chính",
    "Sở Lao động – Thương binh và Xã hội", "Sở Tài nguyên và Môi trường",
    "Sở Kế hoạch và Đầu tư", "Ban Quản lý các khu chế xuất và công nghiệp",
    "Ban Quản lý Khu công nghệ cao", "Ban Quản lý dự án đầu tư xây dựng các công trình dân dụng",
    "Ban Quản lý dự án đầu tư xây dựng các công trình giao thông",
    "Ban Quản lý dự án đầu tư xây dựng hạ tầng đô thị", "Ban An toàn giao thông",
    "Trung tâm Phục vụ hành chính công", "Trung tâm Chuyển đổi số",
    "Trung tâm Xúc tiến Thương mại và Đầu tư", "Quỹ Phát triển nhà ở",
    "Văn phòng Đăng ký đất đai", "Trung tâm Phát triển quỹ đất", "Cục Thuế",
    "Bảo hiểm xã hội", "Kho bạc Nhà nước khu vực II", "Cục Hải quan",
    "Ban Quản lý Khu Nam", "Ban Quản lý Khu Thủ Thiêm", "Trung tâm Quản lý đường thủy",
    "Trung tâm Quản lý hạ tầng kỹ thuật"};

static const char *const dist_names[NDIST] = {
    "Quận 1", "Quận 3", "Quận 4", "Quận 5", "Quận 6", "Quận 7", "Quận 8", "Quận 10",
    "Quận 11", "Quận 12", "Quận Bình Tân", "Quận Bình Thạnh", "Quận Gò Vấp",
    "Quận Phú Nhuận", "Quận Tân Bình", "Quận Tân Phú", "Thành phố Thủ Đức",
    "Huyện Bình Chánh", "Huyện Cần Giờ", "Huyện Củ Chi", "Huyện Hóc Môn", "Huyện Nhà Bè",
    "Thành phố Thủ Dầu Một", "Thành phố Thuận An", "Thành phố Dĩ An", "Thành phố Tân Uyên",
    "Thành phố Bến Cát", "Huyện Bàu Bàng", "Huyện Bắc Tân Uyên", "Huyện Dầu Tiếng",
    "Huyện Phú Giáo", "Thành phố Vũng Tàu", "Thành phố Bà Rịa", "Thị xã Phú Mỹ",
    "Huyện Châu Đức", "Huyện Xuyên Mộc", "Huyện Long Điền", "Huyện Đất Đỏ", "Huyện Côn Đảo"};

static const char *const office_codes[NOFFICE] = {"VP",  "PNV", "PTCKH", "PVHTT",
                                                  "PTP", "PTNMT", "PQLDT", "PKT",
                                                  "PGDDT", "PYT", "PLDTBXH", "TTR"};
static const char *const office_names[NOFFICE] = {
    "Văn phòng Hội đồng nhân dân và Ủy ban nhân dân", "Phòng Nội vụ",
    "Phòng Tài chính – Kế hoạch", "Phòng Văn hóa và Thông tin", "Phòng Tư pháp",
    "Phòng Tài nguyên và Môi trường", "Phòng Quản lý đô thị", "Phòng Kinh tế",
    "Phòng Giáo dục và Đào tạo", "Phòng Y tế", "Phòng Lao động – Thương binh và Xã hội",
    "Thanh tra"};

static const char *dist_province(int d) { return d < 22 ? "HCM" : d < 31 ? "BD" : "BRVT"; }
static bool dist_rural(int d) { return !strncmp(dist_names[d], "Huyện ", strlen("Huyện ")); }

/* the place name of district d without its kind ("Gò Vấp"), or the whole name
 * when the place is a number ("Quận 1") */
static const char *dist_place(int d)
{
    static const char *const kinds[] = {"Thành phố ", "Thị xã ", "Quận ", "Huyện "};
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        size_t len = strlen(kinds[k]);
        if (!strncmp(dist_names[d], kinds[k], len))
            return dist_names[d][len] >= '0' && dist_names[d][len] <= '9' ? dist_names[d]
                                                                          : dist_names[d] + len;
    }
    return dist_names[d];
}

static uint64_t hash2(const char *a, const char *b)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *s = a; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    h = (h ^ 0x1f) * 1099511628211ULL;
    for (const char *s = b; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h ^ (h >> 29);
}

/* the wards merged into commune c (2 to 4), and the district of c */
static int commune_wards(int c)
{
    return 2 + (int)((hash2("commune", dist_names[c % NDIST]) + (uint64_t)c * 7) % 3);
}
static int commune_district(int c) { return c * NDIST / NCOMMUNE; }

typedef struct strbuf {
    char *s;
    size_t len, cap;
} strbuf;

static void sb_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(strbuf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (b->s && (size_t)k < b->cap - b->len) {
            b->len += (size_t)k;
            return;
        }
        b->cap = (b->cap + (size_t)k + 1) * 2;
        b->s = realloc(b->s, b->cap);
        if (!b->s)
            fail("memory", "structure");
    }
}

static void event_load(dh_app *app, const dh_actor *cli, json_t *ev, time_t now)
{
    dh_err e;
    json_t *out = NULL;
    if (dh_app_unit_event(app, cli, ev, now, &out, &e))
        fail("unit event", e.message);
    json_decref(out);
    json_decref(ev);
}

static json_t *ev_new(const char *kind, const char *source)
{
    return json_pack("{s:s,s:s,s:s}", "kind", kind, "effective", "2025-07-01", "source", source);
}

/* Loads the units, their 2025 reorganisation and the procedures. */
static void load_structure(dh_app *app, const dh_actor *cli, time_t now)
{
    static const char law72[] = "Luật Tổ chức chính quyền địa phương số 72/2025/QH15 (bỏ cấp huyện)";
    static const char nq202[] =
        "Nghị quyết số 202/2025/QH15 của Quốc hội về sắp xếp đơn vị hành chính cấp tỉnh";
    static const char nqxa[] = "Nghị quyết của Ủy ban Thường vụ Quốc hội về sắp xếp đơn vị "
                               "hành chính cấp xã của Thành phố Hồ Chí Minh năm 2025";
    strbuf b = {0};
    sb_printf(&b, "code,name,short_name,kind,parent,valid_from,valid_to\n"
                  "HCM,Thành phố Hồ Chí Minh,TP.HCM,province,,1976-07-02,\n"
                  "BD,Tỉnh Bình Dương,Bình Dương,province,,1997-01-01,\n"
                  "BRVT,Tỉnh Bà Rịa – Vũng Tàu,Bà Rịa – Vũng Tàu,province,,1991-08-12,\n");
    for (int i = 0; i < NDEPT; i++)
        sb_printf(&b, "HCM-S%02d,%s,%s,department,HCM,2015-01-01,\n", i + 1, dept_names[i],
                  dept_names[i]);
    for (int p = 0; p < 2; p++)
        for (int i = 0; i < NDEPT_OLD; i++)
            sb_printf(&b, "%s-S%02d,%s,%s,department,%s,2015-01-01,\n", p ? "BRVT" : "BD", i + 1,
                      dept_names[i], dept_names[i], p ? "BRVT" : "BD");
    for (int d = 0; d < NDIST; d++) {
        sb_printf(&b, "D%02d,%s,%s,district,%s,2015-01-01,\n", d + 1, dist_names[d],
                  dist_names[d], dist_province(d));
        for (int o = 0; o < NOFFICE; o++)
            sb_printf(&b, "D%02d-%s,%s,%s,office,D%02d,2015-01-01,\n", d + 1, office_codes[o],
                      office_names[o], office_names[o], d + 1);
    }
    int ward[NDIST] = {0};
    for (int c = 0; c < NCOMMUNE; c++) {
        int d = commune_district(c);
        for (int w = 0; w < commune_wards(c); w++) {
            ward[d]++;
            sb_printf(&b, "D%02d-W%02d,%s %d,%s %d,commune,D%02d,2015-01-01,\n", d + 1, ward[d],
                      dist_rural(d) ? "Xã" : "Phường", ward[d], dist_rural(d) ? "X." : "P.",
                      ward[d], d + 1);
        }
    }
    dh_err e;
    FILE *f = fmemopen(b.s, b.len, "r");
    dh_import_report rep;
    if (!f || dh_app_unit_import(app, cli, f, "mega/units.csv", false, now, &rep, NULL, NULL, &e))
        fail("units", rep.nmessages ? rep.messages[0] : e.message);
    dh_import_report_free(&rep);
    fclose(f);
    /* the communes of 2025 */
    memset(ward, 0, sizeof ward);
    int seq[NDIST] = {0};
    for (int c = 0; c < NCOMMUNE; c++) {
        int d = commune_district(c);
        json_t *ev = ev_new("merge", nqxa), *from = json_array();
        for (int w = 0; w < commune_wards(c); w++) {
            char code[32];
            snprintf(code, sizeof code, "D%02d-W%02d", d + 1, ++ward[d]);
            json_array_append_new(from, json_pack("{s:s}", "unit", code));
        }
        char code[32], name[160], shortn[160];
        snprintf(code, sizeof code, "HCM-C%03d", c + 1);
        seq[d]++;
        snprintf(name, sizeof name, "%s %s số %d", dist_rural(d) ? "Xã" : "Phường", dist_place(d),
                 seq[d]);
        snprintf(shortn, sizeof shortn, "%s %s số %d", dist_rural(d) ? "X." : "P.", dist_place(d),
                 seq[d]);
        json_object_set_new(ev, "from", from);
        json_object_set_new(ev, "to",
                            json_pack("[{s:s,s:s,s:s,s:s,s:s}]", "unit", code, "name", name,
                                      "short_name", shortn, "kind", "commune", "parent", "HCM"));
        event_load(app, cli, ev, now);
    }
    /* no district level any more */
    for (int d = 0; d < NDIST; d++) {
        char code[32];
        for (int o = 0; o < NOFFICE; o++) {
            snprintf(code, sizeof code, "D%02d-%s", d + 1, office_codes[o]);
            json_t *ev = ev_new("close", law72);
            json_object_set_new(ev, "unit", json_string(code));
            event_load(app, cli, ev, now);
        }
        snprintf(code, sizeof code, "D%02d", d + 1);
        json_t *ev = ev_new("close", law72);
        json_object_set_new(ev, "unit", json_string(code));
        event_load(app, cli, ev, now);
    }
    /* the departments of BD and BRVT into those of the city */
    for (int i = 0; i < NDEPT_OLD; i++) {
        char a[16], c[16], t[16];
        snprintf(a, sizeof a, "BD-S%02d", i + 1);
        snprintf(c, sizeof c, "BRVT-S%02d", i + 1);
        snprintf(t, sizeof t, "HCM-S%02d", i + 1);
        json_t *ev = ev_new("merge", nq202);
        json_object_set_new(ev, "from", json_pack("[{s:s},{s:s}]", "unit", a, "unit", c));
        json_object_set_new(ev, "to", json_pack("[{s:s}]", "unit", t));
        event_load(app, cli, ev, now);
    }
    json_t *ev = ev_new("merge", nq202);
    json_object_set_new(ev, "note",
                        json_string("Bà Rịa – Vũng Tàu và Bình Dương hợp nhất vào Thành phố Hồ Chí Minh"));
    json_object_set_new(ev, "from", json_pack("[{s:s},{s:s}]", "unit", "BRVT", "unit", "BD"));
    json_object_set_new(ev, "to", json_pack("[{s:s}]", "unit", "HCM"));
    event_load(app, cli, ev, now);
    free(b.s);

    /* the demo's procedures, their first versions from 2015 */
    size_t len;
    const char *procs = dh_embedded_get("demo/procedures.csv", &len);
    if (!procs)
        fail("procedures", "this binary was built without data/demo/");
    char *p = malloc(len + 1);
    memcpy(p, procs, len);
    p[len] = 0;
    for (char *s = p; (s = strstr(s, ",2020-01-01")); s += 11)
        memcpy(s + 1, "2015", 4);
    f = fmemopen(p, len, "r");
    if (!f || dh_app_procedure_import(app, cli, f, "mega/procedures.csv", false, now, &rep, &e))
        fail("procedures", e.message);
    dh_import_report_free(&rep);
    fclose(f);
    free(p);
    dh_user_spec s = {"admin", "dieuhanh-demo", "admin", NULL, "Quản trị hệ thống"};
    json_t *out = NULL;
    if (dh_app_user_create(app, cli, &s, now, &out, &e))
        fail("user", e.message);
    json_decref(out);
}

/* ---- The seasonality. ---------------------------------------------------- */

/* The weight of a working day d of the calendar wc (see the header). */
static double mega_day_weight(const dh_workcal *wc, dh_date d)
{
    int y, m, dd;
    dh_date_to_ymd(d, &y, &m, &dd);
    double w = pow(1.07, y - 2016);
    /* the last three working days of the month */
    int after = 0;
    for (dh_date x = d + 1; after < 3; x++) {
        int xy, xm, xd;
        dh_date_to_ymd(x, &xy, &xm, &xd);
        if (xm != m)
            break;
        after += dh_workcal_day(wc, x) > 0;
    }
    if (after < 3)
        w *= 1.5;
    /* Tết of this solar year (always in January or February) */
    dh_lunar l = {1, 1, y, false};
    dh_date tet;
    const char *why;
    if (dh_lunar_to_solar(&l, &tet, &why))
        fail("lunar", why);
    long dt = (long)(d - tet);
    if (dt >= -7 && dt < 0)
        w *= 0.7;
    else if (dt >= 0 && dt < 10)
        w *= 0.45;
    else if (dt >= 10 && dt < 24)
        w *= 0.45 + 0.55 * (double)(dt - 10) / 14.0;
    return w;
}

/* ---- The world. ---------------------------------------------------------- */

typedef struct world {
    const dh_unitreg *reg;
    const dh_procset *ps;
    const dh_workcal *wc;
    int daymin;
    time_t end;
    uint64_t seed;
    dh_date *wdays;
    double *cum; /* cumulative weights of wdays */
    long nwdays;
    dh_date reform;
    /* candidates of the day cday */
    dh_date cday;
    int32_t *communes;
    size_t ncommunes;
    const dh_proc **cp[3];
    double *cw[3]; /* cumulative Zipf weights of cp */
    size_t ncp[3];
    char codes[1][16]; /* the unit code built for the dossier being drawn */
} world;

static const char *const levels[3] = {"commune", "district", "province"};

static void candidates(world *w, dh_date d)
{
    if (w->cday == d)
        return;
    w->cday = d;
    w->ncommunes = 0;
    for (size_t u = 0; u < w->reg->n; u++)
        if (w->reg->u[u].kind == DH_UNIT_COMMUNE && dh_unitreg_valid_at(w->reg, (int32_t)u, d))
            w->communes[w->ncommunes++] = (int32_t)u;
    for (int k = 0; k < 3; k++) {
        w->ncp[k] = 0;
        double c = 0;
        for (size_t j = 0; j < w->ps->n; j++) {
            const dh_proc *p = dh_procset_at(w->ps, w->ps->v[j].code, d);
            if (p == &w->ps->v[j] && strcmp(p->level, levels[k]) == 0) {
                c += 1.0 / pow((double)w->ncp[k] + 1, 0.8);
                w->cw[k][w->ncp[k]] = c;
                w->cp[k][w->ncp[k]++] = p;
            }
        }
    }
}

static size_t upper(const double *cum, size_t n, double x)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cum[mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static dh_date day_of(const world *w, long i, long n)
{
    return w->wdays[upper(w->cum, (size_t)w->nwdays,
                          ((double)i + 0.5) / (double)n * w->cum[w->nwdays - 1])];
}

static bool offered(const char *unit, const dh_proc *p)
{
    return hash2(unit, p->code) % 100 < 55;
}

/* The unit and procedure of dossier i (the first draws of its stream). */
static void draw_key(world *w, long i, long n, dossier *x, dh_date *d, int *minute)
{
    rng_seed(w->seed, i);
    *d = day_of(w, i, n);
    *minute = (int)pick(w->daymin - 1);
    candidates(w, *d);
    bool after = *d >= w->reform;
    snprintf(x->code, sizeof x->code, "M%09ld", i);
    for (;;) {
        double r = unif();
        int k = r < 0.65 ? 0 : r < 0.85 ? 1 : 2;
        const dh_proc *p = w->cp[k][upper(w->cw[k], w->ncp[k], unif() * w->cw[k][w->ncp[k] - 1])];
        x->proc = p;
        uint64_t fh = hash2("field", p->field);
        if (k == 2) {
            double q = unif();
            const char *prov = after || q < 0.7 ? "HCM" : q < 0.85 ? "BD" : "BRVT";
            snprintf(w->codes[0], sizeof w->codes[0], "%s-S%02d", prov,
                     (int)(fh % (strcmp(prov, "HCM") ? NDEPT_OLD : NDEPT)) + 1);
            x->unit = w->codes[0];
            return;
        }
        if (k == 1 && !after) {
            snprintf(w->codes[0], sizeof w->codes[0], "D%02d-%s", (int)pick(NDIST) + 1,
                     office_codes[fh % NOFFICE]);
            x->unit = w->codes[0];
            return;
        }
        for (int t = 0; t < 16; t++) {
            const char *u = w->reg->u[w->communes[pick((long)w->ncommunes)]].code;
            if (offered(u, p)) {
                x->unit = u;
                return;
            }
        }
    }
}

/* ---- The cells, summed in memory until no later dossier can touch them. --- */

typedef struct cellmap {
    dh_agg_delta *v; /* key 0: empty */
    size_t n, cap;
    long written;
    size_t peak;
} cellmap;

static size_t cell_hash(int32_t key, int32_t day, size_t cap)
{
    uint64_t h = ((uint64_t)(uint32_t)key << 32 | (uint32_t)day) * 0x9E3779B97F4A7C15ULL;
    return (size_t)(h >> 17) & (cap - 1);
}

static dh_agg_delta *cell_at(cellmap *m, int32_t key, int32_t day)
{
    size_t j = cell_hash(key, day, m->cap);
    while (m->v[j].key && (m->v[j].key != key || m->v[j].day != day))
        j = (j + 1) & (m->cap - 1);
    if (!m->v[j].key) {
        m->v[j].key = key;
        m->v[j].day = day;
        m->n++;
        if (m->n > m->peak)
            m->peak = m->n;
    }
    return &m->v[j];
}

/* Writes the cells of days before `before` (all of them with INT32_MAX)
 * through the store, and keeps the others in a table of at least four
 * times their number. */
static void cells_flush(cellmap *m, dh_conn *conn, int32_t before, int64_t rev)
{
    dh_agg_delta *old = m->v, *out = malloc(m->n * sizeof *out + 1);
    size_t ocap = m->cap, keep = 0, nout = 0;
    for (size_t j = 0; j < ocap; j++) {
        if (!old[j].key)
            continue;
        if (old[j].day >= before) {
            keep++;
            continue;
        }
        out[nout++] = old[j];
        old[j].key = 0;
    }
    dh_err e;
    if (nout && DH_AGGS(conn)->agg_add_many(conn, out, nout, rev, &e))
        fail("cells", e.message);
    m->written += (long)nout;
    free(out);
    while (keep * 4 > m->cap)
        m->cap *= 2;
    m->v = calloc(m->cap, sizeof *m->v);
    if (!m->v)
        fail("memory", "cells");
    m->n = 0;
    for (size_t j = 0; j < ocap; j++)
        if (old[j].key)
            *cell_at(m, old[j].key, old[j].day) = old[j];
    free(old);
}

/* ---- The events of a dossier, its row and its fact. ---------------------- */

#define MAXEV 8

typedef struct devs {
    size_t n;
    dh_devent ev[MAXEV];
    char id[MAXEV][40];
    char *body[MAXEV]; /* the stored form (app/devbody.h), as import stores it */
} devs;

static void add_ev(devs *v, const dossier *x, dh_de_type type, time_t at, json_t *extra)
{
    size_t k = v->n++;
    dh_devent *d = &v->ev[k];
    memset(d, 0, sizeof *d);
    char t[32], s[20];
    dh_time_format_vn(at, s);
    snprintf(t, sizeof t, "%s:00+07:00", s);
    if (dh_time_parse(t, &d->at))
        fail("time", t);
    snprintf(v->id[k], sizeof v->id[k], "%s-%zu", x->code, k + 1);
    d->type = type;
    d->source = "mega";
    d->id = v->id[k];
    json_t *o = extra ? extra : json_object();
    json_object_set_new(o, "id", json_string(v->id[k]));
    json_object_set_new(o, "source", json_string("mega"));
    json_object_set_new(o, "dossier", json_string(x->code));
    json_object_set_new(o, "type", json_string(dh_de_type_name(type)));
    json_object_set_new(o, "at", json_string(t));
    v->body[k] = dh_devent_body_stored(o, "mega", v->id[k], x->code, dh_de_type_name(type), d->at);
    json_decref(o);
}

/* The events the counter's system reports for the dossier drawn in x. */
static void make_events(devs *v, const dossier *x, time_t end)
{
    v->n = 0;
    add_ev(v, x, DH_DE_RECEIVED, x->recv,
           json_pack("{s:s,s:s,s:s,s:b}", "unit", x->unit, "procedure", x->proc->code, "channel",
                     dossier_channel[x->channel], "by_applicant", x->by_applicant));
    v->ev[0].unit = x->unit;
    v->ev[0].procedure = x->proc->code;
    v->ev[0].channel = (dh_channel)x->channel;
    v->ev[0].by_applicant = x->by_applicant;
    if (x->paid) {
        add_ev(v, x, DH_DE_PAID, x->recv + 300,
               json_pack("{s:s}", "method", x->paid_online ? "online" : "offline"));
        v->ev[v->n - 1].paid_online = x->paid_online;
    }
    if (x->digitised) {
        add_ev(v, x, DH_DE_DIGITISED, x->recv + 600, json_pack("{s:b}", "input", 1));
        v->ev[v->n - 1].digitised_input = true;
    }
    if (x->open)
        return;
    if (!strcmp(x->state, "closed")) {
        add_ev(v, x, DH_DE_REFUSED, x->done,
               json_pack("{s:s}", "reason", "Hồ sơ không đủ điều kiện"));
        return;
    }
    add_ev(v, x, DH_DE_PROCESSED, x->done, NULL);
    if (x->digitised) {
        add_ev(v, x, DH_DE_DIGITISED, x->done + 60, json_pack("{s:b}", "result", 1));
        v->ev[v->n - 1].digitised_result = true;
    }
    if (x->done + 7200 < end) {
        add_ev(v, x, DH_DE_RESULT_RETURNED, x->done + 1800, NULL);
        if (x->rating) {
            add_ev(v, x, DH_DE_RATED, x->done + 3600, json_pack("{s:i}", "rating", x->rating));
            v->ev[v->n - 1].rating = x->rating;
        }
    }
}

static void free_events(devs *v)
{
    for (size_t k = 0; k < v->n; k++)
        free(v->body[k]);
    v->n = 0;
}

/* The row and the fact of the dossier, as the import derives them
 * (app/dossiers.c: derive) from its sorted events at `now`. */
static void derive_row(devs *v, const dossier *x, const dh_workcal *wc, time_t now,
                       dh_dossier_row *row, dh_dfact *f)
{
    dh_devent sorted[MAXEV];
    memcpy(sorted, v->ev, v->n * sizeof *sorted);
    dh_devents_sort(sorted, v->n);
    dh_clock_rules rules = {1, 0};
    dh_dossier_view dv;
    if (dh_dossier_replay(sorted, v->n, wc, &x->proc->limit, &rules, now, &dv) ||
        dh_dossier_fact(sorted, v->n, wc, &x->proc->limit, &rules, f))
        fail("replay", x->code);
    memset(row, 0, sizeof *row);
    dh_dossier_row_of_view(row, &dv, wc);
    row->code = x->code;
    row->updated_at = now;
}

/* ---- Main. --------------------------------------------------------------- */

static long count(sqlite3 *db, const char *sql) { return (long)scalar(db, sql); }

/* CPU seconds (user + system) of this process so far: on a shared machine
 * the wall-clock time says more about the neighbours than about us */
static double cpu_s(void)
{
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return (double)r.ru_utime.tv_sec + (double)r.ru_utime.tv_usec / 1e6 +
           (double)r.ru_stime.tv_sec + (double)r.ru_stime.tv_usec / 1e6;
}

/* compares the cells written with those `rebuild` computes; returns the differences */
static long check(dh_app *app, const dh_actor *cli, sqlite3 *db, time_t now)
{
    static const char snap[] =
        "SELECT k.unit, k.procedure, k.field, d.day, d.cell FROM agg_days d"
        " JOIN agg_keys k ON k.id = d.key";
    char sql[512];
    snprintf(sql, sizeof sql, "CREATE TEMP TABLE gen AS %s", snap);
    exec(db, sql);
    dh_err e;
    long nd = 0;
    double t0 = now_s();
    if (dh_app_rebuild(app, cli, now, NULL, NULL, &nd, &e))
        fail("rebuild", e.message);
    fprintf(stderr, "mega: rebuild of %ld dossiers in %.1f s\n", nd, now_s() - t0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM (SELECT * FROM gen EXCEPT %s)", snap);
    long a = count(db, sql);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM (%s EXCEPT SELECT * FROM gen)", snap);
    long b = count(db, sql);
    long n = count(db, "SELECT count(*) FROM gen");
    fprintf(stderr, "mega: check: %ld cells generated, %ld of them not as rebuilt, %ld rebuilt not as generated\n",
            n, a, b);
    exec(db, "DROP TABLE gen");
    return a + b + (n == 0);
}

int main(int argc, char **argv)
{
    long n = 1000000;
    uint64_t seed = 1;
    const char *path = "/tmp/dh-mega.db", *events = NULL, *from = "2016-01-01", *to = "2026-10-31";
    bool do_check = false, profile = false, no_events = false, events_only = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(help, stdout);
            return 0;
        }
        if (!strcmp(a, "--check")) {
            do_check = true;
            continue;
        }
        if (!strcmp(a, "--profile")) {
            profile = true;
            continue;
        }
        if (!strcmp(a, "--no-events")) {
            no_events = true;
            continue;
        }
        if (!strcmp(a, "--events-only")) {
            events_only = true;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "mega: %s: unknown option or missing value (see --help)\n", a);
            return 2;
        }
        const char *v = argv[++i];
        char *endp;
        if (!strcmp(a, "--dossiers")) {
            n = strtol(v, &endp, 10);
            if (*endp || endp == v || n < 1 || n > 100000000) {
                fprintf(stderr, "mega: --dossiers must be 1 to 100000000, not '%s'\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--seed")) {
            seed = strtoull(v, &endp, 10);
            if (*endp || endp == v || *v == '-') {
                fprintf(stderr, "mega: --seed must be a number, not '%s'\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--db")) {
            path = v;
        } else if (!strcmp(a, "--events")) {
            events = v;
        } else if (!strcmp(a, "--from")) {
            from = v;
        } else if (!strcmp(a, "--to")) {
            to = v;
        } else {
            fprintf(stderr, "mega: unknown option '%s' (see --help)\n", a);
            return 2;
        }
    }
    dh_date d0, d1;
    if (dh_date_parse(from, &d0) || dh_date_parse(to, &d1) || d1 < d0 ||
        d0 < dh_date_from_ymd(2015, 1, 1) || d1 > dh_date_from_ymd(2026, 12, 31)) {
        fprintf(stderr, "mega: --from and --to must be dates YYYY-MM-DD within 2015-2026, from <= to\n");
        return 2;
    }
    if (no_events && (do_check || events || events_only)) {
        fprintf(stderr, "mega: --no-events goes with neither --check (rebuild reads the events)"
                        " nor --events nor --events-only\n");
        return 2;
    }
    if (events_only && (do_check || events)) {
        fprintf(stderr, "mega: --events-only goes with neither --check (no cells to compare)"
                        " nor --events\n");
        return 2;
    }
    struct stat st;
    if (stat(path, &st) == 0) {
        fprintf(stderr, "mega: %s exists: remove it or name another file with --db\n", path);
        return 2;
    }
    FILE *evf = NULL;
    if (events && !(evf = fopen(events, "w"))) {
        fprintf(stderr, "mega: cannot write %s\n", events);
        return 2;
    }

    /* a database being generated has no acknowledged write to lose: commits
     * need not wait for the disk, and the page cache may hold the indexes */
    setenv("DIEUHANH_SQLITE_SYNCHRONOUS", "normal", 0);
    setenv("DIEUHANH_SQLITE_CACHE_MIB", "512", 0);
    double t0 = now_s();
    time_t now = time(NULL);
    char url[600];
    snprintf(url, sizeof url, "sqlite:%s", path);
    dh_err e;
    dh_app *app = dh_app_open(url, true, &e);
    if (!app)
        fail("open", e.message);
    dh_actor cli;
    dh_actor_cli(&cli);
    load_structure(app, &cli, now);

    world w = {0};
    w.seed = seed;
    w.reg = dh_app_units_acquire(app, &e);
    w.ps = w.reg ? dh_app_procedures_acquire(app, &e) : NULL;
    const dh_calset *cs = w.ps ? dh_app_calendars_acquire(app, &e) : NULL;
    if (!cs)
        fail("registries", e.message);
    w.wc = dh_calset_find(cs, "default")->wc;
    w.daymin = dh_workcal_day_minutes(w.wc);
    w.end = (time_t)((int64_t)(d1 + 1) * 86400 - DH_VN_OFFSET);
    w.reform = dh_date_from_ymd(2025, 7, 1);
    w.wdays = malloc((size_t)(d1 - d0 + 1) * sizeof *w.wdays);
    w.cum = malloc((size_t)(d1 - d0 + 1) * sizeof *w.cum);
    double c = 0;
    for (dh_date d = d0; d <= d1; d++)
        if (dh_workcal_day(w.wc, d) > 0) {
            c += mega_day_weight(w.wc, d);
            w.cum[w.nwdays] = c;
            w.wdays[w.nwdays++] = d;
        }
    if (!w.nwdays)
        fail("calendar", "no working day between --from and --to");
    w.communes = malloc(w.reg->n * sizeof *w.communes);
    for (int k = 0; k < 3; k++) {
        w.cp[k] = malloc(w.ps->n * sizeof *w.cp[k]);
        w.cw[k] = malloc(w.ps->n * sizeof *w.cw[k]);
    }
    w.cday = DH_NO_DAY;
    fprintf(stderr, "mega: %zu units, %zu procedure versions, %ld working days (%.1f s)\n",
            w.reg->n, w.ps->n, w.nwdays, now_s() - t0);

    long *months = calloc((size_t)(2027 - 2015) * 12, sizeof *months);
    dossier x;
    dh_date d;
    int minute;
    devs ev = {0};
    if (evf) {
        for (long i = 0; i < n; i++) {
            draw_key(&w, i, n, &x, &d, &minute);
            dossier_fill(w.wc, w.daymin, w.end, d, minute, &x, 0);
            make_events(&ev, &x, w.end);
            for (size_t k = 0; k < ev.n; k++)
                fprintf(evf, "%s\n", ev.body[k]);
            free_events(&ev);
            if ((i + 1) % 500000 == 0 || i + 1 == n)
                fprintf(stderr, "mega: %ld / %ld dossiers as events (%.0f s)\n", i + 1, n,
                        now_s() - t0);
        }
        if (fclose(evf))
            fail("events", "write error");
        printf("mega: events of %ld dossiers written to %s in %.1f s; the structure in %s\n", n,
               events, now_s() - t0, path);
        dh_app_calendars_release(app, cs);
        dh_app_procedures_release(app, w.ps);
        dh_app_units_release(app, w.reg);
        dh_app_close(app);
        return 0;
    }

    /* 1. the keys met, given ids by the store */
    keyset ks = {0};
    char name[512];
    for (long i = 0; i < n; i++) {
        draw_key(&w, i, n, &x, &d, &minute);
        key_name(&x, name, sizeof name);
        key_slot(&ks, name);
    }
    dh_conn *conn = dh_store_acquire(app->store, &e);
    if (!conn || DH_OPS(conn)->begin(conn, true, &e))
        fail("store", e.message);
    dh_aggbatch *batch = dh_aggbatch_new();
    for (size_t j = 0; j < ks.cap; j++) {
        if (!ks.name[j])
            continue;
        char *u = strdup(ks.name[j]), *p = strchr(u, '\x1f'), *f = strchr(p + 1, '\x1f');
        *p++ = 0;
        *f++ = 0;
        if (dh_aggbatch_key(batch, conn, u, p, f, &ks.id[j], &e))
            fail("agg key", e.message);
        free(u);
    }
    dh_aggbatch_free(batch);
    int64_t rev = 0;
    if (DH_META(conn)->meta_bump(conn, "agg_rev", &e) ||
        DH_META(conn)->meta_get(conn, "agg_rev", &rev, &e) || DH_OPS(conn)->commit(conn, &e))
        fail("commit", e.message);
    dh_store_release(conn);
    double tk = now_s(), ck = cpu_s();
    fprintf(stderr, "mega: %zu aggregation keys (%.1f s)\n", ks.n, tk - t0);

    /* 2. the events, the rows and the cells, BATCH dossiers at a time */
    enum { BATCH = 1000 };
    conn = dh_store_acquire(app->store, &e);
    if (!conn || DH_OPS(conn)->begin(conn, true, &e))
        fail("store", e.message);
    dossier *xs = calloc(BATCH, sizeof *xs);
    char(*units)[16] = calloc(BATCH, sizeof *units);
    dh_dossier_row *rows = calloc(BATCH, sizeof *rows);
    dh_dfact *facts = calloc(BATCH, sizeof *facts);
    devs *evs = calloc(BATCH, sizeof *evs);
    dh_devent_row *erows = calloc(BATCH * MAXEV, sizeof *erows);
    cellmap cm = {calloc(1 << 18, sizeof(dh_agg_delta)), 0, 1 << 18, 0, 0};
    long nevents = 0;
    for (long i0 = 0; i0 < n; i0 += BATCH) {
        long nb = n - i0 < BATCH ? n - i0 : BATCH;
        size_t ne = 0;
        for (long b = 0; b < nb; b++) {
            long i = i0 + b;
            dossier *xb = &xs[b];
            draw_key(&w, i, n, xb, &d, &minute);
            snprintf(units[b], sizeof units[b], "%s", xb->unit);
            xb->unit = units[b];
            key_name(xb, name, sizeof name);
            int32_t key = ks.id[key_slot(&ks, name)];
            dossier_fill(w.wc, w.daymin, w.end, d, minute, xb, key);
            make_events(&evs[b], xb, w.end);
            int y, m, dd;
            dh_date_to_ymd(d, &y, &m, &dd);
            months[(y - 2015) * 12 + m - 1]++;
            for (size_t k = 0; k < evs[b].n; k++)
                erows[ne++] = (dh_devent_row){0, "mega", evs[b].id[k], xb->code,
                                              dh_de_type_name(evs[b].ev[k].type), evs[b].ev[k].at,
                                              evs[b].body[k], now};
            if (events_only)
                continue;
            derive_row(&evs[b], xb, w.wc, now, &rows[b], &facts[b]);
            facts[b].key = key;
            rows[b].fact = &facts[b];
            dh_kcontrib cb[DH_DFACT_MAX];
            size_t nc = dh_dfact_contribs(&facts[b], cb);
            if ((cm.n + nc) * 2 > cm.cap)
                cells_flush(&cm, conn, d, rev);
            for (size_t k = 0; k < nc; k++) {
                dh_agg_delta *ce = cell_at(&cm, key, cb[k].day);
                ce->d.n[cb[k].counter]++;
                ce->d.minutes += cb[k].minutes;
            }
        }
        if (no_events)
            ne = 0;
        if ((ne && DH_DOSSIERS(conn)->insert_devents(conn, erows, ne, &e)) ||
            (!events_only && DH_DOSSIERS(conn)->insert_dossiers(conn, rows, (size_t)nb, &e)))
            fail("write", e.message);
        nevents += (long)ne;
        for (long b = 0; b < nb; b++)
            free_events(&evs[b]);
        long i = i0 + nb;
        /* a commit every million dossiers bounds the write-ahead log (one
         * transaction would hold the whole file in it until the end) */
        if (i % 1000000 == 0 && i < n &&
            (DH_OPS(conn)->commit(conn, &e) || DH_OPS(conn)->begin(conn, true, &e)))
            fail("commit", e.message);
        if (i % 500000 == 0 || i == n) {
            double t = now_s();
            fprintf(stderr, "mega: %ld / %ld dossiers (%.0f%%), %.0f rows/s, %.0f s elapsed, ~%.0f s left\n",
                    i, n, 100.0 * (double)i / (double)n, (double)i / (t - tk), t - t0,
                    (t - tk) / (double)i * (double)(n - i));
        }
    }
    cells_flush(&cm, conn, INT32_MAX, rev);
    /* every dossier has its fact (what 'dieuhanh rebuild' records) */
    if ((!events_only && DH_META(conn)->meta_bump(conn, "agg_built", &e)) ||
        DH_OPS(conn)->commit(conn, &e))
        fail("commit", e.message);
    dh_store_release(conn);
    double tw = now_s(), cw = cpu_s();
    free(xs);
    free(units);
    free(rows);
    free(facts);
    free(evs);
    free(erows);
    sqlite3 *db = NULL;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        fail("sqlite", sqlite3_errmsg(db));
    sqlite3_busy_timeout(db, 10000);
    long keys_used = count(db, "SELECT count(DISTINCT key) FROM agg_days");
    fprintf(stderr, "mega: %ld rows, %ld events, %ld cells (at most %zu in memory) in %.1f s\n", n,
            nevents, cm.written, cm.peak, tw - tk);
    if (sqlite3_close(db) != SQLITE_OK)
        fail("sqlite", "close");
    dh_app_calendars_release(app, cs);
    dh_app_procedures_release(app, w.ps);
    dh_app_units_release(app, w.reg);
    if (stat(path, &st))
        fail("stat", path);
    printf("mega: %ld dossiers (seed %llu, %s..%s), %zu keys (%ld with cells), %ld events, %ld"
           " cells: %.1f s in all; rows+events+cells %.1f s wall = %.0f rows/s, %.1f s CPU = %.0f"
           " rows/CPU-s; database %.1f MB = %.0f bytes/dossier; at most %zu cells in memory\n",
           n, (unsigned long long)seed, from, to, ks.n, keys_used, nevents, cm.written, tw - t0,
           tw - tk, (double)n / (tw - tk), cw - ck, (double)n / (cw - ck),
           (double)st.st_size / 1e6, (double)st.st_size / (double)n, cm.peak);
    if (profile) {
        printf("dossiers per month, Jan..Dec, %% of the year's mean month (total):\n");
        for (int y = 2015; y < 2027; y++) {
            long sum = 0;
            int nm = 0;
            for (int m = 0; m < 12; m++) {
                sum += months[(y - 2015) * 12 + m];
                nm += months[(y - 2015) * 12 + m] > 0;
            }
            if (!sum)
                continue;
            printf("%d", y);
            for (int m = 0; m < 12; m++)
                printf(" %4.0f", 100.0 * nm * (double)months[(y - 2015) * 12 + m] / (double)sum);
            printf("  (%ld)\n", sum);
        }
    }
    free(months);
    int rc = 0;
    if (do_check) {
        if (sqlite3_open(path, &db) != SQLITE_OK)
            fail("sqlite", sqlite3_errmsg(db));
        sqlite3_busy_timeout(db, 10000);
        long bad = check(app, &cli, db, now);
        sqlite3_close(db);
        printf("mega: check %s\n", bad ? "FAILED: the cells are not what rebuild computes"
                                       : "passed: the cells are what rebuild computes");
        rc = bad ? 1 : 0;
    }
    dh_app_close(app);
    for (size_t j = 0; j < ks.cap; j++)
        free(ks.name[j]);
    free(ks.name);
    free(ks.id);
    free(cm.v);
    return rc;
}
