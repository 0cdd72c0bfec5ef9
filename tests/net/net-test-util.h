/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers of the 'net' suite: certificates made with gnutls in the test (a
 * CI and DPtls-like server certificates), an HTTPS SoupServer in the test
 * process, a resolver that sends every *.test name to 127.0.0.1, and a
 * main-loop wait with a deadline.
 */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "esim-test-wait.h"

G_BEGIN_DECLS

/* Installs the test resolver and the dummy proxy resolver; call before
 * g_test_init's first GIO use. */
void net_test_init (void);

/* ---- certificates ---- */
typedef struct _NetTestCert NetTestCert;

/* A self-signed CA shaped like a GSMA CI (SGP.22 §4.5.2.1: P-256,
 * basicConstraints cA, keyCertSign, SubjectKeyIdentifier, certificate
 * policy 2.23.146.1.2.1.0 critical). */
NetTestCert *net_test_ca_new (const gchar *common_name);
/* A TLS server certificate issued by @ca, shaped like SGP.26 DPtls (SAN
 * dNSName @host, extendedKeyUsage serverAuth, policy 2.23.146.1.2.1.3),
 * valid from now + @not_before_s to now + @not_after_s seconds. */
NetTestCert *net_test_server_cert_new (NetTestCert *ca, const gchar *host, gint64 not_before_s,
                                       gint64 not_after_s);
void         net_test_cert_free (NetTestCert *cert);
const gchar *net_test_cert_get_pem (NetTestCert *cert);
const gchar *net_test_cert_get_key_id (NetTestCert *cert);  /* SubjectKeyIdentifier, hex */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetTestCert, net_test_cert_free)

/* Writes each certificate's PEM into @dir/@name, creating @dir. */
void net_test_write_pem (const gchar *dir, const gchar *name, NetTestCert *cert);

/* ---- HTTPS server ---- */
typedef struct _NetTestServer NetTestServer;
typedef void (*NetTestHandler) (NetTestServer *server, SoupServerMessage *msg, const gchar *path,
                                gpointer user_data);

/* Listens on 127.0.0.1 with @cert (and @ca sent as its issuer when non-NULL). */
NetTestServer *net_test_server_new (NetTestCert *cert, NetTestCert *ca);
void           net_test_server_free (NetTestServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetTestServer, net_test_server_free)
guint16        net_test_server_get_port (NetTestServer *server);
/* "host:port" for this server. */
gchar         *net_test_server_address (NetTestServer *server, const gchar *host);
void           net_test_server_set_handler (NetTestServer *server, NetTestHandler handler,
                                            gpointer user_data);
guint          net_test_server_get_requests (NetTestServer *server);
/* Distinct connections that carried at least one request. */
guint          net_test_server_get_connections (NetTestServer *server);
/* The last request: path, body, a request header. */
const gchar   *net_test_server_get_last_path (NetTestServer *server);
GBytes        *net_test_server_get_last_body (NetTestServer *server);
const gchar   *net_test_server_get_last_header (NetTestServer *server, const gchar *name);

/* Answers 200 with @json (or any status/content type). */
void net_test_respond (SoupServerMessage *msg, guint status, const gchar *content_type,
                       const gchar *body);

/* A TCP listener on 127.0.0.1 that accepts and never says a word. */
typedef struct _NetTestSilentServer NetTestSilentServer;
NetTestSilentServer *net_test_silent_server_new (void);
guint16              net_test_silent_server_get_port (NetTestSilentServer *server);
void                 net_test_silent_server_free (NetTestSilentServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetTestSilentServer, net_test_silent_server_free)

/* ---- waiting ---- */
/* Runs the main loop until *@result is set; fails the test naming @what
 * after @seconds. */
void net_test_wait_result (GAsyncResult **result, guint seconds, const gchar *what);
/* A GAsyncReadyCallback that stores the result in *(GAsyncResult **) user_data. */
void net_test_store_result (GObject *source, GAsyncResult *res, gpointer user_data);

G_END_DECLS
