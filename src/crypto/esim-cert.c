/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * eSIM certificates: gnutls parses them; the chain check is ours (see
 * esim-cert.h for why).  The TBS and the outer signature come from our own
 * DER reader, so the signature check does not depend on any RFC 5280 path
 * processing.
 */

#define G_LOG_DOMAIN "esim-crypto"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <string.h>

#include "esim-cert.h"
#include "esim-crypto-private.h"
#include "esim-crypto.h"
#include "esim-der.h"
#include "esim-ecdsa.h"
#include "esim-util.h"

#define OID_SERIAL_NUMBER "2.5.4.5"
#define MAX_CERT_FILE_SIZE (64 * 1024)

/* AlgorithmIdentifier ecdsa-with-SHA256 (1.2.840.10045.4.3.2), no parameters (RFC 5758 §3.2) */
static const guint8 ALG_ECDSA_SHA256[] = {
	0x30, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02
};

struct _EsimCert {
	gint              ref_count;
	gnutls_x509_crt_t crt;
	GBytes           *der;
	GBytes           *ski;          /* NULL when absent */
	GBytes           *aki;          /* NULL when absent */
	EsimTlv           tbs;          /* points into der */
	EsimTlv           tbs_algorithm;
	EsimTlv           algorithm;
	EsimTlv           signature;    /* BIT STRING */
};

static const struct {
	const gchar *policy;
	const gchar *name;
	gboolean     ca;
	gboolean     tls;
} roles[] = {
	[ESIM_CERT_ROLE_CI] = { "2.23.146.1.2.1.0", "CI", TRUE, FALSE },
	[ESIM_CERT_ROLE_EUICC] = { "2.23.146.1.2.1.1", "eUICC", FALSE, FALSE },
	[ESIM_CERT_ROLE_EUM] = { "2.23.146.1.2.1.2", "EUM", TRUE, FALSE },
	[ESIM_CERT_ROLE_DP_TLS] = { "2.23.146.1.2.1.3", "DPtls", FALSE, TRUE },
	[ESIM_CERT_ROLE_DP_AUTH] = { "2.23.146.1.2.1.4", "DPauth", FALSE, FALSE },
	[ESIM_CERT_ROLE_DP_PB] = { "2.23.146.1.2.1.5", "DPpb", FALSE, FALSE },
	[ESIM_CERT_ROLE_DS_TLS] = { "2.23.146.1.2.1.6", "DStls", FALSE, TRUE },
	[ESIM_CERT_ROLE_DS_AUTH] = { "2.23.146.1.2.1.7", "DSauth", FALSE, FALSE },
};

/* Extensions whose meaning we know, so that their being critical is fine. */
static const gchar *const known_extensions[] = {
	"2.5.29.14", /* subjectKeyIdentifier */
	"2.5.29.15", /* keyUsage */
	"2.5.29.17", /* subjectAltName */
	"2.5.29.19", /* basicConstraints */
	"2.5.29.30", /* nameConstraints */
	"2.5.29.31", /* cRLDistributionPoints */
	"2.5.29.32", /* certificatePolicies */
	"2.5.29.35", /* authorityKeyIdentifier */
	"2.5.29.37", /* extKeyUsage */
};

const gchar *
esim_cert_role_policy_oid (EsimCertRole role)
{
	g_return_val_if_fail ((guint) role < G_N_ELEMENTS (roles), NULL);
	return roles[role].policy;
}

const gchar *
esim_cert_role_name (EsimCertRole role)
{
	g_return_val_if_fail ((guint) role < G_N_ELEMENTS (roles), NULL);
	return roles[role].name;
}

/* ---- parsing ---- */

static GBytes *
dup_key_id (int rc, const guint8 *buf, size_t size)
{
	return rc >= 0 && size > 0 ? g_bytes_new (buf, size) : NULL;
}

/* Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue } */
static gboolean
split_certificate (EsimCert *cert, GError **error)
{
	g_autoptr(GError) local_error = NULL;
	EsimTlv top, extra, child;
	EsimTlvIter iter;
	gsize len;
	const guint8 *der = g_bytes_get_data (cert->der, &len);

	if (!esim_tlv_parse_tagged (der, len, 0x30, &top, &local_error))
		goto bad;
	esim_tlv_iter_init (&iter, &top);
	if (!esim_tlv_iter_next (&iter, &cert->tbs, &local_error) || cert->tbs.tag != 0x30 ||
	    !esim_tlv_iter_next (&iter, &cert->algorithm, &local_error) || cert->algorithm.tag != 0x30 ||
	    !esim_tlv_iter_next (&iter, &cert->signature, &local_error) || cert->signature.tag != 0x03 ||
	    esim_tlv_iter_next (&iter, &extra, &local_error) || local_error != NULL)
		goto bad;
	/* TBSCertificate: [0] version, serialNumber, signature AlgorithmIdentifier, … */
	esim_tlv_iter_init (&iter, &cert->tbs);
	if (!esim_tlv_iter_next (&iter, &child, &local_error) || child.tag != 0xA0 ||
	    !esim_tlv_iter_next (&iter, &child, &local_error) || child.tag != 0x02 ||
	    !esim_tlv_iter_next (&iter, &cert->tbs_algorithm, &local_error) || cert->tbs_algorithm.tag != 0x30)
		goto bad;
	return TRUE;
bad:
	g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
	             "not an X.509 v3 certificate%s%s", local_error != NULL ? ": " : "",
	             local_error != NULL ? local_error->message : "");
	return FALSE;
}

EsimCert *
esim_cert_new_from_der (const guint8 *der, gsize len, GError **error)
{
	g_autoptr(EsimCert) cert = NULL;
	gnutls_datum_t datum = { (unsigned char *) der, (unsigned int) len };
	guint8 buf[64];
	size_t size;
	int rc;

	g_return_val_if_fail (der != NULL || len == 0, NULL);

	cert = g_new0 (EsimCert, 1);
	cert->ref_count = 1;
	cert->der = g_bytes_new (der, len);
	if (!split_certificate (cert, error))
		return NULL;
	if (!esim_crypto_gnutls_ok (gnutls_x509_crt_init (&cert->crt), "cannot create certificate", error))
		return NULL;
	rc = gnutls_x509_crt_import (cert->crt, &datum, GNUTLS_X509_FMT_DER);
	if (rc < 0) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		             "not an X.509 certificate: %s", gnutls_strerror (rc));
		return NULL;
	}
	size = sizeof (buf);
	rc = gnutls_x509_crt_get_subject_key_id (cert->crt, buf, &size, NULL);
	cert->ski = dup_key_id (rc, buf, size);
	size = sizeof (buf);
	rc = gnutls_x509_crt_get_authority_key_id (cert->crt, buf, &size, NULL);
	cert->aki = dup_key_id (rc, buf, size);
	return g_steal_pointer (&cert);
}

EsimCert *
esim_cert_new_from_data (const guint8 *data, gsize len, GError **error)
{
	gnutls_datum_t in = { (unsigned char *) data, (unsigned int) len };
	gnutls_datum_t der = { NULL, 0 };
	EsimCert *cert;
	int rc;

	g_return_val_if_fail (data != NULL || len == 0, NULL);
	if (len == 0) {
		g_set_error_literal (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		                     "empty certificate");
		return NULL;
	}
	if (g_strstr_len ((const gchar *) data, (gssize) len, "-----BEGIN CERTIFICATE-----") == NULL)
		return esim_cert_new_from_der (data, len, error);
	rc = gnutls_pem_base64_decode2 ("CERTIFICATE", &in, &der);
	if (rc < 0) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		             "bad PEM certificate: %s", gnutls_strerror (rc));
		return NULL;
	}
	cert = esim_cert_new_from_der (der.data, der.size, error);
	gnutls_free (der.data);
	return cert;
}

