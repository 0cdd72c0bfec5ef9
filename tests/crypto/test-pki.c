/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The test PKI generator (tests/servers/esim-test-pki) and its standalone
 * tool: the SGP.26 layout, the certificate profiles, the fault sets.
 */

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gnutls/x509.h>
#include <string.h>
#include <sys/stat.h>

#include "esim-cert.h"
#include "esim-credentials.h"
#include "esim-crypto.h"
#include "esim-ecdsa.h"
#include "esim-test-pki.h"
#include "esim-util.h"

#define HOST "testsmdpplus1.example.com"
#define TIME_2020_06_01 ((gint64) 1590969600)

static const gchar *main_files[] = {
	"CertificateIssuer/CERT_CI_ECDSA_NIST.der", "CertificateIssuer/CERT_CI_ECDSA_NIST.pem",
	ESIM_TEST_PKI_CI_SECRET,
	"EUM/CERT_EUM_ECDSA_NIST.der", "EUM/SK_EUM_ECDSA_NIST.pem",
	"eUICC/CERT_EUICC_ECDSA_NIST.der", "eUICC/SK_EUICC_ECDSA_NIST.pem",
	"DPauth/CERT_S_SM_DPauth_ECDSA_NIST.der", "DPauth/SK_S_SM_DPauth_ECDSA_NIST.pem",
	"DPpb/CERT_S_SM_DPpb_ECDSA_NIST.der", "DPpb/SK_S_SM_DPpb_ECDSA_NIST.pem",
	"DPtls/CERT_S_SM_DP_TLS_NIST.der", "DPtls/CERT_S_SM_DP_TLS_NIST.pem", "DPtls/SK_S_SM_DP_TLS_NIST.pem",
};

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

static EsimCert *
load (const gchar *dir, const gchar *name)
{
	g_autofree gchar *path = g_build_filename (dir, name, NULL);
	g_autoptr(GError) error = NULL;
	EsimCert *cert = esim_cert_new_from_file (path, &error);

	g_assert_no_error (error);
	return cert;
}

static void
assert_mode (const gchar *dir, const gchar *name, guint mode)
{
	g_autofree gchar *path = g_build_filename (dir, name, NULL);
	GStatBuf st;

	g_assert_cmpint (g_stat (path, &st), ==, 0);
	g_assert_cmpuint (st.st_mode & 0777, ==, mode);
}

static gboolean
extension_critical (EsimCert *cert, const gchar *oid)
{
	gnutls_datum_t ext = { NULL, 0 };
	unsigned int critical = 0;

	g_assert_cmpint (gnutls_x509_crt_get_extension_by_oid2 (esim_cert_get_x509 (cert), oid, 0, &ext, &critical), ==, 0);
	gnutls_free (ext.data);
	return critical != 0;
}

static gchar *
extension_hex (EsimCert *cert, const gchar *oid)
{
	gnutls_datum_t ext = { NULL, 0 };
	gchar *out;

	g_assert_cmpint (gnutls_x509_crt_get_extension_by_oid2 (esim_cert_get_x509 (cert), oid, 0, &ext, NULL), ==, 0);
	out = esim_hex_encode (ext.data, ext.size);
	gnutls_free (ext.data);
	return out;
}

static void
assert_chain (EsimCert *leaf, EsimCertRole role, GPtrArray *cis, gint64 at, gint code)
{
	GError *error = NULL;
	gboolean ok = esim_cert_verify_chain (leaf, role, NULL, cis, NULL, at, NULL, &error);

	if (code < 0) {
		g_assert_no_error (error);
		g_assert_true (ok);
	} else {
		g_assert_false (ok);
		g_assert_error (error, ESIM_CRYPTO_ERROR, code);
		g_clear_error (&error);
	}
}

