/*
 * cmd_run.c - `ttsync run` (the scheduled job) and `ttsync sync orders|
 * fulfillments` (manual sync). This is the story of one run:
 *
 *   1. read the configuration (exit 2 when it is wrong);
 *   2. take the store's lock (exit 4 if another run holds it), open the
 *      state, make sure the TikTok token is valid, check both shops
 *      (exit 3 when a platform refuses us or cannot be reached);
 *   3. fetch the TikTok window (first run: the past 7 days by create
 *      time; then from the cursor minus the overlap, by update time);
 *      snapshots recorded, cursor advanced; then the orders the state
 *      says to retry. A chunk of orders at a time goes through 4-5, and
 *      only what the fulfillment stage needs stays in memory:
 *   4. resolve SKU -> variant for the orders to create;
 *   5. plan and apply the orders (create in Shopify exactly once, cancel);
 *   6. fulfillments: read the Shopify window, and as its pages arrive
 *      plan and apply (push tracking to TikTok, pull TikTok labels into
 *      Shopify, delivery status), then the orders read by id;
 *   7. write the reports, record the run, print where they are;
 *   8. exit 0, or 1 when some item failed.
 * Owns: the run context (run.h) for the duration of the command.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "run.h"

static void run_usage(FILE *f, enum run_mode mode)
{
	if (mode == RUN_SCHEDULED)
		fprintf(f,
			"usage: ttsync run --config FILE [--dry-run] [--verbose]\n\n"
			"The scheduled job. Fetches the recent window of orders from TikTok Shop\n"
			"and Shopify, compares it with the state file, applies what the settings\n"
			"allow (order automatic sync is off by default: eligible orders are then\n"
			"recorded as Not synced), and writes reports/<run id>/{synced.csv,\n"
			"failed.csv,items.csv,report.html}.\n\n"
			"  -c, --config FILE  the store's configuration (YAML)\n"
			"  -n, --dry-run      compute and report every action; change nothing,\n"
			"                     remote or local\n"
			"  -v, --verbose      more messages on stderr (repeat for debug)\n"
			"  -h, --help         this text\n\n"
			"exit status: 0 all done; 1 some items failed (see the report); 2 usage or\n"
			"configuration error; 3 run aborted; 4 another run holds the lock.\n");
	else
		fprintf(f,
			"usage: ttsync sync orders --config FILE (ID... | --all-not-synced) [--dry-run]\n"
			"       ttsync sync fulfillments --config FILE (ID... | --all-not-synced) [--dry-run]\n\n"
			"Manual sync of chosen TikTok orders (their ids as in `ttsync status`), or of\n"
			"every order (or fulfillment) that is Not synced or Sync failed. Failures\n"
			"that need a person are retried when named here.\n\n"
			"  -c, --config FILE     the store's configuration (YAML)\n"
			"  -a, --all-not-synced  every not-synced or failed item\n"
			"  -n, --dry-run         compute and report; change nothing\n"
			"  -v, --verbose         more messages on stderr\n"
			"  -h, --help            this text\n\n"
			"exit status: as for `ttsync run`.\n");
}

/* Steps 4-5 for one chunk of orders (fetch_tiktok calls it). */
static int orders_stage(struct run_ctx *rc, struct err *e)
{
	/* what the orders stage needs from Shopify: the linked orders TikTok
	 * cancelled */
	if (fetch_shopify_for_orders(rc, e) != 0)
		return -1;
	if (rc->mode == RUN_SYNC_FULFILLMENTS)
		return 0;
	/* 4-5. SKU -> variant, then create (or cancel) in Shopify */
	return resolve_inputs(rc, 1, e) != 0 || apply_orders(rc, e) != 0 ? -1 : 0;
}