EsimCert *
esim_cert_new_from_file (const gchar *path, GError **error)
{
	g_autofree guint8 *data = NULL;
	gsize len = 0;
	EsimCert *cert;

	g_return_val_if_fail (path != NULL, NULL);
	if (!esim_crypto_read_file (path, MAX_CERT_FILE_SIZE, &data, &len, error))
		return NULL;
	cert = esim_cert_new_from_data (data, len, error);
	if (cert == NULL)
		g_prefix_error (error, "%s: ", path);
	return cert;
}

EsimCert *
esim_cert_ref (EsimCert *cert)
{
	g_return_val_if_fail (cert != NULL, NULL);
	g_atomic_int_inc (&cert->ref_count);
	return cert;
}

void
esim_cert_unref (EsimCert *cert)
{
	if (cert == NULL || !g_atomic_int_dec_and_test (&cert->ref_count))
		return;
	if (cert->crt != NULL)
		gnutls_x509_crt_deinit (cert->crt);
	g_clear_pointer (&cert->der, g_bytes_unref);
	g_clear_pointer (&cert->ski, g_bytes_unref);
	g_clear_pointer (&cert->aki, g_bytes_unref);
	g_free (cert);
}

/* ---- accessors ---- */

GBytes *
esim_cert_get_der (EsimCert *cert)
{
	g_return_val_if_fail (cert != NULL, NULL);
	return cert->der;
}

gnutls_x509_crt_t
esim_cert_get_x509 (EsimCert *cert)
{
	g_return_val_if_fail (cert != NULL, NULL);
	return cert->crt;
}

GBytes *
esim_cert_get_subject_key_id (EsimCert *cert)
{
	g_return_val_if_fail (cert != NULL, NULL);
	return cert->ski;
}

GBytes *
esim_cert_get_authority_key_id (EsimCert *cert)
{
	g_return_val_if_fail (cert != NULL, NULL);
	return cert->aki;
}

gchar *
esim_cert_dup_subject_serial_number (EsimCert *cert)
{
	gchar buf[128];
	size_t size = sizeof (buf) - 1;

	g_return_val_if_fail (cert != NULL, NULL);
	memset (buf, 0, sizeof (buf));
	if (gnutls_x509_crt_get_dn_by_oid (cert->crt, OID_SERIAL_NUMBER, 0, 0, buf, &size) < 0)
		return NULL;
	return g_strndup (buf, size);
}

gchar *
esim_cert_dup_registered_id (EsimCert *cert)
{
	g_return_val_if_fail (cert != NULL, NULL);

	for (guint seq = 0; seq < 64; seq++) {
		gchar buf[256];
		size_t size = sizeof (buf) - 1;
		int type;

		memset (buf, 0, sizeof (buf));
		type = gnutls_x509_crt_get_subject_alt_name (cert->crt, seq, buf, &size, NULL);
		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		/* gnutls returns a registeredID in dotted form */
		if (type == GNUTLS_SAN_REGISTERED_ID)
			return g_strndup (buf, size);
	}
	return NULL;
}

gchar *
esim_cert_dup_subject_dn (EsimCert *cert)
{
	gnutls_datum_t dn = { NULL, 0 };
	gchar *out;

	g_return_val_if_fail (cert != NULL, NULL);
	if (gnutls_x509_crt_get_dn3 (cert->crt, &dn, 0) < 0)
		return g_strdup ("(unreadable subject)");
	out = g_strndup ((const gchar *) dn.data, dn.size);
	gnutls_free (dn.data);
	return out;
}

gboolean
esim_cert_has_policy (EsimCert *cert, const gchar *oid)
{
	g_return_val_if_fail (cert != NULL && oid != NULL, FALSE);

	for (guint idx = 0; idx < 32; idx++) {
		struct gnutls_x509_policy_st policy;
		gboolean match;

		if (gnutls_x509_crt_get_policy (cert->crt, idx, &policy, NULL) < 0)
			return FALSE;
		match = g_strcmp0 (policy.oid, oid) == 0;
		gnutls_x509_policy_release (&policy);
		if (match)
			return TRUE;
	}
	return FALSE;
}

