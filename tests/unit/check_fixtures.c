/*
 * check_fixtures.c - the demo store data (fixtures/demo/: tiktok.json,
 * shopify.json, events.json, CASES.md) and the synthetic generator
 * (build/fixturegen) hold what a user of the demo and the benchmarks relies
 * on: every order's payment adds up to the cent (except the two orders
 * that are broken on purpose, named below), ids are digit strings, one
 * line item per unit, SKUs link to exactly one Shopify variant (except the
 * unlinked / ambiguous / empty cases), providers and delivery options
 * refer to each other, tracking numbers fit their provider's format, the
 * events script refers to things that exist and does what CASES.md says,
 * and TikTok's own reference (tiktok-spec-check) accepts every order as
 * Get Order Detail would serve it. The generator is held to the same
 * invariants, and to determinism (same seed, same bytes).
 *
 * Paths come from the environment tests/run-tests.sh sets (TTSYNC_TOP,
 * TTSYNC_BUILD_DIR, TTSYNC_SHARED, TTSYNC_TEST_LOGDIR) or default to the
 * repository root as the current directory. Owns its temp directories.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <jansson.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "money.h"

#define DAY 86400
#define MAX_PROBLEMS_SHOWN 25
#define ABS_TIME_BASE 1795305600	/* 2026-11-22: substituted for relative times */
#define TEST_TIMEOUT 300		/* s: the generator and python under sanitizers */

/* The demo orders that are deliberately wrong (CASES.md). */
#define DEMO_MALFORMED "576912004371820037"	/* payment.sub_total "12.3.4" */
#define DEMO_MISMATCH "576912004371820038"	/* lines sum to 35.98, sub_total 35.99 */
/* SKU cases (CASES.md). */
#define SKU_UNLINKED "SCARF-PLAID"
#define SKU_ADDED_LATER "SCRUNCHIE-CHAMP"	/* added by the add_variant event */
#define SKU_AMBIGUOUS "CAP-OLIVE"

/* ---- paths and processes ------------------------------------------------- */

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return (v != NULL && *v != '\0') ? v : dflt;
}

static const char *top_dir(void)
{
	return env_or("TTSYNC_TOP", ".");
}

static const char *build_dir(void)
{
	return env_or("TTSYNC_BUILD_DIR", "build");
}

static char *shared_dir(void)
{
	const char *s = getenv("TTSYNC_SHARED");

	if (s != NULL && *s != '\0')
		return xstrdup(s);
	return xasprintf("%s/../shared", top_dir());
}

static char *path_join(const char *a, const char *b)
{
	return xasprintf("%s/%s", a, b);
}

static char *make_tmpdir(const char *tag)
{
	char *tmpl = xasprintf("%s/fixtures-%s.XXXXXX",
			       env_or("TTSYNC_TEST_LOGDIR", env_or("TMPDIR", "/tmp")), tag);

	ck_assert_msg(mkdtemp(tmpl) != NULL, "mkdtemp %s: %s", tmpl, strerror(errno));
	return tmpl;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	if (remove(path) != 0)
		fprintf(stderr, "could not remove %s: %s\n", path, strerror(errno));
	return 0;
}

static void rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Run argv with stdout+stderr to out_path; the exit status, or -1. */
static int run(char *const argv[], const char *out_path)
{
	pid_t pid;
	int st, fd;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct strbuf sb = STRBUF_INIT;
	char buf[65536];
	size_t n;

	if (f == NULL)
		return NULL;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_addn(&sb, buf, n);
	fclose(f);
	if (len)
		*len = sb.len;
	return sb_detach(&sb);
}

static json_t *load_json(const char *path)
{
	json_error_t je;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);

	ck_assert_msg(j != NULL, "%s:%d:%d: %s", path, je.line, je.column, je.text);
	return j;
}

/* ---- problem collection -------------------------------------------------- */

struct probs {
	struct strbuf sb;
	int n;
};

