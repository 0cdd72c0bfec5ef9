/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * EsimHttpClient on libsoup 3.
 *
 * Keep-alive: libsoup opens a new connection for every request whose method
 * is not idempotent (POST) unless the message carries SOUP_MESSAGE_IDEMPOTENT
 * (libsoup soup-session.c get_connection: need_new_connection).  Every ES9+
 * and ESipa call is a POST, so each message sets that flag: it only lets the
 * message use an idle connection; libsoup still never resends a POST by
 * itself (soup-client-message-io-http1.c request_is_restartable() requires an
 * idempotent method).  One connection per session (max-conns 1) keeps a
 * procedure on one connection even if a caller overlaps requests.
 *
 * TLS: every TLS connection libsoup opens gets, before its handshake, a thin
 * per-connection database (EsimHttpTrust) around the caller's.  It counts the
 * verifications, which tells a full handshake from a resumed one:
 * glib-networking verifies the chain during a full handshake, and on a
 * resumed session verifies it again afterwards, with the peer certificate
 * already known and the result ignored (glib-networking
 * tls/base/gtlsconnection-base.c finish_handshake).  Since the session cache
 * is process-wide and keyed on host, address and port only, a session
 * verified for one eUICC could be resumed for another whose CI list differs:
 * a resumed session whose certificate this client's database refuses is
 * therefore refused here too.
 *
 * Resumption across polls: glib-networking's cache keeps a session for ten
 * minutes after its first ticket and never longer (2.74
 * gtlsbackend-gnutls.c: a fixed expiry, +600 s), while an eIM is polled
 * every hour.  So the client keeps its last TLS connection and offers its
 * session to the next one (g_tls_client_connection_copy_session_state: a
 * fresh ticket from the cache if there is one, else the last ticket that
 * connection received); the server decides whether the ticket still holds.
 * glib-networking keeps no session in a GTest program
 * (gtlsclientconnection-gnutls.c compute_session_id returns early when
 * g_test_initialized ()), nor for a connection that is not TCP, and copying
 * from such a connection is a programming error there: skipped then.
 *
 * Size limits: the answer body is read in chunks and counted; a declared
 * Content-Length above the limit is refused before reading.  An answer
 * abandoned early (too large, wrong status, an error) is closed with a
 * cancelled GCancellable: closing a libsoup body stream may read and discard
 * the rest to keep the connection (soup_message_io_skip), which for a huge
 * or endless answer must not happen; cancelled, it cannot, and libsoup drops
 * the connection.
 */

#define G_LOG_DOMAIN "esim"

#include <libsoup/soup.h>
#include <string.h>
#ifdef ESIM_HAVE_TCP_INFO_BYTES
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#endif

#include "esim-activation-code.h"
#include "esim-http.h"
#include "esim-tls-database.h"

#define IDLE_TIMEOUT 60        /* seconds libsoup keeps an idle connection */
#define READ_CHUNK   16384

/* ------------------------------------------------------------------------ */
/* EsimHttpTrust: per-connection database that counts verifications */

#define ESIM_TYPE_HTTP_TRUST (esim_http_trust_get_type ())
G_DECLARE_FINAL_TYPE (EsimHttpTrust, esim_http_trust, ESIM, HTTP_TRUST, GTlsDatabase)

struct _EsimHttpTrust {
	GTlsDatabase parent_instance;
	GTlsDatabase *inner;
	GTlsConnection *connection;         /* unowned: the connection owns us */
	guint full_verifications;           /* during a handshake */
	guint resumed_verifications;        /* after a resumed one */
	GTlsCertificateFlags resumed_errors;
};

G_DEFINE_TYPE (EsimHttpTrust, esim_http_trust, G_TYPE_TLS_DATABASE)

