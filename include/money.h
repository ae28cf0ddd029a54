/*
 * money.h - exact money: integer minor units, never floating point.
 *
 * TikTok sends amounts as decimal strings in major units ("19.99", "0",
 * "5000" for IDR); Shopify takes and returns Decimal strings ("19.99").
 * Both go through here.
 */
#ifndef TTSYNC_MONEY_H
#define TTSYNC_MONEY_H

#include <stdint.h>
#include "common.h"

typedef int64_t money_t;

/* Number of minor-unit digits of an ISO 4217 code (USD 2, JPY 0, KWD 3).
 * Unknown codes return -1. */
int currency_exponent(const char *code);

/*
 * Parse a decimal string into minor units of a currency with `exp` digits.
 * Accepts an optional leading '-', digits, an optional '.' and at most
 * `exp` fraction digits (trailing zeros beyond exp are accepted: "1.500"
 * with exp 2 is 150). Refuses empty strings, spaces, exponents, "NaN",
 * more significant fraction digits than exp ("1.005" with exp 2), and
 * overflow. `what` names the field for the error message.
 */
int money_parse(const char *s, int exp, money_t *out, const char *what,
		struct err *e);
/* Format minor units as a decimal string with exactly exp fraction digits:
 * 150 exp 2 -> "1.50", -5 -> "-0.05". out must hold 32 bytes. */
void money_format(money_t v, int exp, char out[32]);

/* Split `total` over n parts proportionally to `weights` (largest
 * remainder), so that the parts sum exactly to total. Returns -1 when all
 * weights are zero and total is not (caller decides). */
int money_allocate(money_t total, const money_t *weights, size_t n,
		   money_t *parts);

#endif
