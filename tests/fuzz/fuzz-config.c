/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for esimd.conf (src/daemon/core/esimd-config.c), above all
 * its [eim] and [eim:<eimId>] groups: the input is loaded as a configuration
 * file.  A file that loads must give every eIM settings within the documented
 * ranges (esimd-config.h), for the [eim] defaults and for each [eim:…] group;
 * one that does not load must say why.  Never a crash.
 *
 * The seeds in tests/fuzz/corpus/config/ are configurations as an
 * administrator writes them: the sample's [eim] defaults, per-eIM overrides,
 * and a bad value.
 */

#include <string.h>

#include "esimd-config.h"

int LLVMFuzzerTestOneInput (const guint8 *data, gsize size);

static void
quiet_log (const gchar *log_domain, GLogLevelFlags log_level, const gchar *message,
           gpointer user_data)
{
}

static void
check_settings (const EsimdConfig *config, const gchar *eim_id)
{
	g_autoptr(EsimdEimSettings) settings = esimd_config_get_eim_settings (config, eim_id);
	EsimEsipaClientOptions options;

	if (settings->binding != ESIM_ESIPA_BINDING_ASN1 && settings->binding != ESIM_ESIPA_BINDING_JSON)
		__builtin_trap ();
	if (settings->asn1_path == NULL || settings->asn1_path[0] != '/' ||
	    settings->json_prefix == NULL || !g_str_has_suffix (settings->json_prefix, "/"))
		__builtin_trap ();
	if (settings->timeout_s < 1 || settings->timeout_s > ESIMD_CONFIG_EIM_TIMEOUT_MAX ||
	    settings->attempts < 1 || settings->attempts > ESIMD_CONFIG_EIM_ATTEMPTS_MAX ||
	    settings->retry_delay_s < 1 || settings->poll_interval_s < 1 ||
	    settings->poll_jitter_percent > ESIMD_CONFIG_EIM_POLL_JITTER_MAX ||
	    settings->backoff_max_s < 1 || settings->max_packages < 1 ||
	    settings->max_packages > ESIMD_CONFIG_EIM_MAX_PACKAGES_MAX ||
	    settings->rollback_timeout_s < 1)
		__builtin_trap ();
	if (settings->ca_file != NULL && !g_path_is_absolute (settings->ca_file))
		__builtin_trap ();
	esimd_eim_settings_to_client_options (settings, &options);
	if (options.timeout != settings->timeout_s || options.asn1_path != settings->asn1_path)
		__builtin_trap ();
}

int
LLVMFuzzerTestOneInput (const guint8 *data, gsize size)
{
	static gchar *path = NULL;
	g_autoptr(EsimdConfig) config = esimd_config_new ();
	g_autoptr(GError) error = NULL;
	g_autoptr(GKeyFile) keyfile = g_key_file_new ();
	g_auto(GStrv) groups = NULL;

	if (path == NULL) {
		g_autofree gchar *dir = g_dir_make_tmp ("fuzz-config-XXXXXX", NULL);

		/* unknown groups and keys are warnings, by design */
		g_log_set_default_handler (quiet_log, NULL);
		if (dir == NULL)
			__builtin_trap ();
		path = g_build_filename (dir, "esimd.conf", NULL);
	}
	if (!g_file_set_contents (path, (const gchar *) data, (gssize) size, NULL))
		return 0;
	if (!esimd_config_load_file (config, path, &error)) {
		if (error == NULL || error->message == NULL || error->message[0] == '\0')
			__builtin_trap ();
		return 0;
	}
	check_settings (config, NULL);
	/* every [eim:…] group the file names */
	if (g_key_file_load_from_data (keyfile, (const gchar *) data, size, G_KEY_FILE_NONE, NULL))
		groups = g_key_file_get_groups (keyfile, NULL);
	for (guint i = 0; groups != NULL && groups[i] != NULL; i++) {
		if (g_str_has_prefix (groups[i], "eim:"))
			check_settings (config, groups[i] + strlen ("eim:"));
	}
	return 0;
}
