/*
 * shopify_emu_resolve.c - the query side of the Shopify twin: one resolver
 * per GraphQL type it answers (QueryRoot, Shop, Order, LineItem,
 * Fulfillment, FulfillmentOrder, ProductVariant, ... and the mutation
 * payloads), called by gql_execute() for every selected field.
 *
 * A field the schema has but this file does not answer comes back as
 * GQL_RES_UNIMPLEMENTED, which the executor turns into the error
 * "shopify-emu: <Type>.<field> is not implemented" - never a silent null.
 * Objects made for one answer (MoneyBag, TaxLine) live in the request arena.
 */
#include "shopify_emu.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"

struct rq_money {
	sh_money amount;
	const char *currency;
	int exp;
};

struct rq_tax {
	struct sh_tax t;
	const char *currency;
	int exp;
};

/* ------------------------------------------------------------------ */
/* leaf helpers                                                         */

static void leaf_str(struct gql_res *r, const char *s)
{
	gql_res_leaf(r, s ? json_string(s) : json_null());
}

static void leaf_int(struct gql_res *r, long long v)
{
	gql_res_leaf(r, json_integer((json_int_t)v));
}

static void leaf_bool(struct gql_res *r, int v)
{
	gql_res_leaf(r, json_boolean(v));
}

static void leaf_time(struct gql_res *r, int64_t t)
{
	gql_res_leaf(r, sh_time_json(t));
}

static void leaf_gid(struct gql_res *r, enum sh_kind k, int64_t id)
{
	gql_res_leaf(r, sh_gid_json(k, id));
}

static void leaf_legacy(struct gql_res *r, int64_t id)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", (long long)id);
	gql_res_leaf(r, json_string(buf));
}

static void leaf_strings(struct gql_res *r, char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	gql_res_leaf(r, a);
}

void *sh_money_obj(struct sh_store *S, sh_money amount, const char *currency, int exp)
{
	struct rq_money *m = gql_arena_alloc(S->rq_arena, sizeof(*m));

	m->amount = amount;
	m->currency = currency;
	m->exp = exp;
	return m;
}

static void money(struct sh_store *S, struct gql_res *r, sh_money amount, const struct sh_order *o)
{
	gql_res_object(r, NULL, sh_money_obj(S, amount, o->currency, o->exp));
}

static void err_arg(struct gql_res *r, char *msg, const char *code)
{
	r->kind = GQL_RES_ERROR;
	r->message = msg;
	if (code)
		r->extensions = json_pack("{s:s}", "code", code);
}

/* A list result of objects. */
static void obj_list(struct gql_res *r, void *const *objs, size_t n, long limit)
{
	size_t i;

	if (limit >= 0 && (size_t)limit < n)
		n = (size_t)limit;
	gql_res_list(r, n);
	for (i = 0; i < n; i++)
		gql_res_object(&r->items[i], NULL, objs[i]);
}

static long arg_first(json_t *args)
{
	json_t *f = json_object_get(args, "first");

	return json_is_integer(f) ? (long)json_integer_value(f) : -1;
}

/* A connection over objects kept in id order (each starts with int64 id). */
static void id_connection(struct sh_store *S, const struct gql_field_call *c,
			  struct gql_res *r, void *const *objs, size_t n)
{
	struct sh_sortable *items = xcalloc(n ? n : 1, sizeof(*items));
	struct gql_connection *conn;
	char *err = NULL;
	size_t i;

	(void)S;
	for (i = 0; i < n; i++) {
		items[i].obj = objs[i];
		items[i].id = *(const int64_t *)objs[i];
		items[i].key = items[i].id;
	}
	conn = sh_paginate(items, n, c->args, c->field, 0, &err);
	free(items);
	if (!conn) {
		err_arg(r, err, "BAD_REQUEST");
		return;
	}
	r->kind = GQL_RES_CONNECTION;
	r->conn = conn;
}

/* ------------------------------------------------------------------ */
/* QueryRoot                                                            */

static int bad_gid(struct gql_res *r, const char *gid)
{
	enum sh_kind k;
	int64_t id;

	if (gid && sh_parse_gid(gid, &k, &id) == 0)
		return 0;
	if (gid && strncmp(gid, "gid://shopify/", 14) == 0 && strchr(gid + 14, '/'))
		return 0;	/* a well-formed GID of a kind we do not keep: null */
	err_arg(r, xasprintf("Invalid global id '%s'", gid ? gid : ""), NULL);
	r->extensions = json_pack("{s:s,s:s}", "code", "argumentLiteralsIncompatible",
				  "typeName", "CoercionError");
	return 1;
}

static const char *node_type(enum sh_kind k)
{
	switch (k) {
	case K_ORDER: case K_LINE: case K_FO: case K_FO_LINE: case K_FUL:
	case K_FUL_LINE: case K_EVENT: case K_PRODUCT: case K_VARIANT:
	case K_LOCATION: case K_CUSTOMER: case K_METAFIELD: case K_TXN:
		return sh_kind_names[k];
	default:
		return NULL;	/* ShippingLine, MailingAddress: not Node here */
	}
}

static void node_res(struct sh_store *S, const char *gid, struct gql_res *r)
{
	enum sh_kind k;
	int64_t id;
	void *obj;

	if (!gid || sh_parse_gid(gid, &k, &id) < 0 || !node_type(k)) {
		gql_res_object(r, NULL, NULL);
		return;
	}
	obj = sh_lookup(S, k, id);
	if (k == K_ORDER && obj && ((struct sh_order *)obj)->created > S->now)
		obj = NULL;
	gql_res_object(r, node_type(k), obj);
}

static int64_t order_key(const struct sh_order *o, const char *sort, const char **skey)
{
	*skey = NULL;
	if (!sort || strcmp(sort, "PROCESSED_AT") == 0)
		return o->processed * 1000;
	if (strcmp(sort, "CREATED_AT") == 0)
		return o->created * 1000;
	if (strcmp(sort, "UPDATED_AT") == 0)
		return o->updated * 1000;
	if (strcmp(sort, "ORDER_NUMBER") == 0)
		return o->number;
	if (strcmp(sort, "TOTAL_PRICE") == 0)
		return sh_order_total(o, 0);
	if (strcmp(sort, "CURRENT_TOTAL_PRICE") == 0)
		return sh_order_total(o, 1);
	if (strcmp(sort, "TOTAL_ITEMS_QUANTITY") == 0) {
		int64_t q = 0;
		size_t i;

		for (i = 0; i < o->nlines; i++)
			q += o->lines[i]->quantity;
		return q;
	}
	if (strcmp(sort, "FINANCIAL_STATUS") == 0) {
		*skey = sh_financial_status(o);
		return 0;
	}
	if (strcmp(sort, "FULFILLMENT_STATUS") == 0) {
		*skey = sh_fulfillment_status(o);
		return 0;
	}
	if (strcmp(sort, "PO_NUMBER") == 0) {
		*skey = o->po_number ? o->po_number : "";
		return 0;
	}
	if (strcmp(sort, "CUSTOMER_NAME") == 0) {
		*skey = o->customer && o->customer->last_name ? o->customer->last_name : "";
		return 0;
	}
	if (strcmp(sort, "DESTINATION") == 0) {
		*skey = o->shipping_address &&
			json_string_value(json_object_get(o->shipping_address, "countryCodeV2")) ?
			json_string_value(json_object_get(o->shipping_address, "countryCodeV2")) : "";
		return 0;
	}
	return o->id;	/* ID, RELEVANCE */
}

