/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parsing the MBIM modem's answers (see esim-mbim-uicc.h).
 *
 * Open Channel and APDU go through libmbim's parsers, which only point into
 * the message.  Device Slot Mappings and Subscriber Ready Status are read
 * here: libmbim 1.28 allocates their arrays from the element count the modem
 * announces before checking it against the message, so a garbled count
 * would make esimd ask for gigabytes; we need one field of each anyway.
 *
 * The Status field of Open Channel and APDU answers is a guint32
 * (libmbim:data/mbim-service-ms-uicc-low-level-access.json), read
 * little-endian as every MBIM field.  The clients that run on MBIM modems
 * take SW1 from its low byte and SW2 from the next, so 90 00 arrives as
 * 0x00000090 (144):
 *   - ModemManager:src/mm-sim-mbim.c: UICC_STATUS_OK 144 for Open and Close
 *     Channel;
 *   - ChromeOS Hermes hermes/modem_mbim.{h,cc}: kMbimMessageSuccess = 144 for
 *     Open Channel, and the APDU status appended as status & 0xFF, then
 *     (status >> 8) & 0xFF;
 *   - lpac driver/apdu/mbim.c copy_data_with_status(): the same two bytes.
 * No modem is known to send 0x00009000 for 90 00; such a value holds no
 * status word here (SW1 would be 00) and is refused as malformed.
 */

#define G_LOG_DOMAIN "esim"

#include "esim-error.h"
#include "esim-mbim-uicc.h"

/* ISO/IEC 7816-4 5.1.3: SW1 is 61-6F (60 is a procedure byte) or 90-9F. */
#define SW1_IS_VALID(sw1) (((sw1) >= 0x61 && (sw1) <= 0x6F) || ((sw1) >= 0x90 && (sw1) <= 0x9F))

/* COMMAND_DONE: header (type, length, transaction), fragment header (total,
 * current), service UUID, CID, status, information buffer length. */
#define FRAGMENT_TOTAL_OFFSET   12
#define COMMAND_DONE_HEADER_LEN 48

/* Device Slot Mappings: MapCount, then (offset, size) per MbimSlot. */
#define SLOT_MAP_FIRST_OFFSET   4
#define SLOT_MAP_ENTRY_LEN      8
/* Subscriber Ready Status: ReadyState first. */
#define READY_STATE_OFFSET      0

gchar *
esim_mbim_uicc_status_to_string (guint32 status)
{
	const gchar *name;

	switch (status) {
	case ESIM_MBIM_STATUS_NO_LOGICAL_CHANNELS:
		return g_strdup ("NoLogicalChannels");
	case ESIM_MBIM_STATUS_SELECT_FAILED:
		return g_strdup ("SelectFailed");
	case ESIM_MBIM_STATUS_INVALID_LOGICAL_CHANNEL:
		return g_strdup ("InvalidLogicalChannel");
	default:
		break;
	}
	name = mbim_status_error_get_string ((MbimStatusError) status);
	if (name != NULL)
		return g_strdup (name);
	return g_strdup_printf ("0x%08X", status);
}

static guint32
read_u32 (const guint8 *p)
{
	return p[0] | (p[1] << 8) | (p[2] << 16) | ((guint32) p[3] << 24);
}

static gboolean
malformed (GError **error, const gchar *what, const gchar *why)
{
	g_set_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE,
	             "malformed %s answer: %s", what, why);
	return FALSE;
}

gboolean
esim_mbim_uicc_status_to_sw (guint32 status, guint16 *sw, GError **error)
{
	guint8 sw1 = status & 0xFF;
	guint8 sw2 = (status >> 8) & 0xFF;

	g_return_val_if_fail (sw != NULL, FALSE);

	if ((status >> 16) != 0 || !SW1_IS_VALID (sw1)) {
		g_set_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE,
		             "the modem returned status 0x%08X, which holds no status word "
		             "(SW1 is expected in the low byte: 90 00 as 0x00000090)", status);
		return FALSE;
	}
	*sw = (guint16) ((sw1 << 8) | sw2);
	return TRUE;
}

/* The information buffer of @response, checked to lie inside the message.
 * libmbim hands over reassembled answers only: a COMMAND_DONE made of one
 * fragment (its accessors refuse anything else). */
static gboolean
command_done_info (MbimMessage *response, const gchar *what, const guint8 **info,
                   guint32 *info_len, GError **error)
{
	const guint8 *raw;
	guint32 raw_len = 0;

	raw = mbim_message_get_raw (response, &raw_len, NULL);
	if (raw == NULL || raw_len < COMMAND_DONE_HEADER_LEN ||
	    mbim_message_get_message_type (response) != MBIM_MESSAGE_TYPE_COMMAND_DONE ||
	    read_u32 (raw + FRAGMENT_TOTAL_OFFSET) != 1)
		return malformed (error, what, "not a complete command answer");
	*info_len = 0;
	*info = mbim_message_command_done_get_raw_information_buffer (response, info_len);
	if (*info_len > 0 &&
	    (*info == NULL || *info < raw || (gsize) (*info - raw) + *info_len > raw_len))
		return malformed (error, what, "its data overruns the message");
	return TRUE;
}