static void prob(struct probs *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void prob(struct probs *p, const char *fmt, ...)
{
	va_list ap;
	char line[1024];

	p->n++;
	if (p->n > MAX_PROBLEMS_SHOWN)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	sb_addf(&p->sb, "\n  %s", line);
}

#define assert_no_probs(p, what)                                                     \
	do {                                                                         \
		ck_assert_msg((p)->n == 0, "%s: %d problem(s):%s", (what), (p)->n,   \
			      (p)->sb.buf ? (p)->sb.buf : "");                        \
		sb_free(&(p)->sb);                                                   \
	} while (0)

/* ---- small JSON helpers -------------------------------------------------- */

static const char *js(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int digits_only(const char *s, size_t len)
{
	size_t i;

	if (s == NULL || strlen(s) != len)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int all_digits(const char *s)
{
	return s != NULL && *s != '\0' && strspn(s, "0123456789") == strlen(s);
}

/* Every "id"/"*_id" key holds a string of digits, every "*_ids" an array
 * of them, every "*_time" an integer; money-named keys are strings. */
static void walk_types(json_t *v, const char *where, struct probs *p)
{
	static const char *const money_keys[] = {
		"original_price", "sale_price", "seller_discount", "platform_discount",
		"gift_retail_price", "tax_amount", "sub_total", "shipping_fee", "total_amount",
		"original_total_product_price", "original_shipping_fee", "tax", "product_tax",
		"shipping_fee_tax", "retail_delivery_fee", "shipping_fee_seller_discount",
		"shipping_fee_platform_discount", "shipping_fee_cofunded_discount",
	};
	const char *k;
	json_t *x;
	size_t i, n;

	if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			walk_types(x, where, p);
		return;
	}
	if (!json_is_object(v))
		return;
	json_object_foreach(v, k, x) {
		n = strlen(k);
		if (strcmp(k, "id") == 0 || (n > 3 && strcmp(k + n - 3, "_id") == 0)) {
			if (!json_is_string(x) || !all_digits(json_string_value(x)))
				prob(p, "%s: %s is not a string of digits", where, k);
		} else if (n > 4 && strcmp(k + n - 4, "_ids") == 0) {
			json_t *y;
			size_t j;

			if (!json_is_array(x))
				prob(p, "%s: %s is not an array", where, k);
			json_array_foreach(x, j, y)
				if (!json_is_string(y) || !all_digits(json_string_value(y)))
					prob(p, "%s: %s[%zu] is not a string of digits", where, k, j);
		} else if (n > 5 && strcmp(k + n - 5, "_time") == 0) {
			if (!json_is_integer(x))
				prob(p, "%s: %s is not an integer", where, k);
		} else {
			for (i = 0; i < ARRAY_SIZE(money_keys); i++)
				if (strcmp(k, money_keys[i]) == 0 && !json_is_string(x))
					prob(p, "%s: money field %s is not a string", where, k);
		}
		walk_types(x, where, p);
	}
}

/* Money field of obj as minor units; problem (and 0) when malformed. */
static money_t m(json_t *obj, const char *key, const char *where, struct probs *p)
{
	struct err e;
	money_t v = 0;
	const char *s = js(obj, key);

	if (s == NULL) {
		prob(p, "%s: money field %s missing", where, key);
		return 0;
	}
	if (money_parse(s, 2, &v, key, &e) != 0) {
		prob(p, "%s: %s", where, e.msg);
		return 0;
	}
	return v;
}

/* ---- the TikTok file ------------------------------------------------------ */

struct provider {
	const char *id, *name;
	regex_t re;
};

struct tt {
	json_t *root;
	struct provider *prov;
	size_t nprov;
	json_t *options;	/* id -> option object */
	json_t *orders;		/* id -> order object */
};

static const struct provider *prov_by_id(const struct tt *t, const char *id)
{
	size_t i;

	for (i = 0; id && i < t->nprov; i++)
		if (strcmp(t->prov[i].id, id) == 0)
			return &t->prov[i];
	return NULL;
}

static const struct provider *prov_by_name(const struct tt *t, const char *name)
{
	size_t i;

	for (i = 0; name && i < t->nprov; i++)
		if (strcmp(t->prov[i].name, name) == 0)
			return &t->prov[i];
	return NULL;
}

static int fits(const struct provider *pv, const char *number)
{
	return pv != NULL && number != NULL && regexec(&pv->re, number, 0, NULL, 0) == 0;
}

/* Does the option list the provider? */
static int option_has(const struct tt *t, const char *option_id, const char *provider_id)
{
	json_t *opt = json_object_get(t->options, option_id), *x;
	size_t i;

	json_array_foreach(json_object_get(opt, "provider_ids"), i, x)
		if (strcmp(json_string_value(x), provider_id) == 0)
			return 1;
	return 0;
}

static void tt_free(struct tt *t)
{
	size_t i;

	for (i = 0; i < t->nprov; i++)
		regfree(&t->prov[i].re);
	free(t->prov);
	json_decref(t->options);
	json_decref(t->orders);
	json_decref(t->root);
	memset(t, 0, sizeof(*t));
}

/* Load and check the envelope, providers and delivery options. */
static void tt_load(struct tt *t, const char *path, struct probs *p)
{
	json_t *arr, *v, *shop, *tok, *x;
	size_t i, k;

	memset(t, 0, sizeof(*t));
	t->root = load_json(path);
	t->options = json_object();
	t->orders = json_object();
	if (!json_is_true(json_object_get(t->root, "relative_times")))
		prob(p, "relative_times is not true");
	if (js(json_object_get(t->root, "app"), "app_key") == NULL ||
	    js(json_object_get(t->root, "app"), "app_secret") == NULL)
		prob(p, "app key or secret missing");
	shop = json_array_get(json_object_get(t->root, "shops"), 0);
	if (!digits_only(js(shop, "id"), 19) || js(shop, "cipher") == NULL ||
	    strcmp(js(shop, "region") ? js(shop, "region") : "", "US") != 0 ||
	    strcmp(js(shop, "seller_type") ? js(shop, "seller_type") : "", "LOCAL") != 0)
		prob(p, "shops[0] must be a US LOCAL shop with a 19-digit id and a cipher");
	tok = json_array_get(json_object_get(t->root, "tokens"), 0);
	if (js(tok, "access_token") == NULL || js(tok, "refresh_token") == NULL ||
	    json_integer_value(json_object_get(tok, "access_token_expire_in")) <= 0)
		prob(p, "tokens[0] must hold an unexpired access/refresh pair");
	else if (shop != NULL && (json_array_size(json_object_get(tok, "shop_ciphers")) != 1 ||
		 strcmp(json_string_value(json_array_get(json_object_get(tok, "shop_ciphers"), 0)),
			js(shop, "cipher")) != 0))
		prob(p, "tokens[0] must belong to the shop's cipher");

	arr = json_object_get(t->root, "providers");
	t->prov = xcalloc(json_array_size(arr) + 1, sizeof(*t->prov));
	json_array_foreach(arr, i, v) {
		struct provider *pv = &t->prov[t->nprov];
		const char *rx = js(v, "tracking_regex");

		pv->id = js(v, "id");
		pv->name = js(v, "name");
		if (!digits_only(pv->id, 19) || pv->name == NULL || rx == NULL) {
			prob(p, "providers[%zu]: needs a 19-digit id, a name and a tracking_regex", i);
			continue;
		}
		if (regcomp(&pv->re, rx, REG_EXTENDED | REG_NOSUB) != 0) {
			prob(p, "providers[%zu] %s: tracking_regex does not compile", i, pv->name);
			continue;
		}
		if (prov_by_id(t, pv->id) != NULL || prov_by_name(t, pv->name) != NULL)
			prob(p, "providers[%zu] %s: duplicate id or name", i, pv->name);
		t->nprov++;
		if (!fits(pv, js(v, "tracking_example")))
			prob(p, "provider %s: tracking_example does not fit its regex", pv->name);
	}
	if (t->nprov < 7)
		prob(p, "expected at least 7 US providers, found %zu", t->nprov);

	arr = json_object_get(t->root, "delivery_options");
	json_array_foreach(arr, i, v) {
		const char *id = js(v, "id"), *name = js(v, "name");

		if (!digits_only(id, 19) || name == NULL) {
			prob(p, "delivery_options[%zu]: needs a 19-digit id and a name", i);
			continue;
		}
		if (strcmp(name, "Standard Shipping") != 0 && strcmp(name, "Express Shipping") != 0 &&
		    strcmp(name, "Economy Shipping") != 0)
			prob(p, "delivery option %s: unexpected name '%s'", id, name);
		if (!json_is_boolean(json_object_get(v, "tiktok_fulfilled")))
			prob(p, "delivery option %s: tiktok_fulfilled must be a boolean", id);
		if (json_array_size(json_object_get(v, "provider_ids")) == 0)
			prob(p, "delivery option %s: no providers", id);
		json_array_foreach(json_object_get(v, "provider_ids"), k, x)
			if (prov_by_id(t, json_string_value(x)) == NULL)
				prob(p, "delivery option %s: provider %s does not exist", id,
				     json_string_value(x));
		if (json_object_get(t->options, id) != NULL)
			prob(p, "delivery option %s: duplicate id", id);
		json_object_set(t->options, id, v);
	}
	json_array_foreach(json_object_get(t->root, "orders"), i, v) {
		const char *id = js(v, "id");

		if (id == NULL)
			continue;	/* reported by check_order */
		if (json_object_get(t->orders, id) != NULL)
			prob(p, "order %s: duplicate id", id);
		json_object_set(t->orders, id, v);
	}
}

enum broken {
	BROKEN_NONE = 0,
	BROKEN_MALFORMED,	/* a money field does not parse */
	BROKEN_LINES_VS_SUBTOTAL, /* lines and payment disagree by design */
};

static int is_status(const char *s)
{
	static const char *const st[] = {
		"UNPAID", "ON_HOLD", "AWAITING_SHIPMENT", "PARTIALLY_SHIPPING",
		"AWAITING_COLLECTION", "IN_TRANSIT", "DELIVERED", "COMPLETED", "CANCELLED",
	};
	size_t i;

	for (i = 0; s && i < ARRAY_SIZE(st); i++)
		if (strcmp(s, st[i]) == 0)
			return 1;
	return 0;
}

static int streq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* Payment arithmetic of one order (see ../shared/research/tiktok-shop-api.md
 * §5.3); per-unit lines. Returns the number of problems found. */
static int check_money(json_t *o, const char *id, enum broken br, struct probs *p)
{
	json_t *pay = json_object_get(o, "payment"), *li, *tx;
	money_t orig = 0, sd = 0, pd = 0, sale = 0, itax = 0;
	money_t P_orig, P_sd, P_pd, P_sub, P_so, P_ssd, P_spd, P_scf, P_ship;
	money_t P_ptax, P_stax, P_tax, P_rdf, P_total, P_ins = 0;
	int before = p->n, sample = json_is_true(json_object_get(o, "is_sample_order"));
	size_t i, k;
	char where[96];

	if (br == BROKEN_MALFORMED) {
		struct probs q = {STRBUF_INIT, 0};

		(void)m(pay, "sub_total", id, &q);
		sb_free(&q.sb);
		if (q.n == 0)
			prob(p, "order %s should have a malformed sub_total, it parses", id);
		return p->n - before;
	}
	if (!streq(js(pay, "currency"), "USD"))
		prob(p, "order %s: payment currency is not USD", id);
	json_array_foreach(json_object_get(o, "line_items"), i, li) {
		money_t lo, ls, lsd, lpd, lt = 0;

		snprintf(where, sizeof(where), "order %s line %zu", id, i);
		lo = m(li, "original_price", where, p);
		ls = m(li, "sale_price", where, p);
		lsd = m(li, "seller_discount", where, p);
		lpd = m(li, "platform_discount", where, p);
		if (ls != lo - lsd - lpd)
			prob(p, "%s: sale_price %" PRId64 " != original %" PRId64 " - seller %" PRId64
			     " - platform %" PRId64 " (cents)", where, ls, lo, lsd, lpd);
		if (ls < 0)
			prob(p, "%s: negative sale price", where);
		json_array_foreach(json_object_get(li, "item_tax"), k, tx) {
			if (!streq(js(tx, "tax_type"), "SALES_TAX") || js(tx, "tax_rate") == NULL)
				prob(p, "%s: item_tax[%zu] needs tax_type SALES_TAX and a tax_rate", where, k);
			lt += m(tx, "tax_amount", where, p);
		}
		if (json_is_true(json_object_get(li, "is_gift"))) {
			if (ls != 0 || m(li, "gift_retail_price", where, p) <= 0)
				prob(p, "%s: a gift line is free and has a gift_retail_price", where);
		}
		if (sample && ls != 0)
			prob(p, "%s: a sample order's lines are free", where);
		if (!streq(js(li, "currency"), "USD"))
			prob(p, "%s: currency is not USD", where);
		orig += lo;
		sd += lsd;
		pd += lpd;
		sale += ls;
		itax += lt;
	}
	P_orig = m(pay, "original_total_product_price", id, p);
	P_sd = m(pay, "seller_discount", id, p);
	P_pd = m(pay, "platform_discount", id, p);
	P_sub = m(pay, "sub_total", id, p);
	P_so = m(pay, "original_shipping_fee", id, p);
	P_ssd = m(pay, "shipping_fee_seller_discount", id, p);
	P_spd = m(pay, "shipping_fee_platform_discount", id, p);
	P_scf = m(pay, "shipping_fee_cofunded_discount", id, p);
	P_ship = m(pay, "shipping_fee", id, p);
	P_ptax = m(pay, "product_tax", id, p);
	P_stax = m(pay, "shipping_fee_tax", id, p);
	P_tax = m(pay, "tax", id, p);
	P_rdf = m(pay, "retail_delivery_fee", id, p);
	P_total = m(pay, "total_amount", id, p);
	if (json_object_get(pay, "item_insurance_fee") != NULL)
		P_ins = m(pay, "item_insurance_fee", id, p) + m(pay, "item_insurance_tax", id, p);

	if (P_sub != P_orig - P_sd - P_pd)
		prob(p, "order %s: sub_total != original_total_product_price - seller_discount - "
		     "platform_discount", id);
	if (br == BROKEN_LINES_VS_SUBTOTAL) {
		/* Each line and the payment are consistent in themselves; the
		 * lines' sum differs from TikTok's sub_total. */
		if (sale == P_sub)
			prob(p, "order %s should have lines summing to another sub_total, they agree", id);
	} else {
		if (P_orig != orig || P_sd != sd || P_pd != pd)
			prob(p, "order %s: payment original/seller/platform %" PRId64 "/%" PRId64
			     "/%" PRId64 " != lines %" PRId64 "/%" PRId64 "/%" PRId64, id, P_orig,
			     P_sd, P_pd, orig, sd, pd);
		if (sale != P_sub)
			prob(p, "order %s: lines' sale prices sum to %" PRId64 ", sub_total is %" PRId64,
			     id, sale, P_sub);
	}
	if (P_scf > 0 && P_ssd != 0)
		prob(p, "order %s: co-funded shipping discount with a seller shipping discount", id);
	/* shipping_fee = original - seller - platform (- co-funded, which is
	 * the seller's discount when the order qualifies for co-funding). */
	if (P_ship != P_so - P_ssd - P_spd - P_scf)
		prob(p, "order %s: shipping_fee %" PRId64 " != %" PRId64 " - %" PRId64 " - %" PRId64
		     " - %" PRId64, id, P_ship, P_so, P_ssd, P_spd, P_scf);
	if (P_ptax != itax)
		prob(p, "order %s: product_tax %" PRId64 " != sum of item_tax %" PRId64, id, P_ptax, itax);
	if (P_tax != P_ptax + P_stax)
		prob(p, "order %s: tax != product_tax + shipping_fee_tax", id);
	if (P_total != P_sub + P_ship + P_tax + P_rdf + P_ins)
		prob(p, "order %s: total_amount %" PRId64 " != sub_total + shipping_fee + tax + "
		     "retail_delivery_fee = %" PRId64, id, P_total, P_sub + P_ship + P_tax + P_rdf + P_ins);
	if (sample && P_total != 0)
		prob(p, "order %s: a sample order costs the buyer nothing", id);
	return p->n - before;
}

static int eligible_status(const char *st)
{
	return is_status(st) && !streq(st, "UNPAID") && !streq(st, "ON_HOLD") &&
	       !streq(st, "CANCELLED");
}

/* Everything about one order except the SKU links. */
static void check_order(const struct tt *t, json_t *o, int64_t days, enum broken br,
			json_t *line_ids, struct probs *p)
{
	const char *id = js(o, "id"), *st = js(o, "status"), *ship = js(o, "shipping_type");
	json_t *opt, *li, *pk, *addr, *x;
	json_t *pkg_ids = json_object();
	int64_t create, update, now = 0;
	size_t i, npackaged = 0, nlines, ncancelled = 0;
	char where[64];

	if (!digits_only(id, 18)) {
		prob(p, "an order id is not an 18-digit string: %s", id ? id : "(none)");
		json_decref(pkg_ids);
		return;
	}
	snprintf(where, sizeof(where), "order %s", id);
	walk_types(o, where, p);
	if (!is_status(st))
		prob(p, "%s: unknown status", where);
	if (!streq(js(o, "fulfillment_type"), "FULFILLMENT_BY_SELLER") &&
	    !streq(js(o, "fulfillment_type"), "FULFILLMENT_BY_TIKTOK"))
		prob(p, "%s: unknown fulfillment_type", where);
	if (!streq(ship, "SELLER") && !streq(ship, "TIKTOK"))
		prob(p, "%s: unknown shipping_type", where);
	opt = json_object_get(t->options, js(o, "delivery_option_id") ? js(o, "delivery_option_id") : "");
	if (opt == NULL)
		prob(p, "%s: delivery option does not exist", where);
	else if (!streq(js(opt, "name"), js(o, "delivery_option_name")) ||
		 json_is_true(json_object_get(opt, "tiktok_fulfilled")) != streq(ship, "TIKTOK"))
		prob(p, "%s: delivery option name or kind disagrees with the order", where);

	/* Times: relative, within the window, in order. */
	create = json_integer_value(json_object_get(o, "create_time"));
	update = json_integer_value(json_object_get(o, "update_time"));
	if (create < -days * DAY || create >= now)
		prob(p, "%s: create_time %" PRId64 " not within the last %" PRId64 " days", where,
		     create, days);
	if (update < create || update > now)
		prob(p, "%s: update_time before create_time or in the future", where);
	if (streq(st, "UNPAID") != (json_object_get(o, "paid_time") == NULL))
		prob(p, "%s: paid_time must be present exactly when the order is paid", where);
	if (json_object_get(o, "paid_time") &&
	    json_integer_value(json_object_get(o, "paid_time")) < create)
		prob(p, "%s: paid before created", where);
	if ((streq(st, "IN_TRANSIT") || streq(st, "DELIVERED") || streq(st, "COMPLETED")) &&
	    !json_is_integer(json_object_get(o, "collection_time")))
		prob(p, "%s: collected order without collection_time", where);
	if ((streq(st, "DELIVERED") || streq(st, "COMPLETED")) &&
	    !json_is_integer(json_object_get(o, "delivery_time")))
		prob(p, "%s: delivered order without delivery_time", where);
	if (streq(st, "CANCELLED") &&
	    (!json_is_integer(json_object_get(o, "cancel_time")) ||
	     js(o, "cancellation_initiator") == NULL))
		prob(p, "%s: cancelled order without cancel_time / cancellation_initiator", where);
	if (json_is_true(json_object_get(o, "is_buyer_request_cancel")) &&
	    !json_is_integer(json_object_get(o, "request_cancel_time")))
		prob(p, "%s: cancel request without request_cancel_time", where);
	{
		const char *email = js(o, "buyer_email");

		if (email == NULL || strchr(email, '@') == NULL || strlen(email) >= 45)
			prob(p, "%s: buyer_email must be a relay address under 45 characters", where);
	}

	/* Lines: one per unit, unique ids, packages consistent. */
	json_array_foreach(json_object_get(o, "packages"), i, pk) {
		if (!digits_only(js(pk, "id"), 19))
			prob(p, "%s: package id is not a 19-digit string", where);
		else
			json_object_set_new(pkg_ids, js(pk, "id"), json_null());
	}
	nlines = json_array_size(json_object_get(o, "line_items"));
	if (nlines == 0)
		prob(p, "%s: no line items", where);
	json_array_foreach(json_object_get(o, "line_items"), i, li) {
		const char *lid = js(li, "id"), *pkg = js(li, "package_id");

		if (json_object_get(li, "quantity") != NULL)
			prob(p, "%s line %zu: TikTok line items have no quantity (one per unit)", where, i);
		if (!digits_only(lid, 18))
			prob(p, "%s line %zu: id is not an 18-digit string", where, i);
		else if (json_object_get(line_ids, lid) != NULL)
			prob(p, "%s line %zu: line id %s used twice", where, i, lid);
		else
			json_object_set_new(line_ids, lid, json_string(id));
		if (!digits_only(js(li, "sku_id"), 19) || !digits_only(js(li, "product_id"), 19))
			prob(p, "%s line %zu: sku_id/product_id are not 19-digit strings", where, i);
		if (js(li, "seller_sku") == NULL || js(li, "display_status") == NULL)
			prob(p, "%s line %zu: seller_sku and display_status must be strings", where, i);
		if (streq(js(li, "display_status"), "CANCELLED"))
			ncancelled++;
		if (pkg != NULL && *pkg != '\0') {
			const struct provider *pv = prov_by_id(t, js(li, "shipping_provider_id"));

			npackaged++;
			if (json_object_get(pkg_ids, pkg) == NULL)
				prob(p, "%s line %zu: package %s is not in the order's packages", where, i, pkg);
			if (pv == NULL || !streq(pv->name, js(li, "shipping_provider_name")))
				prob(p, "%s line %zu: unknown provider or name mismatch", where, i);
			else if (!fits(pv, js(li, "tracking_number")))
				prob(p, "%s line %zu: tracking %s does not fit %s's format", where, i,
				     js(li, "tracking_number"), pv->name);
			if (pv != NULL && js(o, "delivery_option_id") != NULL &&
			    streq(js(o, "fulfillment_type"), "FULFILLMENT_BY_SELLER") &&
			    !option_has(t, js(o, "delivery_option_id"), pv->id))
				prob(p, "%s line %zu: provider %s is not offered by the order's delivery option",
				     where, i, pv->name);
			if (!json_is_integer(json_object_get(li, "rts_time")) ||
			    js(li, "package_status") == NULL)
				prob(p, "%s line %zu: shipped line needs rts_time and package_status", where, i);
		}
	}
	{
		const char *pkid;

		json_object_foreach(pkg_ids, pkid, x) {
			int used = 0;

			json_array_foreach(json_object_get(o, "line_items"), i, li)
				used |= streq(js(li, "package_id"), pkid);
			if (!used)
				prob(p, "%s: package %s holds no line item", where, pkid);
		}
	}
	if (streq(st, "AWAITING_SHIPMENT") || streq(st, "UNPAID") || streq(st, "ON_HOLD")) {
		if (npackaged != 0 || json_array_size(json_object_get(o, "packages")) != 0)
			prob(p, "%s: %s order with packages", where, st);
	} else if (streq(st, "PARTIALLY_SHIPPING")) {
		if (npackaged == 0 || npackaged + ncancelled >= nlines)
			prob(p, "%s: partially shipping needs shipped and unshipped lines", where);
	} else if (!streq(st, "CANCELLED")) {
		if (npackaged + ncancelled != nlines)
			prob(p, "%s: %s order with unshipped lines", where, st);
		if (js(o, "tracking_number") == NULL || js(o, "shipping_provider_id") == NULL)
			prob(p, "%s: shipped order without order-level tracking", where);
	}

	/* Address: where an eligible order can be shipped to. */
	addr = json_object_get(o, "recipient_address");
	if (eligible_status(st) && streq(js(o, "fulfillment_type"), "FULFILLMENT_BY_SELLER")) {
		json_t *d;
		size_t k;
		int has_state = 0, has_city = 0;

		if (!streq(js(addr, "region_code"), "US") || !digits_only(js(addr, "postal_code"), 5) ||
		    js(addr, "address_line1") == NULL || js(addr, "name") == NULL ||
		    js(addr, "phone_number") == NULL)
			prob(p, "%s: eligible order without a complete US address", where);
		json_array_foreach(json_object_get(addr, "district_info"), k, d) {
			has_state |= streq(js(d, "address_level_name"), "State");
			has_city |= streq(js(d, "address_level_name"), "City");
		}
		if (!has_state || !has_city)
			prob(p, "%s: district_info lacks State or City", where);
	}

	(void)check_money(o, id, br, p);
	json_decref(pkg_ids);
}

/* All orders: invariants, with the demo's deliberate breaks. */
static void check_orders(const struct tt *t, int64_t days, int demo, struct probs *p)
{
	json_t *line_ids = json_object(), *o;
	size_t i;

	json_array_foreach(json_object_get(t->root, "orders"), i, o) {
		enum broken br = BROKEN_NONE;

		if (demo && streq(js(o, "id"), DEMO_MALFORMED))
			br = BROKEN_MALFORMED;
		else if (demo && streq(js(o, "id"), DEMO_MISMATCH))
			br = BROKEN_LINES_VS_SUBTOTAL;
		check_order(t, o, days, br, line_ids, p);
	}
	json_decref(line_ids);
}

/* ---- the Shopify file ------------------------------------------------------ */

/* sku -> array of variant ids; variant id -> sku; product ids. */
struct sh {
	json_t *root, *by_sku, *by_variant, *products;
};

static void sh_free(struct sh *s)
{
	json_decref(s->root);
	json_decref(s->by_sku);
	json_decref(s->by_variant);
	json_decref(s->products);
}

static void sh_add_variant(struct sh *s, const char *sku, const char *vid)
{
	json_t *a = json_object_get(s->by_sku, sku);

	if (a == NULL) {
		a = json_array();
		json_object_set_new(s->by_sku, sku, a);
	}
	json_array_append_new(a, json_string(vid));
	json_object_set_new(s->by_variant, vid, json_string(sku));
}

static void sh_load(struct sh *s, const char *path, struct probs *p)
{
	json_t *pr, *v, *shop;
	size_t i, k;

	s->root = load_json(path);
	s->by_sku = json_object();
	s->by_variant = json_object();
	s->products = json_object();
	shop = json_object_get(s->root, "shop");
	if (!streq(js(shop, "currencyCode"), "USD") || js(shop, "myshopifyDomain") == NULL)
		prob(p, "shop: needs currencyCode USD and a myshopifyDomain");
	if (json_array_size(json_object_get(s->root, "access_tokens")) == 0)
		prob(p, "no access token");
	if (json_array_size(json_object_get(s->root, "locations")) != 1)
		prob(p, "expected exactly one location");
	v = json_object_get(s->root, "limits");
	if (json_integer_value(json_object_get(v, "bucket_size")) != 2000 ||
	    json_integer_value(json_object_get(v, "restore_rate")) != 100 ||
	    json_is_true(json_object_get(v, "dev_store_order_limit")))
		prob(p, "limits are not Shopify's defaults (2000 / 100 per s, no dev-store limit)");
	json_array_foreach(json_object_get(s->root, "products"), i, pr) {
		const char *pid = js(pr, "id");

		if (pid == NULL || strncmp(pid, "gid://shopify/Product/", 22) != 0 ||
		    json_object_get(s->products, pid) != NULL)
			prob(p, "products[%zu]: bad or duplicate product GID", i);
		else
			json_object_set_new(s->products, pid, json_true());
		json_array_foreach(json_object_get(pr, "variants"), k, v) {
			const char *vid = js(v, "id"), *sku = js(v, "sku");
			struct err e;
			money_t price;

			if (vid == NULL || strncmp(vid, "gid://shopify/ProductVariant/", 29) != 0 ||
			    json_object_get(s->by_variant, vid) != NULL || sku == NULL) {
				prob(p, "products[%zu].variants[%zu]: bad/duplicate GID or no sku", i, k);
				continue;
			}
			if (money_parse(js(v, "price") ? js(v, "price") : "", 2, &price, "price", &e) != 0)
				prob(p, "variant %s: %s", vid, e.msg);
			sh_add_variant(s, sku, vid);
		}
	}
}

static size_t variants_for(const struct sh *s, const char *sku)
{
	return json_array_size(json_object_get(s->by_sku, sku));
}

/* Every SKU of every order has exactly one variant, except `except`
 * (NULL-terminated) and the empty SKU when allowed. */
static void check_skus(const struct tt *t, const struct sh *s, const char *const *except,
		       struct probs *p)
{
	json_t *o, *li;
	size_t i, k, e;

	json_array_foreach(json_object_get(t->root, "orders"), i, o) {
		json_array_foreach(json_object_get(o, "line_items"), k, li) {
			const char *sku = js(li, "seller_sku");
			int skip = 0;

			for (e = 0; except && except[e]; e++)
				skip |= streq(sku, except[e]);
			if (!skip && variants_for(s, sku ? sku : "") != 1)
				prob(p, "order %s: SKU '%s' has %zu Shopify variants, expected 1",
				     js(o, "id"), sku ? sku : "", variants_for(s, sku ? sku : ""));
		}
	}
}

/* ---- tiktok-spec-check ------------------------------------------------------ */

static void shift_times(json_t *v, int64_t base)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, k, x) {
			size_t n = strlen(k);

			if (json_is_integer(x) && n > 5 && strcmp(k + n - 5, "_time") == 0)
				json_integer_set(x, json_integer_value(x) + base);
			else
				shift_times(x, base);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			shift_times(x, base);
	}
}

