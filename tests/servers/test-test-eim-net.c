/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The test eIM, suite 'servers', part two: the indirect-download relay to an
 * SM-DP+ (a canned ES9+ responder here, so that the bytes relayed can be
 * compared exactly), the push to an IPA's listener, the faults, the
 * benchmark counters, and the standalone program.
 */

#include <glib/gstdio.h>
#include <gnutls/gnutls.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <sys/wait.h>
#include <string.h>

#include "esim-ecdsa.h"
#include "esim-test-server-guard.h"
#include "esim-util.h"
#include "test-eim-util.h"

#define ICCID "8988308650122898710"

static void
assert_bytes (GBytes *bytes, const gchar *hex)
{
	g_autofree gchar *got = esim_hex_encode_bytes (bytes);

	g_assert_cmpstr (got, ==, hex);
}

static GBytes *
tlv (const gchar *hex)
{
	return test_hex (hex);
}

static gchar *
base64 (GBytes *bytes)
{
	return g_base64_encode (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static GBytes *
value_of (GBytes *whole)
{
	EsimTlv parsed;

	g_assert_true (esim_tlv_parse_exact (g_bytes_get_data (whole, NULL), g_bytes_get_size (whole), &parsed, NULL));
	return esim_tlv_dup_value (&parsed);
}

/* ------------------------------------------------------------------------ */
/* a canned ES9+ responder (SGP.22 §6.5 JSON) with the test PKI's DPtls certificate */

#define SMDP_TID "0123456789ABCDEF0123456789ABCDEF"

typedef struct {
	SoupServer *server;
	gchar      *address;         /* localhost:PORT */
	GHashTable *bodies;          /* function -> last JSON body */
	guint       notifications;
	gboolean    refuse;          /* authenticateClient: Failed 8.2.6 / 3.8 */
	GBytes     *server_signed1, *server_signature1, *ci_pkid, *server_certificate;
	GBytes     *profile_metadata, *smdp_signed2, *smdp_signature2, *smdp_certificate, *bpp;
} FakeSmdp;

static void
smdp_answer (SoupServerMessage *msg, JsonBuilder *builder)
{
	g_autoptr(JsonGenerator) generator = json_generator_new ();
	g_autoptr(JsonNode) root = json_builder_get_root (builder);
	gsize len;
	gchar *text;

	json_generator_set_root (generator, root);
	text = json_generator_to_data (generator, &len);
	soup_server_message_set_status (msg, 200, NULL);
	soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, len);
}

static void
member (JsonBuilder *builder, const gchar *name, GBytes *bytes)
{
	g_autofree gchar *text = base64 (bytes);

	json_builder_set_member_name (builder, name);
	json_builder_add_string_value (builder, text);
}

static void
header (JsonBuilder *builder, gboolean refused)
{
	json_builder_set_member_name (builder, "header");
	json_builder_begin_object (builder);
	json_builder_set_member_name (builder, "functionExecutionStatus");
	json_builder_begin_object (builder);
	json_builder_set_member_name (builder, "status");
	json_builder_add_string_value (builder, refused ? "Failed" : "Executed-Success");
	if (refused) {
		json_builder_set_member_name (builder, "statusCodeData");
		json_builder_begin_object (builder);
		json_builder_set_member_name (builder, "subjectCode");
		json_builder_add_string_value (builder, "8.2.6");
		json_builder_set_member_name (builder, "reasonCode");
		json_builder_add_string_value (builder, "3.8");
		json_builder_end_object (builder);
	}
	json_builder_end_object (builder);
	json_builder_end_object (builder);
}

static void
smdp_callback (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
	FakeSmdp *smdp = user_data;
	g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
	g_autoptr(JsonBuilder) builder = json_builder_new ();
	const gchar *function = strrchr (path, '/') + 1;

	g_hash_table_replace (smdp->bodies, g_strdup (function),
	                      g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body)));
	if (g_str_equal (function, "handleNotification")) {
		smdp->notifications++;
		soup_server_message_set_status (msg, 204, NULL);
		return;
	}
	json_builder_begin_object (builder);
	header (builder, smdp->refuse && g_str_equal (function, "authenticateClient"));
	if (!g_str_equal (function, "cancelSession") &&
	    !(smdp->refuse && g_str_equal (function, "authenticateClient"))) {
		json_builder_set_member_name (builder, "transactionId");
		json_builder_add_string_value (builder, SMDP_TID);
	}
	if (g_str_equal (function, "initiateAuthentication")) {
		member (builder, "serverSigned1", smdp->server_signed1);
		member (builder, "serverSignature1", smdp->server_signature1);
		member (builder, "euiccCiPKIdToBeUsed", smdp->ci_pkid);
		member (builder, "serverCertificate", smdp->server_certificate);
	} else if (g_str_equal (function, "authenticateClient") && !smdp->refuse) {
		member (builder, "profileMetadata", smdp->profile_metadata);
		member (builder, "smdpSigned2", smdp->smdp_signed2);
		member (builder, "smdpSignature2", smdp->smdp_signature2);
		member (builder, "smdpCertificate", smdp->smdp_certificate);
	} else if (g_str_equal (function, "getBoundProfilePackage")) {
		member (builder, "boundProfilePackage", smdp->bpp);
	}
	json_builder_end_object (builder);
	smdp_answer (msg, builder);
}

