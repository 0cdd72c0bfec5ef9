/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Certificates of the eSIM PKI and the chain check each role needs.
 *
 * Why not gnutls_x509_trust_list_verify_crt() here: the SGP.26 EUM test
 * certificate carries a critical nameConstraints extension whose permitted
 * directoryName {O, serialNumber = EIN prefix} SGP.22 means as "the EID
 * starts with this prefix", which generic RFC 5280 validators cannot apply,
 * so OpenSSL and Go reject the genuine eUICC → EUM → CI chain although every
 * signature is right (shared/reference/sgp32-digest.md, "Fourth pass"; Bouncy
 * Castle carries a test for exactly that chain, bcgit/bc-java
 * prov/src/test/java/org/bouncycastle/jce/provider/test/CertPathValidatorTest.java
 * constraintTest()), while gnutls 3.7 skips directoryName constraints and so
 * enforces no EID range at all; none of them knows the eSIM roles.  So eSIM
 * chains take a path specific to their role:
 * signatures (ecdsa-with-SHA256 over the TBS), issuer/subject names, key
 * identifiers (AKI = issuer's SKI), validity, the role's certificate policy
 * OID (SGP.22 RSPDefinitions id-rspRole-*), key usage, CA flag, and for an
 * eUICC the EID inside the EUM's permitted range.  TLS servers keep generic
 * gnutls validation.
 */
#pragma once

#include <glib.h>
#include <gnutls/x509.h>

G_BEGIN_DECLS

/* Roles and their certificate policy OIDs, id-rspRole = 2.23.146.1.2.1
 * (SGP.22 RSPDefinitions; the same values in pySim
 * contrib/generate_smdpp_certs.py and the SGP.26 certificates). */
typedef enum {
	ESIM_CERT_ROLE_CI,       /* 2.23.146.1.2.1.0 */
	ESIM_CERT_ROLE_EUICC,    /* 2.23.146.1.2.1.1 */
	ESIM_CERT_ROLE_EUM,      /* 2.23.146.1.2.1.2 */
	ESIM_CERT_ROLE_DP_TLS,   /* 2.23.146.1.2.1.3 */
	ESIM_CERT_ROLE_DP_AUTH,  /* 2.23.146.1.2.1.4 */
	ESIM_CERT_ROLE_DP_PB,    /* 2.23.146.1.2.1.5 */
	ESIM_CERT_ROLE_DS_TLS,   /* 2.23.146.1.2.1.6 */
	ESIM_CERT_ROLE_DS_AUTH,  /* 2.23.146.1.2.1.7 */
} EsimCertRole;

const gchar *esim_cert_role_policy_oid (EsimCertRole role);
const gchar *esim_cert_role_name (EsimCertRole role);   /* "eUICC", "DPauth"… */

/* Validity is checked at this time (unix seconds), or now, or not at all
 * (a card has no trusted clock; the caller decides). */
#define ESIM_CERT_TIME_NOW    ((gint64) -1)
#define ESIM_CERT_TIME_IGNORE G_MININT64

typedef struct _EsimCert EsimCert;

/* One X.509 certificate, parsed once.  Refcounted, immutable. */
EsimCert        *esim_cert_new_from_der (const guint8 *der, gsize len, GError **error);
/* DER or PEM (first certificate), as SGP.26 ships both. */
EsimCert        *esim_cert_new_from_data (const guint8 *data, gsize len, GError **error);
EsimCert        *esim_cert_new_from_file (const gchar *path, GError **error);
EsimCert        *esim_cert_ref (EsimCert *cert);
void             esim_cert_unref (EsimCert *cert);

GBytes          *esim_cert_get_der (EsimCert *cert);                /* owned by @cert */
gnutls_x509_crt_t esim_cert_get_x509 (EsimCert *cert);              /* owned by @cert */
/* SubjectKeyIdentifier / AuthorityKeyIdentifier keyIdentifier; NULL if absent.
 * A CI's SKI is the key ID an eUICC lists (euiccCiPKIdList…). */
GBytes          *esim_cert_get_subject_key_id (EsimCert *cert);     /* owned by @cert */
GBytes          *esim_cert_get_authority_key_id (EsimCert *cert);   /* owned by @cert */
/* Subject serialNumber (2.5.4.5): the EID of an eUICC certificate. */
gchar           *esim_cert_dup_subject_serial_number (EsimCert *cert);
/* First registeredID of the subjectAltName, dotted: the SM-DP+ OID of a DPauth
 * or DPpb certificate (smdpOid of ProfileInstallationResult, CancelSession). */
gchar           *esim_cert_dup_registered_id (EsimCert *cert);
gchar           *esim_cert_dup_subject_dn (EsimCert *cert);
gboolean         esim_cert_has_policy (EsimCert *cert, const gchar *oid);
/* Public key as an uncompressed P-256 point; UNSUPPORTED for other curves. */
gboolean         esim_cert_get_public_point (EsimCert *cert, guint8 point[65], GError **error);
/* Verifies an SGP.22 r || s signature over @data with the certificate's key. */
gboolean         esim_cert_verify_signature (EsimCert *cert, const guint8 *data, gsize len,
                                             const guint8 *sig, gsize sig_len, GError **error);
/* TRUE when @key's public key is the certificate's (KEY_MISMATCH otherwise). */
gboolean         esim_cert_matches_key (EsimCert *cert, gnutls_privkey_t key, GError **error);

/* The role's profile on one certificate, without its issuer: policy OID, key
 * usage, CA flag, TLS server usage, P-256 key, no unknown critical extension,
 * for an eUICC a valid EID as serialNumber (errors as for the chain). */
gboolean         esim_cert_check_role (EsimCert *cert, EsimCertRole role, GError **error);

/* Is @cert issued by @issuer: names, AKI = SKI, and the issuer's signature
 * (ecdsa-with-SHA256) over the TBS.  No role, policy or time checks. */
gboolean         esim_cert_check_issued_by (EsimCert *cert, EsimCert *issuer, GError **error);

/*
 * The role-specific chain check.  @leaf has @role; for ESIM_CERT_ROLE_EUICC
 * @eum is its EUM certificate (required), for every other role it must be
 * NULL (SGP.22 v2 chains: DPauth/DPpb/DPtls signed by the CI).  @cis are the
 * trusted CI certificates (EsimCert); @ci_pkid, when given, is the CI the
 * chain must end at (euiccCiPKIdToBeUsed), else any of @cis will do.
 * Checks, each with its own error:
 *   - UNTRUSTED: no CI in @cis (or none with @ci_pkid) whose SKI is the top
 *     certificate's AKI; issuer name, AKI/SKI or signature wrong on any link;
 *   - WRONG_ROLE: a certificate lacks its role's policy OID, key usage
 *     (digitalSignature for leaves, keyCertSign for EUM/CI), CA flag (EUM, CI),
 *     serverAuth for TLS roles; eUICC without a valid EID as serialNumber, or
 *     an EID outside the EUM's nameConstraints range;
 *   - EXPIRED: any certificate outside its validity at @at_time;
 *   - UNSUPPORTED: a key not on P-256, an unknown critical extension.
 * On success *@ci_out (optional) is the CI the chain ends at (a new ref).
 */
gboolean         esim_cert_verify_chain (EsimCert *leaf, EsimCertRole role, EsimCert *eum,
                                         GPtrArray *cis, GBytes *ci_pkid, gint64 at_time,
                                         EsimCert **ci_out, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimCert, esim_cert_unref)

G_END_DECLS
