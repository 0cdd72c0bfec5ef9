/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * UIM logical-channel messages built and parsed with the QmiMessage TLV API
 * (see esim-qmi-uim.h).  TLV values are read through qmi_message_get_raw_tlv(),
 * which bounds them by the message; every length inside a value is checked
 * against the value before it is used.
 */

#define G_LOG_DOMAIN "esim"

#include <string.h>

#include "esim-error.h"
#include "esim-qmi-uim.h"

#define TLV_SLOT           0x01
#define TLV_RESULT         0x02
#define TLV_OPEN_AID       0x10
#define TLV_OPEN_CHANNEL   0x10
#define TLV_OPEN_CARD_SW   0x11
#define TLV_APDU_COMMAND   0x02
#define TLV_APDU_CHANNEL   0x10
#define TLV_APDU_RESPONSE  0x10
#define TLV_CLOSE_CHANNEL  0x11

#define AID_MAX_LEN        16

static const gchar *
message_name (guint16 message_id)
{
	switch (message_id) {
	case ESIM_QMI_UIM_MSG_OPEN_CHANNEL:
		return "Open Logical Channel";
	case ESIM_QMI_UIM_MSG_SEND_APDU:
		return "Send APDU";
	case ESIM_QMI_UIM_MSG_LOGICAL_CHANNEL:
		return "Logical Channel";
	default:
		return "UIM";
	}
}

/* ------------------------------------------------------------------------ */
/* requests */

static gboolean
tlv_add_u8 (QmiMessage *msg, guint8 type, guint8 value, GError **error)
{
	return qmi_message_add_raw_tlv (msg, type, &value, 1, error);
}

/* An array TLV: its element count (guint8, or guint16 little endian), then the bytes. */
static gboolean
tlv_add_array (QmiMessage *msg, guint8 type, gboolean u16_count, GBytes *bytes, GError **error)
{
	gsize len = 0;
	const guint8 *data = g_bytes_get_data (bytes, &len);
	g_autoptr(GByteArray) value = g_byte_array_sized_new (len + 2);
	guint8 count[2] = { len & 0xFF, (len >> 8) & 0xFF };

	if (len > (u16_count ? G_MAXUINT16 : G_MAXUINT8)) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		             "%" G_GSIZE_FORMAT " bytes do not fit in QMI TLV 0x%02x", len, type);
		return FALSE;
	}
	g_byte_array_append (value, count, u16_count ? 2 : 1);
	if (len > 0)
		g_byte_array_append (value, data, len);
	return qmi_message_add_raw_tlv (msg, type, value->data, value->len, error);
}

/* A UIM request with its slot TLV. */
static QmiMessage *
request_new (guint8 client_id, guint16 transaction_id, guint16 message_id, guint8 slot,
             GError **error)
{
	g_autoptr(QmiMessage) msg = qmi_message_new (QMI_SERVICE_UIM, client_id, transaction_id,
	                                             message_id);

	if (!tlv_add_u8 (msg, TLV_SLOT, slot, error))
		return NULL;
	return g_steal_pointer (&msg);
}

QmiMessage *
esim_qmi_uim_open_channel_new (guint8 client_id, guint16 transaction_id, guint8 slot,
                               GBytes *aid, GError **error)
{
	g_autoptr(QmiMessage) msg = NULL;
	gsize aid_len;

	g_return_val_if_fail (aid != NULL, NULL);

	aid_len = g_bytes_get_size (aid);
	if (aid_len < 1 || aid_len > AID_MAX_LEN) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		             "AID of %" G_GSIZE_FORMAT " bytes (must be 1 to %d)", aid_len,
		             AID_MAX_LEN);
		return NULL;
	}
	msg = request_new (client_id, transaction_id, ESIM_QMI_UIM_MSG_OPEN_CHANNEL, slot, error);
	if (msg == NULL || !tlv_add_array (msg, TLV_OPEN_AID, FALSE, aid, error))
		return NULL;
	return g_steal_pointer (&msg);
}

QmiMessage *
esim_qmi_uim_send_apdu_new (guint8 client_id, guint16 transaction_id, guint8 slot,
                            guint8 channel, GBytes *apdu, GError **error)
{
	g_autoptr(QmiMessage) msg = NULL;

	g_return_val_if_fail (apdu != NULL, NULL);

	msg = request_new (client_id, transaction_id, ESIM_QMI_UIM_MSG_SEND_APDU, slot, error);
	if (msg == NULL || !tlv_add_array (msg, TLV_APDU_COMMAND, TRUE, apdu, error))
		return NULL;
	/* without a channel TLV the modem uses the basic channel */
	if (channel != 0 && !tlv_add_u8 (msg, TLV_APDU_CHANNEL, channel, error))
		return NULL;
	return g_steal_pointer (&msg);
}

QmiMessage *
esim_qmi_uim_close_channel_new (guint8 client_id, guint16 transaction_id, guint8 slot,
                                guint8 channel, GError **error)
{
	g_autoptr(QmiMessage) msg = request_new (client_id, transaction_id,
	                                         ESIM_QMI_UIM_MSG_LOGICAL_CHANNEL, slot, error);

	if (msg == NULL || !tlv_add_u8 (msg, TLV_CLOSE_CHANNEL, channel, error))
		return NULL;
	return g_steal_pointer (&msg);
}