static void search_warnings(struct sh_store *S, const struct gql_field_call *c,
			    const struct sh_query *q, const char *text,
			    const char *const *known)
{
	json_t *w = sh_query_warnings(q, known);

	if (json_array_size(w) == 0) {
		json_decref(w);
		return;
	}
	if (!S->search_ext)
		S->search_ext = json_array();
	json_array_append_new(S->search_ext,
			      json_pack("{s:[s],s:s,s:o}", "path", gql_response_key(c->node),
					"query", text, "warnings", w));
}

static void q_orders(struct sh_store *S, const struct gql_field_call *c, struct gql_res *r)
{
	const char *text = json_string_value(json_object_get(c->args, "query"));
	const char *sort = json_string_value(json_object_get(c->args, "sortKey"));
	struct sh_query *q = sh_query_parse(text);
	struct sh_sortable *items = xcalloc(S->norders ? S->norders : 1, sizeof(*items));
	struct gql_connection *conn;
	const char **vals = NULL;
	const struct sh_order **cand, **found = NULL;
	size_t i, n = 0, nvals = 0, ncand, nfound = 0;
	char *err = NULL;

	if (json_object_get(c->args, "savedSearchId") &&
	    !json_is_null(json_object_get(c->args, "savedSearchId"))) {
		free(items);
		sh_query_free(q);
		r->kind = GQL_RES_UNIMPLEMENTED;
		return;
	}
	if (text)
		search_warnings(S, c, q, text, sh_order_search_fields);
	/* The orders to look at: for source_identifier:X OR ... only those
	 * of the index (the same answer as reading every order, faster). */
	cand = (const struct sh_order **)S->orders;
	ncand = S->norders;
	if (text && sh_query_source_ids(q, &vals, &nvals)) {
		size_t k, j, m;

		found = xcalloc(S->norders ? S->norders : 1, sizeof(*found));
		for (k = 0; k < nvals; k++) {
			json_t *at = json_object_get(S->by_source, vals[k]), *pos;

			json_array_foreach(at, j, pos) {
				const struct sh_order *o = S->orders[json_integer_value(pos)];

				for (m = 0; m < nfound && found[m] != o; m++)
					;
				if (m == nfound)
					found[nfound++] = o;
			}
		}
		cand = found;
		ncand = nfound;
	}
	for (i = 0; i < ncand; i++) {
		const struct sh_order *o = cand[i];

		if (o->created > S->now || o->indexed_at > S->now)
			continue;	/* not (yet) in the search index */
		if (!sh_order_matches(S, o, q))
			continue;
		items[n].obj = (void *)o;
		items[n].id = o->id;
		items[n].key = order_key(o, sort, &items[n].skey);
		n++;
	}
	free(vals);
	free(found);
	sh_query_free(q);
	conn = sh_paginate(items, n, c->args, c->field, 1, &err);
	free(items);
	if (!conn) {
		err_arg(r, err, "BAD_REQUEST");
		return;
	}
	r->kind = GQL_RES_CONNECTION;
	r->conn = conn;
}

static void q_variants(struct sh_store *S, const struct gql_field_call *c, struct gql_res *r)
{
	const char *text = json_string_value(json_object_get(c->args, "query"));
	const char *sort = json_string_value(json_object_get(c->args, "sortKey"));
	struct sh_query *q = sh_query_parse(text);
	struct sh_sortable *items = xcalloc(S->nvariants ? S->nvariants : 1, sizeof(*items));
	struct gql_connection *conn;
	size_t i, n = 0;
	char *err = NULL;

	if (json_object_get(c->args, "savedSearchId") &&
	    !json_is_null(json_object_get(c->args, "savedSearchId"))) {
		free(items);
		sh_query_free(q);
		r->kind = GQL_RES_UNIMPLEMENTED;
		return;
	}
	if (text)
		search_warnings(S, c, q, text, sh_variant_search_fields);
	for (i = 0; i < S->nvariants; i++) {
		struct sh_variant *v = S->variants[i];

		if (!sh_variant_matches(v, q))
			continue;
		items[n].obj = v;
		items[n].id = v->id;
		items[n].key = v->id;
		if (sort && strcmp(sort, "SKU") == 0)
			items[n].skey = v->sku ? v->sku : "";
		else if (sort && (strcmp(sort, "TITLE") == 0 || strcmp(sort, "NAME") == 0 ||
				  strcmp(sort, "FULL_TITLE") == 0))
			items[n].skey = v->title ? v->title : "";
		n++;
	}
	sh_query_free(q);
	conn = sh_paginate(items, n, c->args, c->field, 1, &err);
	free(items);
	if (!conn) {
		err_arg(r, err, "BAD_REQUEST");
		return;
	}
	r->kind = GQL_RES_CONNECTION;
	r->conn = conn;
}

static struct sh_order *order_by_custom_id(struct sh_store *S, json_t *cid)
{
	const char *ns = json_string_value(json_object_get(cid, "namespace"));
	const char *key = json_string_value(json_object_get(cid, "key"));
	const char *value = json_string_value(json_object_get(cid, "value"));
	size_t i, k;

	if (!key || !value)
		return NULL;
	for (i = 0; i < S->norders; i++) {
		struct sh_order *o = S->orders[i];

		if (o->created > S->now)
			continue;
		for (k = 0; k < o->nmfs; k++) {
			const struct sh_metafield *m = o->mfs[k];

			if (strcmp(m->key, key) == 0 && m->value && strcmp(m->value, value) == 0 &&
			    (!ns || (m->ns && strcmp(m->ns, ns) == 0)))
				return o;
		}
	}
	return NULL;
}

