/*
 * check_reasons.c - reasons.c: every reason code the header lists exists
 * with a remedy, codes are unique, the table and the header's list stay
 * in step, remedies are plain text (no format directives), sync
 * statuses round-trip, and every TikTok error code of the research
 * tables (§3.3) maps to the reason a merchant should see.
 */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reasons.h"

/* The list in include/reasons.h, copied: a removal from the table fails. */
static const char *const listed[] = {
	"SKIP_FBT", "SKIP_UNPAID", "SKIP_ON_HOLD", "SKIP_CANCELLED_BEFORE_SYNC",
	"SKIP_NOT_US", "AUTO_SYNC_OFF", "SKU_NOT_LINKED", "SKU_AMBIGUOUS",
	"SKU_MISSING", "VARIANT_GONE", "TOTALS_MISMATCH", "ORDER_DATA_INVALID",
	"ALREADY_IN_SHOPIFY", "SHOPIFY_USER_ERROR", "SHOPIFY_ORDER_LIMIT",
	"OUTCOME_UNKNOWN", "PLATFORM_ERROR", "NETWORK_ERROR", "RUN_DEADLINE",
	"CARRIER_NOT_INTEGRATED", "CARRIER_MISSING", "TRACKING_MISSING",
	"TRACKING_FORMAT_INVALID", "TRACKING_UPDATE_ONCE",
	"TRACKING_UPDATE_WINDOW", "TRACKING_UPDATE_DENIED",
	"ITEMS_FULFILLED_DIFFERENTLY", "ALREADY_SHIPPED_OTHER_TRACKING",
	"ORDER_CANCELLED", "CANCEL_REQUEST_PENDING", "AFTER_SALE_PENDING",
	"TRACKING_REUSED", "WRONG_SHIPPING_TYPE", "ORDER_NOT_SHIPPABLE",
	"PROVIDERS_UNAVAILABLE", "UNITS_UNMAPPED", "ORDER_NOT_IN_SHOPIFY",
	"FULFILLMENT_ORDER_CLOSED", "CANCELLED_AFTER_FULFILLMENT",
	"LINE_CANCELLED", "SHOPIFY_CANCEL_FAILED",
	"CARRIER_RULE_UNKNOWN_PROVIDER", "SHIPMENT_REFUSED", "AUTH_REFUSED",
	"TIKTOK_CONFIG_REJECTED", "CLOCK_SKEW", "REQUEST_INVALID",
	"ORDER_NOT_FOUND",
};

START_TEST(test_every_listed_code_exists)
{
	size_t i;

	for (i = 0; i < sizeof(listed) / sizeof(listed[0]); i++) {
		const struct reason *r = reason_lookup(listed[i]);

		ck_assert_msg(r != NULL, "%s missing from the table", listed[i]);
		ck_assert_str_eq(r->code, listed[i]);
		ck_assert_msg(r->summary && strlen(r->summary) > 3,
			      "%s has no summary", listed[i]);
		ck_assert_msg(r->remedy && strlen(r->remedy) > 20,
			      "%s has no remedy", listed[i]);
	}
	ck_assert_ptr_null(reason_lookup("NO_SUCH_REASON"));
	ck_assert_ptr_null(reason_lookup(NULL));
	ck_assert_ptr_null(reason_lookup("sku_not_linked"));
}
END_TEST

