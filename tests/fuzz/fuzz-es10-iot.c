/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the IPA's parsers of the ES10b answers an eIM's work
 * brings (esim-es10-iot.h): EuiccPackageResult, ProfileRollback,
 * ImmediateEnable, ConfigureImmediateProfileEnabling.
 *
 * Input format: the first byte selects the parser (byte % 5; 4 runs them
 * all), the rest is the answer as a card would send it.  The seeds in
 * tests/fuzz/corpus/es10-iot/ are vectors.md V5, V7's result, V19, and
 * answers hand-built from the SGP.32 v1.2 module, behind a selector.
 */

#include <string.h>

#include "esim-es10-iot.h"

int LLVMFuzzerTestOneInput (const guint8 *data, gsize size);

/* A result or an error, never both or neither, and the error names the function. */
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
read_result (const EsimEuiccPackageResult *result)
{
	g_autofree gchar *line = esim_euicc_package_result_describe (result);

	g_assert_nonnull (line);
	g_assert_nonnull (result->raw);
	for (guint i = 0; i < result->results->len; i++) {
		const EsimEuiccResult *item = &g_array_index (result->results, EsimEuiccResult, i);
		g_assert_nonnull (esim_euicc_result_name (item->tag));
		g_assert_nonnull (esim_euicc_result_code_to_string (item));
		(void) esim_euicc_result_is_ok (item);
	}
}

static void
fuzz_package_result (GBytes *input)
{
	GError *error = NULL;
	g_autoptr(EsimEuiccPackageResult) result = esim_es10_parse_euicc_package_result (input, &error);

	check_outcome (result != NULL, error);
	if (result != NULL)
		read_result (result);
}

static void
fuzz_rollback (GBytes *input)
{
	GError *error = NULL;
	g_autoptr(EsimProfileRollbackOk) ok = esim_es10_parse_profile_rollback (input, &error);

	check_outcome (ok != NULL, error);
	if (ok != NULL && ok->package_result != NULL)
		read_result (ok->package_result);
}

static void
fuzz_immediate_enable (GBytes *input)
{
	GError *error = NULL;

	check_outcome (esim_es10_parse_immediate_enable (input, &error), error);
}

static void
fuzz_configure_immediate_enable (GBytes *input)
{
	GError *error = NULL;

	check_outcome (esim_es10_parse_configure_immediate_enable (input, &error), error);
}

static void
fuzz_all (GBytes *input)
{
	fuzz_package_result (input);
	fuzz_rollback (input);
	fuzz_immediate_enable (input);
	fuzz_configure_immediate_enable (input);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, gsize size)
{
	static void (*const parsers[]) (GBytes *input) = {
		fuzz_package_result, fuzz_rollback, fuzz_immediate_enable,
		fuzz_configure_immediate_enable, fuzz_all,
	};
	g_autoptr(GBytes) input = NULL;

	if (size == 0)
		return 0;
	input = g_bytes_new (data + 1, size - 1);
	parsers[data[0] % G_N_ELEMENTS (parsers)] (input);
	return 0;
}
