/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The software eUICC's side of a profile download, against server messages
 * built here: ServerSigned1, SmdpSigned2, the bound profile package, signed
 * and protected with libesim-crypto's primitives (the SM-DP+'s keys of a test
 * PKI in the SGP.26 layout) and written with the DER writer.  What the card
 * answers is checked byte for byte against layouts written out here from
 * RSPDefinitions (SGP.22 v2.5), and its signatures against its certificate.
 * Neither the ES10 client (src/lib) nor the test SM-DP+ is used: the card
 * must agree with the ASN.1, not with our other code.
 */

#include <glib/gstdio.h>
#include <gnutls/crypto.h>
#include <string.h>
#include <unistd.h>

#include "esim-bpp.h"
#include "esim-bsp.h"
#include "esim-cert.h"
#include "esim-crypto.h"
#include "esim-der.h"
#include "esim-ecdsa.h"
#include "esim-ecka.h"
#include "esim-tags.h"
#include "esim-test-pki.h"
#include "esim-util.h"
#include "esim-veuicc.h"

#define SMDP_ADDRESS    "smdp.test"
#define SMDP_OID_DER    "060388370A"    /* 2.999.10 */
#define MATCHING_ID     "MID-1"
#define ICCID           "8949449999999990001"
#define ICCID_BCD       "989444999999990900F1"
#define ICCID_HEADER    "8949449999999990001F"   /* ProfileHeader: digits in order */
#define NOTIFY_ADDRESS  "notify.test"
#define HOST_ID         "esimd-test"

/* ---- the PKI, shared by every test ---------------------------------------------------------- */

typedef struct {
	EsimCert         *cert;
	gnutls_privkey_t  key;
} Signer;

static gchar *pki_dir;
static Signer dp_auth, dp_pb, foreign_auth, foreign_pb;
static EsimCert *euicc_cert;

static void
signer_load (Signer *signer, const gchar *sub, const gchar *cert_name, const gchar *key_name)
{
	g_autofree gchar *cert_path = g_build_filename (pki_dir, sub, cert_name, NULL);
	g_autofree gchar *key_path = g_build_filename (pki_dir, sub, key_name, NULL);
	g_autoptr(GError) error = NULL;

	signer->cert = esim_cert_new_from_file (cert_path, &error);
	g_assert_no_error (error);
	signer->key = esim_ecdsa_privkey_new_from_file (key_path, &error);
	g_assert_no_error (error);
}

static void
pki_setup (void)
{
	EsimTestPkiOptions options = { .smdp_host = SMDP_ADDRESS, .foreign_ci = TRUE };
	g_autofree gchar *euicc_path = NULL;
	g_autoptr(GError) error = NULL;

	pki_dir = g_dir_make_tmp ("test-veuicc-download-XXXXXX", &error);
	g_assert_no_error (error);
	g_assert_true (esim_test_pki_write (pki_dir, &options, NULL, &error));
	g_assert_no_error (error);
	signer_load (&dp_auth, "DPauth", "CERT_S_SM_DPauth_ECDSA_NIST.der", "SK_S_SM_DPauth_ECDSA_NIST.pem");
	signer_load (&dp_pb, "DPpb", "CERT_S_SM_DPpb_ECDSA_NIST.der", "SK_S_SM_DPpb_ECDSA_NIST.pem");
	signer_load (&foreign_auth, "ForeignCI/DPauth", "CERT_S_SM_DPauth_ECDSA_NIST.der",
	             "SK_S_SM_DPauth_ECDSA_NIST.pem");
	signer_load (&foreign_pb, "ForeignCI/DPpb", "CERT_S_SM_DPpb_ECDSA_NIST.der",
	             "SK_S_SM_DPpb_ECDSA_NIST.pem");
	euicc_path = g_build_filename (pki_dir, "eUICC", "CERT_EUICC_ECDSA_NIST.der", NULL);
	euicc_cert = esim_cert_new_from_file (euicc_path, &error);
	g_assert_no_error (error);
}

static void
rm_rf (const gchar *path)
{
	g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
	const gchar *name;

	while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
		g_autofree gchar *child = g_build_filename (path, name, NULL);

		if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
			rm_rf (child);
		else
			g_unlink (child);
	}
	g_rmdir (path);
}

/* ---- talking to the card -------------------------------------------------------------------- */

static GBytes *
hex_bytes (const gchar *hex)
{
	g_autoptr(GError) error = NULL;
	/* esim_hex_decode() skips the spaces that make expected values readable */
	GBytes *bytes = esim_hex_decode (hex, &error);

	g_assert_no_error (error);
	return bytes;
}

static guint16
apdu_sw (GBytes *response)
{
	const guint8 *data = g_bytes_get_data (response, NULL);
	gsize len = g_bytes_get_size (response);

	g_assert_cmpuint (len, >=, 2);
	return (guint16) ((data[len - 2] << 8) | data[len - 1]);
}

static GBytes *
apdu (EsimVeuicc *card, const guint8 *data, gsize len)
{
	g_autoptr(GBytes) command = g_bytes_new (data, len);

	return esim_veuicc_process_apdu (card, command);
}

/* One ES10 request as STORE DATA blocks of 255 bytes on the basic channel, the answer
 * collected with GET RESPONSE; NULL for no data.  *@sw is the final status word. */
static GBytes *
es10_sw (EsimVeuicc *card, GBytes *request, guint16 *sw)
{
	g_autoptr(GByteArray) answer = g_byte_array_new ();
	gsize len = 0, offset = 0;
	const guint8 *data = g_bytes_get_data (request, &len);
	guint block = 0;

	do {
		gsize n = MIN (255, len - offset);
		gboolean last = offset + n == len;
		g_autoptr(GByteArray) command = g_byte_array_new ();
		guint8 header[5] = { 0x80, 0xE2, last ? 0x91 : 0x11, (guint8) block, (guint8) n };
		g_autoptr(GBytes) response = NULL;

		g_byte_array_append (command, header, sizeof (header));
		g_byte_array_append (command, data + offset, (guint) n);
		response = apdu (card, command->data, command->len);
		*sw = apdu_sw (response);
		if (!last)
			g_assert_cmphex (*sw, ==, 0x9000);
		offset += n;
		block++;
	} while (offset < len);
	while ((*sw >> 8) == 0x61) {
		guint8 get_response[5] = { 0x00, 0xC0, 0x00, 0x00, (guint8) (*sw & 0xFF) };
		g_autoptr(GBytes) response = apdu (card, get_response, sizeof (get_response));

		g_byte_array_append (answer, g_bytes_get_data (response, NULL),
		                     (guint) g_bytes_get_size (response) - 2);
		*sw = apdu_sw (response);
	}
	if (answer->len == 0)
		return NULL;
	return g_byte_array_free_to_bytes (g_steal_pointer (&answer));
}

/* Asserts 9000; the answer (NULL for none). */
static GBytes *
es10 (EsimVeuicc *card, GBytes *request)
{
	guint16 sw = 0;
	GBytes *answer = es10_sw (card, request, &sw);

	g_assert_cmphex (sw, ==, 0x9000);
	return answer;
}

static GBytes *
es10_hex (EsimVeuicc *card, const gchar *hex)
{
	g_autoptr(GBytes) request = hex_bytes (hex);

	return es10 (card, request);
}

static EsimVeuicc *
open_card (EsimVeuicc *card)
{
	static const guint8 select[] = {
		0x00, 0xA4, 0x04, 0x0C, 0x10, ESIM_ISDR_AID_BYTES,
	};
	g_autoptr(GBytes) response = apdu (card, select, sizeof (select));

	g_assert_cmphex (apdu_sw (response), ==, 0x9000);
	return card;
}

static EsimVeuicc *
new_card (guint max_profiles)
{
	EsimVeuiccOptions options = { .credentials_dir = pki_dir, .max_profiles = max_profiles };
	g_autoptr(GError) error = NULL;
	EsimVeuicc *card = esim_veuicc_new_ephemeral_full (&options, &error);

	g_assert_no_error (error);
	return open_card (card);
}

/* The child of @parent at @path (tags, one per level); fails when absent. */
static EsimTlv
tlv_at (GBytes *bytes, const EsimTag *path, guint n_path)
{
	g_autoptr(GError) error = NULL;
	EsimTlv tlv;

	g_assert_true (esim_tlv_parse_exact (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &tlv,
	                                     &error));
	for (guint i = 0; i < n_path; i++) {
		EsimTlv child;

		if (!esim_tlv_find (&tlv, path[i], &child, &error))
			g_error ("no %X at level %u: %s", path[i], i, error != NULL ? error->message : "absent");
		tlv = child;
	}
	return tlv;
}

static gchar *
hex_of (const guint8 *data, gsize len)
{
	return esim_hex_encode (data, len);
}

static void
assert_hex (GBytes *bytes, const gchar *expected)
{
	g_autofree gchar *hex = esim_hex_encode_bytes (bytes);
	g_autofree gchar *compact = g_strdup (expected);
	gchar *out = compact;

	/* expected may be spaced for reading */
	for (const gchar *p = expected; *p != '\0'; p++) {
		if (*p != ' ')
			*out++ = *p;
	}
	*out = '\0';
	g_assert_cmpstr (hex, ==, compact);
}

/* ---- the server's messages -------------------------------------------------------------------- */

