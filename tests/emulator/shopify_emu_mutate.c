/*
 * shopify_emu_mutate.c - the write side of the Shopify twin: orderCreate
 * (every OrderCreateOrderInput field ttsync may send, the userErrors of
 * research §3.4, exact integer totals, fulfillment orders created with the
 * order), fulfillmentCreate (the live userErrors of §5.1), fulfillment
 * tracking updates and events, fulfillmentCancel, orderCancel (async job,
 * orderCancelUserErrors), orderUpdate, tagsAdd/tagsRemove; and the
 * merchant-side events of POST /_emu/event (fulfill, edit_tracking,
 * cancel_fulfillment, add_variant, fulfillment_event, cancel_order).
 *
 * Messages and field paths follow live captures where one exists (see
 * tests/emulator/README.md "Shopify: what is faithful").
 */
#include "shopify_emu.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"

/* ------------------------------------------------------------------ */
/* payloads and user errors                                             */

static char *astrdup(struct sh_store *S, const char *s)
{
	return s ? gql_arena_strndup(S->rq_arena, s, strlen(s)) : NULL;
}

void sh_payload_error(struct sh_store *S, struct sh_payload *p, const char *code,
		      json_t *field, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;
	struct sh_uerr *errs;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	errs = gql_arena_alloc(S->rq_arena, (p->nerrs + 1) * sizeof(*errs));
	if (p->nerrs)
		memcpy(errs, p->errs, p->nerrs * sizeof(*errs));
	errs[p->nerrs].message = astrdup(S, msg ? msg : "invalid");
	errs[p->nerrs].code = code;
	if (field) {
		json_array_append_new(S->rq_keep, field);
		errs[p->nerrs].field = field;
	}
	p->errs = errs;
	p->nerrs++;
	free(msg);
}

/* A field path from a printf-formatted dotted string: "order.lineItems.%zu". */
static json_t *fpath(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static json_t *fpath(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL, *tok, *save = NULL;
	json_t *a = json_array();

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s)
		return a;
	for (tok = strtok_r(s, ".", &save); tok; tok = strtok_r(NULL, ".", &save))
		json_array_append_new(a, json_string(tok));
	free(s);
	return a;
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int jbool(json_t *o, const char *k, int dflt)
{
	json_t *v = json_object_get(o, k);

	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static struct sh_payload *payload_new(struct sh_store *S)
{
	return gql_arena_alloc(S->rq_arena, sizeof(struct sh_payload));
}

/* ------------------------------------------------------------------ */
/* tracking companies Shopify knows (research §6) and their URLs         */

static const struct {
	const char *company, *url;	/* url: printf with the number, or NULL */
} carriers[] = {
	{ "USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels=%s" },
	{ "UPS", "https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums=%s" },
	{ "FedEx", "https://www.fedex.com/fedextrack/?trknbr=%s" },
	{ "DHL Express", "https://www.dhl.com/en/express/tracking.html?AWB=%s&brand=DHL" },
	{ "DHL eCommerce", "https://webtrack.dhlglobalmail.com/?trackingnumber=%s" },
	{ "DHL eCommerce Asia", "https://ecommerceportal.dhl.com/track/?ref=%s" },
	{ "Canada Post", "https://www.canadapost-postescanada.ca/track-reperer/en#/search?searchFor=%s" },
	{ "Royal Mail", "https://www.royalmail.com/track-your-item#/tracking-results/%s" },
	{ "Australia Post", "https://auspost.com.au/mypost/track/#/details/%s" },
	{ "OnTrac", "https://www.ontrac.com/tracking/?number=%s" },
	{ "Lasership", "https://www.lasership.com/track/%s" },
	{ "Amazon", "https://track.amazon.com/tracking/%s" },
	{ "Purolator", "https://www.purolator.com/en/shipping/tracker?pin=%s" },
	{ "China Post", "http://www.chinapost.com.cn/html1/report/20034/%s" },
	{ "4PX", "https://track.4px.com/#/result/0/%s" },
	{ "YunExpress", "https://www.yuntrack.com/parcelTracking?id=%s" },
	{ "PostNL", "https://postnl.nl/tracktrace/?B=%s" },
	{ "DPD", "https://tracking.dpd.de/parcelstatus?query=%s" },
	{ "DPD UK", "https://track.dpd.co.uk/parcels/%s" },
	{ "GLS", "https://gls-group.eu/track/%s" },
	{ "Evri", "https://www.evri.com/track/parcel/%s" },
	{ "La Poste Colissimo", "https://www.laposte.fr/outils/suivre-vos-envois?code=%s" },
	{ "Colissimo", "https://www.laposte.fr/outils/suivre-vos-envois?code=%s" },
	{ "Deutsche Post", "https://www.deutschepost.de/sendung/simpleQuery.html?locale=en_GB&form.sendungsnummer=%s" },
	{ "Japan Post (EN)", "https://trackings.post.japanpost.jp/services/srv/search/?requestNo1=%s&locale=en" },
	{ "New Zealand Post", "https://www.nzpost.co.nz/tools/tracking?trackid=%s" },
	{ "Sendle", "https://track.sendle.com/tracking?ref=%s" },
	{ "TNT", "https://www.tnt.com/express/en_us/site/shipping-tools/tracking.html?searchType=con&cons=%s" },
	{ "SF Express", "https://www.sf-express.com/us/en/dynamic_function/waybill/#search/bill-number/%s" },
	{ "Singapore Post", "https://www.singpost.com/track-items?trackingid=%s" },
	{ "Swiss Post", "https://service.post.ch/ekp-web/ui/entry/search/%s" },
	{ "Poste Italiane", "https://www.poste.it/cerca/index.html#/risultati-spedizioni/%s" },
	{ "Correos", "https://www.correos.es/es/en/tools/tracker/items/details?tracking-number=%s" },
	{ "PostNord SE", "https://tracking.postnord.com/se/?id=%s" },
	{ "Pitney Bowes", "https://tracking.pb.com/%s" },
	{ "Asendia USA", "https://a1.asendiausa.com/tracking/?trackingnumber=%s" },
	{ "Landmark Global", "https://track.landmarkglobal.com/?search=%s" },
	{ "Canpar", "https://www.canpar.com/en/tracking/track.htm?barcode=%s" },
	{ "Chronopost", "https://www.chronopost.fr/tracking-no-cms/suivi-page?listeNumerosLT=%s" },
	{ "Mondial Relay", "https://www.mondialrelay.fr/suivi-de-colis/?NumeroExpedition=%s" },
	{ "Packeta", "https://tracking.packeta.com/en/?id=%s" },
	{ "Yamato (EN)", "https://toi.kuronekoyamato.co.jp/cgi-bin/tneko?number00=1&number01=%s" },
	{ "Sagawa (EN)", "https://k2k.sagawa-exp.co.jp/p/web/okurijosearch.do?okurijoNo=%s" },
	{ "Estes", "https://www.estes-express.com/myestes/shipment-tracking/?searchValue=%s" },
	{ "XPO Logistics", "https://track.xpoweb.com/en-us/ltl-shipment/%s" },
	{ "ShipBob", "https://www.shipbob.com/tracking?number=%s" },
	{ "An Post", "https://www.anpost.com/Post-Parcels/Track/History?item=%s" },
	{ "BPost", "https://track.bpost.cloud/btr/web/#/search?itemCode=%s" },
	{ "Correios", "https://rastreamento.correios.com.br/app/index.php?objeto=%s" },
	{ "CTT", "https://www.ctt.pt/feapl_2/app/open/objectSearch/objectSearch.jspx?objects=%s" },
	{ "Israel Post", "https://mypost.israelpost.co.il/itemtrace?itemcode=%s" },
	{ "Latvia Post", "https://www.pasts.lv/en/Category/Tracking_of_Postal_Items/?id=%s" },
	{ "NinjaVan", "https://www.ninjavan.co/en-sg/tracking?id=%s" },
	{ "Qxpress", "https://www.qxpress.net/Customer/PopupTraceParcels?TrackingNo=%s" },
	{ "StarTrack", "https://startrack.com.au/track/details/%s" },
	{ "Toll IPEC", "https://www.mytoll.com/?externalSearchQuery=%s" },
	{ "Whistl", "https://trackmyitem.whistl.co.uk/tracking/%s" },
	{ "Venipak", "https://venipak.com/tracking/track/%s" },
	{ "Cyprus Post", "https://www.cypruspost.post/en/track-n-trace-results?code=%s" },
	{ "Iceland Post", "https://posturinn.is/en/private/tracking/?q=%s" },
	{ "Lietuvos Paštas", "https://www.post.lt/en/help/parcel-search?parcels=%s" },
	{ "Portal PostNord", "https://portal.postnord.com/tracking/details/%s" },
	{ "PostNord DK", "https://tracking.postnord.com/dk/?id=%s" },
	{ "PostNord NO", "https://tracking.postnord.com/no/?id=%s" },
	{ "DPD Local", "https://www.dpdlocal.co.uk/service/tracking?parcel=%s" },
	{ "Anjun Logistics", "https://www.anjunlogistics.com/track?no=%s" },
	{ "SFC Fulfillment", "https://www.sfcservice.com/tracking/?id=%s" },
	{ "Chukou1", "https://www.chukou1.com/TrackingResult.aspx?trackNo=%s" },
	{ "Coordinadora", "https://www.coordinadora.com/portafolio-de-servicios/servicios-en-linea/rastrear-guias/?guia=%s" },
	{ "Southwest Air Cargo", "https://www.swacargo.com/swaccargo_com_ui/tracking?awb=%s" },
	{ "Lone Star Overnight", "https://www.lso.com/tracking?airbillnos=%s" },
	{ "TForce Final Mile", "https://www.tforcefinalmile.com/track/%s" },
	{ "Amazon Logistics UK", "https://track.amazon.co.uk/tracking/%s" },
};

char *sh_tracking_url(const char *company, const char *number)
{
	size_t i;

	if (!company || !number || !*number)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(carriers); i++) {
		const char *mark;
		struct strbuf sb = STRBUF_INIT;

		if (strcmp(carriers[i].company, company) != 0 || !carriers[i].url)
			continue;
		mark = strstr(carriers[i].url, "%s");
		sb_addn(&sb, carriers[i].url, (size_t)(mark - carriers[i].url));
		sb_add(&sb, number);
		sb_add(&sb, mark + 2);
		return sb_detach(&sb);
	}
	return NULL;
}

/* FulfillmentTrackingInput -> tracking entries (numbers/urls matched by
 * position; a known company's URL when none is given). */
static void tracking_from_input(json_t *ti, struct sh_tracking **out, size_t *n)
{
	const char *company = jstr(ti, "company");
	json_t *numbers = json_object_get(ti, "numbers"), *urls = json_object_get(ti, "urls");
	const char *number = jstr(ti, "number"), *url = jstr(ti, "url");
	size_t i, cnt;

	*out = NULL;
	*n = 0;
	if (!json_is_object(ti))
		return;
	cnt = json_is_array(numbers) ? json_array_size(numbers) : number ? 1 : 0;
	if (cnt == 0 && (company || url)) {
		*out = xcalloc(1, sizeof(**out));
		(*out)[0].company = sh_strdup(company);
		(*out)[0].url = sh_strdup(url);
		*n = 1;
		return;
	}
	*out = xcalloc(cnt ? cnt : 1, sizeof(**out));
	for (i = 0; i < cnt; i++) {
		const char *num = json_is_array(numbers) ?
			json_string_value(json_array_get(numbers, i)) : number;
		const char *u = json_is_array(urls) ? json_string_value(json_array_get(urls, i)) :
				(i == 0 ? url : NULL);

		(*out)[i].company = sh_strdup(company);
		(*out)[i].number = sh_strdup(num);
		(*out)[i].url = u ? xstrdup(u) : sh_tracking_url(company, num);
	}
	*n = cnt;
}

static void tracking_free(struct sh_tracking *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(t[i].company);
		free(t[i].number);
		free(t[i].url);
	}
	free(t);
}

