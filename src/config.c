/*
 * config.c - the YAML configuration file (libyaml document API) turned
 * into one validated, immutable struct config; also the table of tracking
 * number formats (built-in, or loaded from tracking_formats_file).
 *
 * Everything about the file is checked here and nowhere else: unknown keys
 * (with the nearest valid name), types, ranges, required keys, URLs (https,
 * or plain http to loopback only when network.allow_insecure_loopback),
 * secrets (only by environment variable or by a file private to its owner;
 * never inline), and relative paths, which resolve against the directory of
 * the config file. Every error names file:line:column and the key.
 *
 * Owns: the struct config and every string and array in it, freed by
 * config_free(); the tracking format arrays returned by
 * tracking_formats_load(), freed by tracking_formats_free().
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#define DEFAULT_TT_API_BASE "https://open-api.tiktokglobalshop.com"
#define DEFAULT_TT_AUTH_BASE "https://auth.tiktok-shops.com"
#define DEFAULT_TT_SELLER_CENTER "https://seller-us.tiktok.com"
#define DEFAULT_INVENTORY "BYPASS"
#define SECRET_FILE_MAX 65536	/* a token or secret is a few hundred bytes */
#define MSG_VALUE_MAX 60	/* how much of a bad value a message quotes */

/* ------------------------------------------------------------------ */
/* The tracking number formats (config/tracking_formats.yaml holds the
 * same table, with the documentation; a unit test keeps them equal).
 * Patterns are POSIX extended regular expressions matched against the
 * whole number. */

static const struct tracking_format builtin_formats[] = {
	{ "USPS",
	  "^((420[0-9]{5}([0-9]{4})?)?9[1-5]([0-9]{20}|[0-9]{24})|[0-9]{20}|[A-Z]{2}[0-9]{9}US|82[0-9]{8})$",
	  "9400111899223197428490" },
	{ "UPS",
	  "^(1Z[0-9A-Z]{16}|T[0-9]{10})$",
	  "1Z999AA10123456784" },
	{ "FedEx",
	  "^([0-9]{12}|[0-9]{15}|[0-9]{20}|9[26][0-9]{20}|00[0-9]{16}|100[0-9]{31}|96[0-9]{32})$",
	  "799531274483" },
	{ "DHL eCommerce",
	  "^(GM[0-9]{16,20}|(LX|RX|UV|CN|SG|TH|IN|HK|MY)[0-9]{10,39}|(420[0-9]{5})?9[2-5][0-9]{20})$",
	  "GM605112270084511234" },
	{ "DHL Express",
	  "^([0-9]{10,11}|J[A-Z]{2,3}[0-9]{9,21})$",
	  "8264715546" },
	{ "OnTrac",
	  "^([CD][0-9]{14}|1LS[0-9A-Z]{12,15}(-[0-9])?|L[SX][0-9]{8})$",
	  "D10012345678901" },
	{ "LaserShip",
	  "^([CD][0-9]{14}|1LS[0-9A-Z]{12,15}(-[0-9])?|L[SX][0-9]{8})$",
	  "1LS712345678901" },
	{ "Amazon Shipping",
	  "^TBA[0-9]{12}$",
	  "TBA302658741001" },
	{ "Cainiao US",
	  "^(LP[0-9]{14}|CNUS[0-9A-Z]{10,20}|[A-Z]{2}[0-9]{9}[A-Z]{2})$",
	  "LP00512345678901" },
	{ "Cainiao",
	  "^(LP[0-9]{14}|CNUS[0-9A-Z]{10,20}|[A-Z]{2}[0-9]{9}[A-Z]{2})$",
	  "LP00512345678901" },
	{ "Yanwen",
	  "^([A-Z]{2}[0-9]{9}[A-Z]{2}|YW[0-9A-Z]{8,20})$",
	  "UG123456785YP" },
	{ "YunExpress",
	  "^(YT[0-9]{16}|[A-Z]{2}[0-9]{9}[A-Z]{2})$",
	  "YT2312345678901234" },
	{ "4PX",
	  "^(4PX[0-9]{10,17}(CN)?|[A-Z]{2}[0-9]{9}[A-Z]{2})$",
	  "4PX3000123456789CN" },
	{ "GOFO Express",
	  "^GFUS[0-9]{14}$",
	  "GFUS01011234567890" },
};

const struct tracking_format *tracking_formats_builtin(size_t *n)
{
	*n = ARRAY_SIZE(builtin_formats);
	return builtin_formats;
}

void tracking_formats_free(struct tracking_format *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].provider);
		free(v[i].pattern);
		free(v[i].example);
	}
	free(v);
}

/* ------------------------------------------------------------------ */
/* YAML plumbing shared by the config and the tracking formats file.   */

struct yfile {
	const char *path;
	yaml_document_t doc;
	int loaded;
	struct err *e;
};

static size_t mline(yaml_mark_t m)
{
	return m.line + 1;
}

static size_t mcol(yaml_mark_t m)
{
	return m.column + 1;
}

/* "file:line:col: key: message" (key may be NULL). Returns -1. */
static int at(struct yfile *y, yaml_mark_t m, const char *key,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int at(struct yfile *y, yaml_mark_t m, const char *key,
	      const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Truncating a very long message is acceptable. */
	if (key != NULL)
		return err_set(y->e, ERR_CONFIG, "CONFIG", "%s:%zu:%zu: %s: %s",
			       y->path, mline(m), mcol(m), key, msg);
	return err_set(y->e, ERR_CONFIG, "CONFIG", "%s:%zu:%zu: %s", y->path,
		       mline(m), mcol(m), msg);
}

static int yfile_load(const char *path, struct yfile *y, struct err *e)
{
	yaml_parser_t parser;
	yaml_document_t extra;
	yaml_node_t *root;
	FILE *f;
	int ret = -1;

	memset(y, 0, sizeof(*y));
	y->path = path;
	y->e = e;
	f = fopen(path, "rb");
	if (f == NULL)
		return err_set(e, ERR_CONFIG, "CONFIG", "%s: cannot open: %s",
			       path, strerror(errno));
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		return err_set(e, ERR_OOM, "CONFIG", "%s: cannot start the YAML parser",
			       path);
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &y->doc)) {
		const char *hint = "";

		if (parser.problem != NULL &&
		    strstr(parser.problem, "cannot start any token") != NULL)
			hint = " (a tab? YAML indents with spaces only)";
		if (parser.context != NULL)
			err_set(e, ERR_CONFIG, "CONFIG",
				"%s:%zu:%zu: invalid YAML: %s %s%s", path,
				mline(parser.problem_mark),
				mcol(parser.problem_mark),
				parser.problem ? parser.problem : "error",
				parser.context, hint);
		else
			err_set(e, ERR_CONFIG, "CONFIG",
				"%s:%zu:%zu: invalid YAML: %s", path,
				mline(parser.problem_mark),
				mcol(parser.problem_mark),
				parser.problem ? parser.problem : "error");
		goto cleanup;
	}
	y->loaded = 1;
	root = yaml_document_get_root_node(&y->doc);
	if (root == NULL) {
		err_set(e, ERR_CONFIG, "CONFIG", "%s:1:1: the file is empty", path);
		goto cleanup;
	}
	/* One document per file: a second one is almost certainly a
	 * mistake ("---" pasted in the middle). */
	if (!yaml_parser_load(&parser, &extra)) {
		err_set(e, ERR_CONFIG, "CONFIG", "%s:%zu:%zu: invalid YAML: %s",
			path, mline(parser.problem_mark),
			mcol(parser.problem_mark),
			parser.problem ? parser.problem : "error");
		goto cleanup;
	}
	if (yaml_document_get_root_node(&extra) != NULL) {
		err_set(e, ERR_CONFIG, "CONFIG",
			"%s:%zu:%zu: a second YAML document ('---'); a config file holds one",
			path, mline(extra.start_mark), mcol(extra.start_mark));
		yaml_document_delete(&extra);
		goto cleanup;
	}
	yaml_document_delete(&extra);
	ret = 0;
