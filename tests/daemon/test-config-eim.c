/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * esimd.conf's [eim] and [eim:<eimId>] groups (src/daemon/core/esimd-config.c):
 * the defaults, [eim] over them, [eim:<eimId>] over [eim] key by key, a later
 * file over an earlier one, the ESipa client options built from the result,
 * and every bad value refused with the file, group and key named.
 */

#include <string.h>

#include <glib/gstdio.h>

#include "esimd-config.h"
#include "esimd-eim.h"

typedef struct {
	gchar *dir;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	f->dir = g_dir_make_tmp ("esimd-config-eim-XXXXXX", &error);
	g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
	g_autoptr(GDir) dir = g_dir_open (f->dir, 0, NULL);
	const gchar *name;

	while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
		g_autofree gchar *path = g_build_filename (f->dir, name, NULL);
		g_unlink (path);
	}
	g_rmdir (f->dir);
	g_free (f->dir);
}

static gchar *
write_file (Fixture *f, const gchar *name, const gchar *contents)
{
	g_autofree gchar *path = g_build_filename (f->dir, name, NULL);
	g_autoptr(GError) error = NULL;

	g_file_set_contents (path, contents, -1, &error);
	g_assert_no_error (error);
	return g_steal_pointer (&path);
}

static void
test_defaults (Fixture *f, gconstpointer data)
{
	g_autoptr(EsimdConfig) config = esimd_config_new ();
	g_autoptr(EsimdEimSettings) settings = esimd_config_get_eim_settings (config, "eim-1");
	EsimEsipaClientOptions options;

	g_assert_cmpint (settings->binding, ==, ESIM_ESIPA_BINDING_ASN1);
	g_assert_cmpstr (settings->asn1_path, ==, ESIM_ESIPA_PATH_ASN1);
	g_assert_cmpstr (settings->json_prefix, ==, ESIM_ESIPA_JSON_PREFIX);
	g_assert_null (settings->ca_file);
	g_assert_cmpuint (settings->timeout_s, ==, ESIM_ESIPA_DEFAULT_TIMEOUT);
	g_assert_cmpuint (settings->attempts, ==, ESIM_ESIPA_DEFAULT_ATTEMPTS);
	g_assert_cmpuint (settings->retry_delay_s, ==, ESIM_ESIPA_DEFAULT_RETRY_DELAY);
	/* the figures: an hour between polls, 10 % jitter, backoff capped at an hour */
	g_assert_cmpuint (settings->poll_interval_s, ==, 3600);
	g_assert_cmpuint (settings->poll_jitter_percent, ==, 10);
	g_assert_cmpuint (settings->backoff_max_s, ==, 3600);
	g_assert_cmpuint (settings->max_packages, ==, 16);
	g_assert_cmpuint (settings->rollback_timeout_s, ==, 300);
	g_assert_cmpuint (settings->switch_timeout_s, ==, config->switch_timeout_s);

	esimd_eim_settings_to_client_options (settings, &options);
	g_assert_cmpint (options.binding, ==, ESIM_ESIPA_BINDING_ASN1);
	g_assert_cmpstr (options.asn1_path, ==, ESIM_ESIPA_PATH_ASN1);
	g_assert_null (options.ca_file);
	g_assert_cmpuint (options.timeout, ==, ESIM_ESIPA_DEFAULT_TIMEOUT);
}

