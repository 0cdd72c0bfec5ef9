/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ECKA-DH with nettle/hogweed (gnutls 3.7 has no public ECDH primitive).
 * Scalars and coordinates cross the GMP boundary as big-endian bytes.
 */

#define G_LOG_DOMAIN "esim-crypto"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <nettle/bignum.h>
#include <nettle/ecc-curve.h>
#include <nettle/ecc.h>
#include <string.h>

#include "esim-crypto.h"
#include "esim-ecka.h"

struct _EsimEckaKey {
	struct ecc_scalar d;
	guint8            public_point[ESIM_P256_POINT_LEN];
};

/* Reads a big-endian 32-byte coordinate into a fresh mpz. */
static void
mpz_from_be (mpz_t out, const guint8 *data, gsize len)
{
	mpz_init (out);
	nettle_mpz_set_str_256_u (out, len, data);
}

/* Writes an mpz below 2^256 as exactly 32 big-endian bytes. */
static void
mpz_to_be32 (const mpz_t value, guint8 out[32])
{
	nettle_mpz_get_str_256 (32, out, value);
}

static gboolean
point_import (const guint8 *point, gsize len, struct ecc_point *out, GError **error)
{
	mpz_t x, y;
	int ok;

	if (len != ESIM_P256_POINT_LEN || point[0] != 0x04) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		             "P-256 public key must be an uncompressed point of %d bytes (04 || X || Y), got %"
		             G_GSIZE_FORMAT " bytes%s", ESIM_P256_POINT_LEN, len,
		             len > 0 && point[0] != 0x04 ? " not starting with 04" : "");
		return FALSE;
	}
	mpz_from_be (x, point + 1, 32);
	mpz_from_be (y, point + 33, 32);
	ecc_point_init (out, nettle_get_secp_256r1 ());
	/* ecc_point_set rejects coordinates >= p and points off the curve */
	ok = ecc_point_set (out, x, y);
	mpz_clear (x);
	mpz_clear (y);
	if (!ok) {
		ecc_point_clear (out);
		g_set_error_literal (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		                     "P-256 public key is not a point on the curve");
		return FALSE;
	}
	return TRUE;
}

gboolean
esim_p256_point_check (const guint8 *point, gsize len, GError **error)
{
	struct ecc_point p;

	g_return_val_if_fail (point != NULL || len == 0, FALSE);
	if (!point_import (point, len, &p, error))
		return FALSE;
	ecc_point_clear (&p);
	return TRUE;
}

static void
point_export (const struct ecc_point *p, guint8 out[ESIM_P256_POINT_LEN])
{
	mpz_t x, y;

	mpz_init (x);
	mpz_init (y);
	ecc_point_get (p, x, y);
	out[0] = 0x04;
	mpz_to_be32 (x, out + 1);
	mpz_to_be32 (y, out + 33);
	mpz_clear (x);
	mpz_clear (y);
}

void
esim_ecka_key_free (EsimEckaKey *key)
{
	if (key == NULL)
		return;
	/* overwrite the scalar's limbs (one coordinate's size) before nettle frees them */
	memset (key->d.p, 0, ecc_size (nettle_get_secp_256r1 ()) * sizeof (mp_limb_t));
	ecc_scalar_clear (&key->d);
	g_free (key);
}

/* Sets @key's scalar from @d (range already checked) and computes its public point. */
static EsimEckaKey *
key_new (const mpz_t d)
{
	EsimEckaKey *key = g_new0 (EsimEckaKey, 1);
	struct ecc_point pub;

	ecc_scalar_init (&key->d, nettle_get_secp_256r1 ());
	(void) ecc_scalar_set (&key->d, d);
	ecc_point_init (&pub, nettle_get_secp_256r1 ());
	ecc_point_mul_g (&pub, &key->d);
	point_export (&pub, key->public_point);
	ecc_point_clear (&pub);
	return key;
}

/* 1 <= d < n, the range ecc_scalar_set accepts. */
static gboolean
scalar_in_range (const mpz_t d)
{
	struct ecc_scalar probe;
	gboolean ok;

	ecc_scalar_init (&probe, nettle_get_secp_256r1 ());
	ok = ecc_scalar_set (&probe, d) != 0;
	ecc_scalar_clear (&probe);
	return ok;
}

EsimEckaKey *
esim_ecka_key_new_from_scalar (const guint8 *d, gsize len, GError **error)
{
	EsimEckaKey *key;
	mpz_t z;

	g_return_val_if_fail (d != NULL || len == 0, NULL);
	if (len == 0 || len > ESIM_P256_SCALAR_LEN) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		             "P-256 private key must be 1 to 32 bytes, got %" G_GSIZE_FORMAT, len);
		return NULL;
	}
	mpz_from_be (z, d, len);
	if (!scalar_in_range (z)) {
		mpz_clear (z);
		g_set_error_literal (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		                     "P-256 private key is not in [1, n-1]");
		return NULL;
	}
	key = key_new (z);
	mpz_clear (z);
	return key;
}

EsimEckaKey *
esim_ecka_key_generate (GError **error)
{
	/* rejection sampling: n is close to 2^256, so a retry is rare */
	for (guint attempt = 0; attempt < 64; attempt++) {
		guint8 buf[ESIM_P256_SCALAR_LEN];
		EsimEckaKey *key = NULL;
		mpz_t z;
		int rc = gnutls_rnd (GNUTLS_RND_KEY, buf, sizeof (buf));

		if (rc < 0) {
			g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_FAILED,
			             "no random numbers for a one-time key: %s", gnutls_strerror (rc));
			return NULL;
		}
		mpz_from_be (z, buf, sizeof (buf));
		memset (buf, 0, sizeof (buf));
		if (scalar_in_range (z))
			key = key_new (z);
		mpz_clear (z);
		if (key != NULL)
			return key;
	}
	g_set_error_literal (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_FAILED,
	                     "could not draw a P-256 private key");
	return NULL;
}

const guint8 *
esim_ecka_key_get_public (EsimEckaKey *key)
{
	g_return_val_if_fail (key != NULL, NULL);
	return key->public_point;
}

gboolean
esim_ecka_shared_secret (EsimEckaKey *key, const guint8 *peer, gsize peer_len,
                         guint8 secret[ESIM_ECKA_SECRET_LEN], GError **error)
{
	struct ecc_point q, r;
	guint8 product[ESIM_P256_POINT_LEN];

	g_return_val_if_fail (key != NULL, FALSE);
	g_return_val_if_fail (peer != NULL || peer_len == 0, FALSE);

	if (!point_import (peer, peer_len, &q, error))
		return FALSE;
	/* P-256 has cofactor 1 and d is in [1, n-1]: d·Q of a curve point is never
	 * the point at infinity */
	ecc_point_init (&r, nettle_get_secp_256r1 ());
	ecc_point_mul (&r, &key->d, &q);
	point_export (&r, product);
	memcpy (secret, product + 1, ESIM_ECKA_SECRET_LEN);
	memset (product, 0, sizeof (product));
	ecc_point_clear (&r);
	ecc_point_clear (&q);
	return TRUE;
}
