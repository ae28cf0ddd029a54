/*
 * tiktok_emu_ship.c - the TikTok emulator's fulfillment side: packages,
 * Mark Package As Shipped (US in-shipping split, provider and tracking
 * checks, the "already shipped" family, the US warning), the two
 * shipping-info updates (once, within 72 h by the emulator clock), Get
 * Package Detail, Get Tracking, the order state machine (AWAITING_SHIPMENT
 * -> PARTIALLY_SHIPPING / AWAITING_COLLECTION -> IN_TRANSIT -> DELIVERED ->
 * COMPLETED, and CANCELLED), the platform events of /_emu/event and the
 * /_emu/state dump. Owns the package records it creates.
 */
#include "tiktok_emu.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRACKING_MAX 64		/* longer tracking numbers are refused */
#define PKG_ID_PREFIX "1153"	/* package ids: 19 digits */

/* ---- order and line helpers ---------------------------------------------------- */

static json_t *line_get(const struct tte_order *ord, const char *line_id)
{
	json_t *lines = json_object_get(ord->o, "line_items"), *l;
	size_t i;

	json_array_foreach(lines, i, l)
		if (strcmp(tte_jstr(l, "id"), line_id) == 0)
			return l;
	return NULL;
}

static int line_cancelled(const json_t *l)
{
	return strcmp(tte_jstr(l, "display_status"), "CANCELLED") == 0;
}

static int line_shipped(const json_t *l)
{
	return tte_jstr(l, "package_id")[0] != '\0';
}

static void set_str(json_t *o, const char *key, const char *v)
{
	json_object_set_new(o, key, json_string(v ? v : ""));
}

static void set_int(json_t *o, const char *key, int64_t v)
{
	json_object_set_new(o, key, json_integer((json_int_t)v));
}

static void history_add(struct tte_order *ord, int64_t when, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void history_add(struct tte_order *ord, int64_t when, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(buf, sizeof(buf), fmt, ap) < 0)
		buf[0] = '\0';
	va_end(ap);
	json_array_append_new(ord->history, json_pack("{s:I,s:s}", "time", (json_int_t)when,
						      "description", buf));
}

static int pkg_stage(const char *status)
{
	if (strcmp(status, "PROCESSING") == 0)
		return 1;
	if (strcmp(status, "FULFILLING") == 0)
		return 2;
	if (strcmp(status, "COMPLETED") == 0)
		return 3;
	return 0;
}

/* Move the order (and each line's display status) to where its packages
 * say it is. Any change of status sets update_time to the clock. */
static void derive(struct tte *t, struct tte_order *ord)
{
	int64_t now = tte_now(t);
	json_t *lines = json_object_get(ord->o, "line_items"), *l;
	const char *st = ord->status;
	size_t i, active = 0, shipped = 0;
	int min_stage = 3, changed = 0;
	char next[32];

	json_array_foreach(lines, i, l) {
		struct tte_package *p;
		const char *want;

		if (line_cancelled(l))
			continue;
		active++;
		p = line_shipped(l) ? tte_package_get(t, tte_jstr(l, "package_id")) : NULL;
		if (p != NULL && pkg_stage(p->status) == 0)
			p = NULL;	/* a cancelled package ships nothing */
		if (p != NULL) {
			int stg = pkg_stage(p->status);

			shipped++;
			if (stg < min_stage)
				min_stage = stg;
			want = stg == 1 ? "AWAITING_COLLECTION" : stg == 2 ? "IN_TRANSIT" :
			       strcmp(st, "COMPLETED") == 0 ? "COMPLETED" : "DELIVERED";
			if (strcmp(tte_jstr(l, "package_status"), p->status) != 0)
				set_str(l, "package_status", p->status);
		} else {
			want = strcmp(st, "UNPAID") == 0 ? "UNPAID" : "AWAITING_SHIPMENT";
		}
		if (strcmp(tte_jstr(l, "display_status"), want) != 0) {
			set_str(l, "display_status", want);
			changed = 1;
		}
	}
	snprintf(next, sizeof(next), "%s", st);
	if (active == 0)
		snprintf(next, sizeof(next), "CANCELLED");
	else if (strcmp(st, "UNPAID") == 0 || strcmp(st, "ON_HOLD") == 0 ||
		 strcmp(st, "COMPLETED") == 0)
		;	/* not moved by packages */
	else if (shipped == 0)
		snprintf(next, sizeof(next), "AWAITING_SHIPMENT");
	else if (shipped < active)
		snprintf(next, sizeof(next), "PARTIALLY_SHIPPING");
	else
		snprintf(next, sizeof(next), "%s", min_stage <= 1 ? "AWAITING_COLLECTION" :
			 min_stage == 2 ? "IN_TRANSIT" : "DELIVERED");
	if (strcmp(next, st) != 0) {
		set_str(ord->o, "status", next);
		changed = 1;
		if (strcmp(next, "IN_TRANSIT") == 0)
			set_int(ord->o, "collection_time", now);
		else if (strcmp(next, "DELIVERED") == 0)
			set_int(ord->o, "delivery_time", now);
		else if (strcmp(next, "CANCELLED") == 0)
			set_int(ord->o, "cancel_time", now);
	}
	if (changed)
		set_int(ord->o, "update_time", now);
	tte_order_sync(ord);
}

/* Every status change goes through here (events that move the order
 * themselves: payment, hold, completion, cancellation). */
static void set_status(struct tte *t, struct tte_order *ord, const char *status)
{
	if (strcmp(ord->status, status) == 0)
		return;
	set_str(ord->o, "status", status);
	set_int(ord->o, "update_time", tte_now(t));
	tte_order_sync(ord);
}

/* ---- packages -------------------------------------------------------------------- */

static struct tte_package *pkg_register(struct tte *t, const char *id)
{
	struct tte_package *p = calloc(1, sizeof(*p));

