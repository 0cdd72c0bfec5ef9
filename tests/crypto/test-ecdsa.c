/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ECDSA with SGP.22's r || s signatures: the conversion to and from DER
 * (hand-written DER below), signing and verification, key import.
 */

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <string.h>

#include "esim-crypto.h"
#include "esim-ecdsa.h"
#include "esim-util.h"

static GBytes *
hex (const gchar *str)
{
	g_autoptr(GError) error = NULL;
	GBytes *bytes = esim_hex_decode (str, &error);

	g_assert_no_error (error);
	return bytes;
}

static void
check_pair (const gchar *raw_hex, const gchar *der_hex)
{
	g_autoptr(GBytes) raw = hex (raw_hex);
	g_autoptr(GBytes) der = hex (der_hex);
	g_autoptr(GBytes) got_der = NULL;
	g_autoptr(GError) error = NULL;
	guint8 got_raw[64];

	got_der = esim_ecdsa_raw_to_der (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw), &error);
	g_assert_no_error (error);
	g_assert_cmpmem (g_bytes_get_data (got_der, NULL), g_bytes_get_size (got_der), g_bytes_get_data (der, NULL),
	                 g_bytes_get_size (der));
	g_assert_true (esim_ecdsa_der_to_raw (g_bytes_get_data (der, NULL), g_bytes_get_size (der), got_raw, &error));
	g_assert_no_error (error);
	g_assert_cmpmem (got_raw, 64, g_bytes_get_data (raw, NULL), 64);
}

#define R_HIGH "F0000000000000000000000000000000000000000000000000000000000000AB"
#define S_LOW  "0000000000000000000000000000000000000000000000000000000000000001"
#define R_MID  "0000007F00000000000000000000000000000000000000000000000000000002"
#define S_MID  "00000080000000000000000000000000000000000000000000000000000000FF"

static void
test_conversion (void)
{
	/* r with its top bit set needs a leading 00; s = 1 is one byte */
	check_pair (R_HIGH S_LOW, "3026" "022100" R_HIGH "020101");
	/* leading zero bytes are dropped; 80 after the zeros needs its 00 back */
	check_pair (R_MID S_MID, "303F" "021D" "7F00000000000000000000000000000000000000000000000000000002"
	            "021E" "0080000000000000000000000000000000000000000000000000000000FF");
}

static void
test_conversion_refusals (void)
{
	const gchar *bad_der[] = {
		"3006020101020101FF",              /* trailing byte inside */
		"300602010102010100",              /* trailing byte after (length says 6) */
		"3003020101",                      /* s missing */
		"3006020180020101",                /* r negative */
		"300702020001020101",              /* r not minimal */
		"300602000201010201",              /* r empty */
		"3006020100020101",                /* r = 0 */
		"3027022201" "0000000000000000000000000000000000000000000000000000000000000000" "020101", /* 33 bytes */
		"3106020101020101",                /* SET, not SEQUENCE */
		"308106020101020101",              /* BER length form */
		"300702810101020101",              /* BER length form inside */
		"3006040101020101",                /* OCTET STRING */
		"",
	};
	guint8 zero[64] = { 0 };
	guint8 raw[64];
	GError *error = NULL;

	for (guint i = 0; i < G_N_ELEMENTS (bad_der); i++) {
		g_autoptr(GBytes) der = hex (bad_der[i]);

		g_assert_false (esim_ecdsa_der_to_raw (g_bytes_get_data (der, NULL), g_bytes_get_size (der), raw, &error));
		g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT);
		g_clear_error (&error);
	}
	g_assert_null (esim_ecdsa_raw_to_der (zero, 64, &error));
	g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT);
	g_clear_error (&error);
	g_assert_null (esim_ecdsa_raw_to_der (zero, 63, &error));
	g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT);
	g_clear_error (&error);
}

static gnutls_privkey_t
generate (gnutls_ecc_curve_t curve)
{
	gnutls_privkey_t key = NULL;

	g_assert_cmpint (gnutls_privkey_init (&key), ==, 0);
	g_assert_cmpint (gnutls_privkey_generate (key, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS (curve), 0), ==, 0);
	return key;
}

static void
test_sign_verify (void)
{
	gnutls_privkey_t key = generate (GNUTLS_ECC_CURVE_SECP256R1);
	gnutls_pubkey_t pub = NULL;
	const guint8 data[] = "euiccSigned1 goes here";
	guint8 sig[64], point[65];
	GError *error = NULL;

	g_assert_true (esim_ecdsa_sign (key, data, sizeof (data), sig, &error));
	g_assert_no_error (error);
	g_assert_cmpint (gnutls_pubkey_init (&pub), ==, 0);
	g_assert_cmpint (gnutls_pubkey_import_privkey (pub, key, 0, 0), ==, 0);
	g_assert_true (esim_ecdsa_verify (pub, data, sizeof (data), sig, sizeof (sig), &error));
	g_assert_no_error (error);
	g_assert_true (esim_ecdsa_privkey_get_point (key, point, &error));
	g_assert_no_error (error);
	g_assert_true (esim_ecdsa_verify_point (point, sizeof (point), data, sizeof (data), sig, sizeof (sig), &error));
	g_assert_no_error (error);

	/* other data, other signature, truncated signature */
	g_assert_false (esim_ecdsa_verify (pub, data, sizeof (data) - 1, sig, sizeof (sig), &error));
	g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_BAD_SIGNATURE);
	g_clear_error (&error);
	sig[40] ^= 0x01;
	g_assert_false (esim_ecdsa_verify_point (point, sizeof (point), data, sizeof (data), sig, sizeof (sig), &error));
	g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_BAD_SIGNATURE);
	g_clear_error (&error);
	g_assert_false (esim_ecdsa_verify (pub, data, sizeof (data), sig, 63, &error));
	g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT);
	g_clear_error (&error);
	/* a DER signature where r || s is expected */
	{
		guint8 fresh[64];
		g_autoptr(GBytes) der = NULL;

		g_assert_true (esim_ecdsa_sign (key, data, sizeof (data), fresh, NULL));
		der = esim_ecdsa_raw_to_der (fresh, 64, NULL);
		g_assert_false (esim_ecdsa_verify (pub, data, sizeof (data), g_bytes_get_data (der, NULL),
		                                   g_bytes_get_size (der), &error));
		g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT);
		g_clear_error (&error);
	}
	gnutls_pubkey_deinit (pub);
	gnutls_privkey_deinit (key);
}

