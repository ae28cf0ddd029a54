/*
 * fixturegen.c - the seeded generator of synthetic store data for the
 * benchmarks: N eligible TikTok Shop orders (Fulfilled by Seller, awaiting
 * shipment; seller shipping and TikTok shipping mixed by a percentage)
 * and the Shopify catalogue their SKUs link to, written as the two fixture
 * files the emulators load (tests/emulator/README.md):
 *
 *   fixturegen --orders N --seed S --out DIR [--tiktok-share P] [--days D]
 *
 * Orders are built like the demo store's (fixtures/demo/): 202309 field
 * names, money and ids as strings, times as relative seconds, one line
 * item per unit, and payment arithmetic exact to the cent (per-unit sale
 * price = original - seller discount - platform discount; per-unit sales
 * tax rounded half up; shipping fee, shipping tax, retail delivery fee;
 * total = sub_total + shipping_fee + tax + retail_delivery_fee).
 *
 * Determinism: splitmix64 seeded with S draws the catalogue, and order i
 * draws from its own stream (S, i), so the bytes depend on the arguments
 * only: no clock, no rand(), not the number of threads.
 *
 * Size: 100,000 orders make a ~250 MB tiktok.json. Building that as one
 * Jansson tree would need gigabytes, so the file is streamed: the envelope
 * keys and each order are separate Jansson values, each dumped by Jansson
 * (all escaping is Jansson's); only the separators between them are
 * written here. Orders are built by a few threads, a chunk each, and
 * written in order. Owns the catalogue and one chunk of dumped orders per
 * thread.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DAY 86400
#define DEFAULT_DAYS 6		/* inside ttsync's 7-day first-run backfill */
#define DEFAULT_TIKTOK_SHARE 50	/* percent of orders with TikTok shipping */
#define MAX_ORDERS 10000000	/* ids and line ids stay 18 digits below this */
#define MIN_SKUS 20		/* catalogue size: N / ORDERS_PER_SKU, within [MIN, MAX] */
#define MAX_SKUS 2000
#define ORDERS_PER_SKU 10
#define NEWEST_OFFSET 600	/* the newest order is 10 min old: paid and released */
#define HOLD_SECONDS 3600	/* US ON_HOLD lasts about an hour after payment */

/* Id bases (18-digit order and line ids, 19-digit TikTok catalogue ids);
 * distinct from the demo store's, so both can be loaded side by side. */
#define ORDER_ID_BASE 578000000000000000ULL
#define LINE_ID_BASE 579000000000000000ULL	/* + order index * 16 + unit */
#define PRODUCT_ID_BASE 1729700000000000000ULL
#define SKU_ID_BASE 1729800000000000000ULL
#define USER_ID_BASE 7021436810400000000ULL

