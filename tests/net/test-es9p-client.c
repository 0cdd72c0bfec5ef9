/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * EsimEs9pClient against a canned SM-DP+ in this process.  The server builds
 * its JSON itself with json-glib, in the shape SGP.22 §6.5 gives and osmocom
 * pySim's osmo-smdpp sends (header.functionExecutionStatus, whole TLVs in
 * base64, transactionId in hex; handleNotification answers 204 with no
 * body), never with esim_es9p_build_*: client and server must not share a
 * wrong encoding.
 */

#include <json-glib/json-glib.h>
#include <string.h>

#include "esim-ci-store.h"
#include "esim-es9p-client.h"
#include "esim-rsp-server.h"
#include "esim-tls-database.h"
#include "net-test-util.h"

#define WAIT_SECONDS   20
#define TRANSACTION_ID "0A1B2C3D"

typedef enum {
	MODE_OK,
	MODE_FAILED,            /* functionExecutionStatus Failed, with codes */
	MODE_MALFORMED,         /* not JSON */
	MODE_EMPTY,             /* 200, no body */
	MODE_HTTP_500,
	MODE_TOO_LARGE,         /* a JSON answer above 64 KiB */
	/* handleNotification answers */
	MODE_NOTIFY_200_EMPTY,
	MODE_NOTIFY_HEADER_OK,
	MODE_NOTIFY_TEXT,
} Mode;

typedef struct {
	NetTestCert *ci;
	NetTestCert *leaf;
	NetTestServer *server;
	GTlsDatabase *database;
	gchar *address;
	EsimEs9pClient *client;
	Mode mode;
	gsize bpp_size;        /* content bytes of the BPP the server sends */
} Fixture;

/* Small, well-formed TLVs: the client checks tags and single-TLV framing. */
static const guint8 SERVER_SIGNED1[] = { 0x30, 0x03, 0x80, 0x01, 0x00 };
static const guint8 SIGNATURE[]      = { 0x5F, 0x37, 0x02, 0xAB, 0xCD };
static const guint8 CI_PKID[]        = { 0x04, 0x02, 0x81, 0x37 };
static const guint8 CERTIFICATE[]    = { 0x30, 0x03, 0x02, 0x01, 0x01 };
static const guint8 METADATA[]       = { 0xBF, 0x25, 0x03, 0x5A, 0x01, 0x01 };

/* ---- the canned SM-DP+ ---- */

static gchar *
b64 (const guint8 *data, gsize len)
{
	return g_base64_encode (data, len);
}

/* DER length octets (minimal form). */
static void
append_length (GByteArray *der, gsize len)
{
	guint8 octets[4];
	guint n = 0;

	if (len < 0x80) {
		octets[0] = (guint8) len;
		g_byte_array_append (der, octets, 1);
		return;
	}
	for (gsize rest = len; rest > 0; rest >>= 8)
		n++;
	octets[0] = (guint8) (0x80 | n);
	g_byte_array_append (der, octets, 1);
	for (guint i = n; i > 0; i--) {
		octets[0] = (guint8) (len >> (8 * (i - 1)));
		g_byte_array_append (der, octets, 1);
	}
}

/* BF36 { 04 <size zero bytes> } */
static gchar *
bpp_b64 (gsize size)
{
	static const guint8 bpp_tag[] = { 0xBF, 0x36 };
	static const guint8 octet_string_tag[] = { 0x04 };
	g_autoptr(GByteArray) inner = g_byte_array_new ();
	g_autoptr(GByteArray) der = g_byte_array_new ();
	g_autofree guint8 *filler = g_malloc0 (size);

	g_byte_array_append (inner, octet_string_tag, 1);
	append_length (inner, size);
	g_byte_array_append (inner, filler, (guint) size);
	g_byte_array_append (der, bpp_tag, 2);
	append_length (der, inner->len);
	g_byte_array_append (der, inner->data, inner->len);
	return b64 (der->data, der->len);
}

