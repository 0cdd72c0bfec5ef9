/* SPDX-License-Identifier: GPL-2.0-or-later */

#define G_LOG_DOMAIN "esim"

#include "esim-tls-util.h"

gchar *
esim_tls_identity_host (GSocketConnectable *identity)
{
	if (G_IS_NETWORK_ADDRESS (identity))
		return g_strdup (g_network_address_get_hostname (G_NETWORK_ADDRESS (identity)));
	if (G_IS_NETWORK_SERVICE (identity))
		return g_strdup (g_network_service_get_domain (G_NETWORK_SERVICE (identity)));
	if (G_IS_INET_SOCKET_ADDRESS (identity)) {
		GInetAddress *address =
			g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (identity));

		return g_inet_address_to_string (address);
	}
	return NULL;
}

GTlsCertificateFlags
esim_tls_flags_from_gnutls (unsigned int status)
{
	GTlsCertificateFlags flags = 0;

	if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA |
	              GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE))
		flags |= G_TLS_CERTIFICATE_UNKNOWN_CA;
	if (status & GNUTLS_CERT_NOT_ACTIVATED)
		flags |= G_TLS_CERTIFICATE_NOT_ACTIVATED;
	if (status & GNUTLS_CERT_EXPIRED)
		flags |= G_TLS_CERTIFICATE_EXPIRED;
	if (status & GNUTLS_CERT_REVOKED)
		flags |= G_TLS_CERTIFICATE_REVOKED;
	if (status & GNUTLS_CERT_INSECURE_ALGORITHM)
		flags |= G_TLS_CERTIFICATE_INSECURE;
	if (status & GNUTLS_CERT_UNEXPECTED_OWNER)
		flags |= G_TLS_CERTIFICATE_BAD_IDENTITY;
	/* a bad signature, a wrong purpose, an unknown critical extension… */
	if (flags == 0 && status != 0)
		flags |= G_TLS_CERTIFICATE_GENERIC_ERROR;
	return flags;
}

void
esim_tls_free_crts (gnutls_x509_crt_t *crts, guint n_crts)
{
	for (guint i = 0; i < n_crts; i++)
		gnutls_x509_crt_deinit (crts[i]);
}

gboolean
esim_tls_import_chain (GTlsCertificate *chain, gnutls_x509_crt_t *crts, guint *n_crts)
{
	*n_crts = 0;
	for (GTlsCertificate *cert = chain; cert != NULL; cert = g_tls_certificate_get_issuer (cert)) {
		g_autoptr(GByteArray) der = NULL;
		gnutls_datum_t datum;

		if (*n_crts == ESIM_TLS_MAX_CHAIN_LENGTH)
			break;
		g_object_get (cert, "certificate", &der, NULL);
		if (der == NULL || gnutls_x509_crt_init (&crts[*n_crts]) < 0)
			goto fail;
		datum.data = der->data;
		datum.size = der->len;
		if (gnutls_x509_crt_import (crts[*n_crts], &datum, GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crt_deinit (crts[*n_crts]);
			goto fail;
		}
		(*n_crts)++;
	}
	return *n_crts > 0;
fail:
	esim_tls_free_crts (crts, *n_crts);
	*n_crts = 0;
	return FALSE;
}

GTlsCertificateFlags
esim_tls_verify_with_trust_list (gnutls_x509_trust_list_t trust_list, GTlsCertificate *chain,
                                 const gchar *purpose, const gchar *host)
{
	gnutls_x509_crt_t crts[ESIM_TLS_MAX_CHAIN_LENGTH];
	gnutls_typed_vdata_st data[2];
	guint n_data = 0;
	guint n_crts = 0;
	unsigned int status = 0;
	int ret;

	if (trust_list == NULL)
		return G_TLS_CERTIFICATE_UNKNOWN_CA;
	if (!esim_tls_import_chain (chain, crts, &n_crts))
		return G_TLS_CERTIFICATE_GENERIC_ERROR;

	if (purpose != NULL) {
		data[n_data].type = GNUTLS_DT_KEY_PURPOSE_OID;
		data[n_data].data = (unsigned char *) purpose;
		data[n_data].size = 0;
		n_data++;
	}
	if (host != NULL) {
		data[n_data].type = GNUTLS_DT_DNS_HOSTNAME;
		data[n_data].data = (unsigned char *) host;
		data[n_data].size = 0;
		n_data++;
	}
	ret = gnutls_x509_trust_list_verify_crt2 (trust_list, crts, n_crts, data, n_data, 0,
	                                          &status, NULL);
	esim_tls_free_crts (crts, n_crts);
	if (ret < 0)
		return G_TLS_CERTIFICATE_GENERIC_ERROR;
	return esim_tls_flags_from_gnutls (status);
}

gboolean
esim_tls_trust_list_add_der (gnutls_x509_trust_list_t *trust_list, GBytes *der)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t datum;

	if (*trust_list == NULL && gnutls_x509_trust_list_init (trust_list, 0) < 0) {
		*trust_list = NULL;
		return FALSE;
	}
	if (gnutls_x509_crt_init (&crt) < 0)
		return FALSE;
	datum.data = (unsigned char *) g_bytes_get_data (der, NULL);
	datum.size = (unsigned int) g_bytes_get_size (der);
	if (gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_DER) < 0 ||
	    gnutls_x509_trust_list_add_cas (*trust_list, &crt, 1, 0) != 1) {
		gnutls_x509_crt_deinit (crt);
		return FALSE;
	}
	/* the trust list owns @crt now */
	return TRUE;
}

GTlsCertificate *
esim_tls_certificate_from_der (GBytes *der, GError **error)
{
	g_autoptr(GByteArray) array = g_byte_array_new ();
	GTlsBackend *backend = g_tls_backend_get_default ();

	g_byte_array_append (array, g_bytes_get_data (der, NULL), (guint) g_bytes_get_size (der));
	return g_initable_new (g_tls_backend_get_certificate_type (backend), NULL, error,
	                       "certificate", array, NULL);
}

GBytes *
esim_tls_certificate_dup_der (GTlsCertificate *certificate)
{
	g_autoptr(GByteArray) der = NULL;

	g_object_get (certificate, "certificate", &der, NULL);
	if (der == NULL)
		return NULL;
	return g_bytes_new (der->data, der->len);
}

gboolean
esim_tls_der_issued (GBytes *issuer_der, GTlsCertificate *certificate)
{
	g_autoptr(GByteArray) der = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_x509_crt_t issuer = NULL;
	gnutls_datum_t datum;
	gboolean issued = FALSE;

	g_object_get (certificate, "certificate", &der, NULL);
	if (der == NULL || gnutls_x509_crt_init (&crt) < 0)
		return FALSE;
	if (gnutls_x509_crt_init (&issuer) < 0)
		goto out;
	datum.data = der->data;
	datum.size = der->len;
	if (gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_DER) < 0)
		goto out;
	datum.data = (unsigned char *) g_bytes_get_data (issuer_der, NULL);
	datum.size = (unsigned int) g_bytes_get_size (issuer_der);
	if (gnutls_x509_crt_import (issuer, &datum, GNUTLS_X509_FMT_DER) < 0)
		goto out;
	issued = gnutls_x509_crt_check_issuer (crt, issuer) != 0;
out:
	if (issuer != NULL)
		gnutls_x509_crt_deinit (issuer);
	gnutls_x509_crt_deinit (crt);
	return issued;
}
