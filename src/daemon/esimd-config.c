/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <gio/gio.h>

#include "esimd-config.h"

typedef struct {
	const gchar *group;
	const gchar *key;
} ConfigKey;

static const ConfigKey known_keys[] = {
	{ "daemon", "LogLevel" },
	{ "daemon", "LogPersonalInfo" },
	{ "euicc", "StoreDataSegmentSize" },
	{ "euicc", "RefreshOnSwitch" },
	{ "virtual", "Files" },
};

EsimdConfig *
esimd_config_new (void)
{
	EsimdConfig *self = g_new0 (EsimdConfig, 1);

	self->log_level = ESIMD_LOG_LEVEL_INFO;
	self->log_personal_info = FALSE;
	self->segment_size = ESIMD_CONFIG_SEGMENT_SIZE_MAX;
	self->refresh_on_switch = TRUE;
	self->virtual_files = g_ptr_array_new_with_free_func (g_free);
	return self;
}

void
esimd_config_free (EsimdConfig *self)
{
	if (self == NULL)
		return;
	g_ptr_array_unref (self->virtual_files);
	g_free (self);
}

static gboolean
config_group_is_known (const gchar *group)
{
	for (guint i = 0; i < G_N_ELEMENTS (known_keys); i++) {
		if (g_strcmp0 (known_keys[i].group, group) == 0)
			return TRUE;
	}
	return FALSE;
}

static gboolean
config_key_is_known (const gchar *group, const gchar *key)
{
	for (guint i = 0; i < G_N_ELEMENTS (known_keys); i++) {
		if (g_strcmp0 (known_keys[i].group, group) == 0 &&
		    g_strcmp0 (known_keys[i].key, key) == 0)
			return TRUE;
	}
	return FALSE;
}

static void
config_warn_unknown (GKeyFile *keyfile, const gchar *path)
{
	g_auto(GStrv) groups = g_key_file_get_groups (keyfile, NULL);

	for (guint i = 0; groups[i] != NULL; i++) {
		g_auto(GStrv) keys = NULL;

		if (!config_group_is_known (groups[i])) {
			g_warning ("%s: unknown group [%s] ignored", path, groups[i]);
			continue;
		}
		keys = g_key_file_get_keys (keyfile, groups[i], NULL, NULL);
		for (guint j = 0; keys != NULL && keys[j] != NULL; j++) {
			if (!config_key_is_known (groups[i], keys[j]))
				g_warning ("%s: unknown key [%s] %s ignored", path, groups[i], keys[j]);
		}
	}
}

static gboolean
config_invalid (GError **error, const gchar *path, const gchar *group, const gchar *key,
                GKeyFile *keyfile, const gchar *expected)
{
	g_autofree gchar *raw = g_key_file_get_value (keyfile, group, key, NULL);

	g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
	             "%s: [%s] %s: invalid value \"%s\" (expected %s)", path, group, key,
	             raw != NULL ? raw : "", expected);
	return FALSE;
}

static gboolean
config_read_boolean (GKeyFile *keyfile, const gchar *path, const gchar *group, const gchar *key,
                     gboolean *value, GError **error)
{
	g_autoptr(GError) local_error = NULL;
	gboolean result;

	if (!g_key_file_has_key (keyfile, group, key, NULL))
		return TRUE;
	result = g_key_file_get_boolean (keyfile, group, key, &local_error);
	if (local_error != NULL)
		return config_invalid (error, path, group, key, keyfile, "true or false");
	*value = result;
	return TRUE;
}

static gboolean
config_read_daemon (EsimdConfig *self, GKeyFile *keyfile, const gchar *path, GError **error)
{
	if (g_key_file_has_key (keyfile, "daemon", "LogLevel", NULL)) {
		g_autofree gchar *value = g_key_file_get_string (keyfile, "daemon", "LogLevel", NULL);
		if (value == NULL ||
		    !esimd_log_level_from_string (g_strstrip (value), &self->log_level))
			return config_invalid (error, path, "daemon", "LogLevel", keyfile,
			                       "error, warning, info or debug");
	}
	return config_read_boolean (keyfile, path, "daemon", "LogPersonalInfo",
	                            &self->log_personal_info, error);
}

