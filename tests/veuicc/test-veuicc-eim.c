/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The IoT side of the software eUICC through the real ES10 path (EsimIsdr
 * over the virtual channel, the IPA's calls of esim-es10-iot.h): eIM
 * packages built and signed here by an eIM key of the test's own (src/crypto
 * and gnutls; the DER written with the DER writer, never with the IPA's
 * encoders), every PSMO and eCO, the card's refusals, its signed results
 * verified with the eUICC certificate it hands out, results listed until
 * removed, rollback, immediate enabling, and a change that cannot be saved.
 *
 * Expected bytes are written out from the v1.2 module's tags (digest §3.4,
 * §3.5) and the real-card layout of vectors.md V5, not taken from the
 * parser: card and client could otherwise agree on a wrong encoding.
 */

#include <string.h>
#include <glib/gstdio.h>
#include <gnutls/abstract.h>

#include "esim-cert.h"
#include "esim-channel-virtual.h"
#include "esim-der.h"
#include "esim-ecdsa.h"
#include "esim-es10-iot.h"
#include "esim-test-pki.h"
#include "esim-test-wait.h"
#include "esim-util.h"
#include "esim-veuicc.h"

#define ENABLED_ICCID  "8944476500000000013"     /* the demo card's */
#define DISABLED_ICCID "89444765000000000223"
#define TXID           "0102030405060708090A0B0C0D0E0F10"

/* vectors.md V4/V5: a real eIM's enable package and a real card's result */
#define V4_EID   "89049032000000000000279973200019"
#define V4_ICCID "8988308650122898710"
#define V4_SIGNED                                                                                  \
	"3045800C672D65696D2E636F6D2E62725A1089049032000000000000279973200019810105821000000000" \
	"000003676A9E55E6FF224E0FA00EA30C5A0A988803680521828917F0"
#define V5_BEFORE_SEQ                                                                              \
	"BF5172A070302B800C672D65696D2E636F6D2E6272810105821000000000000003676A9E55E6FF224E0F8301"
#define V5_AFTER_SEQ "30038301005F3740"

/* ---- the test's eIM ------------------------------------------------------------------------- */

typedef struct {
	gchar           *id;
	gnutls_privkey_t key;
	EsimTestPkiCert *cert;      /* when its key travels in a certificate */
	GBytes          *key_data;  /* eimPublicKeyData: A5 { A0 <SPKI contents> | A1 <cert contents> } */
	gint64           counter;   /* the last counterValue it used */
	gboolean         has_token;
	gint64           token;
} TestEim;

static void
test_eim_clear (TestEim *eim)
{
	g_clear_pointer (&eim->id, g_free);
	if (eim->cert == NULL && eim->key != NULL)
		gnutls_privkey_deinit (eim->key);
	eim->key = NULL;
	g_clear_pointer (&eim->cert, esim_test_pki_cert_free);
	g_clear_pointer (&eim->key_data, g_bytes_unref);
}

/* A5 { @choice <the contents of @der's outer SEQUENCE> } */
static GBytes *
retag (EsimTag choice, const guint8 *der, gsize len)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	EsimTlv tlv;

	g_assert_true (esim_tlv_parse_exact (der, len, &tlv, NULL));
	esim_der_writer_begin (writer, 0xA5);
	esim_der_writer_put (writer, choice, tlv.value, tlv.len);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

/* An eIM whose key is a pinned SubjectPublicKeyInfo (V16's form). */
static void
test_eim_init (TestEim *eim, const gchar *id)
{
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t spki = { NULL, 0 };

	memset (eim, 0, sizeof (*eim));
	eim->id = g_strdup (id);
	g_assert_cmpint (gnutls_privkey_init (&eim->key), ==, 0);
	g_assert_cmpint (gnutls_privkey_generate (eim->key, GNUTLS_PK_ECDSA,
	                                          GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1), 0),
	                 ==, 0);
	g_assert_cmpint (gnutls_pubkey_init (&pub), ==, 0);
	g_assert_cmpint (gnutls_pubkey_import_privkey (pub, eim->key, 0, 0), ==, 0);
	g_assert_cmpint (gnutls_pubkey_export2 (pub, GNUTLS_X509_FMT_DER, &spki), ==, 0);
	eim->key_data = retag (0xA0, spki.data, spki.size);
	gnutls_free (spki.data);
	gnutls_pubkey_deinit (pub);
}

/* An eIM whose key comes in a certificate (A5 { A1 … }). */
static void
test_eim_init_cert (TestEim *eim, const gchar *id)
{
	EsimTestPkiCertParams params = { .common_name = "Test eIM", .organization = "esimd tests" };
	g_autoptr(GError) error = NULL;
	GBytes *der;

	memset (eim, 0, sizeof (*eim));
	eim->id = g_strdup (id);
	eim->cert = esim_test_pki_cert_new (ESIM_CERT_ROLE_CI, &params, NULL, &error);
	g_assert_no_error (error);
	eim->key = esim_test_pki_cert_get_key (eim->cert);
	der = esim_test_pki_cert_get_der (eim->cert);
	eim->key_data = retag (0xA1, g_bytes_get_data (der, NULL), g_bytes_get_size (der));
}

/* EimConfigurationData: 30 { 80 eimId, 81 eimFqdn, 83 counterValue, 84 FF (a token, please),
 * A5 eimPublicKeyData } */
static GBytes *
test_eim_config (TestEim *eim, EsimTag tag, gboolean want_token, gint64 counter)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	esim_der_writer_begin (writer, tag);
	esim_der_writer_put_utf8 (writer, 0x80, eim->id);
	esim_der_writer_put_utf8 (writer, 0x81, "eim.example.com");
	if (counter >= 0)
		esim_der_writer_put_int (writer, 0x83, counter);
	if (want_token)
		esim_der_writer_put_int (writer, 0x84, -1);
	esim_der_writer_put_raw (writer, g_bytes_get_data (eim->key_data, NULL),
	                         g_bytes_get_size (eim->key_data));
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

/* ---- fixture -------------------------------------------------------------------------------- */

typedef struct {
	EsimVeuicc         *card;
	EsimChannelVirtual *channel;
	EsimIsdr           *isdr;
	GAsyncResult       *res;
	gboolean            done;
	gchar              *top;
	gchar              *path;
	guint8              eid[ESIM_EID_LENGTH];
	EsimCert           *euicc_cert;
	TestEim             eim;     /* associated by AddInitialEim, with a token */
} Fixture;

static void
async_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
	Fixture *f = user_data;

	g_assert_false (f->done);
	g_clear_object (&f->res);
	f->res = g_object_ref (res);
	f->done = TRUE;
}

static GAsyncResult *
wait_result_in (Fixture *f, const gchar *caller)
{
	esim_test_wait_until (f->done, "the call made in %s to complete", caller);
	f->done = FALSE;
	return f->res;
}
#define wait_result(f) wait_result_in (f, G_STRFUNC)

static GBytes *
hex_bytes (const gchar *hex)
{
	g_autoptr(GError) error = NULL;
	GBytes *bytes = esim_hex_decode (hex, &error);

	g_assert_no_error (error);
	return bytes;
}

static void
assert_bytes_hex (GBytes *bytes, const gchar *hex)
{
	g_autofree gchar *have = esim_hex_encode_bytes (bytes);
	g_autoptr(GBytes) want_bytes = hex_bytes (hex);
	g_autofree gchar *want = esim_hex_encode_bytes (want_bytes);

	g_assert_cmpstr (have, ==, want);
}

/* @tag { @content_hex } as hex, its length worked out */
static gchar *
wrap (EsimTag tag, const gchar *content_hex)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	g_autoptr(GBytes) content = hex_bytes (content_hex);
	g_autoptr(GBytes) tlv = NULL;

	esim_der_writer_put_bytes (writer, tag, content);
	tlv = esim_der_writer_finish (writer);
	return esim_hex_encode_bytes (tlv);
}

static gchar *
iccid_hex (const gchar *iccid)
{
	guint8 bcd[ESIM_ICCID_LENGTH];

	g_assert_true (esim_iccid_to_bcd (iccid, bcd, NULL));
	return esim_hex_encode (bcd, sizeof (bcd));
}