static GTlsCertificateFlags
esim_http_trust_verify_chain (GTlsDatabase *database, GTlsCertificate *chain, const gchar *purpose,
                              GSocketConnectable *identity, GTlsInteraction *interaction,
                              GTlsDatabaseVerifyFlags flags, GCancellable *cancellable,
                              GError **error)
{
	EsimHttpTrust *self = ESIM_HTTP_TRUST (database);
	GTlsCertificateFlags errors;

	errors = g_tls_database_verify_chain (self->inner, chain, purpose, identity, interaction,
	                                      flags, cancellable, error);
	/* the peer certificate is only set before verification on a resumed session */
	if (g_tls_connection_get_peer_certificate (self->connection) != NULL) {
		self->resumed_verifications++;
		self->resumed_errors |= errors;
	} else {
		self->full_verifications++;
	}
	return errors;
}

static GTlsCertificate *
esim_http_trust_lookup_certificate_issuer (GTlsDatabase *database, GTlsCertificate *certificate,
                                           GTlsInteraction *interaction,
                                           GTlsDatabaseLookupFlags flags,
                                           GCancellable *cancellable, GError **error)
{
	return g_tls_database_lookup_certificate_issuer (ESIM_HTTP_TRUST (database)->inner,
	                                                 certificate, interaction, flags,
	                                                 cancellable, error);
}

static GList *
esim_http_trust_lookup_certificates_issued_by (GTlsDatabase *database, GByteArray *issuer_raw_dn,
                                               GTlsInteraction *interaction,
                                               GTlsDatabaseLookupFlags flags,
                                               GCancellable *cancellable, GError **error)
{
	return g_tls_database_lookup_certificates_issued_by (ESIM_HTTP_TRUST (database)->inner,
	                                                     issuer_raw_dn, interaction, flags,
	                                                     cancellable, error);
}

static gchar *
esim_http_trust_create_certificate_handle (GTlsDatabase *database, GTlsCertificate *certificate)
{
	return g_tls_database_create_certificate_handle (ESIM_HTTP_TRUST (database)->inner,
	                                                 certificate);
}

static GTlsCertificate *
esim_http_trust_lookup_certificate_for_handle (GTlsDatabase *database, const gchar *handle,
                                               GTlsInteraction *interaction,
                                               GTlsDatabaseLookupFlags flags,
                                               GCancellable *cancellable, GError **error)
{
	return g_tls_database_lookup_certificate_for_handle (ESIM_HTTP_TRUST (database)->inner,
	                                                     handle, interaction, flags,
	                                                     cancellable, error);
}

static void
esim_http_trust_finalize (GObject *object)
{
	g_clear_object (&ESIM_HTTP_TRUST (object)->inner);
	G_OBJECT_CLASS (esim_http_trust_parent_class)->finalize (object);
}

static void
esim_http_trust_class_init (EsimHttpTrustClass *klass)
{
	GTlsDatabaseClass *database_class = G_TLS_DATABASE_CLASS (klass);

	G_OBJECT_CLASS (klass)->finalize = esim_http_trust_finalize;
	database_class->verify_chain = esim_http_trust_verify_chain;
	database_class->lookup_certificate_issuer = esim_http_trust_lookup_certificate_issuer;
	database_class->lookup_certificates_issued_by = esim_http_trust_lookup_certificates_issued_by;
	database_class->create_certificate_handle = esim_http_trust_create_certificate_handle;
	database_class->lookup_certificate_for_handle = esim_http_trust_lookup_certificate_for_handle;
}

static void
esim_http_trust_init (EsimHttpTrust *self)
{
}

static GTlsDatabase *
esim_http_trust_new (GTlsDatabase *inner, GTlsConnection *connection)
{
	EsimHttpTrust *self = g_object_new (ESIM_TYPE_HTTP_TRUST, NULL);

	self->inner = g_object_ref (inner);
	self->connection = connection;
	return G_TLS_DATABASE (self);
}

/* ------------------------------------------------------------------------ */
/* EsimHttpClient */

struct _EsimHttpClient {
	GObject parent_instance;
	SoupSession *session;
	GTlsDatabase *database;
	gchar *address;            /* host[:port] as given */
	gchar *host;
	guint16 port;              /* 0: 443 */
	gchar *peer;               /* "SM-DP+" */
	guint timeout;
	EsimHttpCounters counters;
	GTlsClientConnection *last_tls;  /* the last handshake's session, offered to the next */
	/* the connection in use, for the kernel's byte counts */
	GSocketConnection *tcp;
	guint64 wire_sent_before;  /* totals of the connections before it */
	guint64 wire_received_before;
	guint64 wire_sent_now;     /* last reading of the current connection */
	guint64 wire_received_now;
};

