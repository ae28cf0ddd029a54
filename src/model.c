/*
 * model.c - constructors' counterparts for model.h: status names and the
 * *_free() functions. Owns nothing itself.
 */
#include "model.h"

#include <stdlib.h>
#include <string.h>

static const char *const tt_status_names[] = {
	[TT_STATUS_UNKNOWN] = "UNKNOWN",
	[TT_UNPAID] = "UNPAID",
	[TT_ON_HOLD] = "ON_HOLD",
	[TT_AWAITING_SHIPMENT] = "AWAITING_SHIPMENT",
	[TT_PARTIALLY_SHIPPING] = "PARTIALLY_SHIPPING",
	[TT_AWAITING_COLLECTION] = "AWAITING_COLLECTION",
	[TT_IN_TRANSIT] = "IN_TRANSIT",
	[TT_DELIVERED] = "DELIVERED",
	[TT_COMPLETED] = "COMPLETED",
	[TT_CANCELLED] = "CANCELLED",
};

enum tt_status tt_status_parse(const char *s)
{
	size_t i;

	if (s == NULL)
		return TT_STATUS_UNKNOWN;
	for (i = 1; i < sizeof(tt_status_names) / sizeof(tt_status_names[0]); i++)
		if (strcmp(s, tt_status_names[i]) == 0)
			return (enum tt_status)i;
	return TT_STATUS_UNKNOWN;
}

const char *tt_status_name(enum tt_status s)
{
	if ((size_t)s >= sizeof(tt_status_names) / sizeof(tt_status_names[0]))
		return "UNKNOWN";
	return tt_status_names[s];
}

void str_free_array(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void kv_free_array(struct kv *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].value);
	}
	free(v);
}

void unit_map_free(struct unit_map *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].tt_line_id);
		free(v[i].sh_line_item_id);
	}
	free(v);
}

static void tt_line_free(struct tt_line *l)
{
	free(l->id);
	free(l->sku_id);
	free(l->product_id);
	free(l->seller_sku);
	free(l->product_name);
	free(l->sku_name);
	free(l->tax_rate);
	free(l->display_status);
	free(l->package_id);
	free(l->package_status);
	free(l->tracking_number);
	free(l->shipping_provider_id);
	free(l->shipping_provider_name);
	free(l->cancel_user);
	free(l->cancel_reason);
}

static void tt_address_free(struct tt_address *a)
{
	free(a->name);
	free(a->first_name);
	free(a->last_name);
	free(a->phone);
	free(a->line1);
	free(a->line2);
	free(a->line3);
	free(a->line4);
	free(a->postal_code);
	free(a->region_code);
	free(a->country);
	free(a->state);
	free(a->county);
	free(a->city);
	free(a->full_address);
}

void tt_order_free(struct tt_order *o)
{
	size_t i;

	if (o == NULL)
		return;
	free(o->id);
	free(o->status_str);
	free(o->fulfillment_type);
	free(o->shipping_type);
	free(o->delivery_option_id);
	free(o->delivery_option_name);
	free(o->buyer_message);
	free(o->buyer_email);
	free(o->seller_note);
	free(o->user_id);
	free(o->cancel_reason);
	free(o->cancellation_initiator);
	free(o->tracking_number);
	free(o->shipping_provider);
	free(o->shipping_provider_id);
	tt_address_free(&o->addr);
	for (i = 0; i < o->nlines; i++)
		tt_line_free(&o->lines[i]);
	free(o->lines);
	str_free_array(o->package_ids, o->npackages);
	memset(o, 0, sizeof(*o));
}

