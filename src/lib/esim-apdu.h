/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ISO 7816-4 APDUs and the ISD-R session.
 *
 * EsimIsdr owns one logical channel to the ISD-R over an EsimChannel and turns
 * ES10 request TLVs into GlobalPlatform STORE DATA sequences:
 *   - segments of at most segment_size bytes (default 255), P1 = 11 (more
 *     blocks) / 91 (last block), P2 = block number from 0;
 *   - 61xx answered with GET RESPONSE (CLA 00|ch coding) until 9000, data
 *     concatenated;
 *   - 6Cxx answered by re-sending the same command with Le = xx;
 *   - intermediate blocks must answer 9000 without data;
 *   - other status words become EsimApduError.
 */
#pragma once

#include <gio/gio.h>
#include "esim-channel.h"

G_BEGIN_DECLS

/* ISD-R AID A0000005591010FFFFFFFF8900000100 (ESIM_ISDR_AID_BYTES of esim-tags.h) */
extern const guint8 ESIM_ISDR_AID[16];

typedef struct {
	guint8        cla;
	guint8        ins;
	guint8        p1;
	guint8        p2;
	const guint8 *data;   /* may be NULL when data_len is 0 */
	gsize         data_len; /* 0..255 */
	gint          le;     /* -1: no Le; 0..256 (256 is coded 00) */
} EsimApdu;

/* Short APDU encoding (cases 1–4). */
GBytes  *esim_apdu_encode (const EsimApdu *apdu);
/* Splits a response into data and status word.  FALSE if shorter than 2 bytes. */
gboolean esim_apdu_response_parse (GBytes *response, GBytes **data, guint16 *sw, GError **error);
/* Maps a status word other than 9000/61xx/9Fxx/91xx to an EsimApduError; TRUE for success SWs. */
gboolean esim_apdu_check_sw (guint16 sw, GError **error);

/* CLA byte for @channel: @gp_class FALSE = interindustry (00|ch, 40|ch-4),
 * TRUE = GlobalPlatform proprietary class (80|ch, C0|ch-4).  Channels 0–19. */
guint8   esim_apdu_cla_for_channel (guint channel, gboolean gp_class);

/* Builds the STORE DATA command APDUs for one ES10 request: an array of GBytes. */
GPtrArray *esim_apdu_build_store_data (guint channel, const guint8 *data, gsize len, gsize segment_size);

/* TERMINAL CAPABILITY (80 AA 00 00 Lc A9 …) announcing eUICC-related terminal
 * capabilities (tag 83 = 07: LUId + LPDd + LDSd). */
GBytes  *esim_apdu_build_terminal_capability (guint channel);

#define ESIM_TYPE_ISDR (esim_isdr_get_type ())
G_DECLARE_FINAL_TYPE (EsimIsdr, esim_isdr, ESIM, ISDR, GObject)

EsimIsdr    *esim_isdr_new (EsimChannel *channel);
EsimChannel *esim_isdr_get_channel (EsimIsdr *self);
void         esim_isdr_set_segment_size (EsimIsdr *self, gsize segment_size); /* 6..255 */
gsize        esim_isdr_get_segment_size (EsimIsdr *self);
gboolean     esim_isdr_is_open (EsimIsdr *self);
/* -1 when closed; 0 when the backend reached the ISD-R on the basic channel */
gint         esim_isdr_get_logical_channel (EsimIsdr *self);

/* Opens the logical channel to the ISD-R and sends TERMINAL CAPABILITY on it
 * (a refusal of TERMINAL CAPABILITY is logged, not fatal). */
void     esim_isdr_open_async (EsimIsdr *self, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data);
gboolean esim_isdr_open_finish (EsimIsdr *self, GAsyncResult *res, GError **error);

/* Sends one ES10 request TLV as STORE DATA and returns the complete response
 * TLV (possibly empty).  Requests are serialised: a second call made while one
 * runs waits for it. */
void     esim_isdr_transceive_async (EsimIsdr *self, GBytes *request, GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data);
GBytes  *esim_isdr_transceive_finish (EsimIsdr *self, GAsyncResult *res, GError **error);

/* Closes the logical channel (no-op when closed).  A session on the basic
 * channel (0) is only forgotten: no MANAGE CHANNEL close is sent for it. */
void     esim_isdr_close_async (EsimIsdr *self, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
gboolean esim_isdr_close_finish (EsimIsdr *self, GAsyncResult *res, GError **error);

/* Marks the session closed without sending MANAGE CHANNEL close: after a card
 * reset (REFRESH, power cycle) the card has forgotten the channel, and closing
 * its number later could close a channel a newer session holds. */
void     esim_isdr_forget_channel (EsimIsdr *self);

/* With @on_demand, an ES10 request to a closed ISD-R opens it first (as
 * esim_isdr_open_async() does) instead of failing with
 * ESIM_APDU_ERROR_CHANNEL_CLOSED: a caller that may need no card at all (an
 * eIM poll on a warm cache) takes no logical channel until it does. */
void     esim_isdr_set_open_on_demand (EsimIsdr *self, gboolean on_demand);

/* Statistics for benchmarks and tests: command APDUs sent since creation. */
guint    esim_isdr_get_apdu_count (EsimIsdr *self);

G_END_DECLS
