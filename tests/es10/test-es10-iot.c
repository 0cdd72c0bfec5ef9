/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The IPA's ES10b calls for its eIM (esim-es10-iot.h) against bytes that did
 * not come from our code: vectors.md V4 (a real eIM's package, taken by a
 * real card) sent through EsimIsdr as the one STORE DATA a real IPA sent,
 * V5 and V7 (real cards' results) read, V19 (an implementation's result
 * without the A0 real cards send) refused, V12's searchCriteria form for the
 * results list; and answers hand-built from the SGP.32 v1.2 module's tags
 * (digest §2.2, §3.4, §3.5).
 */

#include <string.h>

#include "esim-apdu.h"
#include "esim-der.h"
#include "esim-es10-iot.h"
#include "esim-test-wait.h"
#include "esim-util.h"
#include "fake-channel.h"
#include "test-esipa-vectors.h"

#define X4(b)  b b b b
#define X16(b) X4 (b) X4 (b) X4 (b) X4 (b)
#define X64(b) X16 (b) X16 (b) X16 (b) X16 (b)

#define ISDR_AID_HEX "A0000005591010FFFFFFFF8900000100"

/* euiccPackageErrorSigned: BF51 { A1 { 30 { 80 "eim", 81 5, 82 0102, 02 replayError },
 * 5F37 } } */
#define SIGNED_ERROR "BF5156A154300F800365696D810105820201020201045F3740" X64 ("AB")
/* a signed result with one of each EuiccResultData alternative (digest §3.4) */
#define ALL_RESULTS                                                                                \
	"830100" "840102" "850114" "BF2D03810101" "A600" "870107" "A803840107" "A803020102"         \
	"890102" "8A0101" "AB02A000" "8C0100" "8D0103" "8E0102" "BF6503800100" "020102"

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

static GAsyncResult *
wait_for (Waiter *waiter, const gchar *what)
{
	esim_test_wait_until (waiter->result != NULL, "%s to complete", what);
	return g_steal_pointer (&waiter->result);
}

/* @tag { @content_hex } (test-esipa-vectors.h's tlv_hex) */
#define wrap tlv_hex

/* BF51 { A0 { 30 { 80 "eim", 81 7, 83 9, 30 { @results } }, 5F37 } } */
static gchar *
signed_result (const gchar *results_hex)
{
	g_autofree gchar *list = wrap (0x30, results_hex);
	g_autofree gchar *data_content = g_strdup_printf ("800365696D810107830109%s", list);
	g_autofree gchar *data = wrap (0x30, data_content);
	g_autofree gchar *arm_content = g_strdup_printf ("%s5F3740" X64 ("CD"), data);
	g_autofree gchar *arm = wrap (0xA0, arm_content);

	return wrap (0xBF51, arm);
}

static EsimEuiccPackageResult *
parse_ok (const gchar *hex)
{
	g_autoptr(GBytes) bytes = hex_bytes (hex);
	g_autoptr(GError) error = NULL;
	EsimEuiccPackageResult *result = esim_es10_parse_euicc_package_result (bytes, &error);

	g_assert_no_error (error);
	g_assert_nonnull (result);
	g_assert_true (g_bytes_equal (result->raw, bytes));
	return result;
}

static void
parse_fails (const gchar *hex, GQuark domain, gint code)
{
	g_autoptr(GBytes) bytes = hex_bytes (hex);
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimEuiccPackageResult) result = esim_es10_parse_euicc_package_result (bytes, &error);

	g_assert_null (result);
	g_assert_error (error, domain, code);
	g_assert_true (g_str_has_prefix (error->message, "LoadEuiccPackage: "));
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

/* ---- LoadEuiccPackage ----------------------------------------------------------------------- */

/* V4 goes out as the single STORE DATA the real IPA sent (P1 91, Lc 8E), the
 * card's 61 75 is collected with GET RESPONSE, and V5 comes back untouched. */