G_DEFINE_TYPE (EsimHttpClient, esim_http_client, G_TYPE_OBJECT)

typedef struct {
	SoupMessage *msg;
	GCancellable *cancellable;         /* ours, cancelled with the caller's */
	GCancellable *caller_cancellable;
	gulong caller_cancelled_id;
	GInputStream *stream;
	GByteArray *answer;
	gsize max_answer;
	EsimHttpPostFlags flags;
	gchar *path;
	GError *abort_error;               /* why we cancelled the request ourselves */
	GTlsConnection *tls;               /* the handshake this request made */
	gboolean request_sent;
	guint status;
	gint64 started;
} PostData;

static void
post_data_free (PostData *data)
{
	if (data->caller_cancellable != NULL) {
		g_cancellable_disconnect (data->caller_cancellable, data->caller_cancelled_id);
		g_object_unref (data->caller_cancellable);
	}
	g_clear_object (&data->cancellable);
	g_clear_object (&data->stream);
	g_clear_object (&data->msg);
	g_clear_pointer (&data->answer, g_byte_array_unref);
	g_free (data->path);
	g_clear_error (&data->abort_error);
	g_clear_object (&data->tls);
	g_free (data);
}

/* ---- counters ---- */

/* Reads the kernel's byte counts of the current connection while it is open. */
static void
wire_sample (EsimHttpClient *self)
{
#ifdef ESIM_HAVE_TCP_INFO_BYTES
	GSocket *socket;
	struct tcp_info info;
	socklen_t len = sizeof (info);

	if (self->tcp == NULL)
		return;
	socket = g_socket_connection_get_socket (self->tcp);
	if (g_socket_is_closed (socket))
		return;
	memset (&info, 0, sizeof (info));
	if (getsockopt (g_socket_get_fd (socket), IPPROTO_TCP, TCP_INFO, &info, &len) == 0 &&
	    len >= offsetof (struct tcp_info, tcpi_bytes_received) + sizeof (info.tcpi_bytes_received)) {
		self->wire_sent_now = info.tcpi_bytes_acked;
		self->wire_received_now = info.tcpi_bytes_received;
	}
#endif
}

static void
wire_new_connection (EsimHttpClient *self, GSocketConnection *tcp)
{
	wire_sample (self);
	self->wire_sent_before += self->wire_sent_now;
	self->wire_received_before += self->wire_received_now;
	self->wire_sent_now = self->wire_received_now = 0;
	g_set_object (&self->tcp, tcp);
}

static void
count_http_bytes (EsimHttpClient *self, SoupMessage *msg)
{
	SoupMessageMetrics *metrics = soup_message_get_metrics (msg);

	if (metrics == NULL)
		return;
	self->counters.http_bytes_sent +=
		soup_message_metrics_get_request_header_bytes_sent (metrics) +
		soup_message_metrics_get_request_body_bytes_sent (metrics);
	self->counters.http_bytes_received +=
		soup_message_metrics_get_response_header_bytes_received (metrics) +
		soup_message_metrics_get_response_body_bytes_received (metrics);
}

void
esim_http_client_get_counters (EsimHttpClient *self, EsimHttpCounters *counters)
{
	g_return_if_fail (ESIM_IS_HTTP_CLIENT (self));
	g_return_if_fail (counters != NULL);

	wire_sample (self);
	*counters = self->counters;
	counters->wire_bytes_sent = self->wire_sent_before + self->wire_sent_now;
	counters->wire_bytes_received = self->wire_received_before + self->wire_received_now;
}

/* ---- errors ---- */

/* Turns what libsoup, GIO or glib-networking reported into a message that
 * names the server and says what happened.  Takes @error. */
