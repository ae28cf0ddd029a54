/*
 * map_order.c - a TikTok order -> the Shopify order input (SPEC.md's field
 * table), and the check that the Shopify order will add up to what the
 * buyer paid on TikTok, to the cent. Also the small address helpers (US
 * state codes, phone numbers) and the SKU-resolution record.
 *
 * Pure: no I/O, no JSON, no clock. Owns nothing beyond the sh_order_input
 * it fills (the caller frees it with sh_order_input_free()).
 *
 * The money check. Shopify computes an imported order's figures from what
 * we send: subtotal = sum of unit price x quantity (we send TikTok's
 * discounted sale price, so no Shopify discount is involved), shipping =
 * sum of shipping lines, tax = sum of every tax line (line, shipping and
 * order level), total = subtotal + shipping + tax. TikTok's payment gives
 * sub_total (after seller and platform discounts, before tax),
 * shipping_fee (after shipping discounts, before tax), tax (product tax +
 * shipping tax), retail_delivery_fee and total_amount. The comparable
 * pairs are therefore:
 *     subtotal <-> sub_total
 *     shipping <-> shipping_fee + retail_delivery_fee
 *     tax      <-> tax
 *     total    <-> total_amount
 * The first two hold by construction unless TikTok's per-unit sale prices
 * do not sum to its sub_total; the tax pair catches item_tax that does not
 * sum to the order's tax; the total catches anything TikTok charged that
 * we do not map (insurance, handling fees, ...). Units cancelled at line
 * level are left out of the Shopify order: when TikTok's sub_total still
 * counts them (it equals the sum over all units), their price and tax are
 * taken out of TikTok's figures before comparing and out of the recorded
 * transaction, since TikTok refunds them.
 */
#include "mapping.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TAG_BASE "TikTok Shop"
#define TAG_GIFT "TikTok Shop Gift"
#define TAG_SAMPLE "TikTok Shop Sample"
#define ATTR_CHANNEL "Channel"
#define ATTR_ORDER_ID "TikTok Shop Order ID"
#define ATTR_SHIPPING "Shipping Method"
#define TAX_TITLE "Sales tax"
#define SHIPPING_CODE "tiktok_shop"
#define SHIPPING_SOURCE "tiktok_shop"
#define RDF_TITLE "Retail Delivery Fee"
#define RDF_CODE "retail_delivery_fee"
#define GATEWAY "TikTok Shop"
#define DEFAULT_SHIPPING_TITLE "Shipping"
#define DEFAULT_INVENTORY "BYPASS"

void sku_resolution_free(struct sku_resolution *r)
{
	if (r == NULL)
		return;
	free(r->tt_sku_id);
	free(r->seller_sku);
	free(r->variant_id);
	str_free_array(r->candidates, r->ncandidates);
	memset(r, 0, sizeof(*r));
}

/* ---- small helpers ----------------------------------------------------- */

static int empty(const char *s)
{
	return s == NULL || *s == '\0';
}

