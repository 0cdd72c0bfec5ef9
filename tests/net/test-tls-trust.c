/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TLS trust for ES9+: the CI store, EsimTlsDatabase on its own, and real
 * TLS handshakes through EsimHttpClient against an HTTPS server in this
 * process.  No test reads /etc or the system trust store: directories and
 * the "system" database are made here.
 */

#include <glib/gstdio.h>
#include <string.h>

#include "esim-ci-store.h"
#include "esim-http.h"
#include "esim-tls-database.h"
#include "net-test-util.h"

#define PRODUCTION_CI_KEY_ID "81370F5125D0B1D408D4C3B232E6D25E795BEBFB"

typedef struct {
	gchar *dir;                 /* temporary, removed by teardown */
	NetTestCert *ci;            /* the CI the eUICC lists */
	NetTestCert *other_ci;      /* a CI it does not list */
} Fixture;

static void
rm_rf (const gchar *path)
{
	g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
	const gchar *name;

	while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
		g_autofree gchar *child = g_build_filename (path, name, NULL);

		if (g_file_test (child, G_FILE_TEST_IS_DIR))
			rm_rf (child);
		else
			g_unlink (child);
	}
	g_rmdir (path);
}

static void
fixture_setup (Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	fixture->dir = g_dir_make_tmp ("esimd-net-XXXXXX", &error);
	g_assert_no_error (error);
	fixture->ci = net_test_ca_new ("Test CI");
	fixture->other_ci = net_test_ca_new ("Other test CI");
}

static void
fixture_teardown (Fixture *fixture, gconstpointer data)
{
	rm_rf (fixture->dir);
	g_free (fixture->dir);
	net_test_cert_free (fixture->ci);
	net_test_cert_free (fixture->other_ci);
}

static GPtrArray *
key_ids (const gchar *first, ...)
{
	GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
	va_list args;

	va_start (args, first);
	for (const gchar *id = first; id != NULL; id = va_arg (args, const gchar *))
		g_ptr_array_add (ids, g_strdup (id));
	va_end (args);
	return ids;
}

