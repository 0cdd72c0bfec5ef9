/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * EsimTlsDatabase: glib-networking asks a connection's database to verify the
 * peer's chain (g_tls_database_verify_chain with the server identity); a
 * database that is not glib-networking's own must check the host name itself
 * (GTlsDatabase documentation of @identity).  The CI part is verified with a
 * gnutls trust list holding only the CIs the eUICC lists, with the host name
 * and the TLS server purpose as typed data, so gnutls checks the chain, the
 * validity dates, the name (SAN) and the extended key usage in one call.
 *
 * A database is immutable once built: glib-networking may call it from its
 * handshake thread.
 */

#define G_LOG_DOMAIN "esim"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "esim-eim-tls-database.h"
#include "esim-tls-database.h"
#include "esim-tls-util.h"

struct _EsimTlsDatabase {
	GTlsDatabase parent_instance;
	gnutls_x509_trust_list_t trust_list; /* NULL when no listed CI was found */
	GPtrArray *cis;                      /* GBytes DER of the trusted CIs */
	GTlsDatabase *system_database;       /* nullable */
};

G_DEFINE_TYPE (EsimTlsDatabase, esim_tls_database, G_TYPE_TLS_DATABASE)

static GTlsCertificateFlags
esim_tls_database_verify_chain (GTlsDatabase *database, GTlsCertificate *chain,
                                const gchar *purpose, GSocketConnectable *identity,
                                GTlsInteraction *interaction, GTlsDatabaseVerifyFlags flags,
                                GCancellable *cancellable, GError **error)
{
	EsimTlsDatabase *self = ESIM_TLS_DATABASE (database);
	g_autofree gchar *host = identity != NULL ? esim_tls_identity_host (identity) : NULL;
	GTlsCertificateFlags ci_errors;
	GTlsCertificateFlags system_errors;

	if (g_cancellable_set_error_if_cancelled (cancellable, error))
		return G_TLS_CERTIFICATE_GENERIC_ERROR;
	/* an identity we cannot name is one we cannot check */
	if (identity != NULL && host == NULL)
		return G_TLS_CERTIFICATE_BAD_IDENTITY;

	ci_errors = esim_tls_verify_with_trust_list (self->trust_list, chain, purpose, host);
	if (ci_errors == 0) {
		g_debug ("TLS: %s's certificate chains to a CI the eUICC lists",
		         host != NULL ? host : "peer");
		return 0;
	}
	if (self->system_database == NULL)
		return ci_errors;

	system_errors = g_tls_database_verify_chain (self->system_database, chain, purpose, identity,
	                                             interaction, flags, cancellable, NULL);
	if (system_errors == 0) {
		g_debug ("TLS: %s's certificate is trusted by the system trust store",
		         host != NULL ? host : "peer");
		return 0;
	}
	/* the source that knew the issuer has the precise reason */
	if (!(ci_errors & G_TLS_CERTIFICATE_UNKNOWN_CA))
		return ci_errors;
	if (!(system_errors & G_TLS_CERTIFICATE_UNKNOWN_CA))
		return system_errors;
	return ci_errors;
}

static GTlsCertificate *
esim_tls_database_lookup_certificate_issuer (GTlsDatabase *database, GTlsCertificate *certificate,
                                             GTlsInteraction *interaction,
                                             GTlsDatabaseLookupFlags flags,
                                             GCancellable *cancellable, GError **error)
{
	EsimTlsDatabase *self = ESIM_TLS_DATABASE (database);

	if (g_cancellable_set_error_if_cancelled (cancellable, error))
		return NULL;
	for (guint i = 0; i < self->cis->len; i++) {
		GBytes *ci = g_ptr_array_index (self->cis, i);

		if (esim_tls_der_issued (ci, certificate))
			return esim_tls_certificate_from_der (ci, error);
	}
	if (self->system_database != NULL)
		return g_tls_database_lookup_certificate_issuer (self->system_database, certificate,
		                                                 interaction, flags, cancellable,
		                                                 error);
	return NULL;
}

/* Client certificates are not used on ES9+: nothing to offer by issuer or handle. */
static GList *
esim_tls_database_lookup_certificates_issued_by (GTlsDatabase *database, GByteArray *issuer_raw_dn,
                                                 GTlsInteraction *interaction,
                                                 GTlsDatabaseLookupFlags flags,
                                                 GCancellable *cancellable, GError **error)
{
	g_cancellable_set_error_if_cancelled (cancellable, error);
	return NULL;
}

static gchar *
esim_tls_database_create_certificate_handle (GTlsDatabase *database, GTlsCertificate *certificate)
{
	return NULL;
}

static GTlsCertificate *
esim_tls_database_lookup_certificate_for_handle (GTlsDatabase *database, const gchar *handle,
                                                 GTlsInteraction *interaction,
                                                 GTlsDatabaseLookupFlags flags,
                                                 GCancellable *cancellable, GError **error)
{
	g_cancellable_set_error_if_cancelled (cancellable, error);
	return NULL;
}

