/*
 * config.h - the YAML configuration (libyaml) as one immutable struct.
 * All validation happens in config_load(); nothing else reads the file.
 *
 * Errors name file:line:column and the key; unknown keys are refused with
 * the nearest valid name ("did you mean ...?"). Secrets are never inline:
 * each secret is given as `*_env: VARNAME` (read from the environment) or
 * `*_file: PATH` (a file readable by its owner only, mode 0600/0400).
 *
 * Example: config/ttsync.example.yaml (every key, commented).
 */
#ifndef TTSYNC_CONFIG_H
#define TTSYNC_CONFIG_H

#include <stdint.h>
#include "common.h"

/* Tunables with their defaults (one-line reason each). */
#define CFG_DEFAULT_BACKFILL_DAYS 7	  /* SPEC: a new store backfills 7 days */
#define CFG_DEFAULT_OVERLAP_SECONDS 900	  /* re-read 15 min: TikTok's update_time ordering is not documented */
#define CFG_DEFAULT_TT_PAGE_SIZE 100	  /* order search maximum */
#define CFG_DEFAULT_SH_PAGE_SIZE 50	  /* keeps an orders page well under the 1000-point cap */
#define CFG_DEFAULT_CONCURRENCY 8	  /* in-flight requests per platform */
#define CFG_DEFAULT_TT_QPS 48		  /* under TikTok's 50 QPS per (app, shop), with a margin */
#define CFG_DEFAULT_MAX_ATTEMPTS 5	  /* per request, reads and looked-up writes */
#define CFG_DEFAULT_TIMEOUT_SECONDS 30	  /* per request */
#define CFG_DEFAULT_DEADLINE_SECONDS 3000 /* stop fetching before an hourly cron's next run */
#define CFG_DEFAULT_CHUNK_ORDERS 1000	/* orders per chunk of the orders stage (memory) */
#define CFG_DEFAULT_TOKEN_REFRESH_MARGIN 3600 /* refresh when < 1 h of validity left */
#define CFG_DEFAULT_SHOPIFY_VERSION "2026-04"

struct carrier_rule {
	char *shopify_name;	/* Shopify tracking company, e.g. "Other" */
	char *tiktok_name;	/* TikTok shipping provider name, e.g. "Cainiao US" */
	int line;		/* config line, for messages */
};

struct tracking_format {
	char *provider;		/* TikTok provider name, e.g. "USPS" */
	char *pattern;		/* POSIX extended regex, anchored by the checker */
	char *example;
};

struct config {
	char *path;		/* the file it was read from */

	/* store */
	char *store_name;	/* "Acme" -> Channel "TikTok Shop - Acme" */
	char *region;		/* "US"; other regions refused for order/fulfillment sync */

	/* tiktok */
	char *tt_app_key;
	char *tt_app_secret;	/* resolved from env/file */
	char *tt_shop_cipher;
	char *tt_shop_id;	/* optional, for Seller Center links */
	char *tt_api_base;	/* default https://open-api.tiktokglobalshop.com */
	char *tt_auth_base;	/* default https://auth.tiktok-shops.com */
	char *tt_access_token;	/* initial pair, resolved from env/file; state wins when newer */
	char *tt_refresh_token;
	int64_t tt_access_expire;	/* optional, 0 = unknown */
	char *tt_seller_center_base; /* default https://seller-us.tiktok.com */

	/* shopify */
	char *sh_shop_domain;	/* "acme.myshopify.com" */
	char *sh_base_url;	/* overrides https://{domain}; used for the emulator */
	char *sh_api_version;	/* "2026-04" */
	char *sh_access_token;	/* resolved from env/file */
	char *sh_location_id;	/* optional: fulfillments' location (else the FO's) */

	/* network */
	int allow_insecure_loopback;	/* plain http allowed, loopback hosts only */
	char *ca_file;			/* optional CA bundle */
	int timeout_seconds;
	int max_attempts;
	int concurrency;
	int tt_qps;

	/* settings */
	int order_auto_sync;		/* default 0 (SPEC) */
	int fulfillment_auto_sync;	/* default 1 */
	int backfill_days;
	int overlap_seconds;
	int tt_page_size, sh_page_size;
	int deadline_seconds;
	int chunk_orders;		/* orders held at once by the orders stage */
	int notify_customer;		/* Shopify fulfillment emails; default 0 */
	int cancel_in_shopify;		/* default 1; 0 = report only */
	char *inventory_behaviour;	/* default "BYPASS" */
	int token_refresh_margin;

	struct carrier_rule *carrier_rules;
	size_t ncarrier_rules;
	char *tracking_formats_file;	/* optional override of the built-in table */
	struct tracking_format *tracking_formats;	/* loaded table */
	size_t ntracking_formats;

	/* files */
	char *state_file;	/* default state/<store>.sqlite beside the config */
	char *reports_dir;	/* default reports/ */
	char *lock_file;	/* default <state_file>.lock */
};

/* Load and validate. On error returns -1, e names file:line:col and key. */
int config_load(const char *path, struct config **out, struct err *e);
void config_free(struct config *c);

/* 0 if order and fulfillment sync may run for this region, else -1 with
 * a sentence for the merchant. */
int config_check_region(const struct config *c, struct err *e);

/* Built-in tracking number formats for the common US carriers (the same
 * table as config/tracking_formats.yaml). */
const struct tracking_format *tracking_formats_builtin(size_t *n);
/* Load a tracking formats file (the layout of config/tracking_formats.yaml):
 * every pattern must compile, be anchored (^...$) and match its example.
 * Free the result with tracking_formats_free(). */
int tracking_formats_load(const char *path, struct tracking_format **out,
			  size_t *n, struct err *e);
void tracking_formats_free(struct tracking_format *v, size_t n);

#endif
