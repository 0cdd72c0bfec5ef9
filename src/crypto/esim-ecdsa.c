/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ECDSA P-256 through gnutls's abstract keys; the r || s <-> DER conversion is
 * ours (strict, so a signature has exactly one accepted encoding).
 */

#define G_LOG_DOMAIN "esim-crypto"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <string.h>

#include "esim-crypto-private.h"
#include "esim-crypto.h"
#include "esim-der.h"
#include "esim-ecdsa.h"
#include "esim-ecka.h"

#define SCALAR_LEN 32

/* Appends one INTEGER holding the unsigned big-endian @scalar. */
static gboolean
put_scalar (EsimDerWriter *writer, const guint8 *scalar, const gchar *name, GError **error)
{
	guint8 buf[SCALAR_LEN + 1];
	gsize skip = 0;

	while (skip < SCALAR_LEN && scalar[skip] == 0)
		skip++;
	if (skip == SCALAR_LEN) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		             "ECDSA signature has %s = 0", name);
		return FALSE;
	}
	/* a leading 00 keeps a magnitude with its top bit set positive */
	buf[0] = 0;
	memcpy (buf + 1, scalar + skip, SCALAR_LEN - skip);
	if (scalar[skip] & 0x80)
		esim_der_writer_put (writer, 0x02, buf, SCALAR_LEN - skip + 1);
	else
		esim_der_writer_put (writer, 0x02, buf + 1, SCALAR_LEN - skip);
	return TRUE;
}

GBytes *
esim_ecdsa_raw_to_der (const guint8 *raw, gsize len, GError **error)
{
	g_autoptr(EsimDerWriter) writer = NULL;

	g_return_val_if_fail (raw != NULL || len == 0, NULL);
	if (len != ESIM_ECDSA_RAW_LEN) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		             "ECDSA P-256 signature must be 64 bytes (r || s), got %" G_GSIZE_FORMAT, len);
		return NULL;
	}
	writer = esim_der_writer_new ();
	esim_der_writer_begin (writer, 0x30);
	if (!put_scalar (writer, raw, "r", error) || !put_scalar (writer, raw + SCALAR_LEN, "s", error))
		return NULL;
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

/* Copies a minimal positive INTEGER right-aligned into 32 bytes. */
static gboolean
get_scalar (EsimTlvIter *iter, guint8 out[SCALAR_LEN], const gchar *name, GError **error)
{
	EsimTlv tlv;
	const guint8 *p;
	gsize n;

	/* at most 33 bytes: DER has the one-byte length form only */
	if (!esim_tlv_iter_next (iter, &tlv, NULL) || tlv.tag != 0x02 || tlv.len == 0 ||
	    tlv.value - tlv.raw != 2) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		             "ECDSA signature: %s is not an INTEGER", name);
		return FALSE;
	}
	p = tlv.value;
	n = tlv.len;
	if (p[0] & 0x80) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		             "ECDSA signature: %s is negative", name);
		return FALSE;
	}
	if (n > 1 && p[0] == 0 && !(p[1] & 0x80)) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		             "ECDSA signature: %s is not minimally encoded", name);
		return FALSE;
	}
	if (p[0] == 0) {
		p++;
		n--;
	}
	if (n == 0 || n > SCALAR_LEN) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		             "ECDSA signature: %s is zero or longer than 32 bytes", name);
		return FALSE;
	}
	memset (out, 0, SCALAR_LEN);
	memcpy (out + SCALAR_LEN - n, p, n);
	return TRUE;
}

