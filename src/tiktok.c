/*
 * tiktok.c - the TikTok Shop Open API (202309 paths) client: the only code
 * that knows TikTok's wire format (../shared/research/tiktok-shop-api.md,
 * field truth in ../shared/platform-specs/tiktok/). It owns the request
 * signature (§2), the token pair and its refresh (§4), the classification
 * of TikTok's answers (§3) for the engine in http.c, the TikTok limiter
 * (50 QPS per app and shop, §3.4), and the parsing of orders, shops,
 * shipping providers and shipment answers into model.h structs (§5, §6).
 *
 * Every call is a `struct tt_call`: method, path, decoded query
 * parameters and the exact body bytes. prepare() runs before each attempt
 * and re-signs with a fresh timestamp and the current access token;
 * classify() reads the envelope once (the parsed answer is kept for the
 * completion); the completion builds a tt_result and the payload and hands
 * them to the caller's callback. An expired token (105002) triggers one
 * refresh (shared by every call that met it) and one resend.
 *
 * Secrets (app secret, tokens) never reach a log line, an error message or
 * a report: the refresh URL is never logged, and messages are scrubbed of
 * the secrets before they leave this file.
 */
#include "tiktok.h"

#include <jansson.h>
/* OpenSSL names a type ERR_STATE, as common.h names an error class. */
#define ERR_STATE openssl_ERR_STATE
#include <openssl/evp.h>
#include <openssl/hmac.h>
#undef ERR_STATE
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "state.h"

#define TT_DEFAULT_API_BASE "https://open-api.tiktokglobalshop.com"
#define TT_DEFAULT_AUTH_BASE "https://auth.tiktok-shops.com"
#define TT_DEFAULT_SELLER_CENTER "https://seller-us.tiktok.com"
#define TT_RATE_CEILING 50	/* TikTok: 50 QPS per API per (app, shop) (§3.4) */
#define TT_DEFAULT_QPS CFG_DEFAULT_TT_QPS	/* when the config says nothing */
#define TT_MAX_DETAIL_IDS 50	/* Get Order Detail takes at most 50 ids */
#define TT_MAX_PAGE_SIZE 100	/* order search page size 1..100 */
#define TT_VALUE_SHOWN 60	/* characters of a bad value quoted in a message */

enum tt_kind {
	K_SHOPS,
	K_SEARCH,
	K_ORDERS,
	K_PROVIDERS,
	K_SHIP,
	K_UPDATE,
	K_REFRESH,
};

struct tt_kv {
	char *key, *value;	/* value decoded (signed as is, sent encoded) */
};

struct tiktok;

/* Synchronous callers wait for one of these to be filled. */
struct tt_sync {
	int finished;
	struct tt_result res;
	json_t *data;		/* the answer's "data" (a reference) */
};

struct tt_call {
	struct tiktok *t;
	enum tt_kind kind;
	const char *method;
	char *path;
	struct tt_kv *q;
	size_t nq;
	int shop;		/* send shop_cipher */
	char *body;		/* exact bytes sent and signed; NULL for GET */
	size_t body_len;
	int write;		/* not retry-safe */
	int refreshed;		/* already resent once after 105002 */
	unsigned token_gen;	/* token generation of the last attempt */
	json_t *json;		/* last answer, parsed by classify() */
	union {
		tt_orders_cb orders;
		tt_providers_cb providers;
		tt_ship_cb ship;
		tt_simple_cb simple;
	} cb;
	void *arg;
	char *aux;		/* delivery option id of a providers call */
	struct tt_sync *sync;	/* synchronous caller, or NULL */
	struct tt_call *prev, *next;	/* live calls (freed by tiktok_free) */
	struct tt_call *next_waiting;	/* waiting for a token refresh */
};

struct tiktok {
	const struct config *c;
	struct http *h;
	/* One limiter per API: TikTok allows 50 requests/s per API per
	 * (app, shop), so a queue of ship calls never holds up a read. */
	struct http_limiter *lim[K_REFRESH];
	char *app_key, *app_secret, *shop_cipher;
	char *api_base, *auth_base;
	int margin;
	struct tt_token tok;
	unsigned token_gen;	/* bumped whenever the pair changes */
	struct state *st;	/* where refreshed pairs are persisted */
	int refreshing;		/* a refresh call is on its way */
	int refresh_settled;	/* set when a refresh ends (waiters' flag) */
	struct err refresh_err;	/* the last refresh's failure, if any */
	struct tt_call *waiting;	/* calls waiting for the refresh */
	struct tt_call *live;
};

/* ---- small helpers ------------------------------------------------------- */

static char *trim_slash(const char *s)
{
	char *p = xstrdup(s);
	size_t n = strlen(p);

	while (n > 0 && p[n - 1] == '/')
		p[--n] = '\0';
	return p;
}

/* Replace every occurrence of the client's secrets in msg (in place). */
static void scrub(const struct tiktok *t, char *msg, size_t size)
{
	const char *secrets[3];
	struct strbuf sb = STRBUF_INIT;
	const char *p, *hit;
	size_t i, n;

	if (t == NULL || msg == NULL)
		return;
	secrets[0] = t->app_secret;
	secrets[1] = t->tok.access_token;
	secrets[2] = t->tok.refresh_token;
	for (i = 0; i < ARRAY_SIZE(secrets); i++) {
		if (secrets[i] == NULL || strlen(secrets[i]) < 4 ||
		    strstr(msg, secrets[i]) == NULL)
			continue;
		sb_reset(&sb);
		n = strlen(secrets[i]);
		for (p = msg; (hit = strstr(p, secrets[i])) != NULL; p = hit + n) {
			sb_addn(&sb, p, (size_t)(hit - p));
			sb_add(&sb, "[redacted]");
		}
		sb_add(&sb, p);
		if (xsnprintf(msg, size, "%s", sb.buf) < 0)
			msg[size - 1] = '\0';	/* a cut-off message is still safe */
	}
	sb_free(&sb);
}

static void scrub_err(const struct tiktok *t, struct err *e)
{
	if (e)
		scrub(t, e->msg, sizeof(e->msg));
}

