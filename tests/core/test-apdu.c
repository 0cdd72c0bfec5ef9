/* SPDX-License-Identifier: GPL-2.0-or-later */
/* APDU encoding, SW mapping, CLA coding, raw channel open/close and the ISD-R session. */

#include <string.h>

#include "esim-apdu.h"
#include "esim-error.h"
#include "esim-test-wait.h"
#include "esim-util.h"
#include "fake-channel.h"

#define ISDR_AID_HEX "A0000005591010FFFFFFFF8900000100"
#define V2_EID_HEX   "BF3E125A1089049032000000000000279973200019"

/* ------------------------------------------------------------------------ */
/* helpers */

static void
got_result (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GAsyncResult **slot = user_data;
	g_assert_null (*slot);
	*slot = g_object_ref (res);
}

static GAsyncResult *
wait_for_in (GAsyncResult **slot, const gchar *caller)
{
	esim_test_wait_until (*slot != NULL, "the call made in %s to complete", caller);
	return g_steal_pointer (slot);
}
#define wait_for(slot) wait_for_in (slot, G_STRFUNC)

static GBytes *
hex (const gchar *str)
{
	g_autoptr(GError) error = NULL;
	GBytes *bytes = esim_hex_decode (str, &error);
	g_assert_no_error (error);
	return bytes;
}

static void
assert_bytes_hex (GBytes *bytes, const gchar *expected)
{
	g_autofree gchar *got = NULL;
	g_autofree gchar *want = NULL;
	g_autoptr(GBytes) expected_bytes = hex (expected);

	g_assert_nonnull (bytes);
	got = esim_hex_encode_bytes (bytes);
	want = esim_hex_encode_bytes (expected_bytes);
	g_assert_cmpstr (got, ==, want);
}

static gchar *
repeat_hex (const gchar *byte_hex, guint count)
{
	GString *str = g_string_new (NULL);
	for (guint i = 0; i < count; i++)
		g_string_append (str, byte_hex);
	return g_string_free (str, FALSE);
}

/* Scripts MANAGE CHANNEL -> @channel, SELECT ISD-R (61xx) and TERMINAL CAPABILITY. */
static void
script_isdr_open (FakeChannel *fake, guint channel, const gchar *terminal_capability_sw)
{
	g_autofree gchar *manage_answer = g_strdup_printf ("%02X9000", channel);
	g_autofree gchar *select = g_strdup_printf ("%02XA4040010" ISDR_AID_HEX,
						    esim_apdu_cla_for_channel (channel, FALSE));
	g_autoptr(GBytes) tc = esim_apdu_build_terminal_capability (channel);
	g_autofree gchar *tc_hex = esim_hex_encode_bytes (tc);

	fake_channel_expect (fake, "0070000001", manage_answer);
	fake_channel_expect (fake, select, "6120");
	fake_channel_expect (fake, tc_hex, terminal_capability_sw);
}

static EsimIsdr *
open_isdr (FakeChannel *fake, guint channel)
{
	g_autoptr(EsimIsdr) isdr = esim_isdr_new (ESIM_CHANNEL (fake));
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	GAsyncResult *slot = NULL;

	script_isdr_open (fake, channel, "9000");
	esim_isdr_open_async (isdr, NULL, got_result, &slot);
	res = wait_for (&slot);
	g_assert_true (esim_isdr_open_finish (isdr, res, &error));
	g_assert_no_error (error);
	g_assert_true (esim_isdr_is_open (isdr));
	g_assert_cmpint (esim_isdr_get_logical_channel (isdr), ==, channel);
	return g_steal_pointer (&isdr);
}

static GBytes *
transceive (EsimIsdr *isdr, const gchar *request_hex, GError **error)
{
	g_autoptr(GBytes) request = hex (request_hex);
	g_autoptr(GAsyncResult) res = NULL;
	GAsyncResult *slot = NULL;

	esim_isdr_transceive_async (isdr, request, NULL, got_result, &slot);
	res = wait_for (&slot);
	return esim_isdr_transceive_finish (isdr, res, error);
}

static void
close_isdr (FakeChannel *fake, EsimIsdr *isdr)
{
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *close_cmd = g_strdup_printf ("007080%02X00",
						       esim_isdr_get_logical_channel (isdr));
	GAsyncResult *slot = NULL;

	fake_channel_expect (fake, close_cmd, "9000");
	esim_isdr_close_async (isdr, NULL, got_result, &slot);
	res = wait_for (&slot);
	g_assert_true (esim_isdr_close_finish (isdr, res, &error));
	g_assert_no_error (error);
	g_assert_false (esim_isdr_is_open (isdr));
	g_assert_cmpint (esim_isdr_get_logical_channel (isdr), ==, -1);
	fake_channel_assert_done (fake);
}

/* ------------------------------------------------------------------------ */
/* stateless APDU helpers */

static void
test_apdu_encode (void)
{
	const guint8 data[] = { 0xBF, 0x2E, 0x00 };
	g_autofree guint8 *big = g_malloc0 (255);
	struct {
		EsimApdu apdu;
		const gchar *expected;
	} cases[] = {
		{ { 0x00, 0x70, 0x80, 0x01, NULL, 0, -1 }, "00708001" },                 /* case 1 */
		{ { 0x01, 0xC0, 0x00, 0x00, NULL, 0, 0x15 }, "01C0000015" },             /* case 2 */
		{ { 0x01, 0xC0, 0x00, 0x00, NULL, 0, 256 }, "01C0000000" },              /* Le 256 */
		{ { 0x00, 0x70, 0x00, 0x00, NULL, 0, 1 }, "0070000001" },
		{ { 0x81, 0xE2, 0x91, 0x00, data, 3, -1 }, "81E2910003BF2E00" },         /* case 3 */
		{ { 0x81, 0xE2, 0x91, 0x00, data, 3, 0 }, "81E2910003BF2E0000" },        /* case 4 */
		{ { 0x81, 0xE2, 0x91, 0x00, data, 3, 256 }, "81E2910003BF2E0000" },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr(GBytes) out = esim_apdu_encode (&cases[i].apdu);
		assert_bytes_hex (out, cases[i].expected);
	}
	{
		EsimApdu apdu = { 0x80, 0xE2, 0x91, 0x00, big, 255, -1 };
		g_autoptr(GBytes) out = esim_apdu_encode (&apdu);
		const guint8 *raw = g_bytes_get_data (out, NULL);

		g_assert_cmpuint (g_bytes_get_size (out), ==, 5 + 255);
		g_assert_cmphex (raw[4], ==, 0xFF);
	}
}

