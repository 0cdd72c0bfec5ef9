/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The test SM-DP+'s ES9+ functions against card messages built here: the
 * eUICC's side (euiccSigned1, euiccSigned2, installation results, cancel
 * answers) signed with the eUICC key of the test PKI, the one-time key and the
 * session keys computed with libesim-crypto.  Requests go through
 * esim_test_smdp_handle() (the HTTPS handler's entry point, without HTTP);
 * the answers are read with json-glib here, not with the client's parsers.
 */

#include <glib/gstdio.h>
#include <gnutls/crypto.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "esim-bpp.h"
#include "esim-bsp.h"
#include "esim-cert.h"
#include "esim-crypto.h"
#include "esim-der.h"
#include "esim-ecdsa.h"
#include "esim-ecka.h"
#include "esim-tags.h"
#include "esim-test-pki.h"
#include "esim-test-smdp.h"
#include "esim-util.h"

#define HOST "smdp.test"

static gchar *pki_dir;
static EsimCert *euicc_cert, *eum_cert, *ci_cert, *dp_auth_cert, *dp_pb_cert, *foreign_ci;
static gnutls_privkey_t euicc_key;
static gchar *eid;

static EsimCert *
load_cert (const gchar *name)
{
	g_autofree gchar *path = g_build_filename (pki_dir, name, NULL);
	g_autoptr(GError) error = NULL;
	EsimCert *cert = esim_cert_new_from_file (path, &error);

	g_assert_no_error (error);
	return cert;
}

static void
pki_setup (void)
{
	EsimTestPkiOptions options = { .smdp_host = HOST, .expired = TRUE, .foreign_ci = TRUE };
	g_autofree gchar *key_path = NULL;
	g_autoptr(GError) error = NULL;

	pki_dir = g_dir_make_tmp ("test-smdp-XXXXXX", &error);
	g_assert_no_error (error);
	g_assert_true (esim_test_pki_write (pki_dir, &options, &eid, &error));
	euicc_cert = load_cert ("eUICC/CERT_EUICC_ECDSA_NIST.der");
	eum_cert = load_cert ("EUM/CERT_EUM_ECDSA_NIST.der");
	ci_cert = load_cert ("CertificateIssuer/CERT_CI_ECDSA_NIST.der");
	dp_auth_cert = load_cert ("DPauth/CERT_S_SM_DPauth_ECDSA_NIST.der");
	dp_pb_cert = load_cert ("DPpb/CERT_S_SM_DPpb_ECDSA_NIST.der");
	foreign_ci = load_cert ("ForeignCI/CertificateIssuer/CERT_CI_ECDSA_NIST.der");
	key_path = g_build_filename (pki_dir, "eUICC", "SK_EUICC_ECDSA_NIST.pem", NULL);
	euicc_key = esim_ecdsa_privkey_new_from_file (key_path, &error);
	g_assert_no_error (error);
}

static void
rm_rf (const gchar *path)
{
	g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
	const gchar *name;

	while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
		g_autofree gchar *child = g_build_filename (path, name, NULL);

		if (g_file_test (child, G_FILE_TEST_IS_DIR))
			rm_rf (child);
		else
			g_unlink (child);
	}
	g_rmdir (path);
}

/* ---- the server and its answers --------------------------------------------------------------- */