static void
add_header (JsonBuilder *builder, Mode mode)
{
	json_builder_set_member_name (builder, "header");
	json_builder_begin_object (builder);
	json_builder_set_member_name (builder, "functionExecutionStatus");
	json_builder_begin_object (builder);
	json_builder_set_member_name (builder, "status");
	if (mode == MODE_FAILED) {
		json_builder_add_string_value (builder, "Failed");
		json_builder_set_member_name (builder, "statusCodeData");
		json_builder_begin_object (builder);
		json_builder_set_member_name (builder, "subjectCode");
		json_builder_add_string_value (builder, "8.2.6");
		json_builder_set_member_name (builder, "reasonCode");
		json_builder_add_string_value (builder, "3.8");
		json_builder_set_member_name (builder, "message");
		json_builder_add_string_value (builder, "Matching ID refused");
		json_builder_end_object (builder);
	} else {
		json_builder_add_string_value (builder, "Executed-Success");
	}
	json_builder_end_object (builder);
	json_builder_end_object (builder);
}

static void
add_b64 (JsonBuilder *builder, const gchar *name, gchar *value /* taken */)
{
	json_builder_set_member_name (builder, name);
	json_builder_add_string_value (builder, value);
	g_free (value);
}

static gchar *
build_answer (Fixture *fixture, const gchar *path)
{
	g_autoptr(JsonBuilder) builder = json_builder_new ();
	g_autoptr(JsonGenerator) generator = json_generator_new ();
	g_autoptr(JsonNode) root = NULL;
	Mode mode = fixture->mode;

	json_builder_begin_object (builder);
	add_header (builder, mode);
	if (mode == MODE_OK && !g_str_has_suffix (path, "/cancelSession")) {
		json_builder_set_member_name (builder, "transactionId");
		json_builder_add_string_value (builder, TRANSACTION_ID);
	}
	if (mode == MODE_OK && g_str_has_suffix (path, "/initiateAuthentication")) {
		add_b64 (builder, "serverSigned1", b64 (SERVER_SIGNED1, sizeof (SERVER_SIGNED1)));
		add_b64 (builder, "serverSignature1", b64 (SIGNATURE, sizeof (SIGNATURE)));
		add_b64 (builder, "euiccCiPKIdToBeUsed", b64 (CI_PKID, sizeof (CI_PKID)));
		add_b64 (builder, "serverCertificate", b64 (CERTIFICATE, sizeof (CERTIFICATE)));
	} else if (mode == MODE_OK && g_str_has_suffix (path, "/authenticateClient")) {
		add_b64 (builder, "profileMetadata", b64 (METADATA, sizeof (METADATA)));
		add_b64 (builder, "smdpSigned2", b64 (SERVER_SIGNED1, sizeof (SERVER_SIGNED1)));
		add_b64 (builder, "smdpSignature2", b64 (SIGNATURE, sizeof (SIGNATURE)));
		add_b64 (builder, "smdpCertificate", b64 (CERTIFICATE, sizeof (CERTIFICATE)));
	} else if (mode == MODE_OK && g_str_has_suffix (path, "/getBoundProfilePackage")) {
		add_b64 (builder, "boundProfilePackage", bpp_b64 (fixture->bpp_size));
	}
	json_builder_end_object (builder);
	root = json_builder_get_root (builder);
	json_generator_set_root (generator, root);
	return json_generator_to_data (generator, NULL);
}

