/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TLS trust of one eUICC's connections to an SM-DP+ (ES9+), as a
 * GTlsDatabase for GLib's TLS backend (glib-networking, gnutls):
 *   (a) the GSMA CI certificates whose SubjectKeyIdentifier the eUICC lists in
 *       EUICCInfo1 euiccCiPKIdListForVerification, taken from an EsimCiStore;
 *   (b) optionally a second database, normally the system trust store
 *       (g_tls_backend_get_default_database()), because some live SM-DP+
 *       servers present web-PKI certificates.
 * A chain is accepted when either accepts it.  The host name is always
 * checked (the certificate must name the host of the SM-DP+ address), and so
 * are validity dates and the TLS server purpose.  There is no way to turn
 * verification off.
 */
#pragma once

#include <gio/gio.h>

#include "esim-ci-store.h"

G_BEGIN_DECLS

#define ESIM_TYPE_TLS_DATABASE (esim_tls_database_get_type ())
G_DECLARE_FINAL_TYPE (EsimTlsDatabase, esim_tls_database, ESIM, TLS_DATABASE, GTlsDatabase)

/* @ci_key_ids: gchar* hex key identifiers (EsimEuiccInfo1.ci_pkids_verification),
 * NULL or empty for none; listed keys the store does not hold are logged and
 * ignored.  @system_database: the second trust source, NULL for none. */
GTlsDatabase *esim_tls_database_new (EsimCiStore *store, GPtrArray *ci_key_ids,
                                     GTlsDatabase *system_database);
/* How many CI certificates this database trusts. */
guint         esim_tls_database_get_n_cis (EsimTlsDatabase *self);
gboolean      esim_tls_database_has_system_database (EsimTlsDatabase *self);

/* A sentence for a user about why a server certificate was refused by
 * @database (any GTlsDatabase; the wording about CIs is used for an
 * EsimTlsDatabase), e.g. "the SM-DP+'s certificate is not issued by a CI this
 * eUICC trusts".  @peer names the server's role ("SM-DP+", "eIM"); @host is
 * the name that was checked. */
gchar *esim_tls_describe_certificate_errors (GTlsDatabase *database, GTlsCertificateFlags errors,
                                             const gchar *peer, const gchar *host);

G_END_DECLS
