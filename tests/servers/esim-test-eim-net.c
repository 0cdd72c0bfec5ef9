/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The test eIM's credentials (a TLS CA of its own, a TLS server
 * certificate, a package-signing key) and the HTTPS client that pushes
 * TransferEimPackage.  The listener is esim-test-eim-tls.c.
 */

#define G_LOG_DOMAIN "esim-test-eim"

#include <glib/gstdio.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>

#include "esim-ecdsa.h"
#include "esim-test-eim-private.h"

#define CERT_VALIDITY_DAYS   (20 * 365)
#define PUSH_TIMEOUT_SECONDS 30
#define PUSH_MAX_ANSWER      (256 * 1024)

static gboolean
check (int rc, const gchar *what, GError **error)
{
	if (rc >= 0)
		return TRUE;
	g_set_error (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_FAILED, "%s: %s", what, gnutls_strerror (rc));
	return FALSE;
}

/* ------------------------------------------------------------------------ */
/* credentials */

GBytes *
eim_pem_to_der (const gchar *pem, gsize len)
{
	gnutls_datum_t in = { (unsigned char *) pem, (unsigned int) len };
	gnutls_datum_t out = { NULL, 0 };
	GBytes *der;

	if (len > G_MAXUINT || gnutls_pem_base64_decode2 ("CERTIFICATE", &in, &out) < 0)
		return NULL;
	der = g_bytes_new (out.data, out.size);
	gnutls_free (out.data);
	return der;
}

static gchar *
crt_to_pem (gnutls_x509_crt_t crt)
{
	gnutls_datum_t pem = { NULL, 0 };
	gchar *text;

	if (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &pem) < 0)
		return NULL;
	text = g_strndup ((const gchar *) pem.data, pem.size);
	gnutls_free (pem.data);
	return text;
}

static GBytes *
crt_to_der (gnutls_x509_crt_t crt)
{
	gnutls_datum_t der = { NULL, 0 };
	GBytes *bytes;

	if (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_DER, &der) < 0)
		return NULL;
	bytes = g_bytes_new (der.data, der.size);
	gnutls_free (der.data);
	return bytes;
}

static gchar *
key_to_pem (gnutls_x509_privkey_t key)
{
	gnutls_datum_t pem = { NULL, 0 };
	gchar *text;

	if (gnutls_x509_privkey_export2 (key, GNUTLS_X509_FMT_PEM, &pem) < 0)
		return NULL;
	text = g_strndup ((const gchar *) pem.data, pem.size);
	gnutls_free (pem.data);
	return text;
}

static gboolean
new_key (gnutls_x509_privkey_t *key, GError **error)
{
	return check (gnutls_x509_privkey_init (key), "create key", error) &&
	       check (gnutls_x509_privkey_generate (*key, GNUTLS_PK_ECDSA,
	                                            GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1), 0),
	              "generate P-256 key", error);
}

/* A certificate for @key named @common_name, issued by @issuer_crt/@issuer_key
 * (NULL: self-signed). */