static void
test_tree (void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp ("esim-pki-XXXXXX", &error);
	g_autofree gchar *expired_dir = NULL;
	g_autofree gchar *foreign_dir = NULL;
	g_autofree gchar *eid = NULL;
	EsimTestPkiOptions options = { .smdp_host = HOST, .expired = TRUE, .foreign_ci = TRUE };
	g_autoptr(EsimCert) ci = NULL;
	g_autoptr(EsimCert) foreign_ci = NULL;
	g_autoptr(GPtrArray) cis = g_ptr_array_new_with_free_func ((GDestroyNotify) esim_cert_unref);
	g_autoptr(GPtrArray) foreign_cis = g_ptr_array_new_with_free_func ((GDestroyNotify) esim_cert_unref);
	g_autoptr(EsimEuiccCredentials) creds = NULL;

	g_assert_no_error (error);
	g_assert_true (esim_test_pki_write (dir, &options, &eid, &error));
	g_assert_no_error (error);
	expired_dir = g_build_filename (dir, "Expired", NULL);
	foreign_dir = g_build_filename (dir, "ForeignCI", NULL);

	/* the SGP.26 layout; secrets readable by their owner only */
	for (guint i = 0; i < G_N_ELEMENTS (main_files); i++)
		assert_mode (dir, main_files[i], strstr (main_files[i], "SK_") != NULL ? 0600 : 0644);

	ci = load (dir, "CertificateIssuer/CERT_CI_ECDSA_NIST.der");
	g_ptr_array_add (cis, esim_cert_ref (ci));
	foreign_ci = load (foreign_dir, "CertificateIssuer/CERT_CI_ECDSA_NIST.der");
	g_ptr_array_add (foreign_cis, esim_cert_ref (foreign_ci));
	g_assert_false (g_bytes_equal (esim_cert_get_subject_key_id (ci), esim_cert_get_subject_key_id (foreign_ci)));

	/* the eUICC side loads */
	creds = esim_euicc_credentials_load (dir, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (creds->eid, ==, eid);

	/* each SM-DP+ certificate has its role, the SM-DP+ OID, and chains to the CI */
	{
		const struct { const gchar *file; const gchar *key; EsimCertRole role; } dps[] = {
			{ "DPauth/CERT_S_SM_DPauth_ECDSA_NIST.der", "DPauth/SK_S_SM_DPauth_ECDSA_NIST.pem",
			  ESIM_CERT_ROLE_DP_AUTH },
			{ "DPpb/CERT_S_SM_DPpb_ECDSA_NIST.der", "DPpb/SK_S_SM_DPpb_ECDSA_NIST.pem", ESIM_CERT_ROLE_DP_PB },
			{ "DPtls/CERT_S_SM_DP_TLS_NIST.der", "DPtls/SK_S_SM_DP_TLS_NIST.pem", ESIM_CERT_ROLE_DP_TLS },
		};

		for (guint i = 0; i < G_N_ELEMENTS (dps); i++) {
			g_autoptr(EsimCert) cert = load (dir, dps[i].file);
			g_autoptr(EsimCert) foreign = load (foreign_dir, dps[i].file);
			g_autofree gchar *rid = esim_cert_dup_registered_id (cert);

			g_assert_cmpstr (rid, ==, ESIM_TEST_PKI_SMDP_OID);
			/* its key, as the SM-DP+ loads it */
			{
				g_autofree gchar *sk_path = g_build_filename (dir, dps[i].key, NULL);
				gnutls_privkey_t key;

				key = esim_ecdsa_privkey_new_from_file (sk_path, &error);
				g_assert_no_error (error);
				g_assert_true (esim_cert_matches_key (cert, key, &error));
				g_assert_no_error (error);
				gnutls_privkey_deinit (key);
			}
			assert_chain (cert, dps[i].role, cis, ESIM_CERT_TIME_NOW, -1);
			assert_chain (foreign, dps[i].role, cis, ESIM_CERT_TIME_NOW, ESIM_CRYPTO_ERROR_UNTRUSTED);
			assert_chain (foreign, dps[i].role, foreign_cis, ESIM_CERT_TIME_NOW, -1);
			/* SGP.26: the TLS certificate's policy is not critical, every other one is */
			g_assert_cmpint (extension_critical (cert, "2.5.29.32"), ==, dps[i].role != ESIM_CERT_ROLE_DP_TLS);
		}
	}
	/* the expired set: signed by the CI, valid during 2020 only */
	{
		g_autoptr(EsimCert) auth = load (expired_dir, "DPauth/CERT_S_SM_DPauth_ECDSA_NIST.der");
		g_autoptr(EsimCert) tls = load (expired_dir, "DPtls/CERT_S_SM_DP_TLS_NIST.der");

		assert_chain (auth, ESIM_CERT_ROLE_DP_AUTH, cis, ESIM_CERT_TIME_NOW, ESIM_CRYPTO_ERROR_EXPIRED);
		assert_chain (tls, ESIM_CERT_ROLE_DP_TLS, cis, ESIM_CERT_TIME_NOW, ESIM_CRYPTO_ERROR_EXPIRED);
		assert_chain (auth, ESIM_CERT_ROLE_DP_AUTH, cis, TIME_2020_06_01, -1);
		assert_chain (tls, ESIM_CERT_ROLE_DP_TLS, cis, TIME_2020_06_01, -1);
	}
	/* the DPtls certificate serves its host name over generic TLS validation */
	{
		g_autoptr(EsimCert) tls = load (dir, "DPtls/CERT_S_SM_DP_TLS_NIST.pem");

		g_assert_true (gnutls_x509_crt_check_hostname (esim_cert_get_x509 (tls), HOST));
		g_assert_false (gnutls_x509_crt_check_hostname (esim_cert_get_x509 (tls), "other.example.com"));
		g_assert_true (gnutls_x509_crt_check_key_purpose (esim_cert_get_x509 (tls), GNUTLS_KP_TLS_WWW_SERVER, 0));
	}
	remove_tree (dir);
}

/* The EUM's EID range has the shape of the SGP.26 EUM's, byte for byte. */
static void
test_eum_name_constraints (void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp ("esim-pki-nc-XXXXXX", &error);
	g_autofree gchar *genuine_path = g_test_build_filename (G_TEST_DIST, "crypto", "data", "sgp26",
	                                                        "CERT_EUM_ECDSA_NIST.pem", NULL);
	EsimTestPkiOptions options = { .smdp_host = HOST };
	g_autoptr(EsimCert) eum = NULL;
	g_autoptr(EsimCert) genuine = esim_cert_new_from_file (genuine_path, &error);
	g_autofree gchar *ours = NULL;
	g_autofree gchar *theirs = NULL;
	g_autofree gchar *o_ours = esim_hex_encode ((const guint8 *) "esimd Test EUM", 14);
	g_autofree gchar *o_theirs = esim_hex_encode ((const guint8 *) "RSP Test EUM", 12);
	g_autofree gchar *want_ours = NULL;
	g_autofree gchar *want_theirs = NULL;

	g_assert_no_error (error);
	g_assert_true (esim_test_pki_write (dir, &options, NULL, &error));
	g_assert_no_error (error);
	eum = load (dir, "EUM/CERT_EUM_ECDSA_NIST.der");

	/* NameConstraints { [0] { GeneralSubtree { [4] Name { O, serialNumber "89049032" } } } } */
	want_theirs = g_strconcat ("3032A030302EA42C302A3115301306035504" "0A0C0C", o_theirs,
	                           "3111300F06035504051308", "3839303439303332", NULL);
	want_ours = g_strconcat ("3034A0323030A42E302C3117301506035504" "0A0C0E", o_ours,
	                         "3111300F06035504051308", "3839303439303332", NULL);
	theirs = extension_hex (genuine, "2.5.29.30");
	ours = extension_hex (eum, "2.5.29.30");
	g_assert_cmpstr (theirs, ==, want_theirs);
	g_assert_cmpstr (ours, ==, want_ours);
	g_assert_true (extension_critical (genuine, "2.5.29.30"));
	g_assert_true (extension_critical (eum, "2.5.29.30"));
	g_assert_true (extension_critical (eum, "2.5.29.32"));
	remove_tree (dir);
}

static void
test_refusals (void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp ("esim-pki-bad-XXXXXX", &error);
	EsimTestPkiOptions options = { .smdp_host = HOST, .eid = "89049032123451234512345678901234" };

	g_assert_no_error (error);
	/* wrong check digits */
	g_assert_false (esim_test_pki_write (dir, &options, NULL, &error));
	g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT);
	remove_tree (dir);
}