/* One ES10 request as raw bytes; the answer, or NULL with @error. */
static GBytes *
transceive (Fixture *f, const gchar *request_hex, GError **error)
{
	g_autoptr(GBytes) request = hex_bytes (request_hex);

	esim_isdr_transceive_async (f->isdr, request, NULL, async_done, f);
	return esim_isdr_transceive_finish (f->isdr, wait_result (f), error);
}

static void
open_card (Fixture *f)
{
	g_autoptr(GError) error = NULL;

	f->channel = esim_channel_virtual_new (f->card);
	f->isdr = esim_isdr_new (ESIM_CHANNEL (f->channel));
	esim_isdr_open_async (f->isdr, NULL, async_done, f);
	g_assert_true (esim_isdr_open_finish (f->isdr, wait_result (f), &error));
	g_assert_no_error (error);
	g_assert_true (esim_eid_to_bytes (esim_veuicc_get_eid (f->card), f->eid, NULL));
}

static void
close_card (Fixture *f)
{
	g_autoptr(GError) error = NULL;

	if (f->isdr != NULL) {
		esim_isdr_close_async (f->isdr, NULL, async_done, f);
		g_assert_true (esim_isdr_close_finish (f->isdr, wait_result (f), &error));
		g_assert_no_error (error);
	}
	g_clear_object (&f->isdr);
	g_clear_object (&f->channel);
	g_clear_object (&f->card);
}

/* The card as its file has it, as after a power cycle of the device. */
static void
reopen_card (Fixture *f)
{
	g_autoptr(GError) error = NULL;

	close_card (f);
	f->card = esim_veuicc_new_from_file (f->path, FALSE, &error);
	g_assert_no_error (error);
	open_card (f);
}

/* AddInitialEim of @eim, with a token when it asks for one. */
static void
add_initial (Fixture *f, TestEim *eim, gboolean want_token, gint64 counter)
{
	g_autoptr(GBytes) config = test_eim_config (eim, 0x30, want_token, counter);
	g_autoptr(GArray) results = NULL;
	g_autoptr(GError) error = NULL;

	esim_es10_add_initial_eim (f->isdr, config, NULL, async_done, f);
	results = esim_es10_add_initial_eim_finish (f->isdr, wait_result (f), &error);
	g_assert_no_error (error);
	g_assert_cmpuint (results->len, ==, 1);
	eim->has_token = g_array_index (results, EsimAddEimResult, 0).has_association_token;
	eim->token = g_array_index (results, EsimAddEimResult, 0).association_token;
	g_assert_true (eim->has_token == want_token);
	eim->counter = MAX (counter, 0);
}

static void
fixture_setup (Fixture *f, gconstpointer user_data)
{
	g_autoptr(EsimCerts) certs = NULL;
	g_autoptr(GError) error = NULL;

	f->top = g_dir_make_tmp ("test-veuicc-eim-XXXXXX", &error);
	g_assert_no_error (error);
	f->path = g_build_filename (f->top, "card.ini", NULL);
	f->card = esim_veuicc_new_from_file (f->path, TRUE, &error);
	g_assert_no_error (error);
	open_card (f);

	/* what an eIM would read with ipaEuiccDataRequest: the eUICC certificate */
	esim_es10_get_certs (f->isdr, NULL, NULL, async_done, f);
	certs = esim_es10_get_certs_finish (f->isdr, wait_result (f), &error);
	g_assert_no_error (error);
	f->euicc_cert = esim_cert_new_from_der (g_bytes_get_data (certs->euicc_certificate, NULL),
	                                        g_bytes_get_size (certs->euicc_certificate), &error);
	g_assert_no_error (error);

	test_eim_init (&f->eim, "eim.test");
	add_initial (f, &f->eim, TRUE, 10);
}

static void
fixture_teardown (Fixture *f, gconstpointer user_data)
{
	close_card (f);
	g_clear_object (&f->res);
	g_clear_pointer (&f->euicc_cert, esim_cert_unref);
	test_eim_clear (&f->eim);
	if (f->path != NULL)
		g_unlink (f->path);
	if (f->top != NULL)
		g_rmdir (f->top);
	g_free (f->path);
	g_free (f->top);
}

/* ---- packages ------------------------------------------------------------------------------- */

/* 84 L associationToken, 84 01 00 without one (digest §3.5) */
static void
put_token (EsimDerWriter *writer, gboolean has_token, gint64 token)
{
	esim_der_writer_put_int (writer, 0x84, has_token ? token : 0);
}

/* EuiccPackageRequest: BF51 { 30 { 80 eimId, 5A eid, 81 counter, 82 txid OPT, @list { @ops } },
 * 5F37 eimSignature over the 30 ‖ associationToken } */