static GError *
post_error (EsimHttpClient *self, PostData *data, GError *error)
{
	g_autoptr(GError) local = error;

	if (data->abort_error != NULL)
		return g_steal_pointer (&data->abort_error);
	if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return g_steal_pointer (&local);
	if (g_error_matches (local, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE) && data->tls != NULL) {
		GTlsCertificateFlags errors = g_tls_connection_get_peer_certificate_errors (data->tls);
		g_autofree gchar *reason = esim_tls_describe_certificate_errors (self->database, errors,
		                                                                 self->peer, self->host);

		return g_error_new (G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE, "%s (%s)", reason,
		                    self->address);
	}
	if (local->domain == G_TLS_ERROR)
		return g_error_new (G_TLS_ERROR, local->code, "TLS with the %s %s failed: %s",
		                    self->peer, self->address, local->message);
	if (local->domain == G_RESOLVER_ERROR)
		return g_error_new (G_IO_ERROR, G_IO_ERROR_HOST_NOT_FOUND, "cannot find the %s %s: %s",
		                    self->peer, self->host, local->message);
	if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
		return g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
		                    "the connection to the %s %s made no progress: timed out after "
		                    "%u s", self->peer, self->address, self->timeout);
	if (data->status != 0)
		return g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
		                    "the connection to the %s %s broke off during its answer (after "
		                    "%u bytes): %s", self->peer, self->address,
		                    data->answer != NULL ? data->answer->len : 0, local->message);
	if (data->request_sent)
		return g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
		                    "the connection to the %s %s closed before it answered (the "
		                    "request may have been processed): %s", self->peer, self->address,
		                    local->message);
	return g_error_new (G_IO_ERROR, local->domain == G_IO_ERROR ? local->code : G_IO_ERROR_FAILED,
	                    "cannot reach the %s %s: %s", self->peer, self->address, local->message);
}

/* ---- the request ---- */

static void
post_done (GTask *task)
{
	EsimHttpClient *self = g_task_get_source_object (task);
	PostData *data = g_task_get_task_data (task);

	count_http_bytes (self, data->msg);
	wire_sample (self);
}

static void
post_fail (GTask *task, GError *error)
{
	EsimHttpClient *self = g_task_get_source_object (task);
	PostData *data = g_task_get_task_data (task);
	g_autoptr(GError) mapped = post_error (self, data, error);

	if (data->stream != NULL) {
		/* drop the connection rather than read what is left (see the top) */
		g_cancellable_cancel (data->cancellable);
		g_input_stream_close_async (data->stream, G_PRIORITY_DEFAULT, data->cancellable, NULL,
		                            NULL);
	}
	post_done (task);
	g_debug ("%s %s: POST %s failed after %" G_GINT64_FORMAT " ms: %s", self->peer,
	         self->address, data->path, (g_get_monotonic_time () - data->started) / 1000,
	         mapped->message);
	g_task_return_error (task, g_steal_pointer (&mapped));
}

/* Fails the request for a reason of ours (too large, wrong status…). */
static void
post_abort (GTask *task, GError *reason)
{
	PostData *data = g_task_get_task_data (task);

	g_clear_error (&data->abort_error);
	data->abort_error = reason;
	post_fail (task, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "aborted"));
}

static void
post_closed (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	EsimHttpClient *self = g_task_get_source_object (task);
	PostData *data = g_task_get_task_data (task);
	g_autoptr(GError) error = NULL;

	if (!g_input_stream_close_finish (G_INPUT_STREAM (source), res, &error))
		g_debug ("%s %s: closing the answer: %s", self->peer, self->address, error->message);
	g_clear_object (&data->stream);
	if (data->answer->len == 0 && !(data->flags & ESIM_HTTP_POST_EMPTY_ANSWER_OK)) {
		post_abort (task, g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		                               "the %s %s answered %s with an empty body (HTTP %u)",
		                               self->peer, self->address, data->path, data->status));
		return;
	}
	post_done (task);
	g_debug ("%s %s: POST %s: HTTP %u, %u bytes in %" G_GINT64_FORMAT " ms", self->peer,
	         self->address, data->path, data->status, data->answer->len,
	         (g_get_monotonic_time () - data->started) / 1000);
	g_task_return_pointer (task, g_byte_array_free_to_bytes (g_steal_pointer (&data->answer)),
	                       (GDestroyNotify) g_bytes_unref);
}