static void
smdp_handler (NetTestServer *server, SoupServerMessage *msg, const gchar *path, gpointer user_data)
{
	Fixture *fixture = user_data;
	g_autofree gchar *answer = NULL;

	if (!g_str_has_prefix (path, "/gsma/rsp2/es9plus/")) {
		net_test_respond (msg, SOUP_STATUS_NOT_FOUND, "text/plain", "unknown function");
		return;
	}
	switch (fixture->mode) {
	case MODE_MALFORMED:
		net_test_respond (msg, SOUP_STATUS_OK, "application/json", "{\"header\": {\"functio");
		return;
	case MODE_EMPTY:
	case MODE_NOTIFY_200_EMPTY:
		net_test_respond (msg, SOUP_STATUS_OK, "application/json", "");
		return;
	case MODE_HTTP_500:
		net_test_respond (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "text/plain", "down");
		return;
	case MODE_TOO_LARGE: {
		g_autofree gchar *padding = g_strnfill (70 * 1024, ' ');

		net_test_respond (msg, SOUP_STATUS_OK, "application/json", padding);
		return;
	}
	case MODE_NOTIFY_TEXT:
		net_test_respond (msg, SOUP_STATUS_OK, "text/plain", "OK");
		return;
	case MODE_NOTIFY_HEADER_OK:
	case MODE_OK:
	case MODE_FAILED:
		break;
	}
	/* SGP.22 §6.3: notifications are answered 204 without content */
	if (g_str_has_suffix (path, "/handleNotification") && fixture->mode == MODE_OK) {
		soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
		return;
	}
	answer = build_answer (fixture, path);
	net_test_respond (msg, SOUP_STATUS_OK, "application/json", answer);
}

/* ---- fixture ---- */

static void
fixture_setup (Fixture *fixture, gconstpointer data)
{
	g_autoptr(EsimCiStore) store = esim_ci_store_new ();
	g_autoptr(GPtrArray) listed = g_ptr_array_new_with_free_func (g_free);
	g_autoptr(GBytes) pem = NULL;
	g_autoptr(GError) error = NULL;

	fixture->ci = net_test_ca_new ("Test CI");
	fixture->leaf = net_test_server_cert_new (fixture->ci, "smdp.test", -60, 3600);
	pem = g_bytes_new (net_test_cert_get_pem (fixture->ci),
	                   strlen (net_test_cert_get_pem (fixture->ci)));
	g_assert_true (esim_ci_store_add_certificate (store, pem, "test CI", &error));
	g_ptr_array_add (listed, g_strdup (net_test_cert_get_key_id (fixture->ci)));
	fixture->database = esim_tls_database_new (store, listed, NULL);
	fixture->server = net_test_server_new (fixture->leaf, NULL);
	net_test_server_set_handler (fixture->server, smdp_handler, fixture);
	fixture->address = net_test_server_address (fixture->server, "smdp.test");
	fixture->client = esim_es9p_client_new (fixture->address, fixture->database, &error);
	g_assert_no_error (error);
	fixture->bpp_size = 16;
}

static void
fixture_teardown (Fixture *fixture, gconstpointer data)
{
	g_clear_object (&fixture->client);
	net_test_server_free (fixture->server);
	g_object_unref (fixture->database);
	g_free (fixture->address);
	net_test_cert_free (fixture->leaf);
	net_test_cert_free (fixture->ci);
}

/* ---- calls ---- */

static GBytes *
bytes_of (const guint8 *data, gsize len)
{
	return g_bytes_new (data, len);
}