	if (p == NULL)
		abort();
	p->id = tte_xstrdup(id);
	p->line_ids = json_array();
	if (t->npackages == t->cap_packages) {
		t->cap_packages = t->cap_packages ? t->cap_packages * 2 : 64;
		t->packages = tte_xrealloc(t->packages, t->cap_packages * sizeof(*t->packages));
	}
	json_object_set_new(t->package_index, p->id, json_integer((json_int_t)t->npackages));
	t->packages[t->npackages++] = p;
	return p;
}

static void pkg_set_tracking(struct tte_package *p, const char *tracking,
			     const struct tte_provider *prov)
{
	free(p->tracking);
	free(p->provider_id);
	free(p->provider_name);
	p->tracking = tte_xstrdup(tracking);
	p->provider_id = tte_xstrdup(prov ? prov->id : "");
	p->provider_name = tte_xstrdup(prov ? prov->name : "");
}

/* Write the package's tracking onto its lines and the order. */
static void pkg_to_order(struct tte_order *ord, const struct tte_package *p)
{
	json_t *v;
	size_t i;

	json_array_foreach(p->line_ids, i, v) {
		json_t *l = line_get(ord, json_string_value(v));

		if (l == NULL)
			continue;
		set_str(l, "package_id", p->id);
		set_str(l, "tracking_number", p->tracking);
		set_str(l, "shipping_provider_id", p->provider_id);
		set_str(l, "shipping_provider_name", p->provider_name);
		set_str(l, "package_status", p->status);
		set_int(l, "rts_time", p->shipped_time);
	}
	set_str(ord->o, "tracking_number", p->tracking);
	set_str(ord->o, "shipping_provider", p->provider_name);
	set_str(ord->o, "shipping_provider_id", p->provider_id);
}

/* A new package of ord with these lines, shipped now. */
static struct tte_package *pkg_create(struct tte *t, struct tte_order *ord, json_t *line_ids,
				      const char *tracking, const struct tte_provider *prov,
				      const char *shipping_type)
{
	char id[32];
	struct tte_package *p;
	json_t *pkgs = json_object_get(ord->o, "packages");
	int64_t now = tte_now(t);

	do
		snprintf(id, sizeof(id), PKG_ID_PREFIX "%015llu", ++t->pkg_seq);
	while (tte_package_get(t, id) != NULL);
	p = pkg_register(t, id);
	p->order_id = tte_xstrdup(ord->id);
	p->shop = tte_xstrdup(ord->shop);
	json_array_extend(p->line_ids, line_ids);
	pkg_set_tracking(p, tracking, prov);
	snprintf(p->status, sizeof(p->status), "PROCESSING");
	snprintf(p->shipping_type, sizeof(p->shipping_type), "%s", shipping_type);
	p->create_time = p->update_time = p->shipped_time = now;
	json_array_append_new(pkgs, json_pack("{s:s}", "id", p->id));
	pkg_to_order(ord, p);
	if (!json_is_integer(json_object_get(ord->o, "rts_time")) ||
	    json_integer_value(json_object_get(ord->o, "rts_time")) == 0)
		set_int(ord->o, "rts_time", now);
	history_add(ord, now, "The package has been shipped by %s, tracking number %s",
		    p->provider_name[0] ? p->provider_name : "the seller", p->tracking);
	return p;
}

void tte_packages_from_fixture(struct tte *t, struct tte_order *ord)
{
	json_t *lines = json_object_get(ord->o, "line_items"), *l, *pkgs;
	const char *st = ord->status;
	size_t i, k;

	json_array_foreach(lines, i, l) {
		const char *pid = tte_jstr(l, "package_id");
		struct tte_package *p;
		json_t *x;
		int64_t shipped;
		int found = 0;

		if (*pid == '\0')
			continue;
		p = tte_package_get(t, pid);
		if (p != NULL) {
			if (strcmp(p->order_id, ord->id) == 0)
				json_array_append_new(p->line_ids, json_string(tte_jstr(l, "id")));
			continue;	/* a package spanning orders is not modelled */
		}
		p = pkg_register(t, pid);
		p->order_id = tte_xstrdup(ord->id);
		p->shop = tte_xstrdup(ord->shop);
		json_array_append_new(p->line_ids, json_string(tte_jstr(l, "id")));
		p->tracking = tte_xstrdup(tte_jstr(l, "tracking_number")[0] ?
					  tte_jstr(l, "tracking_number") :
					  tte_jstr(ord->o, "tracking_number"));
		p->provider_id = tte_xstrdup(tte_jstr(l, "shipping_provider_id")[0] ?
					     tte_jstr(l, "shipping_provider_id") :
					     tte_jstr(ord->o, "shipping_provider_id"));
		p->provider_name = tte_xstrdup(tte_jstr(l, "shipping_provider_name")[0] ?
					       tte_jstr(l, "shipping_provider_name") :
					       tte_jstr(ord->o, "shipping_provider"));
		if (pkg_stage(tte_jstr(l, "package_status")) > 0 ||
		    strcmp(tte_jstr(l, "package_status"), "CANCELLED") == 0)
			snprintf(p->status, sizeof(p->status), "%s", tte_jstr(l, "package_status"));
		else
			snprintf(p->status, sizeof(p->status), "%s",
				 strcmp(st, "IN_TRANSIT") == 0 ? "FULFILLING" :
				 strcmp(st, "DELIVERED") == 0 || strcmp(st, "COMPLETED") == 0 ?
				 "COMPLETED" : strcmp(st, "CANCELLED") == 0 ? "CANCELLED" :
				 "PROCESSING");
		snprintf(p->shipping_type, sizeof(p->shipping_type), "%s", ord->shipping_type);
		shipped = json_integer_value(json_object_get(l, "rts_time"));
		if (shipped == 0)
			shipped = json_integer_value(json_object_get(ord->o, "rts_time"));
		if (shipped == 0)
			shipped = ord->update_time;
		p->create_time = p->update_time = p->shipped_time = shipped;
		pkgs = json_object_get(ord->o, "packages");
		json_array_foreach(pkgs, k, x)
			if (strcmp(tte_jstr(x, "id"), pid) == 0)
				found = 1;
		if (!found)
			json_array_append_new(pkgs, json_pack("{s:s}", "id", pid));
		history_add(ord, shipped, "The package has been shipped by %s, tracking number %s",
			    p->provider_name[0] ? p->provider_name : "the seller", p->tracking);
		if (pkg_stage(p->status) >= 2) {
			int64_t ct = json_integer_value(json_object_get(ord->o, "collection_time"));

			history_add(ord, ct ? ct : shipped, "The package has been picked up by the carrier");
		}
		if (pkg_stage(p->status) == 3) {
			int64_t dt = json_integer_value(json_object_get(ord->o, "delivery_time"));

			history_add(ord, dt ? dt : shipped, "The package has been delivered");
		}
	}
}