static GBytes *
package_for (TestEim *eim, const guint8 *eid, gint64 counter, const gchar *txid_hex, EsimTag list,
             const gchar *ops_hex)
{
	g_autoptr(EsimDerWriter) signed_writer = esim_der_writer_new ();
	g_autoptr(EsimDerWriter) input = esim_der_writer_new ();
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	g_autoptr(GBytes) ops = hex_bytes (ops_hex);
	g_autoptr(GBytes) signed_part = NULL;
	g_autoptr(GBytes) tbs = NULL;
	g_autoptr(GError) error = NULL;
	guint8 signature[ESIM_ECDSA_RAW_LEN];

	esim_der_writer_begin (signed_writer, 0x30);
	esim_der_writer_put_utf8 (signed_writer, 0x80, eim->id);
	esim_der_writer_put (signed_writer, 0x5A, eid, ESIM_EID_LENGTH);
	esim_der_writer_put_int (signed_writer, 0x81, counter);
	if (txid_hex != NULL) {
		g_autoptr(GBytes) txid = hex_bytes (txid_hex);
		esim_der_writer_put_bytes (signed_writer, 0x82, txid);
	}
	esim_der_writer_begin (signed_writer, list);
	esim_der_writer_put_raw (signed_writer, g_bytes_get_data (ops, NULL), g_bytes_get_size (ops));
	esim_der_writer_end (signed_writer);
	esim_der_writer_end (signed_writer);
	signed_part = esim_der_writer_finish (signed_writer);

	esim_der_writer_put_raw (input, g_bytes_get_data (signed_part, NULL),
	                         g_bytes_get_size (signed_part));
	put_token (input, eim->has_token, eim->token);
	tbs = esim_der_writer_finish (input);
	g_assert_true (esim_ecdsa_sign (eim->key, g_bytes_get_data (tbs, NULL), g_bytes_get_size (tbs),
	                                signature, &error));
	g_assert_no_error (error);

	esim_der_writer_begin (writer, 0xBF51);
	esim_der_writer_put_raw (writer, g_bytes_get_data (signed_part, NULL),
	                         g_bytes_get_size (signed_part));
	esim_der_writer_put (writer, 0x5F37, signature, sizeof (signature));
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

/* The next package of @eim for this card (counter + 1, with a transaction ID). */
static GBytes *
next_package (Fixture *f, TestEim *eim, EsimTag list, const gchar *ops_hex)
{
	eim->counter++;
	return package_for (eim, f->eid, eim->counter, TXID, list, ops_hex);
}

static EsimEuiccPackageResult *
load (Fixture *f, GBytes *package)
{
	g_autoptr(GError) error = NULL;
	EsimEuiccPackageResult *result;

	esim_es10_load_euicc_package (f->isdr, package, NULL, async_done, f);
	result = esim_es10_load_euicc_package_finish (f->isdr, wait_result (f), &error);
	g_assert_no_error (error);
	g_assert_nonnull (result);
	return result;
}

static EsimEuiccPackageResult *
run_psmos (Fixture *f, const gchar *ops_hex)
{
	g_autoptr(GBytes) package = next_package (f, &f->eim, 0xA0, ops_hex);
	return load (f, package);
}

static EsimEuiccPackageResult *
run_ecos (Fixture *f, TestEim *eim, const gchar *ops_hex)
{
	g_autoptr(GBytes) package = next_package (f, eim, 0xA1, ops_hex);
	return load (f, package);
}

/* Walks @path (tags, each the first child with it) from the top of @bytes. */
static EsimTlv
tlv_at (GBytes *bytes, const EsimTag *path, guint n)
{
	EsimTlv tlv;

	g_assert_true (esim_tlv_parse_exact (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
	                                     &tlv, NULL));
	g_assert_cmphex (tlv.tag, ==, path[0]);
	for (guint i = 1; i < n; i++) {
		EsimTlv child;
		g_assert_true (esim_tlv_find (&tlv, path[i], &child, NULL));
		tlv = child;
	}
	return tlv;
}

/* The signed result's euiccResult list, as hex of its contents. */
static gchar *
results_hex (EsimEuiccPackageResult *result)
{
	static const EsimTag path[] = { 0xBF51, 0xA0, 0x30 };
	EsimTlv data = tlv_at (result->raw, path, G_N_ELEMENTS (path));
	EsimTlvIter iter;
	EsimTlv child = { 0 };

	g_assert_cmpint (result->kind, ==, ESIM_EUICC_PACKAGE_RESULT_SIGNED);
	/* the last element of EuiccPackageResultDataSigned */
	esim_tlv_iter_init (&iter, &data);
	while (esim_tlv_iter_next (&iter, &child, NULL))
		;
	g_assert_cmphex (child.tag, ==, 0x30);
	return esim_hex_encode (child.value, child.len);
}

static void
assert_results (EsimEuiccPackageResult *result, const gchar *expected_hex)
{
	g_autofree gchar *have = results_hex (result);
	g_autoptr(GBytes) want_bytes = hex_bytes (expected_hex);
	g_autofree gchar *want = esim_hex_encode_bytes (want_bytes);

	g_assert_cmpstr (have, ==, want);
}

/* The card's signature: eUICC key over DER(data) ‖ 84 L associationToken of @eim */
static void
assert_signed_by_card (Fixture *f, EsimEuiccPackageResult *result, TestEim *eim)
{
	EsimTag arm = result->kind == ESIM_EUICC_PACKAGE_RESULT_SIGNED ? 0xA0 : 0xA1;
	const EsimTag data_path[] = { 0xBF51, arm, 0x30 };
	const EsimTag sig_path[] = { 0xBF51, arm, 0x5F37 };
	EsimTlv data = tlv_at (result->raw, data_path, 3);
	EsimTlv sig = tlv_at (result->raw, sig_path, 3);
	g_autoptr(EsimDerWriter) input = esim_der_writer_new ();
	g_autoptr(GBytes) tbs = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_cmpuint (sig.len, ==, 64);
	esim_der_writer_put_raw (input, data.raw, data.raw_len);
	put_token (input, eim->has_token, eim->token);
	tbs = esim_der_writer_finish (input);
	g_assert_true (esim_cert_verify_signature (f->euicc_cert, g_bytes_get_data (tbs, NULL),
	                                           g_bytes_get_size (tbs), sig.value, sig.len, &error));
	g_assert_no_error (error);
}

static GPtrArray *
get_profiles (Fixture *f)
{
	g_autoptr(GError) error = NULL;
	GPtrArray *profiles;

	esim_es10_get_profiles_info (f->isdr, NULL, NULL, async_done, f);
	profiles = esim_es10_get_profiles_info_finish (f->isdr, wait_result (f), &error);
	g_assert_no_error (error);
	return profiles;
}

/* The state of the profile @iccid; -1 if the card has none. */
static gint
profile_state (Fixture *f, const gchar *iccid)
{
	g_autoptr(GPtrArray) profiles = get_profiles (f);

	for (guint i = 0; i < profiles->len; i++) {
		EsimProfileInfo *info = g_ptr_array_index (profiles, i);
		if (g_strcmp0 (info->iccid, iccid) == 0)
			return info->state;
	}
	return -1;
}

static EsimNotificationList *
retrieve (Fixture *f, EsimNotificationSearch search, guint64 value)
{
	g_autoptr(GError) error = NULL;
	EsimNotificationList *list;

	esim_es10_retrieve_notifications_list (f->isdr, search, value, NULL, async_done, f);
	list = esim_es10_retrieve_notifications_list_finish (f->isdr, wait_result (f), &error);
	g_assert_no_error (error);
	return list;
}

/* The seqNumbers of the results the card lists. */
static GArray *
listed_results (Fixture *f)
{
	g_autoptr(EsimNotificationList) list = retrieve (f, ESIM_NOTIFICATION_SEARCH_EUICC_PACKAGE_RESULTS, 0);
	GArray *seqs = g_array_new (FALSE, FALSE, sizeof (gint64));

	g_assert_cmpuint (list->notifications->len, ==, 0);
	for (guint i = 0; i < list->package_results->len; i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(EsimEuiccPackageResult) r =
			esim_es10_parse_euicc_package_result (g_ptr_array_index (list->package_results, i),
			                                      &error);
		g_assert_no_error (error);
		g_array_append_val (seqs, r->seq_number);
	}
	return seqs;
}

static gboolean
remove_seq (Fixture *f, guint64 seq, GError **error)
{
	esim_es10_remove_notification (f->isdr, seq, NULL, async_done, f);
	return esim_es10_remove_notification_finish (f->isdr, wait_result (f), error);
}

/* ---- the PSMOs ------------------------------------------------------------------------------ */

/* Enable: the profiles switch, both changes are notified before the result,
 * which is signed, carries the package's identity and is listed. */
static void
test_enable (Fixture *f, gconstpointer user_data)
{
	g_autofree gchar *bcd = iccid_hex (DISABLED_ICCID);
	g_autofree gchar *ops = g_strdup_printf ("A30C5A0A%s", bcd);
	g_autoptr(EsimEuiccPackageResult) result = run_psmos (f, ops);
	g_autoptr(EsimNotificationList) notifications = NULL;
	g_autoptr(GArray) listed = NULL;

	g_assert_cmpint (result->kind, ==, ESIM_EUICC_PACKAGE_RESULT_SIGNED);
	g_assert_cmpstr (result->eim_id, ==, "eim.test");
	g_assert_cmpint (result->counter_value, ==, 11);
	g_assert_cmpstr (result->eim_transaction_id, ==, TXID);
	g_assert_true (result->enable_succeeded);
	assert_results (result, "830100");
	assert_signed_by_card (f, result, &f->eim);
	g_assert_cmpint (profile_state (f, DISABLED_ICCID), ==, ESIM_PROFILE_STATE_ENABLED);
	g_assert_cmpint (profile_state (f, ENABLED_ICCID), ==, ESIM_PROFILE_STATE_DISABLED);

	/* disable of the old, enable of the new, then the result: one counter */
	notifications = retrieve (f, ESIM_NOTIFICATION_SEARCH_ALL, 0);
	g_assert_cmpuint (notifications->notifications->len, ==, 2);
	g_assert_cmpuint (notifications->package_results->len, ==, 0);
	{
		EsimPendingNotification *first = g_ptr_array_index (notifications->notifications, 0);
		EsimPendingNotification *second = g_ptr_array_index (notifications->notifications, 1);
		g_assert_cmpuint (first->meta.events, ==, ESIM_NOTIFICATION_DISABLE);
		g_assert_cmpstr (first->meta.iccid, ==, ENABLED_ICCID);
		g_assert_cmpuint (second->meta.events, ==, ESIM_NOTIFICATION_ENABLE);
		g_assert_cmpint ((gint64) second->meta.seq_number, <, result->seq_number);
	}
	listed = listed_results (f);
	g_assert_cmpuint (listed->len, ==, 1);
	g_assert_cmpint (g_array_index (listed, gint64, 0), ==, result->seq_number);

	/* the same profile again: profileNotInDisabledState, nothing else changes */
	{
		g_autoptr(EsimEuiccPackageResult) again = run_psmos (f, ops);
		assert_results (again, "830102");
		g_assert_false (again->enable_succeeded);
		assert_signed_by_card (f, again, &f->eim);
	}
}

/* vectors.md V4 → V5: the request laid out as a real eIM's, the result as a real
 * card's, byte for byte but for what only this card and this key can give
 * (the seqNumber from its counter, the signatures). */
static void
test_v4_v5_layout (void)
{
	EsimVeuiccOptions options = { .eid = V4_EID };
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) package = NULL;
	g_autoptr(EsimEuiccPackageResult) result = NULL;
	g_autofree gchar *request_hex = NULL;
	g_autofree gchar *expected = NULL;
	g_autofree gchar *sig_hex = NULL;
	Fixture fixture = { 0 };
	Fixture *f = &fixture;

	f->card = esim_veuicc_new_ephemeral_full (&options, &error);
	g_assert_no_error (error);
	g_assert_true (esim_veuicc_add_profile (f->card, V4_ICCID, "V4", "g-eim", "operational", &error));
	g_assert_no_error (error);
	open_card (f);
	{
		g_autoptr(EsimCerts) certs = NULL;
		esim_es10_get_certs (f->isdr, NULL, NULL, async_done, f);
		certs = esim_es10_get_certs_finish (f->isdr, wait_result (f), &error);
		g_assert_no_error (error);
		f->euicc_cert = esim_cert_new_from_der (g_bytes_get_data (certs->euicc_certificate, NULL),
		                                        g_bytes_get_size (certs->euicc_certificate),
		                                        &error);
	}
	/* the eIM of V4, without an associationToken: the signatures cover 84 01 00 */
	test_eim_init (&f->eim, "g-eim.com.br");
	add_initial (f, &f->eim, FALSE, 4);

	package = package_for (&f->eim, f->eid, 5, "00000000000003676A9E55E6FF224E0F", 0xA0,
	                       "A30C5A0A988803680521828917F0");
	request_hex = esim_hex_encode_bytes (package);
	g_assert_true (g_str_has_prefix (request_hex, "BF51818A" V4_SIGNED "5F3740"));
	g_assert_cmpuint (g_bytes_get_size (package), ==, 4 + 0x8A);

	result = load (f, package);
	/* two notifications (disable, enable) took 1 and 2 */
	g_assert_cmpint (result->seq_number, ==, 3);
	{
		static const EsimTag sig_path[] = { 0xBF51, 0xA0, 0x5F37 };
		EsimTlv sig = tlv_at (result->raw, sig_path, 3);
		sig_hex = esim_hex_encode (sig.value, sig.len);
	}
	expected = g_strdup_printf (V5_BEFORE_SEQ "03" V5_AFTER_SEQ "%s", sig_hex);
	assert_bytes_hex (result->raw, expected);
	assert_signed_by_card (f, result, &f->eim);

	close_card (f);
	g_clear_pointer (&f->euicc_cert, esim_cert_unref);
	test_eim_clear (&f->eim);
	g_clear_object (&f->res);
}

