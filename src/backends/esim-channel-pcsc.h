/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The "pcsc" channel backend: an EsimChannel onto a card in a PC/SC reader
 * (pcsc-lite).  The card is shared with other PC/SC clients (SCARD_SHARE_SHARED)
 * and spoken to in T=0 or T=1, whichever the reader and card agree on.
 * Once the card was removed or reset, a command on a logical channel opened
 * before fails with ESIM_APDU_ERROR_CHANNEL_CLOSED without reaching the card:
 * another application may hold that channel number by now.
 */
#pragma once

#include <winscard.h>

#include "esim-channel.h"

G_BEGIN_DECLS

#define ESIM_TYPE_CHANNEL_PCSC (esim_channel_pcsc_get_type ())
G_DECLARE_FINAL_TYPE (EsimChannelPcsc, esim_channel_pcsc, ESIM, CHANNEL_PCSC, GObject)

/* Nothing is opened here: the reader is connected on the first APDU (and again
 * after the card was removed, the reader went away, or the channel was
 * released between operations: esim_channel_release_async() disconnects). */
EsimChannelPcsc *esim_channel_pcsc_new (const gchar *reader_name);
const gchar     *esim_channel_pcsc_get_reader_name (EsimChannelPcsc *self);
/* "T=0" or "T=1" while connected to the card, NULL otherwise. */
const gchar     *esim_channel_pcsc_get_protocol (EsimChannelPcsc *self);

/* The names of the readers pcscd knows (empty when there are none).  Blocks
 * briefly on pcscd's socket.  pcscd not running: ESIM_APDU_ERROR_TRANSPORT. */
GStrv            esim_pcsc_list_readers (GError **error);
/* The same on a context of the caller's (one thread at a time uses a context). */
GStrv            esim_pcsc_list_readers_in_context (SCARDCONTEXT context, GError **error);

G_END_DECLS
