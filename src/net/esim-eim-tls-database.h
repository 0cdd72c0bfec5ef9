/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TLS trust of an IPA's connections to one eIM (ESipa), as a GTlsDatabase
 * for glib-networking.  SGP.32 v1.2 EimConfigurationData
 * trustedPublicKeyDataTls [6] holds "the eIM public key, eIM certificate or
 * CA certificate" used for (D)TLS (digest §4); each is honoured:
 *
 *   - trustedEimPkTls (a SubjectPublicKeyInfo): the server is accepted when
 *     its certificate carries exactly this key.  Nothing else about the
 *     certificate is checked, neither the name nor the dates nor an issuer:
 *     the pinned key is the eIM's identity, as for a DANE-EE record
 *     (RFC 7671 §5.1: with a pinned end-entity key "the expiration date of
 *     the server certificate and the name checks are ignored").  A name
 *     check would refuse the self-signed certificates and IP-address FQDNs
 *     such keys travel in; a date check would cut an eIM off its devices
 *     when a certificate it never needed lapses, and the fix (updateEim)
 *     can only come over this very connection.
 *   - trustedCertificateTls, as the eIM's own certificate: the server's
 *     certificate equal to it byte for byte is accepted, with the same
 *     reasoning as a pinned key (a DANE-EE certificate pin);
 *   - trustedCertificateTls, as a CA certificate: any other server
 *     certificate must chain to it, with the name (the host of eimFqdn), the
 *     validity dates and the TLS server purpose checked (a trust anchor
 *     vouches for names, RFC 7671 §5.2);
 *   - no trustedPublicKeyDataTls: the CA file the administrator configured
 *     for this eIM (PEM, one or more certificates), checked like a CA.
 * Without any of these there is no database: a connection nobody can verify
 * is not made.  There is no way to turn verification off.
 *
 * A database is immutable once built: glib-networking calls it from its
 * handshake thread.
 */
#pragma once

#include <gio/gio.h>

#include "esim-es10.h"

G_BEGIN_DECLS

typedef enum {
	ESIM_EIM_TLS_TRUST_PINNED_KEY,    /* trustedEimPkTls */
	ESIM_EIM_TLS_TRUST_CERTIFICATE,   /* trustedCertificateTls: the eIM's certificate or its CA */
	ESIM_EIM_TLS_TRUST_CA_FILE,       /* the administrator's CA file */
} EsimEimTlsTrustKind;

#define ESIM_TYPE_EIM_TLS_DATABASE (esim_eim_tls_database_get_type ())
G_DECLARE_FINAL_TYPE (EsimEimTlsDatabase, esim_eim_tls_database, ESIM, EIM_TLS_DATABASE,
                      GTlsDatabase)

/* @kind and @trusted_tls: EsimEimConfig.trusted_tls_kind and .trusted_tls
 * (plain DER: the SubjectPublicKeyInfo or the X.509 certificate).
 * @ca_file: used only when @kind is ESIM_EIM_KEY_NONE; nullable.
 * Errors: G_IO_ERROR_INVALID_ARGUMENT when the configuration's key or
 * certificate does not parse, or when there is nothing to trust at all;
 * G_FILE_ERROR for a CA file that cannot be read, G_IO_ERROR_INVALID_DATA
 * for one that holds no certificate. */
GTlsDatabase       *esim_eim_tls_database_new (EsimEimKeyKind kind, GBytes *trusted_tls,
                                               const gchar *ca_file, GError **error);
EsimEimTlsTrustKind esim_eim_tls_database_get_kind (EsimEimTlsDatabase *self);
/* For messages: "the key pinned in the eIM configuration"… */
const gchar        *esim_eim_tls_database_get_source (EsimEimTlsDatabase *self);
/* Why a certificate this database did not find trusted
 * (G_TLS_CERTIFICATE_UNKNOWN_CA) was refused, as a sentence naming @peer. */
gchar              *esim_eim_tls_database_describe_untrusted (EsimEimTlsDatabase *self,
                                                              const gchar *peer);

G_END_DECLS