static gint
run_tool (const gchar *const *args, gchar **out, gchar **err)
{
	const gchar *tool = g_getenv ("ESIM_TEST_PKI");
	g_autoptr(GPtrArray) argv = g_ptr_array_new ();
	g_autoptr(GSubprocess) proc = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_nonnull (tool);
	g_ptr_array_add (argv, (gpointer) tool);
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add (argv, (gpointer) args[i]);
	g_ptr_array_add (argv, NULL);
	proc = g_subprocess_newv ((const gchar *const *) argv->pdata,
	                          G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
	g_assert_no_error (error);
	/* the tool exits on its own within a second; meson's timeout bounds a hang */
	g_assert_true (g_subprocess_communicate_utf8 (proc, NULL, NULL, out, err, &error));
	g_assert_no_error (error);
	return g_subprocess_get_exit_status (proc);
}

static void
test_tool (void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp ("esim-pki-tool-XXXXXX", &error);
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	g_autoptr(EsimEuiccCredentials) creds = NULL;
	const gchar *help[] = { "--help", NULL };
	const gchar *missing[] = { "--out", dir, NULL };
	const gchar *bad_eid[] = { "--out", dir, "--smdp-host", HOST, "--eid", "1234", NULL };
	const gchar *good[] = { "--out", dir, "--smdp-host", HOST, "--eid", "89049032123451234512345678901235",
	                        "--expired", "--foreign-ci", NULL };

	g_assert_no_error (error);
	g_assert_cmpint (run_tool (help, &out, &err), ==, 0);
	g_assert_nonnull (strstr (out, "--smdp-host"));
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);

	g_assert_cmpint (run_tool (missing, &out, &err), ==, 2);
	g_assert_nonnull (strstr (err, "--smdp-host HOST are required"));
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);

	g_assert_cmpint (run_tool (bad_eid, &out, &err), ==, 1);
	g_assert_nonnull (strstr (err, "EID 1234"));
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);

	g_assert_cmpint (run_tool (good, &out, &err), ==, 0);
	g_assert_nonnull (strstr (out, "EID: 89049032123451234512345678901235"));
	g_assert_nonnull (strstr (out, "CI key ID: "));
	creds = esim_euicc_credentials_load (dir, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (creds->eid, ==, "89049032123451234512345678901235");
	remove_tree (dir);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/crypto/test-pki/tree", test_tree);
	g_test_add_func ("/crypto/test-pki/eum-name-constraints", test_eum_name_constraints);
	g_test_add_func ("/crypto/test-pki/refusals", test_refusals);
	g_test_add_func ("/crypto/test-pki/tool", test_tool);
	return g_test_run ();
}
