/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The channel interface every transport backend implements (virtual, qmi,
 * mbim, pcsc, at).  A channel reaches one card: it opens a logical channel to
 * an application by AID, carries raw command APDUs on it and closes it.
 *
 * Backends whose hardware path takes raw APDUs only (PC/SC, the software
 * eUICC, AT+CSIM) implement open/close with esim_channel_raw_open_async() and
 * esim_channel_raw_close_async(), which send MANAGE CHANNEL and SELECT through
 * transmit on the basic channel.  Modem backends (QMI, MBIM, AT+CCHO) let the
 * modem do it.
 *
 * Sessions that heal: a backend that talks to the card through a session
 * with the modem (a QMI client id, an MBIM session) and finds that session
 * gone fails the call with ESIM_APDU_ERROR_SESSION_LOST — only when the
 * command did not reach the card — forgets every channel it held, and
 * starts a new session at its next open_async.  EsimIsdr then reopens the
 * ISD-R and sends the interrupted ES10 request again from its first block.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define ESIM_TYPE_CHANNEL (esim_channel_get_type ())
G_DECLARE_INTERFACE (EsimChannel, esim_channel, ESIM, CHANNEL, GObject)

struct _EsimChannelInterface {
	GTypeInterface parent_iface;

	/* "virtual", "qmi", "mbim", "pcsc", "at" */
	const gchar *(*get_transport) (EsimChannel *self);

	/* Opens a logical channel and selects @aid on it.  The result is the
	 * channel number used in the CLA of every APDU on it: 1–19 for a
	 * logical channel, or 0 when the backend's modem can only reach the
	 * application on the basic channel and selected it there.  Channel 0
	 * is never closed (MANAGE CHANNEL cannot close the basic channel):
	 * EsimIsdr just forgets it, and close_async may refuse it.  A backend
	 * whose modem numbers sessions its own way (AT +CCHO, 27.007 §8.45)
	 * returns a number of its own and re-codes the CLA's channel bits of
	 * each APDU for the card itself (or leaves them to the modem). */
	void     (*open_async) (EsimChannel *self, GBytes *aid, GCancellable *cancellable,
	                        GAsyncReadyCallback callback, gpointer user_data);
	gint     (*open_finish) (EsimChannel *self, GAsyncResult *res, GError **error);

	/* Sends one command APDU (CLA already coded for @channel) and returns the
	 * response data followed by SW1 SW2 (at least 2 bytes). */
	void     (*transmit_async) (EsimChannel *self, gint channel, GBytes *command,
	                            GCancellable *cancellable, GAsyncReadyCallback callback,
	                            gpointer user_data);
	GBytes  *(*transmit_finish) (EsimChannel *self, GAsyncResult *res, GError **error);

	void     (*close_async) (EsimChannel *self, gint channel, GCancellable *cancellable,
	                         GAsyncReadyCallback callback, gpointer user_data);
	gboolean (*close_finish) (EsimChannel *self, GAsyncResult *res, GError **error);

	/* Optional: power-cycles the card (QMI UIM power off/on, MBIM UICC reset,
	 * PC/SC SCardReconnect with SCARD_RESET_CARD…) for cards or modems that do
	 * not act on a REFRESH after a profile switch.  Every logical channel is
	 * gone afterwards.  NULL: G_IO_ERROR_NOT_SUPPORTED. */
	void     (*reset_card_async) (EsimChannel *self, GCancellable *cancellable,
	                              GAsyncReadyCallback callback, gpointer user_data);
	gboolean (*reset_card_finish) (EsimChannel *self, GAsyncResult *res, GError **error);

	/* Optional, for a card shared with other applications (PC/SC): the
	 * caller closed its logical channels and sends nothing until its next
	 * operation, so the backend lets go of the card now (PC/SC:
	 * SCardDisconnect, leaving the card as it is) and takes it again on the
	 * next transmit.  Never fails; queued behind the operations before it. */
	void     (*release_async) (EsimChannel *self, GAsyncReadyCallback callback,
	                           gpointer user_data);
	void     (*release_finish) (EsimChannel *self, GAsyncResult *res);
};

const gchar *esim_channel_get_transport (EsimChannel *self);
void     esim_channel_open_async (EsimChannel *self, GBytes *aid, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
gint     esim_channel_open_finish (EsimChannel *self, GAsyncResult *res, GError **error);
void     esim_channel_transmit_async (EsimChannel *self, gint channel, GBytes *command,
                                      GCancellable *cancellable, GAsyncReadyCallback callback,
                                      gpointer user_data);
GBytes  *esim_channel_transmit_finish (EsimChannel *self, GAsyncResult *res, GError **error);
void     esim_channel_close_async (EsimChannel *self, gint channel, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data);
gboolean esim_channel_close_finish (EsimChannel *self, GAsyncResult *res, GError **error);
void     esim_channel_reset_card_async (EsimChannel *self, GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer user_data);
gboolean esim_channel_reset_card_finish (EsimChannel *self, GAsyncResult *res, GError **error);
/* Whether the backend wants its logical channels closed and the card let go
 * of between operations (release_async is implemented). */
gboolean esim_channel_can_release (EsimChannel *self);
/* Completes at once for a backend without release. */
void     esim_channel_release_async (EsimChannel *self, GAsyncReadyCallback callback,
                                     gpointer user_data);
void     esim_channel_release_finish (EsimChannel *self, GAsyncResult *res);

/* Generic open/close for raw-APDU backends: MANAGE CHANNEL (00 70 00 00 01),
 * then SELECT by DF name (0c A4 04 00 Lc AID) on the new channel, accepting
 * 9000 and 61xx; close is MANAGE CHANNEL close (00 70 80 ch 00).  Both go
 * through esim_channel_transmit_async().  Raw open always yields a logical
 * channel 1–19; raw close refuses channel 0 (the basic channel). */
void     esim_channel_raw_open_async (EsimChannel *self, GBytes *aid, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data);
gint     esim_channel_raw_open_finish (EsimChannel *self, GAsyncResult *res, GError **error);
void     esim_channel_raw_close_async (EsimChannel *self, gint channel, GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data);
gboolean esim_channel_raw_close_finish (EsimChannel *self, GAsyncResult *res, GError **error);

G_END_DECLS
