/*
 * check_plan.c - the planner's decisions, one test each: which TikTok
 * orders are skipped, left not synced, failed, created or cancelled in
 * Shopify; which fulfillments are pushed to TikTok, pulled into Shopify,
 * corrected, mirrored as events, or failed and why. Plus the properties a
 * cron job lives by: a second plan over the state the first plan's
 * actions produce makes no remote call; a manual selection retries a
 * failure that needs a person; automatic sync off leaves eligible orders
 * not synced.
 *
 * The worlds are built in memory with small builders (no emulator, no
 * SQLite); sim_apply() plays apply.c's part where a test needs the state
 * after the actions.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

#define NOW 1764000000LL
#define HOUR 3600LL
#define USPS_ID "7117858858072016686"
#define UPS_ID "7117859084333745966"
#define CAINIAO_ID "7208502187360519982"
#define TRACK_A "9400111899223197428490"
#define TRACK_B "9400111899223197428506"

static char *S(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void set(char **dst, const char *v)
{
	free(*dst);
	*dst = S(v);
}

/* ---- settings ------------------------------------------------------------ */

static struct config cfg;
static struct carrier_rule rules[] = {
	{ (char *)"Other", (char *)"Cainiao US", 12 },
};
static struct tt_provider provs[] = {
	{ (char *)USPS_ID, (char *)"USPS" },
	{ (char *)UPS_ID, (char *)"UPS" },
	{ (char *)CAINIAO_ID, (char *)"Cainiao US" },
};
static struct tt_provider_list providers = {
	(char *)"7091146663229654785", provs, ARRAY_SIZE(provs)
};

static void setup(void)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.store_name = (char *)"Acme";
	cfg.region = (char *)"US";
	cfg.cancel_in_shopify = 1;
	cfg.notify_customer = 0;
	cfg.carrier_rules = rules;
	cfg.ncarrier_rules = ARRAY_SIZE(rules);
}

static struct plan_settings settings(int orders_auto, int fuls_auto)
{
	struct plan_settings s;

	memset(&s, 0, sizeof(s));
	s.cfg = &cfg;
	s.now = NOW;
	s.orders_enabled = 1;
	s.orders_auto = orders_auto;
	s.fulfillments_enabled = 1;
	s.fulfillments_auto = fuls_auto;
	return s;
}

/* ---- one order's world ------------------------------------------------- */

struct fx {
	int n;			/* order number: ids are derived from it */
	struct tt_order tt;
	struct order_rec rec;
	struct sh_order sh;
	int have_sh;
	struct unit_map *units;
	size_t nunits;
	struct ful_rec *fuls;
	size_t nfuls;
	int no_providers;
	struct sku_resolution sku;
	int selected, intent_open;
};

static char *unit_id(int n, int k)
{
	return xasprintf("5770000000000%03d%02d", n, k);
}

/* A paid seller-shipped order #n with `units` units of one linked SKU. */
static struct fx *fx_new(int n, int64_t created, int units)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	struct tt_order *o = &f->tt;
	int k;

	f->n = n;
	o->id = xasprintf("5790000000000000%02d", n);
	o->status = TT_AWAITING_SHIPMENT;
	o->status_str = S("AWAITING_SHIPMENT");
	o->fulfillment_type = S("FULFILLMENT_BY_SELLER");
	o->shipping_type = S("SELLER");
	o->delivery_option_id = S("7091146663229654785");
	o->delivery_option_name = S("Standard Shipping");
	o->buyer_email = S("buyer@chat.seller.tiktok.com");
	o->create_time = created;
	o->paid_time = created + 60;
	strcpy(o->payment.currency, "USD");
	o->payment.exp = 2;
	o->payment.shipping_fee = 599;
	o->payment.sub_total = 1700 * units;
	o->payment.total_amount = 1700 * units + 599;
	o->addr.first_name = S("Jane");
	o->addr.last_name = S("Doe");
	o->addr.line1 = S("1 Main St");
	o->addr.city = S("San Jose");
	o->addr.state = S("California");
	o->addr.postal_code = S("95110");
	o->addr.region_code = S("US");
	o->lines = xcalloc((size_t)units, sizeof(*o->lines));
	o->nlines = (size_t)units;
	for (k = 0; k < units; k++) {
		struct tt_line *l = &o->lines[k];

		l->id = unit_id(n, k + 1);
		l->sku_id = S("1729000000000000001");
		l->seller_sku = S("TEE-RED-M");
		l->product_name = S("Tee");
		l->sku_name = S("Red, M");
		l->original_price = l->sale_price = 1700;
		l->display_status = S("AWAITING_SHIPMENT");
	}
	f->rec.tt_id = S(o->id);
	f->rec.tt_status = o->status;
	f->rec.create_time = created;
	f->rec.status = SYNC_NOT_SYNCED;
	f->sku.tt_sku_id = S("1729000000000000001");
	f->sku.seller_sku = S("TEE-RED-M");
	f->sku.kind = SKU_RES_LINKED;
	f->sku.variant_id = S("gid://shopify/ProductVariant/11");
	return f;
}

static void fx_status(struct fx *f, enum tt_status st)
{
	size_t k;

	f->tt.status = st;
	set(&f->tt.status_str, tt_status_name(st));
	for (k = 0; k < f->tt.nlines; k++)
		set(&f->tt.lines[k].display_status, tt_status_name(st));
}

static void fx_free(struct fx *f)
{
	tt_order_free(&f->tt);
	order_rec_free(&f->rec);
	sh_order_free(&f->sh);
	unit_map_free(f->units, f->nunits);
	ful_rec_free_array(f->fuls, f->nfuls);
	sku_resolution_free(&f->sku);
	free(f);
}

/* Linked to Shopify order #10nn, one line item per distinct price (here:
 * one), an open fulfillment order, every unit mapped. */
static void fx_link(struct fx *f)
{
	struct sh_order *sh = &f->sh;
	int q = (int)f->tt.nlines;
	size_t k;

	set(&f->rec.sh_gid, NULL);
	f->rec.sh_gid = xasprintf("gid://shopify/Order/%d", f->n);
	f->rec.sh_name = xasprintf("#10%02d", f->n);
	f->rec.status = SYNC_SYNCED;
	sh->id = S(f->rec.sh_gid);
	sh->name = S(f->rec.sh_name);
	sh->lines = xcalloc(1, sizeof(*sh->lines));
	sh->nlines = 1;
	sh->lines[0].id = xasprintf("gid://shopify/LineItem/%d1", f->n);
	sh->lines[0].variant_id = S("gid://shopify/ProductVariant/11");
	sh->lines[0].quantity = q;
	sh->fos = xcalloc(1, sizeof(*sh->fos));
	sh->nfos = 1;
	sh->fos[0].id = xasprintf("gid://shopify/FulfillmentOrder/%d", f->n);
	sh->fos[0].status = S("OPEN");
	sh->fos[0].lines = xcalloc(1, sizeof(*sh->fos[0].lines));
	sh->fos[0].nlines = 1;
	sh->fos[0].lines[0].id =
		xasprintf("gid://shopify/FulfillmentOrderLineItem/%d1", f->n);
	sh->fos[0].lines[0].line_item_id = S(sh->lines[0].id);
	sh->fos[0].lines[0].total_quantity = q;
	sh->fos[0].lines[0].remaining_quantity = q;
	f->have_sh = 1;
	f->units = xcalloc(f->tt.nlines, sizeof(*f->units));
	for (k = 0; k < f->tt.nlines; k++) {
		f->units[k].tt_line_id = S(f->tt.lines[k].id);
		f->units[k].sh_line_item_id = S(sh->lines[0].id);
	}
	f->nunits = f->tt.nlines;
}

/* The merchant fulfils `qty` units in Shopify with a tracking number. */
static struct sh_fulfillment *fx_fulfill(struct fx *f, int num,
					 const char *company,
					 const char *number, int qty)
{
	struct sh_order *sh = &f->sh;
	struct sh_fulfillment *x;

	sh->fulfillments = xrealloc(sh->fulfillments, (sh->nfulfillments + 1) *
				    sizeof(*sh->fulfillments));
	x = &sh->fulfillments[sh->nfulfillments++];
	memset(x, 0, sizeof(*x));
	x->id = xasprintf("gid://shopify/Fulfillment/%d", num);
	x->name = xasprintf("%s-F%zu", sh->name, sh->nfulfillments);
	x->status = S("SUCCESS");
	x->display_status = S("FULFILLED");
	x->created_at = NOW - 1000 + num;
	if (number != NULL || company != NULL) {
		x->tracking = xcalloc(1, sizeof(*x->tracking));
		x->ntracking = 1;
		x->tracking[0].company = S(company);
		x->tracking[0].number = S(number);
	}
	x->lines = xcalloc(1, sizeof(*x->lines));
	x->nlines = 1;
	x->lines[0].line_item_id = S(sh->lines[0].id);
	x->lines[0].quantity = qty;
	sh->fos[0].lines[0].remaining_quantity -= qty;
	return x;
}

/* TikTok shows unit k (1-based) in a package with tracking. */
static void fx_tt_ship(struct fx *f, int k, const char *pkg,
		       const char *number, const char *prov_name,
		       const char *prov_id)
{
	struct tt_line *l = &f->tt.lines[k - 1];

	set(&l->package_id, pkg);
	set(&l->tracking_number, number);
	set(&l->shipping_provider_name, prov_name);
	set(&l->shipping_provider_id, prov_id);
	l->rts_time = NOW - 5 * HOUR;
}

static struct ful_rec *fr_dup(const struct ful_rec *r)
{
	struct ful_rec *d = xcalloc(1, sizeof(*d));
	size_t i;