static void r_query(struct sh_store *S, const struct gql_field_call *c, struct gql_res *r)
{
	const char *f = c->field;
	const char *id = json_string_value(json_object_get(c->args, "id"));

	if (strcmp(f, "shop") == 0) {
		gql_res_object(r, NULL, S);
	} else if (strcmp(f, "orders") == 0) {
		q_orders(S, c, r);
	} else if (strcmp(f, "productVariants") == 0) {
		q_variants(S, c, r);
	} else if (strcmp(f, "order") == 0 || strcmp(f, "productVariant") == 0 ||
		   strcmp(f, "fulfillment") == 0 || strcmp(f, "fulfillmentOrder") == 0 ||
		   strcmp(f, "location") == 0) {
		enum sh_kind want = strcmp(f, "order") == 0 ? K_ORDER :
				    strcmp(f, "productVariant") == 0 ? K_VARIANT :
				    strcmp(f, "fulfillment") == 0 ? K_FUL :
				    strcmp(f, "fulfillmentOrder") == 0 ? K_FO : K_LOCATION;
		void *obj;

		if (want == K_LOCATION && !id) {
			gql_res_object(r, NULL, S->locations[0]);	/* the primary location */
			return;
		}
		if (bad_gid(r, id))
			return;
		obj = sh_lookup_gid(S, id, want);
		if (want == K_ORDER && obj && ((struct sh_order *)obj)->created > S->now)
			obj = NULL;
		gql_res_object(r, NULL, obj);
	} else if (strcmp(f, "orderByIdentifier") == 0) {
		json_t *ident = json_object_get(c->args, "identifier");
		const char *oid = json_string_value(json_object_get(ident, "id"));
		json_t *cid = json_object_get(ident, "customId");

		if (oid) {
			struct sh_order *o;

			if (bad_gid(r, oid))
				return;
			o = sh_lookup_gid(S, oid, K_ORDER);
			gql_res_object(r, NULL, o && o->created <= S->now ? o : NULL);
		} else if (json_is_object(cid)) {
			gql_res_object(r, NULL, order_by_custom_id(S, cid));
		} else {
			err_arg(r, xstrdup("One of id or customId must be provided"), "BAD_REQUEST");
		}
	} else if (strcmp(f, "node") == 0) {
		if (bad_gid(r, id))
			return;
		node_res(S, id, r);
	} else if (strcmp(f, "nodes") == 0) {
		json_t *ids = json_object_get(c->args, "ids"), *it;
		size_t i;

		if (json_array_size(ids) > SH_MAX_PAGE) {
			err_arg(r, xasprintf("The input array size of %zu is greater than the maximum allowed of %d.",
					     json_array_size(ids), SH_MAX_PAGE), "MAX_INPUT_SIZE_EXCEEDED");
			return;
		}
		json_array_foreach(ids, i, it) {
			struct gql_res tmp;

			memset(&tmp, 0, sizeof(tmp));
			if (bad_gid(&tmp, json_string_value(it))) {
				*r = tmp;
				return;
			}
		}
		gql_res_list(r, json_array_size(ids));
		json_array_foreach(ids, i, it)
			node_res(S, json_string_value(it), &r->items[i]);
	} else {
		r->kind = GQL_RES_UNIMPLEMENTED;
	}
}

/* ------------------------------------------------------------------ */
/* Shop                                                                 */

static void r_shop(struct sh_store *S, const struct gql_field_call *c, struct gql_res *r)
{
	const char *f = c->field;

	if (strcmp(f, "id") == 0)
		leaf_str(r, "gid://shopify/Shop/1");
	else if (strcmp(f, "name") == 0)
		leaf_str(r, S->shop_name);
	else if (strcmp(f, "email") == 0 || strcmp(f, "contactEmail") == 0)
		leaf_str(r, S->shop_email);
	else if (strcmp(f, "myshopifyDomain") == 0)
		leaf_str(r, S->shop_domain);
	else if (strcmp(f, "currencyCode") == 0)
		leaf_str(r, S->shop_currency);
	else if (strcmp(f, "ianaTimezone") == 0)
		leaf_str(r, S->shop_timezone);
	else if (strcmp(f, "url") == 0)
		gql_res_leaf(r, json_sprintf("https://%s", S->shop_domain));
	else if (strcmp(f, "taxesIncluded") == 0)
		leaf_bool(r, 0);
	else
		r->kind = GQL_RES_UNIMPLEMENTED;
}

/* ------------------------------------------------------------------ */
/* Order                                                                */

static void order_tax_lines(struct sh_store *S, const struct sh_order *o, struct gql_res *r)
{
	struct rq_tax **agg = NULL;
	size_t n = 0, i, k, m;

	for (i = 0; i < o->nlines + o->nships; i++) {
		const struct sh_tax *t = i < o->nlines ? o->lines[i]->tax : o->ships[i - o->nlines]->tax;
		size_t nt = i < o->nlines ? o->lines[i]->ntax : o->ships[i - o->nlines]->ntax;

		for (k = 0; k < nt; k++) {
			for (m = 0; m < n; m++)
				if (strcmp(agg[m]->t.title, t[k].title ? t[k].title : "") == 0 &&
				    strcmp(agg[m]->t.rate, t[k].rate ? t[k].rate : "") == 0)
					break;
			if (m == n) {
				struct rq_tax *x = gql_arena_alloc(S->rq_arena, sizeof(*x));

				x->t.title = t[k].title ? t[k].title : "";
				x->t.rate = t[k].rate ? t[k].rate : "";
				x->t.channel_liable = t[k].channel_liable;
				x->currency = o->currency;
				x->exp = o->exp;
				agg = sh_grow(agg, n, sizeof(*agg));
				agg[n++] = x;
			}
			agg[m]->t.amount += t[k].amount;
		}
	}
	obj_list(r, (void *const *)agg, n, -1);
	free(agg);
}

static void tax_list(struct sh_store *S, const struct sh_tax *t, size_t n,
		     const struct sh_order *o, long limit, struct gql_res *r)
{
	size_t i;

	if (limit >= 0 && (size_t)limit < n)
		n = (size_t)limit;
	gql_res_list(r, n);
	for (i = 0; i < n; i++) {
		struct rq_tax *x = gql_arena_alloc(S->rq_arena, sizeof(*x));

		x->t = t[i];
		x->currency = o->currency;
		x->exp = o->exp;
		gql_res_object(&r->items[i], NULL, x);
	}
}

static void attrs_list(struct sh_kv *kv, size_t n, struct gql_res *r)
{
	size_t i;

	gql_res_list(r, n);
	for (i = 0; i < n; i++)
		gql_res_object(&r->items[i], NULL, &kv[i]);
}

static const struct sh_metafield *order_metafield(const struct sh_order *o, const char *ns,
						  const char *key)
{
	size_t i;

	for (i = 0; i < o->nmfs; i++)
		if (strcmp(o->mfs[i]->key, key) == 0 &&
		    ((!ns && (!o->mfs[i]->ns || strcmp(o->mfs[i]->ns, "$app") == 0)) ||
		     (ns && o->mfs[i]->ns && strcmp(o->mfs[i]->ns, ns) == 0)))
			return o->mfs[i];
	return NULL;
}