/* ---- tracking number checks ---------------------------------------------------------- */

static int option_has_provider(struct tte *t, const struct tte_order *ord, const char *pid)
{
	struct tte_option *opt = tte_option_get(t, tte_jstr(ord->o, "delivery_option_id"));
	json_t *v;
	size_t i;

	if (opt == NULL)
		return 0;
	json_array_foreach(opt->provider_ids, i, v)
		if (strcmp(json_string_value(v), pid) == 0)
			return 1;
	return 0;
}

static int tracking_fits(const struct tte_provider *p, const char *s)
{
	return p->has_re && regexec(&p->re, s, 0, NULL, 0) == 0;
}

/* Validate tracking for prov. Returns 0 (and maybe a malloc'ed *warning)
 * or a TikTok error code with *msg. mismatch_code: the code for "fits
 * another provider's format". */
static long check_tracking(struct tte *t, const struct tte_provider *prov,
			   const char *tracking, long mismatch_code,
			   const char **msg, char **warning)
{
	const struct tte_provider *other = NULL;
	const char *s;
	size_t i;

	*warning = NULL;
	if (strlen(tracking) > TRACKING_MAX) {
		*msg = "Invalid tracking number or provider ID. Please double check and try again.";
		return 21011022;
	}
	for (s = tracking; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= 'a' && *s <= 'z') || *s == '-')) {
			*msg = "Tracking number has special characters, verify failed.";
			return 21004012;
		}
	for (i = 0; i < t->nproviders; i++)
		if (&t->providers[i] != prov && tracking_fits(&t->providers[i], tracking)) {
			other = &t->providers[i];
			break;
		}
	if (prov->has_re && !tracking_fits(prov, tracking)) {
		if (other != NULL) {
			*msg = mismatch_code == 21004015 ? "Tracking number mismatch provider." :
			       "Invalid tracking number or provider ID. Please double check and try again.";
			return mismatch_code;
		}
		*msg = "Invalid tracking number or provider ID. Please double check and try again.";
		return 21011022;
	}
	if (other != NULL)
		*warning = tte_asprintf("The tracking number also matches the format of %s. "
					"Please make sure the shipping provider %s is correct.",
					other->name, prov->name);
	return 0;
}

/* One tracking number: at most TTE_CONSOLIDATE_MAX orders, one recipient. */
static long check_reuse(struct tte *t, const struct tte_order *ord, const char *tracking,
			const struct tte_package *except, const char **msg)
{
	json_t *mine = json_object_get(ord->o, "recipient_address"), *orders = json_object();
	long ret = 0;
	size_t i;

	for (i = 0; i < t->npackages; i++) {
		const struct tte_package *p = t->packages[i];
		struct tte_order *o;
		json_t *theirs;

		if (p == except || strcmp(p->tracking, tracking) != 0 ||
		    strcmp(p->order_id, ord->id) == 0)
			continue;
		o = tte_order_get(t, p->order_id);
		theirs = o ? json_object_get(o->o, "recipient_address") : NULL;
		if (strcmp(tte_jstr(mine, "name"), tte_jstr(theirs, "name")) != 0 ||
		    strcmp(tte_jstr(mine, "full_address"), tte_jstr(theirs, "full_address")) != 0) {
			*msg = "Duplicate tracking number.";
			ret = 21011025;
			break;
		}
		json_object_set_new(orders, p->order_id, json_true());
	}
	if (ret == 0 && json_object_size(orders) + 1 > TTE_CONSOLIDATE_MAX) {
		*msg = "fulfillment tracking no used times over limit";
		ret = 21011026;
	}
	json_decref(orders);
	return ret;
}

/* ---- Mark Package As Shipped ------------------------------------------------------------- */

static struct tte_order *order_of_call(struct tte *t, const struct tte_call *c)
{
	struct tte_order *ord = tte_order_get(t, c->id);

	return ord && strcmp(ord->shop, c->shop) == 0 ? ord : NULL;
}

/* tracking_number and shipping_provider_id: required non-empty strings. */
static int body_pair(struct tte *t, const struct tte_call *c, struct emu_response *rs,
		     const char **tracking, const char **provider)
{
	json_t *tn = json_object_get(c->body, "tracking_number");
	json_t *sp = json_object_get(c->body, "shipping_provider_id");

	if (c->body == NULL) {
		tte_err(t, rs, 400, 21001001, "Invalid parameters. The request body is required.");
		return -1;
	}
	if (!json_is_string(tn) || json_string_length(tn) == 0) {
		tte_err(t, rs, 400, 21001001,
			"Invalid parameters. tracking_number is required and must be a string.");
		return -1;
	}
	if (!json_is_string(sp) || json_string_length(sp) == 0) {
		tte_err(t, rs, 400, 21001001,
			"Invalid parameters. shipping_provider_id is required and must be a string.");
		return -1;
	}
	*tracking = json_string_value(tn);
	*provider = json_string_value(sp);
	return 0;
}

