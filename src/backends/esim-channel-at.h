/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The "at" channel backend: the eUICC behind a modem's AT command port.
 *
 * Logical channels use 3GPP TS 27.007 +CCHO / +CGLA / +CCHC; modems without
 * them (lpac#164), or whose +CCHO refuses, fall back to AT+CSIM carrying
 * MANAGE CHANNEL, SELECT and every APDU.  The tty is opened on first use (or
 * by esim_channel_at_prepare_async()), set up (echo off, numeric +CME ERROR)
 * and probed.  The channel numbers open_async returns are the backend's own
 * (a +CCHO session id may be any integer): it re-codes the CLA's channel bits
 * for the card or leaves them to the modem (see esim-channel-at.c).  Sessions
 * other users left open are closed only when the card has no free channel.
 * The caller is expected to hold the port exclusively (the modem inhibited in
 * ModemManager).
 *
 * Every failure of the port (closed, gone, timed out) is an
 * ESIM_APDU_ERROR_TRANSPORT error; the next call reopens it.
 */
#pragma once

#include "esim-channel.h"

G_BEGIN_DECLS

#define ESIM_TYPE_CHANNEL_AT (esim_channel_at_get_type ())
G_DECLARE_FINAL_TYPE (EsimChannelAt, esim_channel_at, ESIM, CHANNEL_AT, GObject)

/* Per AT command; generous because BPP loads can take seconds on modems. */
#define ESIM_CHANNEL_AT_DEFAULT_TIMEOUT_MS 10000

typedef enum {
	ESIM_CHANNEL_AT_MODE_UNKNOWN, /* the port has not been probed yet */
	ESIM_CHANNEL_AT_MODE_LOGICAL, /* +CCHO / +CGLA (+CCHC when the modem has it) */
	ESIM_CHANNEL_AT_MODE_CSIM,    /* +CSIM only: raw MANAGE CHANNEL + SELECT + APDUs */
} EsimChannelAtMode;

EsimChannelAt    *esim_channel_at_new (const gchar *tty_path);
const gchar      *esim_channel_at_get_path (EsimChannelAt *self);

/* Time allowed for each AT command's final result code (milliseconds, > 0). */
void              esim_channel_at_set_timeout (EsimChannelAt *self, guint timeout_ms);
guint             esim_channel_at_get_timeout (EsimChannelAt *self);

/* Use AT+CSIM even when the modem offers +CCHO/+CGLA (for modems whose
 * logical-channel commands are broken).  Takes effect at the next probe. */
void              esim_channel_at_set_force_csim (EsimChannelAt *self, gboolean force_csim);

/* Opens and probes the port now instead of at the first channel operation. */
void              esim_channel_at_prepare_async (EsimChannelAt *self, GCancellable *cancellable,
                                                 GAsyncReadyCallback callback, gpointer user_data);
gboolean          esim_channel_at_prepare_finish (EsimChannelAt *self, GAsyncResult *res,
                                                  GError **error);

/* What the last probe found (UNKNOWN before the first one). */
EsimChannelAtMode esim_channel_at_get_mode (EsimChannelAt *self);
gboolean          esim_channel_at_get_has_cchc (EsimChannelAt *self);

/* Releases the tty (e.g. before uninhibiting the modem).  Commands still
 * pending fail with ESIM_APDU_ERROR_TRANSPORT; a later call reopens it. */
void              esim_channel_at_close_port (EsimChannelAt *self);
gboolean          esim_channel_at_is_port_open (EsimChannelAt *self);

G_END_DECLS