static void
test_disable_delete (Fixture *f, gconstpointer user_data)
{
	g_autofree gchar *enabled = iccid_hex (ENABLED_ICCID);
	g_autofree gchar *disabled = iccid_hex (DISABLED_ICCID);
	g_autofree gchar *ops = NULL;
	g_autoptr(EsimEuiccPackageResult) result = NULL;
	guint n_before = esim_veuicc_get_n_notifications (f->card);

	/* deleting the enabled profile is refused, and stops the package there */
	ops = g_strdup_printf ("A50C5A0A%s A40C5A0A%s", enabled, enabled);
	result = run_psmos (f, ops);
	assert_results (result, "850102");
	g_assert_cmpint (profile_state (f, ENABLED_ICCID), ==, ESIM_PROFILE_STATE_ENABLED);
	g_clear_pointer (&result, esim_euicc_package_result_free);

	/* disable, then delete both: each notified */
	g_free (ops);
	ops = g_strdup_printf ("A40C5A0A%s A50C5A0A%s A50C5A0A%s", enabled, disabled, enabled);
	result = run_psmos (f, ops);
	assert_results (result, "840100 850100 850100");
	g_assert_false (result->enable_succeeded);
	g_assert_cmpuint (esim_veuicc_get_n_profiles (f->card), ==, 0);
	g_assert_cmpuint (esim_veuicc_get_n_notifications (f->card), ==, n_before + 3);
	g_clear_pointer (&result, esim_euicc_package_result_free);

	/* profiles that are not there: iccidOrAidNotFound */
	g_free (ops);
	ops = g_strdup_printf ("A40C5A0A%s", enabled);
	result = run_psmos (f, ops);
	assert_results (result, "840101");
	g_clear_pointer (&result, esim_euicc_package_result_free);
	g_free (ops);
	ops = g_strdup_printf ("A30C5A0A%s", disabled);
	result = run_psmos (f, ops);
	assert_results (result, "830101");
}

/* One enable and one disable per package; a disable after the enable is refused. */
static void
test_one_switch_per_package (Fixture *f, gconstpointer user_data)
{
	g_autofree gchar *enabled = iccid_hex (ENABLED_ICCID);
	g_autofree gchar *disabled = iccid_hex (DISABLED_ICCID);
	g_autofree gchar *ops = g_strdup_printf ("A30C5A0A%s A40C5A0A%s", disabled, disabled);
	g_autoptr(EsimEuiccPackageResult) result = run_psmos (f, ops);

	assert_results (result, "830100 84017F");
	g_assert_cmpint (profile_state (f, DISABLED_ICCID), ==, ESIM_PROFILE_STATE_ENABLED);
	g_clear_pointer (&result, esim_euicc_package_result_free);
	/* disable then enable is fine */
	g_free (ops);
	ops = g_strdup_printf ("A40C5A0A%s A30C5A0A%s", disabled, enabled);
	result = run_psmos (f, ops);
	assert_results (result, "840100 830100");
	g_assert_cmpint (profile_state (f, ENABLED_ICCID), ==, ESIM_PROFILE_STATE_ENABLED);
}

/* listProfileInfo: SGP.32's default tags (with 9F67), a tag list, search criteria, and
 * the error that ends the package. */
static void
test_list_profile_info (Fixture *f, gconstpointer user_data)
{
	g_autofree gchar *enabled = iccid_hex (ENABLED_ICCID);
	g_autofree gchar *expected = NULL;
	g_autofree gchar *ops = NULL;
	g_autoptr(EsimEuiccPackageResult) result = run_psmos (f, "BF2D00");
	const EsimEuiccResult *item;

	g_assert_cmpuint (result->results->len, ==, 1);
	item = &g_array_index (result->results, EsimEuiccResult, 0);
	g_assert_cmphex (item->tag, ==, 0xBF2D);
	g_assert_cmpint (item->code, ==, 0);
	{
		/* both demo profiles, each with fallbackAllowed, no Fallback Profile yet */
		g_autofree gchar *hex = results_hex (result);
		g_assert_true (g_str_has_prefix (hex, "BF2D"));
		g_assert_nonnull (strstr (hex, "9F6701FF"));
		g_assert_nonnull (strstr (strstr (hex, "9F6701FF") + 8, "9F6701FF"));
		g_assert_null (strstr (hex, "9F2601"));
		g_assert_nonnull (strstr (hex, enabled));
	}
	g_clear_pointer (&result, esim_euicc_package_result_free);

	/* tagList 5A 9F70 and searchCriteria iccid */
	ops = g_strdup_printf ("BF2D13A00C5A0A%s5C035A9F70", enabled);
	result = run_psmos (f, ops);
	{
		g_autofree gchar *content = g_strdup_printf ("5A0A%s9F700101", enabled);
		g_autofree gchar *info = wrap (0xE3, content);
		g_autofree gchar *list = wrap (0xA0, info);
		expected = wrap (0xBF2D, list);
	}
	assert_results (result, expected);
	g_clear_pointer (&result, esim_euicc_package_result_free);

	/* a searchCriteria the card cannot read: profileInfoListError incorrectInputValues,
	 * and the next PSMO is not run */
	result = run_psmos (f, "BF2D04A0029501 A600");
	assert_results (result, "BF2D03810101");
	g_assert_cmpint (g_array_index (result->results, EsimEuiccResult, 0).code, ==, 1);
}

