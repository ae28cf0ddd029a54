/*
 * check_money.c - money.c: currency exponents, strict decimal parsing,
 * formatting, and largest-remainder allocation that always sums exactly.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"

START_TEST(test_exponents)
{
	ck_assert_int_eq(currency_exponent("USD"), 2);
	ck_assert_int_eq(currency_exponent("JPY"), 0);
	ck_assert_int_eq(currency_exponent("KWD"), 3);
	ck_assert_int_eq(currency_exponent("IDR"), 2);
	ck_assert_int_eq(currency_exponent("GBP"), 2);
	ck_assert_int_eq(currency_exponent("KRW"), 0);
	ck_assert_int_eq(currency_exponent("BHD"), 3);
	ck_assert_int_eq(currency_exponent("CLF"), 4);
	ck_assert_int_eq(currency_exponent("MXN"), 2);
	ck_assert_int_eq(currency_exponent("usd"), -1);
	ck_assert_int_eq(currency_exponent("XXX"), -1);
	ck_assert_int_eq(currency_exponent(""), -1);
	ck_assert_int_eq(currency_exponent(NULL), -1);
}
END_TEST

static money_t parse_ok(const char *s, int exp)
{
	struct err e = { 0 };
	money_t v = 12345;

	ck_assert_msg(money_parse(s, exp, &v, "price", &e) == 0,
		      "'%s' exp %d refused: %s", s, exp, e.msg);
	return v;
}

static void parse_bad(const char *s, int exp)
{
	struct err e = { 0 };
	money_t v = 777;

	ck_assert_msg(money_parse(s, exp, &v, "payment.total_amount", &e) == -1,
		      "'%s' exp %d accepted as %lld", s ? s : "(null)", exp,
		      (long long)v);
	ck_assert_int_eq(v, 777);	/* untouched on error */
	ck_assert_int_eq(e.cls, ERR_DATA);
	ck_assert_msg(strstr(e.msg, "payment.total_amount") != NULL,
		      "message does not name the field: %s", e.msg);
}

START_TEST(test_parse_valid)
{
	ck_assert_int_eq(parse_ok("0", 2), 0);
	ck_assert_int_eq(parse_ok("0.00", 2), 0);
	ck_assert_int_eq(parse_ok("-0", 2), 0);
	ck_assert_int_eq(parse_ok("19.99", 2), 1999);
	ck_assert_int_eq(parse_ok("-0.05", 2), -5);
	ck_assert_int_eq(parse_ok("1.500", 2), 150);
	ck_assert_int_eq(parse_ok("1.5", 2), 150);
	ck_assert_int_eq(parse_ok("1", 2), 100);
	ck_assert_int_eq(parse_ok("007.10", 2), 710);
	ck_assert_int_eq(parse_ok("5000", 0), 5000);
	ck_assert_int_eq(parse_ok("5000.00", 0), 5000);
	ck_assert_int_eq(parse_ok("1.234", 3), 1234);
	ck_assert_int_eq(parse_ok("0.001", 3), 1);
	ck_assert_int_eq(parse_ok("5000", 2), 500000);	/* IDR */
	/* The largest representable amount. */
	ck_assert_int_eq(parse_ok("92233720368547758.07", 2), INT64_MAX);
	ck_assert_int_eq(parse_ok("-92233720368547758.07", 2), -INT64_MAX);
	ck_assert_int_eq(parse_ok("9223372036854775807", 0), INT64_MAX);
}
END_TEST

START_TEST(test_parse_refused)
{
	struct err e = { 0 };
	money_t v;

	parse_bad("1.005", 2);
	parse_bad("1.001", 2);
	parse_bad("0.5", 0);
	parse_bad("", 2);
	parse_bad(NULL, 2);
	parse_bad(" 1", 2);
	parse_bad("1 ", 2);
	parse_bad("1e3", 2);
	parse_bad("1E3", 2);
	parse_bad("NaN", 2);
	parse_bad("inf", 2);
	parse_bad(".5", 2);
	parse_bad("5.", 2);
	parse_bad("-", 2);
	parse_bad("+1", 2);
	parse_bad("--1", 2);
	parse_bad("1,000.00", 2);
	parse_bad("1.2.3", 2);
	parse_bad("0x10", 2);
	parse_bad("$1.00", 2);
	/* Overflow: one unit past INT64_MAX, in each place it can happen. */
	parse_bad("92233720368547758.08", 2);
	parse_bad("92233720368547759", 2);
	parse_bad("9223372036854775808", 0);
	parse_bad("99999999999999999999999999", 2);
	/* An exponent money cannot have. */
	ck_assert_int_eq(money_parse("1", -1, &v, "x", &e), -1);
	ck_assert_int_eq(money_parse("1", 10, &v, "x", &e), -1);
	/* The message quotes the value. */
	ck_assert_int_eq(money_parse("1.005", 2, &v, "sale_price", &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "'1.005'"));
}
END_TEST

static void fmt_is(money_t v, int exp, const char *want)
{
	char out[32];

	money_format(v, exp, out);
	ck_assert_str_eq(out, want);
}