/* ------------------------------------------------------------------------ */
/* responses */

static gboolean
malformed (GError **error, guint16 message_id, const gchar *what)
{
	g_set_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE,
	             "UIM %s answer %s", message_name (message_id), what);
	return FALSE;
}

/* The answer must be a UIM response to @message_id with a Result TLV saying
 * success; a refusal is a QMI_PROTOCOL_ERROR with the modem's code. */
static gboolean
check_response (QmiMessage *response, guint16 message_id, GError **error)
{
	const guint8 *value;
	guint16 length = 0;
	guint16 status;
	guint16 code;

	if (qmi_message_get_service (response) != QMI_SERVICE_UIM ||
	    !qmi_message_is_response (response) ||
	    qmi_message_get_message_id (response) != message_id)
		return malformed (error, message_id, "is another message");
	value = qmi_message_get_raw_tlv (response, TLV_RESULT, &length);
	if (value == NULL || length < 4)
		return malformed (error, message_id, "has no result");
	status = value[0] | (value[1] << 8);
	code = value[2] | (value[3] << 8);
	if (status == 0 && code == QMI_PROTOCOL_ERROR_NONE)
		return TRUE;
	/* a failure without a code still is a failure */
	if (code == QMI_PROTOCOL_ERROR_NONE)
		code = QMI_PROTOCOL_ERROR_INTERNAL;
	g_set_error (error, QMI_PROTOCOL_ERROR, code, "%s",
	             qmi_protocol_error_get_string (code) != NULL ?
	             qmi_protocol_error_get_string (code) : "unknown error");
	return FALSE;
}

gboolean
esim_qmi_uim_open_channel_parse (QmiMessage *response, EsimQmiUimOpenResult *result,
                                 GError **error)
{
	const guint8 *value;
	guint16 length = 0;

	g_return_val_if_fail (response != NULL, FALSE);
	g_return_val_if_fail (result != NULL, FALSE);

	memset (result, 0, sizeof (*result));
	/* read before the result: a refused SELECT still says why */
	value = qmi_message_get_raw_tlv (response, TLV_OPEN_CARD_SW, &length);
	if (value != NULL && length >= 2) {
		result->has_sw = TRUE;
		result->sw = (value[0] << 8) | value[1];
	}
	if (!check_response (response, ESIM_QMI_UIM_MSG_OPEN_CHANNEL, error))
		return FALSE;
	value = qmi_message_get_raw_tlv (response, TLV_OPEN_CHANNEL, &length);
	if (value == NULL || length < 1)
		return malformed (error, ESIM_QMI_UIM_MSG_OPEN_CHANNEL, "has no channel");
	result->channel = value[0];
	return TRUE;
}

GBytes *
esim_qmi_uim_send_apdu_parse (QmiMessage *response, GError **error)
{
	const guint8 *value;
	guint16 length = 0;
	gsize count;

	g_return_val_if_fail (response != NULL, NULL);

	if (!check_response (response, ESIM_QMI_UIM_MSG_SEND_APDU, error))
		return NULL;
	value = qmi_message_get_raw_tlv (response, TLV_APDU_RESPONSE, &length);
	if (value == NULL || length < 2) {
		malformed (error, ESIM_QMI_UIM_MSG_SEND_APDU, "has no response APDU");
		return NULL;
	}
	count = value[0] | (value[1] << 8);
	if (count > (gsize) length - 2) {
		g_set_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE,
		             "UIM Send APDU answer announces %" G_GSIZE_FORMAT " bytes and carries %u",
		             count, (guint) length - 2);
		return NULL;
	}
	if (count < 2) {
		g_set_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE,
		             "UIM Send APDU answer is a %" G_GSIZE_FORMAT "-byte response APDU",
		             count);
		return NULL;
	}
	return g_bytes_new (value + 2, count);
}

gboolean
esim_qmi_uim_close_channel_parse (QmiMessage *response, GError **error)
{
	g_return_val_if_fail (response != NULL, FALSE);
	return check_response (response, ESIM_QMI_UIM_MSG_LOGICAL_CHANNEL, error);
}

/* ------------------------------------------------------------------------ */
/* Get Slot Status */

EsimQmiUimSlotState
esim_qmi_uim_slot_state (GArray *slots, guint physical_slot, guint8 *logical_slot)
{
	QmiPhysicalSlotStatusSlot *status;

	g_return_val_if_fail (logical_slot != NULL, ESIM_QMI_UIM_SLOT_MISSING);

	if (slots == NULL || physical_slot == 0 || physical_slot > slots->len)
		return ESIM_QMI_UIM_SLOT_MISSING;
	status = &g_array_index (slots, QmiPhysicalSlotStatusSlot, physical_slot - 1);
	if (status->physical_card_status == QMI_UIM_PHYSICAL_CARD_STATE_ABSENT)
		return ESIM_QMI_UIM_SLOT_NO_CARD;
	if (status->physical_slot_status != QMI_UIM_SLOT_STATE_ACTIVE)
		return ESIM_QMI_UIM_SLOT_INACTIVE;
	/* logical slots are 1-based; a firmware saying 0 means the first */
	*logical_slot = MAX (status->logical_slot, 1);
	return ESIM_QMI_UIM_SLOT_ACTIVE;
}