typedef struct {
	EsimTestSmdp *smdp;
	JsonParser   *parser;
	JsonObject   *answer;
	guint         status;
	/* the eUICC's side of one session */
	gchar        *transaction_id;
	guint8        tid[16];
	guint8        challenge[16];
	GBytes       *server_signed1;
	guint8        euicc_signature1[64];
	guint8        smdp_signature2[64];
	EsimEckaKey  *ot_key;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOptions options = { .pki_dir = pki_dir, .host = HOST };
	g_autoptr(GError) error = NULL;

	f->smdp = esim_test_smdp_new (&options, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (esim_test_smdp_get_address (f->smdp), ==, HOST);
	f->parser = json_parser_new ();
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
	g_clear_object (&f->smdp);
	g_clear_object (&f->parser);
	g_free (f->transaction_id);
	g_clear_pointer (&f->server_signed1, g_bytes_unref);
	g_clear_pointer (&f->ot_key, esim_ecka_key_free);
}

/* Posts @body (printf-style) to @function; the answer is kept in f->answer. */
static void G_GNUC_PRINTF (3, 4)
post (Fixture *f, const gchar *function, const gchar *format, ...)
{
	g_autofree gchar *body = NULL;
	g_autofree gchar *answer = NULL;
	g_autoptr(GError) error = NULL;
	va_list args;

	va_start (args, format);
	body = g_strdup_vprintf (format, args);
	va_end (args);
	f->answer = NULL;
	f->status = esim_test_smdp_handle (f->smdp, function, body, strlen (body), &answer);
	if (answer == NULL)
		return;
	g_assert_true (json_parser_load_from_data (f->parser, answer, -1, &error));
	g_assert_no_error (error);
	f->answer = json_node_get_object (json_parser_get_root (f->parser));
}

static const gchar *
answer_string (Fixture *f, const gchar *name)
{
	g_assert_nonnull (f->answer);
	g_assert_true (json_object_has_member (f->answer, name));
	return json_object_get_string_member (f->answer, name);
}

static GBytes *
answer_tlv (Fixture *f, const gchar *name)
{
	gsize len = 0;
	guchar *data = g_base64_decode (answer_string (f, name), &len);
	EsimTlv tlv;

	g_assert_true (esim_tlv_parse_exact (data, len, &tlv, NULL));
	return g_bytes_new_take (data, len);
}

static void
assert_success (Fixture *f)
{
	JsonObject *status;

	g_assert_cmpuint (f->status, ==, 200);
	status = json_object_get_object_member (json_object_get_object_member (f->answer, "header"),
	                                        "functionExecutionStatus");
	g_assert_cmpstr (json_object_get_string_member (status, "status"), ==, "Executed-Success");
}

static void
assert_failed (Fixture *f, const gchar *subject, const gchar *reason)
{
	JsonObject *status, *codes;

	g_assert_cmpuint (f->status, ==, 200);
	g_assert_nonnull (f->answer);
	status = json_object_get_object_member (json_object_get_object_member (f->answer, "header"),
	                                        "functionExecutionStatus");
	g_assert_cmpstr (json_object_get_string_member (status, "status"), ==, "Failed");
	codes = json_object_get_object_member (status, "statusCodeData");
	g_assert_cmpstr (json_object_get_string_member (codes, "subjectCode"), ==, subject);
	g_assert_cmpstr (json_object_get_string_member (codes, "reasonCode"), ==, reason);
}

static gchar *
b64 (GBytes *bytes)
{
	return g_base64_encode (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static void
sign (const guint8 *data, gsize len, guint8 out[64])
{
	g_autoptr(GError) error = NULL;

	g_assert_true (esim_ecdsa_sign (euicc_key, data, len, out, &error));
}

/* ---- the eUICC's messages --------------------------------------------------------------------- */

/* EUICCInfo1 ::= [32] { svn [2], euiccCiPKIdListForVerification [9], …ForSigning [10] } */
static gchar *
euicc_info1 (EsimCert *verification, EsimCert *signing)
{
	g_autoptr(EsimDerWriter) w = esim_der_writer_new ();
	static const guint8 svn[] = { 2, 5, 0 };
	g_autoptr(GBytes) info = NULL;

	esim_der_writer_begin (w, 0xBF20);
	esim_der_writer_put (w, 0x82, svn, sizeof (svn));
	esim_der_writer_begin (w, 0xA9);
	esim_der_writer_put_bytes (w, 0x04, esim_cert_get_subject_key_id (verification));
	esim_der_writer_end (w);
	esim_der_writer_begin (w, 0xAA);
	esim_der_writer_put_bytes (w, 0x04, esim_cert_get_subject_key_id (signing));
	esim_der_writer_end (w);
	esim_der_writer_end (w);
	info = esim_der_writer_finish (w);
	return b64 (info);
}

static void
initiate_with (Fixture *f, const gchar *address, EsimCert *verification, EsimCert *signing)
{
	g_autofree gchar *info = euicc_info1 (verification, signing);
	g_autofree gchar *challenge = NULL;

	gnutls_rnd (GNUTLS_RND_NONCE, f->challenge, sizeof (f->challenge));
	challenge = g_base64_encode (f->challenge, sizeof (f->challenge));
	post (f, "initiateAuthentication",
	      "{\"euiccChallenge\":\"%s\",\"euiccInfo1\":\"%s\",\"smdpAddress\":\"%s\"}", challenge, info, address);
}

/* initiateAuthentication answered: ServerSigned1 checked byte for byte, its signature
 * with the DPauth certificate, the CI it names. */
static void
initiate (Fixture *f)
{
	g_autoptr(GBytes) signed1 = NULL;
	g_autoptr(GBytes) signature = NULL;
	g_autoptr(GBytes) pkid = NULL;
	g_autoptr(GBytes) certificate = NULL;
	g_autoptr(EsimCert) server_cert = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *expected = NULL;
	g_autofree gchar *hex = NULL;
	g_autofree gchar *challenge_hex = NULL;
	EsimTlv tlv;

	initiate_with (f, HOST, ci_cert, ci_cert);
	challenge_hex = esim_hex_encode (f->challenge, 16);
	assert_success (f);
	g_free (f->transaction_id);
	f->transaction_id = g_strdup (answer_string (f, "transactionId"));
	g_assert_cmpuint (strlen (f->transaction_id), ==, 32);
	{
		g_autoptr(GBytes) tid = esim_hex_decode (f->transaction_id, NULL);
		memcpy (f->tid, g_bytes_get_data (tid, NULL), 16);
	}
	signed1 = answer_tlv (f, "serverSigned1");
	/* 30 { 80 transactionId, 81 euiccChallenge, 83 serverAddress, 84 serverChallenge } */
	hex = esim_hex_encode_bytes (signed1);
	expected = g_strdup_printf ("30418010%s8110%s8309736D64702E746573748410", f->transaction_id, challenge_hex);
	if (!g_str_has_prefix (hex, expected))
		g_error ("serverSigned1 %s, expected %s...", hex, expected);
	signature = answer_tlv (f, "serverSignature1");
	g_assert_true (esim_tlv_parse_tagged (g_bytes_get_data (signature, NULL), g_bytes_get_size (signature),
	                                      0x5F37, &tlv, NULL));
	certificate = answer_tlv (f, "serverCertificate");
	server_cert = esim_cert_new_from_der (g_bytes_get_data (certificate, NULL), g_bytes_get_size (certificate),
	                                      &error);
	g_assert_no_error (error);
	g_assert_true (g_bytes_equal (certificate, esim_cert_get_der (dp_auth_cert)));
	g_assert_true (esim_cert_verify_signature (server_cert, g_bytes_get_data (signed1, NULL),
	                                           g_bytes_get_size (signed1), tlv.value, tlv.len, &error));
	g_assert_no_error (error);
	pkid = answer_tlv (f, "euiccCiPKIdToBeUsed");
	g_assert_cmpmem ((const guint8 *) g_bytes_get_data (pkid, NULL) + 2, g_bytes_get_size (pkid) - 2,
	                 g_bytes_get_data (esim_cert_get_subject_key_id (ci_cert), NULL), 20);
	g_clear_pointer (&f->server_signed1, g_bytes_unref);
	f->server_signed1 = g_steal_pointer (&signed1);
}

typedef struct {
	const gchar *matching_id;   /* NULL: left out */
	gboolean     bad_signature;
	gboolean     wrong_challenge;
	EsimCert    *euicc;         /* NULL: the PKI's */
	EsimCert    *eum;
	gnutls_privkey_t key;
} ClientOptions;

/* AuthenticateServerResponse: BF38 { A0 { EuiccSigned1 { 80, 83, 84, BF22, A0 ctxParams1 },
 *   5F37, euiccCertificate, eumCertificate } } answering the session's serverSigned1. */
static void
authenticate_with (Fixture *f, const ClientOptions *o)
{
	static const guint8 info2[] = { 0xBF, 0x22, 0x03, 0x81, 0x01, 0x00 };
	static const guint8 tac[] = { 0x35, 0x29, 0x06, 0x11 };
	g_autoptr(EsimDerWriter) sw = esim_der_writer_new ();
	g_autoptr(EsimDerWriter) w = esim_der_writer_new ();
	g_autoptr(GBytes) signed1 = NULL;
	g_autoptr(GBytes) response = NULL;
	g_autofree gchar *text = NULL;
	EsimCert *euicc = o != NULL && o->euicc != NULL ? o->euicc : euicc_cert;
	EsimCert *eum = o != NULL && o->eum != NULL ? o->eum : eum_cert;
	EsimTlv server_signed1, server_challenge;
	guint8 challenge[16];

	g_assert_true (esim_tlv_parse_exact (g_bytes_get_data (f->server_signed1, NULL),
	                                     g_bytes_get_size (f->server_signed1), &server_signed1, NULL));
	g_assert_true (esim_tlv_find (&server_signed1, 0x84, &server_challenge, NULL));
	memcpy (challenge, server_challenge.value, 16);
	if (o != NULL && o->wrong_challenge)
		challenge[0] ^= 1;
	esim_der_writer_begin (sw, 0x30);
	esim_der_writer_put (sw, 0x80, f->tid, 16);
	esim_der_writer_put_utf8 (sw, 0x83, HOST);
	esim_der_writer_put (sw, 0x84, challenge, 16);
	esim_der_writer_put_raw (sw, info2, sizeof (info2));
	esim_der_writer_begin (sw, 0xA0);
	if (o != NULL && o->matching_id != NULL)
		esim_der_writer_put_utf8 (sw, 0x80, o->matching_id);
	esim_der_writer_begin (sw, 0xA1);
	esim_der_writer_put (sw, 0x80, tac, sizeof (tac));
	esim_der_writer_begin (sw, 0xA1);
	esim_der_writer_end (sw);
	esim_der_writer_end (sw);
	esim_der_writer_end (sw);
	esim_der_writer_end (sw);
	signed1 = esim_der_writer_finish (sw);
	{
		g_autoptr(GError) error = NULL;
		gnutls_privkey_t key = o != NULL && o->key != NULL ? o->key : euicc_key;
		g_assert_true (esim_ecdsa_sign (key, g_bytes_get_data (signed1, NULL), g_bytes_get_size (signed1),
		                                f->euicc_signature1, &error));
	}
	if (o != NULL && o->bad_signature)
		f->euicc_signature1[5] ^= 0x10;
	esim_der_writer_begin (w, 0xBF38);
	esim_der_writer_begin (w, 0xA0);
	esim_der_writer_put_raw (w, g_bytes_get_data (signed1, NULL), g_bytes_get_size (signed1));
	esim_der_writer_put (w, 0x5F37, f->euicc_signature1, 64);
	esim_der_writer_put_raw (w, g_bytes_get_data (esim_cert_get_der (euicc), NULL),
	                         g_bytes_get_size (esim_cert_get_der (euicc)));
	esim_der_writer_put_raw (w, g_bytes_get_data (esim_cert_get_der (eum), NULL),
	                         g_bytes_get_size (esim_cert_get_der (eum)));
	esim_der_writer_end (w);
	esim_der_writer_end (w);
	response = esim_der_writer_finish (w);
	text = b64 (response);
	post (f, "authenticateClient", "{\"transactionId\":\"%s\",\"authenticateServerResponse\":\"%s\"}",
	      f->transaction_id, text);
}

/* authenticateClient answered: SmdpSigned2 byte for byte, smdpSignature2 with DPpb over
 * smdpSigned2 ‖ 5F37 40 euiccSignature1, the metadata of the order. */
static GBytes *
check_authenticate_ok (Fixture *f, gboolean cc_required)
{
	g_autoptr(GBytes) signed2 = NULL;
	g_autoptr(GBytes) signature = NULL;
	g_autoptr(GBytes) certificate = NULL;
	g_autoptr(EsimDerWriter) w = esim_der_writer_new ();
	g_autoptr(GBytes) tbs = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *hex = NULL;
	g_autofree gchar *expected = NULL;
	EsimTlv sig;

	assert_success (f);
	g_assert_cmpstr (answer_string (f, "transactionId"), ==, f->transaction_id);
	signed2 = answer_tlv (f, "smdpSigned2");
	hex = esim_hex_encode_bytes (signed2);
	/* SmdpSigned2 ::= SEQUENCE { transactionId [0], ccRequiredFlag BOOLEAN } */
	expected = g_strdup_printf ("30158010%s0101%s", f->transaction_id, cc_required ? "FF" : "00");
	g_assert_cmpstr (hex, ==, expected);
	signature = answer_tlv (f, "smdpSignature2");
	g_assert_true (esim_tlv_parse_tagged (g_bytes_get_data (signature, NULL), g_bytes_get_size (signature),
	                                      0x5F37, &sig, NULL));
	memcpy (f->smdp_signature2, sig.value, 64);
	certificate = answer_tlv (f, "smdpCertificate");
	g_assert_true (g_bytes_equal (certificate, esim_cert_get_der (dp_pb_cert)));
	esim_der_writer_put_raw (w, g_bytes_get_data (signed2, NULL), g_bytes_get_size (signed2));
	esim_der_writer_put (w, 0x5F37, f->euicc_signature1, 64);
	tbs = esim_der_writer_finish (w);
	g_assert_true (esim_cert_verify_signature (dp_pb_cert, g_bytes_get_data (tbs, NULL), g_bytes_get_size (tbs),
	                                           sig.value, sig.len, &error));
	g_assert_no_error (error);
	return answer_tlv (f, "profileMetadata");
}

/* hashCc = SHA-256(SHA-256(code) ‖ transactionId) (SGP.22 §3.1.3.1, lpac es10b.c) */
static void
hash_cc (const gchar *code, const guint8 tid[16], guint8 out[32])
{
	guint8 buf[48];

	gnutls_hash_fast (GNUTLS_DIG_SHA256, code, strlen (code), buf);
	memcpy (buf + 32, tid, 16);
	gnutls_hash_fast (GNUTLS_DIG_SHA256, buf, sizeof (buf), out);
}

/* PrepareDownloadResponse: BF21 { A0 { EUICCSigned2 { 80, 5F49, 04 hashCc OPT }, 5F37 } } */
static void
get_package_with (Fixture *f, const gchar *code)
{
	g_autoptr(EsimDerWriter) sw = esim_der_writer_new ();
	g_autoptr(EsimDerWriter) tw = esim_der_writer_new ();
	g_autoptr(EsimDerWriter) w = esim_der_writer_new ();
	g_autoptr(GBytes) signed2 = NULL;
	g_autoptr(GBytes) tbs = NULL;
	g_autoptr(GBytes) response = NULL;
	g_autofree gchar *text = NULL;
	g_autoptr(GError) error = NULL;
	guint8 signature[64];

	g_clear_pointer (&f->ot_key, esim_ecka_key_free);
	f->ot_key = esim_ecka_key_generate (&error);
	g_assert_no_error (error);
	esim_der_writer_begin (sw, 0x30);
	esim_der_writer_put (sw, 0x80, f->tid, 16);
	esim_der_writer_put (sw, 0x5F49, esim_ecka_key_get_public (f->ot_key), 65);
	if (code != NULL) {
		guint8 hash[32];

		hash_cc (code, f->tid, hash);
		esim_der_writer_put (sw, 0x04, hash, sizeof (hash));
	}
	esim_der_writer_end (sw);
	signed2 = esim_der_writer_finish (sw);
	esim_der_writer_put_raw (tw, g_bytes_get_data (signed2, NULL), g_bytes_get_size (signed2));
	esim_der_writer_put (tw, 0x5F37, f->smdp_signature2, 64);
	tbs = esim_der_writer_finish (tw);
	sign (g_bytes_get_data (tbs, NULL), g_bytes_get_size (tbs), signature);
	esim_der_writer_begin (w, 0xBF21);
	esim_der_writer_begin (w, 0xA0);
	esim_der_writer_put_raw (w, g_bytes_get_data (signed2, NULL), g_bytes_get_size (signed2));
	esim_der_writer_put (w, 0x5F37, signature, sizeof (signature));
	esim_der_writer_end (w);
	esim_der_writer_end (w);
	response = esim_der_writer_finish (w);
	text = b64 (response);
	post (f, "getBoundProfilePackage", "{\"transactionId\":\"%s\",\"prepareDownloadResponse\":\"%s\"}",
	      f->transaction_id, text);
}

/* The package as the card opens it: InitialiseSecureChannel verified with DPpb over its
 * signed part ‖ 5F49 otPK.EUICC, the keys from ECKA and the KDF, every element in order. */
static EsimBppPlain *
open_package (Fixture *f, EsimBppCommand *failed_command, GError **error)
{
	g_autoptr(GBytes) bpp = answer_tlv (f, "boundProfilePackage");
	g_autoptr(EsimBppParts) parts = esim_bpp_split (g_bytes_get_data (bpp, NULL), g_bytes_get_size (bpp), error);
	g_autoptr(EsimInitSecureChannel) iscr = NULL;
	g_autoptr(GBytes) signed_data = NULL;
	guint8 secret[32], eid_bytes[16];
	EsimBspKeys keys;

	g_assert_nonnull (parts);
	iscr = esim_init_secure_channel_parse (g_bytes_get_data (parts->init_secure_channel, NULL),
	                                       g_bytes_get_size (parts->init_secure_channel), error);
	g_assert_nonnull (iscr);
	g_assert_cmpmem (g_bytes_get_data (iscr->transaction_id, NULL), g_bytes_get_size (iscr->transaction_id),
	                 f->tid, 16);
	signed_data = esim_init_secure_channel_signed_data (iscr, esim_ecka_key_get_public (f->ot_key));
	g_assert_true (esim_cert_verify_signature (dp_pb_cert, g_bytes_get_data (signed_data, NULL),
	                                           g_bytes_get_size (signed_data), iscr->smdp_signature, 64, error));
	g_assert_true (esim_ecka_shared_secret (f->ot_key, iscr->smdp_otpk, 65, secret, error));
	g_assert_true (esim_eid_to_bytes (eid, eid_bytes, error));
	g_assert_true (esim_bsp_derive_keys (secret, 32, iscr->key_type, iscr->key_length,
	                                     g_bytes_get_data (iscr->host_id, NULL), g_bytes_get_size (iscr->host_id),
	                                     eid_bytes, &keys, error));
	return esim_bpp_open (&keys, g_bytes_get_data (bpp, NULL), g_bytes_get_size (bpp), failed_command, error);
}

/* A whole session up to the package, for @matching_id. */
static EsimBppPlain *
download (Fixture *f, const gchar *matching_id, const gchar *code)
{
	ClientOptions client = { .matching_id = matching_id };
	g_autoptr(GBytes) metadata = NULL;
	g_autoptr(GError) error = NULL;
	EsimBppPlain *plain;

	initiate (f);
	authenticate_with (f, &client);
	metadata = check_authenticate_ok (f, code != NULL);
	get_package_with (f, code);
	assert_success (f);
	plain = open_package (f, NULL, &error);
	g_assert_no_error (error);
	/* the package carries the metadata authenticateClient announced */
	g_assert_true (g_bytes_equal (plain->store_metadata, metadata));
	return plain;
}

/* ProfileInstallationResult signed by the eUICC: BF37 { BF27 { 80 tid, BF2F { 80 seq,
 *   81 install, 0C address, 5A iccid }, 06 smdpOid, A2 { A0 { 4F aid, 04 sima } } }, 5F37 } */
static gchar *
installation_result (Fixture *f, const gchar *iccid, gboolean success, gboolean bad_signature)
{
	static const guint8 oid[] = { 0x88, 0x37, 0x0A };
	static const guint8 aid[16] = { 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x89, 0, 0, 0x12, 0 };
	g_autoptr(EsimDerWriter) dw = esim_der_writer_new ();
	g_autoptr(EsimDerWriter) w = esim_der_writer_new ();
	g_autoptr(GBytes) data = NULL;
	g_autoptr(GBytes) pir = NULL;
	guint8 bcd[10], signature[64];

	g_assert_true (esim_iccid_to_bcd (iccid, bcd, NULL));
	esim_der_writer_begin (dw, 0xBF27);
	esim_der_writer_put (dw, 0x80, f->tid, 16);
	esim_der_writer_begin (dw, 0xBF2F);
	esim_der_writer_put_uint (dw, 0x80, 1);
	esim_der_writer_put_named_bits (dw, 0x81, 1u << 0);
	esim_der_writer_put_utf8 (dw, 0x0C, HOST);
	esim_der_writer_put (dw, 0x5A, bcd, sizeof (bcd));
	esim_der_writer_end (dw);
	esim_der_writer_put (dw, 0x06, oid, sizeof (oid));
	esim_der_writer_begin (dw, 0xA2);
	if (success) {
		esim_der_writer_begin (dw, 0xA0);
		esim_der_writer_put (dw, 0x4F, aid, sizeof (aid));
		esim_der_writer_put (dw, 0x04, (const guint8 *) "\x30\x00", 2);
	} else {
		esim_der_writer_begin (dw, 0xA1);
		esim_der_writer_put_uint (dw, 0x80, 5);
		esim_der_writer_put_uint (dw, 0x81, 8);
	}
	esim_der_writer_end (dw);
	esim_der_writer_end (dw);
	esim_der_writer_end (dw);
	data = esim_der_writer_finish (dw);
	sign (g_bytes_get_data (data, NULL), g_bytes_get_size (data), signature);
	if (bad_signature)
		signature[63] ^= 1;
	esim_der_writer_begin (w, 0xBF37);
	esim_der_writer_put_raw (w, g_bytes_get_data (data, NULL), g_bytes_get_size (data));
	esim_der_writer_put (w, 0x5F37, signature, sizeof (signature));
	esim_der_writer_end (w);
	pir = esim_der_writer_finish (w);
	return b64 (pir);
}

/* ---- tests ------------------------------------------------------------------------------------ */

static void
test_initiate (Fixture *f, gconstpointer data)
{
	initiate (f);
	/* refusals: another address, no CI in common either way */
	initiate_with (f, "other.test", ci_cert, ci_cert);
	assert_failed (f, "8.8.1", "3.8");
	initiate_with (f, HOST, foreign_ci, ci_cert);
	assert_failed (f, "8.8.4", "3.7");
	initiate_with (f, HOST, ci_cert, foreign_ci);
	assert_failed (f, "8.8.2", "3.1");
	/* the address compares without case (pySim osmo-smdpp) */
	initiate_with (f, "SMDP.Test", ci_cert, ci_cert);
	assert_success (f);
	/* malformed requests */
	post (f, "initiateAuthentication", "not json");
	g_assert_cmpuint (f->status, ==, 400);
	post (f, "initiateAuthentication", "{\"euiccChallenge\":\"AAAA\",\"euiccInfo1\":\"vyAA\",\"smdpAddress\":\"%s\"}",
	      HOST);
	g_assert_cmpuint (f->status, ==, 400);
	post (f, "initiateAuthentication", "{\"euiccChallenge\":\"!!!!\",\"euiccInfo1\":\"vyAA\",\"smdpAddress\":1}");
	g_assert_cmpuint (f->status, ==, 400);
	g_assert_cmpuint (esim_test_smdp_get_request_count (f->smdp, "initiateAuthentication"), ==, 8);
}

static void
test_download (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-1", .profile_name = "Lab", .service_provider = "Op",
	                            .profile_size = 3000 };
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimBppPlain) plain = NULL;
	g_autofree gchar *code = NULL;
	g_autofree gchar *pir = NULL;
	g_autofree gchar *iccid_bcd = NULL;
	g_autofree gchar *expected = NULL;
	g_autofree gchar *metadata = NULL;
	const gchar *iccid;
	EsimTestSmdpNotification *record;
	guint8 bcd[10];

	g_assert_true (esim_test_smdp_add_order (f->smdp, &order, &error));
	g_assert_no_error (error);
	code = esim_test_smdp_get_activation_code (f->smdp, "MID-1");
	g_assert_cmpstr (code, ==, "LPA:1$" HOST "$MID-1");
	iccid = esim_test_smdp_get_order_iccid (f->smdp, "MID-1");
	plain = download (f, "MID-1", NULL);
	g_assert_cmpint (esim_test_smdp_get_order_state (f->smdp, "MID-1"), ==, ESIM_TEST_SMDP_ORDER_DOWNLOADED);
	/* StoreMetadataRequest: iccid, 91 "Op", 92 "Lab", 95 operational, B6 { 30 { 80 all events,
	 * 81 the server's address } } */
	g_assert_true (esim_iccid_to_bcd (iccid, bcd, NULL));
	iccid_bcd = esim_hex_encode (bcd, 10);
	metadata = esim_hex_encode_bytes (plain->store_metadata);
	expected = g_strdup_printf ("BF252B" "5A0A%s" "91024F70" "92034C6162" "950102"
	                            "B611300F" "8002 04F0" "8109736D64702E74657374", iccid_bcd);
	{
		g_autofree gchar *compact = g_strdup (expected);
		gchar *out = compact;
		for (const gchar *p = expected; *p != '\0'; p++) {
			if (*p != ' ')
				*out++ = *p;
		}
		*out = '\0';
		g_assert_cmpstr (metadata, ==, compact);
	}
	/* ConfigureISDP { dpProprietaryData { dpOid 2.999.10 } }; no ReplaceSessionKeys */
	g_assert_cmpmem (g_bytes_get_data (plain->configure_isdp, NULL), g_bytes_get_size (plain->configure_isdp),
	                 "\xBF\x24\x07\xB8\x05\x06\x03\x88\x37\x0A", 10);
	g_assert_false (plain->replaced_keys);
	/* the profile: ProfileHeader with the ICCID in digit order, then the rest, then PE-End */
	{
		g_autofree gchar *profile = esim_hex_encode_bytes (plain->profile);
		g_autofree gchar *header_iccid = g_strdup_printf ("830A%sF", iccid);
		g_assert_true (g_str_has_prefix (profile, "A0"));
		g_assert_nonnull (strstr (profile, header_iccid));
		g_assert_true (g_str_has_suffix (profile, "AA05A003810103"));
		g_assert_cmpuint (g_bytes_get_size (plain->profile), >, 3000);
	}

	/* the installation result comes back: recorded, verified, the order installed */
	pir = installation_result (f, iccid, TRUE, FALSE);
	post (f, "handleNotification", "{\"pendingNotification\":\"%s\"}", pir);
	g_assert_cmpuint (f->status, ==, 204);
	g_assert_null (f->answer);
	g_assert_cmpuint (esim_test_smdp_get_notifications (f->smdp)->len, ==, 1);
	record = g_ptr_array_index (esim_test_smdp_get_notifications (f->smdp), 0);
	g_assert_true (record->installation_result);
	g_assert_true (record->verified);
	g_assert_true (record->success);
	g_assert_cmpstr (record->transaction_id, ==, f->transaction_id);
	g_assert_cmpstr (record->iccid, ==, iccid);
	g_assert_cmpstr (record->address, ==, HOST);
	g_assert_cmpuint (record->seq_number, ==, 1);
	g_assert_cmpuint (record->events, ==, 1);
	g_assert_cmpint (esim_test_smdp_get_order_state (f->smdp, "MID-1"), ==, ESIM_TEST_SMDP_ORDER_INSTALLED);
	/* installed: the matching ID is spent */
	initiate (f);
	authenticate_with (f, &(ClientOptions) { .matching_id = "MID-1" });
	assert_failed (f, "8.2.6", "3.8");
}

static void
test_authenticate_refusals (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-2" };
	g_autofree gchar *another_eid = esim_eid_generate ("89049032");
	EsimTestSmdpOrder other_eid = { .matching_id = "MID-EID", .eid = another_eid };
	EsimTestSmdpOrder default_order = { .matching_id = "", .eid = eid };
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimTestPkiCert) lone_ci = NULL;
	g_autoptr(EsimTestPkiCert) lone_eum = NULL;
	g_autoptr(EsimTestPkiCert) lone_euicc = NULL;
	g_autoptr(EsimCert) lone_eum_cert = NULL;
	g_autoptr(EsimCert) lone_euicc_cert = NULL;
	EsimTestPkiCertParams ci_params = { .common_name = "lone CI", .organization = "x" };
	EsimTestPkiCertParams eum_params = { .common_name = "lone EUM", .organization = "x", .eid_prefix = "89049032" };
	EsimTestPkiCertParams euicc_params = { .common_name = "lone eUICC", .organization = "x", .eid = eid };

	g_assert_true (esim_test_smdp_add_order (f->smdp, &order, &error));
	g_assert_true (esim_test_smdp_add_order (f->smdp, &other_eid, &error));
	g_assert_true (esim_test_smdp_add_order (f->smdp, &default_order, &error));
	g_assert_no_error (error);

	/* unknown transaction */
	initiate (f);
	g_free (f->transaction_id);
	f->transaction_id = g_strdup ("00112233445566778899AABBCCDDEEFF");
	authenticate_with (f, &(ClientOptions) { .matching_id = "MID-2" });
	assert_failed (f, "8.10.1", "3.9");
	/* a signature that does not verify, a serverChallenge of another session */
	initiate (f);
	authenticate_with (f, &(ClientOptions) { .matching_id = "MID-2", .bad_signature = TRUE });
	assert_failed (f, "8.1", "6.1");
	initiate (f);
	authenticate_with (f, &(ClientOptions) { .matching_id = "MID-2", .wrong_challenge = TRUE });
	assert_failed (f, "8.1", "6.1");
	/* unknown matching ID, an order for another EID */
	initiate (f);
	authenticate_with (f, &(ClientOptions) { .matching_id = "NOPE" });
	assert_failed (f, "8.2.6", "3.8");
	initiate (f);
	authenticate_with (f, &(ClientOptions) { .matching_id = "MID-EID" });
	assert_failed (f, "8.1.1", "3.8");
	/* an EUM under a CI this SM-DP+ does not know */
	lone_ci = esim_test_pki_cert_new (ESIM_CERT_ROLE_CI, &ci_params, NULL, &error);
	lone_eum = esim_test_pki_cert_new (ESIM_CERT_ROLE_EUM, &eum_params, lone_ci, &error);
	lone_euicc = esim_test_pki_cert_new (ESIM_CERT_ROLE_EUICC, &euicc_params, lone_eum, &error);
	g_assert_no_error (error);
	lone_eum_cert = esim_cert_new_from_der (g_bytes_get_data (esim_test_pki_cert_get_der (lone_eum), NULL),
	                                        g_bytes_get_size (esim_test_pki_cert_get_der (lone_eum)), &error);
	lone_euicc_cert = esim_cert_new_from_der (g_bytes_get_data (esim_test_pki_cert_get_der (lone_euicc), NULL),
	                                          g_bytes_get_size (esim_test_pki_cert_get_der (lone_euicc)), &error);
	initiate (f);
	authenticate_with (f, &(ClientOptions) { .matching_id = "MID-2", .euicc = lone_euicc_cert,
	                                        .eum = lone_eum_cert,
	                                        .key = esim_test_pki_cert_get_key (lone_euicc) });
	assert_failed (f, "8.11.1", "3.9");
	/* an empty matching ID finds the EID's default order */
	initiate (f);
	authenticate_with (f, &(ClientOptions) { .matching_id = NULL });
	(void) check_authenticate_ok (f, FALSE);
}

