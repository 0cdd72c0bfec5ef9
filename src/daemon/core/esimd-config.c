/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "esim-file.h"
#include "esim-notify.h"
#include "esimd-config.h"

/* a configuration is a few hundred bytes; anything near this is not one */
#define ESIMD_CONFIG_MAX_SIZE (1024 * 1024)

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
	{ "modem", "Enabled" },
	{ "modem", "UseProxy" },
	{ "modem", "InhibitOnSwitch" },
	{ "modem", "SwitchTimeout" },
	{ "pcsc", "Readers" },
	{ "pcsc", "AutoDetect" },
	{ "download", "TestCiDirectory" },
	{ "download", "RequestTimeout" },
	{ "notifications", "Automatic" },
	{ "notifications", "RetryInitialDelay" },
	{ "notifications", "RetryMaxDelay" },
	{ "eim", "PollInterval" },
	{ "eim", "PollJitter" },
	{ "eim", "BackoffMax" },
	{ "eim", "MaxPackages" },
	{ "eim", "RollbackTimeout" },
	{ "eim", "Timeout" },
	{ "eim", "Attempts" },
	{ "eim", "RetryDelay" },
	{ "eim", "Binding" },
};

/* keys of the [modem:<Model>] and [modem:<vid>:<pid>] groups */
#define MODEM_GROUP_PREFIX "modem:"
static const gchar *const modem_override_keys[] = {
	"Refresh", "ResetAfterSwitch", "InhibitOnSwitch",
};

static void
modem_override_free (EsimdModemOverride *override)
{
	g_free (override->match);
	g_free (override);
}

EsimdConfig *
esimd_config_new (void)
{
	EsimdConfig *self = g_new0 (EsimdConfig, 1);

	self->log_level = ESIMD_LOG_LEVEL_INFO;
	self->log_personal_info = FALSE;
	self->segment_size = ESIMD_CONFIG_SEGMENT_SIZE_MAX;
	self->refresh_on_switch = TRUE;
	self->virtual_files = g_ptr_array_new_with_free_func (g_free);
	self->modem_enabled = ESIMD_MODEM_ENABLED_AUTO;
	self->modem_use_proxy = TRUE;
	/* see esimd.conf: ModemManager must neither race the card reset nor keep a stale SIM */
	self->inhibit_on_switch = TRUE;
	self->switch_timeout_s = 60;
	self->modem_overrides = g_ptr_array_new_with_free_func ((GDestroyNotify) modem_override_free);
	self->pcsc_readers = g_ptr_array_new_with_free_func (g_free);
	self->pcsc_auto_detect = FALSE;
	/* slow cellular links need patience (design.md: ≥ 60 s per request) */
	self->request_timeout_s = 60;
	self->notify_automatic = TRUE;
	self->notify_retry_initial_s = ESIM_NOTIFY_RETRY_INITIAL_DEFAULT;
	self->notify_retry_max_s = ESIM_NOTIFY_RETRY_MAX_DEFAULT;
	self->eim_poll_interval_s = 3600;
	self->eim_poll_jitter_pct = 10;
	self->eim_backoff_max_s = 3600;
	self->eim_max_packages = 16;
	self->eim_rollback_timeout_s = 300;
	self->eim_poll_automatic = TRUE;
	return self;
}

void
esimd_config_free (EsimdConfig *self)
{
	if (self == NULL)
		return;
	g_ptr_array_unref (self->virtual_files);
	g_ptr_array_unref (self->modem_overrides);
	g_ptr_array_unref (self->pcsc_readers);
	g_free (self->test_ci_dir);
	g_free (self);
}

static gboolean
config_group_is_modem_override (const gchar *group)
{
	return g_str_has_prefix (group, MODEM_GROUP_PREFIX) &&
	       group[strlen (MODEM_GROUP_PREFIX)] != '\0';
}

static gboolean
config_group_is_known (const gchar *group)
{
	if (config_group_is_modem_override (group))
		return TRUE;
	for (guint i = 0; i < G_N_ELEMENTS (known_keys); i++) {
		if (g_strcmp0 (known_keys[i].group, group) == 0)
			return TRUE;
	}
	return FALSE;
}