START_TEST(test_codes_unique_and_wellformed)
{
	size_t n, i, j;
	const struct reason *all = reasons_all(&n);

	ck_assert_uint_eq(n, sizeof(listed) / sizeof(listed[0]));
	for (i = 0; i < n; i++) {
		const char *p;

		for (j = i + 1; j < n; j++)
			ck_assert_msg(strcmp(all[i].code, all[j].code) != 0,
				      "duplicate code %s", all[i].code);
		for (p = all[i].code; *p; p++)
			ck_assert_msg(isupper((unsigned char)*p) || *p == '_',
				      "code %s is not UPPER_SNAKE", all[i].code);
		/* Plain text, shown as is: no format directive to leak. */
		ck_assert_msg(strchr(all[i].remedy, '%') == NULL &&
			      strchr(all[i].summary, '%') == NULL,
			      "%s: '%%' in remedy or summary", all[i].code);
		ck_assert_msg(all[i].retry >= RETRY_NONE &&
			      all[i].retry <= RETRY_WAIT, "%s: bad retry class",
			      all[i].code);
	}
}
END_TEST

/* The header's comment lists the codes; table and comment stay in step. */
START_TEST(test_header_list_matches_table)
{
	const char *top = getenv("TTSYNC_TOP");
	char path[1024], *buf = NULL, *start, *end, *p;
	size_t n, i, cap = 0;
	ssize_t len;
	const struct reason *all = reasons_all(&n);
	FILE *f;

	snprintf(path, sizeof(path), "%s/include/reasons.h", top ? top : ".");
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	len = getdelim(&buf, &cap, '\0', f);
	fclose(f);
	ck_assert(len > 0);
	start = strstr(buf, "Known codes");
	ck_assert_ptr_nonnull(start);
	end = strstr(start, "*/");
	ck_assert_ptr_nonnull(end);
	*end = '\0';
	/* Every table code is named in the comment ... */
	for (i = 0; i < n; i++)
		ck_assert_msg(strstr(start, all[i].code) != NULL,
			      "%s not listed in reasons.h", all[i].code);
	/* ... and every UPPER_SNAKE word of the comment is in the table. */
	for (p = start; *p;) {
		char word[64];
		size_t w = 0;

		if (!(isupper((unsigned char)*p) || *p == '_')) {
			p++;
			continue;
		}
		while ((isupper((unsigned char)*p) || *p == '_') && w < 63)
			word[w++] = *p++;
		word[w] = '\0';
		if (w >= 6 && strchr(word, '_') != NULL)
			ck_assert_msg(reason_lookup(word) != NULL,
				      "reasons.h lists %s, the table does not", word);
	}
	free(buf);
}
END_TEST

START_TEST(test_remedies_concrete)
{
	const struct reason *r;

	r = reason_lookup("SKU_NOT_LINKED");
	ck_assert_str_eq(r->remedy, "Link the TikTok SKU to a Shopify variant: "
			 "ttsync link --config FILE --tiktok-sku SKU --variant GID "
			 "(or give the Shopify variant that SKU), then run again.");
	ck_assert_int_eq(r->retry, RETRY_AFTER_FIX);

	r = reason_lookup("CARRIER_NOT_INTEGRATED");
	ck_assert_ptr_nonnull(strstr(r->remedy, "carrier_rules"));
	ck_assert_ptr_nonnull(strstr(r->remedy, "Shopify name -> TikTok name"));
	ck_assert_int_eq(r->retry, RETRY_AFTER_FIX);

	r = reason_lookup("TRACKING_UPDATE_ONCE");
	ck_assert_ptr_nonnull(strstr(r->remedy, "TikTok Shop support"));
	ck_assert_int_eq(r->retry, RETRY_PERSON);
	r = reason_lookup("TRACKING_UPDATE_WINDOW");
	ck_assert_ptr_nonnull(strstr(r->remedy, "TikTok Shop support"));
	ck_assert_ptr_nonnull(strstr(r->remedy, "72 hours"));
	ck_assert_int_eq(r->retry, RETRY_PERSON);

	r = reason_lookup("ITEMS_FULFILLED_DIFFERENTLY");
	ck_assert_ptr_nonnull(strstr(r->remedy, "cancel the earlier fulfillment"));
	ck_assert_ptr_nonnull(strstr(r->remedy,
				     "ttsync sync fulfillments --config FILE ID"));
	ck_assert_int_eq(r->retry, RETRY_PERSON);

	/* Transient failures retry by themselves; skips wait or are final. */
	ck_assert_int_eq(reason_lookup("NETWORK_ERROR")->retry, RETRY_AUTO);
	ck_assert_int_eq(reason_lookup("OUTCOME_UNKNOWN")->retry, RETRY_AUTO);
	ck_assert_int_eq(reason_lookup("SKIP_UNPAID")->retry, RETRY_WAIT);
	ck_assert_int_eq(reason_lookup("SKIP_ON_HOLD")->retry, RETRY_WAIT);
	ck_assert_int_eq(reason_lookup("SKIP_FBT")->retry, RETRY_NONE);
	ck_assert_int_eq(reason_lookup("ALREADY_IN_SHOPIFY")->retry, RETRY_NONE);
}
END_TEST