/* A store holding both test CIs from one directory. */
static EsimCiStore *
store_with_both (Fixture *fixture)
{
	g_autofree gchar *ci_dir = g_build_filename (fixture->dir, "ci", NULL);
	g_autoptr(EsimCiStore) store = esim_ci_store_new ();
	g_autoptr(GError) error = NULL;
	guint added = 0;

	net_test_write_pem (ci_dir, "test-ci.pem", fixture->ci);
	net_test_write_pem (ci_dir, "other-ci.crt", fixture->other_ci);
	g_assert_true (esim_ci_store_add_directory (store, ci_dir, &added, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (added, ==, 2);
	return g_steal_pointer (&store);
}

/* ---- the store ---- */

static void
test_store_directory (Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *dir_a = g_build_filename (fixture->dir, "a", NULL);
	g_autofree gchar *dir_b = g_build_filename (fixture->dir, "b", NULL);
	g_autofree gchar *two = g_strdup_printf ("%s%s", net_test_cert_get_pem (fixture->ci),
	                                         net_test_cert_get_pem (fixture->other_ci));
	g_autofree gchar *path = NULL;
	g_autoptr(NetTestCert) leaf = net_test_server_cert_new (fixture->ci, "smdp.test", -60, 3600);
	g_autoptr(EsimCiStore) store = esim_ci_store_new ();
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) found = NULL;
	g_auto(GStrv) ids = NULL;
	g_autofree gchar *lower = NULL;
	guint added = 0;

	/* a: both CIs in one PEM file, a leaf (not a CA), garbage, a file of another type */
	g_assert_cmpint (g_mkdir_with_parents (dir_a, 0700), ==, 0);
	path = g_build_filename (dir_a, "two.pem", NULL);
	g_assert_true (g_file_set_contents (path, two, -1, NULL));
	net_test_write_pem (dir_a, "leaf.pem", leaf);
	g_free (path);
	path = g_build_filename (dir_a, "junk.der", NULL);
	g_assert_true (g_file_set_contents (path, "\x30\x03\x02\x01", 4, NULL));
	g_free (path);
	path = g_build_filename (dir_a, "README.txt", NULL);
	g_assert_true (g_file_set_contents (path, net_test_cert_get_pem (fixture->ci), -1, NULL));

	g_test_expect_message ("esim", G_LOG_LEVEL_WARNING, "CI file skipped: *junk.der*");
	g_test_expect_message ("esim", G_LOG_LEVEL_WARNING, "CI file skipped: *leaf.pem*not a CA*");
	g_assert_true (esim_ci_store_add_directory (store, dir_a, &added, &error));
	g_test_assert_expected_messages ();
	g_assert_no_error (error);
	g_assert_cmpuint (added, ==, 2);

	/* b: the same CI again is not a second anchor */
	net_test_write_pem (dir_b, "again.pem", fixture->ci);
	g_assert_true (esim_ci_store_add_directory (store, dir_b, &added, &error));
	g_assert_cmpuint (added, ==, 0);
	g_assert_cmpuint (esim_ci_store_get_size (store), ==, 2);

	lower = g_ascii_strdown (net_test_cert_get_key_id (fixture->ci), -1);
	found = esim_ci_store_lookup (store, lower);
	g_assert_cmpuint (found->len, ==, 1);
	ids = esim_ci_store_dup_key_ids (store);
	g_assert_cmpuint (g_strv_length (ids), ==, 2);
	g_assert_true (g_strv_contains ((const gchar *const *) ids,
	                                net_test_cert_get_key_id (fixture->other_ci)));
}

static void
test_store_missing_directory (Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *missing = g_build_filename (fixture->dir, "ci.d", NULL);
	g_autoptr(EsimCiStore) store = esim_ci_store_new ();
	g_autoptr(GError) error = NULL;
	guint added = 7;

	g_assert_true (esim_ci_store_add_directory (store, missing, &added, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (added, ==, 0);
}

/* The production root shipped in data/ci is found by the key id GSMA lists
 * for it (shared/reference/ci/README.md). */
static void
test_store_production_root (void)
{
	g_autofree gchar *dir = g_build_filename (g_getenv ("ESIMD_DATADIR"), "ci", NULL);
	g_autoptr(EsimCiStore) store = esim_ci_store_new ();
	g_autoptr(GPtrArray) found = NULL;
	guint added = 0;

	g_assert_true (esim_ci_store_add_directory (store, dir, &added, NULL));
	g_assert_cmpuint (added, ==, 1);
	found = esim_ci_store_lookup (store, PRODUCTION_CI_KEY_ID);
	g_assert_cmpuint (found->len, ==, 1);
}

/* ---- the database alone ---- */

static GTlsCertificateFlags
verify (GTlsDatabase *database, NetTestCert *leaf, const gchar *host)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GTlsCertificate) chain = g_tls_certificate_new_from_pem (net_test_cert_get_pem (leaf),
	                                                                   -1, &error);
	g_autoptr(GSocketConnectable) identity = g_network_address_new (host, 443);

	g_assert_no_error (error);
	return g_tls_database_verify_chain (database, chain, G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER,
	                                    identity, NULL, G_TLS_DATABASE_VERIFY_NONE, NULL, NULL);
}

static void
test_database_flags (Fixture *fixture, gconstpointer data)
{
	g_autoptr(EsimCiStore) store = store_with_both (fixture);
	g_autoptr(GPtrArray) listed = key_ids (net_test_cert_get_key_id (fixture->ci), NULL);
	g_autoptr(GTlsDatabase) database = esim_tls_database_new (store, listed, NULL);
	g_autoptr(NetTestCert) good = net_test_server_cert_new (fixture->ci, "smdp.test", -60, 3600);
	g_autoptr(NetTestCert) expired = net_test_server_cert_new (fixture->ci, "smdp.test",
	                                                           -7200, -3600);
	g_autoptr(NetTestCert) future = net_test_server_cert_new (fixture->ci, "smdp.test",
	                                                          3600, 7200);
	g_autoptr(NetTestCert) foreign = net_test_server_cert_new (fixture->other_ci, "smdp.test",
	                                                           -60, 3600);

	g_assert_cmpuint (esim_tls_database_get_n_cis (ESIM_TLS_DATABASE (database)), ==, 1);
	g_assert_cmpuint (verify (database, good, "smdp.test"), ==, 0);
	g_assert_cmpuint (verify (database, good, "SMDP.test"), ==, 0);
	g_assert_cmpuint (verify (database, good, "other.test"), ==, G_TLS_CERTIFICATE_BAD_IDENTITY);
	g_assert_cmpuint (verify (database, expired, "smdp.test"), ==, G_TLS_CERTIFICATE_EXPIRED);
	g_assert_cmpuint (verify (database, future, "smdp.test"), ==,
	                  G_TLS_CERTIFICATE_NOT_ACTIVATED);
	g_assert_true (verify (database, foreign, "smdp.test") & G_TLS_CERTIFICATE_UNKNOWN_CA);
}

/* An eUICC that lists no CI trusts none, however many are installed. */
static void
test_database_empty_list (Fixture *fixture, gconstpointer data)
{
	g_autoptr(EsimCiStore) store = store_with_both (fixture);
	g_autoptr(GTlsDatabase) database = esim_tls_database_new (store, NULL, NULL);
	g_autoptr(NetTestCert) good = net_test_server_cert_new (fixture->ci, "smdp.test", -60, 3600);

	g_assert_cmpuint (esim_tls_database_get_n_cis (ESIM_TLS_DATABASE (database)), ==, 0);
	g_assert_true (verify (database, good, "smdp.test") & G_TLS_CERTIFICATE_UNKNOWN_CA);
}

/* ---- real handshakes ---- */

static void
answer_ok (NetTestServer *server, SoupServerMessage *msg, const gchar *path, gpointer user_data)
{
	net_test_respond (msg, SOUP_STATUS_OK, "application/json", "{}");
}

/* POSTs once to a server presenting @leaf (issued by @issuer) at @host,
 * with @database as trust; returns the error, NULL on success. */
static GError *
handshake (GTlsDatabase *database, NetTestCert *leaf, NetTestCert *issuer, const gchar *host)
{
	g_autoptr(NetTestServer) server = net_test_server_new (leaf, issuer);
	g_autofree gchar *address = net_test_server_address (server, host);
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimHttpClient) client = esim_http_client_new (address, "SM-DP+", database, &error);
	g_autoptr(GAsyncResult) result = NULL;
	g_autoptr(GBytes) body = g_bytes_new_static ("{}", 2);
	g_autoptr(GBytes) answer = NULL;

	g_assert_no_error (error);
	net_test_server_set_handler (server, answer_ok, NULL);
	esim_http_client_post_async (client, "/x", "application/json", body, NULL, 1024,
	                             ESIM_HTTP_POST_NONE, NULL, net_test_store_result, &result);
	net_test_wait_result (&result, 20, "the answer of the TLS test server");
	answer = esim_http_client_post_finish (client, result, NULL, &error);
	if (answer != NULL)
		g_assert_cmpuint (net_test_server_get_requests (server), ==, 1);
	else
		g_assert_cmpuint (net_test_server_get_requests (server), ==, 0);
	return g_steal_pointer (&error);
}

