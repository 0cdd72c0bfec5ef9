/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The test PKI generator; profiles and layout are described in esim-test-pki.h. */

#define G_LOG_DOMAIN "esim-test-pki"

#include <errno.h>
#include <glib/gstdio.h>
#include <gnutls/gnutls.h>
#include <string.h>

#include "esim-crypto.h"
#include "esim-der.h"
#include "esim-test-pki.h"
#include "esim-util.h"

#define OID_SERIAL_NUMBER "2.5.4.5"
/* SGP.26's registeredIDs for the CI and the EUM (pySim generate_smdpp_certs.py) */
#define OID_CI_RID  "2.999.1"
#define OID_EUM_RID "2.999.5"
#define TIME_2020_04_01 ((gint64) 1585699200)
#define TIME_2055_04_01 ((gint64) 2689977600)

struct _EsimTestPkiCert {
	gnutls_x509_privkey_t x509_key;
	gnutls_privkey_t      key;
	gnutls_x509_crt_t     crt;
	GBytes               *der;
	guint8                ski[20];
};

static gboolean
check (int rc, const gchar *what, GError **error)
{
	if (rc >= 0)
		return TRUE;
	g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_FAILED, "%s: %s", what, gnutls_strerror (rc));
	return FALSE;
}

void
esim_test_pki_cert_free (EsimTestPkiCert *cert)
{
	if (cert == NULL)
		return;
	if (cert->key != NULL)
		gnutls_privkey_deinit (cert->key);
	if (cert->x509_key != NULL)
		gnutls_x509_privkey_deinit (cert->x509_key);
	if (cert->crt != NULL)
		gnutls_x509_crt_deinit (cert->crt);
	g_clear_pointer (&cert->der, g_bytes_unref);
	g_free (cert);
}

static gboolean
set_dn (gnutls_x509_crt_t crt, const gchar *oid, const gchar *value, GError **error)
{
	if (value == NULL)
		return TRUE;
	return check (gnutls_x509_crt_set_dn_by_oid (crt, oid, 0, value, (unsigned int) strlen (value)),
	              "set subject", error);
}

/* The permitted subtree of the SGP.26 EUM, critical:
 *   NameConstraints { permittedSubtrees [0] { GeneralSubtree { directoryName [4]
 *     Name { O (UTF8String), serialNumber (PrintableString) = EIN prefix } } } }
 * byte for byte the shape of the SGP.26 EUM certificate's extension.  Encoded
 * here: gnutls 3.7's gnutls_x509_crt_set_name_constraints() cannot write a
 * directoryName (it fails with GNUTLS_E_INTERNAL_ERROR). */
static gboolean
set_eid_range (gnutls_x509_crt_t crt, const gchar *organization, const gchar *prefix, GError **error)
{
	static const guint8 oid_o[] = { 0x55, 0x04, 0x0A };
	static const guint8 oid_serial[] = { 0x55, 0x04, 0x05 };
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	g_autoptr(GBytes) ext = NULL;

	esim_der_writer_begin (writer, 0x30);           /* NameConstraints */
	esim_der_writer_begin (writer, 0xA0);           /* permittedSubtrees */
	esim_der_writer_begin (writer, 0x30);           /* GeneralSubtree */
	esim_der_writer_begin (writer, 0xA4);           /* directoryName */
	esim_der_writer_begin (writer, 0x30);           /* RDNSequence */
	esim_der_writer_begin (writer, 0x31);
	esim_der_writer_begin (writer, 0x30);
	esim_der_writer_put (writer, 0x06, oid_o, sizeof (oid_o));
	esim_der_writer_put_utf8 (writer, 0x0C, organization);
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	esim_der_writer_begin (writer, 0x31);
	esim_der_writer_begin (writer, 0x30);
	esim_der_writer_put (writer, 0x06, oid_serial, sizeof (oid_serial));
	esim_der_writer_put (writer, 0x13, (const guint8 *) prefix, strlen (prefix));
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	ext = esim_der_writer_finish (writer);
	return check (gnutls_x509_crt_set_extension_by_oid (crt, "2.5.29.30", g_bytes_get_data (ext, NULL),
	                                                     g_bytes_get_size (ext), 1),
	              "set nameConstraints", error);
}

/* certificatePolicies { PolicyInformation { id-rspRole-x } }, encoded here
 * because gnutls 3.7's gnutls_x509_crt_set_policy() drops the critical flag. */