static void
test_apdu_response_parse (void)
{
	g_autoptr(GBytes) ok = hex ("9000");
	g_autoptr(GBytes) with_data = hex (V2_EID_HEX "9000");
	g_autoptr(GBytes) too_short = hex ("90");
	g_autoptr(GBytes) empty = hex ("");
	g_autoptr(GBytes) data = NULL;
	g_autoptr(GError) error = NULL;
	guint16 sw = 0;

	g_assert_true (esim_apdu_response_parse (ok, &data, &sw, &error));
	g_assert_no_error (error);
	g_assert_cmphex (sw, ==, 0x9000);
	g_assert_cmpuint (g_bytes_get_size (data), ==, 0);
	g_clear_pointer (&data, g_bytes_unref);

	g_assert_true (esim_apdu_response_parse (with_data, &data, &sw, &error));
	assert_bytes_hex (data, V2_EID_HEX);
	g_assert_cmphex (sw, ==, 0x9000);
	g_clear_pointer (&data, g_bytes_unref);

	g_assert_false (esim_apdu_response_parse (too_short, &data, &sw, &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE);
	g_assert_null (data);
	g_clear_error (&error);
	g_assert_false (esim_apdu_response_parse (empty, NULL, &sw, &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE);
}

static void
test_apdu_sw_mapping (void)
{
	const guint16 success[] = { 0x9000, 0x6100, 0x6115, 0x61FF, 0x9F10, 0x910B, 0x9100 };
	struct {
		guint16 sw;
		gint code; /* EsimApduError */
	} failures[] = {
		{ 0x6881, ESIM_APDU_ERROR_NO_CHANNEL },
		{ 0x6A81, ESIM_APDU_ERROR_NO_CHANNEL },
		{ 0x6A82, ESIM_APDU_ERROR_NOT_FOUND },
		{ 0x6700, ESIM_APDU_ERROR_WRONG_LENGTH },
		{ 0x6C10, ESIM_APDU_ERROR_WRONG_LENGTH },
		{ 0x6A80, ESIM_APDU_ERROR_WRONG_DATA },
		{ 0x6A86, ESIM_APDU_ERROR_WRONG_P1P2 },
		{ 0x6B00, ESIM_APDU_ERROR_WRONG_P1P2 },
		{ 0x6D00, ESIM_APDU_ERROR_INS_NOT_SUPPORTED },
		{ 0x6E00, ESIM_APDU_ERROR_CLA_NOT_SUPPORTED },
		{ 0x6985, ESIM_APDU_ERROR_CONDITIONS },
		{ 0x6982, ESIM_APDU_ERROR_SECURITY },
		{ 0x6581, ESIM_APDU_ERROR_MEMORY },
		{ 0x6A84, ESIM_APDU_ERROR_MEMORY },
		{ 0x6F00, ESIM_APDU_ERROR_TECHNICAL },
		{ 0x6400, ESIM_APDU_ERROR_TECHNICAL },
		{ 0x6601, ESIM_APDU_ERROR_TECHNICAL },
		{ 0x6A88, ESIM_APDU_ERROR_FAILED },
		{ 0x6283, ESIM_APDU_ERROR_FAILED },
		{ 0x9001, ESIM_APDU_ERROR_FAILED },
		{ 0x0000, ESIM_APDU_ERROR_FAILED },
	};

	for (guint i = 0; i < G_N_ELEMENTS (success); i++) {
		g_autoptr(GError) error = NULL;
		g_assert_true (esim_apdu_check_sw (success[i], &error));
		g_assert_no_error (error);
	}
	for (guint i = 0; i < G_N_ELEMENTS (failures); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *sw_hex = g_strdup_printf ("%04X", failures[i].sw);

		g_assert_false (esim_apdu_check_sw (failures[i].sw, &error));
		g_assert_error (error, ESIM_APDU_ERROR, failures[i].code);
		/* the message carries the SW so a log or a D-Bus error names it */
		g_assert_nonnull (strstr (error->message, sw_hex));
	}
}

static void
test_apdu_cla (void)
{
	for (guint ch = 0; ch <= 19; ch++) {
		guint8 inter = esim_apdu_cla_for_channel (ch, FALSE);
		guint8 gp = esim_apdu_cla_for_channel (ch, TRUE);

		if (ch < 4) {
			g_assert_cmphex (inter, ==, ch);
			g_assert_cmphex (gp, ==, 0x80 | ch);
		} else {
			g_assert_cmphex (inter, ==, 0x40 | (ch - 4));
			g_assert_cmphex (gp, ==, 0xC0 | (ch - 4));
		}
	}
	g_assert_cmphex (esim_apdu_cla_for_channel (1, TRUE), ==, 0x81);
	g_assert_cmphex (esim_apdu_cla_for_channel (1, FALSE), ==, 0x01);
	g_assert_cmphex (esim_apdu_cla_for_channel (3, TRUE), ==, 0x83);
	g_assert_cmphex (esim_apdu_cla_for_channel (4, FALSE), ==, 0x40);
	g_assert_cmphex (esim_apdu_cla_for_channel (5, TRUE), ==, 0xC1);
	g_assert_cmphex (esim_apdu_cla_for_channel (5, FALSE), ==, 0x41);
	g_assert_cmphex (esim_apdu_cla_for_channel (19, FALSE), ==, 0x4F);
	g_assert_cmphex (esim_apdu_cla_for_channel (19, TRUE), ==, 0xCF);
}

static void
check_store_data_blocks (guint channel, guint8 expected_cla)
{
	g_autofree guint8 *request = g_malloc (1000);
	g_autoptr(GPtrArray) blocks = NULL;
	g_autoptr(GByteArray) joined = g_byte_array_new ();
	const guint8 expected_p1[] = { 0x11, 0x11, 0x11, 0x91 };
	const guint8 expected_lc[] = { 0xFF, 0xFF, 0xFF, 0xEB };

	for (guint i = 0; i < 1000; i++)
		request[i] = (guint8) (i * 7);
	blocks = esim_apdu_build_store_data (channel, request, 1000, 255);
	g_assert_nonnull (blocks);
	g_assert_cmpuint (blocks->len, ==, 4);
	for (guint i = 0; i < blocks->len; i++) {
		gsize len = 0;
		const guint8 *raw = g_bytes_get_data (g_ptr_array_index (blocks, i), &len);

		g_assert_cmphex (raw[0], ==, expected_cla);
		g_assert_cmphex (raw[1], ==, 0xE2);
		g_assert_cmphex (raw[2], ==, expected_p1[i]);
		g_assert_cmphex (raw[3], ==, i);
		g_assert_cmphex (raw[4], ==, expected_lc[i]);
		/* case 3: header, Lc, data, no Le */
		g_assert_cmpuint (len, ==, 5 + raw[4]);
		g_byte_array_append (joined, raw + 5, raw[4]);
	}
	g_assert_cmpmem (joined->data, joined->len, request, 1000);
}

static void
test_apdu_store_data (void)
{
	g_autoptr(GBytes) request = hex ("BF3E035C015A");
	g_autoptr(GPtrArray) v2 = NULL;
	g_autoptr(GPtrArray) exact = NULL;
	g_autoptr(GPtrArray) one_more = NULL;
	g_autoptr(GPtrArray) small = NULL;
	g_autoptr(GPtrArray) too_many = NULL;
	g_autofree guint8 *big = g_malloc0 (256 * 6 + 1);

	check_store_data_blocks (1, 0x81);
	check_store_data_blocks (5, 0xC1);
	check_store_data_blocks (0, 0x80);

	/* vectors.md V2 */
	v2 = esim_apdu_build_store_data (1, g_bytes_get_data (request, NULL), 6, 255);
	g_assert_cmpuint (v2->len, ==, 1);
	assert_bytes_hex (g_ptr_array_index (v2, 0), "81E2910006BF3E035C015A");

	exact = esim_apdu_build_store_data (2, big, 255, 255);
	g_assert_cmpuint (exact->len, ==, 1);
	one_more = esim_apdu_build_store_data (2, big, 256, 255);
	g_assert_cmpuint (one_more->len, ==, 2);
	g_assert_cmpuint (g_bytes_get_size (g_ptr_array_index (one_more, 1)), ==, 6);
	/* lpac's conservative 120-byte segments: ceil(1000/120) = 9 */
	small = esim_apdu_build_store_data (1, big, 1000, 120);
	g_assert_cmpuint (small->len, ==, 9);
	/* 257 blocks cannot be numbered in P2 */
	too_many = esim_apdu_build_store_data (1, big, 256 * 6 + 1, 6);
	g_assert_null (too_many);
}

static void
test_apdu_terminal_capability (void)
{
	g_autoptr(GBytes) ch1 = esim_apdu_build_terminal_capability (1);
	g_autoptr(GBytes) ch0 = esim_apdu_build_terminal_capability (0);
	g_autoptr(GBytes) ch5 = esim_apdu_build_terminal_capability (5);

	assert_bytes_hex (ch1, "81AA000005A903830107");
	assert_bytes_hex (ch0, "80AA000005A903830107");
	assert_bytes_hex (ch5, "C1AA000005A903830107");
}

/* ------------------------------------------------------------------------ */
/* raw channel open/close */

static gint
raw_open (FakeChannel *fake, GError **error)
{
	g_autoptr(GBytes) aid = g_bytes_new_static (ESIM_ISDR_AID, sizeof (ESIM_ISDR_AID));
	g_autoptr(GAsyncResult) res = NULL;
	GAsyncResult *slot = NULL;

	esim_channel_open_async (ESIM_CHANNEL (fake), aid, NULL, got_result, &slot);
	res = wait_for (&slot);
	return esim_channel_open_finish (ESIM_CHANNEL (fake), res, error);
}

static void
test_channel_raw_open_close (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(GError) error = NULL;
	g_autoptr(GAsyncResult) res = NULL;
	GAsyncResult *slot = NULL;
	gint channel;

	g_assert_cmpstr (esim_channel_get_transport (ESIM_CHANNEL (fake)), ==, "fake");

	/* V1 with P2 = 00: the card answers 6120 (FCI waiting), which is success */
	fake_channel_expect (fake, "00 70 00 00 01", "01 9000");
	fake_channel_expect (fake, "01 A4 04 00 10 " ISDR_AID_HEX, "6120");
	channel = raw_open (fake, &error);
	g_assert_no_error (error);
	g_assert_cmpint (channel, ==, 1);

	fake_channel_expect (fake, "00 70 80 01 00", "9000");
	esim_channel_close_async (ESIM_CHANNEL (fake), channel, NULL, got_result, &slot);
	res = wait_for (&slot);
	g_assert_true (esim_channel_close_finish (ESIM_CHANNEL (fake), res, &error));
	g_assert_no_error (error);
	g_clear_object (&res);

	/* a further-interindustry channel: SELECT CLA 40|(ch-4); 9000 also accepted */
	fake_channel_expect (fake, "0070000001", "079000");
	fake_channel_expect (fake, "43A4040010" ISDR_AID_HEX, "9000");
	channel = raw_open (fake, &error);
	g_assert_no_error (error);
	g_assert_cmpint (channel, ==, 7);

	fake_channel_expect (fake, "0070800700", "6A81");
	esim_channel_close_async (ESIM_CHANNEL (fake), channel, NULL, got_result, &slot);
	res = wait_for (&slot);
	g_assert_false (esim_channel_close_finish (ESIM_CHANNEL (fake), res, &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_NO_CHANNEL);
	fake_channel_assert_done (fake);
}

static void
test_channel_raw_open_errors (void)
{
	struct {
		const gchar *manage_answer;
		gint code; /* EsimApduError */
	} manage_failures[] = {
		{ "6881", ESIM_APDU_ERROR_NO_CHANNEL },
		{ "6A81", ESIM_APDU_ERROR_NO_CHANNEL },
		{ "6D00", ESIM_APDU_ERROR_NO_CHANNEL },
		{ "9000", ESIM_APDU_ERROR_MALFORMED_RESPONSE },     /* no channel byte */
		{ "01029000", ESIM_APDU_ERROR_MALFORMED_RESPONSE }, /* two bytes */
		{ "149000", ESIM_APDU_ERROR_MALFORMED_RESPONSE },   /* channel 20 */
		{ "009000", ESIM_APDU_ERROR_MALFORMED_RESPONSE },   /* channel 0 */
		{ "90", ESIM_APDU_ERROR_MALFORMED_RESPONSE },       /* no SW */
	};
	g_autoptr(FakeChannel) fake = fake_channel_new ();

	for (guint i = 0; i < G_N_ELEMENTS (manage_failures); i++) {
		g_autoptr(GError) error = NULL;

		fake_channel_expect (fake, "0070000001", manage_failures[i].manage_answer);
		g_assert_cmpint (raw_open (fake, &error), ==, -1);
		g_assert_error (error, ESIM_APDU_ERROR, manage_failures[i].code);
	}

	/* SELECT refused: NOT_FOUND, and the channel is closed again */
	{
		g_autoptr(GError) error = NULL;

		fake_channel_expect (fake, "0070000001", "029000");
		fake_channel_expect (fake, "02A4040010" ISDR_AID_HEX, "6A82");
		fake_channel_expect (fake, "0070800200", "9000");
		g_assert_cmpint (raw_open (fake, &error), ==, -1);
		g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_NOT_FOUND);
	}
	/* the SELECT error wins even if closing fails too */
	{
		g_autoptr(GError) error = NULL;

		fake_channel_expect (fake, "0070000001", "039000");
		fake_channel_expect (fake, "03A4040010" ISDR_AID_HEX, "6999");
		fake_channel_expect_transport_error (fake, "0070800300");
		g_assert_cmpint (raw_open (fake, &error), ==, -1);
		g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_FAILED);
	}
	/* transport failure during MANAGE CHANNEL */
	{
		g_autoptr(GError) error = NULL;

		fake_channel_expect_transport_error (fake, "0070000001");
		g_assert_cmpint (raw_open (fake, &error), ==, -1);
		g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
	}
	fake_channel_assert_done (fake);
}

/* ------------------------------------------------------------------------ */
/* ISD-R session */

static void
test_isdr_v2_get_eid (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = NULL;
	g_autoptr(GBytes) response = NULL;
	g_autoptr(GError) error = NULL;

	isdr = open_isdr (fake, 1);
	g_assert_cmpuint (esim_isdr_get_segment_size (isdr), ==, 255);
	g_assert_true (esim_isdr_get_channel (isdr) == ESIM_CHANNEL (fake));
	/* vectors.md V2, byte for byte: GET RESPONSE uses CLA 01, not 81 */
	fake_channel_expect (fake, "81E2910006BF3E035C015A", "6115");
	fake_channel_expect (fake, "01C0000015", V2_EID_HEX "9000");
	response = transceive (isdr, "BF3E035C015A", &error);
	g_assert_no_error (error);
	assert_bytes_hex (response, V2_EID_HEX);
	/* TERMINAL CAPABILITY + STORE DATA + GET RESPONSE */
	g_assert_cmpuint (esim_isdr_get_apdu_count (isdr), ==, 3);
	close_isdr (fake, isdr);
}

static void
test_isdr_terminal_capability_refused (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = esim_isdr_new (ESIM_CHANNEL (fake));
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	GAsyncResult *slot = NULL;

	script_isdr_open (fake, 2, "6D00");
	esim_isdr_open_async (isdr, NULL, got_result, &slot);
	res = wait_for (&slot);
	g_assert_true (esim_isdr_open_finish (isdr, res, &error));
	g_assert_no_error (error);
	g_assert_cmpint (esim_isdr_get_logical_channel (isdr), ==, 2);
	g_clear_object (&res);

	/* opening an open session is a no-op */
	esim_isdr_open_async (isdr, NULL, got_result, &slot);
	res = wait_for (&slot);
	g_assert_true (esim_isdr_open_finish (isdr, res, &error));
	g_assert_no_error (error);
	close_isdr (fake, isdr);
}

static void
test_isdr_open_not_found (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = esim_isdr_new (ESIM_CHANNEL (fake));
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	GAsyncResult *slot = NULL;

	fake_channel_expect (fake, "0070000001", "019000");
	fake_channel_expect (fake, "01A4040010" ISDR_AID_HEX, "6A82");
	fake_channel_expect (fake, "0070800100", "9000");
	esim_isdr_open_async (isdr, NULL, got_result, &slot);
	res = wait_for (&slot);
	g_assert_false (esim_isdr_open_finish (isdr, res, &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_NOT_FOUND);
	g_assert_false (esim_isdr_is_open (isdr));
	fake_channel_assert_done (fake);
}

/* After a card reset the session forgets its channel: disposing it must not
 * send MANAGE CHANNEL close (the fake fails the test on any unexpected APDU). */
static void
test_isdr_forget_channel (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	EsimIsdr *isdr = open_isdr (fake, 2);

	g_assert_true (esim_isdr_is_open (isdr));
	esim_isdr_forget_channel (isdr);
	g_assert_false (esim_isdr_is_open (isdr));
	g_assert_cmpint (esim_isdr_get_logical_channel (isdr), ==, -1);
	g_object_unref (isdr);
	fake_channel_assert_done (fake);
}

/* A backend whose modem selects the ISD-R on the basic channel itself: open
 * answers channel 0, the APDUs go to the scripted FakeChannel, and close
 * must never be called for channel 0. */
#define TEST_TYPE_BASIC_CHANNEL (test_basic_channel_get_type ())
G_DECLARE_FINAL_TYPE (TestBasicChannel, test_basic_channel, TEST, BASIC_CHANNEL, GObject)

struct _TestBasicChannel {
	GObject      parent_instance;
	FakeChannel *fake;
	guint        n_open;
	guint        n_close;
};

static void test_basic_channel_iface_init (EsimChannelInterface *iface);

G_DEFINE_TYPE_WITH_CODE (TestBasicChannel, test_basic_channel, G_TYPE_OBJECT,
			 G_IMPLEMENT_INTERFACE (ESIM_TYPE_CHANNEL, test_basic_channel_iface_init))

static void
test_basic_channel_open_async (EsimChannel *channel, GBytes *aid, GCancellable *cancellable,
			       GAsyncReadyCallback callback, gpointer user_data)
{
	TestBasicChannel *self = TEST_BASIC_CHANNEL (channel);
	g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

	self->n_open++;
	g_task_return_int (task, 0);
}

static gint
test_basic_channel_open_finish (EsimChannel *channel, GAsyncResult *res, GError **error)
{
	return (gint) g_task_propagate_int (G_TASK (res), error);
}

static void
test_basic_channel_transmitted (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	GError *error = NULL;
	GBytes *response = esim_channel_transmit_finish (ESIM_CHANNEL (source), res, &error);

	if (response == NULL)
		g_task_return_error (task, error);
	else
		g_task_return_pointer (task, response, (GDestroyNotify) g_bytes_unref);
}

static void
test_basic_channel_transmit_async (EsimChannel *channel, gint logical_channel, GBytes *command,
				   GCancellable *cancellable, GAsyncReadyCallback callback,
				   gpointer user_data)
{
	TestBasicChannel *self = TEST_BASIC_CHANNEL (channel);
	GTask *task = g_task_new (self, cancellable, callback, user_data);

	g_assert_cmpint (logical_channel, ==, 0);
	esim_channel_transmit_async (ESIM_CHANNEL (self->fake), logical_channel, command,
				     cancellable, test_basic_channel_transmitted, task);
}

static GBytes *
test_basic_channel_transmit_finish (EsimChannel *channel, GAsyncResult *res, GError **error)
{
	return g_task_propagate_pointer (G_TASK (res), error);
}

static void
test_basic_channel_close_async (EsimChannel *channel, gint logical_channel,
				GCancellable *cancellable, GAsyncReadyCallback callback,
				gpointer user_data)
{
	TestBasicChannel *self = TEST_BASIC_CHANNEL (channel);
	g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

	self->n_close++;
	g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				 "cannot close channel %d", logical_channel);
}

static gboolean
test_basic_channel_close_finish (EsimChannel *channel, GAsyncResult *res, GError **error)
{
	return g_task_propagate_boolean (G_TASK (res), error);
}

static void
test_basic_channel_iface_init (EsimChannelInterface *iface)
{
	iface->open_async = test_basic_channel_open_async;
	iface->open_finish = test_basic_channel_open_finish;
	iface->transmit_async = test_basic_channel_transmit_async;
	iface->transmit_finish = test_basic_channel_transmit_finish;
	iface->close_async = test_basic_channel_close_async;
	iface->close_finish = test_basic_channel_close_finish;
}

static void
test_basic_channel_finalize (GObject *object)
{
	g_object_unref (TEST_BASIC_CHANNEL (object)->fake);
	G_OBJECT_CLASS (test_basic_channel_parent_class)->finalize (object);
}

static void
test_basic_channel_class_init (TestBasicChannelClass *klass)
{
	G_OBJECT_CLASS (klass)->finalize = test_basic_channel_finalize;
}

static void
test_basic_channel_init (TestBasicChannel *self)
{
	self->fake = fake_channel_new ();
}

/* Channel 0 is the basic channel: the session runs on it (CLA 80/00) and
 * ends without MANAGE CHANNEL close, whether closed or dropped. */
static void
test_isdr_basic_channel (void)
{
	g_autoptr(TestBasicChannel) basic = g_object_new (TEST_TYPE_BASIC_CHANNEL, NULL);
	g_autoptr(EsimIsdr) isdr = esim_isdr_new (ESIM_CHANNEL (basic));
	g_autoptr(GBytes) tc = esim_apdu_build_terminal_capability (0);
	g_autofree gchar *tc_hex = esim_hex_encode_bytes (tc);
	g_autoptr(GBytes) response = NULL;
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	GAsyncResult *slot = NULL;

	g_assert_cmphex (tc_hex[0], ==, '8');
	g_assert_cmphex (tc_hex[1], ==, '0');
	fake_channel_expect (basic->fake, tc_hex, "9000");
	esim_isdr_open_async (isdr, NULL, got_result, &slot);
	res = wait_for (&slot);
	g_assert_true (esim_isdr_open_finish (isdr, res, &error));
	g_assert_no_error (error);
	g_clear_object (&res);
	g_assert_true (esim_isdr_is_open (isdr));
	g_assert_cmpint (esim_isdr_get_logical_channel (isdr), ==, 0);

	/* GetEID: STORE DATA with CLA 80 on the basic channel */
	fake_channel_expect (basic->fake, "80E2910003BF3E00", V2_EID_HEX "9000");
	response = transceive (isdr, "BF3E00", &error);
	g_assert_no_error (error);
	assert_bytes_hex (response, V2_EID_HEX);

	/* close: nothing is sent and the backend's close is not called */
	esim_isdr_close_async (isdr, NULL, got_result, &slot);
	res = wait_for (&slot);
	g_assert_true (esim_isdr_close_finish (isdr, res, &error));
	g_assert_no_error (error);
	g_clear_object (&res);
	g_assert_false (esim_isdr_is_open (isdr));
	g_assert_cmpint (esim_isdr_get_logical_channel (isdr), ==, -1);
	g_assert_cmpuint (basic->n_close, ==, 0);
	fake_channel_assert_done (basic->fake);

	/* a session dropped while open on channel 0 does not close it either */
	fake_channel_expect (basic->fake, tc_hex, "9000");
	esim_isdr_open_async (isdr, NULL, got_result, &slot);
	res = wait_for (&slot);
	g_assert_true (esim_isdr_open_finish (isdr, res, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (basic->n_open, ==, 2);
	g_clear_object (&isdr);
	while (g_main_context_iteration (NULL, FALSE))
		;
	g_assert_cmpuint (basic->n_close, ==, 0);
	fake_channel_assert_done (basic->fake);
}

static void
check_segmented (guint channel)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = open_isdr (fake, channel);
	g_autoptr(GString) request = g_string_new ("BF368203E3"); /* 5 + 995 = 1000 bytes */
	g_autoptr(GBytes) response = NULL;
	g_autoptr(GError) error = NULL;
	guint8 cla = esim_apdu_cla_for_channel (channel, TRUE);
	guint apdus_before = esim_isdr_get_apdu_count (isdr);

	for (guint i = 0; i < 995; i++)
		g_string_append_printf (request, "%02X", i & 0xFF);
	for (guint block = 0; block < 4; block++) {
		g_autofree gchar *command = g_strdup_printf ("%02XE2%02X%02X%02X%.*s", cla,
							     block == 3 ? 0x91 : 0x11, block,
							     block == 3 ? 235 : 255,
							     block == 3 ? 470 : 510,
							     request->str + 510 * block);
		fake_channel_expect (fake, command, "9000");
	}
	/* the whole request must be 1000 bytes for the split to be 255+255+255+235 */
	{
		g_autoptr(GBytes) bytes = hex (request->str);
		g_assert_cmpuint (g_bytes_get_size (bytes), ==, 1000);
	}
	response = transceive (isdr, request->str, &error);
	g_assert_no_error (error);
	/* an empty final answer is valid */
	g_assert_nonnull (response);
	g_assert_cmpuint (g_bytes_get_size (response), ==, 0);
	g_assert_cmpuint (esim_isdr_get_apdu_count (isdr) - apdus_before, ==, 4);
	close_isdr (fake, isdr);
}

static void
test_isdr_segmented_request (void)
{
	check_segmented (1);
	check_segmented (5);
}

static void
test_isdr_get_response_chain (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = open_isdr (fake, 5);
	g_autoptr(GBytes) response = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *part1 = repeat_hex ("A1", 256);
	g_autofree gchar *part2 = repeat_hex ("B2", 256);
	g_autofree gchar *part3 = repeat_hex ("C3", 88);
	g_autofree gchar *answer1 = g_strconcat (part1, "6100", NULL);
	g_autofree gchar *answer2 = g_strconcat (part2, "6158", NULL);
	g_autofree gchar *answer3 = g_strconcat (part3, "9000", NULL);
	g_autofree gchar *expected = g_strconcat (part1, part2, part3, NULL);

	/* 600 bytes as 256 + 256 + 88; GET RESPONSE CLA is 41 on channel 5 */
	fake_channel_expect (fake, "C1E2910003BF2D00", "6100");
	fake_channel_expect (fake, "41C0000000", answer1);
	fake_channel_expect (fake, "41C0000000", answer2);
	fake_channel_expect (fake, "41C0000058", answer3);
	response = transceive (isdr, "BF2D00", &error);
	g_assert_no_error (error);
	g_assert_cmpuint (g_bytes_get_size (response), ==, 600);
	assert_bytes_hex (response, expected);
	close_isdr (fake, isdr);
}

static void
test_isdr_wrong_le (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = open_isdr (fake, 1);
	g_autoptr(GBytes) response = NULL;
	g_autoptr(GBytes) response2 = NULL;
	g_autoptr(GBytes) response3 = NULL;
	g_autoptr(GError) error = NULL;

	/* STORE DATA re-sent once with Le = xx */
	fake_channel_expect (fake, "81E2910006BF3E035C015A", "6C15");
	fake_channel_expect (fake, "81E2910006BF3E035C015A15", V2_EID_HEX "9000");
	response = transceive (isdr, "BF3E035C015A", &error);
	g_assert_no_error (error);
	assert_bytes_hex (response, V2_EID_HEX);

	/* a GET RESPONSE answered 6Cxx: its Le is replaced */
	fake_channel_expect (fake, "81E2910006BF3E035C015A", "6120");
	fake_channel_expect (fake, "01C0000020", "6C15");
	fake_channel_expect (fake, "01C0000015", V2_EID_HEX "9000");
	response2 = transceive (isdr, "BF3E035C015A", &error);
	g_assert_no_error (error);
	assert_bytes_hex (response2, V2_EID_HEX);

	/* a second 6Cxx for the same command is an error, not a loop */
	fake_channel_expect (fake, "81E2910006BF3E035C015A", "6C15");
	fake_channel_expect (fake, "81E2910006BF3E035C015A15", "6C16");
	response3 = transceive (isdr, "BF3E035C015A", &error);
	g_assert_null (response3);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_WRONG_LENGTH);
	close_isdr (fake, isdr);
}

static void
test_isdr_intermediate_blocks (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = open_isdr (fake, 1);
	g_autoptr(GBytes) response = NULL;
	g_autoptr(GBytes) early = NULL;
	g_autoptr(GBytes) chained = NULL;
	g_autoptr(GError) error = NULL;
	/* 12 bytes with segment size 6: two blocks */
	const gchar *request = "BF370A800101810102820103";

	esim_isdr_set_segment_size (isdr, 6);
	g_assert_cmpuint (esim_isdr_get_segment_size (isdr), ==, 6);

	/* an error SW on the first block aborts with the mapped error; block 2 is never sent */
	fake_channel_expect (fake, "81E2110006BF370A800101", "6A80");
	response = transceive (isdr, request, &error);
	g_assert_null (response);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_WRONG_DATA);
	g_clear_error (&error);
	g_assert_cmpuint (fake_channel_get_pending (fake), ==, 0);

	/* data on an intermediate block is the final answer (an early result) */
	fake_channel_expect (fake, "81E2110006BF370A800101", "BF3703800101" "9000");
	early = transceive (isdr, request, &error);
	g_assert_no_error (error);
	assert_bytes_hex (early, "BF3703800101");

	/* ... also when it arrives through 61xx */
	fake_channel_expect (fake, "81E2110006BF370A800101", "6106");
	fake_channel_expect (fake, "01C0000006", "BF3703800102" "9000");
	chained = transceive (isdr, request, &error);
	g_assert_no_error (error);
	assert_bytes_hex (chained, "BF3703800102");

	/* normal case: 9000 without data, then the last block */
	{
		g_autoptr(GBytes) normal = NULL;

		fake_channel_expect (fake, "81E2110006BF370A800101", "9000");
		fake_channel_expect (fake, "81E2910106810102820103", "BF3700" "9000");
		normal = transceive (isdr, request, &error);
		g_assert_no_error (error);
		assert_bytes_hex (normal, "BF3700");
	}
	close_isdr (fake, isdr);
}

