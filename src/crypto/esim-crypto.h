/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libesim-crypto: the eSIM cryptography that the software eUICC and the test
 * servers share, and that the IPA itself never needs (it does not decrypt
 * profiles), so the core library does not link it.
 *
 *   esim-ecka.h         ECKA-DH on NIST P-256 (one-time key pairs, shared secret)
 *   esim-bsp.h          SGP.22 BSP ("SCP03t"): key derivation, encrypt+MAC / verify+decrypt
 *   esim-bpp.h          BoundProfilePackage: InitialiseSecureChannel, split, build, open
 *   esim-ecdsa.h        ECDSA P-256 with SGP.22's raw r||s signatures
 *   esim-cert.h         certificates and the role-specific chain check (eUICC→EUM→CI, DP*→CI)
 *   esim-credentials.h  an eUICC's credentials from an SGP.26-layout directory
 *
 * Every function reports failure through ESIM_CRYPTO_ERROR (below), never
 * through a crash: all of it parses bytes that come from the other party.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ESIM_CRYPTO_ERROR (esim_crypto_error_quark ())
GQuark esim_crypto_error_quark (void);

typedef enum {
	ESIM_CRYPTO_ERROR_INVALID_INPUT,   /* malformed TLV, point, signature, certificate or key */
	ESIM_CRYPTO_ERROR_UNSUPPORTED,     /* a curve, algorithm, CRT value or critical extension we lack */
	ESIM_CRYPTO_ERROR_BAD_MAC,         /* BSP C-MAC mismatch */
	ESIM_CRYPTO_ERROR_BAD_PADDING,     /* decrypted BSP block not padded as SGP.22 §2.6.4.4 says */
	ESIM_CRYPTO_ERROR_BAD_SIGNATURE,   /* ECDSA verification failed */
	ESIM_CRYPTO_ERROR_UNTRUSTED,       /* no chain to a trusted CI: issuer, key ID or signature wrong */
	ESIM_CRYPTO_ERROR_EXPIRED,         /* a certificate outside its validity period */
	/* policy OID, key usage or CA flag wrong for the role; EID outside the EUM's range */
	ESIM_CRYPTO_ERROR_WRONG_ROLE,
	ESIM_CRYPTO_ERROR_KEY_MISMATCH,    /* a private key that does not belong to its certificate */
	ESIM_CRYPTO_ERROR_NOT_FOUND,       /* a credentials file is missing */
	ESIM_CRYPTO_ERROR_SEQUENCE,        /* a BSP element out of order, or use of a session after a failure */
	ESIM_CRYPTO_ERROR_FAILED,          /* the crypto library itself failed */
} EsimCryptoError;

G_END_DECLS
