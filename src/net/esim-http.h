/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * EsimHttpClient: HTTPS to one server (an SM-DP+ over ES9+, an eIM over
 * ESipa), on one libsoup session.
 *
 *   - One keep-alive connection: requests are sent one after the other on
 *     the same connection while the server keeps it open; libsoup drops an
 *     idle connection the server has closed before reusing it.  TLS sessions
 *     are resumed across connections by glib-networking's session cache
 *     (process-wide, keyed on host, address and port), and beyond that
 *     cache's ten minutes from the last connection of the same client, for a
 *     client that lives long (an eIM's, polled every hour).
 *   - Trust is the GTlsDatabase the caller gives (EsimTlsDatabase for ES9+);
 *     a refused certificate is never accepted, and there is no switch to
 *     turn verification off.
 *   - Timeout: a request fails when the connection makes no progress for
 *     the timeout (connecting, TLS, sending, waiting for or reading the
 *     answer), default ESIM_HTTP_DEFAULT_TIMEOUT seconds: slow cellular links
 *     need patience, a stalled server does not deserve more.
 *   - Answers are read with a size limit the caller gives, enforced while
 *     reading: a larger answer is cut off with an error, never buffered.
 *   - No automatic retries.  ES9+ and ESipa requests are POSTs that change
 *     the server's state (RFC 9112 §9.3.1: a client must not retry a
 *     non-idempotent request on its own); a request that fails, even on a
 *     reused connection, returns its error and the caller decides.
 *   - Redirects are not followed (SGP.22 defines none; a redirected POST
 *     would change meaning).
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define ESIM_HTTP_DEFAULT_TIMEOUT 60   /* seconds */

/* Size limits callers use: a JSON answer, and a bound profile package in
 * base64 inside JSON (a profile is tens to a few hundred KiB). */
#define ESIM_HTTP_LIMIT_JSON  (64 * 1024)
#define ESIM_HTTP_LIMIT_BPP   (4 * 1024 * 1024)

typedef enum {
	ESIM_HTTP_POST_NONE            = 0,
	/* 204, or any 2xx with an empty body, is a success (notifications);
	 * without this flag an empty answer is G_IO_ERROR_INVALID_DATA */
	ESIM_HTTP_POST_EMPTY_ANSWER_OK = 1 << 0,
} EsimHttpPostFlags;

/* What the benchmark prints.  Wire bytes are the TCP payload in each
 * direction (TLS records included), from the kernel's TCP_INFO where it
 * offers them (Linux), else 0. */
typedef struct {
	guint   requests;                /* requests sent */
	guint   connections;             /* TCP connections opened */
	guint   tls_handshakes;          /* TLS handshakes completed */
	guint   tls_handshakes_resumed;  /* …of which resumed a previous session */
	guint64 http_bytes_sent;         /* request headers and bodies */
	guint64 http_bytes_received;     /* answer headers and bodies */
	guint64 wire_bytes_sent;
	guint64 wire_bytes_received;
} EsimHttpCounters;

#define ESIM_TYPE_HTTP_CLIENT (esim_http_client_get_type ())
G_DECLARE_FINAL_TYPE (EsimHttpClient, esim_http_client, ESIM, HTTP_CLIENT, GObject)

/* @address: "host[:port]" (an SM-DP+ address, an eIM FQDN); the client talks
 * to https://@address.  @peer names the server's role in messages ("SM-DP+").
 * @database: the trust for this server, required. */
EsimHttpClient *esim_http_client_new (const gchar *address, const gchar *peer,
                                      GTlsDatabase *database, GError **error);
const gchar    *esim_http_client_get_address (EsimHttpClient *self);
const gchar    *esim_http_client_get_host (EsimHttpClient *self);
const gchar    *esim_http_client_get_peer (EsimHttpClient *self);
/* Seconds without progress before a request fails; 0 is not allowed. */
void            esim_http_client_set_timeout (EsimHttpClient *self, guint seconds);
guint           esim_http_client_get_timeout (EsimHttpClient *self);
void            esim_http_client_set_user_agent (EsimHttpClient *self, const gchar *user_agent);
void            esim_http_client_get_counters (EsimHttpClient *self, EsimHttpCounters *counters);
/* Closes the connection at the end of a procedure (requests still running
 * fail with G_IO_ERROR_CANCELLED); the next request opens a new one. */
void            esim_http_client_close (EsimHttpClient *self);

/* POSTs @body to https://address@path.  @headers: NULL or a NULL-terminated
 * list of name, value pairs (e.g. "X-Admin-Protocol", "gsma/rsp/v2.5.0").
 * @max_answer: the largest answer body accepted, in bytes.  The answer must
 * have a 2xx status.  Errors: G_TLS_ERROR (certificate refused, handshake
 * failed), G_IO_ERROR_TIMED_OUT, G_IO_ERROR_MESSAGE_TOO_LARGE,
 * G_IO_ERROR_HOST_NOT_FOUND, G_IO_ERROR_CONNECTION_CLOSED (dropped before
 * or during the answer), G_IO_ERROR_CANCELLED, G_IO_ERROR_FAILED (an HTTP
 * status other than 2xx), other G_IO_ERROR codes from the network; each
 * message names the server. */
void     esim_http_client_post_async (EsimHttpClient *self, const gchar *path,
                                      const gchar *content_type, GBytes *body,
                                      const gchar *const *headers, gsize max_answer,
                                      EsimHttpPostFlags flags, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data);
/* The answer body (empty for an empty answer); @status: the HTTP status. */
GBytes  *esim_http_client_post_finish (EsimHttpClient *self, GAsyncResult *res, guint *status,
                                       GError **error);
/* Whether the request of @res was written whole.  FALSE: it failed before
 * the server could have processed it (resolving, connecting, TLS, writing),
 * so sending it again cannot make the server act twice. */
gboolean esim_http_client_post_was_sent (EsimHttpClient *self, GAsyncResult *res);

G_END_DECLS