static gboolean
make_certificate (gnutls_x509_crt_t *crt, gnutls_x509_privkey_t key, const gchar *common_name, gboolean ca,
                  const gchar *host, gnutls_x509_crt_t issuer_crt, gnutls_x509_privkey_t issuer_key,
                  GError **error)
{
	guint8 serial[8];
	guint8 key_id[20];
	size_t key_id_len = sizeof (key_id);
	time_t now = time (NULL);

	for (gsize i = 0; i < sizeof (serial); i++)
		serial[i] = (guint8) g_random_int_range (0, 256);
	serial[0] = (serial[0] & 0x7F) | 0x01;
	if (!check (gnutls_x509_crt_init (crt), "create certificate", error) ||
	    !check (gnutls_x509_crt_set_version (*crt, 3), "set version", error) ||
	    !check (gnutls_x509_crt_set_serial (*crt, serial, sizeof (serial)), "set serial", error) ||
	    !check (gnutls_x509_crt_set_dn_by_oid (*crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0, "esimd tests",
	                                           strlen ("esimd tests")), "set name", error) ||
	    !check (gnutls_x509_crt_set_dn_by_oid (*crt, GNUTLS_OID_X520_COMMON_NAME, 0, common_name,
	                                           strlen (common_name)), "set name", error) ||
	    !check (gnutls_x509_crt_set_activation_time (*crt, now - 86400), "set validity", error) ||
	    !check (gnutls_x509_crt_set_expiration_time (*crt, now + (time_t) CERT_VALIDITY_DAYS * 86400),
	            "set validity", error) ||
	    !check (gnutls_x509_crt_set_key (*crt, key), "set key", error) ||
	    !check (gnutls_x509_crt_get_key_id (*crt, GNUTLS_KEYID_USE_SHA1, key_id, &key_id_len), "key id", error) ||
	    !check (gnutls_x509_crt_set_subject_key_id (*crt, key_id, key_id_len), "set SKI", error) ||
	    !check (gnutls_x509_crt_set_basic_constraints (*crt, ca, -1), "set basic constraints", error) ||
	    !check (gnutls_x509_crt_set_key_usage (*crt, ca ? GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN
	                                                    : GNUTLS_KEY_DIGITAL_SIGNATURE), "set key usage", error))
		return FALSE;
	if (host != NULL) {
		GInetAddress *ip = g_inet_address_new_from_string (host);
		static const guint8 loopback4[] = { 127, 0, 0, 1 };
		static const guint8 loopback6[16] = { [15] = 1 };

		/* the names an IPA may reach the eIM by: its host, and the loopback */
		if (ip != NULL) {
			gnutls_x509_crt_set_subject_alt_name (*crt, GNUTLS_SAN_IPADDRESS, g_inet_address_to_bytes (ip),
			                                      g_inet_address_get_native_size (ip), GNUTLS_FSAN_APPEND);
			g_object_unref (ip);
		} else {
			gnutls_x509_crt_set_subject_alt_name (*crt, GNUTLS_SAN_DNSNAME, host, strlen (host),
			                                      GNUTLS_FSAN_APPEND);
		}
		if (!check (gnutls_x509_crt_set_subject_alt_name (*crt, GNUTLS_SAN_DNSNAME, "localhost",
		                                                  strlen ("localhost"), GNUTLS_FSAN_APPEND),
		            "set SAN", error) ||
		    !check (gnutls_x509_crt_set_subject_alt_name (*crt, GNUTLS_SAN_IPADDRESS, loopback4,
		                                                  sizeof (loopback4), GNUTLS_FSAN_APPEND),
		            "set SAN", error) ||
		    !check (gnutls_x509_crt_set_subject_alt_name (*crt, GNUTLS_SAN_IPADDRESS, loopback6,
		                                                  sizeof (loopback6), GNUTLS_FSAN_APPEND),
		            "set SAN", error) ||
		    !check (gnutls_x509_crt_set_key_purpose_oid (*crt, GNUTLS_KP_TLS_WWW_SERVER, 0), "set EKU", error))
			return FALSE;
	}
	if (issuer_crt != NULL) {
		key_id_len = sizeof (key_id);
		if (!check (gnutls_x509_crt_get_subject_key_id (issuer_crt, key_id, &key_id_len, NULL), "issuer SKI",
		            error) ||
		    !check (gnutls_x509_crt_set_authority_key_id (*crt, key_id, key_id_len), "set AKI", error))
			return FALSE;
	}
	return check (gnutls_x509_crt_sign2 (*crt, issuer_crt != NULL ? issuer_crt : *crt,
	                                     issuer_key != NULL ? issuer_key : key, GNUTLS_DIG_SHA256, 0),
	              "sign certificate", error);
}

static gboolean
write_secret (const gchar *dir, const gchar *name, const gchar *text, gboolean secret, GError **error)
{
	g_autofree gchar *path = g_build_filename (dir, name, NULL);

	if (!g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, secret ? 0600 : 0644,
	                               error))
		return FALSE;
	return TRUE;
}