static void
test_confirmation_code (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-CC", .confirmation_code = "4711", .cc_attempts = 2 };
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimBppPlain) plain = NULL;
	g_autofree gchar *code = NULL;

	g_assert_true (esim_test_smdp_add_order (f->smdp, &order, &error));
	code = esim_test_smdp_get_activation_code (f->smdp, "MID-CC");
	g_assert_cmpstr (code, ==, "LPA:1$" HOST "$MID-CC$$1");
	/* missing, then wrong: one attempt used */
	initiate (f);
	authenticate_with (f, &(ClientOptions) { .matching_id = "MID-CC" });
	(void) check_authenticate_ok (f, TRUE);
	get_package_with (f, NULL);
	assert_failed (f, "8.2.7", "2.2");
	get_package_with (f, "0815");
	assert_failed (f, "8.2.7", "3.8");
	/* right, in a new session */
	plain = download (f, "MID-CC", "4711");
	g_assert_nonnull (plain);

	/* a second order: wrong twice blocks it */
	order.matching_id = "MID-CC2";
	g_assert_true (esim_test_smdp_add_order (f->smdp, &order, &error));
	for (guint i = 0; i < 2; i++) {
		initiate (f);
		authenticate_with (f, &(ClientOptions) { .matching_id = "MID-CC2" });
		(void) check_authenticate_ok (f, TRUE);
		get_package_with (f, "0000");
		assert_failed (f, "8.2.7", i == 0 ? "3.8" : "6.4");
	}
	g_assert_cmpint (esim_test_smdp_get_order_state (f->smdp, "MID-CC2"), ==, ESIM_TEST_SMDP_ORDER_BLOCKED);
	initiate (f);
	authenticate_with (f, &(ClientOptions) { .matching_id = "MID-CC2" });
	assert_failed (f, "8.8.5", "6.4");
}