static gboolean
set_policy (gnutls_x509_crt_t crt, const gchar *oid, gboolean critical, GError **error)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	g_autoptr(GBytes) ext = NULL;
	g_auto(GStrv) arcs = g_strsplit (oid, ".", -1);
	GByteArray *body = g_byte_array_new ();

	/* OID body: 40 * first + second, then base-128 arcs (all < 128 here
	 * except 146, hence the general loop) */
	for (guint i = 1; arcs[i] != NULL; i++) {
		guint64 arc = g_ascii_strtoull (arcs[i], NULL, 10);
		guint8 tmp[10];
		guint n = 0;

		if (i == 1)
			arc += 40 * g_ascii_strtoull (arcs[0], NULL, 10);
		do {
			tmp[n] = (arc & 0x7F) | (n > 0 ? 0x80 : 0);
			n++;
			arc >>= 7;
		} while (arc > 0);
		while (n > 0)
			g_byte_array_append (body, &tmp[--n], 1);
	}
	esim_der_writer_begin (writer, 0x30);
	esim_der_writer_begin (writer, 0x30);
	esim_der_writer_put (writer, 0x06, body->data, body->len);
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	g_byte_array_unref (body);
	ext = esim_der_writer_finish (writer);
	return check (gnutls_x509_crt_set_extension_by_oid (crt, "2.5.29.32", g_bytes_get_data (ext, NULL),
	                                                     g_bytes_get_size (ext), critical ? 1 : 0),
	              "set certificatePolicies", error);
}

static gboolean
set_subject (gnutls_x509_crt_t crt, EsimCertRole role, const EsimTestPkiCertParams *p, GError **error)
{
	/* attribute order of the SGP.26 eUICC certificate: C, O, serialNumber, CN */
	return set_dn (crt, GNUTLS_OID_X520_COUNTRY_NAME, p->country, error) &&
	       set_dn (crt, GNUTLS_OID_X520_ORGANIZATION_NAME, p->organization, error) &&
	       set_dn (crt, OID_SERIAL_NUMBER, role == ESIM_CERT_ROLE_EUICC ? p->eid : NULL, error) &&
	       set_dn (crt, GNUTLS_OID_X520_COMMON_NAME, p->common_name, error);
}

static gboolean
set_role_extensions (EsimTestPkiCert *cert, EsimCertRole role, const EsimTestPkiCertParams *p,
                     GError **error)
{
	gnutls_x509_crt_t crt = cert->crt;
	gboolean tls = role == ESIM_CERT_ROLE_DP_TLS || role == ESIM_CERT_ROLE_DS_TLS;
	gboolean ca = role == ESIM_CERT_ROLE_CI || role == ESIM_CERT_ROLE_EUM;
	const gchar *rid = p->registered_id;
	unsigned int usage = role == ESIM_CERT_ROLE_CI ? GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN :
	                     ca ? GNUTLS_KEY_KEY_CERT_SIGN : GNUTLS_KEY_DIGITAL_SIGNATURE;

	if (rid == NULL)
		rid = role == ESIM_CERT_ROLE_CI ? OID_CI_RID : role == ESIM_CERT_ROLE_EUM ? OID_EUM_RID : NULL;

	if (!check (gnutls_x509_crt_set_subject_key_id (crt, cert->ski, sizeof (cert->ski)), "set SKI",
	            error) ||
	    !check (gnutls_x509_crt_set_key_usage (crt, usage), "set key usage", error))
		return FALSE;
	/* the TLS certificate's policy is not critical in SGP.26, the others' are */
	if (!p->omit_policy && !set_policy (crt, esim_cert_role_policy_oid (role), !tls, error))
		return FALSE;
	if (ca && !check (gnutls_x509_crt_set_basic_constraints (crt, 1, role == ESIM_CERT_ROLE_EUM ? 0 : -1),
	                  "set CA", error))
		return FALSE;
	if (tls &&
	    (!check (gnutls_x509_crt_set_key_purpose_oid (crt, GNUTLS_KP_TLS_WWW_SERVER, 1), "set EKU", error) ||
	     !check (gnutls_x509_crt_set_key_purpose_oid (crt, GNUTLS_KP_TLS_WWW_CLIENT, 1), "set EKU", error)))
		return FALSE;
	if (tls && p->dns_name != NULL &&
	    !check (gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_DNSNAME, p->dns_name,
	                                                  (unsigned int) strlen (p->dns_name),
	                                                  GNUTLS_FSAN_APPEND),
	            "set dNSName", error))
		return FALSE;
	if (rid != NULL &&
	    !check (gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_REGISTERED_ID, rid,
	                                                  (unsigned int) strlen (rid), GNUTLS_FSAN_APPEND),
	            "set registeredID", error))
		return FALSE;
	if (p->critical_oid != NULL &&
	    !check (gnutls_x509_crt_set_extension_by_oid (crt, p->critical_oid, "\x05\x00", 2, 1),
	            "set extension", error))
		return FALSE;
	if (role == ESIM_CERT_ROLE_EUM && p->eid_prefix != NULL &&
	    !set_eid_range (crt, p->organization, p->eid_prefix, error))
		return FALSE;
	return TRUE;
}

