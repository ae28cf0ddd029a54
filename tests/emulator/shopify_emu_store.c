/*
 * shopify_emu_store.c - the data of the Shopify twin: ids and GIDs, the
 * shop, locations, products and variants, customers and orders (with
 * lines, shipping lines, fulfillment orders, fulfillments, events and
 * transactions); loading a shopify.json fixture (tests/emulator/README.md);
 * the money and time helpers; the totals and statuses Shopify derives
 * (subtotal, taxes, total, displayFinancialStatus,
 * displayFulfillmentStatus); and the JSON dumps behind /_emu/state and the
 * event answers.
 *
 * Money is integer minor units of the order currency; times are epoch
 * seconds of the emulator clock.
 */
#include "shopify_emu.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common.h"

const char *const sh_kind_names[K_COUNT] = {
	[K_ORDER] = "Order", [K_LINE] = "LineItem", [K_SHIP] = "ShippingLine",
	[K_FO] = "FulfillmentOrder", [K_FO_LINE] = "FulfillmentOrderLineItem",
	[K_FUL] = "Fulfillment", [K_FUL_LINE] = "FulfillmentLineItem",
	[K_EVENT] = "FulfillmentEvent", [K_PRODUCT] = "Product",
	[K_VARIANT] = "ProductVariant", [K_LOCATION] = "Location",
	[K_CUSTOMER] = "Customer", [K_METAFIELD] = "Metafield",
	[K_TXN] = "OrderTransaction", [K_ADDRESS] = "MailingAddress",
};

/* First id of each kind: numbers of the size live Shopify hands out. */
static const int64_t id_base[K_COUNT] = {
	[K_ORDER] = 5900000000001LL, [K_LINE] = 14500000000001LL,
	[K_SHIP] = 4800000000001LL, [K_FO] = 6700000000001LL,
	[K_FO_LINE] = 13900000000001LL, [K_FUL] = 5200000000001LL,
	[K_FUL_LINE] = 11200000000001LL, [K_EVENT] = 35800000000001LL,
	[K_PRODUCT] = 8000000000001LL, [K_VARIANT] = 45100000000001LL,
	[K_LOCATION] = 70000000001LL, [K_CUSTOMER] = 7200000000001LL,
	[K_METAFIELD] = 25000000000001LL, [K_TXN] = 6100000000001LL,
	[K_ADDRESS] = 8100000000001LL,
};

/* ------------------------------------------------------------------ */
/* ids                                                                  */

static size_t hash_id(int64_t id)
{
	uint64_t x = (uint64_t)id;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (size_t)x;
}

static void idmap_put(struct sh_idmap *m, int64_t id, void *obj)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		struct sh_idmap old = *m;
		size_t k;

		m->cap = m->cap ? m->cap * 2 : 64;
		m->keys = xcalloc(m->cap, sizeof(*m->keys));
		m->vals = xcalloc(m->cap, sizeof(*m->vals));
		m->n = 0;
		for (k = 0; k < old.cap; k++)
			if (old.vals[k])
				idmap_put(m, old.keys[k], old.vals[k]);
		free(old.keys);
		free(old.vals);
	}
	i = hash_id(id) & (m->cap - 1);
	while (m->vals[i] && m->keys[i] != id)
		i = (i + 1) & (m->cap - 1);
	if (!m->vals[i])
		m->n++;
	m->keys[i] = id;
	m->vals[i] = obj;
}

static void *idmap_get(const struct sh_idmap *m, int64_t id)
{
	size_t i;

	if (!m->cap)
		return NULL;
	i = hash_id(id) & (m->cap - 1);
	while (m->vals[i]) {
		if (m->keys[i] == id)
			return m->vals[i];
		i = (i + 1) & (m->cap - 1);
	}
	return NULL;
}

int64_t sh_new_id(struct sh_store *S, enum sh_kind k)
{
	return S->next_id[k]++;
}

void sh_register(struct sh_store *S, enum sh_kind k, int64_t id, void *obj)
{
	idmap_put(&S->maps[k], id, obj);
	if (id >= S->next_id[k])
		S->next_id[k] = id + 1;
}

void *sh_lookup(const struct sh_store *S, enum sh_kind k, int64_t id)
{
	return idmap_get(&S->maps[k], id);
}

int sh_parse_gid(const char *gid, enum sh_kind *k, int64_t *id)
{
	static const char prefix[] = "gid://shopify/";
	const char *p, *slash;
	char *end;
	size_t i;
	long long v;

	if (!gid || strncmp(gid, prefix, sizeof(prefix) - 1) != 0)
		return -1;
	p = gid + sizeof(prefix) - 1;
	slash = strchr(p, '/');
	if (!slash)
		return -1;
	for (i = 0; i < K_COUNT; i++) {
		if (strlen(sh_kind_names[i]) == (size_t)(slash - p) &&
		    strncmp(sh_kind_names[i], p, (size_t)(slash - p)) == 0)
			break;
	}
	if (i == K_COUNT || !isdigit((unsigned char)slash[1]))
		return -1;
	errno = 0;
	v = strtoll(slash + 1, &end, 10);
	if (errno || (*end != '\0' && *end != '?') || v <= 0)
		return -1;
	*k = (enum sh_kind)i;
	*id = v;
	return 0;
}

void *sh_lookup_gid(const struct sh_store *S, const char *gid, enum sh_kind want)
{
	enum sh_kind k;
	int64_t id;

	if (sh_parse_gid(gid, &k, &id) < 0 || k != want)
		return NULL;
	return sh_lookup(S, k, id);
}

char *sh_gid(enum sh_kind k, int64_t id)
{
	return xasprintf("gid://shopify/%s/%lld", sh_kind_names[k], (long long)id);
}

json_t *sh_gid_json(enum sh_kind k, int64_t id)
{
	char *s = sh_gid(k, id);
	json_t *j = json_string(s);

	free(s);
	return j;
}

