/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Freeing an in-process test server returns even while a client sits in the
 * middle of a TLS handshake with it: a raw TCP client sends half a
 * ClientHello (or nothing) and is never closed, as a client cancelled
 * mid-handshake whose socket only the (blocked) main loop would close.  A
 * watchdog thread fails the test, naming the server, if the free does not
 * return in time (the hang this guards against is esim-test-server-guard.c).
 */

#include <string.h>

#include "esim-test-server-guard.h"
#include "esim-test-smdp-private.h"
#include "esim-test-smdp.h"
#include "test-eim-util.h"

#define ACCEPT_SECONDS 10
#define FREE_SECONDS   10

/* ---- a watchdog for a call that blocks the main thread ---- */

typedef struct {
	GMutex       lock;
	GCond        cond;
	gboolean     done;
	const gchar *what;
	GThread     *thread;
} Watchdog;

static gpointer
watchdog_thread (gpointer user_data)
{
	Watchdog *watchdog = user_data;
	gint64 deadline = g_get_monotonic_time () + FREE_SECONDS * G_TIME_SPAN_SECOND;

	g_mutex_lock (&watchdog->lock);
	while (!watchdog->done) {
		if (!g_cond_wait_until (&watchdog->cond, &watchdog->lock, deadline) && !watchdog->done) {
			g_printerr ("Bail out! %s did not return within %d s (blocked on a client's unfinished TLS handshake)\n",
			            watchdog->what, FREE_SECONDS);
			abort ();
		}
	}
	g_mutex_unlock (&watchdog->lock);
	return NULL;
}

static void
watchdog_start (Watchdog *watchdog, const gchar *what)
{
	memset (watchdog, 0, sizeof (*watchdog));
	g_mutex_init (&watchdog->lock);
	g_cond_init (&watchdog->cond);
	watchdog->what = what;
	watchdog->thread = g_thread_new ("watchdog", watchdog_thread, watchdog);
}

static void
watchdog_stop (Watchdog *watchdog)
{
	g_mutex_lock (&watchdog->lock);
	watchdog->done = TRUE;
	g_cond_signal (&watchdog->cond);
	g_mutex_unlock (&watchdog->lock);
	g_thread_join (watchdog->thread);
	g_mutex_clear (&watchdog->lock);
	g_cond_clear (&watchdog->cond);
}

/* ---- the client that stops mid-handshake ---- */

/* A TLS record (RFC 8446 §5.1: ContentType handshake 22, legacy version
 * 0x0301, length 512) whose ClientHello (§4.1.2: type 1, length 508, legacy
 * version 0x0303, random …) stops after a few bytes: the server has read a
 * record header and waits for the rest of the record. */
static const guint8 half_client_hello[] = {
	0x16, 0x03, 0x01, 0x02, 0x00,
	0x01, 0x00, 0x01, 0xFC, 0x03, 0x03,
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
};

static GSocketConnection *
connect_raw (guint16 port, gboolean send_half_hello)
{
	g_autoptr(GSocketClient) client = g_socket_client_new ();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *address = g_strdup_printf ("127.0.0.1:%u", port);
	GSocketConnection *connection = g_socket_client_connect_to_host (client, address, 0, NULL, &error);

	g_assert_no_error (error);
	if (send_half_hello) {
		GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));

		g_assert_true (g_output_stream_write_all (out, half_client_hello, sizeof (half_client_hello), NULL, NULL,
		                                          &error));
		g_assert_no_error (error);
	}
	return connection;
}

/* Runs the main context until the SM-DP+ has accepted one connection and its
 * handshake thread has read all that was sent (it then waits for more). */
static void
wait_smdp_handshake_reading (EsimTestSmdp *smdp)
{
	gint64 deadline = g_get_monotonic_time () + ACCEPT_SECONDS * G_TIME_SPAN_SECOND;

	for (;;) {
		g_autoptr(GPtrArray) sockets = esim_test_server_guard_dup_sockets (smdp->server);

		if (sockets->len == 1 && g_socket_get_available_bytes (g_ptr_array_index (sockets, 0)) == 0)
			break;
		if (g_get_monotonic_time () > deadline)
			g_error ("the SM-DP+ never accepted the connection, or its handshake never read the ClientHello");
		g_main_context_iteration (NULL, FALSE);
		g_usleep (1000);
	}
	/* the handshake thread is in (or about to enter) its blocking read */
	g_usleep (50 * 1000);
}

static void
test_smdp (gconstpointer data)
{
	gboolean send_half_hello = GPOINTER_TO_INT (data);
	EsimTestSmdpOptions options = { .pki_dir = test_pki_get ()->dir, .host = "localhost" };
	g_autoptr(EsimTestSmdp) smdp = NULL;
	g_autoptr(GSocketConnection) client = NULL;
	g_autoptr(GError) error = NULL;
	Watchdog watchdog;

	smdp = esim_test_smdp_new (&options, &error);
	g_assert_no_error (error);
	g_assert_true (esim_test_smdp_listen (smdp, "127.0.0.1:0", &error));
	g_assert_no_error (error);
	client = connect_raw (esim_test_smdp_get_port (smdp), send_half_hello);
	wait_smdp_handshake_reading (smdp);

	watchdog_start (&watchdog, "freeing the test SM-DP+");
	g_clear_object (&smdp);
	watchdog_stop (&watchdog);

	/* the client sees its connection end */
	g_assert_true (g_io_stream_close (G_IO_STREAM (client), NULL, &error));
	g_assert_no_error (error);
	while (g_main_context_iteration (NULL, FALSE))
		;
}

static void
test_eim (void)
{
	g_autoptr(EsimTestEim) eim = NULL;
	g_autoptr(GSocketConnection) client = NULL;
	g_autoptr(GError) error = NULL;
	EsimTestEimCounters counters = { 0 };
	gint64 deadline = g_get_monotonic_time () + ACCEPT_SECONDS * G_TIME_SPAN_SECOND;
	Watchdog watchdog;

	eim = esim_test_eim_new (NULL, &error);
	g_assert_no_error (error);
	client = connect_raw (esim_test_eim_get_port (eim), TRUE);
	while (counters.connections == 0 || counters.wire_bytes_received < sizeof (half_client_hello)) {
		if (g_get_monotonic_time () > deadline)
			g_error ("the test eIM never accepted the connection, or never read the ClientHello");
		g_main_context_iteration (NULL, FALSE);
		g_usleep (1000);
		esim_test_eim_get_counters (eim, &counters);
	}
	g_usleep (50 * 1000);

	watchdog_start (&watchdog, "freeing the test eIM");
	g_clear_object (&eim);
	watchdog_stop (&watchdog);

	g_assert_true (g_io_stream_close (G_IO_STREAM (client), NULL, &error));
	g_assert_no_error (error);
	while (g_main_context_iteration (NULL, FALSE))
		;
}

int
main (int argc, char **argv)
{
	int ret;

	g_test_init (&argc, &argv, NULL);
	g_test_add_data_func ("/servers/teardown/smdp/half-client-hello", GINT_TO_POINTER (TRUE), test_smdp);
	g_test_add_data_func ("/servers/teardown/smdp/silent-client", GINT_TO_POINTER (FALSE), test_smdp);
	g_test_add_func ("/servers/teardown/eim/half-client-hello", test_eim);
	ret = g_test_run ();
	test_pki_cleanup ();
	return ret;
}