static void
test_handshake_listed_ci (Fixture *fixture, gconstpointer data)
{
	g_autoptr(EsimCiStore) store = store_with_both (fixture);
	g_autoptr(GPtrArray) listed = key_ids ("00", net_test_cert_get_key_id (fixture->ci), NULL);
	g_autoptr(GTlsDatabase) database = esim_tls_database_new (store, listed, NULL);
	g_autoptr(NetTestCert) leaf = net_test_server_cert_new (fixture->ci, "smdp.test", -60, 3600);
	g_autoptr(GError) error = NULL;

	error = handshake (database, leaf, NULL, "smdp.test");
	g_assert_no_error (error);
	/* the server may send the CI along: still fine */
	error = handshake (database, leaf, fixture->ci, "smdp.test");
	g_assert_no_error (error);
}

static void
test_handshake_unlisted_ci (Fixture *fixture, gconstpointer data)
{
	g_autoptr(EsimCiStore) store = store_with_both (fixture);
	/* the other CI is installed but the eUICC does not list it */
	g_autoptr(GPtrArray) listed = key_ids (net_test_cert_get_key_id (fixture->ci), NULL);
	g_autoptr(GTlsDatabase) database = esim_tls_database_new (store, listed, NULL);
	g_autoptr(NetTestCert) leaf = net_test_server_cert_new (fixture->other_ci, "smdp.test",
	                                                        -60, 3600);
	g_autoptr(GError) error = NULL;

	error = handshake (database, leaf, fixture->other_ci, "smdp.test");
	g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
	g_assert_nonnull (strstr (error->message,
	                          "the SM-DP+'s certificate is not issued by a CI this eUICC trusts"));
	g_assert_null (strstr (error->message, "system"));
}