/* ------------------------------------------------------------------ */
/* small helpers                                                        */

void *sh_grow(void *v, size_t n, size_t size)
{
	/* capacity doubles at powers of two: 1, 2, 4, 8, ... */
	if (n == 0 || (n & (n - 1)) == 0)
		return xrealloc(v, (n ? n * 2 : 1) * size);
	return v;
}

char *sh_strdup(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static int tag_cmp(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

void sh_tags_add(char ***tags, size_t *n, const char *tag)
{
	size_t i;
	char *t;
	size_t len;

	while (*tag == ' ')
		tag++;
	len = strlen(tag);
	while (len && tag[len - 1] == ' ')
		len--;
	if (!len)
		return;
	t = xstrndup(tag, len);
	for (i = 0; i < *n; i++) {
		if (strcasecmp((*tags)[i], t) == 0) {
			free(t);
			return;
		}
	}
	*tags = sh_grow(*tags, *n, sizeof(**tags));
	(*tags)[(*n)++] = t;
	qsort(*tags, *n, sizeof(**tags), tag_cmp);
}

int sh_tags_remove(char ***tags, size_t *n, const char *tag)
{
	size_t i;

	for (i = 0; i < *n; i++) {
		if (strcasecmp((*tags)[i], tag) == 0) {
			free((*tags)[i]);
			memmove(&(*tags)[i], &(*tags)[i + 1], (*n - i - 1) * sizeof(**tags));
			(*n)--;
			return 1;
		}
	}
	return 0;
}

void sh_tags_set(char ***tags, size_t *n, json_t *list)
{
	size_t i;
	json_t *t;

	for (i = 0; i < *n; i++)
		free((*tags)[i]);
	free(*tags);
	*tags = NULL;
	*n = 0;
	if (json_is_string(list)) {
		/* "a, b" as Shopify's REST-era tag strings */
		char *copy = xstrdup(json_string_value(list)), *tok, *save = NULL;

		for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			sh_tags_add(tags, n, tok);
		free(copy);
		return;
	}
	json_array_foreach(list, i, t)
		if (json_is_string(t))
			sh_tags_add(tags, n, json_string_value(t));
}

int sh_currency_exponent(const char *code)
{
	static const char *const zero[] = {
		"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG",
		"RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
	};
	static const char *const three[] = { "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(zero); i++)
		if (strcmp(code, zero[i]) == 0)
			return 0;
	for (i = 0; i < ARRAY_SIZE(three); i++)
		if (strcmp(code, three[i]) == 0)
			return 3;
	return 2;
}

int sh_parse_amount(json_t *v, int exp, sh_money *out)
{
	char buf[64];
	const char *s, *p;
	int neg = 0, frac = 0, round_up = 0;
	sh_money whole = 0;

	if (json_is_string(v)) {
		s = json_string_value(v);
	} else if (json_is_integer(v)) {
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		s = buf;
	} else if (json_is_real(v)) {
		if (!isfinite(json_real_value(v)))
			return -1;
		snprintf(buf, sizeof(buf), "%.9f", json_real_value(v));
		s = buf;
	} else {
		return -1;
	}
	p = s;
	while (*p == ' ')
		p++;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (!isdigit((unsigned char)*p) && !(*p == '.' && isdigit((unsigned char)p[1])))
		return -1;
	while (isdigit((unsigned char)*p)) {
		if (whole > (INT64_MAX / 10) / 1000)
			return -1;
		whole = whole * 10 + (*p++ - '0');
	}
	for (int i = 0; i < exp; i++)
		whole *= 10;
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			if (frac < exp) {
				sh_money unit = 1;

				for (int k = frac + 1; k < exp; k++)
					unit *= 10;
				whole += (*p - '0') * unit;
			} else if (frac == exp) {
				round_up = *p >= '5';
			}
			frac++;
			p++;
		}
	}
	while (*p == ' ')
		p++;
	if (*p != '\0')
		return -1;
	if (round_up)
		whole++;
	*out = neg ? -whole : whole;
	return 0;
}

json_t *sh_amount_json(sh_money v, int exp)
{
	char buf[48];
	sh_money a = v < 0 ? -v : v, unit = 1, ip, fp;
	int i, digits;

	for (i = 0; i < exp; i++)
		unit *= 10;
	ip = a / unit;
	fp = a % unit;
	if (exp == 0 || fp == 0) {
		snprintf(buf, sizeof(buf), "%s%lld.0", v < 0 ? "-" : "", (long long)ip);
		return json_string(buf);
	}
	digits = exp;
	while (digits > 1 && fp % 10 == 0) {
		fp /= 10;
		digits--;
	}
	if (xsnprintf(buf, sizeof(buf), "%s%lld.%0*lld", v < 0 ? "-" : "", (long long)ip, digits,
		      (long long)fp) < 0)
		return json_string("0.0");	/* cannot happen: 48 bytes hold any int64 */
	return json_string(buf);
}

int sh_parse_time(const char *s, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0, off = 0;
	struct tm tm;
	const char *p;

	if (!s || sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return -1;
	p = s + n;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		int m = 0;

		if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &m) != 2 || m != 5)
			return -1;
		p += 1 + m;
		if (*p == ':') {
			if (!isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]))
				return -1;
			sec = (p[1] - '0') * 10 + (p[2] - '0');
			p += 3;
			if (*p == '.') {
				p++;
				while (isdigit((unsigned char)*p))
					p++;
			}
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p == '-' ? -1 : 1, oh, om = 0;

			if (!isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]))
				return -1;
			oh = (p[1] - '0') * 10 + (p[2] - '0');
			p += 3;
			if (*p == ':')
				p++;
			if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1])) {
				om = (p[0] - '0') * 10 + (p[1] - '0');
				p += 2;
			}
			off = sign * (oh * 3600 + om * 60);
		}
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*out = (int64_t)timegm(&tm) - off;
	return 0;
}