static void r_order(struct sh_store *S, const struct gql_field_call *c, struct gql_res *r)
{
	struct sh_order *o = c->parent;
	const char *f = c->field;
	size_t i;

	if (strcmp(f, "id") == 0)
		leaf_gid(r, K_ORDER, o->id);
	else if (strcmp(f, "legacyResourceId") == 0)
		leaf_legacy(r, o->id);
	else if (strcmp(f, "name") == 0)
		leaf_str(r, o->name);
	else if (strcmp(f, "number") == 0)
		leaf_int(r, o->number);
	else if (strcmp(f, "createdAt") == 0)
		leaf_time(r, o->created);
	else if (strcmp(f, "updatedAt") == 0)
		leaf_time(r, o->updated);
	else if (strcmp(f, "processedAt") == 0)
		leaf_time(r, o->processed);
	else if (strcmp(f, "cancelledAt") == 0)
		leaf_time(r, o->cancelled);
	else if (strcmp(f, "cancelReason") == 0)
		leaf_str(r, o->cancel_reason);
	else if (strcmp(f, "closed") == 0)
		leaf_bool(r, o->closed);
	else if (strcmp(f, "closedAt") == 0)
		leaf_time(r, o->closed ? o->closed_at : 0);
	else if (strcmp(f, "tags") == 0)
		leaf_strings(r, o->tags, o->ntags);
	else if (strcmp(f, "note") == 0)
		leaf_str(r, o->note);
	else if (strcmp(f, "email") == 0)
		leaf_str(r, o->email);
	else if (strcmp(f, "phone") == 0)
		leaf_str(r, o->phone);
	else if (strcmp(f, "customAttributes") == 0)
		attrs_list(o->attrs, o->nattrs, r);
	else if (strcmp(f, "sourceName") == 0)
		leaf_str(r, o->source_name);
	else if (strcmp(f, "sourceIdentifier") == 0)
		leaf_str(r, o->source_identifier);
	else if (strcmp(f, "currencyCode") == 0 || strcmp(f, "presentmentCurrencyCode") == 0)
		leaf_str(r, o->currency);
	else if (strcmp(f, "totalPriceSet") == 0)
		money(S, r, sh_order_total(o, 0), o);
	else if (strcmp(f, "subtotalPriceSet") == 0)
		money(S, r, sh_order_subtotal(o, 0), o);
	else if (strcmp(f, "totalTaxSet") == 0)
		money(S, r, sh_order_tax(o, 0), o);
	else if (strcmp(f, "totalShippingPriceSet") == 0 || strcmp(f, "currentShippingPriceSet") == 0)
		money(S, r, sh_order_shipping(o), o);
	else if (strcmp(f, "totalDiscountsSet") == 0 || strcmp(f, "currentTotalDiscountsSet") == 0)
		money(S, r, sh_order_discounts(o), o);
	else if (strcmp(f, "currentTotalPriceSet") == 0)
		money(S, r, sh_order_total(o, 1), o);
	else if (strcmp(f, "currentSubtotalPriceSet") == 0)
		money(S, r, sh_order_subtotal(o, 1), o);
	else if (strcmp(f, "currentTotalTaxSet") == 0)
		money(S, r, sh_order_tax(o, 1), o);
	else if (strcmp(f, "totalReceivedSet") == 0)
		money(S, r, sh_order_received(o), o);
	else if (strcmp(f, "totalOutstandingSet") == 0) {
		sh_money out = sh_order_total(o, 1) - sh_order_received(o);

		money(S, r, out > 0 ? out : 0, o);
	} else if (strcmp(f, "displayFinancialStatus") == 0)
		leaf_str(r, sh_financial_status(o));
	else if (strcmp(f, "displayFulfillmentStatus") == 0)
		leaf_str(r, sh_fulfillment_status(o));
	else if (strcmp(f, "fullyPaid") == 0)
		leaf_bool(r, sh_order_received(o) >= sh_order_total(o, 1));
	else if (strcmp(f, "unpaid") == 0)
		leaf_bool(r, sh_order_received(o) == 0 && sh_order_total(o, 1) > 0);
	else if (strcmp(f, "test") == 0)
		leaf_bool(r, o->test);
	else if (strcmp(f, "taxesIncluded") == 0)
		leaf_bool(r, o->taxes_included);
	else if (strcmp(f, "taxLines") == 0)
		order_tax_lines(S, o, r);
	else if (strcmp(f, "shippingAddress") == 0)
		gql_res_object(r, NULL, o->shipping_address);
	else if (strcmp(f, "billingAddress") == 0)
		gql_res_object(r, NULL, o->billing_address);
	else if (strcmp(f, "shippingLine") == 0)
		gql_res_object(r, NULL, o->nships ? o->ships[0] : NULL);
	else if (strcmp(f, "shippingLines") == 0)
		id_connection(S, c, r, (void *const *)o->ships, o->nships);
	else if (strcmp(f, "lineItems") == 0)
		id_connection(S, c, r, (void *const *)o->lines, o->nlines);
	else if (strcmp(f, "fulfillments") == 0)
		obj_list(r, (void *const *)o->fuls, o->nfuls, arg_first(c->args));
	else if (strcmp(f, "fulfillmentOrders") == 0)
		id_connection(S, c, r, (void *const *)o->fos, o->nfos);
	else if (strcmp(f, "customer") == 0)
		gql_res_object(r, NULL, o->customer);
	else if (strcmp(f, "metafield") == 0)
		gql_res_object(r, NULL, (void *)order_metafield(o,
			json_string_value(json_object_get(c->args, "namespace")),
			json_string_value(json_object_get(c->args, "key"))));
	else if (strcmp(f, "metafields") == 0) {
		const char *ns = json_string_value(json_object_get(c->args, "namespace"));
		json_t *keys = json_object_get(c->args, "keys");
		struct sh_metafield **sel = xcalloc(o->nmfs + 1, sizeof(*sel));
		size_t n = 0;

		for (i = 0; i < o->nmfs; i++) {
			int ok = !ns || (o->mfs[i]->ns && strcmp(o->mfs[i]->ns, ns) == 0);

			if (ok && json_is_array(keys)) {
				size_t k;
				json_t *kj;
				char full[512];

				ok = 0;
				snprintf(full, sizeof(full), "%s.%s", o->mfs[i]->ns ? o->mfs[i]->ns : "",
					 o->mfs[i]->key);
				json_array_foreach(keys, k, kj)
					if (json_is_string(kj) && strcmp(json_string_value(kj), full) == 0)
						ok = 1;
			}
			if (ok)
				sel[n++] = o->mfs[i];
		}
		id_connection(S, c, r, (void *const *)sel, n);
		free(sel);
	} else if (strcmp(f, "discountCode") == 0)
		leaf_str(r, o->ndiscount_codes ? o->discount_codes[0] : NULL);
	else if (strcmp(f, "discountCodes") == 0)
		leaf_strings(r, o->discount_codes, o->ndiscount_codes);
	else if (strcmp(f, "subtotalLineItemsQuantity") == 0 ||
		 strcmp(f, "currentSubtotalLineItemsQuantity") == 0) {
		long long q = 0;
		int cur = f[0] == 'c';

		for (i = 0; i < o->nlines; i++)
			q += cur ? o->lines[i]->current_quantity : o->lines[i]->quantity;
		leaf_int(r, q);
	} else if (strcmp(f, "requiresShipping") == 0) {
		int any = 0;

		for (i = 0; i < o->nlines; i++)
			any |= o->lines[i]->requires_shipping;
		leaf_bool(r, any);
	} else if (strcmp(f, "fulfillable") == 0) {
		int any = 0;
		size_t k;

		for (i = 0; i < o->nfos; i++) {
			if (strcmp(o->fos[i]->status, "OPEN") != 0 &&
			    strcmp(o->fos[i]->status, "IN_PROGRESS") != 0)
				continue;
			for (k = 0; k < o->fos[i]->nlines; k++)
				any |= o->fos[i]->lines[k]->remaining > 0;
		}
		leaf_bool(r, any);
	} else if (strcmp(f, "confirmed") == 0)
		leaf_bool(r, 1);
	else if (strcmp(f, "edited") == 0)
		leaf_bool(r, 0);
	else if (strcmp(f, "paymentGatewayNames") == 0) {
		json_t *a = json_array();

		for (i = 0; i < o->ntxns; i++) {
			size_t k;
			json_t *g;
			int seen = 0;

			if (!o->txns[i]->gateway)
				continue;
			json_array_foreach(a, k, g)
				if (strcmp(json_string_value(g), o->txns[i]->gateway) == 0)
					seen = 1;
			if (!seen)
				json_array_append_new(a, json_string(o->txns[i]->gateway));
		}
		gql_res_leaf(r, a);
	} else
		r->kind = GQL_RES_UNIMPLEMENTED;
}

/* ------------------------------------------------------------------ */
/* LineItem, ShippingLine, TaxLine, money                               */