gboolean
esim_cert_get_public_point (EsimCert *cert, guint8 point[65], GError **error)
{
	gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
	gnutls_datum_t x = { NULL, 0 }, y = { NULL, 0 };
	gboolean ok;

	g_return_val_if_fail (cert != NULL, FALSE);
	if (gnutls_x509_crt_get_pk_algorithm (cert->crt, NULL) != GNUTLS_PK_ECDSA ||
	    gnutls_x509_crt_get_pk_ecc_raw (cert->crt, &curve, &x, &y) < 0) {
		g_set_error_literal (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_UNSUPPORTED,
		                     "certificate key is not an ECDSA key");
		return FALSE;
	}
	point[0] = 0x04;
	ok = curve == GNUTLS_ECC_CURVE_SECP256R1 && esim_crypto_copy_unsigned (&x, point + 1, 32) &&
	     esim_crypto_copy_unsigned (&y, point + 33, 32);
	gnutls_free (x.data);
	gnutls_free (y.data);
	if (!ok)
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_UNSUPPORTED,
		             "certificate key is on curve %s, only NIST P-256 is supported",
		             gnutls_ecc_curve_get_name (curve) != NULL ?
		             gnutls_ecc_curve_get_name (curve) : "?");
	return ok;
}

gboolean
esim_cert_verify_signature (EsimCert *cert, const guint8 *data, gsize len, const guint8 *sig,
                            gsize sig_len, GError **error)
{
	guint8 point[65];

	g_return_val_if_fail (cert != NULL, FALSE);
	if (!esim_cert_get_public_point (cert, point, error))
		return FALSE;
	return esim_ecdsa_verify_point (point, sizeof (point), data, len, sig, sig_len, error);
}

gboolean
esim_cert_matches_key (EsimCert *cert, gnutls_privkey_t key, GError **error)
{
	guint8 a[65], b[65];

	g_return_val_if_fail (cert != NULL && key != NULL, FALSE);
	if (!esim_cert_get_public_point (cert, a, error) || !esim_ecdsa_privkey_get_point (key, b, error))
		return FALSE;
	if (memcmp (a, b, sizeof (a)) != 0) {
		g_set_error_literal (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_KEY_MISMATCH,
		                     "private key does not match the certificate");
		return FALSE;
	}
	return TRUE;
}

/* ---- one link ---- */

static gboolean
bytes_equal (GBytes *a, GBytes *b)
{
	return a != NULL && b != NULL && g_bytes_equal (a, b);
}

static gboolean
tlv_is (const EsimTlv *tlv, const guint8 *raw, gsize len)
{
	return tlv->raw_len == len && memcmp (tlv->raw, raw, len) == 0;
}

gboolean
esim_cert_check_issued_by (EsimCert *cert, EsimCert *issuer, GError **error)
{
	g_autofree gchar *issuer_dn = NULL;
	g_autoptr(GError) local_error = NULL;
	guint8 sig[ESIM_ECDSA_RAW_LEN];

	g_return_val_if_fail (cert != NULL && issuer != NULL, FALSE);

	if (cert->aki == NULL || issuer->ski == NULL || !bytes_equal (cert->aki, issuer->ski)) {
		g_set_error_literal (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_UNTRUSTED,
		                     cert->aki == NULL ? "certificate has no AuthorityKeyIdentifier" :
		                     issuer->ski == NULL ? "issuer certificate has no SubjectKeyIdentifier" :
		                     "AuthorityKeyIdentifier is not the issuer's SubjectKeyIdentifier");
		return FALSE;
	}
	if (gnutls_x509_crt_check_issuer (cert->crt, issuer->crt) != 1) {
		issuer_dn = esim_cert_dup_subject_dn (issuer);
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_UNTRUSTED,
		             "issuer name is not the subject of %s", issuer_dn);
		return FALSE;
	}
	if (!tlv_is (&cert->algorithm, ALG_ECDSA_SHA256, sizeof (ALG_ECDSA_SHA256)) ||
	    !tlv_is (&cert->tbs_algorithm, ALG_ECDSA_SHA256, sizeof (ALG_ECDSA_SHA256))) {
		g_set_error_literal (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_UNSUPPORTED,
		                     "certificate is not signed with ecdsa-with-SHA256");
		return FALSE;
	}
	/* BIT STRING: no unused bits, then the DER ECDSA-Sig-Value */
	if (cert->signature.len < 1 || cert->signature.value[0] != 0 ||
	    !esim_ecdsa_der_to_raw (cert->signature.value + 1, cert->signature.len - 1, sig, NULL)) {
		g_set_error_literal (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		                     "certificate signature is not a DER ECDSA signature");
		return FALSE;
	}
	if (!esim_cert_verify_signature (issuer, cert->tbs.raw, cert->tbs.raw_len, sig, sizeof (sig),
	                                 &local_error)) {
		/* a wrong signature on a certificate means: not issued by that CA */
		if (g_error_matches (local_error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_BAD_SIGNATURE))
			local_error->code = ESIM_CRYPTO_ERROR_UNTRUSTED;
		g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "certificate signature: ");
		return FALSE;
	}
	return TRUE;
}

