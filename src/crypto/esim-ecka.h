/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ECKA-DH on NIST P-256 (BSI TR-03111), the key agreement of SGP.22 §2.6.4:
 * the SM-DP+ and the eUICC each make a one-time key pair (otPK/otSK.DP.ECKA,
 * otPK/otSK.EUICC.ECKA), exchange the public points as ASN.1 carries them
 * (uncompressed 04 || X || Y, tag 5F49), and both compute the shared secret
 * ShS, the X coordinate of d·Q.  pySim pySim/esim/es8p.py BoundProfilePackage.decode()
 * does the same with cryptography's ec.ECDH(), whose output is that X coordinate.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ESIM_P256_POINT_LEN  65   /* 04 || X || Y */
#define ESIM_P256_SCALAR_LEN 32
#define ESIM_ECKA_SECRET_LEN 32   /* ShS: X coordinate, big-endian */

typedef struct _EsimEckaKey EsimEckaKey;

/* A fresh one-time key pair (random scalar from gnutls_rnd(GNUTLS_RND_KEY)). */
EsimEckaKey  *esim_ecka_key_generate (GError **error);
/* A key pair from a known private scalar (1 <= d < n, big-endian, at most 32
 * bytes): for test vectors. */
EsimEckaKey  *esim_ecka_key_new_from_scalar (const guint8 *d, gsize len, GError **error);
/* Wipes the private scalar. */
void          esim_ecka_key_free (EsimEckaKey *key);
/* The public point, ESIM_P256_POINT_LEN bytes (04 || X || Y), owned by @key. */
const guint8 *esim_ecka_key_get_public (EsimEckaKey *key);

/* ShS = X(d·Q) for the peer's point @peer (65 bytes, 04 || X || Y).  The
 * point is validated first (esim_p256_point_check). */
gboolean      esim_ecka_shared_secret (EsimEckaKey *key, const guint8 *peer, gsize peer_len,
                                       guint8 secret[ESIM_ECKA_SECRET_LEN], GError **error);

/* Checks that @point is an uncompressed P-256 point that lies on the curve
 * (coordinates below p): what a receiver must do before using a peer's key. */
gboolean      esim_p256_point_check (const guint8 *point, gsize len, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimEckaKey, esim_ecka_key_free)

G_END_DECLS