static void
test_isdr_proactive_pending (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = open_isdr (fake, 1);
	g_autoptr(GBytes) empty = NULL;
	g_autoptr(GBytes) with_data = NULL;
	g_autoptr(GError) error = NULL;

	/* 910B after EnableProfile: REFRESH pending, the command itself succeeded */
	fake_channel_expect (fake, "81E2910003BF3100", "910B");
	empty = transceive (isdr, "BF3100", &error);
	g_assert_no_error (error);
	g_assert_cmpuint (g_bytes_get_size (empty), ==, 0);

	fake_channel_expect (fake, "81E2910003BF3100", "BF3103800100" "9120");
	with_data = transceive (isdr, "BF3100", &error);
	g_assert_no_error (error);
	assert_bytes_hex (with_data, "BF3103800100");
	close_isdr (fake, isdr);
}

typedef struct {
	GPtrArray *order;
	GAsyncResult *res;
	const gchar *name;
} QueuedCall;

static void
queued_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	QueuedCall *call = user_data;
	g_ptr_array_add (call->order, (gpointer) call->name);
	call->res = g_object_ref (res);
}

static void
test_isdr_queue (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = open_isdr (fake, 1);
	g_autoptr(GPtrArray) order = g_ptr_array_new ();
	g_autoptr(GBytes) req_a = hex ("BF3E035C015A");
	g_autoptr(GBytes) req_b = hex ("BF2000");
	g_autoptr(GBytes) req_c = hex ("BF2E00");
	g_autoptr(GBytes) res_a = NULL;
	g_autoptr(GBytes) res_b = NULL;
	g_autoptr(GBytes) res_c = NULL;
	g_autoptr(GError) error = NULL;
	QueuedCall a = { order, NULL, "a" };
	QueuedCall b = { order, NULL, "b" };
	QueuedCall c = { order, NULL, "c" };

	/* A needs a GET RESPONSE: without the queue B's STORE DATA would slip in between */
	fake_channel_expect (fake, "81E2910006BF3E035C015A", "6115");
	fake_channel_expect (fake, "01C0000015", V2_EID_HEX "9000");
	fake_channel_expect (fake, "81E2910003BF2000", "BF2003820102" "9000");
	fake_channel_expect (fake, "81E2910003BF2E00", "9000");
	esim_isdr_transceive_async (isdr, req_a, NULL, queued_ready, &a);
	esim_isdr_transceive_async (isdr, req_b, NULL, queued_ready, &b);
	esim_isdr_transceive_async (isdr, req_c, NULL, queued_ready, &c);
	esim_test_wait_until (a.res != NULL && b.res != NULL && c.res != NULL,
	                      "the three queued transceives to complete");

	res_a = esim_isdr_transceive_finish (isdr, a.res, &error);
	g_assert_no_error (error);
	assert_bytes_hex (res_a, V2_EID_HEX);
	res_b = esim_isdr_transceive_finish (isdr, b.res, &error);
	g_assert_no_error (error);
	assert_bytes_hex (res_b, "BF2003820102");
	res_c = esim_isdr_transceive_finish (isdr, c.res, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (g_bytes_get_size (res_c), ==, 0);
	g_assert_cmpuint (order->len, ==, 3);
	g_assert_cmpstr (g_ptr_array_index (order, 0), ==, "a");
	g_assert_cmpstr (g_ptr_array_index (order, 1), ==, "b");
	g_assert_cmpstr (g_ptr_array_index (order, 2), ==, "c");
	g_object_unref (a.res);
	g_object_unref (b.res);
	g_object_unref (c.res);
	close_isdr (fake, isdr);
}

static void
test_isdr_queue_open_transceive_close (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = esim_isdr_new (ESIM_CHANNEL (fake));
	g_autoptr(GPtrArray) order = g_ptr_array_new ();
	g_autoptr(GBytes) req = hex ("BF3E035C015A");
	g_autoptr(GBytes) response = NULL;
	g_autoptr(GError) error = NULL;
	QueuedCall open_call = { order, NULL, "open" };
	QueuedCall tx_call = { order, NULL, "transceive" };
	QueuedCall close_call = { order, NULL, "close" };

	/* issued back to back: the transceive waits for open, close waits for both */
	script_isdr_open (fake, 3, "9000");
	fake_channel_expect (fake, "83E2910006BF3E035C015A", V2_EID_HEX "9000");
	fake_channel_expect (fake, "0070800300", "9000");
	esim_isdr_open_async (isdr, NULL, queued_ready, &open_call);
	esim_isdr_transceive_async (isdr, req, NULL, queued_ready, &tx_call);
	esim_isdr_close_async (isdr, NULL, queued_ready, &close_call);
	esim_test_wait_until (close_call.res != NULL, "the queued close to complete");

	g_assert_true (esim_isdr_open_finish (isdr, open_call.res, &error));
	response = esim_isdr_transceive_finish (isdr, tx_call.res, &error);
	g_assert_no_error (error);
	assert_bytes_hex (response, V2_EID_HEX);
	g_assert_true (esim_isdr_close_finish (isdr, close_call.res, &error));
	g_assert_no_error (error);
	g_assert_cmpstr (g_ptr_array_index (order, 0), ==, "open");
	g_assert_cmpstr (g_ptr_array_index (order, 1), ==, "transceive");
	g_assert_cmpstr (g_ptr_array_index (order, 2), ==, "close");
	g_object_unref (open_call.res);
	g_object_unref (tx_call.res);
	g_object_unref (close_call.res);
	fake_channel_assert_done (fake);
}

static void
test_isdr_closed_and_cancelled (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = esim_isdr_new (ESIM_CHANNEL (fake));
	g_autoptr(GCancellable) cancellable = g_cancellable_new ();
	g_autoptr(GBytes) req = hex ("BF2E00");
	g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
	g_autoptr(GBytes) response = NULL;
	g_autoptr(GError) error = NULL;

	/* not open */
	g_assert_false (esim_isdr_is_open (isdr));
	g_assert_cmpint (esim_isdr_get_logical_channel (isdr), ==, -1);
	response = transceive (isdr, "BF2E00", &error);
	g_assert_null (response);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_CHANNEL_CLOSED);
	g_clear_error (&error);
	g_clear_object (&isdr);

	/* cancelled before it runs: no APDU at all */
	isdr = open_isdr (fake, 1);
	g_cancellable_cancel (cancellable);
	{
		g_autoptr(GAsyncResult) res = NULL;
		GAsyncResult *slot = NULL;
		guint sent = fake_channel_get_transmit_count (fake);

		esim_isdr_transceive_async (isdr, req, cancellable, got_result, &slot);
		res = wait_for (&slot);
		g_assert_null (esim_isdr_transceive_finish (isdr, res, &error));
		g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
		g_clear_error (&error);
		g_assert_cmpuint (fake_channel_get_transmit_count (fake), ==, sent);
	}
	/* cancelled while the first of two blocks is in flight: the second is not sent */
	{
		g_autoptr(GCancellable) mid = g_cancellable_new ();
		g_autoptr(GBytes) two_blocks = hex ("BF370A800101810102820103");
		g_autoptr(GAsyncResult) res = NULL;
		GAsyncResult *slot = NULL;

		esim_isdr_set_segment_size (isdr, 6);
		fake_channel_expect (fake, "81E2110006BF370A800101", "9000");
		esim_isdr_transceive_async (isdr, two_blocks, mid, got_result, &slot);
		g_cancellable_cancel (mid);
		res = wait_for (&slot);
		g_assert_null (esim_isdr_transceive_finish (isdr, res, &error));
		g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
		g_clear_error (&error);
		g_assert_cmpuint (fake_channel_get_pending (fake), ==, 0);
		esim_isdr_set_segment_size (isdr, 255);
	}
	/* an empty request is refused without touching the card */
	{
		g_autoptr(GAsyncResult) res = NULL;
		GAsyncResult *slot = NULL;

		esim_isdr_transceive_async (isdr, empty, NULL, got_result, &slot);
		res = wait_for (&slot);
		g_assert_null (esim_isdr_transceive_finish (isdr, res, &error));
		g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_WRONG_LENGTH);
		g_clear_error (&error);
	}
	/* the session still works afterwards */
	fake_channel_expect (fake, "81E2910003BF2E00", "BF2E0100" "9000");
	response = transceive (isdr, "BF2E00", &error);
	g_assert_no_error (error);
	assert_bytes_hex (response, "BF2E0100");
	close_isdr (fake, isdr);
}