void tte_ship(struct tte *t, const struct tte_call *c, struct emu_response *rs)
{
	struct tte_order *ord;
	struct tte_provider *prov;
	struct tte_package *p;
	const char *tracking, *provider, *msg = NULL, *st;
	json_t *ids = json_object_get(c->body, "order_line_item_ids"), *want = NULL, *v, *l;
	json_t *lines, *seen = NULL, *data;
	char *warning = NULL;
	size_t i, shipped = 0;
	long code;

	if (body_pair(t, c, rs, &tracking, &provider) != 0)
		return;
	if (ids != NULL && !json_is_null(ids)) {
		if (!json_is_array(ids) || json_array_size(ids) == 0) {
			tte_err(t, rs, 400, 21001001, "Invalid parameters. order_line_item_ids "
				"must be a non-empty array of strings.");
			return;
		}
		json_array_foreach(ids, i, v)
			if (!json_is_string(v)) {
				tte_err(t, rs, 400, 21001001, "Invalid parameters. order_line_item_ids "
					"must contain strings.");
				return;
			}
	}
	ord = order_of_call(t, c);
	if (ord == NULL) {
		tte_err(t, rs, 200, 21008111,
			"The order or package does not belong to the current seller.");
		return;
	}
	st = ord->status;
	if (strcmp(tte_jstr(ord->o, "fulfillment_type"), "FULFILLMENT_BY_TIKTOK") == 0) {
		tte_err(t, rs, 200, 21008025,
			"Seller cannot operate orders which are fulfilled by platform");
		return;
	}
	if (strcmp(ord->shipping_type, "TIKTOK") == 0) {
		tte_err(t, rs, 200, 21011004, "This API cannot be used to update package shipping "
			"information for packages that are not shipped by sellers.");
		return;
	}
	if (strcmp(st, "CANCELLED") == 0) {
		tte_err(t, rs, 200, 21011041, "Cannot complete the operation when order is cancelled.");
		return;
	}
	if (strcmp(st, "UNPAID") == 0 || strcmp(st, "ON_HOLD") == 0) {
		tte_err(t, rs, 200, 21042057, "These orders are not in the Awaiting shipment "
			"status. Couldn't create labels for them.");
		return;
	}
	if (strcmp(st, "AWAITING_SHIPMENT") != 0 && strcmp(st, "PARTIALLY_SHIPPING") != 0) {
		tte_err(t, rs, 200, 21011006, "These orders are already shipped.");
		return;
	}
	if (json_is_true(json_object_get(ord->o, "is_buyer_request_cancel"))) {
		tte_err(t, rs, 200, 21011007, "Package item has after-sale request, please "
			"process the after-sale request first.");
		return;
	}

	/* Which units: the given line items, or (unambiguously) all of them. */
	lines = json_object_get(ord->o, "line_items");
	json_array_foreach(lines, i, l)
		if (line_shipped(l) && !line_cancelled(l))
			shipped++;
	want = json_array();
	if (ids == NULL || json_is_null(ids)) {
		if (shipped > 0) {
			tte_err(t, rs, 200, 21011048, "There are multiple packages that can be "
				"shipped, please specify the order line that needs to be shipped.");
			goto cleanup;
		}
		json_array_foreach(lines, i, l)
			if (!line_cancelled(l))
				json_array_append_new(want, json_string(tte_jstr(l, "id")));
	} else {
		seen = json_object();
		json_array_foreach(ids, i, v) {
			const char *lid = json_string_value(v);

			l = line_get(ord, lid);
			if (l == NULL || json_object_get(seen, lid) != NULL) {
				tte_err(t, rs, 400, 21001001, "Invalid parameters. order_line_item_ids: "
					"%s is not a line item of order %s, or is listed twice.",
					lid, ord->id);
				goto cleanup;
			}
			json_object_set_new(seen, lid, json_true());
			if (line_cancelled(l)) {
				tte_err(t, rs, 200, 21011041,
					"Cannot complete the operation when order is cancelled.");
				goto cleanup;
			}
			if (line_shipped(l)) {
				tte_err(t, rs, 200, 21011020, "These orders are already shipped.");
				goto cleanup;
			}
			json_array_append(want, v);
		}
	}

	prov = tte_provider_get(t, provider);
	if (prov == NULL || !option_has_provider(t, ord, provider)) {
		tte_err(t, rs, 200, 21011022, "Invalid tracking number or provider ID. Please "
			"double check and try again.");
		goto cleanup;
	}
	code = check_tracking(t, prov, tracking, 21004015, &msg, &warning);
	if (code == 0)
		code = check_reuse(t, ord, tracking, NULL, &msg);
	if (code != 0) {
		tte_err(t, rs, 200, code, "%s", msg);
		goto cleanup;
	}

	p = pkg_create(t, ord, want, tracking, prov, "SELLER");
	derive(t, ord);
	if (t->emu)
		emu_mark_executed(t->emu);
	data = json_pack("{s:s,s:O,s:s}", "order_id", ord->id, "order_line_item_ids",
			 p->line_ids, "package_id", p->id);
	if (warning)
		json_object_set_new(data, "warning", json_pack("{s:s}", "message", warning));
	tte_ok(t, rs, data);
cleanup:
	free(warning);
	json_decref(want);
	json_decref(seen);
}

/* ---- Update shipping info (order and package level) ------------------------------------------- */

