/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * EsimEs9pClient: ES9+ (SGP.22 §5.6, JSON binding §6.5) to one SM-DP+ over
 * HTTPS.  It is the EsimRspServer of a direct download, and also sends
 * handleNotification for the notification delivery.
 *
 * One client per SM-DP+ address and procedure: every call goes over the
 * client's EsimHttpClient, so a whole download uses one keep-alive
 * connection.  Answers are limited to ESIM_HTTP_LIMIT_JSON bytes, the bound
 * profile package to ESIM_HTTP_LIMIT_BPP.
 *
 * Errors: ESIM_ES9P_ERROR_FAILED / _EXPIRED when the SM-DP+ refused (the
 * message carries its subject and reason codes), ESIM_ES9P_ERROR_MALFORMED
 * for an answer that does not parse (an empty one included), G_TLS_ERROR and
 * G_IO_ERROR from the transport (see esim-http.h).  No call is retried.
 */
#pragma once

#include <gio/gio.h>

#include "esim-http.h"

G_BEGIN_DECLS

/* SGP.22 §6.5.1.1 request headers, as ChromeOS Hermes (smdp.cc), lpac and
 * osmocom pySim (es9p.py) send them. */
#define ESIM_ES9P_USER_AGENT "gsma-rsp-lpad"

#define ESIM_TYPE_ES9P_CLIENT (esim_es9p_client_get_type ())
G_DECLARE_FINAL_TYPE (EsimEs9pClient, esim_es9p_client, ESIM, ES9P_CLIENT, GObject)

/* @smdp_address: host[:port], from the activation code (or a notification's
 * notificationAddress); the base URL is https://@smdp_address.  @database:
 * the TLS trust (esim_tls_database_new() for the eUICC). */
EsimEs9pClient *esim_es9p_client_new (const gchar *smdp_address, GTlsDatabase *database,
                                      GError **error);
/* The HTTP session: timeout, counters, closing at the end of a procedure. */
EsimHttpClient *esim_es9p_client_get_http (EsimEs9pClient *self);
const gchar    *esim_es9p_client_get_address (EsimEs9pClient *self);

/* ES9+.HandleNotification with @pending_notification, the eUICC's
 * PendingNotification TLV as it came (BF37 ProfileInstallationResult or 30
 * OtherSignedNotification).  Success is HTTP 204, or any 2xx with an empty
 * body; a 2xx whose body is a JSON header saying "Failed" is the server's
 * refusal (ESIM_ES9P_ERROR_FAILED). */
void     esim_es9p_client_handle_notification_async (EsimEs9pClient *self,
                                                     GBytes *pending_notification,
                                                     GCancellable *cancellable,
                                                     GAsyncReadyCallback callback,
                                                     gpointer user_data);
gboolean esim_es9p_client_handle_notification_finish (EsimEs9pClient *self, GAsyncResult *res,
                                                      GError **error);

G_END_DECLS