/* A session set to open on demand: the first request opens the ISD-R (the
 * open's three APDUs, then the request on the channel the card gave), later
 * ones use it; closed again, the next request reopens it. */
static void
test_isdr_open_on_demand (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = esim_isdr_new (ESIM_CHANNEL (fake));
	g_autoptr(GBytes) response = NULL;
	g_autoptr(GError) error = NULL;

	esim_isdr_set_open_on_demand (isdr, TRUE);
	g_assert_false (esim_isdr_is_open (isdr));
	g_assert_cmpuint (fake_channel_get_transmit_count (fake), ==, 0);

	script_isdr_open (fake, 2, "9000");
	fake_channel_expect (fake, "82E2910006BF3E035C015A", V2_EID_HEX "9000");
	response = transceive (isdr, "BF3E035C015A", &error);
	g_assert_no_error (error);
	assert_bytes_hex (response, V2_EID_HEX);
	g_assert_true (esim_isdr_is_open (isdr));
	g_assert_cmpint (esim_isdr_get_logical_channel (isdr), ==, 2);
	g_assert_cmpuint (fake_channel_get_transmit_count (fake), ==, 4);
	g_clear_pointer (&response, g_bytes_unref);

	/* open: no second open */
	fake_channel_expect (fake, "82E2910003BF2E00", "BF2E0100" "9000");
	response = transceive (isdr, "BF2E00", &error);
	g_assert_no_error (error);
	assert_bytes_hex (response, "BF2E0100");
	g_assert_cmpuint (fake_channel_get_transmit_count (fake), ==, 5);
	g_clear_pointer (&response, g_bytes_unref);
	close_isdr (fake, isdr);

	/* closed again: the next request reopens, on the channel the card gives now */
	script_isdr_open (fake, 1, "9000");
	fake_channel_expect (fake, "81E2910003BF2E00", "BF2E0100" "9000");
	response = transceive (isdr, "BF2E00", &error);
	g_assert_no_error (error);
	assert_bytes_hex (response, "BF2E0100");
	g_assert_cmpint (esim_isdr_get_logical_channel (isdr), ==, 1);
	close_isdr (fake, isdr);

	/* and without it, a closed session still refuses */
	esim_isdr_set_open_on_demand (isdr, FALSE);
	g_clear_pointer (&response, g_bytes_unref);
	response = transceive (isdr, "BF2E00", &error);
	g_assert_null (response);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_CHANNEL_CLOSED);
	fake_channel_assert_done (fake);
}