/* ---- the PRNG: splitmix64 ------------------------------------------------ */

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n) (n > 0), without modulo bias worth mentioning. */
static uint64_t rng_below(struct rng *r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

/* 1 with probability pct percent. */
static int rng_pct(struct rng *r, unsigned pct)
{
	return rng_below(r, 100) < pct;
}

/* ---- fixed tables ------------------------------------------------------- */

/* TikTok US shipping providers: ids as TikTok serves them (19 digits),
 * tracking formats as POSIX EREs (the same as the demo store's). */
static const struct provider {
	const char *id, *name, *regex, *example;
} providers[] = {
	{"7117858858072016686", "USPS",
	 "^(9[1-5][0-9]{18,20}|420[0-9]{5}9[1-5][0-9]{18,20}|[A-Z]{2}[0-9]{9}US)$",
	 "9400111899223197428497"},
	{"7117859084333745966", "UPS", "^(1Z[0-9A-Z]{16}|T[0-9]{10})$",
	 "1Z999AA10123456784"},
	{"7117858858072049454", "FedEx",
	 "^([0-9]{12}|[0-9]{15}|[0-9]{20}|96[0-9]{20})$", "794612345670"},
	{"7212651637382874926", "DHL eCommerce", "^(GM[0-9]{16,18}|92612[0-9]{17})$",
	 "GM2951173225174494"},
	{"7248600717110167338", "OnTrac", "^([CD][0-9]{14}|1LS[0-9A-Z]{12,15})$",
	 "D10011234567890"},
	{"7255838906283394862", "Cainiao US", "^(LP[0-9]{14}|CNUS[A-Z0-9]{10,16})$",
	 "LP00412345678901"},
	{"7310405391620130606", "Amazon Shipping", "^TBA[0-9]{12}$",
	 "TBA312345678901"},
};

enum { P_USPS, P_UPS, P_FEDEX, P_DHL, P_ONTRAC, P_CAINIAO, P_AMAZON };

/* Delivery options: seller-shipping ones list the providers the seller may
 * use; TikTok-shipping ones the carriers TikTok buys labels from. */
static const struct option {
	const char *id, *name;
	int tiktok;		/* TikTok shipping (Get Shipping Providers: 21008117) */
	int64_t fee;		/* original shipping fee, cents */
	int providers[7];	/* indexes into providers[], -1 terminated */
} options[] = {
	{"7091146663229654785", "Standard Shipping", 0, 499,
	 {P_USPS, P_UPS, P_FEDEX, P_DHL, P_ONTRAC, P_CAINIAO, P_AMAZON}},
	{"7091146663229654801", "Express Shipping", 0, 1299, {P_UPS, P_FEDEX, P_USPS, -1}},
	{"7091146663229654817", "Economy Shipping", 0, 399,
	 {P_USPS, P_DHL, P_CAINIAO, P_ONTRAC, -1}},
	{"7129737251487082286", "Standard Shipping", 1, 599, {P_USPS, P_UPS, P_FEDEX, -1}},
	{"7129737251487082302", "Express Shipping", 1, 1299, {P_UPS, P_FEDEX, -1}},
	{"7129737251487082318", "Economy Shipping", 1, 399, {P_USPS, -1}},
};

/* Where buyers live: combined sales tax rate in millionths, whether the
 * state taxes shipping, and its retail delivery fee (CO on every order,
 * MN on orders of $100 or more). */
static const struct place {
	const char *city, *county, *state, *zip, *area;
	int64_t rate_micro;
	int ship_taxed;
	int64_t rdf, rdf_min_subtotal;
} places[] = {
	{"Redwood City", "San Mateo", "California", "94061", "650", 98750, 0, 0, 0},
	{"Los Angeles", "Los Angeles", "California", "90012", "213", 95000, 0, 0, 0},
	{"Brooklyn", "Kings", "New York", "11211", "347", 88750, 1, 0, 0},
	{"Austin", "Travis", "Texas", "78704", "512", 82500, 1, 0, 0},
	{"Houston", "Harris", "Texas", "77002", "713", 82500, 1, 0, 0},
	{"Denver", "Denver", "Colorado", "80205", "720", 91500, 0, 29, 0},
	{"Seattle", "King", "Washington", "98103", "206", 103500, 1, 0, 0},
	{"Portland", "Multnomah", "Oregon", "97214", "503", 0, 0, 0, 0},
	{"Philadelphia", "Philadelphia", "Pennsylvania", "19103", "215", 80000, 0, 0, 0},
	{"Atlanta", "DeKalb", "Georgia", "30307", "404", 89000, 1, 0, 0},
	{"Miami", "Miami-Dade", "Florida", "33131", "305", 70000, 0, 0, 0},
	{"Chicago", "Cook", "Illinois", "60614", "312", 102500, 0, 0, 0},
	{"Boise", "Ada", "Idaho", "83702", "208", 60000, 0, 0, 0},
	{"Nashville", "Davidson", "Tennessee", "37203", "615", 92500, 1, 0, 0},
	{"Phoenix", "Maricopa", "Arizona", "85004", "602", 86000, 0, 0, 0},
	{"Minneapolis", "Hennepin", "Minnesota", "55408", "612", 90250, 1, 50, 10000},
	{"Boston", "Suffolk", "Massachusetts", "02116", "617", 62500, 0, 0, 0},
	{"Anchorage", "Anchorage", "Alaska", "99501", "907", 0, 0, 0, 0},
	{"Columbus", "Franklin", "Ohio", "43215", "614", 80000, 1, 0, 0},
	{"Charlotte", "Mecklenburg", "North Carolina", "28202", "704", 72500, 1, 0, 0},
};

static const char *const first_names[] = {
	"Olivia", "Liam", "Emma", "Noah", "Ava", "Mateo", "Sofía", "José", "Zoë",
	"Chloé", "Aaliyah", "Jamal", "Mei", "Wei", "Priya", "Arjun", "Hannah",
	"Ethan", "Isabella", "Lucas", "Amara", "Kai", "Nora", "Diego", "Ingrid",
};
static const char *const last_names[] = {
	"Smith", "Johnson", "García", "Nguyễn", "Williams", "Brown", "Martínez",
	"Lee", "Patel", "Kim", "O'Brien", "Dubé", "Kowalski", "Okafor", "Chen",
	"Rodríguez", "Müller", "Jackson", "Hernández", "Wright",
};
static const char *const streets[] = {
	"Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Elm St", "Pine St",
	"Washington Blvd", "Lakeview Dr", "Sunset Blvd", "2nd Ave", "Park Pl",
	"Hillcrest Rd", "Broadway", "Mill Rd", "River Rd",
};
static const char *const unit_kinds[] = {"Apt", "Unit", "Ste", "Fl"};
static const char *const pay_methods[] = {
	"Visa", "Mastercard", "PayPal", "Apple Pay", "American Express", "Afterpay",
};
static const char *const relay_chars =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/* Catalogue words: product = adjective + noun, variants by colour/size. */
static const char *const adjectives[] = {
	"Classic", "Everyday", "Organic", "Vintage", "Ribbed", "Linen", "Recycled",
	"Heavyweight", "Cozy", "Minimal", "Handmade", "Travel",
};
static const struct noun {
	const char *name, *code;
	int64_t price_lo, price_hi;	/* dollars */
} nouns[] = {
	{"Tee", "TEE", 18, 35}, {"Hoodie", "HOOD", 40, 70}, {"Mug", "MUG", 14, 28},
	{"Tote", "TOTE", 16, 32}, {"Beanie", "BEAN", 15, 28}, {"Socks", "SOCK", 9, 18},
	{"Candle", "CNDL", 18, 38}, {"Cap", "CAP", 18, 30}, {"Scarf", "SCRF", 24, 48},
	{"Notebook", "NOTE", 8, 22}, {"Water Bottle", "BTL", 20, 40},
	{"Phone Case", "CASE", 12, 30},
};
static const struct colour {
	const char *name, *code;
} colours[] = {
	{"Black", "BLK"}, {"White", "WHT"}, {"Sand", "SND"}, {"Olive", "OLV"},
	{"Navy", "NVY"}, {"Rust", "RST"}, {"Heather Grey", "GRY"}, {"Blush", "BLS"},
};

/* ---- catalogue ---------------------------------------------------------- */

struct sku {
	char code[32];		/* seller SKU, unique */
	char product_name[64], sku_name[48], variant_title[48];
	int64_t price;		/* cents */
	size_t product;		/* index of its product */
	uint64_t sku_id;
};

struct product {
	char title[64];
	uint64_t product_id;
	size_t first, n;	/* its SKUs: skus[first .. first+n) */
};

struct catalogue {
	struct sku *skus;
	size_t nskus;
	struct product *products;
	size_t nproducts;
};

static void *xcalloc_or_die(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (p == NULL) {
		fprintf(stderr, "fixturegen: out of memory\n");
		exit(3);
	}
	return p;
}

/* Checked snprintf: -1 when the output did not fit. */
static int fmt_into(char *dst, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fmt_into(char *dst, size_t n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(dst, n, fmt, ap);
	va_end(ap);
	return (r < 0 || (size_t)r >= n) ? -1 : 0;
}

static int catalogue_build(struct catalogue *c, size_t nskus, struct rng *r)
{
	size_t i = 0, p = 0;

	c->skus = xcalloc_or_die(nskus, sizeof(*c->skus));
	c->products = xcalloc_or_die(nskus, sizeof(*c->products));
	while (i < nskus) {
		struct product *pr = &c->products[p];
		const struct noun *nn = &nouns[rng_below(r, sizeof(nouns) / sizeof(nouns[0]))];
		const char *adj = adjectives[rng_below(r, sizeof(adjectives) / sizeof(adjectives[0]))];
		size_t nv = 1 + (size_t)rng_below(r, 4), v, c0;
		int64_t price = (nn->price_lo + (int64_t)rng_below(r,
				 (uint64_t)(nn->price_hi - nn->price_lo + 1))) * 100;
		static const int64_t endings[] = {0, 0, 50, 99, -1};

		price += endings[rng_below(r, 5)];
		if (nv > nskus - i)
			nv = nskus - i;
		if (fmt_into(pr->title, sizeof(pr->title), "%s %s", adj, nn->name) != 0)
			return -1;
		pr->product_id = PRODUCT_ID_BASE + p;
		pr->first = i;
		pr->n = nv;
		c0 = (size_t)rng_below(r, sizeof(colours) / sizeof(colours[0]));
		for (v = 0; v < nv; v++, i++) {
			struct sku *s = &c->skus[i];
			const struct colour *col = &colours[(c0 + v) % (sizeof(colours) / sizeof(colours[0]))];

			if (fmt_into(s->code, sizeof(s->code), "%s-%05zu-%s", nn->code, p + 1, col->code) != 0 ||
			    fmt_into(s->product_name, sizeof(s->product_name), "%s", pr->title) != 0 ||
			    fmt_into(s->sku_name, sizeof(s->sku_name), "%s", col->name) != 0 ||
			    fmt_into(s->variant_title, sizeof(s->variant_title), "%s", col->name) != 0)
				return -1;
			s->price = price;
			s->product = p;
			s->sku_id = SKU_ID_BASE + i;
		}
		p++;
	}
	c->nskus = nskus;
	c->nproducts = p;
	return 0;
}

static void catalogue_free(struct catalogue *c)
{
	free(c->skus);
	free(c->products);
}

/* ---- JSON helpers ------------------------------------------------------- */

/* Decimal digits of v into the end of buf; returns the start. */
static char *u64_digits(uint64_t v, char *end)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return end;
}

/* Cents as TikTok writes them: "12.34" (never negative here). */
static json_t *money(int64_t cents)
{
	char buf[32], *end = buf + sizeof(buf), *p;
	uint64_t a = (uint64_t)(cents < 0 ? -cents : cents);

	*--end = (char)('0' + a % 10);
	*--end = (char)('0' + a / 10 % 10);
	*--end = '.';
	p = u64_digits(a / 100, end);
	if (cents < 0)
		*--p = '-';
	return json_stringn_nocheck(p, (size_t)(buf + sizeof(buf) - p));
}

static json_t *id_str(uint64_t id)
{
	char buf[24], *p = u64_digits(id, buf + sizeof(buf));

	return json_stringn_nocheck(p, (size_t)(buf + sizeof(buf) - p));
}

/* "0.0825" from 82500 millionths. */
static json_t *rate_str(int64_t micro)
{
	char buf[32];
	size_t n;

	if (fmt_into(buf, sizeof(buf), "%" PRId64 ".%06" PRId64, micro / 1000000, micro % 1000000) != 0)
		abort();
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '0')
		buf[--n] = '\0';
	return json_string(buf);
}

