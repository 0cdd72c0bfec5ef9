/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ES10b download calls end to end through EsimIsdr over the scripted
 * channel: the exact STORE DATA commands (V10 and AOSP EuiccPortTest byte for
 * byte where they exist), the segment-by-segment LoadBoundProfilePackage with
 * its early stop, status-word failures named with the segment, and refusals
 * that must not send anything.
 */

#include <string.h>

#include "esim-apdu.h"
#include "esim-der.h"
#include "esim-es10-download.h"
#include "esim-test-wait.h"
#include "esim-util.h"
#include "fake-channel.h"

#define X4(b)  b b b b
#define X16(b) X4 (b) X4 (b) X4 (b) X4 (b)
#define X64(b) X16 (b) X16 (b) X16 (b) X16 (b)

#define ISDR_AID_HEX "A0000005591010FFFFFFFF8900000100"
#define WAIT_SECONDS 10

/* V10 (real card through AT+CGLA on channel 1) */
#define V10_COMMAND  "81E2910003BF2E00"
#define V10_RESPONSE "BF2E128010FDC5A60071053ABB4C0F91BC0620BCFD"

/* AOSP EuiccPortTest.testLoadBoundProfilePackage: the package and its commands */
#define AOSP_BPP "BF361FBF2300A0058703010203A1058803040506A200A30A860307080986030A0B0C"
static const gchar *const aosp_bpp_commands[] = {
	"81E2910006BF361FBF2300", "81E2910007A0058703010203", "81E2910002A105",
	"81E29100058803040506",   "81E2910002A200",           "81E2910002A30A",
	"81E29100058603070809",   "81E291000586030A0B0C",
};

/* V14's ProfileInstallationResult (real card: ICCID already on the card) */
#define V14_PIR                                                                                \
	"BF378198BF27528010E0F1356728A44720B219A3B70C9DF57EBF2F2E800102810207800C197465737473" \
	"6D6470706C7573312E6578616D706C652E636F6D5A0A989444999999990930F1060388370AA208A10680" \
	"01028101095F37407FA95E72677338D953EE62395D7BCDC365BF217DFE6DAF315A98503F9DEF97103EAF" \
	"BA7EDB5E16621BA14061354A75390FF0E8332B26AC31C8E2C9FAA6C07358"

/* hand-assembled successful result (tag reasoning in test-es10-download.c) */
#define PIR_OK                                                                                 \
	"BF37818DBF2747" "8003A1B2C3"                                                          \
	"BF2F19800105810207800C04736D64705A0A989444999999990930F1" "060388370A"                \
	"A21FA01D4F10A0000005591010FFFFFFFF8900001200" "04093007A0053003800100"                \
	"5F3740" X64 ("55")

/* hand-assembled cancelSessionResponseOk (see test-es10-download.c) */
#define CANCEL_OK "BF4154A052300D8003A1B2C381038837" "0A820101" "5F3740" X64 ("66")

/* ---- helpers ---- */

typedef struct {
	GAsyncResult *result;
} Waiter;

static void
got_result (GObject *source, GAsyncResult *res, gpointer user_data)
{
	Waiter *waiter = user_data;

	g_assert_null (waiter->result);
	waiter->result = g_object_ref (res);
}

/* Runs the main loop until @what completes, at most WAIT_SECONDS. */
static GAsyncResult *
wait_for (Waiter *waiter, const gchar *what)
{
	esim_test_wait_until_ms (WAIT_SECONDS * 1000, waiter->result != NULL, "%s to complete", what);
	return g_steal_pointer (&waiter->result);
}

static GBytes *
hex_bytes (const gchar *hex)
{
	g_autoptr(GError) error = NULL;
	GBytes *bytes = esim_hex_decode (hex, &error);

	g_assert_no_error (error);
	return bytes;
}