	*d = *r;
	d->key = S(r->key);
	d->tt_order_id = S(r->tt_order_id);
	d->sh_fulfillment_id = S(r->sh_fulfillment_id);
	d->tt_package_id = S(r->tt_package_id);
	d->tracking_number = S(r->tracking_number);
	d->carrier = S(r->carrier);
	d->provider_id = S(r->provider_id);
	d->provider_name = S(r->provider_name);
	d->tt_line_ids = r->ntt_line_ids ? xcalloc(r->ntt_line_ids, sizeof(char *))
					 : NULL;
	for (i = 0; i < r->ntt_line_ids; i++)
		d->tt_line_ids[i] = S(r->tt_line_ids[i]);
	d->reason_code = S(r->reason_code);
	d->reason = S(r->reason);
	d->remedy = S(r->remedy);
	d->warning = S(r->warning);
	return d;
}

/* Store a record as apply.c would (replace by key). */
static void fx_put_ful(struct fx *f, const struct ful_rec *r)
{
	struct ful_rec *d = fr_dup(r);
	size_t i;

	for (i = 0; i < f->nfuls; i++)
		if (strcmp(f->fuls[i].key, r->key) == 0) {
			ful_rec_free(&f->fuls[i]);
			f->fuls[i] = *d;
			free(d);
			return;
		}
	f->fuls = xrealloc(f->fuls, (f->nfuls + 1) * sizeof(*f->fuls));
	f->fuls[f->nfuls++] = *d;
	free(d);
}

/* A push record TikTok accepted: units 1..nu, package pkg, tracking. */
static struct ful_rec *fx_push_rec(struct fx *f, int num, int nu,
				   const char *pkg, const char *number,
				   int64_t shipped_at)
{
	struct ful_rec r;
	char *ids[8];
	int k;

	memset(&r, 0, sizeof(r));
	r.key = xasprintf("push:gid://shopify/Fulfillment/%d", num);
	r.dir = FUL_PUSH;
	r.tt_order_id = f->tt.id;
	r.sh_fulfillment_id = xasprintf("gid://shopify/Fulfillment/%d", num);
	r.tt_package_id = (char *)pkg;
	r.tracking_number = (char *)number;
	r.carrier = (char *)"USPS";
	r.provider_id = (char *)USPS_ID;
	r.provider_name = (char *)"USPS";
	for (k = 0; k < nu; k++)
		ids[k] = f->tt.lines[k].id;
	r.tt_line_ids = ids;
	r.ntt_line_ids = (size_t)nu;
	r.shipped_at = shipped_at;
	r.status = SYNC_SYNCED;
	fx_put_ful(f, &r);
	free(r.key);
	free(r.sh_fulfillment_id);
	return &f->fuls[f->nfuls - 1];
}

static void to_plan(struct fx *f, struct plan_order *p)
{
	memset(p, 0, sizeof(*p));
	p->tt = &f->tt;
	p->rec = &f->rec;
	p->sh = f->have_sh ? &f->sh : NULL;
	p->units = f->units;
	p->nunits = f->nunits;
	p->fuls = f->fuls;
	p->nfuls = f->nfuls;
	p->providers = f->no_providers ? NULL : &providers;
	p->skus = &f->sku;
	p->nskus = 1;
	p->selected = f->selected;
	p->create_intent_open = f->intent_open;
}

enum { PLAN_ORDERS = 1, PLAN_FULS = 2, PLAN_BOTH = 3 };

static void plan(struct fx **v, size_t n, const struct plan_settings *s,
		 int which, struct action_list *out)
{
	struct plan_order *po = xcalloc(n ? n : 1, sizeof(*po));
	struct err e;
	size_t i;

	for (i = 0; i < n; i++)
		to_plan(v[i], &po[i]);
	action_list_init(out);
	err_clear(&e);
	if (which & PLAN_ORDERS)
		ck_assert_int_eq(plan_orders(po, n, s, out, &e), 0);
	if (which & PLAN_FULS)
		ck_assert_int_eq(plan_fulfillments(po, n, s, out, &e), 0);
	free(po);
}

static void plan1(struct fx *f, const struct plan_settings *s, int which,
		  struct action_list *out)
{
	plan(&f, 1, s, which, out);
}

static int is_remote(enum action_kind k)
{
	return k != ACT_ORDER_RECORD && k != ACT_FUL_RECORD;
}

static size_t count_remote(const struct action_list *l)
{
	size_t i, n = 0;

	for (i = 0; i < l->n; i++)
		n += is_remote(l->v[i].kind);
	return n;
}

/* ---- apply.c's part, for the properties -------------------------------- */

static struct fx *fx_find(struct fx **v, size_t n, const char *tt_id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i]->tt.id, tt_id) == 0)
			return v[i];
	return NULL;
}

static void sim_link_created(struct fx *f, const struct sh_order_input *in)
{
	struct sh_order *sh = &f->sh;
	size_t i, j, nu = 0;

	f->rec.sh_gid = xasprintf("gid://shopify/Order/%d", f->n);
	f->rec.sh_name = xasprintf("#10%02d", f->n);
	f->rec.status = SYNC_SYNCED;
	set(&f->rec.reason_code, NULL);
	set(&f->rec.reason, NULL);
	sh->id = S(f->rec.sh_gid);
	sh->name = S(f->rec.sh_name);
	sh->nlines = in->nlines;
	sh->lines = xcalloc(in->nlines, sizeof(*sh->lines));
	sh->nfos = 1;
	sh->fos = xcalloc(1, sizeof(*sh->fos));
	sh->fos[0].id = xasprintf("gid://shopify/FulfillmentOrder/%d", f->n);
	sh->fos[0].status = S("OPEN");
	sh->fos[0].nlines = in->nlines;
	sh->fos[0].lines = xcalloc(in->nlines, sizeof(*sh->fos[0].lines));
	for (i = 0; i < in->nlines; i++) {
		sh->lines[i].id = xasprintf("gid://shopify/LineItem/%d%zu", f->n, i + 1);
		sh->lines[i].variant_id = S(in->lines[i].variant_id);
		sh->lines[i].quantity = in->lines[i].quantity;
		sh->fos[0].lines[i].id = xasprintf(
			"gid://shopify/FulfillmentOrderLineItem/%d%zu", f->n, i + 1);
		sh->fos[0].lines[i].line_item_id = S(sh->lines[i].id);
		sh->fos[0].lines[i].total_quantity = in->lines[i].quantity;
		sh->fos[0].lines[i].remaining_quantity = in->lines[i].quantity;
		nu += in->lines[i].ntt_line_ids;
	}
	f->have_sh = 1;
	f->units = xcalloc(nu ? nu : 1, sizeof(*f->units));
	for (i = 0; i < in->nlines; i++)
		for (j = 0; j < in->lines[i].ntt_line_ids; j++) {
			f->units[f->nunits].tt_line_id = S(in->lines[i].tt_line_ids[j]);
			f->units[f->nunits].sh_line_item_id = S(sh->lines[i].id);
			f->nunits++;
		}
}

static void sim_fulfillment_created(struct fx *f, const struct action *a,
				    int num)
{
	const struct sh_fulfillment_input *in = a->fulfillment;
	struct sh_fulfillment *x;
	struct ful_rec *r;
	size_t g, l, k;

	x = fx_fulfill(f, num, in->company, in->number, 0);
	free(x->lines[0].line_item_id);
	free(x->lines);
	x->lines = NULL;
	x->nlines = 0;
	for (g = 0; g < in->ngroups; g++)
		for (l = 0; l < in->groups[g].nlines; l++)
			for (k = 0; k < f->sh.fos[0].nlines; k++) {
				struct sh_fo_line *fl = &f->sh.fos[0].lines[k];

				if (strcmp(fl->id, in->groups[g].lines[l].fo_line_id))
					continue;
				fl->remaining_quantity -= in->groups[g].lines[l].quantity;
				x->lines = xrealloc(x->lines, (x->nlines + 1) *
						    sizeof(*x->lines));
				x->lines[x->nlines].line_item_id = S(fl->line_item_id);
				x->lines[x->nlines].quantity =
					in->groups[g].lines[l].quantity;
				x->nlines++;
			}
	r = fr_dup(a->ful);
	set(&r->sh_fulfillment_id, x->id);
	r->status = SYNC_SYNCED;
	fx_put_ful(f, r);
	ful_rec_free(r);
	free(r);
}

static void sim_apply(struct fx **v, size_t n, const struct action_list *al)
{
	static int next_id = 900;
	size_t i, k;

	for (i = 0; i < al->n; i++) {
		const struct action *a = &al->v[i];
		struct fx *f = fx_find(v, n, a->tt_order_id);
		struct ful_rec *r;

		ck_assert_ptr_nonnull(f);
		switch (a->kind) {
		case ACT_ORDER_RECORD:
			f->rec.status = a->status;
			set(&f->rec.reason_code, a->reason_code);
			set(&f->rec.reason, a->reason);
			f->rec.retry = a->retry;
			break;
		case ACT_ORDER_CREATE:
			ck_assert_ptr_nonnull(a->order);
			sim_link_created(f, a->order);
			f->intent_open = 0;
			break;
		case ACT_ORDER_CANCEL:
			f->rec.cancel_state = 1;
			f->sh.cancelled_at = NOW;
			break;
		case ACT_FUL_RECORD:
			r = fr_dup(a->ful);
			r->status = a->status;
			set(&r->reason_code, a->reason_code);
			set(&r->reason, a->reason);
			r->retry = a->retry;
			fx_put_ful(f, r);
			ful_rec_free(r);
			free(r);
			break;
		case ACT_SHIP_PACKAGE:
			r = fr_dup(a->ful);
			r->status = SYNC_SYNCED;
			free(r->tt_package_id);
			r->tt_package_id = xasprintf("11530000000000%05d", next_id++);
			r->shipped_at = NOW;
			for (k = 0; k < a->ntt_line_ids; k++) {
				size_t j;

				for (j = 0; j < f->tt.nlines; j++)
					if (strcmp(f->tt.lines[j].id,
						   a->tt_line_ids[k]) == 0)
						fx_tt_ship(f, (int)j + 1,
							   r->tt_package_id,
							   a->tracking_number,
							   a->provider_name,
							   a->provider_id);
			}
			fx_put_ful(f, r);
			ful_rec_free(r);
			free(r);
			break;
		case ACT_UPDATE_SHIPPING:
			for (k = 0; k < f->tt.nlines; k++)
				if (f->tt.lines[k].package_id &&
				    strcmp(f->tt.lines[k].package_id, a->package_id) == 0)
					set(&f->tt.lines[k].tracking_number,
					    a->tracking_number);
			fx_put_ful(f, a->ful);
			break;
		case ACT_FULFILLMENT_CREATE:
			sim_fulfillment_created(f, a, next_id++);
			break;
		case ACT_FULFILLMENT_EVENT:
			r = fr_dup(a->ful);
			r->events_sent |= a->event_bit;
			fx_put_ful(f, r);
			ful_rec_free(r);
			free(r);
			for (k = 0; k < f->sh.nfulfillments; k++)
				if (strcmp(f->sh.fulfillments[k].id,
					   a->sh_fulfillment_id) == 0)
					set(&f->sh.fulfillments[k].display_status,
					    a->event_status);
			break;
		}
	}
}