/* Write one Get Order Detail exchange per order (times made absolute) and
 * hold the log against TikTok's reference. `mutate` (may be NULL) edits
 * each served order first (negative control). Returns the checker's exit
 * status; its output goes to dir/spec-check.out. */
static int spec_check(json_t *orders, const char *dir, const char *tag,
		      void (*mutate)(json_t *o))
{
	char *log = xasprintf("%s/%s.log", dir, tag), *out = xasprintf("%s/%s.out", dir, tag);
	char *tool, *sh = shared_dir();
	FILE *f = fopen(log, "w");
	json_t *o;
	size_t i;
	int rc;

	ck_assert_msg(f != NULL, "%s: %s", log, strerror(errno));
	json_array_foreach(orders, i, o) {
		json_t *served = json_deep_copy(o), *line;
		char *q = xasprintf("app_key=a&sign=s&timestamp=1&shop_cipher=c&ids=%s", js(o, "id"));

		shift_times(served, ABS_TIME_BASE);
		if (mutate)
			mutate(served);
		line = json_pack("{s:s, s:s, s:s, s:i, s:{s:i, s:s, s:s, s:{s:[o]}}}",
				 "method", "GET", "path", "/order/202309/orders", "query", q,
				 "status", 200, "response", "code", 0, "message", "Success",
				 "request_id", "x", "data", "orders", served);
		ck_assert_ptr_nonnull(line);
		ck_assert_int_eq(json_dumpf(line, f, JSON_COMPACT), 0);
		ck_assert_int_ne(fputc('\n', f), EOF);
		json_decref(line);
		free(q);
	}
	ck_assert_msg(fclose(f) == 0, "%s: %s", log, strerror(errno));
	tool = xasprintf("%s/tools/tiktok-spec-check", sh);
	{
		char *argv[] = {"python3", tool, log, NULL};

		rc = run(argv, out);
	}
	free(tool);
	free(sh);
	free(log);
	free(out);
	return rc;
}