/* getRAT: the same table as ES10b GetRAT, under [6] */
static void
test_get_rat (Fixture *f, gconstpointer user_data)
{
	g_autoptr(EsimEuiccPackageResult) result = run_psmos (f, "A600");
	g_autoptr(GBytes) rat = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *table = NULL;
	g_autofree gchar *expected = NULL;
	EsimTlv outer, inner;

	rat = transceive (f, "BF4300", &error);
	g_assert_no_error (error);
	g_assert_true (esim_tlv_parse_exact (g_bytes_get_data (rat, NULL), g_bytes_get_size (rat),
	                                     &outer, NULL));
	g_assert_true (esim_tlv_find (&outer, 0xA0, &inner, NULL));
	table = esim_hex_encode (inner.value, inner.len);
	expected = g_strdup_printf ("A6%02X%s", (guint) inner.len, table);
	assert_results (result, expected);
}

static void
test_default_dp_address (Fixture *f, gconstpointer user_data)
{
	g_autoptr(EsimEuiccPackageResult) result = NULL;
	g_autoptr(EsimConfiguredAddresses) addresses = NULL;
	g_autoptr(GError) error = NULL;

	/* setDefaultDpAddress [101] { 80 "smdp.test" } -> BF65 { 80 ok } */
	result = run_psmos (f, "BF650B8009736D64702E74657374");
	assert_results (result, "BF6503800100");
	esim_es10_get_configured_addresses (f->isdr, NULL, async_done, f);
	addresses = esim_es10_get_configured_addresses_finish (f->isdr, wait_result (f), &error);
	g_assert_no_error (error);
	g_assert_cmpstr (addresses->default_dp_address, ==, "smdp.test");
}

/* setFallbackAttribute / unsetFallbackAttribute: the demo profiles allow it, a
 * profile added later does not; the attribute cannot leave an enabled Fallback
 * Profile; listProfileInfo shows 9F26 on it. */
static void
test_fallback (Fixture *f, gconstpointer user_data)
{
	g_autofree gchar *enabled = iccid_hex (ENABLED_ICCID);
	g_autofree gchar *disabled = iccid_hex (DISABLED_ICCID);
	g_autofree gchar *other = iccid_hex ("8944476500000000039");
	g_autofree gchar *ops = NULL;
	g_autoptr(EsimEuiccPackageResult) result = NULL;
	g_autoptr(GError) error = NULL;

	result = run_psmos (f, "A900");
	assert_results (result, "8E0102"); /* noFallbackAttribute */
	g_clear_pointer (&result, esim_euicc_package_result_free);

	g_assert_true (esim_veuicc_add_profile (f->card, "8944476500000000039", "Other", "Lab", "test",
	                                        &error));
	g_assert_no_error (error);
	ops = g_strdup_printf ("A80C5A0A%s", other);
	result = run_psmos (f, ops);
	assert_results (result, "8D0102"); /* fallbackNotAllowed */
	g_clear_pointer (&result, esim_euicc_package_result_free);

	g_free (ops);
	ops = g_strdup_printf ("A80C5A0A%s BF2D085C065A9F269F7092", disabled);
	result = run_psmos (f, ops);
	g_assert_cmpuint (result->results->len, ==, 2);
	{
		/* E3 { 5A, 9F70, 92 profileName, 9F26 }: only the Fallback Profile has 9F26 */
		g_autofree gchar *hex = results_hex (result);
		g_autofree gchar *want = g_strdup_printf ("5A0A%s9F700100", disabled);
		const gchar *fallback;
		g_assert_true (g_str_has_prefix (hex, "8D0100"));
		fallback = strstr (hex, want);
		g_assert_nonnull (fallback);
		g_assert_nonnull (strstr (fallback, "9F2601FF"));
		g_assert_null (strstr (strstr (hex, "9F2601FF") + 8, "9F2601FF"));
	}
	g_clear_pointer (&result, esim_euicc_package_result_free);

	/* the Fallback Profile enabled: its attribute stays where it is */
	g_free (ops);
	ops = g_strdup_printf ("A30C5A0A%s", disabled);
	result = run_psmos (f, ops);
	assert_results (result, "830100");
	g_clear_pointer (&result, esim_euicc_package_result_free);
	g_free (ops);
	ops = g_strdup_printf ("A80C5A0A%s", enabled);
	result = run_psmos (f, ops);
	assert_results (result, "8D0103");
	g_clear_pointer (&result, esim_euicc_package_result_free);
	result = run_psmos (f, "A900");
	assert_results (result, "8E0103");
	g_clear_pointer (&result, esim_euicc_package_result_free);

	/* back on the other profile, the attribute moves to it; unset waits until it is off */
	g_free (ops);
	ops = g_strdup_printf ("A30C5A0A%s A80C5A0A%s A900", enabled, enabled);
	result = run_psmos (f, ops);
	assert_results (result, "830100 8D0100 8E0103");
	g_clear_pointer (&result, esim_euicc_package_result_free);
	g_free (ops);
	ops = g_strdup_printf ("A40C5A0A%s A900", enabled);
	result = run_psmos (f, ops);
	assert_results (result, "840100 8E0100");
}

/* configureImmediateEnable PSMO, ConfigureImmediateProfileEnabling (ES10b, only
 * without an eIM), ImmediateEnable without a download to enable. */
static void
test_immediate_enable (Fixture *f, gconstpointer user_data)
{
	g_autoptr(EsimEuiccPackageResult) result = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *contents = NULL;

	esim_es10_immediate_enable (f->isdr, TRUE, NULL, async_done, f);
	g_assert_false (esim_es10_immediate_enable_finish (f->isdr, wait_result (f), &error));
	g_assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_WRONG_STATE);
	g_assert_cmpstr (error->message, ==, "ImmediateEnable: immediateEnableNotAvailable (1)");
	g_clear_error (&error);

	/* { 80 00, 81 2.999.10, 82 "smdp.test" } */
	result = run_psmos (f, "A7128000 810388370A 8209736D64702E74657374");
	assert_results (result, "870100");
	g_assert_true (g_file_get_contents (f->path, &contents, NULL, NULL));
	g_assert_nonnull (strstr (contents, "immediate-enable=true"));
	g_assert_nonnull (strstr (contents, "immediate-enable-smdp-oid=88370A"));
	g_assert_nonnull (strstr (contents, "immediate-enable-smdp-address=smdp.test"));
	g_clear_pointer (&result, esim_euicc_package_result_free);

	/* configured, but nothing downloaded since the card came up */
	esim_es10_immediate_enable (f->isdr, FALSE, NULL, async_done, f);
	g_assert_false (esim_es10_immediate_enable_finish (f->isdr, wait_result (f), &error));
	g_assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_NO_SESSION);
	g_clear_error (&error);

	/* an associated eIM configures it itself */
	esim_es10_configure_immediate_enable (f->isdr, TRUE, NULL, NULL, NULL, async_done, f);
	g_assert_false (esim_es10_configure_immediate_enable_finish (f->isdr, wait_result (f), &error));
	g_assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_ALREADY_EXISTS);
	g_clear_error (&error);

	/* a damaged configureImmediateEnable: processingTerminated */
	result = run_psmos (f, "A7028100");
	assert_results (result, "020102");
}

/* ---- the eCOs ------------------------------------------------------------------------------- */