/* ---- orders: not linked yet -------------------------------------------- */

static void assert_record(const struct action *a, enum sync_status st,
			  const char *code, enum retry_class retry)
{
	ck_assert_int_eq(a->kind, ACT_ORDER_RECORD);
	ck_assert_int_eq(a->status, st);
	ck_assert_str_eq(a->reason_code, code);
	ck_assert_int_eq(a->retry, retry);
	ck_assert_ptr_nonnull(a->reason);
}

START_TEST(test_skip_fbt)
{
	struct fx *f = fx_new(1, NOW - HOUR, 1);
	struct plan_settings s = settings(1, 1);
	struct action_list al;

	set(&f->tt.fulfillment_type, "FULFILLMENT_BY_TIKTOK");
	plan1(f, &s, PLAN_BOTH, &al);
	ck_assert_uint_eq(al.n, 1);
	assert_record(&al.v[0], SYNC_SKIPPED, "SKIP_FBT", RETRY_NONE);
	ck_assert_ptr_nonnull(strstr(al.v[0].reason, "FULFILLMENT_BY_TIKTOK"));
	ck_assert_str_eq(plan_skip_reason(&f->tt), "SKIP_FBT");
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_skip_unpaid)
{
	struct fx *f = fx_new(1, NOW - HOUR, 1);
	struct plan_settings s = settings(1, 1);
	struct action_list al;

	fx_status(f, TT_UNPAID);
	plan1(f, &s, PLAN_BOTH, &al);
	ck_assert_uint_eq(al.n, 1);
	assert_record(&al.v[0], SYNC_SKIPPED, "SKIP_UNPAID", RETRY_WAIT);
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_skip_on_hold)
{
	struct fx *f = fx_new(1, NOW - HOUR, 1);
	struct plan_settings s = settings(1, 1);
	struct action_list al;

	fx_status(f, TT_ON_HOLD);
	plan1(f, &s, PLAN_BOTH, &al);
	ck_assert_uint_eq(al.n, 1);
	assert_record(&al.v[0], SYNC_SKIPPED, "SKIP_ON_HOLD", RETRY_WAIT);
	action_list_free(&al);

	/* once the hold ends the order is created */
	fx_status(f, TT_AWAITING_SHIPMENT);
	f->rec.status = SYNC_SKIPPED;
	plan1(f, &s, PLAN_ORDERS, &al);
	ck_assert_uint_eq(al.n, 1);
	ck_assert_int_eq(al.v[0].kind, ACT_ORDER_CREATE);
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_skip_cancelled_before_sync)
{
	struct fx *f = fx_new(1, NOW - HOUR, 1);
	struct plan_settings s = settings(1, 1);
	struct action_list al;

	fx_status(f, TT_CANCELLED);
	set(&f->tt.cancel_reason, "Buyer changed mind");
	plan1(f, &s, PLAN_BOTH, &al);
	ck_assert_uint_eq(al.n, 1);
	assert_record(&al.v[0], SYNC_SKIPPED, "SKIP_CANCELLED_BEFORE_SYNC",
		      RETRY_NONE);
	ck_assert_ptr_nonnull(strstr(al.v[0].reason, "Buyer changed mind"));
	action_list_free(&al);

	/* even with a create intent open: never create a cancelled order */
	f->intent_open = 1;
	plan1(f, &s, PLAN_ORDERS, &al);
	ck_assert_uint_eq(count_remote(&al), 0);
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_cancel_request_pending_holds)
{
	struct fx *f = fx_new(1, NOW - HOUR, 1);
	struct plan_settings s = settings(1, 1);
	struct action_list al;

	f->tt.is_buyer_request_cancel = 1;
	plan1(f, &s, PLAN_ORDERS, &al);
	ck_assert_uint_eq(al.n, 1);
	assert_record(&al.v[0], SYNC_FAILED, "CANCEL_REQUEST_PENDING",
		      RETRY_AUTO);
	action_list_free(&al);

	/* request rejected: the next run creates it */
	f->tt.is_buyer_request_cancel = 0;
	f->rec.status = SYNC_FAILED;
	f->rec.retry = RETRY_AUTO;
	plan1(f, &s, PLAN_ORDERS, &al);
	ck_assert_int_eq(al.v[0].kind, ACT_ORDER_CREATE);
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_create_when_automatic)
{
	struct fx *f = fx_new(1, NOW - HOUR, 2);
	struct plan_settings s = settings(1, 1);
	struct action_list al;

	fx_status(f, TT_AWAITING_COLLECTION);	/* later states count */
	plan1(f, &s, PLAN_ORDERS, &al);
	ck_assert_uint_eq(al.n, 1);
	ck_assert_int_eq(al.v[0].kind, ACT_ORDER_CREATE);
	ck_assert_int_eq(al.v[0].resume, 0);
	ck_assert_ptr_nonnull(al.v[0].order);
	ck_assert_uint_eq(al.v[0].order->nlines, 1);
	ck_assert_int_eq(al.v[0].order->lines[0].quantity, 2);
	ck_assert_str_eq(al.v[0].order->source_identifier, f->tt.id);
	ck_assert_str_eq(al.v[0].tt_order_id, f->tt.id);
	ck_assert_str_eq(action_kind_name(al.v[0].kind), "create_order");
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_map_failure_recorded)
{
	struct fx *f = fx_new(1, NOW - HOUR, 1);
	struct plan_settings s = settings(1, 1);
	struct action_list al;

	f->sku.kind = SKU_RES_NONE;
	set(&f->sku.variant_id, NULL);
	plan1(f, &s, PLAN_ORDERS, &al);
	ck_assert_uint_eq(al.n, 1);
	assert_record(&al.v[0], SYNC_FAILED, "SKU_NOT_LINKED",
		      RETRY_AFTER_FIX);
	ck_assert_ptr_nonnull(strstr(al.v[0].reason, "TEE-RED-M"));
	/* The remedy names the SKU and the command that fixes it. */
	ck_assert_ptr_nonnull(al.v[0].remedy);
	ck_assert_ptr_nonnull(strstr(al.v[0].remedy, "--tiktok-sku 'TEE-RED-M'"));
	ck_assert_ptr_nonnull(strstr(al.v[0].remedy, "ttsync link --config"));
	action_list_free(&al);

	/* RETRY_AFTER_FIX is retried every run: the merchant linked it */
	f->rec.status = SYNC_FAILED;
	f->rec.retry = RETRY_AFTER_FIX;
	f->sku.kind = SKU_RES_LINKED;
	set(&f->sku.variant_id, "gid://shopify/ProductVariant/11");
	plan1(f, &s, PLAN_ORDERS, &al);
	ck_assert_int_eq(al.v[0].kind, ACT_ORDER_CREATE);
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_retry_auto_every_run)
{
	struct fx *f = fx_new(1, NOW - HOUR, 1);
	struct plan_settings s = settings(1, 1);
	struct action_list al;

	f->rec.status = SYNC_FAILED;
	f->rec.retry = RETRY_AUTO;
	set(&f->rec.reason_code, "NETWORK_ERROR");
	plan1(f, &s, PLAN_ORDERS, &al);
	ck_assert_uint_eq(al.n, 1);
	ck_assert_int_eq(al.v[0].kind, ACT_ORDER_CREATE);
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_person_failure_waits_for_selection)
{
	struct fx *f = fx_new(1, NOW - HOUR, 1);
	struct plan_settings s = settings(1, 1);
	struct action_list al;

	f->rec.status = SYNC_FAILED;
	f->rec.retry = RETRY_PERSON;
	set(&f->rec.reason_code, "SHOPIFY_USER_ERROR");
	plan1(f, &s, PLAN_ORDERS, &al);
	ck_assert_uint_eq(al.n, 0);
	action_list_free(&al);

	/* a manual sync naming the order retries it */
	f->selected = 1;
	plan1(f, &s, PLAN_ORDERS, &al);
	ck_assert_uint_eq(al.n, 1);
	ck_assert_int_eq(al.v[0].kind, ACT_ORDER_CREATE);
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_auto_off_leaves_not_synced)
{
	struct fx *v[3];
	struct plan_settings s = settings(0, 1);
	struct action_list al;
	size_t i;

	for (i = 0; i < 3; i++)
		v[i] = fx_new((int)i + 1, NOW - HOUR + (int64_t)i, 1);
	plan(v, 3, &s, PLAN_BOTH, &al);
	ck_assert_uint_eq(al.n, 3);
	for (i = 0; i < 3; i++) {
		/* Waiting for a manual sync, not a failure needing a person. */
		assert_record(&al.v[i], SYNC_NOT_SYNCED, "AUTO_SYNC_OFF",
			      RETRY_WAIT);
		ck_assert_str_eq(al.v[i].tt_order_id, v[i]->tt.id);
	}
	action_list_free(&al);

	/* manual sync of one of them */
	v[1]->selected = 1;
	plan(v, 3, &s, PLAN_ORDERS, &al);
	ck_assert_int_eq(al.v[0].kind, ACT_ORDER_RECORD);
	ck_assert_int_eq(al.v[1].kind, ACT_ORDER_CREATE);
	ck_assert_str_eq(al.v[1].tt_order_id, v[1]->tt.id);
	ck_assert_int_eq(al.v[2].kind, ACT_ORDER_RECORD);
	action_list_free(&al);
	for (i = 0; i < 3; i++)
		fx_free(v[i]);
}
END_TEST