static void update_package(struct tte *t, const struct tte_call *c, struct emu_response *rs,
			   struct tte_order *ord, struct tte_package *p,
			   const char *tracking, const char *provider)
{
	struct tte_provider *prov;
	const char *msg = NULL;
	char *warning = NULL;
	int64_t now = tte_now(t);
	long code;

	if (strcmp(p->shipping_type, "TIKTOK") == 0 ||
	    strcmp(tte_jstr(ord->o, "fulfillment_type"), "FULFILLMENT_BY_TIKTOK") == 0) {
		tte_err(t, rs, 200, 21011004, "This API cannot be used to update package shipping "
			"information for packages that are not shipped by sellers.");
		return;
	}
	if (strcmp(ord->status, "CANCELLED") == 0 || strcmp(p->status, "CANCELLED") == 0) {
		tte_err(t, rs, 200, 21011042, "Cannot complete the operation when order is cancelled.");
		return;
	}
	if (pkg_stage(p->status) == 3) {
		tte_err(t, rs, 200, 21011030, "Package has already been delivered. If you would "
			"still like to update the tracking number, please contact the platform for "
			"assistance.");
		return;
	}
	if (json_is_true(json_object_get(ord->o, "is_buyer_request_cancel"))) {
		tte_err(t, rs, 200, 21011007, "Package item has after-sale request, please "
			"process the after-sale request first.");
		return;
	}
	if (p->updates >= 1) {
		tte_err(t, rs, 200, 21011051, "The tracking number can only be updated once.");
		return;
	}
	if (now > p->shipped_time + TTE_UPDATE_WINDOW) {
		tte_err(t, rs, 200, 21011049, "Due to platform rule limitations, you are unable "
			"to update the tracking number.");
		return;
	}
	prov = tte_provider_get(t, provider);
	if (prov == NULL || !option_has_provider(t, ord, provider)) {
		tte_err(t, rs, 200, 21011022, "Invalid tracking number or provider ID. Please "
			"double check and try again.");
		return;
	}
	code = check_tracking(t, prov, tracking, 21011022, &msg, &warning);
	free(warning);
	if (code == 0)
		code = check_reuse(t, ord, tracking, p, &msg);
	if (code != 0) {
		tte_err(t, rs, 200, code, "%s", msg);
		return;
	}
	pkg_set_tracking(p, tracking, prov);
	p->updates++;
	p->update_time = now;
	pkg_to_order(ord, p);
	history_add(ord, now, "The tracking information was updated: %s, tracking number %s",
		    prov->name, tracking);
	if (t->emu)
		emu_mark_executed(t->emu);
	tte_ok(t, rs, json_object());
}

void tte_update_order_shipping(struct tte *t, const struct tte_call *c,
			       struct emu_response *rs)
{
	struct tte_order *ord;
	struct tte_package *only = NULL;
	const char *tracking, *provider;
	json_t *pkgs, *v;
	size_t i, n = 0;

	if (body_pair(t, c, rs, &tracking, &provider) != 0)
		return;
	ord = order_of_call(t, c);
	if (ord == NULL) {
		tte_err(t, rs, 200, 21008111,
			"The order or package does not belong to the current seller.");
		return;
	}
	if (strcmp(ord->status, "CANCELLED") == 0) {
		tte_err(t, rs, 200, 21011041, "Cannot complete the operation when order is cancelled.");
		return;
	}
	pkgs = json_object_get(ord->o, "packages");
	json_array_foreach(pkgs, i, v) {
		struct tte_package *p = tte_package_get(t, tte_jstr(v, "id"));

		if (p != NULL && strcmp(p->status, "CANCELLED") != 0) {
			only = p;
			n++;
		}
	}
	if (n == 0) {
		tte_err(t, rs, 200, 21011043, "The package has not been shipped yet.");
		return;
	}
	if (n > 1) {
		tte_err(t, rs, 200, 10007002, "You cannot update the shipping information due to "
			"the order's current status, please try again later.");
		return;
	}
	update_package(t, c, rs, ord, only, tracking, provider);
}

void tte_update_package_shipping(struct tte *t, const struct tte_call *c,
				 struct emu_response *rs)
{
	struct tte_package *p;
	struct tte_order *ord;
	const char *tracking, *provider;

	if (body_pair(t, c, rs, &tracking, &provider) != 0)
		return;
	p = tte_package_get(t, c->id);
	ord = p ? tte_order_get(t, p->order_id) : NULL;
	if (p == NULL || ord == NULL || strcmp(p->shop, c->shop) != 0) {
		tte_err(t, rs, 200, 21011028, "The package does not belong to the current shop.");
		return;
	}
	update_package(t, c, rs, ord, p, tracking, provider);
}

/* ---- Get Package Detail, Get Tracking ------------------------------------------------------------ */

static const char *const address_fields[] = {
	"full_address", "phone_number", "name", "postal_code", "address_detail",
	"region_code", "address_line1", "address_line2", "address_line3", "address_line4",
};

void tte_get_package(struct tte *t, const struct tte_call *c, struct emu_response *rs)
{
	struct tte_package *p = tte_package_get(t, c->id);
	struct tte_order *ord = p ? tte_order_get(t, p->order_id) : NULL;
	json_t *data, *skus, *bysku, *v, *addr, *ra;
	size_t i, npk = 0;
	const char *k;

	if (p == NULL || ord == NULL || strcmp(p->shop, c->shop) != 0) {
		tte_err(t, rs, 200, 21008111,
			"The order or package does not belong to the current seller.");
		return;
	}
	/* skus: the package's units grouped by SKU (deprecated, still served). */
	bysku = json_object();
	json_array_foreach(p->line_ids, i, v) {
		json_t *l = line_get(ord, json_string_value(v)), *e;
		const char *sku = tte_jstr(l, "sku_id");

		e = json_object_get(bysku, sku);
		if (e == NULL) {
			e = json_pack("{s:s,s:s,s:s,s:i}", "id", sku, "name", tte_jstr(l, "sku_name"),
				      "image_url", tte_jstr(l, "sku_image"), "quantity", 0);
			json_object_set_new(bysku, sku, e);
		}
		json_object_set_new(e, "quantity",
				    json_integer(json_integer_value(json_object_get(e, "quantity")) + 1));
	}
	skus = json_array();
	json_object_foreach(bysku, k, v)
		json_array_append(skus, v);
	json_array_foreach(json_object_get(ord->o, "packages"), i, v)
		npk++;
	ra = json_object_get(ord->o, "recipient_address");
	addr = json_object();
	for (i = 0; i < sizeof(address_fields) / sizeof(address_fields[0]); i++)
		if (json_is_string(json_object_get(ra, address_fields[i])))
			json_object_set(addr, address_fields[i], json_object_get(ra, address_fields[i]));
	data = json_pack("{s:s,s:[{s:s,s:o}],s:s,s:s,s:b,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:O,s:o}",
			 "package_id", p->id,
			 "orders", "id", ord->id, "skus", skus,
			 "package_status", p->status,
			 "split_and_combine_tag", npk > 1 ? "SPLIT" : "DEFAULT",
			 "has_multi_skus", json_object_size(bysku) > 1,
			 "shipping_provider_name", p->provider_name,
			 "shipping_provider_id", p->provider_id,
			 "shipping_type", p->shipping_type,
			 "delivery_option_name", tte_jstr(ord->o, "delivery_option_name"),
			 "delivery_option_id", tte_jstr(ord->o, "delivery_option_id"),
			 "tracking_number", p->tracking,
			 "create_time", (json_int_t)p->create_time,
			 "update_time", (json_int_t)p->update_time,
			 "order_line_item_ids", p->line_ids,
			 "recipient_address", addr);
	json_decref(bysku);
	tte_ok(t, rs, data);
}