static void r_line(struct sh_store *S, const struct gql_field_call *c, struct gql_res *r)
{
	struct sh_line *l = c->parent;
	const struct sh_order *o = l->order;
	const char *f = c->field;
	int fulfilled = sh_line_fulfilled(l);
	int unfulfilled = l->current_quantity - fulfilled;

	if (unfulfilled < 0)
		unfulfilled = 0;
	if (strcmp(f, "id") == 0)
		leaf_gid(r, K_LINE, l->id);
	else if (strcmp(f, "sku") == 0)
		leaf_str(r, l->sku);
	else if (strcmp(f, "title") == 0)
		leaf_str(r, l->title ? l->title : "");
	else if (strcmp(f, "name") == 0) {
		if (l->variant_title && *l->variant_title &&
		    strcmp(l->variant_title, "Default Title") != 0)
			gql_res_leaf(r, json_sprintf("%s - %s", l->title ? l->title : "",
						     l->variant_title));
		else
			leaf_str(r, l->title ? l->title : "");
	} else if (strcmp(f, "variantTitle") == 0)
		leaf_str(r, l->variant_title);
	else if (strcmp(f, "vendor") == 0)
		leaf_str(r, l->vendor);
	else if (strcmp(f, "quantity") == 0)
		leaf_int(r, l->quantity);
	else if (strcmp(f, "currentQuantity") == 0 || strcmp(f, "refundableQuantity") == 0)
		leaf_int(r, l->current_quantity);
	else if (strcmp(f, "unfulfilledQuantity") == 0)
		leaf_int(r, unfulfilled);
	else if (strcmp(f, "fulfillableQuantity") == 0)
		leaf_int(r, o->cancelled ? 0 : unfulfilled);
	else if (strcmp(f, "nonFulfillableQuantity") == 0)
		leaf_int(r, o->cancelled ? unfulfilled : 0);
	else if (strcmp(f, "requiresShipping") == 0)
		leaf_bool(r, l->requires_shipping);
	else if (strcmp(f, "taxable") == 0)
		leaf_bool(r, l->taxable);
	else if (strcmp(f, "isGiftCard") == 0)
		leaf_bool(r, l->gift_card);
	else if (strcmp(f, "variant") == 0)
		gql_res_object(r, NULL, l->variant);
	else if (strcmp(f, "product") == 0)
		gql_res_object(r, NULL, l->variant ? l->variant->product : NULL);
	else if (strcmp(f, "originalUnitPriceSet") == 0)
		money(S, r, l->unit_price, o);
	else if (strcmp(f, "discountedUnitPriceSet") == 0)
		money(S, r, l->quantity ? l->unit_price - l->discount / l->quantity : l->unit_price, o);
	else if (strcmp(f, "originalTotalSet") == 0)
		money(S, r, l->unit_price * l->quantity, o);
	else if (strcmp(f, "discountedTotalSet") == 0)
		money(S, r, sh_line_total(l, 0), o);
	else if (strcmp(f, "totalDiscountSet") == 0)
		money(S, r, l->discount, o);
	else if (strcmp(f, "taxLines") == 0)
		tax_list(S, l->tax, l->ntax, o, arg_first(c->args), r);
	else if (strcmp(f, "customAttributes") == 0)
		attrs_list(l->props, l->nprops, r);
	else if (strcmp(f, "fulfillmentStatus") == 0)
		leaf_str(r, fulfilled == 0 ? "unfulfilled" :
			 fulfilled >= l->current_quantity ? "fulfilled" : "partial");
	else
		r->kind = GQL_RES_UNIMPLEMENTED;
}

static void r_ship(struct sh_store *S, const struct gql_field_call *c, struct gql_res *r)
{
	struct sh_ship *s = c->parent;
	const char *f = c->field;
	const struct sh_order *o;

	if (strcmp(f, "id") == 0)
		leaf_gid(r, K_SHIP, s->id);
	else if (strcmp(f, "title") == 0)
		leaf_str(r, s->title ? s->title : "");
	else if (strcmp(f, "code") == 0)
		leaf_str(r, s->code);
	else if (strcmp(f, "source") == 0)
		leaf_str(r, s->source);
	else if (strcmp(f, "custom") == 0)
		leaf_bool(r, 1);
	else if (strcmp(f, "isRemoved") == 0)
		leaf_bool(r, 0);
	else if (!(o = s->order))
		gql_res_error(r, "shopify-emu: internal error: shipping line without order");
	else if (strcmp(f, "originalPriceSet") == 0)
		money(S, r, s->price, o);
	else if (strcmp(f, "discountedPriceSet") == 0 || strcmp(f, "currentDiscountedPriceSet") == 0)
		money(S, r, s->price - s->discount, o);
	else if (strcmp(f, "taxLines") == 0)
		tax_list(S, s->tax, s->ntax, o, -1, r);
	else
		r->kind = GQL_RES_UNIMPLEMENTED;
}

static void r_tax(struct sh_store *S, const struct gql_field_call *c, struct gql_res *r)
{
	struct rq_tax *t = c->parent;
	const char *f = c->field;

	if (strcmp(f, "title") == 0)
		leaf_str(r, t->t.title ? t->t.title : "");
	else if (strcmp(f, "rate") == 0 || strcmp(f, "ratePercentage") == 0) {
		double rate = t->t.rate && *t->t.rate ? strtod(t->t.rate, NULL) : 0;

		gql_res_leaf(r, json_real(f[4] ? rate * 100 : rate));
	} else if (strcmp(f, "priceSet") == 0)
		gql_res_object(r, NULL, sh_money_obj(S, t->t.amount, t->currency, t->exp));
	else if (strcmp(f, "channelLiable") == 0)
		leaf_bool(r, t->t.channel_liable);
	else
		r->kind = GQL_RES_UNIMPLEMENTED;
}

static void r_money(struct sh_store *S, const struct gql_field_call *c, struct gql_res *r)
{
	struct rq_money *m = c->parent;
	const char *f = c->field;

	(void)S;
	if (strcmp(c->parent_type, "MoneyBag") == 0) {
		if (strcmp(f, "shopMoney") == 0 || strcmp(f, "presentmentMoney") == 0)
			gql_res_object(r, NULL, m);
		else
			r->kind = GQL_RES_UNIMPLEMENTED;
		return;
	}
	if (strcmp(f, "amount") == 0)
		gql_res_leaf(r, sh_amount_json(m->amount, m->exp));
	else if (strcmp(f, "currencyCode") == 0)
		leaf_str(r, m->currency);
	else
		r->kind = GQL_RES_UNIMPLEMENTED;
}

static void r_attr(struct sh_store *S, const struct gql_field_call *c, struct gql_res *r)
{
	struct sh_kv *kv = c->parent;

	(void)S;
	if (strcmp(c->field, "key") == 0)
		leaf_str(r, kv->key);
	else if (strcmp(c->field, "value") == 0)
		leaf_str(r, kv->value);
	else
		r->kind = GQL_RES_UNIMPLEMENTED;
}

static void r_address(struct sh_store *S, const struct gql_field_call *c, struct gql_res *r)
{
	json_t *a = c->parent;
	const char *f = c->field;

	(void)S;
	if (strcmp(f, "formatted") == 0 || strcmp(f, "formattedArea") == 0 ||
	    strcmp(f, "coordinatesValidated") == 0 || strcmp(f, "latitude") == 0 ||
	    strcmp(f, "longitude") == 0 || strcmp(f, "timeZone") == 0 ||
	    strcmp(f, "validationResultSummary") == 0) {
		r->kind = GQL_RES_UNIMPLEMENTED;
		return;
	}
	if (!gs_type_field(gql_schema_type(S->schema, "MailingAddress"), f)) {
		r->kind = GQL_RES_UNIMPLEMENTED;
		return;
	}
	gql_res_leaf(r, json_incref(json_object_get(a, f) ? json_object_get(a, f) : json_null()));
}

