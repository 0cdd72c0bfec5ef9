/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The role-specific chain check, on the genuine SGP.26 test chain
 * (data/sgp26/README.md) and on chains built here with fresh keys, one fault
 * at a time.
 */

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>

#include "esim-cert.h"
#include "esim-crypto.h"
#include "esim-ecdsa.h"
#include "esim-test-pki.h"
#include "esim-util.h"

#define SGP26_EID    "89049032123451234512345678901235"
#define SGP26_CI_SKI "F54172BDF98A95D65CBEB88A38A1C11D800A85C3"
#define TIME_2024_01_01 ((gint64) 1704067200)

static EsimCert *
sgp26 (const gchar *name)
{
	g_autofree gchar *path = g_test_build_filename (G_TEST_DIST, "crypto", "data", "sgp26", name, NULL);
	g_autoptr(GError) error = NULL;
	EsimCert *cert = esim_cert_new_from_file (path, &error);

	g_assert_no_error (error);
	return cert;
}

static GPtrArray *
cert_list (EsimCert *first, ...)
{
	GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) esim_cert_unref);
	va_list args;

	va_start (args, first);
	for (EsimCert *cert = first; cert != NULL; cert = va_arg (args, EsimCert *))
		g_ptr_array_add (out, esim_cert_ref (cert));
	va_end (args);
	return out;
}

static void
assert_chain_fails (EsimCert *leaf, EsimCertRole role, EsimCert *eum, GPtrArray *cis, GBytes *pkid,
                    gint64 at, gint code, const gchar *message_part)
{
	GError *error = NULL;
	EsimCert *ci = NULL;

	g_assert_false (esim_cert_verify_chain (leaf, role, eum, cis, pkid, at, &ci, &error));
	g_assert_null (ci);
	g_assert_error (error, ESIM_CRYPTO_ERROR, code);
	if (message_part != NULL && strstr (error->message, message_part) == NULL)
		g_error ("\"%s\" does not say \"%s\"", error->message, message_part);
	g_clear_error (&error);
}

/* What a generic RFC 5280 validator (gnutls) says about a chain. */
static unsigned int
generic_verify (EsimCert *leaf, EsimCert *intermediate, EsimCert *ci, const gchar *hostname)
{
	gnutls_x509_trust_list_t list = NULL;
	gnutls_x509_crt_t ca = NULL;
	gnutls_x509_crt_t chain[2];
	gnutls_typed_vdata_st data = { GNUTLS_DT_DNS_HOSTNAME, (unsigned char *) hostname, 0 };
	unsigned int status = 0;
	gnutls_datum_t der;

	/* the trust list owns what it is given: import a copy of the CI */
	der.data = (unsigned char *) g_bytes_get_data (esim_cert_get_der (ci), NULL);
	der.size = (unsigned int) g_bytes_get_size (esim_cert_get_der (ci));
	g_assert_cmpint (gnutls_x509_crt_init (&ca), ==, 0);
	g_assert_cmpint (gnutls_x509_crt_import (ca, &der, GNUTLS_X509_FMT_DER), ==, 0);
	g_assert_cmpint (gnutls_x509_trust_list_init (&list, 0), ==, 0);
	g_assert_cmpint (gnutls_x509_trust_list_add_cas (list, &ca, 1, 0), ==, 1);
	chain[0] = esim_cert_get_x509 (leaf);
	chain[1] = intermediate != NULL ? esim_cert_get_x509 (intermediate) : NULL;
	g_assert_cmpint (gnutls_x509_trust_list_verify_crt2 (list, chain, intermediate != NULL ? 2 : 1, &data,
	                                                     hostname != NULL ? 1 : 0, 0, &status, NULL), ==, 0);
	gnutls_x509_trust_list_deinit (list, 1);
	return status;
}

