/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * EsimEimTlsDatabase: glib-networking hands a connection's database the
 * peer's chain and the server identity (g_tls_database_verify_chain); this
 * database decides by the eIM's configuration (see the header).  Keys are
 * compared as gnutls exports them (canonical DER of the SubjectPublicKeyInfo),
 * so an encoding variant in the configuration cannot hide a match or make one.
 * The CA paths reuse the gnutls trust-list verification of ES9+
 * (esim-tls-util.h).
 */

#define G_LOG_DOMAIN "esim"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "esim-eim-tls-database.h"
#include "esim-tls-util.h"

struct _EsimEimTlsDatabase {
	GTlsDatabase parent_instance;
	EsimEimTlsTrustKind kind;
	GBytes *pinned_key;                  /* PINNED_KEY: canonical SPKI DER */
	GBytes *certificate;                 /* CERTIFICATE: the configured certificate, DER */
	gnutls_x509_trust_list_t trust_list; /* CERTIFICATE, CA_FILE: the anchors */
	gchar *source;                       /* for messages */
};

G_DEFINE_TYPE (EsimEimTlsDatabase, esim_eim_tls_database, G_TYPE_TLS_DATABASE)

/* Canonical DER of a SubjectPublicKeyInfo, or NULL if @pubkey cannot export. */
static GBytes *
export_spki (gnutls_pubkey_t pubkey)
{
	gnutls_datum_t datum = { NULL, 0 };
	GBytes *der;

	if (gnutls_pubkey_export2 (pubkey, GNUTLS_X509_FMT_DER, &datum) < 0)
		return NULL;
	der = g_bytes_new (datum.data, datum.size);
	gnutls_free (datum.data);
	return der;
}

static GBytes *
canonical_spki (GBytes *spki)
{
	gnutls_pubkey_t pubkey;
	gnutls_datum_t datum;
	GBytes *der = NULL;

	if (gnutls_pubkey_init (&pubkey) < 0)
		return NULL;
	datum.data = (unsigned char *) g_bytes_get_data (spki, NULL);
	datum.size = (unsigned int) g_bytes_get_size (spki);
	if (gnutls_pubkey_import (pubkey, &datum, GNUTLS_X509_FMT_DER) >= 0)
		der = export_spki (pubkey);
	gnutls_pubkey_deinit (pubkey);
	return der;
}

/* The SubjectPublicKeyInfo of the leaf of @chain, canonical DER. */
static GBytes *
leaf_spki (GTlsCertificate *chain)
{
	g_autoptr(GBytes) der = esim_tls_certificate_dup_der (chain);
	gnutls_x509_crt_t crt = NULL;
	gnutls_pubkey_t pubkey = NULL;
	gnutls_datum_t datum;
	GBytes *spki = NULL;

	if (der == NULL || gnutls_x509_crt_init (&crt) < 0)
		return NULL;
	datum.data = (unsigned char *) g_bytes_get_data (der, NULL);
	datum.size = (unsigned int) g_bytes_get_size (der);
	if (gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_DER) >= 0 &&
	    gnutls_pubkey_init (&pubkey) >= 0) {
		if (gnutls_pubkey_import_x509 (pubkey, crt, 0) >= 0)
			spki = export_spki (pubkey);
		gnutls_pubkey_deinit (pubkey);
	}
	gnutls_x509_crt_deinit (crt);
	return spki;
}

static gboolean
leaf_is_certificate (GTlsCertificate *chain, GBytes *certificate)
{
	g_autoptr(GBytes) der = esim_tls_certificate_dup_der (chain);

	return der != NULL && g_bytes_equal (der, certificate);
}

static GTlsCertificateFlags
esim_eim_tls_database_verify_chain (GTlsDatabase *database, GTlsCertificate *chain,
                                    const gchar *purpose, GSocketConnectable *identity,
                                    GTlsInteraction *interaction, GTlsDatabaseVerifyFlags flags,
                                    GCancellable *cancellable, GError **error)
{
	EsimEimTlsDatabase *self = ESIM_EIM_TLS_DATABASE (database);
	g_autofree gchar *host = identity != NULL ? esim_tls_identity_host (identity) : NULL;
	GTlsCertificateFlags errors;

	if (g_cancellable_set_error_if_cancelled (cancellable, error))
		return G_TLS_CERTIFICATE_GENERIC_ERROR;

	if (self->kind == ESIM_EIM_TLS_TRUST_PINNED_KEY) {
		g_autoptr(GBytes) spki = leaf_spki (chain);

		if (spki == NULL)
			return G_TLS_CERTIFICATE_GENERIC_ERROR;
		if (!g_bytes_equal (spki, self->pinned_key))
			return G_TLS_CERTIFICATE_UNKNOWN_CA;
		g_debug ("TLS: %s's key is the one pinned in the eIM configuration",
		         host != NULL ? host : "peer");
		return 0;
	}
	if (self->kind == ESIM_EIM_TLS_TRUST_CERTIFICATE &&
	    leaf_is_certificate (chain, self->certificate)) {
		g_debug ("TLS: %s's certificate is the one in the eIM configuration",
		         host != NULL ? host : "peer");
		return 0;
	}
	/* a CA vouches for a name: an identity we cannot name is one we cannot check */
	if (identity != NULL && host == NULL)
		return G_TLS_CERTIFICATE_BAD_IDENTITY;
	errors = esim_tls_verify_with_trust_list (self->trust_list, chain, purpose, host);
	if (errors == 0)
		g_debug ("TLS: %s's certificate chains to %s", host != NULL ? host : "peer",
		         self->source);
	return errors;
}