cleanup:
	yaml_parser_delete(&parser);
	if (fclose(f) != 0 && ret == 0)
		ret = err_set(e, ERR_CONFIG, "CONFIG", "%s: read error: %s",
			      path, strerror(errno));
	if (ret != 0 && y->loaded) {
		yaml_document_delete(&y->doc);
		y->loaded = 0;
	}
	return ret;
}

static void yfile_free(struct yfile *y)
{
	if (y->loaded)
		yaml_document_delete(&y->doc);
	y->loaded = 0;
}

static yaml_node_t *node(struct yfile *y, int idx)
{
	return yaml_document_get_node(&y->doc, idx);
}

static const char *node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping (key: value lines)";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_SCALAR_NODE:
		return "a single value";
	default:
		return "nothing";
	}
}

/* A plain scalar that YAML reads as null: `key:`, `key: ~`, `key: null`. */
static int is_null(const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	v = (const char *)n->data.scalar.value;
	return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	       strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

/* The scalar's text, or an error naming what was found instead. */
static int scalar_text(struct yfile *y, yaml_node_t *n, const char *key,
		       const char *want, const char **out)
{
	if (n->type != YAML_SCALAR_NODE)
		return at(y, n->start_mark, key, "expected %s, found %s", want,
			  node_kind(n));
	if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
		return at(y, n->start_mark, key, "contains a NUL character");
	*out = (const char *)n->data.scalar.value;
	return 0;
}

/* Levenshtein distance of two short key names (longer ones: "far"). */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t prev[65], cur[65];

	if (la > 64 || lb > 64)
		return 1000;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? sub : del;
			if (ins < cur[j])
				cur[j] = ins;
		}
		memcpy(prev, cur, (lb + 1) * sizeof(size_t));
	}
	return prev[lb];
}

/* ------------------------------------------------------------------ */
/* The config schema.                                                   */

enum vkind {
	V_STR,		/* any non-empty string */
	V_PATH,		/* a path, relative to the config file's directory */
	V_URL,		/* https:// (http:// to loopback if allowed) */
	V_INT,		/* int within [min, max] */
	V_INT64,	/* int64_t within [min, max] */
	V_BOOL,
	V_REGION,	/* two-letter country code, upper-cased */
	V_DOMAIN,	/* host name, no scheme */
	V_API_VERSION,	/* Shopify YYYY-MM */
	V_INVENTORY,	/* Shopify OrderCreateInputsInventoryBehavior */
	V_SECRET_ENV,	/* off = index in secrets[] */
	V_SECRET_FILE,
	V_SECRET_INLINE,	/* refused with instructions */
	V_SECTION,	/* top level: a mapping section, off = index in sections[] */
	V_RULES,	/* top level: carrier_rules */
};

struct keyspec {
	const char *name;
	enum vkind kind;
	size_t off;
	long long min, max;
	int required;
};

#define OFF(m) offsetof(struct config, m)

struct secret_spec {
	const char *section, *name, *what;
	size_t off;
};

static const struct secret_spec secrets[] = {
	{ "tiktok", "app_secret", "the TikTok app secret", OFF(tt_app_secret) },
	{ "tiktok", "access_token", "the TikTok access token",
	  OFF(tt_access_token) },
	{ "tiktok", "refresh_token", "the TikTok refresh token",
	  OFF(tt_refresh_token) },
	{ "shopify", "access_token", "the Shopify Admin API access token",
	  OFF(sh_access_token) },
};
#define NSECRETS ARRAY_SIZE(secrets)

static const struct keyspec store_keys[] = {
	{ "name", V_STR, OFF(store_name), 0, 0, 1 },
	{ "region", V_REGION, OFF(region), 0, 0, 1 },
};

static const struct keyspec tiktok_keys[] = {
	{ "app_key", V_STR, OFF(tt_app_key), 0, 0, 1 },
	{ "app_secret_env", V_SECRET_ENV, 0, 0, 0, 0 },
	{ "app_secret_file", V_SECRET_FILE, 0, 0, 0, 0 },
	{ "app_secret", V_SECRET_INLINE, 0, 0, 0, 0 },
	{ "shop_cipher", V_STR, OFF(tt_shop_cipher), 0, 0, 1 },
	{ "shop_id", V_STR, OFF(tt_shop_id), 0, 0, 0 },
	{ "api_base", V_URL, OFF(tt_api_base), 0, 0, 0 },
	{ "auth_base", V_URL, OFF(tt_auth_base), 0, 0, 0 },
	{ "seller_center_base", V_URL, OFF(tt_seller_center_base), 0, 0, 0 },
	{ "access_token_env", V_SECRET_ENV, 1, 0, 0, 0 },
	{ "access_token_file", V_SECRET_FILE, 1, 0, 0, 0 },
	{ "access_token", V_SECRET_INLINE, 1, 0, 0, 0 },
	{ "access_token_expire", V_INT64, OFF(tt_access_expire), 0,
	  (long long)INT64_MAX, 0 },
	{ "refresh_token_env", V_SECRET_ENV, 2, 0, 0, 0 },
	{ "refresh_token_file", V_SECRET_FILE, 2, 0, 0, 0 },
	{ "refresh_token", V_SECRET_INLINE, 2, 0, 0, 0 },
};

static const struct keyspec shopify_keys[] = {
	{ "shop_domain", V_DOMAIN, OFF(sh_shop_domain), 0, 0, 1 },
	{ "base_url", V_URL, OFF(sh_base_url), 0, 0, 0 },
	{ "api_version", V_API_VERSION, OFF(sh_api_version), 0, 0, 0 },
	{ "access_token_env", V_SECRET_ENV, 3, 0, 0, 0 },
	{ "access_token_file", V_SECRET_FILE, 3, 0, 0, 0 },
	{ "access_token", V_SECRET_INLINE, 3, 0, 0, 0 },
	{ "location_id", V_STR, OFF(sh_location_id), 0, 0, 0 },
};

