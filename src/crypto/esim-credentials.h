/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An eUICC's credentials from a directory in the SGP.26 file layout (the one
 * of GSMA's SGP.26 certificate archive and of pySim smdpp-data/certs/, and
 * what tests/servers/esim-test-pki writes):
 *
 *   CertificateIssuer/CERT_CI_ECDSA_NIST.der   the CI(s) the eUICC trusts:
 *                                              every CERT_CI_*.der / .pem there
 *                                              on NIST P-256 (others are skipped)
 *   EUM/CERT_EUM_ECDSA_NIST.der                the EUM certificate
 *   eUICC/CERT_EUICC_ECDSA_NIST.der            the eUICC certificate…
 *   eUICC/SK_EUICC_ECDSA_NIST.pem              …and its private key
 *
 * The EID is the eUICC certificate's subject serialNumber.  Each missing or
 * inconsistent file gets its own error naming the file.
 */
#pragma once

#include <glib.h>
#include <gnutls/abstract.h>

#include "esim-cert.h"
#include "esim-ecdsa.h"

G_BEGIN_DECLS

#define ESIM_CREDENTIALS_CI_DIR    "CertificateIssuer"
#define ESIM_CREDENTIALS_CI_CERT   "CertificateIssuer/CERT_CI_ECDSA_NIST.der"
#define ESIM_CREDENTIALS_EUM_CERT  "EUM/CERT_EUM_ECDSA_NIST.der"
#define ESIM_CREDENTIALS_EUICC_CERT "eUICC/CERT_EUICC_ECDSA_NIST.der"
#define ESIM_CREDENTIALS_EUICC_KEY "eUICC/SK_EUICC_ECDSA_NIST.pem"

typedef struct {
	gchar            *dir;
	GPtrArray        *ci_certs;     /* EsimCert, at least one, distinct key IDs */
	EsimCert         *eum_cert;
	EsimCert         *euicc_cert;
	gnutls_privkey_t  euicc_key;
	gchar            *eid;          /* 32 digits */
} EsimEuiccCredentials;

/*
 * Loads and checks: files present (NOT_FOUND), parseable (INVALID_INPUT),
 * key belongs to the eUICC certificate (KEY_MISMATCH), eUICC certificate
 * issued by the EUM and the EUM by one of the CIs, with the roles' policies
 * and the EID in the EUM's range (UNTRUSTED / WRONG_ROLE, see
 * esim_cert_verify_chain).  Validity periods are not checked: a card has no
 * clock, and the SM-DP+ checks them.
 */
EsimEuiccCredentials *esim_euicc_credentials_load (const gchar *dir, GError **error);
void                  esim_euicc_credentials_free (EsimEuiccCredentials *creds);
/* SubjectKeyIdentifier of each CI (GBytes): euiccCiPKIdListForVerification/-Signing. */
GPtrArray            *esim_euicc_credentials_dup_ci_pkids (EsimEuiccCredentials *creds);
/* euiccSignature1/2, notifications: r || s with the eUICC key. */
gboolean              esim_euicc_credentials_sign (EsimEuiccCredentials *creds, const guint8 *data,
                                                   gsize len, guint8 signature[ESIM_ECDSA_RAW_LEN],
                                                   GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimEuiccCredentials, esim_euicc_credentials_free)

G_END_DECLS
