/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ES9+ JSON binding.  The answers below are written by hand in the shape
 * SGP.22 §6.5.2 gives and osmocom pySim's osmo-smdpp sends (whole TLVs in
 * base64, transactionId as hex, header.functionExecutionStatus), so the
 * parser is checked against the document format, not against our builder.
 */

#include <json-glib/json-glib.h>
#include <string.h>

#include "esim-es9p.h"
#include "esim-util.h"

/* base64 of small but well-formed TLVs */
#define B64_SEQ        "MAMCAQE="          /* 30 03 02 01 01 */
#define B64_SIG        "XzcCAQI="          /* 5F37 02 01 02 */
#define B64_PKID       "BAJmZg=="          /* 04 02 66 66 */
#define B64_METADATA   "vyUDWgEB"          /* BF25 03 5A 01 01 */
#define B64_BPP        "vzYDvyMA"          /* BF36 03 BF23 00 */
#define SUCCESS_HEADER "\"header\":{\"functionExecutionStatus\":{\"status\":\"Executed-Success\"}}"

static void
assert_bytes_hex (GBytes *bytes, const gchar *hex)
{
	g_autofree gchar *got = esim_hex_encode_bytes (bytes);

	g_assert_cmpstr (got, ==, hex);
}

static void
test_es9p_build (void)
{
	g_autoptr(GBytes) challenge = g_bytes_new_static ("\x01\x02\x03", 3);
	g_autoptr(GBytes) info1 = g_bytes_new_static ("\xBF\x20\x00", 3);
	g_autofree gchar *body = esim_es9p_build_initiate_authentication (challenge, info1,
	                                                                   "smdp.example.com");
	g_autoptr(JsonParser) parser = json_parser_new ();
	g_autoptr(GError) error = NULL;
	JsonObject *root;

	g_assert_true (json_parser_load_from_data (parser, body, -1, &error));
	g_assert_no_error (error);
	root = json_node_get_object (json_parser_get_root (parser));
	g_assert_cmpstr (json_object_get_string_member (root, "euiccChallenge"), ==, "AQID");
	g_assert_cmpstr (json_object_get_string_member (root, "euiccInfo1"), ==, "vyAA");
	g_assert_cmpstr (json_object_get_string_member (root, "smdpAddress"), ==, "smdp.example.com");
	g_assert_cmpuint (json_object_get_size (root), ==, 3);

	{
		g_autofree gchar *cancel = esim_es9p_build_cancel_session ("0A0B", info1);
		g_autoptr(JsonParser) p2 = json_parser_new ();

		g_assert_true (json_parser_load_from_data (p2, cancel, -1, NULL));
		root = json_node_get_object (json_parser_get_root (p2));
		g_assert_cmpstr (json_object_get_string_member (root, "transactionId"), ==, "0A0B");
		g_assert_cmpstr (json_object_get_string_member (root, "cancelSessionResponse"), ==, "vyAA");
	}
	{
		g_autofree gchar *notif = esim_es9p_build_handle_notification (info1);

		g_assert_cmpstr (notif, ==, "{\"pendingNotification\":\"vyAA\"}");
	}
}

static void
test_es9p_parse_initiate_authentication (void)
{
	const gchar *body = "{" SUCCESS_HEADER ",\"transactionId\":\"0a0b0c\","
	                    "\"serverSigned1\":\"" B64_SEQ "\",\"serverSignature1\":\"" B64_SIG "\","
	                    "\"euiccCiPKIdToBeUsed\":\"" B64_PKID "\","
	                    "\"serverCertificate\":\"" B64_SEQ "\",\"vendorExtra\":42}";
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimInitiateAuthenticationOk) ok =
		esim_es9p_parse_initiate_authentication (body, strlen (body), NULL, &error);

	g_assert_no_error (error);
	g_assert_nonnull (ok);
	g_assert_cmpstr (ok->transaction_id, ==, "0A0B0C");
	assert_bytes_hex (ok->server_signed1, "3003020101");
	assert_bytes_hex (ok->server_signature1, "5F37020102");
	assert_bytes_hex (ok->euicc_ci_pkid_to_be_used, "04026666");
	assert_bytes_hex (ok->server_certificate, "3003020101");
}

