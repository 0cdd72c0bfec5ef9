/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for activation codes and server addresses: whatever a user,
 * a QR code or an eIM's ProfileDownloadTriggerRequest hands us.  A parsed code
 * must satisfy the parser's own promises (a host, a matching ID, an OID only
 * when non-empty).
 */

#include <string.h>

#include "esim-activation-code.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
	g_autofree gchar *text = g_strndup ((const gchar *) data, size);
	g_autoptr(EsimActivationCode) code = esim_activation_code_parse (text, NULL);
	g_autofree gchar *host = NULL;
	guint16 port = 0;

	if (code != NULL) {
		if (code->host == NULL || *code->host == '\0' || code->matching_id == NULL ||
		    (code->smdp_oid != NULL && *code->smdp_oid == '\0'))
			__builtin_trap ();
	}
	if (esim_server_address_parse (text, &host, &port, NULL) && (host == NULL || *host == '\0'))
		__builtin_trap ();
	return 0;
}