static void
test_protected_in_advance (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-PPP", .protect_in_advance = TRUE, .profile_size = 5000 };
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimBppPlain) first = NULL;
	g_autoptr(EsimBppPlain) second = NULL;

	g_assert_true (esim_test_smdp_add_order (f->smdp, &order, &error));
	first = download (f, "MID-PPP", NULL);
	g_assert_true (first->replaced_keys);
	/* protected once: a second binding carries the same PPKs */
	second = download (f, "MID-PPP", NULL);
	g_assert_cmpmem (&first->ppk, sizeof (first->ppk), &second->ppk, sizeof (second->ppk));
	g_assert_true (g_bytes_equal (first->profile, second->profile));
}

static void
test_notifications (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-N" };
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimBppPlain) plain = NULL;
	g_autofree gchar *bad = NULL;
	g_autofree gchar *failure = NULL;
	GPtrArray *records = esim_test_smdp_get_notifications (f->smdp);
	EsimTestSmdpNotification *record;
	const gchar *iccid;

	g_assert_true (esim_test_smdp_add_order (f->smdp, &order, &error));
	iccid = esim_test_smdp_get_order_iccid (f->smdp, "MID-N");
	plain = download (f, "MID-N", NULL);
	/* a result whose signature does not verify is kept, as not verified, and installs nothing */
	bad = installation_result (f, iccid, TRUE, TRUE);
	post (f, "handleNotification", "{\"pendingNotification\":\"%s\"}", bad);
	g_assert_cmpuint (f->status, ==, 204);
	record = g_ptr_array_index (records, records->len - 1);
	g_assert_false (record->verified);
	g_assert_cmpint (esim_test_smdp_get_order_state (f->smdp, "MID-N"), ==, ESIM_TEST_SMDP_ORDER_DOWNLOADED);
	/* an error result: the order may be downloaded again */
	g_clear_pointer (&plain, esim_bpp_plain_free);
	plain = download (f, "MID-N", NULL);
	failure = installation_result (f, iccid, FALSE, FALSE);
	post (f, "handleNotification", "{\"pendingNotification\":\"%s\"}", failure);
	g_assert_cmpuint (f->status, ==, 204);
	record = g_ptr_array_index (records, records->len - 1);
	g_assert_true (record->verified);
	g_assert_false (record->success);
	g_assert_cmpint (record->bpp_command_id, ==, 5);
	g_assert_cmpint (record->error_reason, ==, 8);
	g_assert_cmpint (esim_test_smdp_get_order_state (f->smdp, "MID-N"), ==, ESIM_TEST_SMDP_ORDER_RELEASED);
	/* malformed */
	post (f, "handleNotification", "{\"pendingNotification\":\"vzcA\"}");
	g_assert_cmpuint (f->status, ==, 400);
	post (f, "handleNotification", "{}");
	g_assert_cmpuint (f->status, ==, 400);
	g_assert_cmpuint (records->len, ==, 2);
}