typedef struct {
	EsimVeuicc  *card;
	guint8       transaction_id[16];
	guint8       challenge[ESIM_EUICC_CHALLENGE_LENGTH];
	guint8       server_challenge[16];
	GBytes      *euicc_signed1;
	guint8       euicc_signature1[ESIM_SIGNATURE_LENGTH];
	guint8       smdp_signature2[ESIM_SIGNATURE_LENGTH];
	guint8       euicc_otpk[ESIM_P256_POINT_LEN];
} Session;

static void
session_clear (Session *s)
{
	g_clear_pointer (&s->euicc_signed1, g_bytes_unref);
	g_clear_object (&s->card);
}

static void
sign (gnutls_privkey_t key, GBytes *data, guint8 out[ESIM_SIGNATURE_LENGTH])
{
	g_autoptr(GError) error = NULL;

	g_assert_true (esim_ecdsa_sign (key, g_bytes_get_data (data, NULL), g_bytes_get_size (data), out,
	                                &error));
	g_assert_no_error (error);
}

static void
get_challenge (Session *s)
{
	g_autoptr(GBytes) answer = es10_hex (s->card, "BF2E00");
	const guint8 *data = g_bytes_get_data (answer, NULL);

	/* GetEuiccChallengeResponse ::= [46] SEQUENCE { euiccChallenge Octet16 }: BF2E 12 80 10 … */
	g_assert_cmpuint (g_bytes_get_size (answer), ==, 21);
	g_assert_cmpmem (data, 5, "\xBF\x2E\x12\x80\x10", 5);
	memcpy (s->challenge, data + 5, sizeof (s->challenge));
}

/* ctxParams1: [0] { matchingId [0], deviceInfo [1] { tac [0], deviceCapabilities [1] } } */
static void
put_ctx_params1 (EsimDerWriter *w)
{
	static const guint8 tac[4] = { 0x35, 0x29, 0x06, 0x11 };

	esim_der_writer_begin (w, 0xA0);
	esim_der_writer_put_utf8 (w, 0x80, MATCHING_ID);
	esim_der_writer_begin (w, 0xA1);
	esim_der_writer_put (w, 0x80, tac, sizeof (tac));
	esim_der_writer_begin (w, 0xA1);
	esim_der_writer_end (w);
	esim_der_writer_end (w);
	esim_der_writer_end (w);
}

typedef struct {
	Signer        *signer;          /* NULL: DPauth */
	const guint8  *ci_pkid;         /* NULL: the CI that issued the signer */
	gboolean       bad_signature;
	gboolean       wrong_challenge;
} AuthOptions;

/* AuthenticateServerRequest ::= [56] SEQUENCE { serverSigned1, serverSignature1,
 *   euiccCiPKIdToBeUsed, serverCertificate, ctxParams1 } for the session's challenge. */
static GBytes *
authenticate_request (Session *s, const AuthOptions *options)
{
	Signer *signer = options != NULL && options->signer != NULL ? options->signer : &dp_auth;
	g_autoptr(EsimDerWriter) sw = esim_der_writer_new ();
	g_autoptr(EsimDerWriter) w = esim_der_writer_new ();
	g_autoptr(GBytes) signed1 = NULL;
	GBytes *pkid = esim_cert_get_authority_key_id (signer->cert);
	GBytes *cert = esim_cert_get_der (signer->cert);
	guint8 challenge[ESIM_EUICC_CHALLENGE_LENGTH];
	guint8 signature[ESIM_SIGNATURE_LENGTH];

	memcpy (challenge, s->challenge, sizeof (challenge));
	if (options != NULL && options->wrong_challenge)
		challenge[3] ^= 0x40;
	gnutls_rnd (GNUTLS_RND_NONCE, s->server_challenge, sizeof (s->server_challenge));
	/* ServerSigned1 ::= SEQUENCE { transactionId [0], euiccChallenge [1], serverAddress [3],
	 * serverChallenge [4] } */
	esim_der_writer_begin (sw, 0x30);
	esim_der_writer_put (sw, 0x80, s->transaction_id, sizeof (s->transaction_id));
	esim_der_writer_put (sw, 0x81, challenge, sizeof (challenge));
	esim_der_writer_put_utf8 (sw, 0x83, SMDP_ADDRESS);
	esim_der_writer_put (sw, 0x84, s->server_challenge, sizeof (s->server_challenge));
	esim_der_writer_end (sw);
	signed1 = esim_der_writer_finish (sw);
	sign (signer->key, signed1, signature);
	if (options != NULL && options->bad_signature)
		signature[10] ^= 0x01;

	esim_der_writer_begin (w, 0xBF38);
	esim_der_writer_put_raw (w, g_bytes_get_data (signed1, NULL), g_bytes_get_size (signed1));
	esim_der_writer_put (w, 0x5F37, signature, sizeof (signature));
	if (options != NULL && options->ci_pkid != NULL)
		esim_der_writer_put (w, 0x04, options->ci_pkid, 20);
	else
		esim_der_writer_put_bytes (w, 0x04, pkid);
	esim_der_writer_put_raw (w, g_bytes_get_data (cert, NULL), g_bytes_get_size (cert));
	put_ctx_params1 (w);
	esim_der_writer_end (w);
	return esim_der_writer_finish (w);
}

static GBytes *
authenticate (Session *s, const AuthOptions *options)
{
	g_autoptr(GBytes) request = authenticate_request (s, options);

	return es10 (s->card, request);
}

/* AuthenticateResponseOk [0] { euiccSigned1, euiccSignature1, euiccCertificate,
 * eumCertificate } with EuiccSigned1 ::= SEQUENCE { transactionId [0], serverAddress [3],
 * serverChallenge [4], euiccInfo2 [34], ctxParams1 } -- checked byte for byte. */
static void
check_authenticate_ok (Session *s, GBytes *answer)
{
	g_autoptr(GBytes) info2 = es10_hex (s->card, "BF2200");
	g_autoptr(EsimDerWriter) w = esim_der_writer_new ();
	g_autoptr(GBytes) expected = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *eum_path = g_build_filename (pki_dir, "EUM", "CERT_EUM_ECDSA_NIST.der", NULL);
	g_autofree gchar *eum_der = NULL;
	gsize eum_len = 0;
	static const EsimTag ok_path[] = { 0xA0 };
	EsimTlv ok = tlv_at (answer, ok_path, 1), c[4];
	EsimTlvIter iter;
	guint n = 0;

	g_assert_cmpmem (g_bytes_get_data (answer, NULL), 2, "\xBF\x38", 2);
	esim_tlv_iter_init (&iter, &ok);
	while (n < 4 && esim_tlv_iter_next (&iter, &c[n], &error))
		n++;
	g_assert_no_error (error);
	g_assert_cmpuint (n, ==, 4);
	g_assert_false (esim_tlv_iter_next (&iter, &c[0], NULL));

	esim_der_writer_begin (w, 0x30);
	esim_der_writer_put (w, 0x80, s->transaction_id, sizeof (s->transaction_id));
	esim_der_writer_put_utf8 (w, 0x83, SMDP_ADDRESS);
	esim_der_writer_put (w, 0x84, s->server_challenge, sizeof (s->server_challenge));
	esim_der_writer_put_raw (w, g_bytes_get_data (info2, NULL), g_bytes_get_size (info2));
	put_ctx_params1 (w);
	esim_der_writer_end (w);
	expected = esim_der_writer_finish (w);
	g_assert_cmpmem (c[0].raw, c[0].raw_len, g_bytes_get_data (expected, NULL), g_bytes_get_size (expected));
	g_assert_cmphex (c[1].tag, ==, 0x5F37);
	g_assert_cmpuint (c[1].len, ==, ESIM_SIGNATURE_LENGTH);
	g_assert_true (esim_cert_verify_signature (euicc_cert, c[0].raw, c[0].raw_len, c[1].value, c[1].len,
	                                           &error));
	g_assert_no_error (error);
	g_assert_cmpmem (c[2].raw, c[2].raw_len, g_bytes_get_data (esim_cert_get_der (euicc_cert), NULL),
	                 g_bytes_get_size (esim_cert_get_der (euicc_cert)));
	g_assert_true (g_file_get_contents (eum_path, &eum_der, &eum_len, NULL));
	g_assert_cmpmem (c[3].raw, c[3].raw_len, eum_der, eum_len);
	g_clear_pointer (&s->euicc_signed1, g_bytes_unref);
	s->euicc_signed1 = g_bytes_new (c[0].raw, c[0].raw_len);
	memcpy (s->euicc_signature1, c[1].value, ESIM_SIGNATURE_LENGTH);
}

/* TAG { A1 { 80 transactionId, 02 code } } */
static void
check_error_answer (Session *s, GBytes *answer, EsimTag tag, guint code)
{
	g_autofree gchar *tid = hex_of (s->transaction_id, sizeof (s->transaction_id));
	g_autofree gchar *expected = g_strdup_printf ("%X17A115" "8010%s" "0201%02X", tag, tid, code);

	assert_hex (answer, expected);
}

/* A session through AuthenticateServer with @options; the card's answer checked. */
static void
start_session (Session *s, EsimVeuicc *card)
{
	g_autoptr(GBytes) answer = NULL;

	if (s->card != card) {
		g_clear_object (&s->card);
		s->card = g_object_ref (card);
	}
	gnutls_rnd (GNUTLS_RND_NONCE, s->transaction_id, sizeof (s->transaction_id));
	get_challenge (s);
	answer = authenticate (s, NULL);
	check_authenticate_ok (s, answer);
}

