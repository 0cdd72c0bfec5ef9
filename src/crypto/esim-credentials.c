/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The SGP.26-layout credentials loader (layout in esim-credentials.h). */

#define G_LOG_DOMAIN "esim-crypto"

#include <string.h>

#include "esim-credentials.h"
#include "esim-crypto-private.h"
#include "esim-crypto.h"

#define MAX_CI_FILES 64

void
esim_euicc_credentials_free (EsimEuiccCredentials *creds)
{
	if (creds == NULL)
		return;
	g_free (creds->dir);
	g_clear_pointer (&creds->ci_certs, g_ptr_array_unref);
	g_clear_pointer (&creds->eum_cert, esim_cert_unref);
	g_clear_pointer (&creds->euicc_cert, esim_cert_unref);
	if (creds->euicc_key != NULL)
		gnutls_privkey_deinit (creds->euicc_key);
	g_free (creds->eid);
	g_free (creds);
}

static EsimCert *
load_cert (const gchar *dir, const gchar *name, GError **error)
{
	g_autofree gchar *path = g_build_filename (dir, name, NULL);

	return esim_cert_new_from_file (path, error);
}

static gboolean
ci_known (GPtrArray *cis, EsimCert *cert)
{
	GBytes *ski = esim_cert_get_subject_key_id (cert);

	for (guint i = 0; i < cis->len; i++) {
		GBytes *other = esim_cert_get_subject_key_id (g_ptr_array_index (cis, i));

		if (ski != NULL && other != NULL && g_bytes_equal (ski, other))
			return TRUE;
	}
	return FALSE;
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
	return g_strcmp0 (*(const gchar *const *) a, *(const gchar *const *) b);
}

/* Every CERT_CI_*.der/.pem of CertificateIssuer/ on P-256, in name order. */
static GPtrArray *
load_cis (const gchar *dir, GError **error)
{
	g_autofree gchar *ci_dir = g_build_filename (dir, ESIM_CREDENTIALS_CI_DIR, NULL);
	g_autoptr(GPtrArray) cis = g_ptr_array_new_with_free_func ((GDestroyNotify) esim_cert_unref);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
	g_autoptr(GError) local_error = NULL;
	g_autoptr(GDir) listing = g_dir_open (ci_dir, 0, &local_error);
	const gchar *name;

	if (listing == NULL) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_NOT_FOUND,
		             "%s: no CI certificate directory (expected %s)", ci_dir, ESIM_CREDENTIALS_CI_CERT);
		return NULL;
	}
	while ((name = g_dir_read_name (listing)) != NULL && names->len < MAX_CI_FILES) {
		if (g_str_has_prefix (name, "CERT_CI_") &&
		    (g_str_has_suffix (name, ".der") || g_str_has_suffix (name, ".pem")))
			g_ptr_array_add (names, g_strdup (name));
	}
	g_ptr_array_sort (names, compare_names);
	for (guint i = 0; i < names->len; i++) {
		g_autofree gchar *path = g_build_filename (ci_dir, g_ptr_array_index (names, i), NULL);
		g_autoptr(EsimCert) cert = esim_cert_new_from_file (path, error);
		guint8 point[65];

		if (cert == NULL)
			return NULL;
		/* SGP.26 ships brainpool CIs next to the NIST ones */
		if (!esim_cert_get_public_point (cert, point, NULL)) {
			g_debug ("%s: not a NIST P-256 certificate, skipped", path);
			continue;
		}
		if (!ci_known (cis, cert))
			g_ptr_array_add (cis, g_steal_pointer (&cert));
	}
	if (cis->len == 0) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_NOT_FOUND,
		             "%s: no NIST P-256 CI certificate (expected %s)", ci_dir,
		             ESIM_CREDENTIALS_CI_CERT);
		return NULL;
	}
	return g_steal_pointer (&cis);
}

static gnutls_privkey_t
load_key (const gchar *dir, const gchar *name, GError **error)
{
	g_autofree gchar *path = g_build_filename (dir, name, NULL);

	return esim_ecdsa_privkey_new_from_file (path, error);
}

EsimEuiccCredentials *
esim_euicc_credentials_load (const gchar *dir, GError **error)
{
	g_autoptr(EsimEuiccCredentials) creds = g_new0 (EsimEuiccCredentials, 1);

	g_return_val_if_fail (dir != NULL, NULL);

	creds->dir = g_strdup (dir);
	creds->ci_certs = load_cis (dir, error);
	if (creds->ci_certs == NULL)
		return NULL;
	creds->eum_cert = load_cert (dir, ESIM_CREDENTIALS_EUM_CERT, error);
	if (creds->eum_cert == NULL)
		return NULL;
	creds->euicc_cert = load_cert (dir, ESIM_CREDENTIALS_EUICC_CERT, error);
	if (creds->euicc_cert == NULL)
		return NULL;
	creds->euicc_key = load_key (dir, ESIM_CREDENTIALS_EUICC_KEY, error);
	if (creds->euicc_key == NULL)
		return NULL;
	if (!esim_cert_matches_key (creds->euicc_cert, creds->euicc_key, error)) {
		g_prefix_error (error, "%s: %s and %s: ", dir, ESIM_CREDENTIALS_EUICC_KEY,
		                ESIM_CREDENTIALS_EUICC_CERT);
		return NULL;
	}
	if (!esim_cert_verify_chain (creds->euicc_cert, ESIM_CERT_ROLE_EUICC, creds->eum_cert,
	                             creds->ci_certs, NULL, ESIM_CERT_TIME_IGNORE, NULL, error)) {
		g_prefix_error (error, "%s: ", dir);
		return NULL;
	}
	creds->eid = esim_cert_dup_subject_serial_number (creds->euicc_cert);
	return g_steal_pointer (&creds);
}

GPtrArray *
esim_euicc_credentials_dup_ci_pkids (EsimEuiccCredentials *creds)
{
	GPtrArray *out;

	g_return_val_if_fail (creds != NULL, NULL);
	out = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
	for (guint i = 0; i < creds->ci_certs->len; i++) {
		GBytes *ski = esim_cert_get_subject_key_id (g_ptr_array_index (creds->ci_certs, i));

		if (ski != NULL)
			g_ptr_array_add (out, g_bytes_ref (ski));
	}
	return out;
}

gboolean
esim_euicc_credentials_sign (EsimEuiccCredentials *creds, const guint8 *data, gsize len,
                             guint8 signature[ESIM_ECDSA_RAW_LEN], GError **error)
{
	g_return_val_if_fail (creds != NULL, FALSE);
	return esim_ecdsa_sign (creds->euicc_key, data, len, signature, error);
}