START_TEST(test_auto_off_keeps_failure)
{
	struct fx *f = fx_new(1, NOW - HOUR, 1);
	struct plan_settings s = settings(0, 1);
	struct action_list al;

	f->rec.status = SYNC_FAILED;
	f->rec.retry = RETRY_AFTER_FIX;
	set(&f->rec.reason_code, "SKU_NOT_LINKED");
	plan1(f, &s, PLAN_ORDERS, &al);
	ck_assert_uint_eq(al.n, 0);	/* the failure's reason stays */
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_intent_open_resumes)
{
	struct fx *f = fx_new(1, NOW - HOUR, 1);
	struct plan_settings s = settings(0, 0);	/* automatic sync off */
	struct action_list al;

	f->intent_open = 1;
	f->rec.status = SYNC_FAILED;
	f->rec.retry = RETRY_AUTO;
	set(&f->rec.reason_code, "OUTCOME_UNKNOWN");
	plan1(f, &s, PLAN_ORDERS, &al);
	ck_assert_uint_eq(al.n, 1);
	ck_assert_int_eq(al.v[0].kind, ACT_ORDER_CREATE);
	ck_assert_int_eq(al.v[0].resume, 1);
	ck_assert_ptr_nonnull(al.v[0].order);
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_orders_disabled)
{
	struct fx *f = fx_new(1, NOW - HOUR, 1);
	struct plan_settings s = settings(1, 1);
	struct action_list al;

	s.orders_enabled = 0;
	plan1(f, &s, PLAN_ORDERS, &al);
	ck_assert_uint_eq(al.n, 0);
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_unknown_status_skipped)
{
	struct fx *f = fx_new(1, NOW - HOUR, 1);
	struct plan_settings s = settings(1, 1);
	struct action_list al;

	f->tt.status = TT_STATUS_UNKNOWN;
	set(&f->tt.status_str, "AWAITING_TELEPORT");
	plan1(f, &s, PLAN_ORDERS, &al);
	ck_assert_uint_eq(al.n, 1);
	assert_record(&al.v[0], SYNC_SKIPPED, "ORDER_DATA_INVALID", RETRY_WAIT);
	ck_assert_ptr_nonnull(strstr(al.v[0].reason, "AWAITING_TELEPORT"));
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_orders_sorted)
{
	struct fx *v[3];
	struct plan_settings s = settings(1, 1);
	struct action_list al;

	v[0] = fx_new(3, NOW - HOUR, 1);
	v[1] = fx_new(2, NOW - 2 * HOUR, 1);
	v[2] = fx_new(1, NOW - HOUR, 1);	/* same time as #3, lower id */
	plan(v, 3, &s, PLAN_ORDERS, &al);
	ck_assert_uint_eq(al.n, 3);
	ck_assert_str_eq(al.v[0].tt_order_id, v[1]->tt.id);
	ck_assert_str_eq(al.v[1].tt_order_id, v[2]->tt.id);
	ck_assert_str_eq(al.v[2].tt_order_id, v[0]->tt.id);
	action_list_free(&al);
	fx_free(v[0]);
	fx_free(v[1]);
	fx_free(v[2]);
}
END_TEST

/* ---- orders: linked --------------------------------------------------- */

START_TEST(test_linked_cancel_in_shopify)
{
	struct fx *f = fx_new(1, NOW - HOUR, 2);
	struct plan_settings s = settings(0, 1);
	struct action_list al;

	fx_link(f);
	fx_status(f, TT_CANCELLED);
	plan1(f, &s, PLAN_ORDERS, &al);
	ck_assert_uint_eq(al.n, 1);
	ck_assert_int_eq(al.v[0].kind, ACT_ORDER_CANCEL);
	ck_assert_str_eq(al.v[0].sh_order_id, "gid://shopify/Order/1");
	action_list_free(&al);

	/* a cancelled Shopify fulfillment is not "something fulfilled" */
	fx_fulfill(f, 5, "USPS", TRACK_A, 1);
	set(&f->sh.fulfillments[0].status, "CANCELLED");
	plan1(f, &s, PLAN_ORDERS, &al);
	ck_assert_int_eq(al.v[0].kind, ACT_ORDER_CANCEL);
	action_list_free(&al);

	/* without this run's Shopify picture: wait */
	f->have_sh = 0;
	plan1(f, &s, PLAN_ORDERS, &al);
	ck_assert_uint_eq(al.n, 0);
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_linked_already_cancelled_in_shopify)
{
	struct fx *f = fx_new(1, NOW - HOUR, 1);
	struct plan_settings s = settings(1, 1);
	struct action_list al;

	fx_link(f);
	fx_status(f, TT_CANCELLED);
	f->sh.cancelled_at = NOW - 60;
	plan1(f, &s, PLAN_ORDERS, &al);
	ck_assert_uint_eq(al.n, 1);
	assert_record(&al.v[0], SYNC_SYNCED, "ORDER_CANCELLED", RETRY_NONE);
	ck_assert_int_eq(al.v[0].alert, 0);
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_linked_cancelled_after_fulfillment)
{
	struct fx *f = fx_new(1, NOW - HOUR, 2);
	struct plan_settings s = settings(1, 1);
	struct action_list al;

	fx_link(f);
	fx_fulfill(f, 5, "USPS", TRACK_A, 1);
	fx_status(f, TT_CANCELLED);
	plan1(f, &s, PLAN_ORDERS, &al);
	ck_assert_uint_eq(al.n, 1);
	assert_record(&al.v[0], SYNC_FAILED, "CANCELLED_AFTER_FULFILLMENT",
		      RETRY_PERSON);
	ck_assert_int_eq(al.v[0].alert, 1);
	ck_assert_ptr_nonnull(strstr(al.v[0].reason, "#1001-F1"));
	sim_apply(&f, 1, &al);
	action_list_free(&al);

	/* once: the next run says nothing more */
	plan1(f, &s, PLAN_ORDERS, &al);
	ck_assert_uint_eq(al.n, 0);
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_linked_cancel_report_only)
{
	struct fx *f = fx_new(1, NOW - HOUR, 1);
	struct plan_settings s = settings(1, 1);
	struct action_list al;

	cfg.cancel_in_shopify = 0;
	fx_link(f);
	fx_status(f, TT_CANCELLED);
	plan1(f, &s, PLAN_ORDERS, &al);
	ck_assert_uint_eq(al.n, 1);
	ck_assert_int_eq(al.v[0].kind, ACT_ORDER_RECORD);
	ck_assert_int_eq(al.v[0].alert, 1);
	ck_assert_str_eq(al.v[0].reason_code, "ORDER_CANCELLED");
	ck_assert_ptr_nonnull(strstr(al.v[0].reason, "#1001"));
	sim_apply(&f, 1, &al);
	action_list_free(&al);
	plan1(f, &s, PLAN_ORDERS, &al);
	ck_assert_uint_eq(al.n, 0);
	action_list_free(&al);

	/* cancelled by ttsync on an earlier run: nothing */
	cfg.cancel_in_shopify = 1;
	set(&f->rec.reason_code, NULL);
	f->rec.cancel_state = 1;
	plan1(f, &s, PLAN_ORDERS, &al);
	ck_assert_uint_eq(al.n, 0);
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_line_cancelled_reported_once)
{
	struct fx *f = fx_new(1, NOW - HOUR, 3);
	struct plan_settings s = settings(1, 1);
	struct action_list al;

	fx_link(f);
	set(&f->tt.lines[1].cancel_user, "BUYER");
	set(&f->tt.lines[1].display_status, "CANCELLED");
	plan1(f, &s, PLAN_ORDERS, &al);
	ck_assert_uint_eq(al.n, 1);
	ck_assert_int_eq(al.v[0].kind, ACT_ORDER_RECORD);
	ck_assert_str_eq(al.v[0].reason_code, "LINE_CANCELLED");
	ck_assert_int_eq(al.v[0].alert, 1);
	ck_assert_int_eq(al.v[0].status, SYNC_SYNCED);
	ck_assert_ptr_nonnull(strstr(al.v[0].reason, f->tt.lines[1].id));
	sim_apply(&f, 1, &al);
	action_list_free(&al);

	/* recorded: not repeated every run */
	plan1(f, &s, PLAN_ORDERS, &al);
	ck_assert_uint_eq(al.n, 0);
	action_list_free(&al);

	/* a second unit cancelled later: reported (the set changed) */
	set(&f->tt.lines[2].cancel_user, "SELLER");
	plan1(f, &s, PLAN_ORDERS, &al);
	ck_assert_uint_eq(al.n, 1);
	ck_assert_ptr_nonnull(strstr(al.v[0].reason, f->tt.lines[2].id));
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_line_cancelled_before_creation_silent)
{
	struct fx *f = fx_new(1, NOW - HOUR, 2);
	struct plan_settings s = settings(1, 1);
	struct action_list al;

	fx_link(f);
	/* unit 2 was cancelled before the order was created: not in the
	 * unit map, never in Shopify */
	free(f->units[1].tt_line_id);
	free(f->units[1].sh_line_item_id);
	f->nunits = 1;
	set(&f->tt.lines[1].cancel_user, "BUYER");
	plan1(f, &s, PLAN_ORDERS, &al);
	ck_assert_uint_eq(al.n, 0);
	action_list_free(&al);
	fx_free(f);
}
END_TEST

/* ---- fulfillments: seller shipping (push) ------------------------------ */

static const struct action *only(const struct action_list *al,
				 enum action_kind k)
{
	ck_assert_uint_eq(al->n, 1);
	ck_assert_int_eq(al->v[0].kind, k);
	return &al->v[0];
}