static void post_read (GObject *source, GAsyncResult *res, gpointer user_data);

static void
post_read_next (GTask *task)
{
	PostData *data = g_task_get_task_data (task);
	/* one byte more than allowed is enough to know the answer is too large */
	gsize want = MIN ((gsize) READ_CHUNK, data->max_answer - data->answer->len + 1);

	g_input_stream_read_bytes_async (data->stream, want, G_PRIORITY_DEFAULT, data->cancellable,
	                                 post_read, task);
}

static GError *
too_large_error (EsimHttpClient *self, PostData *data)
{
	return g_error_new (G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
	                    "the answer of the %s %s to %s is larger than %" G_GSIZE_FORMAT
	                    " bytes", self->peer, self->address, data->path, data->max_answer);
}

static void
post_read (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	EsimHttpClient *self = g_task_get_source_object (task);
	PostData *data = g_task_get_task_data (task);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), res,
	                                                            &error);

	if (chunk == NULL) {
		post_fail (task, g_steal_pointer (&error));
		g_object_unref (task);
		return;
	}
	if (g_bytes_get_size (chunk) == 0) {
		g_input_stream_close_async (data->stream, G_PRIORITY_DEFAULT, data->cancellable,
		                            post_closed, task);
		return;
	}
	g_byte_array_append (data->answer, g_bytes_get_data (chunk, NULL),
	                     (guint) g_bytes_get_size (chunk));
	if (data->answer->len > data->max_answer) {
		post_abort (task, too_large_error (self, data));
		g_object_unref (task);
		return;
	}
	post_read_next (task);
}

static void
post_sent (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	EsimHttpClient *self = g_task_get_source_object (task);
	PostData *data = g_task_get_task_data (task);
	g_autoptr(GError) error = NULL;
	SoupMessageHeaders *headers;
	goffset declared;

	data->stream = soup_session_send_finish (SOUP_SESSION (source), res, &error);
	if (data->stream == NULL) {
		post_fail (task, g_steal_pointer (&error));
		g_object_unref (task);
		return;
	}
	data->request_sent = TRUE;
	data->status = soup_message_get_status (data->msg);
	wire_sample (self);
	if (!SOUP_STATUS_IS_SUCCESSFUL (data->status)) {
		const gchar *reason = soup_message_get_reason_phrase (data->msg);

		post_abort (task, g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED,
		                               "the %s %s answered %s with HTTP %u %s", self->peer,
		                               self->address, data->path, data->status,
		                               reason != NULL ? reason : ""));
		g_object_unref (task);
		return;
	}
	headers = soup_message_get_response_headers (data->msg);
	declared = soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH ?
	           soup_message_headers_get_content_length (headers) : 0;
	if (declared > 0 && (guint64) declared > data->max_answer) {
		post_abort (task, too_large_error (self, data));
		g_object_unref (task);
		return;
	}
	data->answer = g_byte_array_sized_new ((guint) MIN ((guint64) MAX (declared, 0),
	                                                    (guint64) data->max_answer));
	post_read_next (task);
}

/* A resumed TLS session skipped the verification this client's trust would
 * have made: check its certificate against our database now. */
static void
check_resumed_session (EsimHttpClient *self, GTask *task, GTlsConnection *tls,
                       EsimHttpTrust *trust)
{
	PostData *data = g_task_get_task_data (task);
	GTlsCertificateFlags errors = trust->resumed_errors;

	if (trust->resumed_verifications == 0) {
		GTlsCertificate *peer = g_tls_connection_get_peer_certificate (tls);
		GSocketConnectable *identity =
			g_tls_client_connection_get_server_identity (G_TLS_CLIENT_CONNECTION (tls));

		errors = peer == NULL ? G_TLS_CERTIFICATE_GENERIC_ERROR :
		         g_tls_database_verify_chain (self->database, peer,
		                                      G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER,
		                                      identity, NULL, G_TLS_DATABASE_VERIFY_NONE,
		                                      NULL, NULL);
	}
	if (errors != 0 && data->abort_error == NULL) {
		g_autofree gchar *reason = esim_tls_describe_certificate_errors (self->database, errors,
		                                                                 self->peer, self->host);

		data->abort_error = g_error_new (G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE, "%s (%s)",
		                                 reason, self->address);
		g_cancellable_cancel (data->cancellable);
	}
}

