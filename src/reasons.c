/*
 * reasons.c - the reference table of item outcomes: every reason code an
 * order or fulfillment can carry, what happens next without a person
 * (retry class), the short heading the HTML report groups by, and the
 * remedy a merchant can act on. Also the names of the sync statuses and
 * the classification of TikTok API error codes into these reasons
 * (../shared/research/tiktok-shop-api.md §3.3 and the official error
 * lists in ../shared/platform-specs/tiktok/). Owns only static tables.
 *
 * Remedies are plain text, shown as they are next to the reason (which
 * names the value at fault: the SKU, the carrier, the valid names). Words
 * in capitals (FILE, ID, SKU, GID) are for the merchant to fill in.
 */
#include "reasons.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- sync status ------------------------------------------------------- */

static const struct {
	enum sync_status s;
	const char *name, *label;
} statuses[] = {
	{ SYNC_NOT_SYNCED, "not_synced", "Not synced" },
	{ SYNC_SYNCED, "synced", "Synced" },
	{ SYNC_FAILED, "failed", "Sync failed" },
	{ SYNC_SKIPPED, "skipped", "Skipped" },
};

const char *sync_status_name(enum sync_status s)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(statuses); i++)
		if (statuses[i].s == s)
			return statuses[i].name;
	return "unknown";
}

const char *sync_status_label(enum sync_status s)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(statuses); i++)
		if (statuses[i].s == s)
			return statuses[i].label;
	return "Unknown";
}

/* Accepts the name ("not_synced") or the label ("Not synced"), any case. */
int sync_status_parse(const char *s, enum sync_status *out)
{
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < ARRAY_SIZE(statuses); i++) {
		if (strcasecmp(s, statuses[i].name) == 0 ||
		    strcasecmp(s, statuses[i].label) == 0) {
			*out = statuses[i].s;
			return 0;
		}
	}
	return -1;
}

/* ---- reasons ----------------------------------------------------------- */