static void
test_es9p_parse_others (void)
{
	const gchar *client = "{\"header\":{\"functionExecutionStatus\":{\"status\":"
	                      "\"Executed-WithWarning\",\"statusCodeData\":{\"subjectCode\":\"8.1\","
	                      "\"reasonCode\":\"1.2\"}}},\"transactionId\":\"01\","
	                      "\"profileMetadata\":\"" B64_METADATA "\",\"smdpSigned2\":\"" B64_SEQ "\","
	                      "\"smdpSignature2\":\"" B64_SIG "\",\"smdpCertificate\":\"" B64_SEQ "\"}";
	const gchar *bpp = "{" SUCCESS_HEADER ",\"transactionId\":\"0102030405060708090A0B0C0D0E0F10\","
	                   "\"boundProfilePackage\":\"" B64_BPP "\"}";
	const gchar *cancel = "{" SUCCESS_HEADER "}";
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimAuthenticateClientOk) ok = NULL;
	g_autoptr(EsimBoundProfilePackageOk) package = NULL;

	ok = esim_es9p_parse_authenticate_client (client, strlen (client), NULL, &error);
	g_assert_no_error (error);
	assert_bytes_hex (ok->profile_metadata, "BF25035A0101");
	assert_bytes_hex (ok->smdp_signed2, "3003020101");
	assert_bytes_hex (ok->smdp_signature2, "5F37020102");
	assert_bytes_hex (ok->smdp_certificate, "3003020101");
	g_assert_null (ok->hash_cc);

	package = esim_es9p_parse_get_bound_profile_package (bpp, strlen (bpp), NULL, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (package->transaction_id, ==, "0102030405060708090A0B0C0D0E0F10");
	assert_bytes_hex (package->bound_profile_package, "BF3603BF2300");

	g_assert_true (esim_es9p_parse_cancel_session (cancel, strlen (cancel), NULL, &error));
	g_assert_no_error (error);
}

/* A function that failed: the error and the status keep the server's codes. */
static void
test_es9p_failed (void)
{
	const gchar *failed = "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Failed\","
	                      "\"statusCodeData\":{\"subjectCode\":\"8.2.7\",\"reasonCode\":\"3.8\","
	                      "\"subjectIdentifier\":\"id\",\"message\":\"Confirmation Code refused\"}}}}";
	const gchar *expired = "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Expired\"}}}";
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimEs9pStatus) status = NULL;
	g_autoptr(EsimEs9pStatus) status2 = NULL;
	g_autoptr(EsimBoundProfilePackageOk) package = NULL;

	package = esim_es9p_parse_get_bound_profile_package (failed, strlen (failed), &status, &error);
	g_assert_null (package);
	g_assert_error (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_FAILED);
	g_assert_cmpstr (error->message, ==, "Confirmation Code refused (subject 8.2.7, reason 3.8)");
	g_assert_cmpstr (status->status, ==, "Failed");
	g_assert_cmpstr (status->subject_code, ==, "8.2.7");
	g_assert_cmpstr (status->reason_code, ==, "3.8");
	g_assert_cmpstr (status->subject_identifier, ==, "id");
	g_clear_error (&error);

	g_assert_false (esim_es9p_parse_cancel_session (expired, strlen (expired), &status2, &error));
	g_assert_error (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_EXPIRED);
	g_assert_cmpstr (error->message, ==, "(subject ?, reason ?)");
	g_assert_cmpstr (status2->status, ==, "Expired");
	g_assert_null (status2->subject_code);
}