static void r_metafield(struct sh_store *S, const struct gql_field_call *c, struct gql_res *r)
{
	struct sh_metafield *m = c->parent;
	const char *f = c->field;

	(void)S;
	if (strcmp(f, "id") == 0)
		leaf_gid(r, K_METAFIELD, m->id);
	else if (strcmp(f, "namespace") == 0)
		leaf_str(r, m->ns ? m->ns : "$app");
	else if (strcmp(f, "key") == 0)
		leaf_str(r, m->key);
	else if (strcmp(f, "value") == 0)
		leaf_str(r, m->value ? m->value : "");
	else if (strcmp(f, "type") == 0)
		leaf_str(r, m->type ? m->type : "single_line_text_field");
	else if (strcmp(f, "createdAt") == 0)
		leaf_time(r, m->created);
	else if (strcmp(f, "updatedAt") == 0)
		leaf_time(r, m->updated);
	else
		r->kind = GQL_RES_UNIMPLEMENTED;
}

static void r_customer(struct sh_store *S, const struct gql_field_call *c, struct gql_res *r)
{
	struct sh_customer *cu = c->parent;
	const char *f = c->field;

	(void)S;
	if (strcmp(f, "id") == 0)
		leaf_gid(r, K_CUSTOMER, cu->id);
	else if (strcmp(f, "email") == 0)
		leaf_str(r, cu->email);
	else if (strcmp(f, "firstName") == 0)
		leaf_str(r, cu->first_name);
	else if (strcmp(f, "lastName") == 0)
		leaf_str(r, cu->last_name);
	else if (strcmp(f, "displayName") == 0) {
		if (cu->first_name || cu->last_name)
			gql_res_leaf(r, json_sprintf("%s%s%s", cu->first_name ? cu->first_name : "",
						     cu->first_name && cu->last_name ? " " : "",
						     cu->last_name ? cu->last_name : ""));
		else
			leaf_str(r, cu->email ? cu->email : "");
	} else if (strcmp(f, "phone") == 0)
		leaf_str(r, cu->phone);
	else if (strcmp(f, "note") == 0)
		leaf_str(r, cu->note);
	else if (strcmp(f, "tags") == 0)
		leaf_strings(r, cu->tags, cu->ntags);
	else if (strcmp(f, "defaultAddress") == 0)
		gql_res_object(r, NULL, cu->default_address);
	else
		r->kind = GQL_RES_UNIMPLEMENTED;
}

/* ------------------------------------------------------------------ */
/* Fulfillments                                                         */

static void r_ful(struct sh_store *S, const struct gql_field_call *c, struct gql_res *r)
{
	struct sh_ful *fl = c->parent;
	const char *f = c->field;
	size_t i;

	if (strcmp(f, "id") == 0)
		leaf_gid(r, K_FUL, fl->id);
	else if (strcmp(f, "legacyResourceId") == 0)
		leaf_legacy(r, fl->id);
	else if (strcmp(f, "name") == 0)
		gql_res_leaf(r, json_sprintf("%s-F%d", fl->order->name, fl->seq));
	else if (strcmp(f, "status") == 0)
		leaf_str(r, fl->status);
	else if (strcmp(f, "displayStatus") == 0)
		leaf_str(r, fl->display_status);
	else if (strcmp(f, "createdAt") == 0)
		leaf_time(r, fl->created);
	else if (strcmp(f, "updatedAt") == 0)
		leaf_time(r, fl->updated);
	else if (strcmp(f, "inTransitAt") == 0)
		leaf_time(r, fl->in_transit);
	else if (strcmp(f, "deliveredAt") == 0)
		leaf_time(r, fl->delivered);
	else if (strcmp(f, "estimatedDeliveryAt") == 0)
		leaf_time(r, fl->estimated);
	else if (strcmp(f, "trackingInfo") == 0) {
		long lim = arg_first(c->args);
		size_t n = fl->ntrk;

		if (lim >= 0 && (size_t)lim < n)
			n = (size_t)lim;
		gql_res_list(r, n);
		for (i = 0; i < n; i++)
			gql_res_object(&r->items[i], NULL, &fl->trk[i]);
	} else if (strcmp(f, "fulfillmentLineItems") == 0)
		id_connection(S, c, r, (void *const *)fl->lines, fl->nlines);
	else if (strcmp(f, "events") == 0)
		id_connection(S, c, r, (void *const *)fl->events, fl->nevents);
	else if (strcmp(f, "fulfillmentOrders") == 0)
		id_connection(S, c, r, (void *const *)fl->fos, fl->nfos);
	else if (strcmp(f, "location") == 0)
		gql_res_object(r, NULL, fl->loc);
	else if (strcmp(f, "order") == 0)
		gql_res_object(r, NULL, fl->order);
	else if (strcmp(f, "totalQuantity") == 0) {
		long long q = 0;

		for (i = 0; i < fl->nlines; i++)
			q += fl->lines[i]->quantity;
		leaf_int(r, q);
	} else if (strcmp(f, "requiresShipping") == 0) {
		int any = 0;

		for (i = 0; i < fl->nlines; i++)
			any |= fl->lines[i]->line->requires_shipping;
		leaf_bool(r, any);
	} else
		r->kind = GQL_RES_UNIMPLEMENTED;
}

static void r_tracking(struct sh_store *S, const struct gql_field_call *c, struct gql_res *r)
{
	struct sh_tracking *t = c->parent;

	(void)S;
	if (strcmp(c->field, "company") == 0)
		leaf_str(r, t->company);
	else if (strcmp(c->field, "number") == 0)
		leaf_str(r, t->number);
	else if (strcmp(c->field, "url") == 0)
		leaf_str(r, t->url);
	else
		r->kind = GQL_RES_UNIMPLEMENTED;
}

static void r_ful_line(struct sh_store *S, const struct gql_field_call *c, struct gql_res *r)
{
	struct sh_ful_line *l = c->parent;

	if (strcmp(c->field, "id") == 0)
		leaf_gid(r, K_FUL_LINE, l->id);
	else if (strcmp(c->field, "quantity") == 0)
		leaf_int(r, l->quantity);
	else if (strcmp(c->field, "lineItem") == 0)
		gql_res_object(r, NULL, l->line);
	else if (strcmp(c->field, "originalTotalSet") == 0)
		money(S, r, l->line->unit_price * l->quantity, l->line->order);
	else if (strcmp(c->field, "discountedTotalSet") == 0)
		money(S, r, l->line->quantity ?
		      sh_line_total(l->line, 0) * l->quantity / l->line->quantity : 0,
		      l->line->order);
	else
		r->kind = GQL_RES_UNIMPLEMENTED;
}