static EsimInitiateAuthenticationOk *
initiate (Fixture *fixture, const gchar *address, GError **error)
{
	static const guint8 challenge[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	static const guint8 info1[] = { 0xBF, 0x20, 0x00 };
	g_autoptr(GBytes) challenge_bytes = bytes_of (challenge, sizeof (challenge));
	g_autoptr(GBytes) info1_bytes = bytes_of (info1, sizeof (info1));
	g_autoptr(GAsyncResult) result = NULL;
	EsimRspServer *server = ESIM_RSP_SERVER (fixture->client);

	esim_rsp_server_initiate_authentication_async (server, challenge_bytes, info1_bytes, address,
	                                               NULL, net_test_store_result, &result);
	net_test_wait_result (&result, WAIT_SECONDS, "initiateAuthentication");
	return esim_rsp_server_initiate_authentication_finish (server, result, error);
}

static EsimAuthenticateClientOk *
authenticate (Fixture *fixture, GError **error)
{
	static const guint8 response[] = { 0xBF, 0x38, 0x02, 0xA0, 0x00 };
	g_autoptr(GBytes) bytes = bytes_of (response, sizeof (response));
	g_autoptr(GAsyncResult) result = NULL;
	EsimRspServer *server = ESIM_RSP_SERVER (fixture->client);

	esim_rsp_server_authenticate_client_async (server, TRANSACTION_ID, bytes, NULL,
	                                           net_test_store_result, &result);
	net_test_wait_result (&result, WAIT_SECONDS, "authenticateClient");
	return esim_rsp_server_authenticate_client_finish (server, result, error);
}

static EsimBoundProfilePackageOk *
get_bpp (Fixture *fixture, GError **error)
{
	static const guint8 response[] = { 0xBF, 0x21, 0x02, 0xA0, 0x00 };
	g_autoptr(GBytes) bytes = bytes_of (response, sizeof (response));
	g_autoptr(GAsyncResult) result = NULL;
	EsimRspServer *server = ESIM_RSP_SERVER (fixture->client);

	esim_rsp_server_get_bound_profile_package_async (server, TRANSACTION_ID, bytes, NULL,
	                                                 net_test_store_result, &result);
	net_test_wait_result (&result, WAIT_SECONDS, "getBoundProfilePackage");
	return esim_rsp_server_get_bound_profile_package_finish (server, result, error);
}

static gboolean
cancel_session (Fixture *fixture, GError **error)
{
	static const guint8 response[] = { 0xBF, 0x41, 0x02, 0xA0, 0x00 };
	g_autoptr(GBytes) bytes = bytes_of (response, sizeof (response));
	g_autoptr(GAsyncResult) result = NULL;
	EsimRspServer *server = ESIM_RSP_SERVER (fixture->client);

	esim_rsp_server_cancel_session_async (server, TRANSACTION_ID, bytes, NULL,
	                                      net_test_store_result, &result);
	net_test_wait_result (&result, WAIT_SECONDS, "cancelSession");
	return esim_rsp_server_cancel_session_finish (server, result, error);
}

static gboolean
notify (Fixture *fixture, GError **error)
{
	static const guint8 notification[] = { 0xBF, 0x37, 0x02, 0xBF, 0x27 };
	g_autoptr(GBytes) bytes = bytes_of (notification, sizeof (notification));
	g_autoptr(GAsyncResult) result = NULL;

	esim_es9p_client_handle_notification_async (fixture->client, bytes, NULL,
	                                            net_test_store_result, &result);
	net_test_wait_result (&result, WAIT_SECONDS, "handleNotification");
	return esim_es9p_client_handle_notification_finish (fixture->client, result, error);
}

/* The last request body, as JSON: member @name. */
static gchar *
request_member (Fixture *fixture, const gchar *name)
{
	GBytes *body = net_test_server_get_last_body (fixture->server);
	g_autoptr(JsonParser) parser = json_parser_new ();
	g_autoptr(GError) error = NULL;
	JsonObject *root;

	g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
	                                           (gssize) g_bytes_get_size (body), &error));
	g_assert_no_error (error);
	root = json_node_get_object (json_parser_get_root (parser));
	if (!json_object_has_member (root, name))
		return NULL;
	return g_strdup (json_object_get_string_member (root, name));
}

static void
assert_request (Fixture *fixture, const gchar *function)
{
	g_autofree gchar *path = g_strdup_printf ("/gsma/rsp2/es9plus/%s", function);

	g_assert_cmpstr (net_test_server_get_last_path (fixture->server), ==, path);
	g_assert_cmpstr (net_test_server_get_last_header (fixture->server, "Content-Type"), ==,
	                 "application/json");
	g_assert_cmpstr (net_test_server_get_last_header (fixture->server, "X-Admin-Protocol"), ==,
	                 "gsma/rsp/v2.5.0");
	g_assert_cmpstr (net_test_server_get_last_header (fixture->server, "User-Agent"), ==,
	                 "gsma-rsp-lpad");
}

static void
assert_member (Fixture *fixture, const gchar *name, const gchar *expected)
{
	g_autofree gchar *value = request_member (fixture, name);

	g_assert_cmpstr (value, ==, expected);
}