static void
test_ecos (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GBytes) config = NULL;
	g_autoptr(EsimEuiccPackageResult) result = NULL;
	g_autoptr(GPtrArray) configs = NULL;
	g_autofree gchar *ops = NULL;
	g_autofree gchar *config_hex = NULL;
	g_autoptr(GError) error = NULL;
	TestEim second;

	/* addEim with a token request (A8 is EimConfigurationData with its tag replaced) */
	test_eim_init_cert (&second, "second.eim");
	config = test_eim_config (&second, 0xA8, TRUE, 0);
	config_hex = esim_hex_encode_bytes (config);
	result = run_ecos (f, &f->eim, config_hex);
	g_assert_cmpuint (result->results->len, ==, 1);
	g_assert_true (g_array_index (result->results, EsimEuiccResult, 0).has_association_token);
	second.has_token = TRUE;
	second.token = g_array_index (result->results, EsimEuiccResult, 0).association_token;
	g_assert_cmpint (second.token, !=, f->eim.token);
	assert_signed_by_card (f, result, &f->eim);
	g_clear_pointer (&result, esim_euicc_package_result_free);

	/* the same eIM again: associatedEimAlreadyExists */
	result = run_ecos (f, &f->eim, config_hex);
	assert_results (result, "A803020102");
	g_clear_pointer (&result, esim_euicc_package_result_free);

	/* a counterValue above what the card takes (SGP.32: at least 0x7FFFFF) */
	{
		TestEim third;
		g_autoptr(GBytes) too_high = NULL;
		g_autofree gchar *too_high_hex = NULL;

		test_eim_init (&third, "third.eim");
		too_high = test_eim_config (&third, 0xA8, FALSE, 0x800000);
		too_high_hex = esim_hex_encode_bytes (too_high);
		result = run_ecos (f, &f->eim, too_high_hex);
		assert_results (result, "A803020106");
		g_clear_pointer (&result, esim_euicc_package_result_free);
		test_eim_clear (&third);
	}

	/* listEim: both */
	result = run_ecos (f, &f->eim, "AB00");
	assert_results (result, "AB1CA01A300A8008" "65696D2E74657374" "300C800A" "7365636F6E642E65696D");
	g_clear_pointer (&result, esim_euicc_package_result_free);

	/* the new eIM signs with its certificate's key; its counter starts at 0 */
	result = run_ecos (f, &second, "A900");
	g_assert_cmpint (result->kind, ==, ESIM_EUICC_PACKAGE_RESULT_SIGNED);
	assert_results (result, "890107");   /* damaged deleteEim (empty): commandError */
	assert_signed_by_card (f, result, &second);
	g_clear_pointer (&result, esim_euicc_package_result_free);

	/* updateEim: a new FQDN; eimNotFound; the token cannot change */
	result = run_ecos (f, &second, "AA11 800A7365636F6E642E65696D 8103 6E6577");
	assert_results (result, "8A0100");
	g_clear_pointer (&result, esim_euicc_package_result_free);
	result = run_ecos (f, &second, "AA05 8003787878");
	assert_results (result, "8A0101");
	g_clear_pointer (&result, esim_euicc_package_result_free);
	result = run_ecos (f, &second, "AA0F 800A7365636F6E642E65696D 840101");
	assert_results (result, "8A0107");
	g_clear_pointer (&result, esim_euicc_package_result_free);
	/* a counter going back without a new key: counterValueOutOfRange */
	result = run_ecos (f, &second, "AA0F 800A7365636F6E642E65696D 830100");
	assert_results (result, "8A0106");
	g_clear_pointer (&result, esim_euicc_package_result_free);
	esim_es10_get_eim_configuration_data (f->isdr, "second.eim", NULL, async_done, f);
	configs = esim_es10_get_eim_configuration_data_finish (f->isdr, wait_result (f), &error);
	g_assert_no_error (error);
	g_assert_cmpuint (configs->len, ==, 1);
	g_assert_cmpstr (((EsimEimConfig *) g_ptr_array_index (configs, 0))->fqdn, ==, "new");
	g_assert_cmpint (((EsimEimConfig *) g_ptr_array_index (configs, 0))->counter_value, ==,
	                 second.counter);
	g_assert_cmpint (((EsimEimConfig *) g_ptr_array_index (configs, 0))->association_token, ==,
	                 second.token);

	/* deleteEim of the first eIM by the second; eimNotFound for one not there */
	ops = g_strdup_printf ("A90A8008%s A90580037878 78", "65696D2E74657374");
	result = run_ecos (f, &second, ops);
	assert_results (result, "890100 890101");
	g_clear_pointer (&result, esim_euicc_package_result_free);

	/* the second deletes itself, the last: lastEimDeleted, signed with its token */
	result = run_ecos (f, &second, "A90C800A7365636F6E642E65696D");
	assert_results (result, "890102");
	g_assert_true (esim_euicc_result_is_ok (&g_array_index (result->results, EsimEuiccResult, 0)));
	assert_signed_by_card (f, result, &second);
	g_clear_pointer (&result, esim_euicc_package_result_free);
	g_clear_pointer (&configs, g_ptr_array_unref);
	esim_es10_get_eim_configuration_data (f->isdr, NULL, NULL, async_done, f);
	configs = esim_es10_get_eim_configuration_data_finish (f->isdr, wait_result (f), &error);
	g_assert_no_error (error);
	g_assert_cmpuint (configs->len, ==, 0);
	/* and the card can be bootstrapped again */
	f->eim.counter = 0;
	add_initial (f, &f->eim, FALSE, -1);
	result = run_psmos (f, "A600");
	g_assert_cmpint (result->kind, ==, ESIM_EUICC_PACKAGE_RESULT_SIGNED);
	assert_signed_by_card (f, result, &f->eim);
	test_eim_clear (&second);
}

/* ---- refusals ------------------------------------------------------------------------------- */

static void
assert_unsigned (EsimEuiccPackageResult *result, const gchar *expected_hex)
{
	g_assert_cmpint (result->kind, ==, ESIM_EUICC_PACKAGE_ERROR_UNSIGNED);
	assert_bytes_hex (result->raw, expected_hex);
}

