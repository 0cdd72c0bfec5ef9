/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * EsimHttpClient against an HTTPS SoupServer in this process: keep-alive,
 * counters, size limits enforced while reading, timeouts (a 1 s timeout set
 * by the test: nothing here measures time), HTTP errors, connections
 * dropped before and during an answer, cancellation, unreachable servers.
 */

#include <string.h>

#include "esim-ci-store.h"
#include "esim-http.h"
#include "esim-tls-database.h"
#include "net-test-util.h"

#define WAIT_SECONDS   20
#define LIMIT          (64 * 1024)
#define STREAM_CHUNK   (64 * 1024)
#define STREAM_TOTAL   (64 * 1024 * 1024)
#define READ_SLACK     (3 * 16384)

typedef struct {
	NetTestCert *ci;
	NetTestCert *leaf;
	NetTestServer *server;
	GTlsDatabase *database;
	EsimHttpClient *client;
	GCancellable *cancellable;
	GBytes *chunk;            /* what the streaming handler sends */
	gsize streamed;           /* bytes the streaming handler queued */
	gboolean stream_finished; /* the server is done with the streamed answer */
	GPtrArray *held;          /* paused server messages */
} Fixture;

static void handler (NetTestServer *server, SoupServerMessage *msg, const gchar *path,
                     gpointer user_data);

static void
fixture_setup (Fixture *fixture, gconstpointer data)
{
	g_autoptr(EsimCiStore) store = esim_ci_store_new ();
	g_autoptr(GPtrArray) listed = g_ptr_array_new_with_free_func (g_free);
	g_autoptr(GBytes) der = NULL;
	g_autofree gchar *address = NULL;
	g_autoptr(GError) error = NULL;

	fixture->ci = net_test_ca_new ("Test CI");
	fixture->leaf = net_test_server_cert_new (fixture->ci, "smdp.test", -60, 3600);
	der = g_bytes_new (net_test_cert_get_pem (fixture->ci),
	                   strlen (net_test_cert_get_pem (fixture->ci)));
	g_assert_true (esim_ci_store_add_certificate (store, der, "test CI", &error));
	g_assert_no_error (error);
	g_ptr_array_add (listed, g_strdup (net_test_cert_get_key_id (fixture->ci)));
	fixture->database = esim_tls_database_new (store, listed, NULL);
	fixture->server = net_test_server_new (fixture->leaf, NULL);
	net_test_server_set_handler (fixture->server, handler, fixture);
	address = net_test_server_address (fixture->server, "smdp.test");
	fixture->client = esim_http_client_new (address, "SM-DP+", fixture->database, &error);
	g_assert_no_error (error);
	fixture->cancellable = g_cancellable_new ();
	fixture->held = g_ptr_array_new_with_free_func (g_object_unref);
	{
		guint8 *filler = g_malloc (STREAM_CHUNK);

		memset (filler, 'x', STREAM_CHUNK);
		fixture->chunk = g_bytes_new_take (filler, STREAM_CHUNK);
	}
}

static void
fixture_teardown (Fixture *fixture, gconstpointer data)
{
	g_clear_object (&fixture->client);
	for (guint i = 0; i < fixture->held->len; i++)
		soup_server_message_unpause (g_ptr_array_index (fixture->held, i));
	net_test_server_free (fixture->server);
	g_ptr_array_unref (fixture->held);
	g_object_unref (fixture->database);
	g_object_unref (fixture->cancellable);
	g_bytes_unref (fixture->chunk);
	net_test_cert_free (fixture->leaf);
	net_test_cert_free (fixture->ci);
}

/* ---- the server's behaviours, by path ---- */

static void
stream_next_chunk (SoupServerMessage *msg, gpointer user_data)
{
	Fixture *fixture = user_data;
	SoupMessageBody *body = soup_server_message_get_response_body (msg);

	if (fixture->streamed >= STREAM_TOTAL) {
		soup_message_body_complete (body);
	} else {
		soup_message_body_append_bytes (body, fixture->chunk);
		fixture->streamed += g_bytes_get_size (fixture->chunk);
	}
	soup_server_message_unpause (msg);
}

