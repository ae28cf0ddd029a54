/*
 * cmd_status.c - `ttsync status`: every known order with its status,
 * reason and remedy (the vendor app's Orders page, in a terminal), and its
 * fulfillments. Reads the state only; changes nothing, takes no lock (the
 * state is consistent at every commit). Owns nothing beyond the command.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "state.h"

static void status_usage(FILE *f)
{
	fprintf(f,
		"usage: ttsync status --config FILE [--failed] [ID...]\n\n"
		"Every TikTok order ttsync knows, with its sync status (Not synced, Synced,\n"
		"Sync failed, Skipped), the reason and the remedy, and its fulfillments.\n\n"
		"  -c, --config FILE  the store's configuration (YAML)\n"
		"  -f, --failed       only orders or fulfillments that failed\n"
		"  -h, --help         this text\n");
}

struct status_ctx {
	struct state *st;
	int failed_only;
	long shown;
	struct err err;
	int trouble;
};

static int show_order(const struct order_rec *o, void *arg)
{
	struct status_ctx *sc = arg;
	struct ful_rec *fuls = NULL;
	size_t nfuls = 0, i;
	int any_failed_ful = 0;

	if (state_ful_list_for_order(sc->st, o->tt_id, &fuls, &nfuls, &sc->err) != 0) {
		sc->trouble = 1;
		return 1;
	}
	for (i = 0; i < nfuls; i++)
		any_failed_ful |= fuls[i].status == SYNC_FAILED;
	if (sc->failed_only && o->status != SYNC_FAILED && !any_failed_ful) {
		ful_rec_free_array(fuls, nfuls);
		return 0;
	}
	sc->shown++;
	printf("%-20s %-12s %-8s %-20s %s\n", o->tt_id, sync_status_label(o->status),
	       o->sh_name ? o->sh_name : "-", tt_status_name(o->tt_status),
	       o->reason_code ? o->reason_code : "");
	if (o->reason && *o->reason)
		printf("    reason: %s\n", o->reason);
	if (o->status == SYNC_FAILED && o->remedy && *o->remedy)
		printf("    remedy: %s%s\n", o->remedy,
		       o->retry == RETRY_PERSON ? " (needs a person; retried only by "
						  "`ttsync sync`)" : "");
	for (i = 0; i < nfuls; i++) {
		const struct ful_rec *f = &fuls[i];

		if (sc->failed_only && f->status != SYNC_FAILED)
			continue;
		printf("    fulfillment %-4s %-12s tracking %s%s%s%s%s %s\n",
		       f->dir == FUL_PUSH ? "push" : "pull", sync_status_label(f->status),
		       f->tracking_number ? f->tracking_number : "-",
		       f->provider_name ? " via " : "",
		       f->provider_name ? f->provider_name : "",
		       f->tt_package_id ? ", TikTok package " : "",
		       f->tt_package_id ? f->tt_package_id : "",
		       f->reason_code ? f->reason_code : "");
		if (f->reason && *f->reason)
			printf("        reason: %s\n", f->reason);
		if (f->status == SYNC_FAILED && f->remedy && *f->remedy)
			printf("        remedy: %s\n", f->remedy);
	}
	ful_rec_free_array(fuls, nfuls);
	return 0;
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "failed", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = NULL;
	struct config *cfg = NULL;
	struct status_ctx sc;
	struct order_filter f;
	struct err e;
	long counts[4] = { 0, 0, 0, 0 };
	int ch, ret = EXIT_OK, s;

	memset(&sc, 0, sizeof(sc));
	err_clear(&e);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:fh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 'f':
			sc.failed_only = 1;
			break;
		case 'h':
			status_usage(stdout);
			return EXIT_OK;
		default:
			status_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (config_path == NULL) {
		fprintf(stderr, "ttsync status: --config FILE is required\n");
		return EXIT_USAGE;
	}
	if (config_load(config_path, &cfg, &e) != 0) {
		fprintf(stderr, "ttsync: %s\n", e.msg);
		return EXIT_USAGE;
	}
	if (state_open(cfg->state_file, &sc.st, &e) != 0) {
		fprintf(stderr, "ttsync: %s\n", e.msg);
		ret = EXIT_ABORTED;
		goto cleanup;
	}
	memset(&f, 0, sizeof(f));
	f.only_status = -1;
	f.ids = optind < argc ? argv + optind : NULL;
	f.nids = optind < argc ? (size_t)(argc - optind) : 0;
	printf("%-20s %-12s %-8s %-20s %s\n", "TIKTOK ORDER", "STATUS", "SHOPIFY",
	       "TIKTOK STATUS", "REASON");
	if (state_orders_foreach(sc.st, &f, show_order, &sc, &e) != 0 || sc.trouble) {
		fprintf(stderr, "ttsync: %s\n", sc.trouble ? sc.err.msg : e.msg);
		ret = EXIT_ABORTED;
		goto cleanup;
	}
	for (s = 0; s < 4; s++)
		if (state_orders_count(sc.st, s, &counts[s], &e) != 0) {
			fprintf(stderr, "ttsync: %s\n", e.msg);
			ret = EXIT_ABORTED;
			goto cleanup;
		}
	printf("\n%ld shown; in the state: %ld synced, %ld not synced, %ld failed, "
	       "%ld skipped\n", sc.shown, counts[SYNC_SYNCED], counts[SYNC_NOT_SYNCED],
	       counts[SYNC_FAILED], counts[SYNC_SKIPPED]);
	if (fflush(stdout) != 0)
		ret = EXIT_ABORTED;
cleanup:
	if (sc.st)
		state_close(sc.st);
	config_free(cfg);
	return ret;
}
