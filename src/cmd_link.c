/*
 * cmd_link.c - `ttsync link`: the merchant's product links, TikTok SKU ->
 * Shopify variant, which order sync consults before matching by SKU.
 * Links are checked against Shopify before they are stored (the variant
 * must exist; a Shopify SKU must name exactly one variant). Also lists and
 * removes links. Owns the command's state handle and Shopify client.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "http.h"
#include "shopify.h"
#include "run.h"
#include "state.h"

static void link_usage(FILE *f)
{
	fprintf(f,
		"usage: ttsync link --config FILE (--tiktok-sku SELLER_SKU | --tiktok-sku-id ID)\n"
		"                   (--variant GID | --shopify-sku SKU)\n"
		"       ttsync link --config FILE --list\n"
		"       ttsync link --config FILE --remove (--tiktok-sku SELLER_SKU | --tiktok-sku-id ID)\n\n"
		"Links a TikTok SKU (by its seller SKU, or TikTok's SKU id) to a Shopify\n"
		"variant. Order sync uses the link before looking for a variant with the\n"
		"same SKU. The variant is checked in Shopify first.\n\n"
		"  -c, --config FILE        the store's configuration (YAML)\n"
		"  -s, --tiktok-sku SKU     the TikTok seller SKU\n"
		"  -i, --tiktok-sku-id ID   the TikTok SKU id\n"
		"  -V, --variant GID        gid://shopify/ProductVariant/... (or its number)\n"
		"  -S, --shopify-sku SKU    the Shopify SKU naming exactly one variant\n"
		"  -l, --list               list the links\n"
		"  -r, --remove             remove the link of the TikTok SKU\n"
		"  -h, --help               this text\n");
}

static int print_link(const struct link_rec *l, void *arg)
{
	long *n = arg;
	char when[32];

	time_to_iso8601(l->created_at, when);
	printf("%-24s %-22s %-45s %-7s %s\n", l->seller_sku ? l->seller_sku : "-",
	       l->tt_sku_id ? l->tt_sku_id : "-", l->variant_id,
	       l->source ? l->source : "", when);
	(*n)++;
	return 0;
}

struct variant_answer {
	int done, failed;
	struct err err;
	size_t n;
	char *id;
	char *label;
	char *others;
};

static void on_variants(void *arg, struct sh_result *res, struct sh_variant_list *l)
{
	struct variant_answer *va = arg;
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	va->done = 1;
	if (res->oc != HTTP_OUTCOME_OK || res->err.cls != ERR_NONE || l == NULL) {
		va->failed = 1;
		va->err = res->err;
		return;
	}
	va->n = l->n;
	if (l->n >= 1) {
		va->id = xstrdup(l->v[0].id);
		va->label = xasprintf("%s / %s (SKU %s)",
				      l->v[0].product_title ? l->v[0].product_title : "?",
				      l->v[0].title ? l->v[0].title : "?",
				      l->v[0].sku ? l->v[0].sku : "");
	}
	for (i = 0; i < l->n; i++)
		sb_addf(&sb, "%s%s", i ? ", " : "", l->v[i].id);
	va->others = sb_detach(&sb);
}

int cmd_link(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "tiktok-sku", required_argument, NULL, 's' },
		{ "tiktok-sku-id", required_argument, NULL, 'i' },
		{ "variant", required_argument, NULL, 'V' },
		{ "shopify-sku", required_argument, NULL, 'S' },
		{ "list", no_argument, NULL, 'l' },
		{ "remove", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = NULL, *tt_sku = NULL, *tt_sku_id = NULL;
	const char *variant = NULL, *sh_sku = NULL;
	struct config *cfg = NULL;
	struct state *st = NULL;
	struct http *h = NULL;
	struct shopify *sh = NULL;
	struct http_opts ho;
	struct variant_answer va;
	struct link_rec lr;
	struct err e;
	char *gid = NULL;
	int list = 0, remove_link = 0, ch, ret = EXIT_OK;
	long n = 0;

	memset(&va, 0, sizeof(va));
	err_clear(&e);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:s:i:V:S:lrh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': config_path = optarg; break;
		case 's': tt_sku = optarg; break;
		case 'i': tt_sku_id = optarg; break;
		case 'V': variant = optarg; break;
		case 'S': sh_sku = optarg; break;
		case 'l': list = 1; break;
		case 'r': remove_link = 1; break;
		case 'h':
			link_usage(stdout);
			return EXIT_OK;
		default:
			link_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (config_path == NULL || optind < argc ||
	    (!list && !tt_sku && !tt_sku_id) ||
	    (!list && !remove_link && !!variant == !!sh_sku) ||
	    (list && (remove_link || tt_sku || tt_sku_id || variant || sh_sku))) {
		link_usage(stderr);
		return EXIT_USAGE;
	}
	if (config_load(config_path, &cfg, &e) != 0) {
		fprintf(stderr, "ttsync: %s\n", e.msg);
		return EXIT_USAGE;
	}
	if (state_open(cfg->state_file, &st, &e) != 0)
		goto abort;
	if (list) {
		printf("%-24s %-22s %-45s %-7s %s\n", "TIKTOK SELLER SKU", "TIKTOK SKU ID",
		       "SHOPIFY VARIANT", "SOURCE", "CREATED");
		if (state_links_foreach(st, print_link, &n, &e) != 0)
			goto abort;
		printf("%ld link%s\n", n, n == 1 ? "" : "s");
		goto cleanup;
	}
	if (remove_link) {
		int deleted = 0;

		if (state_link_delete(st, tt_sku_id, tt_sku, &deleted, &e) != 0)
			goto abort;
		if (!deleted) {
			fprintf(stderr, "ttsync link: no link for TikTok SKU %s\n",
				tt_sku ? tt_sku : tt_sku_id);
			ret = EXIT_USAGE;
		} else {
			printf("removed the link of TikTok SKU %s\n", tt_sku ? tt_sku : tt_sku_id);
		}
		goto cleanup;
	}

	/* Check the variant in Shopify before storing anything. */
	memset(&ho, 0, sizeof(ho));
	ho.concurrency = 1;
	ho.timeout_seconds = cfg->timeout_seconds;
	ho.max_attempts = cfg->max_attempts;
	ho.allow_insecure_loopback = cfg->allow_insecure_loopback;
	ho.ca_file = cfg->ca_file;
	ho.user_agent = "ttsync/" TTSYNC_VERSION;
	if (http_new(&ho, &h, &e) != 0 || shopify_new(cfg, h, &sh, &e) != 0)
		goto abort;
	if (variant) {
		gid = strncmp(variant, "gid://", 6) == 0
			? xstrdup(variant)
			: xasprintf("gid://shopify/ProductVariant/%s", variant);
		if (shopify_ops.get_variant(sh, gid, on_variants, &va, &e) != 0)
			goto abort;
	} else if (shopify_ops.find_variants_by_sku(sh, sh_sku, on_variants, &va, &e) != 0) {
		goto abort;
	}
	if (http_run(h, &e) != 0)
		goto abort;
	if (va.failed) {
		e = va.err;
		goto abort;
	}
	if (va.n == 0) {
		fprintf(stderr, "ttsync link: Shopify has no variant %s\n",
			variant ? gid : sh_sku);
		ret = EXIT_USAGE;
		goto cleanup;
	}
	if (va.n > 1) {
		fprintf(stderr, "ttsync link: Shopify SKU '%s' names %zu variants (%s); "
			"link by --variant GID instead\n", sh_sku, va.n, va.others);
		ret = EXIT_USAGE;
		goto cleanup;
	}
	memset(&lr, 0, sizeof(lr));
	lr.tt_sku_id = (char *)tt_sku_id;
	lr.seller_sku = (char *)tt_sku;
	lr.variant_id = va.id;
	lr.source = "manual";
	lr.created_at = clock_now();
	if (state_link_put(st, &lr, &e) != 0)
		goto abort;
	printf("linked TikTok SKU %s to %s: %s\n", tt_sku ? tt_sku : tt_sku_id, va.id,
	       va.label ? va.label : "");
	goto cleanup;
abort:
	fprintf(stderr, "ttsync: %s\n", e.msg);
	ret = exit_code_for(&e);
cleanup:
	if (fflush(stdout) != 0 && ret == EXIT_OK)
		ret = EXIT_ABORTED;
	free(gid);
	free(va.id);
	free(va.label);
	free(va.others);
	if (sh)
		shopify_free(sh);
	if (h)
		http_free(h);
	if (st)
		state_close(st);
	config_free(cfg);
	return ret;
}
