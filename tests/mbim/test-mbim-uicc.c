/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The MBIM backend's reading of modem answers, without a modem. */

#include <string.h>

#include "esim-error.h"
#include "esim-mbim-uicc.h"
#include "esim-util.h"

static void
put_u32 (GByteArray *array, guint32 value)
{
	guint8 bytes[4] = { value & 0xFF, (value >> 8) & 0xFF, (value >> 16) & 0xFF, value >> 24 };

	g_byte_array_append (array, bytes, sizeof (bytes));
}

/* A COMMAND_DONE as a modem sends it: @fragments total, status NONE, @info. */
static MbimMessage *
command_done_new (MbimService service, guint32 cid, guint32 fragments, const guint32 *info,
                  guint n_info)
{
	g_autoptr(GByteArray) raw = g_byte_array_new ();

	put_u32 (raw, MBIM_MESSAGE_TYPE_COMMAND_DONE);
	put_u32 (raw, 48 + 4 * n_info);
	put_u32 (raw, 7);
	put_u32 (raw, fragments);
	put_u32 (raw, 0);
	g_byte_array_append (raw, (const guint8 *) mbim_uuid_from_service (service), 16);
	put_u32 (raw, cid);
	put_u32 (raw, MBIM_STATUS_ERROR_NONE);
	put_u32 (raw, 4 * n_info);
	for (guint i = 0; i < n_info; i++)
		put_u32 (raw, info[i]);
	return mbim_message_new (raw->data, raw->len);
}

/* The Status field of MS UICC low-level access answers as modems send it:
 * SW1 in the low byte, SW2 in the next (ModemManager src/mm-sim-mbim.c,
 * Hermes modem_mbim.cc, lpac driver/apdu/mbim.c). */
static void
test_status_word (void)
{
	const struct {
		guint32 status;
		guint16 sw;
	} good[] = {
		{ 0x00000090, 0x9000 }, /* 144: the success the clients above test for */
		{ 0x00001061, 0x6110 }, /* 61 10: 16 more bytes */
		{ 0x0000186C, 0x6C18 }, /* 6C 18: wrong Le, 24 */
		{ 0x0000826A, 0x6A82 },
		{ 0x00000091, 0x9100 },
		{ 0x00000098, 0x9800 },
	};
	const guint32 bad[] = {
		0x00009000, /* 90 00 read the other way round: SW1 would be 00 */
		0x00000000,
		0x00000060, /* 60 is a procedure byte, not SW1 */
		0x000000A0,
		0x00010090, /* bits above SW2 */
		0x90000000,
	};
	g_autoptr(GError) error = NULL;

	for (guint i = 0; i < G_N_ELEMENTS (good); i++) {
		guint16 sw = 0;

		g_assert_true (esim_mbim_uicc_status_to_sw (good[i].status, &sw, &error));
		g_assert_no_error (error);
		g_assert_cmphex (sw, ==, good[i].sw);
	}
	for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
		guint16 sw = 0x1234;

		g_assert_false (esim_mbim_uicc_status_to_sw (bad[i], &sw, &error));
		g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE);
		g_assert_nonnull (strstr (error->message, "low byte"));
		g_assert_cmphex (sw, ==, 0x1234);
		g_clear_error (&error);
	}
}

