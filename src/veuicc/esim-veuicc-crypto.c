/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The card's PKI, in one of two forms:
 *
 *  - credentials from a directory in the SGP.26 layout (esim-credentials.h):
 *    the CI certificate(s) the card trusts, the EUM certificate, the eUICC
 *    certificate and key.  This is what a real card carries, and what a
 *    download needs: an SM-DP+ verifies the eUICC → EUM → CI chain, the card
 *    verifies the SM-DP+'s DPauth/DPpb certificates up to a CI it lists.
 *  - keys of its own, made when the card was created and kept in its state
 *    file (cards made before credentials existed): an ECDSA P-256 EUM key with
 *    a self-signed EUM certificate (it stands in for the CI too: its
 *    SubjectKeyIdentifier is the CI key id the card announces) and an eUICC
 *    key whose certificate the EUM signs, with the EID as subject
 *    serialNumber, as in SGP.22 §4.5.2.  No SM-DP+ chains to that "CI", so
 *    such a card signs notifications but refuses every download with
 *    ciPKUnknown, as a card from an unknown EUM would.
 */

#define G_LOG_DOMAIN "esim-veuicc"

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>

#include "esim-credentials.h"
#include "esim-veuicc-private.h"

#define OID_SERIAL_NUMBER "2.5.4.5"
#define OID_POLICY_EUICC "2.23.146.1.2.1.1"
#define OID_POLICY_EUM "2.23.146.1.2.1.2"

enum {
	PEM_EUM_KEY,
	PEM_EUM_CERT,
	PEM_EUICC_KEY,
	PEM_EUICC_CERT,
	PEM_LAST
};

struct _VeuiccCrypto {
	gnutls_x509_privkey_t eum_key;
	gnutls_x509_crt_t     eum_cert;
	gnutls_x509_privkey_t euicc_key;
	gnutls_x509_crt_t     euicc_cert;
	gnutls_privkey_t      signer;      /* wraps euicc_key */
	GBytes               *eum_der;
	GBytes               *euicc_der;
	GPtrArray            *ci_pkids;    /* GBytes: SubjectKeyIdentifier of each trusted CI */
	GPtrArray            *cis;         /* EsimCert: the trusted CIs */
	gchar                *pem[PEM_LAST];
	EsimEuiccCredentials *creds;       /* NULL for keys of its own */
};

void
veuicc_crypto_free (VeuiccCrypto *crypto)
{
	if (crypto == NULL)
		return;
	if (crypto->signer != NULL)
		gnutls_privkey_deinit (crypto->signer);
	if (crypto->eum_key != NULL)
		gnutls_x509_privkey_deinit (crypto->eum_key);
	if (crypto->euicc_key != NULL)
		gnutls_x509_privkey_deinit (crypto->euicc_key);
	if (crypto->eum_cert != NULL)
		gnutls_x509_crt_deinit (crypto->eum_cert);
	if (crypto->euicc_cert != NULL)
		gnutls_x509_crt_deinit (crypto->euicc_cert);
	g_clear_pointer (&crypto->eum_der, g_bytes_unref);
	g_clear_pointer (&crypto->euicc_der, g_bytes_unref);
	g_clear_pointer (&crypto->ci_pkids, g_ptr_array_unref);
	g_clear_pointer (&crypto->cis, g_ptr_array_unref);
	g_clear_pointer (&crypto->creds, esim_euicc_credentials_free);
	for (guint i = 0; i < PEM_LAST; i++) {
		if (crypto->pem[i] != NULL)
			memset (crypto->pem[i], 0, strlen (crypto->pem[i]));
		g_free (crypto->pem[i]);
	}
	g_free (crypto);
}

static gboolean
gnutls_check (int rc, const gchar *what, GError **error)
{
	if (rc >= 0)
		return TRUE;
	g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", what, gnutls_strerror (rc));
	return FALSE;
}

void
veuicc_crypto_random (guint8 *buf, gsize len)
{
	if (gnutls_rnd (GNUTLS_RND_NONCE, buf, len) < 0) {
		/* gnutls_rnd only fails when the library is in an error state */
		for (gsize i = 0; i < len; i++)
			buf[i] = (guint8) g_random_int_range (0, 256);
	}
}