START_TEST(test_status_names)
{
	enum sync_status s;
	int i;

	ck_assert_str_eq(sync_status_name(SYNC_NOT_SYNCED), "not_synced");
	ck_assert_str_eq(sync_status_name(SYNC_SYNCED), "synced");
	ck_assert_str_eq(sync_status_name(SYNC_FAILED), "failed");
	ck_assert_str_eq(sync_status_name(SYNC_SKIPPED), "skipped");
	ck_assert_str_eq(sync_status_label(SYNC_NOT_SYNCED), "Not synced");
	ck_assert_str_eq(sync_status_label(SYNC_SYNCED), "Synced");
	ck_assert_str_eq(sync_status_label(SYNC_FAILED), "Sync failed");
	ck_assert_str_eq(sync_status_label(SYNC_SKIPPED), "Skipped");
	for (i = SYNC_NOT_SYNCED; i <= SYNC_SKIPPED; i++) {
		s = (enum sync_status)99;
		ck_assert_int_eq(sync_status_parse(sync_status_name(i), &s), 0);
		ck_assert_int_eq(s, i);
		s = (enum sync_status)99;
		ck_assert_int_eq(sync_status_parse(sync_status_label(i), &s), 0);
		ck_assert_int_eq(s, i);
	}
	ck_assert_int_eq(sync_status_parse("FAILED", &s), 0);
	ck_assert_int_eq(s, SYNC_FAILED);
	ck_assert_int_eq(sync_status_parse("done", &s), -1);
	ck_assert_int_eq(sync_status_parse("", &s), -1);
	ck_assert_int_eq(sync_status_parse(NULL, &s), -1);
	ck_assert_str_eq(sync_status_name((enum sync_status)42), "unknown");
}
END_TEST