/* IDs go into URL paths: digits and letters only (TikTok ids are digits). */
static int id_ok(const char *s)
{
	const char *p;

	if (s == NULL || *s == '\0' || strlen(s) > 64)
		return 0;
	for (p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z') || *p == '_' || *p == '-'))
			return 0;
	return 1;
}

/* A JSON value for a message: compact, cut to TT_VALUE_SHOWN characters. */
static void show_value(const json_t *v, char out[TT_VALUE_SHOWN + 8])
{
	char *d;

	if (v == NULL) {
		(void)xsnprintf(out, TT_VALUE_SHOWN + 8, "(missing)");
		return;
	}
	d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (d == NULL) {
		(void)xsnprintf(out, TT_VALUE_SHOWN + 8, "(unprintable)");
		return;
	}
	if (xsnprintf(out, TT_VALUE_SHOWN + 8, "%.*s%s", TT_VALUE_SHOWN, d,
		      strlen(d) > TT_VALUE_SHOWN ? "..." : "") < 0)
		out[TT_VALUE_SHOWN + 7] = '\0';
	free(d);
}

/* ---- signing (§2) -------------------------------------------------------- */

static int param_cmp(const void *a, const void *b)
{
	const struct tt_param *x = a, *y = b;

	return strcmp(x->key, y->key);
}

int tiktok_sign(const char *app_secret, const char *path,
		const struct tt_param *params, size_t nparams,
		const char *body, size_t body_len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	struct tt_param *sorted = NULL;
	struct strbuf sb = STRBUF_INIT;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t i, n = 0;
	int ret = -1;

	out[0] = '\0';
	if (app_secret == NULL || path == NULL)
		return -1;
	sorted = xcalloc(nparams ? nparams : 1, sizeof(*sorted));
	for (i = 0; i < nparams; i++) {
		if (strcmp(params[i].key, "sign") == 0 ||
		    strcmp(params[i].key, "access_token") == 0)
			continue;
		sorted[n++] = params[i];
	}
	qsort(sorted, n, sizeof(*sorted), param_cmp);
	sb_add(&sb, app_secret);
	sb_add(&sb, path);
	for (i = 0; i < n; i++) {
		sb_add(&sb, sorted[i].key);
		sb_add(&sb, sorted[i].value ? sorted[i].value : "");
	}
	if (body && body_len)
		sb_addn(&sb, body, body_len);
	sb_add(&sb, app_secret);
	if (HMAC(EVP_sha256(), app_secret, (int)strlen(app_secret),
		 (const unsigned char *)sb.buf, sb.len, md, &mdlen) == NULL ||
	    mdlen != 32)
		goto cleanup;
	for (i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
	ret = 0;
cleanup:
	/* the buffer held the secret */
	if (sb.buf)
		memset(sb.buf, 0, sb.cap);
	sb_free(&sb);
	free(sorted);
	return ret;
}

/* ---- result and payload lifetimes ---------------------------------------- */

void tt_result_free(struct tt_result *r)
{
	if (r == NULL)
		return;
	free(r->message);
	free(r->request_id);
	r->message = r->request_id = NULL;
}

void tt_order_page_free(struct tt_order_page *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++) {
		tt_order_free(&p->orders[i]);
		free(p->raw ? p->raw[i] : NULL);
	}
	free(p->orders);
	free(p->raw);
	free(p->next_page_token);
	for (i = 0; i < p->nbad; i++) {
		free(p->bad[i].id);
		free(p->bad[i].raw);
	}
	free(p->bad);
	memset(p, 0, sizeof(*p));
}

void tt_ship_result_free(struct tt_ship_result *r)
{
	if (r == NULL)
		return;
	free(r->package_id);
	str_free_array(r->line_ids, r->nline_ids);
	free(r->warning);
	memset(r, 0, sizeof(*r));
}

/* ---- order parsing (§5) -------------------------------------------------- */

/* Field readers: absent or null is "not given" (NULL / 0); a value of the
 * wrong type fails naming the field ("<where><key>") and the value. */

static int type_error(struct err *e, const char *where, const char *key,
		      const json_t *v, const char *want)
{
	char shown[TT_VALUE_SHOWN + 8];

	show_value(v, shown);
	return err_set(e, ERR_DATA, "ORDER_DATA_INVALID",
		       "%s%s: %s is not %s", where, key, shown, want);
}

static int get_str(const json_t *o, const char *key, const char *where,
		   char **out, struct err *e)
{
	const json_t *v = json_object_get(o, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return type_error(e, where, key, v, "a string");
	*out = xstrndup(json_string_value(v), json_string_length(v));
	return 0;
}

static int get_int(const json_t *o, const char *key, const char *where,
		   int64_t *out, struct err *e)
{
	const json_t *v = json_object_get(o, key);

	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return type_error(e, where, key, v, "an integer");
	*out = (int64_t)json_integer_value(v);
	return 0;
}

static int get_bool(const json_t *o, const char *key, const char *where,
		    int *out, struct err *e)
{
	const json_t *v = json_object_get(o, key);

	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return type_error(e, where, key, v, "true or false");
	*out = json_is_true(v);
	return 0;
}

/* Money: a decimal string in major units; "" counts as not given. */
static int get_money(const json_t *o, const char *key, const char *where,
		     int exp, money_t *out, struct err *e)
{
	const json_t *v = json_object_get(o, key);
	char what[160];
	const char *s;

	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return type_error(e, where, key, v, "a decimal string");
	s = json_string_value(v);
	if (*s == '\0')
		return 0;
	if (xsnprintf(what, sizeof(what), "%s%s", where, key) < 0)
		what[sizeof(what) - 1] = '\0';	/* a cut-off field path still names it */
	if (exp < 0)
		return err_set(e, ERR_DATA, "ORDER_DATA_INVALID",
			       "%s: '%.40s' has no currency (payment.currency missing)",
			       what, s);
	if (money_parse(s, exp, out, what, e) != 0) {
		e->cls = ERR_DATA;
		(void)xsnprintf(e->code, sizeof(e->code), "ORDER_DATA_INVALID");
		return -1;
	}
	return 0;
}

static const json_t *get_obj(const json_t *o, const char *key,
			     const char *where, int *bad, struct err *e)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_object(v)) {
		*bad = 1;
		type_error(e, where, key, v, "an object");
		return NULL;
	}
	return v;
}

static const json_t *get_arr(const json_t *o, const char *key,
			     const char *where, int *bad, struct err *e)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_array(v)) {
		*bad = 1;
		type_error(e, where, key, v, "an array");
		return NULL;
	}
	return v;
}

static int parse_currency(const json_t *o, const char *key, const char *where,
			  char cur[8], int *exp, struct err *e)
{
	char *s = NULL;
	int ret = -1;

	if (get_str(o, key, where, &s, e) != 0)
		return -1;
	if (s == NULL || *s == '\0') {
		ret = 0;	/* not given: the caller keeps what it had */
		goto cleanup;
	}
	*exp = currency_exponent(s);
	if (*exp < 0 || strlen(s) >= 8) {
		err_set(e, ERR_DATA, "ORDER_DATA_INVALID",
			"%s%s: '%.20s' is not a known currency", where, key, s);
		goto cleanup;
	}
	memcpy(cur, s, strlen(s) + 1);
	ret = 0;
cleanup:
	free(s);
	return ret;
}

static int parse_payment(const json_t *p, struct tt_payment *pay, struct err *e)
{
	static const struct {
		const char *key;
		size_t off;
	} fields[] = {
		{ "sub_total", offsetof(struct tt_payment, sub_total) },
		{ "shipping_fee", offsetof(struct tt_payment, shipping_fee) },
		{ "seller_discount", offsetof(struct tt_payment, seller_discount) },
		{ "platform_discount", offsetof(struct tt_payment, platform_discount) },
		{ "total_amount", offsetof(struct tt_payment, total_amount) },
		{ "original_total_product_price",
		  offsetof(struct tt_payment, original_total_product_price) },
		{ "original_shipping_fee", offsetof(struct tt_payment, original_shipping_fee) },
		{ "shipping_fee_seller_discount",
		  offsetof(struct tt_payment, shipping_fee_seller_discount) },
		{ "shipping_fee_platform_discount",
		  offsetof(struct tt_payment, shipping_fee_platform_discount) },
		{ "shipping_fee_cofunded_discount",
		  offsetof(struct tt_payment, shipping_fee_cofunded_discount) },
		{ "tax", offsetof(struct tt_payment, tax) },
		{ "product_tax", offsetof(struct tt_payment, product_tax) },
		{ "shipping_fee_tax", offsetof(struct tt_payment, shipping_fee_tax) },
		{ "retail_delivery_fee", offsetof(struct tt_payment, retail_delivery_fee) },
		{ "item_insurance_fee", offsetof(struct tt_payment, item_insurance_fee) },
		{ "item_insurance_tax", offsetof(struct tt_payment, item_insurance_tax) },
		{ "handling_fee", offsetof(struct tt_payment, handling_fee) },
	};
	size_t i;

	if (parse_currency(p, "currency", "payment.", pay->currency, &pay->exp, e) != 0)
		return -1;
	for (i = 0; i < ARRAY_SIZE(fields); i++)
		if (get_money(p, fields[i].key, "payment.", pay->exp,
			      (money_t *)(void *)((char *)pay + fields[i].off), e) != 0)
			return -1;
	return 0;
}

/* district_info[] -> country/state/county/city: by address_level_name
 * ("Country", "State", "County", "City") first, else by address_level
 * (L0..L3) for the slots still empty (§5.3, CL-lvl). */
static int parse_districts(const json_t *arr, struct tt_address *a,
			   struct err *e)
{
	static const char *const names[] = { "Country", "State", "County", "City" };
	static const char *const levels[] = { "L0", "L1", "L2", "L3" };
	char **slots[4];
	const json_t *d;
	char where[48], *lname = NULL, *lvl = NULL, *val = NULL;
	size_t i, k;
	int pass, ret = -1;

	slots[0] = &a->country;
	slots[1] = &a->state;
	slots[2] = &a->county;
	slots[3] = &a->city;
	for (pass = 0; pass < 2; pass++) {
		json_array_foreach(arr, i, d) {
			if (xsnprintf(where, sizeof(where),
				      "recipient_address.district_info[%zu].", i) < 0)
				goto cleanup;
			if (!json_is_object(d)) {
				type_error(e, "recipient_address.", "district_info",
					   d, "a list of objects");
				goto cleanup;
			}
			if (get_str(d, "address_level_name", where, &lname, e) != 0 ||
			    get_str(d, "address_level", where, &lvl, e) != 0 ||
			    get_str(d, "address_name", where, &val, e) != 0)
				goto cleanup;
			for (k = 0; val && k < ARRAY_SIZE(names); k++) {
				int match = pass == 0
					? (lname && strcasecmp(lname, names[k]) == 0)
					: (lvl && strcasecmp(lvl, levels[k]) == 0);

				if (match && *slots[k] == NULL) {
					*slots[k] = val;
					val = NULL;
					break;
				}
			}
			free(lname);
			free(lvl);
			free(val);
			lname = lvl = val = NULL;
		}
	}
	ret = 0;
cleanup:
	free(lname);
	free(lvl);
	free(val);
	return ret;
}

static int parse_address(const json_t *r, struct tt_address *a, struct err *e)
{
	static const char *const w = "recipient_address.";
	const json_t *d;
	int bad = 0;

	if (get_str(r, "name", w, &a->name, e) != 0 ||
	    get_str(r, "first_name", w, &a->first_name, e) != 0 ||
	    get_str(r, "last_name", w, &a->last_name, e) != 0 ||
	    get_str(r, "phone_number", w, &a->phone, e) != 0 ||
	    get_str(r, "address_line1", w, &a->line1, e) != 0 ||
	    get_str(r, "address_line2", w, &a->line2, e) != 0 ||
	    get_str(r, "address_line3", w, &a->line3, e) != 0 ||
	    get_str(r, "address_line4", w, &a->line4, e) != 0 ||
	    get_str(r, "postal_code", w, &a->postal_code, e) != 0 ||
	    get_str(r, "region_code", w, &a->region_code, e) != 0 ||
	    get_str(r, "full_address", w, &a->full_address, e) != 0)
		return -1;
	d = get_arr(r, "district_info", w, &bad, e);
	if (bad)
		return -1;
	if (d && parse_districts(d, a, e) != 0)
		return -1;
	return 0;
}