void tte_get_tracking(struct tte *t, const struct tte_call *c, struct emu_response *rs)
{
	struct tte_order *ord = order_of_call(t, c);
	json_t *list, *v;
	size_t i;

	if (ord == NULL) {
		tte_err(t, rs, 200, 21008111,
			"The order or package does not belong to the current seller.");
		return;
	}
	list = json_array();
	/* newest first */
	for (i = json_array_size(ord->history); i-- > 0;) {
		v = json_array_get(ord->history, i);
		json_array_append_new(list, json_pack("{s:s,s:I}", "description",
						      tte_jstr(v, "description"), "update_time_millis",
						      (json_int_t)(json_integer_value(
							json_object_get(v, "time")) * 1000)));
	}
	tte_ok(t, rs, json_pack("{s:o}", "tracking", list));
}

/* ---- platform events ------------------------------------------------------------------------------ */

/* Apply one event to one order: 0, or -1 with *why (not valid for it). */
typedef int (*event_fn)(struct tte *t, struct tte_order *ord, json_t *ev, char **why);

static int ev_buyer_pays(struct tte *t, struct tte_order *ord, json_t *ev, char **why)
{
	(void)ev;
	if (strcmp(ord->status, "UNPAID") != 0) {
		*why = tte_asprintf("order %s is %s, not UNPAID", ord->id, ord->status);
		return -1;
	}
	set_int(ord->o, "paid_time", tte_now(t));
	set_status(t, ord, json_is_true(json_object_get(ord->o, "is_on_hold_order")) ?
		   "ON_HOLD" : "AWAITING_SHIPMENT");
	derive(t, ord);
	return 0;
}

static int ev_hold_ends(struct tte *t, struct tte_order *ord, json_t *ev, char **why)
{
	(void)ev;
	if (strcmp(ord->status, "ON_HOLD") != 0) {
		*why = tte_asprintf("order %s is %s, not ON_HOLD", ord->id, ord->status);
		return -1;
	}
	set_status(t, ord, "AWAITING_SHIPMENT");
	derive(t, ord);
	return 0;
}

/* Optional "line_item_ids": strings of this order, each passing ok(). */
static json_t *event_lines(struct tte_order *ord, json_t *ev, int want_shipped, char **why)
{
	json_t *ids = json_object_get(ev, "line_item_ids"), *out = json_array(), *v, *l;
	size_t i;

	if (ids == NULL || json_is_null(ids)) {
		json_array_foreach(json_object_get(ord->o, "line_items"), i, l)
			if (!line_cancelled(l) && line_shipped(l) == want_shipped)
				json_array_append_new(out, json_string(tte_jstr(l, "id")));
		if (json_array_size(out) == 0) {
			*why = tte_asprintf("order %s has no line item to apply this to", ord->id);
			json_decref(out);
			return NULL;
		}
		return out;
	}
	if (!json_is_array(ids) || json_array_size(ids) == 0) {
		*why = tte_xstrdup("line_item_ids must be a non-empty array of strings");
		json_decref(out);
		return NULL;
	}
	json_array_foreach(ids, i, v) {
		l = json_is_string(v) ? line_get(ord, json_string_value(v)) : NULL;
		if (l == NULL || line_cancelled(l) || line_shipped(l) != want_shipped) {
			*why = tte_asprintf("line item %s of order %s is unknown, cancelled or %s",
					    json_is_string(v) ? json_string_value(v) : "?", ord->id,
					    want_shipped ? "not shipped" : "already shipped");
			json_decref(out);
			return NULL;
		}
		json_array_append(out, v);
	}
	return out;
}

/* A tracking number for a label TikTok buys: a USPS-like number, or the
 * provider's tracking_example with its last digits made unique, so that
 * it fits the provider's format when that can be arranged. */
static const char *label_number(struct tte *t, const struct tte_provider *prov, char *buf,
				size_t n)
{
	unsigned long long seq = t->pkg_seq + 1;
	size_t len, i;

	snprintf(buf, n, "9400%018llu", 111000000000000000ULL + seq);
	if (prov == NULL || !prov->has_re || tracking_fits(prov, buf) || prov->example[0] == '\0')
		return buf;
	snprintf(buf, n, "%s", prov->example);
	len = strlen(buf);
	for (i = len; i-- > 0 && seq > 0;) {
		if (buf[i] < '0' || buf[i] > '9')
			break;
		buf[i] = (char)('0' + (buf[i] - '0' + seq % 10) % 10);
		seq /= 10;
	}
	if (!tracking_fits(prov, buf))
		snprintf(buf, n, "%s", prov->example);
	return buf;
}

