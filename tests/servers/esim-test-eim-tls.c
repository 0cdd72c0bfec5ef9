/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The test eIM's HTTPS listener.  It accepts TCP itself and runs TLS itself,
 * with gnutls, so that it can count what a benchmark wants (connections,
 * handshakes full or resumed, the bytes on the wire) and resume sessions
 * as a production server does: session tickets (RFC 8446 §4.6.1, RFC 5077)
 * with a key per listener.  glib-networking's server side enables no
 * session tickets, so behind GTlsServerConnection no IPA could ever resume.
 *
 * Each connection: the TCP socket, a socket pair whose one end libsoup
 * serves as a plain HTTP connection (soup_server_accept_iostream), and a
 * thread that does the TLS handshake on the TCP socket and then pumps
 * records between the two.  libsoup keeps such connections alive only while
 * the server has a listening socket of its own (soup-server.c
 * request_finished tests priv->listeners), so it gets one nobody can reach:
 * an abstract UNIX socket, whose requests the eIM refuses anyway.
 */

#define G_LOG_DOMAIN "esim-test-eim"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixsocketaddress.h>
#include <gnutls/gnutls.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "esim-test-eim-private.h"

#define HANDSHAKE_TIMEOUT_MS 30000
#define PUMP_CHUNK           16384

/* What the listener and its connection threads share. */
typedef struct {
	gint            refcount;
	GMutex          lock;
	EsimTestEimCounters counters;   /* the TLS and wire fields */
	gnutls_certificate_credentials_t credentials;
	gnutls_datum_t  ticket_key;
} Shared;

struct _EimConnection {
	Shared            *shared;
	GSocketConnection *tcp;         /* main thread: kept for addresses and shutdown */
	GSocket           *app;         /* libsoup's end of the pair */
	int                tcp_fd;
	int                pump_fd;     /* the thread's end of the pair */
	GThread           *thread;
	gint               done;        /* atomic: the thread has finished */
	gint               dropping;    /* atomic: a fault closes it without close_notify */
	gchar             *key;
};

struct _EimListener {
	GSocketService *service;
	guint16         port;
	SoupServer     *server;
	Shared         *shared;
	GHashTable     *connections;    /* key -> EimConnection */
};

static Shared *
shared_ref (Shared *shared)
{
	g_atomic_int_inc (&shared->refcount);
	return shared;
}

static void
shared_unref (Shared *shared)
{
	if (!g_atomic_int_dec_and_test (&shared->refcount))
		return;
	gnutls_certificate_free_credentials (shared->credentials);
	gnutls_memset (shared->ticket_key.data, 0, shared->ticket_key.size);
	gnutls_free (shared->ticket_key.data);
	g_mutex_clear (&shared->lock);
	g_free (shared);
}

/* ------------------------------------------------------------------------ */
/* the connection thread */

static void
count_bytes (EimConnection *connection, gboolean sent, gssize n)
{
	if (n <= 0)
		return;
	g_mutex_lock (&connection->shared->lock);
	if (sent)
		connection->shared->counters.wire_bytes_sent += (guint64) n;
	else
		connection->shared->counters.wire_bytes_received += (guint64) n;
	g_mutex_unlock (&connection->shared->lock);
}

static ssize_t
tls_push (gnutls_transport_ptr_t user_data, const void *data, size_t len)
{
	EimConnection *connection = user_data;
	ssize_t n = send (connection->tcp_fd, data, len, MSG_NOSIGNAL);

	count_bytes (connection, TRUE, n);
	return n;
}

static ssize_t
tls_pull (gnutls_transport_ptr_t user_data, void *data, size_t len)
{
	EimConnection *connection = user_data;
	ssize_t n = recv (connection->tcp_fd, data, len, 0);

	count_bytes (connection, FALSE, n);
	return n;
}

static int
tls_pull_timeout (gnutls_transport_ptr_t user_data, unsigned int ms)
{
	EimConnection *connection = user_data;
	struct pollfd fd = { .fd = connection->tcp_fd, .events = POLLIN };

	return poll (&fd, 1, ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 : (int) ms);
}