/* Copy without surrounding ASCII whitespace; NULL when nothing is left. */
static char *dup_trim(const char *s)
{
	const char *end;

	if (s == NULL)
		return NULL;
	while (*s != '\0' && isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	if (end == s)
		return NULL;
	return xstrndup(s, (size_t)(end - s));
}

static int all_digits(const char *s)
{
	if (empty(s))
		return 0;
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

int tt_id_cmp(const char *a, const char *b)
{
	size_t la, lb;

	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	if (all_digits(a) && all_digits(b)) {
		while (*a == '0' && a[1] != '\0')
			a++;
		while (*b == '0' && b[1] != '\0')
			b++;
		la = strlen(a);
		lb = strlen(b);
		if (la != lb)
			return la < lb ? -1 : 1;
	}
	return strcmp(a, b);
}

static int id_ptr_cmp(const void *a, const void *b)
{
	return tt_id_cmp(*(char *const *)a, *(char *const *)b);
}

int tt_line_is_cancelled(const struct tt_order *o, const struct tt_line *l)
{
	if (o->status == TT_CANCELLED)
		return 0;
	if (!empty(l->cancel_user))
		return 1;
	return l->display_status != NULL &&
	       strcmp(l->display_status, "CANCELLED") == 0;
}

/* num / den as a decimal string rounded half up to 4 places, trailing
 * zeros dropped ("0.0825", "0.08", "0"). Both non-negative. */
static char *ratio_string(money_t num, money_t den)
{
	int64_t r, ip, fp;
	char buf[48];
	size_t len;

	if (num <= 0 || den <= 0)
		return xstrdup("0");
	if (num > INT64_MAX / 20000)	/* absurd amounts: cap the rate */
		return xstrdup("1");
	r = (num * 20000 + den) / (2 * den);
	ip = r / 10000;
	fp = r % 10000;
	if (xsnprintf(buf, sizeof(buf), "%lld.%04lld", (long long)ip,
		      (long long)fp) < 0)
		return xstrdup("0");
	len = strlen(buf);
	while (len > 0 && buf[len - 1] == '0')
		buf[--len] = '\0';
	if (len > 0 && buf[len - 1] == '.')
		buf[--len] = '\0';
	return xstrdup(buf);
}

static void tax_line_set(struct sh_tax_line *t, const char *rate,
			 money_t amount)
{
	t->title = xstrdup(TAX_TITLE);
	t->rate = xstrdup(rate);
	t->amount = amount;
}

/* ---- address ----------------------------------------------------------- */

static const struct {
	const char *name, *code;
} us_states[] = {
	{"Alabama", "AL"}, {"Alaska", "AK"}, {"Arizona", "AZ"},
	{"Arkansas", "AR"}, {"California", "CA"}, {"Colorado", "CO"},
	{"Connecticut", "CT"}, {"Delaware", "DE"}, {"Florida", "FL"},
	{"Georgia", "GA"}, {"Hawaii", "HI"}, {"Idaho", "ID"},
	{"Illinois", "IL"}, {"Indiana", "IN"}, {"Iowa", "IA"},
	{"Kansas", "KS"}, {"Kentucky", "KY"}, {"Louisiana", "LA"},
	{"Maine", "ME"}, {"Maryland", "MD"}, {"Massachusetts", "MA"},
	{"Michigan", "MI"}, {"Minnesota", "MN"}, {"Mississippi", "MS"},
	{"Missouri", "MO"}, {"Montana", "MT"}, {"Nebraska", "NE"},
	{"Nevada", "NV"}, {"New Hampshire", "NH"}, {"New Jersey", "NJ"},
	{"New Mexico", "NM"}, {"New York", "NY"}, {"North Carolina", "NC"},
	{"North Dakota", "ND"}, {"Ohio", "OH"}, {"Oklahoma", "OK"},
	{"Oregon", "OR"}, {"Pennsylvania", "PA"}, {"Rhode Island", "RI"},
	{"South Carolina", "SC"}, {"South Dakota", "SD"}, {"Tennessee", "TN"},
	{"Texas", "TX"}, {"Utah", "UT"}, {"Vermont", "VT"},
	{"Virginia", "VA"}, {"Washington", "WA"}, {"West Virginia", "WV"},
	{"Wisconsin", "WI"}, {"Wyoming", "WY"},
	{"District of Columbia", "DC"}, {"Washington DC", "DC"},
	{"Washington D.C.", "DC"}, {"Washington, D.C.", "DC"},
	{"Puerto Rico", "PR"}, {"Guam", "GU"}, {"American Samoa", "AS"},
	{"U.S. Virgin Islands", "VI"}, {"US Virgin Islands", "VI"},
	{"United States Virgin Islands", "VI"}, {"Virgin Islands", "VI"},
	{"Northern Mariana Islands", "MP"},
	{"United States Minor Outlying Islands", "UM"},
	{"Federated States of Micronesia", "FM"}, {"Micronesia", "FM"},
	{"Marshall Islands", "MH"}, {"Palau", "PW"},
	{"Armed Forces Americas", "AA"}, {"Armed Forces Europe", "AE"},
	{"Armed Forces Pacific", "AP"},
};

const char *us_state_code(const char *name)
{
	char *t;
	const char *found = NULL;
	size_t i;

	t = dup_trim(name);
	if (t == NULL)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(us_states) && found == NULL; i++) {
		if (strlen(t) == 2 ? strcasecmp(t, us_states[i].code) == 0
				   : strcasecmp(t, us_states[i].name) == 0)
			found = us_states[i].code;
	}
	free(t);
	return found;
}

char *normalize_phone(const char *tt_phone)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p;
	int plus = 0;
	size_t digits = 0;

	if (empty(tt_phone))
		return NULL;
	for (p = tt_phone; *p != '\0'; p++) {
		if (*p == '+' && digits == 0 && !plus) {
			plus = 1;
		} else if (isdigit((unsigned char)*p)) {
			sb_addn(&sb, p, 1);
			digits++;
		} else if (*p == ' ' || *p == '(' || *p == ')' || *p == '-' ||
			   *p == '.') {
			continue;
		} else {
			/* masked ("555****567") or not a number at all */
			sb_free(&sb);
			return NULL;
		}
	}
	if (digits < 7 || digits > 15) {
		sb_free(&sb);
		return NULL;
	}
	/* A US store: a bare ten-digit number is a North American one. */
	if (!plus && digits == 10) {
		char *s = xasprintf("+1%s", sb.buf);
		sb_free(&sb);
		return s;
	}
	{
		char *s = xasprintf("+%s", sb.buf);
		sb_free(&sb);
		return s;
	}
}