/* CancelSessionResponse signed by the eUICC: BF41 { A0 { 30 { 80 tid, 81 smdpOid, 82 reason },
 *   5F37 } } */
static void
cancel (Fixture *f, const guint8 *oid, gsize oid_len, guint reason)
{
	g_autoptr(EsimDerWriter) sw = esim_der_writer_new ();
	g_autoptr(EsimDerWriter) w = esim_der_writer_new ();
	g_autoptr(GBytes) signed_part = NULL;
	g_autoptr(GBytes) response = NULL;
	g_autofree gchar *text = NULL;
	guint8 signature[64];

	esim_der_writer_begin (sw, 0x30);
	esim_der_writer_put (sw, 0x80, f->tid, 16);
	esim_der_writer_put (sw, 0x81, oid, oid_len);
	esim_der_writer_put_uint (sw, 0x82, reason);
	esim_der_writer_end (sw);
	signed_part = esim_der_writer_finish (sw);
	sign (g_bytes_get_data (signed_part, NULL), g_bytes_get_size (signed_part), signature);
	esim_der_writer_begin (w, 0xBF41);
	esim_der_writer_begin (w, 0xA0);
	esim_der_writer_put_raw (w, g_bytes_get_data (signed_part, NULL), g_bytes_get_size (signed_part));
	esim_der_writer_put (w, 0x5F37, signature, sizeof (signature));
	esim_der_writer_end (w);
	esim_der_writer_end (w);
	response = esim_der_writer_finish (w);
	text = b64 (response);
	post (f, "cancelSession", "{\"transactionId\":\"%s\",\"cancelSessionResponse\":\"%s\"}", f->transaction_id,
	      text);
}

