/*
 * carriers.c - carriers and units between the two platforms: a Shopify
 * tracking company -> the TikTok shipping provider of an order (exact
 * name, then the merchant's mapping rules) and back (rules in reverse,
 * Shopify's own carrier names, a tracking URL when Shopify would not build
 * one); tracking-number formats per provider (POSIX ERE); which TikTok
 * units a Shopify fulfillment ships; which Shopify fulfillment-order lines
 * a TikTok package covers.
 *
 * Pure: no I/O, no clock. Owns the two constant tables below: Shopify's
 * tracking companies (research/shopify-admin-api.md §6, every name there)
 * and the tracking-URL templates per TikTok provider.
 */
#include "mapping.h"

#include <ctype.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

/* Shopify's tracking companies, spelt exactly as Shopify wants them
 * ("capitalization matters"): for these Shopify builds tracking links. */
static const char *const shopify_carriers[] = {
	"4PX", "AGS", "Amazon", "Amazon Logistics UK", "An Post",
	"Anjun Logistics", "APC", "Asendia USA", "Australia Post",
	"Bonshaw", "BPost", "BPost International", "Canada Post", "Canpar",
	"CDL Last Mile", "China Post", "Chronopost", "Chukou1",
	"Colissimo", "Comingle", "Coordinadora", "Correios", "Correos",
	"CTT", "CTT Express", "Cyprus Post", "Delnext", "Deutsche Post",
	"DHL eCommerce", "DHL eCommerce Asia", "DHL Express", "DPD",
	"DPD Local", "DPD UK", "DTD Express", "DX", "Eagle", "Estes",
	"Evri", "FedEx", "First Global Logistics", "First Line", "FSC",
	"Fulfilla", "GLS",
	"Guangdong Weisuyi Information Technology (WSE)",
	"Heppner Internationale Spedition GmbH & Co.", "Iceland Post",
	"IDEX", "Israel Post", "Japan Post (EN)", "Japan Post (JA)",
	"La Poste Colissimo", "La Poste Burkina Faso", "Lasership",
	"Latvia Post", "Lietuvos Paštas", "Logisters",
	"Lone Star Overnight", "M3 Logistics", "Meteor Space",
	"Mondial Relay", "New Zealand Post", "NinjaVan",
	"North Russia Supply Chain (Shenzhen) Co.", "OnTrac", "Packeta",
	"Pago Logistics", "Ping An Da Tengfei Express", "Pitney Bowes",
	"Portal PostNord", "Poste Italiane", "PostNL", "PostNord DK",
	"PostNord NO", "PostNord SE", "Purolator", "Qxpress",
	"Qyun Express", "Royal Mail", "Royal Shipments", "Sagawa (EN)",
	"Sagawa (JA)", "Sendle", "SF Express", "SFC Fulfillment",
	"ShipBob", "SHREE NANDAN COURIER", "Singapore Post",
	"Southwest Air Cargo", "StarTrack", "Step Forward Freight",
	"Swiss Post", "TForce Final Mile", "Tinghao", "TNT", "Toll IPEC",
	"United Delivery Service", "UPS", "USPS", "Venipak", "We Post",
	"Whistl", "Wizmo", "WMYC", "Xpedigo", "XPO Logistics",
	"Yamato (EN)", "Yamato (JA)", "YiFan Express", "YunExpress",
	"Aramex Australia", "TNT Australia", "Hunter Express",
	"Couriers Please", "Bonds", "Allied Express", "Direct Couriers",
	"Northline", "GO Logistics", "Österreichische Post", "Speedy",
	"Intelcom", "BoxKnight", "Loomis", "WanbExpress", "Zásilkovna",
	"Deutsche Post (DE)", "Deutsche Post (EN)", "DHL", "Swiship",
	"Hermes", "SEUR", "Colis Privé", "Parcelforce", "Yodel",
	"DHL Parcel", "Tuffnells", "ACS Courier", "Fastway", "DPD Ireland",
	"DTDC", "India Post", "Delhivery", "Gati KWE",
	"Professional Couriers", "XpressBees", "Ecom Express", "Ekart",
	"Shadowfax", "Bluedart", "BRT", "GLS Italy", "エコ配", "西濃運輸",
	"西濃スーパーエキスプレス", "福山通運", "日本通運", "名鉄運輸",
	"第一貨物", "Bring", "Inpost",
	"PTT", "Yurtiçi Kargo", "Aras Kargo", "Sürat Kargo",
	"Alliance Air Freight", "Pilot Freight", "LSO", "Old Dominion",
	"Pandion", "R+L Carriers", "Skynet",
};