static void
test_sgp26_genuine (void)
{
	g_autoptr(EsimCert) ci = sgp26 ("CERT_CI_ECDSA_NIST.pem");
	g_autoptr(EsimCert) ci_v15 = sgp26 ("CERT_CI_ECDSA_NIST_v1.5.pem");
	g_autoptr(EsimCert) eum = sgp26 ("CERT_EUM_ECDSA_NIST.pem");
	g_autoptr(EsimCert) euicc = sgp26 ("CERT_EUICC_ECDSA_NIST.pem");
	g_autoptr(GPtrArray) cis = cert_list (ci, NULL);
	g_autoptr(GPtrArray) cis_v15 = cert_list (ci_v15, NULL);
	g_autoptr(GPtrArray) cis_wrong = cert_list (euicc, NULL);
	g_autoptr(GBytes) pkid = NULL;
	g_autoptr(GBytes) other_pkid = g_bytes_new_static ("0123456789012345678", 20);
	g_autoptr(EsimCert) got_ci = NULL;
	g_autofree gchar *ski = NULL;
	g_autofree gchar *eid = NULL;
	g_autoptr(GError) error = NULL;

	ski = esim_hex_encode_bytes (esim_cert_get_subject_key_id (ci));
	g_assert_cmpstr (ski, ==, SGP26_CI_SKI);
	eid = esim_cert_dup_subject_serial_number (euicc);
	g_assert_cmpstr (eid, ==, SGP26_EID);

	/* OpenSSL and Go reject this genuine chain (the EUM's critical
	 * nameConstraints serialNumber 89049032 cannot match the eUICC's full EID
	 * under RFC 5280 rules: `openssl verify` says "permitted subtree
	 * violation"); gnutls 3.7 accepts it because it skips directoryName
	 * constraints, so it checks the EID range no more than the roles.  Neither
	 * outcome is asserted here: it is the other library's business. */

	/* the role-specific path accepts it */
	g_assert_true (esim_cert_verify_chain (euicc, ESIM_CERT_ROLE_EUICC, eum, cis, NULL, ESIM_CERT_TIME_NOW,
	                                       &got_ci, &error));
	g_assert_no_error (error);
	g_assert_true (got_ci == ci);
	/* SGP.26 v1.5 re-issued the CI with the same key and key ID but another
	 * name (CN=Test CI): the 2017 EUM names "GSMA Test CI" as its issuer */
	assert_chain_fails (euicc, ESIM_CERT_ROLE_EUICC, eum, cis_v15, NULL, ESIM_CERT_TIME_NOW,
	                    ESIM_CRYPTO_ERROR_UNTRUSTED, "issuer name");
	pkid = g_bytes_ref (esim_cert_get_subject_key_id (ci));
	g_assert_true (esim_cert_verify_chain (euicc, ESIM_CERT_ROLE_EUICC, eum, cis, pkid, ESIM_CERT_TIME_NOW,
	                                       NULL, &error));
	g_assert_no_error (error);

	/* another requested CI, no trusted CI, no EUM, wrong role */
	assert_chain_fails (euicc, ESIM_CERT_ROLE_EUICC, eum, cis, other_pkid, ESIM_CERT_TIME_NOW,
	                    ESIM_CRYPTO_ERROR_UNTRUSTED, "not by the requested CI");
	assert_chain_fails (euicc, ESIM_CERT_ROLE_EUICC, eum, cis_wrong, NULL, ESIM_CERT_TIME_NOW,
	                    ESIM_CRYPTO_ERROR_UNTRUSTED, "not trusted");
	assert_chain_fails (euicc, ESIM_CERT_ROLE_EUICC, NULL, cis, NULL, ESIM_CERT_TIME_NOW,
	                    ESIM_CRYPTO_ERROR_UNTRUSTED, "EUM");
	assert_chain_fails (euicc, ESIM_CERT_ROLE_DP_AUTH, NULL, cis, NULL, ESIM_CERT_TIME_NOW,
	                    ESIM_CRYPTO_ERROR_WRONG_ROLE, "2.23.146.1.2.1.4");
	/* the EUM in the eUICC's place */
	assert_chain_fails (eum, ESIM_CERT_ROLE_EUICC, eum, cis, NULL, ESIM_CERT_TIME_NOW,
	                    ESIM_CRYPTO_ERROR_WRONG_ROLE, NULL);
	/* the eUICC certificate with the CI as its "EUM" */
	assert_chain_fails (euicc, ESIM_CERT_ROLE_EUICC, ci, cis, NULL, ESIM_CERT_TIME_NOW,
	                    ESIM_CRYPTO_ERROR_WRONG_ROLE, "EUM");
}