static gboolean
write_all (int fd, const guint8 *data, gsize len)
{
	while (len > 0) {
		ssize_t n = send (fd, data, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		data += n;
		len -= (gsize) n;
	}
	return TRUE;
}

/* TLS records from the client to libsoup; FALSE when the client is gone. */
static gboolean
pump_from_client (EimConnection *connection, gnutls_session_t session, guint8 *buffer)
{
	do {
		ssize_t n = gnutls_record_recv (session, buffer, PUMP_CHUNK);

		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			return TRUE;
		if (n <= 0)
			return FALSE;   /* close_notify, EOF or a TLS error */
		if (!write_all (connection->pump_fd, buffer, (gsize) n))
			return FALSE;
	} while (gnutls_record_check_pending (session) > 0);
	return TRUE;
}

/* libsoup's answer to the client; FALSE when libsoup closed the connection. */
static gboolean
pump_to_client (EimConnection *connection, gnutls_session_t session, guint8 *buffer)
{
	ssize_t n = recv (connection->pump_fd, buffer, PUMP_CHUNK, 0);
	gsize done = 0;

	if (n < 0 && errno == EINTR)
		return TRUE;
	if (n <= 0)
		return FALSE;
	while (done < (gsize) n) {
		ssize_t sent = gnutls_record_send (session, buffer + done, (gsize) n - done);

		if (sent == GNUTLS_E_AGAIN || sent == GNUTLS_E_INTERRUPTED)
			continue;
		if (sent <= 0)
			return FALSE;
		done += (gsize) sent;
	}
	return TRUE;
}

static gboolean
handshake (EimConnection *connection, gnutls_session_t session)
{
	Shared *shared = connection->shared;
	int rc;

	do {
		rc = gnutls_handshake (session);
	} while (rc < 0 && !gnutls_error_is_fatal (rc));
	g_mutex_lock (&shared->lock);
	if (rc < 0)
		shared->counters.tls_handshake_failures++;
	else
		shared->counters.tls_handshakes++;
	if (rc >= 0 && gnutls_session_is_resumed (session))
		shared->counters.tls_handshakes_resumed++;
	g_mutex_unlock (&shared->lock);
	if (rc < 0)
		g_message ("TLS handshake with a client failed: %s", gnutls_strerror (rc));
	return rc >= 0;
}

static gpointer
connection_thread (gpointer user_data)
{
	EimConnection *connection = user_data;
	g_autofree guint8 *buffer = g_malloc (PUMP_CHUNK);
	gnutls_session_t session = NULL;
	int flags = fcntl (connection->tcp_fd, F_GETFL);

	/* blocking I/O in this thread; the main thread only shuts it down */
	fcntl (connection->tcp_fd, F_SETFL, flags & ~O_NONBLOCK);
	if (gnutls_init (&session, GNUTLS_SERVER) < 0 ||
	    gnutls_credentials_set (session, GNUTLS_CRD_CERTIFICATE, connection->shared->credentials) < 0 ||
	    gnutls_set_default_priority (session) < 0 ||
	    gnutls_session_ticket_enable_server (session, &connection->shared->ticket_key) < 0)
		goto out;
	gnutls_certificate_server_set_request (session, GNUTLS_CERT_IGNORE);
	gnutls_transport_set_ptr (session, connection);
	gnutls_transport_set_push_function (session, tls_push);
	gnutls_transport_set_pull_function (session, tls_pull);
	gnutls_transport_set_pull_timeout_function (session, tls_pull_timeout);
	gnutls_handshake_set_timeout (session, HANDSHAKE_TIMEOUT_MS);
	if (!handshake (connection, session))
		goto out;
	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = connection->tcp_fd, .events = POLLIN },
			{ .fd = connection->pump_fd, .events = POLLIN },
		};

		if (poll (fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) && !pump_from_client (connection, session, buffer))
			break;
		if ((fds[1].revents & (POLLIN | POLLHUP | POLLERR)) && !pump_to_client (connection, session, buffer)) {
			/* libsoup closed it: a clean TLS close (RFC 8446 §6.1), without
			 * which a client must not resume the session; a fault drops it */
			if (!g_atomic_int_get (&connection->dropping))
				gnutls_bye (session, GNUTLS_SHUT_WR);
			break;
		}
	}