static void
assert_tlv (GBytes *bytes, const guint8 *expected, gsize len)
{
	g_assert_nonnull (bytes);
	g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), expected, len);
}

/* ---- tests ---- */

/* A whole download's ES9+ exchange, then a notification: one connection. */
static void
test_download_exchange (Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimInitiateAuthenticationOk) init = NULL;
	g_autoptr(EsimAuthenticateClientOk) auth = NULL;
	g_autoptr(EsimBoundProfilePackageOk) bpp = NULL;
	EsimHttpCounters counters;
	g_autofree gchar *description = g_strdup_printf ("SM-DP+ %s", fixture->address);

	g_assert_cmpstr (esim_rsp_server_get_description (ESIM_RSP_SERVER (fixture->client)), ==,
	                 description);
	g_assert_cmpstr (esim_es9p_client_get_address (fixture->client), ==, fixture->address);

	init = initiate (fixture, fixture->address, &error);
	g_assert_no_error (error);
	assert_request (fixture, "initiateAuthentication");
	assert_member (fixture, "euiccChallenge", "AQIDBAUGBwgJCgsMDQ4PEA==");
	assert_member (fixture, "euiccInfo1", "vyAA");
	assert_member (fixture, "smdpAddress", fixture->address);
	g_assert_cmpstr (init->transaction_id, ==, TRANSACTION_ID);
	assert_tlv (init->server_signed1, SERVER_SIGNED1, sizeof (SERVER_SIGNED1));
	assert_tlv (init->server_signature1, SIGNATURE, sizeof (SIGNATURE));
	assert_tlv (init->euicc_ci_pkid_to_be_used, CI_PKID, sizeof (CI_PKID));
	assert_tlv (init->server_certificate, CERTIFICATE, sizeof (CERTIFICATE));

	auth = authenticate (fixture, &error);
	g_assert_no_error (error);
	assert_request (fixture, "authenticateClient");
	assert_member (fixture, "transactionId", TRANSACTION_ID);
	assert_member (fixture, "authenticateServerResponse", "vzgCoAA=");
	assert_tlv (auth->profile_metadata, METADATA, sizeof (METADATA));
	assert_tlv (auth->smdp_signed2, SERVER_SIGNED1, sizeof (SERVER_SIGNED1));
	assert_tlv (auth->smdp_certificate, CERTIFICATE, sizeof (CERTIFICATE));

	/* a bound profile package above the JSON limit: it has its own */
	fixture->bpp_size = 100 * 1000;
	bpp = get_bpp (fixture, &error);
	g_assert_no_error (error);
	assert_request (fixture, "getBoundProfilePackage");
	assert_member (fixture, "prepareDownloadResponse", "vyECoAA=");
	/* BF36 83 xxxxxx { 04 83 0186A0 … } */
	g_assert_cmpuint (g_bytes_get_size (bpp->bound_profile_package), ==, 2 + 4 + 1 + 4 + 100 * 1000);

	g_assert_true (cancel_session (fixture, &error));
	g_assert_no_error (error);
	assert_request (fixture, "cancelSession");
	assert_member (fixture, "cancelSessionResponse", "v0ECoAA=");

	g_assert_true (notify (fixture, &error));
	g_assert_no_error (error);
	assert_request (fixture, "handleNotification");
	assert_member (fixture, "pendingNotification", "vzcCvyc=");

	esim_http_client_get_counters (esim_es9p_client_get_http (fixture->client), &counters);
	g_assert_cmpuint (counters.requests, ==, 5);
	g_assert_cmpuint (counters.connections, ==, 1);
	g_assert_cmpuint (counters.tls_handshakes, ==, 1);
	g_assert_cmpuint (net_test_server_get_connections (fixture->server), ==, 1);
}