static void add_quantity(json_t *o)
{
	json_object_set_new(json_array_get(json_object_get(o, "line_items"), 0), "quantity",
			    json_integer(3));
}

static void assert_spec_ok(json_t *orders, const char *tag)
{
	char *dir = make_tmpdir(tag), *out = xasprintf("%s/%s.out", dir, tag);
	int rc = spec_check(orders, dir, tag, NULL), rc_neg;
	char *text = read_file(out, NULL);

	ck_assert_msg(rc == 0, "tiktok-spec-check refused the %s orders (exit %d):\n%.3000s", tag, rc,
		      text ? text : "(no output)");
	free(text);
	/* Negative control: the oracle notices a field TikTok does not have. */
	rc_neg = spec_check(orders, dir, "negative", add_quantity);
	ck_assert_msg(rc_neg == 1, "tiktok-spec-check accepted a line item with 'quantity' (exit %d)",
		      rc_neg);
	free(out);
	rm_tree(dir);
	free(dir);
}

/* ---- demo: TikTok and Shopify -------------------------------------------- */

static char *demo_path(const char *name)
{
	return xasprintf("%s/fixtures/demo/%s", top_dir(), name);
}

START_TEST(demo_tiktok_invariants)
{
	struct probs p = {STRBUF_INIT, 0};
	struct tt t;
	char *path = demo_path("tiktok.json");
	size_t n;

	tt_load(&t, path, &p);
	n = json_array_size(json_object_get(t.root, "orders"));
	if (n < 35 || n > 50)
		prob(&p, "expected about 40 orders, found %zu", n);
	check_orders(&t, 6, 1, &p);
	assert_no_probs(&p, "fixtures/demo/tiktok.json");
	tt_free(&t);
	free(path);
}
END_TEST

