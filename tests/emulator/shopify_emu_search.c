/*
 * shopify_emu_search.c - Shopify's search syntax for the `query:` argument
 * of orders and productVariants, and the paging of every connection.
 *
 * Grammar (shopify.dev "search syntax"): terms separated by whitespace are
 * AND-ed; OR between terms; NOT or a leading '-' negates; parentheses
 * group; a term is `field:value`, `field:<value`, `field:>=value` (also
 * <=, >), or bare free text. Values may be 'single' or "double" quoted
 * (backslash escapes the quote); a bare value ending in '*' is a prefix.
 * Unknown fields are ignored (they match everything) and reported as
 * warnings, as Shopify does.
 *
 * Cursors are opaque base64 of {"last_id":N,"last_value":V} like live
 * Shopify's (V: the sort value, epoch milliseconds for times).
 */
#include "shopify_emu.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"

enum qkind { Q_AND, Q_OR, Q_NOT, Q_TERM };
enum qcmp { C_EQ, C_LT, C_LE, C_GT, C_GE };

struct qnode {
	enum qkind kind;
	struct qnode *a, *b;
	char *field;		/* TERM: NULL = free text */
	char *value;
	enum qcmp cmp;
	int prefix;		/* bare value ending in '*' */
};

struct sh_query {
	struct qnode *root;
	char **fields;
	size_t nfields;
};

const char *const sh_order_search_fields[] = {
	"default", "cart_token", "channel", "channel_id", "chargeback_status",
	"checkout_token", "confirmation_number", "created_at", "credit_card_last4",
	"current_total_price", "customer_id", "delivery_method", "discount_code",
	"email", "financial_status", "fraud_protection_level", "fulfillment_location_id",
	"fulfillment_status", "gateway", "id", "location_id", "name", "payment_id",
	"payment_provider_id", "po_number", "processed_at", "reference_location_id",
	"return_status", "risk_level", "sales_channel", "sku", "source_identifier",
	"source_name", "status", "subtotal_line_items_quantity", "tag", "tag_not",
	"test", "total_weight", "updated_at", NULL
};

const char *const sh_variant_search_fields[] = {
	"default", "barcode", "collection", "delivery_profile_id", "exclude_composite",
	"exclude_variants_with_components", "gift_card", "id", "inventory_quantity",
	"location_id", "managed", "managed_by", "option1", "option2", "option3",
	"product_id", "product_ids", "product_publication_status", "product_status",
	"product_type", "publishable_status", "published_status", "requires_components",
	"sku", "tag", "tag_not", "taxable", "title", "updated_at", "vendor", NULL
};

/* ------------------------------------------------------------------ */
/* parsing                                                              */

struct lexer {
	const char *p;
	struct sh_query *q;
	int depth;
};

static void qfree(struct qnode *n)
{
	if (!n)
		return;
	qfree(n->a);
	qfree(n->b);
	free(n->field);
	free(n->value);
	free(n);
}

void sh_query_free(struct sh_query *q)
{
	size_t i;

	if (!q)
		return;
	qfree(q->root);
	for (i = 0; i < q->nfields; i++)
		free(q->fields[i]);
	free(q->fields);
	free(q);
}

static void skip_ws(struct lexer *L)
{
	while (*L->p && isspace((unsigned char)*L->p))
		L->p++;
}

static int at_word(struct lexer *L, const char *w)
{
	size_t n = strlen(w);

	return strncmp(L->p, w, n) == 0 &&
	       (L->p[n] == '\0' || isspace((unsigned char)L->p[n]) || L->p[n] == '(');
}

/* A value: quoted (escapes allowed) or bare up to whitespace or ')'. */
static char *read_value(struct lexer *L, int *prefix)
{
	struct strbuf sb = STRBUF_INIT;

	*prefix = 0;
	if (*L->p == '\'' || *L->p == '"') {
		char q = *L->p++;

		while (*L->p && *L->p != q) {
			if (*L->p == '\\' && L->p[1])
				L->p++;
			sb_addn(&sb, L->p, 1);
			L->p++;
		}
		if (*L->p == q)
			L->p++;
		return sb_detach(&sb);
	}
	while (*L->p && !isspace((unsigned char)*L->p) && *L->p != ')') {
		if (*L->p == '\\' && L->p[1])
			L->p++;
		sb_addn(&sb, L->p, 1);
		L->p++;
	}
	if (sb.len > 1 && sb.buf[sb.len - 1] == '*') {
		*prefix = 1;
		sb.buf[--sb.len] = '\0';
	}
	return sb_detach(&sb);
}