/* Round half up of cents * rate (millionths); amounts are never negative. */
static int64_t tax_of(int64_t cents, int64_t rate_micro)
{
	return (cents * rate_micro + 500000) / 1000000;
}

/* Add a new value (reference stolen). */
static void set(json_t *o, const char *k, json_t *v)
{
	json_object_set_new_nocheck(o, k, v);
}

/* Add a shared, never-modified value (reference kept by the caller):
 * constants are built once, not once per order. */
static void put(json_t *o, const char *k, json_t *v)
{
	json_object_set_nocheck(o, k, v);
}

/* Values every order uses, built once. */
struct shared {
	json_t *usd, *zero, *empty, *awaiting, *fbs, *seller, *tiktok, *home;
	json_t *sales_tax, *tiktok_shop, *normal, *region_us, *warehouse, *message;
	json_t *pay_methods[sizeof(pay_methods) / sizeof(pay_methods[0])];
	json_t *opt_id[sizeof(options) / sizeof(options[0])];
	json_t *opt_name[sizeof(options) / sizeof(options[0])];
	json_t *place_rate[sizeof(places) / sizeof(places[0])];
	json_t *place_zip[sizeof(places) / sizeof(places[0])];
	json_t *place_district[sizeof(places) / sizeof(places[0])];
	/* per SKU, parallel to the catalogue */
	json_t **sku_code, **sku_pname, **sku_sname, **sku_id, **sku_pid, **sku_price;
	size_t nskus;
};

static json_t *district_info(const struct place *pl)
{
	static const char *const lv[] = {"L0", "L1", "L2", "L3"};
	static const char *const names[] = {"Country", "State", "County", "City"};
	const char *nm[4];
	json_t *d = json_array();
	size_t i;

	nm[0] = "United States";
	nm[1] = pl->state;
	nm[2] = pl->county;
	nm[3] = pl->city;
	for (i = 0; i < 4; i++)
		json_array_append_new(d, json_pack("{s:s, s:s, s:s}", "address_level", lv[i],
						   "address_level_name", names[i],
						   "address_name", nm[i]));
	return d;
}

static void shared_build(struct shared *sh, const struct catalogue *c)
{
	size_t i;

	sh->usd = json_string("USD");
	sh->zero = json_string("0");
	sh->empty = json_string("");
	sh->awaiting = json_string("AWAITING_SHIPMENT");
	sh->fbs = json_string("FULFILLMENT_BY_SELLER");
	sh->seller = json_string("SELLER");
	sh->tiktok = json_string("TIKTOK");
	sh->home = json_string("HOME_DELIVERY");
	sh->sales_tax = json_string("SALES_TAX");
	sh->tiktok_shop = json_string("TIKTOK_SHOP");
	sh->normal = json_string("NORMAL");
	sh->region_us = json_string("US");
	sh->warehouse = json_string("7000714532876273410");
	sh->message = json_string("Please leave at the front door.");
	for (i = 0; i < sizeof(pay_methods) / sizeof(pay_methods[0]); i++)
		sh->pay_methods[i] = json_string(pay_methods[i]);
	for (i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
		sh->opt_id[i] = json_string(options[i].id);
		sh->opt_name[i] = json_string(options[i].name);
	}
	for (i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
		sh->place_rate[i] = rate_str(places[i].rate_micro);
		sh->place_zip[i] = json_string(places[i].zip);
		sh->place_district[i] = district_info(&places[i]);
	}
	sh->nskus = c->nskus;
	sh->sku_code = xcalloc_or_die(c->nskus, sizeof(json_t *));
	sh->sku_pname = xcalloc_or_die(c->nskus, sizeof(json_t *));
	sh->sku_sname = xcalloc_or_die(c->nskus, sizeof(json_t *));
	sh->sku_id = xcalloc_or_die(c->nskus, sizeof(json_t *));
	sh->sku_pid = xcalloc_or_die(c->nskus, sizeof(json_t *));
	sh->sku_price = xcalloc_or_die(c->nskus, sizeof(json_t *));
	for (i = 0; i < c->nskus; i++) {
		const struct sku *s = &c->skus[i];

		sh->sku_code[i] = json_string(s->code);
		sh->sku_pname[i] = json_string(s->product_name);
		sh->sku_sname[i] = json_string(s->sku_name);
		sh->sku_id[i] = id_str(s->sku_id);
		sh->sku_pid[i] = id_str(c->products[s->product].product_id);
		sh->sku_price[i] = money(s->price);
	}
}