static void assert_ful_failed(const struct action_list *al, const char *code,
			      enum retry_class retry)
{
	const struct action *a = only(al, ACT_FUL_RECORD);

	ck_assert_int_eq(a->status, SYNC_FAILED);
	ck_assert_str_eq(a->reason_code, code);
	ck_assert_int_eq(a->retry, retry);
	ck_assert_ptr_nonnull(a->ful);
	ck_assert_str_eq(a->ful->key, a->ful_key);
	ck_assert_int_eq(a->ful->status, SYNC_FAILED);
}

static struct fx *seller_order(int units)
{
	struct fx *f = fx_new(1, NOW - 2 * 24 * HOUR, units);

	fx_link(f);
	return f;
}

START_TEST(test_push_ship_package)
{
	struct fx *f = seller_order(2);
	struct plan_settings s = settings(0, 1);
	struct action_list al;
	const struct action *a;

	fx_fulfill(f, 5, "USPS", TRACK_A, 2);
	plan1(f, &s, PLAN_FULS, &al);
	a = only(&al, ACT_SHIP_PACKAGE);
	ck_assert_str_eq(a->ful_key, "push:gid://shopify/Fulfillment/5");
	ck_assert_str_eq(a->tracking_number, TRACK_A);
	ck_assert_str_eq(a->provider_id, USPS_ID);
	ck_assert_str_eq(a->provider_name, "USPS");
	ck_assert_uint_eq(a->ntt_line_ids, 2);
	ck_assert_str_eq(a->tt_line_ids[0], f->tt.lines[0].id);
	ck_assert_str_eq(a->tt_line_ids[1], f->tt.lines[1].id);
	/* the record to store on success */
	ck_assert_int_eq(a->ful->dir, FUL_PUSH);
	ck_assert_str_eq(a->ful->sh_fulfillment_id, "gid://shopify/Fulfillment/5");
	ck_assert_str_eq(a->ful->tracking_number, TRACK_A);
	ck_assert_str_eq(a->ful->carrier, "USPS");
	ck_assert_str_eq(a->ful->provider_id, USPS_ID);
	ck_assert_uint_eq(a->ful->ntt_line_ids, 2);
	ck_assert_int_eq(a->ful->status, SYNC_SYNCED);
	ck_assert_str_eq(action_kind_name(a->kind), "ship_package");
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_push_two_partial_fulfillments)
{
	struct fx *f = seller_order(2);
	struct plan_settings s = settings(0, 1);
	struct action_list al;

	/* two parcels, one unit each, both new in this run */
	fx_fulfill(f, 6, "UPS", "1Z999AA10123456784", 1);
	fx_fulfill(f, 5, "USPS", TRACK_A, 1);
	plan1(f, &s, PLAN_FULS, &al);
	ck_assert_uint_eq(al.n, 2);
	/* sorted by key; units by fulfillment creation order */
	ck_assert_str_eq(al.v[0].ful_key, "push:gid://shopify/Fulfillment/5");
	ck_assert_str_eq(al.v[0].tt_line_ids[0], f->tt.lines[0].id);
	ck_assert_str_eq(al.v[1].ful_key, "push:gid://shopify/Fulfillment/6");
	ck_assert_str_eq(al.v[1].tt_line_ids[0], f->tt.lines[1].id);
	ck_assert_str_eq(al.v[1].provider_id, UPS_ID);
	action_list_free(&al);

	/* the first is synced already: the second gets the other unit */
	fx_push_rec(f, 5, 1, "1153000000000000001", TRACK_A, NOW - HOUR);
	fx_tt_ship(f, 1, "1153000000000000001", TRACK_A, "USPS", USPS_ID);
	plan1(f, &s, PLAN_FULS, &al);
	ck_assert_int_eq(only(&al, ACT_SHIP_PACKAGE)->ntt_line_ids, 1);
	ck_assert_str_eq(al.v[0].tt_line_ids[0], f->tt.lines[1].id);
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_push_order_cancelled)
{
	struct fx *f = seller_order(1);
	struct plan_settings s = settings(0, 1);
	struct action_list al;

	fx_fulfill(f, 5, "USPS", TRACK_A, 1);
	f->rec.cancel_state = 2;
	fx_status(f, TT_CANCELLED);
	plan1(f, &s, PLAN_FULS, &al);
	assert_ful_failed(&al, "ORDER_CANCELLED", RETRY_NONE);
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_push_cancel_request_pending)
{
	struct fx *f = seller_order(1);
	struct plan_settings s = settings(0, 1);
	struct action_list al;

	fx_fulfill(f, 5, "USPS", TRACK_A, 1);
	f->tt.is_buyer_request_cancel = 1;
	plan1(f, &s, PLAN_FULS, &al);
	assert_ful_failed(&al, "CANCEL_REQUEST_PENDING", RETRY_AUTO);
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_push_tracking_missing)
{
	struct fx *f = seller_order(1);
	struct plan_settings s = settings(0, 1);
	struct action_list al;

	fx_fulfill(f, 5, "USPS", NULL, 1);
	plan1(f, &s, PLAN_FULS, &al);
	assert_ful_failed(&al, "TRACKING_MISSING", RETRY_AFTER_FIX);
	ck_assert_ptr_nonnull(strstr(al.v[0].reason, "#1001-F1"));
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_push_providers_unavailable)
{
	struct fx *f = seller_order(1);
	struct plan_settings s = settings(0, 1);
	struct action_list al;

	fx_fulfill(f, 5, "USPS", TRACK_A, 1);
	f->no_providers = 1;
	plan1(f, &s, PLAN_FULS, &al);
	assert_ful_failed(&al, "PROVIDERS_UNAVAILABLE", RETRY_AUTO);
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_push_carrier_not_integrated)
{
	struct fx *f = seller_order(1);
	struct plan_settings s = settings(0, 1);
	struct action_list al;

	fx_fulfill(f, 5, "Pony Express", TRACK_A, 1);
	plan1(f, &s, PLAN_FULS, &al);
	assert_ful_failed(&al, "CARRIER_NOT_INTEGRATED", RETRY_AFTER_FIX);
	ck_assert_ptr_nonnull(strstr(al.v[0].reason, "Pony Express"));
	ck_assert_ptr_nonnull(strstr(al.v[0].reason, "USPS, UPS, Cainiao US"));
	action_list_free(&al);

	/* the merchant's rule Other -> Cainiao US */
	set(&f->sh.fulfillments[0].tracking[0].company, "Other");
	set(&f->sh.fulfillments[0].tracking[0].number, "LP00512345678901");
	plan1(f, &s, PLAN_FULS, &al);
	ck_assert_str_eq(only(&al, ACT_SHIP_PACKAGE)->provider_id, CAINIAO_ID);
	ck_assert_str_eq(al.v[0].ful->carrier, "Other");
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_push_tracking_format_invalid)
{
	struct fx *f = seller_order(1);
	struct plan_settings s = settings(0, 1);
	struct action_list al;

	fx_fulfill(f, 5, "UPS", "12345", 1);
	plan1(f, &s, PLAN_FULS, &al);
	assert_ful_failed(&al, "TRACKING_FORMAT_INVALID", RETRY_AFTER_FIX);
	ck_assert_ptr_nonnull(strstr(al.v[0].reason, "\"12345\""));
	ck_assert_ptr_nonnull(strstr(al.v[0].reason, "UPS"));
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_push_units_unmapped)
{
	struct fx *f = seller_order(1);
	struct plan_settings s = settings(0, 1);
	struct action_list al;

	fx_fulfill(f, 5, "USPS", TRACK_A, 1);
	set(&f->sh.fulfillments[0].lines[0].line_item_id,
	    "gid://shopify/LineItem/777");	/* added in Shopify by hand */
	plan1(f, &s, PLAN_FULS, &al);
	assert_ful_failed(&al, "UNITS_UNMAPPED", RETRY_PERSON);
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_push_crash_recovery_synced)
{
	struct fx *f = seller_order(2);
	struct plan_settings s = settings(0, 1);
	struct action_list al;
	const struct action *a;

	/* the ship call landed, its answer was lost: TikTok shows our
	 * tracking on exactly these units */
	fx_fulfill(f, 5, "USPS", TRACK_A, 2);
	fx_tt_ship(f, 1, "1153000000000000001", TRACK_A, "USPS", USPS_ID);
	fx_tt_ship(f, 2, "1153000000000000001", TRACK_A, "USPS", USPS_ID);
	plan1(f, &s, PLAN_FULS, &al);
	a = only(&al, ACT_FUL_RECORD);
	ck_assert_int_eq(a->status, SYNC_SYNCED);
	ck_assert_ptr_null(a->reason_code);
	ck_assert_str_eq(a->ful->tt_package_id, "1153000000000000001");
	ck_assert_int_eq(a->ful->status, SYNC_SYNCED);
	ck_assert_int_gt(a->ful->shipped_at, 0);
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_push_shipped_other_tracking)
{
	struct fx *f = seller_order(2);
	struct plan_settings s = settings(0, 1);
	struct action_list al;

	fx_fulfill(f, 5, "USPS", TRACK_A, 2);
	fx_tt_ship(f, 1, "1153000000000000009", TRACK_B, "USPS", USPS_ID);
	fx_tt_ship(f, 2, "1153000000000000009", TRACK_B, "USPS", USPS_ID);
	plan1(f, &s, PLAN_FULS, &al);
	assert_ful_failed(&al, "ALREADY_SHIPPED_OTHER_TRACKING", RETRY_PERSON);
	ck_assert_ptr_nonnull(strstr(al.v[0].reason, TRACK_B));
	action_list_free(&al);

	/* only one of the two units shipped elsewhere */
	set(&f->tt.lines[1].tracking_number, NULL);
	set(&f->tt.lines[1].package_id, NULL);
	plan1(f, &s, PLAN_FULS, &al);
	assert_ful_failed(&al, "ITEMS_FULFILLED_DIFFERENTLY", RETRY_PERSON);
	ck_assert_ptr_nonnull(strstr(al.v[0].reason, "1153000000000000009"));
	sim_apply(&f, 1, &al);
	action_list_free(&al);

	/* needs a person: not re-recorded every run ... */
	plan1(f, &s, PLAN_FULS, &al);
	ck_assert_uint_eq(al.n, 0);
	action_list_free(&al);
	/* ... until the merchant resyncs the order by hand (TikTok support
	 * cancelled the earlier package) */
	set(&f->tt.lines[0].tracking_number, NULL);
	set(&f->tt.lines[0].package_id, NULL);
	f->selected = 1;
	plan1(f, &s, PLAN_FULS, &al);
	only(&al, ACT_SHIP_PACKAGE);
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_push_auto_off)
{
	struct fx *f = seller_order(1);
	struct plan_settings s = settings(1, 0);
	struct action_list al;
	const struct action *a;

	fx_fulfill(f, 5, "USPS", TRACK_A, 1);
	plan1(f, &s, PLAN_FULS, &al);
	a = only(&al, ACT_FUL_RECORD);
	ck_assert_int_eq(a->status, SYNC_NOT_SYNCED);
	ck_assert_str_eq(a->reason_code, "AUTO_SYNC_OFF");
	ck_assert_str_eq(a->ful->tracking_number, TRACK_A);
	action_list_free(&al);

	f->selected = 1;
	plan1(f, &s, PLAN_FULS, &al);
	only(&al, ACT_SHIP_PACKAGE);
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_no_fulfillment_for_unpaid_or_hold)
{
	struct fx *f = seller_order(1);
	struct plan_settings s = settings(1, 1);
	struct action_list al;

	fx_fulfill(f, 5, "USPS", TRACK_A, 1);
	fx_status(f, TT_ON_HOLD);
	plan1(f, &s, PLAN_FULS, &al);
	ck_assert_uint_eq(al.n, 0);
	action_list_free(&al);
	fx_status(f, TT_UNPAID);
	plan1(f, &s, PLAN_FULS, &al);
	ck_assert_uint_eq(al.n, 0);
	action_list_free(&al);
	/* nor without the Shopify picture, nor when disabled */
	fx_status(f, TT_AWAITING_SHIPMENT);
	s.fulfillments_enabled = 0;
	plan1(f, &s, PLAN_FULS, &al);
	ck_assert_uint_eq(al.n, 0);
	action_list_free(&al);
	fx_free(f);
}
END_TEST