/* Opens the ISD-R on logical channel 1 (MANAGE CHANNEL, SELECT, TERMINAL CAPABILITY). */
static EsimIsdr *
open_isdr (FakeChannel *fake)
{
	g_autoptr(EsimIsdr) isdr = esim_isdr_new (ESIM_CHANNEL (fake));
	g_autoptr(GBytes) tc = esim_apdu_build_terminal_capability (1);
	g_autofree gchar *tc_hex = esim_hex_encode_bytes (tc);
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	Waiter waiter = { 0 };

	fake_channel_expect (fake, "0070000001", "019000");
	fake_channel_expect (fake, "01A4040010" ISDR_AID_HEX, "6120");
	fake_channel_expect (fake, tc_hex, "9000");
	esim_isdr_open_async (isdr, NULL, got_result, &waiter);
	res = wait_for (&waiter, "opening the ISD-R");
	g_assert_true (esim_isdr_open_finish (isdr, res, &error));
	g_assert_no_error (error);
	return g_steal_pointer (&isdr);
}

/* Closes the ISD-R (MANAGE CHANNEL close) and checks the whole script ran. */
static void
close_isdr (FakeChannel *fake, EsimIsdr *isdr)
{
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	Waiter waiter = { 0 };

	fake_channel_expect (fake, "0070800100", "9000");
	esim_isdr_close_async (isdr, NULL, got_result, &waiter);
	res = wait_for (&waiter, "closing the ISD-R");
	g_assert_true (esim_isdr_close_finish (isdr, res, &error));
	g_assert_no_error (error);
	fake_channel_assert_done (fake);
}

static void
expect_store_data (FakeChannel *fake, const gchar *data_hex, const gchar *response_hex)
{
	g_autoptr(GBytes) data = hex_bytes (data_hex);
	g_autofree gchar *command = g_strdup_printf ("81E29100%02X%s",
						     (guint) g_bytes_get_size (data), data_hex);

	fake_channel_expect (fake, command, response_hex);
}

typedef struct {
	guint calls;
	guint last_done;
	guint last_total;
} Progress;

static void
on_progress (guint done, guint total, gpointer user_data)
{
	Progress *progress = user_data;

	g_assert_cmpuint (done, ==, progress->last_done + 1);
	progress->calls++;
	progress->last_done = done;
	progress->last_total = total;
}

static EsimProfileInstallationResult *
load_bpp (EsimIsdr *isdr, GBytes *bpp, Progress *progress, GError **error)
{
	g_autoptr(GAsyncResult) res = NULL;
	Waiter waiter = { 0 };

	esim_es10_load_bound_profile_package (isdr, bpp, progress != NULL ? on_progress : NULL,
					      progress, NULL, got_result, &waiter);
	res = wait_for (&waiter, "LoadBoundProfilePackage");
	return esim_es10_load_bound_profile_package_finish (isdr, res, error);
}

/* ---- calls with one request ---- */

static void
test_get_euicc_challenge_v10 (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = open_isdr (fake);
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GBytes) challenge = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *hex = NULL;
	Waiter waiter = { 0 };

	/* V10 byte for byte: STORE DATA on channel 1, answer without 61xx */
	fake_channel_expect (fake, V10_COMMAND, V10_RESPONSE "9000");
	esim_es10_get_euicc_challenge (isdr, NULL, got_result, &waiter);
	res = wait_for (&waiter, "GetEuiccChallenge");
	challenge = esim_es10_get_euicc_challenge_finish (isdr, res, &error);
	g_assert_no_error (error);
	hex = esim_hex_encode_bytes (challenge);
	g_assert_cmpstr (hex, ==, "FDC5A60071053ABB4C0F91BC0620BCFD");
	close_isdr (fake, isdr);
}

