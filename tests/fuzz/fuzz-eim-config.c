/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the eIM configuration a user or a card hands us:
 * EimConfigurationData DER (esim_es10_parse_eim_config, which AddInitialEim
 * validation and GetEimConfigurationData use) and key or certificate files,
 * PEM or DER (esim_eim_key_from_data, for `esimcli eim add` options).  What
 * parses must re-build: a decoded key goes back through the builder and the
 * parser and comes out the same.  Seeds: V16/V17 and both key alternatives.
 */

#include "esim-es10.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
rebuild (GBytes *key_der, EsimEimKeyKind kind)
{
	EsimEimConfigInput input = { .eim_id = "f", .id_type = -1, .counter_value = -1,
	                             .public_key = key_der };
	g_autoptr(GBytes) encoded = NULL;
	g_autoptr(EsimEimConfig) config = NULL;
	g_autoptr(GError) error = NULL;

	encoded = esim_es10_encode_eim_config (&input, &error);
	g_assert_no_error (error);
	config = esim_es10_parse_eim_config (g_bytes_get_data (encoded, NULL),
	                                     g_bytes_get_size (encoded), &error);
	g_assert_no_error (error);
	g_assert_cmpint (config->public_key_kind, ==, kind);
	g_assert_true (g_bytes_equal (config->public_key, key_der));
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
	g_autoptr(GBytes) input = g_bytes_new_static (data, size);
	g_autoptr(EsimEimConfig) config = NULL;
	g_autoptr(GBytes) key = NULL;
	g_autoptr(GError) error = NULL;
	EsimEimKeyKind kind = ESIM_EIM_KEY_NONE;

	config = esim_es10_parse_eim_config (data, size, &error);
	g_assert_true ((config == NULL) != (error == NULL));
	if (config != NULL) {
		g_assert_nonnull (config->eim_id);
		g_assert_true ((config->public_key_data == NULL) ==
		               (config->public_key_kind == ESIM_EIM_KEY_NONE));
		if (config->public_key != NULL)
			rebuild (config->public_key, config->public_key_kind);
	}
	g_clear_error (&error);

	if (size > 0) {
		key = esim_eim_key_from_data (input, &kind, &error);
		g_assert_true ((key == NULL) != (error == NULL));
		if (key != NULL)
			rebuild (key, kind);
	}
	return 0;
}