/* TikTok provider names that are Shopify carriers under another name. */
static const struct {
	const char *tiktok, *shopify;
} carrier_aliases[] = {
	{"United States Postal Service", "USPS"},
	{"Amazon Logistics", "Amazon"},
	{"Amazon Shipping", "Amazon"},
	{"Asendia", "Asendia USA"},
	{"CDL", "CDL Last Mile"},
	{"TForce", "TForce Final Mile"},
	{"TForce Logistics", "TForce Final Mile"},
	{"Yun Express", "YunExpress"},
	{"DHL eCommerce Solutions", "DHL eCommerce"},
	{"Lone Star Overnight (LSO)", "LSO"},
};

/* Public tracking pages; %s is the URL-encoded tracking number. */
static const struct {
	const char *provider, *url;
} tracking_urls[] = {
	{"USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels=%s"},
	{"UPS", "https://www.ups.com/track?tracknum=%s"},
	{"FedEx", "https://www.fedex.com/fedextrack/?trknbr=%s"},
	{"DHL", "https://www.dhl.com/us-en/home/tracking/tracking-express.html?submit=1&tracking-id=%s"},
	{"DHL Express", "https://www.dhl.com/us-en/home/tracking/tracking-express.html?submit=1&tracking-id=%s"},
	{"DHL eCommerce", "https://webtrack.dhlecs.com/?trackingnumber=%s"},
	{"OnTrac", "https://www.ontrac.com/tracking/?number=%s"},
	{"LaserShip", "https://www.ontrac.com/tracking/?number=%s"},
	{"Cainiao", "https://global.cainiao.com/newDetail.htm?mailNoList=%s"},
	{"Cainiao US", "https://global.cainiao.com/newDetail.htm?mailNoList=%s"},
	{"Cainiao Global", "https://global.cainiao.com/newDetail.htm?mailNoList=%s"},
	{"YunExpress", "https://www.yuntrack.com/parcelTracking?id=%s"},
	{"Yun Express", "https://www.yuntrack.com/parcelTracking?id=%s"},
	{"4PX", "https://track.4px.com/#/result/0/%s"},
	{"Amazon", "https://track.amazon.com/tracking/%s"},
	{"Amazon Logistics", "https://track.amazon.com/tracking/%s"},
	{"Amazon Shipping", "https://track.amazon.com/tracking/%s"},
};

static int empty(const char *s)
{
	return s == NULL || *s == '\0';
}

/* Carrier names are equal when they differ only in ASCII case, leading
 * and trailing white space and the length of inner white-space runs. */
static int name_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return 0;
	while (isspace((unsigned char)*a))
		a++;
	while (isspace((unsigned char)*b))
		b++;
	for (;;) {
		int sa = isspace((unsigned char)*a), sb = isspace((unsigned char)*b);

		if (sa || sb) {
			while (isspace((unsigned char)*a))
				a++;
			while (isspace((unsigned char)*b))
				b++;
			/* trailing space on one side only is still equal */
			if (*a == '\0' || *b == '\0')
				return *a == *b;
			if (!(sa && sb))
				return 0;
			continue;
		}
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
		if (*a == '\0')
			return 1;
		a++;
		b++;
	}
}

static char *dup_trim(const char *s)
{
	const char *end;

	if (s == NULL)
		return NULL;
	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	return xstrndup(s, (size_t)(end - s));
}

/* ---- Shopify company -> TikTok provider -------------------------------- */

static const struct tt_provider *
provider_by_name(const struct tt_provider_list *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (name_eq(l->v[i].name, name))
			return &l->v[i];
	return NULL;
}

static void provider_names(const struct tt_provider_list *l,
			   struct strbuf *sb)
{
	size_t i;

	if (l->n == 0) {
		sb_add(sb, "(none)");
		return;
	}
	for (i = 0; i < l->n; i++)
		sb_addf(sb, "%s%s", i ? ", " : "",
			l->v[i].name ? l->v[i].name : "");
}

