/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The MBIM backend's reading of what the modem answers, without any I/O: the
 * MS UICC low-level access responses (Open Channel, APDU), Device Slot
 * Mappings, Subscriber Ready Status, and the names of status codes.  Each
 * parser takes the answer whose status the caller found to be NONE and
 * returns its contents, or ESIM_APDU_ERROR_MALFORMED_RESPONSE for anything
 * else (not one whole COMMAND_DONE, fields missing or pointing outside the
 * message, counts larger than the message can hold), never reading past it.
 *
 * The card's status word travels in a 32-bit Status field (Open Channel,
 * APDU), little-endian like every MBIM field, with SW1 in its low byte and
 * SW2 in the next: 90 00 is 0x00000090, the bytes 90 00 00 00 on the wire.
 * That is how the clients proven on MBIM hardware read it (see the .c file).
 */
#pragma once

#include <libmbim-glib.h>

G_BEGIN_DECLS

/* Microsoft status codes of MS UICC low-level access (not in libmbim 1.28). */
#define ESIM_MBIM_STATUS_NO_LOGICAL_CHANNELS     0x87430001u
#define ESIM_MBIM_STATUS_SELECT_FAILED           0x87430002u
#define ESIM_MBIM_STATUS_INVALID_LOGICAL_CHANNEL 0x87430003u

/* "NoLogicalChannels", "Busy", …, or "0x87430009" for codes without a name. */
gchar   *esim_mbim_uicc_status_to_string (guint32 status);

/* The status word SW1 SW2 (as 0xSW1SW2) held by a Status field; a field
 * that holds none (bits above SW2 set, SW1 not 61–6F or 90–9F) is
 * ESIM_APDU_ERROR_MALFORMED_RESPONSE. */
gboolean esim_mbim_uicc_status_to_sw (guint32 status, guint16 *sw, GError **error);
/* Open Channel: the channel the modem opened and the card's answer to the
 * SELECT, as esim_mbim_uicc_status_to_sw() reads it. */
gboolean esim_mbim_uicc_parse_open_channel (MbimMessage *response, guint32 *channel,
                                            guint16 *sw, GError **error);
/* APDU: the response APDU, data followed by SW1 SW2 (MBIM carries the status
 * word apart, in the Status field read as above). */
GBytes  *esim_mbim_uicc_parse_apdu (MbimMessage *response, GError **error);
/* Device Slot Mappings: the slot index mapped to executor 0. */
gboolean esim_mbim_uicc_parse_mapped_slot (MbimMessage *response, guint32 *slot_index,
                                           GError **error);
/* Subscriber Ready Status: the card's ready state. */
gboolean esim_mbim_uicc_parse_ready_state (MbimMessage *response,
                                           MbimSubscriberReadyState *state, GError **error);

G_END_DECLS