static void
test_load_v4_v5 (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = open_isdr (fake);
	g_autoptr(GBytes) v4 = hex_bytes (V4_EUICC_PACKAGE_REQUEST);
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(EsimEuiccPackageResult) result = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *line = NULL;
	Waiter waiter = { 0 };
	const EsimEuiccResult *item;

	fake_channel_expect (fake, "81E291008E" V4_EUICC_PACKAGE_REQUEST, "6175");
	fake_channel_expect (fake, "01C0000075", V5_EUICC_PACKAGE_RESULT "9000");
	esim_es10_load_euicc_package (isdr, v4, NULL, got_result, &waiter);
	res = wait_for (&waiter, "LoadEuiccPackage");
	result = esim_es10_load_euicc_package_finish (isdr, res, &error);
	g_assert_no_error (error);

	assert_bytes_hex (result->raw, V5_EUICC_PACKAGE_RESULT);
	g_assert_cmpint (result->kind, ==, ESIM_EUICC_PACKAGE_RESULT_SIGNED);
	g_assert_cmpstr (result->eim_id, ==, "g-eim.com.br");
	g_assert_cmpint (result->counter_value, ==, 5);
	g_assert_cmpstr (result->eim_transaction_id, ==, "00000000000003676A9E55E6FF224E0F");
	g_assert_cmpint (result->seq_number, ==, 5);
	g_assert_cmpint (result->error_code, ==, 0);
	g_assert_true (result->enable_succeeded);
	g_assert_cmpuint (result->results->len, ==, 1);
	item = &g_array_index (result->results, EsimEuiccResult, 0);
	g_assert_cmphex (item->tag, ==, ESIM_TAG_RESULT_ENABLE);
	g_assert_cmpint (item->code, ==, 0);
	g_assert_true (esim_euicc_result_is_ok (item));
	line = esim_euicc_package_result_describe (result);
	g_assert_cmpstr (line, ==, "signed result seq 5 for eIM g-eim.com.br, counter 5: enable ok");
	close_isdr (fake, isdr);
}

/* V7: a real card's listProfileInfo result (long-form lengths at three levels) */
static void
test_parse_v7 (void)
{
	g_autoptr(GBytes) v7 = hex_bytes (V7_PROVIDE_EIM_PACKAGE_RESULT);
	g_autoptr(GBytes) bf51 = NULL;
	g_autoptr(EsimEuiccPackageResult) result = NULL;
	g_autoptr(GError) error = NULL;
	EsimTlv outer, tlv;

	g_assert_true (esim_tlv_parse_exact (g_bytes_get_data (v7, NULL), g_bytes_get_size (v7),
					     &outer, NULL));
	g_assert_true (esim_tlv_find (&outer, 0xBF51, &tlv, NULL));
	bf51 = esim_tlv_dup_raw (&tlv);
	result = esim_es10_parse_euicc_package_result (bf51, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (result->eim_id, ==, "eim.symb-iot.com");
	g_assert_cmpint (result->counter_value, ==, 13);
	g_assert_cmpint (result->seq_number, ==, 14);
	g_assert_cmpstr (result->eim_transaction_id, ==, "84C760645756D9C31BF1A45211C1C5BF");
	g_assert_cmpuint (result->results->len, ==, 1);
	g_assert_cmphex (g_array_index (result->results, EsimEuiccResult, 0).tag, ==, 0xBF2D);
	g_assert_cmpint (g_array_index (result->results, EsimEuiccResult, 0).code, ==, 0);
	g_assert_false (result->enable_succeeded);
}

/* Conflict V19: BF51 { 30 … } without the alternative's tag is refused with a
 * message that says what a card sends. */
static void
test_v19_refused (void)
{
	g_autoptr(GBytes) v19 = hex_bytes (V19_EUICC_PACKAGE_RESULT);
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimEuiccPackageResult) result = esim_es10_parse_euicc_package_result (v19, &error);

	g_assert_null (result);
	g_assert_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_UNEXPECTED_TAG);
	g_assert_cmpstr (error->message, ==,
			 "LoadEuiccPackage: EuiccPackageResult alternative must be A0, A1 or A2, got 30");
}