/* Whether glib-networking keeps a session for @tls (see the top). */
static gboolean
keeps_session (GTlsConnection *tls)
{
	g_autoptr(GIOStream) base = NULL;
	g_autoptr(GSocketAddress) remote = NULL;

	if (!G_IS_TLS_CLIENT_CONNECTION (tls) || g_test_initialized ())
		return FALSE;
	g_object_get (tls, "base-io-stream", &base, NULL);
	if (!G_IS_SOCKET_CONNECTION (base))
		return FALSE;
	remote = g_socket_connection_get_remote_address (G_SOCKET_CONNECTION (base), NULL);
	return G_IS_INET_SOCKET_ADDRESS (remote);
}

static void
on_network_event (SoupMessage *msg, GSocketClientEvent event, GIOStream *connection,
                  gpointer user_data)
{
	GTask *task = user_data;
	EsimHttpClient *self = g_task_get_source_object (task);
	PostData *data = g_task_get_task_data (task);

	switch (event) {
	case G_SOCKET_CLIENT_CONNECTED:
		self->counters.connections++;
		wire_new_connection (self, G_SOCKET_CONNECTION (connection));
		g_debug ("%s %s: connection %u opened", self->peer, self->address,
		         self->counters.connections);
		break;
	case G_SOCKET_CLIENT_TLS_HANDSHAKING: {
		g_autoptr(GTlsDatabase) trust = esim_http_trust_new (self->database,
		                                                     G_TLS_CONNECTION (connection));

		g_set_object (&data->tls, G_TLS_CONNECTION (connection));
		g_tls_connection_set_database (data->tls, trust);
		if (self->last_tls != NULL && G_IS_TLS_CLIENT_CONNECTION (connection))
			g_tls_client_connection_copy_session_state (G_TLS_CLIENT_CONNECTION (connection),
			                                            self->last_tls);
		break;
	}
	case G_SOCKET_CLIENT_TLS_HANDSHAKED: {
		GTlsDatabase *database = g_tls_connection_get_database (G_TLS_CONNECTION (connection));
		EsimHttpTrust *trust = ESIM_IS_HTTP_TRUST (database) ? ESIM_HTTP_TRUST (database) : NULL;
		gboolean resumed = trust != NULL && trust->full_verifications == 0;
		/* transfer full */
		g_autofree gchar *suite =
			g_tls_connection_get_ciphersuite_name (G_TLS_CONNECTION (connection));

		self->counters.tls_handshakes++;
		wire_sample (self);
		if (resumed) {
			self->counters.tls_handshakes_resumed++;
			check_resumed_session (self, task, G_TLS_CONNECTION (connection), trust);
		}
		/* asked now: a closed connection no longer knows its address */
		if (data->abort_error == NULL && keeps_session (G_TLS_CONNECTION (connection)))
			g_set_object (&self->last_tls, G_TLS_CLIENT_CONNECTION (connection));
		g_debug ("%s %s: TLS %s (%s)", self->peer, self->address,
		         resumed ? "session resumed" : "handshake done", suite);
		break;
	}
	default:
		break;
	}
}

static void
on_wrote_body (SoupMessage *msg, gpointer user_data)
{
	EsimHttpClient *self = g_task_get_source_object (G_TASK (user_data));
	PostData *data = g_task_get_task_data (G_TASK (user_data));

	data->request_sent = TRUE;
	wire_sample (self);
}

/* Just before the headers go out, after the session added its own: only the
 * headers the bindings use (SGP.32 §6.1.1 as onomondo-ipa src/ipa/http.c
 * cites it; sgp32-digest's ESipa table; lpac for ES9+), as those curl-based
 * clients send them.  libsoup's content decoder asks for gzip (nothing an eIM
 * or SM-DP+ answers gains from it; it still decodes a server that compresses
 * anyway), and "Connection: Keep-Alive" is HTTP/1.0's: HTTP/1.1 connections
 * persist without it (RFC 9112 §9.3).  About 60 bytes a request. */
