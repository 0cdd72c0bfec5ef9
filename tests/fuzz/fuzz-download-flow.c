/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for what the download flow parses itself
 * (src/flows/esim-download.h): the profile metadata a bound profile package
 * carries in its sequenceOf88, and the SM-DP+'s status codes in a refusal
 * (the bytes as the JSON answer of getBoundProfilePackage).
 *
 * The contract: metadata or an error, never both or neither; metadata only
 * ever comes from inside the package (shorter than it); codes only for a
 * refusal, both set.
 */

#include <string.h>

#include "esim-download.h"
#include "esim-es9p.h"

int LLVMFuzzerTestOneInput (const guint8 *data, gsize size);

int
LLVMFuzzerTestOneInput (const guint8 *data, gsize size)
{
	g_autoptr(GBytes) bpp = g_bytes_new_static (data, size);
	g_autoptr(GBytes) metadata = NULL;
	g_autoptr(EsimBoundProfilePackageOk) ok = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *subject = NULL;
	g_autofree gchar *reason = NULL;

	metadata = esim_download_bpp_metadata (bpp, &error);
	if ((metadata == NULL) == (error == NULL))
		__builtin_trap ();
	if (metadata != NULL && g_bytes_get_size (metadata) >= size)
		__builtin_trap ();
	g_clear_error (&error);

	ok = esim_es9p_parse_get_bound_profile_package ((const gchar *) data, size, NULL, &error);
	if (esim_download_error_get_status_codes (error, &subject, &reason)) {
		if (subject == NULL || reason == NULL || ok != NULL)
			__builtin_trap ();
	} else if (subject != NULL || reason != NULL) {
		__builtin_trap ();
	}
	return 0;
}