static void
test_overrides (Fixture *f, gconstpointer data)
{
	g_autoptr(EsimdConfig) config = esimd_config_new ();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *ca = write_file (f, "ca.pem", "not checked here\n");
	g_autofree gchar *first = write_file (f, "10-first.conf",
		"[modem]\nSwitchTimeout=90\n"
		"[eim]\nBinding=json\nTimeout=30\nAttempts=5\nRetryDelay=2\nPollInterval=600\n"
		"PollJitter=0\nBackoffMax=1800\nMaxPackages=4\nRollbackTimeout=120\n"
		"CaFile=ca.pem\n"
		"[eim:eim.example.com]\nBinding=asn1\nAsn1Path=/esipa/asn1\nPollInterval=60\n"
		"[eim:other]\nJsonPrefix=/api/esipa/\n");
	g_autofree gchar *second = write_file (f, "20-second.conf",
		"[eim:eim.example.com]\nTimeout=45\nCaFile=\n");
	g_autoptr(EsimdEimSettings) a = NULL;
	g_autoptr(EsimdEimSettings) b = NULL;
	g_autoptr(EsimdEimSettings) c = NULL;
	g_autofree gchar *ca_path = g_build_filename (f->dir, "ca.pem", NULL);
	EsimEsipaClientOptions options;

	g_assert_true (g_file_test (ca, G_FILE_TEST_IS_REGULAR));
	g_assert_true (esimd_config_load_file (config, first, &error));
	g_assert_no_error (error);
	g_assert_true (esimd_config_load_file (config, second, &error));
	g_assert_no_error (error);

	/* [eim:eim.example.com]: its own keys over [eim], the second file's over the first's */
	a = esimd_config_get_eim_settings (config, "eim.example.com");
	g_assert_cmpint (a->binding, ==, ESIM_ESIPA_BINDING_ASN1);
	g_assert_cmpstr (a->asn1_path, ==, "/esipa/asn1");
	g_assert_cmpstr (a->json_prefix, ==, ESIM_ESIPA_JSON_PREFIX);
	g_assert_cmpuint (a->poll_interval_s, ==, 60);
	g_assert_cmpuint (a->timeout_s, ==, 45);
	g_assert_null (a->ca_file);        /* taken back by the later file */
	g_assert_cmpuint (a->attempts, ==, 5);       /* from [eim] */
	g_assert_cmpuint (a->rollback_timeout_s, ==, 120);
	g_assert_cmpuint (a->switch_timeout_s, ==, 90);

	/* [eim:other]: one key of its own; [eim] for the rest, the CA file relative to the file */
	b = esimd_config_get_eim_settings (config, "other");
	g_assert_cmpint (b->binding, ==, ESIM_ESIPA_BINDING_JSON);
	g_assert_cmpstr (b->json_prefix, ==, "/api/esipa/");
	g_assert_cmpstr (b->ca_file, ==, ca_path);
	g_assert_cmpuint (b->timeout_s, ==, 30);
	g_assert_cmpuint (b->poll_jitter_percent, ==, 0);
	g_assert_cmpuint (b->backoff_max_s, ==, 1800);
	g_assert_cmpuint (b->max_packages, ==, 4);
	esimd_eim_settings_to_client_options (b, &options);
	g_assert_cmpint (options.binding, ==, ESIM_ESIPA_BINDING_JSON);
	g_assert_cmpstr (options.json_prefix, ==, "/api/esipa/");
	g_assert_cmpstr (options.ca_file, ==, ca_path);
	g_assert_cmpuint (options.timeout, ==, 30);
	g_assert_cmpuint (options.attempts, ==, 5);
	g_assert_cmpuint (options.retry_delay, ==, 2);

	/* an eimId is matched exactly: another case is another eIM */
	c = esimd_config_get_eim_settings (config, "EIM.example.com");
	g_assert_cmpuint (c->poll_interval_s, ==, 600);
	g_assert_cmpint (c->binding, ==, ESIM_ESIPA_BINDING_JSON);
}

static void
assert_refused (Fixture *f, const gchar *contents, const gchar *expected)
{
	g_autoptr(EsimdConfig) config = esimd_config_new ();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = write_file (f, "bad.conf", contents);

	g_assert_false (esimd_config_load_file (config, path, &error));
	g_assert_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE);
	g_test_message ("%s", error->message);
	g_assert_true (g_str_has_prefix (error->message, path));
	g_assert_nonnull (strstr (error->message, expected));
}

