/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The test eIM, suite 'servers': its DER against the golden vectors
 * (shared/reference/vectors.md), then the eIM over real HTTPS with the IPA
 * side's HTTP client (src/net/esim-http.h) and IPA requests built here with
 * the DER writer: every package kind with its signature checked through
 * src/crypto, results and acknowledgements, both bindings, HTTP refusals.
 */

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "esim-ecdsa.h"
#include "esim-test-eim-private.h"
#include "esim-util.h"
#include "test-eim-util.h"

#define ICCID_V4 "8988308650122898710"      /* V4's 98 88 03 68 05 21 82 89 17 F0 */
#define ICCID_2  "89049032000000000012"

static void
assert_bytes (GBytes *bytes, const gchar *hex)
{
	g_autofree gchar *got = esim_hex_encode_bytes (bytes);

	g_assert_cmpstr (got, ==, hex);
}

static void
assert_prefix (GBytes *bytes, const gchar *hex)
{
	g_autofree gchar *got = esim_hex_encode_bytes (bytes);

	if (!g_str_has_prefix (got, hex))
		g_error ("%s does not start with %s", got, hex);
}

/* ------------------------------------------------------------------------ */
/* vectors */

/* V4: the euiccPackageSigned of a real eIM's enable PSMO, accepted by a real card. */
static void
test_vector_v4 (void)
{
	g_autoptr(EsimTestEimPackage) package = esim_test_eim_package_new_psmos ();
	g_autoptr(GBytes) eid = test_hex ("89049032000000000000279973200019");
	g_autoptr(GBytes) tid = test_hex ("00000000000003676A9E55E6FF224E0F");
	g_autoptr(GBytes) signed_data = NULL;
	g_autoptr(GBytes) request = NULL;
	g_autoptr(GError) error = NULL;
	guint8 signature[64] = { 0 };

	g_assert_true (esim_test_eim_package_add_enable (package, ICCID_V4, FALSE, &error));
	signed_data = eim_build_euicc_package_signed ("g-eim.com.br", eid, 5, tid, package);
	assert_bytes (signed_data, "3045800C672D65696D2E636F6D2E62725A1089049032000000000000279973200019810105"
	              "821000000000000003676A9E55E6FF224E0FA00EA30C5A0A988803680521828917F0");
	request = eim_build_euicc_package_request (signed_data, signature, sizeof (signature));
	assert_prefix (request, "BF51818A3045");
}

/* V18: openiotrsp's known answer, no eimTransactionId. */
static void
test_vector_v18 (void)
{
	g_autoptr(EsimTestEimPackage) package = esim_test_eim_package_new_psmos ();
	g_autoptr(GBytes) eid = test_hex ("89010000000000000000000000000001");
	g_autoptr(GBytes) signed_data = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_true (esim_test_eim_package_add_enable (package, "9801012143658709211", FALSE, &error));
	signed_data = eim_build_euicc_package_signed ("testeim1", eid, 1, NULL, package);
	assert_bytes (signed_data, "302F80087465737465696D315A1089010000000000000000000000000001810101"
	              "A00EA30C5A0A891010123456789012F1");
}

/* V20: openiotrsp's package encodings. */
static void
test_vector_v20 (void)
{
	g_autoptr(EsimTestEimPackage) trigger = esim_test_eim_package_new_download ("ACT");
	g_autoptr(EsimTestEimPackage) smdp = esim_test_eim_package_new_download_default_smdp ();
	gint64 seqs[] = { 1, 2 };
	g_autoptr(EsimTestEimPackage) acks = esim_test_eim_package_new_acknowledgements (seqs, 2);
	g_autoptr(GBytes) tid = test_hex ("0102");
	g_autoptr(GBytes) tid1 = test_hex ("01");
	g_autoptr(GBytes) a = eim_build_unsigned_package (trigger, tid);
	g_autoptr(GBytes) b = eim_build_unsigned_package (smdp, tid1);
	g_autoptr(GBytes) c = eim_build_unsigned_package (acks, NULL);

	assert_bytes (a, "BF540BA005800341435482020102");
	assert_bytes (b, "BF5407A0028100820101");
	assert_bytes (c, "BF5306800101800102");
}

/* V16/V17: the configuration's layout, and A5 { A0 <SPKI contents> }. */
static void
test_vector_config (void)
{
	/* V17's SubjectPublicKeyInfo, as the SPKI the eIM would hold */
	g_autoptr(GBytes) spki = test_hex ("3059301306072A8648CE3D020106082A8648CE3D03010703420004FE584A6F450459574AEC"
	                                   "A195D0299737F74C89BA2D36DF9286EC25D973037A0FBA70D14DF3E1F7D0A305E57B95B731C4"
	                                   "DE218D2D7F9F22113ED5D18C2E3DDF1C");
	EsimTestEimConfigOptions options = { .has_association_token = TRUE, .association_token = -1,
	                                     .no_indirect_download = TRUE };
	g_autoptr(GBytes) config = eim_build_configuration ("eIM2", "127.0.0.1:8000", 1, spki, FALSE, NULL, FALSE,
	                                                    &options);
	g_autofree gchar *hex = esim_hex_encode_bytes (config);

	/* V17 is the same but for our eimSupportedProtocol (87 02 07 80): SGP.32
	 * makes it optional; this eIM states what it serves */
	g_assert_cmpstr (hex, ==, "307D800465494D32810E3132372E302E302E313A383030308301018401FF"
	                 "A55BA059301306072A8648CE3D020106082A8648CE3D03010703420004FE584A6F450459574AEC"
	                 "A195D0299737F74C89BA2D36DF9286EC25D973037A0FBA70D14DF3E1F7D0A305E57B95B731C4"
	                 "DE218D2D7F9F22113ED5D18C2E3DDF1C87020780");
}

/* V5 and V7: real cards' EuiccPackageResults, read as the eIM reads them;
 * V19 (BF51 30 …, no A0) refused ("Conflicts to encode as tests" 1). */