static gboolean
generate_key (EsimTestPkiCert *cert, GError **error)
{
	size_t size = sizeof (cert->ski);

	return check (gnutls_x509_privkey_init (&cert->x509_key), "create key", error) &&
	       check (gnutls_x509_privkey_generate (cert->x509_key, GNUTLS_PK_ECDSA,
	                                            GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1), 0),
	              "generate P-256 key", error) &&
	       /* RFC 5280 §4.2.1.2 method 1, as SGP.26 and pySim (from_public_key) compute it */
	       check (gnutls_x509_privkey_get_key_id (cert->x509_key, GNUTLS_KEYID_USE_SHA1, cert->ski, &size),
	              "key id", error) &&
	       check (gnutls_privkey_init (&cert->key), "create key", error) &&
	       check (gnutls_privkey_import_x509 (cert->key, cert->x509_key, 0), "import key", error);
}

EsimTestPkiCert *
esim_test_pki_cert_new (EsimCertRole role, const EsimTestPkiCertParams *params, EsimTestPkiCert *issuer,
                        GError **error)
{
	g_autoptr(EsimTestPkiCert) cert = g_new0 (EsimTestPkiCert, 1);
	gnutls_datum_t der = { NULL, 0 };
	guint32 serial = params->serial != 0 ? params->serial : 1;
	guint8 serial_be[4] = { serial >> 24, serial >> 16, serial >> 8, serial };
	gsize skip = 0;
	time_t not_before = (time_t) (params->not_before != 0 ? params->not_before : TIME_2020_04_01);
	/* -1: 99991231235959Z, "no well-defined expiration date" */
	time_t not_after = (time_t) (params->not_after != 0 ? params->not_after : TIME_2055_04_01);
	EsimTestPkiCert *signer;

	g_return_val_if_fail (params != NULL, NULL);
	g_return_val_if_fail (issuer != NULL || role == ESIM_CERT_ROLE_CI, NULL);

	while (skip < 3 && serial_be[skip] == 0)
		skip++;
	if (!generate_key (cert, error) ||
	    !check (gnutls_x509_crt_init (&cert->crt), "create certificate", error) ||
	    !check (gnutls_x509_crt_set_version (cert->crt, 3), "set version", error) ||
	    !check (gnutls_x509_crt_set_serial (cert->crt, serial_be + skip, sizeof (serial_be) - skip),
	            "set serial", error) ||
	    !check (gnutls_x509_crt_set_activation_time (cert->crt, not_before), "set validity", error) ||
	    !check (gnutls_x509_crt_set_expiration_time (cert->crt, not_after), "set validity", error) ||
	    !check (gnutls_x509_crt_set_key (cert->crt, cert->x509_key), "set key", error) ||
	    !set_subject (cert->crt, role, params, error) ||
	    !set_role_extensions (cert, role, params, error))
		return NULL;
	if (issuer != NULL &&
	    !check (gnutls_x509_crt_set_authority_key_id (cert->crt, issuer->ski, sizeof (issuer->ski)),
	            "set AKI", error))
		return NULL;
	signer = issuer != NULL ? issuer : cert;
	if (!check (gnutls_x509_crt_sign2 (cert->crt, signer->crt, signer->x509_key, GNUTLS_DIG_SHA256, 0),
	            "sign certificate", error) ||
	    !check (gnutls_x509_crt_export2 (cert->crt, GNUTLS_X509_FMT_DER, &der), "export certificate", error))
		return NULL;
	cert->der = g_bytes_new (der.data, der.size);
	gnutls_free (der.data);
	return g_steal_pointer (&cert);
}

GBytes *
esim_test_pki_cert_get_der (EsimTestPkiCert *cert)
{
	g_return_val_if_fail (cert != NULL, NULL);
	return cert->der;
}

gnutls_x509_crt_t
esim_test_pki_cert_get_x509 (EsimTestPkiCert *cert)
{
	g_return_val_if_fail (cert != NULL, NULL);
	return cert->crt;
}