static void
stream_finished (SoupServerMessage *msg, gpointer user_data)
{
	Fixture *fixture = user_data;

	fixture->stream_finished = TRUE;
}

/* Writes @raw on the connection of @msg, as the server's whole answer, and
 * closes it: a server that dies mid-answer. */
static void
answer_raw_and_close (SoupServerMessage *msg, const gchar *raw)
{
	g_autoptr(GIOStream) io = soup_server_message_steal_connection (msg);
	g_autoptr(GError) error = NULL;

	if (raw[0] != '\0')
		g_output_stream_write_all (g_io_stream_get_output_stream (io), raw, strlen (raw), NULL,
		                           NULL, &error);
	g_assert_no_error (error);
	g_io_stream_close (io, NULL, NULL);
}

static gboolean
cancel_idle (gpointer user_data)
{
	g_cancellable_cancel (G_CANCELLABLE (user_data));
	return G_SOURCE_REMOVE;
}

static GBytes *
gzip (const gchar *text)
{
	g_autoptr(GZlibCompressor) compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, -1);
	g_autoptr(GOutputStream) memory = g_memory_output_stream_new_resizable ();
	g_autoptr(GOutputStream) out = g_converter_output_stream_new (memory, G_CONVERTER (compressor));
	g_autoptr(GError) error = NULL;

	g_assert_true (g_output_stream_write_all (out, text, strlen (text), NULL, NULL, &error));
	g_assert_true (g_output_stream_close (out, NULL, &error));
	g_assert_no_error (error);
	return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (memory));
}

static void
handler (NetTestServer *server, SoupServerMessage *msg, const gchar *path, gpointer user_data)
{
	Fixture *fixture = user_data;
	SoupMessageHeaders *response_headers = soup_server_message_get_response_headers (msg);

	if (g_str_equal (path, "/echo")) {
		g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));

		soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
		soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY,
		                                  g_bytes_get_data (body, NULL),
		                                  g_bytes_get_size (body));
	} else if (g_str_equal (path, "/big-declared")) {
		g_autofree gchar *big = g_strnfill (LIMIT + 1, 'x');

		net_test_respond (msg, SOUP_STATUS_OK, "application/json", big);
	} else if (g_str_equal (path, "/at-limit")) {
		g_autofree gchar *exact = g_strnfill (LIMIT, 'x');

		net_test_respond (msg, SOUP_STATUS_OK, "application/json", exact);
	} else if (g_str_equal (path, "/big-stream")) {
		soup_message_headers_set_encoding (response_headers, SOUP_ENCODING_CHUNKED);
		soup_message_body_set_accumulate (soup_server_message_get_response_body (msg), FALSE);
		soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
		g_signal_connect (msg, "wrote-headers", G_CALLBACK (stream_next_chunk), fixture);
		g_signal_connect (msg, "wrote-chunk", G_CALLBACK (stream_next_chunk), fixture);
		g_signal_connect (msg, "finished", G_CALLBACK (stream_finished), fixture);
	} else if (g_str_equal (path, "/gzip")) {
		/* compressed although nobody asked: RFC 9110 §12.5.3 allows it */
		g_autoptr(GBytes) packed = gzip ("{\"compressed\":true}");

		soup_message_headers_replace (response_headers, "Content-Encoding", "gzip");
		soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
		soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY,
		                                  g_bytes_get_data (packed, NULL),
		                                  g_bytes_get_size (packed));
	} else if (g_str_equal (path, "/500")) {
		net_test_respond (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "text/plain", "oops");
	} else if (g_str_equal (path, "/204")) {
		soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
	} else if (g_str_equal (path, "/empty")) {
		net_test_respond (msg, SOUP_STATUS_OK, "application/json", "");
	} else if (g_str_equal (path, "/redirect")) {
		soup_message_headers_replace (response_headers, "Location", "/echo");
		net_test_respond (msg, SOUP_STATUS_FOUND, "text/plain", "moved");
	} else if (g_str_equal (path, "/stall")) {
		soup_server_message_pause (msg);
		g_ptr_array_add (fixture->held, g_object_ref (msg));
	} else if (g_str_equal (path, "/cancel")) {
		soup_server_message_pause (msg);
		g_ptr_array_add (fixture->held, g_object_ref (msg));
		g_idle_add (cancel_idle, fixture->cancellable);
	} else if (g_str_equal (path, "/drop-mid")) {
		answer_raw_and_close (msg, "HTTP/1.1 200 OK\r\n"
		                      "Content-Type: application/json\r\n"
		                      "Content-Length: 1000\r\n\r\n"
		                      "{\"header\":{\"functionExecutionStatus\":");
	} else if (g_str_equal (path, "/drop-before")) {
		answer_raw_and_close (msg, "");
	} else {
		net_test_respond (msg, SOUP_STATUS_NOT_FOUND, "text/plain", "no such path");
	}
}