static void
test_vector_results (void)
{
	g_autoptr(GBytes) v5 = test_hex ("BF5172A070302B800C672D65696D2E636F6D2E6272810105821000000000000003676A9E55E6FF"
	                                 "224E0F83010530038301005F3740D352F5CD544466BDBFB1DD126C31D3D81FB4B77FDA6A66988E"
	                                 "C280542CF0CD81675C3F23A4463496268A0FA19D4927097B0167E7A7DBBD5130933040C711D59F");
	g_autoptr(GBytes) v19 = test_hex ("BF5121301F301580087465737465696D3181010183010130038301005F37053003020102");
	g_autoptr(GBytes) v5_short_signature = test_hex ("BF5132A030302B800C672D65696D2E636F6D2E6272810105821000000000"
	                                                 "000003676A9E55E6FF224E0F83010530038301005F3700");
	g_autoptr(GBytes) v5_negative_seq = test_hex ("BF5172A070302B800C672D65696D2E636F6D2E62728101058210000000000000"
	                                              "03676A9E55E6FF224E0F8301FE30038301005F3740D352F5CD544466BDBFB1DD12"
	                                              "6C31D3D81FB4B77FDA6A66988EC280542CF0CD81675C3F23A4463496268A0FA19D"
	                                              "4927097B0167E7A7DBBD5130933040C711D59F");
	g_autoptr(GBytes) v7 = test_hex (
		"BF508201B95A1089044045930000000000002153893210BF518201A2A082019E30820157801065696D2E73796D622D69"
		"6F742E636F6D81010D821084C760645756D9C31BF1A45211C1C5BF83010E30820129BF2D820124A0820120E34D5A0A98"
		"0010325476981032144F10A0000005591010FFFFFFFF89000011009F70010091054B6967656E921F47534D412047656E"
		"6572696320655549434320546573742050726F66696C65950100E3455A0A984405316081036340614F10A00000055910"
		"10FFFFFFFF89000012009F70010091054B6967656E92134B6967656E2D5443412D4A542D5347502E33329501029F6701"
		"FFE3435A0A985376076212944410F54F10A0000005591010FFFFFFFF89000013009F70010091064D656C697461921438"
		"39333536373730323632313439343430313546950102E3435A0A985376076212944420F34F10A0000005591010FFFFFF"
		"FF89000014009F70010191064D656C697461921438393335363737303236323134393434303233469501025F3740C493"
		"A349A3EFC826EE2CEB30B812CE33D87A17D78A93461853DEBEE32CD59F13C77B393EB1D17EFEAFDCE3EAA828F97F8152"
		"984DF6B5CAF407E8238CF19D3904");
	g_autoptr(GError) error = NULL;
	EimResultInfo info;
	EimRequest request;
	gsize len;
	const guint8 *data;

	g_assert_true (eim_parse_package_result (v5, FALSE, &info, &error));
	g_assert_no_error (error);
	g_assert_cmpint (info.kind, ==, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT);
	g_assert_cmpstr (info.eim_id, ==, "g-eim.com.br");
	g_assert_cmpint (info.counter, ==, 5);
	g_assert_cmpint (info.seq_number, ==, 5);
	g_assert_cmpstr (info.summary, ==, "enable=ok");
	g_assert_cmpuint (info.signature_len, ==, 64);
	/* the signed part is the inner 30, as the card sent it */
	g_assert_cmphex (info.signed_raw[0], ==, 0x30);
	g_assert_cmpuint (info.signed_len, ==, 0x2D);
	eim_result_info_clear (&info);

	g_assert_false (eim_parse_package_result (v19, FALSE, &info, &error));
	g_assert_error (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_MALFORMED);
	g_clear_error (&error);
	eim_result_info_clear (&info);
	/* found by fuzz-test-eim: a signature that is not r‖s, a negative seqNumber */
	g_assert_false (eim_parse_package_result (v5_short_signature, FALSE, &info, &error));
	g_assert_error (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_MALFORMED);
	g_clear_error (&error);
	eim_result_info_clear (&info);
	g_assert_false (eim_parse_package_result (v5_negative_seq, FALSE, &info, &error));
	g_assert_error (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_MALFORMED);
	g_clear_error (&error);
	eim_result_info_clear (&info);

	data = g_bytes_get_data (v7, &len);
	g_assert_true (eim_request_parse_asn1 (data, len, &request, &error));
	g_assert_no_error (error);
	g_assert_cmpint (request.function, ==, ESIM_TEST_EIM_FUNCTION_PROVIDE_EIM_PACKAGE_RESULT);
	assert_bytes (request.eid, "89044045930000000000002153893210");
	g_assert_true (eim_parse_package_result (request.eim_package_result, FALSE, &info, &error));
	g_assert_no_error (error);
	g_assert_cmpstr (info.eim_id, ==, "eim.symb-iot.com");
	g_assert_cmpint (info.counter, ==, 13);
	g_assert_cmpint (info.seq_number, ==, 14);
	g_assert_true (g_str_has_prefix (info.summary, "listProfileInfo=4 profiles ("));
	g_assert_nonnull (strstr (info.summary, "8935677026214944023 enabled"));
	eim_result_info_clear (&info);
	eim_request_clear (&request);
}

/* V8 (JSON binding, a real compact notification) and V14 (a real failed-install
 * ProfileInstallationResult in a notificationsList). */
static void
test_vector_notifications (void)
{
	static const gchar v8[] = "{\"pendingNotification\":\"oYGMWhCJBEBFkwAAAAAAACFTiTIQvy80gAETgQIEEAwfc20tdjQtMDcyL"
	                          "WFnLWd0bS5wci5nby1lc2ltLmNvbVoKmFN2B2ISlEQQ9V83QLWYaXd4B0vzcPryuzVZyrjzyBmEYGMC"
	                          "Z/zbcXBcwL096JLcyx/adYW9C+q7ZvY7r5i9h8lFDC3ljLHfdQnTd1Q=\"}";
	g_autoptr(GBytes) v14 = test_hex (
		"BF378198BF27528010E0F1356728A44720B219A3B70C9DF57EBF2F2E800102810207800C1974657374736D6470706C757331"
		"2E6578616D706C652E636F6D5A0A989444999999990930F1060388370AA208A1068001028101095F37407FA95E72677338"
		"D953EE62395D7BCDC365BF217DFE6DAF315A98503F9DEF97103EAFBA7EDB5E16621BA14061354A75390FF0E8332B26AC31"
		"C8E2C9FAA6C07358");
	g_autoptr(GError) error = NULL;
	g_autofree gchar *address = NULL;
	g_autofree gchar *summary = NULL;
	EimRequest request;
	gint64 seq, seq_number_unused;

	g_assert_true (eim_request_parse_json ("handleNotification", (const guint8 *) v8, strlen (v8), &request,
	                                       &error));
	g_assert_no_error (error);
	g_assert_true (eim_parse_notification (request.pending_notification, &seq, &address, &summary, &error));
	g_assert_no_error (error);
	g_assert_cmpint (seq, ==, 19);
	g_assert_cmpstr (address, ==, "sm-v4-072-ag-gtm.pr.go-esim.com");
	g_assert_cmpstr (summary, ==, "compactOtherSignedNotification delete seq=19");
	eim_request_clear (&request);
	g_clear_pointer (&address, g_free);
	g_clear_pointer (&summary, g_free);
	g_assert_true (eim_parse_notification (v14, &seq, &address, &summary, &error));
	g_assert_no_error (error);
	g_assert_cmpint (seq, ==, 2);
	g_assert_cmpstr (address, ==, "testsmdpplus1.example.com");
	g_assert_cmpstr (summary, ==, "profileInstallationResult error seq=2");
	/* found by fuzz-test-eim: seqNumber FE (-2) in V14 is no sequence number */
	{
		g_autoptr(GBytes) negative = NULL;
		g_autofree gchar *hex = esim_hex_encode_bytes (v14);
		gchar *at = strstr (hex, "BF2F2E800102");

		at[10] = 'F';
		at[11] = 'E';
		negative = test_hex (hex);
		g_assert_false (eim_parse_notification (negative, &seq_number_unused, NULL, NULL, &error));
		g_assert_error (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_MALFORMED);
		g_clear_error (&error);
	}
}

/* The CancelSession re-wrap, both ways (digest §3.2: BF41 { 80 tid, A1
 * <contents of the eUICC's BF41> }, e.g. BF41 09 80 02 0102 A1 03 81 01 05). */
static void
test_vector_cancel_session (void)
{
	g_autoptr(GBytes) body = test_hex ("BF410980020102A103810105");
	g_autoptr(GError) error = NULL;
	EimRequest request;
	gsize len;
	const guint8 *data;

	data = g_bytes_get_data (body, &len);
	g_assert_true (eim_request_parse_asn1 (data, len, &request, &error));
	g_assert_no_error (error);
	assert_bytes (request.transaction_id, "0102");
	assert_bytes (request.euicc_response, "BF4103810105");
	eim_request_clear (&request);
}