gboolean
esim_ecdsa_der_to_raw (const guint8 *der, gsize len, guint8 raw[ESIM_ECDSA_RAW_LEN], GError **error)
{
	g_autoptr(GError) local_error = NULL;
	EsimTlv seq, extra;
	EsimTlvIter iter;

	g_return_val_if_fail (der != NULL || len == 0, FALSE);
	if (!esim_tlv_parse_tagged (der, len, 0x30, &seq, &local_error)) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		             "ECDSA signature is not a DER SEQUENCE: %s", local_error->message);
		return FALSE;
	}
	if (seq.value - seq.raw != 2) {
		g_set_error_literal (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		                     "ECDSA signature: length not in DER form");
		return FALSE;
	}
	esim_tlv_iter_init (&iter, &seq);
	if (!get_scalar (&iter, raw, "r", error) || !get_scalar (&iter, raw + SCALAR_LEN, "s", error))
		return FALSE;
	if (esim_tlv_iter_next (&iter, &extra, NULL) || iter.pos != iter.end) {
		g_set_error_literal (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		                     "ECDSA signature: data after s");
		return FALSE;
	}
	return TRUE;
}

/* The curve of an ECDSA key must be P-256. */
static gboolean
check_curve (gnutls_ecc_curve_t curve, int pk, const gchar *what, GError **error)
{
	if (pk != GNUTLS_PK_ECDSA || curve != GNUTLS_ECC_CURVE_SECP256R1) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_UNSUPPORTED,
		             "%s is not an ECDSA NIST P-256 key (only P-256 is supported)", what);
		return FALSE;
	}
	return TRUE;
}

gboolean
esim_ecdsa_sign (gnutls_privkey_t key, const guint8 *data, gsize len, guint8 raw[ESIM_ECDSA_RAW_LEN],
                 GError **error)
{
	gnutls_datum_t in = { (unsigned char *) data, (unsigned int) len };
	gnutls_datum_t sig = { NULL, 0 };
	gboolean ok;

	g_return_val_if_fail (key != NULL, FALSE);
	g_return_val_if_fail (data != NULL || len == 0, FALSE);

	if (!esim_crypto_gnutls_ok (gnutls_privkey_sign_data (key, GNUTLS_DIG_SHA256, 0, &in, &sig),
	                            "cannot sign", error))
		return FALSE;
	ok = esim_ecdsa_der_to_raw (sig.data, sig.size, raw, error);
	gnutls_free (sig.data);
	return ok;
}

gboolean
esim_ecdsa_verify (gnutls_pubkey_t key, const guint8 *data, gsize len, const guint8 *sig, gsize sig_len,
                   GError **error)
{
	gnutls_datum_t in = { (unsigned char *) data, (unsigned int) len };
	gnutls_datum_t der_datum;
	g_autoptr(GBytes) der = NULL;
	gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
	int rc;

	g_return_val_if_fail (key != NULL, FALSE);
	g_return_val_if_fail (data != NULL || len == 0, FALSE);
	g_return_val_if_fail (sig != NULL || sig_len == 0, FALSE);

	rc = gnutls_pubkey_export_ecc_raw2 (key, &curve, NULL, NULL, 0);
	if (!check_curve (rc < 0 ? GNUTLS_ECC_CURVE_INVALID : curve,
	                  gnutls_pubkey_get_pk_algorithm (key, NULL), "signer key", error))
		return FALSE;
	der = esim_ecdsa_raw_to_der (sig, sig_len, error);
	if (der == NULL)
		return FALSE;
	der_datum.data = (unsigned char *) g_bytes_get_data (der, NULL);
	der_datum.size = (unsigned int) g_bytes_get_size (der);
	rc = gnutls_pubkey_verify_data2 (key, GNUTLS_SIGN_ECDSA_SHA256, 0, &in, &der_datum);
	if (rc == GNUTLS_E_PK_SIG_VERIFY_FAILED) {
		g_set_error_literal (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_BAD_SIGNATURE,
		                     "ECDSA signature does not verify");
		return FALSE;
	}
	return esim_crypto_gnutls_ok (rc, "cannot verify signature", error);
}

