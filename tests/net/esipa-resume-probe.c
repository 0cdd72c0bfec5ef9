/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * esipa-resume-probe: TLS session resumption across ESipa procedures, seen
 * where glib-networking resumes at all — a plain program, not a GTest one
 * (gtlsclientconnection-gnutls.c compute_session_id keeps no session when
 * g_test_initialized ()).  test-esipa-client runs it; the benchmark can take
 * its figures.  Against the test eIM (whose gnutls counts resumed handshakes
 * itself), one EsimEsipaClient:
 *   1. polls (GetEimPackage, "no package"), ends the procedure;
 *   2. polls again: the session is resumed (glib-networking's cache);
 *   3. empties glib-networking's cache for the eIM, as its ten minutes would
 *      (bare TLS handshakes that take the cached tickets and read nothing, so
 *      get none back), then polls again: resumed all the same, from the
 *      session the client kept (esim-http.c);
 *   4. for contrast, a new client for the same eIM after emptying the cache
 *      again: a full handshake.
 * It also checks that keeping the session keeps no connection open.  Prints one
 * line per step; exits 0 when every step went as described, 1 otherwise.
 */

#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "esim-esipa-client.h"
#include "esim-test-eim.h"

#define EID          "89049032123456789012345678901234"
#define WAIT_SECONDS 20

static gboolean
deadline_passed (gpointer user_data)
{
	*(gboolean *) user_data = TRUE;
	return G_SOURCE_REMOVE;
}

static void
store_result (GObject *source, GAsyncResult *res, gpointer user_data)
{
	*(GAsyncResult **) user_data = g_object_ref (res);
}

static gboolean
wait_result (GAsyncResult **res, const gchar *what)
{
	gboolean expired = FALSE;
	guint id = g_timeout_add_seconds (WAIT_SECONDS, deadline_passed, &expired);

	while (*res == NULL && !expired)
		g_main_context_iteration (NULL, TRUE);
	if (*res == NULL) {
		g_printerr ("%s never came (waited %u s)\n", what, WAIT_SECONDS);
		return FALSE;
	}
	g_source_remove (id);
	return TRUE;
}

/* TCP connections (not listeners) this process holds a descriptor of: the
 * socket inodes of /proc/self/fd found in /proc/self/net/tcp{,6}. */
static guint
count_tcp_connections (void)
{
	g_autoptr(GHashTable) inodes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
	const gchar *tables[] = { "/proc/self/net/tcp", "/proc/self/net/tcp6" };
	DIR *dir = opendir ("/proc/self/fd");
	struct dirent *entry;
	guint n = 0;

	if (dir == NULL)
		return 0;
	while ((entry = readdir (dir)) != NULL) {
		g_autofree gchar *path = g_strdup_printf ("/proc/self/fd/%s", entry->d_name);
		g_autofree gchar *target = g_file_read_link (path, NULL);

		if (target != NULL && g_str_has_prefix (target, "socket:["))
			g_hash_table_add (inodes, g_strndup (target + 8, strlen (target) - 9));
	}
	closedir (dir);
	for (guint t = 0; t < G_N_ELEMENTS (tables); t++) {
		g_autofree gchar *contents = NULL;
		g_auto(GStrv) lines = NULL;

		if (!g_file_get_contents (tables[t], &contents, NULL, NULL))
			continue;
		lines = g_strsplit (contents, "\n", -1);
		/* sl local remote st tx:rx tr:when retrnsmt uid timeout inode */
		for (guint i = 1; lines[i] != NULL; i++) {
			g_auto(GStrv) fields = g_strsplit_set (g_strstrip (lines[i]), " ", -1);
			g_autoptr(GPtrArray) words = g_ptr_array_new ();

			for (guint j = 0; fields[j] != NULL; j++) {
				if (fields[j][0] != '\0')
					g_ptr_array_add (words, fields[j]);
			}
			if (words->len > 9 && g_strcmp0 (words->pdata[3], "0A") != 0 &&
			    g_hash_table_contains (inodes, words->pdata[9]))
				n++;
		}
	}
	return n;
}

/* Waits (main loop running) until no TCP connection is left: the eIM closes
 * its end of each in its own time. */
static guint
settled_tcp_connections (void)
{
	gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;
	guint n;

	while ((n = count_tcp_connections ()) > 0 && g_get_monotonic_time () < deadline) {
		g_main_context_iteration (NULL, FALSE);
		g_usleep (10000);
	}
	return n;
}

/* One poll as a procedure: GetEimPackage, then the end of the procedure.
 * TRUE when it resumed a session. */
static gboolean
poll_once (EsimEsipaClient *client, EsimHttpCounters *before, EsimHttpCounters *after,
           gboolean *ok)
{
	EsimGetEimPackageRequest request = { .eid = EID, .state_change_cause = -1 };
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimEimPackage) package = NULL;
	EsimHttpClient *http = esim_esipa_client_get_http (client);

	esim_http_client_get_counters (http, before);
	esim_esipa_client_get_eim_package_async (client, &request, NULL, store_result, &res);
	if (!wait_result (&res, "GetEimPackage")) {
		*ok = FALSE;
		return FALSE;
	}
	package = esim_esipa_client_get_eim_package_finish (client, res, NULL, &error);
	if (package == NULL) {
		g_printerr ("GetEimPackage failed: %s\n", error->message);
		*ok = FALSE;
	}
	esim_http_client_get_counters (http, after);
	esim_esipa_client_end_procedure (client);
	/* let libsoup close what it closes in idle callbacks */
	while (g_main_context_iteration (NULL, FALSE))
		;
	return after->tls_handshakes_resumed > before->tls_handshakes_resumed;
}