/* ---- role profile ---- */

static gboolean
check_critical_extensions (EsimCert *cert, GError **error)
{
	for (guint idx = 0; idx < 64; idx++) {
		gchar oid[128];
		size_t size = sizeof (oid);
		unsigned int critical = 0;
		gboolean known = FALSE;
		int rc = gnutls_x509_crt_get_extension_info (cert->crt, idx, oid, &size, &critical);

		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return TRUE;
		if (rc < 0) {
			g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
			             "unreadable extension: %s", gnutls_strerror (rc));
			return FALSE;
		}
		for (guint i = 0; i < G_N_ELEMENTS (known_extensions) && !known; i++)
			known = g_strcmp0 (oid, known_extensions[i]) == 0;
		if (critical && !known) {
			g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_UNSUPPORTED,
			             "unsupported critical extension %s", oid);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
has_server_auth (EsimCert *cert)
{
	for (guint idx = 0; idx < 16; idx++) {
		gchar oid[128];
		size_t size = sizeof (oid);

		if (gnutls_x509_crt_get_key_purpose_oid (cert->crt, idx, oid, &size, NULL) < 0)
			return FALSE;
		if (g_strcmp0 (oid, GNUTLS_KP_TLS_WWW_SERVER) == 0)
			return TRUE;
	}
	return FALSE;
}

static gboolean
check_role (EsimCert *cert, EsimCertRole role, GError **error)
{
	const gchar *name = roles[role].name;
	unsigned int usage = 0, ca = 0;
	unsigned int needed = roles[role].ca ? GNUTLS_KEY_KEY_CERT_SIGN : GNUTLS_KEY_DIGITAL_SIGNATURE;
	int pathlen = -1;
	int rc;
	guint8 point[65];

	if (!esim_cert_get_public_point (cert, point, error) || !check_critical_extensions (cert, error)) {
		g_prefix_error (error, "%s certificate: ", name);
		return FALSE;
	}
	if (!esim_cert_has_policy (cert, roles[role].policy)) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_WRONG_ROLE,
		             "%s certificate lacks the %s certificate policy %s", name, name,
		             roles[role].policy);
		return FALSE;
	}
	if (gnutls_x509_crt_get_key_usage (cert->crt, &usage, NULL) < 0 || (usage & needed) == 0) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_WRONG_ROLE,
		             "%s certificate lacks key usage %s", name,
		             roles[role].ca ? "keyCertSign" : "digitalSignature");
		return FALSE;
	}
	rc = gnutls_x509_crt_get_basic_constraints (cert->crt, NULL, &ca, &pathlen);
	if ((roles[role].ca && (rc < 0 || !ca)) || (!roles[role].ca && rc >= 0 && ca)) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_WRONG_ROLE,
		             roles[role].ca ? "%s certificate is not a CA certificate" :
		             "%s certificate must not be a CA certificate", name);
		return FALSE;
	}
	if (roles[role].tls && !has_server_auth (cert)) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_WRONG_ROLE,
		             "%s certificate lacks the TLS server extended key usage", name);
		return FALSE;
	}
	if (role == ESIM_CERT_ROLE_EUICC) {
		g_autofree gchar *eid = esim_cert_dup_subject_serial_number (cert);

		if (eid == NULL || !esim_eid_is_valid (eid)) {
			g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_WRONG_ROLE,
			             "eUICC certificate subject serialNumber is %s, not a valid EID",
			             eid == NULL ? "missing" : "malformed");
			return FALSE;
		}
	}
	return TRUE;
}