static void
test_isdr_transport_and_malformed (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = open_isdr (fake, 1);
	g_autoptr(GBytes) r1 = NULL;
	g_autoptr(GBytes) r2 = NULL;
	g_autoptr(GBytes) r3 = NULL;
	g_autoptr(GError) error = NULL;

	fake_channel_expect_transport_error (fake, "81E2910003BF2E00");
	r1 = transceive (isdr, "BF2E00", &error);
	g_assert_null (r1);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
	g_clear_error (&error);

	/* failure in the middle of a GET RESPONSE chain */
	fake_channel_expect (fake, "81E2910003BF2E00", "6110");
	fake_channel_expect (fake, "01C0000010", "6F00");
	r2 = transceive (isdr, "BF2E00", &error);
	g_assert_null (r2);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TECHNICAL);
	g_clear_error (&error);

	/* a card that never stops announcing data does not hang the session */
	{
		g_autoptr(GBytes) r4 = NULL;

		fake_channel_expect (fake, "81E2910003BF2E00", "6101");
		for (guint i = 0; i < 1024; i++)
			fake_channel_expect (fake, "01C0000001", "AA6101");
		r4 = transceive (isdr, "BF2E00", &error);
		g_assert_null (r4);
		g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE);
		g_clear_error (&error);
		g_assert_cmpuint (fake_channel_get_pending (fake), ==, 0);
	}

	/* a response without a status word */
	fake_channel_expect (fake, "81E2910003BF2E00", "90");
	r3 = transceive (isdr, "BF2E00", &error);
	g_assert_null (r3);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE);
	close_isdr (fake, isdr);
}

