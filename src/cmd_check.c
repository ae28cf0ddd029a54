/*
 * cmd_check.c - `ttsync check-config`: read the configuration, then ask
 * both platforms whether they accept it (TikTok token and shop region,
 * Shopify token), and hold the carrier rules against the shipping
 * providers TikTok offers for the delivery options ttsync has seen.
 * Syncs nothing; refreshes the TikTok token if it must (and keeps the new
 * pair). Owns a run context for the duration of the command.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "run.h"

static void check_usage(FILE *f)
{
	fprintf(f,
		"usage: ttsync check-config --config FILE\n\n"
		"Validates the configuration file, then checks that TikTok Shop and\n"
		"Shopify accept the credentials, that the TikTok shop is a US shop, and\n"
		"that every carrier rule names a shipping provider TikTok offers.\n\n"
		"  -c, --config FILE  the store's configuration (YAML)\n"
		"  -h, --help         this text\n\n"
		"exit status: 0 all good; 1 a carrier rule names an unknown provider;\n"
		"2 configuration error; 3 a platform refused or could not be reached;\n"
		"4 a run holds the lock.\n");
}

struct prov_answer {
	struct tt_provider_list *lists;
	size_t n;
	int failed;
};

static void on_providers(void *arg, struct tt_result *res, struct tt_provider_list *l)
{
	struct prov_answer *pa = arg;
	struct tt_provider_list *d;
	size_t i;

	if (res->oc != HTTP_OUTCOME_OK || res->code != 0 || l == NULL) {
		pa->failed++;
		return;
	}
	pa->lists = xrealloc(pa->lists, (pa->n + 1) * sizeof(*pa->lists));
	d = &pa->lists[pa->n++];
	memset(d, 0, sizeof(*d));
	d->delivery_option_id = xstrdup(l->delivery_option_id);
	d->v = xcalloc(l->n ? l->n : 1, sizeof(*d->v));
	for (i = 0; i < l->n; i++) {
		d->v[i].id = xstrdup(l->v[i].id);
		d->v[i].name = xstrdup(l->v[i].name);
	}
	d->n = l->n;
}

struct opt_ids {
	char **v;
	size_t n;
};

static int collect_options(const struct order_rec *o, void *arg)
{
	struct opt_ids *ids = arg;
	struct tt_order t;
	struct err e;
	size_t i;

	memset(&t, 0, sizeof(t));
	err_clear(&e);
	if (o->snapshot == NULL || tiktok_order_from_json(o->snapshot, &t, &e) != 0)
		return 0;
	if (t.delivery_option_id && t.shipping_type &&
	    strcmp(t.shipping_type, "SELLER") == 0) {
		for (i = 0; i < ids->n; i++)
			if (strcmp(ids->v[i], t.delivery_option_id) == 0)
				break;
		if (i == ids->n) {
			ids->v = xrealloc(ids->v, (ids->n + 1) * sizeof(char *));
			ids->v[ids->n++] = xstrdup(t.delivery_option_id);
		}
	}
	tt_order_free(&t);
	return 0;
}

int cmd_check_config(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = NULL;
	struct config *cfg = NULL;
	struct run_ctx rc;
	struct prov_answer pa;
	struct opt_ids ids = { NULL, 0 };
	struct order_filter f;
	struct err e;
	size_t i, j, r;
	int ch, ret = EXIT_OK;

	memset(&rc, 0, sizeof(rc));
	memset(&pa, 0, sizeof(pa));
	err_clear(&e);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 'h':
			check_usage(stdout);
			return EXIT_OK;
		default:
			check_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (config_path == NULL || optind < argc) {
		check_usage(stderr);
		return EXIT_USAGE;
	}
	if (config_load(config_path, &cfg, &e) != 0 || config_check_region(cfg, &e) != 0) {
		fprintf(stderr, "ttsync: %s\n", e.msg);
		ret = EXIT_USAGE;
		goto cleanup;
	}
	printf("%s: configuration is valid\n", config_path);
	/* A dry-run context: nothing is recorded. */
	if (run_open(&rc, cfg, RUN_SCHEDULED, 1, &e) != 0) {
		fprintf(stderr, "ttsync: %s\n", e.msg);
		ret = exit_code_for(&e);
		goto cleanup;
	}
	printf("TikTok Shop: token accepted, US shop; Shopify: token accepted\n");
	memset(&f, 0, sizeof(f));
	f.only_status = -1;
	if (state_orders_foreach(rc.st, &f, collect_options, &ids, &e) != 0) {
		fprintf(stderr, "ttsync: %s\n", e.msg);
		ret = EXIT_ABORTED;
		goto cleanup;
	}
	for (i = 0; i < ids.n; i++)
		if (rc.tto->get_providers(rc.tt, ids.v[i], on_providers, &pa, &e) != 0)
			break;
	if (ids.n && http_run(rc.http, &e) != 0) {
		fprintf(stderr, "ttsync: %s\n", e.msg);
		ret = EXIT_ABORTED;
		goto cleanup;
	}
	if (pa.n == 0) {
		printf("carrier rules: not checked (no seller-shipping delivery option seen "
		       "yet; run once first)\n");
		goto cleanup;
	}
	for (r = 0; r < cfg->ncarrier_rules; r++) {
		const char *want = cfg->carrier_rules[r].tiktok_name;
		int ok = 0;

		for (i = 0; i < pa.n && !ok; i++)
			for (j = 0; j < pa.lists[i].n && !ok; j++)
				ok = strcasecmp(pa.lists[i].v[j].name, want) == 0;
		if (ok) {
			printf("carrier rule %s -> %s: ok\n",
			       cfg->carrier_rules[r].shopify_name, want);
			continue;
		}
		printf("%s:%d: carrier rule %s -> %s: TikTok offers no provider named '%s'; "
		       "valid names:", cfg->path, cfg->carrier_rules[r].line,
		       cfg->carrier_rules[r].shopify_name, want, want);
		for (i = 0; i < pa.n; i++)
			for (j = 0; j < pa.lists[i].n; j++)
				printf(" '%s'", pa.lists[i].v[j].name);
		printf("\n");
		ret = EXIT_ITEMS_FAILED;
	}
cleanup:
	if (fflush(stdout) != 0 && ret == EXIT_OK)
		ret = EXIT_ABORTED;
	for (i = 0; i < pa.n; i++)
		tt_provider_list_free(&pa.lists[i]);
	free(pa.lists);
	str_free_array(ids.v, ids.n);
	run_close(&rc);
	config_free(cfg);
	return ret;
}