static void
test_authenticate_server_error_response (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = open_isdr (fake);
	g_autoptr(GBytes) signed1 = hex_bytes ("3003800101");
	g_autoptr(GBytes) signature1 = hex_bytes ("5F3702AABB");
	g_autoptr(GBytes) pkid = hex_bytes ("0402CCDD");
	g_autoptr(GBytes) certificate = hex_bytes ("3000");
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GBytes) error_response = NULL;
	g_autoptr(EsimAuthenticateServerOk) ok = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *hex = NULL;
	Waiter waiter = { 0 };
	EsimAuthenticateServerInput input = {
		.server_signed1 = signed1,
		.server_signature1 = signature1,
		.euicc_ci_pkid_to_be_used = pkid,
		.server_certificate = certificate,
		.matching_id = "A1B2C3-X4Y5Z6",
	};

	/* the card refuses the server's CI (ciPKUnknown 7) */
	expect_store_data (fake,
			   "BF382B3003800101" "5F3702AABB0402CCDD3000" "A019"
			   "800D4131423243332D583459355A36" "A108800400000000A100",
			   "BF3808A1068001A1020107" "9000");
	esim_es10_authenticate_server (isdr, &input, NULL, got_result, &waiter);
	res = wait_for (&waiter, "AuthenticateServer");
	ok = esim_es10_authenticate_server_finish (isdr, res, &error_response, &error);
	g_assert_null (ok);
	g_assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_CERTIFICATE);
	g_assert_cmpstr (error->message, ==, "AuthenticateServer: ciPKUnknown (7), transaction A1");
	/* the error answer as it came, for the SM-DP+ */
	hex = esim_hex_encode_bytes (error_response);
	g_assert_cmpstr (hex, ==, "BF3808A1068001A1020107");
	close_isdr (fake, isdr);
}

static void
test_prepare_download_refused_before_card (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = open_isdr (fake);
	g_autoptr(GBytes) signed2 = hex_bytes ("30088003A1B2C30101FF");
	g_autoptr(GBytes) signature2 = hex_bytes ("5F3702AABB");
	g_autoptr(GBytes) certificate = hex_bytes ("3000");
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GBytes) error_response = NULL;
	g_autoptr(EsimPrepareDownloadOk) ok = NULL;
	g_autoptr(GError) error = NULL;
	guint sent = fake_channel_get_transmit_count (fake);
	Waiter waiter = { 0 };
	EsimPrepareDownloadInput input = {
		.smdp_signed2 = signed2,
		.smdp_signature2 = signature2,
		.smdp_certificate = certificate,
	};

	/* ccRequiredFlag set, no hashCc: nothing goes to the card */
	esim_es10_prepare_download (isdr, &input, NULL, got_result, &waiter);
	res = wait_for (&waiter, "PrepareDownload");
	ok = esim_es10_prepare_download_finish (isdr, res, &error_response, &error);
	g_assert_null (ok);
	g_assert_null (error_response);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_assert_cmpuint (fake_channel_get_transmit_count (fake), ==, sent);
	close_isdr (fake, isdr);
}