static void
test_cancel_session (Fixture *f, gconstpointer data)
{
	static const guint8 oid[] = { 0x88, 0x37, 0x0A };
	static const guint8 other_oid[] = { 0x88, 0x37, 0x0B };
	EsimTestSmdpOrder order = { .matching_id = "MID-C" };
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimBppPlain) plain = NULL;
	GPtrArray *cancelled = esim_test_smdp_get_cancelled (f->smdp);
	EsimTestSmdpCancelled *record;

	g_assert_true (esim_test_smdp_add_order (f->smdp, &order, &error));
	plain = download (f, "MID-C", NULL);
	cancel (f, other_oid, sizeof (other_oid), 1);
	assert_failed (f, "8.8", "3.1");
	cancel (f, oid, sizeof (oid), 1);   /* postponed */
	assert_success (f);
	g_assert_cmpuint (cancelled->len, ==, 1);
	record = g_ptr_array_index (cancelled, 0);
	g_assert_cmpstr (record->transaction_id, ==, f->transaction_id);
	g_assert_cmpint (record->reason, ==, 1);
	g_assert_true (record->verified);
	g_assert_cmpint (esim_test_smdp_get_order_state (f->smdp, "MID-C"), ==, ESIM_TEST_SMDP_ORDER_RELEASED);
	/* the session is gone */
	cancel (f, oid, sizeof (oid), 1);
	assert_failed (f, "8.10.1", "3.9");
}