/* The harness itself: an APDU that differs from the script must fail the test. */
static void
test_fake_channel_rejects_unexpected (void)
{
	if (g_test_subprocess ()) {
		g_autoptr(FakeChannel) fake = fake_channel_new ();
		g_autoptr(EsimIsdr) isdr = open_isdr (fake, 1);
		g_autoptr(GBytes) response = NULL;
		g_autoptr(GError) error = NULL;

		fake_channel_expect (fake, "81E2910003BF2000", "9000");
		response = transceive (isdr, "BF2200", &error);
		g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
		return;
	}
	g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_failed ();
}

/* ------------------------------------------------------------------------ */
/* logging: APDU hex only with personal-info logging on */

static GString *captured_log = NULL;

static GLogWriterOutput
capture_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
	const gchar *domain = NULL;
	const gchar *message = NULL;

	for (gsize i = 0; i < n_fields; i++) {
		if (g_str_equal (fields[i].key, "GLIB_DOMAIN"))
			domain = fields[i].value;
		else if (g_str_equal (fields[i].key, "MESSAGE"))
			message = fields[i].value;
	}
	if (captured_log != NULL && g_strcmp0 (domain, "esim") == 0 && message != NULL) {
		g_string_append (captured_log, message);
		g_string_append_c (captured_log, '\n');
		return G_LOG_WRITER_HANDLED;
	}
	return g_log_writer_default (level, fields, n_fields, user_data);
}

