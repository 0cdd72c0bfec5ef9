/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CI certificates by SubjectKeyIdentifier.  Only CA certificates
 * (basicConstraints cA TRUE) are kept: a CI is a certification authority,
 * and a leaf dropped into a CI directory by mistake must not become a trust
 * anchor.  Duplicates (the same DER in two directories) are kept once.
 */

#define G_LOG_DOMAIN "esim"

#include <glib/gstdio.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>
#include <sys/stat.h>

#include "esim-ci-store.h"
#include "esim-util.h"

/* a CI directory holds a handful of roots; anything bigger is not one */
#define CI_FILE_MAX_SIZE (256 * 1024)

typedef struct {
	gchar  *key_id;  /* upper-case hex */
	GBytes *der;
	gchar  *origin;  /* file it came from, for logs */
} CiEntry;

struct _EsimCiStore {
	GObject parent_instance;
	GPtrArray *entries; /* CiEntry* */
};

G_DEFINE_TYPE (EsimCiStore, esim_ci_store, G_TYPE_OBJECT)

static void
ci_entry_free (CiEntry *entry)
{
	g_free (entry->key_id);
	g_bytes_unref (entry->der);
	g_free (entry->origin);
	g_free (entry);
}

static void
esim_ci_store_finalize (GObject *object)
{
	EsimCiStore *self = ESIM_CI_STORE (object);

	g_ptr_array_unref (self->entries);
	G_OBJECT_CLASS (esim_ci_store_parent_class)->finalize (object);
}

static void
esim_ci_store_class_init (EsimCiStoreClass *klass)
{
	G_OBJECT_CLASS (klass)->finalize = esim_ci_store_finalize;
}

static void
esim_ci_store_init (EsimCiStore *self)
{
	self->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) ci_entry_free);
}

EsimCiStore *
esim_ci_store_new (void)
{
	return g_object_new (ESIM_TYPE_CI_STORE, NULL);
}

static gboolean
store_has_der (EsimCiStore *self, GBytes *der)
{
	for (guint i = 0; i < self->entries->len; i++) {
		CiEntry *entry = g_ptr_array_index (self->entries, i);

		if (g_bytes_equal (entry->der, der))
			return TRUE;
	}
	return FALSE;
}

/* Adds one imported certificate: 1 when added, 0 when the store had it
 * already, -1 (error set) when it cannot be a CI. */
static gint
store_add_crt (EsimCiStore *self, gnutls_x509_crt_t crt, const gchar *origin, GError **error)
{
	guint8 key_id[64];
	size_t key_id_len = sizeof (key_id);
	unsigned int critical = 0;
	unsigned int is_ca = 0;
	gnutls_datum_t der = { NULL, 0 };
	g_autoptr(GBytes) der_bytes = NULL;
	CiEntry *entry;
	int ret;

	ret = gnutls_x509_crt_get_basic_constraints (crt, &critical, &is_ca, NULL);
	if (ret < 0 || !is_ca) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		             "%s is not a CA certificate (no basicConstraints cA)", origin);
		return -1;
	}
	if (gnutls_x509_crt_get_subject_key_id (crt, key_id, &key_id_len, &critical) < 0 ||
	    key_id_len == 0) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		             "%s has no SubjectKeyIdentifier, which an eUICC names its CIs by",
		             origin);
		return -1;
	}
	if (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_DER, &der) < 0) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		             "%s cannot be re-encoded", origin);
		return -1;
	}
	der_bytes = g_bytes_new (der.data, der.size);
	gnutls_free (der.data);
	if (store_has_der (self, der_bytes))
		return 0;

	entry = g_new0 (CiEntry, 1);
	entry->key_id = esim_hex_encode (key_id, key_id_len);
	entry->der = g_steal_pointer (&der_bytes);
	entry->origin = g_strdup (origin);
	g_ptr_array_add (self->entries, entry);
	g_debug ("CI %s loaded from %s", entry->key_id, origin);
	return 1;
}

static gboolean
looks_like_pem (GBytes *data)
{
	gsize len = 0;
	const gchar *text = g_bytes_get_data (data, &len);

	return len > 0 && g_strstr_len (text, (gssize) len, "-----BEGIN ") != NULL;
}

/* Adds every certificate of @data (a PEM file may hold several); returns how
 * many were added, -1 with @error when nothing usable was found. */
