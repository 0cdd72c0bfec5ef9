/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The QMI backend's UIM message builders and parsers, without a modem. */

#include <string.h>

#include "esim-error.h"
#include "esim-qmi-uim.h"
#include "esim-util.h"

#define CID 7
#define TID 0x1234

static GBytes *
hex (const gchar *str)
{
	g_autoptr(GError) error = NULL;
	GBytes *bytes = esim_hex_decode (str, &error);

	g_assert_no_error (error);
	return bytes;
}

static void
assert_tlv_hex (QmiMessage *message, guint8 type, const gchar *expected)
{
	guint16 length = 0;
	const guint8 *value = qmi_message_get_raw_tlv (message, type, &length);
	g_autoptr(GBytes) got = NULL;
	g_autofree gchar *got_hex = NULL;

	g_assert_nonnull (value);
	got = g_bytes_new (value, length);
	got_hex = esim_hex_encode_bytes (got);
	g_assert_cmpstr (got_hex, ==, expected);
}

/* A UIM response to @message_id as a modem frames it: QMUX header, QMI
 * header (response flag), then @tlvs_hex (type, little-endian length, value). */
static QmiMessage *
response_from_hex (guint16 message_id, const gchar *tlvs_hex)
{
	g_autoptr(GBytes) tlvs = hex (tlvs_hex);
	gsize tlvs_len = g_bytes_get_size (tlvs);
	g_autoptr(GByteArray) raw = g_byte_array_new ();
	g_autoptr(GError) error = NULL;
	guint16 qmux_len = (guint16) (5 + 7 + tlvs_len);
	guint8 header[] = {
		0x01, qmux_len & 0xFF, qmux_len >> 8, 0x80, QMI_SERVICE_UIM, CID,
		0x02, TID & 0xFF, TID >> 8, message_id & 0xFF, message_id >> 8,
		tlvs_len & 0xFF, tlvs_len >> 8,
	};
	QmiMessage *message;

	g_byte_array_append (raw, header, sizeof (header));
	g_byte_array_append (raw, g_bytes_get_data (tlvs, NULL), tlvs_len);
	message = qmi_message_new_from_raw (raw, &error);
	g_assert_no_error (error);
	g_assert_nonnull (message);
	g_assert_cmpuint (raw->len, ==, 0);
	return message;
}

#define RESULT_OK "0204000000" "0000"

