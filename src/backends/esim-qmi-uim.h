/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The UIM messages of the QMI backend that libqmi 1.32 has no client API for,
 * built and parsed with the QmiMessage TLV API (every libqmi version has it):
 *
 *   Open Logical Channel (0x0042): slot (0x01), AID (0x10, guint8 count)
 *       -> channel (0x10), card result SW1 SW2 (0x11, also on failure)
 *   Send APDU (0x003B): slot (0x01), APDU (0x02, guint16 count), channel (0x10)
 *       -> APDU response (0x10, guint16 count)
 *   Logical Channel, close form (0x003F): slot (0x01), channel (0x11)
 *
 * and the reading of a Get Slot Status answer for the eUICC's slot.  Nothing
 * here does I/O: the parsers take whatever the modem sent and either return
 * its contents or a GError, never reading past the message.
 *
 * Parser errors: QMI_PROTOCOL_ERROR when the Result TLV says the modem refused
 * (the caller interprets the code), ESIM_APDU_ERROR_MALFORMED_RESPONSE when
 * the answer is not the expected message or misses or garbles a TLV.
 */
#pragma once

#include <libqmi-glib.h>

G_BEGIN_DECLS

#define ESIM_QMI_UIM_MSG_SEND_APDU       0x003B
#define ESIM_QMI_UIM_MSG_LOGICAL_CHANNEL 0x003F
#define ESIM_QMI_UIM_MSG_OPEN_CHANNEL    0x0042

/* What an Open Logical Channel answer says, filled as far as it goes. */
typedef struct {
	guint8   channel;
	gboolean has_sw;  /* the card's answer to SELECT came with it */
	guint16  sw;
} EsimQmiUimOpenResult;

/* Requests, ready for qmi_device_command_full(). */
QmiMessage *esim_qmi_uim_open_channel_new (guint8 client_id, guint16 transaction_id,
                                           guint8 slot, GBytes *aid, GError **error);
QmiMessage *esim_qmi_uim_send_apdu_new (guint8 client_id, guint16 transaction_id, guint8 slot,
                                        guint8 channel, GBytes *apdu, GError **error);
QmiMessage *esim_qmi_uim_close_channel_new (guint8 client_id, guint16 transaction_id,
                                            guint8 slot, guint8 channel, GError **error);

/* Responses.  @result is filled as far as the answer goes, also on failure
 * (a refused SELECT still carries the card's status word). */
gboolean    esim_qmi_uim_open_channel_parse (QmiMessage *response, EsimQmiUimOpenResult *result,
                                             GError **error);
/* The response APDU: data followed by SW1 SW2 (at least 2 bytes). */
GBytes     *esim_qmi_uim_send_apdu_parse (QmiMessage *response, GError **error);
gboolean    esim_qmi_uim_close_channel_parse (QmiMessage *response, GError **error);

typedef enum {
	ESIM_QMI_UIM_SLOT_ACTIVE,   /* reachable through its logical slot */
	ESIM_QMI_UIM_SLOT_INACTIVE, /* present but not mapped: needs Switch Slot */
	ESIM_QMI_UIM_SLOT_NO_CARD,
	ESIM_QMI_UIM_SLOT_MISSING,  /* the modem has no such slot */
} EsimQmiUimSlotState;

/* What Get Slot Status (@slots: QmiPhysicalSlotStatusSlot, may be NULL) says
 * about the 1-based @physical_slot; @logical_slot is set when it is active. */
EsimQmiUimSlotState esim_qmi_uim_slot_state (GArray *slots, guint physical_slot,
                                             guint8 *logical_slot);

G_END_DECLS