json_t *sh_time_json(int64_t t)
{
	char buf[32];
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0)
		return json_null();
	gmtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

/* ------------------------------------------------------------------ */
/* totals and statuses                                                  */

sh_money sh_line_total(const struct sh_line *l, int current)
{
	int q = current ? l->current_quantity : l->quantity;
	sh_money disc = l->discount;

	if (current && l->quantity > 0 && q != l->quantity)
		disc = l->discount * q / l->quantity;
	return l->unit_price * q - disc;
}

sh_money sh_order_subtotal(const struct sh_order *o, int current)
{
	sh_money s = 0;
	size_t i;

	for (i = 0; i < o->nlines; i++)
		s += sh_line_total(o->lines[i], current);
	return s;
}

sh_money sh_order_shipping(const struct sh_order *o)
{
	sh_money s = 0;
	size_t i;

	for (i = 0; i < o->nships; i++)
		s += o->ships[i]->price - o->ships[i]->discount;
	return s;
}

sh_money sh_order_tax(const struct sh_order *o, int current)
{
	sh_money s = 0;
	size_t i, k;

	for (i = 0; i < o->nlines; i++) {
		const struct sh_line *l = o->lines[i];

		for (k = 0; k < l->ntax; k++) {
			if (current && l->quantity > 0 && l->current_quantity != l->quantity)
				s += l->tax[k].amount * l->current_quantity / l->quantity;
			else
				s += l->tax[k].amount;
		}
	}
	for (i = 0; i < o->nships; i++)
		for (k = 0; k < o->ships[i]->ntax; k++)
			s += o->ships[i]->tax[k].amount;
	return s;
}

sh_money sh_order_discounts(const struct sh_order *o)
{
	sh_money s = 0;
	size_t i;

	for (i = 0; i < o->nlines; i++)
		s += o->lines[i]->discount;
	for (i = 0; i < o->nships; i++)
		s += o->ships[i]->discount;
	return s;
}

sh_money sh_order_total(const struct sh_order *o, int current)
{
	sh_money t = sh_order_subtotal(o, current) + sh_order_shipping(o);

	if (!o->taxes_included)
		t += sh_order_tax(o, current);
	return t;
}

sh_money sh_order_received(const struct sh_order *o)
{
	sh_money r = 0;
	size_t i;

	for (i = 0; i < o->ntxns; i++) {
		const struct sh_txn *t = o->txns[i];

		if (strcmp(t->status, "SUCCESS") != 0)
			continue;
		if (strcmp(t->kind, "SALE") == 0 || strcmp(t->kind, "CAPTURE") == 0)
			r += t->amount;
		else if (strcmp(t->kind, "REFUND") == 0)
			r -= t->amount;
	}
	return r;
}

const char *sh_financial_status(const struct sh_order *o)
{
	sh_money total = sh_order_total(o, 0), received = 0, refunded = 0, authorized = 0;
	size_t i;

	if (o->financial_status)
		return o->financial_status;
	for (i = 0; i < o->ntxns; i++) {
		const struct sh_txn *t = o->txns[i];

		if (strcmp(t->status, "SUCCESS") != 0)
			continue;
		if (strcmp(t->kind, "SALE") == 0 || strcmp(t->kind, "CAPTURE") == 0)
			received += t->amount;
		else if (strcmp(t->kind, "REFUND") == 0)
			refunded += t->amount;
		else if (strcmp(t->kind, "AUTHORIZATION") == 0)
			authorized += t->amount;
	}
	if (refunded > 0)
		return refunded >= received ? "REFUNDED" : "PARTIALLY_REFUNDED";
	if (received > 0)
		return received >= total ? "PAID" : "PARTIALLY_PAID";
	if (authorized > 0)
		return "AUTHORIZED";
	return total == 0 ? "PAID" : "PENDING";
}

int sh_line_fulfilled(const struct sh_line *l)
{
	const struct sh_order *o = l->order;
	size_t i, k;
	int n = 0;

	for (i = 0; i < o->nfuls; i++) {
		const struct sh_ful *f = o->fuls[i];

		if (strcmp(f->status, "SUCCESS") != 0)
			continue;
		for (k = 0; k < f->nlines; k++)
			if (f->lines[k]->line == l)
				n += f->lines[k]->quantity;
	}
	return n;
}

const char *sh_fulfillment_status(const struct sh_order *o)
{
	int total = 0, done = 0;
	size_t i;

	for (i = 0; i < o->nlines; i++) {
		const struct sh_line *l = o->lines[i];

		if (!l->requires_shipping)
			continue;
		total += l->current_quantity;
		done += sh_line_fulfilled(l);
	}
	if (done == 0)
		return "UNFULFILLED";
	if (done >= total)
		return "FULFILLED";
	return "PARTIALLY_FULFILLED";
}

void sh_fo_refresh(struct sh_fo *fo)
{
	int total = 0, remaining = 0;
	size_t i;

	if (strcmp(fo->status, "CANCELLED") == 0)
		return;
	if (fo->order->cancelled) {
		fo->status = "CLOSED";
		return;
	}
	for (i = 0; i < fo->nlines; i++) {
		total += fo->lines[i]->total;
		remaining += fo->lines[i]->remaining;
	}
	if (remaining == 0)
		fo->status = "CLOSED";
	else if (remaining < total)
		fo->status = "IN_PROGRESS";
	else
		fo->status = "OPEN";
}

void sh_touch(struct sh_store *S, struct sh_order *o)
{
	if (S->now > o->updated)
		o->updated = S->now;
}

/* ------------------------------------------------------------------ */
/* dumps                                                                */

static json_t *money_json(sh_money v, int exp)
{
	return sh_amount_json(v, exp);
}