START_TEST(test_format)
{
	fmt_is(150, 2, "1.50");
	fmt_is(-5, 2, "-0.05");
	fmt_is(0, 2, "0.00");
	fmt_is(1999, 2, "19.99");
	fmt_is(5000, 0, "5000");
	fmt_is(0, 0, "0");
	fmt_is(1, 3, "0.001");
	fmt_is(-1234, 3, "-1.234");
	fmt_is(INT64_MAX, 2, "92233720368547758.07");
	fmt_is(INT64_MIN, 2, "-92233720368547758.08");
	fmt_is(INT64_MIN, 0, "-9223372036854775808");
}
END_TEST

START_TEST(test_round_trip)
{
	static const char *const s[] = { "0.00", "19.99", "-0.05", "1.50",
					 "123456.78", "-99.01" };
	size_t i;

	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		char out[32];

		money_format(parse_ok(s[i], 2), 2, out);
		ck_assert_str_eq(out, s[i]);
	}
}
END_TEST

static money_t sum(const money_t *v, size_t n)
{
	money_t t = 0;
	size_t i;

	for (i = 0; i < n; i++)
		t += v[i];
	return t;
}

START_TEST(test_allocate_exact)
{
	money_t w3[] = { 1, 1, 1 };
	money_t w[] = { 1999, 500, 1 };
	money_t p[3];

	/* 1.00 over three equal parts: 34 + 33 + 33, the first gets the cent. */
	ck_assert_int_eq(money_allocate(100, w3, 3, p), 0);
	ck_assert_int_eq(p[0], 34);
	ck_assert_int_eq(p[1], 33);
	ck_assert_int_eq(p[2], 33);
	/* Negative totals mirror positive ones. */
	ck_assert_int_eq(money_allocate(-100, w3, 3, p), 0);
	ck_assert_int_eq(p[0], -34);
	ck_assert_int_eq(p[1], -33);
	ck_assert_int_eq(p[2], -33);
	/* Proportional with the leftover to the largest remainder:
	 * 250 * 1999/2500 = 199.9, 250*500/2500 = 50, 250*1/2500 = 0.1 */
	ck_assert_int_eq(money_allocate(250, w, 3, p), 0);
	ck_assert_int_eq(p[0], 200);
	ck_assert_int_eq(p[1], 50);
	ck_assert_int_eq(p[2], 0);
	ck_assert_int_eq(sum(p, 3), 250);
}
END_TEST

START_TEST(test_allocate_sums_always)
{
	money_t w[7], p[7];
	unsigned seed = 12345;
	int round;

	/* A deterministic pseudo-random sweep: every split sums exactly and
	 * no part strays more than one unit from its exact share. */
	for (round = 0; round < 2000; round++) {
		size_t n = 1 + (size_t)(round % 7), i;
		money_t total, sw = 0;

		seed = seed * 1103515245u + 12345u;
		total = (money_t)(seed % 100000) - 20000;
		for (i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			w[i] = (money_t)(seed % 5000);
			sw += w[i];
		}
		if (sw == 0)
			w[0] = sw = 1;
		ck_assert_int_eq(money_allocate(total, w, n, p), 0);
		ck_assert_int_eq(sum(p, n), total);
		for (i = 0; i < n; i++) {
			__int128 exact_num = (__int128)total * w[i];
			__int128 lo = (__int128)p[i] * sw - sw;
			__int128 hi = (__int128)p[i] * sw + sw;

			ck_assert(exact_num > lo && exact_num < hi);
		}
	}
}
END_TEST

START_TEST(test_allocate_big)
{
	/* |total| * weight overflows 64 bits; the split must still be exact. */
	money_t w[] = { INT64_MAX / 2, INT64_MAX / 2, 1 };
	money_t p[3];

	ck_assert_int_eq(money_allocate(INT64_MAX, w, 3, p), 0);
	ck_assert((__int128)p[0] + p[1] + p[2] == INT64_MAX);
	ck_assert_int_eq(money_allocate(INT64_MIN, w, 3, p), -1);
}
END_TEST

START_TEST(test_allocate_zero_weights)
{
	money_t w[] = { 0, 0 }, w1[] = { 0, 5, 0 };
	money_t p[3] = { 9, 9, 9 };

	ck_assert_int_eq(money_allocate(100, w, 2, p), -1);
	ck_assert_int_eq(money_allocate(0, w, 2, p), 0);
	ck_assert_int_eq(p[0], 0);
	ck_assert_int_eq(p[1], 0);
	/* Zero-weight parts get nothing. */
	ck_assert_int_eq(money_allocate(101, w1, 3, p), 0);
	ck_assert_int_eq(p[0], 0);
	ck_assert_int_eq(p[1], 101);
	ck_assert_int_eq(p[2], 0);
	/* No parts at all. */
	ck_assert_int_eq(money_allocate(0, NULL, 0, p), 0);
	ck_assert_int_eq(money_allocate(1, NULL, 0, p), -1);
}
END_TEST

START_TEST(test_allocate_negative_weight)
{
	money_t w[] = { 5, -1 };
	money_t p[2];

	ck_assert_int_eq(money_allocate(100, w, 2, p), -1);
}
END_TEST

static Suite *money_suite(void)
{
	Suite *s = suite_create("money");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_exponents);
	tcase_add_test(tc, test_parse_valid);
	tcase_add_test(tc, test_parse_refused);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_allocate_exact);
	tcase_add_test(tc, test_allocate_sums_always);
	tcase_add_test(tc, test_allocate_big);
	tcase_add_test(tc, test_allocate_zero_weights);
	tcase_add_test(tc, test_allocate_negative_weight);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(money_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