static void
test_sgp26_dptls (void)
{
	g_autoptr(EsimCert) ci_v15 = sgp26 ("CERT_CI_ECDSA_NIST_v1.5.pem");
	g_autoptr(EsimCert) ci_2017 = sgp26 ("CERT_CI_ECDSA_NIST.pem");
	g_autoptr(EsimCert) tls = sgp26 ("CERT_S_SM_DP_TLS_NIST.pem");
	g_autoptr(GPtrArray) cis = cert_list (ci_v15, NULL);
	g_autoptr(GPtrArray) cis_2017 = cert_list (ci_2017, NULL);
	g_autofree gchar *rid = esim_cert_dup_registered_id (tls);
	g_autoptr(GError) error = NULL;

	g_assert_cmpstr (rid, ==, "2.999.10");
	g_assert_true (esim_cert_verify_chain (tls, ESIM_CERT_ROLE_DP_TLS, NULL, cis, NULL, TIME_2024_01_01, NULL,
	                                       &error));
	g_assert_no_error (error);
	/* valid 2023-06-09 to 2024-07-11 */
	assert_chain_fails (tls, ESIM_CERT_ROLE_DP_TLS, NULL, cis, NULL, ESIM_CERT_TIME_NOW,
	                    ESIM_CRYPTO_ERROR_EXPIRED, "expired on 2024-07-11");
	assert_chain_fails (tls, ESIM_CERT_ROLE_DP_TLS, NULL, cis, NULL, 1600000000,
	                    ESIM_CRYPTO_ERROR_EXPIRED, "not valid yet");
	/* same CI key and key identifier, other CI name: the issuer name must match */
	assert_chain_fails (tls, ESIM_CERT_ROLE_DP_TLS, NULL, cis_2017, NULL, TIME_2024_01_01,
	                    ESIM_CRYPTO_ERROR_UNTRUSTED, "issuer name");
	/* a TLS certificate is no DPauth certificate */
	assert_chain_fails (tls, ESIM_CERT_ROLE_DP_AUTH, NULL, cis, NULL, TIME_2024_01_01,
	                    ESIM_CRYPTO_ERROR_WRONG_ROLE, NULL);
}

/* ---- chains built here ---- */

typedef struct {
	EsimTestPkiCert *ci;
	EsimTestPkiCert *foreign_ci;
	EsimTestPkiCert *eum;
	gchar           *eid;
	EsimCert        *ci_cert;
	EsimCert        *foreign_ci_cert;
	EsimCert        *eum_cert;
	GPtrArray       *cis;
} Pki;

static EsimCert *
as_cert (EsimTestPkiCert *made)
{
	GBytes *der = esim_test_pki_cert_get_der (made);
	g_autoptr(GError) error = NULL;
	EsimCert *cert = esim_cert_new_from_der (g_bytes_get_data (der, NULL), g_bytes_get_size (der), &error);

	g_assert_no_error (error);
	return cert;
}

static EsimTestPkiCert *
issue (EsimCertRole role, const EsimTestPkiCertParams *params, EsimTestPkiCert *issuer)
{
	g_autoptr(GError) error = NULL;
	EsimTestPkiCert *cert = esim_test_pki_cert_new (role, params, issuer, &error);

	g_assert_no_error (error);
	return cert;
}

static void
pki_init (Pki *pki)
{
	EsimTestPkiCertParams ci = { .common_name = "Test CI", .organization = "esimd test" };
	EsimTestPkiCertParams foreign = { .common_name = "Foreign CI", .organization = "elsewhere" };
	EsimTestPkiCertParams eum = {
		.common_name = "EUM", .organization = "esimd Test EUM", .eid_prefix = ESIM_TEST_PKI_EID_PREFIX,
	};

	pki->ci = issue (ESIM_CERT_ROLE_CI, &ci, NULL);
	pki->foreign_ci = issue (ESIM_CERT_ROLE_CI, &foreign, NULL);
	pki->eum = issue (ESIM_CERT_ROLE_EUM, &eum, pki->ci);
	pki->eid = esim_eid_generate (ESIM_TEST_PKI_EID_PREFIX);
	pki->ci_cert = as_cert (pki->ci);
	pki->foreign_ci_cert = as_cert (pki->foreign_ci);
	pki->eum_cert = as_cert (pki->eum);
	pki->cis = cert_list (pki->ci_cert, NULL);
}