gnutls_privkey_t
esim_test_pki_cert_get_key (EsimTestPkiCert *cert)
{
	g_return_val_if_fail (cert != NULL, NULL);
	return cert->key;
}

static gboolean
write_file (const gchar *path, const guint8 *data, gsize len, int mode, GError **error)
{
	g_autoptr(GError) local_error = NULL;
	g_autofree gchar *parent = g_path_get_dirname (path);

	if (g_mkdir_with_parents (parent, 0755) < 0) {
		g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "cannot create %s: %s",
		             parent, g_strerror (errno));
		return FALSE;
	}
	/* a key file must never exist with a wider mode, not even for a moment */
	if (!g_file_set_contents_full (path, (const gchar *) data, (gssize) len,
	                               G_FILE_SET_CONTENTS_CONSISTENT, mode, &local_error)) {
		g_propagate_error (error, g_steal_pointer (&local_error));
		return FALSE;
	}
	return TRUE;
}

gboolean
esim_test_pki_cert_write (EsimTestPkiCert *cert, const gchar *dir, const gchar *cert_name,
                          gboolean also_pem, const gchar *key_name, GError **error)
{
	g_autofree gchar *cert_path = g_build_filename (dir, cert_name, NULL);
	gnutls_datum_t out = { NULL, 0 };
	gboolean ok;

	g_return_val_if_fail (cert != NULL && dir != NULL && cert_name != NULL, FALSE);

	if (!write_file (cert_path, g_bytes_get_data (cert->der, NULL), g_bytes_get_size (cert->der), 0644,
	                 error))
		return FALSE;
	if (also_pem) {
		g_autofree gchar *stem = g_str_has_suffix (cert_path, ".der") ?
		                         g_strndup (cert_path, strlen (cert_path) - 4) : g_strdup (cert_path);
		g_autofree gchar *pem_path = g_strconcat (stem, ".pem", NULL);

		if (!check (gnutls_x509_crt_export2 (cert->crt, GNUTLS_X509_FMT_PEM, &out), "export PEM",
		            error))
			return FALSE;
		ok = write_file (pem_path, out.data, out.size, 0644, error);
		gnutls_free (out.data);
		if (!ok)
			return FALSE;
	}
	if (key_name != NULL) {
		g_autofree gchar *key_path = g_build_filename (dir, key_name, NULL);

		if (!check (gnutls_x509_privkey_export2 (cert->x509_key, GNUTLS_X509_FMT_PEM, &out), "export key",
		            error))
			return FALSE;
		ok = write_file (key_path, out.data, out.size, 0600, error);
		gnutls_memset (out.data, 0, out.size);
		gnutls_free (out.data);
		if (!ok)
			return FALSE;
	}
	return TRUE;
}

/* ---- the tree ---- */

/* DPauth, DPpb and DPtls issued by @ci under @dir (for the main, expired and foreign sets). */
static gboolean
write_dp_set (EsimTestPkiCert *ci, const gchar *dir, const gchar *host, gint64 not_before, gint64 not_after,
              gboolean with_pb, GError **error)
{
	EsimTestPkiCertParams auth = {
		.common_name = "esimd Test SM-DP+", .organization = "esimd test",
		.registered_id = ESIM_TEST_PKI_SMDP_OID,
		.not_before = not_before, .not_after = not_after, .serial = 256,
	};
	EsimTestPkiCertParams pb = auth;
	EsimTestPkiCertParams tls = auth;
	g_autoptr(EsimTestPkiCert) auth_cert = NULL;
	g_autoptr(EsimTestPkiCert) pb_cert = NULL;
	g_autoptr(EsimTestPkiCert) tls_cert = NULL;

	pb.serial = 257;
	tls.common_name = host;
	tls.dns_name = host;
	tls.serial = 9;
	auth_cert = esim_test_pki_cert_new (ESIM_CERT_ROLE_DP_AUTH, &auth, ci, error);
	if (auth_cert == NULL ||
	    !esim_test_pki_cert_write (auth_cert, dir, "DPauth/CERT_S_SM_DPauth_ECDSA_NIST.der", FALSE,
	                               "DPauth/SK_S_SM_DPauth_ECDSA_NIST.pem", error))
		return FALSE;
	if (with_pb) {
		pb_cert = esim_test_pki_cert_new (ESIM_CERT_ROLE_DP_PB, &pb, ci, error);
		if (pb_cert == NULL ||
		    !esim_test_pki_cert_write (pb_cert, dir, "DPpb/CERT_S_SM_DPpb_ECDSA_NIST.der", FALSE,
		                               "DPpb/SK_S_SM_DPpb_ECDSA_NIST.pem", error))
			return FALSE;
	}
	tls_cert = esim_test_pki_cert_new (ESIM_CERT_ROLE_DP_TLS, &tls, ci, error);
	return tls_cert != NULL &&
	       esim_test_pki_cert_write (tls_cert, dir, "DPtls/CERT_S_SM_DP_TLS_NIST.der", TRUE,
	                                 "DPtls/SK_S_SM_DP_TLS_NIST.pem", error);
}