/* research/tiktok-shop-api.md §3.3, row by row. */
static const struct {
	long code;
	const char *want;
} tt_map[] = {
	/* common table */
	{ 36009002, "PLATFORM_ERROR" }, { 36009003, "PLATFORM_ERROR" },
	{ 36009007, "OUTCOME_UNKNOWN" }, { 36009009, "REQUEST_INVALID" },
	{ 36009010, "REQUEST_INVALID" }, { 36009014, "REQUEST_INVALID" },
	{ 36009021, "REQUEST_INVALID" }, { 36009022, "REQUEST_INVALID" },
	{ 36009023, "REQUEST_INVALID" }, { 36009033, "TIKTOK_CONFIG_REJECTED" },
	{ 101000, "AUTH_REFUSED" }, { 105002, "AUTH_REFUSED" },
	{ 105005, "AUTH_REFUSED" }, { 106001, "AUTH_REFUSED" },
	{ 106013, "REQUEST_INVALID" }, { 36004004, "AUTH_REFUSED" },
	{ 36004001, "AUTH_REFUSED" }, { 36004005, "AUTH_REFUSED" },
	{ 105001, "AUTH_REFUSED" }, { 105003, "AUTH_REFUSED" },
	{ 105004, "AUTH_REFUSED" }, { 36009008, "AUTH_REFUSED" },
	{ 36009043, "AUTH_REFUSED" }, { 36009044, "AUTH_REFUSED" },
	/* orders */
	{ 10002014, "PLATFORM_ERROR" }, { 10002015, "PLATFORM_ERROR" },
	{ 10037002, "PLATFORM_ERROR" }, { 10037003, "PLATFORM_ERROR" },
	{ 10037004, "PLATFORM_ERROR" }, { 10006402, "PLATFORM_ERROR" },
	{ 21008111, "REQUEST_INVALID" },
	/* fulfillment table */
	{ 21011006, "ALREADY_SHIPPED_OTHER_TRACKING" },
	{ 21011020, "ALREADY_SHIPPED_OTHER_TRACKING" },
	{ 21042056, "ALREADY_SHIPPED_OTHER_TRACKING" },
	{ 21008099, "ALREADY_SHIPPED_OTHER_TRACKING" },
	{ 11006021, "ALREADY_SHIPPED_OTHER_TRACKING" },
	{ 21011040, "ALREADY_SHIPPED_OTHER_TRACKING" },
	{ 21011027, "ALREADY_SHIPPED_OTHER_TRACKING" },
	{ 21011051, "TRACKING_UPDATE_ONCE" },
	{ 21011052, "TRACKING_UPDATE_ONCE" },
	{ 21011050, "TRACKING_UPDATE_WINDOW" },
	{ 21011049, "TRACKING_UPDATE_WINDOW" },
	{ 21011030, "TRACKING_UPDATE_DENIED" },
	{ 21011043, "ORDER_NOT_SHIPPABLE" },
	{ 10007002, "ORDER_NOT_SHIPPABLE" },
	{ 21011022, "TRACKING_FORMAT_INVALID" },
	{ 21004015, "TRACKING_FORMAT_INVALID" },
	{ 21004012, "TRACKING_FORMAT_INVALID" },
	{ 21004016, "CARRIER_NOT_INTEGRATED" },
	{ 11028006, "TRACKING_FORMAT_INVALID" },
	{ 21011025, "TRACKING_REUSED" }, { 21034012, "TRACKING_REUSED" },
	{ 21011026, "TRACKING_REUSED" },
	{ 21022032, "CARRIER_NOT_INTEGRATED" },
	{ 21008116, "PROVIDERS_UNAVAILABLE" },
	{ 21008117, "WRONG_SHIPPING_TYPE" },
	{ 21011004, "WRONG_SHIPPING_TYPE" },
	{ 21008025, "WRONG_SHIPPING_TYPE" },
	{ 21011007, "AFTER_SALE_PENDING" }, { 21008044, "AFTER_SALE_PENDING" },
	{ 21011041, "ORDER_CANCELLED" }, { 21011042, "ORDER_CANCELLED" },
	{ 25001010, "ORDER_CANCELLED" },
	{ 21042057, "ORDER_NOT_SHIPPABLE" },
	{ 21011048, "UNITS_UNMAPPED" }, { 21011036, "UNITS_UNMAPPED" },
	{ 21011003, "ORDER_NOT_SHIPPABLE" },
	{ 21011029, "ITEMS_FULFILLED_DIFFERENTLY" },
	{ 21011033, "ITEMS_FULFILLED_DIFFERENTLY" },
	{ 21011046, "ITEMS_FULFILLED_DIFFERENTLY" },
	{ 21011028, "REQUEST_INVALID" },
	{ 21008106, "SKIP_NOT_US" },
	{ 21004019, "SKIP_NOT_US" }, { 21004020, "SKIP_NOT_US" },
	{ 21004006, "SKIP_NOT_US" },
	{ 21001001, "REQUEST_INVALID" }, { 11050001, "REQUEST_INVALID" },
	{ 11001002, "REQUEST_INVALID" },
	{ 11001027, "PLATFORM_ERROR" }, { 11001031, "PLATFORM_ERROR" },
	{ 21001003, "PLATFORM_ERROR" }, { 21001008, "PLATFORM_ERROR" },
	{ 21001011, "PLATFORM_ERROR" }, { 21001043, "PLATFORM_ERROR" },
	{ 21001055, "PLATFORM_ERROR" }, { 21008300, "PLATFORM_ERROR" },
	{ 21022029, "PLATFORM_ERROR" }, { 21022030, "PLATFORM_ERROR" },
	{ 21042001, "PLATFORM_ERROR" }, { 21042076, "PLATFORM_ERROR" },
	{ 11006005, "PLATFORM_ERROR" }, { 11006026, "PLATFORM_ERROR" },
	/* from the official error lists beyond the research table */
	{ 21022025, "WRONG_SHIPPING_TYPE" }, { 21008042, "WRONG_SHIPPING_TYPE" },
	{ 21021010, "SHIPMENT_REFUSED" }, { 11021009, "SHIPMENT_REFUSED" },
	{ 21011012, "SHIPMENT_REFUSED" },
};

