/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "esim-crypto-private.h"
#include "esim-crypto.h"

G_DEFINE_QUARK (esim-crypto-error-quark, esim_crypto_error)

gboolean
esim_crypto_gnutls_ok (int rc, const gchar *what, GError **error)
{
	if (rc >= 0)
		return TRUE;
	g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_FAILED, "%s: %s", what, gnutls_strerror (rc));
	return FALSE;
}

gboolean
esim_crypto_copy_unsigned (const gnutls_datum_t *in, guint8 *out, gsize out_len)
{
	const guint8 *p = in->data;
	gsize n = in->size;

	while (n > 0 && *p == 0) {
		p++;
		n--;
	}
	if (n > out_len)
		return FALSE;
	memset (out, 0, out_len);
	if (n > 0)
		memcpy (out + out_len - n, p, n);
	return TRUE;
}

gboolean
esim_crypto_read_file (const gchar *path, gsize max_size, guint8 **data, gsize *len, GError **error)
{
	g_autoptr(GError) local_error = NULL;
	g_autoptr(GMappedFile) file = g_mapped_file_new (path, FALSE, &local_error);

	if (file == NULL) {
		gboolean missing = g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT);

		if (missing)
			g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_NOT_FOUND,
			             "%s: no such file", path);
		else
			g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
			             "%s", local_error->message);
		return FALSE;
	}
	if (g_mapped_file_get_length (file) > max_size) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		             "%s: larger than %" G_GSIZE_FORMAT " bytes", path, max_size);
		return FALSE;
	}
	*len = g_mapped_file_get_length (file);
	*data = g_memdup2 (g_mapped_file_get_contents (file), *len);
	return TRUE;
}