static const struct reason reasons[] = {
	/* Order sync: not eligible (status skipped) */
	{ "SKIP_FBT", RETRY_NONE, "Fulfilled by TikTok",
	  "Nothing to do: TikTok ships Fulfilled-by-TikTok orders from its own "
	  "warehouses, and ttsync imports only Fulfilled-by-Seller orders." },
	{ "SKIP_UNPAID", RETRY_WAIT, "Not paid yet",
	  "Nothing to do: the order is synced on the first run after the buyer "
	  "has paid and it reaches Awaiting shipment." },
	{ "SKIP_ON_HOLD", RETRY_WAIT, "On hold",
	  "Nothing to do: TikTok holds new orders for a short while (the buyer "
	  "may still cancel); the order is synced on the first run after the "
	  "hold ends." },
	{ "SKIP_CANCELLED_BEFORE_SYNC", RETRY_NONE, "Cancelled before sync",
	  "Nothing to do: the order was cancelled on TikTok before it was "
	  "synced, so it is not created in Shopify." },
	{ "SKIP_NOT_US", RETRY_NONE, "Not a US shop",
	  "Order and fulfillment sync work for US TikTok Shops only: set "
	  "store.region to US in the config if this is a US shop, otherwise "
	  "remove this store from the cron job." },
	{ "AUTO_SYNC_OFF", RETRY_WAIT, "Waiting for a manual sync",
	  "Automatic order sync is off: create it in Shopify with "
	  "`ttsync sync orders --config FILE ID` (or --all-not-synced), or set "
	  "settings.order_auto_sync: true in the config so every run does." },

	/* Order sync: failures */
	{ "SKU_NOT_LINKED", RETRY_AFTER_FIX, "Product not linked",
	  "Link the TikTok SKU to a Shopify variant: "
	  "ttsync link --config FILE --tiktok-sku SKU --variant GID (or give "
	  "the Shopify variant that SKU), then run again." },
	{ "SKU_AMBIGUOUS", RETRY_AFTER_FIX, "SKU matches several variants",
	  "Several Shopify variants carry this SKU (see the reason): make it unique in "
	  "Shopify, or link the TikTok SKU to the right one with "
	  "`ttsync link --config FILE --tiktok-sku SKU --variant GID`, then "
	  "run again." },
	{ "SKU_MISSING", RETRY_AFTER_FIX, "TikTok product has no seller SKU",
	  "The TikTok product has no seller SKU to match in Shopify: give "
	  "it the SKU of its Shopify variant in TikTok Seller Center, or link "
	  "it with `ttsync link --config FILE --tiktok-sku SKU --variant GID`, "
	  "then run again." },
	{ "VARIANT_GONE", RETRY_AFTER_FIX, "Linked Shopify variant deleted",
	  "The Shopify variant linked to this TikTok SKU no longer exists: "
	  "link the SKU to an existing variant with "
	  "`ttsync link --config FILE --tiktok-sku SKU --variant GID`, then run "
	  "again." },
	{ "TOTALS_MISMATCH", RETRY_PERSON, "Totals differ from TikTok",
	  "The Shopify order would not add up to what the buyer paid on TikTok "
	  "(both figures are in the reason), so it was not created. Check the "
	  "order in TikTok Seller Center for a fee or discount ttsync does not "
	  "map and report it to the ttsync maintainers with this report; after "
	  "an update, sync it with `ttsync sync orders --config FILE ID`." },
	{ "ORDER_DATA_INVALID", RETRY_AUTO, "TikTok sent unusable data",
	  "TikTok sent a missing or malformed value (named in the reason); the "
	  "next run reads the order again and retries. If it persists, check "
	  "the order in TikTok Seller Center and report it with this report." },
	{ "ALREADY_IN_SHOPIFY", RETRY_NONE, "Already in Shopify, linked",
	  "Nothing to do: the order already existed in Shopify (from an "
	  "earlier run or another connector) and was linked instead of being "
	  "created twice. Remove the other connector's order import if both "
	  "keep creating orders." },
	{ "SHOPIFY_USER_ERROR", RETRY_AFTER_FIX, "Shopify refused the order",
	  "Shopify refused the order for the reason given: fix the cause in "
	  "Shopify (product, variant, location, customer or store settings), "
	  "then run again or sync it with "
	  "`ttsync sync orders --config FILE ID`." },
	{ "SHOPIFY_ORDER_LIMIT", RETRY_AUTO, "Shopify order creation limit",
	  "Shopify limits how fast a store may create orders (development and "
	  "trial stores especially); the next run continues. If it persists, "
	  "check the store's plan." },
	{ "OUTCOME_UNKNOWN", RETRY_AUTO, "Answer lost, will look up",
	  "The request was sent but its answer was lost; the next run first "
	  "looks it up on the platform, so nothing is done twice. Nothing to "
	  "do unless it persists." },
	{ "PLATFORM_ERROR", RETRY_AUTO, "Platform error",
	  "The platform answered with an error (in the reason); the next run "
	  "retries. If it persists, contact that platform's support with the "
	  "error code and request ID from the reason." },
	{ "NETWORK_ERROR", RETRY_AUTO, "Platform unreachable",
	  "The platform could not be reached after several attempts; the next "
	  "run retries. If it persists, check this machine's network, proxy "
	  "and the platform's status page." },
	{ "RUN_DEADLINE", RETRY_AUTO, "Run time limit reached",
	  "The run stopped at its time limit (settings.deadline_seconds) "
	  "before reaching this item; the next run continues." },
	{ "ORDER_NOT_FOUND", RETRY_NONE, "Order not found on TikTok",
	  "TikTok Shop does not know this order id for this shop: check the id "
	  "(TikTok order ids are 18-19 digits; `ttsync status --config FILE` "
	  "lists the orders ttsync knows)." },

	/* Fulfillment sync */
	{ "CARRIER_NOT_INTEGRATED", RETRY_AFTER_FIX,
	  "Carrier not integrated with TikTok Shop",
	  "Ship with a carrier TikTok Shop integrates (the reason lists the "
	  "valid names for this order). If "
	  "your carrier is one of them under another name, add a carrier rule "
	  "`Shopify name -> TikTok name` under carrier_rules in the config "
	  "(- shopify: \"Other\"  tiktok: \"Cainiao US\"), then run again." },
	{ "CARRIER_MISSING", RETRY_AFTER_FIX, "No carrier on the fulfillment",
	  "Set the tracking company on the Shopify fulfillment (or add a "
	  "carrier rule for the name Shopify shows under carrier_rules in the "
	  "config), then run again." },
	{ "TRACKING_MISSING", RETRY_AFTER_FIX, "No tracking number",
	  "Add the tracking number to the Shopify fulfillment: TikTok needs one "
	  "to mark the package shipped. The next run sends it." },
	{ "TRACKING_FORMAT_INVALID", RETRY_AFTER_FIX,
	  "Tracking number invalid for the carrier",
	  "Correct the tracking number in Shopify (the reason shows the "
	  "expected format), or the carrier if the number belongs to another "
	  "one. If the number is right and the "
	  "format table is out of date, edit the file named by "
	  "tracking_formats_file in the config. The next run retries." },
	{ "TRACKING_UPDATE_ONCE", RETRY_PERSON,
	  "Tracking number can only be updated once",
	  "TikTok Shop lets a tracking number be changed only once, within 72 "
	  "hours of shipment, and it was changed already: contact TikTok Shop "
	  "support to change it again." },
	{ "TRACKING_UPDATE_WINDOW", RETRY_PERSON,
	  "Tracking update window (72 h) passed",
	  "TikTok Shop accepts a tracking change only within 72 hours of "
	  "shipment, and that time has passed: contact TikTok Shop "
	  "support to change it." },
	{ "TRACKING_UPDATE_DENIED", RETRY_PERSON, "TikTok refuses tracking changes",
	  "TikTok no longer accepts tracking changes for this package (for "
	  "example, it is delivered): contact TikTok Shop support if it must "
	  "still change." },
	{ "ITEMS_FULFILLED_DIFFERENTLY", RETRY_PERSON,
	  "TikTok items already fulfilled with different items",
	  "TikTok's line items are already fulfilled with different items, so "
	  "a new fulfillment cannot be created: have TikTok Shop support "
	  "cancel the earlier fulfillment, then run "
	  "`ttsync sync fulfillments --config FILE ID`." },
	{ "ALREADY_SHIPPED_OTHER_TRACKING", RETRY_PERSON,
	  "Already shipped on TikTok with other tracking",
	  "TikTok already shows this package shipped with another tracking "
	  "number (in the reason). If TikTok's number is right, put it on the "
	  "Shopify fulfillment; if Shopify's is right, change it in TikTok "
	  "Seller Center (once, within 72 hours of shipment) or ask TikTok "
	  "Shop support." },
	{ "ORDER_CANCELLED", RETRY_NONE, "Order cancelled on TikTok",
	  "Nothing is sent: the order is cancelled on TikTok. If a parcel has "
	  "already left, stop it with the carrier or contact the buyer through "
	  "TikTok Seller Center." },
	{ "CANCEL_REQUEST_PENDING", RETRY_WAIT, "Buyer cancellation request pending",
	  "The buyer asked to cancel: accept or reject the request in TikTok "
	  "Seller Center. If you reject it, the next run sends the "
	  "fulfillment." },
	{ "AFTER_SALE_PENDING", RETRY_WAIT, "Return or refund request pending",
	  "An item has an open return or refund request: process it in TikTok "
	  "Seller Center (Returns); the next run retries." },
	{ "TRACKING_REUSED", RETRY_AFTER_FIX, "Tracking number already used",
	  "TikTok already has this tracking number on another package (a "
	  "number may cover at most 20 orders with the same recipient and "
	  "address): put the right tracking number on the Shopify fulfillment, "
	  "then run again." },
	{ "WRONG_SHIPPING_TYPE", RETRY_PERSON, "Order ships with a TikTok label",
	  "This order uses TikTok shipping (the label is bought in TikTok "
	  "Seller Center), so Shopify's tracking cannot be pushed: ship it "
	  "with the TikTok label; ttsync copies TikTok's tracking to Shopify. "
	  "Remove the manual Shopify fulfillment if it is a duplicate." },
	{ "ORDER_NOT_SHIPPABLE", RETRY_WAIT, "TikTok order not ready to ship",
	  "TikTok does not accept shipping for the order in its current status "
	  "(in the reason); the next run retries when it changes. If it stays, "
	  "check the order in TikTok Seller Center." },
	{ "SHIPMENT_REFUSED", RETRY_PERSON, "TikTok refused the shipment",
	  "TikTok refused to ship the order for the reason it gives (address, "
	  "weight, size or a platform rule): follow that advice in TikTok "
	  "Seller Center (ask the buyer to fix the address, or cancel without "
	  "penalty), then run `ttsync sync fulfillments --config FILE ID`." },
	{ "PROVIDERS_UNAVAILABLE", RETRY_AUTO, "TikTok carrier list unavailable",
	  "TikTok returned no shipping providers for the order's delivery "
	  "option; the next run retries. If it persists, check the shop's "
	  "shipping settings in TikTok Seller Center." },
	{ "UNITS_UNMAPPED", RETRY_PERSON, "Items do not match TikTok's",
	  "The Shopify fulfillment's items cannot be shipped as one TikTok "
	  "package (items added in Shopify, all units of one SKU not in the "
	  "same fulfillment, or items TikTok wants apart): fulfill in Shopify "
	  "only items that came from TikTok, grouped as TikTok allows, or mark "
	  "the package shipped in TikTok Seller Center." },
	{ "ORDER_NOT_IN_SHOPIFY", RETRY_WAIT, "Order not in Shopify yet",
	  "The order is not in Shopify yet, so its fulfillment cannot be "
	  "created: sync it with `ttsync sync orders --config FILE ID` (or set "
	  "settings.order_auto_sync: true); the fulfillment follows on the "
	  "same run." },
	{ "FULFILLMENT_ORDER_CLOSED", RETRY_PERSON,
	  "Shopify items already fulfilled or closed",
	  "Shopify's fulfillment order for these items is closed or already "
	  "fulfilled: check the order in Shopify admin. If it was fulfilled by "
	  "hand, nothing to do; otherwise reopen it and run "
	  "`ttsync sync fulfillments --config FILE ID`." },
	{ "CANCELLED_AFTER_FULFILLMENT", RETRY_PERSON,
	  "Cancelled on TikTok after fulfillment",
	  "TikTok cancelled this order but items are already fulfilled in "
	  "Shopify: stop the parcel with the carrier if you can, then cancel "
	  "the Shopify order by hand (no refund: the buyer paid through "
	  "TikTok)." },
	{ "LINE_CANCELLED", RETRY_PERSON, "Item cancelled on TikTok",
	  "TikTok cancelled some items of this order (see the reason): edit the Shopify "
	  "order to remove them and restock, so that it matches TikTok." },
	{ "SHOPIFY_CANCEL_FAILED", RETRY_AUTO, "Shopify refused the cancellation",
	  "Shopify refused to cancel the order for the reason given: cancel it "
	  "in Shopify admin (no refund, restock); otherwise the next run "
	  "retries." },
	{ "CARRIER_RULE_UNKNOWN_PROVIDER", RETRY_AFTER_FIX,
	  "Carrier rule names an unknown TikTok provider",
	  "Change the rule's tiktok: name under carrier_rules in the config to "
	  "one of TikTok's shipping providers (the reason lists them)." },

	/* Either direction: the platform refused ttsync itself */
	{ "AUTH_REFUSED", RETRY_AFTER_FIX, "TikTok refused the credentials",
	  "TikTok refused ttsync's credentials (expired or revoked token, "
	  "wrong app secret, missing scope or a deactivated shop): re-authorize "
	  "the app for the shop in TikTok Seller Center, put the new token "
	  "pair where tiktok.access_token_env/_file and "
	  "tiktok.refresh_token_env/_file point, then run again." },
	{ "TIKTOK_CONFIG_REJECTED", RETRY_AFTER_FIX,
	  "TikTok refused a configured value",
	  "TikTok refused a value from the config (app key, shop cipher, shop "
	  "ID, or this machine's IP is not in the app's allow list; see the "
	  "reason): correct it under tiktok: in the config or in the TikTok "
	  "Partner Center app settings, then run again." },
	{ "CLOCK_SKEW", RETRY_AFTER_FIX, "Machine clock is wrong",
	  "TikTok refused the request time: set this machine's clock right "
	  "(enable NTP time synchronisation), then run again." },
	{ "REQUEST_INVALID", RETRY_PERSON, "TikTok refused the request as invalid",
	  "TikTok refused ttsync's request as invalid (in the reason): this is "
	  "a ttsync defect or unexpected data. Report it to the ttsync "
	  "maintainers with this report; after an update, retry with "
	  "`ttsync sync orders` or `ttsync sync fulfillments --config FILE ID`." },
};