/* ------------------------------------------------------------------ */
/* money                                                                */

/* Split total over weights by the largest-remainder method; parts sum to
 * total (ties: the earlier part). */
static void allocate(sh_money total, const sh_money *w, size_t n, sh_money *parts)
{
	sh_money sum = 0, given = 0;
	__int128 *rem = xcalloc(n + 1, sizeof(*rem));
	int sign = total < 0 ? -1 : 1;
	size_t i;

	for (i = 0; i < n; i++)
		sum += w[i] > 0 ? w[i] : 0;
	for (i = 0; i < n; i++) {
		__int128 num = (__int128)(total * sign) * (w[i] > 0 ? w[i] : 0);

		parts[i] = 0;
		if (sum > 0) {
			parts[i] = (sh_money)(num / sum);
			rem[i] = num % sum;
		}
		given += parts[i];
	}
	while (given < total * sign && sum > 0) {
		size_t best = n;

		for (i = 0; i < n; i++)
			if (w[i] > 0 && (best == n || rem[i] > rem[best]))
				best = i;
		if (best == n)
			break;
		parts[best]++;
		rem[best] = -1;
		given++;
	}
	for (i = 0; i < n; i++)
		parts[i] *= sign;
	free(rem);
}

/* rate x base, rounded half away from zero, rate a decimal string. */
static sh_money apply_rate(const char *rate, sh_money base)
{
	long double r = rate ? strtold(rate, NULL) : 0;
	long double v = r * (long double)base;

	return (sh_money)(v < 0 ? v - 0.5L : v + 0.5L);
}

static int money_in(json_t *bag, const char *currency, int exp, sh_money *out, int *currency_bad)
{
	json_t *shop = json_object_get(bag, "shopMoney");
	const char *cur = jstr(shop, "currencyCode");

	*currency_bad = cur && strcmp(cur, currency) != 0;
	return sh_parse_amount(json_object_get(shop, "amount"), exp, out);
}

/* ------------------------------------------------------------------ */
/* orderCreate                                                          */

static int tax_lines_in(struct sh_store *S, struct sh_payload *p, json_t *list,
			const char *base, sh_money taxable, const char *currency, int exp,
			struct sh_tax **out, size_t *n)
{
	size_t i;
	json_t *t;
	int bad = 0;

	*out = NULL;
	*n = json_array_size(list);
	if (!*n)
		return 0;
	*out = xcalloc(*n, sizeof(**out));
	json_array_foreach(list, i, t) {
		const char *rate = jstr(t, "rate");
		json_t *price = json_object_get(t, "priceSet");
		int cbad = 0;

		(*out)[i].title = sh_strdup(jstr(t, "title"));
		(*out)[i].rate = sh_strdup(rate);
		(*out)[i].channel_liable = jbool(t, "channelLiable", 0);
		if (!rate || !*rate) {
			if (S)
				sh_payload_error(S, p, "TAX_LINE_RATE_MISSING",
						 fpath("%s.taxLines.%zu.rate", base, i),
						 "Tax line rate is missing");
			bad = 1;
			continue;
		}
		if (price && !json_is_null(price)) {
			if (money_in(price, currency, exp, &(*out)[i].amount, &cbad) < 0 || cbad) {
				sh_payload_error(S, p, "INVALID",
						 fpath("%s.taxLines.%zu.priceSet.shopMoney", base, i),
						 cbad ? "Currency code must match the order currency" :
						 "Amount is invalid");
				bad = 1;
			}
		} else {
			(*out)[i].amount = apply_rate(rate, taxable);
		}
	}
	return bad ? -1 : 0;
}

static json_t *address_in(struct sh_store *S, json_t *in)
{
	static const char *const keys[] = { "address1", "address2", "city", "company",
					    "country", "countryCode", "firstName", "lastName",
					    "phone", "province", "provinceCode", "zip" };
	static const struct {
		const char *code, *name;
	} countries[] = {
		{ "US", "United States" }, { "CA", "Canada" }, { "GB", "United Kingdom" },
		{ "MX", "Mexico" }, { "DE", "Germany" }, { "FR", "France" }, { "AU", "Australia" },
		{ "JP", "Japan" }, { "CN", "China" }, { "IT", "Italy" }, { "ES", "Spain" },
		{ "IE", "Ireland" }, { "NL", "Netherlands" },
	};
	json_t *a;
	const char *fn, *ln, *cc;
	size_t i;

	if (!json_is_object(in))
		return NULL;
	a = json_object();
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		json_t *v = json_object_get(in, keys[i]);

		json_object_set_new(a, keys[i], json_is_string(v) ? json_incref(v) : json_null());
	}
	cc = jstr(in, "countryCode");
	json_object_set_new(a, "countryCodeV2", cc ? json_string(cc) : json_null());
	if (cc && !jstr(in, "country")) {
		for (i = 0; i < ARRAY_SIZE(countries); i++)
			if (strcmp(countries[i].code, cc) == 0)
				json_object_set_new(a, "country", json_string(countries[i].name));
	}
	if (!jstr(in, "province") && jstr(in, "provinceCode"))
		json_object_set_new(a, "province", json_string(jstr(in, "provinceCode")));
	fn = jstr(in, "firstName");
	ln = jstr(in, "lastName");
	if (fn || ln)
		json_object_set_new(a, "name", json_sprintf("%s%s%s", fn ? fn : "", fn && ln ? " " : "",
							      ln ? ln : ""));
	else
		json_object_set_new(a, "name", json_null());
	json_object_set_new(a, "id", sh_gid_json(K_ADDRESS, sh_new_id(S, K_ADDRESS)));
	return a;
}