static FakeSmdp *
fake_smdp_new (const TestPki *pki)
{
	FakeSmdp *smdp = g_new0 (FakeSmdp, 1);
	g_autoptr(GError) error = NULL;
	GSList *uris;
	guint8 signature[67] = { 0x5F, 0x37, 0x40, 0xAB };

	smdp->bodies = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
	smdp->server = soup_server_new ("tls-certificate", pki->dp_tls, NULL);
	esim_test_server_guard_attach (smdp->server);
	soup_server_add_handler (smdp->server, "/gsma/rsp2/es9plus", smdp_callback, smdp, NULL);
	soup_server_listen_local (smdp->server, 0, SOUP_SERVER_LISTEN_HTTPS | SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
	g_assert_no_error (error);
	uris = soup_server_get_uris (smdp->server);
	smdp->address = g_strdup_printf ("localhost:%d", g_uri_get_port (uris->data));
	g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
	/* canned TLVs: the relay must carry them byte for byte */
	smdp->server_signed1 = tlv ("3006800101810102");
	signature[66] = 0x01;
	smdp->server_signature1 = g_bytes_new (signature, sizeof (signature));
	smdp->ci_pkid = tlv ("0414F54172BDF98A95D65CBEB88A38A1C11D800A85C3");
	smdp->server_certificate = tlv ("3003020101");
	smdp->profile_metadata = tlv ("BF2503910141");
	smdp->smdp_signed2 = tlv ("3003800102");
	signature[66] = 0x02;
	smdp->smdp_signature2 = g_bytes_new (signature, sizeof (signature));
	smdp->smdp_certificate = tlv ("3003020102");
	smdp->bpp = tlv ("BF3603800101");
	return smdp;
}

static void
fake_smdp_free (FakeSmdp *smdp)
{
	esim_test_server_guard_disconnect (smdp->server);
	g_object_unref (smdp->server);
	g_hash_table_unref (smdp->bodies);
	g_free (smdp->address);
	g_bytes_unref (smdp->server_signed1);
	g_bytes_unref (smdp->server_signature1);
	g_bytes_unref (smdp->ci_pkid);
	g_bytes_unref (smdp->server_certificate);
	g_bytes_unref (smdp->profile_metadata);
	g_bytes_unref (smdp->smdp_signed2);
	g_bytes_unref (smdp->smdp_signature2);
	g_bytes_unref (smdp->smdp_certificate);
	g_bytes_unref (smdp->bpp);
	g_free (smdp);
}

/* The member of the last ES9+ body of @function, base64-decoded or as is. */
static gchar *
smdp_member (FakeSmdp *smdp, const gchar *function, const gchar *name)
{
	const gchar *body = g_hash_table_lookup (smdp->bodies, function);
	g_autoptr(JsonParser) parser = json_parser_new ();
	JsonObject *object;

	g_assert_nonnull (body);
	g_assert_true (json_parser_load_from_data (parser, body, -1, NULL));
	object = json_node_get_object (json_parser_get_root (parser));
	return g_strdup (json_object_get_string_member (object, name));
}

static GBytes *
smdp_member_bytes (FakeSmdp *smdp, const gchar *function, const gchar *name)
{
	g_autofree gchar *text = smdp_member (smdp, function, name);
	gsize len;
	guchar *data = g_base64_decode (text, &len);

	return g_bytes_new_take (data, len);
}

/* ------------------------------------------------------------------------ */
/* relay */

static GBytes *
trigger_download (Fixture *f, FakeSmdp *smdp)
{
	g_autofree gchar *code = g_strdup_printf ("1$%s$MATCH1", smdp->address);
	g_autoptr(GBytes) trigger = NULL;
	EsimTlv top, field;
	gint64 error_code;

	esim_test_eim_queue (f->eim, f->pki->eid, esim_test_eim_package_new_download (code));
	trigger = test_get_package (f, ESIM_TEST_EIM_BINDING_ASN1, f->pki->eid, &error_code);
	g_assert_true (esim_tlv_parse_tagged (g_bytes_get_data (trigger, NULL), g_bytes_get_size (trigger), 0xBF54,
	                                      &top, NULL));
	g_assert_true (esim_tlv_find (&top, 0x82, &field, NULL));
	return esim_tlv_dup_value (&field);
}

static GBytes *
authenticate_server_response (const TestPki *pki)
{
	EsimDerWriter *writer = esim_der_writer_new ();
	guint8 signature[64] = { 0x42 };

	/* BF38 { A0 { 30 euiccSigned1, 5F37, 30 euiccCertificate, 30 eumCertificate } } */
	esim_der_writer_begin (writer, 0xBF38);
	esim_der_writer_begin (writer, 0xA0);
	esim_der_writer_put (writer, 0x30, (const guint8 *) "\x80\x01\x01", 3);
	esim_der_writer_put (writer, 0x5F37, signature, sizeof (signature));
	esim_der_writer_put_raw (writer, g_bytes_get_data (esim_cert_get_der (pki->euicc), NULL),
	                         g_bytes_get_size (esim_cert_get_der (pki->euicc)));
	esim_der_writer_put_raw (writer, g_bytes_get_data (esim_cert_get_der (pki->eum), NULL),
	                         g_bytes_get_size (esim_cert_get_der (pki->eum)));
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	return test_finish (writer);
}

static GBytes *
post_asn1 (Fixture *f, GBytes *body)
{
	g_autoptr(GError) error = NULL;
	guint status = 0;
	GBytes *answer = test_post (f, ESIM_TEST_EIM_BINDING_ASN1, NULL, body, &status, &error);

	g_assert_no_error (error);
	g_assert_cmpuint (status, ==, 200);
	return answer;
}

static void
test_relay_asn1 (Fixture *f, gconstpointer data)
{
	FakeSmdp *smdp = fake_smdp_new (f->pki);
	g_autoptr(GTlsDatabase) trust = g_tls_file_database_new (f->pki->ci_pem, NULL);
	g_autoptr(GBytes) eim_tid = trigger_download (f, smdp);
	g_autoptr(GBytes) challenge = tlv ("000102030405060708090A0B0C0D0E0F");
	g_autoptr(GBytes) info1 = tlv ("BF20078203020500A900");
	g_autoptr(GBytes) bf38 = authenticate_server_response (f->pki);
	g_autoptr(GBytes) bf21 = tlv ("BF2107A0053003800107");
	g_autoptr(GBytes) tid = tlv (SMDP_TID);
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GBytes) expected = NULL;
	g_autoptr(GBytes) sent = NULL;
	g_autofree gchar *address = NULL;
	EsimDerWriter *writer;

	esim_test_eim_set_smdp_trust (f->eim, trust);
	/* InitiateAuthenticationRequestEsipa BF39 { 81 challenge, BF20, 82 eimTransactionId } */
	writer = esim_der_writer_new ();
	esim_der_writer_begin (writer, 0xBF39);
	esim_der_writer_put_bytes (writer, 0x81, challenge);
	esim_der_writer_put_raw (writer, g_bytes_get_data (info1, NULL), g_bytes_get_size (info1));
	esim_der_writer_put_bytes (writer, 0x82, eim_tid);
	esim_der_writer_end (writer);
	sent = test_finish (writer);
	answer = post_asn1 (f, sent);
	/* BF39 { A0 { 80 tid, 30 ss1, 5F37, 04 pkid, 30 cert, 0C matchingId } }: the SM-DP+'s TLVs as they came */
	writer = esim_der_writer_new ();
	esim_der_writer_begin (writer, 0xBF39);
	esim_der_writer_begin (writer, 0xA0);
	esim_der_writer_put_bytes (writer, 0x80, tid);
	for (GBytes **part = (GBytes *[]) { smdp->server_signed1, smdp->server_signature1, smdp->ci_pkid,
	                                    smdp->server_certificate, NULL }; *part != NULL; part++)
		esim_der_writer_put_raw (writer, g_bytes_get_data (*part, NULL), g_bytes_get_size (*part));
	esim_der_writer_put_utf8 (writer, 0x0C, "MATCH1");
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	expected = test_finish (writer);
	g_assert_true (g_bytes_equal (answer, expected));
	/* what went to the SM-DP+: ES9+ initiateAuthentication with the same bytes */
	address = smdp_member (smdp, "initiateAuthentication", "smdpAddress");
	g_assert_cmpstr (address, ==, smdp->address);
	g_clear_pointer (&sent, g_bytes_unref);
	sent = smdp_member_bytes (smdp, "initiateAuthentication", "euiccInfo1");
	g_assert_true (g_bytes_equal (sent, info1));
	g_clear_pointer (&answer, g_bytes_unref);
	g_clear_pointer (&expected, g_bytes_unref);
	g_clear_pointer (&sent, g_bytes_unref);

	/* AuthenticateClient: BF38 relayed as is; the eUICC certificate learnt on the way */
	g_assert_null (esim_test_eim_get_euicc_certificate (f->eim, f->pki->eid));
	writer = esim_der_writer_new ();
	esim_der_writer_begin (writer, 0xBF3B);
	esim_der_writer_put_bytes (writer, 0x80, tid);
	esim_der_writer_put_raw (writer, g_bytes_get_data (bf38, NULL), g_bytes_get_size (bf38));
	esim_der_writer_end (writer);
	sent = test_finish (writer);
	answer = post_asn1 (f, sent);
	g_clear_pointer (&sent, g_bytes_unref);
	sent = smdp_member_bytes (smdp, "authenticateClient", "authenticateServerResponse");
	g_assert_true (g_bytes_equal (sent, bf38));
	g_assert_nonnull (esim_test_eim_get_euicc_certificate (f->eim, f->pki->eid));
	writer = esim_der_writer_new ();
	esim_der_writer_begin (writer, 0xBF3B);
	esim_der_writer_begin (writer, 0xA0);
	esim_der_writer_put_bytes (writer, 0x80, tid);
	for (GBytes **part = (GBytes *[]) { smdp->profile_metadata, smdp->smdp_signed2, smdp->smdp_signature2,
	                                    smdp->smdp_certificate, NULL }; *part != NULL; part++)
		esim_der_writer_put_raw (writer, g_bytes_get_data (*part, NULL), g_bytes_get_size (*part));
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	expected = test_finish (writer);
	g_assert_true (g_bytes_equal (answer, expected));
	g_clear_pointer (&answer, g_bytes_unref);
	g_clear_pointer (&sent, g_bytes_unref);

	/* GetBoundProfilePackage: BF3A { A0 { 80 tid, BF36 } } */
	writer = esim_der_writer_new ();
	esim_der_writer_begin (writer, 0xBF3A);
	esim_der_writer_put_bytes (writer, 0x80, tid);
	esim_der_writer_put_raw (writer, g_bytes_get_data (bf21, NULL), g_bytes_get_size (bf21));
	esim_der_writer_end (writer);
	sent = test_finish (writer);
	answer = post_asn1 (f, sent);
	assert_bytes (answer, "BF3A1AA0188010" SMDP_TID "BF3603800101");
	g_clear_pointer (&sent, g_bytes_unref);
	sent = smdp_member_bytes (smdp, "getBoundProfilePackage", "prepareDownloadResponse");
	g_assert_true (g_bytes_equal (sent, bf21));
	g_clear_pointer (&answer, g_bytes_unref);
	g_clear_pointer (&sent, g_bytes_unref);

	/* CancelSession: BF41 { 80 tid, A1 <contents> } goes out as the eUICC's BF41 */
	sent = tlv ("BF411780" "10" SMDP_TID "A103810101");
	answer = post_asn1 (f, sent);
	assert_bytes (answer, "BF4102A000");
	g_clear_pointer (&sent, g_bytes_unref);
	sent = smdp_member_bytes (smdp, "cancelSession", "cancelSessionResponse");
	assert_bytes (sent, "BF4103810101");
	g_clear_pointer (&answer, g_bytes_unref);

	/* the session is over: invalidTransactionId (10) */
	g_clear_pointer (&sent, g_bytes_unref);
	writer = esim_der_writer_new ();
	esim_der_writer_begin (writer, 0xBF3B);
	esim_der_writer_put_bytes (writer, 0x80, tid);
	esim_der_writer_put_raw (writer, g_bytes_get_data (bf38, NULL), g_bytes_get_size (bf38));
	esim_der_writer_end (writer);
	sent = test_finish (writer);
	answer = post_asn1 (f, sent);
	assert_bytes (answer, "BF3B0382010A");
	g_assert_cmpuint (esim_test_eim_get_relayed (f->eim, ESIM_TEST_EIM_FUNCTION_AUTHENTICATE_CLIENT), ==, 2);
	fake_smdp_free (smdp);
}