static int ev_buy_label(struct tte *t, struct tte_order *ord, json_t *ev, char **why)
{
	const char *pid = json_string_value(json_object_get(ev, "provider_id"));
	const char *tn = json_string_value(json_object_get(ev, "tracking_number"));
	struct tte_provider *prov = NULL;
	struct tte_option *opt;
	json_t *lines;
	char gen[80];

	if (strcmp(ord->shipping_type, "TIKTOK") != 0) {
		*why = tte_asprintf("order %s is not a TikTok-shipping order", ord->id);
		return -1;
	}
	if (strcmp(ord->status, "AWAITING_SHIPMENT") != 0 &&
	    strcmp(ord->status, "PARTIALLY_SHIPPING") != 0) {
		*why = tte_asprintf("order %s is %s, not awaiting shipment", ord->id, ord->status);
		return -1;
	}
	if (pid != NULL) {
		prov = tte_provider_get(t, pid);
		if (prov == NULL) {
			*why = tte_asprintf("provider %s is unknown", pid);
			return -1;
		}
	} else {
		opt = tte_option_get(t, tte_jstr(ord->o, "delivery_option_id"));
		if (opt != NULL && json_array_size(opt->provider_ids) > 0)
			prov = tte_provider_get(t, json_string_value(json_array_get(opt->provider_ids, 0)));
		if (prov == NULL && t->nproviders > 0)
			prov = &t->providers[0];
	}
	lines = event_lines(ord, ev, 0, why);
	if (lines == NULL)
		return -1;
	if (tn == NULL)
		tn = label_number(t, prov, gen, sizeof(gen));
	pkg_create(t, ord, lines, tn, prov, "TIKTOK");
	json_decref(lines);
	derive(t, ord);
	return 0;
}

/* Move every package of ord at stage `from` to `to`. */
static int move_packages(struct tte *t, struct tte_order *ord, const char *from,
			 const char *to, const char *what, char **why)
{
	json_t *v;
	size_t i;
	int n = 0;

	json_array_foreach(json_object_get(ord->o, "packages"), i, v) {
		struct tte_package *p = tte_package_get(t, tte_jstr(v, "id"));

		if (p == NULL || strcmp(p->status, from) != 0)
			continue;
		snprintf(p->status, sizeof(p->status), "%s", to);
		p->update_time = tte_now(t);
		pkg_to_order(ord, p);
		n++;
	}
	if (n == 0) {
		*why = tte_asprintf("order %s has no package in %s", ord->id, from);
		return -1;
	}
	history_add(ord, tte_now(t), "%s", what);
	derive(t, ord);
	return 0;
}

static int ev_pickup(struct tte *t, struct tte_order *ord, json_t *ev, char **why)
{
	(void)ev;
	return move_packages(t, ord, "PROCESSING", "FULFILLING",
			     "The package has been picked up by the carrier", why);
}

static int ev_delivered(struct tte *t, struct tte_order *ord, json_t *ev, char **why)
{
	(void)ev;
	return move_packages(t, ord, "FULFILLING", "COMPLETED",
			     "The package has been delivered", why);
}

static int ev_complete(struct tte *t, struct tte_order *ord, json_t *ev, char **why)
{
	(void)ev;
	if (strcmp(ord->status, "DELIVERED") != 0) {
		*why = tte_asprintf("order %s is %s, not DELIVERED", ord->id, ord->status);
		return -1;
	}
	set_status(t, ord, "COMPLETED");
	derive(t, ord);
	return 0;
}

static int ev_cancel_request(struct tte *t, struct tte_order *ord, json_t *ev, char **why)
{
	(void)ev;
	if (strcmp(ord->status, "CANCELLED") == 0 || strcmp(ord->status, "DELIVERED") == 0 ||
	    strcmp(ord->status, "COMPLETED") == 0 ||
	    json_is_true(json_object_get(ord->o, "is_buyer_request_cancel"))) {
		*why = tte_asprintf("order %s (%s) cannot get a new cancel request", ord->id,
				    ord->status);
		return -1;
	}
	json_object_set_new(ord->o, "is_buyer_request_cancel", json_true());
	set_int(ord->o, "request_cancel_time", tte_now(t));
	return 0;
}

static int ev_buyer_cancels(struct tte *t, struct tte_order *ord, json_t *ev, char **why)
{
	const char *reason = json_string_value(json_object_get(ev, "reason"));
	json_t *lines, *v, *l;
	size_t i;
	int whole = json_object_get(ev, "line_item_ids") == NULL;

	if (strcmp(ord->status, "UNPAID") != 0 && strcmp(ord->status, "ON_HOLD") != 0 &&
	    strcmp(ord->status, "AWAITING_SHIPMENT") != 0 &&
	    strcmp(ord->status, "PARTIALLY_SHIPPING") != 0) {
		*why = tte_asprintf("order %s is %s: too late to cancel", ord->id, ord->status);
		return -1;
	}
	if (whole && strcmp(ord->status, "PARTIALLY_SHIPPING") == 0) {
		*why = tte_asprintf("order %s is partially shipped: cancel line items instead",
				    ord->id);
		return -1;
	}
	lines = event_lines(ord, ev, 0, why);
	if (lines == NULL)
		return -1;
	if (reason == NULL)
		reason = "No longer needed";
	json_array_foreach(lines, i, v) {
		l = line_get(ord, json_string_value(v));
		set_str(l, "display_status", "CANCELLED");
		set_str(l, "cancel_user", "BUYER");
		set_str(l, "cancel_reason", reason);
	}
	json_decref(lines);
	json_object_set_new(ord->o, "is_buyer_request_cancel", json_false());
	set_int(ord->o, "update_time", tte_now(t));
	derive(t, ord);
	if (strcmp(ord->status, "CANCELLED") == 0) {
		set_str(ord->o, "cancellation_initiator", "BUYER");
		set_str(ord->o, "cancel_reason", reason);
		history_add(ord, tte_now(t), "The order was cancelled by the buyer");
	}
	return 0;
}

static const struct {
	const char *type;
	event_fn fn;
} events[] = {
	{ "buyer_pays", ev_buyer_pays },
	{ "hold_ends", ev_hold_ends },
	{ "buy_label", ev_buy_label },
	{ "carrier_pickup", ev_pickup },
	{ "delivered", ev_delivered },
	{ "complete", ev_complete },
	{ "buyer_cancels", ev_buyer_cancels },
	{ "cancel_request", ev_cancel_request },
};