int carrier_to_tiktok(const struct config *c,
		      const struct tt_provider_list *providers,
		      const char *shopify_company,
		      const struct tt_provider **out, struct err *e)
{
	struct strbuf names = STRBUF_INIT, rules = STRBUF_INIT;
	const struct tt_provider *p;
	char *company = NULL;
	size_t i;
	int ret = -1;

	*out = NULL;
	company = dup_trim(shopify_company);
	if (empty(company)) {
		err_set(e, ERR_DATA, "CARRIER_MISSING",
			"the Shopify fulfillment has no tracking company");
		goto cleanup;
	}
	if (providers == NULL) {
		err_set(e, ERR_DATA, "PROVIDERS_UNAVAILABLE",
			"TikTok's shipping providers for this order are not "
			"known in this run");
		goto cleanup;
	}
	if ((p = provider_by_name(providers, company)) != NULL) {
		*out = p;
		ret = 0;
		goto cleanup;
	}
	for (i = 0; c != NULL && i < c->ncarrier_rules; i++) {
		const struct carrier_rule *r = &c->carrier_rules[i];

		if (!name_eq(r->shopify_name, company))
			continue;
		if ((p = provider_by_name(providers, r->tiktok_name)) != NULL) {
			*out = p;
			ret = 0;
			goto cleanup;
		}
		sb_addf(&rules, "%s \"%s\" (config line %d)",
			rules.len ? "," : "; your mapping rule maps it to",
			r->tiktok_name ? r->tiktok_name : "", r->line);
	}
	provider_names(providers, &names);
	err_set(e, ERR_DATA, "CARRIER_NOT_INTEGRATED",
		"carrier \"%s\" is not one of TikTok Shop's shipping providers "
		"for this order%s%s; valid names: %s", company, rules.buf ? rules.buf : "",
		rules.len ? ", which is not in that list either" : "",
		names.buf);
cleanup:
	sb_free(&names);
	sb_free(&rules);
	free(company);
	return ret;
}

/* ---- TikTok provider -> Shopify company -------------------------------- */

int shopify_known_carrier(const char *name)
{
	size_t i;

	if (empty(name))
		return 0;
	for (i = 0; i < ARRAY_SIZE(shopify_carriers); i++)
		if (strcmp(shopify_carriers[i], name) == 0)
			return 1;
	return 0;
}

/* Shopify's spelling of a carrier name, or NULL. */
static const char *shopify_spelling(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(shopify_carriers); i++)
		if (name_eq(shopify_carriers[i], name))
			return shopify_carriers[i];
	for (i = 0; i < ARRAY_SIZE(carrier_aliases); i++)
		if (name_eq(carrier_aliases[i].tiktok, name))
			return carrier_aliases[i].shopify;
	return NULL;
}

static char *tracking_url(const char *provider, const char *number)
{
	struct strbuf enc = STRBUF_INIT;
	const char *tmpl = NULL, *p, *pct;
	char *url;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tracking_urls) && tmpl == NULL; i++)
		if (name_eq(tracking_urls[i].provider, provider))
			tmpl = tracking_urls[i].url;
	if (tmpl == NULL || empty(number))
		return NULL;
	for (p = number; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;

		if (isalnum(ch) || ch == '-' || ch == '.' || ch == '_' ||
		    ch == '~')
			sb_addn(&enc, p, 1);
		else
			sb_addf(&enc, "%%%02X", ch);
	}
	/* The template holds exactly one %s; build without a format string
	 * that came from data. */
	pct = strstr(tmpl, "%s");
	url = xasprintf("%.*s%s%s", (int)(pct - tmpl), tmpl, enc.buf,
			pct + 2);
	sb_free(&enc);
	return url;
}

int carrier_to_shopify(const struct config *c, const char *tt_provider,
		       const char *tracking_number, char **company,
		       char **url)
{
	const char *known;
	size_t i;

	*company = NULL;
	*url = NULL;
	if (empty(tt_provider))
		return -1;
	for (i = 0; c != NULL && i < c->ncarrier_rules; i++)
		if (name_eq(c->carrier_rules[i].tiktok_name, tt_provider) &&
		    !empty(c->carrier_rules[i].shopify_name)) {
			*company = dup_trim(c->carrier_rules[i].shopify_name);
			break;
		}
	if (*company == NULL) {
		known = shopify_spelling(tt_provider);
		*company = known ? xstrdup(known) : dup_trim(tt_provider);
	}
	if (!shopify_known_carrier(*company))
		*url = tracking_url(tt_provider, tracking_number);
	return 0;
}

/* ---- tracking formats -------------------------------------------------- */

int tracking_check(const struct tracking_format *fmts, size_t n,
		   const char *provider_name, const char *number,
		   struct err *e)
{
	const char *example = NULL;
	size_t i;
	int seen = 0;