static void
pki_clear (Pki *pki)
{
	esim_test_pki_cert_free (pki->ci);
	esim_test_pki_cert_free (pki->foreign_ci);
	esim_test_pki_cert_free (pki->eum);
	g_free (pki->eid);
	esim_cert_unref (pki->ci_cert);
	esim_cert_unref (pki->foreign_ci_cert);
	esim_cert_unref (pki->eum_cert);
	g_ptr_array_unref (pki->cis);
}

static EsimCert *
make (EsimCertRole role, const EsimTestPkiCertParams *params, EsimTestPkiCert *issuer, EsimTestPkiCert **keep)
{
	EsimTestPkiCert *made = issue (role, params, issuer);
	EsimCert *cert = as_cert (made);

	if (keep != NULL)
		*keep = made;
	else
		esim_test_pki_cert_free (made);
	return cert;
}

static void
test_generated_good (void)
{
	Pki pki;
	EsimTestPkiCertParams euicc_params = { .common_name = "eUICC", .organization = "esimd Test EUM", .not_after = -1 };
	EsimTestPkiCertParams dp = { .common_name = "SM-DP+", .organization = "esimd test",
	                             .registered_id = ESIM_TEST_PKI_SMDP_OID };
	EsimTestPkiCertParams tls = dp;
	EsimTestPkiCert *auth_made = NULL;
	g_autoptr(EsimCert) euicc = NULL;
	g_autoptr(EsimCert) auth = NULL;
	g_autoptr(EsimCert) pb = NULL;
	g_autoptr(EsimCert) tls_cert = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *rid = NULL;
	const guint8 data[] = "serverSigned1";
	guint8 sig[64];

	pki_init (&pki);
	euicc_params.eid = pki.eid;
	tls.dns_name = "smdp.example.com";
	euicc = make (ESIM_CERT_ROLE_EUICC, &euicc_params, pki.eum, NULL);
	auth = make (ESIM_CERT_ROLE_DP_AUTH, &dp, pki.ci, &auth_made);
	pb = make (ESIM_CERT_ROLE_DP_PB, &dp, pki.ci, NULL);
	tls_cert = make (ESIM_CERT_ROLE_DP_TLS, &tls, pki.ci, NULL);

	g_assert_true (esim_cert_verify_chain (euicc, ESIM_CERT_ROLE_EUICC, pki.eum_cert, pki.cis, NULL,
	                                       ESIM_CERT_TIME_NOW, NULL, &error));
	g_assert_no_error (error);
	g_assert_true (esim_cert_verify_chain (auth, ESIM_CERT_ROLE_DP_AUTH, NULL, pki.cis, NULL,
	                                       ESIM_CERT_TIME_NOW, NULL, &error));
	g_assert_no_error (error);
	g_assert_true (esim_cert_verify_chain (pb, ESIM_CERT_ROLE_DP_PB, NULL, pki.cis, NULL,
	                                       ESIM_CERT_TIME_NOW, NULL, &error));
	g_assert_no_error (error);
	g_assert_true (esim_cert_verify_chain (tls_cert, ESIM_CERT_ROLE_DP_TLS, NULL, pki.cis, NULL,
	                                       ESIM_CERT_TIME_NOW, NULL, &error));
	g_assert_no_error (error);
	g_assert_true (esim_cert_check_role (pki.ci_cert, ESIM_CERT_ROLE_CI, &error));
	g_assert_no_error (error);

	/* TLS keeps generic validation: the DPtls certificate passes it for its
	 * host name only */
	g_assert_cmpuint (generic_verify (tls_cert, NULL, pki.ci_cert, "smdp.example.com"), ==, 0);
	g_assert_cmpuint (generic_verify (tls_cert, NULL, pki.ci_cert, "other.example.com"), !=, 0);

	/* the SM-DP+ OID, a signature with the DPauth key, the key match */
	rid = esim_cert_dup_registered_id (auth);
	g_assert_cmpstr (rid, ==, ESIM_TEST_PKI_SMDP_OID);
	g_assert_true (esim_ecdsa_sign (esim_test_pki_cert_get_key (auth_made), data, sizeof (data), sig, NULL));
	g_assert_true (esim_cert_verify_signature (auth, data, sizeof (data), sig, sizeof (sig), &error));
	g_assert_no_error (error);
	g_assert_true (esim_cert_matches_key (auth, esim_test_pki_cert_get_key (auth_made), &error));
	g_assert_no_error (error);
	g_assert_false (esim_cert_matches_key (pb, esim_test_pki_cert_get_key (auth_made), &error));
	g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_KEY_MISMATCH);
	g_clear_error (&error);
	sig[0] ^= 1;
	g_assert_false (esim_cert_verify_signature (auth, data, sizeof (data), sig, sizeof (sig), &error));
	g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_BAD_SIGNATURE);
	g_clear_error (&error);

	esim_test_pki_cert_free (auth_made);
	pki_clear (&pki);
}