void tt_provider_list_free(struct tt_provider_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	free(l->delivery_option_id);
	for (i = 0; i < l->n; i++) {
		free(l->v[i].id);
		free(l->v[i].name);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void tt_token_free(struct tt_token *t)
{
	if (t == NULL)
		return;
	free(t->access_token);
	free(t->refresh_token);
	memset(t, 0, sizeof(*t));
}

void tt_shop_free(struct tt_shop *s)
{
	if (s == NULL)
		return;
	free(s->id);
	free(s->name);
	free(s->region);
	free(s->cipher);
	free(s->seller_type);
	free(s->code);
	memset(s, 0, sizeof(*s));
}

void sh_fulfillment_free(struct sh_fulfillment *f)
{
	size_t i;

	free(f->id);
	free(f->name);
	free(f->status);
	free(f->display_status);
	for (i = 0; i < f->ntracking; i++) {
		free(f->tracking[i].company);
		free(f->tracking[i].number);
		free(f->tracking[i].url);
	}
	free(f->tracking);
	for (i = 0; i < f->nlines; i++)
		free(f->lines[i].line_item_id);
	free(f->lines);
	memset(f, 0, sizeof(*f));
}

void sh_order_free(struct sh_order *o)
{
	size_t i, j;

	if (o == NULL)
		return;
	free(o->id);
	free(o->legacy_id);
	free(o->name);
	free(o->source_identifier);
	free(o->source_name);
	free(o->tiktok_order_id);
	str_free_array(o->tags, o->ntags);
	free(o->display_fulfillment_status);
	free(o->display_financial_status);
	for (i = 0; i < o->nlines; i++) {
		free(o->lines[i].id);
		free(o->lines[i].sku);
		free(o->lines[i].variant_id);
		free(o->lines[i].title);
	}
	free(o->lines);
	for (i = 0; i < o->nfulfillments; i++)
		sh_fulfillment_free(&o->fulfillments[i]);
	free(o->fulfillments);
	for (i = 0; i < o->nfos; i++) {
		free(o->fos[i].id);
		free(o->fos[i].status);
		for (j = 0; j < o->fos[i].nlines; j++) {
			free(o->fos[i].lines[j].id);
			free(o->fos[i].lines[j].line_item_id);
		}
		free(o->fos[i].lines);
	}
	free(o->fos);
	memset(o, 0, sizeof(*o));
}

void sh_variant_free(struct sh_variant *v)
{
	if (v == NULL)
		return;
	free(v->id);
	free(v->sku);
	free(v->title);
	free(v->product_id);
	free(v->product_title);
	memset(v, 0, sizeof(*v));
}

static void tax_lines_free(struct sh_tax_line *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(t[i].title);
		free(t[i].rate);
	}
	free(t);
}

void sh_order_input_free(struct sh_order_input *in)
{
	size_t i;

	if (in == NULL)
		return;
	free(in->email);
	free(in->phone);
	free(in->note);
	free(in->customer_first_name);
	free(in->customer_last_name);
	free(in->shipping_address.first_name);
	free(in->shipping_address.last_name);
	free(in->shipping_address.address1);
	free(in->shipping_address.address2);
	free(in->shipping_address.city);
	free(in->shipping_address.province_code);
	free(in->shipping_address.country_code);
	free(in->shipping_address.zip);
	free(in->shipping_address.phone);
	str_free_array(in->tags, in->ntags);
	kv_free_array(in->attrs, in->nattrs);
	free(in->source_identifier);
	free(in->source_url);
	for (i = 0; i < in->nlines; i++) {
		free(in->lines[i].variant_id);
		free(in->lines[i].title);
		free(in->lines[i].sku);
		tax_lines_free(in->lines[i].tax_lines, in->lines[i].ntax_lines);
		str_free_array(in->lines[i].tt_line_ids,
			       in->lines[i].ntt_line_ids);
	}
	free(in->lines);
	for (i = 0; i < in->nshipping; i++) {
		free(in->shipping[i].title);
		free(in->shipping[i].code);
		free(in->shipping[i].source);
		tax_lines_free(in->shipping[i].tax_lines,
			       in->shipping[i].ntax_lines);
	}
	free(in->shipping);
	tax_lines_free(in->order_tax_lines, in->norder_tax_lines);
	free(in->transaction_gateway);
	free(in->inventory_behaviour);
	memset(in, 0, sizeof(*in));
}

void sh_fulfillment_input_free(struct sh_fulfillment_input *in)
{
	size_t i, j;

	if (in == NULL)
		return;
	for (i = 0; i < in->ngroups; i++) {
		free(in->groups[i].fulfillment_order_id);
		for (j = 0; j < in->groups[i].nlines; j++)
			free(in->groups[i].lines[j].fo_line_id);
		free(in->groups[i].lines);
	}
	free(in->groups);
	free(in->company);
	free(in->number);
	free(in->url);
	memset(in, 0, sizeof(*in));
}
