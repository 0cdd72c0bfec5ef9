/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test helpers for src/net.  The certificates follow the shapes SGP.22
 * §4.5.2 gives and the SGP.26 test PKI uses (digest §8: P-256, policy OIDs
 * 2.23.146.1.2.1.0 for the CI and …1.3 for DPtls, DPtls host names in a
 * SAN); they are made here with gnutls so the suite needs no files.
 */

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <glib/gstdio.h>
#include <string.h>

#include "net-test-util.h"

#define CHECK_GNUTLS(expr) \
	G_STMT_START { \
		int check_ret_ = (expr); \
		if (check_ret_ < 0) { \
			g_printerr ("%s: %s\n", #expr, gnutls_strerror (check_ret_)); \
			g_assert_not_reached (); \
		} \
	} G_STMT_END

/* ------------------------------------------------------------------------ */
/* resolver: every *.test name is 127.0.0.1 */

#define NET_TYPE_TEST_RESOLVER (net_test_resolver_get_type ())
G_DECLARE_FINAL_TYPE (NetTestResolver, net_test_resolver, NET, TEST_RESOLVER, GResolver)

struct _NetTestResolver {
	GResolver parent_instance;
};

G_DEFINE_TYPE (NetTestResolver, net_test_resolver, G_TYPE_RESOLVER)

static GList *
resolve (const gchar *hostname, GResolverNameLookupFlags flags, GError **error)
{
	if (!g_str_has_suffix (hostname, ".test") || (flags & G_RESOLVER_NAME_LOOKUP_FLAGS_IPV6_ONLY)) {
		g_set_error (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND,
		             "no address for %s (test resolver)", hostname);
		return NULL;
	}
	return g_list_prepend (NULL, g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4));
}

static GList *
resolver_lookup_by_name_with_flags (GResolver *resolver, const gchar *hostname,
                                    GResolverNameLookupFlags flags, GCancellable *cancellable,
                                    GError **error)
{
	return resolve (hostname, flags, error);
}

static GList *
resolver_lookup_by_name (GResolver *resolver, const gchar *hostname, GCancellable *cancellable,
                         GError **error)
{
	return resolve (hostname, G_RESOLVER_NAME_LOOKUP_FLAGS_DEFAULT, error);
}

static void
resolver_lookup_by_name_with_flags_async (GResolver *resolver, const gchar *hostname,
                                          GResolverNameLookupFlags flags,
                                          GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new (resolver, cancellable, callback, user_data);
	GError *error = NULL;
	GList *addresses = resolve (hostname, flags, &error);

	if (addresses == NULL)
		g_task_return_error (task, error);
	else
		g_task_return_pointer (task, addresses, (GDestroyNotify) g_resolver_free_addresses);
}

static void
resolver_lookup_by_name_async (GResolver *resolver, const gchar *hostname,
                               GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data)
{
	resolver_lookup_by_name_with_flags_async (resolver, hostname,
	                                          G_RESOLVER_NAME_LOOKUP_FLAGS_DEFAULT, cancellable,
	                                          callback, user_data);
}

static GList *
resolver_lookup_by_name_finish (GResolver *resolver, GAsyncResult *res, GError **error)
{
	return g_task_propagate_pointer (G_TASK (res), error);
}

static void
net_test_resolver_class_init (NetTestResolverClass *klass)
{
	GResolverClass *resolver_class = G_RESOLVER_CLASS (klass);

	resolver_class->lookup_by_name = resolver_lookup_by_name;
	resolver_class->lookup_by_name_async = resolver_lookup_by_name_async;
	resolver_class->lookup_by_name_finish = resolver_lookup_by_name_finish;
	resolver_class->lookup_by_name_with_flags = resolver_lookup_by_name_with_flags;
	resolver_class->lookup_by_name_with_flags_async = resolver_lookup_by_name_with_flags_async;
	resolver_class->lookup_by_name_with_flags_finish = resolver_lookup_by_name_finish;
}

static void
net_test_resolver_init (NetTestResolver *self)
{
}

void
net_test_init (void)
{
	g_autoptr(GResolver) resolver = NULL;

	/* no proxy lookups (libproxy, desktop settings) in tests */
	g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
	resolver = g_object_new (NET_TYPE_TEST_RESOLVER, NULL);
	g_resolver_set_default (resolver);
}

/* ------------------------------------------------------------------------ */
/* certificates */

struct _NetTestCert {
	gnutls_x509_crt_t crt;
	gnutls_x509_privkey_t key;
	gchar *pem;       /* certificate followed by its PKCS#8 key */
	gchar *cert_pem;  /* certificate only */
	gchar *key_id;
};