static void
test_error_arms (void)
{
	g_autoptr(EsimEuiccPackageResult) signed_error = parse_ok (SIGNED_ERROR);
	g_autoptr(EsimEuiccPackageResult) unsigned_error = parse_ok ("BF5108A2068001658F010F");
	g_autoptr(EsimEuiccPackageResult) with_token = parse_ok ("BF510BA2098001658201AA840107");
	g_autofree gchar *line = esim_euicc_package_result_describe (signed_error);
	g_autofree gchar *line2 = esim_euicc_package_result_describe (unsigned_error);
	g_autofree gchar *line3 = esim_euicc_package_result_describe (with_token);

	g_assert_cmpint (signed_error->kind, ==, ESIM_EUICC_PACKAGE_ERROR_SIGNED);
	g_assert_cmpstr (signed_error->eim_id, ==, "eim");
	g_assert_cmpint (signed_error->counter_value, ==, 5);
	g_assert_cmpstr (signed_error->eim_transaction_id, ==, "0102");
	g_assert_cmpint (signed_error->error_code, ==, ESIM_EPR_ERROR_REPLAY);
	g_assert_cmpint (signed_error->seq_number, ==, -1);
	g_assert_cmpuint (signed_error->results->len, ==, 0);
	g_assert_cmpstr (line, ==, "signed error for eIM eim, counter 5: replayError (4)");

	/* the digest's example of the unsigned arm: sizeOverflow */
	g_assert_cmpint (unsigned_error->kind, ==, ESIM_EUICC_PACKAGE_ERROR_UNSIGNED);
	g_assert_cmpstr (unsigned_error->eim_id, ==, "e");
	g_assert_cmpint (unsigned_error->counter_value, ==, -1);
	g_assert_cmpint (unsigned_error->error_code, ==, ESIM_EPR_ERROR_SIZE_OVERFLOW);
	g_assert_cmpstr (line2, ==, "unsigned error for eIM e: sizeOverflow (15)");

	g_assert_true (with_token->has_association_token);
	g_assert_cmpint (with_token->association_token, ==, 7);
	g_assert_cmpstr (with_token->eim_transaction_id, ==, "AA");
	g_assert_cmpint (with_token->error_code, ==, -1);
	g_assert_cmpstr (line3, ==, "unsigned error for eIM e without a code");

	g_assert_cmpstr (esim_euicc_package_error_to_string (3), ==, "invalidEid");
	g_assert_cmpstr (esim_euicc_package_error_to_string (6), ==, "counterValueOutOfRange");
	g_assert_cmpstr (esim_euicc_package_error_to_string (104), ==, "ecallActive");
	g_assert_cmpstr (esim_euicc_package_error_to_string (99), ==, "unknown");
}