static struct qnode *parse_or(struct lexer *L);

static struct qnode *parse_term(struct lexer *L)
{
	struct qnode *n;
	const char *start;

	skip_ws(L);
	if (!*L->p || *L->p == ')')
		return NULL;
	if (*L->p == '(') {
		L->p++;
		if (++L->depth > 32)
			return NULL;
		n = parse_or(L);
		L->depth--;
		skip_ws(L);
		if (*L->p == ')')
			L->p++;
		return n;
	}
	if (at_word(L, "NOT") || (*L->p == '-' && L->p[1] && !isspace((unsigned char)L->p[1]))) {
		struct qnode *inner;

		L->p += *L->p == '-' ? 1 : 3;
		if (++L->depth > 32)
			return NULL;
		inner = parse_term(L);
		L->depth--;
		if (!inner)
			return NULL;
		n = xcalloc(1, sizeof(*n));
		n->kind = Q_NOT;
		n->a = inner;
		return n;
	}
	n = xcalloc(1, sizeof(*n));
	n->kind = Q_TERM;
	start = L->p;
	while (*L->p && (isalnum((unsigned char)*L->p) || *L->p == '_' || *L->p == '.'))
		L->p++;
	if (*L->p == ':' && L->p > start) {
		n->field = xstrndup(start, (size_t)(L->p - start));
		L->p++;
		if (L->p[0] == '<' && L->p[1] == '=') {
			n->cmp = C_LE;
			L->p += 2;
		} else if (L->p[0] == '>' && L->p[1] == '=') {
			n->cmp = C_GE;
			L->p += 2;
		} else if (L->p[0] == '<') {
			n->cmp = C_LT;
			L->p++;
		} else if (L->p[0] == '>') {
			n->cmp = C_GT;
			L->p++;
		} else if (L->p[0] == '=') {
			L->p++;
		}
		n->value = read_value(L, &n->prefix);
		{
			size_t i;

			for (i = 0; i < L->q->nfields; i++)
				if (strcmp(L->q->fields[i], n->field) == 0)
					break;
			if (i == L->q->nfields) {
				L->q->fields = sh_grow(L->q->fields, L->q->nfields, sizeof(char *));
				L->q->fields[L->q->nfields++] = xstrdup(n->field);
			}
		}
	} else {
		L->p = start;
		n->value = read_value(L, &n->prefix);
	}
	return n;
}

static struct qnode *join(enum qkind k, struct qnode *a, struct qnode *b)
{
	struct qnode *n;

	if (!a)
		return b;
	if (!b)
		return a;
	n = xcalloc(1, sizeof(*n));
	n->kind = k;
	n->a = a;
	n->b = b;
	return n;
}

static struct qnode *parse_and(struct lexer *L)
{
	struct qnode *left = NULL;

	for (;;) {
		struct qnode *t;

		skip_ws(L);
		if (!*L->p || *L->p == ')' || at_word(L, "OR"))
			return left;
		if (at_word(L, "AND")) {
			L->p += 3;
			continue;
		}
		{
			const char *before = L->p;

			t = parse_term(L);
			if (!t && L->p == before)
				return left;	/* no progress */
		}
		left = join(Q_AND, left, t);
	}
}

static struct qnode *parse_or(struct lexer *L)
{
	struct qnode *left = parse_and(L);

	for (;;) {
		skip_ws(L);
		if (!at_word(L, "OR"))
			return left;
		L->p += 2;
		left = join(Q_OR, left, parse_and(L));
	}
}

static int source_ids(const struct qnode *n, const char ***vals, size_t *len)
{
	if (n == NULL)
		return 0;
	if (n->kind == Q_OR)
		return source_ids(n->a, vals, len) && source_ids(n->b, vals, len);
	if (n->kind != Q_TERM || n->field == NULL || n->value == NULL || n->prefix ||
	    n->cmp != C_EQ || strcmp(n->field, "source_identifier") != 0)
		return 0;
	*vals = xrealloc(*vals, (*len + 1) * sizeof(**vals));
	(*vals)[(*len)++] = n->value;
	return 1;
}