static void
cert_finish (NetTestCert *cert, gnutls_x509_crt_t issuer, gnutls_x509_privkey_t issuer_key)
{
	gnutls_datum_t crt_pem = { NULL, 0 };
	gnutls_datum_t key_pem = { NULL, 0 };
	guint8 key_id[20];
	size_t key_id_len = sizeof (key_id);

	CHECK_GNUTLS (gnutls_x509_crt_sign2 (cert->crt, issuer, issuer_key, GNUTLS_DIG_SHA256, 0));
	CHECK_GNUTLS (gnutls_x509_crt_export2 (cert->crt, GNUTLS_X509_FMT_PEM, &crt_pem));
	CHECK_GNUTLS (gnutls_x509_privkey_export2_pkcs8 (cert->key, GNUTLS_X509_FMT_PEM, NULL,
	                                                 GNUTLS_PKCS_PLAIN, &key_pem));
	cert->cert_pem = g_strndup ((const gchar *) crt_pem.data, crt_pem.size);
	cert->pem = g_strdup_printf ("%s%.*s", cert->cert_pem, (int) key_pem.size, key_pem.data);
	gnutls_free (crt_pem.data);
	gnutls_free (key_pem.data);
	CHECK_GNUTLS (gnutls_x509_crt_get_subject_key_id (cert->crt, key_id, &key_id_len, NULL));
	cert->key_id = g_new0 (gchar, key_id_len * 2 + 1);
	for (gsize i = 0; i < key_id_len; i++)
		g_snprintf (cert->key_id + 2 * i, 3, "%02X", key_id[i]);
}

static NetTestCert *
cert_start (const gchar *common_name, gint64 not_before_s, gint64 not_after_s)
{
	NetTestCert *cert = g_new0 (NetTestCert, 1);
	guint8 serial[16];
	guint8 key_id[20];
	size_t key_id_len = sizeof (key_id);
	time_t now = time (NULL);

	CHECK_GNUTLS (gnutls_x509_privkey_init (&cert->key));
	CHECK_GNUTLS (gnutls_x509_privkey_generate (cert->key, GNUTLS_PK_ECDSA,
	                                            GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1),
	                                            0));
	CHECK_GNUTLS (gnutls_x509_crt_init (&cert->crt));
	CHECK_GNUTLS (gnutls_x509_crt_set_version (cert->crt, 3));
	for (gsize i = 0; i < sizeof (serial); i++)
		serial[i] = (guint8) g_random_int_range (0, 256);
	serial[0] &= 0x7F;
	serial[0] |= 0x01;
	CHECK_GNUTLS (gnutls_x509_crt_set_serial (cert->crt, serial, sizeof (serial)));
	CHECK_GNUTLS (gnutls_x509_crt_set_dn_by_oid (cert->crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0,
	                                             "esimd tests", strlen ("esimd tests")));
	CHECK_GNUTLS (gnutls_x509_crt_set_dn_by_oid (cert->crt, GNUTLS_OID_X520_COMMON_NAME, 0,
	                                             common_name, strlen (common_name)));
	CHECK_GNUTLS (gnutls_x509_crt_set_activation_time (cert->crt, now + not_before_s));
	CHECK_GNUTLS (gnutls_x509_crt_set_expiration_time (cert->crt, now + not_after_s));
	CHECK_GNUTLS (gnutls_x509_crt_set_key (cert->crt, cert->key));
	CHECK_GNUTLS (gnutls_x509_crt_get_key_id (cert->crt, GNUTLS_KEYID_USE_SHA1, key_id,
	                                          &key_id_len));
	CHECK_GNUTLS (gnutls_x509_crt_set_subject_key_id (cert->crt, key_id, key_id_len));
	return cert;
}

static void
set_policy (gnutls_x509_crt_t crt, const gchar *oid)
{
	gnutls_x509_policy_st policy;

	memset (&policy, 0, sizeof (policy));
	policy.oid = (char *) oid;
	CHECK_GNUTLS (gnutls_x509_crt_set_policy (crt, &policy, 1));
}

NetTestCert *
net_test_ca_new (const gchar *common_name)
{
	NetTestCert *cert = cert_start (common_name, -3600, 30 * 86400);

	CHECK_GNUTLS (gnutls_x509_crt_set_basic_constraints (cert->crt, 1, -1));
	CHECK_GNUTLS (gnutls_x509_crt_set_key_usage (cert->crt,
	                                             GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN));
	set_policy (cert->crt, "2.23.146.1.2.1.0");
	cert_finish (cert, cert->crt, cert->key);
	return cert;
}