/* A bare TLS handshake to the eIM with the same identity as libsoup's; it
 * reads nothing, so it takes a cached ticket and gets none back.  Async: the
 * eIM accepts on this thread's main loop. */
static gboolean
bare_handshake (EsimTestEim *eim, GTlsDatabase *trust)
{
	g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
	g_autoptr(GSocketConnection) tcp = NULL;
	g_autoptr(GSocketConnectable) identity = NULL;
	g_autoptr(GIOStream) tls = NULL;
	g_autoptr(GAsyncResult) connected = NULL;
	g_autoptr(GAsyncResult) handshaked = NULL;
	g_autoptr(GError) error = NULL;

	identity = g_network_address_parse (esim_test_eim_get_fqdn (eim), 443, &error);
	g_socket_client_connect_async (socket_client, identity, NULL, store_result, &connected);
	if (!wait_result (&connected, "the connection"))
		return FALSE;
	tcp = g_socket_client_connect_finish (socket_client, connected, &error);
	if (tcp == NULL) {
		g_printerr ("cannot connect: %s\n", error->message);
		return FALSE;
	}
	tls = g_tls_client_connection_new (G_IO_STREAM (tcp), identity, &error);
	if (tls == NULL) {
		g_printerr ("no TLS: %s\n", error->message);
		return FALSE;
	}
	g_tls_connection_set_database (G_TLS_CONNECTION (tls), trust);
	g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT, NULL,
	                                  store_result, &handshaked);
	if (!wait_result (&handshaked, "the handshake"))
		return FALSE;
	if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (tls), handshaked, &error)) {
		g_printerr ("handshake failed: %s\n", error->message);
		return FALSE;
	}
	g_io_stream_close (tls, NULL, NULL);
	return TRUE;
}

/* Takes every ticket glib-networking's cache holds for the eIM: bare
 * handshakes until one is a full one (the eIM counts them). */
static gboolean
empty_session_cache (EsimTestEim *eim, GTlsDatabase *trust)
{
	for (guint i = 0; i < 16; i++) {
		EsimTestEimCounters before, after;
		gboolean expired = FALSE;
		guint id;

		esim_test_eim_get_counters (eim, &before);
		if (!bare_handshake (eim, trust))
			return FALSE;
		/* the eIM counts in its connection thread: wait for it */
		id = g_timeout_add_seconds (WAIT_SECONDS, deadline_passed, &expired);
		do {
			g_main_context_iteration (NULL, FALSE);
			esim_test_eim_get_counters (eim, &after);
		} while (after.tls_handshakes + after.tls_handshake_failures == before.tls_handshakes +
		         before.tls_handshake_failures && !expired);
		g_source_remove (id);
		if (expired) {
			g_printerr ("the eIM never counted the bare handshake\n");
			return FALSE;
		}
		if (after.tls_handshakes_resumed == before.tls_handshakes_resumed)
			return TRUE;
	}
	g_printerr ("the session cache never ran empty\n");
	return FALSE;
}