const struct reason *reason_lookup(const char *code)
{
	size_t i;

	if (code == NULL)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(reasons); i++)
		if (strcmp(reasons[i].code, code) == 0)
			return &reasons[i];
	return NULL;
}

const struct reason *reasons_all(size_t *n)
{
	*n = ARRAY_SIZE(reasons);
	return reasons;
}

/* ---- TikTok error codes ------------------------------------------------ */

/*
 * TikTok code -> reason. Sources: research §3.3 (common and fulfillment
 * tables) and the error lists of the official references for Mark
 * Package As Shipped, Ship Package, Update (Package) Shipping Info, Get
 * Shipping Providers and Get Order/Package Detail. "Already shipped" codes
 * map to ALREADY_SHIPPED_OTHER_TRACKING: the caller re-reads the package
 * and treats "shipped with our tracking" as synced.
 */
static const struct {
	long code;
	const char *reason;
} tiktok_codes[] = {
	/* common: transient */
	{ 36009002, "PLATFORM_ERROR" },		/* rate limited (after retries) */
	{ 36009003, "PLATFORM_ERROR" },		/* internal error, try again */
	{ 36009007, "OUTCOME_UNKNOWN" },	/* gateway timeout: a write may have happened */
	/* common: request shape (ttsync defects) */
	{ 36009009, "REQUEST_INVALID" },	/* invalid path */
	{ 36009010, "REQUEST_INVALID" },	/* invalid method */
	{ 36009014, "REQUEST_INVALID" },	/* invalid API version */
	{ 36009021, "REQUEST_INVALID" },	/* file too big */
	{ 36009022, "REQUEST_INVALID" },	/* body must be JSON / multipart */
	{ 36009023, "REQUEST_INVALID" },	/* content type must be multipart */
	{ 106013, "REQUEST_INVALID" },		/* shop_cipher missing */
	/* common: configuration */
	{ 36009033, "TIKTOK_CONFIG_REJECTED" },	/* IP not in the app allow list */
	/* common: credentials */
	{ 101000, "AUTH_REFUSED" },	/* token not linked to the shop / wrong user type */
	{ 105001, "AUTH_REFUSED" },
	{ 105002, "AUTH_REFUSED" },	/* access token expired (after refresh) */
	{ 105003, "AUTH_REFUSED" },
	{ 105004, "AUTH_REFUSED" },
	{ 105005, "AUTH_REFUSED" },	/* scope not granted */
	{ 106001, "AUTH_REFUSED" },	/* invalid sign: wrong app secret */
	{ 36009008, "AUTH_REFUSED" },
	{ 36004001, "AUTH_REFUSED" },	/* refresh token expired */
	{ 36004004, "AUTH_REFUSED" },	/* invalid auth code */
	{ 36004005, "AUTH_REFUSED" },	/* no related auth record */
	{ 36009043, "AUTH_REFUSED" },	/* shop deactivated */
	{ 36009044, "AUTH_REFUSED" },	/* seller account deactivated */
	/* orders */
	{ 10002014, "PLATFORM_ERROR" },
	{ 10002015, "PLATFORM_ERROR" },
	{ 10037002, "PLATFORM_ERROR" },
	{ 10037003, "PLATFORM_ERROR" },
	{ 10037004, "PLATFORM_ERROR" },
	{ 10006402, "PLATFORM_ERROR" },		/* "permission denied" / internal */
	{ 21008111, "REQUEST_INVALID" },	/* order not of the current seller */
	/* fulfillment: already shipped */
	{ 21011006, "ALREADY_SHIPPED_OTHER_TRACKING" },
	{ 21011020, "ALREADY_SHIPPED_OTHER_TRACKING" },
	{ 21042056, "ALREADY_SHIPPED_OTHER_TRACKING" },
	{ 21008099, "ALREADY_SHIPPED_OTHER_TRACKING" },
	{ 11006021, "ALREADY_SHIPPED_OTHER_TRACKING" },
	{ 21011040, "ALREADY_SHIPPED_OTHER_TRACKING" },
	{ 21011027, "ALREADY_SHIPPED_OTHER_TRACKING" },	/* already delivered */
	/* fulfillment: tracking updates */
	{ 21011051, "TRACKING_UPDATE_ONCE" },
	{ 21011052, "TRACKING_UPDATE_ONCE" },
	{ 21011050, "TRACKING_UPDATE_WINDOW" },
	{ 21011049, "TRACKING_UPDATE_WINDOW" },	/* US: after the 72 h window */
	{ 21011030, "TRACKING_UPDATE_DENIED" },
	{ 21011043, "ORDER_NOT_SHIPPABLE" },	/* update before ship: re-read, ship */
	{ 10007002, "ORDER_NOT_SHIPPABLE" },	/* order status forbids it for now */
	/* fulfillment: tracking number / provider */
	{ 21011022, "TRACKING_FORMAT_INVALID" },
	{ 21004015, "TRACKING_FORMAT_INVALID" },
	{ 21004012, "TRACKING_FORMAT_INVALID" },
	{ 11028006, "TRACKING_FORMAT_INVALID" },
	{ 21004016, "CARRIER_NOT_INTEGRATED" },
	{ 21022032, "CARRIER_NOT_INTEGRATED" },
	{ 21011025, "TRACKING_REUSED" },
	{ 21034012, "TRACKING_REUSED" },
	{ 21011026, "TRACKING_REUSED" },
	{ 21008116, "PROVIDERS_UNAVAILABLE" },
	/* fulfillment: shipped by TikTok / the platform */
	{ 21008117, "WRONG_SHIPPING_TYPE" },
	{ 21011004, "WRONG_SHIPPING_TYPE" },
	{ 21008025, "WRONG_SHIPPING_TYPE" },	/* fulfilled by TikTok */
	{ 21008042, "WRONG_SHIPPING_TYPE" },	/* label already printed on TikTok */
	{ 21022025, "WRONG_SHIPPING_TYPE" },	/* label already purchased */
	/* fulfillment: order state */
	{ 21011007, "AFTER_SALE_PENDING" },
	{ 21008044, "AFTER_SALE_PENDING" },
	{ 21011041, "ORDER_CANCELLED" },
	{ 21011042, "ORDER_CANCELLED" },
	{ 25001010, "ORDER_CANCELLED" },
	{ 21042057, "ORDER_NOT_SHIPPABLE" },
	{ 21011003, "ORDER_NOT_SHIPPABLE" },
	{ 21032001, "ORDER_NOT_SHIPPABLE" },
	/* fulfillment: how items are grouped into packages */
	{ 21011048, "UNITS_UNMAPPED" },
	{ 21011036, "UNITS_UNMAPPED" },
	{ 21022028, "UNITS_UNMAPPED" },
	{ 11006013, "UNITS_UNMAPPED" },
	{ 11006014, "UNITS_UNMAPPED" },
	{ 21011029, "ITEMS_FULFILLED_DIFFERENTLY" },
	{ 21011033, "ITEMS_FULFILLED_DIFFERENTLY" },
	{ 21011046, "ITEMS_FULFILLED_DIFFERENTLY" },
	/* fulfillment: refused for address, size, rules */
	{ 11021009, "SHIPMENT_REFUSED" },
	{ 11021010, "SHIPMENT_REFUSED" },
	{ 11021011, "SHIPMENT_REFUSED" },
	{ 11021012, "SHIPMENT_REFUSED" },
	{ 11021013, "SHIPMENT_REFUSED" },
	{ 11021014, "SHIPMENT_REFUSED" },
	{ 11021015, "SHIPMENT_REFUSED" },
	{ 11021016, "SHIPMENT_REFUSED" },
	{ 11021017, "SHIPMENT_REFUSED" },
	{ 11021018, "SHIPMENT_REFUSED" },
	{ 11021019, "SHIPMENT_REFUSED" },
	{ 11021020, "SHIPMENT_REFUSED" },
	{ 11021021, "SHIPMENT_REFUSED" },
	{ 11021022, "SHIPMENT_REFUSED" },
	{ 11021023, "SHIPMENT_REFUSED" },
	{ 11021024, "SHIPMENT_REFUSED" },
	{ 11021025, "SHIPMENT_REFUSED" },
	{ 21011012, "SHIPMENT_REFUSED" },	/* not match trade rule */
	{ 21011013, "SHIPMENT_REFUSED" },	/* not match logistics rule */
	{ 21004024, "SHIPMENT_REFUSED" },	/* platform limitations */
	{ 21014009, "SHIPMENT_REFUSED" },	/* unable to deliver to buyer address */
	{ 21021010, "SHIPMENT_REFUSED" },
	{ 21004017, "SHIPMENT_REFUSED" },	/* pickup slot (SEA flow) */
	{ 21011053, "SHIPMENT_REFUSED" },
	{ 21011054, "SHIPMENT_REFUSED" },
	/* fulfillment: wrong market / flow */
	{ 21008106, "SKIP_NOT_US" },		/* interface not for this region */
	{ 21004019, "SKIP_NOT_US" },		/* invoice first (BR) */
	{ 21004020, "SKIP_NOT_US" },
	{ 21004006, "SKIP_NOT_US" },
	/* fulfillment: ttsync defects or data */
	{ 21001001, "REQUEST_INVALID" },
	{ 11050001, "REQUEST_INVALID" },
	{ 11001002, "REQUEST_INVALID" },
	{ 11005004, "REQUEST_INVALID" },	/* warehouse does not exist */
	{ 21011028, "REQUEST_INVALID" },	/* package of another shop */
	/* fulfillment: transient, re-read before retrying a write */
	{ 11001027, "PLATFORM_ERROR" },
	{ 11001031, "PLATFORM_ERROR" },
	{ 11005010, "PLATFORM_ERROR" },
	{ 11006005, "PLATFORM_ERROR" },
	{ 11006026, "PLATFORM_ERROR" },
	{ 21001003, "PLATFORM_ERROR" },
	{ 21001008, "PLATFORM_ERROR" },
	{ 21001011, "PLATFORM_ERROR" },
	{ 21001029, "PLATFORM_ERROR" },
	{ 21001043, "PLATFORM_ERROR" },
	{ 21001055, "PLATFORM_ERROR" },
	{ 21008300, "PLATFORM_ERROR" },
	{ 21011008, "PLATFORM_ERROR" },
	{ 21022026, "PLATFORM_ERROR" },
	{ 21022029, "PLATFORM_ERROR" },
	{ 21022030, "PLATFORM_ERROR" },
	{ 21034006, "PLATFORM_ERROR" },
	{ 21042001, "PLATFORM_ERROR" },
	{ 21042067, "PLATFORM_ERROR" },
	{ 21042076, "PLATFORM_ERROR" },
};