static void r_event(struct sh_store *S, const struct gql_field_call *c, struct gql_res *r)
{
	struct sh_event *e = c->parent;
	const char *f = c->field;

	(void)S;
	if (strcmp(f, "id") == 0)
		leaf_gid(r, K_EVENT, e->id);
	else if (strcmp(f, "status") == 0)
		leaf_str(r, e->status);
	else if (strcmp(f, "happenedAt") == 0)
		leaf_time(r, e->happened);
	else if (strcmp(f, "createdAt") == 0)
		leaf_time(r, e->created);
	else if (strcmp(f, "estimatedDeliveryAt") == 0)
		leaf_time(r, e->estimated);
	else if (strcmp(f, "message") == 0)
		leaf_str(r, e->message);
	else if (strcmp(f, "address1") == 0)
		leaf_str(r, e->address1);
	else if (strcmp(f, "city") == 0)
		leaf_str(r, e->city);
	else if (strcmp(f, "province") == 0)
		leaf_str(r, e->province);
	else if (strcmp(f, "country") == 0)
		leaf_str(r, e->country);
	else if (strcmp(f, "zip") == 0)
		leaf_str(r, e->zip);
	else if (strcmp(f, "latitude") == 0)
		gql_res_leaf(r, e->has_lat ? json_real(e->lat) : json_null());
	else if (strcmp(f, "longitude") == 0)
		gql_res_leaf(r, e->has_lng ? json_real(e->lng) : json_null());
	else
		r->kind = GQL_RES_UNIMPLEMENTED;
}

static const char *const open_actions[] = { "CREATE_FULFILLMENT", "MOVE", "HOLD", "SPLIT" };
static const char *const progress_actions[] = { "CREATE_FULFILLMENT", "HOLD", "SPLIT" };

static void r_fo(struct sh_store *S, const struct gql_field_call *c, struct gql_res *r)
{
	struct sh_fo *fo = c->parent;
	const char *f = c->field;

	if (strcmp(f, "id") == 0)
		leaf_gid(r, K_FO, fo->id);
	else if (strcmp(f, "status") == 0)
		leaf_str(r, fo->status);
	else if (strcmp(f, "requestStatus") == 0)
		leaf_str(r, fo->request_status);
	else if (strcmp(f, "assignedLocation") == 0)
		gql_res_object(r, "FulfillmentOrderAssignedLocation", fo);
	else if (strcmp(f, "lineItems") == 0)
		id_connection(S, c, r, (void *const *)fo->lines, fo->nlines);
	else if (strcmp(f, "supportedActions") == 0) {
		const char *const *acts = NULL;
		size_t n = 0, i;

		if (strcmp(fo->status, "OPEN") == 0) {
			acts = open_actions;
			n = ARRAY_SIZE(open_actions);
		} else if (strcmp(fo->status, "IN_PROGRESS") == 0) {
			acts = progress_actions;
			n = ARRAY_SIZE(progress_actions);
		}
		gql_res_list(r, n);
		for (i = 0; i < n; i++)
			gql_res_object(&r->items[i], NULL, (void *)acts[i]);
	} else if (strcmp(f, "order") == 0)
		gql_res_object(r, NULL, fo->order);
	else if (strcmp(f, "orderId") == 0)
		leaf_gid(r, K_ORDER, fo->order->id);
	else if (strcmp(f, "orderName") == 0)
		leaf_str(r, fo->order->name);
	else if (strcmp(f, "orderProcessedAt") == 0)
		leaf_time(r, fo->order->processed);
	else if (strcmp(f, "createdAt") == 0)
		leaf_time(r, fo->created);
	else if (strcmp(f, "updatedAt") == 0)
		leaf_time(r, fo->updated);
	else if (strcmp(f, "fulfillAt") == 0)
		leaf_time(r, fo->fulfill_at);
	else if (strcmp(f, "fulfillBy") == 0)
		leaf_time(r, 0);
	else if (strcmp(f, "fulfillmentHolds") == 0)
		gql_res_list(r, 0);
	else if (strcmp(f, "fulfillments") == 0) {
		const struct sh_order *o = fo->order;
		struct sh_ful **sel = xcalloc(o->nfuls + 1, sizeof(*sel));
		size_t n = 0, i, k;

		for (i = 0; i < o->nfuls; i++)
			for (k = 0; k < o->fuls[i]->nfos; k++)
				if (o->fuls[i]->fos[k] == fo) {
					sel[n++] = o->fuls[i];
					break;
				}
		id_connection(S, c, r, (void *const *)sel, n);
		free(sel);
	} else
		r->kind = GQL_RES_UNIMPLEMENTED;
}

static void r_fo_line(struct sh_store *S, const struct gql_field_call *c, struct gql_res *r)
{
	struct sh_fo_line *l = c->parent;
	const char *f = c->field;

	(void)S;
	if (strcmp(f, "id") == 0)
		leaf_gid(r, K_FO_LINE, l->id);
	else if (strcmp(f, "totalQuantity") == 0)
		leaf_int(r, l->total);
	else if (strcmp(f, "remainingQuantity") == 0)
		leaf_int(r, l->remaining);
	else if (strcmp(f, "lineItem") == 0)
		gql_res_object(r, NULL, l->line);
	else if (strcmp(f, "sku") == 0)
		leaf_str(r, l->line->sku);
	else if (strcmp(f, "variantTitle") == 0)
		leaf_str(r, l->line->variant_title);
	else if (strcmp(f, "productTitle") == 0)
		leaf_str(r, l->line->variant ? l->line->variant->product->title :
			 l->line->title ? l->line->title : "");
	else if (strcmp(f, "requiresShipping") == 0)
		leaf_bool(r, l->line->requires_shipping);
	else if (strcmp(f, "variant") == 0)
		gql_res_object(r, NULL, l->line->variant);
	else if (strcmp(f, "vendor") == 0)
		leaf_str(r, l->line->vendor);
	else
		r->kind = GQL_RES_UNIMPLEMENTED;
}

static void r_assigned(struct sh_store *S, const struct gql_field_call *c, struct gql_res *r)
{
	struct sh_fo *fo = c->parent;

	(void)S;
	if (strcmp(c->field, "location") == 0)
		gql_res_object(r, NULL, fo->loc);
	else if (strcmp(c->field, "name") == 0)
		leaf_str(r, fo->loc->name);
	else
		r->kind = GQL_RES_UNIMPLEMENTED;
}

static void r_location(struct sh_store *S, const struct gql_field_call *c, struct gql_res *r)
{
	struct sh_location *l = c->parent;

	(void)S;
	if (strcmp(c->field, "id") == 0)
		leaf_gid(r, K_LOCATION, l->id);
	else if (strcmp(c->field, "name") == 0)
		leaf_str(r, l->name);
	else if (strcmp(c->field, "legacyResourceId") == 0)
		leaf_legacy(r, l->id);
	else if (strcmp(c->field, "isActive") == 0)
		leaf_bool(r, l->active);
	else
		r->kind = GQL_RES_UNIMPLEMENTED;
}

/* ------------------------------------------------------------------ */
/* Products                                                             */