int sh_query_source_ids(const struct sh_query *q, const char ***vals, size_t *n)
{
	*vals = NULL;
	*n = 0;
	if (q != NULL && source_ids(q->root, vals, n))
		return 1;
	free(*vals);
	*vals = NULL;
	*n = 0;
	return 0;
}

struct sh_query *sh_query_parse(const char *text)
{
	struct sh_query *q = xcalloc(1, sizeof(*q));
	struct lexer L;

	L.p = text ? text : "";
	L.q = q;
	L.depth = 0;
	for (;;) {
		struct qnode *n = parse_or(&L);

		q->root = join(Q_AND, q->root, n);
		skip_ws(&L);
		if (!*L.p)
			break;
		L.p++;	/* a stray ')' */
	}
	return q;
}

json_t *sh_query_warnings(const struct sh_query *q, const char *const *known)
{
	json_t *w = json_array();
	size_t i, k;

	for (i = 0; i < q->nfields; i++) {
		int ok = 0;

		for (k = 0; known[k]; k++)
			if (strcmp(known[k], q->fields[i]) == 0)
				ok = 1;
		if (strncmp(q->fields[i], "metafields.", 11) == 0)
			ok = 1;
		if (!ok)
			json_array_append_new(w, json_pack("{s:s,s:s}", "field", q->fields[i],
							   "message", "Invalid search field for this query."));
	}
	return w;
}

/* ------------------------------------------------------------------ */
/* matching                                                             */

static int cmp_result(long long c, enum qcmp op)
{
	switch (op) {
	case C_EQ: return c == 0;
	case C_LT: return c < 0;
	case C_LE: return c <= 0;
	case C_GT: return c > 0;
	case C_GE: return c >= 0;
	}
	return 0;
}

static int match_time(int64_t t, const struct qnode *n)
{
	int64_t v;

	if (sh_parse_time(n->value, &v) < 0)
		return 0;
	if (t == 0)
		return 0;
	if (strlen(n->value) == 10) {
		/* a bare date: the whole UTC day for ':', its start otherwise */
		if (n->cmp == C_EQ)
			return t >= v && t < v + 86400;
		if (n->cmp == C_GT)
			return t >= v + 86400;
		if (n->cmp == C_LE)
			return t < v + 86400;
	}
	return cmp_result((long long)(t > v) - (long long)(t < v), n->cmp);
}

static int match_int(long long x, const struct qnode *n)
{
	char *end;
	long long v;
	enum sh_kind k;
	int64_t id;

	if (sh_parse_gid(n->value, &k, &id) == 0)
		v = id;
	else {
		v = strtoll(n->value, &end, 10);
		if (end == n->value || *end)
			return 0;
	}
	return cmp_result((x > v) - (x < v), n->cmp);
}

static int match_str(const char *s, const struct qnode *n)
{
	if (!s)
		return 0;
	if (n->prefix)
		return strncasecmp(s, n->value, strlen(n->value)) == 0;
	if (n->cmp != C_EQ)
		return cmp_result(strcasecmp(s, n->value), n->cmp);
	return strcasecmp(s, n->value) == 0;
}

static int contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	if (!hay)
		return 0;
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return 1;
	return n == 0;
}

static int is_known(const char *const *known, const char *field)
{
	size_t i;

	for (i = 0; known[i]; i++)
		if (strcmp(known[i], field) == 0)
			return 1;
	return 0;
}