typedef struct {
	Signer       *signer;          /* NULL: DPpb */
	gboolean      cc_required;
	gboolean      with_hash_cc;
	gboolean      bad_signature;
	gboolean      wrong_transaction;
	const guint8 *bpp_euicc_otpk;
} PrepareOptions;

static const guint8 hash_cc[ESIM_HASH_CC_LENGTH] = {
	0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF, 0x00,
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10,
};

/* PrepareDownloadRequest ::= [33] SEQUENCE { smdpSigned2, smdpSignature2, hashCc OPTIONAL,
 *   smdpCertificate }; SmdpSigned2 ::= SEQUENCE { transactionId [0], ccRequiredFlag BOOLEAN,
 *   bppEuiccOtpk [APPLICATION 73] OPTIONAL }; smdpSignature2 over smdpSigned2 ‖ 5F37 40
 *   euiccSignature1 (pySim osmo-smdpp.py authenticateClient). */
static GBytes *
prepare_request (Session *s, const PrepareOptions *o)
{
	Signer *signer = o != NULL && o->signer != NULL ? o->signer : &dp_pb;
	g_autoptr(EsimDerWriter) sw = esim_der_writer_new ();
	g_autoptr(EsimDerWriter) tw = esim_der_writer_new ();
	g_autoptr(EsimDerWriter) w = esim_der_writer_new ();
	g_autoptr(GBytes) signed2 = NULL;
	g_autoptr(GBytes) tbs = NULL;
	GBytes *cert = esim_cert_get_der (signer->cert);
	guint8 tid[sizeof (s->transaction_id)];

	memcpy (tid, s->transaction_id, sizeof (tid));
	if (o != NULL && o->wrong_transaction)
		tid[0] ^= 0xFF;
	esim_der_writer_begin (sw, 0x30);
	esim_der_writer_put (sw, 0x80, tid, sizeof (tid));
	esim_der_writer_put_bool (sw, 0x01, o != NULL && o->cc_required);
	if (o != NULL && o->bpp_euicc_otpk != NULL)
		esim_der_writer_put (sw, 0x5F49, o->bpp_euicc_otpk, ESIM_P256_POINT_LEN);
	esim_der_writer_end (sw);
	signed2 = esim_der_writer_finish (sw);
	esim_der_writer_put_raw (tw, g_bytes_get_data (signed2, NULL), g_bytes_get_size (signed2));
	esim_der_writer_put (tw, 0x5F37, s->euicc_signature1, ESIM_SIGNATURE_LENGTH);
	tbs = esim_der_writer_finish (tw);
	sign (signer->key, tbs, s->smdp_signature2);
	if (o != NULL && o->bad_signature)
		s->smdp_signature2[40] ^= 0x80;

	esim_der_writer_begin (w, 0xBF21);
	esim_der_writer_put_raw (w, g_bytes_get_data (signed2, NULL), g_bytes_get_size (signed2));
	esim_der_writer_put (w, 0x5F37, s->smdp_signature2, ESIM_SIGNATURE_LENGTH);
	if (o != NULL && o->with_hash_cc)
		esim_der_writer_put (w, 0x04, hash_cc, sizeof (hash_cc));
	esim_der_writer_put_raw (w, g_bytes_get_data (cert, NULL), g_bytes_get_size (cert));
	esim_der_writer_end (w);
	return esim_der_writer_finish (w);
}

static GBytes *
prepare (Session *s, const PrepareOptions *o)
{
	g_autoptr(GBytes) request = prepare_request (s, o);

	return es10 (s->card, request);
}

/* PrepareDownloadResponseOk [0] { euiccSigned2, euiccSignature2 }; EUICCSigned2 ::= SEQUENCE {
 *   transactionId [0], euiccOtpk [APPLICATION 73], hashCc Octet32 OPTIONAL }; the signature
 *   over euiccSigned2 ‖ 5F37 40 smdpSignature2. */
static void
check_prepare_ok (Session *s, GBytes *answer, gboolean with_hash_cc)
{
	g_autoptr(EsimDerWriter) tw = esim_der_writer_new ();
	g_autoptr(GBytes) tbs = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *tid = hex_of (s->transaction_id, sizeof (s->transaction_id));
	g_autofree gchar *prefix = g_strdup_printf ("%s8010%s5F4941", with_hash_cc ? "3078" : "3056", tid);
	static const EsimTag signed_path[] = { 0xA0, 0x30 };
	static const EsimTag sig_path[] = { 0xA0, 0x5F37 };
	EsimTlv signed2 = tlv_at (answer, signed_path, 2);
	EsimTlv sig = tlv_at (answer, sig_path, 2);
	g_autofree gchar *signed_hex = hex_of (signed2.raw, signed2.raw_len);

	g_assert_cmpmem (g_bytes_get_data (answer, NULL), 2, "\xBF\x21", 2);
	g_assert_true (g_str_has_prefix (signed_hex, prefix));
	memcpy (s->euicc_otpk, signed2.value + 2 + 16 + 3, ESIM_P256_POINT_LEN);
	g_assert_true (esim_p256_point_check (s->euicc_otpk, sizeof (s->euicc_otpk), &error));
	if (with_hash_cc) {
		g_autofree gchar *cc = hex_of (hash_cc, sizeof (hash_cc));
		g_autofree gchar *tail = g_strdup_printf ("0420%s", cc);
		g_assert_true (g_str_has_suffix (signed_hex, tail));
	}
	esim_der_writer_put_raw (tw, signed2.raw, signed2.raw_len);
	esim_der_writer_put (tw, 0x5F37, s->smdp_signature2, ESIM_SIGNATURE_LENGTH);
	tbs = esim_der_writer_finish (tw);
	g_assert_true (esim_cert_verify_signature (euicc_cert, g_bytes_get_data (tbs, NULL), g_bytes_get_size (tbs),
	                                           sig.value, sig.len, &error));
	g_assert_no_error (error);
}

/* ---- the bound profile package ------------------------------------------------------------- */

typedef struct {
	const gchar *header_iccid;         /* NULL: ICCID_HEADER */
	const gchar *metadata_iccid_bcd;   /* NULL: ICCID_BCD */
	gboolean     protect_in_advance;
	guint32      ppr_ids;
	gsize        profile_size;         /* bytes in the non-standard PE; 0: 2500 */
	Signer      *signer;               /* InitialiseSecureChannel's; NULL: DPpb */
	gboolean     wrong_transaction;
} BppOptions;

/* A small unprotected profile package: ProfileHeader, a PE-NonStandard with @size bytes,
 * PE-End (PEDefinitions, automatic tags: header [0] A0, nonStandard [9] A9, end [10] AA). */
static GBytes *
make_upp (const gchar *header_iccid, gsize size)
{
	static const guint8 oid[] = { 0x88, 0x37, 0x0A };
	g_autoptr(EsimDerWriter) w = esim_der_writer_new ();
	g_autoptr(GBytes) iccid = hex_bytes (header_iccid);
	g_autofree guint8 *content = g_malloc (size);

	for (gsize i = 0; i < size; i++)
		content[i] = (guint8) (i * 7);
	esim_der_writer_begin (w, 0xA0);
	esim_der_writer_put_uint (w, 0x80, 2);
	esim_der_writer_put_uint (w, 0x81, 3);
	esim_der_writer_put_utf8 (w, 0x82, "esimd test");
	esim_der_writer_put_bytes (w, 0x83, iccid);
	esim_der_writer_begin (w, 0xA5);
	esim_der_writer_put_null (w, 0x81);   /* usim */
	esim_der_writer_end (w);
	esim_der_writer_begin (w, 0xA6);
	esim_der_writer_end (w);
	esim_der_writer_end (w);
	esim_der_writer_begin (w, 0xA9);
	esim_der_writer_begin (w, 0xA0);
	esim_der_writer_put_uint (w, 0x81, 2);
	esim_der_writer_end (w);
	esim_der_writer_put (w, 0x81, oid, sizeof (oid));
	esim_der_writer_put (w, 0x82, content, size);
	esim_der_writer_end (w);
	esim_der_writer_begin (w, 0xAA);
	esim_der_writer_begin (w, 0xA0);
	esim_der_writer_put_uint (w, 0x81, 3);
	esim_der_writer_end (w);
	esim_der_writer_end (w);
	return esim_der_writer_finish (w);
}

/* StoreMetadataRequest with a notification configuration: installs to the SM-DP+, the
 * other events elsewhere. */