static gboolean
generate_key (gnutls_x509_privkey_t *key, GError **error)
{
	int rc = gnutls_x509_privkey_init (key);
	if (!gnutls_check (rc, "cannot create key", error))
		return FALSE;
	rc = gnutls_x509_privkey_generate (*key, GNUTLS_PK_ECDSA,
	                                   GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1), 0);
	return gnutls_check (rc, "cannot generate P-256 key", error);
}

static gboolean
key_id (gnutls_x509_privkey_t key, guint8 out[20], GError **error)
{
	size_t size = 20;
	int rc = gnutls_x509_privkey_get_key_id (key, GNUTLS_KEYID_USE_SHA1, out, &size);
	if (!gnutls_check (rc, "cannot compute key id", error))
		return FALSE;
	if (size != 20) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
		             "unexpected key id size %" G_GSIZE_FORMAT, (gsize) size);
		return FALSE;
	}
	return TRUE;
}

/* Fields both certificates share: version, serial, validity, key, policy, SKI. */
static gboolean
cert_common (gnutls_x509_crt_t cert, gnutls_x509_privkey_t key, const gchar *policy_oid,
             GError **error)
{
	guint8 serial[16];
	guint8 ski[20];
	struct gnutls_x509_policy_st policy = { 0 };
	time_t now = (time_t) (g_get_real_time () / G_USEC_PER_SEC);

	veuicc_crypto_random (serial, sizeof (serial));
	serial[0] &= 0x7F; /* positive INTEGER */
	serial[0] |= 0x01; /* and minimal */
	policy.oid = (char *) policy_oid;

	if (!gnutls_check (gnutls_x509_crt_set_version (cert, 3), "set version", error) ||
	    !gnutls_check (gnutls_x509_crt_set_serial (cert, serial, sizeof (serial)), "set serial", error) ||
	    !gnutls_check (gnutls_x509_crt_set_activation_time (cert, now - 24 * 3600), "set validity", error) ||
	    /* -1: no well-defined expiration date (99991231235959Z), as RSP certificates use */
	    !gnutls_check (gnutls_x509_crt_set_expiration_time (cert, (time_t) -1), "set validity", error) ||
	    !gnutls_check (gnutls_x509_crt_set_key (cert, key), "set key", error) ||
	    !gnutls_check (gnutls_x509_crt_set_policy (cert, &policy, 1), "set policy", error) ||
	    !key_id (key, ski, error) ||
	    !gnutls_check (gnutls_x509_crt_set_subject_key_id (cert, ski, sizeof (ski)), "set SKI", error))
		return FALSE;
	return TRUE;
}

static gboolean
set_dn (gnutls_x509_crt_t cert, const gchar *cn, const gchar *serial_number, GError **error)
{
	const gchar *org = "esimd";
	if (!gnutls_check (gnutls_x509_crt_set_dn_by_oid (cert, GNUTLS_OID_X520_ORGANIZATION_NAME, 0,
	                                                  org, strlen (org)), "set O", error) ||
	    !gnutls_check (gnutls_x509_crt_set_dn_by_oid (cert, GNUTLS_OID_X520_COMMON_NAME, 0,
	                                                  cn, strlen (cn)), "set CN", error))
		return FALSE;
	if (serial_number != NULL &&
	    !gnutls_check (gnutls_x509_crt_set_dn_by_oid (cert, OID_SERIAL_NUMBER, 0, serial_number,
	                                                  strlen (serial_number)), "set serialNumber", error))
		return FALSE;
	return TRUE;
}