/* ---- helpers ---- */

static GBytes *
post (EsimHttpClient *client, const gchar *path, const gchar *body, EsimHttpPostFlags flags,
      GCancellable *cancellable, guint *status, GError **error)
{
	static const gchar *const headers[] = { "X-Admin-Protocol", "gsma/rsp/v2.5.0", NULL };
	g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
	g_autoptr(GAsyncResult) result = NULL;

	esim_http_client_post_async (client, path, "application/json", bytes, headers, LIMIT, flags,
	                             cancellable, net_test_store_result, &result);
	net_test_wait_result (&result, WAIT_SECONDS, path);
	return esim_http_client_post_finish (client, result, status, error);
}

static void
wait_flag (gboolean *flag, const gchar *what)
{
	esim_test_wait_until_ms (WAIT_SECONDS * 1000, *flag, "%s", what);
}

static void
assert_text (GBytes *bytes, const gchar *text)
{
	g_assert_nonnull (bytes);
	g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), text,
	                 strlen (text));
}

/* ---- tests ---- */

static void
test_keep_alive (Fixture *fixture, gconstpointer data)
{
	EsimHttpCounters counters;
	guint64 body_bytes = 0;

	for (guint i = 0; i < 5; i++) {
		g_autofree gchar *body = g_strdup_printf ("{\"call\":%u}", i);
		g_autoptr(GError) error = NULL;
		g_autoptr(GBytes) answer = NULL;
		guint status = 0;

		answer = post (fixture->client, "/echo", body, ESIM_HTTP_POST_NONE, NULL, &status,
		               &error);
		g_assert_no_error (error);
		g_assert_cmpuint (status, ==, 200);
		assert_text (answer, body);
		body_bytes += strlen (body);
	}
	/* seen by both ends: one connection, one handshake, five requests */
	esim_http_client_get_counters (fixture->client, &counters);
	g_assert_cmpuint (counters.requests, ==, 5);
	g_assert_cmpuint (counters.connections, ==, 1);
	g_assert_cmpuint (counters.tls_handshakes, ==, 1);
	g_assert_cmpuint (counters.tls_handshakes_resumed, ==, 0);
	g_assert_cmpuint (net_test_server_get_connections (fixture->server), ==, 1);
	g_assert_cmpuint (net_test_server_get_requests (fixture->server), ==, 5);
	g_assert_cmpuint (counters.http_bytes_sent, >, body_bytes);
	g_assert_cmpuint (counters.http_bytes_received, >, body_bytes);
#ifdef __linux__
	/* TLS records and the handshake come on top of HTTP */
	g_assert_cmpuint (counters.wire_bytes_sent, >, counters.http_bytes_sent);
	g_assert_cmpuint (counters.wire_bytes_received, >, counters.http_bytes_received);
#endif

	/* what the server received */
	g_assert_cmpstr (net_test_server_get_last_path (fixture->server), ==, "/echo");
	g_assert_cmpstr (net_test_server_get_last_header (fixture->server, "X-Admin-Protocol"), ==,
	                 "gsma/rsp/v2.5.0");
	g_assert_cmpstr (net_test_server_get_last_header (fixture->server, "Content-Type"), ==,
	                 "application/json");
	g_assert_true (g_str_has_prefix (net_test_server_get_last_header (fixture->server,
	                                                                  "User-Agent"), "esimd/"));

	/* the end of a procedure closes the connection; the next one opens another */
	esim_http_client_close (fixture->client);
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(GBytes) answer = post (fixture->client, "/echo", "{}", ESIM_HTTP_POST_NONE,
		                                 NULL, NULL, &error);

		g_assert_no_error (error);
		g_assert_nonnull (answer);
		esim_http_client_get_counters (fixture->client, &counters);
		g_assert_cmpuint (counters.connections, ==, 2);
		g_assert_cmpuint (net_test_server_get_connections (fixture->server), ==, 2);
	}
}