static gchar *
read_text (const gchar *dir, const gchar *name)
{
	g_autofree gchar *path = dir != NULL ? g_build_filename (dir, name, NULL) : g_strdup (name);
	gchar *text = NULL;

	if (!g_file_get_contents (path, &text, NULL, NULL))
		return NULL;
	return text;
}

static gboolean
import_crt (gnutls_x509_crt_t *crt, const gchar *text, gsize len, GError **error)
{
	gnutls_datum_t datum = { (unsigned char *) text, (unsigned int) len };

	if (!check (gnutls_x509_crt_init (crt), "create certificate", error))
		return FALSE;
	if (gnutls_x509_crt_import (*crt, &datum, GNUTLS_X509_FMT_PEM) >= 0 ||
	    gnutls_x509_crt_import (*crt, &datum, GNUTLS_X509_FMT_DER) >= 0)
		return TRUE;
	g_set_error_literal (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_INVALID, "not a certificate");
	return FALSE;
}

static gboolean
import_key (gnutls_x509_privkey_t *key, const gchar *text, gsize len, GError **error)
{
	gnutls_datum_t datum = { (unsigned char *) text, (unsigned int) len };

	if (!check (gnutls_x509_privkey_init (key), "create key", error))
		return FALSE;
	if (gnutls_x509_privkey_import2 (*key, &datum, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN) >= 0 ||
	    gnutls_x509_privkey_import2 (*key, &datum, GNUTLS_X509_FMT_DER, NULL, GNUTLS_PKCS_PLAIN) >= 0)
		return TRUE;
	g_set_error_literal (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_INVALID, "not a private key");
	return FALSE;
}

typedef struct {
	gnutls_x509_crt_t ca;
	gnutls_x509_privkey_t ca_key;
	gnutls_x509_crt_t leaf;
	gnutls_x509_privkey_t leaf_key;
	gnutls_x509_privkey_t signing_key;
} RawCredentials;

static void
raw_credentials_clear (RawCredentials *raw)
{
	if (raw->ca != NULL)
		gnutls_x509_crt_deinit (raw->ca);
	if (raw->ca_key != NULL)
		gnutls_x509_privkey_deinit (raw->ca_key);
	if (raw->leaf != NULL)
		gnutls_x509_crt_deinit (raw->leaf);
	if (raw->leaf_key != NULL)
		gnutls_x509_privkey_deinit (raw->leaf_key);
	if (raw->signing_key != NULL)
		gnutls_x509_privkey_deinit (raw->signing_key);
	memset (raw, 0, sizeof (*raw));
}

/* Loads the credentials of @dir (making what is missing, and a new server
 * certificate when the one there does not name @host), or makes all of them
 * in memory when @dir is NULL. */