static int parse_line(const json_t *l, size_t idx, int order_exp,
		      struct tt_line *out, struct err *e)
{
	char where[48], twhere[72], cur[8] = "";
	const json_t *taxes, *tx;
	int exp = order_exp, bad = 0;
	size_t i;
	money_t amount;

	if (xsnprintf(where, sizeof(where), "line_items[%zu].", idx) < 0)
		return err_set(e, ERR_DATA, "ORDER_DATA_INVALID", "too many line items");
	if (!json_is_object(l))
		return type_error(e, "line_items", "", l, "a list of objects");
	if (parse_currency(l, "currency", where, cur, &exp, e) != 0)
		return -1;
	if (get_str(l, "id", where, &out->id, e) != 0 ||
	    get_str(l, "sku_id", where, &out->sku_id, e) != 0 ||
	    get_str(l, "product_id", where, &out->product_id, e) != 0 ||
	    get_str(l, "seller_sku", where, &out->seller_sku, e) != 0 ||
	    get_str(l, "product_name", where, &out->product_name, e) != 0 ||
	    get_str(l, "sku_name", where, &out->sku_name, e) != 0 ||
	    get_str(l, "display_status", where, &out->display_status, e) != 0 ||
	    get_str(l, "package_id", where, &out->package_id, e) != 0 ||
	    get_str(l, "package_status", where, &out->package_status, e) != 0 ||
	    get_str(l, "tracking_number", where, &out->tracking_number, e) != 0 ||
	    get_str(l, "shipping_provider_id", where, &out->shipping_provider_id, e) != 0 ||
	    get_str(l, "shipping_provider_name", where, &out->shipping_provider_name, e) != 0 ||
	    get_str(l, "cancel_user", where, &out->cancel_user, e) != 0 ||
	    get_str(l, "cancel_reason", where, &out->cancel_reason, e) != 0 ||
	    get_money(l, "original_price", where, exp, &out->original_price, e) != 0 ||
	    get_money(l, "sale_price", where, exp, &out->sale_price, e) != 0 ||
	    get_money(l, "seller_discount", where, exp, &out->seller_discount, e) != 0 ||
	    get_money(l, "platform_discount", where, exp, &out->platform_discount, e) != 0 ||
	    get_money(l, "gift_retail_price", where, exp, &out->gift_retail_price, e) != 0 ||
	    get_bool(l, "is_gift", where, &out->is_gift, e) != 0 ||
	    get_int(l, "rts_time", where, &out->rts_time, e) != 0)
		return -1;
	if (out->id == NULL || *out->id == '\0')
		return err_set(e, ERR_DATA, "ORDER_DATA_INVALID",
			       "%sid: missing", where);
	taxes = get_arr(l, "item_tax", where, &bad, e);
	if (bad)
		return -1;
	if (taxes == NULL)
		return 0;
	out->has_tax = 1;
	json_array_foreach(taxes, i, tx) {
		if (xsnprintf(twhere, sizeof(twhere), "%sitem_tax[%zu].", where, i) < 0)
			return err_set(e, ERR_DATA, "ORDER_DATA_INVALID", "too many taxes");
		if (!json_is_object(tx))
			return type_error(e, where, "item_tax", tx, "a list of objects");
		if (get_money(tx, "tax_amount", twhere, exp, &amount, e) != 0)
			return -1;
		out->tax += amount;
		if (out->tax_rate == NULL &&
		    get_str(tx, "tax_rate", twhere, &out->tax_rate, e) != 0)
			return -1;
	}
	return 0;
}

static int parse_order(const json_t *o, struct tt_order *out, struct err *e)
{
	const json_t *pay, *addr, *lines, *pk, *l;
	char *id = NULL;
	int bad = 0, ret = -1;
	size_t i;

	memset(out, 0, sizeof(*out));
	out->payment.exp = -1;
	if (!json_is_object(o))
		return type_error(e, "", "order", o, "an object");
	if (get_str(o, "id", "", &out->id, e) != 0)
		goto cleanup;
	if (out->id == NULL || *out->id == '\0') {
		err_set(e, ERR_DATA, "ORDER_DATA_INVALID", "id: missing");
		goto cleanup;
	}
	id = xstrdup(out->id);
	if (get_str(o, "status", "", &out->status_str, e) != 0)
		goto cleanup;
	if (out->status_str == NULL) {
		err_set(e, ERR_DATA, "ORDER_DATA_INVALID", "status: missing");
		goto cleanup;
	}
	out->status = tt_status_parse(out->status_str);
	if (get_str(o, "fulfillment_type", "", &out->fulfillment_type, e) != 0 ||
	    get_str(o, "shipping_type", "", &out->shipping_type, e) != 0 ||
	    get_str(o, "delivery_option_id", "", &out->delivery_option_id, e) != 0 ||
	    get_str(o, "delivery_option_name", "", &out->delivery_option_name, e) != 0 ||
	    get_str(o, "buyer_message", "", &out->buyer_message, e) != 0 ||
	    get_str(o, "buyer_email", "", &out->buyer_email, e) != 0 ||
	    get_str(o, "seller_note", "", &out->seller_note, e) != 0 ||
	    get_str(o, "user_id", "", &out->user_id, e) != 0 ||
	    get_str(o, "cancel_reason", "", &out->cancel_reason, e) != 0 ||
	    get_str(o, "cancellation_initiator", "", &out->cancellation_initiator, e) != 0 ||
	    get_str(o, "tracking_number", "", &out->tracking_number, e) != 0 ||
	    get_str(o, "shipping_provider", "", &out->shipping_provider, e) != 0 ||
	    get_str(o, "shipping_provider_id", "", &out->shipping_provider_id, e) != 0 ||
	    get_bool(o, "is_sample_order", "", &out->is_sample_order, e) != 0 ||
	    get_bool(o, "is_on_hold_order", "", &out->is_on_hold_order, e) != 0 ||
	    get_bool(o, "is_buyer_request_cancel", "", &out->is_buyer_request_cancel, e) != 0 ||
	    get_int(o, "create_time", "", &out->create_time, e) != 0 ||
	    get_int(o, "update_time", "", &out->update_time, e) != 0 ||
	    get_int(o, "paid_time", "", &out->paid_time, e) != 0 ||
	    get_int(o, "rts_time", "", &out->rts_time, e) != 0 ||
	    get_int(o, "collection_time", "", &out->collection_time, e) != 0 ||
	    get_int(o, "delivery_time", "", &out->delivery_time, e) != 0 ||
	    get_int(o, "cancel_time", "", &out->cancel_time, e) != 0)
		goto cleanup;
	if (out->create_time <= 0) {
		type_error(e, "", "create_time", json_object_get(o, "create_time"),
			   "a creation time (epoch seconds)");
		goto cleanup;
	}
	pay = get_obj(o, "payment", "", &bad, e);
	if (bad || (pay && parse_payment(pay, &out->payment, e) != 0))
		goto cleanup;
	addr = get_obj(o, "recipient_address", "", &bad, e);
	if (bad || (addr && parse_address(addr, &out->addr, e) != 0))
		goto cleanup;
	lines = get_arr(o, "line_items", "", &bad, e);
	if (bad)
		goto cleanup;
	if (lines && json_array_size(lines) > 0) {
		out->lines = xcalloc(json_array_size(lines), sizeof(*out->lines));
		json_array_foreach(lines, i, l) {
			out->nlines = i + 1;
			if (parse_line(l, i, out->payment.exp, &out->lines[i], e) != 0)
				goto cleanup;
		}
	}
	pk = get_arr(o, "packages", "", &bad, e);
	if (bad)
		goto cleanup;
	if (pk && json_array_size(pk) > 0) {
		const json_t *p;
		char where[32];

		out->package_ids = xcalloc(json_array_size(pk), sizeof(char *));
		json_array_foreach(pk, i, p) {
			if (xsnprintf(where, sizeof(where), "packages[%zu].", i) < 0)
				goto cleanup;
			if (!json_is_object(p)) {
				type_error(e, "", "packages", p, "a list of objects");
				goto cleanup;
			}
			if (get_str(p, "id", where, &out->package_ids[out->npackages], e) != 0)
				goto cleanup;
			if (out->package_ids[out->npackages])
				out->npackages++;
		}
	}
	if (out->payment.exp < 0)
		out->payment.exp = 0;	/* no money in this order at all */
	ret = 0;
cleanup:
	if (ret != 0) {
		if (id)
			err_prefix(e, "TikTok order %s", id);
		else
			err_prefix(e, "TikTok order");
		tt_order_free(out);
	}
	free(id);
	return ret;
}

int tiktok_order_from_json(const char *json, struct tt_order *out,
			   struct err *e)
{
	json_error_t je;
	json_t *root;
	int ret;