/* Only the headers the bindings use (Host, User-Agent, X-Admin-Protocol,
 * Content-Type, Content-Length; SGP.32 §6.1.1 as onomondo-ipa src/ipa/http.c
 * cites it), as the curl-based IPAs send them: no Accept-Encoding
 * (nothing an eIM or SM-DP+ answers gains from gzip) and no "Connection:
 * Keep-Alive" (HTTP/1.1 connections persist without it, RFC 9112 §9.3).
 * Every byte counts on NB-IoT: the two cost about 60 bytes a request. */
static void
test_request_headers (Fixture *fixture, gconstpointer data)
{
	EsimHttpCounters counters;

	for (guint i = 0; i < 3; i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GBytes) answer = post (fixture->client, "/echo", "{}", ESIM_HTTP_POST_NONE,
		                                 NULL, NULL, &error);

		g_assert_no_error (error);
		assert_text (answer, "{}");
		g_assert_null (net_test_server_get_last_header (fixture->server, "Accept-Encoding"));
		g_assert_null (net_test_server_get_last_header (fixture->server, "Connection"));
		g_assert_nonnull (net_test_server_get_last_header (fixture->server, "Host"));
		g_assert_nonnull (net_test_server_get_last_header (fixture->server, "User-Agent"));
		g_assert_cmpstr (net_test_server_get_last_header (fixture->server, "Content-Length"), ==,
		                 "2");
	}
	/* the connection persists all the same */
	esim_http_client_get_counters (fixture->client, &counters);
	g_assert_cmpuint (counters.connections, ==, 1);
	g_assert_cmpuint (net_test_server_get_connections (fixture->server), ==, 1);

	/* a server that compresses anyway is still understood */
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(GBytes) answer = post (fixture->client, "/gzip", "{}", ESIM_HTTP_POST_NONE,
		                                 NULL, NULL, &error);

		g_assert_no_error (error);
		assert_text (answer, "{\"compressed\":true}");
	}
}

static void
test_size_limit_declared (Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) answer = NULL;
	EsimHttpCounters counters;

	/* exactly at the limit is fine */
	answer = post (fixture->client, "/at-limit", "{}", ESIM_HTTP_POST_NONE, NULL, NULL, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (g_bytes_get_size (answer), ==, LIMIT);
	g_clear_pointer (&answer, g_bytes_unref);

	answer = post (fixture->client, "/big-declared", "{}", ESIM_HTTP_POST_NONE, NULL, NULL,
	               &error);
	g_assert_null (answer);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
	g_assert_nonnull (strstr (error->message, "larger than 65536 bytes"));
	esim_http_client_get_counters (fixture->client, &counters);
	/* refused on its Content-Length: the body was never read */
	g_assert_cmpuint (counters.http_bytes_received, <, 2 * LIMIT);
}