START_TEST(demo_skus_link)
{
	struct probs p = {STRBUF_INIT, 0};
	struct tt t;
	struct sh s = {0};
	char *tp = demo_path("tiktok.json"), *sp = demo_path("shopify.json");
	const char *const except[] = {SKU_UNLINKED, SKU_ADDED_LATER, SKU_AMBIGUOUS, "", NULL};
	json_t *o, *li, *x;
	size_t i, k;

	tt_load(&t, tp, &p);
	sh_load(&s, sp, &p);
	check_skus(&t, &s, except, &p);
	/* The failure cases are real: what a user will see in the report. */
	if (variants_for(&s, SKU_UNLINKED) != 0)
		prob(&p, "%s must have no Shopify variant", SKU_UNLINKED);
	if (variants_for(&s, SKU_ADDED_LATER) != 0)
		prob(&p, "%s must have no Shopify variant before the events", SKU_ADDED_LATER);
	if (variants_for(&s, SKU_AMBIGUOUS) != 2)
		prob(&p, "%s must have exactly two Shopify variants", SKU_AMBIGUOUS);
	if (variants_for(&s, "") != 0)
		prob(&p, "no Shopify variant may have an empty SKU");
	/* Every SKU exception is used by an order, once. */
	for (k = 0; except[k]; k++) {
		int used = 0;

		json_array_foreach(json_object_get(t.root, "orders"), i, o) {
			size_t j;

			json_array_foreach(json_object_get(o, "line_items"), j, li)
				if (streq(js(li, "seller_sku"), except[k])) {
					used++;
					break;
				}
		}
		if (used != 1)
			prob(&p, "SKU case '%s' is used by %d orders, expected 1", except[k], used);
	}
	/* The other connector's orders: each imports a TikTok order with the
	 * same units, by variant. */
	json_array_foreach(json_object_get(s.root, "orders"), i, o) {
		json_t *tto = json_object_get(t.orders, js(o, "sourceIdentifier") ?
					      js(o, "sourceIdentifier") : "");
		json_t *units = json_object();
		const char *sku;

		if (tto == NULL) {
			prob(&p, "Shopify order %s: sourceIdentifier is no TikTok order", js(o, "name"));
			json_decref(units);
			continue;
		}
		json_array_foreach(json_object_get(tto, "line_items"), k, li) {
			sku = js(li, "seller_sku");
			json_object_set_new(units, sku, json_integer(json_integer_value(
						    json_object_get(units, sku)) + 1));
		}
		json_array_foreach(json_object_get(o, "lineItems"), k, li) {
			const char *v = js(li, "variantId");

			sku = v ? js(s.by_variant, v) : NULL;
			if (sku == NULL || json_integer_value(json_object_get(units, sku)) !=
			    json_integer_value(json_object_get(li, "quantity")))
				prob(&p, "Shopify order %s: line %zu does not match the TikTok units",
				     js(o, "name"), k);
		}
		/* Fixture fulfillments: {id, createdAt, company, number,
		 * lines: [{sku, quantity}]} (shopify-emu's fixture shape). */
		json_array_foreach(json_object_get(o, "fulfillments"), k, x) {
			json_t *fl;
			size_t q;

			if (!fits(prov_by_name(&t, js(x, "company")), js(x, "number")))
				prob(&p, "Shopify order %s: fulfillment %zu tracking does not fit its carrier",
				     js(o, "name"), k);
			json_array_foreach(json_object_get(x, "lines"), q, fl)
				if (json_integer_value(json_object_get(units, js(fl, "sku") ? js(fl, "sku") : "")) <
				    json_integer_value(json_object_get(fl, "quantity")))
					prob(&p, "Shopify order %s: fulfillment %zu ships more than ordered",
					     js(o, "name"), k);
		}
		json_decref(units);
	}
	if (json_array_size(json_object_get(s.root, "orders")) == 0)
		prob(&p, "no order imported by another connector");
	assert_no_probs(&p, "fixtures/demo SKU links");
	sh_free(&s);
	tt_free(&t);
	free(tp);
	free(sp);
}
END_TEST

/* ---- demo: events ---------------------------------------------------------- */

struct demo {
	struct tt t;
	struct sh s;
	json_t *events;
	struct probs p;
};

static void demo_load(struct demo *d)
{
	char *tp = demo_path("tiktok.json"), *sp = demo_path("shopify.json"),
	     *ep = demo_path("events.json");

	memset(d, 0, sizeof(*d));
	tt_load(&d->t, tp, &d->p);
	sh_load(&d->s, sp, &d->p);
	d->events = load_json(ep);
	free(tp);
	free(sp);
	free(ep);
}

static void demo_free(struct demo *d)
{
	tt_free(&d->t);
	sh_free(&d->s);
	json_decref(d->events);
	sb_free(&d->p.sb);
}

static json_t *find_event(struct demo *d, const char *type, const char *order, int nth)
{
	json_t *ev;
	size_t i;

	json_array_foreach(d->events, i, ev) {
		const char *oid = js(ev, "order") ? js(ev, "order") : js(ev, "order_id");

		if (streq(js(ev, "type"), type) && (order == NULL || streq(oid, order)) && nth-- == 0)
			return ev;
	}
	return NULL;
}

static json_t *shopify_fulfillment(struct demo *d, const char *gid)
{
	json_t *o, *f;
	size_t i, k;

	json_array_foreach(json_object_get(d->s.root, "orders"), i, o)
		json_array_foreach(json_object_get(o, "fulfillments"), k, f)
			if (streq(js(f, "id"), gid))
				return o;
	return NULL;
}

START_TEST(demo_events_refer_to_real_things)
{
	struct demo d;
	json_t *ev, *o, *x;
	size_t i, k;

	demo_load(&d);
	if (!json_is_array(d.events) || json_array_size(d.events) == 0)
		prob(&d.p, "events.json must be a non-empty array");
	json_array_foreach(d.events, i, ev) {
		const char *target = js(ev, "target"), *type = js(ev, "type");

		if (streq(target, "shopify")) {
			if (streq(type, "fulfill")) {
				o = json_object_get(d.t.orders, js(ev, "order") ? js(ev, "order") : "");
				if (o == NULL || js(ev, "company") == NULL || js(ev, "number") == NULL) {
					prob(&d.p, "event %zu: fulfill needs an existing TikTok order id, "
					     "company and number", i);
					continue;
				}
				if (!eligible_status(js(o, "status")))
					prob(&d.p, "event %zu: order %s will not be in Shopify", i, js(o, "id"));
				json_array_foreach(json_object_get(ev, "lines"), k, x) {
					json_t *li;
					size_t j;
					json_int_t units = 0;

					json_array_foreach(json_object_get(o, "line_items"), j, li)
						units += streq(js(li, "seller_sku"), js(x, "sku"));
					if (units < json_integer_value(json_object_get(x, "quantity")) ||
					    json_integer_value(json_object_get(x, "quantity")) < 1)
						prob(&d.p, "event %zu: order %s has no %lld units of %s", i,
						     js(o, "id"), (long long)json_integer_value(
							     json_object_get(x, "quantity")), js(x, "sku"));
				}
			} else if (streq(type, "edit_tracking")) {
				if (shopify_fulfillment(&d, js(ev, "fulfillment_id")) == NULL ||
				    js(ev, "number") == NULL)
					prob(&d.p, "event %zu: edit_tracking of an unknown fulfillment", i);
			} else if (streq(type, "add_variant")) {
				if (json_object_get(d.s.products, js(ev, "product_id") ?
						    js(ev, "product_id") : "") == NULL ||
				    js(ev, "sku") == NULL)
					prob(&d.p, "event %zu: add_variant to an unknown product", i);
			} else {
				prob(&d.p, "event %zu: unexpected Shopify event '%s'", i, type ? type : "");
			}
		} else if (streq(target, "tiktok")) {
			static const char *const types[] = {
				"buyer_pays", "hold_ends", "buy_label", "carrier_pickup",
				"delivered", "complete", "buyer_cancels", "cancel_request",
			};
			int known = 0;

			for (k = 0; k < ARRAY_SIZE(types); k++)
				known |= streq(type, types[k]);
			o = json_object_get(d.t.orders, js(ev, "order_id") ? js(ev, "order_id") : "");
			if (!known || o == NULL) {
				prob(&d.p, "event %zu: unknown TikTok event or order", i);
				continue;
			}
			json_array_foreach(json_object_get(ev, "line_item_ids"), k, x) {
				json_t *li;
				size_t j;
				int found = 0;

				json_array_foreach(json_object_get(o, "line_items"), j, li)
					if (streq(js(li, "id"), json_string_value(x))) {
						found = 1;
						if (js(li, "package_id") != NULL)
							prob(&d.p, "event %zu: line %s is already shipped", i,
							     json_string_value(x));
					}
				if (!found)
					prob(&d.p, "event %zu: line %s is not in order %s", i,
					     json_string_value(x), js(o, "id"));
			}
			if (streq(type, "buy_label")) {
				const struct provider *pv = prov_by_id(&d.t, js(ev, "provider_id"));

				if (!streq(js(o, "shipping_type"), "TIKTOK") || pv == NULL ||
				    !option_has(&d.t, js(o, "delivery_option_id"), pv->id) ||
				    !fits(pv, js(ev, "tracking_number")))
					prob(&d.p, "event %zu: TikTok cannot buy that label for %s", i,
					     js(o, "id"));
			}
			if (streq(type, "buyer_pays") && !streq(js(o, "status"), "UNPAID"))
				prob(&d.p, "event %zu: buyer_pays on a paid order", i);
			if (streq(type, "hold_ends") && !streq(js(o, "status"), "ON_HOLD"))
				prob(&d.p, "event %zu: hold_ends on an order not on hold", i);
		} else {
			prob(&d.p, "event %zu: target must be \"tiktok\" or \"shopify\"", i);
		}
	}
	assert_no_probs(&d.p, "fixtures/demo/events.json");
	demo_free(&d);
}
END_TEST