static void split_name(const struct tt_address *a, char **first, char **last)
{
	char *name, *sp;

	*first = dup_trim(a->first_name);
	*last = dup_trim(a->last_name);
	if (*first != NULL || *last != NULL)
		return;
	name = dup_trim(a->name);
	if (name == NULL)
		return;
	sp = strrchr(name, ' ');
	if (sp == NULL) {
		*first = name;
		return;
	}
	*last = dup_trim(sp + 1);
	*sp = '\0';
	*first = dup_trim(name);
	free(name);
}

static char *join_address_lines(const struct tt_address *a)
{
	struct strbuf sb = STRBUF_INIT;
	const char *parts[3];
	size_t i;

	parts[0] = a->line2;
	parts[1] = a->line3;
	parts[2] = a->line4;
	for (i = 0; i < ARRAY_SIZE(parts); i++) {
		char *t = dup_trim(parts[i]);

		if (t == NULL)
			continue;
		if (sb.len > 0)
			sb_add(&sb, ", ");
		sb_add(&sb, t);
		free(t);
	}
	if (sb.len == 0) {
		sb_free(&sb);
		return NULL;
	}
	return sb_detach(&sb);
}

static void map_address(const struct tt_order *o, struct sh_order_input *out)
{
	const struct tt_address *a = &o->addr;
	struct sh_address_input *s = &out->shipping_address;
	char *country;

	split_name(a, &s->first_name, &s->last_name);
	out->customer_first_name = xstrdup(s->first_name);
	out->customer_last_name = xstrdup(s->last_name);
	s->address1 = dup_trim(a->line1);
	s->address2 = join_address_lines(a);
	s->city = dup_trim(a->city);
	if (s->city == NULL)
		s->city = dup_trim(a->county);
	s->zip = dup_trim(a->postal_code);
	country = dup_trim(a->region_code);
	if (country != NULL) {
		char *c;

		for (c = country; *c != '\0'; c++)
			*c = (char)toupper((unsigned char)*c);
	}
	s->country_code = country;
	if (country == NULL || strcmp(country, "US") == 0)
		s->province_code = xstrdup(us_state_code(a->state));
	s->phone = normalize_phone(a->phone);
	out->has_shipping_address = s->address1 != NULL || s->city != NULL ||
				    s->zip != NULL;
}

