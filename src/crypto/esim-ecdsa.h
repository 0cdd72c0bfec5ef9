/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ECDSA on NIST P-256 with SHA-256, with signatures in the form SGP.22 puts
 * on the wire (tag 5F37): the plain r || s, 32 bytes each (BSI TR-03111),
 * never the DER ECDSA-Sig-Value of X.509 and TLS.  Conversion both ways is
 * exposed so that tests and X.509 code can move between the two.
 */
#pragma once

#include <glib.h>
#include <gnutls/abstract.h>

G_BEGIN_DECLS

#define ESIM_ECDSA_RAW_LEN 64

/* DER SEQUENCE { INTEGER r, INTEGER s } from r || s (64 bytes).  Refuses
 * r = 0 or s = 0. */
GBytes  *esim_ecdsa_raw_to_der (const guint8 *raw, gsize len, GError **error);
/* r || s from a strict DER ECDSA-Sig-Value (minimal positive INTEGERs of at
 * most 32 significant bytes, nothing after the SEQUENCE). */
gboolean esim_ecdsa_der_to_raw (const guint8 *der, gsize len, guint8 raw[ESIM_ECDSA_RAW_LEN],
                                GError **error);

/* Signs SHA-256(@data) with a P-256 key; r || s out. */
gboolean esim_ecdsa_sign (gnutls_privkey_t key, const guint8 *data, gsize len,
                          guint8 raw[ESIM_ECDSA_RAW_LEN], GError **error);
/* Verifies an r || s signature; BAD_SIGNATURE when it does not match,
 * INVALID_INPUT when it is not 64 bytes. */
gboolean esim_ecdsa_verify (gnutls_pubkey_t key, const guint8 *data, gsize len,
                            const guint8 *sig, gsize sig_len, GError **error);
/* The same with the public key given as an uncompressed P-256 point (65 bytes). */
gboolean esim_ecdsa_verify_point (const guint8 *point, gsize point_len, const guint8 *data, gsize len,
                                  const guint8 *sig, gsize sig_len, GError **error);

/* A private key from PEM (SEC1 "EC PRIVATE KEY" or PKCS#8, the forms SGP.26's
 * SK_*.pem files use) or DER; must be P-256.  @what names it in errors. */
gnutls_privkey_t esim_ecdsa_privkey_import (const guint8 *data, gsize len, const gchar *what,
                                            GError **error);
/* The same from a file (at most 64 KiB); NOT_FOUND when it is missing. */
gnutls_privkey_t esim_ecdsa_privkey_new_from_file (const gchar *path, GError **error);
/* Its public key as an uncompressed point. */
gboolean esim_ecdsa_privkey_get_point (gnutls_privkey_t key, guint8 point[65], GError **error);

G_END_DECLS