static GBytes *
json_answer_member (GBytes *answer, const gchar *name, gboolean decode)
{
	g_autoptr(JsonParser) parser = json_parser_new ();
	JsonObject *object;
	const gchar *text;
	guchar *decoded;
	gsize len;

	g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (answer, NULL),
	                                           (gssize) g_bytes_get_size (answer), NULL));
	object = json_node_get_object (json_parser_get_root (parser));
	if (!json_object_has_member (object, name))
		return NULL;
	text = json_object_get_string_member (object, name);
	if (!decode)
		return g_bytes_new (text, strlen (text));
	decoded = g_base64_decode (text, &len);
	return g_bytes_new_take (decoded, len);
}

static void
test_relay_json (Fixture *f, gconstpointer data)
{
	FakeSmdp *smdp = fake_smdp_new (f->pki);
	g_autoptr(GTlsDatabase) trust = g_tls_file_database_new (f->pki->ci_pem, NULL);
	g_autoptr(GBytes) eim_tid = trigger_download (f, smdp);
	g_autoptr(GBytes) bf38 = authenticate_server_response (f->pki);
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GBytes) part = NULL;
	g_autoptr(GBytes) value = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *json = NULL;
	g_autofree gchar *eim_tid_hex = esim_hex_encode_bytes (eim_tid);
	g_autofree gchar *bf38_text = base64 (bf38);
	guint status;

	esim_test_eim_set_smdp_trust (f->eim, trust);
	/* §6.4.1.1: euiccChallenge is the value in base64, eimTransactionId hex */
	json = g_strdup_printf ("{\"euiccChallenge\":\"AAECAwQFBgcICQoLDA0ODw==\",\"euiccInfo1\":\"vyAHggMCBQCpAA==\","
	                        "\"eimTransactionId\":\"%s\"}", eim_tid_hex);
	answer = test_post_json (f, "initiateAuthentication", json, &status, &error);
	g_assert_no_error (error);
	part = json_answer_member (answer, "transactionId", FALSE);
	g_assert_cmpmem (g_bytes_get_data (part, NULL), g_bytes_get_size (part), SMDP_TID, strlen (SMDP_TID));
	g_clear_pointer (&part, g_bytes_unref);
	/* whole TLVs for the structures, the OCTET STRING's value for signature and key id */
	part = json_answer_member (answer, "serverSigned1", TRUE);
	g_assert_true (g_bytes_equal (part, smdp->server_signed1));
	g_clear_pointer (&part, g_bytes_unref);
	part = json_answer_member (answer, "serverSignature1", TRUE);
	value = value_of (smdp->server_signature1);
	g_assert_true (g_bytes_equal (part, value));
	g_clear_pointer (&part, g_bytes_unref);
	g_clear_pointer (&value, g_bytes_unref);
	part = json_answer_member (answer, "euiccCiPKIdentifierToBeUsed", TRUE);
	value = value_of (smdp->ci_pkid);
	g_assert_true (g_bytes_equal (part, value));
	g_clear_pointer (&part, g_bytes_unref);
	part = json_answer_member (answer, "matchingId", FALSE);
	g_assert_cmpmem (g_bytes_get_data (part, NULL), g_bytes_get_size (part), "MATCH1", 6);
	g_clear_pointer (&part, g_bytes_unref);
	g_clear_pointer (&answer, g_bytes_unref);
	g_clear_pointer (&json, g_free);

	/* an SM-DP+ refusal becomes the ESipa error: matchingIdRefused (6) */
	smdp->refuse = TRUE;
	json = g_strdup_printf ("{\"transactionId\":\"%s\",\"authenticateServerResponse\":\"%s\"}", SMDP_TID, bf38_text);
	answer = test_post_json (f, "authenticateClient", json, &status, &error);
	g_assert_no_error (error);
	g_assert_nonnull (strstr (g_bytes_get_data (answer, NULL), "\"status\":\"Failed\""));
	g_assert_nonnull (strstr (g_bytes_get_data (answer, NULL), "\"authenticateClientErrorEsipa\":6"));
	g_clear_pointer (&answer, g_bytes_unref);
	smdp->refuse = FALSE;
	answer = test_post_json (f, "authenticateClient", json, &status, &error);
	g_assert_no_error (error);
	part = json_answer_member (answer, "profileMetadata", TRUE);
	g_assert_true (g_bytes_equal (part, smdp->profile_metadata));
	g_clear_pointer (&part, g_bytes_unref);
	part = json_answer_member (answer, "smdpSignature2", TRUE);
	value = value_of (smdp->smdp_signature2);
	g_assert_true (g_bytes_equal (part, value));
	g_clear_pointer (&part, g_bytes_unref);
	g_clear_pointer (&answer, g_bytes_unref);
	g_clear_pointer (&json, g_free);

	json = g_strdup_printf ("{\"transactionId\":\"%s\",\"prepareDownloadResponse\":\"vyEHoAUwA4ABBw==\"}", SMDP_TID);
	answer = test_post_json (f, "getBoundProfilePackage", json, &status, &error);
	g_assert_no_error (error);
	part = json_answer_member (answer, "boundProfilePackage", TRUE);
	g_assert_true (g_bytes_equal (part, smdp->bpp));
	g_clear_pointer (&part, g_bytes_unref);
	g_clear_pointer (&answer, g_bytes_unref);
	g_clear_pointer (&json, g_free);

	/* cancelSession: the eUICC's BF41 in base64, a header only back (§6.4.1.8) */
	json = g_strdup_printf ("{\"transactionId\":\"%s\",\"cancelSessionResponse\":\"v0EDgQEB\"}", SMDP_TID);
	answer = test_post_json (f, "cancelSession", json, &status, &error);
	g_assert_no_error (error);
	g_assert_nonnull (strstr (g_bytes_get_data (answer, NULL), "Executed-Success"));
	part = smdp_member_bytes (smdp, "cancelSession", "cancelSessionResponse");
	assert_bytes (part, "BF4103810101");
	fake_smdp_free (smdp);
}

