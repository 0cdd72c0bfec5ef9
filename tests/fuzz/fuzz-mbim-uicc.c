/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the MBIM backend's own reading of modem answers
 * (esim-mbim-uicc.c): Open Channel, APDU, Device Slot Mappings and
 * Subscriber Ready Status responses, and the naming of status codes.
 *
 * Input: MBIM messages one after the other, each framed by the length field
 * of its header (as the port frames them), cut short by the end of the input.
 * Messages libmbim does not validate are dropped as the port drops them;
 * every valid message goes through all four parsers whatever its type,
 * service and CID, so an answer of one kind also reaches the parsers of the
 * others (and the parsers must refuse what is not one whole COMMAND_DONE).
 * A parser must return a result or a GError: a crash or a read past the
 * message is the bug.  The Status field goes through the status-word reading
 * (SW1 in the low byte) of both UICC parsers.
 */

#include "esim-error.h"
#include "esim-mbim-uicc.h"

int LLVMFuzzerTestOneInput (const guint8 *data, gsize size);

#define FUZZ_MAX_MESSAGES 64
#define MBIM_HEADER_LEN   12

static gboolean
fuzz_is_single_fragment (MbimMessage *message)
{
	guint32 len = 0;
	const guint8 *raw = mbim_message_get_raw (message, &len, NULL);

	return raw != NULL && len >= 16 && raw[12] == 1 && raw[13] == 0 && raw[14] == 0 &&
	       raw[15] == 0;
}

static void
fuzz_command_done (MbimMessage *message)
{
	g_autofree gchar *status_name = NULL;
	g_autoptr(GBytes) apdu = NULL;
	g_autoptr(GError) open_error = NULL;
	g_autoptr(GError) apdu_error = NULL;
	g_autoptr(GError) slot_error = NULL;
	g_autoptr(GError) ready_error = NULL;
	MbimSubscriberReadyState state = MBIM_SUBSCRIBER_READY_STATE_NOT_INITIALIZED;
	guint32 channel = 0;
	guint16 sw = 0;
	guint32 slot = 0;

	/* libmbim's accessors only take COMMAND_DONE answers reassembled into one fragment */
	if (mbim_message_get_message_type (message) == MBIM_MESSAGE_TYPE_COMMAND_DONE &&
	    fuzz_is_single_fragment (message)) {
		status_name = esim_mbim_uicc_status_to_string (
			(guint32) mbim_message_command_done_get_status_code (message));
		g_assert_nonnull (status_name);
	}

	if (!esim_mbim_uicc_parse_open_channel (message, &channel, &sw, &open_error))
		g_assert_error (open_error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE);
	else
		g_assert_cmphex (sw, >=, 0x6100); /* SW1 61-6F or 90-9F */
	apdu = esim_mbim_uicc_parse_apdu (message, &apdu_error);
	if (apdu != NULL) {
		gsize len = 0;
		const guint8 *raw = g_bytes_get_data (apdu, &len);

		g_assert_cmpuint (len, >=, 2);
		/* SW1 from the low byte of the Status field: always a real one */
		g_assert_true ((raw[len - 2] >= 0x61 && raw[len - 2] <= 0x6F) ||
		               (raw[len - 2] >= 0x90 && raw[len - 2] <= 0x9F));
	} else
		g_assert_error (apdu_error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE);
	if (!esim_mbim_uicc_parse_mapped_slot (message, &slot, &slot_error))
		g_assert_error (slot_error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE);
	if (!esim_mbim_uicc_parse_ready_state (message, &state, &ready_error))
		g_assert_error (ready_error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, gsize size)
{
	gsize offset = 0;

	for (guint n = 0; n < FUZZ_MAX_MESSAGES && size - offset >= MBIM_HEADER_LEN; n++) {
		const guint8 *header = data + offset;
		guint32 length = header[4] | (header[5] << 8) | (header[6] << 16) |
		                 ((guint32) header[7] << 24);
		g_autoptr(MbimMessage) message = NULL;
		g_autoptr(GError) error = NULL;

		/* a length that does not even cover the header would never advance */
		length = (guint32) CLAMP ((gsize) length, MBIM_HEADER_LEN, size - offset);
		message = mbim_message_new (header, length);
		offset += length;
		if (!mbim_message_validate (message, &error))
			continue;
		/* the parsers must refuse whatever is not one whole COMMAND_DONE themselves */
		fuzz_command_done (message);
	}
	return 0;
}
