/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The MBIM backend's reading of what the modem answers, without any I/O: the
 * MS UICC low-level access responses (Open Channel, APDU), Device Slot
 * Mappings, Subscriber Ready Status, and the names of status codes.  Each
 * parser takes the answer whose status the caller found to be NONE and
 * returns its contents, or ESIM_APDU_ERROR_MALFORMED_RESPONSE for anything
 * else (not one whole COMMAND_DONE, fields missing or pointing outside the
 * message, counts larger than the message can hold), never reading past it.
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

/* Open Channel: the channel the modem opened and the card's answer to the
 * SELECT (@sw is the raw 32-bit field: a modem may put anything there). */
gboolean esim_mbim_uicc_parse_open_channel (MbimMessage *response, guint32 *channel,
                                            guint32 *sw, GError **error);
/* APDU: the response APDU, data followed by SW1 SW2 (MBIM carries the status
 * word apart; a status word outside 6100–FFFF is malformed). */
GBytes  *esim_mbim_uicc_parse_apdu (MbimMessage *response, GError **error);
/* Device Slot Mappings: the slot index mapped to executor 0. */
gboolean esim_mbim_uicc_parse_mapped_slot (MbimMessage *response, guint32 *slot_index,
                                           GError **error);
/* Subscriber Ready Status: the card's ready state. */
gboolean esim_mbim_uicc_parse_ready_state (MbimMessage *response,
                                           MbimSubscriberReadyState *state, GError **error);

G_END_DECLS
