/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the libesim-crypto sources; not installed, not API. */
#pragma once

#include <glib.h>
#include <gnutls/gnutls.h>

G_BEGIN_DECLS

/* FALSE with ESIM_CRYPTO_ERROR_FAILED "@what: <gnutls message>" when @rc < 0. */
gboolean esim_crypto_gnutls_ok (int rc, const gchar *what, GError **error);
/* Right-aligns an unsigned big-endian number (gnutls may add a leading 00)
 * into @out_len bytes; FALSE if it does not fit. */
gboolean esim_crypto_copy_unsigned (const gnutls_datum_t *in, guint8 *out, gsize out_len);
/* Reads a whole file of at most @max_size bytes; NOT_FOUND if it is missing. */
gboolean esim_crypto_read_file (const gchar *path, gsize max_size, guint8 **data, gsize *len,
                                GError **error);

G_END_DECLS