/* ---- SKUs -------------------------------------------------------------- */

static const struct sku_resolution *find_sku(const struct map_ctx *ctx,
					     const struct tt_line *l)
{
	size_t i;

	if (!empty(l->sku_id))
		for (i = 0; i < ctx->nskus; i++)
			if (ctx->skus[i].tt_sku_id != NULL &&
			    strcmp(ctx->skus[i].tt_sku_id, l->sku_id) == 0)
				return &ctx->skus[i];
	if (!empty(l->seller_sku))
		for (i = 0; i < ctx->nskus; i++)
			if (ctx->skus[i].seller_sku != NULL &&
			    strcmp(ctx->skus[i].seller_sku, l->seller_sku) == 0)
				return &ctx->skus[i];
	return NULL;
}

/* "Tee, Red / M" for messages. */
static void describe_item(const struct tt_line *l, struct strbuf *sb)
{
	sb_addf(sb, "%s", empty(l->product_name) ? "unnamed product"
						  : l->product_name);
	if (!empty(l->sku_name))
		sb_addf(sb, ", %s", l->sku_name);
}

/* Append the sentence for one unresolved SKU; returns its reason code. */
static const char *sku_problem(const struct tt_line *l,
			       const struct sku_resolution *r,
			       struct strbuf *sb)
{
	enum sku_res_kind kind = r ? r->kind : SKU_RES_NONE;
	const char *sku = !empty(l->seller_sku) ? l->seller_sku
			  : r && !empty(r->seller_sku) ? r->seller_sku : NULL;
	size_t i;

	if ((kind == SKU_RES_LINKED || kind == SKU_RES_MATCHED) &&
	    (r == NULL || empty(r->variant_id)))
		kind = SKU_RES_NONE;
	if (kind == SKU_RES_NONE && sku == NULL)
		kind = SKU_RES_NO_SKU;
	switch (kind) {
	case SKU_RES_AMBIGUOUS:
		sb_addf(sb, "TikTok SKU \"%s\" (", sku ? sku : "");
		describe_item(l, sb);
		sb_addf(sb, ") matches %zu Shopify variants: ",
			r->ncandidates);
		for (i = 0; i < r->ncandidates; i++)
			sb_addf(sb, "%s%s", i ? ", " : "", r->candidates[i]);
		return "SKU_AMBIGUOUS";
	case SKU_RES_NO_SKU:
		sb_add(sb, "TikTok product \"");
		describe_item(l, sb);
		sb_addf(sb, "\" (TikTok SKU id %s) has no seller SKU and is "
			"not linked to a Shopify variant",
			empty(l->sku_id) ? "unknown" : l->sku_id);
		return "SKU_MISSING";
	case SKU_RES_LOOKUP_FAILED:
		sb_addf(sb, "Shopify could not be asked for the variant with "
			"SKU \"%s\" (", sku ? sku : "");
		describe_item(l, sb);
		sb_add(sb, ") in this run");
		return "NETWORK_ERROR";
	case SKU_RES_NONE:
	default:
		sb_addf(sb, "TikTok SKU \"%s\" (", sku ? sku : "");
		describe_item(l, sb);
		sb_add(sb, ") is not linked to a Shopify variant and no "
			   "Shopify variant has that SKU");
		return "SKU_NOT_LINKED";
	}
}

/* ---- validation -------------------------------------------------------- */