out:
	/* either side gone: close the other (libsoup sees EOF, the client the TCP close) */
	shutdown (connection->pump_fd, SHUT_RDWR);
	shutdown (connection->tcp_fd, SHUT_RDWR);
	if (session != NULL)
		gnutls_deinit (session);
	g_atomic_int_set (&connection->done, TRUE);
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* the main thread */

static void
connection_free (EimConnection *connection)
{
	/* wakes the thread if it still runs: its poll sees the hang-up */
	shutdown (connection->tcp_fd, SHUT_RDWR);
	shutdown (connection->pump_fd, SHUT_RDWR);
	if (connection->thread != NULL)
		g_thread_join (connection->thread);
	close (connection->pump_fd);
	g_clear_object (&connection->app);
	g_clear_object (&connection->tcp);
	shared_unref (connection->shared);
	g_free (connection->key);
	g_free (connection);
}

static gchar *
address_key (GSocketAddress *address)
{
	g_autofree gchar *ip = NULL;

	if (!G_IS_INET_SOCKET_ADDRESS (address))
		return g_strdup ("?");
	ip = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
	return g_strdup_printf ("%s:%u", ip, g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)));
}

gchar *
eim_listener_connection_key (SoupServerMessage *msg)
{
	return address_key (soup_server_message_get_remote_address (msg));
}

/* Connections whose thread ended leave the table. */
static void
prune_connections (EimListener *listener)
{
	GHashTableIter iter;
	EimConnection *connection;

	g_hash_table_iter_init (&iter, listener->connections);
	while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &connection)) {
		if (g_atomic_int_get (&connection->done))
			g_hash_table_iter_remove (&iter);
	}
}

static gboolean
listener_incoming (GSocketService *service, GSocketConnection *tcp, GObject *source, gpointer user_data)
{
	EimListener *listener = user_data;
	g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address (tcp, NULL);
	g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (tcp, NULL);
	g_autoptr(GSocketConnection) app_stream = NULL;
	g_autoptr(GError) error = NULL;
	EimConnection *connection;
	int pair[2];

	prune_connections (listener);
	g_mutex_lock (&listener->shared->lock);
	listener->shared->counters.connections++;
	g_mutex_unlock (&listener->shared->lock);
	if (local == NULL || remote == NULL ||
	    socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
		g_warning ("cannot take a connection: %s", g_strerror (errno));
		return TRUE;
	}
	connection = g_new0 (EimConnection, 1);
	connection->shared = shared_ref (listener->shared);
	connection->tcp = g_object_ref (tcp);
	connection->tcp_fd = g_socket_get_fd (g_socket_connection_get_socket (tcp));
	connection->pump_fd = pair[1];
	connection->app = g_socket_new_from_fd (pair[0], &error);
	if (connection->app == NULL) {
		close (pair[0]);
		connection_free (connection);
		return TRUE;
	}
	/* libsoup serves its end as a plain connection from the client's address */
	app_stream = g_socket_connection_factory_create_connection (connection->app);
	if (!soup_server_accept_iostream (listener->server, G_IO_STREAM (app_stream), local, remote, &error)) {
		connection_free (connection);
		return TRUE;
	}
	connection->key = address_key (remote);
	connection->thread = g_thread_new ("esim-test-eim-tls", connection_thread, connection);
	g_hash_table_replace (listener->connections, connection->key, connection);
	return TRUE;
}

/* The listening socket libsoup wants before it keeps connections alive. */
static gboolean
give_soup_a_listener (SoupServer *server, GError **error)
{
	static gint serial;
	g_autoptr(GSocket) socket = NULL;
	g_autoptr(GSocketAddress) address = NULL;
	g_autofree gchar *name = g_strdup_printf ("esim-test-eim-%d-%d", (int) getpid (),
	                                          g_atomic_int_add (&serial, 1));

	socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, error);
	if (socket == NULL)
		return FALSE;
	address = g_unix_socket_address_new_with_type (name, -1, G_UNIX_SOCKET_ADDRESS_ABSTRACT);
	return g_socket_bind (socket, address, FALSE, error) && g_socket_listen (socket, error) &&
	       soup_server_listen_socket (server, socket, 0, error);
}

