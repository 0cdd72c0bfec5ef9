/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The SGP.26-layout credentials loader, on trees the test PKI generator
 * writes, then broken one file at a time.
 */

#include <glib/gstdio.h>
#include <string.h>

#include "esim-credentials.h"
#include "esim-crypto.h"
#include "esim-test-pki.h"
#include "esim-util.h"

typedef struct {
	gchar *dir;
	gchar *other;   /* a second, unrelated tree */
	gchar *eid;
} Fixture;

static void
remove_tree (const gchar *path)
{
	g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
	const gchar *name;

	if (dir == NULL) {
		g_remove (path);
		return;
	}
	while ((name = g_dir_read_name (dir)) != NULL) {
		g_autofree gchar *child = g_build_filename (path, name, NULL);

		remove_tree (child);
	}
	g_rmdir (path);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
	EsimTestPkiOptions options = { .smdp_host = "smdp.example.com" };
	g_autoptr(GError) error = NULL;

	f->dir = g_dir_make_tmp ("esim-creds-XXXXXX", &error);
	g_assert_no_error (error);
	f->other = g_dir_make_tmp ("esim-creds-other-XXXXXX", &error);
	g_assert_no_error (error);
	g_assert_true (esim_test_pki_write (f->dir, &options, &f->eid, &error));
	g_assert_no_error (error);
	g_assert_true (esim_test_pki_write (f->other, &options, NULL, &error));
	g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
	remove_tree (f->dir);
	remove_tree (f->other);
	g_free (f->dir);
	g_free (f->other);
	g_free (f->eid);
}

static gchar *
path (const gchar *dir, const gchar *name)
{
	return g_build_filename (dir, name, NULL);
}

static void
copy_file (const gchar *from_dir, const gchar *from, const gchar *to_dir, const gchar *to)
{
	g_autofree gchar *src = path (from_dir, from);
	g_autofree gchar *dst = path (to_dir, to);
	g_autofree gchar *contents = NULL;
	gsize len = 0;

	g_assert_true (g_file_get_contents (src, &contents, &len, NULL));
	g_assert_true (g_file_set_contents (dst, contents, (gssize) len, NULL));
}

static void
assert_load_fails (const gchar *dir, gint code, const gchar *message_part)
{
	GError *error = NULL;
	EsimEuiccCredentials *creds = esim_euicc_credentials_load (dir, &error);

	g_assert_null (creds);
	g_assert_error (error, ESIM_CRYPTO_ERROR, code);
	if (strstr (error->message, message_part) == NULL)
		g_error ("\"%s\" does not say \"%s\"", error->message, message_part);
	g_test_message ("refused as expected: %s", error->message);
	g_clear_error (&error);
}

static void
test_load (Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimEuiccCredentials) creds = esim_euicc_credentials_load (f->dir, &error);
	g_autoptr(GPtrArray) pkids = NULL;
	const guint8 message[] = "euiccSigned2";
	guint8 sig[64];

	g_assert_no_error (error);
	g_assert_cmpstr (creds->eid, ==, f->eid);
	g_assert_true (esim_eid_is_valid (creds->eid));
	g_assert_true (g_str_has_prefix (creds->eid, ESIM_TEST_PKI_EID_PREFIX));
	/* CERT_CI_ECDSA_NIST.der and .pem are the same CI: one key ID */
	pkids = esim_euicc_credentials_dup_ci_pkids (creds);
	g_assert_cmpuint (pkids->len, ==, 1);
	g_assert_true (g_bytes_equal (g_ptr_array_index (pkids, 0),
	                              esim_cert_get_subject_key_id (g_ptr_array_index (creds->ci_certs, 0))));
	g_assert_true (g_bytes_equal (g_ptr_array_index (pkids, 0),
	                              esim_cert_get_authority_key_id (creds->eum_cert)));
	/* it signs as its certificate says */
	g_assert_true (esim_euicc_credentials_sign (creds, message, sizeof (message), sig, &error));
	g_assert_no_error (error);
	g_assert_true (esim_cert_verify_signature (creds->euicc_cert, message, sizeof (message), sig, sizeof (sig),
	                                           &error));
	g_assert_no_error (error);
}