static void
test_prepare_download_ok (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = open_isdr (fake);
	g_autoptr(GBytes) signed2 = hex_bytes ("30088003A1B2C30101FF");
	g_autoptr(GBytes) signature2 = hex_bytes ("5F3702AABB");
	g_autoptr(GBytes) certificate = hex_bytes ("3000");
	g_autoptr(GBytes) hash = NULL;
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(EsimPrepareDownloadOk) ok = NULL;
	g_autoptr(GError) error = NULL;
	Waiter waiter = { 0 };
	EsimPrepareDownloadInput input = {
		.smdp_signed2 = signed2,
		.smdp_signature2 = signature2,
		.smdp_certificate = certificate,
	};

	hash = esim_es10_compute_hash_cc ("1234", "A1B2C3", &error);
	g_assert_no_error (error);
	input.hash_cc = hash;
	/* the answer comes in two pieces: 61xx then GET RESPONSE */
	expect_store_data (fake,
			   "BF213330088003A1B2C30101FF5F3702AABB"
			   "0420F38064BBE85CEBFA8287283BDE858396C4B88D0771CDB61676A9E20064590699"
			   "3000",
			   "6195");
	fake_channel_expect (fake, "01C0000095",
			     "BF218191A0818E30498003A1B2C35F494104" X64 ("11") "5F3740" X64 ("44")
			     "9000");
	esim_es10_prepare_download (isdr, &input, NULL, got_result, &waiter);
	res = wait_for (&waiter, "PrepareDownload");
	ok = esim_es10_prepare_download_finish (isdr, res, NULL, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (ok->transaction_id, ==, "A1B2C3");
	g_assert_cmpuint (g_bytes_get_size (ok->raw), ==, 4 + 0x91);
	close_isdr (fake, isdr);
}

static void
test_cancel_session_aosp (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = open_isdr (fake);
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(EsimCancelSessionOk) ok = NULL;
	g_autoptr(GError) error = NULL;
	Waiter waiter = { 0 };

	/* AOSP testCancelSession's command, byte for byte */
	expect_store_data (fake, "BF41088003A1B2C3810101", CANCEL_OK "9000");
	esim_es10_cancel_session (isdr, "A1B2C3", ESIM_CANCEL_SESSION_POSTPONED, NULL, got_result,
				  &waiter);
	res = wait_for (&waiter, "CancelSession");
	ok = esim_es10_cancel_session_finish (isdr, res, &error);
	g_assert_no_error (error);
	g_assert_cmpint (ok->reason, ==, ESIM_CANCEL_SESSION_POSTPONED);
	g_assert_cmpuint (g_bytes_get_size (ok->raw), ==, 3 + 0x54);
	close_isdr (fake, isdr);
}

/* ---- LoadBoundProfilePackage ---- */

static void
test_load_bpp_aosp (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = open_isdr (fake);
	g_autoptr(GBytes) bpp = hex_bytes (AOSP_BPP);
	g_autoptr(GPtrArray) segments = NULL;
	g_autoptr(EsimProfileInstallationResult) result = NULL;
	g_autoptr(GError) error = NULL;
	guint apdus_before = esim_isdr_get_apdu_count (isdr);
	Progress progress = { 0 };

	for (guint i = 0; i < G_N_ELEMENTS (aosp_bpp_commands); i++)
		fake_channel_expect (fake, aosp_bpp_commands[i],
				     i + 1 < G_N_ELEMENTS (aosp_bpp_commands) ? "9000"
									      : PIR_OK "9000");
	result = load_bpp (isdr, bpp, &progress, &error);
	g_assert_no_error (error);
	g_assert_true (result->success);
	g_assert_cmpstr (result->isdp_aid, ==, "A0000005591010FFFFFFFF8900001200");
	g_assert_true (esim_profile_installation_result_check (result, &error));
	fake_channel_assert_done (fake);

	/* one STORE DATA per segment: the ⌈bytes/255⌉ minimum */
	segments = esim_es10_segment_bound_profile_package (bpp, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (esim_isdr_get_apdu_count (isdr) - apdus_before, ==,
			  esim_es10_store_data_minimum (segments));
	g_assert_cmpuint (progress.calls, ==, 8);
	g_assert_cmpuint (progress.last_total, ==, 8);
	close_isdr (fake, isdr);
}

static void
test_load_bpp_early_result (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = open_isdr (fake);
	g_autoptr(GBytes) bpp = hex_bytes (AOSP_BPP);
	g_autoptr(EsimProfileInstallationResult) result = NULL;
	g_autoptr(GBytes) v14 = hex_bytes (V14_PIR);
	g_autoptr(GError) error = NULL;
	Progress progress = { 0 };

	/* the card answers the first 88 (StoreMetadata) with its result, as
	 * AOSP testLoadBoundProfilePackage_ErrorInMiddle scripts it: the rest of
	 * the package is not sent (the fake fails on any further command) */
	for (guint i = 0; i < 3; i++)
		fake_channel_expect (fake, aosp_bpp_commands[i], "9000");
	fake_channel_expect (fake, aosp_bpp_commands[3], V14_PIR "9000");
	result = load_bpp (isdr, bpp, &progress, &error);
	g_assert_no_error (error);
	g_assert_false (result->success);
	g_assert_true (g_bytes_equal (result->raw, v14));
	g_assert_false (esim_profile_installation_result_check (result, &error));
	g_assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_ALREADY_EXISTS);
	g_assert_cmpuint (progress.calls, ==, 4);
	close_isdr (fake, isdr);
}

static void
test_load_bpp_status_word (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = open_isdr (fake);
	g_autoptr(GBytes) bpp = hex_bytes (AOSP_BPP);
	g_autoptr(EsimProfileInstallationResult) result = NULL;
	g_autoptr(GError) error = NULL;

	/* AOSP testLoadBoundProfilePackage_ErrorStatus: 6985 on the 88 */
	for (guint i = 0; i < 3; i++)
		fake_channel_expect (fake, aosp_bpp_commands[i], "9000");
	fake_channel_expect (fake, aosp_bpp_commands[3], "6985");
	result = load_bpp (isdr, bpp, NULL, &error);
	g_assert_null (result);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_CONDITIONS);
	g_assert_true (g_str_has_prefix (error->message, "LoadBoundProfilePackage: segment 4 of 8: "));
	close_isdr (fake, isdr);
}