static void
test_handshake_listed_not_installed (Fixture *fixture, gconstpointer data)
{
	g_autoptr(EsimCiStore) store = esim_ci_store_new ();
	g_autoptr(GPtrArray) listed = key_ids (net_test_cert_get_key_id (fixture->ci), NULL);
	g_autoptr(GTlsDatabase) database = esim_tls_database_new (store, listed, NULL);
	g_autoptr(NetTestCert) leaf = net_test_server_cert_new (fixture->ci, "smdp.test", -60, 3600);
	g_autoptr(GError) error = NULL;

	error = handshake (database, leaf, fixture->ci, "smdp.test");
	g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
	g_assert_nonnull (strstr (error->message, "not issued by a CI this eUICC trusts"));
}

/* Web PKI: the "system" store is injected as a file database of a CA made here. */
static void
test_handshake_system_store (Fixture *fixture, gconstpointer data)
{
	g_autoptr(NetTestCert) web_ca = net_test_ca_new ("Web CA");
	g_autoptr(NetTestCert) leaf = net_test_server_cert_new (web_ca, "smdp.test", -60, 3600);
	g_autofree gchar *system_dir = g_build_filename (fixture->dir, "system", NULL);
	g_autofree gchar *system_file = g_build_filename (system_dir, "ca.pem", NULL);
	g_autofree gchar *empty_file = g_build_filename (system_dir, "empty.pem", NULL);
	g_autoptr(EsimCiStore) store = store_with_both (fixture);
	g_autoptr(GPtrArray) listed = key_ids (net_test_cert_get_key_id (fixture->ci), NULL);
	g_autoptr(GTlsDatabase) system = NULL;
	g_autoptr(GTlsDatabase) other_system = NULL;
	g_autoptr(GTlsDatabase) database = NULL;
	g_autoptr(GError) error = NULL;

	net_test_write_pem (system_dir, "ca.pem", web_ca);
	net_test_write_pem (system_dir, "empty.pem", fixture->other_ci);
	system = g_tls_file_database_new (system_file, &error);
	g_assert_no_error (error);
	other_system = g_tls_file_database_new (empty_file, &error);
	g_assert_no_error (error);

	database = esim_tls_database_new (store, listed, system);
	error = handshake (database, leaf, NULL, "smdp.test");
	g_assert_no_error (error);
	/* the system store checks the host name as well */
	g_clear_object (&database);
	database = esim_tls_database_new (store, listed, system);
	{
		g_autoptr(NetTestCert) wrong = net_test_server_cert_new (web_ca, "other.test", -60, 3600);

		error = handshake (database, wrong, NULL, "smdp.test");
		g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
		g_assert_nonnull (strstr (error->message, "is not valid for smdp.test"));
		g_clear_error (&error);
	}

	g_clear_object (&database);
	database = esim_tls_database_new (store, listed, other_system);
	error = handshake (database, leaf, NULL, "smdp.test");
	g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
	g_assert_nonnull (strstr (error->message, "not issued by a CI this eUICC trusts (nor by the "
	                                          "system's trust store)"));
}