	memset(out, 0, sizeof(*out));
	root = json_loads(json ? json : "", 0, &je);
	if (root == NULL)
		return err_set(e, ERR_DATA, "ORDER_DATA_INVALID",
			       "TikTok order: not JSON (%s at line %d)", je.text,
			       je.line);
	ret = parse_order(root, out, e);
	json_decref(root);
	return ret;
}

char *tiktok_order_url(const struct config *c, const char *order_id)
{
	char *base, *id, *url;

	base = trim_slash(c && c->tt_seller_center_base ? c->tt_seller_center_base
							: TT_DEFAULT_SELLER_CENTER);
	id = http_urlencode(order_id ? order_id : "");
	url = xasprintf("%s/order/detail?order_no=%s", base, id ? id : "");
	free(id);
	free(base);
	return url;
}

/* ---- answers other than orders ------------------------------------------- */

static int parse_page(struct tiktok *t, const json_t *data,
		      struct tt_order_page *p, struct err *e)
{
	const json_t *orders, *o, *v;
	json_int_t total = 0;
	int bad = 0;
	size_t i, n;

	memset(p, 0, sizeof(*p));
	if (!json_is_object(data))
		return type_error(e, "", "data", data, "an object");
	if (get_str(data, "next_page_token", "data.", &p->next_page_token, e) != 0)
		return -1;
	v = json_object_get(data, "total_count");
	if (v && !json_is_null(v)) {
		if (!json_is_integer(v))
			return type_error(e, "data.", "total_count", v, "an integer");
		total = json_integer_value(v);
	}
	p->total_count = (long)total;
	orders = get_arr(data, "orders", "data.", &bad, e);
	if (bad)
		return -1;
	n = orders ? json_array_size(orders) : 0;
	p->orders = xcalloc(n ? n : 1, sizeof(*p->orders));
	p->raw = xcalloc(n ? n : 1, sizeof(char *));
	p->bad = xcalloc(n ? n : 1, sizeof(*p->bad));
	for (i = 0; i < n; i++) {
		struct err oe;
		char *raw;

		o = json_array_get(orders, i);
		raw = json_dumps(o, JSON_COMPACT | JSON_ENCODE_ANY);
		if (raw == NULL)
			raw = xstrdup("null");
		err_clear(&oe);
		if (parse_order(o, &p->orders[p->n], &oe) == 0) {
			p->raw[p->n++] = raw;
			continue;
		}
		scrub_err(t, &oe);
		v = json_is_object(o) ? json_object_get(o, "id") : NULL;
		p->bad[p->nbad].id = json_is_string(v) && json_string_length(v) > 0
			? xstrdup(json_string_value(v)) : NULL;
		p->bad[p->nbad].raw = raw;
		p->bad[p->nbad].err = oe;
		logmsg(LOG_INFO, "%s", oe.msg);	/* the caller reports it */
		p->nbad++;
	}
	return 0;
}

static int parse_providers(const json_t *data, const char *option_id,
			   struct tt_provider_list *l, struct err *e)
{
	const json_t *arr, *p;
	char where[48];
	int bad = 0;
	size_t i;

	memset(l, 0, sizeof(*l));
	l->delivery_option_id = xstrdup(option_id);
	if (!json_is_object(data))
		return type_error(e, "", "data", data, "an object");
	arr = get_arr(data, "shipping_providers", "data.", &bad, e);
	if (bad)
		return -1;
	if (arr == NULL)
		return 0;
	l->v = xcalloc(json_array_size(arr) ? json_array_size(arr) : 1, sizeof(*l->v));
	json_array_foreach(arr, i, p) {
		if (xsnprintf(where, sizeof(where), "shipping_providers[%zu].", i) < 0 ||
		    !json_is_object(p))
			return type_error(e, "data.", "shipping_providers", p,
					  "a list of objects");
		if (get_str(p, "id", where, &l->v[l->n].id, e) != 0 ||
		    get_str(p, "name", where, &l->v[l->n].name, e) != 0) {
			free(l->v[l->n].id);
			free(l->v[l->n].name);
			l->v[l->n].id = l->v[l->n].name = NULL;
			return -1;
		}
		if (l->v[l->n].id == NULL || l->v[l->n].name == NULL) {
			free(l->v[l->n].id);
			free(l->v[l->n].name);
			l->v[l->n].id = l->v[l->n].name = NULL;
			return err_set(e, ERR_DATA, "PLATFORM_ERROR",
				       "%sid/name: missing", where);
		}
		l->n++;
	}
	return 0;
}

static int parse_ship(const json_t *data, struct tt_ship_result *s,
		      struct err *e)
{
	const json_t *ids, *w, *v;
	char where[40];
	int bad = 0;
	size_t i;

	memset(s, 0, sizeof(*s));
	if (!json_is_object(data))
		return type_error(e, "", "data", data, "an object");
	if (get_str(data, "package_id", "data.", &s->package_id, e) != 0)
		return -1;
	if (s->package_id == NULL || *s->package_id == '\0')
		return err_set(e, ERR_DATA, "PLATFORM_ERROR",
			       "data.package_id: missing from TikTok's answer");
	ids = get_arr(data, "order_line_item_ids", "data.", &bad, e);
	if (bad)
		return -1;
	if (ids && json_array_size(ids) > 0) {
		s->line_ids = xcalloc(json_array_size(ids), sizeof(char *));
		json_array_foreach(ids, i, v) {
			if (!json_is_string(v)) {
				if (xsnprintf(where, sizeof(where), "order_line_item_ids[%zu]", i) < 0)
					where[0] = '\0';
				return type_error(e, "data.", where, v, "a string");
			}
			s->line_ids[s->nline_ids++] = xstrdup(json_string_value(v));
		}
	}
	w = get_obj(data, "warning", "data.", &bad, e);
	if (bad)
		return -1;
	if (w && get_str(w, "message", "data.warning.", &s->warning, e) != 0)
		return -1;
	if (s->warning && *s->warning == '\0') {
		free(s->warning);
		s->warning = NULL;
	}
	return 0;
}

static int parse_token(const json_t *data, struct tt_token *tok, struct err *e)
{
	int ret = -1;

	memset(tok, 0, sizeof(*tok));
	if (!json_is_object(data))
		return type_error(e, "", "data", data, "an object");
	if (get_str(data, "access_token", "data.", &tok->access_token, e) != 0 ||
	    get_str(data, "refresh_token", "data.", &tok->refresh_token, e) != 0 ||
	    get_int(data, "access_token_expire_in", "data.", &tok->access_expire, e) != 0 ||
	    get_int(data, "refresh_token_expire_in", "data.", &tok->refresh_expire, e) != 0)
		goto cleanup;
	if (tok->access_token == NULL || *tok->access_token == '\0' ||
	    tok->refresh_token == NULL || *tok->refresh_token == '\0') {
		err_set(e, ERR_AUTH, "TT_TOKEN_INVALID",
			"TikTok's token answer has no access or refresh token");
		goto cleanup;
	}
	ret = 0;
cleanup:
	/* Messages name fields only; a type error may quote a token value,
	 * which the caller scrubs. */
	if (ret != 0)
		tt_token_free(tok);
	return ret;
}

/* ---- classification (§3) ------------------------------------------------- */

/* Codes meaning "try again": transient on TikTok's side. */
static int code_transient(long code)
{
	static const long codes[] = {
		36009003, 36009007,
		10002014, 10002015, 10037002, 10037003, 10037004,
		11001027, 11001031, 21001003, 21001008, 21001011, 21001043,
		21001055, 21008300, 21022029, 21022030, 21042001, 21042076,
		11006005, 11006026,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(codes); i++)
		if (codes[i] == code)
			return 1;
	return 0;
}

/* Codes meaning our credentials or app set-up were refused: the run stops. */
static int code_auth(long code)
{
	static const long codes[] = {
		101000, 105001, 105002, 105003, 105004, 105005, 106001, 106013,
		36009004, 36009008, 36009033, 36004001, 36004004, 36004005,
		36009043, 36009044,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(codes); i++)
		if (codes[i] == code)
			return 1;
	return 0;
}

static long envelope_code(const json_t *root)
{
	const json_t *c = root ? json_object_get(root, "code") : NULL;

	return json_is_integer(c) ? (long)json_integer_value(c) : -1;
}

static enum http_verdict tt_classify(const struct http_resp *r, void *ctx,
				     int64_t *retry_ms)
{
	struct tt_call *call = ctx;
	json_t *root = NULL;
	long code;

	(void)retry_ms;	/* TikTok sends no hint; Retry-After is read by http.c */
	json_decref(call->json);
	call->json = NULL;
	if (r->body && r->len)
		root = json_loadb(r->body, r->len, 0, NULL);
	if (root && json_is_object(root) && json_is_integer(json_object_get(root, "code")))
		call->json = root;
	else
		json_decref(root);
	code = envelope_code(call->json);
	/* Throttled: refused before execution, safe to resend even a write. */
	if (r->status == 429 || code == 36009002)
		return HTTP_VERDICT_REFUSED;
	/* Transient: reads are resent; a write's outcome is unknown. */
	if (code_transient(code) || r->status >= 500)
		return HTTP_VERDICT_RETRY;
	if (call->json == NULL)	/* garbled or cut-off answer */
		return r->status >= 200 && r->status < 300 ? HTTP_VERDICT_RETRY
							   : HTTP_VERDICT_FAIL;
	if (code == 0 && r->status >= 200 && r->status < 300)
		return HTTP_VERDICT_OK;
	return HTTP_VERDICT_FAIL;
}