gboolean
esim_ecdsa_verify_point (const guint8 *point, gsize point_len, const guint8 *data, gsize len,
                         const guint8 *sig, gsize sig_len, GError **error)
{
	gnutls_pubkey_t key = NULL;
	gnutls_datum_t x, y;
	gboolean ok;

	g_return_val_if_fail (point != NULL || point_len == 0, FALSE);
	if (!esim_p256_point_check (point, point_len, error))
		return FALSE;
	x.data = (unsigned char *) point + 1;
	x.size = SCALAR_LEN;
	y.data = (unsigned char *) point + 1 + SCALAR_LEN;
	y.size = SCALAR_LEN;
	if (!esim_crypto_gnutls_ok (gnutls_pubkey_init (&key), "cannot create key", error))
		return FALSE;
	ok = esim_crypto_gnutls_ok (gnutls_pubkey_import_ecc_raw (key, GNUTLS_ECC_CURVE_SECP256R1, &x, &y),
	                "cannot import public key", error) &&
	     esim_ecdsa_verify (key, data, len, sig, sig_len, error);
	gnutls_pubkey_deinit (key);
	return ok;
}

gnutls_privkey_t
esim_ecdsa_privkey_import (const guint8 *data, gsize len, const gchar *what, GError **error)
{
	gnutls_privkey_t key = NULL;
	gnutls_datum_t datum = { (unsigned char *) data, (unsigned int) len };
	gnutls_x509_crt_fmt_t format = GNUTLS_X509_FMT_DER;
	gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
	int rc;

	g_return_val_if_fail (data != NULL || len == 0, NULL);
	g_return_val_if_fail (what != NULL, NULL);

	if (len >= 10 && g_strstr_len ((const gchar *) data, (gssize) len, "-----BEGIN") != NULL)
		format = GNUTLS_X509_FMT_PEM;
	if (!esim_crypto_gnutls_ok (gnutls_privkey_init (&key), "cannot create key", error))
		return NULL;
	rc = gnutls_privkey_import_x509_raw (key, &datum, format, NULL, 0);
	if (rc < 0) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		             "%s is not a private key: %s", what, gnutls_strerror (rc));
		gnutls_privkey_deinit (key);
		return NULL;
	}
	rc = gnutls_privkey_export_ecc_raw2 (key, &curve, NULL, NULL, NULL, 0);
	if (!check_curve (rc < 0 ? GNUTLS_ECC_CURVE_INVALID : curve,
	                  gnutls_privkey_get_pk_algorithm (key, NULL), what, error)) {
		gnutls_privkey_deinit (key);
		return NULL;
	}
	return key;
}

gnutls_privkey_t
esim_ecdsa_privkey_new_from_file (const gchar *path, GError **error)
{
	g_autofree guint8 *data = NULL;
	gsize len = 0;
	gnutls_privkey_t key;

	g_return_val_if_fail (path != NULL, NULL);
	if (!esim_crypto_read_file (path, 64 * 1024, &data, &len, error))
		return NULL;
	key = esim_ecdsa_privkey_import (data, len, path, error);
	memset (data, 0, len);
	return key;
}

gboolean
esim_ecdsa_privkey_get_point (gnutls_privkey_t key, guint8 point[65], GError **error)
{
	gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
	gnutls_datum_t x = { NULL, 0 }, y = { NULL, 0 };
	gboolean ok;
	int rc;

	g_return_val_if_fail (key != NULL, FALSE);
	rc = gnutls_privkey_export_ecc_raw2 (key, &curve, &x, &y, NULL, 0);
	if (!esim_crypto_gnutls_ok (rc, "cannot read public key", error))
		return FALSE;
	point[0] = 0x04;
	ok = curve == GNUTLS_ECC_CURVE_SECP256R1 && esim_crypto_copy_unsigned (&x, point + 1, SCALAR_LEN) &&
	     esim_crypto_copy_unsigned (&y, point + 1 + SCALAR_LEN, SCALAR_LEN);
	gnutls_free (x.data);
	gnutls_free (y.data);
	if (!ok)
		g_set_error_literal (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_UNSUPPORTED,
		                     "key is not on NIST P-256");
	return ok;
}
