/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the ES10 response parsers (and the AddInitialEim
 * input validation, which parses untrusted files).
 *
 * Input format: the first byte selects the parser (byte % N_PARSERS); the
 * value N_PARSERS - 1 (or any byte selecting it) runs every parser on the
 * rest.  The rest is the response TLV exactly as a card would send it.
 * Seeds in tests/fuzz/corpus/es10/ are real-card vectors behind a selector.
 */

#include <string.h>

#include "esim-es10.h"

typedef void (*FuzzParser) (GBytes *input);

/* The parser contract: a result or an error, never both or neither, and the
 * error message starts with the ES10 function name ("Name: …"). */
static void
check_outcome (gboolean ok, GError *error)
{
	if (ok) {
		g_assert_null (error);
		return;
	}
	g_assert_nonnull (error);
	g_assert_nonnull (strstr (error->message, ": "));
	g_error_free (error);
}

static void
fuzz_get_eid (GBytes *input)
{
	GError *error = NULL;
	g_autofree gchar *eid = esim_es10_parse_get_eid (input, &error);

	check_outcome (eid != NULL, error);
}

static void
fuzz_euicc_info1 (GBytes *input)
{
	GError *error = NULL;
	g_autoptr(EsimEuiccInfo1) info = esim_es10_parse_euicc_info1 (input, &error);

	check_outcome (info != NULL, error);
}

static void
fuzz_euicc_info2 (GBytes *input)
{
	GError *error = NULL;
	g_autoptr(EsimEuiccInfo2) info = esim_es10_parse_euicc_info2 (input, &error);

	check_outcome (info != NULL, error);
}

static void
fuzz_profiles_info (GBytes *input)
{
	GError *error = NULL;
	g_autoptr(GPtrArray) profiles = esim_es10_parse_profiles_info (input, &error);

	check_outcome (profiles != NULL, error);
}

static void
fuzz_results (GBytes *input)
{
	/* the small { 80 result } answers, with their error codes */
	GError *error = NULL;

	check_outcome (esim_es10_parse_enable_profile (input, &error), error);
	error = NULL;
	check_outcome (esim_es10_parse_disable_profile (input, &error), error);
	error = NULL;
	check_outcome (esim_es10_parse_delete_profile (input, &error), error);
	error = NULL;
	check_outcome (esim_es10_parse_set_nickname (input, &error), error);
	error = NULL;
	check_outcome (esim_es10_parse_remove_notification (input, &error), error);
	error = NULL;
	check_outcome (esim_es10_parse_set_default_dp_address (ESIM_ES10_VARIANT_SGP22, input,
							       &error),
		       error);
	error = NULL;
	check_outcome (esim_es10_parse_set_default_dp_address (ESIM_ES10_VARIANT_SGP32, input,
							       &error),
		       error);
	error = NULL;
	check_outcome (esim_es10_parse_memory_reset (ESIM_ES10_VARIANT_SGP22, input, &error),
		       error);
	error = NULL;
	check_outcome (esim_es10_parse_memory_reset (ESIM_ES10_VARIANT_SGP32, input, &error),
		       error);
}

static void
fuzz_list_notification (GBytes *input)
{
	GError *error = NULL;
	g_autoptr(GPtrArray) metas = esim_es10_parse_list_notification (input, &error);

	check_outcome (metas != NULL, error);
}

static void
fuzz_retrieve_notifications_list (GBytes *input)
{
	GError *error = NULL;
	g_autoptr(EsimNotificationList) list =
		esim_es10_parse_retrieve_notifications_list (input, &error);

	check_outcome (list != NULL, error);
}

static void
fuzz_configured_addresses (GBytes *input)
{
	GError *error = NULL;
	g_autoptr(EsimConfiguredAddresses) a =
		esim_es10_parse_get_configured_addresses (input, &error);

	check_outcome (a != NULL, error);
}

static void
fuzz_get_rat (GBytes *input)
{
	GError *error = NULL;
	g_autoptr(GArray) rules = esim_es10_parse_get_rat (input, &error);

	check_outcome (rules != NULL, error);
}

static void
fuzz_get_certs (GBytes *input)
{
	GError *error = NULL;
	g_autoptr(EsimCerts) certs = esim_es10_parse_get_certs (input, &error);

	check_outcome (certs != NULL, error);
}

static void
fuzz_eim_configuration (GBytes *input)
{
	GError *error = NULL;
	g_autoptr(GPtrArray) configs = esim_es10_parse_get_eim_configuration_data (input, &error);
	g_autoptr(EsimEimConfig) config = NULL;
	gsize len = 0;
	const guint8 *data = g_bytes_get_data (input, &len);

	check_outcome (configs != NULL, error);
	error = NULL;
	config = esim_es10_parse_eim_config (len > 0 ? data : NULL, len, &error);
	check_outcome (config != NULL, error);
}

static void
fuzz_add_initial_eim (GBytes *input)
{
	GError *error = NULL;
	g_autoptr(GArray) results = esim_es10_parse_add_initial_eim (input, &error);
	g_autoptr(GBytes) request = NULL;

	check_outcome (results != NULL, error);
	/* the encoder validates untrusted configuration files */
	if (g_bytes_get_size (input) > 0) {
		error = NULL;
		request = esim_es10_encode_add_initial_eim (input, &error);
		check_outcome (request != NULL, error);
	}
}

static const FuzzParser parsers[] = {
	fuzz_get_eid,
	fuzz_euicc_info1,
	fuzz_euicc_info2,
	fuzz_profiles_info,
	fuzz_results,
	fuzz_list_notification,
	fuzz_retrieve_notifications_list,
	fuzz_configured_addresses,
	fuzz_get_rat,
	fuzz_get_certs,
	fuzz_eim_configuration,
	fuzz_add_initial_eim,
};

int LLVMFuzzerTestOneInput (const guint8 *data, gsize size);

int
LLVMFuzzerTestOneInput (const guint8 *data, gsize size)
{
	g_autoptr(GBytes) input = NULL;
	guint selector;

	if (size < 1)
		return 0;
	selector = data[0] % (G_N_ELEMENTS (parsers) + 1);
	input = g_bytes_new (data + 1, size - 1);
	if (selector < G_N_ELEMENTS (parsers)) {
		parsers[selector](input);
		return 0;
	}
	for (guint i = 0; i < G_N_ELEMENTS (parsers); i++)
		parsers[i](input);
	return 0;
}