static json_t *add_order(struct tte *t, json_t *ev, char **error)
{
	json_t *o = json_deep_copy(json_object_get(ev, "order"));
	const char *shop;
	struct tte_order *ord;
	char *why = NULL;

	if (!json_is_object(o)) {
		json_decref(o);
		*error = tte_xstrdup("add_order needs an \"order\" object");
		return NULL;
	}
	if (json_is_true(json_object_get(ev, "relative_times")))
		tte_shift_times(o, tte_now(t));	/* offsets from the current clock */
	shop = json_string_value(json_object_get(o, "_shop"));
	if (shop != NULL && tte_shop_by_cipher(t, shop) == NULL) {
		*error = tte_asprintf("_shop '%s' is not a shop cipher", shop);
		json_decref(o);
		return NULL;
	}
	ord = tte_order_add(t, o, shop ? shop : t->shops[0].cipher, &why);
	if (ord == NULL) {
		*error = why;
		return NULL;
	}
	tte_packages_from_fixture(t, ord);
	return tte_order_serve(ord, TTE_SHAPE_DETAIL);
}

json_t *tte_event(struct tte *t, json_t *ev, char **error)
{
	const char *type = json_string_value(json_object_get(ev, "type"));
	const char *oid = json_string_value(json_object_get(ev, "order_id"));
	struct tte_order *ord;
	event_fn fn = NULL;
	size_t i, n = 0;

	if (type == NULL) {
		*error = tte_xstrdup("an event needs a \"type\"");
		return NULL;
	}
	if (strcmp(type, "add_order") == 0)
		return add_order(t, ev, error);
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		if (strcmp(type, events[i].type) == 0)
			fn = events[i].fn;
	if (fn == NULL) {
		*error = tte_asprintf("unknown event type '%s' (buyer_pays, hold_ends, buy_label, "
				      "carrier_pickup, delivered, complete, buyer_cancels, "
				      "cancel_request, add_order)", type);
		return NULL;
	}
	if (oid == NULL) {
		*error = tte_asprintf("event %s needs an \"order_id\" (or \"*\")", type);
		return NULL;
	}
	if (strcmp(oid, "*") == 0) {
		for (i = 0; i < t->norders; i++) {
			char *why = NULL;

			if (fn(t, t->orders[i], ev, &why) == 0)
				n++;
			free(why);
		}
		return json_pack("{s:s,s:I}", "type", type, "orders_changed", (json_int_t)n);
	}
	ord = tte_order_get(t, oid);
	if (ord == NULL) {
		*error = tte_asprintf("no order %s", oid);
		return NULL;
	}
	if (fn(t, ord, ev, error) != 0)
		return NULL;
	return tte_order_serve(ord, TTE_SHAPE_DETAIL);
}

/* ---- /_emu/state -------------------------------------------------------------------------------------- */

json_t *tte_dump(struct tte *t)
{
	json_t *shops = json_array(), *tokens = json_array(), *orders = json_array();
	json_t *pkgs = json_array(), *tracking = json_object();
	size_t i;

	for (i = 0; i < t->nshops; i++)
		json_array_append_new(shops, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}",
			"id", t->shops[i].id, "name", t->shops[i].name, "region", t->shops[i].region,
			"seller_type", t->shops[i].seller_type, "cipher", t->shops[i].cipher,
			"code", t->shops[i].code));
	for (i = 0; i < t->ntokens; i++)
		json_array_append_new(tokens, json_pack("{s:s,s:I,s:s,s:I,s:b,s:O}",
			"access_token", t->tokens[i].access,
			"access_token_expire_in", (json_int_t)t->tokens[i].access_exp,
			"refresh_token", t->tokens[i].refresh,
			"refresh_token_expire_in", (json_int_t)t->tokens[i].refresh_exp,
			"refresh_used", t->tokens[i].refresh_used,
			"shop_ciphers", t->tokens[i].ciphers));
	for (i = 0; i < t->norders; i++) {
		json_t *o = json_deep_copy(t->orders[i]->o);

		json_object_set_new(o, "_shop", json_string(t->orders[i]->shop));
		json_array_append_new(orders, o);
		json_object_set(tracking, t->orders[i]->id, t->orders[i]->history);
	}
	for (i = 0; i < t->npackages; i++) {
		struct tte_package *p = t->packages[i];

		json_array_append_new(pkgs, json_pack("{s:s,s:s,s:s,s:O,s:s,s:s,s:s,s:s,s:s,"
						      "s:I,s:I,s:I,s:i}",
			"id", p->id, "order_id", p->order_id, "shop", p->shop,
			"order_line_item_ids", p->line_ids, "tracking_number", p->tracking,
			"shipping_provider_id", p->provider_id,
			"shipping_provider_name", p->provider_name, "status", p->status,
			"shipping_type", p->shipping_type,
			"create_time", (json_int_t)p->create_time,
			"update_time", (json_int_t)p->update_time,
			"shipped_time", (json_int_t)p->shipped_time, "updates", p->updates));
	}
	return json_pack("{s:I,s:s,s:o,s:o,s:i,s:I,s:I,s:o,s:o,s:o,s:{s:I,s:I,s:I,s:I}}",
			 "clock", (json_int_t)tte_now(t), "app_key", t->app_key,
			 "shops", shops, "tokens", tokens, "rate_limit_qps", t->rate_qps,
			 "token_lifetime", (json_int_t)t->token_lifetime,
			 "refresh_token_lifetime", (json_int_t)t->refresh_lifetime,
			 "orders", orders, "packages", pkgs, "tracking", tracking,
			 "counters", "requests", (json_int_t)t->n_requests,
			 "errors", (json_int_t)t->n_errors,
			 "orders", (json_int_t)t->norders,
			 "packages", (json_int_t)t->npackages);
}