/* Notifications go on to their notificationAddress (onomondo-eim). */
static void
test_forward_notification (Fixture *f, gconstpointer data)
{
	FakeSmdp *smdp = fake_smdp_new (f->pki);
	g_autoptr(GTlsDatabase) trust = g_tls_file_database_new (f->pki->ci_pem, NULL);
	g_autoptr(GBytes) notification = test_make_notification (f->pki, 5, smdp->address);
	g_autoptr(GBytes) body = test_handle_notification (notification);
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GBytes) forwarded = NULL;

	esim_test_eim_set_smdp_trust (f->eim, trust);
	answer = post_asn1 (f, body);
	g_assert_cmpuint (g_bytes_get_size (answer), ==, 0);
	test_wait_count (&smdp->notifications, 1, 20, "the notification forwarded to the SM-DP+");
	forwarded = smdp_member_bytes (smdp, "handleNotification", "pendingNotification");
	g_assert_true (g_bytes_equal (forwarded, notification));
	fake_smdp_free (smdp);
}


/* ------------------------------------------------------------------------ */
/* push: TransferEimPackage to an IPA's listener */

typedef struct {
	SoupServer   *server;
	gchar        *address;
	const TestPki *pki;
	GBytes       *last_body;
	gchar        *last_path;
	gchar        *last_admin;
	gboolean      received_only;  /* answer eimPackageReceived */
	gboolean      with_notification; /* answer ePRAndNotifications */
} FakeIpa;

/* The listener answers a euiccPackageRequest with the result a card signs. */
static void
ipa_callback (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
	FakeIpa *ipa = user_data;
	g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
	g_autoptr(GBytes) package = NULL;
	g_autoptr(GBytes) answer = NULL;
	const gchar *type = soup_message_headers_get_content_type (soup_server_message_get_request_headers (msg), NULL);
	gboolean json = g_strcmp0 (type, "application/json") == 0;
	EsimTlv top, inner;

	g_clear_pointer (&ipa->last_body, g_bytes_unref);
	ipa->last_body = g_bytes_ref (body);
	g_free (ipa->last_path);
	ipa->last_path = g_strdup (path);
	g_free (ipa->last_admin);
	ipa->last_admin = g_strdup (soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
	                                                          "X-Admin-Protocol"));
	if (json) {
		g_autoptr(JsonParser) parser = json_parser_new ();
		JsonObject *object;
		gsize len;
		guchar *decoded;

		g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
		                                           (gssize) g_bytes_get_size (body), NULL));
		object = json_node_get_object (json_parser_get_root (parser));
		for (const gchar *const *name = (const gchar *[]) { "euiccPackageRequest", "ipaEuiccDataRequest",
		                                                    "eimAcknowledgements", "profileDownloadTriggerRequest",
		                                                    NULL }; *name != NULL && package == NULL; name++) {
			if (!json_object_has_member (object, *name))
				continue;
			decoded = g_base64_decode (json_object_get_string_member (object, *name), &len);
			package = g_bytes_new_take (decoded, len);
		}
		g_assert_nonnull (package);
	} else {
		/* TransferEimPackageRequest BF4E { BF51 | BF52 | BF53 | BF54 } */
		g_assert_true (esim_tlv_parse_tagged (g_bytes_get_data (body, NULL), g_bytes_get_size (body), 0xBF4E, &top,
		                                      NULL));
		g_assert_true (esim_tlv_parse_exact (top.value, top.len, &inner, NULL));
		package = esim_tlv_dup_raw (&inner);
	}
	if (ipa->received_only || ((const guint8 *) g_bytes_get_data (package, NULL))[1] != 0x51) {
		/* eimPackageReceived: NULL */
		answer = json ? g_bytes_new_static ("{\"eimPackageReceived\":true}", 27) : tlv ("BF4E020500");
	} else {
		TestPackage sent;
		g_autoptr(GBytes) ok = tlv ("830100");
		g_autoptr(GBytes) epr = NULL;

		test_package_parse (package, &sent);
		epr = test_make_epr (ipa->pki, sent.eim_id, sent.counter, sent.transaction_id, 40, ok, FALSE, 0);
		test_package_clear (&sent);
		if (json && ipa->with_notification) {
			/* the Iapyx client's form: the list as a DER SEQUENCE OF */
			g_autoptr(GBytes) notification = test_make_notification (ipa->pki, 41, "smdp.example");
			EsimDerWriter *writer = esim_der_writer_new ();
			g_autoptr(GBytes) list = NULL;
			g_autofree gchar *epr_text = base64 (epr);
			g_autofree gchar *list_text = NULL;
			g_autofree gchar *json_text = NULL;

			esim_der_writer_begin (writer, 0x30);
			esim_der_writer_put_raw (writer, g_bytes_get_data (notification, NULL), g_bytes_get_size (notification));
			esim_der_writer_end (writer);
			list = test_finish (writer);
			list_text = base64 (list);
			json_text = g_strdup_printf ("{\"ePRAndNotifications\":{\"euiccPackageResult\":\"%s\","
			                             "\"notificationList\":\"%s\"}}", epr_text, list_text);
			answer = g_bytes_new (json_text, strlen (json_text));
		} else if (json) {
			g_autofree gchar *text = base64 (epr);
			g_autofree gchar *json_text = g_strdup_printf ("{\"euiccPackageResult\":\"%s\"}", text);

			answer = g_bytes_new (json_text, strlen (json_text));
		} else {
			EsimDerWriter *writer = esim_der_writer_new ();

			esim_der_writer_begin (writer, 0xBF4E);
			esim_der_writer_put_raw (writer, g_bytes_get_data (epr, NULL), g_bytes_get_size (epr));
			esim_der_writer_end (writer);
			answer = test_finish (writer);
		}
	}
	soup_server_message_set_status (msg, 200, NULL);
	soup_server_message_set_response (msg, json ? "application/json" : "application/x-gsma-rsp-asn1",
	                                  SOUP_MEMORY_COPY, g_bytes_get_data (answer, NULL), g_bytes_get_size (answer));
}