static char *email_key(const char *email)
{
	char *k = xstrdup(email), *p;

	for (p = k; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return k;
}

/* The first customer with this email (case-insensitive), through the
 * by_email index. */
static struct sh_customer *customer_by_email(struct sh_store *S, const char *email)
{
	char *k = email_key(email);
	json_t *at = json_object_get(S->by_email, k);
	struct sh_customer *c = NULL;

	free(k);
	if (at != NULL && (size_t)json_integer_value(at) < S->ncustomers) {
		c = S->customers[json_integer_value(at)];
		if (c->email == NULL || strcasecmp(c->email, email) != 0)
			c = NULL;	/* its email changed since */
	}
	return c;
}

/* c's email was set: index it, unless an earlier customer has it. */
static void customer_index(struct sh_store *S, struct sh_customer *c)
{
	char *k;

	if (c->email == NULL || customer_by_email(S, c->email) != NULL)
		return;
	if (S->by_email == NULL)
		S->by_email = json_object();
	k = email_key(c->email);
	json_object_set_new(S->by_email, k, json_integer((json_int_t)c->pos));
	free(k);
}

static struct sh_customer *customer_find(struct sh_store *S, const char *gid, const char *email)
{
	if (gid)
		return sh_lookup_gid(S, gid, K_CUSTOMER);
	if (email)
		return customer_by_email(S, email);
	return NULL;
}

static struct sh_customer *customer_new(struct sh_store *S)
{
	struct sh_customer *c = xcalloc(1, sizeof(*c));

	c->id = sh_new_id(S, K_CUSTOMER);
	c->created = c->updated = S->now;
	S->customers = sh_grow(S->customers, S->ncustomers, sizeof(*S->customers));
	c->pos = S->ncustomers;
	S->customers[S->ncustomers++] = c;
	sh_register(S, K_CUSTOMER, c->id, c);
	return c;
}

static void set_str(char **dst, const char *v)
{
	if (!v)
		return;
	free(*dst);
	*dst = xstrdup(v);
}

/* Dev-store limit: 5 orderCreate per minute of the emulator clock. */
static int dev_store_limited(struct sh_store *S)
{
	size_t i, recent = 0;

	if (!S->limits.dev_store_order_limit)
		return 0;
	for (i = 0; i < S->nrecent; i++)
		if (S->recent_creates[i] > S->now - 60)
			recent++;
	return recent >= SH_DEV_ORDERS_PER_MIN;
}

static void dev_store_count(struct sh_store *S)
{
	if (S->nrecent < SH_DEV_ORDERS_PER_MIN) {
		S->recent_creates[S->nrecent++] = S->now;
	} else {
		memmove(S->recent_creates, S->recent_creates + 1,
			(SH_DEV_ORDERS_PER_MIN - 1) * sizeof(S->recent_creates[0]));
		S->recent_creates[SH_DEV_ORDERS_PER_MIN - 1] = S->now;
	}
}

static struct sh_variant *variant_by_sku(struct sh_store *S, const char *sku)
{
	size_t i;

	for (i = 0; sku && i < S->nvariants; i++)
		if (S->variants[i]->sku && strcmp(S->variants[i]->sku, sku) == 0)
			return S->variants[i];
	return NULL;
}

static void order_add(struct sh_store *S, struct sh_order *o)
{
	if (S->norders == S->caporders) {
		S->caporders = S->caporders ? S->caporders * 2 : 256;
		S->orders = xrealloc(S->orders, S->caporders * sizeof(*S->orders));
	}
	S->orders[S->norders++] = o;
	sh_register(S, K_ORDER, o->id, o);
	if (o->source_identifier) {
		json_t *at;

		if (S->by_source == NULL)
			S->by_source = json_object();
		at = json_object_get(S->by_source, o->source_identifier);
		if (at == NULL) {
			at = json_array();
			json_object_set_new(S->by_source, o->source_identifier, at);
		}
		json_array_append_new(at, json_integer((json_int_t)(S->norders - 1)));
	}
}

static struct sh_ful *fulfill(struct sh_store *S, struct sh_order *o, struct sh_fo_line **fls,
			      const int *qty, size_t n, struct sh_tracking *trk, size_t ntrk,
			      int notify, int64_t when);
static const char *event_status(const char *s);

/* Validate the parts of an order input that produce userErrors. */
static int order_validate(struct sh_store *S, json_t *in, int from_fixture, struct sh_payload *p,
			  const char *currency, int exp)
{
	json_t *lines = json_object_get(in, "lineItems"), *l, *ships = json_object_get(in, "shippingLines");
	const char *pa = jstr(in, "processedAt");
	size_t i, k;
	int64_t t;
	int line_taxes = 0;

	if (pa && sh_parse_time(pa, &t) == 0 && t > S->now && !from_fixture) {
		sh_payload_error(S, p, "PROCESSED_AT_INVALID", fpath("order.processedAt"),
				 "Processed at is invalid");
		return -1;
	}
	if (json_object_get(in, "customerId") && !json_is_null(json_object_get(in, "customerId")) &&
	    json_object_get(in, "customer") && !json_is_null(json_object_get(in, "customer"))) {
		sh_payload_error(S, p, "REDUNDANT_CUSTOMER_FIELDS", fpath("order"),
				 "Customer fields are redundant");
		return -1;
	}
	if (json_array_size(lines) == 0) {
		sh_payload_error(S, p, "INVALID", fpath("order.lineItems"),
				 "Line items must have at least one line item");
		return -1;
	}
	json_array_foreach(lines, i, l) {
		const char *fs = jstr(l, "fulfillmentService");
		json_t *tl;

		if (fs && strcmp(fs, "manual") != 0 && strcmp(fs, "gift_card") != 0) {
			sh_payload_error(S, p, "FULFILLMENT_SERVICE_INVALID",
					 fpath("order.lineItems.%zu.fulfillmentService", i),
					 "Fulfillment service is invalid");
			return -1;
		}
		json_array_foreach(json_object_get(l, "taxLines"), k, tl) {
			line_taxes = 1;
			if (!jstr(tl, "rate") || !*jstr(tl, "rate")) {
				sh_payload_error(S, p, "TAX_LINE_RATE_MISSING",
						 fpath("order.lineItems.%zu.taxLines.%zu.rate", i, k),
						 "Tax line rate is missing");
				return -1;
			}
		}
	}
	json_array_foreach(ships, i, l) {
		json_t *tl;

		json_array_foreach(json_object_get(l, "taxLines"), k, tl) {
			if (!jstr(tl, "rate") || !*jstr(tl, "rate")) {
				sh_payload_error(S, p, "TAX_LINE_RATE_MISSING",
						 fpath("order.shippingLines.%zu.taxLines.%zu.rate", i, k),
						 "Tax line rate is missing");
				return -1;
			}
		}
	}
	json_array_foreach(json_object_get(in, "taxLines"), k, l) {
		if (!jstr(l, "rate") || !*jstr(l, "rate")) {
			sh_payload_error(S, p, "TAX_LINE_RATE_MISSING", fpath("order.taxLines.%zu.rate", k),
					 "Tax line rate is missing");
			return -1;
		}
	}
	if (line_taxes && json_array_size(json_object_get(in, "taxLines"))) {
		sh_payload_error(S, p, "INVALID", fpath("order.taxLines"),
				 "Tax lines can be set on the order or on its line items, not both");
		return -1;
	}
	json_array_foreach(lines, i, l) {
		json_t *q = json_object_get(l, "quantity");
		const char *vid = jstr(l, "variantId");
		json_t *price = json_object_get(l, "priceSet");
		sh_money amount;
		int cbad = 0;

		if (!json_is_integer(q) || json_integer_value(q) < 1) {
			sh_payload_error(S, p, "INVALID", fpath("order.lineItems.%zu.quantity", i),
					 "Quantity must be greater than or equal to 1");
			return -1;
		}
		if (vid && !sh_lookup_gid(S, vid, K_VARIANT)) {
			sh_payload_error(S, p, "INVALID", fpath("order.lineItems.%zu.variantId", i),
					 "Variant %s does not exist", vid);
			return -1;
		}
		if (from_fixture && jstr(l, "sku") && !vid && !jstr(l, "title") &&
		    !variant_by_sku(S, jstr(l, "sku"))) {
			sh_payload_error(S, p, "INVALID", fpath("order.lineItems.%zu.sku", i),
					 "No variant has the SKU %s", jstr(l, "sku"));
			return -1;
		}
		if (!vid && !jstr(l, "title") && !(from_fixture && jstr(l, "sku"))) {
			sh_payload_error(S, p, "INVALID", fpath("order.lineItems.%zu.title", i),
					 "Title can't be blank");
			return -1;
		}
		if (price && !json_is_null(price) &&
		    (money_in(price, currency, exp, &amount, &cbad) < 0 || cbad || amount < 0)) {
			sh_payload_error(S, p, "INVALID",
					 fpath("order.lineItems.%zu.priceSet.shopMoney", i),
					 cbad ? "Currency code must match the order currency" :
					 "Amount must be greater than or equal to 0");
			return -1;
		}
	}
	json_array_foreach(ships, i, l) {
		sh_money amount;
		int cbad = 0;

		if (money_in(json_object_get(l, "priceSet"), currency, exp, &amount, &cbad) < 0 ||
		    cbad || amount < 0) {
			sh_payload_error(S, p, "INVALID", fpath("order.shippingLines.%zu.priceSet", i),
					 cbad ? "Currency code must match the order currency" :
					 "Price must be greater than or equal to 0");
			return -1;
		}
	}
	json_array_foreach(json_object_get(in, "transactions"), i, l) {
		sh_money amount;
		int cbad = 0;

		if (money_in(json_object_get(l, "amountSet"), currency, exp, &amount, &cbad) < 0 ||
		    cbad || amount < 0) {
			sh_payload_error(S, p, "INVALID", fpath("order.transactions.%zu.amountSet", i),
					 cbad ? "Currency code must match the order currency" :
					 "Amount must be greater than or equal to 0");
			return -1;
		}
	}
	{
		json_t *cust = json_object_get(in, "customer");
		json_t *assoc = json_object_get(cust, "toAssociate");
		const char *cid = jstr(in, "customerId");

		if (json_is_object(assoc)) {
			if (!jstr(assoc, "id") && !jstr(assoc, "email")) {
				sh_payload_error(S, p, "INVALID", fpath("order.customer.toAssociate"),
						 "Customer id or email is required");
				return -1;
			}
			if (!customer_find(S, jstr(assoc, "id"), jstr(assoc, "id") ? NULL :
					   jstr(assoc, "email"))) {
				sh_payload_error(S, p, "INVALID", fpath("order.customer.toAssociate.id"),
						 "Customer does not exist");
				return -1;
			}
		}
		if (cid && !customer_find(S, cid, NULL)) {
			sh_payload_error(S, p, "INVALID", fpath("order.customerId"),
					 "Customer does not exist");
			return -1;
		}
		if (json_is_object(json_object_get(cust, "toUpsert")) &&
		    json_is_object(assoc)) {
			sh_payload_error(S, p, "INVALID", fpath("order.customer"),
					 "Only one of toAssociate or toUpsert is allowed");
			return -1;
		}
	}
	{
		json_t *dc = json_object_get(in, "discountCode");
		int kinds = 0;

		if (json_is_object(dc)) {
			kinds += json_is_object(json_object_get(dc, "itemPercentageDiscountCode"));
			kinds += json_is_object(json_object_get(dc, "itemFixedDiscountCode"));
			kinds += json_is_object(json_object_get(dc, "freeShippingDiscountCode"));
			if (kinds != 1) {
				sh_payload_error(S, p, "INVALID", fpath("order.discountCode"),
						 "Exactly one discount code type must be given");
				return -1;
			}
		}
	}
	return 0;
}

static void order_lines(struct sh_store *S, struct sh_order *o, json_t *lines)
{
	size_t i;
	json_t *l;

	o->lines = xcalloc(json_array_size(lines), sizeof(*o->lines));
	json_array_foreach(lines, i, l) {
		struct sh_line *li = xcalloc(1, sizeof(*li));
		const char *vid = jstr(l, "variantId");
		json_t *price = json_object_get(l, "priceSet"), *props, *pr;
		size_t k;
		int cbad = 0;

		li->id = sh_new_id(S, K_LINE);
		sh_register(S, K_LINE, li->id, li);
		li->order = o;
		li->variant = vid ? sh_lookup_gid(S, vid, K_VARIANT) : NULL;
		if (!li->variant && !vid && jstr(l, "sku") && !jstr(l, "title"))
			li->variant = variant_by_sku(S, jstr(l, "sku"));	/* fixture shorthand */
		li->quantity = li->current_quantity = (int)json_integer_value(json_object_get(l, "quantity"));
		li->requires_shipping = jbool(l, "requiresShipping", 0);
		li->taxable = jbool(l, "taxable", 1);
		li->gift_card = jbool(l, "giftCard", 0);
		/* A variant line shows the catalog title/SKU unless the input
		 * names its own; priceSet (the sale price) wins over the
		 * catalog price, so imported totals match the source to the cent. */
		li->title = sh_strdup(jstr(l, "title") ? jstr(l, "title") :
				      li->variant ? li->variant->product->title : "");
		li->variant_title = sh_strdup(jstr(l, "variantTitle") ? jstr(l, "variantTitle") :
					      li->variant ? li->variant->title : NULL);
		li->sku = sh_strdup(jstr(l, "sku") ? jstr(l, "sku") : li->variant ? li->variant->sku : NULL);
		li->vendor = sh_strdup(jstr(l, "vendor") ? jstr(l, "vendor") :
				       li->variant ? li->variant->product->vendor : NULL);
		if (price && !json_is_null(price))
			money_in(price, o->currency, o->exp, &li->unit_price, &cbad);
		else if (json_object_get(l, "price"))	/* fixture shorthand */
			sh_parse_amount(json_object_get(l, "price"), o->exp, &li->unit_price);
		else if (li->variant)
			li->unit_price = li->variant->price;
		props = json_object_get(l, "properties");
		li->props = xcalloc(json_array_size(props) + 1, sizeof(*li->props));
		json_array_foreach(props, k, pr) {
			li->props[k].key = sh_strdup(jstr(pr, "name"));
			li->props[k].value = sh_strdup(jstr(pr, "value"));
		}
		li->nprops = json_array_size(props);
		o->lines[o->nlines++] = li;
	}
}

static void order_discount(struct sh_store *S, struct sh_order *o, json_t *dc)
{
	json_t *pct = json_object_get(dc, "itemPercentageDiscountCode");
	json_t *fix = json_object_get(dc, "itemFixedDiscountCode");
	json_t *free_ship = json_object_get(dc, "freeShippingDiscountCode");
	const char *code = NULL;
	sh_money total = 0, *w, *parts;
	size_t i;

	(void)S;
	if (json_is_object(pct))
		code = jstr(pct, "code");
	else if (json_is_object(fix))
		code = jstr(fix, "code");
	else if (json_is_object(free_ship))
		code = jstr(free_ship, "code");
	if (!code)
		return;
	o->discount_codes = xcalloc(1, sizeof(*o->discount_codes));
	o->discount_codes[0] = xstrdup(code);
	o->ndiscount_codes = 1;
	if (json_is_object(free_ship)) {
		for (i = 0; i < o->nships; i++)
			o->ships[i]->discount = o->ships[i]->price;
		return;
	}
	w = xcalloc(o->nlines + 1, sizeof(*w));
	parts = xcalloc(o->nlines + 1, sizeof(*parts));
	for (i = 0; i < o->nlines; i++)
		w[i] = o->lines[i]->unit_price * o->lines[i]->quantity;
	if (json_is_object(pct)) {
		json_t *pv = json_object_get(pct, "percentage");
		double p = json_is_number(pv) ? json_number_value(pv) : 0;
		sh_money sub = 0;

		for (i = 0; i < o->nlines; i++)
			sub += w[i];
		if (p < 0)
			p = 0;
		if (p > 100)
			p = 100;
		total = (sh_money)((long double)sub * p / 100.0L + 0.5L);
	} else {
		int cbad = 0;

		if (money_in(json_object_get(fix, "amountSet"), o->currency, o->exp, &total, &cbad) < 0)
			total = 0;
	}
	allocate(total, w, o->nlines, parts);
	for (i = 0; i < o->nlines; i++) {
		if (parts[i] > w[i])
			parts[i] = w[i];
		o->lines[i]->discount = parts[i];
	}
	free(w);
	free(parts);
}

static void order_customer(struct sh_store *S, struct sh_order *o, json_t *in)
{
	json_t *cust = json_object_get(in, "customer");
	json_t *up = json_object_get(cust, "toUpsert"), *assoc = json_object_get(cust, "toAssociate");
	struct sh_customer *c = NULL;

	if (json_is_object(assoc)) {
		c = customer_find(S, jstr(assoc, "id"), jstr(assoc, "id") ? NULL : jstr(assoc, "email"));
		if (c && jstr(assoc, "email") && jstr(assoc, "id")) {
			set_str(&c->email, jstr(assoc, "email"));
			customer_index(S, c);
		}
	} else if (jstr(in, "customerId")) {
		c = customer_find(S, jstr(in, "customerId"), NULL);
	} else if (json_is_object(up)) {
		const char *email = jstr(up, "email") ? jstr(up, "email") : jstr(in, "email");

		c = customer_find(S, jstr(up, "id"), jstr(up, "id") ? NULL : email);
		if (!c)
			c = customer_new(S);
		set_str(&c->email, email);
		customer_index(S, c);
		set_str(&c->phone, jstr(up, "phone") ? jstr(up, "phone") : jstr(in, "phone"));
		set_str(&c->first_name, jstr(up, "firstName"));
		set_str(&c->last_name, jstr(up, "lastName"));
		set_str(&c->note, jstr(up, "note"));
		if (json_object_get(up, "tags"))
			sh_tags_set(&c->tags, &c->ntags, json_object_get(up, "tags"));
		c->updated = S->now;
	}
	if (!c)
		return;
	o->customer = c;
	if (!c->default_address && (o->shipping_address || o->billing_address))
		c->default_address = json_deep_copy(o->shipping_address ? o->shipping_address :
						    o->billing_address);
	if (!c->first_name && !c->last_name && c->default_address) {
		set_str(&c->first_name, json_string_value(json_object_get(c->default_address, "firstName")));
		set_str(&c->last_name, json_string_value(json_object_get(c->default_address, "lastName")));
	}
	if (!o->email && c->email)
		o->email = xstrdup(c->email);
}

/* Fixture-only: fulfillments and events on a loaded order. */
static int fixture_fulfillments(struct sh_store *S, struct sh_order *o, json_t *list,
				struct sh_payload *p)
{
	size_t i, k;
	json_t *fj, *lj, *ev;

	json_array_foreach(list, i, fj) {
		struct sh_fo_line **fls = xcalloc(o->nlines + 1, sizeof(*fls));
		int *qty = xcalloc(o->nlines + 1, sizeof(*qty));
		size_t n = 0;
		struct sh_tracking *trk;
		size_t ntrk;
		struct sh_ful *f;
		int64_t when = S->now;

		if (jstr(fj, "createdAt"))
			sh_parse_time(jstr(fj, "createdAt"), &when);
		else if (json_is_integer(json_object_get(fj, "createdAt")))
			when = json_integer_value(json_object_get(fj, "createdAt"));
		json_array_foreach(json_object_get(fj, "lines"), k, lj) {
			size_t m, q;

			for (m = 0; m < o->nfos; m++)
				for (q = 0; q < o->fos[m]->nlines; q++) {
					struct sh_fo_line *fl = o->fos[m]->lines[q];

					if (jstr(lj, "sku") && fl->line->sku &&
					    strcmp(fl->line->sku, jstr(lj, "sku")) == 0 && fl->remaining > 0 &&
					    n < o->nlines) {
						fls[n] = fl;
						qty[n++] = json_is_integer(json_object_get(lj, "quantity")) ?
							(int)json_integer_value(json_object_get(lj, "quantity")) :
							fl->remaining;
						m = o->nfos;
						break;
					}
				}
		}
		if (!json_object_get(fj, "lines")) {
			size_t m, q;

			for (m = 0; m < o->nfos; m++)
				for (q = 0; q < o->fos[m]->nlines && n < o->nlines; q++)
					if (o->fos[m]->lines[q]->remaining > 0) {
						fls[n] = o->fos[m]->lines[q];
						qty[n++] = o->fos[m]->lines[q]->remaining;
					}
		}
		if (n == 0) {
			sh_payload_error(S, p, "INVALID", fpath("fulfillments.%zu", i),
					 "nothing left to fulfill on this order");
			free(fls);
			free(qty);
			return -1;
		}
		tracking_from_input(fj, &trk, &ntrk);
		f = fulfill(S, o, fls, qty, n, trk, ntrk, 0, when);
		free(fls);
		free(qty);
		/* A fixture may name its fulfillment (events refer to it). */
		if (jstr(fj, "id")) {
			enum sh_kind kind;
			int64_t fid;

			if (sh_parse_gid(jstr(fj, "id"), &kind, &fid) < 0 || kind != K_FUL ||
			    sh_lookup(S, K_FUL, fid)) {
				sh_payload_error(S, p, "INVALID", fpath("fulfillments.%zu.id", i),
						 "not a new Fulfillment GID");
				return -1;
			}
			f->id = fid;
			sh_register(S, K_FUL, fid, f);
		}
		if (jstr(fj, "status") && strcmp(jstr(fj, "status"), "CANCELLED") == 0) {
			f->status = "CANCELLED";
			f->display_status = "CANCELED";
			for (k = 0; k < f->nlines; k++)
				f->lines[k]->fo_line->remaining += f->lines[k]->quantity;
			for (k = 0; k < o->nfos; k++)
				sh_fo_refresh(o->fos[k]);
		}
		json_array_foreach(json_object_get(fj, "events"), k, ev) {
			struct sh_event *e = xcalloc(1, sizeof(*e));
			static const char *const statuses[] = { "IN_TRANSIT", "DELIVERED", "OUT_FOR_DELIVERY",
								"CONFIRMED", "ATTEMPTED_DELIVERY", "DELAYED",
								"FAILURE", "LABEL_PRINTED", "LABEL_PURCHASED",
								"READY_FOR_PICKUP", "CARRIER_PICKED_UP" };
			size_t s;

			e->id = sh_new_id(S, K_EVENT);
			sh_register(S, K_EVENT, e->id, e);
			e->status = "CONFIRMED";
			for (s = 0; s < ARRAY_SIZE(statuses); s++)
				if (jstr(ev, "status") && strcmp(jstr(ev, "status"), statuses[s]) == 0)
					e->status = statuses[s];
			e->happened = when;
			if (json_is_integer(json_object_get(ev, "happenedAt")))
				e->happened = json_integer_value(json_object_get(ev, "happenedAt"));
			else if (jstr(ev, "happenedAt"))
				sh_parse_time(jstr(ev, "happenedAt"), &e->happened);
			e->created = e->happened;
			f->events = sh_grow(f->events, f->nevents, sizeof(*f->events));
			f->events[f->nevents++] = e;
			if (strcmp(f->status, "SUCCESS") == 0)
				f->display_status = e->status;
			if (strcmp(e->status, "IN_TRANSIT") == 0 && !f->in_transit)
				f->in_transit = e->happened;
			if (strcmp(e->status, "DELIVERED") == 0)
				f->delivered = e->happened;
			if (e->happened > f->updated)
				f->updated = e->happened;
		}
	}
	return 0;
}

int sh_order_build(struct sh_store *S, json_t *in, json_t *options, int from_fixture,
		   struct sh_payload *p, struct sh_order **out)
{
	struct sh_order *o;
	const char *currency = jstr(in, "currency") ? jstr(in, "currency") : S->shop_currency;
	int exp = sh_currency_exponent(currency);
	json_t *v, *it;
	size_t i, k;
	sh_money *w, *parts, subtotal = 0;
	struct sh_location *loc = S->locations[0];
	int64_t t;

	*out = NULL;
	if (!from_fixture && dev_store_limited(S)) {
		sh_payload_error(S, p, NULL, NULL, "Too many attempts. Please try again later.");
		return 0;
	}
	if (order_validate(S, in, from_fixture, p, currency, exp) < 0)
		return from_fixture ? -1 : 0;
	if ((v = json_object_get(in, "fulfillment")) && json_is_object(v)) {
		loc = sh_lookup_gid(S, jstr(v, "locationId"), K_LOCATION);
		if (!loc) {
			sh_payload_error(S, p, "INVALID", fpath("order.fulfillment.locationId"),
					 "Location does not exist");
			return from_fixture ? -1 : 0;
		}
	}

	o = xcalloc(1, sizeof(*o));
	if (from_fixture && jstr(in, "id")) {
		enum sh_kind kind;

		if (sh_parse_gid(jstr(in, "id"), &kind, &o->id) < 0 || kind != K_ORDER ||
		    sh_lookup(S, K_ORDER, o->id)) {
			free(o);
			sh_payload_error(S, p, "INVALID", fpath("order.id"), "not a new Order GID");
			return -1;
		}
	} else {
		o->id = sh_new_id(S, K_ORDER);
	}
	snprintf(o->currency, sizeof(o->currency), "%s", currency);
	o->exp = exp;
	o->number = S->next_order_number++;
	o->name = jstr(in, "name") ? xstrdup(jstr(in, "name")) : xasprintf("#%d", o->number);
	o->created = o->updated = o->processed = S->now;
	if (jstr(in, "processedAt") && sh_parse_time(jstr(in, "processedAt"), &t) == 0)
		o->processed = t;
	else if (json_is_integer(json_object_get(in, "processedAt")))
		o->processed = json_integer_value(json_object_get(in, "processedAt"));
	if (from_fixture) {
		/* a fixture order was created when it was processed, unless told */
		o->created = o->updated = o->processed;
		if (jstr(in, "createdAt") && sh_parse_time(jstr(in, "createdAt"), &t) == 0)
			o->created = t;
		else if (json_is_integer(json_object_get(in, "createdAt")))
			o->created = json_integer_value(json_object_get(in, "createdAt"));
		o->updated = o->created;
	}
	o->indexed_at = from_fixture ? 0 : S->now + S->limits.search_index_lag;
	o->test = jbool(in, "test", 0);
	o->taxes_included = jbool(in, "taxesIncluded", 0);
	o->note = sh_strdup(jstr(in, "note"));
	o->email = sh_strdup(jstr(in, "email"));
	o->phone = sh_strdup(jstr(in, "phone"));
	o->source_name = sh_strdup(jstr(in, "sourceName") ? jstr(in, "sourceName") : S->app_source_name);
	o->source_identifier = sh_strdup(jstr(in, "sourceIdentifier"));
	if (jstr(in, "sourceUrl") && (strncmp(jstr(in, "sourceUrl"), "http://", 7) == 0 ||
				      strncmp(jstr(in, "sourceUrl"), "https://", 8) == 0))
		o->source_url = xstrdup(jstr(in, "sourceUrl"));	/* ignored if invalid */
	o->po_number = sh_strdup(jstr(in, "poNumber"));
	sh_tags_set(&o->tags, &o->ntags, json_object_get(in, "tags"));
	v = json_object_get(in, "customAttributes");
	o->attrs = xcalloc(json_array_size(v) + 1, sizeof(*o->attrs));
	json_array_foreach(v, i, it) {
		o->attrs[o->nattrs].key = sh_strdup(jstr(it, "key"));
		o->attrs[o->nattrs++].value = sh_strdup(jstr(it, "value"));
	}
	v = json_object_get(in, "metafields");
	o->mfs = xcalloc(json_array_size(v) + 1, sizeof(*o->mfs));
	json_array_foreach(v, i, it) {
		struct sh_metafield *m;

		if (!jstr(it, "key"))
			continue;
		m = xcalloc(1, sizeof(*m));
		m->id = sh_new_id(S, K_METAFIELD);
		sh_register(S, K_METAFIELD, m->id, m);
		m->ns = xstrdup(jstr(it, "namespace") ? jstr(it, "namespace") : "$app");
		m->key = xstrdup(jstr(it, "key"));
		m->value = sh_strdup(jstr(it, "value"));
		m->type = sh_strdup(jstr(it, "type"));
		m->created = m->updated = S->now;
		o->mfs[o->nmfs++] = m;
	}
	o->shipping_address = address_in(S, json_object_get(in, "shippingAddress"));
	o->billing_address = address_in(S, json_object_get(in, "billingAddress"));

	order_lines(S, o, json_object_get(in, "lineItems"));
	v = json_object_get(in, "shippingLines");
	o->ships = xcalloc(json_array_size(v) + 1, sizeof(*o->ships));
	json_array_foreach(v, i, it) {
		struct sh_ship *s = xcalloc(1, sizeof(*s));
		int cbad = 0;

		s->id = sh_new_id(S, K_SHIP);
		s->order = o;
		s->title = sh_strdup(jstr(it, "title"));
		s->code = sh_strdup(jstr(it, "code") ? jstr(it, "code") : "custom");
		s->source = sh_strdup(jstr(it, "source") ? jstr(it, "source") : "shopify");
		if (json_object_get(it, "priceSet"))
			money_in(json_object_get(it, "priceSet"), o->currency, o->exp, &s->price, &cbad);
		else if (json_object_get(it, "price"))
			sh_parse_amount(json_object_get(it, "price"), o->exp, &s->price);
		o->ships[o->nships++] = s;
	}
	if ((v = json_object_get(in, "discountCode")) && json_is_object(v))
		order_discount(S, o, v);
	/* taxes: line and shipping tax lines, or order-level ones split
	 * over the taxable lines in proportion to their totals */
	for (i = 0; i < o->nlines; i++) {
		json_t *lin = json_array_get(json_object_get(in, "lineItems"), i);
		char base[64];

		snprintf(base, sizeof(base), "order.lineItems.%zu", i);
		tax_lines_in(S, p, json_object_get(lin, "taxLines"), base,
			     sh_line_total(o->lines[i], 0), o->currency, o->exp,
			     &o->lines[i]->tax, &o->lines[i]->ntax);
		subtotal += sh_line_total(o->lines[i], 0);
	}
	for (i = 0; i < o->nships; i++) {
		json_t *sin = json_array_get(json_object_get(in, "shippingLines"), i);
		char base[64];

		snprintf(base, sizeof(base), "order.shippingLines.%zu", i);
		tax_lines_in(S, p, json_object_get(sin, "taxLines"), base,
			     o->ships[i]->price - o->ships[i]->discount, o->currency, o->exp,
			     &o->ships[i]->tax, &o->ships[i]->ntax);
	}
	v = json_object_get(in, "taxLines");
	w = xcalloc(o->nlines + 1, sizeof(*w));
	parts = xcalloc(o->nlines + 1, sizeof(*parts));
	for (i = 0; i < o->nlines; i++)
		w[i] = o->lines[i]->taxable ? sh_line_total(o->lines[i], 0) : 0;
	json_array_foreach(v, k, it) {
		sh_money amount;
		int cbad = 0;
		json_t *price = json_object_get(it, "priceSet");

		if (price && !json_is_null(price))
			money_in(price, o->currency, o->exp, &amount, &cbad);
		else
			amount = apply_rate(jstr(it, "rate"), subtotal);
		allocate(amount, w, o->nlines, parts);
		for (i = 0; i < o->nlines; i++) {
			struct sh_line *l = o->lines[i];

			if (!w[i] && !(parts[i]))
				continue;
			l->tax = xrealloc(l->tax, (l->ntax + 1) * sizeof(*l->tax));
			l->tax[l->ntax].title = sh_strdup(jstr(it, "title"));
			l->tax[l->ntax].rate = sh_strdup(jstr(it, "rate"));
			l->tax[l->ntax].channel_liable = jbool(it, "channelLiable", 0);
			l->tax[l->ntax++].amount = parts[i];
		}
	}
	free(w);
	free(parts);
	/* transactions and financial status */
	v = json_object_get(in, "transactions");
	o->txns = xcalloc(json_array_size(v) + 2, sizeof(*o->txns));
	json_array_foreach(v, i, it) {
		struct sh_txn *tx = xcalloc(1, sizeof(*tx));
		int cbad = 0;

		tx->id = sh_new_id(S, K_TXN);
		sh_register(S, K_TXN, tx->id, tx);
		tx->kind = xstrdup(jstr(it, "kind") ? jstr(it, "kind") : "SALE");
		tx->status = xstrdup(jstr(it, "status") ? jstr(it, "status") : "SUCCESS");
		tx->gateway = sh_strdup(jstr(it, "gateway") ? jstr(it, "gateway") : "manual");
		money_in(json_object_get(it, "amountSet"), o->currency, o->exp, &tx->amount, &cbad);
		tx->processed = o->processed;
		if (jstr(it, "processedAt"))
			sh_parse_time(jstr(it, "processedAt"), &tx->processed);
		tx->test = jbool(it, "test", 0);
		o->txns[o->ntxns++] = tx;
	}
	if (jstr(in, "financialStatus")) {
		static const char *const fs[] = { "PENDING", "AUTHORIZED", "PARTIALLY_PAID", "PAID",
						  "PARTIALLY_REFUNDED", "REFUNDED", "VOIDED", "EXPIRED" };

		for (i = 0; i < ARRAY_SIZE(fs); i++)
			if (strcmp(fs[i], jstr(in, "financialStatus")) == 0)
				o->financial_status = fs[i];
	}
	order_customer(S, o, in);
	if (json_is_object(options)) {
		o->inventory_behaviour = sh_strdup(jstr(options, "inventoryBehaviour"));
		o->send_receipt = jbool(options, "sendReceipt", 0);
		o->send_fulfillment_receipt = jbool(options, "sendFulfillmentReceipt", 0);
	}
	if (!o->inventory_behaviour)
		o->inventory_behaviour = xstrdup("BYPASS");
	/* one fulfillment order at the location for the lines that ship */
	o->fos = xcalloc(1, sizeof(*o->fos));
	{
		struct sh_fo *fo = NULL;

		for (i = 0; i < o->nlines; i++) {
			struct sh_fo_line *fl;

			if (!o->lines[i]->requires_shipping)
				continue;
			if (!fo) {
				fo = xcalloc(1, sizeof(*fo));
				fo->id = sh_new_id(S, K_FO);
				sh_register(S, K_FO, fo->id, fo);
				fo->order = o;
				fo->loc = loc;
				fo->status = "OPEN";
				fo->request_status = "UNSUBMITTED";
				fo->created = fo->updated = o->created;
				fo->fulfill_at = o->created - o->created % 3600;
				fo->lines = xcalloc(o->nlines, sizeof(*fo->lines));
				o->fos[o->nfos++] = fo;
			}
			fl = xcalloc(1, sizeof(*fl));
			fl->id = sh_new_id(S, K_FO_LINE);
			sh_register(S, K_FO_LINE, fl->id, fl);
			fl->fo = fo;
			fl->line = o->lines[i];
			fl->total = fl->remaining = o->lines[i]->quantity;
			fo->lines[fo->nlines++] = fl;
		}
	}
	order_add(S, o);
	/* created fulfilled: orderCreate's `fulfillment` / fulfillmentStatus */
	if (json_is_object(json_object_get(in, "fulfillment")) ||
	    (jstr(in, "fulfillmentStatus") && strcmp(jstr(in, "fulfillmentStatus"), "FULFILLED") == 0)) {
		json_t *fin = json_object_get(in, "fulfillment");
		struct sh_fo_line **fls = xcalloc(o->nlines + 1, sizeof(*fls));
		int *qty = xcalloc(o->nlines + 1, sizeof(*qty));
		size_t n = 0;

		for (i = 0; o->nfos && i < o->fos[0]->nlines; i++) {
			fls[n] = o->fos[0]->lines[i];
			qty[n++] = o->fos[0]->lines[i]->remaining;
		}
		if (n) {
			struct sh_tracking *trk = NULL;
			size_t ntrk = 0;
			struct sh_ful *f;

			if (jstr(fin, "trackingNumber") || jstr(fin, "trackingCompany")) {
				json_t *ti = json_pack("{s:s?,s:s?}", "number", jstr(fin, "trackingNumber"),
						       "company", jstr(fin, "trackingCompany"));

				tracking_from_input(ti, &trk, &ntrk);
				json_decref(ti);
			}
			f = fulfill(S, o, fls, qty, n, trk, ntrk, jbool(fin, "notifyCustomer", 0), o->created);
			if (event_status(jstr(fin, "shipmentStatus"))) {
				struct sh_event *e = xcalloc(1, sizeof(*e));

				e->id = sh_new_id(S, K_EVENT);
				sh_register(S, K_EVENT, e->id, e);
				e->status = event_status(jstr(fin, "shipmentStatus"));
				e->happened = e->created = o->created;
				f->events = sh_grow(f->events, 0, sizeof(*f->events));
				f->events[f->nevents++] = e;
				f->display_status = e->status;
				if (strcmp(e->status, "IN_TRANSIT") == 0)
					f->in_transit = e->happened;
				if (strcmp(e->status, "DELIVERED") == 0)
					f->delivered = e->happened;
			}
		}
		free(fls);
		free(qty);
	}
	if (from_fixture) {
		if (fixture_fulfillments(S, o, json_object_get(in, "fulfillments"), p) < 0)
			return -1;
		if (json_is_integer(json_object_get(in, "cancelledAt")) || jstr(in, "cancelledAt")) {
			o->cancelled = json_is_integer(json_object_get(in, "cancelledAt")) ?
				json_integer_value(json_object_get(in, "cancelledAt")) : o->created;
			if (jstr(in, "cancelledAt"))
				sh_parse_time(jstr(in, "cancelledAt"), &o->cancelled);
			o->cancel_reason = "OTHER";
			if (jstr(in, "cancelReason")) {
				static const char *const reasons[] = { "CUSTOMER", "DECLINED", "FRAUD",
								       "INVENTORY", "STAFF", "OTHER" };

				for (i = 0; i < ARRAY_SIZE(reasons); i++)
					if (strcmp(reasons[i], jstr(in, "cancelReason")) == 0)
						o->cancel_reason = reasons[i];
			}
			o->closed = 1;
			o->closed_at = o->cancelled;
			for (i = 0; i < o->nfos; i++)
				sh_fo_refresh(o->fos[i]);
			if (o->cancelled > o->updated)
				o->updated = o->cancelled;
		}
		if (json_is_true(json_object_get(in, "closed"))) {
			o->closed = 1;
			o->closed_at = o->updated;
		}
		if (json_is_integer(json_object_get(in, "updatedAt")))
			o->updated = json_integer_value(json_object_get(in, "updatedAt"));
		else if (jstr(in, "updatedAt"))
			sh_parse_time(jstr(in, "updatedAt"), &o->updated);
	} else {
		dev_store_count(S);
		S->n_orders_created++;
	}
	*out = o;
	return 0;
}

/* ------------------------------------------------------------------ */
/* fulfillments                                                         */

static struct sh_ful *fulfill(struct sh_store *S, struct sh_order *o, struct sh_fo_line **fls,
			      const int *qty, size_t n, struct sh_tracking *trk, size_t ntrk,
			      int notify, int64_t when)
{
	struct sh_ful *f = xcalloc(1, sizeof(*f));
	size_t i, k;

	f->id = sh_new_id(S, K_FUL);
	sh_register(S, K_FUL, f->id, f);
	f->order = o;
	f->seq = (int)o->nfuls + 1;
	f->status = "SUCCESS";
	f->display_status = "FULFILLED";
	f->created = f->updated = when;
	f->loc = n ? fls[0]->fo->loc : S->locations[0];
	f->trk = trk;
	f->ntrk = ntrk;
	f->notify_customer = notify;
	f->lines = xcalloc(n + 1, sizeof(*f->lines));
	f->fos = xcalloc(n + 1, sizeof(*f->fos));
	for (i = 0; i < n; i++) {
		struct sh_ful_line *fl = xcalloc(1, sizeof(*fl));

		fl->id = sh_new_id(S, K_FUL_LINE);
		sh_register(S, K_FUL_LINE, fl->id, fl);
		fl->line = fls[i]->line;
		fl->fo_line = fls[i];
		fl->quantity = qty[i];
		fls[i]->remaining -= qty[i];
		f->lines[f->nlines++] = fl;
		for (k = 0; k < f->nfos; k++)
			if (f->fos[k] == fls[i]->fo)
				break;
		if (k == f->nfos)
			f->fos[f->nfos++] = fls[i]->fo;
	}
	for (k = 0; k < f->nfos; k++) {
		sh_fo_refresh(f->fos[k]);
		f->fos[k]->updated = when;
	}
	o->fuls = sh_grow(o->fuls, o->nfuls, sizeof(*o->fuls));
	o->fuls[o->nfuls++] = f;
	if (when > o->updated)
		o->updated = when;
	return f;
}

/* fulfillmentCreate's checks (research §5.1, live messages). */
static void m_fulfillment_create(struct sh_store *S, json_t *fin, struct sh_payload *p)
{
	json_t *groups = json_object_get(fin, "lineItemsByFulfillmentOrder"), *g;
	struct sh_fo **fos;
	struct sh_fo_line **fls = NULL;
	int *qty = NULL;
	size_t ng = json_array_size(groups), i, k, n = 0, cap = 0;
	struct sh_order *order = NULL;
	struct sh_tracking *trk;
	size_t ntrk;
	struct sh_ful *f;

	if (ng == 0) {
		sh_payload_error(S, p, NULL, fpath("fulfillment.lineItemsByFulfillmentOrder"),
				 "Line items by fulfillment order can't be blank");
		return;
	}
	if (ng > SH_MAX_INPUT_ARRAY) {
		sh_payload_error(S, p, NULL, fpath("fulfillment"), "Too many fulfillment orders");
		return;
	}
	fos = xcalloc(ng, sizeof(*fos));
	json_array_foreach(groups, i, g) {
		fos[i] = sh_lookup_gid(S, jstr(g, "fulfillmentOrderId"), K_FO);
		if (!fos[i]) {
			sh_payload_error(S, p, NULL, fpath("fulfillment"), "Fulfillment order does not exist.");
			goto done;
		}
	}
	for (i = 1; i < ng; i++) {
		if (fos[i]->order != fos[0]->order) {
			struct strbuf sb = STRBUF_INIT;

			for (k = 0; k < ng; k++) {
				size_t m;

				for (m = 0; m < k; m++)
					if (fos[m]->order == fos[k]->order)
						break;
				if (m < k)
					continue;
				sb_addf(&sb, "%s%lld", sb.len ? ", " : "", (long long)fos[k]->order->id);
			}
			sh_payload_error(S, p, NULL, fpath("fulfillment"),
					 "All fulfillment orders must belong to the same order. "
					 "Multiple orders with ids [%s] were found.", sb.buf);
			sb_free(&sb);
			goto done;
		}
	}
	for (i = 1; i < ng; i++) {
		if (fos[i]->loc != fos[0]->loc) {
			struct strbuf sb = STRBUF_INIT;

			for (k = 0; k < ng; k++) {
				size_t m;

				for (m = 0; m < k; m++)
					if (fos[m]->loc == fos[k]->loc)
						break;
				if (m < k)
					continue;
				sb_addf(&sb, "%s%lld", sb.len ? ", " : "", (long long)fos[k]->loc->id);
			}
			sh_payload_error(S, p, NULL, fpath("fulfillment"),
					 "All fulfillment orders must be assigned to a single location. "
					 "Multiple locations with ids [%s] were found.", sb.buf);
			sb_free(&sb);
			goto done;
		}
	}
	order = fos[0]->order;
	for (i = 0; i < ng; i++) {
		if (strcmp(fos[i]->status, "OPEN") != 0 && strcmp(fos[i]->status, "IN_PROGRESS") != 0) {
			char st[32];
			size_t m;

			snprintf(st, sizeof(st), "%s", fos[i]->status);
			for (m = 0; st[m]; m++)
				st[m] = (char)tolower((unsigned char)st[m]);
			sh_payload_error(S, p, NULL, fpath("fulfillment"),
					 "Fulfillment order %lld has an unfulfillable status= %s.",
					 (long long)fos[i]->id, st);
			goto done;
		}
	}
	json_array_foreach(groups, i, g) {
		json_t *items = json_object_get(g, "fulfillmentOrderLineItems"), *it;

		if (!items || json_is_null(items)) {
			for (k = 0; k < fos[i]->nlines; k++) {
				if (fos[i]->lines[k]->remaining <= 0)
					continue;
				fls = sh_grow(fls, n, sizeof(*fls));
				qty = sh_grow(qty, n, sizeof(*qty));
				fls[n] = fos[i]->lines[k];
				qty[n++] = fos[i]->lines[k]->remaining;
			}
			continue;
		}
		json_array_foreach(items, k, it) {
			struct sh_fo_line *fl = sh_lookup_gid(S, jstr(it, "id"), K_FO_LINE);
			long long q = json_integer_value(json_object_get(it, "quantity"));
			size_t m;

			if (!fl || fl->fo != fos[i]) {
				sh_payload_error(S, p, NULL, fpath("fulfillment"),
						 "Fulfillment order line item does not exist.");
				goto done;
			}
			if (q <= 0) {
				sh_payload_error(S, p, NULL,
						 fpath("fulfillment.lineItemsByFulfillmentOrder.%zu."
						       "fulfillmentOrderLineItems.%zu.quantity", i, k),
						 "Quantity must be greater than 0");
				goto done;
			}
			for (m = 0; m < n; m++)
				if (fls[m] == fl)
					break;
			if (m == n) {
				fls = sh_grow(fls, n, sizeof(*fls));
				qty = sh_grow(qty, n, sizeof(*qty));
				fls[n] = fl;
				qty[n++] = 0;
			}
			if (qty[m] + q > fl->remaining) {
				sh_payload_error(S, p, NULL, fpath("fulfillment"),
						 "Invalid fulfillment order line item quantity requested.");
				goto done;
			}
			qty[m] += (int)q;
		}
	}
	(void)cap;
	if (n == 0) {
		sh_payload_error(S, p, NULL, fpath("fulfillment"),
				 "Invalid fulfillment order line item quantity requested.");
		goto done;
	}
	tracking_from_input(json_object_get(fin, "trackingInfo"), &trk, &ntrk);
	f = fulfill(S, order, fls, qty, n, trk, ntrk, jbool(fin, "notifyCustomer", 0), S->now);
	sh_touch(S, order);
	S->wrote = 1;
	p->obj = f;
done:
	free(fos);
	free(fls);
	free(qty);
}

static const char *event_status(const char *s)
{
	static const char *const st[] = { "LABEL_PURCHASED", "LABEL_PRINTED", "READY_FOR_PICKUP",
					  "CONFIRMED", "IN_TRANSIT", "OUT_FOR_DELIVERY",
					  "ATTEMPTED_DELIVERY", "DELAYED", "DELIVERED", "FAILURE",
					  "CARRIER_PICKED_UP" };
	size_t i;

	for (i = 0; s && i < ARRAY_SIZE(st); i++)
		if (strcmp(st[i], s) == 0)
			return st[i];
	return NULL;
}

static struct sh_event *add_event(struct sh_store *S, struct sh_ful *f, json_t *in)
{
	struct sh_event *e = xcalloc(1, sizeof(*e));
	json_t *v;

	e->id = sh_new_id(S, K_EVENT);
	sh_register(S, K_EVENT, e->id, e);
	e->status = event_status(jstr(in, "status"));
	e->created = S->now;
	e->happened = S->now;
	if (jstr(in, "happenedAt"))
		sh_parse_time(jstr(in, "happenedAt"), &e->happened);
	if (jstr(in, "estimatedDeliveryAt"))
		sh_parse_time(jstr(in, "estimatedDeliveryAt"), &e->estimated);
	e->message = sh_strdup(jstr(in, "message"));
	e->address1 = sh_strdup(jstr(in, "address1"));
	e->city = sh_strdup(jstr(in, "city"));
	e->province = sh_strdup(jstr(in, "province"));
	e->country = sh_strdup(jstr(in, "country"));
	e->zip = sh_strdup(jstr(in, "zip"));
	if ((v = json_object_get(in, "latitude")) && json_is_number(v)) {
		e->lat = json_number_value(v);
		e->has_lat = 1;
	}
	if ((v = json_object_get(in, "longitude")) && json_is_number(v)) {
		e->lng = json_number_value(v);
		e->has_lng = 1;
	}
	f->events = sh_grow(f->events, f->nevents, sizeof(*f->events));
	f->events[f->nevents++] = e;
	/* The latest event drives displayStatus and the milestone dates;
	 * a cancelled fulfillment keeps CANCELED (live). */
	if (strcmp(f->status, "CANCELLED") != 0)
		f->display_status = e->status;
	if (strcmp(e->status, "IN_TRANSIT") == 0 && !f->in_transit)
		f->in_transit = e->happened;
	if (strcmp(e->status, "DELIVERED") == 0)
		f->delivered = e->happened;
	if (e->estimated)
		f->estimated = e->estimated;
	f->updated = S->now;
	sh_touch(S, f->order);
	S->wrote = 1;
	return e;
}

static void cancel_fulfillment(struct sh_store *S, struct sh_ful *f)
{
	size_t i;

	if (strcmp(f->status, "CANCELLED") == 0)
		return;		/* idempotent (live) */
	f->status = "CANCELLED";
	f->display_status = "CANCELED";
	f->updated = S->now;
	for (i = 0; i < f->nlines; i++)
		f->lines[i]->fo_line->remaining += f->lines[i]->quantity;
	for (i = 0; i < f->nfos; i++) {
		sh_fo_refresh(f->fos[i]);
		f->fos[i]->updated = S->now;
	}
	sh_touch(S, f->order);
	S->wrote = 1;
}

/* ------------------------------------------------------------------ */
/* orders                                                               */

static char *job_id(struct sh_store *S)
{
	unsigned long long a = (unsigned long long)S->now * 2654435761ULL +
			       (unsigned long long)S->n_requests;

	return xasprintf("gid://shopify/Job/%08llx-%04llx-4%03llx-a%03llx-%012llx",
			 a & 0xffffffffULL, (a >> 8) & 0xffffULL, (a >> 20) & 0xfffULL,
			 (a >> 32) & 0xfffULL, (a * 31) & 0xffffffffffffULL);
}

static void m_order_cancel(struct sh_store *S, json_t *args, struct sh_payload *p)
{
	const char *gid = jstr(args, "orderId"), *note = jstr(args, "staffNote");
	struct sh_order *o = sh_lookup_gid(S, gid, K_ORDER);
	json_t *refund = json_object_get(args, "refund"), *method = json_object_get(args, "refundMethod");
	int do_refund;
	size_t i, k;

	if (note && strlen(note) > SH_STAFF_NOTE_MAX) {
		sh_payload_error(S, p, "INVALID", fpath("staffNote"),
				 "Staff note is too long. Maximum length is 255 characters.");
		return;
	}
	if (refund && !json_is_null(refund) && method && !json_is_null(method)) {
		sh_payload_error(S, p, "INVALID", fpath("refund"),
				 "Only one of the arguments `refund` or `refund_method` is allowed.");
		return;
	}
	if (!o) {
		sh_payload_error(S, p, "NOT_FOUND", fpath("orderId"), "Order does not exist");
		return;
	}
	if (o->cancelled) {
		sh_payload_error(S, p, "INVALID", fpath("orderId"),
				 "Cannot cancel an order that has already been canceled");
		return;
	}
	for (i = 0; i < o->nfuls; i++) {
		if (strcmp(o->fuls[i]->status, "SUCCESS") == 0) {
			sh_payload_error(S, p, "INVALID", fpath("orderId"),
					 "Cannot cancel an order that has outstanding fulfillments");
			return;
		}
	}
	do_refund = json_is_true(refund) ||
		    json_is_true(json_object_get(method, "originalPaymentMethodsRefund")) ||
		    json_is_object(json_object_get(method, "storeCreditRefund"));
	o->cancelled = S->now;
	o->cancel_reason = NULL;
	{
		static const char *const reasons[] = { "CUSTOMER", "DECLINED", "FRAUD", "INVENTORY",
						       "STAFF", "OTHER" };

		for (i = 0; i < ARRAY_SIZE(reasons); i++)
			if (jstr(args, "reason") && strcmp(reasons[i], jstr(args, "reason")) == 0)
				o->cancel_reason = reasons[i];
	}
	o->closed = 1;
	o->closed_at = S->now;
	o->notify_on_cancel = jbool(args, "notifyCustomer", 0);
	free(o->staff_note);
	o->staff_note = sh_strdup(note);
	if (do_refund) {
		sh_money received = sh_order_received(o);

		if (received > 0) {
			struct sh_txn *tx = xcalloc(1, sizeof(*tx));

			tx->id = sh_new_id(S, K_TXN);
			sh_register(S, K_TXN, tx->id, tx);
			tx->kind = xstrdup("REFUND");
			tx->status = xstrdup("SUCCESS");
			tx->gateway = xstrdup(o->ntxns && o->txns[0]->gateway ? o->txns[0]->gateway :
					      "manual");
			tx->amount = received;
			tx->processed = S->now;
			o->txns = sh_grow(o->txns, o->ntxns, sizeof(*o->txns));
			o->txns[o->ntxns++] = tx;
		}
		if (o->financial_status)
			o->financial_status = "REFUNDED";
		for (i = 0; i < o->nlines; i++)
			o->lines[i]->current_quantity = 0;
		for (i = 0; i < o->nfos; i++)
			for (k = 0; k < o->fos[i]->nlines; k++)
				o->fos[i]->lines[k]->total = o->fos[i]->lines[k]->remaining = 0;
	}
	for (i = 0; i < o->nfos; i++) {
		sh_fo_refresh(o->fos[i]);
		o->fos[i]->updated = S->now;
	}
	sh_touch(S, o);
	S->wrote = 1;
	p->job = 1;
	{
		char *id = job_id(S);

		p->job_id = astrdup(S, id);
		free(id);
	}
}

static void kv_set(struct sh_kv **kv, size_t *n, json_t *list)
{
	size_t i;
	json_t *it;

	for (i = 0; i < *n; i++) {
		free((*kv)[i].key);
		free((*kv)[i].value);
	}
	free(*kv);
	*kv = xcalloc(json_array_size(list) + 1, sizeof(**kv));
	*n = 0;
	json_array_foreach(list, i, it) {
		(*kv)[*n].key = sh_strdup(jstr(it, "key"));
		(*kv)[(*n)++].value = sh_strdup(jstr(it, "value"));
	}
}

static void m_order_update(struct sh_store *S, json_t *in, struct sh_payload *p,
			   struct gql_res *out)
{
	struct sh_order *o = sh_lookup_gid(S, jstr(in, "id"), K_ORDER);
	json_t *v, *it;
	size_t i, k;

	if (json_object_get(in, "localizationExtensions") || json_object_get(in, "localizedFields")) {
		gql_res_error(out, "shopify-emu: OrderInput.%s is not implemented",
			      json_object_get(in, "localizedFields") ? "localizedFields" :
			      "localizationExtensions");
		return;
	}
	if (!o) {
		sh_payload_error(S, p, NULL, fpath("id"), "Order does not exist");
		return;
	}
	if ((v = json_object_get(in, "email")))
		set_str(&o->email, json_string_value(v));
	if ((v = json_object_get(in, "phone")))
		set_str(&o->phone, json_string_value(v));
	if ((v = json_object_get(in, "note"))) {
		free(o->note);
		o->note = sh_strdup(json_string_value(v));
	}
	if ((v = json_object_get(in, "poNumber"))) {
		free(o->po_number);
		o->po_number = sh_strdup(json_string_value(v));
	}
	if ((v = json_object_get(in, "tags")))
		sh_tags_set(&o->tags, &o->ntags, v);
	if ((v = json_object_get(in, "customAttributes")))
		kv_set(&o->attrs, &o->nattrs, v);
	if ((v = json_object_get(in, "shippingAddress"))) {
		json_decref(o->shipping_address);
		o->shipping_address = address_in(S, v);
	}
	json_array_foreach(json_object_get(in, "metafields"), i, it) {
		const char *ns = jstr(it, "namespace") ? jstr(it, "namespace") : "$app";
		const char *key = jstr(it, "key");
		struct sh_metafield *m = NULL;

		if (!key)
			continue;
		for (k = 0; k < o->nmfs; k++)
			if (strcmp(o->mfs[k]->key, key) == 0 && strcmp(o->mfs[k]->ns, ns) == 0)
				m = o->mfs[k];
		if (!m) {
			m = xcalloc(1, sizeof(*m));
			m->id = sh_new_id(S, K_METAFIELD);
			sh_register(S, K_METAFIELD, m->id, m);
			m->ns = xstrdup(ns);
			m->key = xstrdup(key);
			m->created = S->now;
			o->mfs = sh_grow(o->mfs, o->nmfs, sizeof(*o->mfs));
			o->mfs[o->nmfs++] = m;
		}
		set_str(&m->value, jstr(it, "value"));
		set_str(&m->type, jstr(it, "type"));
		m->updated = S->now;
	}
	sh_touch(S, o);
	S->wrote = 1;
	p->obj = o;
}

static void m_tags(struct sh_store *S, json_t *args, int add, struct sh_payload *p)
{
	const char *gid = jstr(args, "id");
	json_t *tags = json_object_get(args, "tags"), *t;
	enum sh_kind k;
	int64_t id;
	char ***list = NULL;
	size_t *n = NULL, i;
	void *obj = NULL;

	if (sh_parse_gid(gid, &k, &id) < 0 ||
	    (k != K_ORDER && k != K_PRODUCT && k != K_CUSTOMER)) {
		sh_payload_error(S, p, NULL, fpath("id"), "Resource does not exist");
		return;
	}
	obj = sh_lookup(S, k, id);
	if (!obj) {
		sh_payload_error(S, p, NULL, fpath("id"), "%s does not exist", sh_kind_names[k]);
		return;
	}
	if (k == K_ORDER) {
		list = &((struct sh_order *)obj)->tags;
		n = &((struct sh_order *)obj)->ntags;
	} else if (k == K_PRODUCT) {
		list = &((struct sh_product *)obj)->tags;
		n = &((struct sh_product *)obj)->ntags;
	} else {
		list = &((struct sh_customer *)obj)->tags;
		n = &((struct sh_customer *)obj)->ntags;
	}
	json_array_foreach(tags, i, t) {
		/* a string may carry several comma-separated tags */
		char *copy = xstrdup(json_string_value(t)), *tok, *save = NULL;

		for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (add) {
				sh_tags_add(list, n, tok);
			} else {
				while (*tok == ' ')
					tok++;
				sh_tags_remove(list, n, tok);
			}
		}
		free(copy);
	}
	if (k == K_ORDER)
		sh_touch(S, obj);
	S->wrote = 1;
	p->obj = obj;
	p->obj_type = sh_kind_names[k];
}