/* The cases CASES.md promises are what the data and events really hold. */
START_TEST(demo_events_make_the_cases)
{
	struct demo d;
	json_t *ev, *o;
	const struct provider *pv;
	const char *num;
	size_t i, n;

	demo_load(&d);
	/* 1: valid USPS number. */
	ev = find_event(&d, "fulfill", "576912004371820001", 0);
	if (!streq(js(ev, "company"), "USPS") || !fits(prov_by_name(&d.t, "USPS"), js(ev, "number")))
		prob(&d.p, "order ...01 must be fulfilled with a valid USPS number");
	/* 2: 2 of 3 units. */
	ev = find_event(&d, "fulfill", "576912004371820002", 0);
	if (json_integer_value(json_object_get(json_array_get(json_object_get(ev, "lines"), 0),
					       "quantity")) != 2 ||
	    json_array_size(json_object_get(json_object_get(d.t.orders, "576912004371820002"),
					    "line_items")) != 3)
		prob(&d.p, "order ...02 must be a partial shipment of 2 of 3 units");
	/* 3: "Other" resolves only through the rule Other -> Cainiao US. */
	ev = find_event(&d, "fulfill", "576912004371820003", 0);
	o = json_object_get(d.t.orders, "576912004371820003");
	pv = prov_by_name(&d.t, "Cainiao US");
	if (!streq(js(ev, "company"), "Other") || prov_by_name(&d.t, "Other") != NULL ||
	    pv == NULL || !option_has(&d.t, js(o, "delivery_option_id"), pv->id) ||
	    !fits(pv, js(ev, "number")))
		prob(&d.p, "order ...03: 'Other' + a Cainiao number on an option offering Cainiao US");
	/* 4: an unmapped carrier. */
	ev = find_event(&d, "fulfill", "576912004371820004", 0);
	if (prov_by_name(&d.t, js(ev, "company")) != NULL || !streq(js(ev, "company"), "Bob's Courier"))
		prob(&d.p, "order ...04: Bob's Courier must not be a TikTok provider");
	/* 5: a UPS number that does not fit UPS's format. */
	ev = find_event(&d, "fulfill", "576912004371820005", 0);
	if (!streq(js(ev, "company"), "UPS") || fits(prov_by_name(&d.t, "UPS"), js(ev, "number")))
		prob(&d.p, "order ...05: the UPS number must not fit UPS's format");
	/* 6: no tracking number. */
	ev = find_event(&d, "fulfill", "576912004371820006", 0);
	if (ev == NULL || !streq(js(ev, "number"), ""))
		prob(&d.p, "order ...06 must be fulfilled without a tracking number");
	/* 16 / 17: Seller Center tracking vs Shopify's. */
	o = json_object_get(d.t.orders, "576912004371820016");
	num = js(find_event(&d, "fulfill", "576912004371820016", 0), "number");
	if (num == NULL || streq(num, js(o, "tracking_number")) ||
	    !fits(prov_by_name(&d.t, "UPS"), num))
		prob(&d.p, "order ...16: Shopify's number must be a different valid UPS number");
	o = json_object_get(d.t.orders, "576912004371820017");
	num = js(find_event(&d, "fulfill", "576912004371820017", 0), "number");
	if (!streq(num, js(o, "tracking_number")))
		prob(&d.p, "order ...17: Shopify's number must equal TikTok's");
	/* 19: Shopify ships 2 tees, TikTok has only 1 unshipped tee. */
	o = json_object_get(d.t.orders, "576912004371820019");
	{
		json_t *li;
		int unshipped = 0;

		json_array_foreach(json_object_get(o, "line_items"), i, li)
			unshipped += streq(js(li, "seller_sku"), "TEE-BLK-L") && js(li, "package_id") == NULL;
		if (unshipped != 1 || !streq(js(o, "status"), "PARTIALLY_SHIPPING"))
			prob(&d.p, "order ...19: exactly one TEE-BLK-L unit must be unshipped");
	}
	/* 27: fulfilled, then cancelled (Shopify event first). */
	if (find_event(&d, "fulfill", "576912004371820027", 0) == NULL ||
	    find_event(&d, "buyer_cancels", "576912004371820027", 0) == NULL)
		prob(&d.p, "order ...27 must be fulfilled in Shopify and cancelled on TikTok");
	/* 28: a pending cancel request. */
	if (!json_is_true(json_object_get(json_object_get(d.t.orders, "576912004371820028"),
					  "is_buyer_request_cancel")))
		prob(&d.p, "order ...28 must have a pending buyer cancel request");
	/* 43: a cancel request arrives after creation, with a fulfillment. */
	if (find_event(&d, "cancel_request", "576912004371820043", 0) == NULL ||
	    find_event(&d, "fulfill", "576912004371820043", 0) == NULL ||
	    json_is_true(json_object_get(json_object_get(d.t.orders, "576912004371820043"),
					 "is_buyer_request_cancel")))
		prob(&d.p, "order ...43 must get its cancel request and fulfillment between runs");
	/* Orders never created in Shopify cannot be fulfilled there. */
	{
		static const char *const never[] = {
			"576912004371820028", "576912004371820030", "576912004371820032",
			"576912004371820033", "576912004371820037", "576912004371820038",
		};

		for (i = 0; i < ARRAY_SIZE(never); i++)
			if (find_event(&d, "fulfill", never[i], 0) != NULL)
				prob(&d.p, "order %s is never created in Shopify: no fulfill event", never[i]);
	}
	/* 29: line-level cancel, 26: whole order. */
	if (json_array_size(json_object_get(find_event(&d, "buyer_cancels", "576912004371820029", 0),
					    "line_item_ids")) != 1 ||
	    json_object_get(find_event(&d, "buyer_cancels", "576912004371820026", 0),
			    "line_item_ids") != NULL)
		prob(&d.p, "orders ...26 (whole) and ...29 (one line) must be cancelled by the buyer");
	/* 35 / 36: tracking edits of fulfillments pushed in run 1. */
	o = shopify_fulfillment(&d, js(find_event(&d, "edit_tracking", NULL, 0), "fulfillment_id"));
	if (!streq(js(o, "sourceIdentifier"), "576912004371820035"))
		prob(&d.p, "the first tracking edit must be on order ...35's fulfillment");
	o = shopify_fulfillment(&d, js(find_event(&d, "edit_tracking", NULL, 1), "fulfillment_id"));
	if (!streq(js(o, "sourceIdentifier"), "576912004371820036"))
		prob(&d.p, "the second tracking edit must be on order ...36's fulfillment");
	o = json_object_get(d.t.orders, "576912004371820036");
	if (json_integer_value(json_object_get(o, "rts_time")) > -72 * 3600)
		prob(&d.p, "order ...36 must have shipped more than 72 h ago");
	/* 42: two fulfillments, two carriers. */
	n = 0;
	while (find_event(&d, "fulfill", "576912004371820042", (int)n) != NULL)
		n++;
	if (n != 2)
		prob(&d.p, "order ...42 must be fulfilled twice");
	/* Every tracking number is used once, except where a case wants the
	 * same number on both platforms (17: Shopify = Seller Center; 36:
	 * the other connector's fulfillment = TikTok's package), and every
	 * edit really changes the number. */
	{
		json_t *count = json_object(), *li, *f, *v;
		const char *num_k;
		size_t j;

#define COUNT(num) do { const char *n_ = (num); if (n_ && *n_) \
		json_object_set_new(count, n_, json_integer(json_integer_value(json_object_get(count, n_)) + 1)); \
	} while (0)
		json_array_foreach(json_object_get(d.t.root, "orders"), i, o) {
			json_t *pkgs = json_object();

			json_array_foreach(json_object_get(o, "line_items"), j, li)
				if (js(li, "package_id"))
					json_object_set(pkgs, js(li, "package_id"), li);
			json_object_foreach(pkgs, num_k, li)
				COUNT(js(li, "tracking_number"));
			json_decref(pkgs);
		}
		json_array_foreach(json_object_get(d.s.root, "orders"), i, o)
			json_array_foreach(json_object_get(o, "fulfillments"), j, f)
				COUNT(js(f, "number"));
		json_array_foreach(d.events, i, ev) {
			COUNT(js(ev, "number"));
			COUNT(js(ev, "tracking_number"));
			if (streq(js(ev, "type"), "edit_tracking")) {
				o = shopify_fulfillment(&d, js(ev, "fulfillment_id"));
				json_array_foreach(json_object_get(o, "fulfillments"), j, f)
					if (streq(js(f, "id"), js(ev, "fulfillment_id")) &&
					    streq(js(f, "number"), js(ev, "number")))
						prob(&d.p, "event %zu: the edit keeps the same number", i);
			}
		}
#undef COUNT
		json_object_foreach(count, num_k, v) {
			json_int_t want = 1;

			if (streq(num_k, js(json_object_get(d.t.orders, "576912004371820017"),
					    "tracking_number")) ||
			    streq(num_k, js(json_object_get(d.t.orders, "576912004371820036"),
					    "tracking_number")))
				want = 2;
			if (json_integer_value(v) != want)
				prob(&d.p, "tracking number %s is used %lld times, expected %lld", num_k,
				     (long long)json_integer_value(v), (long long)want);
		}
		json_decref(count);
	}
	/* 31: the missing variant arrives. */
	ev = find_event(&d, "add_variant", NULL, 0);
	if (!streq(js(ev, "sku"), SKU_ADDED_LATER))
		prob(&d.p, "the add_variant event must add %s", SKU_ADDED_LATER);
	assert_no_probs(&d.p, "demo cases");
	demo_free(&d);
}
END_TEST