static EsimEsipaClient *
new_client (EsimTestEim *eim)
{
	EsimTestEimConfigOptions config_options = { .tls_trust = ESIM_TEST_EIM_TLS_TRUST_CA };
	g_autoptr(GBytes) der = NULL;
	g_autoptr(EsimEimConfig) config = NULL;
	g_autoptr(GError) error = NULL;
	EsimEsipaClient *client;

	der = esim_test_eim_build_configuration (eim, &config_options, &error);
	if (der != NULL)
		config = esim_es10_parse_eim_config (g_bytes_get_data (der, NULL),
		                                     g_bytes_get_size (der), &error);
	client = config != NULL ? esim_esipa_client_new (config, NULL, &error) : NULL;
	if (client == NULL)
		g_printerr ("no client: %s\n", error->message);
	return client;
}

int
main (int argc, char **argv)
{
	EsimTestEimOptions options = { .accept_any_eid = TRUE };
	g_autoptr(EsimTestEim) eim = NULL;
	g_autoptr(GTlsDatabase) trust = NULL;
	g_autoptr(EsimEsipaClient) client = NULL;
	g_autoptr(EsimEsipaClient) fresh = NULL;
	g_autoptr(GError) error = NULL;
	EsimHttpCounters before, after;
	gboolean ok = TRUE;
	gboolean resumed;
	guint tcp;

	eim = esim_test_eim_new (&options, &error);
	if (eim == NULL || (trust = esim_test_eim_dup_tls_database (eim, &error)) == NULL) {
		g_printerr ("no test eIM: %s\n", error->message);
		return 1;
	}
	if ((client = new_client (eim)) == NULL)
		return 1;

	resumed = poll_once (client, &before, &after, &ok);
	printf ("first poll: %s, %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
	        " bytes on the wire sent/received\n", resumed ? "TLS session resumed" : "full TLS handshake",
	        after.wire_bytes_sent - before.wire_bytes_sent,
	        after.wire_bytes_received - before.wire_bytes_received);
	ok = ok && !resumed;

	resumed = poll_once (client, &before, &after, &ok);
	printf ("second poll: %s, %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
	        " bytes on the wire sent/received (empty poll), of which HTTP %" G_GUINT64_FORMAT
	        "/%" G_GUINT64_FORMAT "\n", resumed ? "TLS session resumed" : "full TLS handshake",
	        after.wire_bytes_sent - before.wire_bytes_sent,
	        after.wire_bytes_received - before.wire_bytes_received,
	        after.http_bytes_sent - before.http_bytes_sent,
	        after.http_bytes_received - before.http_bytes_received);
	ok = ok && resumed;

	if (!empty_session_cache (eim, trust))
		return 1;
	resumed = poll_once (client, &before, &after, &ok);
	printf ("third poll, after the cache was emptied: %s\n",
	        resumed ? "TLS session resumed" : "full TLS handshake");
	ok = ok && resumed;

	if (!empty_session_cache (eim, trust) || (fresh = new_client (eim)) == NULL)
		return 1;
	resumed = poll_once (fresh, &before, &after, &ok);
	printf ("a new client, after the cache was emptied: %s\n",
	        resumed ? "TLS session resumed" : "full TLS handshake");
	ok = ok && !resumed;

	/* the kept session holds no connection open */
	tcp = settled_tcp_connections ();
	printf ("TCP connections left open after the procedures: %u\n", tcp);
	ok = ok && tcp == 0;
	printf ("%s\n", ok ? "as expected" : "NOT as expected");
	return ok ? 0 : 1;
}