static gboolean
credentials_from_dir (RawCredentials *raw, const gchar *dir, const gchar *host, GError **error)
{
	g_autofree gchar *ca = dir != NULL ? read_text (dir, "eim-tls-ca.pem") : NULL;
	g_autofree gchar *ca_key = dir != NULL ? read_text (dir, "eim-tls-ca-key.pem") : NULL;
	g_autofree gchar *leaf = dir != NULL ? read_text (dir, "eim-tls.pem") : NULL;
	g_autofree gchar *leaf_key = dir != NULL ? read_text (dir, "eim-tls-key.pem") : NULL;
	g_autofree gchar *signing = dir != NULL ? read_text (dir, "eim-signing-key.pem") : NULL;
	gboolean write_ca = FALSE, write_leaf = FALSE, write_signing = FALSE;

	if (dir != NULL && g_mkdir_with_parents (dir, 0700) != 0) {
		g_set_error (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_FAILED, "cannot create %s: %s", dir,
		             g_strerror (errno));
		return FALSE;
	}
	if (ca != NULL && ca_key != NULL) {
		if (!import_crt (&raw->ca, ca, strlen (ca), error) ||
		    !import_key (&raw->ca_key, ca_key, strlen (ca_key), error))
			return FALSE;
	} else {
		if (!new_key (&raw->ca_key, error) ||
		    !make_certificate (&raw->ca, raw->ca_key, "esim-test-eim TLS CA", TRUE, NULL, NULL, NULL, error))
			return FALSE;
		write_ca = TRUE;
		g_clear_pointer (&leaf, g_free);
	}
	if (leaf != NULL && leaf_key != NULL) {
		if (!import_crt (&raw->leaf, leaf, strlen (leaf), error) ||
		    !import_key (&raw->leaf_key, leaf_key, strlen (leaf_key), error))
			return FALSE;
		if (!gnutls_x509_crt_check_hostname (raw->leaf, host)) {
			gnutls_x509_crt_deinit (raw->leaf);
			raw->leaf = NULL;
		}
	}
	if (raw->leaf == NULL) {
		if (raw->leaf_key == NULL && !new_key (&raw->leaf_key, error))
			return FALSE;
		if (!make_certificate (&raw->leaf, raw->leaf_key, host, FALSE, host, raw->ca, raw->ca_key, error))
			return FALSE;
		write_leaf = TRUE;
	}
	if (signing != NULL) {
		if (!import_key (&raw->signing_key, signing, strlen (signing), error))
			return FALSE;
	} else {
		if (!new_key (&raw->signing_key, error))
			return FALSE;
		write_signing = TRUE;
	}
	if (dir == NULL)
		return TRUE;
	if (write_ca) {
		g_autofree gchar *pem = crt_to_pem (raw->ca);
		g_autofree gchar *key_pem = key_to_pem (raw->ca_key);

		if (!write_secret (dir, "eim-tls-ca.pem", pem, FALSE, error) ||
		    !write_secret (dir, "eim-tls-ca-key.pem", key_pem, TRUE, error))
			return FALSE;
	}
	if (write_leaf) {
		g_autofree gchar *pem = crt_to_pem (raw->leaf);
		g_autofree gchar *key_pem = key_to_pem (raw->leaf_key);

		if (!write_secret (dir, "eim-tls.pem", pem, FALSE, error) ||
		    !write_secret (dir, "eim-tls-key.pem", key_pem, TRUE, error))
			return FALSE;
	}
	if (write_signing) {
		g_autofree gchar *key_pem = key_to_pem (raw->signing_key);

		if (!write_secret (dir, "eim-signing-key.pem", key_pem, TRUE, error))
			return FALSE;
	}
	return TRUE;
}

/* The credentials of files given one by one. */
static gboolean
credentials_from_files (RawCredentials *raw, const EsimTestEimOptions *options, GError **error)
{
	g_autofree gchar *leaf = NULL, *leaf_key = NULL, *ca = NULL, *signing = NULL;
	gnutls_x509_crt_t chain[4];
	unsigned int n_chain = G_N_ELEMENTS (chain);
	gnutls_datum_t datum;

	if (options->tls_cert_file == NULL || options->tls_key_file == NULL || options->signing_key_file == NULL) {
		g_set_error_literal (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_INVALID,
		                     "own credentials need a TLS certificate, its key and a signing key");
		return FALSE;
	}
	leaf = read_text (NULL, options->tls_cert_file);
	leaf_key = read_text (NULL, options->tls_key_file);
	signing = read_text (NULL, options->signing_key_file);
	if (options->tls_ca_file != NULL)
		ca = read_text (NULL, options->tls_ca_file);
	if (leaf == NULL || leaf_key == NULL || signing == NULL || (options->tls_ca_file != NULL && ca == NULL)) {
		g_set_error_literal (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_INVALID,
		                     "cannot read a credentials file");
		return FALSE;
	}
	datum.data = (unsigned char *) leaf;
	datum.size = strlen (leaf);
	if (!check (gnutls_x509_crt_list_import (chain, &n_chain, &datum, GNUTLS_X509_FMT_PEM, 0),
	            "read the TLS certificate chain", error) ||
	    !import_key (&raw->leaf_key, leaf_key, strlen (leaf_key), error) ||
	    !import_key (&raw->signing_key, signing, strlen (signing), error))
		return FALSE;
	raw->leaf = chain[0];
	/* the CA for trustedPublicKeyDataTls: given, else the chain's issuer, else the leaf */
	if (ca != NULL) {
		for (guint i = 1; i < n_chain; i++)
			gnutls_x509_crt_deinit (chain[i]);
		return import_crt (&raw->ca, ca, strlen (ca), error);
	}
	raw->ca = n_chain > 1 ? chain[n_chain - 1] : NULL;
	for (guint i = 1; i + 1 < n_chain; i++)
		gnutls_x509_crt_deinit (chain[i]);
	return TRUE;
}