static void
test_requests (void)
{
	g_autoptr(GBytes) aid = hex ("A0000005591010FFFFFFFF8900000100");
	g_autoptr(GBytes) apdu = hex ("81E2910003BF3E00");
	g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
	g_autoptr(QmiMessage) open = NULL;
	g_autoptr(QmiMessage) send = NULL;
	g_autoptr(QmiMessage) basic = NULL;
	g_autoptr(QmiMessage) close = NULL;
	g_autoptr(GError) error = NULL;
	guint16 length = 0;

	open = esim_qmi_uim_open_channel_new (CID, TID, 1, aid, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (qmi_message_get_service (open), ==, QMI_SERVICE_UIM);
	g_assert_cmpuint (qmi_message_get_client_id (open), ==, CID);
	g_assert_cmpuint (qmi_message_get_transaction_id (open), ==, TID);
	g_assert_cmpuint (qmi_message_get_message_id (open), ==, ESIM_QMI_UIM_MSG_OPEN_CHANNEL);
	assert_tlv_hex (open, 0x01, "01");
	assert_tlv_hex (open, 0x10, "10A0000005591010FFFFFFFF8900000100");

	/* the APDU count is 16 bits, little endian; the channel TLV follows */
	send = esim_qmi_uim_send_apdu_new (CID, TID, 2, 3, apdu, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (qmi_message_get_message_id (send), ==, ESIM_QMI_UIM_MSG_SEND_APDU);
	assert_tlv_hex (send, 0x01, "02");
	assert_tlv_hex (send, 0x02, "080081E2910003BF3E00");
	assert_tlv_hex (send, 0x10, "03");

	/* channel 0: no channel TLV, the modem uses the basic channel */
	basic = esim_qmi_uim_send_apdu_new (CID, TID, 1, 0, apdu, &error);
	g_assert_no_error (error);
	g_assert_null (qmi_message_get_raw_tlv (basic, 0x10, &length));

	close = esim_qmi_uim_close_channel_new (CID, TID, 1, 3, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (qmi_message_get_message_id (close), ==, ESIM_QMI_UIM_MSG_LOGICAL_CHANNEL);
	assert_tlv_hex (close, 0x01, "01");
	assert_tlv_hex (close, 0x11, "03");

	g_assert_null (esim_qmi_uim_open_channel_new (CID, TID, 1, empty, &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

static void
test_open_response (void)
{
	EsimQmiUimOpenResult result;
	g_autoptr(QmiMessage) ok = NULL;
	g_autoptr(QmiMessage) refused = NULL;
	g_autoptr(QmiMessage) no_channel = NULL;
	g_autoptr(QmiMessage) other = NULL;
	g_autoptr(GError) error = NULL;

	ok = response_from_hex (ESIM_QMI_UIM_MSG_OPEN_CHANNEL,
	                        RESULT_OK "10010002" "1102009000");
	g_assert_true (esim_qmi_uim_open_channel_parse (ok, &result, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (result.channel, ==, 2);
	g_assert_true (result.has_sw);
	g_assert_cmphex (result.sw, ==, 0x9000);

	/* a refused SELECT: the protocol error, and the card's SW all the same */
	refused = response_from_hex (ESIM_QMI_UIM_MSG_OPEN_CHANNEL,
	                             "020400" "01000300" "1102006A82");
	g_assert_false (esim_qmi_uim_open_channel_parse (refused, &result, &error));
	g_assert_error (error, QMI_PROTOCOL_ERROR, QMI_PROTOCOL_ERROR_INTERNAL);
	g_assert_true (result.has_sw);
	g_assert_cmphex (result.sw, ==, 0x6A82);
	g_clear_error (&error);

	/* success without the channel TLV, a truncated SW TLV */
	no_channel = response_from_hex (ESIM_QMI_UIM_MSG_OPEN_CHANNEL, RESULT_OK "11010090");
	g_assert_false (esim_qmi_uim_open_channel_parse (no_channel, &result, &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE);
	g_assert_false (result.has_sw);
	g_clear_error (&error);

	/* the answer to another request */
	other = response_from_hex (ESIM_QMI_UIM_MSG_SEND_APDU, RESULT_OK "10010002");
	g_assert_false (esim_qmi_uim_open_channel_parse (other, &result, &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE);
}

static void
test_send_apdu_response (void)
{
	const struct {
		const gchar *tlvs;
		const gchar *apdu;     /* NULL: an error */
		GQuark       domain;
		gint         code;
	} cases[] = {
		{ RESULT_OK "10" "0600" "0400" "BF2E9000", "BF2E9000", 0, 0 },
		{ RESULT_OK "10" "0400" "0200" "9000", "9000", 0, 0 },
		/* a count larger than the TLV carries */
		{ RESULT_OK "10" "0400" "0300" "9000", NULL, ESIM_APDU_ERROR,
		  ESIM_APDU_ERROR_MALFORMED_RESPONSE },
		/* fewer than SW1 SW2 */
		{ RESULT_OK "10" "0300" "0100" "90", NULL, ESIM_APDU_ERROR,
		  ESIM_APDU_ERROR_MALFORMED_RESPONSE },
		/* a TLV too short for its count */
		{ RESULT_OK "10" "0100" "04", NULL, ESIM_APDU_ERROR,
		  ESIM_APDU_ERROR_MALFORMED_RESPONSE },
		/* no response TLV, no result TLV */
		{ RESULT_OK, NULL, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE },
		{ "10" "0400" "0200" "9000", NULL, ESIM_APDU_ERROR,
		  ESIM_APDU_ERROR_MALFORMED_RESPONSE },
		/* a result TLV cut short */
		{ "020200" "0100", NULL, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE },
		/* failure without a code is still a failure */
		{ "020400" "01000000", NULL, QMI_PROTOCOL_ERROR, QMI_PROTOCOL_ERROR_INTERNAL },
		{ "020400" "01003000", NULL, QMI_PROTOCOL_ERROR, QMI_PROTOCOL_ERROR_INVALID_ARGUMENT },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr(QmiMessage) message = response_from_hex (ESIM_QMI_UIM_MSG_SEND_APDU,
		                                                   cases[i].tlvs);
		g_autoptr(GError) error = NULL;
		g_autoptr(GBytes) apdu = esim_qmi_uim_send_apdu_parse (message, &error);

		if (cases[i].apdu != NULL) {
			g_autofree gchar *got = NULL;

			g_assert_no_error (error);
			got = esim_hex_encode_bytes (apdu);
			g_assert_cmpstr (got, ==, cases[i].apdu);
			continue;
		}
		g_assert_null (apdu);
		g_assert_error (error, cases[i].domain, cases[i].code);
	}
}

static void
test_close_response (void)
{
	g_autoptr(QmiMessage) ok = response_from_hex (ESIM_QMI_UIM_MSG_LOGICAL_CHANNEL, RESULT_OK);
	g_autoptr(QmiMessage) refused = response_from_hex (ESIM_QMI_UIM_MSG_LOGICAL_CHANNEL,
	                                                   "020400" "01003000");
	g_autoptr(GError) error = NULL;

	g_assert_true (esim_qmi_uim_close_channel_parse (ok, &error));
	g_assert_no_error (error);
	g_assert_false (esim_qmi_uim_close_channel_parse (refused, &error));
	g_assert_error (error, QMI_PROTOCOL_ERROR, QMI_PROTOCOL_ERROR_INVALID_ARGUMENT);
}

static void
test_slot_state (void)
{
	g_autoptr(GArray) slots = g_array_new (FALSE, TRUE, sizeof (QmiPhysicalSlotStatusSlot));
	QmiPhysicalSlotStatusSlot active = {
		.physical_card_status = QMI_UIM_PHYSICAL_CARD_STATE_PRESENT,
		.physical_slot_status = QMI_UIM_SLOT_STATE_ACTIVE,
		.logical_slot = 0, /* some firmware: means the first */
	};
	QmiPhysicalSlotStatusSlot inactive = {
		.physical_card_status = QMI_UIM_PHYSICAL_CARD_STATE_PRESENT,
		.physical_slot_status = QMI_UIM_SLOT_STATE_INACTIVE,
	};
	QmiPhysicalSlotStatusSlot empty = {
		.physical_card_status = QMI_UIM_PHYSICAL_CARD_STATE_ABSENT,
		.physical_slot_status = QMI_UIM_SLOT_STATE_ACTIVE,
	};
	guint8 logical = 0;

	g_array_append_val (slots, active);
	g_array_append_val (slots, inactive);
	g_array_append_val (slots, empty);
	g_assert_cmpint (esim_qmi_uim_slot_state (slots, 1, &logical), ==, ESIM_QMI_UIM_SLOT_ACTIVE);
	g_assert_cmpuint (logical, ==, 1);
	g_assert_cmpint (esim_qmi_uim_slot_state (slots, 2, &logical), ==,
	                 ESIM_QMI_UIM_SLOT_INACTIVE);
	g_assert_cmpint (esim_qmi_uim_slot_state (slots, 3, &logical), ==, ESIM_QMI_UIM_SLOT_NO_CARD);
	g_assert_cmpint (esim_qmi_uim_slot_state (slots, 4, &logical), ==, ESIM_QMI_UIM_SLOT_MISSING);
	g_assert_cmpint (esim_qmi_uim_slot_state (slots, 0, &logical), ==, ESIM_QMI_UIM_SLOT_MISSING);
	g_assert_cmpint (esim_qmi_uim_slot_state (NULL, 1, &logical), ==, ESIM_QMI_UIM_SLOT_MISSING);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/esim/qmi-uim/requests", test_requests);
	g_test_add_func ("/esim/qmi-uim/open-response", test_open_response);
	g_test_add_func ("/esim/qmi-uim/send-apdu-response", test_send_apdu_response);
	g_test_add_func ("/esim/qmi-uim/close-response", test_close_response);
	g_test_add_func ("/esim/qmi-uim/slot-state", test_slot_state);
	return g_test_run ();
}