	if (empty(number))
		return err_set(e, ERR_DATA, "TRACKING_MISSING",
			       "the fulfillment has no tracking number");
	for (i = 0; i < n; i++) {
		regex_t re;
		char *anchored;
		int rc;

		if (!name_eq(fmts[i].provider, provider_name) ||
		    empty(fmts[i].pattern))
			continue;
		seen = 1;
		if (example == NULL && !empty(fmts[i].example))
			example = fmts[i].example;
		anchored = xasprintf("^(%s)$", fmts[i].pattern);
		rc = regcomp(&re, anchored, REG_EXTENDED | REG_NOSUB);
		free(anchored);
		if (rc != 0)
			return err_set(e, ERR_CONFIG, "TRACKING_FORMAT_INVALID",
				       "the tracking format for %s (%s) is not "
				       "a valid POSIX extended regular "
				       "expression", fmts[i].provider,
				       fmts[i].pattern);
		rc = regexec(&re, number, 0, NULL, 0);
		regfree(&re);
		if (rc == 0)
			return 0;
	}
	if (!seen)
		return 0;
	return err_set(e, ERR_DATA, "TRACKING_FORMAT_INVALID",
		       "tracking number \"%s\" does not have the format of "
		       "%s%s%s%s", number, provider_name,
		       example ? " (for example " : "", example ? example : "",
		       example ? ")" : "");
}

/* ---- units ------------------------------------------------------------- */

static int in_list(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] != NULL && strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

static int str_cmp_ids(const void *a, const void *b)
{
	return tt_id_cmp(*(char *const *)a, *(char *const *)b);
}

int units_for_fulfillment(const struct sh_fulfillment *f,
			  const struct unit_map *units, size_t nunits,
			  char *const *taken, size_t ntaken, char ***out,
			  size_t *nout, struct err *e)
{
	unsigned char *picked = NULL;
	char **res = NULL;
	size_t nres = 0, cap = 0, i, u;
	const char *fid = f->name ? f->name : f->id ? f->id : "";
	int ret = -1;

	*out = NULL;
	*nout = 0;
	if (nunits == 0 || f->nlines == 0) {
		err_set(e, ERR_DATA, "UNITS_UNMAPPED",
			"Shopify fulfillment %s cannot be matched to TikTok "
			"items (%s)", fid,
			nunits == 0 ? "ttsync has no record of which TikTok "
				      "items became which Shopify line items"
				    : "it has no line items");
		goto cleanup;
	}
	picked = xcalloc(nunits, 1);
	for (i = 0; i < f->nlines; i++) {
		const struct sh_fulfillment_line *fl = &f->lines[i];
		size_t mapped = 0, free_units = 0;
		int k;

		if (fl->quantity <= 0)
			continue;
		for (u = 0; u < nunits; u++)
			if (units[u].sh_line_item_id != NULL &&
			    fl->line_item_id != NULL &&
			    strcmp(units[u].sh_line_item_id,
				   fl->line_item_id) == 0) {
				mapped++;
				if (!picked[u] &&
				    !in_list(taken, ntaken, units[u].tt_line_id))
					free_units++;
			}
		if (mapped == 0) {
			err_set(e, ERR_DATA, "UNITS_UNMAPPED",
				"Shopify fulfillment %s ships line item %s, "
				"which is not an item of the TikTok order",
				fid, fl->line_item_id ? fl->line_item_id : "");
			goto cleanup;
		}
		if (free_units < (size_t)fl->quantity) {
			err_set(e, ERR_DATA, "UNITS_UNMAPPED",
				"Shopify fulfillment %s ships %d of line item "
				"%s but only %zu of its %zu TikTok units are "
				"not already shipped", fid, fl->quantity,
				fl->line_item_id, free_units, mapped);
			goto cleanup;
		}
		for (k = 0; k < fl->quantity; k++) {
			size_t best = nunits;

			for (u = 0; u < nunits; u++) {
				if (picked[u] || units[u].sh_line_item_id == NULL ||
				    strcmp(units[u].sh_line_item_id,
					   fl->line_item_id) != 0 ||
				    in_list(taken, ntaken, units[u].tt_line_id))
					continue;
				if (best == nunits ||
				    tt_id_cmp(units[u].tt_line_id,
					      units[best].tt_line_id) < 0)
					best = u;
			}
			picked[best] = 1;
			if (nres == cap) {
				cap = cap ? cap * 2 : 8;
				res = xrealloc(res, cap * sizeof(*res));
			}
			res[nres++] = xstrdup(units[best].tt_line_id);
		}
	}
	if (nres == 0) {
		err_set(e, ERR_DATA, "UNITS_UNMAPPED",
			"Shopify fulfillment %s ships no quantity", fid);
		goto cleanup;
	}
	qsort(res, nres, sizeof(*res), str_cmp_ids);
	*out = res;
	*nout = nres;
	res = NULL;
	ret = 0;
cleanup:
	str_free_array(res, nres);
	free(picked);
	return ret;
}