gboolean
esim_cert_check_role (EsimCert *cert, EsimCertRole role, GError **error)
{
	g_return_val_if_fail (cert != NULL, FALSE);
	g_return_val_if_fail ((guint) role < G_N_ELEMENTS (roles), FALSE);
	return check_role (cert, role, error);
}

static gboolean
check_time (EsimCert *cert, const gchar *name, gint64 at_time, GError **error)
{
	gint64 now = at_time == ESIM_CERT_TIME_NOW ? g_get_real_time () / G_USEC_PER_SEC : at_time;
	time_t not_before, not_after;

	if (at_time == ESIM_CERT_TIME_IGNORE)
		return TRUE;
	not_before = gnutls_x509_crt_get_activation_time (cert->crt);
	not_after = gnutls_x509_crt_get_expiration_time (cert->crt);
	if (not_before == (time_t) -1 || now < (gint64) not_before) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_EXPIRED,
		             "%s certificate is not valid yet", name);
		return FALSE;
	}
	/* -1: 99991231235959Z, "no well-defined expiration date" (RFC 5280 §4.1.2.5) */
	if (not_after != (time_t) -1 && now > (gint64) not_after) {
		g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc ((gint64) not_after);
		g_autofree gchar *text = when != NULL ? g_date_time_format_iso8601 (when) : NULL;

		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_EXPIRED,
		             "%s certificate expired on %s", name, text != NULL ? text : "?");
		return FALSE;
	}
	return TRUE;
}

/* ---- EID range of the EUM (nameConstraints) ---- */

/* Read from the DER: gnutls hands a permitted directoryName back only as an
 * RFC 4514 string. */
typedef struct {
	const guint8 *oid;
	gsize         oid_len;
	const guint8 *value;     /* the string's content, whatever its string type */
	gsize         value_len;
} Ava;

#define MAX_AVAS 32
static const guint8 OID_SERIAL_NUMBER_DER[] = { 0x55, 0x04, 0x05 };

/* Name ::= SEQUENCE OF SET OF SEQUENCE { type OID, value ANY } */
static gboolean
collect_avas (const guint8 *name, gsize len, GArray *out)
{
	EsimTlv top, rdn, atv, type, value;
	EsimTlvIter rdns, atvs, parts;

	if (!esim_tlv_parse_tagged (name, len, 0x30, &top, NULL))
		return FALSE;
	esim_tlv_iter_init (&rdns, &top);
	while (esim_tlv_iter_next (&rdns, &rdn, NULL)) {
		if (rdn.tag != 0x31)
			return FALSE;
		esim_tlv_iter_init (&atvs, &rdn);
		while (esim_tlv_iter_next (&atvs, &atv, NULL)) {
			Ava ava;

			esim_tlv_iter_init (&parts, &atv);
			if (atv.tag != 0x30 || out->len >= MAX_AVAS ||
			    !esim_tlv_iter_next (&parts, &type, NULL) || type.tag != 0x06 ||
			    !esim_tlv_iter_next (&parts, &value, NULL) || value.constructed)
				return FALSE;
			ava.oid = type.value;
			ava.oid_len = type.len;
			ava.value = value.value;
			ava.value_len = value.len;
			g_array_append_val (out, ava);
		}
		if (atvs.pos != atvs.end)
			return FALSE;
	}
	return rdns.pos == rdns.end;
}