static void
test_refusals (Fixture *f, gconstpointer user_data)
{
	g_autofree gchar *disabled = iccid_hex (DISABLED_ICCID);
	g_autofree gchar *ops = g_strdup_printf ("A30C5A0A%s", disabled);
	g_autofree gchar *token = g_strdup_printf ("8401%02X", (guint) f->eim.token);
	g_autofree gchar *expected = NULL;
	g_autoptr(EsimEuiccPackageResult) result = NULL;
	g_autoptr(GBytes) package = NULL;
	g_autoptr(GBytes) tampered = NULL;
	g_autoptr(GError) error = NULL;
	guint8 foreign[ESIM_EID_LENGTH];
	TestEim stranger;

	g_assert_cmpint (f->eim.token, <, 0x80);

	/* a signature that does not verify: unsigned, with the eIM's token */
	package = package_for (&f->eim, f->eid, 11, TXID, 0xA0, ops);
	{
		gsize len = 0;
		guint8 *copy = g_bytes_unref_to_data (g_bytes_ref (package), &len);
		copy[len - 1] ^= 0x01;
		tampered = g_bytes_new_take (copy, len);
	}
	g_test_expect_message ("esim-veuicc", G_LOG_LEVEL_MESSAGE, "LoadEuiccPackage refused: *");
	result = load (f, tampered);
	g_test_assert_expected_messages ();
	{
		g_autofree gchar *content = g_strdup_printf ("8008" "65696D2E74657374" "8210" TXID "%s8F017F",
		                                             token);
		g_autofree gchar *arm = wrap (0xA2, content);
		expected = wrap (0xBF51, arm);
	}
	assert_unsigned (result, expected);
	g_clear_pointer (&result, esim_euicc_package_result_free);

	/* another eIM's key under this eIM's name: the same */
	test_eim_init (&stranger, "eim.test");
	stranger.has_token = f->eim.has_token;
	stranger.token = f->eim.token;
	g_clear_pointer (&package, g_bytes_unref);
	package = package_for (&stranger, f->eid, 11, TXID, 0xA0, ops);
	g_test_expect_message ("esim-veuicc", G_LOG_LEVEL_MESSAGE, "LoadEuiccPackage refused: *");
	result = load (f, package);
	g_test_assert_expected_messages ();
	assert_unsigned (result, expected);
	g_clear_pointer (&result, esim_euicc_package_result_free);
	test_eim_clear (&stranger);

	/* an eIM the card does not know: unsigned, no token */
	test_eim_init (&stranger, "stranger");
	g_clear_pointer (&package, g_bytes_unref);
	package = package_for (&stranger, f->eid, 1, NULL, 0xA0, ops);
	result = load (f, package);
	assert_unsigned (result, "BF510FA20D8008" "737472616E676572" "8F017F");
	g_clear_pointer (&result, esim_euicc_package_result_free);
	test_eim_clear (&stranger);

	/* another card's EID: signed invalidEid, the counter does not move */
	memcpy (foreign, f->eid, sizeof (foreign));
	foreign[15] ^= 0x11;
	g_clear_pointer (&package, g_bytes_unref);
	package = package_for (&f->eim, foreign, 11, TXID, 0xA0, ops);
	result = load (f, package);
	g_assert_cmpint (result->kind, ==, ESIM_EUICC_PACKAGE_ERROR_SIGNED);
	g_assert_cmpint (result->error_code, ==, 3);
	assert_signed_by_card (f, result, &f->eim);
	{
		static const EsimTag path[] = { 0xBF51, 0xA1, 0x30 };
		EsimTlv data = tlv_at (result->raw, path, 3);
		g_autofree gchar *hex = esim_hex_encode (data.raw, data.raw_len);
		g_assert_cmpstr (hex, ==, "30228008" "65696D2E74657374" "81010B" "8210" TXID "020103");
	}
	g_clear_pointer (&result, esim_euicc_package_result_free);

	/* the counter the card already has (10, from the configuration) and one below */
	for (gint64 counter = 9; counter <= 10; counter++) {
		g_clear_pointer (&package, g_bytes_unref);
		package = package_for (&f->eim, f->eid, counter, NULL, 0xA0, ops);
		result = load (f, package);
		g_assert_cmpint (result->kind, ==, ESIM_EUICC_PACKAGE_ERROR_SIGNED);
		g_assert_cmpint (result->error_code, ==, 4);
		g_assert_cmpstr (esim_euicc_package_error_to_string (result->error_code), ==, "replayError");
		g_clear_pointer (&result, esim_euicc_package_result_free);
	}
	/* above what the card takes: counterValueOutOfRange */
	g_clear_pointer (&package, g_bytes_unref);
	package = package_for (&f->eim, f->eid, 0x800000, NULL, 0xA0, ops);
	result = load (f, package);
	g_assert_cmpint (result->error_code, ==, 6);
	g_clear_pointer (&result, esim_euicc_package_result_free);
	g_assert_cmpint (profile_state (f, DISABLED_ICCID), ==, ESIM_PROFILE_STATE_DISABLED);

	/* none of them moved the counter: 11 is taken, then replayed */
	g_clear_pointer (&package, g_bytes_unref);
	package = package_for (&f->eim, f->eid, 11, TXID, 0xA0, ops);
	result = load (f, package);
	assert_results (result, "830100");
	g_clear_pointer (&result, esim_euicc_package_result_free);
	result = load (f, package);
	g_assert_cmpint (result->kind, ==, ESIM_EUICC_PACKAGE_ERROR_SIGNED);
	g_assert_cmpint (result->error_code, ==, 4);
	g_clear_pointer (&result, esim_euicc_package_result_free);
	f->eim.counter = 11;

	/* malformed after a good signature: unknownOrDamagedCommand ends the list */
	result = run_psmos (f, "A300");
	assert_results (result, "020102");
	g_clear_pointer (&result, esim_euicc_package_result_free);
	result = run_psmos (f, "BF7F00 A600");
	assert_results (result, "020102");
	g_clear_pointer (&result, esim_euicc_package_result_free);
	result = run_ecos (f, &f->eim, "A300");
	assert_results (result, "020102");
	g_clear_pointer (&result, esim_euicc_package_result_free);

	/* no eimSignature: unsigned; no eimId at all: the card cannot answer one (6A80) */
	{
		g_autoptr(GBytes) answer = NULL;
		g_autofree gchar *content = g_strdup_printf ("8008" "65696D2E74657374" "%s8F017F", token);
		g_autofree gchar *arm = wrap (0xA2, content);
		g_autofree gchar *want = wrap (0xBF51, arm);

		g_test_expect_message ("esim-veuicc", G_LOG_LEVEL_MESSAGE, "LoadEuiccPackage refused: *");
		answer = transceive (f, "BF510C300A8008" "65696D2E74657374", &error);
		g_test_assert_expected_messages ();
		g_assert_no_error (error);
		assert_bytes_hex (answer, want);
	}
	g_assert_null (transceive (f, "BF5104300281 00", &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_WRONG_DATA);
	g_clear_error (&error);

	/* the IPA refuses what is no BF51 before the card sees it */
	g_clear_pointer (&package, g_bytes_unref);
	package = hex_bytes ("BF5407A0028100820101");
	esim_es10_load_euicc_package (f->isdr, package, NULL, async_done, f);
	g_assert_null (esim_es10_load_euicc_package_finish (f->isdr, wait_result (f), &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

/* ---- results listed until removed; persistence; rollback; atomicity ------------------------ */

static void
test_results_listed (Fixture *f, gconstpointer user_data)
{
	g_autoptr(EsimEuiccPackageResult) first = run_psmos (f, "A600");
	g_autoptr(EsimEuiccPackageResult) second = run_psmos (f, "BF2D00");
	g_autoptr(EsimNotificationList) by_seq = NULL;
	g_autoptr(GArray) listed = listed_results (f);
	g_autoptr(GError) error = NULL;

	g_assert_cmpint (second->seq_number, >, first->seq_number);
	g_assert_cmpuint (listed->len, ==, 2);
	g_assert_cmpint (g_array_index (listed, gint64, 0), ==, first->seq_number);
	g_assert_cmpint (g_array_index (listed, gint64, 1), ==, second->seq_number);

	/* by seqNumber: that one, the bytes the card returned */
	by_seq = retrieve (f, ESIM_NOTIFICATION_SEARCH_SEQ_NUMBER, (guint64) second->seq_number);
	g_assert_cmpuint (by_seq->package_results->len, ==, 1);
	g_assert_true (g_bytes_equal (g_ptr_array_index (by_seq->package_results, 0), second->raw));

	/* they survive a power cycle */
	reopen_card (f);
	g_clear_pointer (&listed, g_array_unref);
	listed = listed_results (f);
	g_assert_cmpuint (listed->len, ==, 2);

	/* the eIM acknowledged the first */
	g_assert_true (remove_seq (f, (guint64) first->seq_number, &error));
	g_assert_no_error (error);
	g_clear_pointer (&listed, g_array_unref);
	listed = listed_results (f);
	g_assert_cmpuint (listed->len, ==, 1);
	g_assert_cmpint (g_array_index (listed, gint64, 0), ==, second->seq_number);
	g_assert_false (remove_seq (f, (guint64) first->seq_number, &error));
	g_assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_NOTHING_TO_DELETE);
	g_clear_error (&error);
	g_assert_true (remove_seq (f, (guint64) second->seq_number, &error));
	g_clear_pointer (&listed, g_array_unref);
	listed = listed_results (f);
	g_assert_cmpuint (listed->len, ==, 0);

	/* and the counter the eIM used is the card's after the power cycle too */
	{
		g_autoptr(GBytes) package = package_for (&f->eim, f->eid, f->eim.counter, NULL, 0xA0, "A600");
		g_autoptr(EsimEuiccPackageResult) replay = load (f, package);
		g_assert_cmpint (replay->error_code, ==, 4);
	}
}

static EsimProfileRollbackOk *
rollback (Fixture *f, GError **error)
{
	esim_es10_profile_rollback (f->isdr, TRUE, NULL, async_done, f);
	return esim_es10_profile_rollback_finish (f->isdr, wait_result (f), error);
}

static void
test_rollback (Fixture *f, gconstpointer user_data)
{
	g_autofree gchar *enabled = iccid_hex (ENABLED_ICCID);
	g_autofree gchar *disabled = iccid_hex (DISABLED_ICCID);
	g_autofree gchar *ops = NULL;
	g_autoptr(EsimEuiccPackageResult) result = NULL;
	g_autoptr(EsimProfileRollbackOk) ok = NULL;
	g_autoptr(GArray) listed = NULL;
	g_autoptr(GError) error = NULL;

	/* nothing granted yet */
	g_assert_null (rollback (f, &error));
	g_assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_DISALLOWED_BY_POLICY);
	g_assert_cmpstr (error->message, ==, "ProfileRollback: rollbackNotAllowed (1)");
	g_clear_error (&error);

	/* enable with rollbackFlag (universal NULL after the iccid); the profile to go
	 * back to cannot be deleted by the same package */
	ops = g_strdup_printf ("A30E5A0A%s0500 A50C5A0A%s", disabled, enabled);
	result = run_psmos (f, ops);
	assert_results (result, "830100 850114");
	g_assert_cmpint (profile_state (f, DISABLED_ICCID), ==, ESIM_PROFILE_STATE_ENABLED);

	/* the grant outlives a power cycle: no connectivity on the new profile */
	reopen_card (f);
	ok = rollback (f, &error);
	g_assert_no_error (error);
	g_assert_nonnull (ok->package_result);
	g_assert_cmpstr (ok->package_result->eim_id, ==, "eim.test");
	g_assert_cmpint (ok->package_result->counter_value, ==, result->counter_value);
	g_assert_cmpstr (ok->package_result->eim_transaction_id, ==, TXID);
	g_assert_cmpint (ok->package_result->seq_number, >, result->seq_number);
	assert_results (ok->package_result, "8C0100");
	assert_signed_by_card (f, ok->package_result, &f->eim);
	g_assert_cmpint (profile_state (f, ENABLED_ICCID), ==, ESIM_PROFILE_STATE_ENABLED);
	g_assert_cmpint (profile_state (f, DISABLED_ICCID), ==, ESIM_PROFILE_STATE_DISABLED);
	/* the rollback's result replaces the enable's in the list */
	listed = listed_results (f);
	g_assert_cmpuint (listed->len, ==, 1);
	g_assert_cmpint (g_array_index (listed, gint64, 0), ==, ok->package_result->seq_number);

	/* once only */
	g_assert_null (rollback (f, &error));
	g_assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_DISALLOWED_BY_POLICY);
	g_clear_error (&error);

	/* an enable without the flag grants nothing; a later package voids a grant */
	g_clear_pointer (&result, esim_euicc_package_result_free);
	g_free (ops);
	ops = g_strdup_printf ("A30C5A0A%s", disabled);
	result = run_psmos (f, ops);
	assert_results (result, "830100");
	g_assert_null (rollback (f, &error));
	g_clear_error (&error);
	g_clear_pointer (&result, esim_euicc_package_result_free);
	g_free (ops);
	ops = g_strdup_printf ("A30E5A0A%s0500", enabled);
	result = run_psmos (f, ops);
	assert_results (result, "830100");
	g_clear_pointer (&result, esim_euicc_package_result_free);
	result = run_psmos (f, "A600");
	g_assert_null (rollback (f, &error));
	g_clear_error (&error);

	/* with nothing enabled there is no way back: rollbackNotAvailable; after a
	 * disable in the same package, the way back is the profile it disabled */
	g_clear_pointer (&result, esim_euicc_package_result_free);
	g_free (ops);
	ops = g_strdup_printf ("A40C5A0A%s", enabled);
	result = run_psmos (f, ops);
	assert_results (result, "840100");
	g_clear_pointer (&result, esim_euicc_package_result_free);
	g_free (ops);
	ops = g_strdup_printf ("A30E5A0A%s0500", disabled);
	result = run_psmos (f, ops);
	assert_results (result, "830114");
	g_clear_pointer (&result, esim_euicc_package_result_free);
	g_free (ops);
	ops = g_strdup_printf ("A30C5A0A%s A40C5A0A%s A30E5A0A%s0500", enabled, enabled, disabled);
	result = run_psmos (f, ops);
	assert_results (result, "830100 84017F");
	g_clear_pointer (&result, esim_euicc_package_result_free);
	g_free (ops);
	ops = g_strdup_printf ("A40C5A0A%s A30E5A0A%s0500", enabled, disabled);
	result = run_psmos (f, ops);
	assert_results (result, "840100 830100");
	g_clear_pointer (&ok, esim_profile_rollback_ok_free);
	ok = rollback (f, &error);
	g_assert_no_error (error);
	g_assert_cmpint (profile_state (f, ENABLED_ICCID), ==, ESIM_PROFILE_STATE_ENABLED);
}

/* A package whose changes cannot be saved leaves nothing behind: not the switch,
 * not the counter, not a result; the card answers 6581. */
static void
test_failed_save (Fixture *f, gconstpointer user_data)
{
	g_autofree gchar *disabled = iccid_hex (DISABLED_ICCID);
	g_autofree gchar *ops = g_strdup_printf ("A30C5A0A%s", disabled);
	g_autofree gchar *aside = g_build_filename (g_get_tmp_dir (), "test-veuicc-eim-aside-XXXXXX", NULL);
	g_autoptr(GBytes) package = next_package (f, &f->eim, 0xA0, ops);
	g_autoptr(EsimEuiccPackageResult) result = NULL;
	g_autoptr(GArray) listed = NULL;
	g_autoptr(GError) error = NULL;
	guint n_notifications = esim_veuicc_get_n_notifications (f->card);
	gchar *dir_aside;

	/* a file where the card's directory was: nothing can be written below it */
	dir_aside = g_mkdtemp (aside);
	g_assert_nonnull (dir_aside);
	g_assert_cmpint (g_rmdir (aside), ==, 0);
	g_assert_cmpint (g_rename (f->top, aside), ==, 0);
	g_assert_true (g_file_set_contents (f->top, "", 0, &error));
	g_assert_no_error (error);

	g_test_expect_message ("esim-veuicc", G_LOG_LEVEL_WARNING, "change not made: *");
	esim_es10_load_euicc_package (f->isdr, package, NULL, async_done, f);
	g_assert_null (esim_es10_load_euicc_package_finish (f->isdr, wait_result (f), &error));
	g_test_assert_expected_messages ();
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MEMORY);
	g_clear_error (&error);
	g_assert_cmpint (profile_state (f, DISABLED_ICCID), ==, ESIM_PROFILE_STATE_DISABLED);
	g_assert_cmpuint (esim_veuicc_get_n_notifications (f->card), ==, n_notifications);
	listed = listed_results (f);
	g_assert_cmpuint (listed->len, ==, 0);

	/* the same package once the card can save again: its counter was not used */
	g_assert_cmpint (g_unlink (f->top), ==, 0);
	g_assert_cmpint (g_rename (aside, f->top), ==, 0);
	result = load (f, package);
	assert_results (result, "830100");
}