/* A money field that parses to a non-zero amount. */
static int nonzero(json_t *obj, const char *key)
{
	struct err e;
	money_t v = 0;
	const char *s = js(obj, key);

	return s != NULL && money_parse(s, 2, &v, key, &e) == 0 && v != 0;
}

/* The demo exercises every rule of SPEC.md and issues 3-4. */
START_TEST(demo_covers_every_case)
{
	struct demo d;
	json_t *o, *li, *x;
	size_t i, k;
	static const char *const statuses[] = {
		"UNPAID", "ON_HOLD", "AWAITING_SHIPMENT", "PARTIALLY_SHIPPING",
		"AWAITING_COLLECTION", "IN_TRANSIT", "DELIVERED", "COMPLETED", "CANCELLED",
	};
	static const char *const event_types[] = {
		"fulfill", "edit_tracking", "add_variant", "buy_label", "carrier_pickup",
		"delivered", "buyer_pays", "hold_ends", "buyer_cancels",
	};
	int fbt = 0, gift = 0, sample = 0, sd = 0, pd = 0, ship_pd = 0, ship_sd = 0, cof = 0;
	int ship_tax = 0, rdf_co = 0, mixed_tax = 0, tt_await = 0, tt_collect = 0, partial2 = 0;
	int cancel_req = 0, multi_unit = 0, multi_sku = 0, cjk = 0, accent = 0, county_l2 = 0;
	int formula = 0, script = 0, tt_masked = 0;
	int seen[ARRAY_SIZE(statuses)] = {0};

	demo_load(&d);
	json_array_foreach(json_object_get(d.t.root, "orders"), i, o) {
		json_t *pay = json_object_get(o, "payment"), *addr = json_object_get(o, "recipient_address");
		json_t *skus = json_object();
		const char *st = js(o, "status"), *msg = js(o, "buyer_message");
		int taxed = 0, untaxed = 0, max_units = 0;
		const char *name = js(addr, "name");

		for (k = 0; k < ARRAY_SIZE(statuses); k++)
			seen[k] |= streq(st, statuses[k]);
		fbt |= streq(js(o, "fulfillment_type"), "FULFILLMENT_BY_TIKTOK");
		sample |= json_is_true(json_object_get(o, "is_sample_order"));
		cancel_req |= json_is_true(json_object_get(o, "is_buyer_request_cancel"));
		ship_pd |= nonzero(pay, "shipping_fee_platform_discount");
		ship_sd |= nonzero(pay, "shipping_fee_seller_discount");
		cof |= nonzero(pay, "shipping_fee_cofunded_discount");
		ship_tax |= nonzero(pay, "shipping_fee_tax");
		if (nonzero(pay, "retail_delivery_fee")) {
			json_array_foreach(json_object_get(addr, "district_info"), k, x)
				rdf_co |= streq(js(x, "address_name"), "Colorado");
		}
		tt_await |= streq(js(o, "shipping_type"), "TIKTOK") && streq(st, "AWAITING_SHIPMENT");
		tt_collect |= streq(js(o, "shipping_type"), "TIKTOK") && streq(st, "AWAITING_COLLECTION");
		partial2 |= streq(st, "PARTIALLY_SHIPPING") &&
			    json_array_size(json_object_get(o, "packages")) >= 2;
		tt_masked |= streq(js(o, "shipping_type"), "TIKTOK") && name && strstr(name, "***");
		json_array_foreach(json_object_get(o, "line_items"), k, li) {
			const char *sku = js(li, "seller_sku");
			json_int_t c = json_integer_value(json_object_get(skus, sku)) + 1;

			json_object_set_new(skus, sku, json_integer(c));
			if (c > max_units)
				max_units = (int)c;
			gift |= json_is_true(json_object_get(li, "is_gift")) &&
				js(li, "gift_retail_price") != NULL;
			sd |= nonzero(li, "seller_discount");
			pd |= nonzero(li, "platform_discount");
			if (json_array_size(json_object_get(li, "item_tax")) > 0)
				taxed++;
			else if (nonzero(li, "sale_price"))
				untaxed++;
		}
		mixed_tax |= taxed > 0 && untaxed > 0;
		multi_unit |= max_units >= 3;
		multi_sku |= json_object_size(skus) >= 3;
		json_decref(skus);
		if (name) {
			for (k = 0; name[k]; k++) {
				unsigned char c = (unsigned char)name[k];

				cjk |= c >= 0xE4 && c <= 0xE9;
				accent |= c == 0xC3;
			}
		}
		json_array_foreach(json_object_get(addr, "district_info"), k, x)
			county_l2 |= streq(js(x, "address_level"), "L2") &&
				     streq(js(x, "address_level_name"), "County") &&
				     js(addr, "address_line2") && *js(addr, "address_line2");
		formula |= msg && *msg == '=';
		script |= msg && strstr(msg, "<script>") != NULL;
	}
	for (k = 0; k < ARRAY_SIZE(statuses); k++)
		if (!seen[k])
			prob(&d.p, "no order in status %s", statuses[k]);
	for (k = 0; k < ARRAY_SIZE(event_types); k++)
		if (find_event(&d, event_types[k], NULL, 0) == NULL)
			prob(&d.p, "no %s event", event_types[k]);
#define NEED(flag, what) do { if (!(flag)) prob(&d.p, "no order with %s", what); } while (0)
	NEED(fbt, "Fulfilled by TikTok");
	NEED(gift, "a gift line");
	NEED(sample, "an affiliate sample");
	NEED(sd && pd, "seller and platform discounts on lines");
	NEED(ship_pd, "a platform shipping discount");
	NEED(ship_sd, "a seller shipping discount");
	NEED(cof, "a co-funded shipping discount");
	NEED(ship_tax, "shipping tax");
	NEED(rdf_co, "the Colorado retail delivery fee");
	NEED(mixed_tax, "taxed and untaxed lines together");
	NEED(tt_await, "TikTok shipping awaiting its label");
	NEED(tt_collect, "TikTok shipping awaiting collection");
	NEED(partial2, "a partially shipped order with two packages");
	NEED(cancel_req, "a pending cancel request");
	NEED(multi_unit, "3 units of one SKU");
	NEED(multi_sku, "3 SKUs");
	NEED(cjk && accent, "CJK and accented names");
	NEED(county_l2, "a county and address_line2");
	NEED(formula && script, "formula and script injection in buyer messages");
	NEED(tt_masked, "a TikTok-shipping order with a desensitised name");
#undef NEED
	assert_no_probs(&d.p, "demo coverage");
	demo_free(&d);
}
END_TEST

/* CASES.md names every order exactly once in its table, and no other. */
START_TEST(demo_cases_md_matches)
{
	struct probs p = {STRBUF_INIT, 0};
	struct tt t;
	char *tp = demo_path("tiktok.json"), *cp = demo_path("CASES.md");
	char *text = read_file(cp, NULL), *line, *save = NULL;
	json_t *seen = json_object(), *o;
	size_t i;

	ck_assert_msg(text != NULL, "%s is missing", cp);
	tt_load(&t, tp, &p);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char id[19];
		int num, used = 0;

		/* Rows of the cases table: "| NN | `<18 digits>` | ..." */
		if (sscanf(line, "| %d | `%18[0-9]`%n", &num, id, &used) != 2 || used == 0 ||
		    !digits_only(id, 18))
			continue;
		if (json_object_get(seen, id) != NULL)
			prob(&p, "CASES.md: order %s has two rows", id);
		json_object_set_new(seen, id, json_true());
		if (json_object_get(t.orders, id) == NULL)
			prob(&p, "CASES.md: order %s is not in tiktok.json", id);
	}
	json_array_foreach(json_object_get(t.root, "orders"), i, o)
		if (json_object_get(seen, js(o, "id")) == NULL)
			prob(&p, "CASES.md: no row for order %s", js(o, "id"));
	assert_no_probs(&p, "CASES.md");
	json_decref(seen);
	tt_free(&t);
	free(text);
	free(tp);
	free(cp);
}
END_TEST