static void shared_free(struct shared *sh)
{
	json_t **all[] = {&sh->usd, &sh->zero, &sh->empty, &sh->awaiting, &sh->fbs, &sh->seller,
			  &sh->tiktok, &sh->home, &sh->sales_tax, &sh->tiktok_shop, &sh->normal,
			  &sh->region_us, &sh->warehouse, &sh->message};
	json_t ***per_sku[] = {&sh->sku_code, &sh->sku_pname, &sh->sku_sname, &sh->sku_id,
			       &sh->sku_pid, &sh->sku_price};
	size_t i, k;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		json_decref(*all[i]);
	for (i = 0; i < sizeof(sh->pay_methods) / sizeof(sh->pay_methods[0]); i++)
		json_decref(sh->pay_methods[i]);
	for (i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
		json_decref(sh->opt_id[i]);
		json_decref(sh->opt_name[i]);
	}
	for (i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
		json_decref(sh->place_rate[i]);
		json_decref(sh->place_zip[i]);
		json_decref(sh->place_district[i]);
	}
	for (k = 0; k < sizeof(per_sku) / sizeof(per_sku[0]); k++) {
		for (i = 0; *per_sku[k] != NULL && i < sh->nskus; i++)
			json_decref((*per_sku[k])[i]);
		free(*per_sku[k]);
		*per_sku[k] = NULL;
	}
}

/* ---- one order ---------------------------------------------------------- */

struct gen {
	uint64_t seed;
	struct rng r;		/* the current order's stream */
	const struct catalogue *cat;
	const struct shared *sh;
	unsigned tiktok_share;
	int64_t days;
	size_t norders;
};

struct unit {
	size_t sku;		/* index into the catalogue */
	int64_t orig, seller, platform, sale, tax;
	int gift;
};

#define MAX_UNITS 16		/* 4 SKUs x 3 units + a gift < 16 (line id stride) */

/* Stream k of a seed: each order draws from its own stream, so order i's
 * items do not depend on how many values earlier orders drew. */
static void rng_stream(struct rng *r, uint64_t seed, uint64_t k)
{
	struct rng m = {seed ^ (k * 0xD1B54A32D192ED03ULL)};

	r->s = rng_next(&m);
}

static json_t *address(struct gen *g, size_t place, int masked)
{
	const struct place *pl = &places[place];
	const struct shared *sh = g->sh;
	const char *first = first_names[rng_below(&g->r, sizeof(first_names) / sizeof(first_names[0]))];
	const char *last = last_names[rng_below(&g->r, sizeof(last_names) / sizeof(last_names[0]))];
	const char *street = streets[rng_below(&g->r, sizeof(streets) / sizeof(streets[0]))];
	unsigned num = 10 + (unsigned)rng_below(&g->r, 9990);
	unsigned phone = (unsigned)rng_below(&g->r, 100);
	int has_l2 = rng_pct(&g->r, 35);
	const char *kind = unit_kinds[rng_below(&g->r, sizeof(unit_kinds) / sizeof(unit_kinds[0]))];
	unsigned unit_no = 1 + (unsigned)rng_below(&g->r, 40);
	char l1[96], l2[32] = "", name[96], fn[48], ln[48], tel[32], full[256];
	json_t *a;

	if (fmt_into(l1, sizeof(l1), "%u %s", num, street) != 0 ||
	    (has_l2 && fmt_into(l2, sizeof(l2), "%s %u", kind, unit_no) != 0))
		return NULL;
	if (masked) {
		/* TikTok shipping: platform logistics desensitise name and phone. */
		if (fmt_into(fn, sizeof(fn), "%c***", first[0]) != 0 ||
		    fmt_into(ln, sizeof(ln), "%c***", last[0]) != 0 ||
		    fmt_into(tel, sizeof(tel), "(+1)%s-***-%04u", pl->area, 100 + phone) != 0)
			return NULL;
	} else if (fmt_into(fn, sizeof(fn), "%s", first) != 0 ||
		   fmt_into(ln, sizeof(ln), "%s", last) != 0 ||
		   fmt_into(tel, sizeof(tel), "(+1)%s555%04u", pl->area, 100 + phone) != 0) {
		return NULL;
	}
	if (fmt_into(name, sizeof(name), "%s %s", fn, ln) != 0 ||
	    fmt_into(full, sizeof(full), "%s%s%s, %s, %s, %s, %s", l1, has_l2 ? ", " : "", l2,
		     pl->city, pl->county, pl->state, pl->zip) != 0)
		return NULL;
	a = json_object();
	set(a, "name", json_string(name));
	set(a, "first_name", json_string(fn));
	set(a, "last_name", json_string(ln));
	set(a, "phone_number", json_string(tel));
	set(a, "address_line1", json_string(l1));
	set(a, "address_line2", has_l2 ? json_string(l2) : json_incref(sh->empty));
	put(a, "postal_code", sh->place_zip[place]);
	put(a, "region_code", sh->region_us);
	set(a, "full_address", json_string(full));
	put(a, "district_info", sh->place_district[place]);
	return a;
}

/* Order i (0-based) of n: create time spread evenly over the window, newest
 * last, with jitter inside its slot, so ids grow with time as TikTok's do. */