/* ------------------------------------------------------------------------ */
/* the configuration */

static void
test_configuration (Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) config = esim_test_eim_build_configuration (f->eim, NULL, &error);
	g_autoptr(GBytes) initial = esim_test_eim_build_add_initial_eim (f->eim, NULL, &error);
	g_autoptr(GBytes) spki_config = NULL;
	g_autoptr(GBytes) ca = NULL;
	g_autofree gchar *id = NULL;
	g_autofree gchar *fqdn = NULL;
	EsimTestEimConfigOptions spki = { .tls_trust = ESIM_TEST_EIM_TLS_TRUST_SPKI,
	                                  .protocols = ESIM_TEST_EIM_PROTOCOL_RETRIEVE_HTTPS |
	                                               ESIM_TEST_EIM_PROTOCOL_INJECT_HTTPS };
	EsimTlv top, field, choice, list;
	gint64 counter;

	g_assert_no_error (error);
	g_assert_true (esim_tlv_parse_tagged (g_bytes_get_data (config, NULL), g_bytes_get_size (config), 0x30, &top,
	                                      NULL));
	g_assert_true (esim_tlv_find (&top, 0x80, &field, NULL));
	id = esim_tlv_dup_utf8 (&field, NULL);
	g_assert_cmpstr (id, ==, ESIM_TEST_EIM_DEFAULT_ID);
	g_assert_true (esim_tlv_find (&top, 0x81, &field, NULL));
	fqdn = esim_tlv_dup_utf8 (&field, NULL);
	g_assert_cmpstr (fqdn, ==, esim_test_eim_get_fqdn (f->eim));
	g_assert_true (esim_tlv_find (&top, 0x83, &field, NULL));
	g_assert_true (esim_tlv_get_int (&field, &counter, NULL));
	g_assert_cmpint (counter, ==, 0);
	g_assert_false (esim_tlv_find (&top, 0x84, &field, NULL));
	/* trustedPublicKeyDataTls [6] { trustedCertificateTls [1] <the CA's contents> } */
	g_assert_true (esim_tlv_find (&top, 0xA6, &field, NULL));
	g_assert_true (esim_tlv_parse_exact (field.value, field.len, &choice, NULL));
	g_assert_cmphex (choice.tag, ==, 0xA1);
	ca = eim_retag (esim_tlv_dup_raw (&choice), 0x30);
	g_assert_true (g_bytes_equal (ca, esim_test_eim_get_tls_ca_der (f->eim)));
	/* eimSupportedProtocol: eimRetrieveHttps(0) only; indirectProfileDownload */
	g_assert_true (esim_tlv_find (&top, 0x87, &field, NULL));
	g_assert_cmpuint (field.len, ==, 2);
	g_assert_cmphex (field.value[0], ==, 0x07);
	g_assert_cmphex (field.value[1], ==, 0x80);
	g_assert_true (esim_tlv_find (&top, 0x89, &field, NULL));
	g_assert_cmpuint (field.len, ==, 0);
	/* AddInitialEimRequest BF57 { A0 { 30 … } } (V16) */
	g_assert_true (esim_tlv_parse_tagged (g_bytes_get_data (initial, NULL), g_bytes_get_size (initial), 0xBF57,
	                                      &top, NULL));
	g_assert_true (esim_tlv_parse_exact (top.value, top.len, &list, NULL));
	g_assert_cmphex (list.tag, ==, 0xA0);
	g_assert_cmpmem (list.value, list.len, g_bytes_get_data (config, NULL), g_bytes_get_size (config));
	/* the TLS key itself, and inject announced */
	spki_config = esim_test_eim_build_configuration (f->eim, &spki, &error);
	g_assert_true (esim_tlv_parse_tagged (g_bytes_get_data (spki_config, NULL), g_bytes_get_size (spki_config),
	                                      0x30, &top, NULL));
	g_assert_true (esim_tlv_find (&top, 0xA6, &field, NULL));
	g_assert_true (esim_tlv_parse_exact (field.value, field.len, &choice, NULL));
	g_assert_cmphex (choice.tag, ==, 0xA0);
	g_assert_true (esim_tlv_find (&top, 0x87, &field, NULL));
	g_assert_cmphex (field.value[0], ==, 0x05);
	g_assert_cmphex (field.value[1], ==, 0xA0);
}

/* Two eIMs on one credentials directory are the same eIM to an IPA. */
static void
test_credentials_dir (void)
{
	g_autofree gchar *dir = g_dir_make_tmp ("esim-test-eim-cred-XXXXXX", NULL);
	EsimTestEimOptions options = { .credentials_dir = dir };
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimTestEim) first = esim_test_eim_new (&options, &error);
	g_autoptr(EsimTestEim) second = NULL;
	const gchar *files[] = { "eim-tls-ca.pem", "eim-tls-ca-key.pem", "eim-tls.pem", "eim-tls-key.pem",
	                         "eim-signing-key.pem" };

	g_assert_no_error (error);
	second = esim_test_eim_new (&options, &error);
	g_assert_no_error (error);
	g_assert_true (g_bytes_equal (esim_test_eim_get_tls_ca_der (first), esim_test_eim_get_tls_ca_der (second)));
	g_assert_true (g_bytes_equal (esim_test_eim_get_signing_spki (first), esim_test_eim_get_signing_spki (second)));
	for (guint i = 0; i < G_N_ELEMENTS (files); i++) {
		g_autofree gchar *path = g_build_filename (dir, files[i], NULL);

		g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
		g_remove (path);
	}
	g_rmdir (dir);
}


/* Own credential files: a TLS chain, its key, the CA an IPA is to trust, a
 * signing key (here the test PKI's DPtls set, its CI, and a P-256 key). */