static int check_order_data(const struct tt_order *o, struct err *e)
{
	const struct tt_payment *p = &o->payment;
	const struct {
		const char *name;
		money_t v;
	} amounts[] = {
		{"payment.sub_total", p->sub_total},
		{"payment.shipping_fee", p->shipping_fee},
		{"payment.tax", p->tax},
		{"payment.product_tax", p->product_tax},
		{"payment.shipping_fee_tax", p->shipping_fee_tax},
		{"payment.retail_delivery_fee", p->retail_delivery_fee},
		{"payment.total_amount", p->total_amount},
	};
	const char *id = o->id ? o->id : "";
	int exp;
	size_t i;

	if (empty(o->id))
		return err_set(e, ERR_DATA, "ORDER_DATA_INVALID",
			       "the TikTok order has no id");
	if (o->create_time <= 0)
		return err_set(e, ERR_DATA, "ORDER_DATA_INVALID",
			       "TikTok order %s has no create_time", id);
	exp = currency_exponent(p->currency);
	if (p->currency[0] == '\0' || exp < 0 || exp != p->exp)
		return err_set(e, ERR_DATA, "ORDER_DATA_INVALID",
			       "TikTok order %s has payment.currency \"%s\", "
			       "which is not a currency ttsync can import",
			       id, p->currency);
	if (o->shipping_type == NULL ||
	    (strcmp(o->shipping_type, "SELLER") != 0 &&
	     strcmp(o->shipping_type, "TIKTOK") != 0))
		return err_set(e, ERR_DATA, "ORDER_DATA_INVALID",
			       "TikTok order %s has shipping_type \"%s\" "
			       "(expected SELLER or TIKTOK)", id,
			       o->shipping_type ? o->shipping_type : "");
	if (o->nlines == 0)
		return err_set(e, ERR_DATA, "ORDER_DATA_INVALID",
			       "TikTok order %s has no line_items", id);
	for (i = 0; i < ARRAY_SIZE(amounts); i++)
		if (amounts[i].v < 0)
			return err_set(e, ERR_DATA, "ORDER_DATA_INVALID",
				       "TikTok order %s has a negative %s",
				       id, amounts[i].name);
	for (i = 0; i < o->nlines; i++) {
		const struct tt_line *l = &o->lines[i];

		if (empty(l->id))
			return err_set(e, ERR_DATA, "ORDER_DATA_INVALID",
				       "line item %zu of TikTok order %s has "
				       "no id", i + 1, id);
		if (l->sale_price < 0 || l->tax < 0)
			return err_set(e, ERR_DATA, "ORDER_DATA_INVALID",
				       "line item %s of TikTok order %s has a "
				       "negative %s", l->id, id,
				       l->sale_price < 0 ? "sale_price"
							 : "item_tax");
	}
	return 0;
}

/* ---- lines ------------------------------------------------------------- */

/* Per-unit key of a Shopify line, beside out->lines[k]. */
struct line_key {
	money_t unit_tax;
	int has_tax;
	const char *rate;	/* borrowed from the TikTok line */
};

static int same_key(const struct sh_line_input *sl, const struct line_key *k,
		    const char *variant, const struct tt_line *l)
{
	if (strcmp(sl->variant_id, variant) != 0 ||
	    sl->unit_price != l->sale_price || sl->is_gift != (l->is_gift != 0))
		return 0;
	if (k->has_tax != (l->has_tax != 0) || k->unit_tax != l->tax)
		return 0;
	if (k->rate == NULL || l->tax_rate == NULL)
		return k->rate == l->tax_rate;
	return strcmp(k->rate, l->tax_rate) == 0;
}

static void add_unit(struct sh_order_input *out, struct line_key *keys,
		     const char *variant, const struct tt_line *l)
{
	struct sh_line_input *sl;
	size_t k;

	for (k = 0; k < out->nlines; k++)
		if (same_key(&out->lines[k], &keys[k], variant, l))
			break;
	if (k == out->nlines) {
		sl = &out->lines[out->nlines++];
		sl->variant_id = xstrdup(variant);
		sl->title = xstrdup(l->product_name);
		sl->sku = dup_trim(l->seller_sku);
		sl->unit_price = l->sale_price;
		sl->is_gift = l->is_gift != 0;
		keys[k].unit_tax = l->tax;
		keys[k].has_tax = l->has_tax != 0;
		keys[k].rate = l->tax_rate;
	}
	sl = &out->lines[k];
	sl->tt_line_ids = xrealloc(sl->tt_line_ids, (sl->ntt_line_ids + 1) *
				   sizeof(*sl->tt_line_ids));
	sl->tt_line_ids[sl->ntt_line_ids++] = xstrdup(l->id);
	sl->quantity++;
}

