/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the ES9+ JSON answers an SM-DP+ sends: every parser
 * gets the same bytes.  A result that parses must hold what the parser
 * promises (whole TLVs, a valid transaction ID).
 */

#include "esim-es9p.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
check_tlv (GBytes *bytes)
{
	if (bytes == NULL || g_bytes_get_size (bytes) < 2)
		__builtin_trap ();
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
	const gchar *body = (const gchar *) data;
	g_autoptr(EsimEs9pStatus) status1 = NULL;
	g_autoptr(EsimEs9pStatus) status2 = NULL;
	g_autoptr(EsimEs9pStatus) status3 = NULL;
	g_autoptr(EsimEs9pStatus) status4 = NULL;
	g_autoptr(EsimInitiateAuthenticationOk) auth = NULL;
	g_autoptr(EsimAuthenticateClientOk) client = NULL;
	g_autoptr(EsimBoundProfilePackageOk) bpp = NULL;

	auth = esim_es9p_parse_initiate_authentication (body, size, &status1, NULL);
	if (auth != NULL) {
		if (!esim_transaction_id_is_valid (auth->transaction_id))
			__builtin_trap ();
		check_tlv (auth->server_signed1);
		check_tlv (auth->server_signature1);
		check_tlv (auth->euicc_ci_pkid_to_be_used);
		check_tlv (auth->server_certificate);
	}
	client = esim_es9p_parse_authenticate_client (body, size, &status2, NULL);
	if (client != NULL) {
		check_tlv (client->profile_metadata);
		check_tlv (client->smdp_signed2);
	}
	bpp = esim_es9p_parse_get_bound_profile_package (body, size, &status3, NULL);
	if (bpp != NULL)
		check_tlv (bpp->bound_profile_package);
	(void) esim_es9p_parse_cancel_session (body, size, &status4, NULL);
	return 0;
}