static const struct keyspec network_keys[] = {
	{ "allow_insecure_loopback", V_BOOL, OFF(allow_insecure_loopback), 0, 0, 0 },
	{ "ca_file", V_PATH, OFF(ca_file), 0, 0, 0 },
	{ "timeout_seconds", V_INT, OFF(timeout_seconds), 1, 600, 0 },
	{ "max_attempts", V_INT, OFF(max_attempts), 1, 20, 0 },
	{ "concurrency", V_INT, OFF(concurrency), 1, 64, 0 },
	{ "tiktok_qps", V_INT, OFF(tt_qps), 1, 50, 0 },
};

static const struct keyspec settings_keys[] = {
	{ "order_auto_sync", V_BOOL, OFF(order_auto_sync), 0, 0, 0 },
	{ "fulfillment_auto_sync", V_BOOL, OFF(fulfillment_auto_sync), 0, 0, 0 },
	{ "backfill_days", V_INT, OFF(backfill_days), 1, 90, 0 },
	{ "overlap_seconds", V_INT, OFF(overlap_seconds), 0, 86400, 0 },
	{ "tiktok_page_size", V_INT, OFF(tt_page_size), 1, 100, 0 },
	{ "shopify_page_size", V_INT, OFF(sh_page_size), 1, 250, 0 },
	{ "deadline_seconds", V_INT, OFF(deadline_seconds), 60, 86400, 0 },
	{ "chunk_orders", V_INT, OFF(chunk_orders), 1, 100000, 0 },
	{ "notify_customer", V_BOOL, OFF(notify_customer), 0, 0, 0 },
	{ "cancel_in_shopify", V_BOOL, OFF(cancel_in_shopify), 0, 0, 0 },
	{ "inventory_behaviour", V_INVENTORY, OFF(inventory_behaviour), 0, 0, 0 },
	{ "token_refresh_margin_seconds", V_INT, OFF(token_refresh_margin), 60,
	  7 * 86400, 0 },
};

static const struct keyspec files_keys[] = {
	{ "state_file", V_PATH, OFF(state_file), 0, 0, 0 },
	{ "reports_dir", V_PATH, OFF(reports_dir), 0, 0, 0 },
	{ "lock_file", V_PATH, OFF(lock_file), 0, 0, 0 },
};

struct section {
	const char *name;
	const struct keyspec *keys;
	size_t nkeys;
	int required;
	const char *what;	/* for "missing section" */
};

static const struct section sections[] = {
	{ "store", store_keys, ARRAY_SIZE(store_keys), 1,
	  "the store's name and region" },
	{ "tiktok", tiktok_keys, ARRAY_SIZE(tiktok_keys), 1,
	  "the TikTok app key, secret, shop cipher and tokens" },
	{ "shopify", shopify_keys, ARRAY_SIZE(shopify_keys), 1,
	  "the Shopify shop domain and access token" },
	{ "network", network_keys, ARRAY_SIZE(network_keys), 0, NULL },
	{ "settings", settings_keys, ARRAY_SIZE(settings_keys), 0, NULL },
	{ "files", files_keys, ARRAY_SIZE(files_keys), 0, NULL },
};

/* walk_mapping() keeps per-key flags for a section on the stack. */
#define MAX_SECTION_KEYS 32
_Static_assert(ARRAY_SIZE(tiktok_keys) <= MAX_SECTION_KEYS &&
	       ARRAY_SIZE(shopify_keys) <= MAX_SECTION_KEYS &&
	       ARRAY_SIZE(store_keys) <= MAX_SECTION_KEYS &&
	       ARRAY_SIZE(network_keys) <= MAX_SECTION_KEYS &&
	       ARRAY_SIZE(settings_keys) <= MAX_SECTION_KEYS &&
	       ARRAY_SIZE(files_keys) <= MAX_SECTION_KEYS,
	       "a section has more keys than MAX_SECTION_KEYS");

static const struct keyspec top_keys[] = {
	{ "store", V_SECTION, 0, 0, 0, 1 },
	{ "tiktok", V_SECTION, 1, 0, 0, 1 },
	{ "shopify", V_SECTION, 2, 0, 0, 1 },
	{ "network", V_SECTION, 3, 0, 0, 0 },
	{ "settings", V_SECTION, 4, 0, 0, 0 },
	{ "files", V_SECTION, 5, 0, 0, 0 },
	{ "carrier_rules", V_RULES, 0, 0, 0, 0 },
	{ "tracking_formats_file", V_PATH, OFF(tracking_formats_file), 0, 0, 0 },
};

static const char *const inventory_values[] = {
	"BYPASS", "DECREMENT_IGNORING_POLICY", "DECREMENT_OBEYING_POLICY",
};

/* Where each secret comes from (resolved after the whole file is read). */
struct secret_src {
	const char *env, *file;
	yaml_mark_t env_mark, file_mark;
};

/* URL values are checked once network.allow_insecure_loopback is known. */
struct url_seen {
	char key[128];
	size_t off;
	yaml_mark_t mark;
};

struct loadctx {
	struct yfile y;
	struct config *c;
	char *dir;		/* absolute directory of the config file */
	struct secret_src sec[NSECRETS];
	struct url_seen urls[8];
	size_t nurls;
	yaml_mark_t section_mark[ARRAY_SIZE(sections)];
	int section_seen[ARRAY_SIZE(sections)];
	yaml_mark_t root_mark;
};

/* Join a relative path to the config directory. */
static char *resolve_path(const char *dir, const char *p)
{
	if (p[0] == '/')
		return xstrdup(p);
	return xasprintf("%s/%s", dir, p);
}

/* The nearest name of a key table, when close enough to be a typo. */
static const char *nearest(const struct keyspec *keys, size_t n,
			   const char *name)
{
	const char *best = NULL;
	size_t bestd = (size_t)-1, i, len = strlen(name);
	size_t limit = len < 6 ? 2 : len / 3 + 1;

	for (i = 0; i < n; i++) {
		size_t d = edit_distance(name, keys[i].name);

		if (keys[i].kind == V_SECRET_INLINE)
			continue;
		if (d < bestd) {
			bestd = d;
			best = keys[i].name;
		}
	}
	if (bestd <= limit)
		return best;
	/* "timeout" for "timeout_seconds": a prefix of a valid name. */
	for (i = 0; len >= 4 && i < n; i++)
		if (keys[i].kind != V_SECRET_INLINE &&
		    strncmp(keys[i].name, name, len) == 0)
			return keys[i].name;
	return NULL;
}

