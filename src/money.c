/*
 * money.c - exact money in integer minor units: the ISO 4217 exponent
 * table, strict parsing of decimal strings (TikTok's "19.99", Shopify's
 * Decimal), formatting back to decimal strings, and largest-remainder
 * allocation of a total over weights (spreading an order discount or tax
 * over lines so that the parts add up to the cent). No floating point
 * anywhere. Owns nothing: every function works on caller memory except
 * money_allocate's short-lived index array.
 */
#include "money.h"

#include <stdlib.h>
#include <string.h>

/*
 * ISO 4217 minor-unit digits of the active currency codes (the list
 * published by the ISO 4217 maintenance agency, amendment 179). Codes with
 * no minor unit concept (XAU, XDR, XXX ...) are absent: -1.
 */
struct currency {
	char code[4];
	int exp;
};

static const struct currency currencies[] = {
	{ "AED", 2 }, { "AFN", 2 }, { "ALL", 2 }, { "AMD", 2 }, { "ANG", 2 },
	{ "AOA", 2 }, { "ARS", 2 }, { "AUD", 2 }, { "AWG", 2 }, { "AZN", 2 },
	{ "BAM", 2 }, { "BBD", 2 }, { "BDT", 2 }, { "BGN", 2 }, { "BHD", 3 },
	{ "BIF", 0 }, { "BMD", 2 }, { "BND", 2 }, { "BOB", 2 }, { "BOV", 2 },
	{ "BRL", 2 }, { "BSD", 2 }, { "BTN", 2 }, { "BWP", 2 }, { "BYN", 2 },
	{ "BZD", 2 }, { "CAD", 2 }, { "CDF", 2 }, { "CHE", 2 }, { "CHF", 2 },
	{ "CHW", 2 }, { "CLF", 4 }, { "CLP", 0 }, { "CNY", 2 }, { "COP", 2 },
	{ "COU", 2 }, { "CRC", 2 }, { "CUP", 2 }, { "CVE", 2 }, { "CZK", 2 },
	{ "DJF", 0 }, { "DKK", 2 }, { "DOP", 2 }, { "DZD", 2 }, { "EGP", 2 },
	{ "ERN", 2 }, { "ETB", 2 }, { "EUR", 2 }, { "FJD", 2 }, { "FKP", 2 },
	{ "GBP", 2 }, { "GEL", 2 }, { "GHS", 2 }, { "GIP", 2 }, { "GMD", 2 },
	{ "GNF", 0 }, { "GTQ", 2 }, { "GYD", 2 }, { "HKD", 2 }, { "HNL", 2 },
	{ "HTG", 2 }, { "HUF", 2 }, { "IDR", 2 }, { "ILS", 2 }, { "INR", 2 },
	{ "IQD", 3 }, { "IRR", 2 }, { "ISK", 0 }, { "JMD", 2 }, { "JOD", 3 },
	{ "JPY", 0 }, { "KES", 2 }, { "KGS", 2 }, { "KHR", 2 }, { "KMF", 0 },
	{ "KPW", 2 }, { "KRW", 0 }, { "KWD", 3 }, { "KYD", 2 }, { "KZT", 2 },
	{ "LAK", 2 }, { "LBP", 2 }, { "LKR", 2 }, { "LRD", 2 }, { "LSL", 2 },
	{ "LYD", 3 }, { "MAD", 2 }, { "MDL", 2 }, { "MGA", 2 }, { "MKD", 2 },
	{ "MMK", 2 }, { "MNT", 2 }, { "MOP", 2 }, { "MRU", 2 }, { "MUR", 2 },
	{ "MVR", 2 }, { "MWK", 2 }, { "MXN", 2 }, { "MXV", 2 }, { "MYR", 2 },
	{ "MZN", 2 }, { "NAD", 2 }, { "NGN", 2 }, { "NIO", 2 }, { "NOK", 2 },
	{ "NPR", 2 }, { "NZD", 2 }, { "OMR", 3 }, { "PAB", 2 }, { "PEN", 2 },
	{ "PGK", 2 }, { "PHP", 2 }, { "PKR", 2 }, { "PLN", 2 }, { "PYG", 0 },
	{ "QAR", 2 }, { "RON", 2 }, { "RSD", 2 }, { "RUB", 2 }, { "RWF", 0 },
	{ "SAR", 2 }, { "SBD", 2 }, { "SCR", 2 }, { "SDG", 2 }, { "SEK", 2 },
	{ "SGD", 2 }, { "SHP", 2 }, { "SLE", 2 }, { "SLL", 2 }, { "SOS", 2 },
	{ "SRD", 2 }, { "SSP", 2 }, { "STN", 2 }, { "SVC", 2 }, { "SYP", 2 },
	{ "SZL", 2 }, { "THB", 2 }, { "TJS", 2 }, { "TMT", 2 }, { "TND", 3 },
	{ "TOP", 2 }, { "TRY", 2 }, { "TTD", 2 }, { "TWD", 2 }, { "TZS", 2 },
	{ "UAH", 2 }, { "UGX", 0 }, { "USD", 2 }, { "USN", 2 }, { "UYI", 0 },
	{ "UYU", 2 }, { "UYW", 4 }, { "UZS", 2 }, { "VED", 2 }, { "VES", 2 },
	{ "VND", 0 }, { "VUV", 0 }, { "WST", 2 }, { "XAF", 0 }, { "XCD", 2 },
	{ "XCG", 2 }, { "XOF", 0 }, { "XPF", 0 }, { "YER", 2 }, { "ZAR", 2 },
	{ "ZMW", 2 }, { "ZWG", 2 }, { "ZWL", 2 },
};