static void
test_load_bpp_no_result (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = open_isdr (fake);
	g_autoptr(GBytes) bpp = hex_bytes (AOSP_BPP);
	g_autoptr(EsimProfileInstallationResult) result = NULL;
	g_autoptr(GError) error = NULL;

	for (guint i = 0; i < G_N_ELEMENTS (aosp_bpp_commands); i++)
		fake_channel_expect (fake, aosp_bpp_commands[i], "9000");
	result = load_bpp (isdr, bpp, NULL, &error);
	g_assert_null (result);
	g_assert_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_MISSING);
	g_assert_true (strstr (error->message, "no ProfileInstallationResult") != NULL);
	close_isdr (fake, isdr);
}

static void
test_load_bpp_bad_answer (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = open_isdr (fake);
	g_autoptr(GBytes) bpp = hex_bytes (AOSP_BPP);
	g_autoptr(EsimProfileInstallationResult) result = NULL;
	g_autoptr(GError) error = NULL;

	/* AOSP's minimal BF37 is not a result a card signs */
	fake_channel_expect (fake, aosp_bpp_commands[0], "BF370ABF2707A205A1038101039000");
	result = load_bpp (isdr, bpp, NULL, &error);
	g_assert_null (result);
	g_assert_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_MISSING);
	g_assert_true (g_str_has_prefix (error->message, "LoadBoundProfilePackage: answer to "
							 "segment 1 of 8: ProfileInstallationResult: "));
	close_isdr (fake, isdr);
}

static void
test_load_bpp_refused_before_card (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = open_isdr (fake);
	/* AOSP testLoadBoundProfilePackage_NoProfileElements: never transmitted */
	g_autoptr(GBytes) bpp = hex_bytes ("BF3615BF2300A0058703010203A1058803040506A200A300");
	g_autoptr(EsimProfileInstallationResult) result = NULL;
	g_autoptr(GError) error = NULL;
	guint sent = fake_channel_get_transmit_count (fake);

	result = load_bpp (isdr, bpp, NULL, &error);
	g_assert_null (result);
	g_assert_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_MISSING);
	g_assert_true (g_str_has_prefix (error->message,
					 "LoadBoundProfilePackage: BoundProfilePackage: "));
	g_assert_cmpuint (fake_channel_get_transmit_count (fake), ==, sent);
	close_isdr (fake, isdr);
}