static gboolean
config_read_euicc (EsimdConfig *self, GKeyFile *keyfile, const gchar *path, GError **error)
{
	if (g_key_file_has_key (keyfile, "euicc", "StoreDataSegmentSize", NULL)) {
		g_autofree gchar *value = g_key_file_get_value (keyfile, "euicc",
		                                                "StoreDataSegmentSize", NULL);
		g_autofree gchar *expected = g_strdup_printf ("an integer from %u to %u",
		                                              (guint) ESIMD_CONFIG_SEGMENT_SIZE_MIN,
		                                              (guint) ESIMD_CONFIG_SEGMENT_SIZE_MAX);
		guint64 size = 0;

		if (value == NULL ||
		    !g_ascii_string_to_unsigned (g_strstrip (value), 10, ESIMD_CONFIG_SEGMENT_SIZE_MIN,
		                                 ESIMD_CONFIG_SEGMENT_SIZE_MAX, &size, NULL))
			return config_invalid (error, path, "euicc", "StoreDataSegmentSize", keyfile,
			                       expected);
		self->segment_size = (guint) size;
	}
	return config_read_boolean (keyfile, path, "euicc", "RefreshOnSwitch",
	                            &self->refresh_on_switch, error);
}

static gboolean
config_read_virtual (EsimdConfig *self, GKeyFile *keyfile, const gchar *path, GError **error)
{
	g_autofree gchar *base = g_path_get_dirname (path);
	g_auto(GStrv) files = NULL;

	if (!g_key_file_has_key (keyfile, "virtual", "Files", NULL))
		return TRUE;
	files = g_key_file_get_string_list (keyfile, "virtual", "Files", NULL, NULL);
	if (files == NULL)
		return config_invalid (error, path, "virtual", "Files", keyfile,
		                       "a ;-separated list of file names");
	/* a later file replaces the list, as for every other key */
	g_ptr_array_set_size (self->virtual_files, 0);
	for (guint i = 0; files[i] != NULL; i++) {
		g_strstrip (files[i]);
		if (files[i][0] == '\0')
			continue;
		g_ptr_array_add (self->virtual_files, g_canonicalize_filename (files[i], base));
	}
	return TRUE;
}

gboolean
esimd_config_load_file (EsimdConfig *self, const gchar *path, GError **error)
{
	g_autoptr(GKeyFile) keyfile = g_key_file_new ();
	g_autoptr(GError) local_error = NULL;

	g_return_val_if_fail (self != NULL, FALSE);
	g_return_val_if_fail (path != NULL, FALSE);

	if (!g_key_file_load_from_file (keyfile, path, G_KEY_FILE_NONE, &local_error)) {
		g_set_error (error, local_error->domain, local_error->code, "%s: %s", path,
		             local_error->message);
		return FALSE;
	}
	config_warn_unknown (keyfile, path);
	if (!config_read_daemon (self, keyfile, path, error))
		return FALSE;
	if (!config_read_euicc (self, keyfile, path, error))
		return FALSE;
	return config_read_virtual (self, keyfile, path, error);
}

static gint
config_compare_names (gconstpointer a, gconstpointer b)
{
	return g_strcmp0 (*(const gchar *const *) a, *(const gchar *const *) b);
}

gboolean
esimd_config_load (EsimdConfig *self,
                   const gchar *config_file,
                   const gchar *config_dir,
                   GError **error)
{
	g_autoptr(GDir) dir = NULL;
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
	g_autoptr(GError) dir_error = NULL;
	const gchar *name;

	g_return_val_if_fail (self != NULL, FALSE);

	if (config_file != NULL) {
		if (!esimd_config_load_file (self, config_file, error))
			return FALSE;
	} else if (g_file_test (ESIMD_CONFIG_FILE, G_FILE_TEST_EXISTS)) {
		if (!esimd_config_load_file (self, ESIMD_CONFIG_FILE, error))
			return FALSE;
	}

	if (config_dir == NULL)
		return TRUE;
	dir = g_dir_open (config_dir, 0, &dir_error);
	if (dir == NULL) {
		if (g_error_matches (dir_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return TRUE;
		g_set_error (error, dir_error->domain, dir_error->code, "%s: %s", config_dir,
		             dir_error->message);
		return FALSE;
	}
	while ((name = g_dir_read_name (dir)) != NULL) {
		if (g_str_has_suffix (name, ".conf"))
			g_ptr_array_add (names, g_strdup (name));
	}
	g_ptr_array_sort (names, config_compare_names);
	for (guint i = 0; i < names->len; i++) {
		g_autofree gchar *path = g_build_filename (config_dir, g_ptr_array_index (names, i),
		                                           NULL);
		if (!esimd_config_load_file (self, path, error))
			return FALSE;
	}
	return TRUE;
}
