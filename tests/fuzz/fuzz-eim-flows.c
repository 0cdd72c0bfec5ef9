/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for what the eIM flows parse themselves
 * (src/flows/esim-poll-cycle.h, esim-eim-package.h): a journalled result as
 * the state directory may hand it back (esimd wrote it, a disk or an
 * administrator may have changed it), and the routing read of an eIM's
 * euiccPackageRequest (does an enable carry rollbackFlag).
 *
 * The contract: a result or an error, never both or neither; a decoded
 * result encodes again (what the cycle will send).
 */

#include "esim-poll-cycle.h"

int LLVMFuzzerTestOneInput (const guint8 *data, gsize size);

int
LLVMFuzzerTestOneInput (const guint8 *data, gsize size)
{
	g_autoptr(GBytes) bytes = g_bytes_new_static (data, size);
	g_autoptr(EsimEimPackageResult) result = NULL;
	g_autoptr(GBytes) encoded = NULL;
	g_autoptr(GError) error = NULL;

	result = esim_poll_journal_decode (bytes, &error);
	if ((result == NULL) == (error == NULL))
		__builtin_trap ();
	if (result != NULL) {
		encoded = esim_esipa_encode_eim_package_result (result, NULL);
		(void) encoded;
	}
	(void) esim_eim_package_request_allows_rollback (bytes);
	return 0;
}