static void
test_es9p_malformed (void)
{
	const gchar *bodies[] = {
		"",
		"not json",
		"[]",
		"\"string\"",
		"{}",
		"{\"header\":1}",
		"{\"header\":{}}",
		"{\"header\":{\"functionExecutionStatus\":{\"status\":\"Weird\"}}}",
		"{\"header\":{\"functionExecutionStatus\":{\"status\":7}}}",
		"{" SUCCESS_HEADER "}",
		"{" SUCCESS_HEADER ",\"transactionId\":5,\"boundProfilePackage\":\"" B64_BPP "\"}",
		"{" SUCCESS_HEADER ",\"transactionId\":\"\",\"boundProfilePackage\":\"" B64_BPP "\"}",
		"{" SUCCESS_HEADER ",\"transactionId\":\"ABC\",\"boundProfilePackage\":\"" B64_BPP "\"}",
		"{" SUCCESS_HEADER ",\"transactionId\":\"0G\",\"boundProfilePackage\":\"" B64_BPP "\"}",
		"{" SUCCESS_HEADER ",\"transactionId\":\"0102030405060708090A0B0C0D0E0F1011\","
		"\"boundProfilePackage\":\"" B64_BPP "\"}",
		"{" SUCCESS_HEADER ",\"transactionId\":\"01\"}",
		"{" SUCCESS_HEADER ",\"transactionId\":\"01\",\"boundProfilePackage\":null}",
		"{" SUCCESS_HEADER ",\"transactionId\":\"01\",\"boundProfilePackage\":\"v*YDvyMA\"}",
		"{" SUCCESS_HEADER ",\"transactionId\":\"01\",\"boundProfilePackage\":\"vzYDvyMA=\"}",
		"{" SUCCESS_HEADER ",\"transactionId\":\"01\",\"boundProfilePackage\":\"" B64_SEQ "\"}",
		/* BF36 03 BF23 00 followed by a stray byte */
		"{" SUCCESS_HEADER ",\"transactionId\":\"01\",\"boundProfilePackage\":\"vzYDvyMAAA==\"}",
		/* BF36 with a length past the end */
		"{" SUCCESS_HEADER ",\"transactionId\":\"01\",\"boundProfilePackage\":\"vzYJvyMA\"}",
	};

	for (gsize i = 0; i < G_N_ELEMENTS (bodies); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(EsimEs9pStatus) status = NULL;
		g_autoptr(EsimBoundProfilePackageOk) package = NULL;

		g_test_message ("body %" G_GSIZE_FORMAT ": %s", i, bodies[i]);
		package = esim_es9p_parse_get_bound_profile_package (bodies[i], strlen (bodies[i]),
		                                                     &status, &error);
		g_assert_null (package);
		g_assert_error (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_MALFORMED);
		g_assert_null (status);
	}
}

static void
test_es9p_hostile (void)
{
	g_autoptr(GString) deep = g_string_new (NULL);
	g_autoptr(GError) error = NULL;
	const gchar with_nul[] = "{\"header\":\0}";
	const gchar bad_utf8[] = "{\"a\":\"\xff\"}";

	for (guint i = 0; i < 100000; i++)
		g_string_append_c (deep, '[');
	g_assert_false (esim_es9p_parse_cancel_session (deep->str, deep->len, NULL, &error));
	g_assert_error (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_MALFORMED);
	g_clear_error (&error);
	g_assert_false (esim_es9p_parse_cancel_session (with_nul, sizeof (with_nul) - 1, NULL, &error));
	g_assert_error (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_MALFORMED);
	g_clear_error (&error);
	g_assert_false (esim_es9p_parse_cancel_session (bad_utf8, sizeof (bad_utf8) - 1, NULL, &error));
	g_assert_error (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_MALFORMED);
}

static void
test_base64_strict (void)
{
	struct {
		const gchar *text;
		const gchar *hex;   /* NULL: refused */
	} cases[] = {
		{ "AQID", "010203" },
		{ " AQ\nID\r\n", "010203" },
		{ "AQ==", "01" },
		{ "AQI=", "0102" },
		{ "AQ", NULL },
		{ "", NULL },
		{ "A===", NULL },
		{ "AQ==AQ==", NULL },
		{ "AQ-_", NULL },
		{ "AQ*D", NULL },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GBytes) bytes = esim_base64_decode_strict (cases[i].text, &error);

		if (cases[i].hex == NULL) {
			g_assert_null (bytes);
			g_assert_error (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_MALFORMED);
		} else {
			g_assert_no_error (error);
			assert_bytes_hex (bytes, cases[i].hex);
		}
	}
	g_assert_true (esim_transaction_id_is_valid ("00"));
	g_assert_false (esim_transaction_id_is_valid ("0"));
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/esim/es9p/build", test_es9p_build);
	g_test_add_func ("/esim/es9p/parse/initiate-authentication", test_es9p_parse_initiate_authentication);
	g_test_add_func ("/esim/es9p/parse/others", test_es9p_parse_others);
	g_test_add_func ("/esim/es9p/failed", test_es9p_failed);
	g_test_add_func ("/esim/es9p/malformed", test_es9p_malformed);
	g_test_add_func ("/esim/es9p/hostile", test_es9p_hostile);
	g_test_add_func ("/esim/es9p/base64-strict", test_base64_strict);
	return g_test_run ();
}