NetTestCert *
net_test_server_cert_new (NetTestCert *ca, const gchar *host, gint64 not_before_s,
                          gint64 not_after_s)
{
	NetTestCert *cert = cert_start (host, not_before_s, not_after_s);
	guint8 ca_key_id[20];
	size_t ca_key_id_len = sizeof (ca_key_id);

	CHECK_GNUTLS (gnutls_x509_crt_set_basic_constraints (cert->crt, 0, -1));
	CHECK_GNUTLS (gnutls_x509_crt_set_key_usage (cert->crt, GNUTLS_KEY_DIGITAL_SIGNATURE));
	CHECK_GNUTLS (gnutls_x509_crt_set_key_purpose_oid (cert->crt, GNUTLS_KP_TLS_WWW_SERVER, 0));
	CHECK_GNUTLS (gnutls_x509_crt_set_subject_alt_name (cert->crt, GNUTLS_SAN_DNSNAME, host,
	                                                    strlen (host), GNUTLS_FSAN_SET));
	CHECK_GNUTLS (gnutls_x509_crt_get_subject_key_id (ca->crt, ca_key_id, &ca_key_id_len, NULL));
	CHECK_GNUTLS (gnutls_x509_crt_set_authority_key_id (cert->crt, ca_key_id, ca_key_id_len));
	set_policy (cert->crt, "2.23.146.1.2.1.3");
	cert_finish (cert, ca->crt, ca->key);
	return cert;
}

void
net_test_cert_free (NetTestCert *cert)
{
	if (cert == NULL)
		return;
	gnutls_x509_crt_deinit (cert->crt);
	gnutls_x509_privkey_deinit (cert->key);
	g_free (cert->pem);
	g_free (cert->cert_pem);
	g_free (cert->key_id);
	g_free (cert);
}

const gchar *
net_test_cert_get_pem (NetTestCert *cert)
{
	return cert->cert_pem;
}

const gchar *
net_test_cert_get_key_id (NetTestCert *cert)
{
	return cert->key_id;
}

void
net_test_write_pem (const gchar *dir, const gchar *name, NetTestCert *cert)
{
	g_autofree gchar *path = g_build_filename (dir, name, NULL);
	g_autoptr(GError) error = NULL;

	g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
	g_file_set_contents (path, cert->cert_pem, -1, &error);
	g_assert_no_error (error);
}

/* ------------------------------------------------------------------------ */
/* HTTPS server */

struct _NetTestServer {
	SoupServer *server;
	guint16 port;
	GHashTable *sockets;   /* GSocket* that carried requests (refs held) */
	guint requests;
	NetTestHandler handler;
	gpointer handler_data;
	gchar *last_path;
	GBytes *last_body;
	SoupMessageHeaders *last_headers;
};

static void
server_callback (SoupServer *soup_server, SoupServerMessage *msg, const char *path,
                 GHashTable *query, gpointer user_data)
{
	NetTestServer *server = user_data;
	SoupMessageBody *body = soup_server_message_get_request_body (msg);
	GSocket *socket = soup_server_message_get_socket (msg);
	g_autoptr(GBytes) flat = soup_message_body_flatten (body);

	server->requests++;
	if (socket != NULL && !g_hash_table_contains (server->sockets, socket))
		g_hash_table_add (server->sockets, g_object_ref (socket));
	g_free (server->last_path);
	server->last_path = g_strdup (path);
	g_clear_pointer (&server->last_body, g_bytes_unref);
	server->last_body = g_bytes_ref (flat);
	g_clear_pointer (&server->last_headers, soup_message_headers_unref);
	server->last_headers = soup_message_headers_ref (soup_server_message_get_request_headers (msg));

	if (server->handler != NULL)
		server->handler (server, msg, path, server->handler_data);
	else
		net_test_respond (msg, SOUP_STATUS_NOT_FOUND, "text/plain", "no handler");
}