static json_t *make_order(struct gen *g, size_t i)
{
	const struct catalogue *c = g->cat;
	const struct shared *sh = g->sh;
	struct unit units[MAX_UNITS];
	size_t nunits = 0, nsku, k, u, chosen[4], place, oi;
	int tiktok, sample, gift, on_hold;
	const struct option *opt;
	const struct place *pl;
	int64_t span = g->days * DAY - NEWEST_OFFSET, slot, create, paid, update;
	int64_t o_orig = 0, o_sd = 0, o_pd = 0, o_sale = 0, o_ptax = 0;
	int64_t s_orig, s_sd = 0, s_pd = 0, s_cf = 0, ship, s_tax, rdf = 0, total;
	json_t *o, *pay, *lines, *addr;
	char email[64];
	uint64_t roll;

	rng_stream(&g->r, g->seed, i);
	tiktok = rng_pct(&g->r, g->tiktok_share);
	sample = rng_pct(&g->r, 1);
	gift = !sample && rng_pct(&g->r, 3);
	place = (size_t)rng_below(&g->r, sizeof(places) / sizeof(places[0]));
	pl = &places[place];

	/* Items: 1-4 distinct SKUs (mostly 1), 1-3 units each (mostly 1). */
	roll = rng_below(&g->r, 100);
	nsku = roll < 60 ? 1 : roll < 85 ? 2 : roll < 95 ? 3 : 4;
	if (nsku > c->nskus)
		nsku = c->nskus;
	for (k = 0; k < nsku; k++) {
		size_t s, j;
		int dup;

		do {
			s = (size_t)rng_below(&g->r, c->nskus);
			dup = 0;
			for (j = 0; j < k; j++)
				dup |= chosen[j] == s;
		} while (dup);
		chosen[k] = s;
	}
	for (k = 0; k < nsku; k++) {
		int64_t price = c->skus[chosen[k]].price, sd = 0, pd = 0;
		size_t cnt;

		roll = rng_below(&g->r, 100);
		cnt = roll < 75 ? 1 : roll < 93 ? 2 : 3;
		if (!sample && rng_pct(&g->r, 20))
			sd = price / 10;		/* seller promotion: 10% off */
		if (!sample && rng_pct(&g->r, 15)) {
			pd = 100 * (1 + (int64_t)rng_below(&g->r, 3));	/* platform coupon */
			if (pd > (price - sd) / 2)
				pd = (price - sd) / 2;
		}
		for (u = 0; u < cnt; u++) {
			struct unit *x = &units[nunits++];

			x->sku = chosen[k];
			x->gift = 0;
			x->orig = sample ? 0 : price;
			x->seller = sample ? 0 : sd;
			x->platform = sample ? 0 : pd;
		}
	}
	if (gift) {
		struct unit *x = &units[nunits++];

		x->sku = (size_t)rng_below(&g->r, c->nskus);
		x->gift = 1;
		x->orig = x->seller = x->platform = 0;
	}
	for (u = 0; u < nunits; u++) {
		struct unit *x = &units[u];

		x->sale = x->orig - x->seller - x->platform;
		x->tax = pl->rate_micro ? tax_of(x->sale, pl->rate_micro) : 0;
		o_orig += x->orig;
		o_sd += x->seller;
		o_pd += x->platform;
		o_sale += x->sale;
		o_ptax += x->tax;
	}

	/* Shipping: an option of the order's shipping type; promotions. */
	roll = rng_below(&g->r, 100);
	oi = (tiktok ? 3 : 0) + (roll < 70 ? 0 : roll < 85 ? 1 : 2);
	opt = &options[oi];
	s_orig = sample ? 0 : opt->fee;
	roll = rng_below(&g->r, 100);
	if (s_orig > 0) {
		if (roll < 30)
			s_pd = s_orig;			/* free shipping by TikTok */
		else if (roll < 40)
			s_sd = s_orig;			/* seller-paid free shipping */
		else if (roll < 45)
			s_cf = s_orig;			/* co-funded free shipping */
		else if (roll < 55)
			s_sd = s_orig / 2;		/* seller shipping discount */
	}
	ship = s_orig - s_sd - s_pd - s_cf;
	s_tax = (pl->ship_taxed && pl->rate_micro && o_ptax > 0) ? tax_of(ship, pl->rate_micro) : 0;
	if (pl->rdf > 0 && o_sale >= pl->rdf_min_subtotal && !sample)
		rdf = pl->rdf;
	total = o_sale + ship + o_ptax + s_tax + rdf;

	/* Times (relative to the emulator's start): evenly spread slots. */
	slot = span / (int64_t)g->norders;
	create = -g->days * DAY + (int64_t)i * span / (int64_t)g->norders +
		 (slot > 1 ? (int64_t)rng_below(&g->r, (uint64_t)slot) : 0);
	paid = create + 30 + (int64_t)rng_below(&g->r, 270);
	on_hold = rng_pct(&g->r, 50) && paid + HOLD_SECONDS < -60;
	update = on_hold ? paid + HOLD_SECONDS : paid;

	o = json_object();
	set(o, "id", id_str(ORDER_ID_BASE + i + 1));
	put(o, "status", sh->awaiting);
	put(o, "fulfillment_type", sh->fbs);
	put(o, "shipping_type", tiktok ? sh->tiktok : sh->seller);
	put(o, "delivery_type", sh->home);
	put(o, "delivery_option_id", sh->opt_id[oi]);
	put(o, "delivery_option_name", sh->opt_name[oi]);
	set(o, "create_time", json_integer(create));
	set(o, "paid_time", json_integer(paid));
	set(o, "update_time", json_integer(update));
	set(o, "rts_sla_time", json_integer(paid + 2 * DAY));
	set(o, "user_id", id_str(USER_ID_BASE + rng_below(&g->r, 100000000)));
	{
		char tok[12];
		size_t j;

		for (j = 0; j < 10; j++)
			tok[j] = relay_chars[rng_below(&g->r, 62)];
		tok[10] = '\0';
		if (fmt_into(email, sizeof(email), "%s@chat.seller.tiktok.com", tok) != 0)
			goto fail;
	}
	set(o, "buyer_email", json_string(email));
	put(o, "buyer_message", rng_pct(&g->r, 10) ? sh->message : sh->empty);
	put(o, "seller_note", sh->empty);
	set(o, "is_sample_order", json_boolean(sample));
	set(o, "is_on_hold_order", json_boolean(on_hold));
	set(o, "is_buyer_request_cancel", json_false());
	put(o, "commerce_platform", sh->tiktok_shop);
	put(o, "order_type", sh->normal);
	put(o, "warehouse_id", sh->warehouse);
	put(o, "payment_method_name", sample ? sh->empty :
	    sh->pay_methods[rng_below(&g->r, sizeof(pay_methods) / sizeof(pay_methods[0]))]);
	set(o, "packages", json_array());

	pay = json_object();
	put(pay, "currency", sh->usd);
	set(pay, "original_total_product_price", money(o_orig));
	set(pay, "seller_discount", o_sd ? money(o_sd) : json_incref(sh->zero));
	set(pay, "platform_discount", o_pd ? money(o_pd) : json_incref(sh->zero));
	set(pay, "sub_total", money(o_sale));
	set(pay, "original_shipping_fee", money(s_orig));
	set(pay, "shipping_fee_seller_discount", s_sd ? money(s_sd) : json_incref(sh->zero));
	set(pay, "shipping_fee_platform_discount", s_pd ? money(s_pd) : json_incref(sh->zero));
	set(pay, "shipping_fee_cofunded_discount", s_cf ? money(s_cf) : json_incref(sh->zero));
	set(pay, "shipping_fee", money(ship));
	set(pay, "product_tax", money(o_ptax));
	set(pay, "shipping_fee_tax", s_tax ? money(s_tax) : json_incref(sh->zero));
	set(pay, "tax", money(o_ptax + s_tax));
	set(pay, "retail_delivery_fee", rdf ? money(rdf) : json_incref(sh->zero));
	set(pay, "total_amount", money(total));
	set(o, "payment", pay);

	addr = address(g, place, tiktok);
	if (addr == NULL)
		goto fail;
	set(o, "recipient_address", addr);

	lines = json_array();
	for (u = 0; u < nunits; u++) {
		const struct unit *x = &units[u];
		json_t *li = json_object();

		set(li, "id", id_str(LINE_ID_BASE + (uint64_t)i * MAX_UNITS + u + 1));
		put(li, "sku_id", sh->sku_id[x->sku]);
		put(li, "product_id", sh->sku_pid[x->sku]);
		put(li, "seller_sku", sh->sku_code[x->sku]);
		put(li, "product_name", sh->sku_pname[x->sku]);
		put(li, "sku_name", sh->sku_sname[x->sku]);
		put(li, "currency", sh->usd);
		set(li, "original_price", money(x->orig));
		set(li, "sale_price", money(x->sale));
		set(li, "seller_discount", x->seller ? money(x->seller) : json_incref(sh->zero));
		set(li, "platform_discount", x->platform ? money(x->platform) : json_incref(sh->zero));
		set(li, "is_gift", json_boolean(x->gift));
		if (x->gift)
			put(li, "gift_retail_price", sh->sku_price[x->sku]);
		put(li, "display_status", sh->awaiting);
		if (x->tax > 0) {
			json_t *t = json_object();

			put(t, "tax_type", sh->sales_tax);
			set(t, "tax_amount", money(x->tax));
			put(t, "tax_rate", sh->place_rate[place]);
			set(li, "item_tax", json_pack("[o]", t));
		}
		json_array_append_new(lines, li);
	}
	set(o, "line_items", lines);
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* ---- streaming writer --------------------------------------------------- */

struct out {
	FILE *f;
	const char *path;
	int first;		/* no member written yet at this level */
	int failed;
	char *buf;		/* json_dumpb output, reused */
	size_t cap;
};

static void out_raw(struct out *o, const char *s)
{
	if (!o->failed && fputs(s, o->f) == EOF)
		o->failed = 1;
}

/* Dump one JSON value (stolen) with Jansson into the reusable buffer,
 * then write it in one go (json_dumpf's many small writes cost 3x). */
static void out_json(struct out *o, json_t *v)
{
	const size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
	size_t n;

	if (v == NULL) {
		o->failed = 1;
		return;
	}
	if (!o->failed) {
		n = json_dumpb(v, o->buf, o->cap, flags);
		if (n > o->cap) {
			free(o->buf);
			o->cap = n * 2;
			o->buf = xcalloc_or_die(o->cap, 1);
			n = json_dumpb(v, o->buf, o->cap, flags);
		}
		if (n == 0 || n > o->cap || fwrite(o->buf, 1, n, o->f) != n)
			o->failed = 1;
	}
	json_decref(v);
}

/* `"key":value` inside the top-level object. */
static void out_member(struct out *o, const char *key, json_t *v)
{
	out_raw(o, o->first ? "\n" : ",\n");
	o->first = 0;
	out_json(o, json_string(key));
	out_raw(o, ":");
	out_json(o, v);
}

static int out_open(struct out *o, const char *dir, const char *name, char *path, size_t n)
{
	memset(o, 0, sizeof(*o));
	if (fmt_into(path, n, "%s/%s", dir, name) != 0) {
		fprintf(stderr, "fixturegen: path too long: %s/%s\n", dir, name);
		return -1;
	}
	o->path = path;
	o->f = fopen(path, "w");
	if (o->f == NULL) {
		fprintf(stderr, "fixturegen: %s: %s\n", path, strerror(errno));
		return -1;
	}
	o->first = 1;
	out_raw(o, "{");
	return 0;
}

static int out_close(struct out *o)
{
	int ret = 0;

	out_raw(o, "\n}\n");
	if (o->failed)
		ret = -1;
	if (fclose(o->f) != 0)
		ret = -1;
	free(o->buf);
	o->buf = NULL;
	if (ret != 0)
		fprintf(stderr, "fixturegen: %s: write failed: %s\n", o->path, strerror(errno));
	return ret;
}

/* ---- orders, in parallel ------------------------------------------------- */

/* Orders are independent (each has its own PRNG stream), so they are built
 * and dumped by up to MAX_WORKERS threads, a chunk each, then written in
 * order: the bytes do not depend on the number of threads. Each worker
 * has its own copy of the shared constants. */
#define CHUNK_ORDERS 1024
#define MAX_WORKERS 8

struct job {
	struct gen g;		/* private copy: the stream is per thread */
	struct shared sh;	/* private constants: no refcount ping-pong between cores */
	int have_sh;
	size_t first, n;
	char *buf;
	size_t len, cap;
	int failed;
};

/* Make room for n more bytes. */
static void job_reserve(struct job *j, size_t n)
{
	size_t cap = j->cap ? j->cap : 64 * 1024;
	char *nb;

	if (j->len + n <= j->cap)
		return;
	while (cap < j->len + n)
		cap *= 2;
	nb = realloc(j->buf, cap);
	if (nb == NULL) {
		fprintf(stderr, "fixturegen: out of memory\n");
		exit(3);
	}
	j->buf = nb;
	j->cap = cap;
}

static void *job_run(void *arg)
{
	struct job *j = arg;
	const size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
	size_t i, need;

	j->len = 0;
	for (i = j->first; i < j->first + j->n && !j->failed; i++) {
		json_t *ord = make_order(&j->g, i);

		if (ord == NULL) {
			j->failed = 1;
			break;
		}
		job_reserve(j, 2);
		memcpy(j->buf + j->len, i ? ",\n" : "\n", i ? 2 : 1);
		j->len += i ? 2 : 1;
		need = json_dumpb(ord, j->buf + j->len, j->cap - j->len, flags);
		if (need > j->cap - j->len) {
			job_reserve(j, need);
			need = json_dumpb(ord, j->buf + j->len, j->cap - j->len, flags);
		}
		if (need == 0 || need > j->cap - j->len)
			j->failed = 1;
		else
			j->len += need;
		json_decref(ord);
	}
	return NULL;
}

static void write_orders(struct out *o, const struct gen *g)
{
	struct job jobs[MAX_WORKERS];
	pthread_t tids[MAX_WORKERS];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t w, nw = ncpu < 1 ? 1 : ncpu > MAX_WORKERS ? MAX_WORKERS : (size_t)ncpu;
	size_t next = 0;

	memset(jobs, 0, sizeof(jobs));
	while (next < g->norders && !o->failed) {
		size_t used = 0;
		int started[MAX_WORKERS] = {0};

		for (w = 0; w < nw && next < g->norders; w++, used++) {
			if (!jobs[w].have_sh) {
				shared_build(&jobs[w].sh, g->cat);
				jobs[w].have_sh = 1;
			}
			jobs[w].g = *g;
			jobs[w].g.sh = &jobs[w].sh;
			jobs[w].first = next;
			jobs[w].n = g->norders - next < CHUNK_ORDERS ? g->norders - next : CHUNK_ORDERS;
			next += jobs[w].n;
			/* The last job of a round runs here; the others in threads
			 * (a thread that cannot start runs here too). */
			if (w + 1 < nw && next < g->norders &&
			    pthread_create(&tids[w], NULL, job_run, &jobs[w]) == 0)
				started[w] = 1;
			else
				job_run(&jobs[w]);
		}
		for (w = 0; w < used; w++) {
			if (started[w])
				pthread_join(tids[w], NULL);
			if (jobs[w].failed)
				o->failed = 1;
			else if (!o->failed && fwrite(jobs[w].buf, 1, jobs[w].len, o->f) != jobs[w].len)
				o->failed = 1;
		}
	}
	for (w = 0; w < nw; w++) {
		free(jobs[w].buf);
		if (jobs[w].have_sh)
			shared_free(&jobs[w].sh);
	}
}

/* ---- the two files ------------------------------------------------------- */

static json_t *tiktok_providers(void)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < sizeof(providers) / sizeof(providers[0]); i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s}", "id", providers[i].id,
						   "name", providers[i].name,
						   "tracking_regex", providers[i].regex,
						   "tracking_example", providers[i].example));
	return a;
}