static void
test_own_credentials (void)
{
	const TestPki *pki = test_pki_get ();
	g_autofree gchar *cert = g_build_filename (pki->dir, "DPtls", "CERT_S_SM_DP_TLS_NIST.pem", NULL);
	g_autofree gchar *key = g_build_filename (pki->dir, "DPtls", "SK_S_SM_DP_TLS_NIST.pem", NULL);
	g_autofree gchar *signing = g_build_filename (pki->dir, "eUICC", "SK_EUICC_ECDSA_NIST.pem", NULL);
	EsimTestEimOptions options = { .host = "localhost", .tls_cert_file = cert, .tls_key_file = key,
	                               .tls_ca_file = pki->ci_pem, .signing_key_file = signing };
	EsimTestEimOptions missing = { .tls_cert_file = cert };
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) config = NULL;
	g_autoptr(GBytes) tlv = NULL;
	g_autoptr(GBytes) input = NULL;
	g_autoptr(EsimTestEimPackage) package = esim_test_eim_package_new_psmos ();
	Fixture f = { .pki = pki };
	TestPackage sent;
	EsimTlv top, field, choice;
	gint64 code;

	g_assert_null (esim_test_eim_new (&missing, &error));
	g_assert_error (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_INVALID);
	g_clear_error (&error);
	f.eim = esim_test_eim_new (&options, &error);
	g_assert_no_error (error);
	g_assert_true (g_str_has_prefix (esim_test_eim_get_fqdn (f.eim), "localhost:"));
	/* trustedCertificateTls is the CA given */
	config = esim_test_eim_build_configuration (f.eim, NULL, &error);
	g_assert_true (esim_tlv_parse_tagged (g_bytes_get_data (config, NULL), g_bytes_get_size (config), 0x30, &top,
	                                      NULL));
	g_assert_true (esim_tlv_find (&top, 0xA6, &field, NULL));
	g_assert_true (esim_tlv_parse_exact (field.value, field.len, &choice, NULL));
	g_assert_cmpmem (choice.value, choice.len, (const guint8 *) g_bytes_get_data (esim_cert_get_der (pki->ci), NULL) + 4,
	                 g_bytes_get_size (esim_cert_get_der (pki->ci)) - 4);
	/* an IPA trusting that CA reaches it under its host name */
	f.eim_trust = g_tls_file_database_new (pki->ci_pem, &error);
	g_assert_no_error (error);
	f.http = esim_http_client_new (esim_test_eim_get_fqdn (f.eim), "eIM", f.eim_trust, &error);
	g_assert_no_error (error);
	esim_test_eim_package_add_get_rat (package);
	esim_test_eim_queue (f.eim, pki->eid, g_steal_pointer (&package));
	tlv = test_get_package (&f, ESIM_TEST_EIM_BINDING_ASN1, pki->eid, &code);
	test_package_parse (tlv, &sent);
	/* signed with the key given: the eUICC certificate of the PKI holds its public half */
	input = eim_build_signature_input (sent.signed_data, FALSE, 0);
	g_assert_true (esim_cert_verify_signature (pki->euicc, g_bytes_get_data (input, NULL), g_bytes_get_size (input),
	                                           g_bytes_get_data (sent.signature, NULL), 64, &error));
	g_assert_no_error (error);
	test_package_clear (&sent);
	fixture_teardown (&f, NULL);
}

/* ------------------------------------------------------------------------ */
/* packages over HTTPS */

static void
assert_signature (Fixture *f, const TestPackage *package, gboolean has_token, gint64 token, gboolean valid)
{
	g_autoptr(GBytes) config = esim_test_eim_build_configuration (f->eim, NULL, NULL);
	g_autoptr(GBytes) input = eim_build_signature_input (package->signed_data, has_token, token);
	g_autoptr(GError) error = NULL;
	gnutls_pubkey_t key = test_config_signing_key (config);
	gboolean ok;

	/* eimSignature: r‖s over DER(EuiccPackageSigned) ‖ 84 L token (digest §3.5),
	 * checked with the key the configuration gives an IPA */
	ok = esim_ecdsa_verify (key, g_bytes_get_data (input, NULL), g_bytes_get_size (input),
	                        g_bytes_get_data (package->signature, NULL), g_bytes_get_size (package->signature),
	                        &error);
	gnutls_pubkey_deinit (key);
	if (valid)
		g_assert_no_error (error);
	g_assert_true (ok == valid);
}

static void
test_psmos (Fixture *f, gconstpointer data)
{
	EsimTestEimBinding binding = GPOINTER_TO_INT (data);
	g_autoptr(EsimTestEimPackage) package = esim_test_eim_package_new_psmos ();
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) tlv = NULL;
	g_autoptr(GBytes) eid = test_eid_bytes (f->pki->eid);
	g_autoptr(GPtrArray) deliveries = NULL;
	static const gchar *const expected[] = {
		"A30E5A0A988803680521828917F00500",            /* enable + rollbackFlag (universal NULL) */
		"A40C5A0A98400923000000000021",
		"A50C5A0A988803680521828917F0",
		"BF2D00",
		"A600",
		"A7158000810388370A820C736D64702E6578616D706C65", /* flag, OID 2.999.10, address */
		"A80C5A0A988803680521828917F0",
		"A900",
		"BF650E800C736D64702E6578616D706C65",
	};
	TestPackage sent;
	gint64 code;
	guint id;

	g_assert_true (esim_test_eim_package_add_enable (package, ICCID_V4, TRUE, &error));
	g_assert_true (esim_test_eim_package_add_disable (package, ICCID_2, &error));
	g_assert_true (esim_test_eim_package_add_delete (package, ICCID_V4, &error));
	esim_test_eim_package_add_list_profile_info (package, NULL);
	esim_test_eim_package_add_get_rat (package);
	g_assert_true (esim_test_eim_package_add_configure_immediate_enable (package, TRUE, "2.999.10",
	                                                                     "smdp.example", &error));
	g_assert_true (esim_test_eim_package_add_set_fallback (package, ICCID_V4, &error));
	esim_test_eim_package_add_unset_fallback (package);
	esim_test_eim_package_add_set_default_dp (package, "smdp.example");
	g_assert_no_error (error);
	g_assert_false (esim_test_eim_package_add_enable (package, "12345", FALSE, &error));
	g_assert_error (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_INVALID);
	g_clear_error (&error);
	id = esim_test_eim_queue (f->eim, f->pki->eid, g_steal_pointer (&package));
	g_assert_cmpuint (esim_test_eim_get_queue_length (f->eim, f->pki->eid), ==, 1);

	tlv = test_get_package (f, binding, f->pki->eid, &code);
	g_assert_nonnull (tlv);
	test_package_parse (tlv, &sent);
	g_assert_cmpstr (sent.eim_id, ==, ESIM_TEST_EIM_DEFAULT_ID);
	g_assert_true (g_bytes_equal (sent.eid, eid));
	g_assert_cmpint (sent.counter, ==, 1);
	g_assert_cmpuint (g_bytes_get_size (sent.transaction_id), ==, 16);
	g_assert_cmphex (sent.list_tag, ==, 0xA0);
	g_assert_cmpuint (sent.operations->len, ==, G_N_ELEMENTS (expected));
	for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
		assert_bytes (g_ptr_array_index (sent.operations, i), expected[i]);
	assert_signature (f, &sent, FALSE, 0, TRUE);
	assert_signature (f, &sent, TRUE, 1, FALSE);
	test_package_clear (&sent);

	/* what the eIM says it sent is what came */
	deliveries = esim_test_eim_get_deliveries (f->eim, f->pki->eid);
	g_assert_cmpuint (deliveries->len, ==, 1);
	g_assert_cmpuint (((EsimTestEimDelivery *) deliveries->pdata[0])->id, ==, id);
	g_assert_true (g_bytes_equal (((EsimTestEimDelivery *) deliveries->pdata[0])->tlv, tlv));
	g_clear_pointer (&tlv, g_bytes_unref);

	/* the queue is empty: noEimPackageAvailable (1) */
	tlv = test_get_package (f, binding, f->pki->eid, &code);
	g_assert_null (tlv);
	g_assert_cmpint (code, ==, 1);
}