static int order_term(const struct sh_store *S, const struct sh_order *o, const struct qnode *n)
{
	const char *f = n->field;
	size_t i;

	if (!f || strcmp(f, "default") == 0) {
		if (contains_ci(o->name, n->value) || contains_ci(o->email, n->value) ||
		    contains_ci(o->source_identifier, n->value) || contains_ci(o->note, n->value))
			return 1;
		for (i = 0; i < o->ntags; i++)
			if (strcasecmp(o->tags[i], n->value) == 0)
				return 1;
		for (i = 0; i < o->nlines; i++)
			if (contains_ci(o->lines[i]->sku, n->value) ||
			    contains_ci(o->lines[i]->title, n->value))
				return 1;
		return 0;
	}
	if (strcmp(f, "updated_at") == 0)
		return match_time(o->updated, n);
	if (strcmp(f, "created_at") == 0)
		return match_time(o->created, n);
	if (strcmp(f, "processed_at") == 0)
		return match_time(o->processed, n);
	if (strcmp(f, "id") == 0)
		return match_int(o->id, n);
	if (strcmp(f, "name") == 0) {
		const char *nm = o->name[0] == '#' ? o->name + 1 : o->name;
		const char *v = n->value[0] == '#' ? n->value + 1 : n->value;
		struct qnode m = *n;

		m.value = (char *)v;
		return match_str(nm, &m) || match_str(o->name, n);
	}
	if (strcmp(f, "tag") == 0) {
		for (i = 0; i < o->ntags; i++)
			if (match_str(o->tags[i], n))
				return 1;
		return 0;
	}
	if (strcmp(f, "tag_not") == 0) {
		for (i = 0; i < o->ntags; i++)
			if (match_str(o->tags[i], n))
				return 0;
		return 1;
	}
	if (strcmp(f, "source_identifier") == 0)
		return o->source_identifier && strcmp(o->source_identifier, n->value) == 0;
	if (strcmp(f, "source_name") == 0)
		return match_str(o->source_name, n);
	if (strcmp(f, "email") == 0)
		return match_str(o->email, n);
	if (strcmp(f, "po_number") == 0)
		return match_str(o->po_number, n);
	if (strcmp(f, "sku") == 0) {
		for (i = 0; i < o->nlines; i++)
			if (match_str(o->lines[i]->sku, n))
				return 1;
		return 0;
	}
	if (strcmp(f, "discount_code") == 0) {
		for (i = 0; i < o->ndiscount_codes; i++)
			if (match_str(o->discount_codes[i], n))
				return 1;
		return 0;
	}
	if (strcmp(f, "customer_id") == 0)
		return o->customer && match_int(o->customer->id, n);
	if (strcmp(f, "test") == 0)
		return (strcasecmp(n->value, "true") == 0) == (o->test != 0);
	if (strcmp(f, "status") == 0) {
		const char *v = n->value;

		if (strcasecmp(v, "any") == 0)
			return 1;
		if (strcasecmp(v, "open") == 0)
			return !o->closed && !o->cancelled;
		if (strcasecmp(v, "closed") == 0)
			return o->closed;
		if (strcasecmp(v, "cancelled") == 0 || strcasecmp(v, "canceled") == 0)
			return o->cancelled != 0;
		if (strcasecmp(v, "not_closed") == 0)
			return !o->closed;
		return 0;
	}
	if (strcmp(f, "fulfillment_status") == 0) {
		const char *st = sh_fulfillment_status(o), *v = n->value;

		if (strcasecmp(v, "any") == 0)
			return 1;
		if (strcasecmp(v, "unshipped") == 0 || strcasecmp(v, "unfulfilled") == 0)
			return strcmp(st, "UNFULFILLED") == 0;
		if (strcasecmp(v, "shipped") == 0 || strcasecmp(v, "fulfilled") == 0)
			return strcmp(st, "FULFILLED") == 0;
		if (strcasecmp(v, "partial") == 0)
			return strcmp(st, "PARTIALLY_FULFILLED") == 0;
		return 0;
	}
	if (strcmp(f, "financial_status") == 0) {
		const char *st = sh_financial_status(o), *v = n->value;

		if (strcasecmp(v, "any") == 0)
			return 1;
		if (strcasecmp(v, "unpaid") == 0)
			return strcmp(st, "PENDING") == 0 || strcmp(st, "PARTIALLY_PAID") == 0 ||
			       strcmp(st, "AUTHORIZED") == 0;
		return strcasecmp(st, v) == 0;
	}
	if (strcmp(f, "current_total_price") == 0) {
		sh_money v;
		json_t *j = json_string(n->value);
		int ok = sh_parse_amount(j, o->exp, &v) == 0;
		sh_money t = sh_order_total(o, 1);

		json_decref(j);
		return ok && cmp_result((t > v) - (t < v), n->cmp);
	}
	if (strcmp(f, "location_id") == 0 || strcmp(f, "fulfillment_location_id") == 0) {
		for (i = 0; i < o->nfos; i++)
			if (match_int(o->fos[i]->loc->id, n))
				return 1;
		return 0;
	}
	if (strncmp(f, "metafields.", 11) == 0) {
		const char *nk = f + 11, *dot = strchr(nk, '.');

		if (!dot)
			return 0;
		for (i = 0; i < o->nmfs; i++)
			if (o->mfs[i]->ns && strlen(o->mfs[i]->ns) == (size_t)(dot - nk) &&
			    strncmp(o->mfs[i]->ns, nk, (size_t)(dot - nk)) == 0 &&
			    strcmp(o->mfs[i]->key, dot + 1) == 0 && o->mfs[i]->value &&
			    strcmp(o->mfs[i]->value, n->value) == 0)
				return 1;
		return 0;
	}
	(void)S;
	if (!is_known(sh_order_search_fields, f))
		return 1;	/* ignored, with a warning */
	return 1;		/* a real field the twin does not filter on */
}