/* MAX_INPUT_SIZE_EXCEEDED: any input array above 250 items. */
static size_t biggest_array(json_t *v, json_t *path, json_t **where)
{
	size_t best = 0, i;
	const char *key;
	json_t *it;

	if (json_is_array(v)) {
		best = json_array_size(v);
		if (best > SH_MAX_INPUT_ARRAY && !*where)
			*where = json_deep_copy(path);
		json_array_foreach(v, i, it) {
			size_t b;

			json_array_append_new(path, json_integer((json_int_t)i));
			b = biggest_array(it, path, where);
			json_array_remove(path, json_array_size(path) - 1);
			if (b > best)
				best = b;
		}
	} else if (json_is_object(v)) {
		json_object_foreach(v, key, it) {
			size_t b;

			json_array_append_new(path, json_string(key));
			b = biggest_array(it, path, where);
			json_array_remove(path, json_array_size(path) - 1);
			if (b > best)
				best = b;
		}
	}
	return best;
}

void sh_mutate(struct sh_store *S, const struct gql_field_call *c, struct gql_res *out)
{
	const char *f = c->field;
	struct sh_payload *p;
	json_t *path = json_array(), *where = NULL;
	size_t big = biggest_array(c->args, path, &where);

	json_decref(path);
	if (big > SH_MAX_INPUT_ARRAY) {
		json_decref(where);
		out->kind = GQL_RES_ERROR;
		out->message = xasprintf("The input array size of %zu is greater than the maximum "
					 "allowed of %d.", big, SH_MAX_INPUT_ARRAY);
		out->extensions = json_pack("{s:s}", "code", "MAX_INPUT_SIZE_EXCEEDED");
		return;
	}
	json_decref(where);
	p = payload_new(S);
	if (strcmp(f, "orderCreate") == 0) {
		struct sh_order *o = NULL;

		sh_order_build(S, json_object_get(c->args, "order"), json_object_get(c->args, "options"),
			       0, p, &o);
		if (o)
			S->wrote = 1;
		p->obj = o;
	} else if (strcmp(f, "fulfillmentCreate") == 0) {
		m_fulfillment_create(S, json_object_get(c->args, "fulfillment"), p);
	} else if (strcmp(f, "fulfillmentTrackingInfoUpdate") == 0) {
		struct sh_ful *fl = sh_lookup_gid(S, jstr(c->args, "fulfillmentId"), K_FUL);

		if (!fl) {
			sh_payload_error(S, p, NULL, fpath("fulfillmentId"), "Fulfillment does not exist.");
		} else {
			struct sh_tracking *trk;
			size_t ntrk;

			tracking_from_input(json_object_get(c->args, "trackingInfoInput"), &trk, &ntrk);
			tracking_free(fl->trk, fl->ntrk);
			fl->trk = trk;
			fl->ntrk = ntrk;
			if (json_is_boolean(json_object_get(c->args, "notifyCustomer")))
				fl->notify_customer = jbool(c->args, "notifyCustomer", 0);
			fl->updated = S->now;
			sh_touch(S, fl->order);
			S->wrote = 1;
			p->obj = fl;
		}
	} else if (strcmp(f, "fulfillmentEventCreate") == 0) {
		json_t *in = json_object_get(c->args, "fulfillmentEvent");
		struct sh_ful *fl = sh_lookup_gid(S, jstr(in, "fulfillmentId"), K_FUL);

		if (!fl)
			sh_payload_error(S, p, NULL, fpath("fulfillmentEvent.fulfillmentId"),
					 "Fulfillment does not exist.");
		else
			p->obj = add_event(S, fl, in);
	} else if (strcmp(f, "fulfillmentCancel") == 0) {
		struct sh_ful *fl = sh_lookup_gid(S, jstr(c->args, "id"), K_FUL);

		if (!fl) {
			sh_payload_error(S, p, NULL, fpath("id"), "Fulfillment not found.");
		} else {
			cancel_fulfillment(S, fl);
			p->obj = fl;
		}
	} else if (strcmp(f, "orderCancel") == 0) {
		m_order_cancel(S, c->args, p);
	} else if (strcmp(f, "orderUpdate") == 0) {
		m_order_update(S, json_object_get(c->args, "input"), p, out);
		if (out->kind == GQL_RES_ERROR)
			return;
	} else if (strcmp(f, "tagsAdd") == 0 || strcmp(f, "tagsRemove") == 0) {
		m_tags(S, c->args, strcmp(f, "tagsAdd") == 0, p);
	} else {
		out->kind = GQL_RES_UNIMPLEMENTED;
		return;
	}
	gql_res_object(out, NULL, p);
}