static int unknown_key(struct loadctx *x, yaml_mark_t m, const char *sect,
		       const struct keyspec *keys, size_t n, const char *name)
{
	char keypath[160];
	const char *near = nearest(keys, n, name);
	struct strbuf valid = STRBUF_INIT;
	size_t i, j;
	int ret;

	if (sect)
		snprintf(keypath, sizeof(keypath), "%s.%.100s", sect, name);
	else
		snprintf(keypath, sizeof(keypath), "%.100s", name);
	if (near != NULL)
		return at(&x->y, m, keypath, "unknown key; did you mean %s?", near);
	/* A key of another section? */
	for (i = 0; i < ARRAY_SIZE(sections); i++) {
		if (sect && strcmp(sections[i].name, sect) == 0)
			continue;
		for (j = 0; j < sections[i].nkeys; j++)
			if (strcmp(sections[i].keys[j].name, name) == 0)
				return at(&x->y, m, keypath,
					  "unknown key here; it belongs under %s: (%s.%s)",
					  sections[i].name, sections[i].name, name);
	}
	for (i = 0; i < n; i++) {
		if (keys[i].kind == V_SECRET_INLINE)
			continue;
		sb_addf(&valid, "%s%s", valid.len ? ", " : "", keys[i].name);
	}
	ret = at(&x->y, m, keypath, "unknown key (valid keys: %s)",
		 valid.buf ? valid.buf : "none");
	sb_free(&valid);
	return ret;
}

static int parse_int(struct loadctx *x, yaml_node_t *v, const char *key,
		     long long min, long long max, long long *out)
{
	const char *s, *p;
	char *end;
	long long n;

	if (scalar_text(&x->y, v, key, "an integer", &s) != 0)
		return -1;
	p = s;
	if (*p == '-' || *p == '+')
		p++;
	if (*p < '0' || *p > '9')
		goto bad;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (*end != '\0')
		goto bad;
	if (errno == ERANGE || n < min || n > max)
		return at(&x->y, v->start_mark, key,
			  "%.*s is out of range (%lld to %lld)", MSG_VALUE_MAX,
			  s, min, max);
	*out = n;
	return 0;
bad:
	return at(&x->y, v->start_mark, key, "'%.*s' is not an integer",
		  MSG_VALUE_MAX, s);
}

static int parse_bool(struct loadctx *x, yaml_node_t *v, const char *key,
		      int *out)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	const char *s;
	size_t i;

	if (scalar_text(&x->y, v, key, "true or false", &s) != 0)
		return -1;
	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return at(&x->y, v->start_mark, key, "'%.*s' is not true or false",
		  MSG_VALUE_MAX, s);
}