static void
on_starting (SoupMessage *msg, gpointer user_data)
{
	SoupMessageHeaders *headers = soup_message_get_request_headers (msg);

	soup_message_headers_remove (headers, "Accept-Encoding");
	soup_message_headers_remove (headers, "Connection");
}

static void
on_caller_cancelled (GCancellable *caller, gpointer user_data)
{
	g_cancellable_cancel (G_CANCELLABLE (user_data));
}

void
esim_http_client_post_async (EsimHttpClient *self, const gchar *path, const gchar *content_type,
                             GBytes *body, const gchar *const *headers, gsize max_answer,
                             EsimHttpPostFlags flags, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = NULL;
	g_autoptr(GUri) uri = NULL;
	SoupMessageHeaders *request_headers;
	PostData *data;

	g_return_if_fail (ESIM_IS_HTTP_CLIENT (self));
	g_return_if_fail (path != NULL && path[0] == '/');
	g_return_if_fail (content_type != NULL);
	g_return_if_fail (body != NULL);
	g_return_if_fail (max_answer > 0);

	task = g_task_new (self, cancellable, callback, user_data);
	g_task_set_source_tag (task, esim_http_client_post_async);
	data = g_new0 (PostData, 1);
	data->max_answer = max_answer;
	data->flags = flags;
	data->path = g_strdup (path);
	data->started = g_get_monotonic_time ();
	data->cancellable = g_cancellable_new ();
	g_task_set_task_data (task, data, (GDestroyNotify) post_data_free);
	if (cancellable != NULL) {
		data->caller_cancellable = g_object_ref (cancellable);
		data->caller_cancelled_id = g_cancellable_connect (cancellable,
		                                                   G_CALLBACK (on_caller_cancelled),
		                                                   g_object_ref (data->cancellable),
		                                                   g_object_unref);
	}

	uri = g_uri_build (G_URI_FLAGS_NONE, "https", NULL, self->host,
	                   self->port != 0 ? self->port : -1, path, NULL, NULL);
	data->msg = soup_message_new_from_uri (SOUP_METHOD_POST, uri);
	soup_message_add_flags (data->msg, SOUP_MESSAGE_IDEMPOTENT | SOUP_MESSAGE_NO_REDIRECT |
	                                   SOUP_MESSAGE_COLLECT_METRICS);
	soup_message_set_request_body_from_bytes (data->msg, content_type, body);
	request_headers = soup_message_get_request_headers (data->msg);
	for (guint i = 0; headers != NULL && headers[i] != NULL && headers[i + 1] != NULL; i += 2)
		soup_message_headers_replace (request_headers, headers[i], headers[i + 1]);
	g_signal_connect (data->msg, "network-event", G_CALLBACK (on_network_event), task);
	g_signal_connect (data->msg, "wrote-body", G_CALLBACK (on_wrote_body), task);
	g_signal_connect (data->msg, "starting", G_CALLBACK (on_starting), NULL);

	self->counters.requests++;
	g_debug ("%s %s: POST %s (%" G_GSIZE_FORMAT " bytes)", self->peer, self->address, path,
	         g_bytes_get_size (body));
	soup_session_send_async (self->session, data->msg, G_PRIORITY_DEFAULT, data->cancellable,
	                         post_sent, g_object_ref (task));
}

GBytes *
esim_http_client_post_finish (EsimHttpClient *self, GAsyncResult *res, guint *status,
                              GError **error)
{
	PostData *data;

	g_return_val_if_fail (g_task_is_valid (res, self), NULL);

	data = g_task_get_task_data (G_TASK (res));
	if (status != NULL)
		*status = data->status;
	return g_task_propagate_pointer (G_TASK (res), error);
}