static int fo_usable(const struct sh_fulfillment_order *fo)
{
	return fo->status != NULL && (strcmp(fo->status, "OPEN") == 0 ||
				      strcmp(fo->status, "IN_PROGRESS") == 0);
}

/* Add qty of FO line `fl` of FO `fo` to the input, merging repeats. */
static void fo_input_add(struct sh_fulfillment_input *in,
			 const struct sh_fulfillment_order *fo,
			 const struct sh_fo_line *fl, int qty)
{
	struct sh_fo_group *g = NULL;
	size_t i;

	for (i = 0; i < in->ngroups; i++)
		if (strcmp(in->groups[i].fulfillment_order_id, fo->id) == 0)
			g = &in->groups[i];
	if (g == NULL) {
		in->groups = xrealloc(in->groups,
				      (in->ngroups + 1) * sizeof(*in->groups));
		g = &in->groups[in->ngroups++];
		memset(g, 0, sizeof(*g));
		g->fulfillment_order_id = xstrdup(fo->id);
	}
	for (i = 0; i < g->nlines; i++)
		if (strcmp(g->lines[i].fo_line_id, fl->id) == 0) {
			g->lines[i].quantity += qty;
			return;
		}
	g->lines = xrealloc(g->lines, (g->nlines + 1) * sizeof(*g->lines));
	g->lines[g->nlines].fo_line_id = xstrdup(fl->id);
	g->lines[g->nlines].quantity = qty;
	g->nlines++;
}

int fo_lines_for_units(const struct sh_order *o,
		       const struct unit_map *units, size_t nunits,
		       char *const *tt_line_ids, size_t n,
		       struct sh_fulfillment_input *out, struct err *e)
{
	/* Distinct Shopify line items and how many units each needs, in the
	 * order the units come. */
	const char **items = NULL;
	int *need = NULL, **used = NULL;
	size_t nitems = 0, i, u, f, l;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (n == 0) {
		err_set(e, ERR_DATA, "UNITS_UNMAPPED",
			"the TikTok package lists no items");
		goto cleanup;
	}
	items = xcalloc(n, sizeof(*items));
	need = xcalloc(n, sizeof(*need));
	for (i = 0; i < n; i++) {
		const char *li = NULL;

		for (u = 0; u < nunits && li == NULL; u++)
			if (units[u].tt_line_id != NULL &&
			    strcmp(units[u].tt_line_id, tt_line_ids[i]) == 0)
				li = units[u].sh_line_item_id;
		if (li == NULL) {
			err_set(e, ERR_DATA, "UNITS_UNMAPPED",
				"TikTok item %s is not a line item of "
				"Shopify order %s", tt_line_ids[i],
				o->name ? o->name : o->id ? o->id : "");
			goto cleanup;
		}
		for (u = 0; u < nitems; u++)
			if (strcmp(items[u], li) == 0)
				break;
		if (u == nitems)
			items[nitems++] = li;
		need[u]++;
	}
	/* Quantities taken from each FO line so far. */
	used = xcalloc(o->nfos ? o->nfos : 1, sizeof(*used));
	for (f = 0; f < o->nfos; f++)
		used[f] = xcalloc(o->fos[f].nlines ? o->fos[f].nlines : 1,
				  sizeof(**used));
	for (i = 0; i < nitems; i++) {
		int left = need[i], open = 0;

		for (f = 0; f < o->nfos && left > 0; f++) {
			const struct sh_fulfillment_order *fo = &o->fos[f];

			if (!fo_usable(fo))
				continue;
			for (l = 0; l < fo->nlines && left > 0; l++) {
				const struct sh_fo_line *fl = &fo->lines[l];
				int avail, take;

				if (fl->line_item_id == NULL ||
				    strcmp(fl->line_item_id, items[i]) != 0)
					continue;
				avail = fl->remaining_quantity - used[f][l];
				if (avail <= 0)
					continue;
				take = avail < left ? avail : left;
				fo_input_add(out, fo, fl, take);
				used[f][l] += take;
				left -= take;
				open += take;
			}
		}
		if (left > 0) {
			err_set(e, ERR_DATA, "FULFILLMENT_ORDER_CLOSED",
				"Shopify order %s has no open fulfillment-order "
				"quantity left for line item %s (the TikTok "
				"package needs %d, %d open)",
				o->name ? o->name : o->id ? o->id : "",
				items[i], need[i], open);
			goto cleanup;
		}
	}
	ret = 0;
cleanup:
	if (used != NULL)
		for (f = 0; f < o->nfos; f++)
			free(used[f]);
	free(used);
	free(items);
	free(need);
	if (ret < 0)
		sh_fulfillment_input_free(out);
	return ret;
}
