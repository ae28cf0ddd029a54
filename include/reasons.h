/*
 * reasons.h - the stable vocabulary of item outcomes: why an order or a
 * fulfillment was skipped or failed, how a merchant fixes it, and whether
 * the next run retries it by itself.
 *
 * Reason codes are an interface (report column `reason_code`, merchants'
 * filters and scripts): never rename one; add new ones.
 */
#ifndef TTSYNC_REASONS_H
#define TTSYNC_REASONS_H

#include "common.h"

enum sync_status {
	SYNC_NOT_SYNCED = 0,	/* eligible, not (yet) sent: e.g. automatic sync off */
	SYNC_SYNCED,
	SYNC_FAILED,
	SYNC_SKIPPED,		/* not eligible (FBT, unpaid, on hold, ...) */
};
const char *sync_status_name(enum sync_status s);	/* "not_synced", "synced", "failed", "skipped" */
const char *sync_status_label(enum sync_status s);	/* "Not synced", "Synced", "Sync failed", "Skipped" */
int sync_status_parse(const char *s, enum sync_status *out);

/* What happens next without a person. */
enum retry_class {
	RETRY_NONE = 0,		/* final (synced / skipped for good) */
	RETRY_AUTO,		/* transient: the next run retries */
	RETRY_AFTER_FIX,	/* the merchant fixes data (mapping, link); the next run retries */
	RETRY_PERSON,		/* needs a person (TikTok support, manual edit); only a manual sync retries */
	RETRY_WAIT,		/* not eligible yet (unpaid, on hold); re-evaluated each run */
};

struct reason {
	const char *code;		/* "SKU_NOT_LINKED" */
	enum retry_class retry;
	const char *summary;		/* short heading for the HTML grouping */
	const char *remedy;		/* what the merchant does: plain text, no format
				 * directives; words in capitals (FILE, ID) are
				 * for the merchant to fill in */
};

/*
 * Known codes (the table in reasons.c is the reference; keep both lists
 * in step). Order sync:
 *   SKIP_FBT, SKIP_UNPAID, SKIP_ON_HOLD, SKIP_CANCELLED_BEFORE_SYNC,
 *   SKIP_NOT_US, AUTO_SYNC_OFF (status not_synced),
 *   SKU_NOT_LINKED, SKU_AMBIGUOUS, SKU_MISSING, VARIANT_GONE,
 *   TOTALS_MISMATCH, ORDER_DATA_INVALID, ALREADY_IN_SHOPIFY (synced: linked
 *   to an existing order), SHOPIFY_USER_ERROR, SHOPIFY_ORDER_LIMIT,
 *   OUTCOME_UNKNOWN, PLATFORM_ERROR, NETWORK_ERROR, RUN_DEADLINE,
 *   ORDER_NOT_FOUND (manual sync of an id TikTok does not know).
 * Fulfillment sync:
 *   CARRIER_NOT_INTEGRATED, CARRIER_MISSING, TRACKING_MISSING,
 *   TRACKING_FORMAT_INVALID, TRACKING_UPDATE_ONCE, TRACKING_UPDATE_WINDOW,
 *   TRACKING_UPDATE_DENIED, ITEMS_FULFILLED_DIFFERENTLY,
 *   ALREADY_SHIPPED_OTHER_TRACKING, ORDER_CANCELLED, CANCEL_REQUEST_PENDING,
 *   AFTER_SALE_PENDING, TRACKING_REUSED, WRONG_SHIPPING_TYPE,
 *   ORDER_NOT_SHIPPABLE, PROVIDERS_UNAVAILABLE, UNITS_UNMAPPED,
 *   ORDER_NOT_IN_SHOPIFY, FULFILLMENT_ORDER_CLOSED,
 *   CANCELLED_AFTER_FULFILLMENT, LINE_CANCELLED, SHOPIFY_CANCEL_FAILED,
 *   CARRIER_RULE_UNKNOWN_PROVIDER (config check at run start),
 *   SHIPMENT_REFUSED (address, size or platform rule).
 * Either direction, TikTok refusing ttsync itself:
 *   AUTH_REFUSED, TIKTOK_CONFIG_REJECTED, CLOCK_SKEW, REQUEST_INVALID.
 */
const struct reason *reason_lookup(const char *code);	/* NULL if unknown */
const struct reason *reasons_all(size_t *n);

/*
 * Classify a TikTok API error code (36009004, 21011006, ...) met by a
 * fulfillment call into one of the codes above. Unknown codes map to
 * PLATFORM_ERROR. `message` disambiguates the overloaded 36009004.
 */
const char *reason_from_tiktok_code(long code, const char *message);

#endif
