/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The "qmi" channel backend: logical channels to the eUICC through the UIM
 * service of a Qualcomm (QMI) modem, with libqmi.
 *
 * The modem opens and closes the logical channels (UIM Open Logical Channel,
 * UIM Logical Channel) and carries the APDUs (UIM Send APDU); 61xx answers
 * are handed back untouched for EsimIsdr to chain.  The QMI device is opened
 * on the first open (or reset) and stays open until shutdown or dispose.
 *
 * Errors are ESIM_APDU_ERROR: NO_CHANNEL when the modem refuses logical
 * channels (QMI AccessDenied or Internal on Open Logical Channel, seen on
 * SIMCom, Telit and SDM670 firmware), CHANNEL_CLOSED when the modem no longer
 * knows a channel (the card was reset, e.g. after a profile switch),
 * TRANSPORT for everything between us and the card (port gone, timeouts,
 * missing SIM slot); SESSION_LOST when the modem forgot esimd's UIM client
 * (QMI InvalidClientId, CTL Sync indication) or the port hung up before the
 * command was sent — the command did not reach the card, every channel is
 * gone, and the next open allocates a new client (or reopens the port);
 * G_IO_ERROR_CANCELLED when the caller cancelled.
 */
#pragma once

#include "esim-channel.h"

G_BEGIN_DECLS

typedef enum {
	ESIM_CHANNEL_QMI_FLAGS_NONE  = 0,
	/* Open the port through qmi-proxy so that ModemManager (and qmicli)
	 * keep working next to us.  The daemon always sets it in production;
	 * without it the port is opened exclusively and CTL Sync releases
	 * every client id a previous (crashed) user left behind. */
	ESIM_CHANNEL_QMI_FLAGS_PROXY = 1 << 0,
} EsimChannelQmiFlags;

#define ESIM_CHANNEL_QMI_DEFAULT_TIMEOUT 30 /* seconds, per QMI request */

#define ESIM_TYPE_CHANNEL_QMI (esim_channel_qmi_get_type ())
G_DECLARE_FINAL_TYPE (EsimChannelQmi, esim_channel_qmi, ESIM, CHANNEL_QMI, GObject)

/* @device_path: the QMI control port (/dev/cdc-wdm0, /dev/wwan0qmi0; a tty
 * or pseudo-terminal is opened in plain QMUX mode).  @slot: the physical SIM
 * slot holding the eUICC, 1-based; 0 = whatever slot is active.  Nothing is
 * opened until the first operation. */
EsimChannelQmi *esim_channel_qmi_new (const gchar *device_path, guint slot,
                                      EsimChannelQmiFlags flags);

const gchar    *esim_channel_qmi_get_device_path (EsimChannelQmi *self);
guint           esim_channel_qmi_get_slot (EsimChannelQmi *self);
/* The "slot" the UIM commands address once the device is set up (the
 * modem's logical slot for the eUICC), 0 before. */
guint           esim_channel_qmi_get_logical_slot (EsimChannelQmi *self);
/* Keeps a reference to @token until the port is closed for good: past the
 * end of @self, until the teardown its dispose started has closed the device
 * (dispose does not wait for it).  Whoever must not open the port again
 * before then watches @token. */
void            esim_channel_qmi_hold_while_open (EsimChannelQmi *self, GObject *token);
/* Seconds each QMI request may take before failing with "timed out". */
void            esim_channel_qmi_set_timeout (EsimChannelQmi *self, guint seconds);

/* Closes the logical channels this object opened, releases the UIM client
 * and closes the QMI device.  The object may be opened again afterwards.
 * Dispose does the same without waiting. */
void            esim_channel_qmi_shutdown_async (EsimChannelQmi *self, GCancellable *cancellable,
                                                 GAsyncReadyCallback callback, gpointer user_data);
gboolean        esim_channel_qmi_shutdown_finish (EsimChannelQmi *self, GAsyncResult *res,
                                                  GError **error);

G_END_DECLS