/* ---- calls --------------------------------------------------------------- */

static const char *call_name(const struct tt_call *c)
{
	switch (c->kind) {
	case K_SHOPS: return "get authorized shops";
	case K_SEARCH: return "search orders";
	case K_ORDERS: return "get order detail";
	case K_PROVIDERS: return "get shipping providers";
	case K_SHIP: return "mark package as shipped";
	case K_UPDATE: return "update package shipping info";
	case K_REFRESH: return "refresh access token";
	}
	return "call";
}

static struct tt_call *call_new(struct tiktok *t, enum tt_kind kind,
				const char *method, char *path, int shop,
				int write)
{
	struct tt_call *c = xcalloc(1, sizeof(*c));

	c->t = t;
	c->kind = kind;
	c->method = method;
	c->path = path;
	c->shop = shop;
	c->write = write;
	c->next = t->live;
	if (t->live)
		t->live->prev = c;
	t->live = c;
	return c;
}

static void call_add_param(struct tt_call *c, const char *key, const char *value)
{
	c->q = xrealloc(c->q, (c->nq + 1) * sizeof(*c->q));
	c->q[c->nq].key = xstrdup(key);
	c->q[c->nq].value = xstrdup(value);
	c->nq++;
}

static void call_set_json_body(struct tt_call *c, json_t *body)
{
	c->body = json_dumps(body, JSON_COMPACT);
	if (c->body == NULL)
		c->body = xstrdup("{}");
	c->body_len = strlen(c->body);
}

static void call_free(struct tt_call *c)
{
	size_t i;

	if (c == NULL)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else if (c->t->live == c)
		c->t->live = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c->path);
	for (i = 0; i < c->nq; i++) {
		free(c->q[i].key);
		free(c->q[i].value);
	}
	free(c->q);
	free(c->body);
	free(c->aux);
	json_decref(c->json);
	free(c);
}

/* Build the URL and headers of the next attempt: fresh timestamp, current
 * token, new signature. */
static int tt_prepare(struct http_req *req, void *ctx)
{
	struct tt_call *c = ctx;
	struct tiktok *t = c->t;
	struct tt_param *p = NULL;
	struct strbuf url = STRBUF_INIT;
	char ts[24], sign[65], *enc;
	size_t i, n = 0;
	int ret = -1;

	http_req_clear_headers(req);
	json_decref(c->json);	/* nothing of an earlier attempt's answer survives */
	c->json = NULL;
	if (c->kind == K_REFRESH) {
		/* Unsigned; carries the app secret: never logged (§4). */
		const char *keys[] = { "app_key", "app_secret", "refresh_token", "grant_type" };
		const char *vals[] = { t->app_key, t->app_secret, t->tok.refresh_token,
				       "refresh_token" };

		sb_addf(&url, "%s/api/v2/token/refresh", t->auth_base);
		for (i = 0; i < ARRAY_SIZE(keys); i++) {
			enc = http_urlencode(vals[i] ? vals[i] : "");
			sb_addf(&url, "%c%s=%s", i ? '&' : '?', keys[i], enc ? enc : "");
			free(enc);
		}
		http_req_set_url(req, url.buf);
		http_req_add_header(req, "content-type: application/json");
		ret = 0;
		goto cleanup;
	}
	if (t->tok.access_token == NULL)
		goto cleanup;
	if (xsnprintf(ts, sizeof(ts), "%lld", (long long)clock_now()) < 0)
		goto cleanup;
	p = xcalloc(c->nq + 3, sizeof(*p));
	p[n++] = (struct tt_param){ "app_key", t->app_key };
	p[n++] = (struct tt_param){ "timestamp", ts };
	if (c->shop)
		p[n++] = (struct tt_param){ "shop_cipher", t->shop_cipher };
	for (i = 0; i < c->nq; i++)
		p[n++] = (struct tt_param){ c->q[i].key, c->q[i].value };
	if (tiktok_sign(t->app_secret, c->path, p, n, c->body, c->body_len, sign) != 0)
		goto cleanup;
	sb_addf(&url, "%s%s", t->api_base, c->path);
	for (i = 0; i < n; i++) {
		enc = http_urlencode(p[i].value);
		if (enc == NULL)
			goto cleanup;
		sb_addf(&url, "%c%s=%s", i ? '&' : '?', p[i].key, enc);
		free(enc);
	}
	sb_addf(&url, "&sign=%s", sign);
	http_req_set_url(req, url.buf);
	http_req_add_header(req, "content-type: application/json");
	http_req_add_header(req, "x-tts-access-token: %s", t->tok.access_token);
	c->token_gen = t->token_gen;
	ret = 0;
cleanup:
	if (url.buf)
		memset(url.buf, 0, url.cap);	/* may hold the app secret */
	sb_free(&url);
	free(p);
	return ret;
}

static void on_http_done(struct http_req *req, enum http_outcome oc,
			 const struct http_resp *r, void *arg);

static int call_submit(struct tt_call *c, struct err *e)
{
	struct tiktok *t = c->t;
	struct http_req *req;
	char label[64];

	if (c->kind != K_REFRESH && t->tok.access_token == NULL)
		return err_set(e, ERR_AUTH, "NO_TOKEN",
			       "TikTok %s: no access token (the token pair was never installed)",
			       call_name(c));
	if (xsnprintf(label, sizeof(label), "TikTok %s", call_name(c)) < 0)
		label[sizeof(label) - 1] = '\0';
	/* The URL is built by tt_prepare before each attempt; this one is
	 * only what http_submit's scheme check reads. */
	req = http_req_new(c->method, c->kind == K_REFRESH ? t->auth_base : t->api_base);
	if (c->body)
		http_req_set_body(req, c->body, c->body_len);
	req->retry_safe = !c->write;
	req->cost = 1;
	req->limiter = c->kind == K_REFRESH ? NULL : t->lim[c->kind];
	req->classify = tt_classify;
	req->classify_ctx = c;
	req->prepare = tt_prepare;
	req->prepare_ctx = c;
	req->done = on_http_done;
	req->done_arg = c;
	req->log_label = call_name(c);
	if (http_submit(t->h, req, e) != 0) {
		err_prefix(e, "%s", label);
		return -1;
	}
	return 0;
}

/* Fill res->err for anything but success. */
static void result_error(struct tt_call *c, struct tt_result *res,
			 const struct http_resp *r)
{
	struct tiktok *t = c->t;
	const char *msg = res->message ? res->message : "";
	char label[160];

	if (xsnprintf(label, sizeof(label), "TikTok %s (%s %s)", call_name(c),
		      c->method, c->kind == K_REFRESH ? "/api/v2/token/refresh"
						      : c->path) < 0)
		label[sizeof(label) - 1] = '\0';
	switch (res->oc) {
	case HTTP_OUTCOME_DEADLINE:
		err_set(&res->err, ERR_NETWORK, "RUN_DEADLINE",
			"%s: not sent: the run reached its time limit", label);
		break;
	case HTTP_OUTCOME_UNKNOWN:
		err_set(&res->err, ERR_UNKNOWN_OUTCOME, "OUTCOME_UNKNOWN",
			"%s: sent, but the answer was lost (%s); TikTok may have applied it",
			label, r->status ? (res->code > 0 ? msg : "server error")
					 : r->curl_error);
		break;
	case HTTP_OUTCOME_GAVE_UP:
		if (r->status)
			err_set(&res->err, ERR_NETWORK, "NETWORK_ERROR",
				"%s: TikTok still failing after %d attempts (HTTP %ld%s%s)",
				label, r->attempts, r->status, res->code > 0 ? ", " : "",
				res->code > 0 ? msg : "");
		else
			err_set(&res->err, ERR_NETWORK, "NETWORK_ERROR",
				"%s: TikTok unreachable after %d attempts (%s)",
				label, r->attempts, r->curl_error);
		break;
	case HTTP_OUTCOME_OK:
	case HTTP_OUTCOME_FAILED:
	default:
		if (res->code > 0) {
			char code[32];

			if (xsnprintf(code, sizeof(code), "TT_%ld", res->code) < 0)
				code[0] = '\0';
			if (c->kind == K_REFRESH)
				err_set(&res->err, ERR_AUTH, code,
					"%s: TikTok refused to refresh the access token (%ld %s); "
					"re-authorize the app in TikTok Shop Seller Center and "
					"install the new token pair",
					label, res->code, msg);
			else if (code_auth(res->code))
				err_set(&res->err, ERR_AUTH, code,
					"%s: TikTok refused our credentials (%ld %s)",
					label, res->code, msg);
			else
				err_set(&res->err, ERR_PLATFORM, code,
					"%s: TikTok refused (%ld %s)", label,
					res->code, msg);
		} else if (r->status == 0) {
			err_set(&res->err, ERR_NETWORK, "NETWORK_ERROR",
				"%s: %s", label, r->curl_error[0] ? r->curl_error
							   : "request failed");
		} else {
			char code[32];

			if (xsnprintf(code, sizeof(code), "TT_HTTP_%ld", r->status) < 0)
				code[0] = '\0';
			err_set(&res->err, c->kind == K_REFRESH ? ERR_AUTH : ERR_PLATFORM,
				code, "%s: HTTP %ld without a TikTok answer", label,
				r->status);
		}
		break;
	}
	if (res->request_id && *res->request_id) {
		size_t len = strlen(res->err.msg);

		if (xsnprintf(res->err.msg + len, sizeof(res->err.msg) - len,
			      " [request id %s]", res->request_id) < 0)
			res->err.msg[len] = '\0';	/* no room: leave it out */
	}
	scrub_err(t, &res->err);
}