static gboolean
config_key_is_known (const gchar *group, const gchar *key)
{
	if (config_group_is_modem_override (group)) {
		for (guint i = 0; i < G_N_ELEMENTS (modem_override_keys); i++) {
			if (g_strcmp0 (modem_override_keys[i], key) == 0)
				return TRUE;
		}
		return FALSE;
	}
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

static gboolean
config_read_uint (GKeyFile *keyfile, const gchar *path, const gchar *group, const gchar *key,
                  guint min, guint max, guint *value, GError **error)
{
	g_autofree gchar *raw = NULL;
	g_autofree gchar *expected = NULL;
	guint64 number = 0;

	if (!g_key_file_has_key (keyfile, group, key, NULL))
		return TRUE;
	raw = g_key_file_get_value (keyfile, group, key, NULL);
	if (raw == NULL ||
	    !g_ascii_string_to_unsigned (g_strstrip (raw), 10, min, max, &number, NULL)) {
		expected = g_strdup_printf ("an integer from %u to %u", min, max);
		return config_invalid (error, path, group, key, keyfile, expected);
	}
	*value = (guint) number;
	return TRUE;
}

static gboolean
config_read_modem (EsimdConfig *self, GKeyFile *keyfile, const gchar *path, GError **error)
{
	if (g_key_file_has_key (keyfile, "modem", "Enabled", NULL)) {
		g_autofree gchar *raw = g_key_file_get_value (keyfile, "modem", "Enabled", NULL);

		if (raw != NULL)
			g_strstrip (raw);
		if (g_strcmp0 (raw, "auto") == 0)
			self->modem_enabled = ESIMD_MODEM_ENABLED_AUTO;
		else if (g_strcmp0 (raw, "true") == 0)
			self->modem_enabled = ESIMD_MODEM_ENABLED_YES;
		else if (g_strcmp0 (raw, "false") == 0)
			self->modem_enabled = ESIMD_MODEM_ENABLED_NO;
		else
			return config_invalid (error, path, "modem", "Enabled", keyfile,
			                       "auto, true or false");
	}
	if (!config_read_boolean (keyfile, path, "modem", "UseProxy", &self->modem_use_proxy, error))
		return FALSE;
	if (!config_read_boolean (keyfile, path, "modem", "InhibitOnSwitch",
	                          &self->inhibit_on_switch, error))
		return FALSE;
	return config_read_uint (keyfile, path, "modem", "SwitchTimeout",
	                         ESIMD_CONFIG_SWITCH_TIMEOUT_MIN, ESIMD_CONFIG_SWITCH_TIMEOUT_MAX,
	                         &self->switch_timeout_s, error);
}

static gboolean
config_parse_reset_after_switch (const gchar *value, EsimdResetAfterSwitch *reset)
{
	for (guint i = ESIMD_RESET_AFTER_SWITCH_NONE; i <= ESIMD_RESET_AFTER_SWITCH_MODEM; i++) {
		if (g_strcmp0 (value, esimd_reset_after_switch_to_string (i)) == 0) {
			*reset = i;
			return TRUE;
		}
	}
	return FALSE;
}

/* "2c7c:0125": a USB vendor and product id, else a model name. */
static void
config_parse_usb_id (EsimdModemOverride *override)
{
	const gchar *match = override->match;
	guint64 vid = 0, pid = 0;
	g_autofree gchar *vid_str = NULL;

	if (strlen (match) != 9 || match[4] != ':')
		return;
	vid_str = g_strndup (match, 4);
	if (!g_ascii_string_to_unsigned (vid_str, 16, 0, G_MAXUINT16, &vid, NULL) ||
	    !g_ascii_string_to_unsigned (match + 5, 16, 0, G_MAXUINT16, &pid, NULL))
		return;
	override->is_usb_id = TRUE;
	override->vid = (guint16) vid;
	override->pid = (guint16) pid;
}

static EsimdModemOverride *
config_find_override (EsimdConfig *self, const gchar *match)
{
	for (guint i = 0; i < self->modem_overrides->len; i++) {
		EsimdModemOverride *override = g_ptr_array_index (self->modem_overrides, i);

		if (g_ascii_strcasecmp (override->match, match) == 0)
			return override;
	}
	return NULL;
}

static gboolean
config_read_modem_override (EsimdConfig *self, GKeyFile *keyfile, const gchar *path,
                            const gchar *group, GError **error)
{
	const gchar *match = group + strlen (MODEM_GROUP_PREFIX);
	EsimdModemOverride *override = config_find_override (self, match);
	gboolean value;

	/* a later file overrides the keys it sets, group by group */
	if (override == NULL) {
		override = g_new0 (EsimdModemOverride, 1);
		override->match = g_strstrip (g_strdup (match));
		override->refresh = -1;
		override->reset_after_switch = -1;
		override->inhibit_on_switch = -1;
		config_parse_usb_id (override);
		g_ptr_array_add (self->modem_overrides, override);
	}
	if (g_key_file_has_key (keyfile, group, "Refresh", NULL)) {
		if (!config_read_boolean (keyfile, path, group, "Refresh", &value, error))
			return FALSE;
		override->refresh = value;
	}
	if (g_key_file_has_key (keyfile, group, "InhibitOnSwitch", NULL)) {
		if (!config_read_boolean (keyfile, path, group, "InhibitOnSwitch", &value, error))
			return FALSE;
		override->inhibit_on_switch = value;
	}
	if (g_key_file_has_key (keyfile, group, "ResetAfterSwitch", NULL)) {
		g_autofree gchar *raw = g_key_file_get_value (keyfile, group, "ResetAfterSwitch", NULL);
		EsimdResetAfterSwitch reset;

		if (raw == NULL || !config_parse_reset_after_switch (g_strstrip (raw), &reset))
			return config_invalid (error, path, group, "ResetAfterSwitch", keyfile,
			                       "none, card or modem");
		override->reset_after_switch = reset;
	}
	return TRUE;
}

static gboolean
config_read_modem_overrides (EsimdConfig *self, GKeyFile *keyfile, const gchar *path,
                             GError **error)
{
	g_auto(GStrv) groups = g_key_file_get_groups (keyfile, NULL);

	for (guint i = 0; groups[i] != NULL; i++) {
		if (!config_group_is_modem_override (groups[i]))
			continue;
		if (!config_read_modem_override (self, keyfile, path, groups[i], error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
config_read_pcsc (EsimdConfig *self, GKeyFile *keyfile, const gchar *path, GError **error)
{
	if (g_key_file_has_key (keyfile, "pcsc", "Readers", NULL)) {
		g_auto(GStrv) readers = g_key_file_get_string_list (keyfile, "pcsc", "Readers", NULL,
		                                                     NULL);
		if (readers == NULL)
			return config_invalid (error, path, "pcsc", "Readers", keyfile,
			                       "a ;-separated list of reader names");
		g_ptr_array_set_size (self->pcsc_readers, 0);
		for (guint i = 0; readers[i] != NULL; i++) {
			/* reader names carry meaningful inner spaces: trim only the ends */
			g_strstrip (readers[i]);
			if (readers[i][0] != '\0')
				g_ptr_array_add (self->pcsc_readers, g_strdup (readers[i]));
		}
	}
	return config_read_boolean (keyfile, path, "pcsc", "AutoDetect", &self->pcsc_auto_detect,
	                            error);
}

static gboolean
config_read_download (EsimdConfig *self, GKeyFile *keyfile, const gchar *path, GError **error)
{
	if (g_key_file_has_key (keyfile, "download", "TestCiDirectory", NULL)) {
		g_autofree gchar *base = g_path_get_dirname (path);
		g_autofree gchar *raw = g_key_file_get_value (keyfile, "download", "TestCiDirectory",
		                                              NULL);

		/* empty: none (a later file can take back an earlier one's) */
		g_clear_pointer (&self->test_ci_dir, g_free);
		if (raw != NULL && *g_strstrip (raw) != '\0')
			self->test_ci_dir = g_canonicalize_filename (raw, base);
	}
	return config_read_uint (keyfile, path, "download", "RequestTimeout",
	                         ESIMD_CONFIG_REQUEST_TIMEOUT_MIN, ESIMD_CONFIG_REQUEST_TIMEOUT_MAX,
	                         &self->request_timeout_s, error);
}

static gboolean
config_read_notifications (EsimdConfig *self, GKeyFile *keyfile, const gchar *path,
                           GError **error)
{
	if (!config_read_boolean (keyfile, path, "notifications", "Automatic",
	                          &self->notify_automatic, error) ||
	    !config_read_uint (keyfile, path, "notifications", "RetryInitialDelay", 1,
	                       ESIMD_CONFIG_NOTIFY_RETRY_MAX, &self->notify_retry_initial_s, error) ||
	    !config_read_uint (keyfile, path, "notifications", "RetryMaxDelay", 1,
	                       ESIMD_CONFIG_NOTIFY_RETRY_MAX, &self->notify_retry_max_s, error))
		return FALSE;
	/* checked on what this file leaves, so that the keys may come from different files */
	if (self->notify_retry_max_s < self->notify_retry_initial_s) {
		g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
		             "%s: [notifications] RetryMaxDelay (%u) is shorter than "
		             "RetryInitialDelay (%u)", path, self->notify_retry_max_s,
		             self->notify_retry_initial_s);
		return FALSE;
	}
	return TRUE;
}

static gboolean
config_read_eim (EsimdConfig *self, GKeyFile *keyfile, const gchar *path, GError **error)
{
	if (g_key_file_has_key (keyfile, "eim", "Binding", NULL)) {
		g_autofree gchar *raw = g_key_file_get_value (keyfile, "eim", "Binding", NULL);

		if (raw == NULL || (g_strcmp0 (g_strstrip (raw), "asn1") != 0 &&
		                    g_strcmp0 (raw, "json") != 0))
			return config_invalid (error, path, "eim", "Binding", keyfile,
			                       "asn1 or json");
		self->eim_binding_json = g_strcmp0 (raw, "json") == 0;
	}
	return config_read_uint (keyfile, path, "eim", "PollInterval", 1, 7 * 24 * 3600,
	                         &self->eim_poll_interval_s, error) &&
	       config_read_uint (keyfile, path, "eim", "PollJitter", 0, 50,
	                         &self->eim_poll_jitter_pct, error) &&
	       config_read_uint (keyfile, path, "eim", "BackoffMax", 1, 7 * 24 * 3600,
	                         &self->eim_backoff_max_s, error) &&
	       config_read_uint (keyfile, path, "eim", "MaxPackages", 1, 256,
	                         &self->eim_max_packages, error) &&
	       config_read_uint (keyfile, path, "eim", "RollbackTimeout", 2, 3600,
	                         &self->eim_rollback_timeout_s, error) &&
	       config_read_uint (keyfile, path, "eim", "Timeout", 1, 600, &self->eim_timeout_s,
	                         error) &&
	       config_read_uint (keyfile, path, "eim", "Attempts", 1, 10, &self->eim_attempts,
	                         error) &&
	       config_read_uint (keyfile, path, "eim", "RetryDelay", 1, 600,
	                         &self->eim_retry_delay_s, error);
}

/* The text of a configuration file.  A FIFO, a device or a directory is refused without
 * blocking or reading without end, except /dev/null: no configuration at all
 * (--config=/dev/null, or a drop-in masked as systemd's are). */
static gboolean
config_read_text (const gchar *path, gchar **contents, gsize *length, GError **error)
{
	GStatBuf st;

	if (g_stat (path, &st) == 0 && S_ISCHR (st.st_mode) && st.st_rdev == makedev (1, 3)) {
		*contents = g_strdup ("");
		*length = 0;
		return TRUE;
	}
	return esim_file_read_regular (path, ESIMD_CONFIG_MAX_SIZE, FALSE, contents, length, NULL,
	                               NULL, error);
}

gboolean
esimd_config_load_file (EsimdConfig *self, const gchar *path, GError **error)
{
	g_autoptr(GKeyFile) keyfile = g_key_file_new ();
	g_autoptr(GError) local_error = NULL;
	g_autofree gchar *contents = NULL;
	gsize length = 0;

	g_return_val_if_fail (self != NULL, FALSE);
	g_return_val_if_fail (path != NULL, FALSE);

	if (!config_read_text (path, &contents, &length, &local_error) ||
	    !g_key_file_load_from_data (keyfile, contents, length, G_KEY_FILE_NONE, &local_error)) {
		g_set_error (error, local_error->domain, local_error->code, "%s: %s", path,
		             local_error->message);
		return FALSE;
	}
	config_warn_unknown (keyfile, path);
	if (!config_read_daemon (self, keyfile, path, error))
		return FALSE;
	if (!config_read_euicc (self, keyfile, path, error))
		return FALSE;
	if (!config_read_virtual (self, keyfile, path, error))
		return FALSE;
	if (!config_read_modem (self, keyfile, path, error))
		return FALSE;
	if (!config_read_modem_overrides (self, keyfile, path, error))
		return FALSE;
	if (!config_read_download (self, keyfile, path, error) ||
	    !config_read_notifications (self, keyfile, path, error) ||
	    !config_read_eim (self, keyfile, path, error))
		return FALSE;
	return config_read_pcsc (self, keyfile, path, error);
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

/* ---- per-modem policy ---- */

const gchar *
esimd_reset_after_switch_to_string (EsimdResetAfterSwitch reset)
{
	switch (reset) {
	case ESIMD_RESET_AFTER_SWITCH_CARD:
		return "card";
	case ESIMD_RESET_AFTER_SWITCH_MODEM:
		return "modem";
	case ESIMD_RESET_AFTER_SWITCH_NONE:
	default:
		return "none";
	}
}

static gboolean
config_override_matches (const EsimdModemOverride *override, const gchar *manufacturer,
                         const gchar *model, guint16 vid, guint16 pid, gboolean usb_ids)
{
	g_autofree gchar *full = NULL;

	if (usb_ids)
		return override->is_usb_id && (vid != 0 || pid != 0) && override->vid == vid &&
		       override->pid == pid;
	if (override->is_usb_id || model == NULL || model[0] == '\0')
		return FALSE;
	if (g_ascii_strcasecmp (override->match, model) == 0)
		return TRUE;
	if (manufacturer == NULL || manufacturer[0] == '\0')
		return FALSE;
	full = g_strdup_printf ("%s %s", manufacturer, model);
	return g_ascii_strcasecmp (override->match, full) == 0;
}

static void
config_apply_override (const EsimdModemOverride *override, EsimdModemPolicy *policy,
                       gboolean *reset_set)
{
	if (override->refresh >= 0)
		policy->refresh = override->refresh;
	if (override->inhibit_on_switch >= 0)
		policy->inhibit_on_switch = override->inhibit_on_switch;
	if (override->reset_after_switch >= 0) {
		policy->reset_after_switch = override->reset_after_switch;
		*reset_set = TRUE;
	}
}

void
esimd_config_get_modem_policy (const EsimdConfig *self,
                               const gchar *manufacturer,
                               const gchar *model,
                               guint16 vid,
                               guint16 pid,
                               EsimdModemPolicy *policy)
{
	gboolean reset_set = FALSE;

	g_return_if_fail (self != NULL);
	g_return_if_fail (policy != NULL);

	policy->inhibit_on_switch = self->inhibit_on_switch;
	policy->refresh = TRUE;
	policy->reset_after_switch = ESIMD_RESET_AFTER_SWITCH_NONE;
	policy->switch_timeout_s = self->switch_timeout_s;
	/* the model group first, so that the more precise USB id wins */
	for (guint pass = 0; pass < 2; pass++) {
		for (guint i = 0; i < self->modem_overrides->len; i++) {
			const EsimdModemOverride *override = g_ptr_array_index (self->modem_overrides, i);

			if (config_override_matches (override, manufacturer, model, vid, pid, pass == 1))
				config_apply_override (override, policy, &reset_set);
		}
	}
	/* a card told not to refresh must be reset for the modem to see the new profile */
	if (!policy->refresh && !reset_set)
		policy->reset_after_switch = ESIMD_RESET_AFTER_SWITCH_CARD;
}

void
esimd_config_get_eim_settings (const EsimdConfig *self, const gchar *eim_id,
                               EsimdEimSettings *settings)
{
	g_return_if_fail (self != NULL);
	g_return_if_fail (settings != NULL);

	settings->poll_interval_s = self->eim_poll_interval_s;
	settings->poll_jitter_pct = self->eim_poll_jitter_pct;
	settings->backoff_max_s = self->eim_backoff_max_s;
	settings->max_packages = self->eim_max_packages;
	settings->rollback_timeout_s = self->eim_rollback_timeout_s;
	settings->timeout_s = self->eim_timeout_s;
	settings->attempts = self->eim_attempts;
	settings->retry_delay_s = self->eim_retry_delay_s;
	settings->binding_json = self->eim_binding_json;
}