static void
test_ecos_and_token (Fixture *f, gconstpointer data)
{
	g_autoptr(EsimTestEimPackage) ecos = esim_test_eim_package_new_ecos ();
	g_autoptr(EsimTestEimPackage) second = esim_test_eim_package_new_psmos ();
	g_autoptr(GBytes) v17 = test_hex ("3079800465494D32810E3132372E302E302E313A383030308301018401FFA55BA05930130607"
	                                  "2A8648CE3D020106082A8648CE3D03010703420004FE584A6F450459574AECA195D0299737F7"
	                                  "4C89BA2D36DF9286EC25D973037A0FBA70D14DF3E1F7D0A305E57B95B731C4DE218D2D7F9F22"
	                                  "113ED5D18C2E3DDF1C");
	g_autoptr(GBytes) not_config = test_hex ("0401FF");
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) tlv = NULL;
	g_autofree gchar *first_op = NULL;
	TestPackage sent;
	gint64 code;

	g_assert_true (esim_test_eim_package_add_add_eim (ecos, v17, &error));
	esim_test_eim_package_add_delete_eim (ecos, "eIM2");
	g_assert_true (esim_test_eim_package_add_update_eim (ecos, v17, &error));
	esim_test_eim_package_add_list_eim (ecos);
	g_assert_false (esim_test_eim_package_add_add_eim (ecos, not_config, &error));
	g_clear_error (&error);
	esim_test_eim_queue (f->eim, f->pki->eid, g_steal_pointer (&ecos));
	esim_test_eim_package_add_get_rat (second);
	esim_test_eim_queue (f->eim, f->pki->eid, g_steal_pointer (&second));
	g_assert_true (esim_test_eim_set_association_token (f->eim, f->pki->eid, TRUE, 7, &error));

	tlv = test_get_package (f, ESIM_TEST_EIM_BINDING_ASN1, f->pki->eid, &code);
	test_package_parse (tlv, &sent);
	g_assert_cmphex (sent.list_tag, ==, 0xA1);
	g_assert_cmpuint (sent.operations->len, ==, 4);
	/* addEim [8] EimConfigurationData: V17 with its 30 turned into A8 */
	first_op = esim_hex_encode_bytes (g_ptr_array_index (sent.operations, 0));
	g_assert_true (g_str_has_prefix (first_op, "A879800465494D32"));
	assert_bytes (g_ptr_array_index (sent.operations, 1), "A906800465494D32");
	g_assert_cmphex (((const guint8 *) g_bytes_get_data (g_ptr_array_index (sent.operations, 2), NULL))[0], ==,
	                 0xAA);
	assert_bytes (g_ptr_array_index (sent.operations, 3), "AB00");
	/* with an associationToken both sides sign ‖ 84 01 07 */
	assert_signature (f, &sent, TRUE, 7, TRUE);
	assert_signature (f, &sent, FALSE, 0, FALSE);
	g_assert_cmpint (sent.counter, ==, 1);
	test_package_clear (&sent);
	g_clear_pointer (&tlv, g_bytes_unref);
	/* the counter goes up by one per package */
	tlv = test_get_package (f, ESIM_TEST_EIM_BINDING_JSON, f->pki->eid, &code);
	test_package_parse (tlv, &sent);
	g_assert_cmpint (sent.counter, ==, 2);
	g_assert_cmpint (esim_test_eim_get_counter (f->eim, f->pki->eid), ==, 2);
	test_package_clear (&sent);
}

static void
test_data_and_download (Fixture *f, gconstpointer data)
{
	EsimTestEimBinding binding = GPOINTER_TO_INT (data);
	static const guint8 tags[] = { 0xBF, 0x20, 0xA6, 0xA5, 0x84 };
	g_autoptr(EsimTestEimPackage) request = esim_test_eim_package_new_data_request (tags, sizeof (tags));
	g_autoptr(GBytes) tid = test_hex ("0A0B0C");
	g_autoptr(GBytes) tlv = NULL;
	gint64 code;

	esim_test_eim_package_set_transaction_id (request, tid);
	esim_test_eim_package_set_notification_seq (request, 3);
	esim_test_eim_queue (f->eim, f->pki->eid, g_steal_pointer (&request));
	esim_test_eim_queue (f->eim, f->pki->eid, esim_test_eim_package_new_download ("1$smdp.example$ABC"));
	esim_test_eim_queue (f->eim, f->pki->eid, esim_test_eim_package_new_download_smds (NULL));
	/* IpaEuiccDataRequest BF52 { 5C tags, A1 { 80 03 }, 83 tid } */
	tlv = test_get_package (f, binding, f->pki->eid, &code);
	assert_bytes (tlv, "BF52115C05BF20A6A584A10380010383030A0B0C");
	g_clear_pointer (&tlv, g_bytes_unref);
	/* ProfileDownloadTriggerRequest BF54 { A0 { 80 AC }, 82 tid(16) } */
	tlv = test_get_package (f, binding, f->pki->eid, &code);
	assert_prefix (tlv, "BF5428A01480123124736D64702E6578616D706C65244142438210");
	g_clear_pointer (&tlv, g_bytes_unref);
	tlv = test_get_package (f, binding, f->pki->eid, &code);
	assert_prefix (tlv, "BF5416A002A2008210");
}

static void
test_eid_errors (Fixture *f, gconstpointer data)
{
	g_autoptr(GBytes) short_eid = test_hex ("8904903200");
	g_autoptr(GBytes) hex_eid = test_hex ("8904903200000000000000000000000A");
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GError) error = NULL;
	gint64 code;
	guint status;

	/* eidNotFound (2), for an EID nobody gave this eIM; invalidEid (3);
	 * missingEid (4): BF4F 03 02 01 0N (digest §3.2 wire tags) */
	g_assert_null (test_get_package (f, ESIM_TEST_EIM_BINDING_ASN1, "89049032000000000000000000000999", &code));
	g_assert_cmpint (code, ==, 2);
	g_assert_null (test_get_package (f, ESIM_TEST_EIM_BINDING_JSON, "89049032000000000000000000000999", &code));
	g_assert_cmpint (code, ==, 2);
	body = test_get_eim_package (short_eid);
	answer = test_post (f, ESIM_TEST_EIM_BINDING_ASN1, NULL, body, &status, &error);
	assert_bytes (answer, "BF4F03020103");
	g_clear_pointer (&body, g_bytes_unref);
	g_clear_pointer (&answer, g_bytes_unref);
	body = test_get_eim_package (hex_eid);
	answer = test_post (f, ESIM_TEST_EIM_BINDING_ASN1, NULL, body, &status, &error);
	assert_bytes (answer, "BF4F03020103");
	g_clear_pointer (&body, g_bytes_unref);
	g_clear_pointer (&answer, g_bytes_unref);
	body = test_get_eim_package (NULL);
	answer = test_post (f, ESIM_TEST_EIM_BINDING_ASN1, NULL, body, &status, &error);
	assert_bytes (answer, "BF4F03020104");
	g_clear_pointer (&answer, g_bytes_unref);
	answer = test_post_json (f, "getEimPackage", "{}", &status, &error);
	g_assert_nonnull (strstr (g_bytes_get_data (answer, NULL), "\"eimPackageError\":4"));
}

/* ------------------------------------------------------------------------ */
/* results and acknowledgements */

static GBytes *
deliver_enable (Fixture *f, TestPackage *sent)
{
	g_autoptr(EsimTestEimPackage) package = esim_test_eim_package_new_psmos ();
	g_autoptr(GBytes) tlv = NULL;
	gint64 code;

	g_assert_true (esim_test_eim_package_add_enable (package, ICCID_V4, FALSE, NULL));
	esim_test_eim_queue (f->eim, f->pki->eid, g_steal_pointer (&package));
	tlv = test_get_package (f, ESIM_TEST_EIM_BINDING_ASN1, f->pki->eid, &code);
	test_package_parse (tlv, sent);
	return g_steal_pointer (&tlv);
}