/* Every EuiccResultData alternative, primitive and constructed, named as the module names it. */
static void
test_result_kinds (void)
{
	static const struct {
		EsimTag      tag;
		gint64       code;
		const gchar *name;
		const gchar *code_name;
		gboolean     ok;
	} expected[] = {
		{ 0x83, 0, "enable", "ok", TRUE },
		{ 0x84, 2, "disable", "profileNotInEnabledState", FALSE },
		{ 0x85, 20, "delete", "rollbackNotAvailable", FALSE },
		{ 0xBF2D, 1, "listProfileInfo", "incorrectInputValues", FALSE },
		{ 0xA6, 0, "getRAT", "ok", TRUE },
		{ 0x87, 7, "configureImmediateEnable", "commandError", FALSE },
		{ 0xA8, 0, "addEim", "ok", TRUE },
		{ 0xA8, 2, "addEim", "associatedEimAlreadyExists", FALSE },
		{ 0x89, 2, "deleteEim", "lastEimDeleted", TRUE },
		{ 0x8A, 1, "updateEim", "eimNotFound", FALSE },
		{ 0xAB, 0, "listEim", "ok", TRUE },
		{ 0x8C, 0, "rollback", "ok", TRUE },
		{ 0x8D, 3, "setFallbackAttribute", "fallbackProfileEnabled", FALSE },
		{ 0x8E, 2, "unsetFallbackAttribute", "noFallbackAttribute", FALSE },
		{ 0xBF65, 0, "setDefaultDpAddress", "ok", TRUE },
		{ 0x02, 2, "processingTerminated", "unknownOrDamagedCommand", FALSE },
	};
	g_autofree gchar *hex = signed_result (ALL_RESULTS);
	g_autoptr(EsimEuiccPackageResult) result = parse_ok (hex);

	g_assert_cmpint (result->seq_number, ==, 9);
	g_assert_cmpint (result->counter_value, ==, 7);
	g_assert_null (result->eim_transaction_id);
	g_assert_true (result->enable_succeeded);
	g_assert_cmpuint (result->results->len, ==, G_N_ELEMENTS (expected));
	for (guint i = 0; i < G_N_ELEMENTS (expected); i++) {
		const EsimEuiccResult *item = &g_array_index (result->results, EsimEuiccResult, i);

		g_assert_cmphex (item->tag, ==, expected[i].tag);
		g_assert_cmpint (item->code, ==, expected[i].code);
		g_assert_cmpstr (esim_euicc_result_name (item->tag), ==, expected[i].name);
		g_assert_cmpstr (esim_euicc_result_code_to_string (item), ==, expected[i].code_name);
		g_assert_cmpint (esim_euicc_result_is_ok (item), ==, expected[i].ok);
	}
	/* addEim's new associationToken */
	g_assert_true (g_array_index (result->results, EsimEuiccResult, 6).has_association_token);
	g_assert_cmpint (g_array_index (result->results, EsimEuiccResult, 6).association_token, ==, 7);

	/* an alternative a later version may add is kept, not refused */
	{
		g_autofree gchar *later = signed_result ("9F7F0100 830100");
		g_autoptr(EsimEuiccPackageResult) r = parse_ok (later);
		g_assert_cmpint (g_array_index (r->results, EsimEuiccResult, 0).code, ==, -1);
		g_assert_cmpstr (esim_euicc_result_name (0x9F7F), ==, "unknown");
		g_assert_true (r->enable_succeeded);
	}
}