static GBytes *
make_metadata (const gchar *iccid_bcd, guint32 ppr_ids)
{
	g_autoptr(EsimDerWriter) w = esim_der_writer_new ();
	g_autoptr(GBytes) iccid = hex_bytes (iccid_bcd);

	esim_der_writer_begin (w, 0xBF25);
	esim_der_writer_put_bytes (w, 0x5A, iccid);
	esim_der_writer_put_utf8 (w, 0x91, "esimd test operator");
	esim_der_writer_put_utf8 (w, 0x92, "Test Profile");
	esim_der_writer_put_uint (w, 0x95, 2);
	esim_der_writer_begin (w, 0xB6);
	esim_der_writer_begin (w, 0x30);
	esim_der_writer_put_named_bits (w, 0x80, 1u << 0);
	esim_der_writer_put_utf8 (w, 0x81, SMDP_ADDRESS);
	esim_der_writer_end (w);
	esim_der_writer_begin (w, 0x30);
	esim_der_writer_put_named_bits (w, 0x80, (1u << 1) | (1u << 2) | (1u << 3));
	esim_der_writer_put_utf8 (w, 0x81, NOTIFY_ADDRESS);
	esim_der_writer_end (w);
	esim_der_writer_end (w);
	if (ppr_ids != 0)
		esim_der_writer_put_named_bits (w, 0x99, ppr_ids);
	esim_der_writer_end (w);
	return esim_der_writer_finish (w);
}

/* The package the SM-DP+ binds to the card's otPK (SGP.22 §2.5.4, §2.6.4). */
static GBytes *
make_bpp (Session *s, const BppOptions *o)
{
	static const guint8 configure_isdp[] = { 0xBF, 0x24, 0x07, 0xB8, 0x05, 0x06, 0x03, 0x88, 0x37, 0x0A };
	Signer *signer = o != NULL && o->signer != NULL ? o->signer : &dp_pb;
	g_autoptr(EsimEckaKey) ot_key = NULL;
	g_autoptr(GBytes) iscr = NULL;
	g_autoptr(GBytes) metadata = NULL;
	g_autoptr(GBytes) upp = NULL;
	g_autoptr(GBytes) isdp = g_bytes_new_static (configure_isdp, sizeof (configure_isdp));
	g_autoptr(GPtrArray) ppp = NULL;
	g_autoptr(GError) error = NULL;
	EsimBppContent content = { 0 };
	EsimBspKeys keys, ppk;
	guint8 secret[ESIM_ECKA_SECRET_LEN];
	guint8 eid[ESIM_EID_LENGTH];
	guint8 tid[sizeof (s->transaction_id)];
	GBytes *bpp;

	memcpy (tid, s->transaction_id, sizeof (tid));
	if (o != NULL && o->wrong_transaction)
		tid[15] ^= 0x01;
	ot_key = esim_ecka_key_generate (&error);
	g_assert_no_error (error);
	g_assert_true (esim_ecka_shared_secret (ot_key, s->euicc_otpk, sizeof (s->euicc_otpk), secret, &error));
	g_assert_true (esim_eid_to_bytes (esim_veuicc_get_eid (s->card), eid, &error));
	g_assert_true (esim_bsp_derive_keys (secret, sizeof (secret), ESIM_BSP_KEY_TYPE_AES, ESIM_BSP_KEY_LENGTH,
	                                     (const guint8 *) HOST_ID, strlen (HOST_ID), eid, &keys, &error));
	g_assert_no_error (error);
	iscr = esim_init_secure_channel_build (tid, sizeof (tid), (const guint8 *) HOST_ID, strlen (HOST_ID),
	                                       esim_ecka_key_get_public (ot_key), s->euicc_otpk, signer->key,
	                                       &error);
	g_assert_no_error (error);
	metadata = make_metadata (o != NULL && o->metadata_iccid_bcd != NULL ? o->metadata_iccid_bcd : ICCID_BCD,
	                          o != NULL ? o->ppr_ids : 0);
	upp = make_upp (o != NULL && o->header_iccid != NULL ? o->header_iccid : ICCID_HEADER,
	                o != NULL && o->profile_size > 0 ? o->profile_size : 2500);
	content.init_secure_channel = iscr;
	content.configure_isdp = isdp;
	content.store_metadata = metadata;
	if (o != NULL && o->protect_in_advance) {
		gnutls_rnd (GNUTLS_RND_KEY, &ppk, sizeof (ppk));
		ppp = esim_bpp_protect_profile (&ppk, g_bytes_get_data (upp, NULL), g_bytes_get_size (upp), &error);
		g_assert_no_error (error);
		content.ppk = &ppk;
		content.ppp = ppp;
	} else {
		content.upp = upp;
	}
	bpp = esim_bpp_build (&keys, &content, &error);
	g_assert_no_error (error);
	return bpp;
}

/* The STORE DATA sequences of SGP.22 §2.5.5 (digest §1.4): BF36 header + BF23, whole A0,
 * A1 header, each 88, whole A2, A3 header, each 86. */
static GPtrArray *
segments_of (GBytes *bpp)
{
	GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
	g_autoptr(GError) error = NULL;
	EsimTlv top, part, element;
	EsimTlvIter iter, items;

	g_assert_true (esim_tlv_parse_exact (g_bytes_get_data (bpp, NULL), g_bytes_get_size (bpp), &top, &error));
	esim_tlv_iter_init (&iter, &top);
	while (esim_tlv_iter_next (&iter, &part, &error)) {
		gsize header = (gsize) (part.value - part.raw);

		if (part.tag == 0xBF23) {
			g_autoptr(GByteArray) first = g_byte_array_new ();
			g_byte_array_append (first, top.raw, (guint) (top.value - top.raw));
			g_byte_array_append (first, part.raw, (guint) part.raw_len);
			g_ptr_array_add (out, g_byte_array_free_to_bytes (g_steal_pointer (&first)));
		} else if (part.tag == 0xA0 || part.tag == 0xA2) {
			g_ptr_array_add (out, g_bytes_new (part.raw, part.raw_len));
		} else {
			g_ptr_array_add (out, g_bytes_new (part.raw, header));
			esim_tlv_iter_init (&items, &part);
			while (esim_tlv_iter_next (&items, &element, &error))
				g_ptr_array_add (out, g_bytes_new (element.raw, element.raw_len));
		}
	}
	g_assert_no_error (error);
	return out;
}

/* Sends @segments in order until the card answers with data; that answer.  *@n_sent
 * (optional) counts the segments the card took. */
static GBytes *
load_segments (Session *s, GPtrArray *segments, guint *n_sent)
{
	for (guint i = 0; i < segments->len; i++) {
		g_autoptr(GBytes) answer = es10 (s->card, g_ptr_array_index (segments, i));

		if (answer != NULL) {
			if (n_sent != NULL)
				*n_sent = i + 1;
			return g_steal_pointer (&answer);
		}
	}
	if (n_sent != NULL)
		*n_sent = segments->len;
	return NULL;
}

static GBytes *
load_bpp (Session *s, const BppOptions *o)
{
	g_autoptr(GBytes) bpp = make_bpp (s, o);
	g_autoptr(GPtrArray) segments = segments_of (bpp);
	guint n_sent = 0;
	GBytes *answer = load_segments (s, segments, &n_sent);

	g_assert_cmpuint (n_sent, ==, segments->len);
	return answer;
}

/* ProfileInstallationResult ::= [55] { ProfileInstallationResultData [39] { transactionId
 *   [0], notificationMetadata [47], smdpOid 06, finalResult [2] { successResult [0] {
 *   aid 4F, simaResponse 04 } | errorResult [1] { bppCommandId 80, errorReason 81 } } },
 *   euiccSignPIR 5F37 } -- checked byte for byte, and the signature over BF27. */
static void
check_result (Session *s, GBytes *pir, guint seq, const gchar *iccid_bcd, const gchar *address,
              const gchar *aid, guint command, guint reason)
{
	g_autofree gchar *tid = hex_of (s->transaction_id, sizeof (s->transaction_id));
	g_autofree gchar *address_hex = hex_of ((const guint8 *) address, strlen (address));
	g_autofree gchar *iccid = iccid_bcd != NULL ? g_strdup_printf ("5A0A%s", iccid_bcd) : g_strdup ("");
	g_autofree gchar *meta_body = g_strdup_printf ("800101" "81020780" "0C%02X%s%s", (guint) strlen (address),
	                                               address_hex, iccid);
	g_autofree gchar *final = aid != NULL ?
		g_strdup_printf ("A21FA01D" "4F10%s" "04093007A0053003800100", aid) :
		g_strdup_printf ("A208A106" "8001%02X" "8101%02X", command, reason);
	g_autofree gchar *expected = NULL;
	g_autofree gchar *body = NULL;
	g_autofree gchar *pir_hex = esim_hex_encode_bytes (pir);
	g_autoptr(GError) error = NULL;
	static const EsimTag data_path[] = { 0xBF27 };
	static const EsimTag sig_path[] = { 0x5F37 };
	EsimTlv data, sig;

	g_assert_cmpuint (seq, <, 128);
	meta_body[4] = "0123456789ABCDEF"[seq >> 4];
	meta_body[5] = "0123456789ABCDEF"[seq & 0xF];
	data = tlv_at (pir, data_path, 1);
	sig = tlv_at (pir, sig_path, 1);
	expected = g_strdup_printf ("8010%sBF2F%02X%s" SMDP_OID_DER "%s", tid, (guint) strlen (meta_body) / 2,
	                            meta_body, final);
	body = hex_of (data.value, data.len);
	g_assert_cmpstr (body, ==, expected);
	g_assert_true (g_str_has_prefix (pir_hex, "BF37"));
	g_assert_cmpuint (sig.len, ==, ESIM_SIGNATURE_LENGTH);
	g_assert_true (esim_cert_verify_signature (euicc_cert, data.raw, data.raw_len, sig.value, sig.len, &error));
	g_assert_no_error (error);
}

