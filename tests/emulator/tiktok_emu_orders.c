/*
 * tiktok_emu_orders.c - the TikTok emulator's read side: the order store
 * (add, cached search fields, served copies in the list or detail shape),
 * Get Authorized Shops, Get Order List (search with opaque keyset page
 * tokens that contain '+', '/' and '='), Get Order Detail, Get Shipping
 * Providers. Owns the order records it creates (freed by tiktok_emu.c).
 */
#include "tiktok_emu.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEARCH_PAGE_MAX 100	/* D-GOL: page_size 1..100 */
#define TOKEN_MAGIC0 0xFB	/* first bytes of every page token: base64 "+/+/" */
#define TOKEN_MAGIC1 0xFF
#define TOKEN_MAGIC2 0xBF
#define TOKEN_VERSION 1
#define WAREHOUSE_IDS_MAX 100

static const char *const order_statuses[] = {
	"UNPAID", "ON_HOLD", "AWAITING_SHIPMENT", "PARTIALLY_SHIPPING",
	"AWAITING_COLLECTION", "IN_TRANSIT", "DELIVERED", "COMPLETED", "CANCELLED",
};

/* Fields that only one of the two order shapes documents. */
static const char *const detail_only[] = {
	"payment_method_code", "payment_card_type", "payment_auth_code",
	"channel_entity_national_registry_id",
};
static const char *const list_only[] = {
	"fulfillment_priority_level", "recommended_shipping_time",
};

static int known_status(const char *s)
{
	size_t i;

	for (i = 0; s && i < sizeof(order_statuses) / sizeof(order_statuses[0]); i++)
		if (strcmp(s, order_statuses[i]) == 0)
			return 1;
	return 0;
}

/* ---- the order store ------------------------------------------------------------ */

void tte_order_sync(struct tte_order *ord)
{
	json_t *o = ord->o;

	ord->create_time = json_integer_value(json_object_get(o, "create_time"));
	ord->update_time = json_integer_value(json_object_get(o, "update_time"));
	snprintf(ord->status, sizeof(ord->status), "%s", tte_jstr(o, "status"));
	snprintf(ord->shipping_type, sizeof(ord->shipping_type), "%s",
		 tte_jstr(o, "shipping_type"));
}

struct tte_order *tte_order_add(struct tte *t, json_t *o, const char *shop, char **error)
{
	struct tte_order *ord;
	const char *id = json_string_value(json_object_get(o, "id"));
	json_t *lines = json_object_get(o, "line_items"), *line, *seen;
	size_t i;

	if (id == NULL || *id == '\0') {
		*error = tte_xstrdup("'id' must be a non-empty string");
		goto bad;
	}
	if (tte_order_get(t, id) != NULL) {
		*error = tte_asprintf("order id %s is used twice", id);
		goto bad;
	}
	if (!known_status(json_string_value(json_object_get(o, "status")))) {
		*error = tte_asprintf("order %s: 'status' must be one of UNPAID, ON_HOLD, "
				      "AWAITING_SHIPMENT, ... CANCELLED", id);
		goto bad;
	}
	if (!json_is_integer(json_object_get(o, "create_time")) ||
	    !json_is_integer(json_object_get(o, "update_time"))) {
		*error = tte_asprintf("order %s: create_time and update_time must be integers", id);
		goto bad;
	}
	if (!json_is_array(lines) || json_array_size(lines) == 0) {
		*error = tte_asprintf("order %s: 'line_items' must be a non-empty array", id);
		goto bad;
	}
	seen = json_object();
	json_array_foreach(lines, i, line) {
		const char *lid = json_string_value(json_object_get(line, "id"));

		if (!json_is_object(line) || lid == NULL || *lid == '\0' ||
		    json_object_get(seen, lid) != NULL) {
			*error = tte_asprintf("order %s: line_items[%zu] needs a unique string 'id'",
					      id, i);
			json_decref(seen);
			goto bad;
		}
		json_object_set_new(seen, lid, json_true());
	}
	json_decref(seen);
	ord = calloc(1, sizeof(*ord));
	if (ord == NULL)
		abort();
	ord->o = o;
	ord->id = tte_xstrdup(id);
	ord->shop = tte_xstrdup(shop);	/* shop may point into o's "_shop" */
	json_object_del(o, "_shop");
	if (!json_is_array(json_object_get(o, "packages")))
		json_object_set_new(o, "packages", json_array());
	ord->history = json_array();
	tte_order_sync(ord);
	if (t->norders == t->cap_orders) {
		t->cap_orders = t->cap_orders ? t->cap_orders * 2 : 64;
		t->orders = tte_xrealloc(t->orders, t->cap_orders * sizeof(*t->orders));
	}
	json_object_set_new(t->order_index, ord->id, json_integer((json_int_t)t->norders));
	t->orders[t->norders++] = ord;
	return ord;
bad:
	json_decref(o);
	return NULL;
}