static FakeIpa *
fake_ipa_new (const TestPki *pki)
{
	FakeIpa *ipa = g_new0 (FakeIpa, 1);
	g_autoptr(GError) error = NULL;
	GSList *uris;

	ipa->pki = pki;
	ipa->server = soup_server_new ("tls-certificate", pki->dp_tls, NULL);
	esim_test_server_guard_attach (ipa->server);
	soup_server_add_handler (ipa->server, NULL, ipa_callback, ipa, NULL);
	soup_server_listen_local (ipa->server, 0, SOUP_SERVER_LISTEN_HTTPS | SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
	g_assert_no_error (error);
	uris = soup_server_get_uris (ipa->server);
	ipa->address = g_strdup_printf ("localhost:%d", g_uri_get_port (uris->data));
	g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
	return ipa;
}

static void
fake_ipa_free (FakeIpa *ipa)
{
	esim_test_server_guard_disconnect (ipa->server);
	g_object_unref (ipa->server);
	g_free (ipa->address);
	g_clear_pointer (&ipa->last_body, g_bytes_unref);
	g_free (ipa->last_path);
	g_free (ipa->last_admin);
	g_free (ipa);
}

static const EsimTestEimRecord *
push (Fixture *f, FakeIpa *ipa, GTlsDatabase *trust, EsimTestEimBinding binding, GError **error)
{
	g_autoptr(GAsyncResult) res = NULL;

	esim_test_eim_push_async (f->eim, f->pki->eid, ipa->address, NULL, trust, binding, NULL, test_store_result,
	                          &res);
	test_wait (&res, 30, "the push");
	return esim_test_eim_push_finish (f->eim, res, error);
}

static void
test_push (Fixture *f, gconstpointer data)
{
	EsimTestEimBinding binding = GPOINTER_TO_INT (data);
	FakeIpa *ipa = fake_ipa_new (f->pki);
	g_autoptr(GTlsDatabase) trust = g_tls_file_database_new (f->pki->ci_pem, NULL);
	g_autoptr(EsimTestEimPackage) package = esim_test_eim_package_new_psmos ();
	g_autoptr(GError) error = NULL;
	gint64 seqs[] = { 40 };
	const EsimTestEimRecord *record;
	guint id;

	g_assert_true (esim_test_eim_set_euicc_certificate (f->eim, f->pki->eid, f->pki->euicc, &error));
	g_assert_true (esim_test_eim_package_add_enable (package, ICCID, FALSE, &error));
	id = esim_test_eim_queue (f->eim, f->pki->eid, g_steal_pointer (&package));
	record = push (f, ipa, trust, binding, &error);
	g_assert_no_error (error);
	/* the paths and headers of the ESipa bindings (digest §3.7) */
	g_assert_cmpstr (ipa->last_path, ==, binding == ESIM_TEST_EIM_BINDING_ASN1 ? "/gsma/rsp2/asn1"
	                                                                          : "/gsma/rsp2/esipa/transferEimPackage");
	g_assert_cmpstr (ipa->last_admin, ==, "gsma/rsp/v2.1.0");
	g_assert_cmpint (record->kind, ==, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT);
	g_assert_cmpint (record->via, ==, ESIM_TEST_EIM_FUNCTION_TRANSFER_EIM_PACKAGE);
	g_assert_cmpint (record->signature, ==, ESIM_TEST_EIM_SIGNATURE_VALID);
	g_assert_cmpuint (record->package_id, ==, id);
	g_assert_null (record->problems);
	if (binding == ESIM_TEST_EIM_BINDING_JSON) {
		g_autoptr(EsimTestEimPackage) again = esim_test_eim_package_new_psmos ();
		g_autoptr(GPtrArray) records = NULL;

		ipa->with_notification = TRUE;
		g_assert_true (esim_test_eim_package_add_disable (again, ICCID, &error));
		esim_test_eim_queue (f->eim, f->pki->eid, g_steal_pointer (&again));
		record = push (f, ipa, trust, binding, &error);
		g_assert_no_error (error);
		g_assert_cmpint (record->kind, ==, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT);
		records = esim_test_eim_get_records (f->eim, f->pki->eid);
		g_assert_cmpint (((EsimTestEimRecord *) records->pdata[records->len - 1])->kind, ==,
		                 ESIM_TEST_EIM_RECORD_NOTIFICATION);
		g_assert_cmpint (((EsimTestEimRecord *) records->pdata[records->len - 1])->seq_number, ==, 41);
		ipa->with_notification = FALSE;
	}
	/* the acknowledgement goes by push too: BF4E { BF53 { 80 28 } }, eimPackageReceived back */
	esim_test_eim_queue (f->eim, f->pki->eid, esim_test_eim_package_new_acknowledgements (seqs, 1));
	record = push (f, ipa, trust, binding, &error);
	g_assert_no_error (error);
	g_assert_cmpint (record->kind, ==, ESIM_TEST_EIM_RECORD_PACKAGE_RECEIVED);
	if (binding == ESIM_TEST_EIM_BINDING_ASN1)
		assert_bytes (ipa->last_body, "BF4E06BF5303800128");
	/* nothing queued; and an IPA whose certificate the given CA did not issue */
	g_assert_null (push (f, ipa, trust, binding, &error));
	g_assert_error (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_EMPTY);
	g_clear_error (&error);
	esim_test_eim_queue (f->eim, f->pki->eid, esim_test_eim_package_new_acknowledgements (seqs, 1));
	g_assert_null (push (f, ipa, f->eim_trust, binding, &error));
	g_assert_true (error->domain == G_TLS_ERROR || error->domain == G_IO_ERROR);
	fake_ipa_free (ipa);
}

/* ------------------------------------------------------------------------ */
/* faults */

static GBytes *
get_package_raw (Fixture *f, GError **error)
{
	g_autoptr(GBytes) eid = test_eid_bytes (f->pki->eid);
	g_autoptr(GBytes) body = test_get_eim_package (eid);

	return test_post (f, ESIM_TEST_EIM_BINDING_ASN1, NULL, body, NULL, error);
}

static void
queue_enable (Fixture *f)
{
	g_autoptr(EsimTestEimPackage) package = esim_test_eim_package_new_psmos ();

	g_assert_true (esim_test_eim_package_add_enable (package, ICCID, FALSE, NULL));
	esim_test_eim_queue (f->eim, f->pki->eid, g_steal_pointer (&package));
}

static TestPackage
next_package (Fixture *f)
{
	g_autoptr(GBytes) tlv = NULL;
	TestPackage package;
	gint64 code;

	queue_enable (f);
	tlv = test_get_package (f, ESIM_TEST_EIM_BINDING_ASN1, f->pki->eid, &code);
	g_assert_nonnull (tlv);
	test_package_parse (tlv, &package);
	return package;
}

static gboolean
signature_verifies (Fixture *f, TestPackage *package)
{
	g_autoptr(GBytes) config = esim_test_eim_build_configuration (f->eim, NULL, NULL);
	gnutls_pubkey_t key = test_config_signing_key (config);
	EsimDerWriter *writer = esim_der_writer_new ();
	g_autoptr(GBytes) input = NULL;
	gboolean ok;

	esim_der_writer_put_raw (writer, g_bytes_get_data (package->signed_data, NULL),
	                         g_bytes_get_size (package->signed_data));
	esim_der_writer_put (writer, 0x84, (const guint8 *) "\x00", 1);
	input = test_finish (writer);
	ok = esim_ecdsa_verify (key, g_bytes_get_data (input, NULL), g_bytes_get_size (input),
	                        g_bytes_get_data (package->signature, NULL), g_bytes_get_size (package->signature), NULL);
	gnutls_pubkey_deinit (key);
	return ok;
}

static void
test_faults_http (Fixture *f, gconstpointer data)
{
	EsimTestEimFault fault = { .kind = ESIM_TEST_EIM_FAULT_HTTP_STATUS, .count = 1,
	                           .functions = ESIM_TEST_EIM_FUNCTION_GET_EIM_PACKAGE };
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GError) error = NULL;

	/* 500 once, then the package as if nothing happened */
	queue_enable (f);
	esim_test_eim_add_fault (f->eim, &fault);
	g_assert_null (get_package_raw (f, &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
	g_assert_nonnull (strstr (error->message, "500"));
	g_clear_error (&error);
	g_assert_cmpuint (esim_test_eim_get_queue_length (f->eim, f->pki->eid), ==, 1);
	/* no answer at all: the client's timeout ends it */
	fault.kind = ESIM_TEST_EIM_FAULT_NO_ANSWER;
	esim_test_eim_add_fault (f->eim, &fault);
	esim_http_client_set_timeout (f->http, 1);
	g_assert_null (get_package_raw (f, &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
	g_clear_error (&error);
	esim_http_client_set_timeout (f->http, 10);
	/* the connection closed before any answer: the package stays */
	fault.kind = ESIM_TEST_EIM_FAULT_DROP_CONNECTION;
	esim_test_eim_add_fault (f->eim, &fault);
	g_assert_null (get_package_raw (f, &error));
	g_assert_nonnull (error);
	g_clear_error (&error);
	g_assert_cmpuint (esim_test_eim_get_queue_length (f->eim, f->pki->eid), ==, 1);
	/* closed halfway through the answer, after the eIM sent the package: it is gone */
	fault.after_processing = TRUE;
	esim_test_eim_add_fault (f->eim, &fault);
	g_assert_null (get_package_raw (f, &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
	g_clear_error (&error);
	g_assert_cmpuint (esim_test_eim_get_queue_length (f->eim, f->pki->eid), ==, 0);
	/* and the eIM serves on */
	answer = get_package_raw (f, &error);
	g_assert_no_error (error);
	assert_bytes (answer, "BF4F03020101");
}

static void
test_faults_packages (Fixture *f, gconstpointer data)
{
	EsimTestEimFault fault = { .count = 1 };
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GBytes) other = NULL;
	g_autoptr(GPtrArray) deliveries = NULL;
	g_autoptr(GError) error = NULL;
	TestPackage first, package;
	gint64 code;

	/* a signing fault waits for a package it can spoil: not a data request */
	fault.kind = ESIM_TEST_EIM_FAULT_BAD_SIGNATURE;
	esim_test_eim_add_fault (f->eim, &fault);
	esim_test_eim_queue (f->eim, f->pki->eid, esim_test_eim_package_new_data_request ((const guint8 *) "\xBF\x20", 2));
	answer = test_get_package (f, ESIM_TEST_EIM_BINDING_ASN1, f->pki->eid, &code);
	deliveries = esim_test_eim_get_deliveries (f->eim, f->pki->eid);
	g_assert_null (((EsimTestEimDelivery *) deliveries->pdata[0])->faults);
	g_clear_pointer (&answer, g_bytes_unref);
	g_clear_pointer (&deliveries, g_ptr_array_unref);
	package = next_package (f);
	g_assert_false (signature_verifies (f, &package));
	test_package_clear (&package);
	esim_test_eim_set_counter (f->eim, f->pki->eid, 0, NULL);

	first = next_package (f);
	g_assert_cmpint (first.counter, ==, 1);
	g_assert_true (signature_verifies (f, &first));
	/* the last counter again (a replay to the card) */
	fault.kind = ESIM_TEST_EIM_FAULT_WRONG_COUNTER;
	fault.value = -1;
	esim_test_eim_add_fault (f->eim, &fault);
	package = next_package (f);
	g_assert_cmpint (package.counter, ==, 1);
	g_assert_true (signature_verifies (f, &package));
	test_package_clear (&package);
	/* the same package byte for byte */
	fault.kind = ESIM_TEST_EIM_FAULT_REPLAY;
	esim_test_eim_add_fault (f->eim, &fault);
	answer = test_get_package (f, ESIM_TEST_EIM_BINDING_ASN1, f->pki->eid, &code);
	deliveries = esim_test_eim_get_deliveries (f->eim, f->pki->eid);
	g_assert_true (g_bytes_equal (answer, ((EsimTestEimDelivery *) deliveries->pdata[3])->tlv));
	g_assert_cmpstr (((EsimTestEimDelivery *) deliveries->pdata[4])->faults, ==, "replay");
	g_clear_pointer (&answer, g_bytes_unref);
	/* the next good one counts on from the last good one */
	package = next_package (f);
	g_assert_cmpint (package.counter, ==, 2);
	test_package_clear (&package);
	/* a signature that does not verify */
	fault.kind = ESIM_TEST_EIM_FAULT_BAD_SIGNATURE;
	esim_test_eim_add_fault (f->eim, &fault);
	package = next_package (f);
	g_assert_false (signature_verifies (f, &package));
	test_package_clear (&package);
	/* another eIM's id, another EID */
	fault.kind = ESIM_TEST_EIM_FAULT_WRONG_EIM_ID;
	esim_test_eim_add_fault (f->eim, &fault);
	package = next_package (f);
	g_assert_cmpstr (package.eim_id, ==, "not-" ESIM_TEST_EIM_DEFAULT_ID);
	test_package_clear (&package);
	fault.kind = ESIM_TEST_EIM_FAULT_WRONG_EID;
	esim_test_eim_add_fault (f->eim, &fault);
	package = next_package (f);
	other = test_eid_bytes (f->pki->eid);
	g_assert_false (g_bytes_equal (package.eid, other));
	g_assert_true (signature_verifies (f, &package));
	test_package_clear (&package);
	/* eimPackageError (127), the queue untouched; per EID until cleared */
	fault.kind = ESIM_TEST_EIM_FAULT_PACKAGE_ERROR;
	fault.value = 127;
	fault.count = 0;
	fault.eid = f->pki->eid;
	esim_test_eim_add_fault (f->eim, &fault);
	queue_enable (f);
	for (guint i = 0; i < 2; i++) {
		answer = get_package_raw (f, &error);
		g_assert_no_error (error);
		assert_bytes (answer, "BF4F0302017F");
		g_clear_pointer (&answer, g_bytes_unref);
	}
	esim_test_eim_clear_faults (f->eim);
	g_assert_nonnull (test_get_package (f, ESIM_TEST_EIM_BINDING_ASN1, f->pki->eid, &code));
	test_package_clear (&first);
}

static void
test_faults_results (Fixture *f, gconstpointer data)
{
	EsimTestEimFault fault = { .count = 1, .functions = ESIM_TEST_EIM_FUNCTION_PROVIDE_EIM_PACKAGE_RESULT };
	g_autoptr(GBytes) ok = tlv ("830100");
	g_autoptr(GBytes) eid = test_eid_bytes (f->pki->eid);
	g_autoptr(GBytes) epr = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GPtrArray) records = NULL;
	g_autoptr(GError) error = NULL;
	TestPackage package = next_package (f);

	epr = test_make_epr (f->pki, ESIM_TEST_EIM_DEFAULT_ID, package.counter, package.transaction_id, 50, ok, FALSE, 0);
	body = test_provide (eid, epr);
	/* provideEimPackageResultError invalidEid (3) whatever was sent */
	fault.kind = ESIM_TEST_EIM_FAULT_PROVIDE_ERROR;
	fault.value = 3;
	esim_test_eim_add_fault (f->eim, &fault);
	answer = test_post (f, ESIM_TEST_EIM_BINDING_ASN1, NULL, body, NULL, &error);
	assert_bytes (answer, "BF5003020103");
	g_clear_pointer (&answer, g_bytes_unref);
	/* recorded, acknowledged nothing: the IPA keeps it */
	fault.kind = ESIM_TEST_EIM_FAULT_NO_ACKNOWLEDGEMENT;
	esim_test_eim_add_fault (f->eim, &fault);
	answer = test_post (f, ESIM_TEST_EIM_BINDING_ASN1, NULL, body, NULL, &error);
	assert_bytes (answer, "BF50023000");
	g_clear_pointer (&answer, g_bytes_unref);
	/* recorded and acknowledged, but the answer is lost (500 after the work) */
	fault.kind = ESIM_TEST_EIM_FAULT_HTTP_STATUS;
	fault.value = 503;
	fault.after_processing = TRUE;
	esim_test_eim_add_fault (f->eim, &fault);
	g_assert_null (test_post (f, ESIM_TEST_EIM_BINDING_ASN1, NULL, body, NULL, &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
	g_assert_nonnull (strstr (error->message, "503"));
	g_clear_error (&error);
	/* so it comes again: a duplicate, acknowledged */
	answer = test_post (f, ESIM_TEST_EIM_BINDING_ASN1, NULL, body, NULL, &error);
	assert_bytes (answer, "BF5006BF5303800132");
	records = esim_test_eim_get_records (f->eim, f->pki->eid);
	g_assert_cmpuint (records->len, ==, 3);
	g_assert_false (((EsimTestEimRecord *) records->pdata[0])->acknowledged);
	g_assert_false (((EsimTestEimRecord *) records->pdata[0])->duplicate);
	g_assert_true (((EsimTestEimRecord *) records->pdata[1])->duplicate);
	g_assert_true (((EsimTestEimRecord *) records->pdata[2])->duplicate);
	g_assert_true (((EsimTestEimRecord *) records->pdata[2])->acknowledged);
	test_package_clear (&package);
}

/* ------------------------------------------------------------------------ */
/* counters */

static void
test_counters (Fixture *f, gconstpointer data)
{
	g_autoptr(EsimHttpClient) second = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) answer = NULL;
	EsimTestEimCounters counters;
	EsimHttpCounters client, client2;

	esim_test_eim_reset_counters (f->eim);
	for (guint i = 0; i < 2; i++) {
		answer = get_package_raw (f, &error);
		g_assert_no_error (error);
		g_clear_pointer (&answer, g_bytes_unref);
	}
	esim_test_eim_get_counters (f->eim, &counters);
	/* one keep-alive connection for both */
	g_assert_cmpuint (counters.connections, ==, 1);
	g_assert_cmpuint (counters.tls_handshakes, ==, 1);
	g_assert_cmpuint (counters.tls_handshakes_resumed, ==, 0);
	g_assert_cmpuint (counters.requests, ==, 2);
	g_assert_cmpuint (counters.function_requests[0], ==, 2);
	g_assert_cmpuint (counters.http_bytes_received, >, 2 * 21);
	g_assert_cmpuint (counters.http_bytes_sent, >, 2 * 6);
	/* a second client: a new connection and handshake (glib-networking's
	 * client resumes no session in a GTest program: gtlsclientconnection-gnutls.c
	 * compute_session_id returns early when g_test_initialized ()) */
	second = esim_http_client_new (esim_test_eim_get_fqdn (f->eim), "eIM", f->eim_trust, &error);
	g_assert_no_error (error);
	g_set_object (&f->http, second);
	answer = get_package_raw (f, &error);
	g_assert_no_error (error);
	esim_test_eim_get_counters (f->eim, &counters);
	esim_http_client_get_counters (second, &client2);
	g_assert_cmpuint (counters.connections, ==, 2);
	g_assert_cmpuint (counters.tls_handshakes, ==, 2);
	g_assert_cmpuint (counters.tls_handshakes_resumed, ==, 0);
	/* the wire carries the TLS records around the HTTP bytes */
	g_assert_cmpuint (counters.wire_bytes_received, >, counters.http_bytes_received);
	g_assert_cmpuint (counters.wire_bytes_sent, >, counters.http_bytes_sent);
	g_test_message ("server: %u connections, %u handshakes, %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
	                " wire bytes in/out", counters.connections, counters.tls_handshakes,
	                counters.wire_bytes_received, counters.wire_bytes_sent);
	memset (&client, 0, sizeof (client));
	esim_test_eim_reset_counters (f->eim);
	esim_test_eim_get_counters (f->eim, &counters);
	g_assert_cmpuint (counters.connections, ==, 0);
	g_assert_cmpuint (counters.requests, ==, 0);
}

/* A TLS client that resumes: gnutls itself, in a thread, since the eIM
 * runs on this thread's main loop. */
typedef struct {
	guint16  port;
	gboolean resumed[2];
	gint     done;
	gchar   *error;
} ResumeClient;

static gboolean
resume_connect (ResumeClient *client, gnutls_datum_t *session_data, guint round)
{
	g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
	g_autoptr(GSocketConnection) connection = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *address = g_strdup_printf ("127.0.0.1:%u", client->port);
	gnutls_certificate_credentials_t credentials = NULL;
	gnutls_session_t session = NULL;
	static const gchar request[] = "GET /ticket HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
	gchar buffer[4096];
	gboolean ok = FALSE;
	int rc;

	connection = g_socket_client_connect_to_host (socket_client, address, 0, NULL, &error);
	if (connection == NULL) {
		client->error = g_strdup (error->message);
		return FALSE;
	}
	gnutls_certificate_allocate_credentials (&credentials);
	gnutls_init (&session, GNUTLS_CLIENT);
	gnutls_set_default_priority (session);
	gnutls_credentials_set (session, GNUTLS_CRD_CERTIFICATE, credentials);
	gnutls_transport_set_int (session, g_socket_get_fd (g_socket_connection_get_socket (connection)));
	g_socket_set_blocking (g_socket_connection_get_socket (connection), TRUE);
	if (session_data->data != NULL)
		gnutls_session_set_data (session, session_data->data, session_data->size);
	do {
		rc = gnutls_handshake (session);
	} while (rc < 0 && !gnutls_error_is_fatal (rc));
	if (rc < 0) {
		client->error = g_strdup (gnutls_strerror (rc));
		goto out;
	}
	client->resumed[round] = gnutls_session_is_resumed (session);
	/* a request and its answer bring the NewSessionTicket (RFC 8446 §4.6.1) */
	gnutls_record_send (session, request, strlen (request));
	while ((rc = gnutls_record_recv (session, buffer, sizeof (buffer))) > 0 || rc == GNUTLS_E_AGAIN)
		;
	/* the eIM ends with close_notify: the session stays resumable */
	if (rc != 0) {
		client->error = g_strdup_printf ("the connection ended with %s", gnutls_strerror (rc));
		goto out;
	}
	if (session_data->data == NULL)
		gnutls_session_get_data2 (session, session_data);
	ok = TRUE;
out:
	gnutls_deinit (session);
	gnutls_certificate_free_credentials (credentials);
	return ok;
}

static gpointer
resume_thread (gpointer user_data)
{
	ResumeClient *client = user_data;
	gnutls_datum_t session_data = { NULL, 0 };

	if (resume_connect (client, &session_data, 0))
		resume_connect (client, &session_data, 1);
	gnutls_free (session_data.data);
	g_atomic_int_set (&client->done, 1);
	return NULL;
}

static gboolean
wake_up (gpointer user_data)
{
	return G_SOURCE_CONTINUE;
}

static void
test_resumption (Fixture *f, gconstpointer data)
{
	ResumeClient client = { .port = esim_test_eim_get_port (f->eim) };
	EsimTestEimCounters counters;
	gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
	guint tick = g_timeout_add (20, wake_up, NULL);
	GThread *thread;

	esim_test_eim_reset_counters (f->eim);
	thread = g_thread_new ("resume-client", resume_thread, &client);
	while (!g_atomic_int_get (&client.done) && g_get_monotonic_time () < deadline)
		g_main_context_iteration (NULL, TRUE);
	if (!g_atomic_int_get (&client.done))
		g_error ("the resuming TLS client never finished (30 s)");
	g_thread_join (thread);
	g_source_remove (tick);
	g_assert_null (client.error);
	/* the second connection resumed the first one's session, and the eIM says so */
	g_assert_false (client.resumed[0]);
	g_assert_true (client.resumed[1]);
	esim_test_eim_get_counters (f->eim, &counters);
	g_assert_cmpuint (counters.connections, ==, 2);
	g_assert_cmpuint (counters.tls_handshakes, ==, 2);
	g_assert_cmpuint (counters.tls_handshakes_resumed, ==, 1);
}

/* ------------------------------------------------------------------------ */
/* the standalone program */

static gint
run_tool (const gchar *control, const gchar *const *words, gchar **out, gchar **err)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new ();
	g_autoptr(GError) error = NULL;
	gint status = -1;

	g_ptr_array_add (argv, (gpointer) g_getenv ("ESIM_TEST_EIM"));
	if (control != NULL) {
		g_ptr_array_add (argv, (gpointer) "--control");
		g_ptr_array_add (argv, (gpointer) control);
	}
	for (guint i = 0; words[i] != NULL; i++)
		g_ptr_array_add (argv, (gpointer) words[i]);
	g_ptr_array_add (argv, NULL);
	g_assert_true (g_spawn_sync (NULL, (gchar **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err, &status,
	                             &error));
	g_assert_no_error (error);
	return g_spawn_check_wait_status (status, NULL) ? 0 : WEXITSTATUS (status);
}

static void
test_tool (void)
{
	const TestPki *pki = test_pki_get ();
	g_autofree gchar *dir = g_dir_make_tmp ("esim-test-eim-tool-XXXXXX", NULL);
	g_autofree gchar *control = g_build_filename (dir, "eim.sock", NULL);
	g_autofree gchar *ready = g_build_filename (dir, "ready", NULL);
	g_autofree gchar *config_path = g_build_filename (dir, "eim.der", NULL);
	g_autofree gchar *ca_path = g_build_filename (dir, "ca.pem", NULL);
	g_autofree gchar *cert_path = g_build_filename (pki->dir, "eUICC", "CERT_EUICC_ECDSA_NIST.der", NULL);
	g_autofree gchar *out = NULL, *err = NULL, *fqdn = NULL, *config = NULL;
	g_autoptr(GSubprocess) eim = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GTlsDatabase) trust = NULL;
	g_autoptr(GBytes) config_bytes = NULL;
	g_autoptr(GBytes) package_tlv = NULL;
	g_autoptr(GBytes) ok = tlv ("830100");
	g_autoptr(GBytes) epr = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GBytes) eid = test_eid_bytes (pki->eid);
	gnutls_pubkey_t key;
	Fixture f = { .pki = pki };
	TestPackage package;
	gsize len;
	gint64 deadline;

	g_assert_cmpint (run_tool (NULL, (const gchar *[]) { "--help", NULL }, &out, &err), ==, 0);
	g_assert_nonnull (strstr (out, "--write-eim-config"));
	g_assert_nonnull (strstr (out, "enable EID ICCID [rollback]"));
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);
	/* a command with no eIM to send it to */
	g_assert_cmpint (run_tool (NULL, (const gchar *[]) { "enable", NULL }, &out, &err), ==, 2);
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);

	eim = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error, g_getenv ("ESIM_TEST_EIM"), "--listen",
	                        "127.0.0.1:0", "--pki-dir", pki->dir, "--control", control, "--ready-file", ready,
	                        "--write-eim-config", config_path, "--write-ca", ca_path, "-q", NULL);
	g_assert_no_error (error);
	deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
	while (!g_file_test (ready, G_FILE_TEST_EXISTS) && g_get_monotonic_time () < deadline)
		g_usleep (20000);
	if (!g_file_get_contents (ready, &fqdn, NULL, NULL))
		g_error ("the eIM program never wrote its ready file (20 s)");

	/* queue through the control socket */
	g_assert_cmpint (run_tool (control, (const gchar *[]) { "enable", pki->eid, ICCID, "rollback", NULL }, &out,
	                           &err), ==, 0);
	g_assert_true (g_str_has_prefix (out, "queued package 1 for "));
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);
	g_assert_cmpint (run_tool (control, (const gchar *[]) { "certificate", pki->eid, cert_path, NULL }, &out, &err),
	                 ==, 0);
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);
	g_assert_cmpint (run_tool (control, (const gchar *[]) { "enable", pki->eid, "123", NULL }, &out, &err), ==, 1);
	g_assert_nonnull (strstr (err, "ICCID"));
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);
	g_assert_cmpint (run_tool (control, (const gchar *[]) { "no-such-command", NULL }, &out, &err), ==, 1);
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);

	/* an IPA reaches it with the configuration it wrote: CA, eimFqdn, key */
	g_assert_true (g_file_get_contents (config_path, &config, &len, NULL));
	config_bytes = g_bytes_new (config, len);
	trust = g_tls_file_database_new (ca_path, &error);
	g_assert_no_error (error);
	f.http = esim_http_client_new (fqdn, "eIM", trust, &error);
	g_assert_no_error (error);
	f.eim = NULL;
	{
		static const gchar *const headers[] = { "X-Admin-Protocol", "gsma/rsp/v2.1.0", NULL };
		g_autoptr(GAsyncResult) res = NULL;
		g_autoptr(GBytes) request = test_get_eim_package (eid);
		EsimTlv top, inner;

		esim_http_client_post_async (f.http, "/gsma/rsp2/asn1", "application/x-gsma-rsp-asn1", request, headers,
		                             65536, ESIM_HTTP_POST_NONE, NULL, test_store_result, &res);
		test_wait (&res, 30, "the eIM program's answer");
		body = esim_http_client_post_finish (f.http, res, NULL, &error);
		g_assert_no_error (error);
		g_assert_true (esim_tlv_parse_tagged (g_bytes_get_data (body, NULL), g_bytes_get_size (body), 0xBF4F, &top,
		                                      NULL));
		g_assert_true (esim_tlv_parse_exact (top.value, top.len, &inner, NULL));
		package_tlv = esim_tlv_dup_raw (&inner);
	}
	test_package_parse (package_tlv, &package);
	key = test_config_signing_key (config_bytes);
	{
		EsimDerWriter *writer = esim_der_writer_new ();
		g_autoptr(GBytes) input = NULL;

		esim_der_writer_put_raw (writer, g_bytes_get_data (package.signed_data, NULL),
		                         g_bytes_get_size (package.signed_data));
		esim_der_writer_put (writer, 0x84, (const guint8 *) "\x00", 1);
		input = test_finish (writer);
		g_assert_true (esim_ecdsa_verify (key, g_bytes_get_data (input, NULL), g_bytes_get_size (input),
		                                  g_bytes_get_data (package.signature, NULL), 64, &error));
	}
	gnutls_pubkey_deinit (key);
	/* the result goes back, and the program shows it checked */
	epr = test_make_epr (pki, package.eim_id, package.counter, package.transaction_id, 60, ok, FALSE, 0);
	g_clear_pointer (&body, g_bytes_unref);
	{
		static const gchar *const headers[] = { "X-Admin-Protocol", "gsma/rsp/v2.1.0", NULL };
		g_autoptr(GAsyncResult) res = NULL;
		g_autoptr(GBytes) request = test_provide (eid, epr);

		esim_http_client_post_async (f.http, "/gsma/rsp2/asn1", "application/x-gsma-rsp-asn1", request, headers,
		                             65536, ESIM_HTTP_POST_NONE, NULL, test_store_result, &res);
		test_wait (&res, 30, "the eIM program's acknowledgement");
		body = esim_http_client_post_finish (f.http, res, NULL, &error);
		g_assert_no_error (error);
		assert_bytes (body, "BF5006BF530380013C");
	}
	g_assert_cmpint (run_tool (control, (const gchar *[]) { "results", pki->eid, NULL }, &out, &err), ==, 0);
	g_assert_nonnull (strstr (out, "euiccPackageResult"));
	g_assert_nonnull (strstr (out, "seq=60"));
	g_assert_nonnull (strstr (out, "signature=valid acknowledged=yes"));
	g_assert_nonnull (strstr (out, "| enable=ok"));
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);
	g_assert_cmpint (run_tool (control, (const gchar *[]) { "list", pki->eid, NULL }, &out, &err), ==, 0);
	g_assert_nonnull (strstr (out, "queued: 0\nsent 1 euiccPackageRequest via=getEimPackage"));
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);
	g_assert_cmpint (run_tool (control, (const gchar *[]) { "status", NULL }, &out, &err), ==, 0);
	g_assert_nonnull (strstr (out, "requests 2\n"));
	test_package_clear (&package);
	g_clear_object (&f.http);

	g_subprocess_send_signal (eim, SIGTERM);
	g_assert_true (g_subprocess_wait (eim, NULL, &error));
	g_assert_true (g_subprocess_get_if_exited (eim));
	g_assert_cmpint (g_subprocess_get_exit_status (eim), ==, 0);
	g_assert_false (g_file_test (control, G_FILE_TEST_EXISTS));
	g_remove (ready);
	g_remove (config_path);
	g_remove (ca_path);
	g_rmdir (dir);
}