static json_t *tax_json(const struct sh_tax *t, size_t n, int exp)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s?,s:s?,s:o,s:b}", "title", t[i].title,
						   "rate", t[i].rate, "amount",
						   money_json(t[i].amount, exp), "channelLiable",
						   t[i].channel_liable));
	return a;
}

static json_t *strings_json(char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

json_t *sh_dump_fulfillment(const struct sh_store *S, const struct sh_ful *f)
{
	json_t *j = json_object(), *a;
	size_t i;
	char name[128];

	(void)S;
	snprintf(name, sizeof(name), "%s-F%d", f->order->name, f->seq);
	json_object_set_new(j, "id", sh_gid_json(K_FUL, f->id));
	json_object_set_new(j, "name", json_string(name));
	json_object_set_new(j, "order", sh_gid_json(K_ORDER, f->order->id));
	json_object_set_new(j, "status", json_string(f->status));
	json_object_set_new(j, "displayStatus", json_string(f->display_status));
	json_object_set_new(j, "createdAt", sh_time_json(f->created));
	json_object_set_new(j, "updatedAt", sh_time_json(f->updated));
	json_object_set_new(j, "inTransitAt", sh_time_json(f->in_transit));
	json_object_set_new(j, "deliveredAt", sh_time_json(f->delivered));
	json_object_set_new(j, "notifyCustomer", json_boolean(f->notify_customer));
	a = json_array();
	for (i = 0; i < f->ntrk; i++)
		json_array_append_new(a, json_pack("{s:s?,s:s?,s:s?}", "company", f->trk[i].company,
						   "number", f->trk[i].number, "url", f->trk[i].url));
	json_object_set_new(j, "trackingInfo", a);
	a = json_array();
	for (i = 0; i < f->nlines; i++) {
		json_t *l = json_pack("{s:o,s:o,s:s?,s:i}", "id", sh_gid_json(K_FUL_LINE, f->lines[i]->id),
				      "lineItem", sh_gid_json(K_LINE, f->lines[i]->line->id),
				      "sku", f->lines[i]->line->sku, "quantity", f->lines[i]->quantity);

		json_array_append_new(a, l);
	}
	json_object_set_new(j, "lines", a);
	a = json_array();
	for (i = 0; i < f->nevents; i++)
		json_array_append_new(a, json_pack("{s:o,s:s,s:o,s:o}", "id",
						   sh_gid_json(K_EVENT, f->events[i]->id), "status",
						   f->events[i]->status, "happenedAt",
						   sh_time_json(f->events[i]->happened), "createdAt",
						   sh_time_json(f->events[i]->created)));
	json_object_set_new(j, "events", a);
	return j;
}

json_t *sh_dump_order(const struct sh_store *S, const struct sh_order *o)
{
	json_t *j = json_object(), *a;
	size_t i, k;
	int e = o->exp;

	json_object_set_new(j, "id", sh_gid_json(K_ORDER, o->id));
	json_object_set_new(j, "name", json_string(o->name));
	json_object_set_new(j, "number", json_integer(o->number));
	json_object_set_new(j, "createdAt", sh_time_json(o->created));
	json_object_set_new(j, "updatedAt", sh_time_json(o->updated));
	json_object_set_new(j, "processedAt", sh_time_json(o->processed));
	json_object_set_new(j, "cancelledAt", sh_time_json(o->cancelled));
	json_object_set_new(j, "cancelReason", o->cancel_reason ? json_string(o->cancel_reason) : json_null());
	json_object_set_new(j, "closed", json_boolean(o->closed));
	json_object_set_new(j, "test", json_boolean(o->test));
	json_object_set_new(j, "tags", strings_json(o->tags, o->ntags));
	json_object_set_new(j, "note", o->note ? json_string(o->note) : json_null());
	json_object_set_new(j, "email", o->email ? json_string(o->email) : json_null());
	json_object_set_new(j, "phone", o->phone ? json_string(o->phone) : json_null());
	json_object_set_new(j, "sourceName", o->source_name ? json_string(o->source_name) : json_null());
	json_object_set_new(j, "sourceIdentifier", o->source_identifier ?
			    json_string(o->source_identifier) : json_null());
	json_object_set_new(j, "sourceUrl", o->source_url ? json_string(o->source_url) : json_null());
	json_object_set_new(j, "currencyCode", json_string(o->currency));
	json_object_set_new(j, "taxesIncluded", json_boolean(o->taxes_included));
	json_object_set_new(j, "subtotal", money_json(sh_order_subtotal(o, 0), e));
	json_object_set_new(j, "shipping", money_json(sh_order_shipping(o), e));
	json_object_set_new(j, "tax", money_json(sh_order_tax(o, 0), e));
	json_object_set_new(j, "discounts", money_json(sh_order_discounts(o), e));
	json_object_set_new(j, "total", money_json(sh_order_total(o, 0), e));
	json_object_set_new(j, "received", money_json(sh_order_received(o), e));
	json_object_set_new(j, "displayFinancialStatus", json_string(sh_financial_status(o)));
	json_object_set_new(j, "displayFulfillmentStatus", json_string(sh_fulfillment_status(o)));
	json_object_set_new(j, "inventoryBehaviour", o->inventory_behaviour ?
			    json_string(o->inventory_behaviour) : json_null());
	json_object_set_new(j, "staffNote", o->staff_note ? json_string(o->staff_note) : json_null());
	a = json_array();
	for (i = 0; i < o->nattrs; i++)
		json_array_append_new(a, json_pack("{s:s,s:s?}", "key", o->attrs[i].key, "value",
						   o->attrs[i].value));
	json_object_set_new(j, "customAttributes", a);
	a = json_array();
	for (i = 0; i < o->nmfs; i++)
		json_array_append_new(a, json_pack("{s:s?,s:s,s:s?,s:s?}", "namespace", o->mfs[i]->ns,
						   "key", o->mfs[i]->key, "value", o->mfs[i]->value,
						   "type", o->mfs[i]->type));
	json_object_set_new(j, "metafields", a);
	json_object_set_new(j, "discountCodes", strings_json(o->discount_codes, o->ndiscount_codes));
	json_object_set_new(j, "shippingAddress", o->shipping_address ?
			    json_deep_copy(o->shipping_address) : json_null());
	json_object_set_new(j, "billingAddress", o->billing_address ?
			    json_deep_copy(o->billing_address) : json_null());
	json_object_set_new(j, "customer", o->customer ?
			    json_pack("{s:o,s:s?,s:s?,s:s?}", "id",
				      sh_gid_json(K_CUSTOMER, o->customer->id), "email",
				      o->customer->email, "firstName", o->customer->first_name,
				      "lastName", o->customer->last_name) : json_null());
	a = json_array();
	for (i = 0; i < o->nlines; i++) {
		const struct sh_line *l = o->lines[i];
		json_t *lj = json_object(), *props = json_array();

		json_object_set_new(lj, "id", sh_gid_json(K_LINE, l->id));
		json_object_set_new(lj, "variantId", l->variant ?
				    sh_gid_json(K_VARIANT, l->variant->id) : json_null());
		json_object_set_new(lj, "sku", l->sku ? json_string(l->sku) : json_null());
		json_object_set_new(lj, "title", json_string(l->title ? l->title : ""));
		json_object_set_new(lj, "quantity", json_integer(l->quantity));
		json_object_set_new(lj, "currentQuantity", json_integer(l->current_quantity));
		json_object_set_new(lj, "fulfilledQuantity", json_integer(sh_line_fulfilled(l)));
		json_object_set_new(lj, "requiresShipping", json_boolean(l->requires_shipping));
		json_object_set_new(lj, "price", money_json(l->unit_price, e));
		json_object_set_new(lj, "discount", money_json(l->discount, e));
		json_object_set_new(lj, "taxLines", tax_json(l->tax, l->ntax, e));
		for (k = 0; k < l->nprops; k++)
			json_array_append_new(props, json_pack("{s:s,s:s?}", "name", l->props[k].key,
							       "value", l->props[k].value));
		json_object_set_new(lj, "properties", props);
		json_array_append_new(a, lj);
	}
	json_object_set_new(j, "lineItems", a);
	a = json_array();
	for (i = 0; i < o->nships; i++)
		json_array_append_new(a, json_pack("{s:o,s:s?,s:s?,s:s?,s:o,s:o}", "id",
						   sh_gid_json(K_SHIP, o->ships[i]->id), "title",
						   o->ships[i]->title, "code", o->ships[i]->code,
						   "source", o->ships[i]->source, "price",
						   money_json(o->ships[i]->price, e), "taxLines",
						   tax_json(o->ships[i]->tax, o->ships[i]->ntax, e)));
	json_object_set_new(j, "shippingLines", a);
	a = json_array();
	for (i = 0; i < o->nfos; i++) {
		const struct sh_fo *fo = o->fos[i];
		json_t *fj = json_object(), *ls = json_array();

		json_object_set_new(fj, "id", sh_gid_json(K_FO, fo->id));
		json_object_set_new(fj, "status", json_string(fo->status));
		json_object_set_new(fj, "requestStatus", json_string(fo->request_status));
		json_object_set_new(fj, "location", sh_gid_json(K_LOCATION, fo->loc->id));
		for (k = 0; k < fo->nlines; k++)
			json_array_append_new(ls, json_pack("{s:o,s:o,s:i,s:i}", "id",
							    sh_gid_json(K_FO_LINE, fo->lines[k]->id),
							    "lineItem",
							    sh_gid_json(K_LINE, fo->lines[k]->line->id),
							    "totalQuantity", fo->lines[k]->total,
							    "remainingQuantity", fo->lines[k]->remaining));
		json_object_set_new(fj, "lineItems", ls);
		json_array_append_new(a, fj);
	}
	json_object_set_new(j, "fulfillmentOrders", a);
	a = json_array();
	for (i = 0; i < o->nfuls; i++)
		json_array_append_new(a, sh_dump_fulfillment(S, o->fuls[i]));
	json_object_set_new(j, "fulfillments", a);
	a = json_array();
	for (i = 0; i < o->ntxns; i++)
		json_array_append_new(a, json_pack("{s:o,s:s,s:s,s:s?,s:o,s:o}", "id",
						   sh_gid_json(K_TXN, o->txns[i]->id), "kind",
						   o->txns[i]->kind, "status", o->txns[i]->status,
						   "gateway", o->txns[i]->gateway, "amount",
						   money_json(o->txns[i]->amount, e), "processedAt",
						   sh_time_json(o->txns[i]->processed)));
	json_object_set_new(j, "transactions", a);
	return j;
}

json_t *sh_dump_variant(const struct sh_store *S, const struct sh_variant *v)
{
	int e = sh_currency_exponent(S->shop_currency);

	return json_pack("{s:o,s:s?,s:s?,s:o,s:o}", "id", sh_gid_json(K_VARIANT, v->id),
			 "sku", v->sku, "title", v->title, "price", sh_amount_json(v->price, e),
			 "product", sh_gid_json(K_PRODUCT, v->product->id));
}

json_t *sh_dump_state(struct sh_store *S)
{
	json_t *j = json_object(), *a;
	size_t i, k;

	json_object_set_new(j, "shop", json_pack("{s:s,s:s,s:s}", "name", S->shop_name,
						 "myshopifyDomain", S->shop_domain,
						 "currencyCode", S->shop_currency));
	json_object_set_new(j, "next_order_number", json_integer(S->next_order_number));
	json_object_set_new(j, "limits",
			    json_pack("{s:f,s:f,s:i,s:b,s:i}", "bucket_size", S->limits.bucket_size,
				      "restore_rate", S->limits.restore_rate,
				      "throttle_http_status", S->limits.throttle_http_status,
				      "dev_store_order_limit", S->limits.dev_store_order_limit,
				      "search_index_lag", S->limits.search_index_lag));
	json_object_set_new(j, "bucket", json_pack("{s:f}", "currentlyAvailable", S->available));
	json_object_set_new(j, "counters",
			    json_pack("{s:I,s:I,s:I,s:I}", "requests", (json_int_t)S->n_requests,
				      "throttled", (json_int_t)S->n_throttled, "max_cost_exceeded",
				      (json_int_t)S->n_max_cost, "orders_created",
				      (json_int_t)S->n_orders_created));
	a = json_array();
	for (i = 0; i < S->nlocations; i++)
		json_array_append_new(a, json_pack("{s:o,s:s}", "id",
						   sh_gid_json(K_LOCATION, S->locations[i]->id),
						   "name", S->locations[i]->name));
	json_object_set_new(j, "locations", a);
	a = json_array();
	for (i = 0; i < S->nproducts; i++) {
		const struct sh_product *p = S->products[i];
		json_t *vs = json_array();

		for (k = 0; k < p->nvariants; k++)
			json_array_append_new(vs, sh_dump_variant(S, p->variants[k]));
		json_array_append_new(a, json_pack("{s:o,s:s?,s:s?,s:o}", "id",
						   sh_gid_json(K_PRODUCT, p->id), "title", p->title,
						   "status", p->status, "variants", vs));
	}
	json_object_set_new(j, "products", a);
	a = json_array();
	for (i = 0; i < S->norders; i++)
		json_array_append_new(a, sh_dump_order(S, S->orders[i]));
	json_object_set_new(j, "orders", a);
	return j;
}

/* ------------------------------------------------------------------ */
/* lifecycle                                                            */

struct sh_store *sh_store_new(void)
{
	struct sh_store *S = xcalloc(1, sizeof(*S));
	size_t k;

	for (k = 0; k < K_COUNT; k++)
		S->next_id[k] = id_base[k];
	S->shop_name = xstrdup("Demo Store");
	S->shop_domain = xstrdup("demo-store.myshopify.com");
	S->shop_email = xstrdup("owner@example.com");
	S->shop_currency = xstrdup("USD");
	S->shop_timezone = xstrdup("Etc/UTC");
	S->limits.bucket_size = 2000;
	S->limits.restore_rate = 100;
	S->limits.throttle_http_status = 200;
	S->next_order_number = 1001;
	return S;
}

static void free_tax(struct sh_tax *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(t[i].title);
		free(t[i].rate);
	}
	free(t);
}