/* A successful answer whose data is not what TikTok documents: a read
 * fails (definitely); a write was applied but we cannot tell with what. */
static void data_error(struct tt_call *c, struct tt_result *res,
		       const struct err *why)
{
	if (c->write) {
		res->oc = HTTP_OUTCOME_UNKNOWN;
		err_set(&res->err, ERR_UNKNOWN_OUTCOME, "OUTCOME_UNKNOWN",
			"TikTok %s: accepted, but the answer is malformed (%s)",
			call_name(c), why->msg);
	} else {
		res->oc = HTTP_OUTCOME_FAILED;
		err_set(&res->err, ERR_DATA, "PLATFORM_ERROR",
			"TikTok %s: malformed answer (%s)", call_name(c), why->msg);
	}
	scrub_err(c->t, &res->err);
}

static void refresh_finished(struct tiktok *t, struct tt_result *res,
			     const json_t *data);

/* Deliver: parse the payload for the kind and call the caller. */
static void call_finish(struct tt_call *c, struct tt_result *res,
			const json_t *data)
{
	int ok = res->oc == HTTP_OUTCOME_OK && res->code == 0;
	struct tt_order_page page;
	struct tt_provider_list prov;
	struct tt_ship_result ship;
	struct err pe;

	memset(&page, 0, sizeof(page));
	memset(&prov, 0, sizeof(prov));
	memset(&ship, 0, sizeof(ship));
	err_clear(&pe);
	if (c->sync) {
		/* The synchronous caller reads the data itself. */
		c->sync->res = *res;
		res->message = res->request_id = NULL;
		c->sync->data = ok && data ? json_incref((json_t *)data) : NULL;
		c->sync->finished = 1;
		if (c->kind == K_REFRESH)
			refresh_finished(c->t, &c->sync->res, c->sync->data);
		return;
	}
	switch (c->kind) {
	case K_REFRESH:
		refresh_finished(c->t, res, ok ? data : NULL);
		break;
	case K_SEARCH:
	case K_ORDERS:
		if (ok && parse_page(c->t, data, &page, &pe) != 0) {
			tt_order_page_free(&page);
			data_error(c, res, &pe);
			ok = 0;
		}
		if (c->cb.orders)
			c->cb.orders(c->arg, res, ok ? &page : NULL);
		tt_order_page_free(&page);
		break;
	case K_PROVIDERS:
		if (ok && parse_providers(data, c->aux, &prov, &pe) != 0) {
			tt_provider_list_free(&prov);
			data_error(c, res, &pe);
			ok = 0;
		}
		if (c->cb.providers)
			c->cb.providers(c->arg, res, ok ? &prov : NULL);
		tt_provider_list_free(&prov);
		break;
	case K_SHIP:
		if (ok && parse_ship(data, &ship, &pe) != 0) {
			tt_ship_result_free(&ship);
			data_error(c, res, &pe);
			ok = 0;
		}
		if (c->cb.ship)
			c->cb.ship(c->arg, res, ok ? &ship : NULL);
		tt_ship_result_free(&ship);
		break;
	case K_UPDATE:
	case K_SHOPS:
		if (c->cb.simple)
			c->cb.simple(c->arg, res);
		break;
	}
}

/* Complete a call that never got (or will not get) a usable answer. */
static void call_fail(struct tt_call *c, const struct err *why, long code)
{
	struct tt_result res;

	memset(&res, 0, sizeof(res));
	res.oc = HTTP_OUTCOME_FAILED;
	res.code = code;
	res.err = *why;
	call_finish(c, &res, NULL);
	tt_result_free(&res);
	call_free(c);
}

static void start_refresh(struct tiktok *t, struct tt_sync *sync);

static void on_http_done(struct http_req *req, enum http_outcome oc,
			 const struct http_resp *r, void *arg)
{
	struct tt_call *c = arg;
	struct tiktok *t = c->t;
	struct tt_result res;
	json_t *root = c->json;
	const json_t *v;
	struct err e;

	(void)req;
	c->json = NULL;
	memset(&res, 0, sizeof(res));
	res.oc = oc;
	res.http_status = r->status;
	res.code = -1;
	if (root && (oc == HTTP_OUTCOME_OK || oc == HTTP_OUTCOME_FAILED ||
		     oc == HTTP_OUTCOME_GAVE_UP || oc == HTTP_OUTCOME_UNKNOWN)) {
		res.code = envelope_code(root);
		v = json_object_get(root, "message");
		if (json_is_string(v))
			res.message = xstrdup(json_string_value(v));
		v = json_object_get(root, "request_id");
		if (json_is_string(v))
			res.request_id = xstrdup(json_string_value(v));
		if (res.message)
			scrub(t, res.message, strlen(res.message) + 1);
	}
	/* Expired access token: refused before execution, so refresh once
	 * and resend, whatever the call. */
	if (res.code == 105002 && c->kind != K_REFRESH && !c->refreshed) {
		c->refreshed = 1;
		json_decref(root);
		tt_result_free(&res);
		err_clear(&e);
		if (c->token_gen != t->token_gen) {	/* refreshed meanwhile */
			if (call_submit(c, &e) != 0)
				call_fail(c, &e, -1);
			return;
		}
		{	/* FIFO: resent in the order they met the expiry */
			struct tt_call **tail = &t->waiting;

			while (*tail)
				tail = &(*tail)->next_waiting;
			*tail = c;
		}
		if (!t->refreshing)
			start_refresh(t, NULL);
		return;
	}
	if (!(oc == HTTP_OUTCOME_OK && res.code == 0))
		result_error(c, &res, r);
	call_finish(c, &res, root ? json_object_get(root, "data") : NULL);
	json_decref(root);
	tt_result_free(&res);
	call_free(c);
}

/* ---- tokens (§4) --------------------------------------------------------- */

static void install_token(struct tiktok *t, const struct tt_token *tok)
{
	struct tt_token n;

	n.access_token = xstrdup(tok->access_token);
	n.refresh_token = xstrdup(tok->refresh_token);
	n.access_expire = tok->access_expire;
	n.refresh_expire = tok->refresh_expire;
	tt_token_free(&t->tok);
	t->tok = n;
	t->token_gen++;
}

void tiktok_set_token(struct tiktok *t, const struct tt_token *tok)
{
	if (tok)
		install_token(t, tok);
}

/* A refresh ended (res says how): install and persist the new pair, then
 * resend or fail the calls that were waiting for it. */
static void refresh_finished(struct tiktok *t, struct tt_result *res,
			     const json_t *data)
{
	struct tt_token tok;
	struct tt_call *c, *next;
	struct err e;
	int ok = res->oc == HTTP_OUTCOME_OK && res->code == 0;

	memset(&tok, 0, sizeof(tok));
	err_clear(&e);
	t->refreshing = 0;
	t->refresh_settled = 1;
	err_clear(&t->refresh_err);
	if (ok && parse_token(data, &tok, &e) != 0) {
		res->oc = HTTP_OUTCOME_FAILED;
		res->err = e;
		ok = 0;
	}
	if (ok) {
		install_token(t, &tok);
		logmsg(LOG_INFO, "TikTok access token refreshed (valid until %lld)",
		       (long long)tok.access_expire);
		if (t->st && state_token_put(t->st, &tok, &e) != 0) {
			/* Keep using the new pair in this run; the run must
			 * not end as if all were well. */
			res->oc = HTTP_OUTCOME_FAILED;
			res->err = e;
			err_prefix(&res->err, "the refreshed TikTok token pair could not be saved");
		}
	}
	tt_token_free(&tok);
	if (res->err.cls != ERR_NONE) {
		scrub_err(t, &res->err);
		t->refresh_err = res->err;
	}
	c = t->waiting;
	t->waiting = NULL;
	for (; c; c = next) {
		next = c->next_waiting;
		c->next_waiting = NULL;
		if (!ok) {
			struct err why = res->err;

			err_prefix(&why, "TikTok %s: access token expired (105002) and "
				   "could not be refreshed", call_name(c));
			why.cls = ERR_AUTH;
			call_fail(c, &why, 105002);
			continue;
		}
		err_clear(&e);
		if (call_submit(c, &e) != 0)
			call_fail(c, &e, -1);
	}
}