static gint
store_add_data (EsimCiStore *self, GBytes *data, const gchar *origin, gboolean all_of_pem,
                GError **error)
{
	gnutls_datum_t datum;
	gnutls_x509_crt_t *crts = NULL;
	unsigned int n_crts = 0;
	gboolean pem = looks_like_pem (data);
	g_autoptr(GError) last_error = NULL;
	gboolean usable = FALSE;
	gint added = 0;
	int ret;

	datum.data = (unsigned char *) g_bytes_get_data (data, NULL);
	datum.size = (unsigned int) g_bytes_get_size (data);
	ret = gnutls_x509_crt_list_import2 (&crts, &n_crts, &datum,
	                                    pem ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER, 0);
	if (ret < 0 || n_crts == 0) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		             "%s is not an X.509 certificate: %s", origin,
		             ret < 0 ? gnutls_strerror (ret) : "no certificate");
		return -1;
	}
	for (unsigned int i = 0; i < n_crts; i++) {
		if (i == 0 || all_of_pem) {
			gint result;

			g_clear_error (&last_error);
			result = store_add_crt (self, crts[i], origin, &last_error);
			if (result < 0) {
				g_debug ("skipping a certificate: %s", last_error->message);
			} else {
				usable = TRUE;
				added += result;
			}
		}
		gnutls_x509_crt_deinit (crts[i]);
	}
	gnutls_free (crts);
	if (!usable && last_error != NULL) {
		g_propagate_error (error, g_steal_pointer (&last_error));
		return -1;
	}
	return added;
}

gboolean
esim_ci_store_add_certificate (EsimCiStore *self, GBytes *data, const gchar *origin,
                               GError **error)
{
	g_return_val_if_fail (ESIM_IS_CI_STORE (self), FALSE);
	g_return_val_if_fail (data != NULL, FALSE);

	return store_add_data (self, data, origin != NULL ? origin : "certificate", FALSE,
	                       error) >= 0;
}

static gboolean
is_certificate_file_name (const gchar *name)
{
	return g_str_has_suffix (name, ".pem") || g_str_has_suffix (name, ".crt") ||
	       g_str_has_suffix (name, ".cer") || g_str_has_suffix (name, ".der");
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
	return strcmp (*(const gchar *const *) a, *(const gchar *const *) b);
}

gboolean
esim_ci_store_add_directory (EsimCiStore *self, const gchar *path, guint *n_added,
                             GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(GDir) dir = NULL;
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
	const gchar *name;
	guint added = 0;

	g_return_val_if_fail (ESIM_IS_CI_STORE (self), FALSE);
	g_return_val_if_fail (path != NULL, FALSE);

	if (n_added != NULL)
		*n_added = 0;
	dir = g_dir_open (path, 0, &local);
	if (dir == NULL) {
		if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
			g_debug ("CI directory %s does not exist", path);
			return TRUE;
		}
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
		             "cannot read the CI directory %s: %s", path, local->message);
		return FALSE;
	}
	while ((name = g_dir_read_name (dir)) != NULL) {
		if (is_certificate_file_name (name))
			g_ptr_array_add (names, g_strdup (name));
	}
	/* a stable order, so that logs and lookups do not depend on the file system */
	g_ptr_array_sort (names, compare_strings);

	for (guint i = 0; i < names->len; i++) {
		g_autofree gchar *file = g_build_filename (path, g_ptr_array_index (names, i), NULL);
		g_autofree gchar *contents = NULL;
		g_autoptr(GBytes) data = NULL;
		g_autoptr(GError) file_error = NULL;
		GStatBuf info;
		gsize len = 0;
		gint n;

		if (g_stat (file, &info) != 0 || !S_ISREG (info.st_mode))
			continue;
		if (info.st_size > CI_FILE_MAX_SIZE) {
			g_warning ("CI file %s skipped: larger than %u bytes", file,
			           (guint) CI_FILE_MAX_SIZE);
			continue;
		}
		if (!g_file_get_contents (file, &contents, &len, &file_error)) {
			g_warning ("CI file skipped: %s", file_error->message);
			continue;
		}
		data = g_bytes_new_take (g_steal_pointer (&contents), len);
		n = store_add_data (self, data, file, TRUE, &file_error);
		if (n < 0)
			g_warning ("CI file skipped: %s", file_error->message);
		else
			added += (guint) n;
	}
	if (n_added != NULL)
		*n_added = added;
	return TRUE;
}

guint
esim_ci_store_get_size (EsimCiStore *self)
{
	g_return_val_if_fail (ESIM_IS_CI_STORE (self), 0);
	return self->entries->len;
}

GPtrArray *
esim_ci_store_lookup (EsimCiStore *self, const gchar *key_id_hex)
{
	GPtrArray *found = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

	g_return_val_if_fail (ESIM_IS_CI_STORE (self), found);
	g_return_val_if_fail (key_id_hex != NULL, found);

	for (guint i = 0; i < self->entries->len; i++) {
		CiEntry *entry = g_ptr_array_index (self->entries, i);

		if (g_ascii_strcasecmp (entry->key_id, key_id_hex) == 0)
			g_ptr_array_add (found, g_bytes_ref (entry->der));
	}
	return found;
}

GStrv
esim_ci_store_dup_key_ids (EsimCiStore *self)
{
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

	g_return_val_if_fail (ESIM_IS_CI_STORE (self), NULL);

	for (guint i = 0; i < self->entries->len; i++) {
		CiEntry *entry = g_ptr_array_index (self->entries, i);

		g_strv_builder_add (builder, entry->key_id);
	}
	return g_strv_builder_end (builder);
}