static void
test_handshake_name_mismatch (Fixture *fixture, gconstpointer data)
{
	g_autoptr(EsimCiStore) store = store_with_both (fixture);
	g_autoptr(GPtrArray) listed = key_ids (net_test_cert_get_key_id (fixture->ci), NULL);
	g_autoptr(GTlsDatabase) database = esim_tls_database_new (store, listed, NULL);
	g_autoptr(NetTestCert) leaf = net_test_server_cert_new (fixture->ci, "other.test", -60, 3600);
	g_autoptr(GError) error = NULL;

	error = handshake (database, leaf, NULL, "smdp.test");
	g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
	g_assert_nonnull (strstr (error->message, "the SM-DP+'s certificate is not valid for smdp.test"));
}

static void
test_handshake_expired (Fixture *fixture, gconstpointer data)
{
	g_autoptr(EsimCiStore) store = store_with_both (fixture);
	g_autoptr(GPtrArray) listed = key_ids (net_test_cert_get_key_id (fixture->ci), NULL);
	g_autoptr(GTlsDatabase) database = esim_tls_database_new (store, listed, NULL);
	g_autoptr(NetTestCert) leaf = net_test_server_cert_new (fixture->ci, "smdp.test",
	                                                        -2 * 86400, -86400);
	g_autoptr(GError) error = NULL;

	error = handshake (database, leaf, NULL, "smdp.test");
	g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
	g_assert_nonnull (strstr (error->message, "the SM-DP+'s certificate has expired"));
}

int
main (int argc, char **argv)
{
	net_test_init ();
	g_test_init (&argc, &argv, NULL);

	g_test_add ("/net/ci-store/directory", Fixture, NULL, fixture_setup, test_store_directory,
	            fixture_teardown);
	g_test_add ("/net/ci-store/missing-directory", Fixture, NULL, fixture_setup,
	            test_store_missing_directory, fixture_teardown);
	g_test_add_func ("/net/ci-store/production-root", test_store_production_root);
	g_test_add ("/net/tls-database/flags", Fixture, NULL, fixture_setup, test_database_flags,
	            fixture_teardown);
	g_test_add ("/net/tls-database/empty-list", Fixture, NULL, fixture_setup,
	            test_database_empty_list, fixture_teardown);
	g_test_add ("/net/tls/listed-ci", Fixture, NULL, fixture_setup, test_handshake_listed_ci,
	            fixture_teardown);
	g_test_add ("/net/tls/unlisted-ci", Fixture, NULL, fixture_setup, test_handshake_unlisted_ci,
	            fixture_teardown);
	g_test_add ("/net/tls/listed-not-installed", Fixture, NULL, fixture_setup,
	            test_handshake_listed_not_installed, fixture_teardown);
	g_test_add ("/net/tls/system-store", Fixture, NULL, fixture_setup,
	            test_handshake_system_store, fixture_teardown);
	g_test_add ("/net/tls/name-mismatch", Fixture, NULL, fixture_setup,
	            test_handshake_name_mismatch, fixture_teardown);
	g_test_add ("/net/tls/expired", Fixture, NULL, fixture_setup, test_handshake_expired,
	            fixture_teardown);
	return g_test_run ();
}