static GBytes *
spki_of_crt (gnutls_x509_crt_t crt)
{
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t der = { NULL, 0 };
	GBytes *bytes = NULL;

	if (gnutls_pubkey_init (&pub) >= 0 && gnutls_pubkey_import_x509 (pub, crt, 0) >= 0 &&
	    gnutls_pubkey_export2 (pub, GNUTLS_X509_FMT_DER, &der) >= 0)
		bytes = g_bytes_new (der.data, der.size);
	gnutls_free (der.data);
	if (pub != NULL)
		gnutls_pubkey_deinit (pub);
	return bytes;
}

gboolean
eim_credentials_load (EimCredentials *credentials, const EsimTestEimOptions *options, const gchar *host,
                      GError **error)
{
	RawCredentials raw = { 0 };
	g_autofree gchar *leaf_pem = NULL, *key_pem = NULL, *ca_pem = NULL;
	gnutls_x509_crt_t signing_crt = NULL;
	gboolean own = options->tls_cert_file != NULL || options->tls_key_file != NULL ||
	               options->signing_key_file != NULL;
	gboolean ok = FALSE;

	memset (credentials, 0, sizeof (*credentials));
	if (own ? !credentials_from_files (&raw, options, error)
	        : !credentials_from_dir (&raw, options->credentials_dir, host, error))
		goto out;
	leaf_pem = crt_to_pem (raw.leaf);
	key_pem = key_to_pem (raw.leaf_key);
	ca_pem = raw.ca != NULL ? crt_to_pem (raw.ca) : NULL;
	/* what a full handshake sends: the certificate, then its CA */
	credentials->tls_chain_pem = g_strconcat (leaf_pem, ca_pem != NULL && raw.ca != raw.leaf ? ca_pem : "", NULL);
	credentials->tls_key_pem = g_strdup (key_pem);
	credentials->tls_certificate_der = crt_to_der (raw.leaf);
	credentials->tls_ca_der = raw.ca != NULL ? crt_to_der (raw.ca) : g_bytes_ref (credentials->tls_certificate_der);
	credentials->tls_spki_der = spki_of_crt (raw.leaf);
	if (!check (gnutls_privkey_init (&credentials->signing_key), "create key", error) ||
	    !check (gnutls_privkey_import_x509 (credentials->signing_key, raw.signing_key,
	                                        GNUTLS_PRIVKEY_IMPORT_COPY), "import the signing key", error))
		goto out;
	/* the signing key as a self-signed certificate, for eimPublicKeyData eimCertificate */
	if (!make_certificate (&signing_crt, raw.signing_key, "esim-test-eim package signing", FALSE, NULL, NULL,
	                       NULL, error))
		goto out;
	credentials->signing_certificate_der = crt_to_der (signing_crt);
	credentials->signing_spki_der = spki_of_crt (signing_crt);
	if (credentials->tls_spki_der == NULL || credentials->signing_spki_der == NULL) {
		g_set_error_literal (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_FAILED, "cannot export a key");
		goto out;
	}
	ok = TRUE;
out:
	if (signing_crt != NULL)
		gnutls_x509_crt_deinit (signing_crt);
	raw_credentials_clear (&raw);
	if (key_pem != NULL)
		memset (key_pem, 0, strlen (key_pem));
	if (!ok)
		eim_credentials_clear (credentials);
	return ok;
}