static GTlsCertificate *
esim_eim_tls_database_lookup_certificate_issuer (GTlsDatabase *database,
                                                 GTlsCertificate *certificate,
                                                 GTlsInteraction *interaction,
                                                 GTlsDatabaseLookupFlags flags,
                                                 GCancellable *cancellable, GError **error)
{
	EsimEimTlsDatabase *self = ESIM_EIM_TLS_DATABASE (database);
	g_autoptr(GBytes) der = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_x509_crt_t issuer = NULL;
	gnutls_datum_t datum;
	gnutls_datum_t issuer_der = { NULL, 0 };
	GTlsCertificate *found = NULL;

	if (g_cancellable_set_error_if_cancelled (cancellable, error))
		return NULL;
	if (self->trust_list == NULL || (der = esim_tls_certificate_dup_der (certificate)) == NULL ||
	    gnutls_x509_crt_init (&crt) < 0)
		return NULL;
	datum.data = (unsigned char *) g_bytes_get_data (der, NULL);
	datum.size = (unsigned int) g_bytes_get_size (der);
	if (gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_DER) >= 0 &&
	    gnutls_x509_trust_list_get_issuer (self->trust_list, crt, &issuer,
	                                       GNUTLS_TL_GET_COPY) >= 0) {
		if (gnutls_x509_crt_export2 (issuer, GNUTLS_X509_FMT_DER, &issuer_der) >= 0) {
			g_autoptr(GBytes) bytes = g_bytes_new (issuer_der.data, issuer_der.size);

			found = esim_tls_certificate_from_der (bytes, error);
			gnutls_free (issuer_der.data);
		}
		gnutls_x509_crt_deinit (issuer);
	}
	gnutls_x509_crt_deinit (crt);
	return found;
}

/* No client certificates on ESipa: nothing to offer by issuer or handle. */
static GList *
esim_eim_tls_database_lookup_certificates_issued_by (GTlsDatabase *database,
                                                     GByteArray *issuer_raw_dn,
                                                     GTlsInteraction *interaction,
                                                     GTlsDatabaseLookupFlags flags,
                                                     GCancellable *cancellable, GError **error)
{
	g_cancellable_set_error_if_cancelled (cancellable, error);
	return NULL;
}

static gchar *
esim_eim_tls_database_create_certificate_handle (GTlsDatabase *database,
                                                 GTlsCertificate *certificate)
{
	return NULL;
}

static GTlsCertificate *
esim_eim_tls_database_lookup_certificate_for_handle (GTlsDatabase *database, const gchar *handle,
                                                     GTlsInteraction *interaction,
                                                     GTlsDatabaseLookupFlags flags,
                                                     GCancellable *cancellable, GError **error)
{
	g_cancellable_set_error_if_cancelled (cancellable, error);
	return NULL;
}

static void
esim_eim_tls_database_finalize (GObject *object)
{
	EsimEimTlsDatabase *self = ESIM_EIM_TLS_DATABASE (object);

	if (self->trust_list != NULL)
		gnutls_x509_trust_list_deinit (self->trust_list, 1);
	g_clear_pointer (&self->pinned_key, g_bytes_unref);
	g_clear_pointer (&self->certificate, g_bytes_unref);
	g_free (self->source);
	G_OBJECT_CLASS (esim_eim_tls_database_parent_class)->finalize (object);
}

static void
esim_eim_tls_database_class_init (EsimEimTlsDatabaseClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS (klass);
	GTlsDatabaseClass *database_class = G_TLS_DATABASE_CLASS (klass);

	object_class->finalize = esim_eim_tls_database_finalize;
	database_class->verify_chain = esim_eim_tls_database_verify_chain;
	database_class->lookup_certificate_issuer = esim_eim_tls_database_lookup_certificate_issuer;
	database_class->lookup_certificates_issued_by =
		esim_eim_tls_database_lookup_certificates_issued_by;
	database_class->create_certificate_handle = esim_eim_tls_database_create_certificate_handle;
	database_class->lookup_certificate_for_handle =
		esim_eim_tls_database_lookup_certificate_for_handle;
}

static void
esim_eim_tls_database_init (EsimEimTlsDatabase *self)
{
}