json_t *tte_order_serve(const struct tte_order *ord, enum tte_shape shape)
{
	json_t *o = json_deep_copy(ord->o);
	size_t i;

	if (shape == TTE_SHAPE_LIST)
		for (i = 0; i < sizeof(detail_only) / sizeof(detail_only[0]); i++)
			json_object_del(o, detail_only[i]);
	else
		for (i = 0; i < sizeof(list_only) / sizeof(list_only[0]); i++)
			json_object_del(o, list_only[i]);
	/* D-GOL: recipient_address is not available under UNPAID and ON_HOLD. */
	if (strcmp(ord->status, "UNPAID") == 0 || strcmp(ord->status, "ON_HOLD") == 0)
		json_object_del(o, "recipient_address");
	return o;
}

/* ---- Get Authorized Shops --------------------------------------------------------- */

void tte_get_shops(struct tte *t, const struct tte_call *c, struct emu_response *rs)
{
	json_t *shops = json_array(), *v;
	size_t i;

	json_array_foreach(c->token->ciphers, i, v) {
		struct tte_shop *s = tte_shop_by_cipher(t, json_string_value(v));

		if (s == NULL)
			continue;
		json_array_append_new(shops, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}",
						       "id", s->id, "name", s->name,
						       "region", s->region,
						       "seller_type", s->seller_type,
						       "cipher", s->cipher, "code", s->code));
	}
	tte_ok(t, rs, json_pack("{s:o}", "shops", shops));
}

/* ---- Get Order List (search) ------------------------------------------------------- */

struct search {
	int by_update;		/* sort_field */
	int asc;		/* sort_order */
	int64_t cge, clt, uge, ult;	/* effective windows ([ge, lt)) */
	int has_c, has_u;
	const char *status, *shipping_type, *buyer, *cancel_req;
	json_t *warehouses;
	uint32_t hash;
	/* cursor: items strictly after (val, id) in the sort order */
	int has_cursor;
	int64_t cur_val;
	char cur_id[64];
};

static uint32_t fnv1a(uint32_t h, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

static int cmp_id(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a, b);
}

/* Order of a relative to b in the search's sort (ties broken by id). */
static int cmp_key(const struct search *s, int64_t va, const char *ia, int64_t vb,
		   const char *ib)
{
	int c = va < vb ? -1 : va > vb ? 1 : cmp_id(ia, ib);

	return s->asc ? c : -c;
}

static int64_t sort_val(const struct search *s, const struct tte_order *o)
{
	return s->by_update ? o->update_time : o->create_time;
}

static int matches(const struct search *s, const struct tte_order *o, const char *shop)
{
	if (strcmp(o->shop, shop) != 0)
		return 0;
	if (s->has_c && (o->create_time < s->cge || o->create_time >= s->clt))
		return 0;
	if (s->has_u && (o->update_time < s->uge || o->update_time >= s->ult))
		return 0;
	if (s->status && strcmp(o->status, s->status) != 0)
		return 0;
	if (s->shipping_type && strcmp(o->shipping_type, s->shipping_type) != 0)
		return 0;
	if (s->buyer && strcmp(tte_jstr(o->o, "user_id"), s->buyer) != 0)
		return 0;
	if (s->cancel_req) {
		int want = strcmp(s->cancel_req, "true") == 0;

		if (json_is_true(json_object_get(o->o, "is_buyer_request_cancel")) != want)
			return 0;
	}
	if (s->warehouses) {
		const char *wh = tte_jstr(o->o, "warehouse_id");
		size_t i;
		json_t *v;
		int hit = 0;

		json_array_foreach(s->warehouses, i, v)
			if (strcmp(json_string_value(v), wh) == 0)
				hit = 1;
		if (!hit)
			return 0;
	}
	return 1;
}

static void put_be64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