/* [faults] LoadEuiccPackage=error: the unsigned undefinedError naming the eIM */
static void
test_fault (void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *top = g_dir_make_tmp ("test-veuicc-eim-XXXXXX", &error);
	g_autofree gchar *path = g_build_filename (top, "card.ini", NULL);
	g_autofree gchar *contents = NULL;
	g_autofree gchar *with_fault = NULL;
	g_autoptr(EsimEuiccPackageResult) result = NULL;
	g_autoptr(GBytes) package = NULL;
	Fixture fixture = { 0 };
	Fixture *f = &fixture;

	f->card = esim_veuicc_new_from_file (path, TRUE, &error);
	g_assert_no_error (error);
	g_clear_object (&f->card);
	g_assert_true (g_file_get_contents (path, &contents, NULL, &error));
	with_fault = g_strdup_printf ("%s\n[faults]\nBF51=error\n", contents);
	g_assert_true (g_file_set_contents (path, with_fault, -1, &error));
	f->card = esim_veuicc_new_from_file (path, FALSE, &error);
	g_assert_no_error (error);
	open_card (f);
	test_eim_init (&f->eim, "eim.test");
	add_initial (f, &f->eim, FALSE, -1);
	package = next_package (f, &f->eim, 0xA0, "A600");
	result = load (f, package);
	assert_unsigned (result, "BF5121A21F8008" "65696D2E74657374" "8210" TXID "8F017F");

	close_card (f);
	test_eim_clear (&f->eim);
	g_clear_object (&f->res);
	g_unlink (path);
	g_rmdir (top);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);

#define ADD(path, func)                                                                          \
	g_test_add ("/esim/veuicc/eim/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

	ADD ("enable", test_enable);
	g_test_add_func ("/esim/veuicc/eim/v4-v5-layout", test_v4_v5_layout);
	ADD ("disable-delete", test_disable_delete);
	ADD ("one-switch-per-package", test_one_switch_per_package);
	ADD ("list-profile-info", test_list_profile_info);
	ADD ("get-rat", test_get_rat);
	ADD ("default-dp-address", test_default_dp_address);
	ADD ("fallback", test_fallback);
	ADD ("immediate-enable", test_immediate_enable);
	ADD ("ecos", test_ecos);
	ADD ("refusals", test_refusals);
	ADD ("results-listed", test_results_listed);
	ADD ("rollback", test_rollback);
	ADD ("failed-save", test_failed_save);
	g_test_add_func ("/esim/veuicc/eim/fault", test_fault);

#undef ADD
	return g_test_run ();
}