static gboolean
make_eum_cert (VeuiccCrypto *crypto, GError **error)
{
	int rc = gnutls_x509_crt_init (&crypto->eum_cert);
	if (!gnutls_check (rc, "cannot create certificate", error))
		return FALSE;
	if (!cert_common (crypto->eum_cert, crypto->eum_key, OID_POLICY_EUM, error) ||
	    !set_dn (crypto->eum_cert, "esimd virtual EUM", NULL, error) ||
	    !gnutls_check (gnutls_x509_crt_set_basic_constraints (crypto->eum_cert, 1, 0), "set CA", error) ||
	    !gnutls_check (gnutls_x509_crt_set_key_usage (crypto->eum_cert, GNUTLS_KEY_KEY_CERT_SIGN),
	                   "set key usage", error))
		return FALSE;
	rc = gnutls_x509_crt_sign2 (crypto->eum_cert, crypto->eum_cert, crypto->eum_key,
	                            GNUTLS_DIG_SHA256, 0);
	return gnutls_check (rc, "cannot sign EUM certificate", error);
}

static gboolean
make_euicc_cert (VeuiccCrypto *crypto, const gchar *eid, GError **error)
{
	guint8 aki[20];
	int rc = gnutls_x509_crt_init (&crypto->euicc_cert);
	if (!gnutls_check (rc, "cannot create certificate", error))
		return FALSE;
	if (!cert_common (crypto->euicc_cert, crypto->euicc_key, OID_POLICY_EUICC, error) ||
	    !set_dn (crypto->euicc_cert, "esimd virtual eUICC", eid, error) ||
	    !gnutls_check (gnutls_x509_crt_set_key_usage (crypto->euicc_cert,
	                                                  GNUTLS_KEY_DIGITAL_SIGNATURE),
	                   "set key usage", error) ||
	    !key_id (crypto->eum_key, aki, error) ||
	    !gnutls_check (gnutls_x509_crt_set_authority_key_id (crypto->euicc_cert, aki, sizeof (aki)),
	                   "set AKI", error))
		return FALSE;
	rc = gnutls_x509_crt_sign2 (crypto->euicc_cert, crypto->eum_cert, crypto->eum_key,
	                            GNUTLS_DIG_SHA256, 0);
	return gnutls_check (rc, "cannot sign eUICC certificate", error);
}

static gchar *
datum_to_string (gnutls_datum_t *datum)
{
	gchar *str = g_strndup ((const gchar *) datum->data, datum->size);
	gnutls_free (datum->data);
	datum->data = NULL;
	return str;
}

static GBytes *
cert_der (gnutls_x509_crt_t cert, GError **error)
{
	gnutls_datum_t out = { NULL, 0 };
	GBytes *bytes;
	int rc = gnutls_x509_crt_export2 (cert, GNUTLS_X509_FMT_DER, &out);
	if (!gnutls_check (rc, "cannot export certificate", error))
		return NULL;
	bytes = g_bytes_new (out.data, out.size);
	gnutls_free (out.data);
	return bytes;
}

/* Everything derived from the four objects once they exist: DER, CI key id, signer. */
static gboolean
crypto_finish (VeuiccCrypto *crypto, GError **error)
{
	guint8 ski[32];
	size_t ski_len = sizeof (ski);
	unsigned int critical = 0;
	EsimCert *eum;
	int rc;

	crypto->eum_der = cert_der (crypto->eum_cert, error);
	if (crypto->eum_der == NULL)
		return FALSE;
	crypto->euicc_der = cert_der (crypto->euicc_cert, error);
	if (crypto->euicc_der == NULL)
		return FALSE;
	rc = gnutls_x509_crt_get_subject_key_id (crypto->eum_cert, ski, &ski_len, &critical);
	if (!gnutls_check (rc, "EUM certificate has no SubjectKeyIdentifier", error))
		return FALSE;
	if (ski_len != 20) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
		             "EUM SubjectKeyIdentifier has %" G_GSIZE_FORMAT " bytes, expected 20",
		             (gsize) ski_len);
		return FALSE;
	}
	crypto->ci_pkids = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
	g_ptr_array_add (crypto->ci_pkids, g_bytes_new (ski, ski_len));
	/* the self-signed EUM is no CI (wrong policy): server certificates never chain to it */
	crypto->cis = g_ptr_array_new_with_free_func ((GDestroyNotify) esim_cert_unref);
	eum = esim_cert_new_from_der (g_bytes_get_data (crypto->eum_der, NULL),
	                              g_bytes_get_size (crypto->eum_der), NULL);
	if (eum != NULL)
		g_ptr_array_add (crypto->cis, eum);
	rc = gnutls_privkey_init (&crypto->signer);
	if (!gnutls_check (rc, "cannot create signer", error))
		return FALSE;
	rc = gnutls_privkey_import_x509 (crypto->signer, crypto->euicc_key, 0);
	return gnutls_check (rc, "cannot use eUICC key", error);
}