static void
test_more_cis (Fixture *f, gconstpointer data)
{
	g_autofree gchar *gsma_test_ci = g_test_build_filename (G_TEST_DIST, "crypto", "data", "sgp26",
	                                                        "CERT_CI_ECDSA_NIST.pem", NULL);
	g_autofree gchar *target = path (f->dir, "CertificateIssuer/CERT_CI_GSMA_TEST.pem");
	g_autofree gchar *other = path (f->dir, "CertificateIssuer/README.txt");
	g_autofree gchar *contents = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimEuiccCredentials) creds = NULL;
	g_autoptr(GPtrArray) pkids = NULL;

	/* a second CI the card trusts (the SGP.26 one); other files are ignored */
	g_assert_true (g_file_get_contents (gsma_test_ci, &contents, NULL, NULL));
	g_assert_true (g_file_set_contents (target, contents, -1, NULL));
	g_assert_true (g_file_set_contents (other, "not a certificate", -1, NULL));
	creds = esim_euicc_credentials_load (f->dir, &error);
	g_assert_no_error (error);
	pkids = esim_euicc_credentials_dup_ci_pkids (creds);
	g_assert_cmpuint (pkids->len, ==, 2);
	g_clear_pointer (&creds, esim_euicc_credentials_free);

	/* a broken CERT_CI_* file is an error, not a skipped file */
	g_assert_true (g_file_set_contents (target, "-----BEGIN CERTIFICATE-----\nAAAA\n", -1, NULL));
	assert_load_fails (f->dir, ESIM_CRYPTO_ERROR_INVALID_INPUT, "CERT_CI_GSMA_TEST.pem");
}

static void
test_missing (Fixture *f, gconstpointer data)
{
	const gchar *files[] = {
		ESIM_CREDENTIALS_EUM_CERT, ESIM_CREDENTIALS_EUICC_CERT, ESIM_CREDENTIALS_EUICC_KEY,
	};

	for (guint i = 0; i < G_N_ELEMENTS (files); i++) {
		g_autofree gchar *file = path (f->dir, files[i]);
		g_autofree gchar *saved = g_strconcat (file, ".saved", NULL);

		g_assert_cmpint (g_rename (file, saved), ==, 0);
		assert_load_fails (f->dir, ESIM_CRYPTO_ERROR_NOT_FOUND, files[i]);
		g_assert_cmpint (g_rename (saved, file), ==, 0);
	}
	/* no CI at all: the .der and the .pem gone */
	{
		g_autofree gchar *der = path (f->dir, "CertificateIssuer/CERT_CI_ECDSA_NIST.der");
		g_autofree gchar *pem = path (f->dir, "CertificateIssuer/CERT_CI_ECDSA_NIST.pem");
		g_autofree gchar *ci_dir = path (f->dir, "CertificateIssuer");

		g_assert_cmpint (g_remove (der), ==, 0);
		g_assert_cmpint (g_remove (pem), ==, 0);
		assert_load_fails (f->dir, ESIM_CRYPTO_ERROR_NOT_FOUND, ESIM_CREDENTIALS_CI_CERT);
		remove_tree (ci_dir);
		assert_load_fails (f->dir, ESIM_CRYPTO_ERROR_NOT_FOUND, "CertificateIssuer");
	}
	assert_load_fails ("/nonexistent/esim-credentials", ESIM_CRYPTO_ERROR_NOT_FOUND, "CertificateIssuer");
}