static void
test_load_bpp_multi_block_segment (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = open_isdr (fake);
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	g_autoptr(GBytes) bpp = NULL;
	g_autoptr(GPtrArray) segments = NULL;
	g_autoptr(EsimProfileInstallationResult) result = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree guint8 *element = g_malloc (600);
	g_autofree gchar *block0 = NULL;
	g_autofree gchar *block1 = NULL;
	g_autofree gchar *block2 = NULL;
	g_autofree gchar *a3_header = NULL;
	const guint8 body[] = { 0xBF, 0x23, 0x00, 0xA0, 0x05, 0x87, 0x03, 0x01, 0x02, 0x03,
				0xA1, 0x05, 0x88, 0x03, 0x04, 0x05, 0x06 };
	guint apdus_before;
	GBytes *big;
	const guint8 *big_data;

	memset (element, 0x5A, 600);
	esim_der_writer_begin (writer, ESIM_TAG_BOUND_PROFILE_PACKAGE);
	esim_der_writer_put_raw (writer, body, sizeof (body));
	esim_der_writer_begin (writer, ESIM_TAG_BPP_PROFILE_ELEMENTS_LIST);
	esim_der_writer_put (writer, ESIM_TAG_BPP_LOAD_PROFILE_ELEMENTS, element, 600);
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	bpp = esim_der_writer_finish (writer);
	segments = esim_es10_segment_bound_profile_package (bpp, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (segments->len, ==, 6);

	/* BF36 82 0271 BF2300 | A0… | A105 | 88… | A3 82 025C | 86 82 0258 + 600 */
	expect_store_data (fake, "BF36820271BF2300", "9000");
	expect_store_data (fake, "A0058703010203", "9000");
	expect_store_data (fake, "A105", "9000");
	expect_store_data (fake, "8803040506", "9000");
	a3_header = g_strdup ("A382025C");
	expect_store_data (fake, a3_header, "9000");
	/* the 604-byte 86 goes as 255 + 255 + 94 bytes, P1 11 11 91, P2 00 01 02 */
	big = g_ptr_array_index (segments, 5);
	big_data = g_bytes_get_data (big, NULL);
	block0 = esim_hex_encode (big_data, 255);
	block1 = esim_hex_encode (big_data + 255, 255);
	block2 = esim_hex_encode (big_data + 510, 94);
	{
		g_autofree gchar *c0 = g_strconcat ("81E21100FF", block0, NULL);
		g_autofree gchar *c1 = g_strconcat ("81E21101FF", block1, NULL);
		g_autofree gchar *c2 = g_strconcat ("81E291025E", block2, NULL);

		fake_channel_expect (fake, c0, "9000");
		fake_channel_expect (fake, c1, "9000");
		fake_channel_expect (fake, c2, PIR_OK "9000");
	}
	apdus_before = esim_isdr_get_apdu_count (isdr);
	result = load_bpp (isdr, bpp, NULL, &error);
	g_assert_no_error (error);
	g_assert_true (result->success);
	g_assert_cmpuint (esim_isdr_get_apdu_count (isdr) - apdus_before, ==,
			  esim_es10_store_data_minimum (segments));
	g_assert_cmpuint (esim_es10_store_data_minimum (segments), ==, 8);
	close_isdr (fake, isdr);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);

	g_test_add_func ("/esim/es10/download-isdr/get-euicc-challenge-v10",
			 test_get_euicc_challenge_v10);
	g_test_add_func ("/esim/es10/download-isdr/authenticate-server-error",
			 test_authenticate_server_error_response);
	g_test_add_func ("/esim/es10/download-isdr/prepare-download-refused",
			 test_prepare_download_refused_before_card);
	g_test_add_func ("/esim/es10/download-isdr/prepare-download-ok", test_prepare_download_ok);
	g_test_add_func ("/esim/es10/download-isdr/cancel-session-aosp", test_cancel_session_aosp);
	g_test_add_func ("/esim/es10/download-isdr/load-bpp/aosp", test_load_bpp_aosp);
	g_test_add_func ("/esim/es10/download-isdr/load-bpp/early-result", test_load_bpp_early_result);
	g_test_add_func ("/esim/es10/download-isdr/load-bpp/status-word", test_load_bpp_status_word);
	g_test_add_func ("/esim/es10/download-isdr/load-bpp/no-result", test_load_bpp_no_result);
	g_test_add_func ("/esim/es10/download-isdr/load-bpp/bad-answer", test_load_bpp_bad_answer);
	g_test_add_func ("/esim/es10/download-isdr/load-bpp/refused-before-card",
			 test_load_bpp_refused_before_card);
	g_test_add_func ("/esim/es10/download-isdr/load-bpp/multi-block",
			 test_load_bpp_multi_block_segment);
	return g_test_run ();
}