/* A copy of @cert's DER with one byte changed at @offset from the end (or start). */
static EsimCert *
tampered (EsimCert *cert, gssize offset)
{
	gsize len;
	const guint8 *der = g_bytes_get_data (esim_cert_get_der (cert), &len);
	g_autofree guint8 *copy = g_memdup2 (der, len);
	g_autoptr(GError) error = NULL;
	EsimCert *out;

	copy[offset < 0 ? (gssize) len + offset : offset] ^= 0x01;
	out = esim_cert_new_from_der (copy, len, &error);
	g_assert_no_error (error);
	return out;
}

static void
test_generated_faults (void)
{
	Pki pki;
	EsimTestPkiCertParams dp = { .common_name = "SM-DP+", .organization = "esimd test",
	                             .registered_id = ESIM_TEST_PKI_SMDP_OID };
	EsimTestPkiCertParams params;
	g_autoptr(EsimCert) auth = NULL;
	g_autoptr(GPtrArray) both = NULL;

	pki_init (&pki);
	auth = make (ESIM_CERT_ROLE_DP_AUTH, &dp, pki.ci, NULL);

	/* DPpb where DPauth is expected, and no policy at all */
	{
		g_autoptr(EsimCert) pb = make (ESIM_CERT_ROLE_DP_PB, &dp, pki.ci, NULL);

		assert_chain_fails (pb, ESIM_CERT_ROLE_DP_AUTH, NULL, pki.cis, NULL, ESIM_CERT_TIME_NOW,
		                    ESIM_CRYPTO_ERROR_WRONG_ROLE, "2.23.146.1.2.1.4");
		params = dp;
		params.omit_policy = TRUE;
		g_clear_pointer (&pb, esim_cert_unref);
		pb = make (ESIM_CERT_ROLE_DP_PB, &params, pki.ci, NULL);
		assert_chain_fails (pb, ESIM_CERT_ROLE_DP_PB, NULL, pki.cis, NULL, ESIM_CERT_TIME_NOW,
		                    ESIM_CRYPTO_ERROR_WRONG_ROLE, "policy");
	}
	/* expired and not yet valid; a card without a clock may ignore validity */
	{
		g_autoptr(EsimCert) old = NULL;
		g_autoptr(EsimCert) future = NULL;

		params = dp;
		params.not_before = 1577836800;
		params.not_after = 1609459200;
		old = make (ESIM_CERT_ROLE_DP_AUTH, &params, pki.ci, NULL);
		assert_chain_fails (old, ESIM_CERT_ROLE_DP_AUTH, NULL, pki.cis, NULL, ESIM_CERT_TIME_NOW,
		                    ESIM_CRYPTO_ERROR_EXPIRED, "expired");
		g_assert_true (esim_cert_verify_chain (old, ESIM_CERT_ROLE_DP_AUTH, NULL, pki.cis, NULL,
		                                       ESIM_CERT_TIME_IGNORE, NULL, NULL));
		params.not_before = 4102444800;   /* 2100 */
		params.not_after = 4133980800;
		future = make (ESIM_CERT_ROLE_DP_AUTH, &params, pki.ci, NULL);
		assert_chain_fails (future, ESIM_CERT_ROLE_DP_AUTH, NULL, pki.cis, NULL, ESIM_CERT_TIME_NOW,
		                    ESIM_CRYPTO_ERROR_EXPIRED, "not valid yet");
	}
	/* a CI nobody here trusts; trusted, but not the requested one */
	{
		g_autoptr(EsimCert) foreign = make (ESIM_CERT_ROLE_DP_AUTH, &dp, pki.foreign_ci, NULL);
		g_autoptr(EsimCert) ci = NULL;
		g_autoptr(GError) error = NULL;

		assert_chain_fails (foreign, ESIM_CERT_ROLE_DP_AUTH, NULL, pki.cis, NULL, ESIM_CERT_TIME_NOW,
		                    ESIM_CRYPTO_ERROR_UNTRUSTED, "not trusted");
		both = cert_list (pki.ci_cert, pki.foreign_ci_cert, NULL);
		g_assert_true (esim_cert_verify_chain (foreign, ESIM_CERT_ROLE_DP_AUTH, NULL, both, NULL,
		                                       ESIM_CERT_TIME_NOW, &ci, &error));
		g_assert_no_error (error);
		g_assert_true (ci == pki.foreign_ci_cert);
		assert_chain_fails (foreign, ESIM_CERT_ROLE_DP_AUTH, NULL, both,
		                    esim_cert_get_subject_key_id (pki.ci_cert), ESIM_CERT_TIME_NOW,
		                    ESIM_CRYPTO_ERROR_UNTRUSTED, "requested CI");
	}
	/* a changed signature byte, a changed TBS byte (in the subject CN) */
	{
		g_autoptr(EsimCert) bad_sig = tampered (auth, -3);
		g_autoptr(EsimCert) bad_tbs = NULL;
		gsize len;
		const guint8 *der = g_bytes_get_data (esim_cert_get_der (auth), &len);
		const guint8 *cn = memmem (der, len, "SM-DP+", 6);

		assert_chain_fails (bad_sig, ESIM_CERT_ROLE_DP_AUTH, NULL, pki.cis, NULL, ESIM_CERT_TIME_NOW,
		                    ESIM_CRYPTO_ERROR_UNTRUSTED, "signature");
		g_assert_nonnull (cn);
		bad_tbs = tampered (auth, cn - der);
		assert_chain_fails (bad_tbs, ESIM_CERT_ROLE_DP_AUTH, NULL, pki.cis, NULL, ESIM_CERT_TIME_NOW,
		                    ESIM_CRYPTO_ERROR_UNTRUSTED, "signature");
	}
	/* an unknown critical extension; an intermediate where none belongs */
	{
		g_autoptr(EsimCert) odd = NULL;

		params = dp;
		params.critical_oid = "1.3.6.1.4.1.99999.1";
		odd = make (ESIM_CERT_ROLE_DP_AUTH, &params, pki.ci, NULL);
		assert_chain_fails (odd, ESIM_CERT_ROLE_DP_AUTH, NULL, pki.cis, NULL, ESIM_CERT_TIME_NOW,
		                    ESIM_CRYPTO_ERROR_UNSUPPORTED, "1.3.6.1.4.1.99999.1");
		assert_chain_fails (auth, ESIM_CERT_ROLE_DP_AUTH, pki.eum_cert, pki.cis, NULL, ESIM_CERT_TIME_NOW,
		                    ESIM_CRYPTO_ERROR_INVALID_INPUT, NULL);
	}
	pki_clear (&pki);
}