static GBytes *
provide (Fixture *f, GBytes *result, gboolean with_eid)
{
	g_autoptr(GBytes) eid = test_eid_bytes (f->pki->eid);
	g_autoptr(GBytes) body = test_provide (with_eid ? eid : NULL, result);
	g_autoptr(GError) error = NULL;
	guint status = 0;
	GBytes *answer = test_post (f, ESIM_TEST_EIM_BINDING_ASN1, NULL, body, &status, &error);

	g_assert_no_error (error);
	g_assert_cmpuint (status, ==, 200);
	return answer;
}

static const EsimTestEimRecord *
last_record (Fixture *f)
{
	g_autoptr(GPtrArray) records = esim_test_eim_get_records (f->eim, NULL);

	g_assert_cmpuint (records->len, >, 0);
	return g_ptr_array_index (records, records->len - 1);
}

static void
test_results (Fixture *f, gconstpointer data)
{
	g_autoptr(GBytes) ok = test_hex ("830100");   /* enableResult ok */
	g_autoptr(GBytes) package = NULL;
	g_autoptr(GBytes) epr = NULL;
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GArray) acks = NULL;
	const EsimTestEimRecord *record;
	g_autoptr(GError) error = NULL;
	TestPackage sent;

	package = deliver_enable (f, &sent);
	g_assert_true (esim_test_eim_set_euicc_certificate (f->eim, f->pki->eid, f->pki->euicc, &error));
	/* ProvideEimPackageResult → eimAcknowledgements BF53 { 80 07 } */
	epr = test_make_epr (f->pki, ESIM_TEST_EIM_DEFAULT_ID, sent.counter, sent.transaction_id, 7, ok, FALSE, 0);
	answer = provide (f, epr, TRUE);
	assert_bytes (answer, "BF5006BF5303800107");
	record = last_record (f);
	g_assert_cmpint (record->kind, ==, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT);
	g_assert_cmpint (record->signature, ==, ESIM_TEST_EIM_SIGNATURE_VALID);
	g_assert_cmpint (record->seq_number, ==, 7);
	g_assert_cmpint (record->counter, ==, sent.counter);
	g_assert_cmpstr (record->eid, ==, f->pki->eid);
	g_assert_cmpstr (record->summary, ==, "enable=ok");
	g_assert_null (record->problems);
	g_assert_true (record->acknowledged);
	g_assert_false (record->duplicate);
	g_assert_true (g_bytes_equal (record->tlv, epr));
	g_clear_pointer (&answer, g_bytes_unref);

	/* the same again (the ack was lost): a duplicate, acknowledged again;
	 * without eidValue the connection tells the EID */
	answer = provide (f, epr, FALSE);
	assert_bytes (answer, "BF5006BF5303800107");
	g_assert_true (last_record (f)->duplicate);
	g_clear_pointer (&answer, g_bytes_unref);
	g_clear_pointer (&epr, g_bytes_unref);

	/* a counter that is not the package's, an eimId not ours (not acknowledged) */
	epr = test_make_epr (f->pki, ESIM_TEST_EIM_DEFAULT_ID, sent.counter + 3, sent.transaction_id, 8, ok, FALSE, 0);
	answer = provide (f, epr, TRUE);
	g_assert_nonnull (strstr (last_record (f)->problems, "counterValue"));
	g_clear_pointer (&answer, g_bytes_unref);
	g_clear_pointer (&epr, g_bytes_unref);
	epr = test_make_epr (f->pki, "another-eim", sent.counter, sent.transaction_id, 9, ok, FALSE, 0);
	answer = provide (f, epr, TRUE);
	assert_bytes (answer, "BF50023000");
	g_assert_nonnull (strstr (last_record (f)->problems, "not this eIM's"));
	g_assert_false (last_record (f)->acknowledged);
	g_clear_pointer (&answer, g_bytes_unref);
	g_clear_pointer (&epr, g_bytes_unref);

	/* signed with a token the eIM does not know: the signature fails, emptyResponse */
	epr = test_make_epr (f->pki, ESIM_TEST_EIM_DEFAULT_ID, sent.counter, sent.transaction_id, 10, ok, TRUE, 3);
	answer = provide (f, epr, TRUE);
	assert_bytes (answer, "BF50023000");
	g_assert_cmpint (last_record (f)->signature, ==, ESIM_TEST_EIM_SIGNATURE_INVALID);
	g_clear_pointer (&answer, g_bytes_unref);
	/* …and verifies once it does */
	g_assert_true (esim_test_eim_set_association_token (f->eim, f->pki->eid, TRUE, 3, &error));
	answer = provide (f, epr, TRUE);
	assert_bytes (answer, "BF5006BF530380010A");
	g_assert_cmpint (last_record (f)->signature, ==, ESIM_TEST_EIM_SIGNATURE_VALID);

	acks = esim_test_eim_get_acknowledged (f->eim, f->pki->eid);
	g_assert_cmpuint (acks->len, ==, 4);   /* 7, 7, 8, 10 */
	g_assert_cmpint (g_array_index (acks, gint64, 3), ==, 10);
	test_package_clear (&sent);
}

