/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * esimd.conf's [eim:<eimId>] settings drive a real ESipa client: the test eIM
 * (tests/servers) serves its bindings on paths of its own and puts no
 * trustedPublicKeyDataTls in its configuration, so only the settings' paths,
 * binding and CA file let esimd reach it.  GetEimPackage answers
 * noEimPackageAvailable with them, and fails without them.
 */

#include <glib/gstdio.h>

#include "esim-test-eim.h"
#include "esimd-config.h"
#include "net-test-util.h"

#define EID "89049032123451234512345678901235"

typedef struct {
	EsimTestEim   *eim;
	EsimEimConfig *config;   /* as the card lists it */
	gchar         *dir;
	gchar         *ca_file;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
	EsimTestEimOptions options = { .asn1_path = "/custom/asn1", .json_prefix = "/custom/esipa/",
	                               .accept_any_eid = TRUE };
	EsimTestEimConfigOptions config_options = { .tls_trust = ESIM_TEST_EIM_TLS_TRUST_NONE };
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) der = NULL;
	g_autofree gchar *pem = NULL;

	f->eim = esim_test_eim_new (&options, &error);
	g_assert_no_error (error);
	der = esim_test_eim_build_configuration (f->eim, &config_options, &error);
	g_assert_no_error (error);
	f->config = esim_es10_parse_eim_config (g_bytes_get_data (der, NULL), g_bytes_get_size (der),
	                                        &error);
	g_assert_no_error (error);
	g_assert_cmpint (f->config->trusted_tls_kind, ==, ESIM_EIM_KEY_NONE);
	f->dir = g_dir_make_tmp ("esimd-eim-settings-XXXXXX", &error);
	g_assert_no_error (error);
	pem = esim_test_eim_dup_tls_ca_pem (f->eim);
	f->ca_file = g_build_filename (f->dir, "eim-ca.pem", NULL);
	g_file_set_contents (f->ca_file, pem, -1, &error);
	g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
	g_autofree gchar *conf = g_build_filename (f->dir, "esimd.conf", NULL);

	g_clear_object (&f->eim);
	esim_eim_config_free (f->config);
	g_unlink (conf);
	g_unlink (f->ca_file);
	g_rmdir (f->dir);
	g_free (f->ca_file);
	g_free (f->dir);
	/* let libsoup finish closing what it closes in idle callbacks */
	while (g_main_context_iteration (NULL, FALSE))
		;
}

/* The settings of the test eIM from @text (a configuration file in f->dir). */
static EsimdEimSettings *
settings_from (Fixture *f, const gchar *text)
{
	g_autofree gchar *path = g_build_filename (f->dir, "esimd.conf", NULL);
	g_autoptr(EsimdConfig) config = esimd_config_new ();
	g_autoptr(GError) error = NULL;

	g_file_set_contents (path, text, -1, &error);
	g_assert_no_error (error);
	g_assert_true (esimd_config_load_file (config, path, &error));
	g_assert_no_error (error);
	return esimd_config_get_eim_settings (config, f->config->eim_id);
}

/* GetEimPackage through a client built from @settings, as the daemon builds it. */
static EsimEimPackage *
poll_with (Fixture *f, const EsimdEimSettings *settings, GError **error)
{
	EsimGetEimPackageRequest request = { .eid = EID, .state_change_cause = -1 };
	EsimEsipaClientOptions options;
	g_autoptr(EsimEsipaClient) client = NULL;
	g_autoptr(GAsyncResult) res = NULL;
	gint eim_error = -1;

	esimd_eim_settings_to_client_options (settings, &options);
	client = esim_esipa_client_new (f->config, &options, error);
	if (client == NULL)
		return NULL;
	g_assert_cmpint (esim_esipa_client_get_binding (client), ==, settings->binding);
	esim_esipa_client_get_eim_package_async (client, &request, NULL, net_test_store_result, &res);
	net_test_wait_result (&res, 30, "GetEimPackage");
	return esim_esipa_client_get_eim_package_finish (client, res, &eim_error, error);
}

static void
assert_no_package (EsimEimPackage *package)
{
	g_assert_nonnull (package);
	g_assert_cmpint (package->kind, ==, ESIM_EIM_PACKAGE_ERROR);
	g_assert_cmpint (package->error_code, ==, ESIM_EIM_PACKAGE_ERROR_NO_PACKAGE);
}

static void
test_bindings (Fixture *f, gconstpointer data)
{
	g_autofree gchar *asn1 = g_strdup_printf ("[eim]\nCaFile=%s\nTimeout=10\n"
	                                          "[eim:%s]\nAsn1Path=/custom/asn1\n",
	                                          f->ca_file, f->config->eim_id);
	g_autofree gchar *json = g_strdup_printf ("[eim]\nCaFile=%s\nTimeout=10\n"
	                                          "[eim:%s]\nBinding=json\nJsonPrefix=/custom/esipa/\n",
	                                          f->ca_file, f->config->eim_id);
	g_autoptr(EsimdEimSettings) asn1_settings = settings_from (f, asn1);
	g_autoptr(EsimdEimSettings) json_settings = settings_from (f, json);
	g_autoptr(EsimEimPackage) asn1_package = NULL;
	g_autoptr(EsimEimPackage) json_package = NULL;
	g_autoptr(GError) error = NULL;

	asn1_package = poll_with (f, asn1_settings, &error);
	g_assert_no_error (error);
	assert_no_package (asn1_package);
	json_package = poll_with (f, json_settings, &error);
	g_assert_no_error (error);
	assert_no_package (json_package);
}

/* Without the settings: the default path is not where this eIM serves, and without a CA
 * file there is nothing to trust it with. */
static void
test_without_settings (Fixture *f, gconstpointer data)
{
	g_autofree gchar *default_path = g_strdup_printf ("[eim]\nCaFile=%s\nTimeout=10\nAttempts=1\n",
	                                                  f->ca_file);
	g_autoptr(EsimdEimSettings) paths = settings_from (f, default_path);
	g_autoptr(EsimdEimSettings) no_ca = settings_from (f, "[eim]\nAsn1Path=/custom/asn1\n");
	g_autoptr(EsimEimPackage) package = NULL;
	g_autoptr(GError) error = NULL;

	package = poll_with (f, paths, &error);
	g_assert_null (package);
	g_assert_nonnull (error);
	g_test_message ("default path: %s", error->message);
	g_clear_error (&error);
	g_assert_null (poll_with (f, no_ca, &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_test_message ("no CA file: %s", error->message);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add ("/esimd/eim-settings/client/bindings", Fixture, NULL, fixture_setup,
	            test_bindings, fixture_teardown);
	g_test_add ("/esimd/eim-settings/client/without-settings", Fixture, NULL, fixture_setup,
	            test_without_settings, fixture_teardown);
	return g_test_run ();
}