/* Answers that are no EuiccPackageResult: an error each, never a crash */
static void
test_malformed (void)
{
	g_autofree gchar *no_seq_arm = wrap (0xA0, "3008800365696D810107" "5F3740" X64 ("00"));
	g_autofree gchar *no_seq = wrap (0xBF51, no_seq_arm);
	g_autofree gchar *short_sig = NULL;
	g_autofree gchar *negative_seq = NULL;
	g_autofree gchar *bad_result = signed_result ("8302FFFF 840100"); /* fine */
	g_autofree gchar *damaged_choice = signed_result ("BF2D00");
	g_autofree gchar *trailing = NULL;

	parse_fails ("", ESIM_DER_ERROR, ESIM_DER_ERROR_MISSING);
	parse_fails ("BF5100", ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE);
	parse_fails ("BF2B00", ESIM_DER_ERROR, ESIM_DER_ERROR_UNEXPECTED_TAG);
	parse_fails ("BF5102A000", ESIM_DER_ERROR, ESIM_DER_ERROR_MISSING);
	parse_fails (no_seq, ESIM_DER_ERROR, ESIM_DER_ERROR_MISSING);
	{
		g_autofree gchar *data = wrap (0x30, "800365696D 810107 830101 3000");
		g_autofree gchar *arm = g_strdup_printf ("%s5F3701AA", data);
		g_autofree gchar *arm_tlv = wrap (0xA0, arm);
		short_sig = wrap (0xBF51, arm_tlv);
	}
	parse_fails (short_sig, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE);
	{
		g_autofree gchar *data = wrap (0x30, "800365696D 810107 8301FF 3000");
		g_autofree gchar *arm = g_strdup_printf ("%s5F3740" X64 ("00"), data);
		g_autofree gchar *arm_tlv = wrap (0xA0, arm);
		negative_seq = wrap (0xBF51, arm_tlv);
	}
	parse_fails (negative_seq, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE);
	parse_fails (damaged_choice, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE);
	/* an empty eimId, the unsigned arm with elements out of order, a code of 0 in the signed error */
	parse_fails ("BF5107A20580008F0101", ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE);
	parse_fails ("BF510BA2098F01018001658201AA", ESIM_DER_ERROR, ESIM_DER_ERROR_UNEXPECTED_TAG);
	{
		g_autofree gchar *data = wrap (0x30, "800365696D 810105 820102 020100");
		g_autofree gchar *arm = g_strdup_printf ("%s5F3740" X64 ("AB"), data);
		g_autofree gchar *arm_tlv = wrap (0xA1, arm);
		g_autofree gchar *zero_code = wrap (0xBF51, arm_tlv);
		parse_fails (zero_code, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE);
	}
	trailing = g_strdup_printf ("%s00", V5_EUICC_PACKAGE_RESULT);
	parse_fails (trailing, ESIM_DER_ERROR, ESIM_DER_ERROR_TRAILING_DATA);
	{
		g_autoptr(EsimEuiccPackageResult) r = parse_ok (bad_result);
		g_assert_cmpint (g_array_index (r->results, EsimEuiccResult, 0).code, ==, -1);
		g_assert_cmpstr (esim_euicc_result_code_to_string (&g_array_index (r->results,
										    EsimEuiccResult, 0)),
				 ==, "unknown");
	}
}

/* The request goes out as the very bytes it came as; what is no BF51 never leaves. */
static void
test_encode_load (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = esim_isdr_new (ESIM_CHANNEL (fake));
	g_autoptr(GBytes) v4 = hex_bytes (V4_EUICC_PACKAGE_REQUEST);
	g_autoptr(GBytes) v18 = hex_bytes (V18_EUICC_PACKAGE_REQUEST);
	g_autoptr(GBytes) same = NULL;
	static const gchar *const refused[] = {
		V20_TRIGGER_ACTIVATION_CODE,          /* a BF54 */
		V4_EUICC_PACKAGE_REQUEST "00",        /* trailing bytes */
		"9F5100",                             /* primitive */
		"BF5105300300",                       /* truncated */
	};
	g_autoptr(GError) error = NULL;

	same = esim_es10_encode_load_euicc_package (v4, &error);
	g_assert_no_error (error);
	g_assert_true (same == v4);
	g_clear_pointer (&same, g_bytes_unref);
	/* a stub signature (V18) is the card's to refuse, not ours */
	same = esim_es10_encode_load_euicc_package (v18, &error);
	g_assert_no_error (error);
	g_clear_pointer (&same, g_bytes_unref);

	for (guint i = 0; i < G_N_ELEMENTS (refused); i++) {
		g_autoptr(GBytes) bad = hex_bytes (refused[i]);
		g_autoptr(GAsyncResult) res = NULL;
		g_autoptr(EsimEuiccPackageResult) result = NULL;
		Waiter waiter = { 0 };

		same = esim_es10_encode_load_euicc_package (bad, &error);
		g_assert_null (same);
		g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
		g_assert_true (g_str_has_prefix (error->message, "LoadEuiccPackage: "));
		g_clear_error (&error);
		esim_es10_load_euicc_package (isdr, bad, NULL, got_result, &waiter);
		res = wait_for (&waiter, "a refused LoadEuiccPackage");
		result = esim_es10_load_euicc_package_finish (isdr, res, &error);
		g_assert_null (result);
		g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
		g_clear_error (&error);
	}
	g_assert_cmpuint (fake_channel_get_transmit_count (fake), ==, 0);
}