static void
test_bad_values (Fixture *f, gconstpointer data)
{
	assert_refused (f, "[eim]\nBinding=xml\n", "[eim] Binding: invalid value \"xml\"");
	assert_refused (f, "[eim:a]\nBinding=\n", "[eim:a] Binding");
	assert_refused (f, "[eim]\nAsn1Path=gsma/rsp2/asn1\n", "[eim] Asn1Path");
	assert_refused (f, "[eim]\nAsn1Path=/a b\n", "Asn1Path");
	assert_refused (f, "[eim]\nAsn1Path=/x?y=1\n", "Asn1Path");
	assert_refused (f, "[eim:b]\nJsonPrefix=/gsma/rsp2/esipa\n", "[eim:b] JsonPrefix");
	assert_refused (f, "[eim]\nCaFile=/nonexistent/ca.pem\n",
	                "[eim] CaFile: \"/nonexistent/ca.pem\" is not a readable file");
	assert_refused (f, "[eim]\nTimeout=0\n", "[eim] Timeout: invalid value \"0\" "
	                "(expected an integer from 1 to 600)");
	assert_refused (f, "[eim]\nTimeout=601\n", "Timeout");
	assert_refused (f, "[eim]\nAttempts=11\n", "[eim] Attempts");
	assert_refused (f, "[eim]\nAttempts=-1\n", "Attempts");
	assert_refused (f, "[eim]\nRetryDelay=soon\n", "[eim] RetryDelay");
	assert_refused (f, "[eim:c]\nPollInterval=0\n", "[eim:c] PollInterval");
	assert_refused (f, "[eim]\nPollInterval=2592001\n", "PollInterval");
	assert_refused (f, "[eim]\nPollJitter=51\n", "[eim] PollJitter");
	assert_refused (f, "[eim]\nBackoffMax=0\n", "[eim] BackoffMax");
	assert_refused (f, "[eim]\nMaxPackages=0\n", "[eim] MaxPackages");
	assert_refused (f, "[eim]\nMaxPackages=257\n", "MaxPackages");
	assert_refused (f, "[eim]\nRollbackTimeout=86401\n", "[eim] RollbackTimeout");
	assert_refused (f, "[eim]\nRollbackTimeout=1.5\n", "RollbackTimeout");
	{
		g_autofree gchar *long_id = g_strnfill (129, 'x');
		g_autofree gchar *contents = g_strdup_printf ("[eim:%s]\nTimeout=5\n", long_id);

		assert_refused (f, contents, "an eimId is at most 128 bytes");
	}
}

/* an unknown key is named and skipped, as in every other group */
static void
test_unknown_key (Fixture *f, gconstpointer data)
{
	g_autoptr(EsimdConfig) config = esimd_config_new ();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = write_file (f, "unknown.conf", "[eim:x]\npoll-intervall=5\n");
	g_autoptr(EsimdEimSettings) settings = NULL;

	g_test_expect_message ("esimd", G_LOG_LEVEL_WARNING,
	                       "*unknown key [eim:x] poll-intervall ignored");
	g_assert_true (esimd_config_load_file (config, path, &error));
	g_test_assert_expected_messages ();
	g_assert_no_error (error);
	settings = esimd_config_get_eim_settings (config, "x");
	g_assert_cmpuint (settings->poll_interval_s, ==, 3600);
}

/* TrustSource without a card: what decides when the configuration carries no TLS trust */
static void
test_trust_source (Fixture *f, gconstpointer data)
{
	EsimEimConfig config = { .trusted_tls_kind = ESIM_EIM_KEY_NONE };

	g_assert_cmpstr (esimd_eim_trust_source (&config, NULL), ==, "none");
	g_assert_cmpstr (esimd_eim_trust_source (&config, "/etc/esimd/eim-ca.pem"), ==, "ca-file");
	config.trusted_tls_kind = ESIM_EIM_KEY_PUBLIC_KEY;
	g_assert_cmpstr (esimd_eim_trust_source (&config, "/etc/esimd/eim-ca.pem"), ==, "pinned-key");
	/* a certificate that does not parse is no CA: the TLS database refuses it anyway */
	config.trusted_tls_kind = ESIM_EIM_KEY_CERTIFICATE;
	config.trusted_tls = g_bytes_new_static ("\x30\x00", 2);
	g_assert_cmpstr (esimd_eim_trust_source (&config, NULL), ==, "certificate");
	g_bytes_unref (config.trusted_tls);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add ("/esimd/config/eim/defaults", Fixture, NULL, fixture_setup, test_defaults,
	            fixture_teardown);
	g_test_add ("/esimd/config/eim/overrides", Fixture, NULL, fixture_setup, test_overrides,
	            fixture_teardown);
	g_test_add ("/esimd/config/eim/bad-values", Fixture, NULL, fixture_setup, test_bad_values,
	            fixture_teardown);
	g_test_add ("/esimd/config/eim/unknown-key", Fixture, NULL, fixture_setup, test_unknown_key,
	            fixture_teardown);
	g_test_add ("/esimd/config/eim/trust-source", Fixture, NULL, fixture_setup,
	            test_trust_source, fixture_teardown);
	return g_test_run ();
}