static int eval_order(const struct sh_store *S, const struct sh_order *o, const struct qnode *n)
{
	if (!n)
		return 1;
	switch (n->kind) {
	case Q_AND: return eval_order(S, o, n->a) && eval_order(S, o, n->b);
	case Q_OR: return eval_order(S, o, n->a) || eval_order(S, o, n->b);
	case Q_NOT: return !eval_order(S, o, n->a);
	case Q_TERM: return order_term(S, o, n);
	}
	return 0;
}

int sh_order_matches(const struct sh_store *S, const struct sh_order *o,
		     const struct sh_query *q)
{
	return eval_order(S, o, q->root);
}

static int variant_term(const struct sh_variant *v, const struct qnode *n)
{
	const char *f = n->field;

	if (!f || strcmp(f, "default") == 0)
		return contains_ci(v->sku, n->value) || contains_ci(v->title, n->value) ||
		       contains_ci(v->product->title, n->value);
	if (strcmp(f, "sku") == 0) {
		/* exact, byte for byte (a bare value ending in '*' is a prefix) */
		if (!v->sku)
			return 0;
		if (n->prefix)
			return strncmp(v->sku, n->value, strlen(n->value)) == 0;
		return strcmp(v->sku, n->value) == 0;
	}
	if (strcmp(f, "barcode") == 0)
		return v->barcode && strcmp(v->barcode, n->value) == 0;
	if (strcmp(f, "id") == 0)
		return match_int(v->id, n);
	if (strcmp(f, "product_id") == 0)
		return match_int(v->product->id, n);
	if (strcmp(f, "title") == 0)
		return match_str(v->title, n) || contains_ci(v->title, n->value);
	if (strcmp(f, "product_status") == 0)
		return strcasecmp(v->product->status, n->value) == 0;
	if (strcmp(f, "updated_at") == 0)
		return match_time(v->updated, n);
	if (strcmp(f, "taxable") == 0)
		return (strcasecmp(n->value, "true") == 0) == (v->taxable != 0);
	if (strcmp(f, "vendor") == 0)
		return match_str(v->product->vendor, n);
	if (strcmp(f, "tag") == 0) {
		size_t i;

		for (i = 0; i < v->product->ntags; i++)
			if (match_str(v->product->tags[i], n))
				return 1;
		return 0;
	}
	return 1;
}

static int eval_variant(const struct sh_variant *v, const struct qnode *n)
{
	if (!n)
		return 1;
	switch (n->kind) {
	case Q_AND: return eval_variant(v, n->a) && eval_variant(v, n->b);
	case Q_OR: return eval_variant(v, n->a) || eval_variant(v, n->b);
	case Q_NOT: return !eval_variant(v, n->a);
	case Q_TERM: return variant_term(v, n);
	}
	return 0;
}

int sh_variant_matches(const struct sh_variant *v, const struct sh_query *q)
{
	return eval_variant(v, q->root);
}

/* ------------------------------------------------------------------ */
/* paging                                                               */