START_TEST(demo_passes_tiktok_spec_check)
{
	struct tt t;
	struct probs p = {STRBUF_INIT, 0};
	char *tp = demo_path("tiktok.json");

	tt_load(&t, tp, &p);
	sb_free(&p.sb);
	assert_spec_ok(json_object_get(t.root, "orders"), "demo");
	tt_free(&t);
	free(tp);
}
END_TEST

/* ---- the generator ----------------------------------------------------------- */

/* Run fixturegen with extra args into a new directory; returns the dir. */
static char *gen(const char *tag, const char *orders, const char *seed, const char *share,
		 const char *days)
{
	char *dir = make_tmpdir(tag), *bin = path_join(build_dir(), "fixturegen");
	char *out = xasprintf("%s/fixturegen.out", dir), *text;
	char *argv[16];
	int n = 0, rc;

	argv[n++] = bin;
	argv[n++] = "--orders";
	argv[n++] = (char *)orders;
	argv[n++] = "--seed";
	argv[n++] = (char *)seed;
	argv[n++] = "--out";
	argv[n++] = dir;
	if (share) {
		argv[n++] = "--tiktok-share";
		argv[n++] = (char *)share;
	}
	if (days) {
		argv[n++] = "--days";
		argv[n++] = (char *)days;
	}
	argv[n] = NULL;
	rc = run(argv, out);
	text = read_file(out, NULL);
	ck_assert_msg(rc == 0, "%s exited %d: %s", bin, rc, text ? text : "");
	free(text);
	free(out);
	free(bin);
	return dir;
}

/* Invariants of a generated pair; counts TikTok-shipping orders. */
static void check_generated(const char *dir, size_t norders, int64_t days, size_t *ntiktok)
{
	struct probs p = {STRBUF_INIT, 0};
	struct tt t;
	struct sh s = {0};
	char *tp = path_join(dir, "tiktok.json"), *sp = path_join(dir, "shopify.json");
	json_t *o, *pr;
	size_t i, n = 0;
	const char *sku;

	tt_load(&t, tp, &p);
	sh_load(&s, sp, &p);
	if (json_array_size(json_object_get(t.root, "orders")) != norders)
		prob(&p, "expected %zu orders, found %zu", norders,
		     json_array_size(json_object_get(t.root, "orders")));
	check_orders(&t, days, 0, &p);
	check_skus(&t, &s, NULL, &p);
	json_object_foreach(s.by_sku, sku, pr)
		if (json_array_size(pr) != 1 || *sku == '\0')
			prob(&p, "SKU '%s' is not unique in Shopify", sku);
	json_array_foreach(json_object_get(t.root, "orders"), i, o) {
		if (!streq(js(o, "status"), "AWAITING_SHIPMENT") ||
		    !streq(js(o, "fulfillment_type"), "FULFILLMENT_BY_SELLER"))
			prob(&p, "order %s is not eligible", js(o, "id"));
		n += streq(js(o, "shipping_type"), "TIKTOK");
	}
	if (json_array_size(json_object_get(s.root, "orders")) != 0)
		prob(&p, "the generated Shopify store must start without orders");
	assert_no_probs(&p, dir);
	*ntiktok = n;
	sh_free(&s);
	tt_free(&t);
	free(tp);
	free(sp);
}

START_TEST(gen_invariants_two_seeds)
{
	size_t ntt;
	char *a = gen("seed1", "400", "1", NULL, NULL);
	char *b = gen("seed2", "250", "18446744073709551615", "30", "3");

	check_generated(a, 400, 6, &ntt);
	/* Default share is 50%: a fair mix, not all of one kind. */
	ck_assert_msg(ntt > 120 && ntt < 280, "400 orders at 50%% gave %zu TikTok-shipping", ntt);
	check_generated(b, 250, 3, &ntt);
	ck_assert_msg(ntt > 40 && ntt < 120, "250 orders at 30%% gave %zu TikTok-shipping", ntt);
	rm_tree(a);
	rm_tree(b);
	free(a);
	free(b);
}
END_TEST

START_TEST(gen_share_extremes)
{
	size_t ntt;
	char *a = gen("share0", "120", "5", "0", "1");
	char *b = gen("share100", "120", "5", "100", "30");

	check_generated(a, 120, 1, &ntt);
	ck_assert_uint_eq(ntt, 0);
	check_generated(b, 120, 30, &ntt);
	ck_assert_uint_eq(ntt, 120);
	rm_tree(a);
	rm_tree(b);
	free(a);
	free(b);
}
END_TEST

static int same_file(const char *a, const char *b)
{
	size_t la, lb;
	char *x = read_file(a, &la), *y = read_file(b, &lb);
	int same = x && y && la == lb && memcmp(x, y, la) == 0;

	free(x);
	free(y);
	return same;
}

START_TEST(gen_deterministic)
{
	char *a = gen("det-a", "3000", "42", NULL, NULL);
	char *b = gen("det-b", "3000", "42", NULL, NULL);
	char *c = gen("det-c", "3000", "43", NULL, NULL);
	const char *files[] = {"tiktok.json", "shopify.json"};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		char *fa = path_join(a, files[i]), *fb = path_join(b, files[i]),
		     *fc = path_join(c, files[i]);

		ck_assert_msg(same_file(fa, fb), "seed 42 twice gave different %s", files[i]);
		ck_assert_msg(!same_file(fa, fc), "seeds 42 and 43 gave the same %s", files[i]);
		free(fa);
		free(fb);
		free(fc);
	}
	rm_tree(a);
	rm_tree(b);
	rm_tree(c);
	free(a);
	free(b);
	free(c);
}
END_TEST

START_TEST(gen_passes_tiktok_spec_check)
{
	struct tt t;
	struct probs p = {STRBUF_INIT, 0};
	char *dir = gen("spec", "300", "7", "50", NULL), *tp = path_join(dir, "tiktok.json");

	tt_load(&t, tp, &p);
	sb_free(&p.sb);
	assert_spec_ok(json_object_get(t.root, "orders"), "generated");
	tt_free(&t);
	rm_tree(dir);
	free(dir);
	free(tp);
}
END_TEST

START_TEST(gen_command_line)
{
	char *dir = make_tmpdir("usage"), *bin = path_join(build_dir(), "fixturegen");
	char *out = path_join(dir, "out"), *text;
	static const char *const flags[] = {"--orders", "--seed", "--out", "--tiktok-share",
					    "--days", "--help"};
	size_t i;

	{
		char *argv[] = {bin, "--help", NULL};

		ck_assert_int_eq(run(argv, out), 0);
	}
	text = read_file(out, NULL);
	ck_assert_ptr_nonnull(text);
	for (i = 0; i < ARRAY_SIZE(flags); i++)
		ck_assert_msg(strstr(text, flags[i]) != NULL, "--help does not document %s", flags[i]);
	free(text);
	{
		char *no_orders[] = {bin, "--seed", "1", "--out", dir, NULL};
		char *bad_share[] = {bin, "--orders", "5", "--seed", "1", "--out", dir,
				     "--tiktok-share", "101", NULL};
		char *bad_orders[] = {bin, "--orders", "12x", "--seed", "1", "--out", dir, NULL};
		char *unknown[] = {bin, "--orders", "5", "--seed", "1", "--out", dir, "--fast", NULL};

		ck_assert_int_eq(run(no_orders, out), 2);
		ck_assert_int_eq(run(bad_share, out), 2);
		ck_assert_int_eq(run(bad_orders, out), 2);
		ck_assert_int_eq(run(unknown, out), 2);
	}
	rm_tree(dir);
	free(dir);
	free(bin);
	free(out);
}
END_TEST

static Suite *fixtures_suite(void)
{
	Suite *s = suite_create("fixtures");
	TCase *demo = tcase_create("demo"), *gen_tc = tcase_create("generator");

	tcase_set_timeout(demo, TEST_TIMEOUT);
	tcase_set_timeout(gen_tc, TEST_TIMEOUT);
	tcase_add_test(demo, demo_tiktok_invariants);
	tcase_add_test(demo, demo_skus_link);
	tcase_add_test(demo, demo_events_refer_to_real_things);
	tcase_add_test(demo, demo_events_make_the_cases);
	tcase_add_test(demo, demo_covers_every_case);
	tcase_add_test(demo, demo_cases_md_matches);
	tcase_add_test(demo, demo_passes_tiktok_spec_check);
	tcase_add_test(gen_tc, gen_invariants_two_seeds);
	tcase_add_test(gen_tc, gen_share_extremes);
	tcase_add_test(gen_tc, gen_deterministic);
	tcase_add_test(gen_tc, gen_passes_tiktok_spec_check);
	tcase_add_test(gen_tc, gen_command_line);
	suite_add_tcase(s, demo);
	suite_add_tcase(s, gen_tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fixtures_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