#define NEW_AID "A0000005591010FFFFFFFF8900001200"   /* after the two demo profiles */

static guint
count_list (GBytes *answer, EsimTag list_tag)
{
	g_autoptr(GError) error = NULL;
	EsimTlv list, child;
	EsimTlvIter iter;
	guint n = 0;

	list = tlv_at (answer, &list_tag, 1);
	esim_tlv_iter_init (&iter, &list);
	while (esim_tlv_iter_next (&iter, &child, &error))
		n++;
	g_assert_no_error (error);
	return n;
}

static guint
n_profiles (EsimVeuicc *card)
{
	g_autoptr(GBytes) answer = es10_hex (card, "BF2D00");

	return count_list (answer, 0xA0);
}

/* ---- tests ---------------------------------------------------------------------------------- */

/* The card is the one its credentials describe: EID, CI lists, certificates. */
static void
test_credentials (void)
{
	g_autoptr(EsimVeuicc) card = new_card (0);
	g_autoptr(GBytes) eid = es10_hex (card, "BF3E035C015A");
	g_autoptr(GBytes) info1 = es10_hex (card, "BF2000");
	g_autoptr(GBytes) info2 = es10_hex (card, "BF2200");
	g_autoptr(GBytes) certs = es10_hex (card, "BF5600");
	g_autofree gchar *cert_eid = esim_cert_dup_subject_serial_number (euicc_cert);
	g_autofree gchar *ci_path = g_build_filename (pki_dir, "CertificateIssuer", "CERT_CI_ECDSA_NIST.der", NULL);
	g_autoptr(EsimCert) ci = NULL;
	g_autofree gchar *ski = NULL;
	g_autofree gchar *expected = NULL;
	g_autoptr(GError) error = NULL;
	static const EsimTag verification[] = { 0xA9 };
	EsimTlv list;

	g_assert_cmpstr (esim_veuicc_get_eid (card), ==, cert_eid);
	g_assert_cmpstr (esim_veuicc_get_credentials_dir (card), ==, pki_dir);
	expected = g_strdup_printf ("BF3E125A10%s", cert_eid);
	assert_hex (eid, expected);
	ci = esim_cert_new_from_file (ci_path, &error);
	g_assert_no_error (error);
	ski = esim_hex_encode_bytes (esim_cert_get_subject_key_id (ci));
	/* EUICCInfo1 ::= [32] { svn [2], euiccCiPKIdListForVerification [9], …ForSigning [10] } */
	g_clear_pointer (&expected, g_free);
	expected = g_strdup_printf ("BF2035" "8203020500" "A9160414%s" "AA160414%s", ski, ski);
	assert_hex (info1, expected);
	list = tlv_at (info2, verification, 1);
	{
		g_autofree gchar *hex = hex_of (list.raw, list.raw_len);
		g_autofree gchar *want = g_strdup_printf ("A9160414%s", ski);
		g_assert_cmpstr (hex, ==, want);
	}
	/* GetCerts: the EUM and eUICC certificates of the credentials, retagged A5 / A6 */
	g_assert_cmpuint (g_bytes_get_size (certs), >, g_bytes_get_size (esim_cert_get_der (euicc_cert)));
}

static void
test_download (void)
{
	g_autoptr(EsimVeuicc) card = new_card (0);
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GBytes) pir = NULL;
	g_autoptr(GBytes) list = NULL;
	g_autoptr(GBytes) profiles = NULL;
	g_autofree gchar *expected = NULL;
	Session s = { 0 };

	start_session (&s, card);
	answer = prepare (&s, NULL);
	check_prepare_ok (&s, answer, FALSE);
	pir = load_bpp (&s, NULL);
	g_assert_nonnull (pir);
	check_result (&s, pir, 1, ICCID_BCD, SMDP_ADDRESS, NEW_AID, 0, 0);

	/* installed, disabled, with the metadata's names and class */
	profiles = es10_hex (card, "BF2D035C015A");
	g_assert_cmpuint (count_list (profiles, 0xA0), ==, 3);
	g_clear_pointer (&profiles, g_bytes_unref);
	profiles = es10_hex (card, "BF2D0EA00C5A0A" ICCID_BCD);
	assert_hex (profiles, "BF2D4CA04AE3485A0A" ICCID_BCD "4F10" NEW_AID "9F700100"
	            "9113657369 6D642074657374206F70657261746F72" "920C546573742050726F66696C65" "950102");
	/* the install notification is the signed result itself */
	list = es10_hex (card, "BF2B00");
	{
		static const EsimTag path[] = { 0xA0, 0xBF37 };
		EsimTlv stored = tlv_at (list, path, 2);
		g_assert_cmpmem (stored.raw, stored.raw_len, g_bytes_get_data (pir, NULL), g_bytes_get_size (pir));
	}
	g_clear_pointer (&list, g_bytes_unref);
	list = es10_hex (card, "BF2800");
	expected = g_strdup_printf ("BF2823A021BF2F1E800101810207800C09%s5A0A" ICCID_BCD,
	                            "736D64702E74657374");
	assert_hex (list, expected);

	/* its later events go where the metadata says: enable to notify.test, and the
	 * implicit disable of the demo profile to the demo's address */
	g_clear_pointer (&answer, g_bytes_unref);
	answer = es10_hex (card, "BF3111A00C5A0A" ICCID_BCD "8101FF");
	assert_hex (answer, "BF3103800100");
	g_clear_pointer (&list, g_bytes_unref);
	list = es10_hex (card, "BF2804 81020640");
	g_free (expected);
	expected = g_strdup_printf ("BF2825A023BF2F20800103810206400C0B%s5A0A" ICCID_BCD,
	                            "6E6F746966792E74657374");
	assert_hex (list, expected);
	session_clear (&s);
}

static void
test_confirmation_code (void)
{
	g_autoptr(EsimVeuicc) card = new_card (0);
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GBytes) pir = NULL;
	PrepareOptions with_cc = { .cc_required = TRUE, .with_hash_cc = TRUE };
	PrepareOptions without_cc = { .cc_required = TRUE };
	Session s = { 0 };

	/* required and not given: undefinedError, and the session stays for CancelSession */
	start_session (&s, card);
	answer = prepare (&s, &without_cc);
	check_error_answer (&s, answer, 0xBF21, 127);
	g_clear_pointer (&answer, g_bytes_unref);
	answer = prepare (&s, &with_cc);
	check_prepare_ok (&s, answer, TRUE);
	pir = load_bpp (&s, NULL);
	check_result (&s, pir, 1, ICCID_BCD, SMDP_ADDRESS, NEW_AID, 0, 0);
	session_clear (&s);
}

static void
test_protected_in_advance (void)
{
	g_autoptr(EsimVeuicc) card = new_card (0);
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GBytes) pir = NULL;
	BppOptions ppp = { .protect_in_advance = TRUE, .profile_size = 5000 };
	Session s = { 0 };

	start_session (&s, card);
	answer = prepare (&s, NULL);
	check_prepare_ok (&s, answer, FALSE);
	pir = load_bpp (&s, &ppp);
	check_result (&s, pir, 1, ICCID_BCD, SMDP_ADDRESS, NEW_AID, 0, 0);
	g_assert_cmpuint (n_profiles (card), ==, 3);
	session_clear (&s);
}

/* AuthenticateServer refuses, each with its AuthenticateErrorCode (RSPDefinitions). */
static void
test_authenticate_refusals (void)
{
	g_autoptr(EsimVeuicc) card = new_card (0);
	static const guint8 unknown_pkid[20] = { 0x01, 0x02, 0x03 };
	struct {
		AuthOptions options;
		guint       code;
	} cases[] = {
		{ { .ci_pkid = unknown_pkid }, 7 },                    /* ciPKUnknown */
		{ { .signer = &foreign_auth }, 7 },                    /* a foreign CI's DPauth */
		{ { .bad_signature = TRUE }, 2 },                      /* invalidSignature */
		{ { .wrong_challenge = TRUE }, 6 },                    /* euiccChallengeMismatch */
		{ { .signer = &dp_pb }, 5 },                           /* DPpb as DPauth: invalidOid */
	};
	Session s = { .card = g_object_ref (card) };

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr(GBytes) answer = NULL;

		gnutls_rnd (GNUTLS_RND_NONCE, s.transaction_id, sizeof (s.transaction_id));
		get_challenge (&s);
		answer = authenticate (&s, &cases[i].options);
		check_error_answer (&s, answer, 0xBF38, cases[i].code);
		g_clear_pointer (&answer, g_bytes_unref);
		/* the challenge is spent: the same request again has no session */
		answer = authenticate (&s, NULL);
		check_error_answer (&s, answer, 0xBF38, 4);
	}
	/* a foreign DPauth named with this card's CI: not issued by it */
	{
		g_autoptr(GBytes) answer = NULL;
		GBytes *own = esim_cert_get_authority_key_id (dp_auth.cert);
		AuthOptions options = { .signer = &foreign_auth, .ci_pkid = g_bytes_get_data (own, NULL) };

		get_challenge (&s);
		answer = authenticate (&s, &options);
		check_error_answer (&s, answer, 0xBF38, 1);
	}
	/* after a success, the same challenge does not authenticate twice */
	{
		g_autoptr(GBytes) answer = NULL;

		start_session (&s, card);
		answer = authenticate (&s, NULL);
		check_error_answer (&s, answer, 0xBF38, 4);
	}
	/* malformed: no transaction ID to answer with */
	{
		guint16 sw = 0;
		g_autoptr(GBytes) request = hex_bytes ("BF3803300100");
		g_autoptr(GBytes) answer = es10_sw (card, request, &sw);

		g_assert_null (answer);
		g_assert_cmphex (sw, ==, 0x6A80);
	}
	g_assert_cmpuint (n_profiles (card), ==, 2);
	session_clear (&s);
}

