/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The "mbim" channel backend: logical channels to the eUICC through the
 * Microsoft MS UICC low-level access service of an MBIM modem (libmbim).
 *
 * - The port is opened on the first Open Channel and closed again when the
 *   last logical channel is closed; with ESIM_CHANNEL_MBIM_FLAGS_PROXY it is
 *   opened through mbim-proxy, so ModemManager keeps using the modem.
 * - Our channels live in their own channel group (quirks->channel_group,
 *   2 by default: ModemManager uses 1).  When the port is opened, channels
 *   left in that group by an earlier run are closed first.
 * - @slot is the physical SIM slot, 1-based; 0 leaves the slot mapping alone.
 *   Otherwise the device slot mapping (MS basic connect extensions) is read
 *   and, when another slot is mapped, set to @slot, then the card is given
 *   time to come up (subscriber ready state).  Single-slot modems that answer
 *   NoDeviceSupport count as mapped for slot 1 (lpac#416).
 * - MBIM returns the status word separately from the data, in a 32-bit
 *   field with SW1 in its low byte and SW2 in the next (as ModemManager,
 *   Hermes and lpac read it, see esim-mbim-uicc.c); transmit appends SW1 SW2
 *   so callers get a normal response APDU.
 * - Errors: a modem refusing the logical channel -> ESIM_APDU_ERROR_NO_CHANNEL;
 *   the port gone, timeouts and modem failures -> ESIM_APDU_ERROR_TRANSPORT;
 *   a channel the modem no longer knows (card reset) ->
 *   ESIM_APDU_ERROR_CHANNEL_CLOSED.  Pending commands fail at once when the
 *   port goes away (no waiting for the command timeout).
 * - A lost session heals (see esim-channel.h): when the modem answers
 *   NotOpened (its MBIM function restarted or was closed by another program;
 *   mbim-proxy answers so once it found the device closed), or the port went
 *   away (mbim-proxy restarted), every channel is forgotten and the device
 *   dropped.  The refused command, and every later command on a lost
 *   channel, fails with ESIM_APDU_ERROR_SESSION_LOST (it never reached the
 *   card); a command that was in flight fails with ESIM_APDU_ERROR_TRANSPORT
 *   (it may have).  The next open_async opens a new session (through
 *   mbim-proxy with ESIM_CHANNEL_MBIM_FLAGS_PROXY, which reopens the modem).
 * - reset_card_async sends MS UICC Reset (pass-through disabled): every
 *   logical channel is gone afterwards.
 */
#pragma once

#include "esim-channel.h"
#include "esim-mbim-quirks.h"

G_BEGIN_DECLS

typedef enum {
	ESIM_CHANNEL_MBIM_FLAGS_NONE  = 0,
	ESIM_CHANNEL_MBIM_FLAGS_PROXY = 1 << 0, /* open through mbim-proxy (production) */
} EsimChannelMbimFlags;

#define ESIM_TYPE_CHANNEL_MBIM (esim_channel_mbim_get_type ())
G_DECLARE_FINAL_TYPE (EsimChannelMbim, esim_channel_mbim, ESIM, CHANNEL_MBIM, GObject)

/* @quirks NULL: the defaults of esim_mbim_quirks_init(); copied. */
EsimChannelMbim *esim_channel_mbim_new (const gchar *device_path, guint slot,
                                        const EsimMbimQuirks *quirks,
                                        EsimChannelMbimFlags flags);
const gchar     *esim_channel_mbim_get_device_path (EsimChannelMbim *self);
guint            esim_channel_mbim_get_slot (EsimChannelMbim *self);
const EsimMbimQuirks *esim_channel_mbim_get_quirks (EsimChannelMbim *self);
/* Logical channels currently open through this object. */
guint            esim_channel_mbim_get_n_open_channels (EsimChannelMbim *self);
/* TRUE from the moment the port starts opening until it is closed again. */
gboolean         esim_channel_mbim_is_port_open (EsimChannelMbim *self);

G_END_DECLS