/* ---- tracking changes -------------------------------------------------- */

static struct fx *shipped_order(int64_t shipped_at, int updates)
{
	struct fx *f = seller_order(1);
	struct ful_rec *r;

	fx_fulfill(f, 5, "USPS", TRACK_A, 1);
	fx_tt_ship(f, 1, "1153000000000000001", TRACK_A, "USPS", USPS_ID);
	r = fx_push_rec(f, 5, 1, "1153000000000000001", TRACK_A, shipped_at);
	r->tracking_updates = updates;
	fx_status(f, TT_AWAITING_COLLECTION);
	return f;
}

START_TEST(test_tracking_update_within_window)
{
	struct fx *f = shipped_order(NOW - 10 * HOUR, 0);
	struct plan_settings s = settings(0, 1);
	struct action_list al;
	const struct action *a;

	/* synced and unchanged: nothing */
	plan1(f, &s, PLAN_FULS, &al);
	ck_assert_uint_eq(al.n, 0);
	action_list_free(&al);

	set(&f->sh.fulfillments[0].tracking[0].number, TRACK_B);
	plan1(f, &s, PLAN_FULS, &al);
	a = only(&al, ACT_UPDATE_SHIPPING);
	ck_assert_str_eq(a->package_id, "1153000000000000001");
	ck_assert_str_eq(a->tracking_number, TRACK_B);
	ck_assert_str_eq(a->provider_id, USPS_ID);
	ck_assert_str_eq(a->ful->tracking_number, TRACK_B);
	ck_assert_int_eq(a->ful->tracking_updates, 1);
	ck_assert_str_eq(action_kind_name(a->kind), "update_tracking");
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_tracking_update_only_once)
{
	struct fx *f = shipped_order(NOW - 10 * HOUR, 1);
	struct plan_settings s = settings(0, 1);
	struct action_list al;

	set(&f->sh.fulfillments[0].tracking[0].number, TRACK_B);
	plan1(f, &s, PLAN_FULS, &al);
	assert_ful_failed(&al, "TRACKING_UPDATE_ONCE", RETRY_PERSON);
	ck_assert_ptr_nonnull(strstr(al.v[0].reason, TRACK_B));
	/* the record keeps what TikTok has */
	ck_assert_str_eq(al.v[0].ful->tracking_number, TRACK_A);
	ck_assert_str_eq(al.v[0].ful->tt_package_id, "1153000000000000001");
	sim_apply(&f, 1, &al);
	action_list_free(&al);

	/* not re-recorded on the next run */
	plan1(f, &s, PLAN_FULS, &al);
	ck_assert_uint_eq(al.n, 0);
	action_list_free(&al);
	/* and never shipped again as if new */
	f->selected = 1;
	plan1(f, &s, PLAN_FULS, &al);
	assert_ful_failed(&al, "TRACKING_UPDATE_ONCE", RETRY_PERSON);
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_tracking_update_after_72h)
{
	struct fx *f = shipped_order(NOW - 73 * HOUR, 0);
	struct plan_settings s = settings(0, 1);
	struct action_list al;
	char deadline[32];

	set(&f->sh.fulfillments[0].tracking[0].number, TRACK_B);
	plan1(f, &s, PLAN_FULS, &al);
	assert_ful_failed(&al, "TRACKING_UPDATE_WINDOW", RETRY_PERSON);
	ck_assert_int_eq(time_to_iso8601(NOW - HOUR, deadline), 0);
	ck_assert_msg(strstr(al.v[0].reason, deadline) != NULL,
		      "deadline %s not in: %s", deadline, al.v[0].reason);
	action_list_free(&al);

	/* at 71 h it would still go */
	fx_free(f);
	f = shipped_order(NOW - 71 * HOUR, 0);
	set(&f->sh.fulfillments[0].tracking[0].number, TRACK_B);
	plan1(f, &s, PLAN_FULS, &al);
	only(&al, ACT_UPDATE_SHIPPING);
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_tracking_update_bad_carrier)
{
	struct fx *f = shipped_order(NOW - 10 * HOUR, 0);
	struct plan_settings s = settings(0, 1);
	struct action_list al;

	set(&f->sh.fulfillments[0].tracking[0].company, "Pony Express");
	set(&f->sh.fulfillments[0].tracking[0].number, TRACK_B);
	plan1(f, &s, PLAN_FULS, &al);
	assert_ful_failed(&al, "CARRIER_NOT_INTEGRATED", RETRY_AFTER_FIX);
	/* the shipment itself is not lost: the record keeps its package */
	ck_assert_str_eq(al.v[0].ful->tt_package_id, "1153000000000000001");
	sim_apply(&f, 1, &al);
	action_list_free(&al);

	/* the merchant puts the original tracking back: synced again */
	set(&f->sh.fulfillments[0].tracking[0].company, "USPS");
	set(&f->sh.fulfillments[0].tracking[0].number, TRACK_A);
	plan1(f, &s, PLAN_FULS, &al);
	ck_assert_int_eq(only(&al, ACT_FUL_RECORD)->status, SYNC_SYNCED);
	ck_assert_ptr_null(al.v[0].reason_code);
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_tracking_change_landed_answer_lost)
{
	struct fx *f = shipped_order(NOW - 10 * HOUR, 0);
	struct plan_settings s = settings(0, 1);
	struct action_list al;
	const struct action *a;

	/* the change reached TikTok, the run died before recording it */
	set(&f->sh.fulfillments[0].tracking[0].number, TRACK_B);
	set(&f->tt.lines[0].tracking_number, TRACK_B);
	plan1(f, &s, PLAN_FULS, &al);
	a = only(&al, ACT_FUL_RECORD);
	ck_assert_int_eq(a->status, SYNC_SYNCED);
	ck_assert_str_eq(a->ful->tracking_number, TRACK_B);
	ck_assert_int_eq(a->ful->tracking_updates, 1);	/* TikTok counted it */
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_tracking_change_failed_attempt_not_counted)
{
	struct fx *f = shipped_order(NOW - 10 * HOUR, 0);
	struct plan_settings s = settings(0, 1);
	struct action_list al;
	const struct action *a;

	/* apply.c stored the attempted record (B, one change) with the
	 * failure; TikTok still shows A */
	set(&f->sh.fulfillments[0].tracking[0].number, TRACK_B);
	set(&f->fuls[0].tracking_number, TRACK_B);
	f->fuls[0].tracking_updates = 1;
	set(&f->fuls[0].reason_code, "NETWORK_ERROR");
	f->fuls[0].retry = RETRY_AUTO;
	plan1(f, &s, PLAN_FULS, &al);
	a = only(&al, ACT_UPDATE_SHIPPING);
	ck_assert_str_eq(a->tracking_number, TRACK_B);
	ck_assert_int_eq(a->ful->tracking_updates, 1);
	ck_assert_ptr_nonnull(strstr(a->reason, TRACK_A));
	action_list_free(&al);

	/* refused in a way that needs a person: left alone until selected */
	set(&f->fuls[0].reason_code, "TRACKING_UPDATE_DENIED");
	f->fuls[0].retry = RETRY_PERSON;
	plan1(f, &s, PLAN_FULS, &al);
	ck_assert_uint_eq(al.n, 0);
	action_list_free(&al);
	f->selected = 1;
	plan1(f, &s, PLAN_FULS, &al);
	only(&al, ACT_UPDATE_SHIPPING);
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_tracking_change_tiktok_read_lags)
{
	struct fx *f = shipped_order(NOW - 10 * HOUR, 0);
	struct plan_settings s = settings(0, 1);
	struct action_list al;

	/* the change succeeded and was recorded; TikTok's read still shows
	 * the old number: no second change, no failure */
	set(&f->sh.fulfillments[0].tracking[0].number, TRACK_B);
	set(&f->fuls[0].tracking_number, TRACK_B);
	f->fuls[0].tracking_updates = 1;
	plan1(f, &s, PLAN_FULS, &al);
	ck_assert_uint_eq(al.n, 0);
	action_list_free(&al);
	fx_free(f);
}
END_TEST