/* ePRAndNotifications, the JSON binding, HandleNotification both ways. */
static void
test_notifications (Fixture *f, gconstpointer data)
{
	g_autoptr(GBytes) ok = test_hex ("830100");
	g_autoptr(GBytes) package = NULL;
	g_autoptr(GBytes) epr = NULL;
	g_autoptr(GBytes) notification = test_make_notification (f->pki, 21, "smdp.example");
	g_autoptr(GBytes) bundle = NULL;
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *json = NULL;
	g_autofree gchar *base64 = NULL;
	EsimDerWriter *writer;
	TestPackage sent;
	guint status = 0;

	esim_test_eim_set_forward_notifications (f->eim, FALSE);
	package = deliver_enable (f, &sent);
	/* unverified: no eUICC certificate known yet, still accepted */
	epr = test_make_epr (f->pki, ESIM_TEST_EIM_DEFAULT_ID, sent.counter, sent.transaction_id, 20, ok, FALSE, 0);
	writer = esim_der_writer_new ();
	esim_der_writer_begin (writer, 0x30);
	esim_der_writer_put_raw (writer, g_bytes_get_data (epr, NULL), g_bytes_get_size (epr));
	esim_der_writer_begin (writer, 0xA0);
	esim_der_writer_put_raw (writer, g_bytes_get_data (notification, NULL), g_bytes_get_size (notification));
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	bundle = test_finish (writer);
	/* JSON: eimPackageResult = base64 of the EimPackageResult; the answer's
	 * eimAcknowledgements = base64 of BF53 { 80 20, 80 21 } */
	base64 = g_base64_encode (g_bytes_get_data (bundle, NULL), g_bytes_get_size (bundle));
	json = g_strdup_printf ("{\"eidValue\":\"%s\",\"eimPackageResult\":\"%s\"}", f->pki->eid, base64);
	answer = test_post_json (f, "provideEimPackageResult", json, &status, &error);
	g_assert_no_error (error);
	g_assert_nonnull (strstr (g_bytes_get_data (answer, NULL), "\"eimAcknowledgements\":\"v1MGgAEUgAEV\""));
	g_assert_cmpint (last_record (f)->kind, ==, ESIM_TEST_EIM_RECORD_NOTIFICATION);
	g_assert_cmpint (last_record (f)->seq_number, ==, 21);
	g_clear_pointer (&answer, g_bytes_unref);

	/* HandleNotification: 200 and nothing (onomondo-eim) in ASN.1 … */
	g_clear_pointer (&notification, g_bytes_unref);
	notification = test_make_notification (f->pki, 22, "smdp.example");
	body = test_handle_notification (notification);
	answer = test_post (f, ESIM_TEST_EIM_BINDING_ASN1, NULL, body, &status, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (status, ==, 200);
	g_assert_cmpuint (g_bytes_get_size (answer), ==, 0);
	g_assert_cmpint (last_record (f)->seq_number, ==, 22);
	g_assert_cmpint (last_record (f)->via, ==, ESIM_TEST_EIM_FUNCTION_HANDLE_NOTIFICATION);
	g_assert_cmpstr (last_record (f)->eid, ==, f->pki->eid);
	g_clear_pointer (&answer, g_bytes_unref);
	/* … 204 (openiotrsp, SGP.22 §6.3) in JSON */
	g_clear_pointer (&json, g_free);
	g_clear_pointer (&base64, g_free);
	g_clear_pointer (&notification, g_bytes_unref);
	notification = test_make_notification (f->pki, 23, "smdp.example");
	base64 = g_base64_encode (g_bytes_get_data (notification, NULL), g_bytes_get_size (notification));
	json = g_strdup_printf ("{\"pendingNotification\":\"%s\"}", base64);
	answer = test_post_json (f, "handleNotification", json, &status, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (status, ==, 204);
	g_assert_cmpint (last_record (f)->seq_number, ==, 23);
	g_clear_pointer (&answer, g_bytes_unref);
	/* the other forms an IPA must take: 204 in ASN.1, a header-only JSON body */
	esim_test_eim_set_empty_answer (f->eim, ESIM_TEST_EIM_BINDING_ASN1, 204);
	esim_test_eim_set_empty_answer (f->eim, ESIM_TEST_EIM_BINDING_JSON, 200);
	answer = test_post (f, ESIM_TEST_EIM_BINDING_ASN1, NULL, body, &status, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (status, ==, 204);
	g_clear_pointer (&answer, g_bytes_unref);
	answer = test_post_json (f, "handleNotification", json, &status, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (status, ==, 200);
	g_assert_nonnull (strstr (g_bytes_get_data (answer, NULL), "Executed-Success"));
	test_package_clear (&sent);
}

/* An IpaEuiccDataResponse teaches the eIM the eUICC certificate (checked up
 * to the CI) and the association token; the notifications it lists are
 * acknowledged ("Fourth pass"). */
static void
test_data_response (Fixture *f, gconstpointer data)
{
	g_autoptr(GBytes) ok = test_hex ("830100");
	g_autoptr(GBytes) info1 = test_hex ("BF20078203020500A900");
	g_autoptr(GBytes) euicc = eim_retag (esim_cert_get_der (f->pki->euicc), 0xA6);
	g_autoptr(GBytes) eum = eim_retag (esim_cert_get_der (f->pki->eum), 0xA5);
	g_autoptr(GBytes) notification = test_make_notification (f->pki, 30, "smdp.example");
	g_autoptr(GBytes) response = NULL;
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GBytes) epr = NULL;
	g_autoptr(GBytes) package = NULL;
	static const guint8 tags[] = { 0xA0, 0xBF, 0x20, 0x84, 0xA5, 0xA6 };
	EsimDerWriter *writer = esim_der_writer_new ();
	g_autoptr(GPtrArray) deliveries = NULL;
	TestPackage sent;
	gint64 code;

	esim_test_eim_set_forward_notifications (f->eim, FALSE);
	esim_test_eim_queue (f->eim, f->pki->eid, esim_test_eim_package_new_data_request (tags, sizeof (tags)));
	package = test_get_package (f, ESIM_TEST_EIM_BINDING_ASN1, f->pki->eid, &code);
	deliveries = esim_test_eim_get_deliveries (f->eim, f->pki->eid);
	/* IpaEuiccDataResponse BF52 { A0 { A0 { notifications }, BF20, 84 token, A5 eum, A6 euicc, 87 tid } } */
	esim_der_writer_begin (writer, 0xBF52);
	esim_der_writer_begin (writer, 0xA0);
	esim_der_writer_begin (writer, 0xA0);
	esim_der_writer_put_raw (writer, g_bytes_get_data (notification, NULL), g_bytes_get_size (notification));
	esim_der_writer_end (writer);
	esim_der_writer_put_raw (writer, g_bytes_get_data (info1, NULL), g_bytes_get_size (info1));
	esim_der_writer_put_int (writer, 0x84, 5);
	esim_der_writer_put_raw (writer, g_bytes_get_data (eum, NULL), g_bytes_get_size (eum));
	esim_der_writer_put_raw (writer, g_bytes_get_data (euicc, NULL), g_bytes_get_size (euicc));
	esim_der_writer_put_bytes (writer, 0x87, ((EsimTestEimDelivery *) deliveries->pdata[0])->eim_transaction_id);
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	response = test_finish (writer);
	answer = provide (f, response, TRUE);
	assert_bytes (answer, "BF5006BF530380011E");
	g_assert_nonnull (esim_test_eim_get_euicc_certificate (f->eim, f->pki->eid));
	{
		g_autoptr(GPtrArray) records = esim_test_eim_get_records (f->eim, f->pki->eid);
		const EsimTestEimRecord *data_record = g_ptr_array_index (records, 0);

		g_assert_cmpint (data_record->kind, ==, ESIM_TEST_EIM_RECORD_IPA_EUICC_DATA);
		g_assert_cmpuint (data_record->package_id, ==, ((EsimTestEimDelivery *) deliveries->pdata[0])->id);
		g_assert_null (data_record->problems);
	}
	g_clear_pointer (&answer, g_bytes_unref);
	g_clear_pointer (&package, g_bytes_unref);
	/* now a result signed with token 5 verifies */
	package = deliver_enable (f, &sent);
	epr = test_make_epr (f->pki, ESIM_TEST_EIM_DEFAULT_ID, sent.counter, sent.transaction_id, 31, ok, TRUE, 5);
	answer = provide (f, epr, TRUE);
	assert_bytes (answer, "BF5006BF530380011F");
	g_assert_cmpint (last_record (f)->signature, ==, ESIM_TEST_EIM_SIGNATURE_VALID);
	test_package_clear (&sent);
}

static void
test_provide_errors (Fixture *f, gconstpointer data)
{
	g_autoptr(GBytes) result = test_hex ("A0030201" "7F");   /* eimPackageResultResponseError */
	g_autoptr(GBytes) other = test_eid_bytes ("89049032000000000000000000000999");
	g_autoptr(GBytes) body = test_provide (other, result);
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GBytes) no_eid = NULL;
	g_autoptr(GError) error = NULL;
	guint status;

	/* provideEimPackageResultError eidNotFound (2): BF50 { 02 01 02 } */
	answer = test_post (f, ESIM_TEST_EIM_BINDING_ASN1, NULL, body, &status, &error);
	assert_bytes (answer, "BF5003020102");
	g_clear_pointer (&answer, g_bytes_unref);
	/* no eidValue and nothing to tell it on a fresh connection: missingEid (4) */
	no_eid = test_provide (NULL, result);
	answer = test_post (f, ESIM_TEST_EIM_BINDING_ASN1, NULL, no_eid, &status, &error);
	assert_bytes (answer, "BF5003020104");
	g_clear_pointer (&answer, g_bytes_unref);
	/* JSON: a Failed header and the code */
	answer = test_post_json (f, "provideEimPackageResult",
	                         "{\"eidValue\":\"89049032000000000000000000000999\",\"eimPackageResult\":\"oAMCAX8=\"}",
	                         &status, &error);
	g_assert_nonnull (strstr (g_bytes_get_data (answer, NULL), "\"status\":\"Failed\""));
	g_assert_nonnull (strstr (g_bytes_get_data (answer, NULL), "\"provideEimPackageResultError\":2"));
}

/* ------------------------------------------------------------------------ */
/* HTTP refusals (onomondo-eim esipa_middleware.erl, esipa_asn1_http_handler.erl) */

static guint
post_raw (Fixture *f, const gchar *method, const gchar *path, const gchar *content_type, const gchar *admin,
          const gchar *body)
{
	g_autoptr(SoupSession) session = soup_session_new_with_options ("tls-database", f->eim_trust, NULL);
	g_autofree gchar *url = g_strdup_printf ("https://%s%s", esim_test_eim_get_fqdn (f->eim), path);
	g_autoptr(SoupMessage) msg = soup_message_new (method, url);
	g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GBytes) answer = NULL;

	if (admin != NULL)
		soup_message_headers_replace (soup_message_get_request_headers (msg), "X-Admin-Protocol", admin);
	if (content_type != NULL)
		soup_message_set_request_body_from_bytes (msg, content_type, bytes);
	soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, test_store_result, &res);
	test_wait (&res, 20, "an HTTP answer");
	answer = soup_session_send_and_read_finish (session, res, NULL);
	return soup_message_get_status (msg);
}