static json_t *tiktok_options(void)
{
	json_t *a = json_array();
	size_t i, k;

	for (i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
		json_t *ids = json_array();

		for (k = 0; k < 7 && options[i].providers[k] >= 0; k++)
			json_array_append_new(ids, json_string(providers[options[i].providers[k]].id));
		json_array_append_new(a, json_pack("{s:s, s:s, s:b, s:o}", "id", options[i].id,
						   "name", options[i].name,
						   "tiktok_fulfilled", options[i].tiktok,
						   "provider_ids", ids));
	}
	return a;
}

static int write_tiktok(struct gen *g, const char *dir)
{
	struct out o;
	char path[PATH_MAX];

	if (out_open(&o, dir, "tiktok.json", path, sizeof(path)) != 0)
		return -1;
	out_member(&o, "relative_times", json_true());
	out_member(&o, "clock", json_integer(0));
	out_member(&o, "app", json_pack("{s:s, s:s}", "app_key", "demo_app_key",
					"app_secret", "demo_app_secret"));
	out_member(&o, "shops", json_pack("[{s:s, s:s, s:s, s:s, s:s, s:s}]",
					  "id", "7494049642642441621", "name", "Synthetic Shop",
					  "region", "US", "seller_type", "LOCAL",
					  "cipher", "ROW_demo_cipher", "code", "USDEMO01"));
	out_member(&o, "tokens", json_pack("[{s:s, s:i, s:s, s:i, s:[s]}]",
					   "access_token", "TTP_demo_access",
					   "access_token_expire_in", 604800,
					   "refresh_token", "TTP_demo_refresh",
					   "refresh_token_expire_in", 31536000,
					   "shop_ciphers", "ROW_demo_cipher"));
	out_member(&o, "token_lifetime", json_integer(604800));
	out_member(&o, "rate_limit_qps", json_integer(50));
	out_member(&o, "providers", tiktok_providers());
	out_member(&o, "delivery_options", tiktok_options());
	out_raw(&o, ",\n");
	out_json(&o, json_string("orders"));
	out_raw(&o, ":[");
	write_orders(&o, g);
	out_raw(&o, "\n]");
	return out_close(&o);
}