static int same_sku(const struct tt_line *a, const struct tt_line *b)
{
	if (!empty(a->sku_id) || !empty(b->sku_id))
		return a->sku_id != NULL && b->sku_id != NULL &&
		       strcmp(a->sku_id, b->sku_id) == 0;
	return a->seller_sku != NULL && b->seller_sku != NULL &&
	       strcmp(a->seller_sku, b->seller_sku) == 0;
}

/* Resolve and group the units. On an SKU failure names every bad SKU. */
static int map_lines(const struct tt_order *o, const struct map_ctx *ctx,
		     struct sh_order_input *out, struct err *e)
{
	struct line_key *keys = NULL;
	struct strbuf why = STRBUF_INIT;
	const struct tt_line **reported = NULL;
	const char *code = NULL;
	size_t i, j, nreported = 0, included = 0;
	int ret = -1;

	keys = xcalloc(o->nlines, sizeof(*keys));
	reported = xcalloc(o->nlines, sizeof(*reported));
	out->lines = xcalloc(o->nlines, sizeof(*out->lines));
	for (i = 0; i < o->nlines; i++) {
		const struct tt_line *l = &o->lines[i];
		const struct sku_resolution *r;
		const char *c;

		if (tt_line_is_cancelled(o, l))
			continue;
		included++;
		r = find_sku(ctx, l);
		if (r != NULL && (r->kind == SKU_RES_LINKED ||
				  r->kind == SKU_RES_MATCHED) &&
		    !empty(r->variant_id)) {
			add_unit(out, keys, r->variant_id, l);
			continue;
		}
		/* one sentence per distinct SKU */
		for (j = 0; j < nreported; j++)
			if (same_sku(reported[j], l))
				break;
		if (j < nreported)
			continue;
		reported[nreported++] = l;
		if (why.len > 0)
			sb_add(&why, "; ");
		c = sku_problem(l, r, &why);
		/* A SKU the merchant must fix wins over a failed lookup. */
		if (code == NULL || (strcmp(code, "NETWORK_ERROR") == 0 &&
				     strcmp(c, "NETWORK_ERROR") != 0))
			code = c;
	}
	if (included == 0) {
		err_set(e, ERR_DATA, "ORDER_DATA_INVALID",
			"every line item of TikTok order %s is cancelled",
			o->id);
		goto cleanup;
	}
	if (code != NULL) {
		err_set(e, ERR_DATA, code, "%s", why.buf);
		goto cleanup;
	}
	for (i = 0; i < out->nlines; i++) {
		struct sh_line_input *sl = &out->lines[i];
		char *rate;

		qsort(sl->tt_line_ids, sl->ntt_line_ids,
		      sizeof(*sl->tt_line_ids), id_ptr_cmp);
		if (!keys[i].has_tax)
			continue;
		rate = !empty(keys[i].rate)
			       ? xstrdup(keys[i].rate)
			       : ratio_string(keys[i].unit_tax, sl->unit_price);
		sl->tax_lines = xcalloc(1, sizeof(*sl->tax_lines));
		sl->ntax_lines = 1;
		tax_line_set(&sl->tax_lines[0], rate,
			     keys[i].unit_tax * sl->quantity);
		free(rate);
	}
	ret = 0;
cleanup:
	sb_free(&why);
	free(keys);
	free(reported);
	return ret;
}

/* ---- shipping, taxes, totals ------------------------------------------- */