static void
test_refusal (Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimInitiateAuthenticationOk) init = NULL;

	fixture->mode = MODE_FAILED;
	init = initiate (fixture, fixture->address, &error);
	g_assert_null (init);
	g_assert_error (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_FAILED);
	g_assert_nonnull (strstr (error->message, "Matching ID refused"));
	g_assert_nonnull (strstr (error->message, "subject 8.2.6, reason 3.8"));
	g_clear_error (&error);

	g_assert_false (cancel_session (fixture, &error));
	g_assert_error (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_FAILED);
	g_clear_error (&error);

	/* a notification refused in a JSON header is a refusal too */
	g_assert_false (notify (fixture, &error));
	g_assert_error (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_FAILED);
}

static void
test_malformed (Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimAuthenticateClientOk) auth = NULL;

	fixture->mode = MODE_MALFORMED;
	auth = authenticate (fixture, &error);
	g_assert_null (auth);
	g_assert_error (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_MALFORMED);
	g_clear_error (&error);

	fixture->mode = MODE_EMPTY;
	auth = authenticate (fixture, &error);
	g_assert_null (auth);
	g_assert_error (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_MALFORMED);
	g_assert_nonnull (strstr (error->message, "empty body"));
	g_clear_error (&error);

	/* a JSON answer above 64 KiB is cut off */
	fixture->mode = MODE_TOO_LARGE;
	auth = authenticate (fixture, &error);
	g_assert_null (auth);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
}

static void
test_http_500 (Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimBoundProfilePackageOk) bpp = NULL;

	fixture->mode = MODE_HTTP_500;
	bpp = get_bpp (fixture, &error);
	g_assert_null (bpp);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
	g_assert_nonnull (strstr (error->message, "HTTP 500"));
	g_clear_error (&error);
	g_assert_false (notify (fixture, &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
}

/* SGP.22 §6.3: 204 without content; servers also answer 200 with nothing
 * (onomondo-eim), a JSON header, or a word. */
static void
test_notification_answers (Fixture *fixture, gconstpointer data)
{
	static const Mode accepted[] = { MODE_OK, MODE_NOTIFY_200_EMPTY, MODE_NOTIFY_HEADER_OK,
	                                 MODE_NOTIFY_TEXT };

	for (guint i = 0; i < G_N_ELEMENTS (accepted); i++) {
		g_autoptr(GError) error = NULL;

		fixture->mode = accepted[i];
		g_assert_true (notify (fixture, &error));
		g_assert_no_error (error);
	}
	g_assert_cmpuint (net_test_server_get_requests (fixture->server), ==, G_N_ELEMENTS (accepted));
}

static void
test_address_mismatch (Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimInitiateAuthenticationOk) init = NULL;

	init = initiate (fixture, "other.test", &error);
	g_assert_null (init);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_assert_cmpuint (net_test_server_get_requests (fixture->server), ==, 0);
}

/* The TLS refusal reaches the flow as the transport error it is. */
static void
test_untrusted_server (Fixture *fixture, gconstpointer data)
{
	g_autoptr(EsimCiStore) store = esim_ci_store_new ();
	g_autoptr(GTlsDatabase) nothing = esim_tls_database_new (store, NULL, NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimInitiateAuthenticationOk) init = NULL;

	g_clear_object (&fixture->client);
	fixture->client = esim_es9p_client_new (fixture->address, nothing, &error);
	g_assert_no_error (error);
	init = initiate (fixture, fixture->address, &error);
	g_assert_null (init);
	g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
	g_assert_nonnull (strstr (error->message, "not issued by a CI this eUICC trusts"));
	g_assert_cmpuint (net_test_server_get_requests (fixture->server), ==, 0);
}

#define ADD(path, func) \
	g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int argc, char **argv)
{
	net_test_init ();
	g_test_init (&argc, &argv, NULL);

	ADD ("/net/es9p-client/download-exchange", test_download_exchange);
	ADD ("/net/es9p-client/refusal", test_refusal);
	ADD ("/net/es9p-client/malformed", test_malformed);
	ADD ("/net/es9p-client/http-500", test_http_500);
	ADD ("/net/es9p-client/notification-answers", test_notification_answers);
	ADD ("/net/es9p-client/address-mismatch", test_address_mismatch);
	ADD ("/net/es9p-client/untrusted-server", test_untrusted_server);
	return g_test_run ();
}