VeuiccCrypto *
veuicc_crypto_generate (const gchar *eid, GError **error)
{
	g_autoptr(VeuiccCrypto) crypto = g_new0 (VeuiccCrypto, 1);
	gnutls_datum_t out = { NULL, 0 };

	g_return_val_if_fail (eid != NULL, NULL);

	if (!generate_key (&crypto->eum_key, error) ||
	    !generate_key (&crypto->euicc_key, error) ||
	    !make_eum_cert (crypto, error) ||
	    !make_euicc_cert (crypto, eid, error))
		return NULL;

	if (!gnutls_check (gnutls_x509_privkey_export2 (crypto->eum_key, GNUTLS_X509_FMT_PEM, &out),
	                   "export EUM key", error))
		return NULL;
	crypto->pem[PEM_EUM_KEY] = datum_to_string (&out);
	if (!gnutls_check (gnutls_x509_crt_export2 (crypto->eum_cert, GNUTLS_X509_FMT_PEM, &out),
	                   "export EUM certificate", error))
		return NULL;
	crypto->pem[PEM_EUM_CERT] = datum_to_string (&out);
	if (!gnutls_check (gnutls_x509_privkey_export2 (crypto->euicc_key, GNUTLS_X509_FMT_PEM, &out),
	                   "export eUICC key", error))
		return NULL;
	crypto->pem[PEM_EUICC_KEY] = datum_to_string (&out);
	if (!gnutls_check (gnutls_x509_crt_export2 (crypto->euicc_cert, GNUTLS_X509_FMT_PEM, &out),
	                   "export eUICC certificate", error))
		return NULL;
	crypto->pem[PEM_EUICC_CERT] = datum_to_string (&out);

	if (!crypto_finish (crypto, error))
		return NULL;
	return g_steal_pointer (&crypto);
}

static gboolean
import_key (const gchar *pem, const gchar *what, gnutls_x509_privkey_t *key, GError **error)
{
	gnutls_datum_t datum = { (unsigned char *) pem, (unsigned int) strlen (pem) };
	int rc = gnutls_x509_privkey_init (key);
	if (!gnutls_check (rc, what, error))
		return FALSE;
	rc = gnutls_x509_privkey_import (*key, &datum, GNUTLS_X509_FMT_PEM);
	if (rc < 0) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "bad PEM in %s: %s",
		             what, gnutls_strerror (rc));
		return FALSE;
	}
	if (gnutls_x509_privkey_get_pk_algorithm (*key) != GNUTLS_PK_ECDSA) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s is not an ECDSA key", what);
		return FALSE;
	}
	return TRUE;
}

static gboolean
import_cert (const gchar *pem, const gchar *what, gnutls_x509_crt_t *cert, GError **error)
{
	gnutls_datum_t datum = { (unsigned char *) pem, (unsigned int) strlen (pem) };
	int rc = gnutls_x509_crt_init (cert);
	if (!gnutls_check (rc, what, error))
		return FALSE;
	rc = gnutls_x509_crt_import (*cert, &datum, GNUTLS_X509_FMT_PEM);
	if (rc < 0) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "bad PEM in %s: %s",
		             what, gnutls_strerror (rc));
		return FALSE;
	}
	return TRUE;
}