static void map_shipping(const struct tt_order *o, struct sh_order_input *out)
{
	const struct tt_payment *p = &o->payment;
	struct sh_shipping_input *s;

	out->shipping = xcalloc(2, sizeof(*out->shipping));
	s = &out->shipping[out->nshipping++];
	s->title = dup_trim(o->delivery_option_name);
	if (s->title == NULL)
		s->title = xstrdup(DEFAULT_SHIPPING_TITLE);
	s->code = xstrdup(SHIPPING_CODE);
	s->source = xstrdup(SHIPPING_SOURCE);
	s->price = p->shipping_fee;
	if (p->shipping_fee_tax > 0) {
		char *rate = ratio_string(p->shipping_fee_tax, p->shipping_fee);

		s->tax_lines = xcalloc(1, sizeof(*s->tax_lines));
		s->ntax_lines = 1;
		tax_line_set(&s->tax_lines[0], rate, p->shipping_fee_tax);
		free(rate);
	}
	if (p->retail_delivery_fee > 0) {
		s = &out->shipping[out->nshipping++];
		s->title = xstrdup(RDF_TITLE);
		s->code = xstrdup(RDF_CODE);
		s->source = xstrdup(SHIPPING_SOURCE);
		s->price = p->retail_delivery_fee;
	}
}

static void map_order_tax(const struct tt_order *o, struct sh_order_input *out)
{
	const struct tt_payment *p = &o->payment;
	char *rate;
	size_t i;

	for (i = 0; i < out->nlines; i++)
		if (out->lines[i].ntax_lines > 0)
			return;
	if (p->product_tax <= 0)
		return;
	rate = ratio_string(p->product_tax, p->sub_total);
	out->order_tax_lines = xcalloc(1, sizeof(*out->order_tax_lines));
	out->norder_tax_lines = 1;
	tax_line_set(&out->order_tax_lines[0], rate, p->product_tax);
	free(rate);
}

static void compute_expected(struct sh_order_input *out)
{
	size_t i, j;

	out->expect_subtotal = out->expect_shipping = out->expect_tax = 0;
	for (i = 0; i < out->nlines; i++) {
		out->expect_subtotal +=
			out->lines[i].unit_price * out->lines[i].quantity;
		for (j = 0; j < out->lines[i].ntax_lines; j++)
			out->expect_tax += out->lines[i].tax_lines[j].amount;
	}
	for (i = 0; i < out->nshipping; i++) {
		out->expect_shipping += out->shipping[i].price;
		for (j = 0; j < out->shipping[i].ntax_lines; j++)
			out->expect_tax += out->shipping[i].tax_lines[j].amount;
	}
	for (i = 0; i < out->norder_tax_lines; i++)
		out->expect_tax += out->order_tax_lines[i].amount;
	out->expect_total =
		out->expect_subtotal + out->expect_shipping + out->expect_tax;
}

/* TikTok's figures to compare with, and the amount the buyer paid for
 * what the Shopify order holds (see the top of this file). */
struct tt_figures {
	money_t subtotal, shipping, tax, total;
};

static void tiktok_figures(const struct tt_order *o, struct tt_figures *f)
{
	const struct tt_payment *p = &o->payment;
	money_t all = 0, cancelled = 0, cancelled_tax = 0;
	size_t i;

	f->subtotal = p->sub_total;
	f->shipping = p->shipping_fee + p->retail_delivery_fee;
	f->tax = p->tax;
	f->total = p->total_amount;
	for (i = 0; i < o->nlines; i++) {
		all += o->lines[i].sale_price;
		if (tt_line_is_cancelled(o, &o->lines[i])) {
			cancelled += o->lines[i].sale_price;
			cancelled_tax += o->lines[i].tax;
		}
	}
	if ((cancelled > 0 || cancelled_tax > 0) && all == p->sub_total) {
		f->subtotal -= cancelled;
		f->tax -= cancelled_tax;
		f->total -= cancelled + cancelled_tax;
	}
}

