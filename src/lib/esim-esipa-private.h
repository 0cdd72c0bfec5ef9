/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internal to the core library: what the ESipa encoders (esim-esipa.c), the
 * parsers (esim-esipa-parse.c) and the JSON binding (esim-esipa-json.c) share,
 * so that both bindings check inputs and decode packages the same way.
 */
#pragma once

#include "esim-esipa.h"

G_BEGIN_DECLS

/* ---- inputs (IPA → eIM): G_IO_ERROR_INVALID_ARGUMENT, nothing built ---- */

/* @eid: 32 digits -> 16 bytes. */
gboolean esim_esipa_check_eid (const gchar *eid, guint8 out[16], GError **error);
/* @hex: 1–16 bytes of hex -> the bytes. */
GBytes  *esim_esipa_check_transaction_id (const gchar *hex, const gchar *what, GError **error);
/* @tlv: exactly one DER element with one of @tags; @out (nullable) gets it. */
gboolean esim_esipa_check_tlv (GBytes *tlv, const EsimTag *tags, guint n_tags, const gchar *what,
                               EsimTlv *out, GError **error);
/* A PendingNotification as RetrieveNotificationsList gave it: BF37, 30, or a
 * compact A0 / A1 (SGP.32 v1.2 §5.9.4). */
gboolean esim_esipa_check_pending_notification (GBytes *notification, GError **error);
/* The card's EuiccPackageResult: BF51 holding exactly one of the v1.2
 * alternatives A0 / A1 / A2 (vectors V5, V7; V19's BF51 { 30 … } is refused). */
gboolean esim_esipa_check_euicc_package_result (GBytes *result, GError **error);
/* What TransferEimPackageResponse can carry of an EimPackageResult. */
gboolean esim_esipa_result_fits_transfer (const EsimEimPackageResult *result, GError **error);

/* ---- packages (eIM → IPA), decoded the same way for both bindings ---- */

/* One package TLV: BF51, BF52, BF54, and BF53 when @allow_acknowledgements
 * (TransferEimPackageRequest).  Errors are ESIM_ESIPA_ERROR_MALFORMED. */
EsimEimPackage *esim_esipa_package_from_tlv (const EsimTlv *tlv, gboolean allow_acknowledgements,
                                             GError **error);

/* The transaction ID an answer left out, from what it signed: ServerSigned1's
 * (30), or the bound profile package's InitialiseSecureChannelRequest (BF36).
 * NULL when there is none to read. */
gchar   *esim_esipa_transaction_id_of_server_signed1 (GBytes *server_signed1, GError **error);
gchar   *esim_esipa_transaction_id_of_bpp (GBytes *bpp);

G_END_DECLS