static void r_variant(struct sh_store *S, const struct gql_field_call *c, struct gql_res *r)
{
	struct sh_variant *v = c->parent;
	const char *f = c->field;

	if (strcmp(f, "id") == 0)
		leaf_gid(r, K_VARIANT, v->id);
	else if (strcmp(f, "legacyResourceId") == 0)
		leaf_legacy(r, v->id);
	else if (strcmp(f, "sku") == 0)
		leaf_str(r, v->sku);
	else if (strcmp(f, "title") == 0)
		leaf_str(r, v->title);
	else if (strcmp(f, "displayName") == 0)
		gql_res_leaf(r, json_sprintf("%s - %s", v->product->title, v->title));
	else if (strcmp(f, "price") == 0)
		gql_res_leaf(r, sh_amount_json(v->price, sh_currency_exponent(S->shop_currency)));
	else if (strcmp(f, "product") == 0)
		gql_res_object(r, NULL, v->product);
	else if (strcmp(f, "barcode") == 0)
		leaf_str(r, v->barcode);
	else if (strcmp(f, "createdAt") == 0)
		leaf_time(r, v->created);
	else if (strcmp(f, "updatedAt") == 0)
		leaf_time(r, v->updated);
	else if (strcmp(f, "taxable") == 0)
		leaf_bool(r, v->taxable);
	else
		r->kind = GQL_RES_UNIMPLEMENTED;
}

static void r_product(struct sh_store *S, const struct gql_field_call *c, struct gql_res *r)
{
	struct sh_product *p = c->parent;
	const char *f = c->field;

	if (strcmp(f, "id") == 0)
		leaf_gid(r, K_PRODUCT, p->id);
	else if (strcmp(f, "legacyResourceId") == 0)
		leaf_legacy(r, p->id);
	else if (strcmp(f, "title") == 0)
		leaf_str(r, p->title);
	else if (strcmp(f, "status") == 0)
		leaf_str(r, p->status);
	else if (strcmp(f, "handle") == 0) {
		if (p->handle) {
			leaf_str(r, p->handle);
		} else {
			char *h = xstrdup(p->title), *q;

			for (q = h; *q; q++)
				*q = (char)(isalnum((unsigned char)*q) ? tolower((unsigned char)*q) : '-');
			leaf_str(r, h);
			free(h);
		}
	} else if (strcmp(f, "vendor") == 0)
		leaf_str(r, p->vendor ? p->vendor : S->shop_name);
	else if (strcmp(f, "productType") == 0)
		leaf_str(r, p->product_type ? p->product_type : "");
	else if (strcmp(f, "tags") == 0)
		leaf_strings(r, p->tags, p->ntags);
	else if (strcmp(f, "createdAt") == 0)
		leaf_time(r, p->created);
	else if (strcmp(f, "updatedAt") == 0)
		leaf_time(r, p->updated);
	else if (strcmp(f, "variants") == 0)
		id_connection(S, c, r, (void *const *)p->variants, p->nvariants);
	else if (strcmp(f, "totalVariants") == 0)
		leaf_int(r, (long long)p->nvariants);
	else
		r->kind = GQL_RES_UNIMPLEMENTED;
}

/* ------------------------------------------------------------------ */
/* Mutation payloads                                                    */

static void uerr_list(struct sh_payload *p, struct gql_res *r)
{
	size_t i;

	gql_res_list(r, p->nerrs);
	for (i = 0; i < p->nerrs; i++)
		gql_res_object(&r->items[i], NULL, &p->errs[i]);
}

static void r_payload(struct sh_store *S, const struct gql_field_call *c, struct gql_res *r)
{
	struct sh_payload *p = c->parent;
	const char *f = c->field;

	(void)S;
	if (strcmp(f, "userErrors") == 0 || strcmp(f, "orderCancelUserErrors") == 0)
		uerr_list(p, r);
	else if (strcmp(f, "job") == 0)
		gql_res_object(r, NULL, p->job ? p : NULL);
	else if (strcmp(f, "node") == 0)
		gql_res_object(r, p->obj_type, p->obj);
	else if (strcmp(f, "order") == 0 || strcmp(f, "fulfillment") == 0 ||
		 strcmp(f, "fulfillmentEvent") == 0)
		gql_res_object(r, NULL, p->obj);
	else
		r->kind = GQL_RES_UNIMPLEMENTED;
}

static void r_uerr(struct sh_store *S, const struct gql_field_call *c, struct gql_res *r)
{
	struct sh_uerr *e = c->parent;

	(void)S;
	if (strcmp(c->field, "field") == 0)
		gql_res_leaf(r, e->field ? json_incref(e->field) : json_null());
	else if (strcmp(c->field, "message") == 0)
		leaf_str(r, e->message);
	else if (strcmp(c->field, "code") == 0)
		leaf_str(r, e->code);
	else
		r->kind = GQL_RES_UNIMPLEMENTED;
}

static void r_job(struct sh_store *S, const struct gql_field_call *c, struct gql_res *r)
{
	struct sh_payload *p = c->parent;

	(void)S;
	if (strcmp(c->field, "id") == 0)
		leaf_str(r, p->job_id);
	else if (strcmp(c->field, "done") == 0)
		leaf_bool(r, 0);
	else
		r->kind = GQL_RES_UNIMPLEMENTED;
}

static void r_action(struct sh_store *S, const struct gql_field_call *c, struct gql_res *r)
{
	(void)S;
	if (strcmp(c->field, "action") == 0)
		leaf_str(r, c->parent);
	else
		r->kind = GQL_RES_UNIMPLEMENTED;
}

/* ------------------------------------------------------------------ */
/* dispatch                                                             */

typedef void (*type_fn)(struct sh_store *, const struct gql_field_call *, struct gql_res *);

static const struct {
	const char *type;
	type_fn fn;
} types[] = {
	{ "QueryRoot", r_query },
	{ "Shop", r_shop },
	{ "Order", r_order },
	{ "LineItem", r_line },
	{ "ShippingLine", r_ship },
	{ "TaxLine", r_tax },
	{ "MoneyBag", r_money },
	{ "MoneyV2", r_money },
	{ "Attribute", r_attr },
	{ "MailingAddress", r_address },
	{ "Metafield", r_metafield },
	{ "Customer", r_customer },
	{ "Fulfillment", r_ful },
	{ "FulfillmentTrackingInfo", r_tracking },
	{ "FulfillmentLineItem", r_ful_line },
	{ "FulfillmentEvent", r_event },
	{ "FulfillmentOrder", r_fo },
	{ "FulfillmentOrderLineItem", r_fo_line },
	{ "FulfillmentOrderAssignedLocation", r_assigned },
	{ "FulfillmentOrderSupportedAction", r_action },
	{ "Location", r_location },
	{ "ProductVariant", r_variant },
	{ "Product", r_product },
	{ "OrderCreatePayload", r_payload },
	{ "FulfillmentCreatePayload", r_payload },
	{ "FulfillmentTrackingInfoUpdatePayload", r_payload },
	{ "FulfillmentEventCreatePayload", r_payload },
	{ "FulfillmentCancelPayload", r_payload },
	{ "OrderCancelPayload", r_payload },
	{ "OrderUpdatePayload", r_payload },
	{ "TagsAddPayload", r_payload },
	{ "TagsRemovePayload", r_payload },
	{ "UserError", r_uerr },
	{ "OrderCreateUserError", r_uerr },
	{ "OrderCancelUserError", r_uerr },
	{ "Job", r_job },
};

void sh_resolve(void *user, const struct gql_field_call *call, struct gql_res *out)
{
	struct sh_store *S = user;
	size_t i;

	if (call->is_mutation_root) {
		sh_mutate(S, call, out);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(types); i++) {
		if (strcmp(types[i].type, call->parent_type) == 0) {
			types[i].fn(S, call, out);
			return;
		}
	}
	out->kind = GQL_RES_UNIMPLEMENTED;
}