/* PrepareDownload refuses, each with its DownloadErrorCode. */
static void
test_prepare_refusals (void)
{
	g_autoptr(EsimVeuicc) card = new_card (0);
	g_autoptr(GBytes) answer = NULL;
	PrepareOptions wrong_tid = { .wrong_transaction = TRUE };
	PrepareOptions bad_signature = { .bad_signature = TRUE };
	PrepareOptions foreign = { .signer = &foreign_pb };
	PrepareOptions auth_as_pb = { .signer = &dp_auth };
	Session s = { 0 };

	/* no authenticated session */
	s.card = g_object_ref (card);
	get_challenge (&s);
	answer = prepare (&s, NULL);
	check_error_answer (&s, answer, 0xBF21, 4);
	g_clear_pointer (&answer, g_bytes_unref);

	start_session (&s, card);
	answer = prepare (&s, &wrong_tid);
	{
		/* the answer names the transaction ID of the request */
		g_autofree gchar *hex = esim_hex_encode_bytes (answer);
		g_assert_true (g_str_has_suffix (hex, "020105"));
	}
	g_clear_pointer (&answer, g_bytes_unref);
	answer = prepare (&s, &bad_signature);
	check_error_answer (&s, answer, 0xBF21, 2);
	g_clear_pointer (&answer, g_bytes_unref);
	answer = prepare (&s, &foreign);
	check_error_answer (&s, answer, 0xBF21, 1);
	g_clear_pointer (&answer, g_bytes_unref);
	answer = prepare (&s, &auth_as_pb);
	check_error_answer (&s, answer, 0xBF21, 1);
	g_clear_pointer (&answer, g_bytes_unref);
	/* the session survived every refusal */
	answer = prepare (&s, NULL);
	check_prepare_ok (&s, answer, FALSE);
	session_clear (&s);
}

/* One refused package: its result, nothing installed, the session over. */
static void
assert_load_refused (EsimVeuicc *card, Session *s, GBytes *pir, guint seq, const gchar *iccid_bcd,
                     guint command, guint reason)
{
	g_autoptr(GBytes) bpp = NULL;
	g_autoptr(GPtrArray) segments = NULL;
	guint16 sw = 0;

	g_assert_nonnull (pir);
	check_result (s, pir, seq, iccid_bcd, SMDP_ADDRESS, NULL, command, reason);
	g_assert_cmpuint (n_profiles (card), ==, 2);
	g_assert_cmpuint (esim_veuicc_get_n_notifications (card), ==, seq);
	/* the session is over: the package again finds none */
	bpp = make_bpp (s, NULL);
	segments = segments_of (bpp);
	g_assert_null (es10_sw (card, g_ptr_array_index (segments, 0), &sw));
	g_assert_cmphex (sw, ==, 0x6985);
}

static void
prepared_session (Session *s, EsimVeuicc *card)
{
	g_autoptr(GBytes) answer = NULL;

	start_session (s, card);
	answer = prepare (s, NULL);
	check_prepare_ok (s, answer, FALSE);
}

/* SGP.22 §5.7.5: a package bound to the card's otPK already (bppEuiccOtpk) is installed
 * with that key, kept across sessions until an install succeeds; any other gets a new one. */
static void
test_bound_key_retained (void)
{
	g_autoptr(EsimVeuicc) card = new_card (0);
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GBytes) pir = NULL;
	guint8 first[ESIM_P256_POINT_LEN], unknown[ESIM_P256_POINT_LEN];
	PrepareOptions retry = { .bpp_euicc_otpk = first };
	PrepareOptions other = { .bpp_euicc_otpk = unknown };
	Session s = { 0 };

	prepared_session (&s, card);
	memcpy (first, s.euicc_otpk, sizeof (first));
	/* the first attempt breaks off: cancelled, nothing loaded */
	{
		g_autofree gchar *tid = hex_of (s.transaction_id, sizeof (s.transaction_id));
		g_autofree gchar *cancel = g_strdup_printf ("BF41158010%s810105", tid);
		g_autoptr(GBytes) cancelled = es10_hex (card, cancel);

		g_assert_nonnull (cancelled);
	}
	/* the retry names the key the package was bound to: the card uses it again */
	start_session (&s, card);
	answer = prepare (&s, &retry);
	check_prepare_ok (&s, answer, FALSE);
	g_assert_cmpmem (s.euicc_otpk, sizeof (s.euicc_otpk), first, sizeof (first));
	pir = load_bpp (&s, NULL);
	check_result (&s, pir, 1, ICCID_BCD, SMDP_ADDRESS, NEW_AID, 0, 0);
	/* spent by the install: the same key named again is not used twice */
	memcpy (unknown, first, sizeof (unknown));
	start_session (&s, card);
	g_clear_pointer (&answer, g_bytes_unref);
	answer = prepare (&s, &other);
	check_prepare_ok (&s, answer, FALSE);
	g_assert_true (memcmp (s.euicc_otpk, first, sizeof (first)) != 0);
	session_clear (&s);
}

typedef enum {
	MANGLE_TAMPER,    /* a byte of the last 86 changed after its MAC */
	MANGLE_SWAP,      /* two 86 in the wrong order */
	MANGLE_REPLAY,    /* an 86 sent twice */
	MANGLE_WRONG_TAG, /* an 88 where an 86 belongs */
} Mangle;

static GBytes *
load_mangled (Session *s, Mangle mangle)
{
	BppOptions big = { .profile_size = 3000 };
	g_autoptr(GBytes) bpp = make_bpp (s, &big);
	g_autoptr(GPtrArray) segments = segments_of (bpp);
	guint last = segments->len - 1;
	GBytes *tmp;

	g_assert_cmpuint (segments->len, >=, 8);
	switch (mangle) {
	case MANGLE_TAMPER: {
		GBytes *old = g_ptr_array_index (segments, last);
		gsize len = g_bytes_get_size (old);
		guint8 *copy = g_memdup2 (g_bytes_get_data (old, NULL), len);

		/* in the ciphertext, before the 8-byte MAC */
		copy[len - 12] ^= 0x01;
		g_bytes_unref (old);
		g_ptr_array_index (segments, last) = g_bytes_new_take (copy, len);
		break;
	}
	case MANGLE_SWAP:
		tmp = g_ptr_array_index (segments, last);
		g_ptr_array_index (segments, last) = g_ptr_array_index (segments, last - 1);
		g_ptr_array_index (segments, last - 1) = tmp;
		break;
	case MANGLE_REPLAY:
		/* the first 86 (after the A3 header) once more */
		for (guint i = 0; i < segments->len; i++) {
			const guint8 *first = g_bytes_get_data (g_ptr_array_index (segments, i), NULL);

			if (first[0] == 0xA3) {
				g_ptr_array_insert (segments, (gint) i + 2,
				                    g_bytes_ref (g_ptr_array_index (segments, i + 1)));
				break;
			}
		}
		break;
	case MANGLE_WRONG_TAG:
		g_ptr_array_insert (segments, (gint) last, g_bytes_ref (g_ptr_array_index (segments, 3)));
		break;
	}
	return load_segments (s, segments, NULL);
}