int
main (int argc, char **argv)
{
	int ret;

	g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
	g_test_init (&argc, &argv, NULL);
	g_test_add ("/servers/eim/relay/asn1", Fixture, NULL, fixture_setup, test_relay_asn1, fixture_teardown);
	g_test_add ("/servers/eim/relay/json", Fixture, NULL, fixture_setup, test_relay_json, fixture_teardown);
	g_test_add ("/servers/eim/relay/forward-notification", Fixture, NULL, fixture_setup, test_forward_notification,
	            fixture_teardown);
	g_test_add ("/servers/eim/push/asn1", Fixture, GINT_TO_POINTER (ESIM_TEST_EIM_BINDING_ASN1), fixture_setup,
	            test_push, fixture_teardown);
	g_test_add ("/servers/eim/push/json", Fixture, GINT_TO_POINTER (ESIM_TEST_EIM_BINDING_JSON), fixture_setup,
	            test_push, fixture_teardown);
	g_test_add ("/servers/eim/faults/http", Fixture, NULL, fixture_setup, test_faults_http, fixture_teardown);
	g_test_add ("/servers/eim/faults/packages", Fixture, NULL, fixture_setup, test_faults_packages,
	            fixture_teardown);
	g_test_add ("/servers/eim/faults/results", Fixture, NULL, fixture_setup, test_faults_results, fixture_teardown);
	g_test_add ("/servers/eim/counters", Fixture, NULL, fixture_setup, test_counters, fixture_teardown);
	g_test_add ("/servers/eim/tls-resumption", Fixture, NULL, fixture_setup, test_resumption, fixture_teardown);
	g_test_add_func ("/servers/eim/tool", test_tool);
	ret = g_test_run ();
	test_pki_cleanup ();
	return ret;
}