/* ------------------------------------------------------------------ */
/* merchant-side events (POST /_emu/event)                              */

static struct sh_order *find_order(struct sh_store *S, const char *ref)
{
	size_t i;
	struct sh_order *o;

	if (!ref)
		return NULL;
	if ((o = sh_lookup_gid(S, ref, K_ORDER)))
		return o;
	for (i = 0; i < S->norders; i++) {
		o = S->orders[i];
		if (strcmp(o->name, ref) == 0 || (ref[0] != '#' && o->name[0] == '#' &&
						  strcmp(o->name + 1, ref) == 0))
			return o;
	}
	for (i = 0; i < S->norders; i++)
		if (S->orders[i]->source_identifier &&
		    strcmp(S->orders[i]->source_identifier, ref) == 0)
			return S->orders[i];
	return NULL;
}

/* The merchant fulfils in admin: lines [{sku|line_item_id, quantity}] or
 * everything left. Returns NULL with *error when nothing can be done. */
static struct sh_ful *admin_fulfill(struct sh_store *S, struct sh_order *o, json_t *ev, char **error)
{
	json_t *lines = json_object_get(ev, "lines"), *lj;
	struct sh_fo_line **fls = xcalloc(o->nlines + 1, sizeof(*fls));
	int *qty = xcalloc(o->nlines + 1, sizeof(*qty));
	size_t n = 0, i, m, q;
	struct sh_tracking *trk;
	size_t ntrk;
	struct sh_ful *f = NULL;