static Shared *
shared_new (const EimListenerSetup *setup, GError **error)
{
	Shared *shared = g_new0 (Shared, 1);
	gnutls_datum_t chain = { (unsigned char *) setup->chain_pem, (unsigned int) strlen (setup->chain_pem) };
	gnutls_datum_t key = { (unsigned char *) setup->key_pem, (unsigned int) strlen (setup->key_pem) };
	int rc;

	shared->refcount = 1;
	g_mutex_init (&shared->lock);
	if ((rc = gnutls_certificate_allocate_credentials (&shared->credentials)) < 0 ||
	    (rc = gnutls_certificate_set_x509_key_mem2 (shared->credentials, &chain, &key, GNUTLS_X509_FMT_PEM, NULL,
	                                                0)) < 0 ||
	    (rc = gnutls_session_ticket_key_generate (&shared->ticket_key)) < 0) {
		g_set_error (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_FAILED, "TLS credentials: %s",
		             gnutls_strerror (rc));
		if (shared->credentials != NULL)
			gnutls_certificate_free_credentials (shared->credentials);
		g_mutex_clear (&shared->lock);
		g_free (shared);
		return NULL;
	}
	return shared;
}

EimListener *
eim_listener_new (const gchar *address, guint16 port, const EimListenerSetup *setup, GError **error)
{
	g_autoptr(GInetAddress) ip = g_inet_address_new_from_string (address);
	g_autoptr(GSocketAddress) socket_address = NULL;
	g_autoptr(GSocketAddress) effective = NULL;
	EimListener *listener;

	if (ip == NULL) {
		g_set_error (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_INVALID,
		             "'%s' is not an IP address to listen on", address);
		return NULL;
	}
	listener = g_new0 (EimListener, 1);
	listener->server = g_object_ref (setup->server);
	listener->connections = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
	                                               (GDestroyNotify) connection_free);
	listener->shared = shared_new (setup, error);
	if (listener->shared == NULL || !give_soup_a_listener (listener->server, error)) {
		eim_listener_free (listener);
		return NULL;
	}
	listener->service = g_socket_service_new ();
	socket_address = g_inet_socket_address_new (ip, port);
	if (!g_socket_listener_add_address (G_SOCKET_LISTENER (listener->service), socket_address,
	                                    G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &effective, error)) {
		eim_listener_free (listener);
		return NULL;
	}
	listener->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
	g_signal_connect (listener->service, "incoming", G_CALLBACK (listener_incoming), listener);
	g_socket_service_start (listener->service);
	return listener;
}

void
eim_listener_free (EimListener *listener)
{
	if (listener == NULL)
		return;
	if (listener->service != NULL) {
		g_socket_service_stop (listener->service);
		g_socket_listener_close (G_SOCKET_LISTENER (listener->service));
		g_signal_handlers_disconnect_by_data (listener->service, listener);
		g_object_unref (listener->service);
	}
	/* every connection thread is woken and joined */
	g_hash_table_unref (listener->connections);
	g_clear_object (&listener->server);
	if (listener->shared != NULL)
		shared_unref (listener->shared);
	g_free (listener);
}

guint16
eim_listener_get_port (EimListener *listener)
{
	return listener->port;
}

void
eim_listener_drop (EimListener *listener, SoupServerMessage *msg)
{
	g_autofree gchar *key = eim_listener_connection_key (msg);
	EimConnection *connection = g_hash_table_lookup (listener->connections, key);

	/* libsoup's end closes: the thread sends what libsoup wrote, then closes
	 * the TCP connection, with no close_notify: a connection lost */
	if (connection != NULL) {
		g_atomic_int_set (&connection->dropping, TRUE);
		g_socket_shutdown (connection->app, FALSE, TRUE, NULL);
	}
}

void
eim_listener_get_counters (EimListener *listener, EsimTestEimCounters *counters)
{
	g_mutex_lock (&listener->shared->lock);
	*counters = listener->shared->counters;
	g_mutex_unlock (&listener->shared->lock);
}

void
eim_listener_reset_counters (EimListener *listener)
{
	g_mutex_lock (&listener->shared->lock);
	memset (&listener->shared->counters, 0, sizeof (listener->shared->counters));
	g_mutex_unlock (&listener->shared->lock);
}