static void
test_http_refusals (Fixture *f, gconstpointer data)
{
	const gchar *asn1 = ESIM_TEST_EIM_ASN1_PATH;
	const gchar *type = ESIM_TEST_EIM_ASN1_CONTENT_TYPE;

	g_assert_cmpuint (post_raw (f, "POST", asn1, type, "gsma/rsp/v2.5.0", "\xBF\x4F\x00"), ==, 400);
	g_assert_cmpuint (post_raw (f, "POST", asn1, type, NULL, "\xBF\x4F\x00"), ==, 400);
	g_assert_cmpuint (post_raw (f, "POST", asn1, "application/json", "gsma/rsp/v2.1.0", "{}"), ==, 415);
	g_assert_cmpuint (post_raw (f, "GET", asn1, NULL, "gsma/rsp/v2.1.0", ""), ==, 405);
	g_assert_cmpuint (post_raw (f, "POST", "/elsewhere", type, "gsma/rsp/v2.1.0", "x"), ==, 404);
	g_assert_cmpuint (post_raw (f, "POST", "/gsma/rsp2/esipa/nothing", "application/json", "gsma/rsp/v2.1.0", "{}"),
	                  ==, 404);
	/* not DER, a v1.0-style HandleNotification, an unknown message */
	g_assert_cmpuint (post_raw (f, "POST", asn1, type, "gsma/rsp/v2.1.0", "\xBF\x4F\x05\x5A"), ==, 400);
	g_assert_cmpuint (post_raw (f, "POST", asn1, type, "gsma/rsp/v2.1.0", "\xBF\x3D\x02\x30\x00"), ==, 400);
	g_assert_cmpuint (post_raw (f, "POST", asn1, type, "gsma/rsp/v2.1.0", "\xBF\x4E\x02\x05\x00"), ==, 400);
	/* JSON: not base64, not the tag the member has, not an object */
	g_assert_cmpuint (post_raw (f, "POST", "/gsma/rsp2/esipa/provideEimPackageResult", "application/json",
	                            "gsma/rsp/v2.1.0", "{\"eimPackageResult\":\"!!\"}"), ==, 400);
	g_assert_cmpuint (post_raw (f, "POST", "/gsma/rsp2/esipa/provideEimPackageResult", "application/json",
	                            "gsma/rsp/v2.1.0", "{\"eimPackageResult\":\"BAA=\"}"), ==, 400);
	g_assert_cmpuint (post_raw (f, "POST", "/gsma/rsp2/esipa/getEimPackage", "application/json",
	                            "gsma/rsp/v2.1.0", "[[[[[[[[[[[[[[[[[[[[[[[["), ==, 400);
	/* and after all that, a good request still works */
	g_assert_cmpuint (post_raw (f, "POST", "/gsma/rsp2/esipa/getEimPackage", "application/json",
	                            "gsma/rsp/v2.1.0", "{}"), ==, 200);
}

int
main (int argc, char **argv)
{
	int ret;

	g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/servers/eim/vectors/v4", test_vector_v4);
	g_test_add_func ("/servers/eim/vectors/v18", test_vector_v18);
	g_test_add_func ("/servers/eim/vectors/v20", test_vector_v20);
	g_test_add_func ("/servers/eim/vectors/configuration", test_vector_config);
	g_test_add_func ("/servers/eim/vectors/results", test_vector_results);
	g_test_add_func ("/servers/eim/vectors/notifications", test_vector_notifications);
	g_test_add_func ("/servers/eim/vectors/cancel-session", test_vector_cancel_session);
	g_test_add_func ("/servers/eim/credentials-dir", test_credentials_dir);
	g_test_add_func ("/servers/eim/own-credentials", test_own_credentials);
	g_test_add ("/servers/eim/configuration", Fixture, NULL, fixture_setup, test_configuration, fixture_teardown);
	g_test_add ("/servers/eim/psmos/asn1", Fixture, GINT_TO_POINTER (ESIM_TEST_EIM_BINDING_ASN1), fixture_setup,
	            test_psmos, fixture_teardown);
	g_test_add ("/servers/eim/psmos/json", Fixture, GINT_TO_POINTER (ESIM_TEST_EIM_BINDING_JSON), fixture_setup,
	            test_psmos, fixture_teardown);
	g_test_add ("/servers/eim/ecos-and-token", Fixture, NULL, fixture_setup, test_ecos_and_token,
	            fixture_teardown);
	g_test_add ("/servers/eim/data-and-download/asn1", Fixture, GINT_TO_POINTER (ESIM_TEST_EIM_BINDING_ASN1),
	            fixture_setup, test_data_and_download, fixture_teardown);
	g_test_add ("/servers/eim/data-and-download/json", Fixture, GINT_TO_POINTER (ESIM_TEST_EIM_BINDING_JSON),
	            fixture_setup, test_data_and_download, fixture_teardown);
	g_test_add ("/servers/eim/eid-errors", Fixture, NULL, fixture_setup, test_eid_errors, fixture_teardown);
	g_test_add ("/servers/eim/results", Fixture, NULL, fixture_setup, test_results, fixture_teardown);
	g_test_add ("/servers/eim/notifications", Fixture, NULL, fixture_setup, test_notifications, fixture_teardown);
	g_test_add ("/servers/eim/data-response", Fixture, NULL, fixture_setup, test_data_response, fixture_teardown);
	g_test_add ("/servers/eim/provide-errors", Fixture, NULL, fixture_setup, test_provide_errors,
	            fixture_teardown);
	g_test_add ("/servers/eim/http-refusals", Fixture, NULL, fixture_setup, test_http_refusals, fixture_teardown);
	ret = g_test_run ();
	test_pki_cleanup ();
	return ret;
}