static void
test_mismatch (Fixture *f, gconstpointer data)
{
	/* the EUM's key where the eUICC's belongs */
	copy_file (f->dir, "EUM/SK_EUM_ECDSA_NIST.pem", f->dir, ESIM_CREDENTIALS_EUICC_KEY);
	assert_load_fails (f->dir, ESIM_CRYPTO_ERROR_KEY_MISMATCH, ESIM_CREDENTIALS_EUICC_KEY);
	copy_file (f->other, ESIM_CREDENTIALS_EUICC_KEY, f->dir, ESIM_CREDENTIALS_EUICC_KEY);
	assert_load_fails (f->dir, ESIM_CRYPTO_ERROR_KEY_MISMATCH, "does not match");
}

static void
test_foreign_eum (Fixture *f, gconstpointer data)
{
	/* another tree's EUM: the eUICC certificate is not its */
	copy_file (f->other, ESIM_CREDENTIALS_EUM_CERT, f->dir, ESIM_CREDENTIALS_EUM_CERT);
	assert_load_fails (f->dir, ESIM_CRYPTO_ERROR_UNTRUSTED, "not issued by the EUM");
}

static void
test_foreign_ci (Fixture *f, gconstpointer data)
{
	/* another tree's CI: the EUM is not issued by any CI the card trusts */
	copy_file (f->other, ESIM_CREDENTIALS_CI_CERT, f->dir, ESIM_CREDENTIALS_CI_CERT);
	copy_file (f->other, "CertificateIssuer/CERT_CI_ECDSA_NIST.pem", f->dir, "CertificateIssuer/CERT_CI_ECDSA_NIST.pem");
	assert_load_fails (f->dir, ESIM_CRYPTO_ERROR_UNTRUSTED, "not trusted");
}

static void
test_garbage (Fixture *f, gconstpointer data)
{
	g_autofree gchar *cert = path (f->dir, ESIM_CREDENTIALS_EUICC_CERT);
	g_autofree gchar *key = path (f->dir, ESIM_CREDENTIALS_EUICC_KEY);

	g_assert_true (g_file_set_contents (key, "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n",
	                                    -1, NULL));
	assert_load_fails (f->dir, ESIM_CRYPTO_ERROR_INVALID_INPUT, ESIM_CREDENTIALS_EUICC_KEY);
	g_assert_true (g_file_set_contents (cert, "\x30\x03\x02\x01\x01", 5, NULL));
	assert_load_fails (f->dir, ESIM_CRYPTO_ERROR_INVALID_INPUT, ESIM_CREDENTIALS_EUICC_CERT);
	/* the EUM certificate where the eUICC's belongs */
	copy_file (f->dir, ESIM_CREDENTIALS_EUM_CERT, f->dir, ESIM_CREDENTIALS_EUICC_CERT);
	copy_file (f->dir, "EUM/SK_EUM_ECDSA_NIST.pem", f->dir, ESIM_CREDENTIALS_EUICC_KEY);
	assert_load_fails (f->dir, ESIM_CRYPTO_ERROR_WRONG_ROLE, "eUICC");
}

static void
test_given_eid (void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp ("esim-creds-eid-XXXXXX", &error);
	EsimTestPkiOptions options = { .smdp_host = "smdp.example.com", .eid = "89049032123451234512345678901235" };
	g_autoptr(EsimEuiccCredentials) creds = NULL;

	g_assert_no_error (error);
	g_assert_true (esim_test_pki_write (dir, &options, NULL, &error));
	g_assert_no_error (error);
	creds = esim_euicc_credentials_load (dir, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (creds->eid, ==, "89049032123451234512345678901235");
	remove_tree (dir);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
#define ADD(name, fn) g_test_add ("/crypto/credentials/" name, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
	ADD ("load", test_load);
	ADD ("more-cis", test_more_cis);
	ADD ("missing", test_missing);
	ADD ("key-mismatch", test_mismatch);
	ADD ("foreign-eum", test_foreign_eum);
	ADD ("foreign-ci", test_foreign_ci);
	ADD ("garbage", test_garbage);
#undef ADD
	g_test_add_func ("/crypto/credentials/given-eid", test_given_eid);
	return g_test_run ();
}