static void
test_size_limit_stream (Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) answer = NULL;
	EsimHttpCounters counters;

	answer = post (fixture->client, "/big-stream", "{}", ESIM_HTTP_POST_NONE, NULL, NULL, &error);
	g_assert_null (answer);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
	esim_http_client_get_counters (fixture->client, &counters);
	/* read up to the limit and stopped: neither buffered nor drained */
	g_assert_cmpuint (counters.http_bytes_received, <=, LIMIT + READ_SLACK);
	g_clear_error (&error);
	/* …and the connection was dropped, not read to the end in the background */
	wait_flag (&fixture->stream_finished, "the end of the streamed answer");
	g_assert_cmpuint (fixture->streamed, <, STREAM_TOTAL);

	/* the connection was dropped; the client goes on with a new one */
	answer = post (fixture->client, "/echo", "{}", ESIM_HTTP_POST_NONE, NULL, NULL, &error);
	g_assert_no_error (error);
	assert_text (answer, "{}");
	esim_http_client_get_counters (fixture->client, &counters);
	g_assert_cmpuint (counters.connections, ==, 2);
}

static void
test_http_error (Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) answer = NULL;
	guint status = 0;

	answer = post (fixture->client, "/500", "{}", ESIM_HTTP_POST_NONE, NULL, &status, &error);
	g_assert_null (answer);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
	g_assert_cmpuint (status, ==, 500);
	g_assert_nonnull (strstr (error->message, "the SM-DP+ smdp.test:"));
	g_assert_nonnull (strstr (error->message, "HTTP 500"));
	g_clear_error (&error);

	/* redirects are not followed */
	answer = post (fixture->client, "/redirect", "{}", ESIM_HTTP_POST_NONE, NULL, &status, &error);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
	g_assert_cmpuint (status, ==, 302);
	g_assert_cmpuint (net_test_server_get_requests (fixture->server), ==, 2);
}

static void
test_empty_answer (Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) answer = NULL;

	answer = post (fixture->client, "/204", "{}", ESIM_HTTP_POST_NONE, NULL, NULL, &error);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
	g_assert_nonnull (strstr (error->message, "empty body (HTTP 204)"));
	g_clear_error (&error);
	answer = post (fixture->client, "/empty", "{}", ESIM_HTTP_POST_NONE, NULL, NULL, &error);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
	g_clear_error (&error);

	answer = post (fixture->client, "/204", "{}", ESIM_HTTP_POST_EMPTY_ANSWER_OK, NULL, NULL,
	               &error);
	g_assert_no_error (error);
	g_assert_cmpuint (g_bytes_get_size (answer), ==, 0);
	g_clear_pointer (&answer, g_bytes_unref);
	answer = post (fixture->client, "/empty", "{}", ESIM_HTTP_POST_EMPTY_ANSWER_OK, NULL, NULL,
	               &error);
	g_assert_no_error (error);
	g_assert_cmpuint (g_bytes_get_size (answer), ==, 0);
}

static void
test_timeout_answer (Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) answer = NULL;

	g_assert_cmpuint (esim_http_client_get_timeout (fixture->client), ==,
	                  ESIM_HTTP_DEFAULT_TIMEOUT);
	esim_http_client_set_timeout (fixture->client, 1);
	answer = post (fixture->client, "/stall", "{}", ESIM_HTTP_POST_NONE, NULL, NULL, &error);
	g_assert_null (answer);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
	g_assert_nonnull (strstr (error->message, "timed out after 1 s"));
}

/* A server that accepts TCP and never speaks TLS. */
static void
test_timeout_handshake (Fixture *fixture, gconstpointer data)
{
	g_autoptr(NetTestSilentServer) silent = net_test_silent_server_new ();
	g_autofree gchar *address = g_strdup_printf ("silent.test:%u",
	                                             net_test_silent_server_get_port (silent));
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimHttpClient) client = esim_http_client_new (address, "SM-DP+",
	                                                         fixture->database, &error);
	g_autoptr(GBytes) answer = NULL;

	g_assert_no_error (error);
	esim_http_client_set_timeout (client, 1);
	answer = post (client, "/echo", "{}", ESIM_HTTP_POST_NONE, NULL, NULL, &error);
	g_assert_null (answer);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
}