static gboolean
same_oid (const Ava *a, const guint8 *oid, gsize oid_len)
{
	return a->oid_len == oid_len && memcmp (a->oid, oid, oid_len) == 0;
}

/* One permitted/excluded directoryName holds for the eUICC when each of its
 * attributes is in the eUICC subject with the same value, except
 * serialNumber, which is the EID prefix (the SGP.26 EUM permits
 * O = "RSP Test EUM", serialNumber = "89049032"). */
static gboolean
name_covers (GArray *constraint, GArray *subject, const gchar *eid)
{
	for (guint i = 0; i < constraint->len; i++) {
		const Ava *c = &g_array_index (constraint, Ava, i);
		gboolean found = FALSE;

		if (same_oid (c, OID_SERIAL_NUMBER_DER, sizeof (OID_SERIAL_NUMBER_DER))) {
			if (eid == NULL || c->value_len > strlen (eid) ||
			    memcmp (eid, c->value, c->value_len) != 0)
				return FALSE;
			continue;
		}
		for (guint j = 0; j < subject->len && !found; j++) {
			const Ava *s = &g_array_index (subject, Ava, j);

			found = same_oid (s, c->oid, c->oid_len) && s->value_len == c->value_len &&
			        memcmp (s->value, c->value, c->value_len) == 0;
		}
		if (!found)
			return FALSE;
	}
	return TRUE;
}

/* Walks GeneralSubtrees; counts directoryNames, tells whether one covers the eUICC. */
static gboolean
subtrees_cover (const EsimTlv *subtrees, GArray *subject, const gchar *eid, guint *n_dn, gboolean *covered)
{
	EsimTlvIter iter, inner;
	EsimTlv subtree, base, name;

	esim_tlv_iter_init (&iter, subtrees);
	while (esim_tlv_iter_next (&iter, &subtree, NULL)) {
		g_autoptr(GArray) avas = g_array_new (FALSE, FALSE, sizeof (Ava));

		esim_tlv_iter_init (&inner, &subtree);
		if (subtree.tag != 0x30 || !esim_tlv_iter_next (&inner, &base, NULL))
			return FALSE;
		if (base.tag != 0xA4)       /* directoryName [4], EXPLICIT (Name is a CHOICE) */
			continue;
		(*n_dn)++;
		if (!esim_tlv_parse_exact (base.value, base.len, &name, NULL) ||
		    !collect_avas (name.raw, name.raw_len, avas))
			return FALSE;
		*covered = *covered || name_covers (avas, subject, eid);
	}
	return iter.pos == iter.end;
}

static gboolean
check_eid_range (EsimCert *eum, EsimCert *euicc, GError **error)
{
	g_autofree gchar *eid = esim_cert_dup_subject_serial_number (euicc);
	g_autoptr(GArray) subject = g_array_new (FALSE, FALSE, sizeof (Ava));
	gnutls_datum_t ext = { NULL, 0 };
	gnutls_datum_t dn = { NULL, 0 };
	guint n_permitted = 0, n_excluded = 0;
	gboolean permitted = FALSE, excluded = FALSE, ok = TRUE;
	EsimTlv top, part;
	EsimTlvIter iter;
	int rc;

	rc = gnutls_x509_crt_get_extension_by_oid2 (eum->crt, "2.5.29.30", 0, &ext, NULL);
	if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		return TRUE;
	ok = rc >= 0 && gnutls_x509_crt_get_raw_dn (euicc->crt, &dn) >= 0 &&
	     collect_avas (dn.data, dn.size, subject) &&
	     esim_tlv_parse_tagged (ext.data, ext.size, 0x30, &top, NULL);
	if (ok) {
		/* NameConstraints ::= SEQUENCE { permittedSubtrees [0], excludedSubtrees [1] } */
		esim_tlv_iter_init (&iter, &top);
		while (ok && esim_tlv_iter_next (&iter, &part, NULL)) {
			if (part.tag == 0xA0)
				ok = subtrees_cover (&part, subject, eid, &n_permitted, &permitted);
			else if (part.tag == 0xA1)
				ok = subtrees_cover (&part, subject, eid, &n_excluded, &excluded);
			else
				ok = FALSE;
		}
		ok = ok && iter.pos == iter.end;
	}
	gnutls_free (ext.data);
	gnutls_free (dn.data);
	if (!ok) {
		g_set_error_literal (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		                     "EUM certificate: unreadable nameConstraints");
		return FALSE;
	}
	if ((n_permitted > 0 && !permitted) || excluded) {
		g_autofree gchar *masked = esim_log_personal (eid);

		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_WRONG_ROLE,
		             "EID %s is outside the range the EUM certificate permits", masked);
		return FALSE;
	}
	return TRUE;
}