void
eim_credentials_clear (EimCredentials *credentials)
{
	g_clear_pointer (&credentials->tls_chain_pem, g_free);
	if (credentials->tls_key_pem != NULL)
		memset (credentials->tls_key_pem, 0, strlen (credentials->tls_key_pem));
	g_clear_pointer (&credentials->tls_key_pem, g_free);
	g_clear_pointer (&credentials->tls_certificate_der, g_bytes_unref);
	g_clear_pointer (&credentials->tls_ca_der, g_bytes_unref);
	g_clear_pointer (&credentials->tls_spki_der, g_bytes_unref);
	g_clear_pointer (&credentials->signing_spki_der, g_bytes_unref);
	g_clear_pointer (&credentials->signing_certificate_der, g_bytes_unref);
	if (credentials->signing_key != NULL)
		gnutls_privkey_deinit (credentials->signing_key);
	credentials->signing_key = NULL;
}

/* ------------------------------------------------------------------------ */
/* push client: the eIM as the HTTPS client of ESipa.TransferEimPackage (SGP.32
 * §3.1.1.2, §6.3.2.8): a POST with the binding's Content-Type and
 * X-Admin-Protocol as in the HTTP binding of §6.1 (the same headers
 * onomondo-eim's clients send it); where and how an eIM reaches the IPA is
 * unverified in public sources (esim-test-eim-push.c says which part) */

typedef struct {
	SoupSession *session;
	SoupMessage *msg;
} PushData;

static void
push_data_free (PushData *data)
{
	g_clear_object (&data->msg);
	g_clear_object (&data->session);
	g_free (data);
}

static void
push_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	PushData *data = g_task_get_task_data (task);
	GError *error = NULL;
	GBytes *body = soup_session_send_and_read_finish (SOUP_SESSION (source), res, &error);

	if (body == NULL) {
		g_task_return_error (task, error);
		return;
	}
	g_object_set_data (G_OBJECT (task), "status",
	                   GUINT_TO_POINTER (soup_message_get_status (data->msg)));
	if (g_bytes_get_size (body) > PUSH_MAX_ANSWER) {
		g_bytes_unref (body);
		g_task_return_new_error (task, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_MALFORMED,
		                         "the IPA's answer is larger than %u bytes", PUSH_MAX_ANSWER);
		return;
	}
	g_task_return_pointer (task, body, (GDestroyNotify) g_bytes_unref);
}

void
eim_push_post_async (const gchar *address, const gchar *path, const gchar *content_type, GBytes *body,
                     GTlsDatabase *trust, GTlsCertificate *client_certificate, GCancellable *cancellable,
                     GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task = g_task_new (NULL, cancellable, callback, user_data);
	PushData *data = g_new0 (PushData, 1);
	g_autofree gchar *url = g_strdup_printf ("https://%s%s", address, path);
	SoupMessageHeaders *headers;

	g_task_set_task_data (task, data, (GDestroyNotify) push_data_free);
	data->msg = soup_message_new (SOUP_METHOD_POST, url);
	if (data->msg == NULL) {
		g_task_return_new_error (task, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_INVALID,
		                         "'%s' is not an address to push to", address);
		g_object_unref (task);
		return;
	}
	/* trust only what the test gives: no system store, no switch to turn it off */
	data->session = soup_session_new_with_options ("tls-database", trust, "timeout", PUSH_TIMEOUT_SECONDS,
	                                               "user-agent", "esim-test-eim", NULL);
	headers = soup_message_get_request_headers (data->msg);
	soup_message_headers_replace (headers, "X-Admin-Protocol", ESIM_TEST_EIM_ADMIN_PROTOCOL);
	soup_message_set_request_body_from_bytes (data->msg, content_type, body);
	if (client_certificate != NULL)
		soup_message_set_tls_client_certificate (data->msg, client_certificate);
	soup_session_send_and_read_async (data->session, data->msg, G_PRIORITY_DEFAULT, cancellable, push_done,
	                                  task);
}

GBytes *
eim_push_post_finish (GAsyncResult *res, guint *status, GError **error)
{
	GBytes *body = g_task_propagate_pointer (G_TASK (res), error);

	if (status != NULL)
		*status = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (res), "status"));
	return body;
}