gboolean
esim_http_client_post_was_sent (EsimHttpClient *self, GAsyncResult *res)
{
	PostData *data;

	g_return_val_if_fail (g_task_is_valid (res, self), TRUE);

	data = g_task_get_task_data (G_TASK (res));
	return data->request_sent;
}

/* ---- object ---- */

static void
esim_http_client_dispose (GObject *object)
{
	EsimHttpClient *self = ESIM_HTTP_CLIENT (object);

	if (self->session != NULL)
		soup_session_abort (self->session);
	g_clear_object (&self->session);
	g_clear_object (&self->tcp);
	g_clear_object (&self->last_tls);
	G_OBJECT_CLASS (esim_http_client_parent_class)->dispose (object);
}

static void
esim_http_client_finalize (GObject *object)
{
	EsimHttpClient *self = ESIM_HTTP_CLIENT (object);

	g_clear_object (&self->database);
	g_free (self->address);
	g_free (self->host);
	g_free (self->peer);
	G_OBJECT_CLASS (esim_http_client_parent_class)->finalize (object);
}

static void
esim_http_client_class_init (EsimHttpClientClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS (klass);

	object_class->dispose = esim_http_client_dispose;
	object_class->finalize = esim_http_client_finalize;
}

static void
esim_http_client_init (EsimHttpClient *self)
{
	self->timeout = ESIM_HTTP_DEFAULT_TIMEOUT;
}

EsimHttpClient *
esim_http_client_new (const gchar *address, const gchar *peer, GTlsDatabase *database,
                      GError **error)
{
	g_autoptr(EsimHttpClient) self = NULL;
	g_autofree gchar *host = NULL;
	guint16 port = 0;

	g_return_val_if_fail (address != NULL, NULL);
	g_return_val_if_fail (peer != NULL, NULL);
	g_return_val_if_fail (G_IS_TLS_DATABASE (database), NULL);

	if (!esim_server_address_parse (address, &host, &port, error))
		return NULL;
	self = g_object_new (ESIM_TYPE_HTTP_CLIENT, NULL);
	self->address = g_strdup (address);
	self->host = g_steal_pointer (&host);
	self->port = port;
	self->peer = g_strdup (peer);
	self->database = g_object_ref (database);
	self->session = soup_session_new_with_options ("tls-database", database,
	                                               "timeout", self->timeout,
	                                               "idle-timeout", IDLE_TIMEOUT,
	                                               "max-conns", 1,
	                                               "max-conns-per-host", 1,
	                                               "user-agent", PACKAGE_NAME "/" PACKAGE_VERSION,
	                                               NULL);
	return g_steal_pointer (&self);
}

const gchar *
esim_http_client_get_address (EsimHttpClient *self)
{
	g_return_val_if_fail (ESIM_IS_HTTP_CLIENT (self), NULL);
	return self->address;
}

const gchar *
esim_http_client_get_host (EsimHttpClient *self)
{
	g_return_val_if_fail (ESIM_IS_HTTP_CLIENT (self), NULL);
	return self->host;
}

const gchar *
esim_http_client_get_peer (EsimHttpClient *self)
{
	g_return_val_if_fail (ESIM_IS_HTTP_CLIENT (self), NULL);
	return self->peer;
}

void
esim_http_client_set_timeout (EsimHttpClient *self, guint seconds)
{
	g_return_if_fail (ESIM_IS_HTTP_CLIENT (self));
	g_return_if_fail (seconds > 0);

	self->timeout = seconds;
	soup_session_set_timeout (self->session, seconds);
}

guint
esim_http_client_get_timeout (EsimHttpClient *self)
{
	g_return_val_if_fail (ESIM_IS_HTTP_CLIENT (self), 0);
	return self->timeout;
}

void
esim_http_client_set_user_agent (EsimHttpClient *self, const gchar *user_agent)
{
	g_return_if_fail (ESIM_IS_HTTP_CLIENT (self));
	soup_session_set_user_agent (self->session, user_agent);
}

void
esim_http_client_close (EsimHttpClient *self)
{
	g_return_if_fail (ESIM_IS_HTTP_CLIENT (self));

	wire_sample (self);
	soup_session_abort (self->session);
}