static void
test_dropped_mid_answer (Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) answer = NULL;

	answer = post (fixture->client, "/drop-mid", "{}", ESIM_HTTP_POST_NONE, NULL, NULL, &error);
	g_assert_null (answer);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
	g_assert_nonnull (strstr (error->message, "broke off during its answer"));
	g_clear_error (&error);

	answer = post (fixture->client, "/drop-before", "{}", ESIM_HTTP_POST_NONE, NULL, NULL,
	               &error);
	g_assert_null (answer);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
	g_assert_nonnull (strstr (error->message, "closed before it answered"));
	/* never resent: the server saw each request once */
	g_assert_cmpuint (net_test_server_get_requests (fixture->server), ==, 2);
}

static void
test_cancel (Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) answer = NULL;

	answer = post (fixture->client, "/cancel", "{}", ESIM_HTTP_POST_NONE, fixture->cancellable,
	               NULL, &error);
	g_assert_null (answer);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_unreachable (Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(EsimHttpClient) nowhere = NULL;
	g_autoptr(EsimHttpClient) refused = NULL;
	g_autofree gchar *closed_address = NULL;

	nowhere = esim_http_client_new ("nowhere.invalid", "SM-DP+", fixture->database, &error);
	g_assert_no_error (error);
	answer = post (nowhere, "/echo", "{}", ESIM_HTTP_POST_NONE, NULL, NULL, &error);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_HOST_NOT_FOUND);
	g_assert_nonnull (strstr (error->message, "cannot find the SM-DP+ nowhere.invalid"));
	g_clear_error (&error);

	{
		g_autoptr(NetTestSilentServer) gone = net_test_silent_server_new ();

		closed_address = g_strdup_printf ("closed.test:%u",
		                                  net_test_silent_server_get_port (gone));
	}
	refused = esim_http_client_new (closed_address, "SM-DP+", fixture->database, &error);
	g_assert_no_error (error);
	answer = post (refused, "/echo", "{}", ESIM_HTTP_POST_NONE, NULL, NULL, &error);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
	g_assert_nonnull (strstr (error->message, "cannot reach the SM-DP+ closed.test:"));
}

static void
test_bad_address (void)
{
	g_autoptr(GTlsDatabase) database = NULL;
	g_autoptr(EsimCiStore) store = esim_ci_store_new ();
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimHttpClient) client = NULL;

	database = esim_tls_database_new (store, NULL, NULL);
	client = esim_http_client_new ("smdp.test:99999", "SM-DP+", database, &error);
	g_assert_null (client);
	g_assert_nonnull (error);
	g_clear_error (&error);
	client = esim_http_client_new ("smdp.test/x", "SM-DP+", database, &error);
	g_assert_null (client);
	g_assert_nonnull (error);
}

#define ADD(path, func) \
	g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int argc, char **argv)
{
	net_test_init ();
	g_test_init (&argc, &argv, NULL);

	ADD ("/net/http/keep-alive", test_keep_alive);
	ADD ("/net/http/request-headers", test_request_headers);
	ADD ("/net/http/size-limit-declared", test_size_limit_declared);
	ADD ("/net/http/size-limit-stream", test_size_limit_stream);
	ADD ("/net/http/http-error", test_http_error);
	ADD ("/net/http/empty-answer", test_empty_answer);
	ADD ("/net/http/timeout-answer", test_timeout_answer);
	ADD ("/net/http/timeout-handshake", test_timeout_handshake);
	ADD ("/net/http/dropped", test_dropped_mid_answer);
	ADD ("/net/http/cancel", test_cancel);
	ADD ("/net/http/unreachable", test_unreachable);
	g_test_add_func ("/net/http/bad-address", test_bad_address);
	return g_test_run ();
}