/* The CA file: PEM (one or more certificates), or a single DER certificate. */
static gboolean
load_ca_file (EsimEimTlsDatabase *self, const gchar *path, GError **error)
{
	g_autofree gchar *contents = NULL;
	gsize len = 0;
	gnutls_datum_t datum;
	int added;

	if (!g_file_get_contents (path, &contents, &len, error)) {
		g_prefix_error (error, "cannot read the eIM's CA file: ");
		return FALSE;
	}
	if (gnutls_x509_trust_list_init (&self->trust_list, 0) < 0) {
		self->trust_list = NULL;
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "gnutls: no trust list");
		return FALSE;
	}
	datum.data = (unsigned char *) contents;
	datum.size = (unsigned int) len;
	added = gnutls_x509_trust_list_add_trust_mem (self->trust_list, &datum, NULL,
	                                              GNUTLS_X509_FMT_PEM, 0, 0);
	if (added <= 0)
		added = gnutls_x509_trust_list_add_trust_mem (self->trust_list, &datum, NULL,
		                                              GNUTLS_X509_FMT_DER, 0, 0);
	if (added <= 0) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		             "the eIM's CA file %s holds no certificate (PEM or DER)", path);
		return FALSE;
	}
	g_debug ("TLS trust for the eIM: %d certificate(s) from %s", added, path);
	return TRUE;
}

GTlsDatabase *
esim_eim_tls_database_new (EsimEimKeyKind kind, GBytes *trusted_tls, const gchar *ca_file,
                           GError **error)
{
	g_autoptr(EsimEimTlsDatabase) self = g_object_new (ESIM_TYPE_EIM_TLS_DATABASE, NULL);

	g_return_val_if_fail (kind == ESIM_EIM_KEY_NONE || trusted_tls != NULL, NULL);

	switch (kind) {
	case ESIM_EIM_KEY_PUBLIC_KEY:
		self->kind = ESIM_EIM_TLS_TRUST_PINNED_KEY;
		self->pinned_key = canonical_spki (trusted_tls);
		if (self->pinned_key == NULL) {
			g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			                     "the eIM configuration's trustedEimPkTls is not a public "
			                     "key (SubjectPublicKeyInfo) this IPA can use");
			return NULL;
		}
		self->source = g_strdup ("the key pinned in the eIM configuration (trustedEimPkTls)");
		break;
	case ESIM_EIM_KEY_CERTIFICATE:
		self->kind = ESIM_EIM_TLS_TRUST_CERTIFICATE;
		if (!esim_tls_trust_list_add_der (&self->trust_list, trusted_tls)) {
			g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			                     "the eIM configuration's trustedCertificateTls is not an "
			                     "X.509 certificate this IPA can use");
			return NULL;
		}
		self->certificate = g_bytes_ref (trusted_tls);
		self->source = g_strdup ("the certificate in the eIM configuration "
		                         "(trustedCertificateTls)");
		break;
	case ESIM_EIM_KEY_NONE:
	default:
		if (ca_file == NULL) {
			g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			                     "the eIM configuration carries no TLS trust "
			                     "(trustedPublicKeyDataTls) and no CA file is configured "
			                     "for this eIM: an unverified connection is never made");
			return NULL;
		}
		self->kind = ESIM_EIM_TLS_TRUST_CA_FILE;
		if (!load_ca_file (self, ca_file, error))
			return NULL;
		self->source = g_strdup_printf ("the CA file %s", ca_file);
		break;
	}
	if (kind != ESIM_EIM_KEY_NONE && ca_file != NULL)
		g_debug ("TLS trust for the eIM: the configuration's own trust is used, the CA file "
		         "%s is not", ca_file);
	return G_TLS_DATABASE (g_steal_pointer (&self));
}

EsimEimTlsTrustKind
esim_eim_tls_database_get_kind (EsimEimTlsDatabase *self)
{
	g_return_val_if_fail (ESIM_IS_EIM_TLS_DATABASE (self), ESIM_EIM_TLS_TRUST_CA_FILE);
	return self->kind;
}

const gchar *
esim_eim_tls_database_get_source (EsimEimTlsDatabase *self)
{
	g_return_val_if_fail (ESIM_IS_EIM_TLS_DATABASE (self), NULL);
	return self->source;
}

gchar *
esim_eim_tls_database_describe_untrusted (EsimEimTlsDatabase *self, const gchar *peer)
{
	g_return_val_if_fail (ESIM_IS_EIM_TLS_DATABASE (self), NULL);

	switch (self->kind) {
	case ESIM_EIM_TLS_TRUST_PINNED_KEY:
		return g_strdup_printf ("the %s's key is not %s", peer, self->source);
	case ESIM_EIM_TLS_TRUST_CERTIFICATE:
		return g_strdup_printf ("the %s's certificate is neither %s nor issued by it", peer,
		                        self->source);
	case ESIM_EIM_TLS_TRUST_CA_FILE:
	default:
		return g_strdup_printf ("the %s's certificate is not issued by an authority in %s",
		                        peer, self->source);
	}
}
