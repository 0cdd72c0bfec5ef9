/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Teardown of an in-process HTTPS SoupServer that never waits on a client.
 *
 * What libsoup 3.2 and glib-networking 2.74 do (read in their sources):
 * - GNOME/libsoup libsoup/server/soup-server-connection.c
 *   soup_server_connection_setup_async(): an accepted HTTPS connection gets
 *   its first SoupServerMessage (and the server's "request-started") before
 *   g_tls_connection_handshake_async(), which is passed no cancellable;
 *   disconnect_internal(): soup_server_disconnect() closes each connection
 *   with a synchronous g_io_stream_close().
 * - GNOME/glib-networking tls/base/gtlsconnection-base.c
 *   g_tls_connection_base_handshake_async(): the handshake runs in a
 *   GLib thread-pool thread with timeout -1 ("blocking"), reading the
 *   socket until the client sends or closes; claim_op(): a close waits,
 *   without a timeout, for a handshake in progress to end.
 * So freeing a server whose client (in this same process) gave up in the
 * middle of a handshake blocks the main loop in the close, and the client's
 * socket, closed only from that main loop, never sends the EOF the
 * handshake thread waits for: a deadlock.
 *
 * The way out at the server: remember the socket of every connection from
 * the moment it is accepted, and shut each one down (shutdown(2): the
 * handshake thread's read returns end of file, the handshake fails, the
 * close can claim the connection) before soup_server_disconnect().  The
 * server is going away, so no close_notify is owed; clients see the
 * connection end as they would if the process had died.
 */

#include "esim-test-server-guard.h"

#define GUARD_KEY "esim-test-server-guard"

/* GSocket -> itself (a reference): sockets of accepted connections.  Every
 * path in libsoup closes a connection's socket (g_io_stream_close on its
 * GSocketConnection), so the reference keeps no descriptor open. */
static GHashTable *
guard_sockets (SoupServer *server)
{
	return g_object_get_data (G_OBJECT (server), GUARD_KEY);
}

static void
prune_closed (GHashTable *sockets)
{
	GHashTableIter iter;
	GSocket *socket;

	g_hash_table_iter_init (&iter, sockets);
	while (g_hash_table_iter_next (&iter, (gpointer *) &socket, NULL)) {
		if (g_socket_is_closed (socket))
			g_hash_table_iter_remove (&iter);
	}
}

/* On the main thread: libsoup emits it from the accept (the first message,
 * before the handshake) and from its reads (each following one). */
static void
request_started (SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
	GHashTable *sockets = user_data;
	GSocket *socket = soup_server_message_get_socket (msg);

	/* NULL for a stream given with soup_server_accept_iostream () */
	if (socket == NULL || g_hash_table_contains (sockets, socket))
		return;
	prune_closed (sockets);
	g_hash_table_add (sockets, g_object_ref (socket));
}

void
esim_test_server_guard_attach (SoupServer *server)
{
	GHashTable *sockets;

	g_return_if_fail (SOUP_IS_SERVER (server));
	g_return_if_fail (guard_sockets (server) == NULL);

	sockets = g_hash_table_new_full (g_direct_hash, g_direct_equal, g_object_unref, NULL);
	g_object_set_data_full (G_OBJECT (server), GUARD_KEY, sockets, (GDestroyNotify) g_hash_table_unref);
	g_signal_connect (server, "request-started", G_CALLBACK (request_started), sockets);
}

void
esim_test_server_guard_disconnect (SoupServer *server)
{
	GHashTable *sockets;
	GHashTableIter iter;
	GSocket *socket;

	g_return_if_fail (SOUP_IS_SERVER (server));

	sockets = guard_sockets (server);
	if (sockets != NULL) {
		g_hash_table_iter_init (&iter, sockets);
		while (g_hash_table_iter_next (&iter, (gpointer *) &socket, NULL)) {
			if (!g_socket_is_closed (socket))
				g_socket_shutdown (socket, TRUE, TRUE, NULL);
		}
		g_hash_table_remove_all (sockets);
	}
	soup_server_disconnect (server);
}

/* The sockets of accepted connections not closed yet (for the tests). */
GPtrArray *
esim_test_server_guard_dup_sockets (SoupServer *server)
{
	GPtrArray *open = g_ptr_array_new_with_free_func (g_object_unref);
	GHashTable *sockets;
	GHashTableIter iter;
	GSocket *socket;

	g_return_val_if_fail (SOUP_IS_SERVER (server), open);

	sockets = guard_sockets (server);
	if (sockets == NULL)
		return open;
	prune_closed (sockets);
	g_hash_table_iter_init (&iter, sockets);
	while (g_hash_table_iter_next (&iter, (gpointer *) &socket, NULL))
		g_ptr_array_add (open, g_object_ref (socket));
	return open;
}