static void
test_apdu (void)
{
	/* SW 90 00 (0x00000090), then the data as (size 2, offset 12): the UICC
	 * services put the size first */
	const guint32 ok[] = { 0x00000090, 2, 12, 0x00003EBF };
	const guint32 more[] = { 0x00000061, 0, 12, 0 };
	const guint32 swapped[] = { 0x00009000, 2, 12, 0x00003EBF };
	const guint32 bad_sw[] = { 0x1234, 0, 12, 0 };
	const guint32 past_end[] = { 0x00000090, 64, 12, 0 };
	g_autoptr(MbimMessage) good = command_done_new (MBIM_SERVICE_MS_UICC_LOW_LEVEL_ACCESS, 4, 1,
	                                                ok, G_N_ELEMENTS (ok));
	g_autoptr(MbimMessage) more_data = command_done_new (MBIM_SERVICE_MS_UICC_LOW_LEVEL_ACCESS, 4,
	                                                     1, more, G_N_ELEMENTS (more));
	g_autoptr(MbimMessage) other_order = command_done_new (MBIM_SERVICE_MS_UICC_LOW_LEVEL_ACCESS,
	                                                       4, 1, swapped,
	                                                       G_N_ELEMENTS (swapped));
	g_autoptr(MbimMessage) odd_sw = command_done_new (MBIM_SERVICE_MS_UICC_LOW_LEVEL_ACCESS, 4,
	                                                  1, bad_sw, G_N_ELEMENTS (bad_sw));
	g_autoptr(MbimMessage) overrun = command_done_new (MBIM_SERVICE_MS_UICC_LOW_LEVEL_ACCESS, 4,
	                                                   1, past_end, G_N_ELEMENTS (past_end));
	g_autoptr(MbimMessage) fragment = command_done_new (MBIM_SERVICE_MS_UICC_LOW_LEVEL_ACCESS, 4,
	                                                    2, ok, G_N_ELEMENTS (ok));
	g_autoptr(GBytes) apdu = NULL;
	g_autoptr(GBytes) apdu_more = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *hex = NULL;
	g_autofree gchar *hex_more = NULL;

	apdu = esim_mbim_uicc_parse_apdu (good, &error);
	g_assert_no_error (error);
	hex = esim_hex_encode_bytes (apdu);
	/* MBIM carries the SW apart: it is appended to the data, SW1 first */
	g_assert_cmpstr (hex, ==, "BF3E9000");
	apdu_more = esim_mbim_uicc_parse_apdu (more_data, &error);
	g_assert_no_error (error);
	hex_more = esim_hex_encode_bytes (apdu_more);
	g_assert_cmpstr (hex_more, ==, "6100");

	g_assert_null (esim_mbim_uicc_parse_apdu (other_order, &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE);
	g_clear_error (&error);
	g_assert_null (esim_mbim_uicc_parse_apdu (odd_sw, &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE);
	g_clear_error (&error);
	g_assert_null (esim_mbim_uicc_parse_apdu (overrun, &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE);
	g_clear_error (&error);
	/* one piece of a fragmented answer is not an answer */
	g_assert_null (esim_mbim_uicc_parse_apdu (fragment, &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE);
}

static void
test_open_channel (void)
{
	const guint32 ok[] = { 0x00000090, 3, 0, 0 };
	const guint32 not_found[] = { 0x0000826A, 2, 0, 0 };
	const guint32 swapped[] = { 0x00009000, 3, 0, 0 };
	const guint32 short_info[] = { 0x00000090 };
	g_autoptr(MbimMessage) good = command_done_new (MBIM_SERVICE_MS_UICC_LOW_LEVEL_ACCESS, 2, 1,
	                                                ok, G_N_ELEMENTS (ok));
	g_autoptr(MbimMessage) refused = command_done_new (MBIM_SERVICE_MS_UICC_LOW_LEVEL_ACCESS, 2,
	                                                   1, not_found, G_N_ELEMENTS (not_found));
	g_autoptr(MbimMessage) other_order = command_done_new (MBIM_SERVICE_MS_UICC_LOW_LEVEL_ACCESS,
	                                                       2, 1, swapped,
	                                                       G_N_ELEMENTS (swapped));
	g_autoptr(MbimMessage) truncated = command_done_new (MBIM_SERVICE_MS_UICC_LOW_LEVEL_ACCESS, 2,
	                                                     1, short_info,
	                                                     G_N_ELEMENTS (short_info));
	g_autoptr(GError) error = NULL;
	guint32 channel = 0;
	guint16 sw = 0;

	g_assert_true (esim_mbim_uicc_parse_open_channel (good, &channel, &sw, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (channel, ==, 3);
	g_assert_cmphex (sw, ==, 0x9000);
	/* the SELECT's status word is the caller's to judge */
	g_assert_true (esim_mbim_uicc_parse_open_channel (refused, &channel, &sw, &error));
	g_assert_no_error (error);
	g_assert_cmphex (sw, ==, 0x6A82);
	/* the channel is still named, so that the caller can close it */
	g_assert_false (esim_mbim_uicc_parse_open_channel (other_order, &channel, &sw, &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE);
	g_assert_cmpuint (channel, ==, 3);
	g_clear_error (&error);
	g_assert_false (esim_mbim_uicc_parse_open_channel (truncated, &channel, &sw, &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE);
}

static void
test_slot_mappings (void)
{
	/* MapCount 1, (offset 12, size 4), slot index 1 */
	const guint32 ok[] = { 1, 12, 4, 1 };
	const guint32 empty[] = { 0 };
	/* a count the answer cannot hold: refused before anything is allocated */
	const guint32 huge[] = { 0x6A820000, 12, 4, 1 };
	const guint32 outside[] = { 1, 4000, 4, 1 };
	const struct {
		const guint32 *info;
		guint          n_info;
	} bad[] = {
		{ empty, G_N_ELEMENTS (empty) },
		{ huge, G_N_ELEMENTS (huge) },
		{ outside, G_N_ELEMENTS (outside) },
		{ NULL, 0 },
	};
	g_autoptr(MbimMessage) good = command_done_new (MBIM_SERVICE_MS_BASIC_CONNECT_EXTENSIONS, 7,
	                                                1, ok, G_N_ELEMENTS (ok));
	g_autoptr(GError) error = NULL;
	guint32 slot = 99;

	g_assert_true (esim_mbim_uicc_parse_mapped_slot (good, &slot, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (slot, ==, 1);
	for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autoptr(MbimMessage) message = command_done_new (
			MBIM_SERVICE_MS_BASIC_CONNECT_EXTENSIONS, 7, 1, bad[i].info, bad[i].n_info);

		g_assert_false (esim_mbim_uicc_parse_mapped_slot (message, &slot, &error));
		g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE);
		g_clear_error (&error);
	}
}

static void
test_ready_state (void)
{
	const guint32 ready[] = { MBIM_SUBSCRIBER_READY_STATE_INITIALIZED, 0, 0, 0, 0, 0, 0 };
	g_autoptr(MbimMessage) good = command_done_new (MBIM_SERVICE_BASIC_CONNECT, 2, 1, ready,
	                                                G_N_ELEMENTS (ready));
	g_autoptr(MbimMessage) empty = command_done_new (MBIM_SERVICE_BASIC_CONNECT, 2, 1, NULL, 0);
	g_autoptr(GError) error = NULL;
	MbimSubscriberReadyState state = MBIM_SUBSCRIBER_READY_STATE_NOT_INITIALIZED;

	g_assert_true (esim_mbim_uicc_parse_ready_state (good, &state, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (state, ==, MBIM_SUBSCRIBER_READY_STATE_INITIALIZED);
	g_assert_false (esim_mbim_uicc_parse_ready_state (empty, &state, &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE);
}

static void
test_status_names (void)
{
	g_autofree gchar *select = esim_mbim_uicc_status_to_string (ESIM_MBIM_STATUS_SELECT_FAILED);
	g_autofree gchar *busy = esim_mbim_uicc_status_to_string (MBIM_STATUS_ERROR_BUSY);
	g_autofree gchar *unknown = esim_mbim_uicc_status_to_string (0x87430099);

	g_assert_cmpstr (select, ==, "SelectFailed");
	g_assert_cmpstr (busy, ==, "Busy");
	g_assert_cmpstr (unknown, ==, "0x87430099");
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/esim/mbim-uicc/status-word", test_status_word);
	g_test_add_func ("/esim/mbim-uicc/apdu", test_apdu);
	g_test_add_func ("/esim/mbim-uicc/open-channel", test_open_channel);
	g_test_add_func ("/esim/mbim-uicc/slot-mappings", test_slot_mappings);
	g_test_add_func ("/esim/mbim-uicc/ready-state", test_ready_state);
	g_test_add_func ("/esim/mbim-uicc/status-names", test_status_names);
	return g_test_run ();
}