/* ---- fulfillments: TikTok shipping (pull) ------------------------------ */

static struct fx *tiktok_order(int units)
{
	struct fx *f = fx_new(1, NOW - 2 * 24 * HOUR, units);

	set(&f->tt.shipping_type, "TIKTOK");
	fx_link(f);
	return f;
}

START_TEST(test_pull_create_fulfillment)
{
	struct fx *f = tiktok_order(2);
	struct plan_settings s = settings(0, 1);
	struct action_list al;
	const struct action *a;

	fx_tt_ship(f, 1, "1153000000000000001", TRACK_A, "USPS", USPS_ID);
	fx_tt_ship(f, 2, "1153000000000000001", TRACK_A, "USPS", USPS_ID);
	fx_status(f, TT_AWAITING_COLLECTION);
	plan1(f, &s, PLAN_FULS, &al);
	a = only(&al, ACT_FULFILLMENT_CREATE);
	ck_assert_str_eq(a->ful_key, "pull:1153000000000000001");
	ck_assert_uint_eq(a->fulfillment->ngroups, 1);
	ck_assert_str_eq(a->fulfillment->groups[0].fulfillment_order_id,
			 "gid://shopify/FulfillmentOrder/1");
	ck_assert_str_eq(a->fulfillment->groups[0].lines[0].fo_line_id,
			 "gid://shopify/FulfillmentOrderLineItem/11");
	ck_assert_int_eq(a->fulfillment->groups[0].lines[0].quantity, 2);
	ck_assert_str_eq(a->fulfillment->number, TRACK_A);
	ck_assert_str_eq(a->fulfillment->company, "USPS");
	ck_assert_ptr_null(a->fulfillment->url);	/* Shopify knows USPS */
	ck_assert_int_eq(a->fulfillment->notify_customer, 0);
	ck_assert_int_eq(a->ful->dir, FUL_PULL);
	ck_assert_str_eq(a->ful->tt_package_id, "1153000000000000001");
	ck_assert_uint_eq(a->ful->ntt_line_ids, 2);
	action_list_free(&al);

	cfg.notify_customer = 1;
	plan1(f, &s, PLAN_FULS, &al);
	ck_assert_int_eq(only(&al, ACT_FULFILLMENT_CREATE)->fulfillment->notify_customer,
			 1);
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_pull_unknown_carrier_gets_url)
{
	struct fx *f = tiktok_order(1);
	struct plan_settings s = settings(0, 1);
	struct action_list al;
	const struct action *a;

	fx_tt_ship(f, 1, "1153000000000000001", "LP00512345678901",
		   "Cainiao US", CAINIAO_ID);
	plan1(f, &s, PLAN_FULS, &al);
	a = only(&al, ACT_FULFILLMENT_CREATE);
	/* the merchant's rule read in reverse */
	ck_assert_str_eq(a->fulfillment->company, "Other");
	ck_assert_ptr_nonnull(a->fulfillment->url);
	ck_assert_ptr_nonnull(strstr(a->fulfillment->url, "LP00512345678901"));
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_pull_two_packages)
{
	struct fx *f = tiktok_order(2);
	struct plan_settings s = settings(0, 1);
	struct action_list al;

	fx_tt_ship(f, 2, "1153000000000000002", TRACK_B, "USPS", USPS_ID);
	fx_tt_ship(f, 1, "1153000000000000001", TRACK_A, "USPS", USPS_ID);
	plan1(f, &s, PLAN_FULS, &al);
	ck_assert_uint_eq(al.n, 2);
	ck_assert_str_eq(al.v[0].ful_key, "pull:1153000000000000001");
	ck_assert_str_eq(al.v[0].tt_line_ids[0], f->tt.lines[0].id);
	ck_assert_int_eq(al.v[0].fulfillment->groups[0].lines[0].quantity, 1);
	ck_assert_str_eq(al.v[1].ful_key, "pull:1153000000000000002");
	ck_assert_int_eq(al.v[1].fulfillment->groups[0].lines[0].quantity, 1);
	action_list_free(&al);

	/* only one unit left open in Shopify: the second package cannot */
	f->sh.fos[0].lines[0].remaining_quantity = 1;
	plan1(f, &s, PLAN_FULS, &al);
	ck_assert_uint_eq(al.n, 2);
	ck_assert_int_eq(al.v[0].kind, ACT_FULFILLMENT_CREATE);
	ck_assert_int_eq(al.v[1].kind, ACT_FUL_RECORD);
	ck_assert_str_eq(al.v[1].reason_code, "FULFILLMENT_ORDER_CLOSED");
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_pull_crash_recovery)
{
	struct fx *f = tiktok_order(1);
	struct plan_settings s = settings(0, 1);
	struct action_list al;
	const struct action *a;

	/* fulfillmentCreate landed, its answer was lost */
	fx_tt_ship(f, 1, "1153000000000000001", TRACK_A, "USPS", USPS_ID);
	fx_fulfill(f, 44, "USPS", TRACK_A, 1);
	plan1(f, &s, PLAN_FULS, &al);
	a = only(&al, ACT_FUL_RECORD);
	ck_assert_int_eq(a->status, SYNC_SYNCED);
	ck_assert_str_eq(a->ful->sh_fulfillment_id, "gid://shopify/Fulfillment/44");
	ck_assert_str_eq(a->ful->tt_package_id, "1153000000000000001");
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_pull_auto_off)
{
	struct fx *f = tiktok_order(1);
	struct plan_settings s = settings(1, 0);
	struct action_list al;

	fx_tt_ship(f, 1, "1153000000000000001", TRACK_A, "USPS", USPS_ID);
	plan1(f, &s, PLAN_FULS, &al);
	ck_assert_int_eq(only(&al, ACT_FUL_RECORD)->status, SYNC_NOT_SYNCED);
	action_list_free(&al);
	fx_free(f);
}
END_TEST

/* ---- delivery status --------------------------------------------------- */

static struct fx *pulled_order(void)
{
	struct fx *f = tiktok_order(1);
	struct ful_rec r;
	char *ids[1];

	fx_tt_ship(f, 1, "1153000000000000001", TRACK_A, "USPS", USPS_ID);
	fx_fulfill(f, 44, "USPS", TRACK_A, 1);
	memset(&r, 0, sizeof(r));
	r.key = (char *)"pull:1153000000000000001";
	r.dir = FUL_PULL;
	r.tt_order_id = f->tt.id;
	r.sh_fulfillment_id = (char *)"gid://shopify/Fulfillment/44";
	r.tt_package_id = (char *)"1153000000000000001";
	r.tracking_number = (char *)TRACK_A;
	ids[0] = f->tt.lines[0].id;
	r.tt_line_ids = ids;
	r.ntt_line_ids = 1;
	r.status = SYNC_SYNCED;
	fx_put_ful(f, &r);
	return f;
}

START_TEST(test_event_in_transit_then_delivered)
{
	struct fx *f = pulled_order();
	struct plan_settings s = settings(0, 1);
	struct action_list al;
	const struct action *a;

	fx_status(f, TT_AWAITING_COLLECTION);
	plan1(f, &s, PLAN_FULS, &al);
	ck_assert_uint_eq(al.n, 0);
	action_list_free(&al);

	fx_status(f, TT_IN_TRANSIT);
	f->tt.collection_time = NOW - 3 * HOUR;
	plan1(f, &s, PLAN_FULS, &al);
	a = only(&al, ACT_FULFILLMENT_EVENT);
	ck_assert_str_eq(a->event_status, "IN_TRANSIT");
	ck_assert_int_eq(a->event_bit, FUL_EVENT_IN_TRANSIT);
	ck_assert_int_eq(a->happened_at, NOW - 3 * HOUR);
	ck_assert_str_eq(a->sh_fulfillment_id, "gid://shopify/Fulfillment/44");
	ck_assert_int_eq(a->ful->events_sent & FUL_EVENT_IN_TRANSIT,
			 FUL_EVENT_IN_TRANSIT);
	sim_apply(&f, 1, &al);
	action_list_free(&al);

	/* once */
	plan1(f, &s, PLAN_FULS, &al);
	ck_assert_uint_eq(al.n, 0);
	action_list_free(&al);

	fx_status(f, TT_DELIVERED);
	f->tt.delivery_time = NOW - HOUR;
	plan1(f, &s, PLAN_FULS, &al);
	a = only(&al, ACT_FULFILLMENT_EVENT);
	ck_assert_str_eq(a->event_status, "DELIVERED");
	ck_assert_int_eq(a->happened_at, NOW - HOUR);
	sim_apply(&f, 1, &al);
	action_list_free(&al);
	plan1(f, &s, PLAN_FULS, &al);
	ck_assert_uint_eq(al.n, 0);
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_event_delivered_by_line_status)
{
	struct fx *f = pulled_order();
	struct plan_settings s = settings(0, 1);
	struct action_list al;

	/* order still in transit overall, this package's unit delivered */
	f->tt.status = TT_IN_TRANSIT;
	set(&f->tt.lines[0].display_status, "DELIVERED");
	plan1(f, &s, PLAN_FULS, &al);
	ck_assert_str_eq(only(&al, ACT_FULFILLMENT_EVENT)->event_status,
			 "DELIVERED");
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_event_push_direction)
{
	struct fx *f = shipped_order(NOW - 30 * HOUR, 0);
	struct plan_settings s = settings(0, 1);
	struct action_list al;

	fx_status(f, TT_COMPLETED);
	plan1(f, &s, PLAN_FULS, &al);
	ck_assert_str_eq(only(&al, ACT_FULFILLMENT_EVENT)->event_status,
			 "DELIVERED");
	ck_assert_str_eq(al.v[0].sh_fulfillment_id, "gid://shopify/Fulfillment/5");
	ck_assert_str_eq(al.v[0].ful_key, "push:gid://shopify/Fulfillment/5");
	action_list_free(&al);
	fx_free(f);
}
END_TEST