static int write_shopify(const struct catalogue *c, const char *dir)
{
	struct out o;
	char path[PATH_MAX];
	json_t *prods = json_array();
	size_t p, k;

	if (out_open(&o, dir, "shopify.json", path, sizeof(path)) != 0) {
		json_decref(prods);
		return -1;
	}
	for (p = 0; p < c->nproducts; p++) {
		const struct product *pr = &c->products[p];
		json_t *vs = json_array();
		char gid[64];

		for (k = 0; k < pr->n; k++) {
			const struct sku *s = &c->skus[pr->first + k];
			json_t *v = json_object();

			if (fmt_into(gid, sizeof(gid), "gid://shopify/ProductVariant/%zu",
				     (size_t)45000000000ULL + pr->first + k + 1) != 0)
				abort();
			set(v, "id", json_string(gid));
			set(v, "sku", json_string(s->code));
			set(v, "title", json_string(s->variant_title));
			set(v, "price", money(s->price));
			json_array_append_new(vs, v);
		}
		if (fmt_into(gid, sizeof(gid), "gid://shopify/Product/%zu",
			     (size_t)9000000000ULL + p + 1) != 0)
			abort();
		json_array_append_new(prods, json_pack("{s:s, s:s, s:s, s:o}", "id", gid,
						       "title", pr->title, "status", "ACTIVE",
						       "variants", vs));
	}
	out_member(&o, "relative_times", json_true());
	out_member(&o, "shop", json_pack("{s:s, s:s, s:s}", "name", "Synthetic Store",
					 "myshopifyDomain", "demo-store.myshopify.com",
					 "currencyCode", "USD"));
	out_member(&o, "access_tokens", json_pack("[s]", "shpat_demo_token"));
	out_member(&o, "locations", json_pack("[{s:s, s:s}]", "id", "gid://shopify/Location/1",
					      "name", "Main warehouse"));
	out_member(&o, "next_order_number", json_integer(1001));
	out_member(&o, "limits", json_pack("{s:i, s:i, s:i, s:b}", "bucket_size", 2000,
					   "restore_rate", 100, "throttle_http_status", 200,
					   "dev_store_order_limit", 0));
	out_member(&o, "products", prods);
	out_member(&o, "orders", json_array());
	return out_close(&o);
}

