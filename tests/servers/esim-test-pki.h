/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A test PKI for the lab and the tests: fresh keys at every run, written in
 * the SGP.26 file layout, with the certificate profiles of the SGP.26 test
 * certificates (extensions and criticality as pySim
 * contrib/generate_smdpp_certs.py reproduces them from
 * SGP.26_v1.5_Certificates_18_07_2024.zip; policy OIDs of SGP.22
 * RSPDefinitions id-rspRole-*).  Only names, serial numbers and the keys
 * differ from SGP.26: this CI is ours, and its private key is a test-only
 * secret written next to it.
 *
 * esim_test_pki_write() writes, under DIR:
 *   CertificateIssuer/CERT_CI_ECDSA_NIST.der, .pem
 *   CertificateIssuer/TEST_ONLY_SECRET_SK_CI_ECDSA_NIST.pem
 *   EUM/CERT_EUM_ECDSA_NIST.der, SK_EUM_ECDSA_NIST.pem
 *   eUICC/CERT_EUICC_ECDSA_NIST.der, SK_EUICC_ECDSA_NIST.pem
 *   DPauth/CERT_S_SM_DPauth_ECDSA_NIST.der, SK_S_SM_DPauth_ECDSA_NIST.pem
 *   DPpb/CERT_S_SM_DPpb_ECDSA_NIST.der, SK_S_SM_DPpb_ECDSA_NIST.pem
 *   DPtls/CERT_S_SM_DP_TLS_NIST.der, .pem, SK_S_SM_DP_TLS_NIST.pem
 * and on request the fault cases, in the same layout below a subdirectory:
 *   Expired/DPauth/…, Expired/DPtls/…    signed by the CI, expired in 2021
 *   ForeignCI/CertificateIssuer/…, ForeignCI/DPauth/…, ForeignCI/DPpb/…,
 *   ForeignCI/DPtls/…                    a second CI no eUICC here trusts
 * Private keys are SEC1 PEM ("EC PRIVATE KEY") with mode 0600.
 */
#pragma once

#include <glib.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#include "esim-cert.h"

G_BEGIN_DECLS

#define ESIM_TEST_PKI_EID_PREFIX   "89049032"   /* SGP.26's EUM range */
#define ESIM_TEST_PKI_SMDP_OID     "2.999.10"   /* SGP.26 TEST SM-DP+ registeredID */
#define ESIM_TEST_PKI_CI_SECRET    "CertificateIssuer/TEST_ONLY_SECRET_SK_CI_ECDSA_NIST.pem"

/* ---- single certificates ---- */

typedef struct {
	const gchar *common_name;
	const gchar *organization;
	const gchar *country;          /* NULL: none */
	const gchar *eid;              /* eUICC: subject serialNumber */
	const gchar *eid_prefix;       /* EUM: permitted serialNumber prefix (critical nameConstraints) */
	const gchar *dns_name;         /* TLS roles: subjectAltName dNSName */
	const gchar *registered_id;    /* subjectAltName registeredID */
	gint64       not_before;       /* unix seconds; 0: 2020-04-01 */
	gint64       not_after;        /* 0: 2055-04-01; -1: 99991231235959Z */
	guint32      serial;           /* 0: 1 */
	gboolean     omit_policy;      /* for fault tests: no certificate policy */
	const gchar *critical_oid;     /* for fault tests: an unknown critical extension */
} EsimTestPkiCertParams;

typedef struct _EsimTestPkiCert EsimTestPkiCert;

/* A fresh P-256 key and its certificate for @role, issued by @issuer (NULL:
 * self-signed, for a CI). */
EsimTestPkiCert   *esim_test_pki_cert_new (EsimCertRole role, const EsimTestPkiCertParams *params,
                                           EsimTestPkiCert *issuer, GError **error);
void               esim_test_pki_cert_free (EsimTestPkiCert *cert);
GBytes            *esim_test_pki_cert_get_der (EsimTestPkiCert *cert);      /* owned */
gnutls_x509_crt_t  esim_test_pki_cert_get_x509 (EsimTestPkiCert *cert);     /* owned */
gnutls_privkey_t   esim_test_pki_cert_get_key (EsimTestPkiCert *cert);      /* owned */
/* Writes DIR/@cert_name (DER; and .pem beside it when @also_pem, the name's
 * .der replaced) and DIR/@key_name (PEM, 0600) when @key_name is not NULL. */
gboolean           esim_test_pki_cert_write (EsimTestPkiCert *cert, const gchar *dir,
                                             const gchar *cert_name, gboolean also_pem,
                                             const gchar *key_name, GError **error);

/* ---- the whole tree ---- */

typedef struct {
	const gchar *smdp_host;    /* DPtls dNSName, required */
	const gchar *eid;          /* NULL: a fresh valid EID in ESIM_TEST_PKI_EID_PREFIX */
	gboolean     expired;      /* also write Expired/ */
	gboolean     foreign_ci;   /* also write ForeignCI/ */
} EsimTestPkiOptions;

/* Writes the tree under @dir (created as needed, files overwritten).
 * *@eid_out (optional) gets the EID used. */
gboolean esim_test_pki_write (const gchar *dir, const EsimTestPkiOptions *options, gchar **eid_out,
                              GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimTestPkiCert, esim_test_pki_cert_free)

G_END_DECLS