static void start_refresh(struct tiktok *t, struct tt_sync *sync)
{
	struct tt_call *c;
	struct err e;

	c = call_new(t, K_REFRESH, "GET", NULL, 0, 0);
	c->sync = sync;
	t->refreshing = 1;
	t->refresh_settled = 0;
	err_clear(&e);
	if (call_submit(c, &e) != 0) {
		struct tt_result res;

		memset(&res, 0, sizeof(res));
		res.oc = HTTP_OUTCOME_FAILED;
		res.code = -1;
		res.err = e;
		call_finish(c, &res, NULL);	/* runs refresh_finished */
		tt_result_free(&res);
		call_free(c);
	}
}

static int tt_ensure_token(struct tiktok *t, struct state *st, struct err *e)
{
	struct tt_sync sync;
	int64_t now = clock_now();
	char when[32];
	int ret = -1;

	if (st)
		t->st = st;
	if (t->refreshing) {	/* a refresh after 105002 is on its way */
		if (http_run_until(t->h, &t->refresh_settled, e) != 0)
			return -1;
		if (t->refreshing)
			return err_set(e, ERR_NETWORK, "NETWORK_ERROR",
				       "TikTok token refresh did not complete");
		if (t->refresh_err.cls != ERR_NONE) {
			*e = t->refresh_err;
			return -1;
		}
	}
	/* Unknown expiry (0): trust the token until TikTok says 105002. */
	if (t->tok.access_token &&
	    (t->tok.access_expire == 0 || t->tok.access_expire - now >= t->margin))
		return 0;
	if (t->tok.refresh_token == NULL || *t->tok.refresh_token == '\0')
		return err_set(e, ERR_AUTH, "NO_REFRESH_TOKEN",
			       "the TikTok access token %s and there is no refresh token: "
			       "re-authorize the app and install the new token pair",
			       t->tok.access_token ? "expires soon" : "is missing");
	if (t->tok.refresh_expire > 0 && t->tok.refresh_expire <= now) {
		if (time_to_iso8601(t->tok.refresh_expire, when) != 0)
			(void)xsnprintf(when, sizeof(when), "%lld",
					(long long)t->tok.refresh_expire);
		return err_set(e, ERR_AUTH, "TT_REFRESH_EXPIRED",
			       "the TikTok refresh token expired at %s: re-authorize the "
			       "app in TikTok Shop Seller Center and install the new token pair",
			       when);
	}
	memset(&sync, 0, sizeof(sync));
	start_refresh(t, &sync);
	if (!sync.finished && http_run_until(t->h, &sync.finished, e) != 0)
		goto cleanup;
	if (!sync.finished) {
		err_set(e, ERR_NETWORK, "NETWORK_ERROR",
			"TikTok token refresh did not complete");
		goto cleanup;
	}
	if (sync.res.err.cls != ERR_NONE) {
		*e = sync.res.err;
		goto cleanup;
	}
	ret = 0;
cleanup:
	json_decref(sync.data);
	tt_result_free(&sync.res);
	return ret;
}

/* ---- operations ---------------------------------------------------------- */

static int run_sync(struct tt_call *c, struct tt_sync *sync, struct err *e)
{
	struct tiktok *t = c->t;

	memset(sync, 0, sizeof(*sync));
	c->sync = sync;
	if (call_submit(c, e) != 0) {
		call_free(c);
		return -1;
	}
	if (http_run_until(t->h, &sync->finished, e) != 0)
		return -1;
	if (!sync->finished)
		return err_set(e, ERR_NETWORK, "NETWORK_ERROR",
			       "TikTok request did not complete");
	if (sync->res.err.cls != ERR_NONE) {
		*e = sync->res.err;
		return -1;
	}
	return 0;
}

static int tt_get_shop(struct tiktok *t, struct tt_shop *out, struct err *e)
{
	struct tt_sync sync;
	struct tt_call *c;
	const json_t *shops, *s;
	struct strbuf seen = STRBUF_INIT;
	struct err pe;
	char *cipher = NULL;
	int bad = 0, ret = -1;
	size_t i;

	memset(out, 0, sizeof(*out));
	err_clear(&pe);
	/* No shop_cipher on this path (§1: it is refused with 36009004). */
	c = call_new(t, K_SHOPS, "GET", xstrdup("/authorization/202309/shops"), 0, 0);
	if (run_sync(c, &sync, e) != 0)
		goto cleanup;
	shops = json_is_object(sync.data) ? get_arr(sync.data, "shops", "data.", &bad, &pe)
					  : NULL;
	if (bad || !json_is_object(sync.data)) {
		if (!bad)
			type_error(&pe, "", "data", sync.data, "an object");
		err_set(e, ERR_DATA, "PLATFORM_ERROR",
			"TikTok get authorized shops: malformed answer (%s)", pe.msg);
		goto cleanup;
	}
	json_array_foreach(shops, i, s) {
		free(cipher);
		cipher = NULL;
		if (!json_is_object(s) || get_str(s, "cipher", "shops[].", &cipher, &pe) != 0 ||
		    cipher == NULL)
			continue;
		if (strcmp(cipher, t->shop_cipher) != 0) {
			sb_addf(&seen, "%s%s", seen.len ? ", " : "", cipher);
			continue;
		}
		if (get_str(s, "id", "", &out->id, &pe) != 0 ||
		    get_str(s, "name", "", &out->name, &pe) != 0 ||
		    get_str(s, "region", "", &out->region, &pe) != 0 ||
		    get_str(s, "seller_type", "", &out->seller_type, &pe) != 0 ||
		    get_str(s, "code", "", &out->code, &pe) != 0) {
			tt_shop_free(out);
			err_set(e, ERR_DATA, "PLATFORM_ERROR",
				"TikTok get authorized shops: malformed answer (shops[%zu].%s)",
				i, pe.msg);
			goto cleanup;
		}
		out->cipher = cipher;
		cipher = NULL;
		ret = 0;
		goto cleanup;
	}
	err_set(e, ERR_CONFIG, "SHOP_CIPHER_UNKNOWN",
		"%s: tiktok shop cipher '%s' is not one of the shops this token may "
		"use (%s)", t->c && t->c->path ? t->c->path : "configuration",
		t->shop_cipher, seen.len ? seen.buf : "none");
cleanup:
	free(cipher);
	sb_free(&seen);
	json_decref(sync.data);
	tt_result_free(&sync.res);
	return ret;
}

static int tt_search_orders(struct tiktok *t, const struct tt_search *q,
			    struct tt_order_page *out, struct err *e)
{
	struct tt_sync sync;
	struct tt_call *c;
	json_t *body;
	char num[24];
	const char *field = q->by_update ? "update_time" : "create_time";
	char key[32];
	struct err pe;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	memset(&sync, 0, sizeof(sync));
	if (q->page_size < 1 || q->page_size > TT_MAX_PAGE_SIZE)
		return err_set(e, ERR_CONFIG, "BAD_PAGE_SIZE",
			       "TikTok order search: page size %d is not within 1..%d",
			       q->page_size, TT_MAX_PAGE_SIZE);
	if (xsnprintf(num, sizeof(num), "%d", q->page_size) < 0)
		return err_set(e, ERR_CONFIG, "BAD_PAGE_SIZE", "page size too large");
	c = call_new(t, K_SEARCH, "POST", xstrdup("/order/202309/orders/search"), 1, 0);
	call_add_param(c, "page_size", num);
	call_add_param(c, "sort_field", field);
	call_add_param(c, "sort_order", "ASC");
	if (q->page_token && *q->page_token)
		call_add_param(c, "page_token", q->page_token);
	body = json_object();
	if (q->ge > 0) {
		(void)xsnprintf(key, sizeof(key), "%s_ge", field);
		json_object_set_new(body, key, json_integer((json_int_t)q->ge));
	}
	if (q->lt > 0) {
		(void)xsnprintf(key, sizeof(key), "%s_lt", field);
		json_object_set_new(body, key, json_integer((json_int_t)q->lt));
	}
	if (q->order_status && *q->order_status)
		json_object_set_new(body, "order_status", json_string(q->order_status));
	call_set_json_body(c, body);
	json_decref(body);
	if (run_sync(c, &sync, e) != 0)	/* the call is the engine's now */
		goto cleanup;
	err_clear(&pe);
	if (parse_page(t, sync.data, out, &pe) != 0) {
		tt_order_page_free(out);
		err_set(e, ERR_DATA, "PLATFORM_ERROR",
			"TikTok search orders: malformed answer (%s)", pe.msg);
		scrub_err(t, e);
		goto cleanup;
	}
	ret = 0;
cleanup:
	json_decref(sync.data);
	tt_result_free(&sync.res);
	return ret;
}