/* ---- the chain ---- */

static EsimCert *
find_ci (EsimCert *top, const gchar *top_name, GPtrArray *cis, GBytes *ci_pkid, GError **error)
{
	g_autofree gchar *aki_hex = NULL;

	if (top->aki == NULL) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_UNTRUSTED,
		             "%s certificate has no AuthorityKeyIdentifier", top_name);
		return NULL;
	}
	aki_hex = esim_hex_encode_bytes (top->aki);
	if (ci_pkid != NULL && !g_bytes_equal (top->aki, ci_pkid)) {
		g_autofree gchar *want = esim_hex_encode_bytes (ci_pkid);

		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_UNTRUSTED,
		             "%s certificate is issued by CI %s, not by the requested CI %s",
		             top_name, aki_hex, want);
		return NULL;
	}
	for (guint i = 0; cis != NULL && i < cis->len; i++) {
		EsimCert *ci = g_ptr_array_index (cis, i);

		if (bytes_equal (ci->ski, top->aki))
			return ci;
	}
	g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_UNTRUSTED,
	             "%s certificate is issued by CI %s, which is not trusted", top_name, aki_hex);
	return NULL;
}

gboolean
esim_cert_verify_chain (EsimCert *leaf, EsimCertRole role, EsimCert *eum, GPtrArray *cis,
                        GBytes *ci_pkid, gint64 at_time, EsimCert **ci_out, GError **error)
{
	EsimCert *top = leaf;
	const gchar *top_name = NULL;
	EsimCert *ci;

	g_return_val_if_fail (leaf != NULL, FALSE);
	g_return_val_if_fail ((guint) role < G_N_ELEMENTS (roles), FALSE);

	top_name = roles[role].name;
	if (!check_role (leaf, role, error))
		return FALSE;
	if (role == ESIM_CERT_ROLE_EUICC) {
		if (eum == NULL) {
			g_set_error_literal (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_UNTRUSTED,
			                     "eUICC certificate without its EUM certificate");
			return FALSE;
		}
		if (!check_role (eum, ESIM_CERT_ROLE_EUM, error))
			return FALSE;
		if (!esim_cert_check_issued_by (leaf, eum, error)) {
			g_prefix_error (error, "eUICC certificate is not issued by the EUM certificate: ");
			return FALSE;
		}
		if (!check_eid_range (eum, leaf, error))
			return FALSE;
		top = eum;
		top_name = roles[ESIM_CERT_ROLE_EUM].name;
	} else if (eum != NULL) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		             "a %s chain has no intermediate certificate", top_name);
		return FALSE;
	}
	ci = find_ci (top, top_name, cis, ci_pkid, error);
	if (ci == NULL || !check_role (ci, ESIM_CERT_ROLE_CI, error))
		return FALSE;
	if (!esim_cert_check_issued_by (top, ci, error)) {
		g_prefix_error (error, "%s certificate is not issued by the CI: ", top_name);
		return FALSE;
	}
	if (!check_time (leaf, roles[role].name, at_time, error) ||
	    (top != leaf && !check_time (top, top_name, at_time, error)) ||
	    !check_time (ci, "CI", at_time, error))
		return FALSE;
	if (ci_out != NULL)
		*ci_out = esim_cert_ref (ci);
	return TRUE;
}