static void free_strings(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void free_order(struct sh_order *o)
{
	size_t i, k;

	for (i = 0; i < o->nlines; i++) {
		struct sh_line *l = o->lines[i];

		free(l->title);
		free(l->variant_title);
		free(l->sku);
		free(l->vendor);
		free_tax(l->tax, l->ntax);
		for (k = 0; k < l->nprops; k++) {
			free(l->props[k].key);
			free(l->props[k].value);
		}
		free(l->props);
		free(l);
	}
	free(o->lines);
	for (i = 0; i < o->nships; i++) {
		free(o->ships[i]->title);
		free(o->ships[i]->code);
		free(o->ships[i]->source);
		free_tax(o->ships[i]->tax, o->ships[i]->ntax);
		free(o->ships[i]);
	}
	free(o->ships);
	for (i = 0; i < o->nfos; i++) {
		for (k = 0; k < o->fos[i]->nlines; k++)
			free(o->fos[i]->lines[k]);
		free(o->fos[i]->lines);
		free(o->fos[i]);
	}
	free(o->fos);
	for (i = 0; i < o->nfuls; i++) {
		struct sh_ful *f = o->fuls[i];

		for (k = 0; k < f->ntrk; k++) {
			free(f->trk[k].company);
			free(f->trk[k].number);
			free(f->trk[k].url);
		}
		free(f->trk);
		for (k = 0; k < f->nlines; k++)
			free(f->lines[k]);
		free(f->lines);
		for (k = 0; k < f->nevents; k++) {
			struct sh_event *e = f->events[k];

			free(e->message);
			free(e->address1);
			free(e->city);
			free(e->province);
			free(e->country);
			free(e->zip);
			free(e);
		}
		free(f->events);
		free(f->fos);
		free(f);
	}
	free(o->fuls);
	for (i = 0; i < o->ntxns; i++) {
		free(o->txns[i]->kind);
		free(o->txns[i]->status);
		free(o->txns[i]->gateway);
		free(o->txns[i]);
	}
	free(o->txns);
	for (i = 0; i < o->nmfs; i++) {
		free(o->mfs[i]->ns);
		free(o->mfs[i]->key);
		free(o->mfs[i]->value);
		free(o->mfs[i]->type);
		free(o->mfs[i]);
	}
	free(o->mfs);
	for (i = 0; i < o->nattrs; i++) {
		free(o->attrs[i].key);
		free(o->attrs[i].value);
	}
	free(o->attrs);
	free_strings(o->tags, o->ntags);
	free_strings(o->discount_codes, o->ndiscount_codes);
	free(o->name);
	free(o->note);
	free(o->email);
	free(o->phone);
	free(o->source_name);
	free(o->source_identifier);
	free(o->source_url);
	free(o->po_number);
	free(o->staff_note);
	free(o->inventory_behaviour);
	json_decref(o->shipping_address);
	json_decref(o->billing_address);
	free(o);
}

void sh_store_free(struct sh_store *S)
{
	size_t i, k;

	if (!S)
		return;
	for (i = 0; i < S->norders; i++)
		free_order(S->orders[i]);
	free(S->orders);
	json_decref(S->by_source);
	json_decref(S->by_email);
	for (i = 0; i < S->nproducts; i++) {
		struct sh_product *p = S->products[i];

		for (k = 0; k < p->nvariants; k++) {
			free(p->variants[k]->sku);
			free(p->variants[k]->title);
			free(p->variants[k]->barcode);
			free(p->variants[k]);
		}
		free(p->variants);
		free(p->title);
		free(p->status);
		free(p->handle);
		free(p->vendor);
		free(p->product_type);
		free_strings(p->tags, p->ntags);
		free(p);
	}
	free(S->products);
	free(S->variants);
	for (i = 0; i < S->nlocations; i++) {
		free(S->locations[i]->name);
		free(S->locations[i]);
	}
	free(S->locations);
	for (i = 0; i < S->ncustomers; i++) {
		struct sh_customer *c = S->customers[i];

		free(c->email);
		free(c->first_name);
		free(c->last_name);
		free(c->phone);
		free(c->note);
		free_strings(c->tags, c->ntags);
		json_decref(c->default_address);
		free(c);
	}
	free(S->customers);
	for (k = 0; k < K_COUNT; k++) {
		free(S->maps[k].keys);
		free(S->maps[k].vals);
	}
	free_strings(S->tokens, S->ntokens);
	free(S->shop_name);
	free(S->shop_domain);
	free(S->shop_email);
	free(S->shop_currency);
	free(S->shop_timezone);
	free(S->app_source_name);
	free(S);
}

/* ------------------------------------------------------------------ */
/* fixture                                                              */

static int load_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int load_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int64_t gid_number(json_t *o, enum sh_kind k, int *bad)
{
	const char *s = jstr(o, "id");
	enum sh_kind got;
	int64_t id;

	if (!s)
		return 0;
	if (sh_parse_gid(s, &got, &id) < 0 || got != k) {
		*bad = 1;
		return 0;
	}
	return id;
}

/* Times in a relative_times fixture: integers are offsets from start. */
static void relativize(json_t *o, int64_t start)
{
	static const char *const keys[] = { "processedAt", "createdAt", "updatedAt",
					    "cancelledAt", "closedAt", "happenedAt",
					    "inTransitAt", "deliveredAt" };
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_array(o)) {
		json_array_foreach(o, i, v)
			relativize(v, start);
		return;
	}
	if (!json_is_object(o))
		return;
	json_object_foreach(o, key, v) {
		int is_time = 0;

		for (i = 0; i < ARRAY_SIZE(keys); i++)
			if (strcmp(key, keys[i]) == 0)
				is_time = 1;
		if (is_time && json_is_integer(v))
			json_integer_set(v, json_integer_value(v) + start);
		else
			relativize(v, start);
	}
}