static int tt_get_orders(struct tiktok *t, char *const *ids, size_t n,
			 tt_orders_cb cb, void *arg, struct err *e)
{
	struct tt_call *c;
	struct strbuf joined = STRBUF_INIT;
	size_t i;

	if (n == 0 || n > TT_MAX_DETAIL_IDS)
		return err_set(e, ERR_USAGE, "BAD_REQUEST",
			       "TikTok get order detail: %zu ids (1..%d allowed)",
			       n, TT_MAX_DETAIL_IDS);
	for (i = 0; i < n; i++) {
		if (!id_ok(ids[i])) {
			sb_free(&joined);
			return err_set(e, ERR_DATA, "ORDER_DATA_INVALID",
				       "TikTok order id '%.40s' is not a TikTok id",
				       ids[i] ? ids[i] : "");
		}
		sb_addf(&joined, "%s%s", i ? "," : "", ids[i]);
	}
	c = call_new(t, K_ORDERS, "GET", xstrdup("/order/202309/orders"), 1, 0);
	call_add_param(c, "ids", joined.buf);	/* one comma-joined value (§2.1) */
	sb_free(&joined);
	c->cb.orders = cb;
	c->arg = arg;
	if (call_submit(c, e) != 0) {
		call_free(c);
		return -1;
	}
	return 0;
}

static int tt_get_providers(struct tiktok *t, const char *delivery_option_id,
			    tt_providers_cb cb, void *arg, struct err *e)
{
	struct tt_call *c;

	if (!id_ok(delivery_option_id))
		return err_set(e, ERR_DATA, "ORDER_DATA_INVALID",
			       "TikTok delivery option id '%.40s' is not a TikTok id",
			       delivery_option_id ? delivery_option_id : "");
	c = call_new(t, K_PROVIDERS, "GET",
		     xasprintf("/logistics/202309/delivery_options/%s/shipping_providers",
			       delivery_option_id), 1, 0);
	c->aux = xstrdup(delivery_option_id);
	c->cb.providers = cb;
	c->arg = arg;
	if (call_submit(c, e) != 0) {
		call_free(c);
		return -1;
	}
	return 0;
}

static int tt_ship_package(struct tiktok *t, const char *order_id,
			   char *const *line_ids, size_t nline_ids,
			   const char *tracking_number, const char *provider_id,
			   tt_ship_cb cb, void *arg, struct err *e)
{
	struct tt_call *c;
	json_t *body, *ids;
	size_t i;

	if (!id_ok(order_id))
		return err_set(e, ERR_DATA, "ORDER_DATA_INVALID",
			       "TikTok order id '%.40s' is not a TikTok id",
			       order_id ? order_id : "");
	if (tracking_number == NULL || *tracking_number == '\0' ||
	    provider_id == NULL || *provider_id == '\0')
		return err_set(e, ERR_DATA, "TRACKING_MISSING",
			       "TikTok order %s: a shipment needs a tracking number and a shipping provider",
			       order_id);
	body = json_object();
	if (nline_ids > 0) {
		ids = json_array();
		for (i = 0; i < nline_ids; i++)
			json_array_append_new(ids, json_string(line_ids[i]));
		json_object_set_new(body, "order_line_item_ids", ids);
	}
	json_object_set_new(body, "tracking_number", json_string(tracking_number));
	json_object_set_new(body, "shipping_provider_id", json_string(provider_id));
	c = call_new(t, K_SHIP, "POST",
		     xasprintf("/fulfillment/202309/orders/%s/packages", order_id), 1, 1);
	call_set_json_body(c, body);
	json_decref(body);
	c->cb.ship = cb;
	c->arg = arg;
	if (call_submit(c, e) != 0) {
		call_free(c);
		return -1;
	}
	return 0;
}

static int tt_update_package_shipping(struct tiktok *t, const char *package_id,
				      const char *tracking_number,
				      const char *provider_id, tt_simple_cb cb,
				      void *arg, struct err *e)
{
	struct tt_call *c;
	json_t *body;

	if (!id_ok(package_id))
		return err_set(e, ERR_DATA, "ORDER_DATA_INVALID",
			       "TikTok package id '%.40s' is not a TikTok id",
			       package_id ? package_id : "");
	if (tracking_number == NULL || *tracking_number == '\0' ||
	    provider_id == NULL || *provider_id == '\0')
		return err_set(e, ERR_DATA, "TRACKING_MISSING",
			       "TikTok package %s: an update needs a tracking number and a shipping provider",
			       package_id);
	body = json_object();
	json_object_set_new(body, "tracking_number", json_string(tracking_number));
	json_object_set_new(body, "shipping_provider_id", json_string(provider_id));
	c = call_new(t, K_UPDATE, "POST",
		     xasprintf("/fulfillment/202309/packages/%s/shipping_info/update",
			       package_id), 1, 1);
	call_set_json_body(c, body);
	json_decref(body);
	c->cb.simple = cb;
	c->arg = arg;
	if (call_submit(c, e) != 0) {
		call_free(c);
		return -1;
	}
	return 0;
}

const struct tt_ops tiktok_ops = {
	.ensure_token = tt_ensure_token,
	.get_shop = tt_get_shop,
	.search_orders = tt_search_orders,
	.get_orders = tt_get_orders,
	.get_providers = tt_get_providers,
	.ship_package = tt_ship_package,
	.update_package_shipping = tt_update_package_shipping,
};

/* ---- the client ---------------------------------------------------------- */

/* The limiter names (one per API). */
static const char *api_name(enum tt_kind k)
{
	switch (k) {
	case K_SHOPS: return "tiktok shops";
	case K_SEARCH: return "tiktok search orders";
	case K_ORDERS: return "tiktok order detail";
	case K_PROVIDERS: return "tiktok shipping providers";
	case K_SHIP: return "tiktok ship package";
	case K_UPDATE: return "tiktok update shipping info";
	default: return "tiktok";
	}
}

int tiktok_new(const struct config *c, struct http *h, struct tiktok **out,
	       struct err *e)
{
	struct tiktok *t;
	int qps, k;
	double burst;

	*out = NULL;
	if (c == NULL || c->tt_app_key == NULL || *c->tt_app_key == '\0')
		return err_set(e, ERR_CONFIG, "CONFIG_MISSING",
			       "%s: tiktok app key missing", c && c->path ? c->path : "configuration");
	if (c->tt_app_secret == NULL || *c->tt_app_secret == '\0')
		return err_set(e, ERR_CONFIG, "CONFIG_MISSING",
			       "%s: tiktok app secret missing", c->path ? c->path : "configuration");
	if (c->tt_shop_cipher == NULL || *c->tt_shop_cipher == '\0')
		return err_set(e, ERR_CONFIG, "CONFIG_MISSING",
			       "%s: tiktok shop cipher missing", c->path ? c->path : "configuration");
	t = xcalloc(1, sizeof(*t));
	t->c = c;
	t->h = h;
	t->app_key = xstrdup(c->tt_app_key);
	t->app_secret = xstrdup(c->tt_app_secret);
	t->shop_cipher = xstrdup(c->tt_shop_cipher);
	t->api_base = trim_slash(c->tt_api_base ? c->tt_api_base : TT_DEFAULT_API_BASE);
	t->auth_base = trim_slash(c->tt_auth_base ? c->tt_auth_base : TT_DEFAULT_AUTH_BASE);
	t->margin = c->token_refresh_margin > 0 ? c->token_refresh_margin
						: CFG_DEFAULT_TOKEN_REFRESH_MARGIN;
	t->refresh_settled = 1;
	/* Bucket + rate never exceed TikTok's 50 in any one second, and the
	 * bucket never holds more than a second of the configured rate: a
	 * shop held to a lower quota (tiktok_qps: 4) gets 4 a second from
	 * the first second on, not a burst of 46. */
	qps = c->tt_qps > 0 ? c->tt_qps : TT_DEFAULT_QPS;
	burst = qps < TT_RATE_CEILING - 1 ? TT_RATE_CEILING - qps : 1;
	if (burst > qps)
		burst = qps;
	for (k = 0; k < K_REFRESH; k++)
		t->lim[k] = http_limiter_new(api_name((enum tt_kind)k), burst, qps);
	if (c->tt_access_token || c->tt_refresh_token) {
		struct tt_token tok;

		memset(&tok, 0, sizeof(tok));
		tok.access_token = c->tt_access_token;
		tok.refresh_token = c->tt_refresh_token;
		tok.access_expire = c->tt_access_expire;
		install_token(t, &tok);
	}
	*out = t;
	return 0;
}

void tiktok_free(struct tiktok *t)
{
	int k;

	if (t == NULL)
		return;
	while (t->live)
		call_free(t->live);	/* calls never completed (aborted run) */
	for (k = 0; k < K_REFRESH; k++)
		http_limiter_free(t->lim[k]);
	if (t->app_secret)
		memset(t->app_secret, 0, strlen(t->app_secret));
	free(t->app_key);
	free(t->app_secret);
	free(t->shop_cipher);
	free(t->api_base);
	free(t->auth_base);
	tt_token_free(&t->tok);
	free(t);
}

void tiktok_limiter_stats(struct tiktok *t, struct http_limiter_stats *out)
{
	struct http_limiter_stats one;
	int k;

	memset(out, 0, sizeof(*out));
	for (k = 0; k < K_REFRESH; k++) {
		http_limiter_stats(t->lim[k], &one);
		out->requests += one.requests;
		out->tokens += one.tokens;
		out->waited_ms += one.waited_ms;
	}
}
