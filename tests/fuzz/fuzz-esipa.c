/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the ESipa ASN.1 parsers: every message an eIM can send
 * (a whole HTTP body) and every package TLV the JSON binding carries get the
 * same bytes.  Contract: a result or an error, never both or neither; a
 * package holds exactly the member its kind names; the raw TLVs handed out
 * are whole elements; the eIM's code is set exactly when it refused.
 * Seeds in tests/fuzz/corpus/esipa/ are vectors.md bodies and hand-assembled
 * answers (tests/core/test-esipa.c).
 */

#include <string.h>

#include "esim-esipa.h"

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

static void
check_package (const EsimEimPackage *package)
{
	guint members = (package->euicc_package_request != NULL) +
	                (package->ipa_euicc_data_request != NULL) +
	                (package->profile_download_trigger != NULL) +
	                (package->acknowledgements != NULL);

	g_assert_cmpuint (members, ==, package->kind == ESIM_EIM_PACKAGE_ERROR ? 0 : 1);
	if (package->euicc_package_request != NULL)
		check_tlv (package->euicc_package_request->raw);
	if (package->ipa_euicc_data_request != NULL)
		check_tlv (package->ipa_euicc_data_request->raw);
	if (package->profile_download_trigger != NULL)
		check_tlv (package->profile_download_trigger->raw);
}

static void
check_refusal (GError *error, gint code)
{
	gboolean refused = error != NULL && g_error_matches (error, ESIM_ESIPA_ERROR,
	                                                     ESIM_ESIPA_ERROR_REFUSED);

	g_assert_true (refused ? code >= 0 : code == -1);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
	g_autoptr(GBytes) body = g_bytes_new_static (data, size);
	GError *error = NULL;
	gint code = -2;

	{
		g_autoptr(EsimEimPackage) p = esim_esipa_parse_get_eim_package_response (body, &error);

		if (p != NULL)
			check_package (p);
		check_outcome (p != NULL, error);
		error = NULL;
	}
	{
		g_autoptr(EsimEimPackage) p = esim_esipa_parse_transfer_eim_package_request (body, &error);

		if (p != NULL)
			check_package (p);
		check_outcome (p != NULL, error);
		error = NULL;
	}
	{
		g_autoptr(EsimProvideResultResponse) r =
			esim_esipa_parse_provide_eim_package_result_response (body, &error);

		if (r != NULL && r->kind == ESIM_PROVIDE_RESULT_ACKNOWLEDGEMENTS)
			g_assert_cmpuint (r->acknowledgements->len, <=, ESIM_ESIPA_MAX_LIST_ITEMS);
		check_outcome (r != NULL, error);
		error = NULL;
	}
	{
		g_autoptr(EsimInitiateAuthenticationOk) ok =
			esim_esipa_parse_initiate_authentication_response (body, &code, &error);

		check_refusal (error, code);
		if (ok != NULL) {
			g_assert_true (esim_transaction_id_is_valid (ok->transaction_id));
			check_tlv (ok->server_signed1);
			check_tlv (ok->server_certificate);
		}
		check_outcome (ok != NULL, error);
		error = NULL;
	}
	{
		g_autoptr(EsimAuthenticateClientOk) ok =
			esim_esipa_parse_authenticate_client_response (body, &code, &error);

		check_refusal (error, code);
		if (ok != NULL) {
			g_assert_true (esim_transaction_id_is_valid (ok->transaction_id));
			if (!ok->from_smds)
				check_tlv (ok->smdp_signed2);
		}
		check_outcome (ok != NULL, error);
		error = NULL;
	}
	{
		g_autoptr(EsimBoundProfilePackageOk) ok =
			esim_esipa_parse_get_bound_profile_package_response (body, &code, &error);

		check_refusal (error, code);
		if (ok != NULL)
			check_tlv (ok->bound_profile_package);
		check_outcome (ok != NULL, error);
		error = NULL;
	}
	{
		gboolean ok = esim_esipa_parse_cancel_session_response (body, &code, &error);

		check_refusal (error, code);
		check_outcome (ok, error);
		error = NULL;
	}
	/* the parts, as the JSON binding hands them over */
	{
		g_autoptr(EsimEuiccPackageRequest) a = esim_esipa_parse_euicc_package_request (body, NULL);
		g_autoptr(EsimIpaEuiccDataRequest) b = esim_esipa_parse_ipa_euicc_data_request (body, NULL);
		g_autoptr(EsimProfileDownloadTrigger) c = esim_esipa_parse_profile_download_trigger (body,
		                                                                                    NULL);
		g_autoptr(GArray) d = esim_esipa_parse_eim_acknowledgements (body, NULL);

		if (b != NULL) {
			for (guint i = 0; i < b->tags->len; i++)
				(void) esim_esipa_ipa_euicc_data_tag_name (g_array_index (b->tags, EsimTag, i));
		}
		if (c != NULL && c->activation_code != NULL)
			g_assert_cmpuint (strlen (c->activation_code), <=, 255);
		(void) a;
		(void) d;
	}
	return 0;
}