static EsimTestPkiCert *
write_ci (const gchar *dir, const gchar *name, guint32 serial, GError **error)
{
	EsimTestPkiCertParams params = {
		.common_name = name, .organization = "esimd test", .country = "IT", .serial = serial,
	};
	g_autoptr(EsimTestPkiCert) ci = esim_test_pki_cert_new (ESIM_CERT_ROLE_CI, &params, NULL, error);

	if (ci == NULL ||
	    !esim_test_pki_cert_write (ci, dir, "CertificateIssuer/CERT_CI_ECDSA_NIST.der", TRUE,
	                               ESIM_TEST_PKI_CI_SECRET, error))
		return NULL;
	return g_steal_pointer (&ci);
}

static gboolean
write_euicc_set (EsimTestPkiCert *ci, const gchar *dir, const gchar *eid, GError **error)
{
	g_autofree gchar *prefix = g_strndup (eid, 8);
	EsimTestPkiCertParams eum_params = {
		.common_name = "esimd Test EUM", .organization = "esimd Test EUM", .country = "DE",
		.eid_prefix = prefix, .serial = 0x12345678,
	};
	EsimTestPkiCertParams euicc_params = {
		.common_name = "esimd Test eUICC", .organization = "esimd Test EUM", .country = "DE",
		.eid = eid, .not_after = -1, .serial = 0x02000001,
	};
	g_autoptr(EsimTestPkiCert) eum = esim_test_pki_cert_new (ESIM_CERT_ROLE_EUM, &eum_params, ci, error);
	g_autoptr(EsimTestPkiCert) euicc = NULL;

	if (eum == NULL ||
	    !esim_test_pki_cert_write (eum, dir, "EUM/CERT_EUM_ECDSA_NIST.der", FALSE,
	                               "EUM/SK_EUM_ECDSA_NIST.pem", error))
		return FALSE;
	euicc = esim_test_pki_cert_new (ESIM_CERT_ROLE_EUICC, &euicc_params, eum, error);
	return euicc != NULL &&
	       esim_test_pki_cert_write (euicc, dir, "eUICC/CERT_EUICC_ECDSA_NIST.der", FALSE,
	                                 "eUICC/SK_EUICC_ECDSA_NIST.pem", error);
}

gboolean
esim_test_pki_write (const gchar *dir, const EsimTestPkiOptions *options, gchar **eid_out, GError **error)
{
	g_autofree gchar *eid = NULL;
	g_autoptr(EsimTestPkiCert) ci = NULL;

	g_return_val_if_fail (dir != NULL && options != NULL && options->smdp_host != NULL, FALSE);

	if (options->eid != NULL && !esim_eid_is_valid (options->eid)) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		             "EID %s is not 32 digits with valid check digits", options->eid);
		return FALSE;
	}
	eid = options->eid != NULL ? g_strdup (options->eid) : esim_eid_generate (ESIM_TEST_PKI_EID_PREFIX);
	ci = write_ci (dir, "esimd Test CI", 0x01, error);
	if (ci == NULL || !write_euicc_set (ci, dir, eid, error) ||
	    !write_dp_set (ci, dir, options->smdp_host, 0, 0, TRUE, error))
		return FALSE;
	if (options->expired) {
		g_autofree gchar *sub = g_build_filename (dir, "Expired", NULL);

		/* 2020-01-01 to 2021-01-01 */
		if (!write_dp_set (ci, sub, options->smdp_host, 1577836800, 1609459200, FALSE, error))
			return FALSE;
	}
	if (options->foreign_ci) {
		g_autofree gchar *sub = g_build_filename (dir, "ForeignCI", NULL);
		g_autoptr(EsimTestPkiCert) foreign = write_ci (sub, "esimd Foreign Test CI", 0x02, error);

		if (foreign == NULL || !write_dp_set (foreign, sub, options->smdp_host, 0, 0, TRUE, error))
			return FALSE;
	}
	if (eid_out != NULL)
		*eid_out = g_steal_pointer (&eid);
	return TRUE;
}