static uint64_t get_be64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/* Token bytes: magic(3) version(1) hash(4) val(8) clt(8) ult(8) idlen(1) id,
 * zero-padded to 3k+1 bytes so the base64 ends in "==". */
static char *token_encode(const struct search *s, int64_t val, const char *id)
{
	unsigned char raw[128];
	size_t n = 0, idlen = strlen(id);
	char *out;

	if (idlen > 60)
		idlen = 60;
	raw[n++] = TOKEN_MAGIC0;
	raw[n++] = TOKEN_MAGIC1;
	raw[n++] = TOKEN_MAGIC2;
	raw[n++] = TOKEN_VERSION;
	raw[n++] = (unsigned char)(s->hash >> 24);
	raw[n++] = (unsigned char)(s->hash >> 16);
	raw[n++] = (unsigned char)(s->hash >> 8);
	raw[n++] = (unsigned char)s->hash;
	put_be64(raw + n, (uint64_t)val);
	n += 8;
	put_be64(raw + n, (uint64_t)s->clt);
	n += 8;
	put_be64(raw + n, (uint64_t)s->ult);
	n += 8;
	raw[n++] = (unsigned char)idlen;
	memcpy(raw + n, id, idlen);
	n += idlen;
	while (n % 3 != 1)
		raw[n++] = 0;
	out = tte_xmalloc(4 * ((n + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, raw, (int)n);
	return out;
}

/* Decode a page token into s (cursor and snapshotted windows); -1 if bad. */
static int token_decode(struct search *s, const char *tok, int64_t *clt, int64_t *ult)
{
	unsigned char raw[256];
	size_t len = strlen(tok), i, idlen;
	int n;

	if (len == 0 || len % 4 != 0 || len > 160)
		return -1;
	for (i = 0; i < len; i++) {
		char ch = tok[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '+' || ch == '/' ||
		      (ch == '=' && i >= len - 2)))
			return -1;
	}
	n = EVP_DecodeBlock(raw, (const unsigned char *)tok, (int)len);
	if (n < 34 || raw[0] != TOKEN_MAGIC0 || raw[1] != TOKEN_MAGIC1 ||
	    raw[2] != TOKEN_MAGIC2 || raw[3] != TOKEN_VERSION)
		return -1;
	if ((((uint32_t)raw[4] << 24) | ((uint32_t)raw[5] << 16) |
	     ((uint32_t)raw[6] << 8) | raw[7]) != s->hash)
		return -1;
	s->cur_val = (int64_t)get_be64(raw + 8);
	*clt = (int64_t)get_be64(raw + 16);
	*ult = (int64_t)get_be64(raw + 24);
	idlen = raw[32];
	if (idlen == 0 || idlen >= sizeof(s->cur_id) || 33 + idlen > (size_t)n)
		return -1;
	memcpy(s->cur_id, raw + 33, idlen);
	s->cur_id[idlen] = '\0';
	s->has_cursor = 1;
	return 0;
}

static int body_int(json_t *body, const char *key, int64_t *out, int *has, char **why)
{
	json_t *v = json_object_get(body, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		*why = tte_asprintf("%s must be a non-negative integer (Unix seconds)", key);
		return -1;
	}
	*out = json_integer_value(v);
	*has = 1;
	return 0;
}

static int body_str(json_t *body, const char *key, const char **out, char **why)
{
	json_t *v = json_object_get(body, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		*why = tte_asprintf("%s must be a string", key);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

/* Parse the query and body of a search; -1 with *why on a bad parameter. */
static int search_parse(struct tte *t, const struct tte_call *c, struct search *s,
			int *page_size, char **why)
{
	const char *ps = emu_query_arg(c->rq, "page_size");
	const char *sf = emu_query_arg(c->rq, "sort_field");
	const char *so = emu_query_arg(c->rq, "sort_order");
	const char *pt = emu_query_arg(c->rq, "page_token");
	json_t *body = c->body, *v;
	int has_cge = 0, has_clt = 0, has_uge = 0, has_ult = 0;
	int64_t tok_clt = 0, tok_ult = 0, now = tte_now(t);
	char *end, *canon;
	long n;

	memset(s, 0, sizeof(*s));
	if (ps == NULL) {
		*why = tte_xstrdup("page_size is required");
		return -1;
	}
	errno = 0;
	n = strtol(ps, &end, 10);
	if (errno != 0 || *ps == '\0' || *end != '\0' || n < 1 || n > SEARCH_PAGE_MAX) {
		*why = tte_asprintf("page_size must be an integer from 1 to %d", SEARCH_PAGE_MAX);
		return -1;
	}
	*page_size = (int)n;
	if (sf == NULL || strcmp(sf, "create_time") == 0)
		s->by_update = 0;
	else if (strcmp(sf, "update_time") == 0)
		s->by_update = 1;
	else {
		*why = tte_xstrdup("sort_field must be create_time or update_time");
		return -1;
	}
	if (so == NULL || strcmp(so, "DESC") == 0)
		s->asc = 0;
	else if (strcmp(so, "ASC") == 0)
		s->asc = 1;
	else {
		*why = tte_xstrdup("sort_order must be ASC or DESC");
		return -1;
	}
	if (body_int(body, "create_time_ge", &s->cge, &has_cge, why) != 0 ||
	    body_int(body, "create_time_lt", &s->clt, &has_clt, why) != 0 ||
	    body_int(body, "update_time_ge", &s->uge, &has_uge, why) != 0 ||
	    body_int(body, "update_time_lt", &s->ult, &has_ult, why) != 0 ||
	    body_str(body, "order_status", &s->status, why) != 0 ||
	    body_str(body, "shipping_type", &s->shipping_type, why) != 0 ||
	    body_str(body, "buyer_user_id", &s->buyer, why) != 0)
		return -1;
	if (s->status && !known_status(s->status)) {
		*why = tte_asprintf("order_status '%s' is not a valid order status", s->status);
		return -1;
	}
	if (s->shipping_type && strcmp(s->shipping_type, "TIKTOK") != 0 &&
	    strcmp(s->shipping_type, "SELLER") != 0) {
		*why = tte_xstrdup("shipping_type must be TIKTOK or SELLER");
		return -1;
	}
	v = json_object_get(body, "is_buyer_request_cancel");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_boolean(v)) {
			*why = tte_xstrdup("is_buyer_request_cancel must be a boolean");
			return -1;
		}
		s->cancel_req = json_is_true(v) ? "true" : "false";
	}
	v = json_object_get(body, "warehouse_ids");
	if (v != NULL && !json_is_null(v)) {
		size_t i;
		json_t *x;

		if (!json_is_array(v) || json_array_size(v) > WAREHOUSE_IDS_MAX) {
			*why = tte_asprintf("warehouse_ids must be an array of at most %d strings",
					    WAREHOUSE_IDS_MAX);
			return -1;
		}
		json_array_foreach(v, i, x)
			if (!json_is_string(x)) {
				*why = tte_xstrdup("warehouse_ids must contain strings");
				return -1;
			}
		s->warehouses = v;
	}

	/* The token is bound to the sort and the body filters. */
	canon = body ? json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	s->hash = fnv1a(2166136261u, s->by_update ? "u" : "c", 1);
	s->hash = fnv1a(s->hash, s->asc ? "a" : "d", 1);
	s->hash = fnv1a(s->hash, canon ? canon : "{}", canon ? strlen(canon) : 2);
	free(canon);
	if (pt != NULL && *pt != '\0' && token_decode(s, pt, &tok_clt, &tok_ult) != 0) {
		*why = tte_xstrdup("page_token is invalid, or does not belong to this query "
				   "(sort and body filters must not change between pages)");
		return -1;
	}
	/* _ge alone: _lt is "now", fixed on the first page and kept in the token;
	 * _lt alone: _ge is the beginning of time. */
	if (has_cge || has_clt) {
		s->has_c = 1;
		if (!has_clt)
			s->clt = s->has_cursor ? tok_clt : now;
		if (!has_cge)
			s->cge = 0;
	}
	if (has_uge || has_ult) {
		s->has_u = 1;
		if (!has_ult)
			s->ult = s->has_cursor ? tok_ult : now;
		if (!has_uge)
			s->uge = 0;
	}
	return 0;
}

void tte_search_orders(struct tte *t, const struct tte_call *c, struct emu_response *rs)
{
	struct search s;
	struct tte_order **best = NULL;
	size_t nbest = 0, i, total = 0, k;
	int page_size = 0;
	char *why = NULL, *next = NULL;
	json_t *orders, *data;

	if (search_parse(t, c, &s, &page_size, &why) != 0) {
		tte_err(t, rs, 400, 36009004, "Invalid parameters. %s.", why);
		free(why);
		return;
	}
	/* One pass: count the matches, keep the page_size + 1 first after the cursor. */
	k = (size_t)page_size + 1;
	best = tte_xmalloc(k * sizeof(*best));
	for (i = 0; i < t->norders; i++) {
		struct tte_order *o = t->orders[i];
		int64_t v;
		size_t lo, hi;

		if (!matches(&s, o, c->shop))
			continue;
		total++;
		v = sort_val(&s, o);
		if (s.has_cursor && cmp_key(&s, v, o->id, s.cur_val, s.cur_id) <= 0)
			continue;
		if (nbest == k && cmp_key(&s, v, o->id, sort_val(&s, best[k - 1]),
					  best[k - 1]->id) >= 0)
			continue;
		lo = 0;
		hi = nbest;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (cmp_key(&s, sort_val(&s, best[mid]), best[mid]->id, v, o->id) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (nbest == k)
			nbest--;
		memmove(best + lo + 1, best + lo, (nbest - lo) * sizeof(*best));
		best[lo] = o;
		nbest++;
	}
	orders = json_array();
	for (i = 0; i < nbest && i < (size_t)page_size; i++)
		json_array_append_new(orders, tte_order_serve(best[i], TTE_SHAPE_LIST));
	if (nbest > (size_t)page_size) {
		struct tte_order *last = best[page_size - 1];

		next = token_encode(&s, sort_val(&s, last), last->id);
	}
	data = json_pack("{s:s,s:I,s:o}", "next_page_token", next ? next : "",
			 "total_count", (json_int_t)total, "orders", orders);
	tte_ok(t, rs, data);
	free(next);
	free(best);
}

/* ---- Get Order Detail ------------------------------------------------------------------- */

void tte_get_orders(struct tte *t, const struct tte_call *c, struct emu_response *rs)
{
	const char *ids = emu_query_arg(c->rq, "ids");
	json_t *orders, *seen;
	char *copy, *tok, *save = NULL;
	size_t n = 0;

	if (ids == NULL || *ids == '\0') {
		tte_err(t, rs, 400, 36009004, "Invalid parameters. ids is required.");
		return;
	}
	copy = tte_xstrdup(ids);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		n++;
	free(copy);
	if (n == 0 || n > TTE_MAX_IDS) {
		tte_err(t, rs, 400, 36009004,
			"Invalid parameters. ids must list 1 to %d order IDs separated by commas.",
			TTE_MAX_IDS);
		return;
	}
	orders = json_array();
	seen = json_object();
	copy = tte_xstrdup(ids);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct tte_order *o = tte_order_get(t, tok);

		if (o == NULL || strcmp(o->shop, c->shop) != 0 || json_object_get(seen, tok))
			continue;
		json_object_set_new(seen, tok, json_true());
		json_array_append_new(orders, tte_order_serve(o, TTE_SHAPE_DETAIL));
	}
	free(copy);
	json_decref(seen);
	if (json_array_size(orders) == 0) {
		json_decref(orders);
		tte_err(t, rs, 200, 21008111,
			"The order or package does not belong to the current seller.");
		return;
	}
	tte_ok(t, rs, json_pack("{s:o}", "orders", orders));
}

/* ---- Get Shipping Providers ----------------------------------------------------------------- */

void tte_get_providers(struct tte *t, const struct tte_call *c, struct emu_response *rs)
{
	struct tte_option *opt = tte_option_get(t, c->id);
	json_t *list, *v;
	size_t i;

	if (opt == NULL) {
		tte_err(t, rs, 200, 21008116, "No Subscription without specified delivery option.");
		return;
	}
	if (opt->tiktok_fulfilled) {
		tte_err(t, rs, 200, 21008117,
			"The delivery of the specified delivery_option_id is fulfilled by TikTok. "
			"No shipping provider will be returned.");
		return;
	}
	list = json_array();
	json_array_foreach(opt->provider_ids, i, v) {
		struct tte_provider *p = tte_provider_get(t, json_string_value(v));

		if (p != NULL)
			json_array_append_new(list, json_pack("{s:s,s:s}", "id", p->id,
							      "name", p->name));
	}
	tte_ok(t, rs, json_pack("{s:o}", "shipping_providers", list));
}