static void
test_generated_euicc_faults (void)
{
	Pki pki;
	EsimTestPkiCertParams params = { .common_name = "eUICC", .organization = "esimd Test EUM", .not_after = -1 };
	EsimTestPkiCertParams other_eum = {
		.common_name = "EUM", .organization = "esimd Test EUM", .eid_prefix = ESIM_TEST_PKI_EID_PREFIX,
	};
	g_autofree gchar *outside = esim_eid_generate ("89049033");
	g_autofree gchar *bad_check = NULL;

	pki_init (&pki);
	/* an EID outside the EUM's range */
	{
		g_autoptr(EsimCert) euicc = NULL;

		params.eid = outside;
		euicc = make (ESIM_CERT_ROLE_EUICC, &params, pki.eum, NULL);
		assert_chain_fails (euicc, ESIM_CERT_ROLE_EUICC, pki.eum_cert, pki.cis, NULL, ESIM_CERT_TIME_NOW,
		                    ESIM_CRYPTO_ERROR_WRONG_ROLE, "outside the range");
	}
	/* the EUM permits O = "esimd Test EUM": another organisation is outside too */
	{
		g_autoptr(EsimCert) euicc = NULL;
		EsimTestPkiCertParams p = params;

		p.eid = pki.eid;
		p.organization = "Someone Else";
		euicc = make (ESIM_CERT_ROLE_EUICC, &p, pki.eum, NULL);
		assert_chain_fails (euicc, ESIM_CERT_ROLE_EUICC, pki.eum_cert, pki.cis, NULL, ESIM_CERT_TIME_NOW,
		                    ESIM_CRYPTO_ERROR_WRONG_ROLE, "outside the range");
	}
	/* wrong EID check digits, no EID */
	{
		g_autoptr(EsimCert) euicc = NULL;
		EsimTestPkiCertParams p = params;

		bad_check = g_strdup (pki.eid);
		bad_check[31] = bad_check[31] == '0' ? '1' : '0';
		p.eid = bad_check;
		euicc = make (ESIM_CERT_ROLE_EUICC, &p, pki.eum, NULL);
		assert_chain_fails (euicc, ESIM_CERT_ROLE_EUICC, pki.eum_cert, pki.cis, NULL, ESIM_CERT_TIME_NOW,
		                    ESIM_CRYPTO_ERROR_WRONG_ROLE, "EID");
		g_clear_pointer (&euicc, esim_cert_unref);
		p.eid = NULL;
		euicc = make (ESIM_CERT_ROLE_EUICC, &p, pki.eum, NULL);
		assert_chain_fails (euicc, ESIM_CERT_ROLE_EUICC, pki.eum_cert, pki.cis, NULL, ESIM_CERT_TIME_NOW,
		                    ESIM_CRYPTO_ERROR_WRONG_ROLE, "missing");
	}
	/* issued by another EUM of the same name */
	{
		EsimTestPkiCert *eum2 = issue (ESIM_CERT_ROLE_EUM, &other_eum, pki.ci);
		g_autoptr(EsimCert) euicc = NULL;

		params.eid = pki.eid;
		euicc = make (ESIM_CERT_ROLE_EUICC, &params, eum2, NULL);
		assert_chain_fails (euicc, ESIM_CERT_ROLE_EUICC, pki.eum_cert, pki.cis, NULL, ESIM_CERT_TIME_NOW,
		                    ESIM_CRYPTO_ERROR_UNTRUSTED, "AuthorityKeyIdentifier");
		esim_test_pki_cert_free (eum2);
	}
	pki_clear (&pki);
}