static void
test_other_curve (void)
{
	gnutls_privkey_t key = generate (GNUTLS_ECC_CURVE_SECP384R1);
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t pem = { NULL, 0 };
	gnutls_x509_privkey_t x509 = NULL;
	guint8 sig[64] = { 1 };
	GError *error = NULL;

	g_assert_cmpint (gnutls_pubkey_init (&pub), ==, 0);
	g_assert_cmpint (gnutls_pubkey_import_privkey (pub, key, 0, 0), ==, 0);
	g_assert_false (esim_ecdsa_verify (pub, (const guint8 *) "x", 1, sig, sizeof (sig), &error));
	g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_UNSUPPORTED);
	g_clear_error (&error);
	/* import refuses a P-384 key file */
	g_assert_cmpint (gnutls_privkey_export_x509 (key, &x509), ==, 0);
	g_assert_cmpint (gnutls_x509_privkey_export2 (x509, GNUTLS_X509_FMT_PEM, &pem), ==, 0);
	g_assert_null (esim_ecdsa_privkey_import (pem.data, pem.size, "p384.pem", &error));
	g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_UNSUPPORTED);
	g_assert_nonnull (strstr (error->message, "p384.pem"));
	g_clear_error (&error);
	gnutls_free (pem.data);
	gnutls_x509_privkey_deinit (x509);
	gnutls_pubkey_deinit (pub);
	gnutls_privkey_deinit (key);
}

static void
test_key_import (void)
{
	gnutls_privkey_t key = generate (GNUTLS_ECC_CURVE_SECP256R1);
	gnutls_x509_privkey_t x509 = NULL;
	gnutls_datum_t sec1 = { NULL, 0 }, pkcs8 = { NULL, 0 }, der = { NULL, 0 };
	guint8 want[65], got[65];
	const gnutls_datum_t *forms[3];
	GError *error = NULL;

	g_assert_true (esim_ecdsa_privkey_get_point (key, want, NULL));
	g_assert_cmpint (gnutls_privkey_export_x509 (key, &x509), ==, 0);
	/* SEC1 "EC PRIVATE KEY" (SGP.26 SK_*.pem), PKCS#8 "PRIVATE KEY", and DER */
	g_assert_cmpint (gnutls_x509_privkey_export2 (x509, GNUTLS_X509_FMT_PEM, &sec1), ==, 0);
	g_assert_nonnull (g_strstr_len ((const gchar *) sec1.data, sec1.size, "EC PRIVATE KEY"));
	g_assert_cmpint (gnutls_x509_privkey_export2_pkcs8 (x509, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN, &pkcs8), ==, 0);
	g_assert_cmpint (gnutls_x509_privkey_export2 (x509, GNUTLS_X509_FMT_DER, &der), ==, 0);
	forms[0] = &sec1;
	forms[1] = &pkcs8;
	forms[2] = &der;
	for (guint i = 0; i < G_N_ELEMENTS (forms); i++) {
		gnutls_privkey_t imported = esim_ecdsa_privkey_import (forms[i]->data, forms[i]->size, "key", &error);

		g_assert_no_error (error);
		g_assert_true (esim_ecdsa_privkey_get_point (imported, got, NULL));
		g_assert_cmpmem (got, 65, want, 65);
		gnutls_privkey_deinit (imported);
	}
	/* garbage */
	g_assert_null (esim_ecdsa_privkey_import ((const guint8 *) "-----BEGIN nonsense", 19, "junk.pem", &error));
	g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT);
	g_assert_nonnull (strstr (error->message, "junk.pem"));
	g_clear_error (&error);
	gnutls_free (sec1.data);
	gnutls_free (pkcs8.data);
	gnutls_free (der.data);
	gnutls_x509_privkey_deinit (x509);
	gnutls_privkey_deinit (key);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/crypto/ecdsa/conversion", test_conversion);
	g_test_add_func ("/crypto/ecdsa/conversion-refusals", test_conversion_refusals);
	g_test_add_func ("/crypto/ecdsa/sign-verify", test_sign_verify);
	g_test_add_func ("/crypto/ecdsa/other-curve", test_other_curve);
	g_test_add_func ("/crypto/ecdsa/key-import", test_key_import);
	return g_test_run ();
}