	if (o->cancelled) {
		*error = xasprintf("order %s is cancelled", o->name);
		goto done;
	}
	json_array_foreach(lines, i, lj) {
		const char *sku = jstr(lj, "sku"), *lid = jstr(lj, "line_item_id");
		int want = json_is_integer(json_object_get(lj, "quantity")) ?
			(int)json_integer_value(json_object_get(lj, "quantity")) : -1;
		struct sh_fo_line *hit = NULL;

		for (m = 0; m < o->nfos && !hit; m++) {
			if (strcmp(o->fos[m]->status, "OPEN") != 0 &&
			    strcmp(o->fos[m]->status, "IN_PROGRESS") != 0)
				continue;
			for (q = 0; q < o->fos[m]->nlines && !hit; q++) {
				struct sh_fo_line *fl = o->fos[m]->lines[q];
				char *lg = sh_gid(K_LINE, fl->line->id);

				if (fl->remaining > 0 &&
				    ((sku && fl->line->sku && strcmp(fl->line->sku, sku) == 0) ||
				     (lid && strcmp(lg, lid) == 0)))
					hit = fl;
				free(lg);
			}
		}
		if (!hit) {
			*error = xasprintf("lines[%zu]: no unfulfilled line item %s on %s", i,
					   sku ? sku : lid ? lid : "(no sku or line_item_id)", o->name);
			goto done;
		}
		if (want < 0)
			want = hit->remaining;
		if (want <= 0 || want > hit->remaining) {
			*error = xasprintf("lines[%zu]: quantity %d, only %d left", i, want, hit->remaining);
			goto done;
		}
		if (n > 0 && hit->fo->loc != fls[0]->fo->loc) {
			*error = xasprintf("lines[%zu]: another location", i);
			goto done;
		}
		fls[n] = hit;
		qty[n++] = want;
	}
	if (!lines) {
		for (m = 0; m < o->nfos; m++) {
			if (strcmp(o->fos[m]->status, "OPEN") != 0 &&
			    strcmp(o->fos[m]->status, "IN_PROGRESS") != 0)
				continue;
			for (q = 0; q < o->fos[m]->nlines; q++)
				if (o->fos[m]->lines[q]->remaining > 0 && n < o->nlines &&
				    (n == 0 || o->fos[m]->loc == fls[0]->fo->loc)) {
					fls[n] = o->fos[m]->lines[q];
					qty[n++] = o->fos[m]->lines[q]->remaining;
				}
		}
	}
	if (n == 0) {
		*error = xasprintf("order %s has nothing left to fulfill", o->name);
		goto done;
	}
	tracking_from_input(ev, &trk, &ntrk);
	f = fulfill(S, o, fls, qty, n, trk, ntrk, jbool(ev, "notify", 0), S->now);
	sh_touch(S, o);
done:
	free(fls);
	free(qty);
	return f;
}