static void
esim_tls_database_finalize (GObject *object)
{
	EsimTlsDatabase *self = ESIM_TLS_DATABASE (object);

	if (self->trust_list != NULL)
		gnutls_x509_trust_list_deinit (self->trust_list, 1);
	g_ptr_array_unref (self->cis);
	g_clear_object (&self->system_database);
	G_OBJECT_CLASS (esim_tls_database_parent_class)->finalize (object);
}

static void
esim_tls_database_class_init (EsimTlsDatabaseClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS (klass);
	GTlsDatabaseClass *database_class = G_TLS_DATABASE_CLASS (klass);

	object_class->finalize = esim_tls_database_finalize;
	database_class->verify_chain = esim_tls_database_verify_chain;
	database_class->lookup_certificate_issuer = esim_tls_database_lookup_certificate_issuer;
	database_class->lookup_certificates_issued_by =
		esim_tls_database_lookup_certificates_issued_by;
	database_class->create_certificate_handle = esim_tls_database_create_certificate_handle;
	database_class->lookup_certificate_for_handle =
		esim_tls_database_lookup_certificate_for_handle;
}

static void
esim_tls_database_init (EsimTlsDatabase *self)
{
	self->cis = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
}

GTlsDatabase *
esim_tls_database_new (EsimCiStore *store, GPtrArray *ci_key_ids, GTlsDatabase *system_database)
{
	g_autoptr(EsimTlsDatabase) self = NULL;
	g_autoptr(GString) missing = g_string_new (NULL);

	g_return_val_if_fail (ESIM_IS_CI_STORE (store), NULL);
	g_return_val_if_fail (system_database == NULL || G_IS_TLS_DATABASE (system_database), NULL);

	self = g_object_new (ESIM_TYPE_TLS_DATABASE, NULL);
	if (system_database != NULL)
		self->system_database = g_object_ref (system_database);
	for (guint i = 0; ci_key_ids != NULL && i < ci_key_ids->len; i++) {
		const gchar *key_id = g_ptr_array_index (ci_key_ids, i);
		g_autoptr(GPtrArray) found = esim_ci_store_lookup (store, key_id);

		if (found->len == 0)
			g_string_append_printf (missing, "%s%s", missing->len > 0 ? ", " : "", key_id);
		for (guint j = 0; j < found->len; j++) {
			GBytes *der = g_ptr_array_index (found, j);

			if (esim_tls_trust_list_add_der (&self->trust_list, der))
				g_ptr_array_add (self->cis, g_bytes_ref (der));
			else
				g_warning ("TLS: CI %s cannot be used as a trust anchor", key_id);
		}
	}
	g_debug ("TLS trust: %u CI certificate(s) the eUICC lists%s%s; system trust store %s",
	         self->cis->len, missing->len > 0 ? "; listed but not installed: " : "",
	         missing->str, system_database != NULL ? "used" : "not used");
	return G_TLS_DATABASE (g_steal_pointer (&self));
}

guint
esim_tls_database_get_n_cis (EsimTlsDatabase *self)
{
	g_return_val_if_fail (ESIM_IS_TLS_DATABASE (self), 0);
	return self->cis->len;
}

gboolean
esim_tls_database_has_system_database (EsimTlsDatabase *self)
{
	g_return_val_if_fail (ESIM_IS_TLS_DATABASE (self), FALSE);
	return self->system_database != NULL;
}

gchar *
esim_tls_describe_certificate_errors (GTlsDatabase *database, GTlsCertificateFlags errors,
                                      const gchar *peer, const gchar *host)
{
	if (errors & G_TLS_CERTIFICATE_UNKNOWN_CA) {
		if (ESIM_IS_TLS_DATABASE (database)) {
			EsimTlsDatabase *self = ESIM_TLS_DATABASE (database);

			return g_strdup_printf ("the %s's certificate is not issued by a CI this eUICC "
			                        "trusts%s", peer,
			                        self->system_database != NULL ?
			                        " (nor by the system's trust store)" : "");
		}
		if (ESIM_IS_EIM_TLS_DATABASE (database))
			return esim_eim_tls_database_describe_untrusted (ESIM_EIM_TLS_DATABASE (database),
			                                                 peer);
		return g_strdup_printf ("the %s's certificate is not issued by an authority trusted "
		                        "for it", peer);
	}
	if (errors & G_TLS_CERTIFICATE_BAD_IDENTITY)
		return g_strdup_printf ("the %s's certificate is not valid for %s", peer,
		                        host != NULL ? host : "its address");
	if (errors & G_TLS_CERTIFICATE_EXPIRED)
		return g_strdup_printf ("the %s's certificate has expired", peer);
	if (errors & G_TLS_CERTIFICATE_NOT_ACTIVATED)
		return g_strdup_printf ("the %s's certificate is not valid yet (is the clock right?)",
		                        peer);
	if (errors & G_TLS_CERTIFICATE_REVOKED)
		return g_strdup_printf ("the %s's certificate has been revoked", peer);
	if (errors & G_TLS_CERTIFICATE_INSECURE)
		return g_strdup_printf ("the %s's certificate uses an insecure algorithm", peer);
	return g_strdup_printf ("the %s's certificate is not acceptable for a TLS server", peer);
}