START_TEST(test_tiktok_codes)
{
	size_t i;

	for (i = 0; i < sizeof(tt_map) / sizeof(tt_map[0]); i++) {
		const char *got = reason_from_tiktok_code(tt_map[i].code, "x");

		ck_assert_msg(strcmp(got, tt_map[i].want) == 0,
			      "TikTok %ld -> %s, want %s", tt_map[i].code, got,
			      tt_map[i].want);
		ck_assert_msg(reason_lookup(got) != NULL,
			      "TikTok %ld -> %s, not a known reason",
			      tt_map[i].code, got);
	}
	/* Unknown codes are platform errors, retried automatically. */
	ck_assert_str_eq(reason_from_tiktok_code(99999999, "new error"),
			 "PLATFORM_ERROR");
	ck_assert_str_eq(reason_from_tiktok_code(0, NULL), "PLATFORM_ERROR");
}
END_TEST

START_TEST(test_tiktok_36009004_by_message)
{
	static const struct {
		const char *msg, *want;
	} m[] = {
		{ "Invalid timestamp. The timestamp is more than 5 minutes old.",
		  "CLOCK_SKEW" },
		{ "Invalid credentials. The `x-tts-access-token` header is invalid.",
		  "AUTH_REFUSED" },
		{ "Invalid access_token", "AUTH_REFUSED" },
		{ "Invalid app_key", "TIKTOK_CONFIG_REJECTED" },
		{ "Unexpected shop_cipher", "TIKTOK_CONFIG_REJECTED" },
		{ "Unexpected identifier", "TIKTOK_CONFIG_REJECTED" },
		{ "Invalid shop_id", "TIKTOK_CONFIG_REJECTED" },
		{ "Missing required parameter: sign", "REQUEST_INVALID" },
		{ "The version name is invalid", "REQUEST_INVALID" },
		{ "something new", "AUTH_REFUSED" },
		{ NULL, "AUTH_REFUSED" },
	};
	size_t i;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		ck_assert_msg(strcmp(reason_from_tiktok_code(36009004, m[i].msg),
				     m[i].want) == 0,
			      "36009004 '%s' -> %s, want %s",
			      m[i].msg ? m[i].msg : "(null)",
			      reason_from_tiktok_code(36009004, m[i].msg),
			      m[i].want);
}
END_TEST

static Suite *reasons_suite(void)
{
	Suite *s = suite_create("reasons");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_every_listed_code_exists);
	tcase_add_test(tc, test_codes_unique_and_wellformed);
	tcase_add_test(tc, test_header_list_matches_table);
	tcase_add_test(tc, test_remedies_concrete);
	tcase_add_test(tc, test_status_names);
	tcase_add_test(tc, test_tiktok_codes);
	tcase_add_test(tc, test_tiktok_36009004_by_message);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(reasons_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