static void
test_load_refusals (void)
{
	g_autoptr(EsimVeuicc) card = new_card (0);
	BppOptions mismatch = { .header_iccid = "8949449999999990019F" };
	BppOptions ppr1 = { .ppr_ids = 1u << 1 };
	BppOptions wrong_tid = { .wrong_transaction = TRUE };
	BppOptions foreign = { .signer = &foreign_pb };
	BppOptions demo_iccid = { .metadata_iccid_bcd = "984474560000000010F3", .header_iccid = "8944476500000000013F" };
	Session s = { 0 };
	guint seq = 0;
	struct {
		Mangle mangle;
		guint  reason;
	} mangles[] = {
		{ MANGLE_TAMPER, 8 },     /* scp03tSecurityError */
		{ MANGLE_SWAP, 8 },
		{ MANGLE_REPLAY, 8 },
		{ MANGLE_WRONG_TAG, 7 },  /* scp03tStructureError */
	};

	for (guint i = 0; i < G_N_ELEMENTS (mangles); i++) {
		g_autoptr(GBytes) pir = NULL;

		prepared_session (&s, card);
		pir = load_mangled (&s, mangles[i].mangle);
		assert_load_refused (card, &s, pir, ++seq, ICCID_BCD, 5, mangles[i].reason);
	}
	{
		g_autoptr(GBytes) pir = NULL;

		/* metadata and profile disagree on the ICCID: installFailedDueToDataMismatch */
		prepared_session (&s, card);
		pir = load_bpp (&s, &mismatch);
		assert_load_refused (card, &s, pir, ++seq, ICCID_BCD, 5, 13);
	}
	{
		g_autoptr(GBytes) pir = NULL;

		/* a forbidden policy rule: pprNotAllowed, at storeMetadata */
		prepared_session (&s, card);
		{
			g_autoptr(GBytes) bpp = make_bpp (&s, &ppr1);
			g_autoptr(GPtrArray) segments = segments_of (bpp);
			pir = load_segments (&s, segments, NULL);
		}
		assert_load_refused (card, &s, pir, ++seq, ICCID_BCD, 2, 15);
	}
	{
		g_autoptr(GBytes) pir = NULL;
		g_autoptr(GBytes) bpp = NULL;
		g_autoptr(GPtrArray) segments = NULL;

		/* an ICCID the card holds: installFailedDueToIccidAlreadyExistsOnEuicc (V14) */
		prepared_session (&s, card);
		bpp = make_bpp (&s, &demo_iccid);
		segments = segments_of (bpp);
		pir = load_segments (&s, segments, NULL);
		assert_load_refused (card, &s, pir, ++seq, "984474560000000010F3", 2, 9);
	}
	{
		g_autoptr(GBytes) pir = NULL;
		g_autoptr(GBytes) bpp = NULL;
		g_autoptr(GPtrArray) segments = NULL;
		guint n_sent = 0;

		/* InitialiseSecureChannel for another transaction, or signed by a foreign DPpb */
		prepared_session (&s, card);
		bpp = make_bpp (&s, &wrong_tid);
		segments = segments_of (bpp);
		pir = load_segments (&s, segments, &n_sent);
		g_assert_cmpuint (n_sent, ==, 1);
		assert_load_refused (card, &s, pir, ++seq, NULL, 0, 3);
		g_clear_pointer (&pir, g_bytes_unref);
		g_clear_pointer (&segments, g_ptr_array_unref);
		g_clear_pointer (&bpp, g_bytes_unref);
		prepared_session (&s, card);
		bpp = make_bpp (&s, &foreign);
		segments = segments_of (bpp);
		pir = load_segments (&s, segments, &n_sent);
		g_assert_cmpuint (n_sent, ==, 1);
		assert_load_refused (card, &s, pir, ++seq, NULL, 0, 2);
	}
	session_clear (&s);
}

/* A card with room for its two demo profiles only. */
static void
test_full_card (void)
{
	g_autoptr(EsimVeuicc) card = new_card (2);
	g_autoptr(GBytes) info2 = es10_hex (card, "BF2200");
	g_autoptr(GBytes) pir = NULL;
	g_autoptr(GBytes) bpp = NULL;
	g_autoptr(GPtrArray) segments = NULL;
	static const EsimTag resource[] = { 0x84 };
	EsimTlv ext = tlv_at (info2, resource, 1);
	Session s = { 0 };

	/* extCardResource: 2 installed, no free NVM */
	g_assert_cmpmem (ext.value, 9, "\x81\x01\x02\x82\x04\x00\x00\x00\x00", 9);
	prepared_session (&s, card);
	bpp = make_bpp (&s, NULL);
	segments = segments_of (bpp);
	pir = load_segments (&s, segments, NULL);
	/* installFailedDueToInsufficientMemoryForProfile, at storeMetadata */
	assert_load_refused (card, &s, pir, 1, ICCID_BCD, 2, 10);
	session_clear (&s);
}

static void
test_load_without_session (void)
{
	g_autoptr(EsimVeuicc) card = new_card (0);
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GBytes) bpp = NULL;
	g_autoptr(GPtrArray) segments = NULL;
	Session s = { 0 };
	guint16 sw = 0;

	/* authenticated, not prepared: no otPK to bind a package to */
	start_session (&s, card);
	memset (s.euicc_otpk, 0, sizeof (s.euicc_otpk));
	s.euicc_otpk[0] = 0x04;
	{
		g_autoptr(EsimEckaKey) key = esim_ecka_key_generate (NULL);
		memcpy (s.euicc_otpk, esim_ecka_key_get_public (key), ESIM_P256_POINT_LEN);
	}
	bpp = make_bpp (&s, NULL);
	segments = segments_of (bpp);
	answer = es10_sw (card, g_ptr_array_index (segments, 0), &sw);
	g_assert_null (answer);
	g_assert_cmphex (sw, ==, 0x6985);
	/* later segments without a package under way: no such function */
	answer = es10_sw (card, g_ptr_array_index (segments, 1), &sw);
	g_assert_null (answer);
	g_assert_cmphex (sw, ==, 0x6A80);
	g_assert_cmpuint (esim_veuicc_get_n_notifications (card), ==, 0);
	session_clear (&s);
}

/* CancelSessionResponseOk [0] { EuiccCancelSessionSigned { transactionId [0], smdpOid [1],
 *   reason [2] }, 5F37 } and its error alternative [1]. */
static void
test_cancel_session (void)
{
	g_autoptr(EsimVeuicc) card = new_card (0);
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *tid = NULL;
	g_autofree gchar *request = NULL;
	g_autofree gchar *expected = NULL;
	static const EsimTag signed_path[] = { 0xA0, 0x30 };
	static const EsimTag sig_path[] = { 0xA0, 0x5F37 };
	Session s = { 0 };
	EsimTlv signed_part, sig;

	/* no session: invalidTransactionId */
	answer = es10_hex (card, "BF4106 8001AA 810101");
	assert_hex (answer, "BF4103810105");
	g_clear_pointer (&answer, g_bytes_unref);
	/* an unknown reason: undefinedError */
	answer = es10_hex (card, "BF4106 8001AA 810140");
	assert_hex (answer, "BF4103 81017F");
	g_clear_pointer (&answer, g_bytes_unref);

	prepared_session (&s, card);
	tid = hex_of (s.transaction_id, sizeof (s.transaction_id));
	request = g_strdup_printf ("BF41158010%s810105", tid);
	answer = es10_hex (card, request);
	signed_part = tlv_at (answer, signed_path, 2);
	sig = tlv_at (answer, sig_path, 2);
	expected = g_strdup_printf ("301A" "8010%s" "810388370A" "820105", tid);
	{
		g_autofree gchar *hex = hex_of (signed_part.raw, signed_part.raw_len);
		g_assert_cmpstr (hex, ==, expected);
	}
	g_assert_true (esim_cert_verify_signature (euicc_cert, signed_part.raw, signed_part.raw_len, sig.value,
	                                           sig.len, &error));
	g_assert_no_error (error);
	/* the session is gone: cancelling again, or going on, finds none */
	g_clear_pointer (&answer, g_bytes_unref);
	answer = es10_hex (card, request);
	assert_hex (answer, "BF4103810105");
	g_clear_pointer (&answer, g_bytes_unref);
	answer = prepare (&s, NULL);
	check_error_answer (&s, answer, 0xBF21, 4);
	session_clear (&s);
}

/* A reset in the middle of a package: nothing of it stays. */
static void
test_reset_mid_load (void)
{
	g_autoptr(EsimVeuicc) card = new_card (0);
	g_autoptr(GBytes) bpp = NULL;
	g_autoptr(GPtrArray) segments = NULL;
	Session s = { 0 };
	guint16 sw = 0;

	prepared_session (&s, card);
	bpp = make_bpp (&s, NULL);
	segments = segments_of (bpp);
	for (guint i = 0; i + 2 < segments->len; i++)
		g_assert_null (es10 (card, g_ptr_array_index (segments, i)));
	esim_veuicc_reset (card);
	open_card (card);
	g_assert_null (es10_sw (card, g_ptr_array_index (segments, segments->len - 1), &sw));
	g_assert_cmphex (sw, ==, 0x6A80);
	g_assert_null (es10_sw (card, g_ptr_array_index (segments, 0), &sw));
	g_assert_cmphex (sw, ==, 0x6985);
	g_assert_cmpuint (n_profiles (card), ==, 2);
	g_assert_cmpuint (esim_veuicc_get_n_notifications (card), ==, 0);
	session_clear (&s);
}

static gchar *
read_file (const gchar *path)
{
	g_autoptr(GError) error = NULL;
	gchar *contents = NULL;

	g_assert_true (g_file_get_contents (path, &contents, NULL, &error));
	g_assert_no_error (error);
	return contents;
}

/* A seed file names the credentials; the card made from it downloads, and what it
 * installed is in its file, the half-loaded never. */