/* Largest exponent money_parse/money_format handle (ISO's largest is 4). */
#define MONEY_MAX_EXP 9

int currency_exponent(const char *code)
{
	size_t i;

	if (code == NULL)
		return -1;
	for (i = 0; i < ARRAY_SIZE(currencies); i++)
		if (strcmp(currencies[i].code, code) == 0)
			return currencies[i].exp;
	return -1;
}

static int bad_amount(struct err *e, const char *what, const char *s,
		      const char *why)
{
	return err_set(e, ERR_DATA, "ORDER_DATA_INVALID",
		       "%s: '%.40s' is not a valid amount (%s)",
		       what ? what : "amount", s ? s : "(null)", why);
}

int money_parse(const char *s, int exp, money_t *out, const char *what,
		struct err *e)
{
	const char *p = s;
	int neg = 0, nint = 0, nfrac = 0, i;
	uint64_t v = 0;

	if (s == NULL || *s == '\0')
		return bad_amount(e, what, s, "empty");
	if (exp < 0 || exp > MONEY_MAX_EXP)
		return err_set(e, ERR_DATA, "ORDER_DATA_INVALID",
			       "%s: unsupported currency exponent %d",
			       what ? what : "amount", exp);
	if (*p == '-') {
		neg = 1;
		p++;
	}
	/* Integer part: at least one digit. */
	for (; *p >= '0' && *p <= '9'; p++, nint++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > ((uint64_t)INT64_MAX - d) / 10)
			return bad_amount(e, what, s, "too large");
		v = v * 10 + d;
	}
	if (nint == 0)
		return bad_amount(e, what, s, "expected a digit first");
	if (*p == '.') {
		p++;
		for (; *p >= '0' && *p <= '9'; p++, nfrac++) {
			unsigned d = (unsigned)(*p - '0');

			if (nfrac >= exp) {
				/* Beyond the currency's precision only zeros
				 * are allowed ("1.500" for USD). */
				if (d != 0)
					return bad_amount(e, what, s,
							  "more decimals than the currency has");
				continue;
			}
			if (v > ((uint64_t)INT64_MAX - d) / 10)
				return bad_amount(e, what, s, "too large");
			v = v * 10 + d;
		}
		if (nfrac == 0)
			return bad_amount(e, what, s,
					  "expected a digit after the decimal point");
	}
	if (*p != '\0')
		return bad_amount(e, what, s, "unexpected character");
	/* Scale the integer part (and the fraction digits read) to exp. */
	for (i = nfrac < exp ? nfrac : exp; i < exp; i++) {
		if (v > (uint64_t)INT64_MAX / 10)
			return bad_amount(e, what, s, "too large");
		v *= 10;
	}
	*out = neg ? -(money_t)v : (money_t)v;
	return 0;
}

void money_format(money_t v, int exp, char out[32])
{
	char digits[32];
	uint64_t mag;
	size_t nd = 0, o = 0;
	int i;

	if (exp < 0 || exp > MONEY_MAX_EXP)
		exp = 0;
	mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	/* Digits in reverse, padded so there is one before the point. */
	do {
		digits[nd++] = (char)('0' + mag % 10);
		mag /= 10;
	} while (mag > 0);
	while (nd < (size_t)exp + 1)
		digits[nd++] = '0';
	if (v < 0)
		out[o++] = '-';
	for (i = (int)nd - 1; i >= 0; i--) {
		out[o++] = digits[i];
		if (i == exp && exp > 0)
			out[o++] = '.';
	}
	out[o] = '\0';
}

struct alloc_rem {
	size_t idx;
	unsigned __int128 rem;
};

static int rem_cmp(const void *a, const void *b)
{
	const struct alloc_rem *x = a, *y = b;

	if (x->rem != y->rem)
		return x->rem > y->rem ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/*
 * Each part gets floor(|total| * w / W); the units left over go one each
 * to the parts with the largest remainders (ties: the earlier part). The
 * sign of total is applied at the end, so -1.00 splits like 1.00.
 * Intermediates are 128-bit: |total| * w cannot overflow. Negative
 * weights are refused (-1), like all-zero weights with a non-zero total.
 */
int money_allocate(money_t total, const money_t *weights, size_t n,
		   money_t *parts)
{
	unsigned __int128 sum_w = 0, mag, given = 0;
	struct alloc_rem *rems;
	size_t i, left;

	if (total == INT64_MIN)
		return -1;	/* its magnitude has no money_t */
	mag = total < 0 ? (unsigned __int128)(0 - (uint64_t)total)
			: (unsigned __int128)(uint64_t)total;
	for (i = 0; i < n; i++) {
		if (weights[i] < 0)
			return -1;
		sum_w += (unsigned __int128)(uint64_t)weights[i];
	}
	if (sum_w == 0) {
		for (i = 0; i < n; i++)
			parts[i] = 0;
		return total == 0 ? 0 : -1;
	}
	rems = xcalloc(n, sizeof(*rems));
	for (i = 0; i < n; i++) {
		unsigned __int128 num = mag * (uint64_t)weights[i];
		unsigned __int128 q = num / sum_w;

		parts[i] = (money_t)q;
		given += q;
		rems[i].idx = i;
		rems[i].rem = num % sum_w;
	}
	left = (size_t)(mag - given);	/* < n: each part lost less than one unit */
	qsort(rems, n, sizeof(*rems), rem_cmp);
	for (i = 0; i < left; i++)
		parts[rems[i].idx]++;
	if (total < 0)
		for (i = 0; i < n; i++)
			parts[i] = -parts[i];
	free(rems);
	return 0;
}