json_t *sh_event(struct sh_store *S, json_t *ev, char **error)
{
	const char *type = jstr(ev, "type");

	*error = NULL;
	if (!type) {
		*error = xstrdup("an event needs a \"type\"");
		return NULL;
	}
	if (strcmp(type, "fulfill") == 0) {
		const char *ref = jstr(ev, "order");
		struct sh_order *o;
		struct sh_ful *f;

		if (ref && strcmp(ref, "*") == 0) {
			size_t i, done = 0;

			for (i = 0; i < S->norders; i++) {
				char *e = NULL;

				o = S->orders[i];
				if (o->cancelled || strcmp(sh_fulfillment_status(o), "FULFILLED") == 0)
					continue;
				if (admin_fulfill(S, o, ev, &e))
					done++;
				free(e);
			}
			return json_pack("{s:I}", "fulfilled", (json_int_t)done);
		}
		o = find_order(S, ref);
		if (!o) {
			*error = xasprintf("no order %s", ref ? ref : "(missing \"order\")");
			return NULL;
		}
		f = admin_fulfill(S, o, ev, error);
		return f ? sh_dump_fulfillment(S, f) : NULL;
	}
	if (strcmp(type, "edit_tracking") == 0 || strcmp(type, "cancel_fulfillment") == 0 ||
	    strcmp(type, "fulfillment_event") == 0) {
		struct sh_ful *f = sh_lookup_gid(S, jstr(ev, "fulfillment_id"), K_FUL);

		if (!f) {
			*error = xasprintf("no fulfillment %s", jstr(ev, "fulfillment_id") ?
					   jstr(ev, "fulfillment_id") : "(missing \"fulfillment_id\")");
			return NULL;
		}
		if (strcmp(type, "cancel_fulfillment") == 0) {
			cancel_fulfillment(S, f);
		} else if (strcmp(type, "fulfillment_event") == 0) {
			if (!event_status(jstr(ev, "status"))) {
				*error = xstrdup("fulfillment_event needs a FulfillmentEventStatus \"status\"");
				return NULL;
			}
			{
				json_t *in = json_pack("{s:s,s:s?}", "status", jstr(ev, "status"),
						       "happenedAt", jstr(ev, "happened_at"));

				add_event(S, f, in);
				json_decref(in);
			}
		} else {
			json_t *ti = json_object();
			struct sh_tracking *trk;
			size_t ntrk;

			if (!jstr(ev, "number")) {
				json_decref(ti);
				*error = xstrdup("edit_tracking needs \"number\"");
				return NULL;
			}
			json_object_set_new(ti, "number", json_string(jstr(ev, "number")));
			if (jstr(ev, "company") || (f->ntrk && f->trk[0].company))
				json_object_set_new(ti, "company", json_string(jstr(ev, "company") ?
								       jstr(ev, "company") :
								       f->trk[0].company));
			if (jstr(ev, "url"))
				json_object_set_new(ti, "url", json_string(jstr(ev, "url")));
			tracking_from_input(ti, &trk, &ntrk);
			json_decref(ti);
			tracking_free(f->trk, f->ntrk);
			f->trk = trk;
			f->ntrk = ntrk;
			f->updated = S->now;
			sh_touch(S, f->order);
		}
		return sh_dump_fulfillment(S, f);
	}
	if (strcmp(type, "cancel_order") == 0) {
		struct sh_order *o = find_order(S, jstr(ev, "order"));
		struct sh_payload *p;
		json_t *args;

		if (!o) {
			*error = xasprintf("no order %s", jstr(ev, "order") ? jstr(ev, "order") : "");
			return NULL;
		}
		p = payload_new(S);
		args = json_pack("{s:o,s:s,s:b}", "orderId", sh_gid_json(K_ORDER, o->id), "reason",
				 jstr(ev, "reason") ? jstr(ev, "reason") : "CUSTOMER", "restock", 1);
		m_order_cancel(S, args, p);
		json_decref(args);
		if (p->nerrs) {
			*error = xstrdup(p->errs[0].message);
			return NULL;
		}
		return sh_dump_order(S, o);
	}
	if (strcmp(type, "add_variant") == 0) {
		struct sh_product *pr = sh_lookup_gid(S, jstr(ev, "product_id"), K_PRODUCT);
		struct sh_variant *v;
		json_t *price = json_object_get(ev, "price");

		if (!pr) {
			*error = xasprintf("no product %s", jstr(ev, "product_id") ? jstr(ev, "product_id") :
					   "(missing \"product_id\")");
			return NULL;
		}
		v = xcalloc(1, sizeof(*v));
		if (jstr(ev, "id")) {
			enum sh_kind k;

			if (sh_parse_gid(jstr(ev, "id"), &k, &v->id) < 0 || k != K_VARIANT ||
			    sh_lookup(S, K_VARIANT, v->id)) {
				free(v);
				*error = xstrdup("\"id\" is not a new ProductVariant GID");
				return NULL;
			}
		} else {
			v->id = sh_new_id(S, K_VARIANT);
		}
		if (price && sh_parse_amount(price, sh_currency_exponent(S->shop_currency), &v->price) < 0) {
			free(v);
			*error = xstrdup("\"price\" is not an amount");
			return NULL;
		}
		v->product = pr;
		v->sku = sh_strdup(jstr(ev, "sku"));
		v->title = xstrdup(jstr(ev, "title") ? jstr(ev, "title") : "Default Title");
		v->barcode = sh_strdup(jstr(ev, "barcode"));
		v->taxable = 1;
		v->created = v->updated = S->now;
		pr->variants = sh_grow(pr->variants, pr->nvariants, sizeof(*pr->variants));
		pr->variants[pr->nvariants++] = v;
		S->variants = sh_grow(S->variants, S->nvariants, sizeof(*S->variants));
		S->variants[S->nvariants++] = v;
		sh_register(S, K_VARIANT, v->id, v);
		pr->updated = S->now;
		return sh_dump_variant(S, v);
	}
	*error = xasprintf("unknown Shopify event type \"%s\" (fulfill, edit_tracking, "
			   "cancel_fulfillment, fulfillment_event, cancel_order, add_variant)", type);
	return NULL;
}