static void
test_faults (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-F" };
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) signed1 = NULL;
	g_autoptr(GBytes) signature = NULL;
	g_autoptr(GBytes) certificate = NULL;
	g_autoptr(GBytes) pkid = NULL;
	g_autoptr(EsimCert) cert = NULL;
	g_autoptr(GPtrArray) cis = g_ptr_array_new ();
	g_autoptr(EsimBppPlain) plain = NULL;
	EsimBppCommand failed_command = 0;
	EsimTlv sig;

	g_assert_true (esim_test_smdp_add_order (f->smdp, &order, &error));
	g_ptr_array_add (cis, ci_cert);

	/* serverSignature1 that does not verify */
	esim_test_smdp_set_faults (f->smdp, ESIM_TEST_SMDP_FAULT_BAD_SERVER_SIGNATURE);
	initiate_with (f, HOST, ci_cert, ci_cert);
	signed1 = answer_tlv (f, "serverSigned1");
	signature = answer_tlv (f, "serverSignature1");
	g_assert_true (esim_tlv_parse_exact (g_bytes_get_data (signature, NULL), g_bytes_get_size (signature), &sig,
	                                     NULL));
	g_assert_false (esim_cert_verify_signature (dp_auth_cert, g_bytes_get_data (signed1, NULL),
	                                            g_bytes_get_size (signed1), sig.value, sig.len, NULL));

	/* a DPauth of a foreign CI, named as such */
	esim_test_smdp_set_faults (f->smdp, ESIM_TEST_SMDP_FAULT_FOREIGN_CI);
	initiate_with (f, HOST, ci_cert, ci_cert);
	assert_success (f);
	certificate = answer_tlv (f, "serverCertificate");
	cert = esim_cert_new_from_der (g_bytes_get_data (certificate, NULL), g_bytes_get_size (certificate), &error);
	g_assert_false (esim_cert_verify_chain (cert, ESIM_CERT_ROLE_DP_AUTH, NULL, cis, NULL, ESIM_CERT_TIME_NOW,
	                                        NULL, NULL));
	pkid = answer_tlv (f, "euiccCiPKIdToBeUsed");
	g_assert_cmpmem ((const guint8 *) g_bytes_get_data (pkid, NULL) + 2, 20,
	                 g_bytes_get_data (esim_cert_get_subject_key_id (foreign_ci), NULL), 20);
	g_clear_pointer (&certificate, g_bytes_unref);
	g_clear_pointer (&cert, esim_cert_unref);

	/* an expired DPauth, under the right CI */
	esim_test_smdp_set_faults (f->smdp, ESIM_TEST_SMDP_FAULT_EXPIRED_DPAUTH);
	initiate_with (f, HOST, ci_cert, ci_cert);
	certificate = answer_tlv (f, "serverCertificate");
	cert = esim_cert_new_from_der (g_bytes_get_data (certificate, NULL), g_bytes_get_size (certificate), &error);
	g_assert_false (esim_cert_verify_chain (cert, ESIM_CERT_ROLE_DP_AUTH, NULL, cis, NULL, ESIM_CERT_TIME_NOW,
	                                        NULL, &error));
	g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_EXPIRED);
	g_clear_error (&error);

	/* a package with a flipped byte after its MAC: the card's MAC check fails */
	esim_test_smdp_set_faults (f->smdp, ESIM_TEST_SMDP_FAULT_TAMPER_BPP);
	initiate (f);
	authenticate_with (f, &(ClientOptions) { .matching_id = "MID-F" });
	(void) check_authenticate_ok (f, FALSE);
	get_package_with (f, NULL);
	assert_success (f);
	plain = open_package (f, &failed_command, &error);
	g_assert_null (plain);
	g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_BAD_MAC);
	g_assert_cmpint (failed_command, ==, ESIM_BPP_COMMAND_LOAD_PROFILE_ELEMENTS);
	g_clear_error (&error);

	/* smdpSignature2 that does not verify */
	esim_test_smdp_set_faults (f->smdp, ESIM_TEST_SMDP_FAULT_BAD_SMDP_SIGNATURE2);
	initiate (f);
	authenticate_with (f, &(ClientOptions) { .matching_id = "MID-F" });
	assert_success (f);
	{
		g_autoptr(GBytes) signed2 = answer_tlv (f, "smdpSigned2");
		g_autoptr(GBytes) signature2 = answer_tlv (f, "smdpSignature2");
		g_autoptr(EsimDerWriter) w = esim_der_writer_new ();
		g_autoptr(GBytes) tbs = NULL;
		EsimTlv sig2;

		esim_der_writer_put_raw (w, g_bytes_get_data (signed2, NULL), g_bytes_get_size (signed2));
		esim_der_writer_put (w, 0x5F37, f->euicc_signature1, 64);
		tbs = esim_der_writer_finish (w);
		g_assert_true (esim_tlv_parse_exact (g_bytes_get_data (signature2, NULL), g_bytes_get_size (signature2),
		                                     &sig2, NULL));
		g_assert_false (esim_cert_verify_signature (dp_pb_cert, g_bytes_get_data (tbs, NULL),
		                                            g_bytes_get_size (tbs), sig2.value, sig2.len, NULL));
	}
}