int sh_store_load(struct sh_store *S, const char *path, int64_t start, int64_t *clock,
		  char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je), *v, *it, *arr;
	size_t i, k;
	int relative, ret = -1, bad = 0;

	*clock = 0;
	if (!root)
		return load_fail(err, errlen, "%s:%d: %s", path, je.line, je.text);
	if (!json_is_object(root)) {
		load_fail(err, errlen, "%s: not a JSON object", path);
		goto cleanup;
	}
	relative = json_is_true(json_object_get(root, "relative_times"));
	if (relative)
		relativize(root, start);
	v = json_object_get(root, "clock");
	if (json_is_integer(v)) {
		*clock = relative ? start + json_integer_value(v) : json_integer_value(v);
	} else if (json_is_string(v) && sh_parse_time(json_string_value(v), clock) < 0) {
		load_fail(err, errlen, "%s: clock: not a time", path);
		goto cleanup;
	}
	S->now = *clock ? *clock : start;

	if ((v = json_object_get(root, "shop")) != NULL) {
		if (jstr(v, "name")) {
			free(S->shop_name);
			S->shop_name = xstrdup(jstr(v, "name"));
		}
		if (jstr(v, "myshopifyDomain")) {
			free(S->shop_domain);
			S->shop_domain = xstrdup(jstr(v, "myshopifyDomain"));
		}
		if (jstr(v, "email")) {
			free(S->shop_email);
			S->shop_email = xstrdup(jstr(v, "email"));
		}
		if (jstr(v, "currencyCode")) {
			free(S->shop_currency);
			S->shop_currency = xstrdup(jstr(v, "currencyCode"));
		}
		if (jstr(v, "ianaTimezone")) {
			free(S->shop_timezone);
			S->shop_timezone = xstrdup(jstr(v, "ianaTimezone"));
		}
		if (jstr(v, "appSourceName"))
			S->app_source_name = xstrdup(jstr(v, "appSourceName"));
	}
	arr = json_object_get(root, "access_tokens");
	json_array_foreach(arr, i, it) {
		if (!json_is_string(it))
			continue;
		S->tokens = sh_grow(S->tokens, S->ntokens, sizeof(*S->tokens));
		S->tokens[S->ntokens++] = xstrdup(json_string_value(it));
	}
	if (S->ntokens == 0) {
		load_fail(err, errlen, "%s: access_tokens: at least one token is needed", path);
		goto cleanup;
	}
	if ((v = json_object_get(root, "next_order_number")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1) {
			load_fail(err, errlen, "%s: next_order_number must be a positive integer", path);
			goto cleanup;
		}
		S->next_order_number = (int)json_integer_value(v);
	}
	if ((v = json_object_get(root, "limits")) != NULL) {
		json_t *x;

		if ((x = json_object_get(v, "bucket_size")) && json_is_number(x))
			S->limits.bucket_size = json_number_value(x);
		if ((x = json_object_get(v, "restore_rate")) && json_is_number(x))
			S->limits.restore_rate = json_number_value(x);
		if ((x = json_object_get(v, "throttle_http_status")) && json_is_integer(x))
			S->limits.throttle_http_status = (int)json_integer_value(x);
		if ((x = json_object_get(v, "dev_store_order_limit")))
			S->limits.dev_store_order_limit = json_is_true(x) ||
				(json_is_integer(x) && json_integer_value(x));
		if ((x = json_object_get(v, "search_index_lag")) && json_is_integer(x))
			S->limits.search_index_lag = (int)json_integer_value(x);
		if (S->limits.bucket_size <= 0 || S->limits.restore_rate < 0 ||
		    (S->limits.throttle_http_status != 200 && S->limits.throttle_http_status != 429)) {
			load_fail(err, errlen, "%s: limits: bucket_size > 0, restore_rate >= 0, "
				  "throttle_http_status 200 or 429", path);
			goto cleanup;
		}
	}
	S->available = S->limits.bucket_size;
	arr = json_object_get(root, "locations");
	json_array_foreach(arr, i, it) {
		struct sh_location *l = xcalloc(1, sizeof(*l));
		int64_t id = gid_number(it, K_LOCATION, &bad);

		l->id = id ? id : sh_new_id(S, K_LOCATION);
		l->name = xstrdup(jstr(it, "name") ? jstr(it, "name") : "Shop location");
		l->active = 1;
		S->locations = sh_grow(S->locations, S->nlocations, sizeof(*S->locations));
		S->locations[S->nlocations++] = l;
		sh_register(S, K_LOCATION, l->id, l);
	}
	if (S->nlocations == 0) {
		struct sh_location *l = xcalloc(1, sizeof(*l));

		l->id = sh_new_id(S, K_LOCATION);
		l->name = xstrdup("Shop location");
		l->active = 1;
		S->locations = sh_grow(S->locations, 0, sizeof(*S->locations));
		S->locations[S->nlocations++] = l;
		sh_register(S, K_LOCATION, l->id, l);
	}
	arr = json_object_get(root, "products");
	json_array_foreach(arr, i, it) {
		struct sh_product *p = xcalloc(1, sizeof(*p));
		int64_t id = gid_number(it, K_PRODUCT, &bad);
		json_t *vars = json_object_get(it, "variants"), *vj;
		int e = sh_currency_exponent(S->shop_currency);

		p->id = id ? id : sh_new_id(S, K_PRODUCT);
		p->title = xstrdup(jstr(it, "title") ? jstr(it, "title") : "Product");
		p->status = xstrdup(jstr(it, "status") ? jstr(it, "status") : "ACTIVE");
		p->handle = sh_strdup(jstr(it, "handle"));
		p->vendor = sh_strdup(jstr(it, "vendor"));
		p->product_type = sh_strdup(jstr(it, "productType"));
		sh_tags_set(&p->tags, &p->ntags, json_object_get(it, "tags"));
		p->created = p->updated = S->now;
		S->products = sh_grow(S->products, S->nproducts, sizeof(*S->products));
		S->products[S->nproducts++] = p;
		sh_register(S, K_PRODUCT, p->id, p);
		json_array_foreach(vars, k, vj) {
			struct sh_variant *var = xcalloc(1, sizeof(*var));
			int64_t vid = gid_number(vj, K_VARIANT, &bad);
			json_t *price = json_object_get(vj, "price");

			var->id = vid ? vid : sh_new_id(S, K_VARIANT);
			var->product = p;
			var->sku = sh_strdup(jstr(vj, "sku"));
			var->title = xstrdup(jstr(vj, "title") ? jstr(vj, "title") : "Default Title");
			var->barcode = sh_strdup(jstr(vj, "barcode"));
			var->taxable = !json_is_false(json_object_get(vj, "taxable"));
			if (price && sh_parse_amount(price, e, &var->price) < 0) {
				load_fail(err, errlen, "%s: products[%zu].variants[%zu].price: not an amount",
					  path, i, k);
				goto cleanup;
			}
			var->created = var->updated = S->now;
			if (sh_lookup(S, K_VARIANT, var->id)) {
				load_fail(err, errlen, "%s: variant %lld defined twice", path,
					  (long long)var->id);
				free(var->sku);
				free(var->title);
				free(var->barcode);
				free(var);
				goto cleanup;
			}
			p->variants = sh_grow(p->variants, p->nvariants, sizeof(*p->variants));
			p->variants[p->nvariants++] = var;
			S->variants = sh_grow(S->variants, S->nvariants, sizeof(*S->variants));
			S->variants[S->nvariants++] = var;
			sh_register(S, K_VARIANT, var->id, var);
		}
	}
	if (bad) {
		load_fail(err, errlen, "%s: an \"id\" is not a GID of the right kind", path);
		goto cleanup;
	}
	arr = json_object_get(root, "orders");
	S->rq_arena = gql_arena_new();
	S->rq_keep = json_array();
	json_array_foreach(arr, i, it) {
		struct sh_payload p;
		struct sh_order *o = NULL;

		memset(&p, 0, sizeof(p));
		if (!json_is_object(it) ||
		    sh_order_build(S, it, json_object_get(it, "options"), 1, &p, &o) < 0 || !o) {
			const char *msg = p.nerrs ? p.errs[0].message : "not an order object";
			char *field = p.nerrs && p.errs[0].field ?
				json_dumps(p.errs[0].field, JSON_COMPACT) : NULL;

			load_fail(err, errlen, "%s: orders[%zu]: %s%s%s", path, i,
				  field ? field : "", field ? ": " : "", msg);
			free(field);
			goto cleanup;
		}
	}
	ret = 0;
cleanup:
	gql_arena_free(S->rq_arena);
	S->rq_arena = NULL;
	json_decref(S->rq_keep);
	S->rq_keep = NULL;
	json_decref(root);
	return ret;
}