/* ---- the results list (RetrieveNotificationsList, RemoveNotificationFromList) --------------- */

/* digest §3.6 step 1: BF2B 04 A0 02 82 00, answered with euiccPackageResultList A2;
 * then the acknowledged seqNumber is removed */
static void
test_retrieve_package_results (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = open_isdr (fake);
	g_autofree gchar *list = wrap (0xA2, V5_EUICC_PACKAGE_RESULT SIGNED_ERROR);
	g_autofree gchar *answer = wrap (0xBF2B, list);
	g_autofree gchar *answer_sw = g_strdup_printf ("%s9000", answer);
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(EsimNotificationList) results = NULL;
	g_autoptr(EsimEuiccPackageResult) first = NULL;
	g_autoptr(GError) error = NULL;
	Waiter waiter = { 0 };

	fake_channel_expect (fake, "81E2910007BF2B04A0028200", answer_sw);
	esim_es10_retrieve_notifications_list (isdr, ESIM_NOTIFICATION_SEARCH_EUICC_PACKAGE_RESULTS, 0,
					       NULL, got_result, &waiter);
	res = wait_for (&waiter, "RetrieveNotificationsList");
	results = esim_es10_retrieve_notifications_list_finish (isdr, res, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (results->notifications->len, ==, 0);
	g_assert_cmpuint (results->package_results->len, ==, 2);
	assert_bytes_hex (g_ptr_array_index (results->package_results, 0), V5_EUICC_PACKAGE_RESULT);
	assert_bytes_hex (g_ptr_array_index (results->package_results, 1), SIGNED_ERROR);
	first = esim_es10_parse_euicc_package_result (g_ptr_array_index (results->package_results, 0),
						      &error);
	g_assert_no_error (error);
	g_clear_object (&res);

	/* one result by its seqNumber, in V12's form (BF2B … A0 { 80 … }): as an eIM's
	 * searchCriteriaEuiccPackageResult asks for it */
	{
		g_autofree gchar *one = wrap (0xA2, V5_EUICC_PACKAGE_RESULT);
		g_autofree gchar *one_answer = wrap (0xBF2B, one);
		g_autofree gchar *one_sw = g_strdup_printf ("%s9000", one_answer);
		g_autoptr(EsimNotificationList) by_seq = NULL;

		fake_channel_expect (fake, "81E2910008BF2B05A003800105", one_sw);
		esim_es10_retrieve_notifications_list (isdr, ESIM_NOTIFICATION_SEARCH_SEQ_NUMBER, 5, NULL,
						       got_result, &waiter);
		res = wait_for (&waiter, "RetrieveNotificationsList by seqNumber");
		by_seq = esim_es10_retrieve_notifications_list_finish (isdr, res, &error);
		g_assert_no_error (error);
		g_assert_cmpuint (by_seq->package_results->len, ==, 1);
		assert_bytes_hex (g_ptr_array_index (by_seq->package_results, 0), V5_EUICC_PACKAGE_RESULT);
		g_clear_object (&res);
	}

	/* the eIM acknowledged seqNumber 5 */
	fake_channel_expect (fake, "81E2910006BF3003800105", "BF30038001009000");
	esim_es10_remove_notification (isdr, (guint64) first->seq_number, NULL, got_result, &waiter);
	res = wait_for (&waiter, "RemoveNotificationFromList");
	g_assert_true (esim_es10_remove_notification_finish (isdr, res, &error));
	g_assert_no_error (error);
	close_isdr (fake, isdr);
}

/* ---- ProfileRollback, ImmediateEnable, ConfigureImmediateProfileEnabling -------------------- */

static void
test_profile_rollback (void)
{
	g_autoptr(GBytes) with_flag = esim_es10_encode_profile_rollback (TRUE);
	g_autoptr(GBytes) without = esim_es10_encode_profile_rollback (FALSE);
	g_autoptr(GBytes) plain = hex_bytes ("BF5803020100");
	g_autoptr(GBytes) with_result = hex_bytes ("BF5878020100" V5_EUICC_PACKAGE_RESULT);
	g_autoptr(GBytes) refused = hex_bytes ("BF5803020101");
	g_autoptr(GBytes) command_error = hex_bytes ("BF5803020107");
	g_autoptr(GBytes) wrong_tag = hex_bytes ("BF5803800100");
	g_autoptr(EsimProfileRollbackOk) ok = NULL;
	g_autoptr(GError) error = NULL;

	/* digest §2.2: BF58 03 80 01 FF */
	assert_bytes_hex (with_flag, "BF58038001FF");
	assert_bytes_hex (without, "BF5803800100");

	ok = esim_es10_parse_profile_rollback (plain, &error);
	g_assert_no_error (error);
	g_assert_null (ok->package_result);
	g_clear_pointer (&ok, esim_profile_rollback_ok_free);
	ok = esim_es10_parse_profile_rollback (with_result, &error);
	g_assert_no_error (error);
	g_assert_nonnull (ok->package_result);
	g_assert_cmpint (ok->package_result->seq_number, ==, 5);
	assert_bytes_hex (ok->package_result->raw, V5_EUICC_PACKAGE_RESULT);
	g_clear_pointer (&ok, esim_profile_rollback_ok_free);

	ok = esim_es10_parse_profile_rollback (refused, &error);
	g_assert_null (ok);
	g_assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_DISALLOWED_BY_POLICY);
	g_assert_cmpstr (error->message, ==, "ProfileRollback: rollbackNotAllowed (1)");
	g_clear_error (&error);
	ok = esim_es10_parse_profile_rollback (command_error, &error);
	g_assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_INVALID);
	g_clear_error (&error);
	/* cmdResult is universal 02 (the sequence has a tagged member) */
	ok = esim_es10_parse_profile_rollback (wrong_tag, &error);
	g_assert_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_UNEXPECTED_TAG);
	g_assert_true (g_str_has_prefix (error->message, "ProfileRollback: "));
}