/* Turns a libmbim parse failure (@parse_error, taken) into ours. */
static gboolean
malformed_parse (GError **error, GError *parse_error, const gchar *what)
{
	g_autoptr(GError) owned = parse_error;

	return malformed (error, what, owned != NULL ? owned->message : "missing fields");
}

gboolean
esim_mbim_uicc_parse_open_channel (MbimMessage *response, guint32 *channel, guint16 *sw,
                                   GError **error)
{
	const guint8 *info = NULL;
	guint32 info_len = 0;
	guint32 status = 0;
	GError *parse_error = NULL;

	g_return_val_if_fail (response != NULL, FALSE);
	g_return_val_if_fail (channel != NULL && sw != NULL, FALSE);

	if (!command_done_info (response, "Open Channel", &info, &info_len, error))
		return FALSE;
	if (!mbim_message_ms_uicc_low_level_access_open_channel_response_parse (response, &status,
	                                                                        channel, NULL,
	                                                                        NULL, &parse_error))
		return malformed_parse (error, parse_error, "Open Channel");
	return esim_mbim_uicc_status_to_sw (status, sw, error);
}

GBytes *
esim_mbim_uicc_parse_apdu (MbimMessage *response, GError **error)
{
	const guint8 *info = NULL;
	const guint8 *data = NULL;
	guint32 info_len = 0;
	guint32 status = 0;
	guint32 data_len = 0;
	GError *parse_error = NULL;
	GByteArray *answer;
	guint16 sw = 0;
	guint8 sw_bytes[2];

	g_return_val_if_fail (response != NULL, NULL);

	if (!command_done_info (response, "APDU", &info, &info_len, error))
		return NULL;
	if (!mbim_message_ms_uicc_low_level_access_apdu_response_parse (response, &status,
	                                                                &data_len, &data,
	                                                                &parse_error)) {
		malformed_parse (error, parse_error, "APDU");
		return NULL;
	}
	if (!esim_mbim_uicc_status_to_sw (status, &sw, error))
		return NULL;
	if (data_len > 0 && data == NULL) {
		malformed (error, "APDU", "response data missing");
		return NULL;
	}
	/* MBIM carries the status word apart from the data */
	answer = g_byte_array_sized_new (data_len + 2);
	if (data_len > 0)
		g_byte_array_append (answer, data, data_len);
	sw_bytes[0] = (guint8) (sw >> 8);
	sw_bytes[1] = (guint8) (sw & 0xFF);
	g_byte_array_append (answer, sw_bytes, 2);
	return g_byte_array_free_to_bytes (answer);
}

gboolean
esim_mbim_uicc_parse_mapped_slot (MbimMessage *response, guint32 *slot_index, GError **error)
{
	const gchar *what = "Device Slot Mappings";
	const guint8 *info = NULL;
	guint32 info_len = 0;
	guint32 count;
	guint32 offset;
	guint32 size;

	g_return_val_if_fail (response != NULL, FALSE);
	g_return_val_if_fail (slot_index != NULL, FALSE);

	if (!command_done_info (response, what, &info, &info_len, error))
		return FALSE;
	if (info_len < SLOT_MAP_FIRST_OFFSET)
		return malformed (error, what, "no map count");
	count = read_u32 (info);
	if (count == 0) {
		g_set_error_literal (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE,
		                     "the modem reported an empty slot mapping");
		return FALSE;
	}
	/* each entry has its (offset, size) pair right after the count */
	if (count > (info_len - SLOT_MAP_FIRST_OFFSET) / SLOT_MAP_ENTRY_LEN)
		return malformed (error, what, "more slots announced than carried");
	offset = read_u32 (info + SLOT_MAP_FIRST_OFFSET);
	size = read_u32 (info + SLOT_MAP_FIRST_OFFSET + 4);
	if (size < 4 || offset > info_len || info_len - offset < 4)
		return malformed (error, what, "the first slot lies outside the answer");
	*slot_index = read_u32 (info + offset);
	return TRUE;
}

gboolean
esim_mbim_uicc_parse_ready_state (MbimMessage *response, MbimSubscriberReadyState *state,
                                  GError **error)
{
	const gchar *what = "Subscriber Ready Status";
	const guint8 *info = NULL;
	guint32 info_len = 0;

	g_return_val_if_fail (response != NULL, FALSE);
	g_return_val_if_fail (state != NULL, FALSE);

	if (!command_done_info (response, what, &info, &info_len, error))
		return FALSE;
	if (info_len < READY_STATE_OFFSET + 4)
		return malformed (error, what, "no ready state");
	*state = (MbimSubscriberReadyState) read_u32 (info + READY_STATE_OFFSET);
	return TRUE;
}
