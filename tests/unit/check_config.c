/*
 * check_config.c - config.c: the example config loads; defaults; every
 * error class names file:line:column and the key, exactly; nearest-name
 * suggestions; secrets from the environment and from private files only;
 * URLs; the region check; and the tracking number formats (built-in table
 * identical to config/tracking_formats.yaml, examples match, wrong numbers
 * do not).
 */
#include <check.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

static char tmpdir[PATH_MAX];

static const char *top(void)
{
	const char *t = getenv("TTSYNC_TOP");

	return t ? t : ".";
}

static void setup(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/ttsync-cfg-XXXXXX", t ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	setenv("CK_TT_SECRET", "tt-app-secret-value", 1);
	setenv("CK_TT_ACCESS", "TTP_access", 1);
	setenv("CK_TT_REFRESH", "TTP_refresh", 1);
	setenv("CK_SH_TOKEN", "shpat_123", 1);
	/* The example config's variables. */
	setenv("TTSYNC_TIKTOK_APP_SECRET", "example-secret", 1);
	setenv("TTSYNC_TIKTOK_ACCESS_TOKEN", "TTP_example_access", 1);
	setenv("TTSYNC_TIKTOK_REFRESH_TOKEN", "TTP_example_refresh", 1);
	setenv("TTSYNC_SHOPIFY_ACCESS_TOKEN", "shpat_example", 1);
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

/* Write `text` to tmpdir/name with `mode`; returns a static path. */
static const char *write_file(const char *name, const char *text, mode_t mode)
{
	static char path[PATH_MAX * 2];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
	return path;
}

/* Twelve lines; tests append from line 13. */
#define BASE \
	"store:\n" \
	"  name: Acme\n" \
	"  region: US\n" \
	"tiktok:\n" \
	"  app_key: k123\n" \
	"  app_secret_env: CK_TT_SECRET\n" \
	"  shop_cipher: ROW_c\n" \
	"  access_token_env: CK_TT_ACCESS\n" \
	"  refresh_token_env: CK_TT_REFRESH\n" \
	"shopify:\n" \
	"  shop_domain: acme.myshopify.com\n" \
	"  access_token_env: CK_SH_TOKEN\n"

static struct config *load_ok(const char *text)
{
	const char *path = write_file("c.yaml", text, 0644);
	struct config *c = NULL;
	struct err e = { 0 };

	ck_assert_msg(config_load(path, &c, &e) == 0, "refused: %s", e.msg);
	ck_assert_ptr_nonnull(c);
	return c;
}

/* The load fails with exactly "<path>:<where>" as the message. */
static void load_fails(const char *text, const char *where)
{
	const char *path = write_file("c.yaml", text, 0644);
	struct config *c = NULL;
	struct err e = { 0 };
	char want[2048];

	ck_assert_int_eq(config_load(path, &c, &e), -1);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(e.cls, ERR_CONFIG);
	snprintf(want, sizeof(want), "%s:%s", path, where);
	ck_assert_str_eq(e.msg, want);
}

/* The load fails and the message contains every given fragment. */
static void load_fails_with(const char *text, const char *const *frags)
{
	const char *path = write_file("c.yaml", text, 0644);
	struct config *c = NULL;
	struct err e = { 0 };

	ck_assert_int_eq(config_load(path, &c, &e), -1);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(e.cls, ERR_CONFIG);
	for (; *frags; frags++)
		ck_assert_msg(strstr(e.msg, *frags) != NULL,
			      "'%s' not in: %s", *frags, e.msg);
}

START_TEST(test_example_loads)
{
	char path[PATH_MAX], want[PATH_MAX * 2], *cfgdir;
	struct config *c = NULL;
	struct err e = { 0 };
	size_t nb;

	snprintf(path, sizeof(path), "%s/config/ttsync.example.yaml", top());
	ck_assert_msg(config_load(path, &c, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(c->path, path);
	ck_assert_str_eq(c->store_name, "Acme");
	ck_assert_str_eq(c->region, "US");
	ck_assert_str_eq(c->tt_app_key, "6abc123def456");
	ck_assert_str_eq(c->tt_app_secret, "example-secret");
	ck_assert_str_eq(c->tt_access_token, "TTP_example_access");
	ck_assert_str_eq(c->tt_refresh_token, "TTP_example_refresh");
	ck_assert_str_eq(c->sh_access_token, "shpat_example");
	ck_assert_str_eq(c->tt_shop_cipher, "ROW_demo_cipher");
	ck_assert_str_eq(c->sh_shop_domain, "acme.myshopify.com");
	ck_assert_str_eq(c->sh_base_url, "https://acme.myshopify.com");
	ck_assert_str_eq(c->sh_api_version, "2026-04");
	ck_assert_int_eq(c->order_auto_sync, 0);
	ck_assert_int_eq(c->backfill_days, 7);
	ck_assert_uint_eq(c->ncarrier_rules, 2);
	ck_assert_str_eq(c->carrier_rules[0].shopify_name, "Other");
	ck_assert_str_eq(c->carrier_rules[0].tiktok_name, "Cainiao US");
	ck_assert_int_gt(c->carrier_rules[0].line, 100);
	/* Relative paths resolve against the config file's directory. */
	cfgdir = realpath(path, NULL);
	ck_assert_ptr_nonnull(cfgdir);
	*strrchr(cfgdir, '/') = '\0';
	snprintf(want, sizeof(want), "%s/../state/acme.sqlite", cfgdir);
	ck_assert_str_eq(c->state_file, want);
	snprintf(want, sizeof(want), "%s/../reports", cfgdir);
	ck_assert_str_eq(c->reports_dir, want);
	snprintf(want, sizeof(want), "%s/../state/acme.sqlite.lock", cfgdir);
	ck_assert_str_eq(c->lock_file, want);
	free(cfgdir);
	tracking_formats_builtin(&nb);
	ck_assert_uint_eq(c->ntracking_formats, nb);
	ck_assert_int_eq(config_check_region(c, &e), 0);
	config_free(c);
}
END_TEST

START_TEST(test_defaults)
{
	struct config *c = load_ok(BASE);
	char want[PATH_MAX * 2];

	ck_assert_int_eq(c->backfill_days, CFG_DEFAULT_BACKFILL_DAYS);
	ck_assert_int_eq(c->backfill_days, 7);
	ck_assert_int_eq(c->overlap_seconds, CFG_DEFAULT_OVERLAP_SECONDS);
	ck_assert_int_eq(c->tt_page_size, CFG_DEFAULT_TT_PAGE_SIZE);
	ck_assert_int_eq(c->sh_page_size, CFG_DEFAULT_SH_PAGE_SIZE);
	ck_assert_int_eq(c->concurrency, CFG_DEFAULT_CONCURRENCY);
	ck_assert_int_eq(c->tt_qps, CFG_DEFAULT_TT_QPS);
	ck_assert_int_eq(c->max_attempts, CFG_DEFAULT_MAX_ATTEMPTS);
	ck_assert_int_eq(c->timeout_seconds, CFG_DEFAULT_TIMEOUT_SECONDS);
	ck_assert_int_eq(c->deadline_seconds, CFG_DEFAULT_DEADLINE_SECONDS);
	ck_assert_int_eq(c->chunk_orders, CFG_DEFAULT_CHUNK_ORDERS);
	ck_assert_int_eq(c->token_refresh_margin, CFG_DEFAULT_TOKEN_REFRESH_MARGIN);
	ck_assert_int_eq(c->order_auto_sync, 0);
	ck_assert_int_eq(c->fulfillment_auto_sync, 1);
	ck_assert_int_eq(c->notify_customer, 0);
	ck_assert_int_eq(c->cancel_in_shopify, 1);
	ck_assert_int_eq(c->allow_insecure_loopback, 0);
	ck_assert_str_eq(c->inventory_behaviour, "BYPASS");
	ck_assert_str_eq(c->sh_api_version, "2026-04");
	ck_assert_str_eq(c->tt_api_base, "https://open-api.tiktokglobalshop.com");
	ck_assert_str_eq(c->tt_auth_base, "https://auth.tiktok-shops.com");
	ck_assert_str_eq(c->tt_seller_center_base, "https://seller-us.tiktok.com");
	ck_assert_str_eq(c->sh_base_url, "https://acme.myshopify.com");
	ck_assert_ptr_null(c->tt_shop_id);
	ck_assert_ptr_null(c->sh_location_id);
	ck_assert_ptr_null(c->ca_file);
	ck_assert_ptr_null(c->tracking_formats_file);
	ck_assert_int_eq(c->tt_access_expire, 0);
	ck_assert_uint_eq(c->ncarrier_rules, 0);
	ck_assert_str_eq(c->tt_app_secret, "tt-app-secret-value");
	ck_assert_str_eq(c->tt_access_token, "TTP_access");
	ck_assert_str_eq(c->tt_refresh_token, "TTP_refresh");
	ck_assert_str_eq(c->sh_access_token, "shpat_123");
	{
		char *real = realpath(tmpdir, NULL);

		snprintf(want, sizeof(want), "%s/state/acme.sqlite", real);
		ck_assert_str_eq(c->state_file, want);
		snprintf(want, sizeof(want), "%s/reports", real);
		ck_assert_str_eq(c->reports_dir, want);
		snprintf(want, sizeof(want), "%s/state/acme.sqlite.lock", real);
		ck_assert_str_eq(c->lock_file, want);
		free(real);
	}
	config_free(c);
}
END_TEST

START_TEST(test_values_set)
{
	struct config *c = load_ok(BASE
		"settings:\n"
		"  order_auto_sync: yes\n"
		"  fulfillment_auto_sync: false\n"
		"  backfill_days: 30\n"
		"  tiktok_page_size: 50\n"
		"  shopify_page_size: 250\n"
		"  inventory_behaviour: DECREMENT_OBEYING_POLICY\n"
		"  overlap_seconds:\n"		/* empty: the default */
		"network:\n"
		"  allow_insecure_loopback: true\n"
		"  concurrency: 16\n"
		"files:\n"
		"  state_file: /var/lib/ttsync/acme.sqlite\n"
		"  reports_dir: out/reports\n");
	char *real = realpath(tmpdir, NULL), want[PATH_MAX * 2];

	ck_assert_int_eq(c->order_auto_sync, 1);
	ck_assert_int_eq(c->fulfillment_auto_sync, 0);
	ck_assert_int_eq(c->backfill_days, 30);
	ck_assert_int_eq(c->tt_page_size, 50);
	ck_assert_int_eq(c->sh_page_size, 250);
	ck_assert_int_eq(c->overlap_seconds, CFG_DEFAULT_OVERLAP_SECONDS);
	ck_assert_str_eq(c->inventory_behaviour, "DECREMENT_OBEYING_POLICY");
	ck_assert_int_eq(c->allow_insecure_loopback, 1);
	ck_assert_int_eq(c->concurrency, 16);
	ck_assert_str_eq(c->state_file, "/var/lib/ttsync/acme.sqlite");
	ck_assert_str_eq(c->lock_file, "/var/lib/ttsync/acme.sqlite.lock");
	snprintf(want, sizeof(want), "%s/out/reports", real);
	ck_assert_str_eq(c->reports_dir, want);
	free(real);
	config_free(c);
}
END_TEST

START_TEST(test_unknown_key_suggests)
{
	load_fails(BASE "settings:\n  backfil_days: 7\n",
		   "14:3: settings.backfil_days: unknown key; did you mean backfill_days?");
	load_fails(BASE "setings:\n  backfill_days: 7\n",
		   "13:1: setings: unknown key; did you mean settings?");
	load_fails(BASE "network:\n  timeout: 10\n",
		   "14:3: network.timeout: unknown key; did you mean timeout_seconds?");
	/* A key of another section: say where it belongs. */
	load_fails(BASE "backfill_days: 7\n",
		   "13:1: backfill_days: unknown key here; it belongs under settings: "
		   "(settings.backfill_days)");
	/* Nothing close: list the valid keys. */
	load_fails(BASE "files:\n  zzzzzzzzzz: 1\n",
		   "14:3: files.zzzzzzzzzz: unknown key (valid keys: state_file, "
		   "reports_dir, lock_file)");
	load_fails(BASE "carrier_rules:\n  - shopfy: Other\n    tiktok: USPS\n",
		   "14:5: carrier_rules[0].shopfy: unknown key; did you mean shopify?");
}
END_TEST

START_TEST(test_wrong_types)
{
	load_fails(BASE "settings:\n  backfill_days: seven\n",
		   "14:18: settings.backfill_days: 'seven' is not an integer");
	load_fails(BASE "settings:\n  backfill_days: 7.5\n",
		   "14:18: settings.backfill_days: '7.5' is not an integer");
	load_fails(BASE "settings:\n  order_auto_sync: maybe\n",
		   "14:20: settings.order_auto_sync: 'maybe' is not true or false");
	load_fails(BASE "settings:\n  backfill_days: [7]\n",
		   "14:18: settings.backfill_days: expected an integer, found a list");
	load_fails(BASE "settings: 7\n",
		   "13:11: settings: expected a mapping (key: value lines), found a "
		   "single value");
	load_fails(BASE "carrier_rules:\n  shopify: Other\n",
		   "14:3: carrier_rules: expected a list of rules (- shopify: NAME  "
		   "tiktok: NAME), found a mapping (key: value lines)");
	load_fails("- a\n- b\n",
		   "1:1: expected sections (store:, tiktok:, shopify:, ...), found a list");
}
END_TEST

START_TEST(test_ranges)
{
	load_fails(BASE "settings:\n  tiktok_page_size: 101\n",
		   "14:21: settings.tiktok_page_size: 101 is out of range (1 to 100)");
	load_fails(BASE "settings:\n  tiktok_page_size: 0\n",
		   "14:21: settings.tiktok_page_size: 0 is out of range (1 to 100)");
	load_fails(BASE "settings:\n  shopify_page_size: 251\n",
		   "14:22: settings.shopify_page_size: 251 is out of range (1 to 250)");
	load_fails(BASE "settings:\n  backfill_days: 91\n",
		   "14:18: settings.backfill_days: 91 is out of range (1 to 90)");
	load_fails(BASE "settings:\n  backfill_days: 0\n",
		   "14:18: settings.backfill_days: 0 is out of range (1 to 90)");
	load_fails(BASE "settings:\n  backfill_days: 99999999999999999999999\n",
		   "14:18: settings.backfill_days: 99999999999999999999999 is out "
		   "of range (1 to 90)");
	load_fails(BASE "network:\n  tiktok_qps: 51\n",
		   "14:15: network.tiktok_qps: 51 is out of range (1 to 50)");
	load_fails(BASE "settings:\n  inventory_behaviour: DECREMENT\n",
		   "14:24: settings.inventory_behaviour: 'DECREMENT' is not one of "
		   "BYPASS, DECREMENT_IGNORING_POLICY, DECREMENT_OBEYING_POLICY");
	load_fails(BASE "store2: x\n",
		   "13:1: store2: unknown key; did you mean store?");
}
END_TEST

START_TEST(test_required)
{
	/* A missing key is reported at the start of its section. */
	load_fails("store:\n  name: Acme\n  region: US\n"
		   "tiktok:\n  app_secret_env: CK_TT_SECRET\n  shop_cipher: c\n"
		   "  access_token_env: CK_TT_ACCESS\n"
		   "  refresh_token_env: CK_TT_REFRESH\n"
		   "shopify:\n  shop_domain: a.myshopify.com\n"
		   "  access_token_env: CK_SH_TOKEN\n",
		   "5:3: tiktok.app_key: required key missing");
	load_fails("store:\n  name: Acme\n"
		   "tiktok:\n  app_key: k\n",
		   "2:3: store.region: required key missing");
	load_fails("store:\n  name: Acme\n  region: US\n",
		   "1:1: tiktok: required section missing (the TikTok app key, "
		   "secret, shop cipher and tokens)");
	load_fails(BASE "store:\n  name: Other\n",
		   "13:1: store: duplicate key (first at line 1)");
	load_fails("store:\n  name:\n  region: US\n",
		   "2:8: store.name: has no value");
	/* A missing secret names both ways to give it. */
	load_fails("store:\n  name: Acme\n  region: US\n"
		   "tiktok:\n  app_key: k\n  shop_cipher: c\n"
		   "  access_token_env: CK_TT_ACCESS\n"
		   "  refresh_token_env: CK_TT_REFRESH\n"
		   "shopify:\n  shop_domain: a.myshopify.com\n"
		   "  access_token_env: CK_SH_TOKEN\n",
		   "5:3: tiktok: the TikTok app secret missing; add app_secret_env: "
		   "VARNAME (an environment variable) or app_secret_file: PATH (a "
		   "file only its owner can read)");
	load_fails("store:\n  name: Acme\n  region: US\n"
		   "tiktok:\n  app_key: k\n  app_secret_env: CK_TT_SECRET\n"
		   "  shop_cipher: c\n"
		   "  access_token_env: CK_TT_ACCESS\n"
		   "  refresh_token_env: CK_TT_REFRESH\n"
		   "shopify:\n  access_token_env: CK_SH_TOKEN\n",
		   "11:3: shopify.shop_domain: required key missing");
}
END_TEST

START_TEST(test_bad_yaml)
{
	const char *path = write_file("c.yaml", "store:\n  name: [Acme\n", 0644);
	struct config *c = NULL;
	struct err e = { 0 };
	char want[PATH_MAX + 32];

	ck_assert_int_eq(config_load(path, &c, &e), -1);
	ck_assert_int_eq(e.cls, ERR_CONFIG);
	snprintf(want, sizeof(want), "%s:3:1: invalid YAML", path);
	ck_assert_msg(strncmp(e.msg, want, strlen(want)) == 0, "%s", e.msg);

	load_fails("", "1:1: the file is empty");
	load_fails(BASE "---\nstore: {}\n",
		   "13:1: a second YAML document ('---'); a config file holds one");
	path = write_file("c2.yaml", "store: x\n", 0644);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(config_load(path, &c, &e), -1);
	ck_assert_int_eq(e.cls, ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(e.msg, "cannot open"));
	ck_assert_ptr_nonnull(strstr(e.msg, "c2.yaml"));
}
END_TEST

START_TEST(test_secret_env_unset)
{
	unsetenv("CK_SH_TOKEN");
	load_fails(BASE,
		   "12:21: shopify.access_token_env: environment variable "
		   "CK_SH_TOKEN is not set (it should hold the Shopify Admin API "
		   "access token)");
	setenv("CK_SH_TOKEN", "", 1);
	load_fails(BASE,
		   "12:21: shopify.access_token_env: environment variable "
		   "CK_SH_TOKEN is empty (it should hold the Shopify Admin API "
		   "access token)");
}
END_TEST

#define BASE_NO_SH_TOKEN \
	"store:\n  name: Acme\n  region: US\n" \
	"tiktok:\n  app_key: k123\n  app_secret_env: CK_TT_SECRET\n" \
	"  shop_cipher: ROW_c\n  access_token_env: CK_TT_ACCESS\n" \
	"  refresh_token_env: CK_TT_REFRESH\n" \
	"shopify:\n  shop_domain: acme.myshopify.com\n"

START_TEST(test_secret_file)
{
	struct config *c;
	char text[PATH_MAX * 3];

	write_file("sh_token", "shpat_from_file\n", 0600);
	snprintf(text, sizeof(text), "%s  access_token_file: sh_token\n",
		 BASE_NO_SH_TOKEN);
	c = load_ok(text);
	ck_assert_str_eq(c->sh_access_token, "shpat_from_file");
	config_free(c);

	/* Read-only for the owner is fine too; an absolute path as well. */
	write_file("sh_token_ro", "shpat_ro", 0400);
	snprintf(text, sizeof(text), "%s  access_token_file: %s/sh_token_ro\n",
		 BASE_NO_SH_TOKEN, tmpdir);
	c = load_ok(text);
	ck_assert_str_eq(c->sh_access_token, "shpat_ro");
	config_free(c);
}
END_TEST

START_TEST(test_secret_file_refused)
{
	char text[PATH_MAX * 3], path[PATH_MAX * 2], *real, frag[PATH_MAX * 3];
	const char *frags[4];

	write_file("sh_token", "shpat_open\n", 0644);
	snprintf(text, sizeof(text), "%s  access_token_file: sh_token\n",
		 BASE_NO_SH_TOKEN);
	real = realpath(tmpdir, NULL);
	snprintf(path, sizeof(path), "%s/sh_token", real);
	free(real);
	snprintf(frag, sizeof(frag), "%s is readable or writable by group or "
		 "others (mode 0644)", path);
	frags[0] = "12:22: shopify.access_token_file: ";
	frags[1] = frag;
	frags[2] = "chmod 600";
	frags[3] = NULL;
	load_fails_with(text, frags);

	/* Group-readable only is refused just as well. */
	write_file("sh_token", "shpat_open\n", 0640);
	frags[1] = "(mode 0640)";
	load_fails_with(text, frags);

	/* A missing file, an empty file, a directory. */
	ck_assert_int_eq(unlink(path), 0);
	frags[1] = "cannot open";
	frags[2] = "sh_token";
	load_fails_with(text, frags);
	write_file("sh_token", "\n", 0600);
	frags[1] = "sh_token is empty";
	frags[2] = NULL;
	load_fails_with(text, frags);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	frags[1] = "is not a regular file";
	load_fails_with(text, frags);
	ck_assert_int_eq(rmdir(path), 0);

	/* Two lines: not a token. */
	write_file("sh_token", "line1\nline2\n", 0600);
	frags[1] = "alone, on one line";
	load_fails_with(text, frags);
}
END_TEST

START_TEST(test_inline_secret_refused)
{
	const char *frags[] = {
		"12:17: shopify.access_token: secrets are not accepted in the config "
		"file; give the Shopify Admin API access token as access_token_env: "
		"VARNAME (an environment variable) or access_token_file: PATH (a "
		"file only its owner can read, chmod 600)",
		NULL,
	};
	const char *path;
	struct config *c = NULL;
	struct err e = { 0 };

	load_fails_with(BASE_NO_SH_TOKEN "  access_token: shpat_SECRET_VALUE\n",
			frags);
	/* The secret itself never appears in the message. */
	path = write_file("c.yaml", BASE_NO_SH_TOKEN
			  "  access_token: shpat_SECRET_VALUE\n", 0644);
	ck_assert_int_eq(config_load(path, &c, &e), -1);
	ck_assert_ptr_null(strstr(e.msg, "SECRET_VALUE"));

	frags[0] = "tiktok.app_secret: secrets are not accepted in the config "
		   "file; give the TikTok app secret as app_secret_env: VARNAME";
	load_fails_with("store:\n  name: A\n  region: US\ntiktok:\n"
			"  app_key: k\n  app_secret: s3cr3t\n", frags);

	/* Both ways at once: keep one. */
	write_file("sh_token", "x\n", 0600);
	load_fails(BASE "  access_token_file: sh_token\n",
		   "13:22: shopify.access_token_env and shopify.access_token_file "
		   "both given; keep one");
	/* A variable name that is not one (perhaps the secret pasted in). */
	load_fails(BASE_NO_SH_TOKEN "  access_token_env: shpat-abc def\n",
		   "12:21: shopify.access_token_env: not a valid environment "
		   "variable name (letters, digits and _, not starting with a digit)");
}
END_TEST

START_TEST(test_urls)
{
	struct config *c;

	load_fails(BASE "  base_url: http://shop.example.com\n",
		   "13:13: shopify.base_url: 'http://shop.example.com' uses plain "
		   "http; only https is allowed (plain http only to a loopback host "
		   "such as 127.0.0.1, with network.allow_insecure_loopback: true)");
	load_fails(BASE "  base_url: http://127.0.0.1:8080\n",
		   "13:13: shopify.base_url: 'http://127.0.0.1:8080' uses plain "
		   "http; set network.allow_insecure_loopback: true to allow it for "
		   "a loopback test server");
	load_fails(BASE "  base_url: ftp://x\n",
		   "13:13: shopify.base_url: 'ftp://x' is not an https:// URL");
	/* "localhost.evil.com" is not loopback. */
	load_fails(BASE "  base_url: http://localhost.evil.com/\n"
		   "network:\n  allow_insecure_loopback: true\n",
		   "13:13: shopify.base_url: 'http://localhost.evil.com' uses plain "
		   "http; only https is allowed (plain http only to a loopback host "
		   "such as 127.0.0.1, with network.allow_insecure_loopback: true)");
	c = load_ok(BASE "  base_url: http://127.0.0.1:8080/\n"
		    "network:\n  allow_insecure_loopback: true\n");
	ck_assert_str_eq(c->sh_base_url, "http://127.0.0.1:8080");
	config_free(c);
	c = load_ok(BASE "  base_url: http://[::1]:9/\n"
		    "network:\n  allow_insecure_loopback: true\n");
	config_free(c);
	load_fails(BASE "  shop_domain: https://acme.myshopify.com\n",
		   "13:3: shopify.shop_domain: duplicate key (first at line 11)");
}
END_TEST

START_TEST(test_domain_and_version)
{
	load_fails(BASE_NO_SH_TOKEN "  access_token_env: CK_SH_TOKEN\n"
		   "  api_version: 2026-05\n",
		   "13:16: shopify.api_version: '2026-05' is not a Shopify API "
		   "version (YYYY-MM with month 01, 04, 07 or 10, e.g. 2026-04)");
	load_fails("store:\n  name: A\n  region: US\n"
		   "shopify:\n  shop_domain: https://acme.myshopify.com\n",
		   "5:16: shopify.shop_domain: give the host name only, without "
		   "https:// (e.g. acme.myshopify.com); use shopify.base_url for a "
		   "full URL");
	load_fails("store:\n  name: A\n  region: USA\n",
		   "3:11: store.region: 'USA' is not a two-letter country code (e.g. US)");
}
END_TEST

START_TEST(test_carrier_rules)
{
	struct config *c = load_ok(BASE
		"carrier_rules:\n"
		"  - shopify: Other\n"
		"    tiktok: Cainiao US\n"
		"  - {shopify: \"DHL\", tiktok: \"DHL eCommerce\"}\n");

	ck_assert_uint_eq(c->ncarrier_rules, 2);
	ck_assert_str_eq(c->carrier_rules[0].shopify_name, "Other");
	ck_assert_str_eq(c->carrier_rules[0].tiktok_name, "Cainiao US");
	ck_assert_int_eq(c->carrier_rules[0].line, 14);
	ck_assert_str_eq(c->carrier_rules[1].shopify_name, "DHL");
	ck_assert_str_eq(c->carrier_rules[1].tiktok_name, "DHL eCommerce");
	ck_assert_int_eq(c->carrier_rules[1].line, 16);
	config_free(c);

	load_fails(BASE "carrier_rules:\n  - shopify: Other\n",
		   "14:5: carrier_rules[0]: a rule needs both shopify: (the Shopify "
		   "carrier name) and tiktok: (the TikTok provider name)");
	load_fails(BASE "carrier_rules:\n  - shopify: Other\n    tiktok: USPS\n"
		   "  - shopify: other\n    tiktok: UPS\n",
		   "16:5: carrier_rules[1]: a rule for Shopify carrier 'other' "
		   "already exists at line 14");
	load_fails(BASE "carrier_rules:\n  - Other -> Cainiao US\n",
		   "14:5: carrier_rules[0]: expected a rule (shopify: NAME  tiktok: "
		   "NAME), found a single value");
}
END_TEST

START_TEST(test_region)
{
	struct config *c = load_ok("store:\n  name: Acme\n  region: gb\n"
		"tiktok:\n  app_key: k123\n  app_secret_env: CK_TT_SECRET\n"
		"  shop_cipher: ROW_c\n  access_token_env: CK_TT_ACCESS\n"
		"  refresh_token_env: CK_TT_REFRESH\n"
		"shopify:\n  shop_domain: acme.myshopify.com\n"
		"  access_token_env: CK_SH_TOKEN\n");
	struct err e = { 0 };

	ck_assert_str_eq(c->region, "GB");
	ck_assert_int_eq(config_check_region(c, &e), -1);
	ck_assert_int_eq(e.cls, ERR_CONFIG);
	ck_assert_str_eq(e.code, "SKIP_NOT_US");
	ck_assert_ptr_nonnull(strstr(e.msg, "store.region is GB"));
	ck_assert_ptr_nonnull(strstr(e.msg, "US shops only"));
	config_free(c);

	c = load_ok(BASE);
	ck_assert_int_eq(config_check_region(c, &e), 0);
	config_free(c);
}
END_TEST

/* ---- tracking formats ---------------------------------------------------- */

static int whole_match(const char *pattern, const char *s)
{
	regex_t re;
	int rc;

	ck_assert_msg(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) == 0,
		      "pattern does not compile: %s", pattern);
	rc = regexec(&re, s, 0, NULL, 0);
	regfree(&re);
	return rc == 0;
}

START_TEST(test_formats_file_equals_builtin)
{
	char path[PATH_MAX];
	struct tracking_format *v = NULL;
	const struct tracking_format *b;
	size_t n = 0, nb, i;
	struct err e = { 0 };

	snprintf(path, sizeof(path), "%s/config/tracking_formats.yaml", top());
	ck_assert_msg(tracking_formats_load(path, &v, &n, &e) == 0, "%s", e.msg);
	b = tracking_formats_builtin(&nb);
	ck_assert_uint_eq(n, nb);
	for (i = 0; i < n; i++) {
		ck_assert_str_eq(v[i].provider, b[i].provider);
		ck_assert_str_eq(v[i].pattern, b[i].pattern);
		ck_assert_str_eq(v[i].example, b[i].example);
	}
	tracking_formats_free(v, n);
}
END_TEST

START_TEST(test_formats_examples_match)
{
	static const char *const providers[] = {
		"USPS", "UPS", "FedEx", "DHL eCommerce", "DHL Express", "OnTrac",
		"LaserShip", "Amazon Shipping", "Cainiao US", "Yanwen",
		"YunExpress", "4PX",
	};
	const struct tracking_format *b;
	size_t nb, i, j;

	b = tracking_formats_builtin(&nb);
	for (i = 0; i < nb; i++) {
		size_t l = strlen(b[i].pattern);

		ck_assert_msg(b[i].pattern[0] == '^' && b[i].pattern[l - 1] == '$',
			      "%s: pattern not anchored", b[i].provider);
		ck_assert_msg(whole_match(b[i].pattern, b[i].example),
			      "%s: example %s does not match", b[i].provider,
			      b[i].example);
	}
	for (j = 0; j < sizeof(providers) / sizeof(providers[0]); j++) {
		for (i = 0; i < nb; i++)
			if (strcmp(b[i].provider, providers[j]) == 0)
				break;
		ck_assert_msg(i < nb, "no format for %s", providers[j]);
	}
}
END_TEST

static const char *pattern_of(const char *provider)
{
	const struct tracking_format *b;
	size_t nb, i;

	b = tracking_formats_builtin(&nb);
	for (i = 0; i < nb; i++)
		if (strcmp(b[i].provider, provider) == 0)
			return b[i].pattern;
	ck_abort_msg("no format for %s", provider);
	return NULL;
}

START_TEST(test_formats_known_numbers)
{
	static const struct {
		const char *provider, *number;
		int ok;
	} cases[] = {
		/* real-world shapes that must pass */
		{ "USPS", "9205590164917312751089", 1 },
		{ "USPS", "420221539101026837331000039521", 1 },
		{ "USPS", "EC123456789US", 1 },
		{ "UPS", "1Z879E930346834440", 1 },
		{ "FedEx", "449044304137821", 1 },
		{ "FedEx", "9611020987654312345672", 1 },
		{ "DHL Express", "JJD0099999999", 1 },
		{ "OnTrac", "C11031500001879", 1 },
		{ "YunExpress", "YT2229521272164446", 1 },
		/* another carrier's number, typos, junk */
		{ "USPS", "1Z999AA10123456784", 0 },
		{ "USPS", "940011189922319742849", 0 },	/* 21 digits */
		{ "UPS", "9400111899223197428490", 0 },
		{ "UPS", "1Z999AA1012345678", 0 },	/* one short */
		{ "UPS", "1z999aa10123456784x", 0 },
		{ "FedEx", "1Z999AA10123456784", 0 },
		{ "FedEx", "12345", 0 },
		{ "Amazon Shipping", "TBA30265874100", 0 },
		{ "Amazon Shipping", "TBA302658741001 ", 0 },
		{ "YunExpress", "YT123456789012345", 0 },
		{ "DHL Express", "123456789", 0 },
		{ "GOFO Express", "GFUS0101123456789", 0 },
		{ "Cainiao US", "1Z999AA10123456784", 0 },
		{ "4PX", "", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(whole_match(pattern_of(cases[i].provider),
					  cases[i].number) == cases[i].ok,
			      "%s '%s' should %s", cases[i].provider,
			      cases[i].number, cases[i].ok ? "match" : "not match");
}
END_TEST

START_TEST(test_formats_file_errors)
{
	struct tracking_format *v = NULL;
	size_t n = 0;
	struct err e = { 0 };
	const char *path;
	char want[PATH_MAX + 256];

	path = write_file("tf.yaml", "formats:\n"
			  "  - provider: X\n    pattern: '^(X[0-9]+$'\n    example: X1\n",
			  0644);
	ck_assert_int_eq(tracking_formats_load(path, &v, &n, &e), -1);
	snprintf(want, sizeof(want), "%s:2:5: formats[0]: pattern is not a valid "
		 "POSIX extended regular expression", path);
	ck_assert_msg(strncmp(e.msg, want, strlen(want)) == 0, "%s", e.msg);

	path = write_file("tf.yaml", "formats:\n"
			  "  - provider: X\n    pattern: '^X[0-9]+$'\n    example: X1\n"
			  "  - provider: Y\n    pattern: '^Y[0-9]+$'\n    example: Z1\n",
			  0644);
	ck_assert_int_eq(tracking_formats_load(path, &v, &n, &e), -1);
	snprintf(want, sizeof(want), "%s:5:5: formats[1]: example 'Z1' does not "
		 "match its own pattern", path);
	ck_assert_str_eq(e.msg, want);

	path = write_file("tf.yaml", "formats:\n"
			  "  - provider: X\n    pattern: 'X[0-9]+'\n    example: X1\n",
			  0644);
	ck_assert_int_eq(tracking_formats_load(path, &v, &n, &e), -1);
	snprintf(want, sizeof(want), "%s:2:5: formats[0]: pattern must be "
		 "anchored: start with ^ and end with $", path);
	ck_assert_str_eq(e.msg, want);

	path = write_file("tf.yaml", "formats:\n"
			  "  - provider: X\n    patern: '^X$'\n    example: X\n",
			  0644);
	ck_assert_int_eq(tracking_formats_load(path, &v, &n, &e), -1);
	snprintf(want, sizeof(want), "%s:3:5: formats[0].patern: unknown key; "
		 "did you mean pattern?", path);
	ck_assert_str_eq(e.msg, want);
	ck_assert_ptr_null(v);
}
END_TEST

START_TEST(test_formats_file_configured)
{
	struct config *c;
	const char *frags[3];

	write_file("tf.yaml", "formats:\n"
		   "  - provider: Acme Post\n    pattern: '^AP[0-9]{6}$'\n"
		   "    example: AP123456\n", 0644);
	c = load_ok(BASE "tracking_formats_file: tf.yaml\n");
	ck_assert_uint_eq(c->ntracking_formats, 1);
	ck_assert_str_eq(c->tracking_formats[0].provider, "Acme Post");
	ck_assert_ptr_nonnull(strstr(c->tracking_formats_file, "/tf.yaml"));
	config_free(c);

	/* An error in the formats file names both files. */
	write_file("tf.yaml", "formats:\n  - provider: A\n", 0644);
	frags[0] = "c.yaml:13:1: tracking_formats_file: ";
	frags[1] = "tf.yaml:2:5: formats[0]: needs provider:, pattern: and example:";
	frags[2] = NULL;
	load_fails_with(BASE "tracking_formats_file: tf.yaml\n", frags);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("load");
	TCase *tf = tcase_create("tracking_formats");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_example_loads);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_values_set);
	tcase_add_test(tc, test_unknown_key_suggests);
	tcase_add_test(tc, test_wrong_types);
	tcase_add_test(tc, test_ranges);
	tcase_add_test(tc, test_required);
	tcase_add_test(tc, test_bad_yaml);
	tcase_add_test(tc, test_secret_env_unset);
	tcase_add_test(tc, test_secret_file);
	tcase_add_test(tc, test_secret_file_refused);
	tcase_add_test(tc, test_inline_secret_refused);
	tcase_add_test(tc, test_urls);
	tcase_add_test(tc, test_domain_and_version);
	tcase_add_test(tc, test_carrier_rules);
	tcase_add_test(tc, test_region);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tf, setup, teardown);
	tcase_add_test(tf, test_formats_file_equals_builtin);
	tcase_add_test(tf, test_formats_examples_match);
	tcase_add_test(tf, test_formats_known_numbers);
	tcase_add_test(tf, test_formats_file_errors);
	tcase_add_test(tf, test_formats_file_configured);
	suite_add_tcase(s, tf);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