static gboolean
key_matches_cert (gnutls_x509_privkey_t key, gnutls_x509_crt_t cert, const gchar *what,
                  GError **error)
{
	guint8 a[20], b[20];
	size_t b_len = sizeof (b);
	if (!key_id (key, a, error))
		return FALSE;
	if (gnutls_x509_crt_get_key_id (cert, GNUTLS_KEYID_USE_SHA1, b, &b_len) < 0 ||
	    b_len != sizeof (a) || memcmp (a, b, sizeof (a)) != 0) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		             "%s key does not match its certificate", what);
		return FALSE;
	}
	return TRUE;
}

static gboolean
check_chain (VeuiccCrypto *crypto, const gchar *eid, GError **error)
{
	gchar serial[64] = { 0 };
	size_t serial_len = sizeof (serial) - 1;
	unsigned int status = 0;
	int rc;

	rc = gnutls_x509_crt_verify (crypto->euicc_cert, &crypto->eum_cert, 1,
	                             GNUTLS_VERIFY_DISABLE_TIME_CHECKS, &status);
	if (rc < 0 || status != 0) {
		g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		                     "eUICC certificate is not signed by the EUM certificate");
		return FALSE;
	}
	rc = gnutls_x509_crt_get_dn_by_oid (crypto->euicc_cert, OID_SERIAL_NUMBER, 0, 0,
	                                    serial, &serial_len);
	if (rc < 0 || g_strcmp0 (serial, eid) != 0) {
		g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		                     "eUICC certificate serialNumber is not the EID");
		return FALSE;
	}
	return TRUE;
}

VeuiccCrypto *
veuicc_crypto_load (const gchar *eum_key_pem, const gchar *eum_cert_pem,
                    const gchar *euicc_key_pem, const gchar *euicc_cert_pem,
                    const gchar *eid, GError **error)
{
	g_autoptr(VeuiccCrypto) crypto = g_new0 (VeuiccCrypto, 1);

	g_return_val_if_fail (eum_key_pem != NULL && eum_cert_pem != NULL, NULL);
	g_return_val_if_fail (euicc_key_pem != NULL && euicc_cert_pem != NULL, NULL);

	if (!import_key (eum_key_pem, "eum-key", &crypto->eum_key, error) ||
	    !import_cert (eum_cert_pem, "eum-certificate", &crypto->eum_cert, error) ||
	    !import_key (euicc_key_pem, "euicc-key", &crypto->euicc_key, error) ||
	    !import_cert (euicc_cert_pem, "euicc-certificate", &crypto->euicc_cert, error) ||
	    !key_matches_cert (crypto->eum_key, crypto->eum_cert, "EUM", error) ||
	    !key_matches_cert (crypto->euicc_key, crypto->euicc_cert, "eUICC", error) ||
	    !check_chain (crypto, eid, error))
		return NULL;
	crypto->pem[PEM_EUM_KEY] = g_strdup (eum_key_pem);
	crypto->pem[PEM_EUM_CERT] = g_strdup (eum_cert_pem);
	crypto->pem[PEM_EUICC_KEY] = g_strdup (euicc_key_pem);
	crypto->pem[PEM_EUICC_CERT] = g_strdup (euicc_cert_pem);
	if (!crypto_finish (crypto, error))
		return NULL;
	return g_steal_pointer (&crypto);
}

const gchar *
veuicc_crypto_get_pem (VeuiccCrypto *crypto, guint idx)
{
	/* NULL for credentials: their files are the keys' home, not the state file */
	g_return_val_if_fail (crypto != NULL, NULL);
	g_return_val_if_fail (idx < PEM_LAST, NULL);
	return crypto->pem[idx];
}

GBytes *
veuicc_crypto_get_eum_certificate (VeuiccCrypto *crypto)
{
	g_return_val_if_fail (crypto != NULL, NULL);
	return g_bytes_ref (crypto->eum_der);
}

GBytes *
veuicc_crypto_get_euicc_certificate (VeuiccCrypto *crypto)
{
	g_return_val_if_fail (crypto != NULL, NULL);
	return g_bytes_ref (crypto->euicc_der);
}

GPtrArray *
veuicc_crypto_get_ci_pkids (VeuiccCrypto *crypto)
{
	g_return_val_if_fail (crypto != NULL, NULL);
	return crypto->ci_pkids;
}