START_TEST(test_event_shopify_already_shows)
{
	struct fx *f = pulled_order();
	struct plan_settings s = settings(0, 1);
	struct action_list al;
	const struct action *a;

	/* Shopify's own carrier tracking got there first */
	fx_status(f, TT_DELIVERED);
	set(&f->sh.fulfillments[0].display_status, "DELIVERED");
	plan1(f, &s, PLAN_FULS, &al);
	a = only(&al, ACT_FUL_RECORD);
	ck_assert_int_eq(a->status, SYNC_SYNCED);
	ck_assert_int_eq(a->ful->events_sent & FUL_EVENT_DELIVERED,
			 FUL_EVENT_DELIVERED);
	action_list_free(&al);
	fx_free(f);
}
END_TEST

/* ---- properties -------------------------------------------------------- */

START_TEST(test_second_plan_makes_no_remote_call)
{
	struct fx *v[7];
	struct plan_settings s = settings(1, 1);
	struct action_list al;
	size_t i, n = ARRAY_SIZE(v);

	/* 1: new, eligible: created */
	v[0] = fx_new(1, NOW - 9 * HOUR, 2);
	/* 2: new, on hold: skipped */
	v[1] = fx_new(2, NOW - 8 * HOUR, 1);
	fx_status(v[1], TT_ON_HOLD);
	/* 3: linked seller order with two partial Shopify fulfillments */
	v[2] = fx_new(3, NOW - 7 * HOUR, 2);
	fx_link(v[2]);
	fx_fulfill(v[2], 31, "USPS", TRACK_A, 1);
	fx_fulfill(v[2], 32, "Other", "LP00512345678901", 1);
	/* 4: linked TikTok-shipped order with a labelled package */
	v[3] = fx_new(4, NOW - 6 * HOUR, 1);
	set(&v[3]->tt.shipping_type, "TIKTOK");
	fx_link(v[3]);
	fx_tt_ship(v[3], 1, "1153000000000000004", TRACK_B, "USPS", USPS_ID);
	fx_status(v[3], TT_AWAITING_COLLECTION);
	/* 5: linked, cancelled on TikTok, nothing fulfilled */
	v[4] = fx_new(5, NOW - 5 * HOUR, 1);
	fx_link(v[4]);
	fx_status(v[4], TT_CANCELLED);
	/* 6: shipped earlier, tracking changed in Shopify, now in transit */
	v[5] = shipped_order(NOW - 10 * HOUR, 0);
	v[5]->n = 6;
	set(&v[5]->tt.id, "579000000000000006");
	set(&v[5]->rec.tt_id, "579000000000000006");
	set(&v[5]->fuls[0].tt_order_id, "579000000000000006");
	set(&v[5]->sh.fulfillments[0].tracking[0].number, TRACK_B);
	/* 7: delivered pull whose event is due */
	v[6] = pulled_order();
	v[6]->n = 7;
	set(&v[6]->tt.id, "579000000000000007");
	set(&v[6]->rec.tt_id, "579000000000000007");
	set(&v[6]->fuls[0].tt_order_id, "579000000000000007");
	fx_status(v[6], TT_DELIVERED);

	plan(v, n, &s, PLAN_BOTH, &al);
	ck_assert_uint_ge(count_remote(&al), 7);
	sim_apply(v, n, &al);
	action_list_free(&al);

	plan(v, n, &s, PLAN_BOTH, &al);
	for (i = 0; i < al.n; i++)
		ck_assert_msg(!is_remote(al.v[i].kind),
			      "second plan wants %s for %s",
			      action_kind_name(al.v[i].kind),
			      al.v[i].ful_key ? al.v[i].ful_key
					      : al.v[i].tt_order_id);
	action_list_free(&al);
	for (i = 0; i < n; i++)
		fx_free(v[i]);
}
END_TEST

START_TEST(test_follow_ups_converge)
{
	struct fx *f = tiktok_order(1);
	struct plan_settings s = settings(1, 1);
	struct action_list al;
	int round;

	/* a package delivered before we ever saw it: create, then event */
	fx_tt_ship(f, 1, "1153000000000000001", TRACK_A, "USPS", USPS_ID);
	fx_status(f, TT_DELIVERED);
	f->tt.delivery_time = NOW - HOUR;
	plan1(f, &s, PLAN_FULS, &al);
	only(&al, ACT_FULFILLMENT_CREATE);
	sim_apply(&f, 1, &al);
	action_list_free(&al);
	plan1(f, &s, PLAN_FULS, &al);
	ck_assert_str_eq(only(&al, ACT_FULFILLMENT_EVENT)->event_status,
			 "DELIVERED");
	sim_apply(&f, 1, &al);
	action_list_free(&al);
	for (round = 0; round < 2; round++) {
		plan1(f, &s, PLAN_BOTH, &al);
		ck_assert_uint_eq(count_remote(&al), 0);
		action_list_free(&al);
	}
	fx_free(f);
}
END_TEST

START_TEST(test_plan_skip_reason)
{
	struct fx *f = fx_new(1, NOW, 1);

	ck_assert_ptr_null(plan_skip_reason(&f->tt));
	fx_status(f, TT_COMPLETED);
	ck_assert_ptr_null(plan_skip_reason(&f->tt));
	fx_status(f, TT_UNPAID);
	ck_assert_str_eq(plan_skip_reason(&f->tt), "SKIP_UNPAID");
	fx_status(f, TT_ON_HOLD);
	ck_assert_str_eq(plan_skip_reason(&f->tt), "SKIP_ON_HOLD");
	fx_status(f, TT_CANCELLED);
	ck_assert_str_eq(plan_skip_reason(&f->tt), "SKIP_CANCELLED_BEFORE_SYNC");
	set(&f->tt.fulfillment_type, "FULFILLMENT_BY_TIKTOK");
	ck_assert_str_eq(plan_skip_reason(&f->tt), "SKIP_FBT");
	fx_free(f);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("plan");
	TCase *o = tcase_create("orders");
	TCase *fp = tcase_create("fulfillments");
	TCase *p = tcase_create("properties");

	tcase_add_checked_fixture(o, setup, NULL);
	tcase_add_test(o, test_skip_fbt);
	tcase_add_test(o, test_skip_unpaid);
	tcase_add_test(o, test_skip_on_hold);
	tcase_add_test(o, test_skip_cancelled_before_sync);
	tcase_add_test(o, test_cancel_request_pending_holds);
	tcase_add_test(o, test_create_when_automatic);
	tcase_add_test(o, test_map_failure_recorded);
	tcase_add_test(o, test_retry_auto_every_run);
	tcase_add_test(o, test_person_failure_waits_for_selection);
	tcase_add_test(o, test_auto_off_leaves_not_synced);
	tcase_add_test(o, test_auto_off_keeps_failure);
	tcase_add_test(o, test_intent_open_resumes);
	tcase_add_test(o, test_orders_disabled);
	tcase_add_test(o, test_unknown_status_skipped);
	tcase_add_test(o, test_orders_sorted);
	tcase_add_test(o, test_linked_cancel_in_shopify);
	tcase_add_test(o, test_linked_already_cancelled_in_shopify);
	tcase_add_test(o, test_linked_cancelled_after_fulfillment);
	tcase_add_test(o, test_linked_cancel_report_only);
	tcase_add_test(o, test_line_cancelled_reported_once);
	tcase_add_test(o, test_line_cancelled_before_creation_silent);
	tcase_add_test(o, test_plan_skip_reason);
	suite_add_tcase(s, o);

	tcase_add_checked_fixture(fp, setup, NULL);
	tcase_add_test(fp, test_push_ship_package);
	tcase_add_test(fp, test_push_two_partial_fulfillments);
	tcase_add_test(fp, test_push_order_cancelled);
	tcase_add_test(fp, test_push_cancel_request_pending);
	tcase_add_test(fp, test_push_tracking_missing);
	tcase_add_test(fp, test_push_providers_unavailable);
	tcase_add_test(fp, test_push_carrier_not_integrated);
	tcase_add_test(fp, test_push_tracking_format_invalid);
	tcase_add_test(fp, test_push_units_unmapped);
	tcase_add_test(fp, test_push_crash_recovery_synced);
	tcase_add_test(fp, test_push_shipped_other_tracking);
	tcase_add_test(fp, test_push_auto_off);
	tcase_add_test(fp, test_no_fulfillment_for_unpaid_or_hold);
	tcase_add_test(fp, test_tracking_update_within_window);
	tcase_add_test(fp, test_tracking_update_only_once);
	tcase_add_test(fp, test_tracking_update_after_72h);
	tcase_add_test(fp, test_tracking_update_bad_carrier);
	tcase_add_test(fp, test_tracking_change_landed_answer_lost);
	tcase_add_test(fp, test_tracking_change_failed_attempt_not_counted);
	tcase_add_test(fp, test_tracking_change_tiktok_read_lags);
	tcase_add_test(fp, test_pull_create_fulfillment);
	tcase_add_test(fp, test_pull_unknown_carrier_gets_url);
	tcase_add_test(fp, test_pull_two_packages);
	tcase_add_test(fp, test_pull_crash_recovery);
	tcase_add_test(fp, test_pull_auto_off);
	tcase_add_test(fp, test_event_in_transit_then_delivered);
	tcase_add_test(fp, test_event_delivered_by_line_status);
	tcase_add_test(fp, test_event_push_direction);
	tcase_add_test(fp, test_event_shopify_already_shows);
	suite_add_tcase(s, fp);

	tcase_add_checked_fixture(p, setup, NULL);
	tcase_add_test(p, test_second_plan_makes_no_remote_call);
	tcase_add_test(p, test_follow_ups_converge);
	suite_add_tcase(s, p);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