static void
test_persistence (void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp ("test-veuicc-seed-XXXXXX", &error);
	g_autofree gchar *path = g_build_filename (dir, "card.ini", NULL);
	g_autofree gchar *link = g_build_filename (dir, "pki", NULL);
	g_autofree gchar *before = NULL;
	g_autofree gchar *after = NULL;
	g_autofree gchar *cert_eid = esim_cert_dup_subject_serial_number (euicc_cert);
	g_autoptr(EsimVeuicc) card = NULL;
	g_autoptr(EsimVeuicc) reloaded = NULL;
	g_autoptr(GBytes) bpp = NULL;
	g_autoptr(GPtrArray) segments = NULL;
	g_autoptr(GBytes) pir = NULL;
	g_autoptr(GBytes) list = NULL;
	g_autoptr(GBytes) list_again = NULL;
	Session s = { 0 };

	g_assert_no_error (error);
	/* relative to the state file's directory */
	g_assert_cmpint (symlink (pki_dir, link), ==, 0);
	g_assert_true (g_file_set_contents (path, "[card]\ncredentials=pki\n", -1, &error));
	card = esim_veuicc_new_from_file (path, FALSE, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (esim_veuicc_get_eid (card), ==, cert_eid);
	before = read_file (path);
	g_assert_nonnull (strstr (before, "credentials=pki\n"));
	g_assert_null (strstr (before, "[keys]"));
	open_card (card);

	prepared_session (&s, card);
	bpp = make_bpp (&s, NULL);
	segments = segments_of (bpp);
	g_clear_pointer (&before, g_free);
	before = read_file (path);
	for (guint i = 0; i + 1 < segments->len; i++) {
		g_autofree gchar *now = NULL;

		g_assert_null (es10 (card, g_ptr_array_index (segments, i)));
		now = read_file (path);
		g_assert_cmpstr (now, ==, before);
	}
	pir = es10 (card, g_ptr_array_index (segments, segments->len - 1));
	check_result (&s, pir, 1, ICCID_BCD, SMDP_ADDRESS, NEW_AID, 0, 0);
	list = es10_hex (card, "BF2B00");
	after = read_file (path);
	g_assert_nonnull (strstr (after, "notify-enable=" NOTIFY_ADDRESS));

	reloaded = esim_veuicc_new_from_file (path, FALSE, &error);
	g_assert_no_error (error);
	open_card (reloaded);
	g_assert_cmpuint (n_profiles (reloaded), ==, 3);
	list_again = es10_hex (reloaded, "BF2B00");
	g_assert_true (g_bytes_equal (list, list_again));
	session_clear (&s);
	rm_rf (dir);
}

/* A test's [faults] BF36 (here in a seed) refuses every package segment with its status word. */
static void
test_package_fault (void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp ("test-veuicc-fault-XXXXXX", &error);
	g_autofree gchar *path = g_build_filename (dir, "card.ini", NULL);
	g_autofree gchar *seed = g_strdup_printf ("[card]\ncredentials=%s\n[faults]\nBF36=6F00\n", pki_dir);
	g_autoptr(EsimVeuicc) card = NULL;
	g_autoptr(GBytes) bpp = NULL;
	g_autoptr(GPtrArray) segments = NULL;
	Session s = { 0 };
	guint16 sw = 0;

	g_assert_no_error (error);
	g_assert_true (g_file_set_contents (path, seed, -1, &error));
	card = esim_veuicc_new_from_file (path, FALSE, &error);
	g_assert_no_error (error);
	open_card (card);
	prepared_session (&s, card);
	bpp = make_bpp (&s, NULL);
	segments = segments_of (bpp);
	g_assert_null (es10_sw (card, g_ptr_array_index (segments, 0), &sw));
	g_assert_cmphex (sw, ==, 0x6F00);
	g_assert_cmpuint (n_profiles (card), ==, 2);
	session_clear (&s);
	rm_rf (dir);
}

/* ImmediateEnable (SGP.32 v1.2 §5.9.15): once configured, the profile the last
 * download installed is enabled, once; a card reset ends that session context. */
static void
test_immediate_enable (void)
{
	g_autoptr(EsimVeuicc) card = new_card (0);
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GBytes) pir = NULL;
	Session s = { 0 };

	/* ConfigureImmediateProfileEnabling { immediateEnableFlag }, while no eIM is associated */
	answer = es10_hex (card, "BF59028000");
	assert_hex (answer, "BF5903800100");
	g_clear_pointer (&answer, g_bytes_unref);
	start_session (&s, card);
	g_clear_pointer (&answer, g_bytes_unref);
	answer = prepare (&s, NULL);
	check_prepare_ok (&s, answer, FALSE);
	pir = load_bpp (&s, NULL);
	check_result (&s, pir, 1, ICCID_BCD, SMDP_ADDRESS, NEW_AID, 0, 0);

	/* the new profile is enabled (refreshFlag FALSE), the demo one disabled */
	g_clear_pointer (&answer, g_bytes_unref);
	answer = es10_hex (card, "BF5A03800100");
	assert_hex (answer, "BF5A03800100");
	g_clear_pointer (&answer, g_bytes_unref);
	answer = es10_hex (card, "BF2D12A00C5A0A" ICCID_BCD "5C029F70");
	assert_hex (answer, "BF2D08A006E3049F700101");
	/* once: noSessionContext */
	g_clear_pointer (&answer, g_bytes_unref);
	answer = es10_hex (card, "BF5A038001FF");
	assert_hex (answer, "BF5A03800104");
	session_clear (&s);
}

/* A card keeps its identity: no switching a file between keys of its own and credentials. */
static void
test_identity (void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp ("test-veuicc-identity-XXXXXX", &error);
	g_autofree gchar *path = g_build_filename (dir, "card.ini", NULL);
	g_autofree gchar *other = g_build_filename (dir, "other", NULL);
	EsimVeuiccOptions with_credentials = { .credentials_dir = pki_dir };
	EsimVeuiccOptions with_other = { .credentials_dir = other };
	EsimTestPkiOptions pki_options = { .smdp_host = SMDP_ADDRESS };
	g_autoptr(EsimVeuicc) card = NULL;
	g_autoptr(EsimVeuicc) refused = NULL;
	g_autoptr(GBytes) answer = NULL;
	Session s = { 0 };

	g_assert_no_error (error);
	/* a card with keys of its own (as every card before credentials) still works… */
	card = esim_veuicc_new_from_file (path, TRUE, &error);
	g_assert_no_error (error);
	g_assert_null (esim_veuicc_get_credentials_dir (card));
	g_clear_object (&card);
	refused = esim_veuicc_new_from_file_full (path, FALSE, &with_credentials, &error);
	g_assert_error (error, ESIM_VEUICC_ERROR, ESIM_VEUICC_ERROR_IO);
	g_assert_null (refused);
	g_clear_error (&error);
	card = esim_veuicc_new_from_file_full (path, FALSE, NULL, &error);
	g_assert_no_error (error);
	/* …and refuses a download: no SM-DP+ chains to its self-made CI */
	open_card (card);
	s.card = g_object_ref (card);
	get_challenge (&s);
	answer = authenticate (&s, NULL);
	check_error_answer (&s, answer, 0xBF38, 7);
	g_clear_object (&card);
	g_unlink (path);

	/* a card with credentials is not taken as one with other credentials */
	g_assert_true (esim_test_pki_write (other, &pki_options, NULL, &error));
	card = esim_veuicc_new_from_file_full (path, TRUE, &with_credentials, &error);
	g_assert_no_error (error);
	g_clear_object (&card);
	card = esim_veuicc_new_from_file_full (path, FALSE, &with_credentials, &error);
	g_assert_no_error (error);
	g_clear_object (&card);
	refused = esim_veuicc_new_from_file_full (path, FALSE, &with_other, &error);
	g_assert_error (error, ESIM_VEUICC_ERROR, ESIM_VEUICC_ERROR_IO);
	g_assert_null (refused);
	g_clear_error (&error);
	/* credentials that do not load: the file is refused, and left alone */
	rm_rf (other);
	{
		g_autofree gchar *contents = read_file (path);
		g_autoptr(GKeyFile) kf = g_key_file_new ();
		g_autofree gchar *data = NULL;

		g_assert_true (g_key_file_load_from_data (kf, contents, -1, G_KEY_FILE_NONE, NULL));
		g_key_file_set_string (kf, "card", "credentials", other);
		data = g_key_file_to_data (kf, NULL, NULL);
		g_assert_true (g_file_set_contents (path, data, -1, NULL));
		refused = esim_veuicc_new_from_file (path, FALSE, &error);
		g_assert_error (error, ESIM_VEUICC_ERROR, ESIM_VEUICC_ERROR_IO);
		g_assert_nonnull (strstr (error->message, "cannot load the card's credentials"));
		g_assert_null (refused);
		/* untouched */
		g_autofree gchar *after = read_file (path);
		g_assert_cmpstr (after, ==, data);
	}
	session_clear (&s);
	rm_rf (dir);
}

int
main (int argc, char **argv)
{
	int ret;

	g_test_init (&argc, &argv, NULL);
	pki_setup ();
	g_test_add_func ("/veuicc/download/credentials", test_credentials);
	g_test_add_func ("/veuicc/download/download", test_download);
	g_test_add_func ("/veuicc/download/confirmation-code", test_confirmation_code);
	g_test_add_func ("/veuicc/download/protected-in-advance", test_protected_in_advance);
	g_test_add_func ("/veuicc/download/authenticate-refusals", test_authenticate_refusals);
	g_test_add_func ("/veuicc/download/prepare-refusals", test_prepare_refusals);
	g_test_add_func ("/veuicc/download/load-refusals", test_load_refusals);
	g_test_add_func ("/veuicc/download/full-card", test_full_card);
	g_test_add_func ("/veuicc/download/load-without-session", test_load_without_session);
	g_test_add_func ("/veuicc/download/cancel-session", test_cancel_session);
	g_test_add_func ("/veuicc/download/bound-key-retained", test_bound_key_retained);
	g_test_add_func ("/veuicc/download/reset-mid-load", test_reset_mid_load);
	g_test_add_func ("/veuicc/download/persistence", test_persistence);
	g_test_add_func ("/veuicc/download/identity", test_identity);
	g_test_add_func ("/veuicc/download/package-fault", test_package_fault);
	g_test_add_func ("/veuicc/download/immediate-enable", test_immediate_enable);
	ret = g_test_run ();
	rm_rf (pki_dir);
	return ret;
}