char *sh_cursor(int64_t id, int64_t key, const char *skey)
{
	json_t *j = skey ? json_pack("{s:I,s:s}", "last_id", (json_int_t)id, "last_value", skey) :
			   json_pack("{s:I,s:I}", "last_id", (json_int_t)id, "last_value",
				     (json_int_t)key);
	char *txt = json_dumps(j, JSON_COMPACT);
	char *out = sh_b64_encode(txt, strlen(txt));

	free(txt);
	json_decref(j);
	return out;
}

static int cursor_parse(const char *c, struct sh_sortable *out)
{
	size_t n;
	char *txt = sh_b64_decode(c, &n);
	json_t *j, *id, *val;
	int ret = -1;

	if (!txt)
		return -1;
	j = json_loadb(txt, n, 0, NULL);
	free(txt);
	id = json_object_get(j, "last_id");
	val = json_object_get(j, "last_value");
	if (json_is_integer(id) && (json_is_integer(val) || json_is_string(val) || !val)) {
		memset(out, 0, sizeof(*out));
		out->id = json_integer_value(id);
		if (json_is_integer(val))
			out->key = json_integer_value(val);
		else if (json_is_string(val))
			out->skey = xstrdup(json_string_value(val));
		else
			out->key = out->id;
		ret = 0;
	}
	json_decref(j);
	return ret;
}

static int g_reverse;

static int sortable_cmp(const struct sh_sortable *a, const struct sh_sortable *b)
{
	int c;

	if (a->skey || b->skey)
		c = strcmp(a->skey ? a->skey : "", b->skey ? b->skey : "");
	else
		c = (a->key > b->key) - (a->key < b->key);
	if (c == 0)
		c = (a->id > b->id) - (a->id < b->id);
	return g_reverse ? -c : c;
}

static int sortable_qcmp(const void *x, const void *y)
{
	return sortable_cmp(x, y);
}

static int page_size(json_t *args, const char *name, const char *field, int *present,
		     long long *out, char **err)
{
	json_t *v = json_object_get(args, name);

	*present = 0;
	if (!v || json_is_null(v))
		return 0;
	*present = 1;
	*out = json_integer_value(v);
	if (*out < 0 || *out > SH_MAX_PAGE) {
		*err = xasprintf("Argument '%s' on Field '%s' has an invalid value (%lld). "
				 "Expected a page size from 0 to %d.", name, field, *out, SH_MAX_PAGE);
		return -1;
	}
	return 0;
}

struct gql_connection *sh_paginate(struct sh_sortable *items, size_t n, json_t *args,
				   const char *field, int sorted_by_key, char **err)
{
	long long first = 0, last = 0;
	int has_first, has_last;
	const char *after = json_string_value(json_object_get(args, "after"));
	const char *before = json_string_value(json_object_get(args, "before"));
	size_t start = 0, end = n, i, from, to;
	struct gql_connection *c;
	struct sh_sortable cur;

	*err = NULL;
	if (page_size(args, "first", field, &has_first, &first, err) < 0 ||
	    page_size(args, "last", field, &has_last, &last, err) < 0)
		return NULL;
	if (!has_first && !has_last) {
		*err = xstrdup("you must provide one of first or last");
		return NULL;
	}
	g_reverse = json_is_true(json_object_get(args, "reverse"));
	if (sorted_by_key || g_reverse)
		qsort(items, n, sizeof(*items), sortable_qcmp);
	if (after) {
		if (cursor_parse(after, &cur) < 0) {
			*err = xasprintf("Invalid cursor for current pagination sort.");
			return NULL;
		}
		for (start = 0; start < n && sortable_cmp(&items[start], &cur) <= 0; start++)
			;
		free((char *)cur.skey);
	}
	if (before) {
		if (cursor_parse(before, &cur) < 0) {
			*err = xasprintf("Invalid cursor for current pagination sort.");
			return NULL;
		}
		for (end = start; end < n && sortable_cmp(&items[end], &cur) < 0; end++)
			;
		free((char *)cur.skey);
	}
	from = start;
	to = end;
	if (has_first && (size_t)first < to - from)
		to = from + (size_t)first;
	if (has_last && (size_t)last < to - from)
		from = to - (size_t)last;
	c = gql_connection_new(to - from);
	for (i = from; i < to; i++)
		gql_connection_add(c, items[i].obj, sh_cursor(items[i].id, items[i].key, items[i].skey));
	c->has_next = to < n;
	c->has_prev = from > 0;
	return c;
}