static int sync_main(int argc, char **argv, enum run_mode mode)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "all-not-synced", no_argument, NULL, 'a' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = NULL;
	struct config *cfg = NULL;
	struct run_ctx rc;
	struct err e;
	char *dir = NULL;
	int dry_run = 0, all = 0, verbose = LOG_WARN, ch, ret = EXIT_OK;

	memset(&rc, 0, sizeof(rc));
	err_clear(&e);
	optind = 1;
	while ((ch = getopt_long(argc, argv, mode == RUN_SCHEDULED ? "c:nvh" : "c:navh",
				 opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 'n':
			dry_run = 1;
			break;
		case 'a':
			if (mode == RUN_SCHEDULED) {
				run_usage(stderr, mode);
				return EXIT_USAGE;
			}
			all = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			run_usage(stdout, mode);
			return EXIT_OK;
		default:
			run_usage(stderr, mode);
			return EXIT_USAGE;
		}
	}
	if (verbose > log_get_level())
		log_set_level(verbose);
	if (config_path == NULL) {
		fprintf(stderr, "ttsync: --config FILE is required\n\n");
		run_usage(stderr, mode);
		return EXIT_USAGE;
	}
	if (mode == RUN_SCHEDULED && optind < argc) {
		fprintf(stderr, "ttsync run: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (mode != RUN_SCHEDULED && !all && optind >= argc) {
		fprintf(stderr, "ttsync sync: name TikTok order ids or --all-not-synced\n\n");
		run_usage(stderr, mode);
		return EXIT_USAGE;
	}
	if (mode != RUN_SCHEDULED && all && optind < argc) {
		fprintf(stderr, "ttsync sync: give either order ids or --all-not-synced, not both\n");
		return EXIT_USAGE;
	}

	/* 1. configuration */
	if (config_load(config_path, &cfg, &e) != 0 ||
	    config_check_region(cfg, &e) != 0) {
		fprintf(stderr, "ttsync: %s\n", e.msg);
		ret = EXIT_USAGE;
		goto cleanup;
	}
	rc.ids = mode != RUN_SCHEDULED ? argv + optind : NULL;
	rc.nids = mode != RUN_SCHEDULED ? (size_t)(argc - optind) : 0;
	rc.all_not_synced = all;

	/* 2. lock, state, clients, token, shops */
	if (run_open(&rc, cfg, mode, dry_run, &e) != 0) {
		fprintf(stderr, "ttsync: %s\n", e.msg);
		ret = exit_code_for(&e);
		if (ret == EXIT_ABORTED && rc.st != NULL)
			goto report;	/* the run is recorded and reported */
		goto cleanup;
	}

	/* 3-5. the TikTok window (or the chosen orders) and the orders to
	 *      retry, each chunk through the orders stage as it is read */
	if (fetch_tiktok(&rc, orders_stage, &e) != 0)
		goto abort;

	/* 6. fulfillments: carrier lists, the Shopify window (its pages start
	 *    their pushes and pulls as they arrive), the rest, follow-ups */
	if (mode != RUN_SYNC_ORDERS && apply_fulfillments(&rc, &e) != 0)
		goto abort;
	ret = rc.item_failures ? EXIT_ITEMS_FAILED : EXIT_OK;
	goto report;

abort:
	fprintf(stderr, "ttsync: run aborted: %s\n", e.msg);
	rc.aborted = 1;
	rc.abort_err = e;
	ret = EXIT_ABORTED;

report:
	/* 7. reports, run record */
	if (rc.st != NULL || rc.aborted) {
		struct err re;

		err_clear(&re);
		if (ret == EXIT_ABORTED && !rc.aborted) {
			rc.aborted = 1;
			rc.abort_err = e;
		}
		if (run_report(&rc, ret, &dir, &re) != 0) {
			fprintf(stderr, "ttsync: report: %s\n", re.msg);
			if (ret == EXIT_OK || ret == EXIT_ITEMS_FAILED)
				ret = EXIT_ABORTED;
		}
		if (dir != NULL) {
			printf("%s%s: %s\n", dry_run ? "dry run, nothing changed; " : "",
			       "reports", dir);
			printf("  %s/synced.csv\n  %s/failed.csv\n  %s/items.csv\n"
			       "  %s/report.html\n", dir, dir, dir, dir);
		}
		if (fflush(stdout) != 0 && ret == EXIT_OK)
			ret = EXIT_ABORTED;
	}

cleanup:
	free(dir);
	run_close(&rc);
	config_free(cfg);
	return ret;
}

int cmd_run(int argc, char **argv)
{
	return sync_main(argc, argv, RUN_SCHEDULED);
}

int cmd_sync(int argc, char **argv)
{
	enum run_mode mode;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		run_usage(argc < 2 ? stderr : stdout, RUN_SYNC_ORDERS);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (strcmp(argv[1], "orders") == 0)
		mode = RUN_SYNC_ORDERS;
	else if (strcmp(argv[1], "fulfillments") == 0)
		mode = RUN_SYNC_FULFILLMENTS;
	else {
		fprintf(stderr, "ttsync sync: '%s' is not 'orders' or 'fulfillments'\n",
			argv[1]);
		return EXIT_USAGE;
	}
	return sync_main(argc - 1, argv + 1, mode);
}