gboolean
veuicc_crypto_has_ci_pkid (VeuiccCrypto *crypto, const guint8 *pkid, gsize len)
{
	g_return_val_if_fail (crypto != NULL, FALSE);
	for (guint i = 0; i < crypto->ci_pkids->len; i++) {
		GBytes *own = g_ptr_array_index (crypto->ci_pkids, i);
		if (g_bytes_get_size (own) == len && memcmp (g_bytes_get_data (own, NULL), pkid, len) == 0)
			return TRUE;
	}
	return FALSE;
}

GPtrArray *
veuicc_crypto_get_cis (VeuiccCrypto *crypto)
{
	g_return_val_if_fail (crypto != NULL, NULL);
	return crypto->cis;
}

const gchar *
veuicc_crypto_get_credentials_dir (VeuiccCrypto *crypto)
{
	g_return_val_if_fail (crypto != NULL, NULL);
	return crypto->creds != NULL ? crypto->creds->dir : NULL;
}

const gchar *
veuicc_crypto_get_credentials_eid (VeuiccCrypto *crypto)
{
	g_return_val_if_fail (crypto != NULL, NULL);
	return crypto->creds != NULL ? crypto->creds->eid : NULL;
}

VeuiccCrypto *
veuicc_crypto_new_from_credentials (const gchar *dir, GError **error)
{
	g_autoptr(VeuiccCrypto) crypto = g_new0 (VeuiccCrypto, 1);

	g_return_val_if_fail (dir != NULL, NULL);

	crypto->creds = esim_euicc_credentials_load (dir, error);
	if (crypto->creds == NULL)
		return NULL;
	crypto->eum_der = g_bytes_ref (esim_cert_get_der (crypto->creds->eum_cert));
	crypto->euicc_der = g_bytes_ref (esim_cert_get_der (crypto->creds->euicc_cert));
	crypto->ci_pkids = esim_euicc_credentials_dup_ci_pkids (crypto->creds);
	crypto->cis = g_ptr_array_ref (crypto->creds->ci_certs);
	return g_steal_pointer (&crypto);
}

/* Copies a DER INTEGER magnitude right-aligned into 32 bytes (BSI TR-03111 plain form). */
static gboolean
copy_scalar (const gnutls_datum_t *in, guint8 out[32])
{
	const guint8 *p = in->data;
	gsize len = in->size;
	while (len > 0 && *p == 0) {
		p++;
		len--;
	}
	if (len > 32)
		return FALSE;
	memset (out, 0, 32);
	if (len > 0)
		memcpy (out + 32 - len, p, len);
	return TRUE;
}

gboolean
veuicc_crypto_sign (VeuiccCrypto *crypto, const guint8 *data, gsize len, guint8 signature[64],
                    GError **error)
{
	gnutls_datum_t in = { (unsigned char *) data, (unsigned int) len };
	gnutls_datum_t sig = { NULL, 0 };
	gnutls_datum_t r = { NULL, 0 };
	gnutls_datum_t s = { NULL, 0 };
	gboolean ok;
	int rc;

	g_return_val_if_fail (crypto != NULL, FALSE);

	if (crypto->creds != NULL)
		return esim_euicc_credentials_sign (crypto->creds, data, len, signature, error);
	rc = gnutls_privkey_sign_data (crypto->signer, GNUTLS_DIG_SHA256, 0, &in, &sig);
	if (!gnutls_check (rc, "cannot sign", error))
		return FALSE;
	/* gnutls returns an ECDSA-Sig-Value SEQUENCE; GSMA wants raw r || s */
	rc = gnutls_decode_rs_value (&sig, &r, &s);
	gnutls_free (sig.data);
	if (!gnutls_check (rc, "cannot decode signature", error))
		return FALSE;
	ok = copy_scalar (&r, signature) && copy_scalar (&s, signature + 32);
	gnutls_free (r.data);
	gnutls_free (s.data);
	if (!ok) {
		g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "signature scalar too long");
		return FALSE;
	}
	return TRUE;
}
