/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ECKA-DH on P-256 against RFC 5903 §8.1 (the same vector is used by ring,
 * mbedTLS and others), and the point checks a receiver must make.
 */

#include <string.h>

#include "esim-crypto.h"
#include "esim-ecka.h"
#include "esim-util.h"

/* RFC 5903 §8.1, 256-bit random ECP group */
#define RFC5903_I   "C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433"
#define RFC5903_GI  "04DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C3772581180" \
                    "5271A0461CDB8252D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3"
#define RFC5903_R   "C6EF9C5D78AE012A011164ACB397CE2088685D8F06BF9BE0B283AB46476BEE53"
#define RFC5903_GR  "04D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63" \
                    "56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB"
#define RFC5903_GIRX "D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE"
/* P-256 order n */
#define P256_N      "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551"

static GBytes *
hex (const gchar *str)
{
	g_autoptr(GError) error = NULL;
	GBytes *bytes = esim_hex_decode (str, &error);

	g_assert_no_error (error);
	return bytes;
}

static EsimEckaKey *
key_from_hex (const gchar *scalar)
{
	g_autoptr(GBytes) d = hex (scalar);
	g_autoptr(GError) error = NULL;
	EsimEckaKey *key = esim_ecka_key_new_from_scalar (g_bytes_get_data (d, NULL), g_bytes_get_size (d), &error);

	g_assert_no_error (error);
	return key;
}

static void
assert_hex (const guint8 *data, gsize len, const gchar *expected)
{
	g_autofree gchar *got = esim_hex_encode (data, len);

	g_assert_cmpstr (got, ==, expected);
}

static void
test_rfc5903 (void)
{
	g_autoptr(EsimEckaKey) i = key_from_hex (RFC5903_I);
	g_autoptr(EsimEckaKey) r = key_from_hex (RFC5903_R);
	g_autoptr(GError) error = NULL;
	guint8 z1[32], z2[32];

	assert_hex (esim_ecka_key_get_public (i), 65, RFC5903_GI);
	assert_hex (esim_ecka_key_get_public (r), 65, RFC5903_GR);
	g_assert_true (esim_ecka_shared_secret (i, esim_ecka_key_get_public (r), 65, z1, &error));
	g_assert_no_error (error);
	g_assert_true (esim_ecka_shared_secret (r, esim_ecka_key_get_public (i), 65, z2, &error));
	g_assert_no_error (error);
	/* ShS is the X coordinate of the shared point */
	assert_hex (z1, 32, RFC5903_GIRX);
	assert_hex (z2, 32, RFC5903_GIRX);
}

static void
test_generated (void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimEckaKey) a = esim_ecka_key_generate (&error);
	g_autoptr(EsimEckaKey) b = NULL;
	guint8 z1[32], z2[32];

	g_assert_no_error (error);
	b = esim_ecka_key_generate (&error);
	g_assert_no_error (error);
	g_assert_true (esim_p256_point_check (esim_ecka_key_get_public (a), 65, NULL));
	g_assert_true (memcmp (esim_ecka_key_get_public (a), esim_ecka_key_get_public (b), 65) != 0);
	g_assert_true (esim_ecka_shared_secret (a, esim_ecka_key_get_public (b), 65, z1, NULL));
	g_assert_true (esim_ecka_shared_secret (b, esim_ecka_key_get_public (a), 65, z2, NULL));
	g_assert_cmpmem (z1, 32, z2, 32);
}

static void
assert_bad_point (const guint8 *point, gsize len)
{
	g_autoptr(EsimEckaKey) key = key_from_hex (RFC5903_I);
	GError *error = NULL;
	guint8 z[32];

	g_assert_false (esim_p256_point_check (point, len, &error));
	g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT);
	g_clear_error (&error);
	g_assert_false (esim_ecka_shared_secret (key, point, len, z, &error));
	g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT);
	g_clear_error (&error);
}

static void
test_bad_points (void)
{
	g_autoptr(GBytes) good = hex (RFC5903_GR);
	guint8 point[65];

	memcpy (point, g_bytes_get_data (good, NULL), 65);
	g_assert_true (esim_p256_point_check (point, 65, NULL));

	/* off the curve: Y changed */
	point[64] ^= 1;
	assert_bad_point (point, 65);
	point[64] ^= 1;
	/* compressed form, or no form byte */
	point[0] = 0x02;
	assert_bad_point (point, 33);
	assert_bad_point (point, 65);
	point[0] = 0x04;
	assert_bad_point (point + 1, 64);
	/* too short, too long, empty */
	assert_bad_point (point, 64);
	{
		guint8 longer[66] = { 0 };

		memcpy (longer, point, 65);
		assert_bad_point (longer, 66);
	}
	assert_bad_point (point, 0);
	/* X = p (not below the field prime), the point at "0,0" */
	{
		g_autoptr(GBytes) p = hex ("04FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF"
		                           "0000000000000000000000000000000000000000000000000000000000000000");
		guint8 zero[65] = { 0x04 };

		assert_bad_point (g_bytes_get_data (p, NULL), 65);
		assert_bad_point (zero, 65);
	}
}

static void
test_bad_scalars (void)
{
	g_autoptr(GBytes) n = hex (P256_N);
	guint8 zero[32] = { 0 };
	guint8 big[33] = { 1 };
	GError *error = NULL;

	g_assert_null (esim_ecka_key_new_from_scalar (zero, sizeof (zero), &error));
	g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT);
	g_clear_error (&error);
	g_assert_null (esim_ecka_key_new_from_scalar (g_bytes_get_data (n, NULL), 32, &error));
	g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT);
	g_clear_error (&error);
	g_assert_null (esim_ecka_key_new_from_scalar (big, sizeof (big), &error));
	g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT);
	g_clear_error (&error);
	/* n - 1 is the largest valid scalar; 1 the smallest (its point is G) */
	{
		guint8 n1[32];
		guint8 one = 1;
		g_autoptr(EsimEckaKey) k1 = NULL;
		g_autoptr(EsimEckaKey) g = NULL;

		memcpy (n1, g_bytes_get_data (n, NULL), 32);
		n1[31] -= 1;
		k1 = esim_ecka_key_new_from_scalar (n1, sizeof (n1), &error);
		g_assert_no_error (error);
		g = esim_ecka_key_new_from_scalar (&one, 1, &error);
		g_assert_no_error (error);
		assert_hex (esim_ecka_key_get_public (g), 65,
		            "046B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296"
		            "4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5");
	}
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/crypto/ecka/rfc5903", test_rfc5903);
	g_test_add_func ("/crypto/ecka/generated", test_generated);
	g_test_add_func ("/crypto/ecka/bad-points", test_bad_points);
	g_test_add_func ("/crypto/ecka/bad-scalars", test_bad_scalars);
	return g_test_run ();
}