static int ascii_alpha(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static char ascii_upper(char ch)
{
	return ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch;
}

static int valid_env_name(const char *s)
{
	const char *p;

	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return 0;
	for (p = s; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			return 0;
	return p - s <= 128;
}

static int valid_domain(const char *s)
{
	const char *p;

	if (*s == '\0' || strchr(s, '.') == NULL || strlen(s) > 253)
		return 0;
	for (p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
			return 0;
	return s[0] != '.' && s[0] != '-';
}

/* Shopify versions are quarterly: YYYY-01/04/07/10, or "unstable". */
static int valid_api_version(const char *s)
{
	if (strcmp(s, "unstable") == 0)
		return 1;
	if (strlen(s) != 7 || s[4] != '-')
		return 0;
	for (int i = 0; i < 4; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return strcmp(s + 5, "01") == 0 || strcmp(s + 5, "04") == 0 ||
	       strcmp(s + 5, "07") == 0 || strcmp(s + 5, "10") == 0;
}

/* Store one value of a section. */
static int set_value(struct loadctx *x, const char *sect,
		     const struct keyspec *k, yaml_node_t *v)
{
	struct config *c = x->c;
	char keypath[128];
	const char *s = NULL;
	char *val, **dst;
	long long n = 0;
	size_t i;
	int b = 0;

	/* Key names come from our tables: short enough. */
	if (sect != NULL && *sect != '\0')
		snprintf(keypath, sizeof(keypath), "%s.%s", sect, k->name);
	else
		snprintf(keypath, sizeof(keypath), "%s", k->name);

	if (k->kind == V_SECRET_INLINE) {
		const struct secret_spec *sp = &secrets[k->off];

		/* Never quote the value: it is a secret. */
		return at(&x->y, v->start_mark, keypath,
			  "secrets are not accepted in the config file; give %s as "
			  "%s_env: VARNAME (an environment variable) or %s_file: "
			  "PATH (a file only its owner can read, chmod 600)",
			  sp->what, sp->name, sp->name);
	}
	if (is_null(v)) {
		if (k->required)
			return at(&x->y, v->start_mark, keypath, "has no value");
		return 0;	/* `key:` with nothing: the default */
	}
	switch (k->kind) {
	case V_INT:
	case V_INT64:
		if (parse_int(x, v, keypath, k->min, k->max, &n) != 0)
			return -1;
		if (k->kind == V_INT)
			*(int *)((char *)c + k->off) = (int)n;
		else
			*(int64_t *)((char *)c + k->off) = (int64_t)n;
		return 0;
	case V_BOOL:
		if (parse_bool(x, v, keypath, &b) != 0)
			return -1;
		*(int *)((char *)c + k->off) = b;
		return 0;
	default:
		break;
	}
	if (scalar_text(&x->y, v, keypath, "a single value", &s) != 0)
		return -1;
	switch (k->kind) {
	case V_SECRET_ENV:
		if (!valid_env_name(s))
			return at(&x->y, v->start_mark, keypath,
				  "not a valid environment variable name (letters, "
				  "digits and _, not starting with a digit)");
		x->sec[k->off].env = s;
		x->sec[k->off].env_mark = v->start_mark;
		return 0;
	case V_SECRET_FILE:
		if (*s == '\0')
			return at(&x->y, v->start_mark, keypath, "has no value");
		x->sec[k->off].file = s;
		x->sec[k->off].file_mark = v->start_mark;
		return 0;
	case V_REGION:
		if (strlen(s) != 2 || !ascii_alpha(s[0]) || !ascii_alpha(s[1]))
			return at(&x->y, v->start_mark, keypath,
				  "'%.*s' is not a two-letter country code (e.g. US)",
				  MSG_VALUE_MAX, s);
		val = xstrdup(s);
		val[0] = ascii_upper(val[0]);
		val[1] = ascii_upper(val[1]);
		break;
	case V_DOMAIN:
		if (strstr(s, "://") != NULL)
			return at(&x->y, v->start_mark, keypath,
				  "give the host name only, without https:// (e.g. "
				  "acme.myshopify.com); use shopify.base_url for a "
				  "full URL");
		if (!valid_domain(s))
			return at(&x->y, v->start_mark, keypath,
				  "'%.*s' is not a host name (e.g. acme.myshopify.com)",
				  MSG_VALUE_MAX, s);
		val = xstrdup(s);
		break;
	case V_API_VERSION:
		if (!valid_api_version(s))
			return at(&x->y, v->start_mark, keypath,
				  "'%.*s' is not a Shopify API version (YYYY-MM with "
				  "month 01, 04, 07 or 10, e.g. %s)", MSG_VALUE_MAX,
				  s, CFG_DEFAULT_SHOPIFY_VERSION);
		val = xstrdup(s);
		break;
	case V_INVENTORY:
		for (i = 0; i < ARRAY_SIZE(inventory_values); i++)
			if (strcmp(s, inventory_values[i]) == 0)
				break;
		if (i == ARRAY_SIZE(inventory_values))
			return at(&x->y, v->start_mark, keypath,
				  "'%.*s' is not one of BYPASS, "
				  "DECREMENT_IGNORING_POLICY, DECREMENT_OBEYING_POLICY",
				  MSG_VALUE_MAX, s);
		val = xstrdup(s);
		break;
	case V_URL:
		/* Checked once network.allow_insecure_loopback is known. */
		if (x->nurls < ARRAY_SIZE(x->urls)) {
			struct url_seen *u = &x->urls[x->nurls++];

			snprintf(u->key, sizeof(u->key), "%s", keypath);
			u->off = k->off;
			u->mark = v->start_mark;
		}
		/* No trailing slash, so callers can append paths. */
		val = xstrdup(s);
		for (i = strlen(val); i > 0 && val[i - 1] == '/'; i--)
			val[i - 1] = '\0';
		break;
	case V_PATH:
		if (*s == '\0')
			return at(&x->y, v->start_mark, keypath, "is empty");
		val = resolve_path(x->dir, s);
		break;
	default:	/* V_STR */
		if (*s == '\0')
			return at(&x->y, v->start_mark, keypath, "is empty");
		val = xstrdup(s);
		break;
	}
	dst = (char **)((char *)c + k->off);
	free(*dst);
	*dst = val;
	return 0;
}

/* Walk one mapping against a key table; `seen` gets one flag per key. */
static int walk_mapping(struct loadctx *x, yaml_node_t *map, const char *sect,
			const struct keyspec *keys, size_t nkeys,
			yaml_mark_t *seen_mark, int *seen)
{
	yaml_node_pair_t *p;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *kn = node(&x->y, p->key), *vn = node(&x->y, p->value);
		const char *name;
		size_t i;

		if (kn->type != YAML_SCALAR_NODE)
			return at(&x->y, kn->start_mark, sect,
				  "expected a key name, found %s", node_kind(kn));
		name = (const char *)kn->data.scalar.value;
		for (i = 0; i < nkeys; i++)
			if (strcmp(keys[i].name, name) == 0)
				break;
		if (i == nkeys)
			return unknown_key(x, kn->start_mark, sect, keys, nkeys,
					   name);
		if (seen[i]) {
			if (sect)
				return at(&x->y, kn->start_mark, NULL,
					  "%s.%s: duplicate key (first at line %zu)",
					  sect, name, mline(seen_mark[i]));
			return at(&x->y, kn->start_mark, name,
				  "duplicate key (first at line %zu)",
				  mline(seen_mark[i]));
		}
		seen[i] = 1;
		seen_mark[i] = kn->start_mark;
		if (sect == NULL) {
			/* top level */
			if (keys[i].kind == V_SECTION) {
				size_t si = keys[i].off;
				const struct section *s = &sections[si];
				yaml_mark_t sm[MAX_SECTION_KEYS];
				int ss[MAX_SECTION_KEYS] = { 0 };
				size_t j;

				if (is_null(vn) && !s->required)
					continue;
				if (is_null(vn))
					return at(&x->y, vn->start_mark, name,
						  "required section is empty (%s)",
						  s->what);
				if (vn->type != YAML_MAPPING_NODE)
					return at(&x->y, vn->start_mark, name,
						  "expected a mapping (key: value lines), found %s",
						  node_kind(vn));
				x->section_seen[si] = 1;
				x->section_mark[si] = vn->start_mark;
				if (walk_mapping(x, vn, s->name, s->keys, s->nkeys,
						 sm, ss) != 0)
					return -1;
				for (j = 0; j < s->nkeys; j++)
					if (s->keys[j].required && !ss[j])
						return at(&x->y, vn->start_mark, NULL,
							  "%s.%s: required key missing",
							  s->name, s->keys[j].name);
			} else if (keys[i].kind == V_RULES) {
				continue;	/* read after the sections */
			} else {
				if (set_value(x, NULL, &keys[i], vn) != 0)
					return -1;
			}
			continue;
		}
		if (set_value(x, sect, &keys[i], vn) != 0)
			return -1;
	}
	return 0;
}

static int read_carrier_rules(struct loadctx *x, yaml_node_t *seq)
{
	struct config *c = x->c;
	yaml_node_item_t *it;
	size_t idx = 0;

	if (is_null(seq))
		return 0;
	if (seq->type != YAML_SEQUENCE_NODE)
		return at(&x->y, seq->start_mark, "carrier_rules",
			  "expected a list of rules (- shopify: NAME  tiktok: NAME), "
			  "found %s", node_kind(seq));
	c->carrier_rules = xcalloc((size_t)(seq->data.sequence.items.top -
					    seq->data.sequence.items.start) + 1,
				   sizeof(*c->carrier_rules));
	for (it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top; it++, idx++) {
		yaml_node_t *rn = node(&x->y, *it);
		struct carrier_rule *r = &c->carrier_rules[c->ncarrier_rules];
		char kp[64];
		yaml_node_pair_t *p;
		size_t j;

		snprintf(kp, sizeof(kp), "carrier_rules[%zu]", idx);
		if (rn->type != YAML_MAPPING_NODE)
			return at(&x->y, rn->start_mark, kp,
				  "expected a rule (shopify: NAME  tiktok: NAME), found %s",
				  node_kind(rn));
		r->line = (int)mline(rn->start_mark);
		c->ncarrier_rules++;
		for (p = rn->data.mapping.pairs.start;
		     p < rn->data.mapping.pairs.top; p++) {
			yaml_node_t *kn = node(&x->y, p->key), *vn = node(&x->y, p->value);
			static const struct keyspec rule_keys[] = {
				{ "shopify", V_STR, 0, 0, 0, 1 },
				{ "tiktok", V_STR, 0, 0, 0, 1 },
			};
			const char *name, *s;
			char **dst;
			char kp2[160];

			if (kn->type != YAML_SCALAR_NODE)
				return at(&x->y, kn->start_mark, kp,
					  "expected a key name, found %s",
					  node_kind(kn));
			name = (const char *)kn->data.scalar.value;
			snprintf(kp2, sizeof(kp2), "%s.%.40s", kp, name);
			if (strcmp(name, "shopify") == 0)
				dst = &r->shopify_name;
			else if (strcmp(name, "tiktok") == 0)
				dst = &r->tiktok_name;
			else {
				const char *near = nearest(rule_keys, 2, name);

				if (near)
					return at(&x->y, kn->start_mark, kp2,
						  "unknown key; did you mean %s?", near);
				return at(&x->y, kn->start_mark, kp2,
					  "unknown key (valid keys: shopify, tiktok)");
			}
			if (*dst != NULL)
				return at(&x->y, kn->start_mark, kp2, "duplicate key");
			if (is_null(vn))
				return at(&x->y, vn->start_mark, kp2, "has no value");
			if (scalar_text(&x->y, vn, kp2, "a carrier name", &s) != 0)
				return -1;
			if (*s == '\0')
				return at(&x->y, vn->start_mark, kp2, "is empty");
			*dst = xstrdup(s);
		}
		if (r->shopify_name == NULL || r->tiktok_name == NULL)
			return at(&x->y, rn->start_mark, kp,
				  "a rule needs both shopify: (the Shopify carrier "
				  "name) and tiktok: (the TikTok provider name)");
		for (j = 0; j + 1 < c->ncarrier_rules; j++)
			if (strcasecmp(c->carrier_rules[j].shopify_name,
				       r->shopify_name) == 0)
				return at(&x->y, rn->start_mark, kp,
					  "a rule for Shopify carrier '%.*s' already "
					  "exists at line %d", MSG_VALUE_MAX,
					  r->shopify_name, c->carrier_rules[j].line);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Secrets.                                                             */

static int read_secret_file(struct loadctx *x, const struct secret_spec *sp,
			    const struct secret_src *src, char **out)
{
	char key[96], *path, *buf = NULL;
	struct stat st;
	ssize_t r;
	size_t len = 0;
	int fd, ret = -1;

	snprintf(key, sizeof(key), "%s.%s_file", sp->section, sp->name);
	path = resolve_path(x->dir, src->file);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		at(&x->y, src->file_mark, key, "cannot open %s: %s", path,
		   strerror(errno));
		goto cleanup;
	}
	if (fstat(fd, &st) != 0) {
		at(&x->y, src->file_mark, key, "cannot stat %s: %s", path,
		   strerror(errno));
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		at(&x->y, src->file_mark, key, "%s is not a regular file", path);
		goto cleanup;
	}
	if ((st.st_mode & 077) != 0) {
		at(&x->y, src->file_mark, key,
		   "%s is readable or writable by group or others (mode %04o); "
		   "make it private to its owner: chmod 600 %s", path,
		   (unsigned)(st.st_mode & 07777), path);
		goto cleanup;
	}
	buf = xmalloc(SECRET_FILE_MAX + 1);
	for (;;) {
		r = read(fd, buf + len, SECRET_FILE_MAX + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			at(&x->y, src->file_mark, key, "cannot read %s: %s", path,
			   strerror(errno));
			goto cleanup;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > SECRET_FILE_MAX) {
			at(&x->y, src->file_mark, key,
			   "%s is larger than %d bytes; it should hold only %s",
			   path, SECRET_FILE_MAX, sp->what);
			goto cleanup;
		}
	}
	buf[len] = '\0';
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
			   buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		buf[--len] = '\0';
	if (len == 0) {
		at(&x->y, src->file_mark, key, "%s is empty", path);
		goto cleanup;
	}
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f) {
			at(&x->y, src->file_mark, key,
			   "%s must hold %s alone, on one line", path, sp->what);
			goto cleanup;
		}
	}
	*out = xstrdup(buf);
	ret = 0;
cleanup:
	if (buf != NULL) {
		explicit_bzero(buf, SECRET_FILE_MAX + 1);
		free(buf);
	}
	if (fd >= 0)
		close(fd);
	free(path);
	return ret;
}

static int resolve_secrets(struct loadctx *x)
{
	size_t i;

	for (i = 0; i < NSECRETS; i++) {
		const struct secret_spec *sp = &secrets[i];
		const struct secret_src *src = &x->sec[i];
		char **dst = (char **)((char *)x->c + sp->off);
		size_t si;

		for (si = 0; si < ARRAY_SIZE(sections); si++)
			if (strcmp(sections[si].name, sp->section) == 0)
				break;
		if (src->env && src->file)
			return at(&x->y, src->file_mark, NULL,
				  "%s.%s_env and %s.%s_file both given; keep one",
				  sp->section, sp->name, sp->section, sp->name);
		if (src->env == NULL && src->file == NULL)
			return at(&x->y, x->section_mark[si], NULL,
				  "%s: %s missing; add %s_env: VARNAME (an environment "
				  "variable) or %s_file: PATH (a file only its owner "
				  "can read)", sp->section, sp->what, sp->name,
				  sp->name);
		if (src->env) {
			const char *v = getenv(src->env);
			char key[96];

			snprintf(key, sizeof(key), "%s.%s_env", sp->section, sp->name);
			if (v == NULL)
				return at(&x->y, src->env_mark, key,
					  "environment variable %s is not set (it "
					  "should hold %s)", src->env, sp->what);
			if (*v == '\0')
				return at(&x->y, src->env_mark, key,
					  "environment variable %s is empty (it "
					  "should hold %s)", src->env, sp->what);
			*dst = xstrdup(v);
		} else if (read_secret_file(x, sp, src, dst) != 0) {
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* URLs.                                                                */

static int is_loopback_host(const char *h, size_t n)
{
	if (n == 9 && strncasecmp(h, "localhost", 9) == 0)
		return 1;
	if (n == 5 && strncmp(h, "[::1]", 5) == 0)
		return 1;
	if (n >= 4 && strncmp(h, "127.", 4) == 0) {
		for (size_t i = 4; i < n; i++)
			if (!((h[i] >= '0' && h[i] <= '9') || h[i] == '.'))
				return 0;
		return 1;
	}
	return 0;
}

static int check_url(struct loadctx *x, const struct url_seen *u)
{
	const char *url = *(char **)((char *)x->c + u->off);
	const char *host, *end;

	if (strncasecmp(url, "https://", 8) == 0) {
		host = url + 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		host = url + 7;
		if (host[0] == '[') {	/* [IPv6]:port */
			end = strchr(host, ']');
			end = end ? end + 1 : host + strlen(host);
		} else {
			end = host + strcspn(host, ":/?#");
		}
		if (!is_loopback_host(host, (size_t)(end - host)))
			return at(&x->y, u->mark, u->key,
				  "'%.*s' uses plain http; only https is allowed "
				  "(plain http only to a loopback host such as "
				  "127.0.0.1, with network.allow_insecure_loopback: true)",
				  MSG_VALUE_MAX, url);
		if (!x->c->allow_insecure_loopback)
			return at(&x->y, u->mark, u->key,
				  "'%.*s' uses plain http; set "
				  "network.allow_insecure_loopback: true to allow it "
				  "for a loopback test server", MSG_VALUE_MAX, url);
	} else {
		return at(&x->y, u->mark, u->key,
			  "'%.*s' is not an https:// URL", MSG_VALUE_MAX, url);
	}
	end = host + strcspn(host, "/?#");
	if (end == host)
		return at(&x->y, u->mark, u->key, "'%.*s' has no host name",
			  MSG_VALUE_MAX, url);
	return 0;
}

/* ------------------------------------------------------------------ */

static void set_defaults(struct config *c)
{
	c->timeout_seconds = CFG_DEFAULT_TIMEOUT_SECONDS;
	c->max_attempts = CFG_DEFAULT_MAX_ATTEMPTS;
	c->concurrency = CFG_DEFAULT_CONCURRENCY;
	c->tt_qps = CFG_DEFAULT_TT_QPS;
	c->order_auto_sync = 0;
	c->fulfillment_auto_sync = 1;
	c->backfill_days = CFG_DEFAULT_BACKFILL_DAYS;
	c->overlap_seconds = CFG_DEFAULT_OVERLAP_SECONDS;
	c->tt_page_size = CFG_DEFAULT_TT_PAGE_SIZE;
	c->sh_page_size = CFG_DEFAULT_SH_PAGE_SIZE;
	c->deadline_seconds = CFG_DEFAULT_DEADLINE_SECONDS;
	c->chunk_orders = CFG_DEFAULT_CHUNK_ORDERS;
	c->notify_customer = 0;
	c->cancel_in_shopify = 1;
	c->token_refresh_margin = CFG_DEFAULT_TOKEN_REFRESH_MARGIN;
}

/* "Acme Store!" -> "acme-store-": a file name for the default state file. */
static char *slug(const char *name)
{
	char *s = xstrdup(name), *p;

	for (p = s; *p; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + ('a' - 'A'));
		else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			   *p == '-' || *p == '_'))
			*p = '-';
	}
	return s;
}

static void fill_derived(struct loadctx *x)
{
	struct config *c = x->c;

	if (c->tt_api_base == NULL)
		c->tt_api_base = xstrdup(DEFAULT_TT_API_BASE);
	if (c->tt_auth_base == NULL)
		c->tt_auth_base = xstrdup(DEFAULT_TT_AUTH_BASE);
	if (c->tt_seller_center_base == NULL)
		c->tt_seller_center_base = xstrdup(DEFAULT_TT_SELLER_CENTER);
	if (c->sh_base_url == NULL)
		c->sh_base_url = xasprintf("https://%s", c->sh_shop_domain);
	if (c->sh_api_version == NULL)
		c->sh_api_version = xstrdup(CFG_DEFAULT_SHOPIFY_VERSION);
	if (c->inventory_behaviour == NULL)
		c->inventory_behaviour = xstrdup(DEFAULT_INVENTORY);
	if (c->state_file == NULL) {
		char *s = slug(c->store_name);

		c->state_file = xasprintf("%s/state/%s.sqlite", x->dir, s);
		free(s);
	}
	if (c->reports_dir == NULL)
		c->reports_dir = xasprintf("%s/reports", x->dir);
	if (c->lock_file == NULL)
		c->lock_file = xasprintf("%s.lock", c->state_file);
}

static int copy_builtin_formats(struct config *c)
{
	size_t i;

	c->ntracking_formats = ARRAY_SIZE(builtin_formats);
	c->tracking_formats = xcalloc(c->ntracking_formats,
				      sizeof(*c->tracking_formats));
	for (i = 0; i < c->ntracking_formats; i++) {
		c->tracking_formats[i].provider = xstrdup(builtin_formats[i].provider);
		c->tracking_formats[i].pattern = xstrdup(builtin_formats[i].pattern);
		c->tracking_formats[i].example = xstrdup(builtin_formats[i].example);
	}
	return 0;
}

/* The absolute directory holding the config file. */
static char *config_dir(const char *path, struct err *e)
{
	char *real = realpath(path, NULL), *slash, *dir;

	if (real == NULL) {
		err_set(e, ERR_CONFIG, "CONFIG", "%s: cannot open: %s", path,
			strerror(errno));
		return NULL;
	}
	slash = strrchr(real, '/');
	if (slash == real)
		dir = xstrdup("/");
	else
		dir = xstrndup(real, (size_t)(slash - real));
	free(real);
	return dir;
}

int config_load(const char *path, struct config **out, struct err *e)
{
	struct loadctx x;
	struct config *c = NULL;
	yaml_node_t *root;
	yaml_mark_t top_marks[ARRAY_SIZE(top_keys)];
	int top_seen[ARRAY_SIZE(top_keys)] = { 0 };
	size_t i;
	int ret = -1;

	memset(&x, 0, sizeof(x));
	*out = NULL;
	x.dir = config_dir(path, e);
	if (x.dir == NULL)
		return -1;
	if (yfile_load(path, &x.y, e) != 0)
		goto cleanup;
	c = xcalloc(1, sizeof(*c));
	c->path = xstrdup(path);
	set_defaults(c);
	x.c = c;
	root = yaml_document_get_root_node(&x.y.doc);
	x.root_mark = root->start_mark;
	if (root->type != YAML_MAPPING_NODE) {
		at(&x.y, root->start_mark, NULL,
		   "expected sections (store:, tiktok:, shopify:, ...), found %s",
		   node_kind(root));
		goto cleanup;
	}
	if (walk_mapping(&x, root, NULL, top_keys, ARRAY_SIZE(top_keys),
			 top_marks, top_seen) != 0)
		goto cleanup;
	for (i = 0; i < ARRAY_SIZE(sections); i++) {
		if (sections[i].required && !x.section_seen[i]) {
			at(&x.y, x.root_mark, sections[i].name,
			   "required section missing (%s)", sections[i].what);
			goto cleanup;
		}
	}
	/* carrier_rules, now that the sections are read */
	{
		yaml_node_pair_t *p;

		for (p = root->data.mapping.pairs.start;
		     p < root->data.mapping.pairs.top; p++) {
			yaml_node_t *kn = node(&x.y, p->key);

			if (strcmp((const char *)kn->data.scalar.value,
				   "carrier_rules") == 0 &&
			    read_carrier_rules(&x, node(&x.y, p->value)) != 0)
				goto cleanup;
		}
	}
	for (i = 0; i < x.nurls; i++)
		if (check_url(&x, &x.urls[i]) != 0)
			goto cleanup;
	if (resolve_secrets(&x) != 0)
		goto cleanup;
	fill_derived(&x);
	if (c->tracking_formats_file != NULL) {
		if (tracking_formats_load(c->tracking_formats_file,
					  &c->tracking_formats,
					  &c->ntracking_formats, e) != 0) {
			yaml_mark_t m = top_marks[ARRAY_SIZE(top_keys) - 1];

			err_prefix(e, "%s:%zu:%zu: tracking_formats_file", path,
				   mline(m), mcol(m));
			goto cleanup;
		}
	} else {
		copy_builtin_formats(c);
	}
	*out = c;
	c = NULL;
	ret = 0;
cleanup:
	yfile_free(&x.y);
	config_free(c);
	free(x.dir);
	return ret;
}

static void free_secret(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void config_free(struct config *c)
{
	size_t i;

	if (c == NULL)
		return;
	free(c->path);
	free(c->store_name);
	free(c->region);
	free(c->tt_app_key);
	free_secret(c->tt_app_secret);
	free(c->tt_shop_cipher);
	free(c->tt_shop_id);
	free(c->tt_api_base);
	free(c->tt_auth_base);
	free_secret(c->tt_access_token);
	free_secret(c->tt_refresh_token);
	free(c->tt_seller_center_base);
	free(c->sh_shop_domain);
	free(c->sh_base_url);
	free(c->sh_api_version);
	free_secret(c->sh_access_token);
	free(c->sh_location_id);
	free(c->ca_file);
	free(c->inventory_behaviour);
	for (i = 0; i < c->ncarrier_rules; i++) {
		free(c->carrier_rules[i].shopify_name);
		free(c->carrier_rules[i].tiktok_name);
	}
	free(c->carrier_rules);
	free(c->tracking_formats_file);
	tracking_formats_free(c->tracking_formats, c->ntracking_formats);
	free(c->state_file);
	free(c->reports_dir);
	free(c->lock_file);
	free(c);
}

int config_check_region(const struct config *c, struct err *e)
{
	if (c->region != NULL && strcmp(c->region, "US") == 0)
		return 0;
	return err_set(e, ERR_CONFIG, "SKIP_NOT_US",
		       "%s: store.region is %s: TikTok Shop order and fulfillment "
		       "sync is available for US shops only, so ttsync does not "
		       "sync this store. If the shop is a US shop, set "
		       "store.region: US.", c->path,
		       c->region ? c->region : "not set");
}

/* ------------------------------------------------------------------ */
/* tracking_formats_file                                                */

/* Does `example` match `pattern` as a whole? 1 yes, 0 no, -1 bad regex
 * (message in errbuf). */
static int format_matches(const char *pattern, const char *example,
			  char *errbuf, size_t errlen)
{
	regex_t re;
	int rc;

	rc = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		regerror(rc, &re, errbuf, errlen);
		regfree(&re);
		return -1;
	}
	rc = regexec(&re, example, 0, NULL, 0);
	regfree(&re);
	return rc == 0;
}

int tracking_formats_load(const char *path, struct tracking_format **out,
			  size_t *n, struct err *e)
{
	struct yfile y;
	struct tracking_format *v = NULL;
	size_t nv = 0, idx = 0, i;
	yaml_node_t *root, *seq = NULL;
	yaml_node_pair_t *p;
	yaml_node_item_t *it;
	int ret = -1;

	*out = NULL;
	*n = 0;
	if (yfile_load(path, &y, e) != 0)
		return -1;
	root = yaml_document_get_root_node(&y.doc);
	if (root->type != YAML_MAPPING_NODE) {
		at(&y, root->start_mark, NULL,
		   "expected 'formats:' followed by a list of formats");
		goto cleanup;
	}
	for (p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *kn = node(&y, p->key);

		if (kn->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)kn->data.scalar.value, "formats") == 0) {
			if (seq != NULL) {
				at(&y, kn->start_mark, "formats", "duplicate key");
				goto cleanup;
			}
			seq = node(&y, p->value);
		} else {
			at(&y, kn->start_mark, kn->type == YAML_SCALAR_NODE ?
			   (const char *)kn->data.scalar.value : "key",
			   "unknown key (the file holds one key, formats:)");
			goto cleanup;
		}
	}
	if (seq == NULL) {
		at(&y, root->start_mark, "formats", "required key missing");
		goto cleanup;
	}
	if (seq->type != YAML_SEQUENCE_NODE) {
		at(&y, seq->start_mark, "formats", "expected a list, found %s",
		   node_kind(seq));
		goto cleanup;
	}
	v = xcalloc((size_t)(seq->data.sequence.items.top -
			     seq->data.sequence.items.start) + 1, sizeof(*v));
	for (it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top; it++, idx++) {
		yaml_node_t *fn = node(&y, *it);
		struct tracking_format *f = &v[nv];
		char kp[64], rxerr[256];
		int m;

		snprintf(kp, sizeof(kp), "formats[%zu]", idx);
		if (fn->type != YAML_MAPPING_NODE) {
			at(&y, fn->start_mark, kp,
			   "expected provider:, pattern: and example:, found %s",
			   node_kind(fn));
			goto cleanup;
		}
		nv++;
		for (p = fn->data.mapping.pairs.start;
		     p < fn->data.mapping.pairs.top; p++) {
			static const struct keyspec fkeys[] = {
				{ "provider", V_STR, 0, 0, 0, 1 },
				{ "pattern", V_STR, 0, 0, 0, 1 },
				{ "example", V_STR, 0, 0, 0, 1 },
			};
			yaml_node_t *kn = node(&y, p->key), *vn = node(&y, p->value);
			const char *name, *s;
			char kp2[160];
			char **dst;

			if (kn->type != YAML_SCALAR_NODE) {
				at(&y, kn->start_mark, kp, "expected a key name");
				goto cleanup;
			}
			name = (const char *)kn->data.scalar.value;
			snprintf(kp2, sizeof(kp2), "%s.%.40s", kp, name);
			if (strcmp(name, "provider") == 0) {
				dst = &f->provider;
			} else if (strcmp(name, "pattern") == 0) {
				dst = &f->pattern;
			} else if (strcmp(name, "example") == 0) {
				dst = &f->example;
			} else {
				const char *near = nearest(fkeys, 3, name);

				if (near)
					at(&y, kn->start_mark, kp2,
					   "unknown key; did you mean %s?", near);
				else
					at(&y, kn->start_mark, kp2,
					   "unknown key (valid keys: provider, pattern, example)");
				goto cleanup;
			}
			if (*dst != NULL) {
				at(&y, kn->start_mark, kp2, "duplicate key");
				goto cleanup;
			}
			if (is_null(vn)) {
				at(&y, vn->start_mark, kp2, "has no value");
				goto cleanup;
			}
			if (scalar_text(&y, vn, kp2, "a single value", &s) != 0)
				goto cleanup;
			if (*s == '\0') {
				at(&y, vn->start_mark, kp2, "is empty");
				goto cleanup;
			}
			*dst = xstrdup(s);
		}
		if (f->provider == NULL || f->pattern == NULL || f->example == NULL) {
			at(&y, fn->start_mark, kp, "needs provider:, pattern: and example:");
			goto cleanup;
		}
		if (f->pattern[0] != '^' || f->pattern[strlen(f->pattern) - 1] != '$') {
			at(&y, fn->start_mark, kp,
			   "pattern must be anchored: start with ^ and end with $");
			goto cleanup;
		}
		m = format_matches(f->pattern, f->example, rxerr, sizeof(rxerr));
		if (m < 0) {
			at(&y, fn->start_mark, kp,
			   "pattern is not a valid POSIX extended regular expression: %s",
			   rxerr);
			goto cleanup;
		}
		if (m == 0) {
			at(&y, fn->start_mark, kp,
			   "example '%.*s' does not match its own pattern",
			   MSG_VALUE_MAX, f->example);
			goto cleanup;
		}
		for (i = 0; i + 1 < nv; i++)
			if (strcasecmp(v[i].provider, f->provider) == 0) {
				at(&y, fn->start_mark, kp,
				   "provider '%.*s' is listed twice", MSG_VALUE_MAX,
				   f->provider);
				goto cleanup;
			}
	}
	if (nv == 0) {
		at(&y, seq->start_mark, "formats", "the list is empty");
		goto cleanup;
	}
	*out = v;
	*n = nv;
	v = NULL;
	ret = 0;
cleanup:
	tracking_formats_free(v, nv);
	yfile_free(&y);
	return ret;
}