static void
test_profile_rollback_call (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = open_isdr (fake);
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(EsimProfileRollbackOk) ok = NULL;
	g_autoptr(GError) error = NULL;
	Waiter waiter = { 0 };

	fake_channel_expect (fake, "81E2910006BF58038001FF", "617B");
	fake_channel_expect (fake, "01C000007B", "BF5878020100" V5_EUICC_PACKAGE_RESULT "9000");
	esim_es10_profile_rollback (isdr, TRUE, NULL, got_result, &waiter);
	res = wait_for (&waiter, "ProfileRollback");
	ok = esim_es10_profile_rollback_finish (isdr, res, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (ok->package_result->eim_id, ==, "g-eim.com.br");
	close_isdr (fake, isdr);
}

static void
test_immediate_enable (void)
{
	static const struct {
		const gchar *answer;
		gint         code;
		const gchar *message;
	} answers[] = {
		{ "BF5A03800101", ESIM_ES10_ERROR_WRONG_STATE, "ImmediateEnable: immediateEnableNotAvailable (1)" },
		{ "BF5A03800104", ESIM_ES10_ERROR_NO_SESSION, "ImmediateEnable: noSessionContext (4)" },
		{ "BF5A03800105", ESIM_ES10_ERROR_CAT_BUSY, "ImmediateEnable: catBusy (5)" },
		{ "BF5A0380017F", ESIM_ES10_ERROR_UNDEFINED, "ImmediateEnable: undefinedError (127)" },
		{ "BF5A03800163", ESIM_ES10_ERROR_UNDEFINED, "ImmediateEnable: unknown result code (99)" },
	};
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = open_isdr (fake);
	g_autoptr(GBytes) request = esim_es10_encode_immediate_enable (TRUE);
	g_autoptr(GBytes) ok = hex_bytes ("BF5A03800100");
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	Waiter waiter = { 0 };

	/* v1.2: BF5A { 80 refreshFlag } (v1.0's EnableUsingDD was empty) */
	assert_bytes_hex (request, "BF5A038001FF");
	g_assert_true (esim_es10_parse_immediate_enable (ok, &error));
	g_assert_no_error (error);
	for (guint i = 0; i < G_N_ELEMENTS (answers); i++) {
		g_autoptr(GBytes) answer = hex_bytes (answers[i].answer);
		g_assert_false (esim_es10_parse_immediate_enable (answer, &error));
		g_assert_error (error, ESIM_ES10_ERROR, answers[i].code);
		g_assert_cmpstr (error->message, ==, answers[i].message);
		g_clear_error (&error);
	}

	fake_channel_expect (fake, "81E2910006BF5A03800100", "BF5A038001009000");
	esim_es10_immediate_enable (isdr, FALSE, NULL, got_result, &waiter);
	res = wait_for (&waiter, "ImmediateEnable");
	g_assert_true (esim_es10_immediate_enable_finish (isdr, res, &error));
	g_assert_no_error (error);
	close_isdr (fake, isdr);
}

static void
test_configure_immediate_enable (void)
{
	g_autoptr(GBytes) full = NULL;
	g_autoptr(GBytes) empty = NULL;
	g_autoptr(GBytes) exists = hex_bytes ("BF5903800102");
	g_autoptr(GBytes) ok = hex_bytes ("BF5903800100");
	static const gchar *const bad_oids[] = { "2", "3.1", "1.40", "2.x", "2.999.", "" };
	g_autoptr(GError) error = NULL;

	/* { 80 00, 81 OID 2.999.10 (as V14's smdpOid: 88 37 0A), 82 address } */
	full = esim_es10_encode_configure_immediate_enable (TRUE, "2.999.10", "smdp.example.com", &error);
	g_assert_no_error (error);
	assert_bytes_hex (full, "BF5919" "8000" "810388370A" "8210736D64702E6578616D706C652E636F6D");
	empty = esim_es10_encode_configure_immediate_enable (FALSE, NULL, NULL, &error);
	assert_bytes_hex (empty, "BF5900");
	for (guint i = 0; i < G_N_ELEMENTS (bad_oids); i++) {
		g_autoptr(GBytes) none = esim_es10_encode_configure_immediate_enable (TRUE, bad_oids[i],
										     NULL, &error);
		g_assert_null (none);
		g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
		g_clear_error (&error);
	}
	g_assert_true (esim_es10_parse_configure_immediate_enable (ok, &error));
	g_assert_false (esim_es10_parse_configure_immediate_enable (exists, &error));
	g_assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_ALREADY_EXISTS);
	g_assert_cmpstr (error->message, ==,
			 "ConfigureImmediateProfileEnabling: associatedEimAlreadyExists (2)");
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/esim/es10-iot/load/v4-v5", test_load_v4_v5);
	g_test_add_func ("/esim/es10-iot/load/v7", test_parse_v7);
	g_test_add_func ("/esim/es10-iot/load/v19-refused", test_v19_refused);
	g_test_add_func ("/esim/es10-iot/load/error-arms", test_error_arms);
	g_test_add_func ("/esim/es10-iot/load/result-kinds", test_result_kinds);
	g_test_add_func ("/esim/es10-iot/load/malformed", test_malformed);
	g_test_add_func ("/esim/es10-iot/load/encode", test_encode_load);
	g_test_add_func ("/esim/es10-iot/results-list", test_retrieve_package_results);
	g_test_add_func ("/esim/es10-iot/rollback/codec", test_profile_rollback);
	g_test_add_func ("/esim/es10-iot/rollback/call", test_profile_rollback_call);
	g_test_add_func ("/esim/es10-iot/immediate-enable", test_immediate_enable);
	g_test_add_func ("/esim/es10-iot/configure-immediate-enable", test_configure_immediate_enable);
	return g_test_run ();
}