static void
run_get_eid_logged (gboolean personal)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = open_isdr (fake, 1);
	g_autoptr(GBytes) response = NULL;
	g_autoptr(GError) error = NULL;

	esim_log_set_personal_info (personal);
	fake_channel_expect (fake, "81E2910006BF3E035C015A", V2_EID_HEX "9000");
	response = transceive (isdr, "BF3E035C015A", &error);
	g_assert_no_error (error);
	close_isdr (fake, isdr);
	esim_log_set_personal_info (FALSE);
}

static void
test_isdr_logging (void)
{
	g_autoptr(GString) log = g_string_new (NULL);

	captured_log = log;
	g_log_set_debug_enabled (TRUE);
	run_get_eid_logged (FALSE);
	g_assert_nonnull (strstr (log->str, "SW 9000"));
	g_assert_null (strstr (log->str, "8904903200"));
	g_assert_null (strstr (log->str, "BF3E035C015A"));

	g_string_truncate (log, 0);
	run_get_eid_logged (TRUE);
	g_assert_nonnull (strstr (log->str, "81E2910006BF3E035C015A"));
	g_assert_nonnull (strstr (log->str, "89049032000000000000279973200019"));
	g_log_set_debug_enabled (FALSE);
	captured_log = NULL;
}

/* ------------------------------------------------------------------------ */
/* a modem that loses its session (ESIM_APDU_ERROR_SESSION_LOST) */

/* The second of two STORE DATA blocks never reached the card: the ISD-R is
 * reopened (on whatever channel the card gives now) and the whole request is
 * sent again from its first block. */
static void
test_isdr_session_lost_resends_request (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = open_isdr (fake, 1);
	g_autoptr(GString) request = g_string_new ("BF3781FF"); /* 4 + 255 = 259 bytes */
	g_autoptr(GBytes) response = NULL;
	g_autoptr(GError) error = NULL;

	for (guint i = 0; i < 255; i++)
		g_string_append_printf (request, "%02X", i);
	{
		g_autofree gchar *block0 = g_strdup_printf ("81E21100FF%.510s", request->str);
		g_autofree gchar *block1 = g_strdup_printf ("81E29101%02X%s", 4, request->str + 510);
		g_autofree gchar *block0_ch3 = g_strdup_printf ("83E21100FF%.510s", request->str);
		g_autofree gchar *block1_ch3 = g_strdup_printf ("83E29101%02X%s", 4, request->str + 510);

		fake_channel_expect (fake, block0, "9000");
		fake_channel_expect_session_lost (fake, block1);
		/* no MANAGE CHANNEL close for the lost channel: it died with the session */
		script_isdr_open (fake, 3, "9000");
		fake_channel_expect (fake, block0_ch3, "9000");
		fake_channel_expect (fake, block1_ch3, "BF37035A01019000");
	}
	g_test_expect_message ("esim", G_LOG_LEVEL_MESSAGE, "*lost its session*reopening*");
	response = transceive (isdr, request->str, &error);
	g_test_assert_expected_messages ();
	g_assert_no_error (error);
	assert_bytes_hex (response, "BF37035A0101");
	g_assert_cmpint (esim_isdr_get_logical_channel (isdr), ==, 3);
	close_isdr (fake, isdr);
}