/* Case-insensitive substring test. */
static int has_word(const char *hay, const char *needle)
{
	return hay != NULL && strcasestr(hay, needle) != NULL;
}

/*
 * 36009004 is TikTok's catch-all for a request the gateway refuses: a
 * timestamp outside [now - 5 min, now + 30 s], a missing sign, an invalid
 * access token, an unknown app_key, an unexpected shop_cipher / shop_id /
 * "identifier", an invalid version. Only the message tells them apart.
 */
static const char *classify_36009004(const char *message)
{
	if (has_word(message, "timestamp"))
		return "CLOCK_SKEW";
	if (has_word(message, "access_token") ||
	    has_word(message, "access-token") ||
	    has_word(message, "access token"))
		return "AUTH_REFUSED";
	if (has_word(message, "app_key") || has_word(message, "app key") ||
	    has_word(message, "cipher") || has_word(message, "shop_id") ||
	    has_word(message, "shop id") || has_word(message, "identifier"))
		return "TIKTOK_CONFIG_REJECTED";
	if (has_word(message, "sign") || has_word(message, "version"))
		return "REQUEST_INVALID";
	return "AUTH_REFUSED";
}

const char *reason_from_tiktok_code(long code, const char *message)
{
	size_t i;

	if (code == 36009004)
		return classify_36009004(message);
	for (i = 0; i < ARRAY_SIZE(tiktok_codes); i++)
		if (tiktok_codes[i].code == code)
			return tiktok_codes[i].reason;
	return "PLATFORM_ERROR";
}
