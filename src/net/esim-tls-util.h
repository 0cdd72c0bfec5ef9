/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the GTlsDatabases of src/net share (EsimTlsDatabase for ES9+,
 * EsimEimTlsDatabase for ESipa): verifying a peer's chain against a gnutls
 * trust list with the host name and the purpose, and the conversions between
 * GTlsCertificate, DER and gnutls.  Private to src/net.
 */
#pragma once

#include <gio/gio.h>
#include <gnutls/x509.h>

G_BEGIN_DECLS

/* a server chain longer than this is not one an SM-DP+ or an eIM sends */
#define ESIM_TLS_MAX_CHAIN_LENGTH 8

/* The host name a connection must present a certificate for, or NULL when
 * @identity names none we can check. */
gchar               *esim_tls_identity_host (GSocketConnectable *identity);
GTlsCertificateFlags esim_tls_flags_from_gnutls (unsigned int status);

/* Imports @chain (leaf first, then its issuers as the peer sent them) into
 * @crts (ESIM_TLS_MAX_CHAIN_LENGTH entries); FALSE if a certificate does not
 * parse.  esim_tls_free_crts() releases them. */
gboolean             esim_tls_import_chain (GTlsCertificate *chain, gnutls_x509_crt_t *crts, guint *n_crts);
void                 esim_tls_free_crts (gnutls_x509_crt_t *crts, guint n_crts);

/* gnutls verifies @chain against @trust_list: signatures, validity dates,
 * @purpose (an extended key usage OID, nullable) and @host (SAN, nullable). */
GTlsCertificateFlags esim_tls_verify_with_trust_list (gnutls_x509_trust_list_t trust_list,
                                                      GTlsCertificate *chain, const gchar *purpose,
                                                      const gchar *host);

/* Adds the DER certificate @der as an anchor of *@trust_list (made on first
 * use); FALSE when gnutls refuses it. */
gboolean             esim_tls_trust_list_add_der (gnutls_x509_trust_list_t *trust_list, GBytes *der);

GTlsCertificate     *esim_tls_certificate_from_der (GBytes *der, GError **error);
GBytes              *esim_tls_certificate_dup_der (GTlsCertificate *certificate);
/* Whether the DER certificate @issuer_der issued @certificate. */
gboolean             esim_tls_der_issued (GBytes *issuer_der, GTlsCertificate *certificate);

G_END_DECLS