static void
test_parse_refusals (void)
{
	g_autoptr(EsimCert) ci = sgp26 ("CERT_CI_ECDSA_NIST.pem");
	gsize len;
	const guint8 *der = g_bytes_get_data (esim_cert_get_der (ci), &len);
	g_autofree guint8 *longer = g_malloc0 (len + 1);
	GError *error = NULL;
	g_autofree gchar *missing = g_test_build_filename (G_TEST_DIST, "crypto", "data", "no-such.der", NULL);

	memcpy (longer, der, len);
	g_assert_null (esim_cert_new_from_der (der, len - 1, &error));
	g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT);
	g_clear_error (&error);
	g_assert_null (esim_cert_new_from_der (longer, len + 1, &error));
	g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT);
	g_clear_error (&error);
	g_assert_null (esim_cert_new_from_der ((const guint8 *) "\x30\x03\x02\x01\x01", 5, &error));
	g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT);
	g_clear_error (&error);
	g_assert_null (esim_cert_new_from_data ((const guint8 *) "-----BEGIN CERTIFICATE-----\nAAAA\n", 33, &error));
	g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT);
	g_clear_error (&error);
	/* nothing at all (an empty file) */
	g_assert_null (esim_cert_new_from_data (NULL, 0, &error));
	g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT);
	g_clear_error (&error);
	g_assert_null (esim_cert_new_from_file (missing, &error));
	g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_NOT_FOUND);
	g_clear_error (&error);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/crypto/cert/sgp26-genuine", test_sgp26_genuine);
	g_test_add_func ("/crypto/cert/sgp26-dptls", test_sgp26_dptls);
	g_test_add_func ("/crypto/cert/generated", test_generated_good);
	g_test_add_func ("/crypto/cert/generated-faults", test_generated_faults);
	g_test_add_func ("/crypto/cert/generated-euicc-faults", test_generated_euicc_faults);
	g_test_add_func ("/crypto/cert/parse-refusals", test_parse_refusals);
	return g_test_run ();
}