static int check_totals(const struct tt_order *o,
			const struct sh_order_input *out,
			const struct tt_figures *f, struct err *e)
{
	const struct {
		const char *what, *verb;
		money_t tt, sh;
	} pairs[] = {
		{"subtotal", "have a subtotal of", f->subtotal,
		 out->expect_subtotal},
		{"shipping", "charge shipping of", f->shipping,
		 out->expect_shipping},
		{"tax", "charge tax of", f->tax, out->expect_tax},
		{"total", "total", f->total, out->expect_total},
	};
	struct strbuf sb = STRBUF_INIT;
	char a[32], b[32];
	size_t i;
	int ret = 0;

	for (i = 0; i < ARRAY_SIZE(pairs); i++) {
		if (pairs[i].tt == pairs[i].sh)
			continue;
		money_format(pairs[i].tt, o->payment.exp, a);
		money_format(pairs[i].sh, o->payment.exp, b);
		sb_addf(&sb, "%s%s %s on TikTok but the Shopify order would %s %s",
			sb.len ? "; " : "", pairs[i].what, a, pairs[i].verb, b);
	}
	if (sb.len > 0)
		ret = err_set(e, ERR_DATA, "TOTALS_MISMATCH",
			      "TikTok order %s does not add up in Shopify "
			      "(%s): %s", o->id, o->payment.currency, sb.buf);
	sb_free(&sb);
	return ret;
}

/* ---- the order --------------------------------------------------------- */

static void map_header(const struct tt_order *o, const struct map_ctx *ctx,
		       struct sh_order_input *out)
{
	const struct config *c = ctx->cfg;
	int gift = 0;
	size_t i;

	memcpy(out->currency, o->payment.currency, sizeof(out->currency));
	out->currency[sizeof(out->currency) - 1] = '\0';
	out->exp = o->payment.exp;
	out->processed_at = o->create_time;
	out->email = dup_trim(o->buyer_email);
	out->note = empty(o->buyer_message) ? NULL : xstrdup(o->buyer_message);
	out->source_identifier = xstrdup(o->id);
	out->source_url = empty(ctx->tiktok_order_url)
				  ? NULL : xstrdup(ctx->tiktok_order_url);

	out->attrs = xcalloc(3, sizeof(*out->attrs));
	out->attrs[0].key = xstrdup(ATTR_CHANNEL);
	out->attrs[0].value = xasprintf("TikTok Shop - %s",
					c && c->store_name ? c->store_name : "");
	out->attrs[1].key = xstrdup(ATTR_ORDER_ID);
	out->attrs[1].value = xstrdup(o->id);
	out->attrs[2].key = xstrdup(ATTR_SHIPPING);
	out->attrs[2].value = xstrdup(strcmp(o->shipping_type, "SELLER") == 0
					      ? "Seller shipping"
					      : "TikTok shipping");
	out->nattrs = 3;

	for (i = 0; i < out->nlines; i++)
		gift |= out->lines[i].is_gift;
	out->tags = xcalloc(3, sizeof(*out->tags));
	out->tags[out->ntags++] = xstrdup(TAG_BASE);
	if (gift)
		out->tags[out->ntags++] = xstrdup(TAG_GIFT);
	if (o->is_sample_order)
		out->tags[out->ntags++] = xstrdup(TAG_SAMPLE);

	out->transaction_gateway = xstrdup(GATEWAY);
	out->transaction_processed_at =
		o->paid_time > 0 ? o->paid_time : o->create_time;
	out->send_receipt = 0;
	out->send_fulfillment_receipt = 0;
	out->inventory_behaviour = xstrdup(
		c && !empty(c->inventory_behaviour) ? c->inventory_behaviour
						    : DEFAULT_INVENTORY);
}

int map_order(const struct tt_order *o, const struct map_ctx *ctx,
	      struct sh_order_input *out, struct err *e)
{
	struct tt_figures fig;

	memset(out, 0, sizeof(*out));
	if (check_order_data(o, e) < 0)
		return -1;
	if (map_lines(o, ctx, out, e) < 0)
		goto fail;
	map_header(o, ctx, out);
	map_address(o, out);
	out->phone = xstrdup(out->shipping_address.phone);
	map_shipping(o, out);
	map_order_tax(o, out);
	compute_expected(out);
	tiktok_figures(o, &fig);
	out->transaction_amount = fig.total;
	if (check_totals(o, out, &fig, e) < 0)
		goto fail;
	return 0;
fail:
	sh_order_input_free(out);
	return -1;
}
