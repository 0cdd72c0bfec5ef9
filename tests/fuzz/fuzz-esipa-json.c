/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the ESipa JSON binding: every answer or pushed request
 * an eIM can send gets the same bytes.  Contract as for the ASN.1 binding: a
 * result or an ESIM_ESIPA_ERROR, whole TLVs, a valid transaction ID.  Seeds
 * in tests/fuzz/corpus/esipa-json/ are openiotrsp- and Iapyx-shaped bodies.
 */

#include "esim-esipa-json.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
check_outcome (gboolean ok, GError *error)
{
	if (ok) {
		g_assert_null (error);
		return;
	}
	g_assert_nonnull (error);
	g_assert_true (error->domain == ESIM_ESIPA_ERROR);
	g_error_free (error);
}

static void
check_tlv (GBytes *bytes)
{
	EsimTlv tlv;

	g_assert_nonnull (bytes);
	g_assert_true (esim_tlv_parse_exact (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
	                                     &tlv, NULL));
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
	const gchar *body = (const gchar *) data;
	GError *error = NULL;

	{
		g_autoptr(EsimEimPackage) p = esim_esipa_json_parse_get_eim_package_response (body, size,
		                                                                             &error);
		if (p != NULL && p->euicc_package_request != NULL)
			check_tlv (p->euicc_package_request->raw);
		check_outcome (p != NULL, error);
		error = NULL;
	}
	{
		g_autoptr(EsimEimPackage) p = esim_esipa_json_parse_transfer_eim_package_request (body, size,
		                                                                                 &error);
		g_assert_true (p == NULL || p->kind != ESIM_EIM_PACKAGE_ERROR);
		check_outcome (p != NULL, error);
		error = NULL;
	}
	{
		g_autoptr(EsimProvideResultResponse) r =
			esim_esipa_json_parse_provide_eim_package_result_response (body, size, &error);

		check_outcome (r != NULL, error);
		error = NULL;
	}
	{
		g_autoptr(EsimEs9pStatus) status = NULL;
		g_autoptr(EsimInitiateAuthenticationOk) ok =
			esim_esipa_json_parse_initiate_authentication_response (body, size, &status, &error);

		if (ok != NULL) {
			g_assert_true (esim_transaction_id_is_valid (ok->transaction_id));
			check_tlv (ok->server_signed1);
			check_tlv (ok->server_signature1);
		}
		check_outcome (ok != NULL, error);
		error = NULL;
	}
	{
		g_autoptr(EsimAuthenticateClientOk) ok =
			esim_esipa_json_parse_authenticate_client_response (body, size, NULL, &error);

		if (ok != NULL) {
			g_assert_true (esim_transaction_id_is_valid (ok->transaction_id));
			g_assert_true (ok->from_smds || ok->smdp_signed2 != NULL);
		}
		check_outcome (ok != NULL, error);
		error = NULL;
	}
	{
		g_autoptr(EsimBoundProfilePackageOk) ok =
			esim_esipa_json_parse_get_bound_profile_package_response (body, size, NULL, &error);

		if (ok != NULL)
			check_tlv (ok->bound_profile_package);
		check_outcome (ok != NULL, error);
		error = NULL;
	}
	check_outcome (esim_esipa_json_parse_cancel_session_response (body, size, NULL, &error),
	               error);
	error = NULL;
	check_outcome (esim_esipa_json_parse_handle_notification_response (body, size, NULL, &error),
	               error);
	return 0;
}