NetTestServer *
net_test_server_new (NetTestCert *cert, NetTestCert *ca)
{
	NetTestServer *server = g_new0 (NetTestServer, 1);
	g_autoptr(GError) error = NULL;
	g_autoptr(GTlsCertificate) tls_cert = NULL;
	g_autofree gchar *pem = NULL;
	GSList *uris;

	/* the leaf, its key, then the CA: GLib takes the certificates after the
	 * first as its issuer chain */
	pem = g_strdup_printf ("%s%s", cert->pem, ca != NULL ? ca->cert_pem : "");
	tls_cert = g_tls_certificate_new_from_pem (pem, -1, &error);
	g_assert_no_error (error);
	server->sockets = g_hash_table_new_full (g_direct_hash, g_direct_equal, g_object_unref,
	                                         NULL);
	server->server = soup_server_new ("tls-certificate", tls_cert, NULL);
	soup_server_add_handler (server->server, NULL, server_callback, server, NULL);
	soup_server_listen_local (server->server, 0,
	                          SOUP_SERVER_LISTEN_HTTPS | SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
	g_assert_no_error (error);
	uris = soup_server_get_uris (server->server);
	g_assert_nonnull (uris);
	server->port = (guint16) g_uri_get_port (uris->data);
	g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
	return server;
}

void
net_test_server_free (NetTestServer *server)
{
	if (server == NULL)
		return;
	soup_server_disconnect (server->server);
	g_object_unref (server->server);
	g_hash_table_unref (server->sockets);
	g_free (server->last_path);
	g_clear_pointer (&server->last_body, g_bytes_unref);
	g_clear_pointer (&server->last_headers, soup_message_headers_unref);
	g_free (server);
}

guint16
net_test_server_get_port (NetTestServer *server)
{
	return server->port;
}

gchar *
net_test_server_address (NetTestServer *server, const gchar *host)
{
	return g_strdup_printf ("%s:%u", host, server->port);
}

void
net_test_server_set_handler (NetTestServer *server, NetTestHandler handler, gpointer user_data)
{
	server->handler = handler;
	server->handler_data = user_data;
}

guint
net_test_server_get_requests (NetTestServer *server)
{
	return server->requests;
}

guint
net_test_server_get_connections (NetTestServer *server)
{
	return g_hash_table_size (server->sockets);
}

const gchar *
net_test_server_get_last_path (NetTestServer *server)
{
	return server->last_path;
}

GBytes *
net_test_server_get_last_body (NetTestServer *server)
{
	return server->last_body;
}

const gchar *
net_test_server_get_last_header (NetTestServer *server, const gchar *name)
{
	if (server->last_headers == NULL)
		return NULL;
	return soup_message_headers_get_one (server->last_headers, name);
}

void
net_test_respond (SoupServerMessage *msg, guint status, const gchar *content_type,
                  const gchar *body)
{
	soup_server_message_set_status (msg, status, NULL);
	soup_server_message_set_response (msg, content_type, SOUP_MEMORY_COPY, body, strlen (body));
}

/* ------------------------------------------------------------------------ */
/* silent TCP server */

struct _NetTestSilentServer {
	GSocketService *service;
	GPtrArray *connections;
	guint16 port;
};

static gboolean
silent_incoming (GSocketService *service, GSocketConnection *connection, GObject *source,
                 gpointer user_data)
{
	NetTestSilentServer *server = user_data;

	/* keep it open, say nothing */
	g_ptr_array_add (server->connections, g_object_ref (connection));
	return TRUE;
}

NetTestSilentServer *
net_test_silent_server_new (void)
{
	NetTestSilentServer *server = g_new0 (NetTestSilentServer, 1);
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
	g_autoptr(GSocketAddress) effective = NULL;
	g_autoptr(GError) error = NULL;

	server->service = g_socket_service_new ();
	server->connections = g_ptr_array_new_with_free_func (g_object_unref);
	g_socket_listener_add_address (G_SOCKET_LISTENER (server->service), address,
	                               G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &effective,
	                               &error);
	g_assert_no_error (error);
	server->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
	g_signal_connect (server->service, "incoming", G_CALLBACK (silent_incoming), server);
	g_socket_service_start (server->service);
	return server;
}

guint16
net_test_silent_server_get_port (NetTestSilentServer *server)
{
	return server->port;
}

void
net_test_silent_server_free (NetTestSilentServer *server)
{
	if (server == NULL)
		return;
	g_socket_service_stop (server->service);
	g_socket_listener_close (G_SOCKET_LISTENER (server->service));
	g_object_unref (server->service);
	g_ptr_array_unref (server->connections);
	g_free (server);
}

/* ------------------------------------------------------------------------ */
/* waiting */

void
net_test_wait_result (GAsyncResult **result, guint seconds, const gchar *what)
{
	esim_test_wait_until_ms (seconds * 1000, *result != NULL, "%s", what);
}

void
net_test_store_result (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GAsyncResult **result = user_data;

	*result = g_object_ref (res);
}