/* ---- command line -------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
"usage: fixturegen --orders N --seed S --out DIR [--tiktok-share P] [--days D]\n"
"\n"
"Writes DIR/tiktok.json and DIR/shopify.json, the fixture files of\n"
"build/tiktok-emu and build/shopify-emu (tests/emulator/README.md), with N\n"
"synthetic orders for benchmarks. The same arguments always give the same\n"
"bytes.\n"
"\n"
"  --orders N        number of TikTok orders, 1..%d (required). Every order\n"
"                    is eligible for sync: Fulfilled by Seller, AWAITING_SHIPMENT,\n"
"                    1-4 SKUs of 1-3 units each (one line item per unit), with\n"
"                    exact payment arithmetic (discounts, taxes, shipping).\n"
"  --seed S          seed of the generator, an unsigned 64-bit integer (required).\n"
"  --out DIR         output directory (created if missing; files overwritten).\n"
"  --tiktok-share P  percent of orders with TikTok shipping (label bought on\n"
"                    TikTok); the rest use seller shipping. 0..100, default %d.\n"
"  --days D          create times spread over the last D days (relative to the\n"
"                    emulator's start; \"relative_times\": true), 1..30, default %d.\n"
"  --help            this text.\n"
"\n"
"The Shopify file holds one variant per generated SKU (every SKU links\n"
"uniquely), no orders, and the demo credentials. Exit status: 0 written,\n"
"2 usage error, 3 write or memory failure.\n",
		MAX_ORDERS, DEFAULT_TIKTOK_SHARE, DEFAULT_DAYS);
}

/* Strict unsigned decimal within [lo, hi]. */
static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int ensure_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0755) == 0)
		return 0;
	if (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	fprintf(stderr, "fixturegen: %s: %s\n", dir, errno == EEXIST ? "not a directory" : strerror(errno));
	return -1;
}

int main(int argc, char **argv)
{
	uint64_t norders = 0, seed = 0, share = DEFAULT_TIKTOK_SHARE, days = DEFAULT_DAYS;
	int have_orders = 0, have_seed = 0, i, ret = 3;
	const char *out = NULL;
	struct catalogue cat = {0};
	struct shared sh;
	int have_shared = 0;
	struct gen g;
	size_t nskus;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return fflush(stdout) == 0 ? 0 : 3;
		} else if (strcmp(a, "--orders") == 0) {
			if (parse_u64(v, 1, MAX_ORDERS, &norders) != 0)
				goto bad_value;
			have_orders = 1;
		} else if (strcmp(a, "--seed") == 0) {
			if (parse_u64(v, 0, UINT64_MAX, &seed) != 0)
				goto bad_value;
			have_seed = 1;
		} else if (strcmp(a, "--out") == 0) {
			if (v == NULL || *v == '\0')
				goto bad_value;
			out = v;
		} else if (strcmp(a, "--tiktok-share") == 0) {
			if (parse_u64(v, 0, 100, &share) != 0)
				goto bad_value;
		} else if (strcmp(a, "--days") == 0) {
			if (parse_u64(v, 1, 30, &days) != 0)
				goto bad_value;
		} else {
			fprintf(stderr, "fixturegen: unknown argument '%s'\n", a);
			usage(stderr);
			return 2;
		}
		i++;
		continue;
bad_value:
		fprintf(stderr, "fixturegen: %s: bad or missing value '%s' (see --help)\n", a,
			v ? v : "");
		return 2;
	}
	if (!have_orders || !have_seed || out == NULL) {
		fprintf(stderr, "fixturegen: --orders, --seed and --out are required\n");
		usage(stderr);
		return 2;
	}
	if (ensure_dir(out) != 0)
		return 3;

	memset(&g, 0, sizeof(g));
	g.seed = seed;
	g.r.s = seed;		/* the catalogue's stream */
	nskus = (size_t)(norders / ORDERS_PER_SKU);
	if (nskus < MIN_SKUS)
		nskus = MIN_SKUS;
	if (nskus > MAX_SKUS)
		nskus = MAX_SKUS;
	if (catalogue_build(&cat, nskus, &g.r) != 0) {
		fprintf(stderr, "fixturegen: catalogue names too long\n");
		goto cleanup;
	}
	shared_build(&sh, &cat);
	have_shared = 1;
	g.cat = &cat;
	g.sh = &sh;
	g.tiktok_share = (unsigned)share;
	g.days = (int64_t)days;
	g.norders = (size_t)norders;
	if (write_shopify(&cat, out) != 0 || write_tiktok(&g, out) != 0)
		goto cleanup;
	ret = 0;
cleanup:
	if (have_shared)
		shared_free(&sh);
	catalogue_free(&cat);
	return ret;
}