static void
test_orders (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "A" };
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) ids = NULL;

	g_assert_true (esim_test_smdp_add_order (f->smdp, &order, &error));
	g_assert_false (esim_test_smdp_add_order (f->smdp, &order, &error));
	g_assert_error (error, ESIM_TEST_SMDP_ERROR, ESIM_TEST_SMDP_ERROR_ORDER);
	g_clear_error (&error);
	order.matching_id = "A$B";
	g_assert_false (esim_test_smdp_add_order (f->smdp, &order, &error));
	g_clear_error (&error);
	order.matching_id = "";
	g_assert_false (esim_test_smdp_add_order (f->smdp, &order, &error));
	g_clear_error (&error);
	order.matching_id = "B";
	order.profile_class = "vintage";
	g_assert_false (esim_test_smdp_add_order (f->smdp, &order, &error));
	g_clear_error (&error);
	ids = esim_test_smdp_dup_matching_ids (f->smdp);
	g_assert_cmpuint (g_strv_length (ids), ==, 1);
	g_assert_null (esim_test_smdp_get_activation_code (f->smdp, "B"));
	post (f, "noSuchFunction", "{}");
	g_assert_cmpuint (f->status, ==, 404);
}

int
main (int argc, char **argv)
{
	int ret;

	g_test_init (&argc, &argv, NULL);
	pki_setup ();
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD ("/servers/smdp/initiate", test_initiate);
	ADD ("/servers/smdp/download", test_download);
	ADD ("/servers/smdp/authenticate-refusals", test_authenticate_refusals);
	ADD ("/servers/smdp/confirmation-code", test_confirmation_code);
	ADD ("/servers/smdp/protected-in-advance", test_protected_in_advance);
	ADD ("/servers/smdp/notifications", test_notifications);
	ADD ("/servers/smdp/cancel-session", test_cancel_session);
	ADD ("/servers/smdp/faults", test_faults);
	ADD ("/servers/smdp/orders", test_orders);
	ret = g_test_run ();
	rm_rf (pki_dir);
	return ret;
}
