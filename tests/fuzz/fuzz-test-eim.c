/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for what the test eIM parses from an IPA: the same bytes
 * as an ASN.1 body, as the JSON body of every ESipa function, and as the
 * results, notifications and AuthenticateServerResponse inside them.  What
 * parses must hold what the parser promises.
 */

#include "esim-test-eim-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static const gchar *const functions[] = {
	"getEimPackage", "provideEimPackageResult", "handleNotification", "initiateAuthentication",
	"authenticateClient", "getBoundProfilePackage", "cancelSession", "transferEimPackage",
};

static void
check_result (GBytes *tlv, gboolean transfer)
{
	EimResultInfo info;

	if (eim_parse_package_result (tlv, transfer, &info, NULL)) {
		if (info.signed_raw != NULL && (info.signature_len == 0 || info.signed_raw[0] != 0x30))
			__builtin_trap ();
		for (guint i = 0; info.embedded_results != NULL && i < info.embedded_results->len; i++)
			check_result (g_ptr_array_index (info.embedded_results, i), FALSE);
	}
	eim_result_info_clear (&info);
}

static void
check_notification (GBytes *tlv)
{
	g_autofree gchar *address = NULL;
	g_autofree gchar *summary = NULL;
	gint64 seq;

	if (eim_parse_notification (tlv, &seq, &address, &summary, NULL) && (seq < 0 || summary == NULL))
		__builtin_trap ();
}

static void
check_request (EimRequest *request)
{
	if (request->eim_package_result != NULL)
		check_result (request->eim_package_result, FALSE);
	if (request->pending_notification != NULL)
		check_notification (request->pending_notification);
	if (request->function == ESIM_TEST_EIM_FUNCTION_INITIATE_AUTHENTICATION &&
	    g_bytes_get_size (request->euicc_challenge) != 16)
		__builtin_trap ();
	if (request->euicc_response != NULL) {
		GBytes *euicc = NULL, *eum = NULL;

		if (eim_parse_authenticate_server_certificates (request->euicc_response, &euicc, &eum) &&
		    (euicc == NULL || eum == NULL))
			__builtin_trap ();
		g_clear_pointer (&euicc, g_bytes_unref);
		g_clear_pointer (&eum, g_bytes_unref);
	}
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
	g_autoptr(GBytes) bytes = g_bytes_new_static (data, size);
	EimRequest request;

	if (eim_request_parse_asn1 (data, size, &request, NULL))
		check_request (&request);
	eim_request_clear (&request);
	for (guint i = 0; i < G_N_ELEMENTS (functions); i++) {
		if (eim_request_parse_json (functions[i], data, size, &request, NULL))
			check_request (&request);
		eim_request_clear (&request);
	}
	check_result (bytes, FALSE);
	check_result (bytes, TRUE);
	check_notification (bytes);
	return 0;
}
