/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ESipa JSON binding (src/lib/esim-esipa-json.[ch]).  The bodies below are
 * written by hand in the shapes the two public implementations use
 * (openiotrsp esipa/gsma_json.go and its tests, Iapyx onomondo-ipa
 * esipa_json.c), never produced by our builder, and the binary members carry
 * the same vectors as the ASN.1 tests: both bindings must give one model.
 */

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "esim-esipa-json.h"
#include "test-esipa-vectors.h"

#define SUCCESS_HEADER "\"header\":{\"functionExecutionStatus\":{\"status\":\"Executed-Success\"}}"

static gchar *
b64_of_hex (const gchar *hex)
{
	g_autoptr(GBytes) bytes = hex_bytes (hex);

	return g_base64_encode (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static JsonObject *
parse_object (JsonParser *parser, const gchar *text)
{
	g_autoptr(GError) error = NULL;

	g_assert_true (json_parser_load_from_data (parser, text, -1, &error));
	g_assert_no_error (error);
	return json_node_get_object (json_parser_get_root (parser));
}

/* V8: openiotrsp's test POSTs exactly this member for a compact notification */
static void
test_v8_handle_notification (void)
{
	g_autoptr(GBytes) v8 = hex_bytes (V8_PENDING_NOTIFICATION);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *body = esim_esipa_json_build_handle_notification (v8, &error);

	g_assert_no_error (error);
	g_assert_cmpstr (body, ==, "{\"pendingNotification\":\"" V8_BASE64 "\"}");
}

static void
test_requests (void)
{
	EsimGetEimPackageRequest get = { .eid = V7_EID, .notify_state_change = TRUE,
	                                 .state_change_cause = ESIM_STATE_CHANGE_RESET,
	                                 .rplmn = "26201" };
	g_autoptr(GBytes) v7 = hex_bytes (V7_PROVIDE_EIM_PACKAGE_RESULT);
	g_autoptr(GBytes) v5 = hex_bytes (V5_EUICC_PACKAGE_RESULT);
	g_autoptr(GBytes) challenge = hex_bytes ("000102030405060708090A0B0C0D0E0F");
	g_autoptr(GBytes) asr = hex_bytes ("BF3803A00100");
	g_autoptr(GBytes) card_cancel = hex_bytes ("BF4103810105");
	EsimEimPackageResult result = { .kind = ESIM_EIM_PACKAGE_RESULT_EUICC_PACKAGE_RESULT,
	                                .euicc_package_result = v5 };
	g_autoptr(JsonParser) parser = json_parser_new ();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *body = NULL;
	g_autofree gchar *v5_b64 = b64_of_hex (V5_EUICC_PACKAGE_RESULT);
	g_autofree gchar *provide_b64 = NULL;
	JsonObject *root;

	/* Iapyx: the 32 digits, true, a number; rPLMN has no public JSON form */
	body = esim_esipa_json_build_get_eim_package (&get, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (body, ==, "{\"eidValue\":\"" V7_EID "\",\"notifyStateChange\":true,"
	                           "\"stateChangeCause\":4}");
	g_clear_pointer (&body, g_free);

	/* eimPackageResult: base64 of the same EimPackageResult TLV the ASN.1 binding sends */
	body = esim_esipa_json_build_provide_eim_package_result (V7_EID, &result, &error);
	g_assert_no_error (error);
	root = parse_object (parser, body);
	g_assert_cmpstr (json_object_get_string_member (root, "eidValue"), ==, V7_EID);
	g_assert_cmpstr (json_object_get_string_member (root, "eimPackageResult"), ==, v5_b64);
	g_clear_pointer (&body, g_free);

	/* handleNotification carrying the whole BF50 (openiotrsp gsmaHandleNotificationRequest) */
	body = esim_esipa_json_build_handle_notification_result (NULL, &result, &error);
	g_assert_no_error (error);
	{
		g_autofree gchar *bf50 = tlv_hex (0xBF50, V5_EUICC_PACKAGE_RESULT);

		provide_b64 = b64_of_hex (bf50);
	}
	root = parse_object (parser, body);
	g_assert_cmpstr (json_object_get_string_member (root, "provideEimPackageResult"), ==,
	                 provide_b64);
	g_clear_pointer (&body, g_free);

	body = esim_esipa_json_build_initiate_authentication (challenge, NULL, "smdp.example.com",
	                                                      "0a0b", &error);
	g_assert_no_error (error);
	g_assert_cmpstr (body, ==, "{\"euiccChallenge\":\"AAECAwQFBgcICQoLDA0ODw==\","
	                           "\"smdpAddress\":\"smdp.example.com\",\"eimTransactionId\":\"0A0B\"}");
	g_clear_pointer (&body, g_free);

	body = esim_esipa_json_build_authenticate_client ("0a0b", asr, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (body, ==, "{\"transactionId\":\"0A0B\","
	                           "\"authenticateServerResponse\":\"vzgDoAEA\"}");
	g_clear_pointer (&body, g_free);

	/* the card's BF41 whole, as in ES9+ */
	body = esim_esipa_json_build_cancel_session ("0102", card_cancel, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (body, ==, "{\"transactionId\":\"0102\",\"cancelSessionResponse\":\"v0EDgQEF\"}");
	g_clear_pointer (&body, g_free);

	/* the same argument checks as the ASN.1 binding */
	get.eid = "123";
	g_assert_null (esim_esipa_json_build_get_eim_package (&get, &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_clear_error (&error);
	g_assert_null (esim_esipa_json_build_handle_notification (v7, &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

static void
test_transfer_response (void)
{
	g_autoptr(GBytes) v5 = hex_bytes (V5_EUICC_PACKAGE_RESULT);
	g_autoptr(GBytes) v8 = hex_bytes (V8_PENDING_NOTIFICATION);
	g_autoptr(GPtrArray) notifications = g_ptr_array_new ();
	EsimEimPackageResult result = { .kind = ESIM_EIM_PACKAGE_RESULT_EPR_AND_NOTIFICATIONS,
	                                .euicc_package_result = v5,
	                                .notifications = notifications };
	EsimTransferEimPackageResponse response = { .kind = ESIM_TRANSFER_RESPONSE_RESULT,
	                                            .result = &result };
	g_autoptr(JsonParser) parser = json_parser_new ();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *body = NULL;
	g_autofree gchar *list = tlv_hex (0x30, V8_PENDING_NOTIFICATION);
	g_autofree gchar *list_b64 = b64_of_hex (list);
	g_autofree gchar *v5_b64 = b64_of_hex (V5_EUICC_PACKAGE_RESULT);
	JsonObject *root;
	JsonObject *epr;

	/* Iapyx: {"ePRAndNotifications": {euiccPackageResult, notificationList}},
	 * the list as the standalone PendingNotificationList (30) */
	g_ptr_array_add (notifications, v8);
	body = esim_esipa_json_build_transfer_eim_package_response (&response, &error);
	g_assert_no_error (error);
	root = parse_object (parser, body);
	epr = json_object_get_object_member (root, "ePRAndNotifications");
	g_assert_nonnull (epr);
	g_assert_cmpstr (json_object_get_string_member (epr, "euiccPackageResult"), ==, v5_b64);
	g_assert_cmpstr (json_object_get_string_member (epr, "notificationList"), ==, list_b64);
	g_clear_pointer (&body, g_free);

	response.kind = ESIM_TRANSFER_RESPONSE_ERROR;
	response.error_code = ESIM_EIM_PACKAGE_RESULT_UNKNOWN_PACKAGE;
	body = esim_esipa_json_build_transfer_eim_package_response (&response, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (body, ==, "{\"eimPackageError\":2}");
}

/* openiotrsp's answer shape: a header, and "eimPackageError": 0 next to the
 * package (its struct has no omitempty there) */
static void
test_get_eim_package_answers (void)
{
	g_autofree gchar *v4_b64 = b64_of_hex (V4_EUICC_PACKAGE_REQUEST);
	g_autofree gchar *trigger_b64 = b64_of_hex (V20_TRIGGER_ACTIVATION_CODE);
	g_autofree gchar *openiotrsp = g_strdup_printf ("{" SUCCESS_HEADER ",\"eimPackageError\":0,"
	                                                "\"euiccPackageRequest\":\"%s\"}", v4_b64);
	g_autofree gchar *iapyx = g_strdup_printf ("{\"profileDownloadTriggerRequest\":\"%s\"}",
	                                           trigger_b64);
	g_autofree gchar *both = g_strdup_printf ("{\"euiccPackageRequest\":\"%s\","
	                                          "\"profileDownloadTriggerRequest\":\"%s\"}", v4_b64,
	                                          trigger_b64);
	g_autofree gchar *conflicting = g_strdup_printf ("{\"eimPackageError\":2,"
	                                                 "\"euiccPackageRequest\":\"%s\"}", v4_b64);
	g_autofree gchar *wrong_tag = g_strdup_printf ("{\"ipaEuiccDataRequest\":\"%s\"}", v4_b64);
	const gchar *none = "{" SUCCESS_HEADER ",\"eimPackageError\":1}";
	const gchar *failed = "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Failed\","
	                      "\"statusCodeData\":{\"subjectCode\":\"8.1\",\"reasonCode\":\"3.8\"}}}}";
	const gchar *bad[] = { "", "[]", "{}", "{\"eimPackageError\":\"1\"}",
	                       "{\"eimPackageError\":1.5}", "{\"eimPackageError\":-1}",
	                       "{\"euiccPackageRequest\":\"vlE=!\"}", both, conflicting, wrong_tag,
	                       "{\"header\":{}}" };
	g_autoptr(EsimEimPackage) package = NULL;
	g_autoptr(GError) error = NULL;

	package = esim_esipa_json_parse_get_eim_package_response (openiotrsp, strlen (openiotrsp),
	                                                          &error);
	g_assert_no_error (error);
	g_assert_cmpint (package->kind, ==, ESIM_EIM_PACKAGE_EUICC_PACKAGE_REQUEST);
	assert_bytes_hex (package->euicc_package_request->raw, V4_EUICC_PACKAGE_REQUEST);
	g_assert_cmpstr (package->euicc_package_request->eim_id, ==, "g-eim.com.br");
	g_clear_pointer (&package, esim_eim_package_free);

	package = esim_esipa_json_parse_get_eim_package_response (iapyx, strlen (iapyx), &error);
	g_assert_no_error (error);
	g_assert_cmpstr (package->profile_download_trigger->activation_code, ==, "ACT");
	g_clear_pointer (&package, esim_eim_package_free);

	package = esim_esipa_json_parse_get_eim_package_response (none, strlen (none), &error);
	g_assert_no_error (error);
	g_assert_cmpint (package->kind, ==, ESIM_EIM_PACKAGE_ERROR);
	g_assert_cmpint (package->error_code, ==, ESIM_EIM_PACKAGE_ERROR_NO_PACKAGE);
	g_clear_pointer (&package, esim_eim_package_free);

	package = esim_esipa_json_parse_get_eim_package_response (failed, strlen (failed), &error);
	g_assert_error (error, ESIM_ESIPA_ERROR, ESIM_ESIPA_ERROR_REFUSED);
	g_assert_nonnull (strstr (error->message, "subject 8.1, reason 3.8"));
	g_clear_error (&error);

	for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_test_message ("getEimPackage answer %u: %s", i, bad[i]);
		package = esim_esipa_json_parse_get_eim_package_response (bad[i], strlen (bad[i]),
		                                                          &error);
		g_assert_error (error, ESIM_ESIPA_ERROR, ESIM_ESIPA_ERROR_MALFORMED);
		g_assert_true (g_str_has_prefix (error->message, "GetEimPackageResponse: "));
		g_assert_null (package);
		g_clear_error (&error);
	}
}

static void
test_provide_and_transfer_answers (void)
{
	g_autofree gchar *acks_b64 = b64_of_hex (V20_ACKNOWLEDGEMENTS);
	g_autofree gchar *acks = g_strdup_printf ("{" SUCCESS_HEADER ",\"eimAcknowledgements\":\"%s\"}",
	                                          acks_b64);
	g_autofree gchar *acks_and_error = g_strdup_printf ("{\"eimAcknowledgements\":\"%s\","
	                                                    "\"eimPackageError\":2}", acks_b64);
	g_autofree gchar *pushed = g_strdup_printf ("{\"eimAcknowledgements\":\"%s\"}", acks_b64);
	const gchar *openiotrsp_error = "{" SUCCESS_HEADER ",\"eimPackageError\":2}";
	const gchar *module_error = "{\"provideEimPackageResultError\":3}";
	const gchar *header_only = "{" SUCCESS_HEADER "}";
	g_autoptr(EsimProvideResultResponse) response = NULL;
	g_autoptr(EsimEimPackage) package = NULL;
	g_autoptr(GError) error = NULL;

	response = esim_esipa_json_parse_provide_eim_package_result_response (acks, strlen (acks),
	                                                                      &error);
	g_assert_no_error (error);
	g_assert_cmpint (response->kind, ==, ESIM_PROVIDE_RESULT_ACKNOWLEDGEMENTS);
	g_assert_cmpuint (response->acknowledgements->len, ==, 2);
	g_clear_pointer (&response, esim_provide_result_response_free);
	response = esim_esipa_json_parse_provide_eim_package_result_response (
		openiotrsp_error, strlen (openiotrsp_error), &error);
	g_assert_no_error (error);
	g_assert_cmpint (response->kind, ==, ESIM_PROVIDE_RESULT_ERROR);
	g_assert_cmpint (response->error_code, ==, 2);
	g_clear_pointer (&response, esim_provide_result_response_free);
	response = esim_esipa_json_parse_provide_eim_package_result_response (
		module_error, strlen (module_error), &error);
	g_assert_no_error (error);
	g_assert_cmpint (response->error_code, ==, 3);
	g_clear_pointer (&response, esim_provide_result_response_free);
	response = esim_esipa_json_parse_provide_eim_package_result_response (
		header_only, strlen (header_only), &error);
	g_assert_no_error (error);
	g_assert_cmpint (response->kind, ==, ESIM_PROVIDE_RESULT_EMPTY);
	g_clear_pointer (&response, esim_provide_result_response_free);
	/* 204 No Content */
	response = esim_esipa_json_parse_provide_eim_package_result_response ("", 0, &error);
	g_assert_no_error (error);
	g_assert_cmpint (response->kind, ==, ESIM_PROVIDE_RESULT_EMPTY);
	g_clear_pointer (&response, esim_provide_result_response_free);
	response = esim_esipa_json_parse_provide_eim_package_result_response (
		acks_and_error, strlen (acks_and_error), &error);
	g_assert_error (error, ESIM_ESIPA_ERROR, ESIM_ESIPA_ERROR_MALFORMED);
	g_clear_error (&error);

	package = esim_esipa_json_parse_transfer_eim_package_request (pushed, strlen (pushed), &error);
	g_assert_no_error (error);
	g_assert_cmpint (package->kind, ==, ESIM_EIM_PACKAGE_ACKNOWLEDGEMENTS);
	g_assert_cmpuint (g_array_index (package->acknowledgements, guint64, 1), ==, 2);
	g_clear_pointer (&package, esim_eim_package_free);
	package = esim_esipa_json_parse_transfer_eim_package_request ("{}", 2, &error);
	g_assert_error (error, ESIM_ESIPA_ERROR, ESIM_ESIPA_ERROR_MALFORMED);
}

static gchar *
b64_member (const gchar *name, const gchar *hex)
{
	g_autofree gchar *b64 = b64_of_hex (hex);

	return g_strdup_printf ("\"%s\":\"%s\"", name, b64);
}

static void
test_relay_answers (void)
{
	g_autofree gchar *signed1 = b64_member ("serverSigned1", SERVER_SIGNED1);
	g_autofree gchar *sig = b64_member ("serverSignature1", SIGNATURE);
	g_autofree gchar *pkid = b64_member ("euiccCiPKIdentifierToBeUsed", CI_PKID);
	g_autofree gchar *pkid_es9p = b64_member ("euiccCiPKIdToBeUsed", CI_PKID);
	g_autofree gchar *cert = b64_member ("serverCertificate", CERTIFICATE);
	g_autofree gchar *ctx = b64_member ("ctxParams1", CTX_PARAMS1);
	g_autofree gchar *initiate = g_strdup_printf ("{" SUCCESS_HEADER ",\"transactionId\":\"0a0b0c\","
	                                              "%s,%s,%s,%s,\"matchingId\":\"MID\",%s}",
	                                              signed1, sig, pkid, cert, ctx);
	g_autofree gchar *initiate_es9p = g_strdup_printf ("{%s,%s,%s,%s}", signed1, sig, pkid_es9p,
	                                                   cert);
	g_autofree gchar *initiate_short = g_strdup_printf ("{%s,%s,%s}", sig, pkid, cert);
	g_autofree gchar *dp = NULL;
	g_autofree gchar *ds = NULL;
	g_autofree gchar *bpp = NULL;
	const gchar *failed = "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Expired\"}}}";
	g_autoptr(EsimInitiateAuthenticationOk) init = NULL;
	g_autoptr(EsimAuthenticateClientOk) client = NULL;
	g_autoptr(EsimBoundProfilePackageOk) package = NULL;
	g_autoptr(EsimEs9pStatus) status = NULL;
	g_autoptr(GError) error = NULL;

	init = esim_esipa_json_parse_initiate_authentication_response (initiate, strlen (initiate),
	                                                               NULL, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (init->transaction_id, ==, "0A0B0C");
	assert_bytes_hex (init->server_signed1, SERVER_SIGNED1);
	assert_bytes_hex (init->euicc_ci_pkid_to_be_used, CI_PKID);
	g_assert_cmpstr (init->matching_id, ==, "MID");
	assert_bytes_hex (init->ctx_params1, CTX_PARAMS1);
	g_clear_pointer (&init, esim_initiate_authentication_ok_free);
	/* an eIM that passes ES9+'s member name through; no transactionId */
	init = esim_esipa_json_parse_initiate_authentication_response (initiate_es9p,
	                                                               strlen (initiate_es9p), NULL,
	                                                               &error);
	g_assert_no_error (error);
	g_assert_cmpstr (init->transaction_id, ==, "0A0B0C");
	g_clear_pointer (&init, esim_initiate_authentication_ok_free);
	init = esim_esipa_json_parse_initiate_authentication_response (initiate_short,
	                                                               strlen (initiate_short), NULL,
	                                                               &error);
	g_assert_error (error, ESIM_ESIPA_ERROR, ESIM_ESIPA_ERROR_MALFORMED);
	g_assert_nonnull (strstr (error->message, "serverSigned1"));
	g_clear_error (&error);
	init = esim_esipa_json_parse_initiate_authentication_response (failed, strlen (failed),
	                                                               &status, &error);
	g_assert_error (error, ESIM_ESIPA_ERROR, ESIM_ESIPA_ERROR_EXPIRED);
	g_assert_cmpstr (status->status, ==, "Expired");
	g_clear_error (&error);

	{
		g_autofree gchar *s2 = b64_member ("smdpSigned2", SMDP_SIGNED2);
		g_autofree gchar *s2sig = b64_member ("smdpSignature2", SIGNATURE);
		g_autofree gchar *c = b64_member ("smdpCertificate", CERTIFICATE);
		g_autofree gchar *meta = b64_member ("profileMetadata", PROFILE_METADATA);
		g_autofree gchar *trigger = b64_member ("profileDownloadTrigger",
		                                        V20_TRIGGER_DEFAULT_SMDP);

		dp = g_strdup_printf ("{%s,%s,%s,%s}", meta, s2, s2sig, c);
		ds = g_strdup_printf ("{\"transactionId\":\"0102\",%s}", trigger);
	}
	client = esim_esipa_json_parse_authenticate_client_response (dp, strlen (dp), NULL, &error);
	g_assert_no_error (error);
	g_assert_false (client->from_smds);
	g_assert_cmpstr (client->transaction_id, ==, "0A0B0C");
	assert_bytes_hex (client->profile_metadata, PROFILE_METADATA);
	g_clear_pointer (&client, esim_authenticate_client_ok_free);
	client = esim_esipa_json_parse_authenticate_client_response (ds, strlen (ds), NULL, &error);
	g_assert_no_error (error);
	g_assert_true (client->from_smds);
	g_assert_cmpint (client->profile_download_trigger->kind, ==,
	                 ESIM_DOWNLOAD_TRIGGER_DEFAULT_SMDP);
	g_clear_pointer (&client, esim_authenticate_client_ok_free);

	{
		g_autofree gchar *member = b64_member ("boundProfilePackage", BPP);

		bpp = g_strdup_printf ("{%s}", member);
	}
	package = esim_esipa_json_parse_get_bound_profile_package_response (bpp, strlen (bpp), NULL,
	                                                                    &error);
	g_assert_no_error (error);
	g_assert_cmpstr (package->transaction_id, ==, "0A0B0C");
	assert_bytes_hex (package->bound_profile_package, BPP);

	g_assert_true (esim_esipa_json_parse_cancel_session_response ("", 0, NULL, &error));
	g_assert_true (esim_esipa_json_parse_cancel_session_response ("{" SUCCESS_HEADER "}",
	                                                              strlen ("{" SUCCESS_HEADER "}"),
	                                                              NULL, &error));
	g_assert_no_error (error);
	g_assert_false (esim_esipa_json_parse_cancel_session_response ("{\"header\":1}", 12, NULL,
	                                                               &error));
	g_assert_error (error, ESIM_ESIPA_ERROR, ESIM_ESIPA_ERROR_MALFORMED);
}

/* The eIM's signatures, euiccCiPKIdentifierToBeUsed and hashCc as base64 of
 * the value alone, as osmo-ttcn3-hacks' esipa_Types_JSON.ttcn has them and
 * the Iapyx client reads them: the card gets them as the TLVs. */
static void
test_octet_string_values (void)
{
	g_autofree gchar *sig_value = g_strnfill (2 * ESIM_SIGNATURE_LENGTH, 'A');
	g_autofree gchar *pkid_value = g_strnfill (2 * ESIM_SUBJECT_KEY_ID_LENGTH, 'B');
	g_autofree gchar *hash_value = g_strnfill (2 * ESIM_HASH_CC_LENGTH, 'C');
	g_autofree gchar *signed1 = b64_member ("serverSigned1", SERVER_SIGNED1);
	g_autofree gchar *sig = b64_member ("serverSignature1", sig_value);
	g_autofree gchar *pkid = b64_member ("euiccCiPKIdentifierToBeUsed", pkid_value);
	g_autofree gchar *cert = b64_member ("serverCertificate", CERTIFICATE);
	g_autofree gchar *s2 = b64_member ("smdpSigned2", SMDP_SIGNED2);
	g_autofree gchar *sig2 = b64_member ("smdpSignature2", sig_value);
	g_autofree gchar *cert2 = b64_member ("smdpCertificate", CERTIFICATE);
	g_autofree gchar *hash = b64_member ("hashCc", hash_value);
	g_autofree gchar *short_sig = b64_member ("serverSignature1", "ABCD");
	g_autofree gchar *initiate = g_strdup_printf ("{%s,%s,%s,%s}", signed1, sig, pkid, cert);
	g_autofree gchar *authenticate = g_strdup_printf ("{%s,%s,%s,%s}", s2, sig2, cert2, hash);
	g_autofree gchar *bad = g_strdup_printf ("{%s,%s,%s,%s}", signed1, short_sig, pkid, cert);
	g_autofree gchar *want_sig = g_strconcat ("5F3740", sig_value, NULL);
	g_autofree gchar *want_pkid = g_strconcat ("0414", pkid_value, NULL);
	g_autofree gchar *want_hash = g_strconcat ("0420", hash_value, NULL);
	g_autoptr(EsimInitiateAuthenticationOk) init = NULL;
	g_autoptr(EsimAuthenticateClientOk) client = NULL;
	g_autoptr(GError) error = NULL;

	init = esim_esipa_json_parse_initiate_authentication_response (initiate, strlen (initiate),
	                                                               NULL, &error);
	g_assert_no_error (error);
	assert_bytes_hex (init->server_signature1, want_sig);
	assert_bytes_hex (init->euicc_ci_pkid_to_be_used, want_pkid);
	client = esim_esipa_json_parse_authenticate_client_response (authenticate,
	                                                             strlen (authenticate), NULL,
	                                                             &error);
	g_assert_no_error (error);
	assert_bytes_hex (client->smdp_signature2, want_sig);
	assert_bytes_hex (client->hash_cc, want_hash);
	/* neither the value's length nor a TLV */
	g_clear_pointer (&init, esim_initiate_authentication_ok_free);
	init = esim_esipa_json_parse_initiate_authentication_response (bad, strlen (bad), NULL,
	                                                               &error);
	g_assert_null (init);
	g_assert_error (error, ESIM_ESIPA_ERROR, ESIM_ESIPA_ERROR_MALFORMED);
	g_assert_nonnull (strstr (error->message, "serverSignature1"));
}

/* HandleNotification has no answer: empty (openiotrsp 204), a header alone
 * (osmo-ttcn3-hacks JSON_ESipa_EmptyResponse); a "Failed" header refuses. */
static void
test_handle_notification_answers (void)
{
	const gchar *ok = "{" SUCCESS_HEADER "}";
	const gchar *failed = "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Failed\","
	                      "\"statusCodeData\":{\"subjectCode\":\"8.1\",\"reasonCode\":\"6.1\"}}}}";
	g_autoptr(EsimEs9pStatus) status = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_true (esim_esipa_json_parse_handle_notification_response ("", 0, NULL, &error));
	g_assert_true (esim_esipa_json_parse_handle_notification_response (ok, strlen (ok), NULL,
	                                                                   &error));
	g_assert_no_error (error);
	g_assert_false (esim_esipa_json_parse_handle_notification_response (failed, strlen (failed),
	                                                                    &status, &error));
	g_assert_error (error, ESIM_ESIPA_ERROR, ESIM_ESIPA_ERROR_REFUSED);
	g_assert_true (g_str_has_prefix (error->message, "HandleNotification: "));
	g_assert_cmpstr (status->reason_code, ==, "6.1");
	g_clear_error (&error);
	g_assert_false (esim_esipa_json_parse_handle_notification_response ("not json", 8, NULL,
	                                                                    &error));
	g_assert_error (error, ESIM_ESIPA_ERROR, ESIM_ESIPA_ERROR_MALFORMED);
}

static void
test_hostile_json (void)
{
	g_autoptr(GString) deep = g_string_new (NULL);
	const gchar not_utf8[] = "{\"eimPackageError\":1,\"x\":\"\xff\"}";
	const gchar with_nul[] = "{\"eimPackageError\":1}\0";
	g_autoptr(EsimEimPackage) package = NULL;
	g_autoptr(GError) error = NULL;

	for (guint i = 0; i < 5000; i++)
		g_string_append (deep, "{\"a\":");
	package = esim_esipa_json_parse_get_eim_package_response (deep->str, deep->len, &error);
	g_assert_error (error, ESIM_ESIPA_ERROR, ESIM_ESIPA_ERROR_MALFORMED);
	g_assert_nonnull (strstr (error->message, "nests deeper"));
	g_clear_error (&error);
	package = esim_esipa_json_parse_get_eim_package_response (not_utf8, strlen (not_utf8),
	                                                          &error);
	g_assert_error (error, ESIM_ESIPA_ERROR, ESIM_ESIPA_ERROR_MALFORMED);
	g_clear_error (&error);
	package = esim_esipa_json_parse_get_eim_package_response (with_nul, sizeof (with_nul),
	                                                          &error);
	g_assert_error (error, ESIM_ESIPA_ERROR, ESIM_ESIPA_ERROR_MALFORMED);
	g_assert_null (package);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);

	g_test_add_func ("/esipa-json/v8-handle-notification", test_v8_handle_notification);
	g_test_add_func ("/esipa-json/requests", test_requests);
	g_test_add_func ("/esipa-json/transfer-response", test_transfer_response);
	g_test_add_func ("/esipa-json/get-eim-package-answers", test_get_eim_package_answers);
	g_test_add_func ("/esipa-json/provide-and-transfer-answers", test_provide_and_transfer_answers);
	g_test_add_func ("/esipa-json/relay-answers", test_relay_answers);
	g_test_add_func ("/esipa-json/octet-string-values", test_octet_string_values);
	g_test_add_func ("/esipa-json/handle-notification-answers", test_handle_notification_answers);
	g_test_add_func ("/esipa-json/hostile", test_hostile_json);
	return g_test_run ();
}