/* The card answered (61xx) before the session died in the GET RESPONSE: it has
 * run the function, so it is not sent again; the error is reported and the
 * session counts as closed. */
static void
test_isdr_session_lost_after_execution (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = open_isdr (fake, 1);
	g_autoptr(GBytes) response = NULL;
	g_autoptr(GError) error = NULL;

	fake_channel_expect (fake, "81E2910006BF3103800101", "6105");
	fake_channel_expect_session_lost (fake, "01C0000005");
	g_test_expect_message ("esim", G_LOG_LEVEL_MESSAGE, "*after the card ran the command*");
	response = transceive (isdr, "BF3103800101", &error);
	g_test_assert_expected_messages ();
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_SESSION_LOST);
	g_assert_null (response);
	g_assert_false (esim_isdr_is_open (isdr));
	fake_channel_assert_done (fake);
}

/* A function that only reads runs again even after the card answered it. */
static void
test_isdr_session_lost_read_only_resent (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = open_isdr (fake, 1);
	g_autoptr(GBytes) response = NULL;
	g_autoptr(GError) error = NULL;

	fake_channel_expect (fake, "81E2910006BF3E035C015A", "6112");
	fake_channel_expect_session_lost (fake, "01C0000012");
	script_isdr_open (fake, 2, "9000");
	fake_channel_expect (fake, "82E2910006BF3E035C015A", V2_EID_HEX "9000");
	g_test_expect_message ("esim", G_LOG_LEVEL_MESSAGE, "*lost its session*reopening*");
	response = transceive (isdr, "BF3E035C015A", &error);
	g_test_assert_expected_messages ();
	g_assert_no_error (error);
	assert_bytes_hex (response, V2_EID_HEX);
	close_isdr (fake, isdr);
}

/* Healed once per operation: a session lost again is reported, not chased. */
static void
test_isdr_session_lost_twice (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = open_isdr (fake, 1);
	g_autoptr(GBytes) response = NULL;
	g_autoptr(GError) error = NULL;

	fake_channel_expect_session_lost (fake, "81E2910003BF3E00");
	script_isdr_open (fake, 2, "9000");
	fake_channel_expect_session_lost (fake, "82E2910003BF3E00");
	g_test_expect_message ("esim", G_LOG_LEVEL_MESSAGE, "*lost its session*reopening*");
	response = transceive (isdr, "BF3E00", &error);
	g_test_assert_expected_messages ();
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_SESSION_LOST);
	g_assert_null (response);
	g_assert_false (esim_isdr_is_open (isdr));
	fake_channel_assert_done (fake);
}

/* Open heals too (the session died before MANAGE CHANNEL reached the card),
 * and a close whose session is gone has nothing left to close. */
static void
test_isdr_session_lost_open_close (void)
{
	g_autoptr(FakeChannel) fake = fake_channel_new ();
	g_autoptr(EsimIsdr) isdr = esim_isdr_new (ESIM_CHANNEL (fake));
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GAsyncResult) res2 = NULL;
	g_autoptr(GError) error = NULL;
	GAsyncResult *slot = NULL;

	fake_channel_expect_session_lost (fake, "0070000001");
	script_isdr_open (fake, 1, "9000");
	g_test_expect_message ("esim", G_LOG_LEVEL_MESSAGE, "*lost its session*reopening the ISD-R*");
	esim_isdr_open_async (isdr, NULL, got_result, &slot);
	res = wait_for (&slot);
	g_test_assert_expected_messages ();
	g_assert_true (esim_isdr_open_finish (isdr, res, &error));
	g_assert_no_error (error);
	g_assert_cmpint (esim_isdr_get_logical_channel (isdr), ==, 1);

	fake_channel_expect_session_lost (fake, "0070800100");
	esim_isdr_close_async (isdr, NULL, got_result, &slot);
	res2 = wait_for (&slot);
	g_assert_true (esim_isdr_close_finish (isdr, res2, &error));
	g_assert_no_error (error);
	g_assert_false (esim_isdr_is_open (isdr));
	fake_channel_assert_done (fake);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_log_set_writer_func (capture_writer, NULL, NULL);

	g_test_add_func ("/esim/apdu/encode", test_apdu_encode);
	g_test_add_func ("/esim/apdu/response-parse", test_apdu_response_parse);
	g_test_add_func ("/esim/apdu/sw-mapping", test_apdu_sw_mapping);
	g_test_add_func ("/esim/apdu/cla", test_apdu_cla);
	g_test_add_func ("/esim/apdu/store-data", test_apdu_store_data);
	g_test_add_func ("/esim/apdu/terminal-capability", test_apdu_terminal_capability);
	g_test_add_func ("/esim/channel/raw-open-close", test_channel_raw_open_close);
	g_test_add_func ("/esim/channel/raw-open-errors", test_channel_raw_open_errors);
	g_test_add_func ("/esim/isdr/v2-get-eid", test_isdr_v2_get_eid);
	g_test_add_func ("/esim/isdr/terminal-capability-refused", test_isdr_terminal_capability_refused);
	g_test_add_func ("/esim/isdr/open-not-found", test_isdr_open_not_found);
	g_test_add_func ("/esim/isdr/segmented-request", test_isdr_segmented_request);
	g_test_add_func ("/esim/isdr/get-response-chain", test_isdr_get_response_chain);
	g_test_add_func ("/esim/isdr/wrong-le", test_isdr_wrong_le);
	g_test_add_func ("/esim/isdr/intermediate-blocks", test_isdr_intermediate_blocks);
	g_test_add_func ("/esim/isdr/proactive-pending", test_isdr_proactive_pending);
	g_test_add_func ("/esim/isdr/queue", test_isdr_queue);
	g_test_add_func ("/esim/isdr/forget-channel", test_isdr_forget_channel);
	g_test_add_func ("/esim/isdr/basic-channel", test_isdr_basic_channel);
	g_test_add_func ("/esim/isdr/queue-open-transceive-close", test_isdr_queue_open_transceive_close);
	g_test_add_func ("/esim/isdr/closed-and-cancelled", test_isdr_closed_and_cancelled);
	g_test_add_func ("/esim/isdr/transport-and-malformed", test_isdr_transport_and_malformed);
	g_test_add_func ("/esim/isdr/logging", test_isdr_logging);
	g_test_add_func ("/esim/isdr/session-lost/resends-request", test_isdr_session_lost_resends_request);
	g_test_add_func ("/esim/isdr/session-lost/after-execution", test_isdr_session_lost_after_execution);
	g_test_add_func ("/esim/isdr/session-lost/twice", test_isdr_session_lost_twice);
	g_test_add_func ("/esim/isdr/session-lost/read-only-resent", test_isdr_session_lost_read_only_resent);
	g_test_add_func ("/esim/isdr/session-lost/open-close", test_isdr_session_lost_open_close);
	g_test_add_func ("/esim/isdr/open-on-demand", test_isdr_open_on_demand);
	g_test_add_func ("/esim/fake-channel/rejects-unexpected", test_fake_channel_rejects_unexpected);
	return g_test_run ();
}
