/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the QMI backend's own UIM parsers (esim-qmi-uim.c):
 * whatever a modem sends back for Open Logical Channel, Send APDU and Logical
 * Channel close, and the slot decision taken from Get Slot Status.
 *
 * Input: QMUX frames, one after the other, framed by libqmi exactly as the
 * QMI port framing does (qmi_message_new_from_raw).  Every complete frame
 * goes through all three response parsers, whatever its message id, so a
 * frame of one kind also reaches the parsers of the others.  The bytes left
 * after the last frame describe Get Slot Status entries (3 bytes each: card
 * state, slot state, logical slot), asked about every physical slot 0–5.
 * A parser must return a result or a GError: a crash or a read past the
 * message is the bug.
 */

#include "esim-error.h"
#include "esim-qmi-uim.h"

int LLVMFuzzerTestOneInput (const guint8 *data, gsize size);

#define FUZZ_MAX_FRAMES 64

static void
fuzz_frame (QmiMessage *message)
{
	EsimQmiUimOpenResult open_result;
	g_autoptr(GBytes) apdu = NULL;
	g_autoptr(GError) open_error = NULL;
	g_autoptr(GError) apdu_error = NULL;
	g_autoptr(GError) close_error = NULL;

	if (esim_qmi_uim_open_channel_parse (message, &open_result, &open_error))
		g_assert_no_error (open_error);
	else
		g_assert_nonnull (open_error);

	apdu = esim_qmi_uim_send_apdu_parse (message, &apdu_error);
	if (apdu != NULL) {
		const guint8 *bytes = g_bytes_get_data (apdu, NULL);
		gsize len = g_bytes_get_size (apdu);
		volatile guint8 sw2;

		/* a response APDU always ends with SW1 SW2: touch the last byte */
		g_assert_cmpuint (len, >=, 2);
		sw2 = bytes[len - 1];
		(void) sw2;
	} else {
		g_assert_nonnull (apdu_error);
	}

	if (!esim_qmi_uim_close_channel_parse (message, &close_error))
		g_assert_nonnull (close_error);
}

static void
fuzz_slots (const guint8 *data, gsize size)
{
	g_autoptr(GArray) slots = g_array_new (FALSE, TRUE, sizeof (QmiPhysicalSlotStatusSlot));

	for (gsize i = 0; i + 3 <= size && slots->len < 8; i += 3) {
		QmiPhysicalSlotStatusSlot slot = { 0 };

		slot.physical_card_status = data[i];
		slot.physical_slot_status = data[i + 1];
		slot.logical_slot = data[i + 2];
		g_array_append_val (slots, slot);
	}
	for (guint physical = 0; physical <= 5; physical++) {
		guint8 logical = 0;
		EsimQmiUimSlotState state = esim_qmi_uim_slot_state (slots, physical, &logical);

		if (state == ESIM_QMI_UIM_SLOT_ACTIVE)
			g_assert_cmpuint (logical, >=, 1);
		(void) esim_qmi_uim_slot_state (NULL, physical, &logical);
	}
}

int
LLVMFuzzerTestOneInput (const guint8 *data, gsize size)
{
	g_autoptr(GByteArray) buffer = g_byte_array_sized_new (size);

	g_byte_array_append (buffer, data, size);
	for (guint frames = 0; frames < FUZZ_MAX_FRAMES && buffer->len > 0; frames++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(QmiMessage) message = qmi_message_new_from_raw (buffer, &error);

		if (message == NULL)
			break; /* incomplete or broken framing: the port would drop it */
		fuzz_frame (message);
	}
	fuzz_slots (buffer->data, buffer->len);
	return 0;
}
