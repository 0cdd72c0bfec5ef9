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
	{ "push", "InjectAddress" },
	{ "push", "InjectPort" },
	{ "push", "InjectCertificate" },
	{ "push", "InjectKey" },
	{ "sms-wakeup", "Senders" },
	{ "sms-wakeup", "Pattern" },
	{ "sms-wakeup", "Delete" },
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

/* [eim] and [eim:<eimId>]: one parser for the ESipa client's keys and the poll
 * scheduler's; a group only records the keys it sets, so that a later file (or
 * the [eim:<eimId>] group over [eim]) overrides key by key */
#define EIM_GROUP "eim"
#define EIM_GROUP_PREFIX "eim:"

typedef enum {
	EIM_KEY_BINDING,
	EIM_KEY_ASN1_PATH,
	EIM_KEY_JSON_PREFIX,
	EIM_KEY_CA_FILE,
	EIM_KEY_TIMEOUT,
	EIM_KEY_ATTEMPTS,
	EIM_KEY_RETRY_DELAY,
	EIM_KEY_POLL_INTERVAL,
	EIM_KEY_POLL_JITTER,
	EIM_KEY_BACKOFF_MAX,
	EIM_KEY_MAX_PACKAGES,
	EIM_KEY_ROLLBACK_TIMEOUT,
	EIM_KEY_COUNT,
} EimKey;

static const gchar *const eim_keys[EIM_KEY_COUNT] = {
	"Binding", "Asn1Path", "JsonPrefix", "CaFile", "Timeout", "Attempts", "RetryDelay",
	"PollInterval", "PollJitter", "BackoffMax", "MaxPackages", "RollbackTimeout",
};

/* the numeric keys: their range and where they go */
static const struct {
	EimKey key;
	guint  min;
	guint  max;
	gsize  offset;
} eim_uint_keys[] = {
	{ EIM_KEY_TIMEOUT, 1, ESIMD_CONFIG_EIM_TIMEOUT_MAX,
	  G_STRUCT_OFFSET (EsimdEimSettings, timeout_s) },
	{ EIM_KEY_ATTEMPTS, 1, ESIMD_CONFIG_EIM_ATTEMPTS_MAX,
	  G_STRUCT_OFFSET (EsimdEimSettings, attempts) },
	{ EIM_KEY_RETRY_DELAY, 1, ESIMD_CONFIG_EIM_RETRY_DELAY_MAX,
	  G_STRUCT_OFFSET (EsimdEimSettings, retry_delay_s) },
	{ EIM_KEY_POLL_INTERVAL, 1, ESIMD_CONFIG_EIM_POLL_INTERVAL_MAX,
	  G_STRUCT_OFFSET (EsimdEimSettings, poll_interval_s) },
	{ EIM_KEY_POLL_JITTER, 0, ESIMD_CONFIG_EIM_POLL_JITTER_MAX,
	  G_STRUCT_OFFSET (EsimdEimSettings, poll_jitter_percent) },
	{ EIM_KEY_BACKOFF_MAX, 1, ESIMD_CONFIG_EIM_BACKOFF_MAX_MAX,
	  G_STRUCT_OFFSET (EsimdEimSettings, backoff_max_s) },
	{ EIM_KEY_MAX_PACKAGES, 1, ESIMD_CONFIG_EIM_MAX_PACKAGES_MAX,
	  G_STRUCT_OFFSET (EsimdEimSettings, max_packages) },
	{ EIM_KEY_ROLLBACK_TIMEOUT, 2, ESIMD_CONFIG_EIM_ROLLBACK_MAX,
	  G_STRUCT_OFFSET (EsimdEimSettings, rollback_timeout_s) },
};

struct _EsimdEimGroup {
	gchar           *eim_id;   /* NULL: [eim] */
	guint            set;      /* 1 << EimKey for each key given */
	EsimdEimSettings settings;
};

static void
eim_settings_clear (EsimdEimSettings *settings)
{
	g_clear_pointer (&settings->asn1_path, g_free);
	g_clear_pointer (&settings->json_prefix, g_free);
	g_clear_pointer (&settings->ca_file, g_free);
}

static void
eim_group_free (EsimdEimGroup *group)
{
	eim_settings_clear (&group->settings);
	g_free (group->eim_id);
	g_free (group);
}

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
	self->eim_defaults = g_new0 (EsimdEimGroup, 1);
	self->eim_groups = g_ptr_array_new_with_free_func ((GDestroyNotify) eim_group_free);
	self->sms_senders = g_ptr_array_new_with_free_func (g_free);
	self->sms_delete = TRUE;
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
	eim_group_free (self->eim_defaults);
	g_ptr_array_unref (self->eim_groups);
	g_free (self->inject_address);
	g_free (self->inject_certificate);
	g_free (self->inject_key);
	g_ptr_array_unref (self->sms_senders);
	g_free (self->sms_pattern);
	g_free (self);
}

static gboolean
config_group_is_modem_override (const gchar *group)
{
	return g_str_has_prefix (group, MODEM_GROUP_PREFIX) &&
	       group[strlen (MODEM_GROUP_PREFIX)] != '\0';
}

static gboolean
config_group_is_eim (const gchar *group)
{
	return g_strcmp0 (group, EIM_GROUP) == 0 ||
	       (g_str_has_prefix (group, EIM_GROUP_PREFIX) &&
	        group[strlen (EIM_GROUP_PREFIX)] != '\0');
}

static gboolean
config_group_is_known (const gchar *group)
{
	if (config_group_is_modem_override (group) || config_group_is_eim (group))
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
	if (config_group_is_eim (group)) {
		for (guint i = 0; i < EIM_KEY_COUNT; i++) {
			if (g_strcmp0 (eim_keys[i], key) == 0)
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

/* A file name relative to the configuration file's directory; empty: none. */
static void
config_read_path (GKeyFile *keyfile, const gchar *path, const gchar *group, const gchar *key,
                  gchar **value)
{
	g_autofree gchar *base = NULL;
	g_autofree gchar *raw = NULL;

	if (!g_key_file_has_key (keyfile, group, key, NULL))
		return;
	base = g_path_get_dirname (path);
	raw = g_key_file_get_value (keyfile, group, key, NULL);
	g_clear_pointer (value, g_free);
	if (raw != NULL && *g_strstrip (raw) != '\0')
		*value = g_canonicalize_filename (raw, base);
}

static gboolean
config_read_push (EsimdConfig *self, GKeyFile *keyfile, const gchar *path, GError **error)
{
	if (g_key_file_has_key (keyfile, "push", "InjectAddress", NULL)) {
		g_autofree gchar *raw = g_key_file_get_value (keyfile, "push", "InjectAddress", NULL);
		g_autoptr(GInetAddress) address = NULL;

		g_clear_pointer (&self->inject_address, g_free);
		if (raw != NULL && *g_strstrip (raw) != '\0') {
			address = g_inet_address_new_from_string (raw);
			if (address == NULL)
				return config_invalid (error, path, "push", "InjectAddress", keyfile,
				                       "an IPv4 or IPv6 address");
			self->inject_address = g_steal_pointer (&raw);
		}
	}
	config_read_path (keyfile, path, "push", "InjectCertificate", &self->inject_certificate);
	config_read_path (keyfile, path, "push", "InjectKey", &self->inject_key);
	return config_read_uint (keyfile, path, "push", "InjectPort", 0, G_MAXUINT16,
	                         &self->inject_port, error);
}

static gboolean
config_read_sms_wakeup (EsimdConfig *self, GKeyFile *keyfile, const gchar *path, GError **error)
{
	if (g_key_file_has_key (keyfile, "sms-wakeup", "Senders", NULL)) {
		g_auto(GStrv) senders = g_key_file_get_string_list (keyfile, "sms-wakeup", "Senders",
		                                                     NULL, NULL);
		if (senders == NULL)
			return config_invalid (error, path, "sms-wakeup", "Senders", keyfile,
			                       "a ;-separated list of phone numbers");
		g_ptr_array_set_size (self->sms_senders, 0);
		for (guint i = 0; senders[i] != NULL; i++) {
			g_strstrip (senders[i]);
			if (senders[i][0] != '\0')
				g_ptr_array_add (self->sms_senders, g_strdup (senders[i]));
		}
	}
	if (g_key_file_has_key (keyfile, "sms-wakeup", "Pattern", NULL)) {
		/* the raw value: a pattern's backslashes are its own, not the key file's escapes */
		g_autofree gchar *raw = g_key_file_get_value (keyfile, "sms-wakeup", "Pattern", NULL);
		g_autoptr(GRegex) regex = NULL;
		g_autoptr(GError) regex_error = NULL;

		g_clear_pointer (&self->sms_pattern, g_free);
		if (raw != NULL && *g_strstrip (raw) != '\0') {
			regex = g_regex_new (raw, G_REGEX_OPTIMIZE, 0, &regex_error);
			if (regex == NULL) {
				g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
				             "%s: [sms-wakeup] Pattern: invalid regular expression \"%s\": %s",
				             path, raw, regex_error->message);
				return FALSE;
			}
			self->sms_pattern = g_steal_pointer (&raw);
		}
	}
	return config_read_boolean (keyfile, path, "sms-wakeup", "Delete", &self->sms_delete, error);
}

/* The keys that only make sense together, checked on what every file left. */
static gboolean
config_check_push (EsimdConfig *self, GError **error)
{
	if (self->inject_port == 0)
		return TRUE;
	if (self->inject_certificate == NULL || self->inject_key == NULL) {
		g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
		             "[push] InjectPort=%u needs InjectCertificate and InjectKey "
		             "(the listener's TLS certificate and private key, PEM files)",
		             self->inject_port);
		return FALSE;
	}
	return TRUE;
}

/* ---- [eim] and [eim:<eimId>] ---- */

/* An HTTP path: "/" then URI path characters (RFC 3986 pchar and "/"), no
 * query, fragment or percent sign, which would change what the eIM sees. */
static gboolean
config_eim_path_valid (const gchar *path)
{
	if (path[0] != '/' || strlen (path) > ESIMD_CONFIG_EIM_PATH_MAX)
		return FALSE;
	for (const gchar *p = path; *p != '\0'; p++) {
		if (!g_ascii_isalnum (*p) && strchr ("/-._~!$&'()*+,;=:@", *p) == NULL)
			return FALSE;
	}
	return TRUE;
}

static gboolean
config_read_eim_path (GKeyFile *keyfile, const gchar *path, const gchar *group, EimKey key,
                      gchar **value, GError **error)
{
	g_autofree gchar *raw = g_key_file_get_value (keyfile, group, eim_keys[key], NULL);
	gboolean prefix = key == EIM_KEY_JSON_PREFIX;

	if (raw == NULL || !config_eim_path_valid (g_strstrip (raw)) ||
	    (prefix && !g_str_has_suffix (raw, "/")))
		return config_invalid (error, path, group, eim_keys[key], keyfile,
		                       prefix ? "an HTTP path beginning and ending with \"/\", "
		                                "e.g. " ESIM_ESIPA_JSON_PREFIX
		                              : "an HTTP path beginning with \"/\", e.g. "
		                                ESIM_ESIPA_PATH_ASN1);
	g_free (*value);
	*value = g_steal_pointer (&raw);
	return TRUE;
}

/* A CA file must be there when esimd starts: an eIM whose trust depends on it
 * would otherwise fail at its first poll, far from the mistake. */
static gboolean
config_read_eim_ca_file (GKeyFile *keyfile, const gchar *path, const gchar *group,
                         gchar **value, GError **error)
{
	g_autofree gchar *raw = g_key_file_get_value (keyfile, group, eim_keys[EIM_KEY_CA_FILE],
	                                              NULL);
	g_autofree gchar *base = g_path_get_dirname (path);
	g_autofree gchar *file = NULL;

	g_clear_pointer (value, g_free);
	/* empty: none (a later file can take back an earlier one's) */
	if (raw == NULL || *g_strstrip (raw) == '\0')
		return TRUE;
	file = g_canonicalize_filename (raw, base);
	if (!g_file_test (file, G_FILE_TEST_IS_REGULAR)) {
		g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
		             "%s: [%s] %s: \"%s\" is not a readable file of CA certificates", path,
		             group, eim_keys[EIM_KEY_CA_FILE], file);
		return FALSE;
	}
	*value = g_steal_pointer (&file);
	return TRUE;
}

static gboolean
config_read_eim_key (GKeyFile *keyfile, const gchar *path, const gchar *group, EimKey key,
                     EsimdEimSettings *settings, GError **error)
{
	switch (key) {
	case EIM_KEY_BINDING: {
		g_autofree gchar *raw = g_key_file_get_value (keyfile, group, eim_keys[key], NULL);

		if (raw == NULL || !esim_esipa_binding_from_string (g_strstrip (raw), &settings->binding))
			return config_invalid (error, path, group, eim_keys[key], keyfile,
			                       "asn1 or json");
		return TRUE;
	}
	case EIM_KEY_ASN1_PATH:
		return config_read_eim_path (keyfile, path, group, key, &settings->asn1_path, error);
	case EIM_KEY_JSON_PREFIX:
		return config_read_eim_path (keyfile, path, group, key, &settings->json_prefix, error);
	case EIM_KEY_CA_FILE:
		return config_read_eim_ca_file (keyfile, path, group, &settings->ca_file, error);
	case EIM_KEY_TIMEOUT:
	case EIM_KEY_ATTEMPTS:
	case EIM_KEY_RETRY_DELAY:
	case EIM_KEY_POLL_INTERVAL:
	case EIM_KEY_POLL_JITTER:
	case EIM_KEY_BACKOFF_MAX:
	case EIM_KEY_MAX_PACKAGES:
	case EIM_KEY_ROLLBACK_TIMEOUT:
	case EIM_KEY_COUNT:
	default:
		break;
	}
	for (guint i = 0; i < G_N_ELEMENTS (eim_uint_keys); i++) {
		if (eim_uint_keys[i].key == key)
			return config_read_uint (keyfile, path, group, eim_keys[key], eim_uint_keys[i].min,
			                         eim_uint_keys[i].max,
			                         G_STRUCT_MEMBER_P (settings, eim_uint_keys[i].offset),
			                         error);
	}
	g_return_val_if_reached (FALSE);
}

static EsimdEimGroup *
config_eim_group (EsimdConfig *self, const gchar *group)
{
	const gchar *eim_id;
	EsimdEimGroup *found;

	if (g_strcmp0 (group, EIM_GROUP) == 0)
		return self->eim_defaults;
	eim_id = group + strlen (EIM_GROUP_PREFIX);
	for (guint i = 0; i < self->eim_groups->len; i++) {
		found = g_ptr_array_index (self->eim_groups, i);
		if (g_strcmp0 (found->eim_id, eim_id) == 0)
			return found;
	}
	found = g_new0 (EsimdEimGroup, 1);
	found->eim_id = g_strdup (eim_id);
	g_ptr_array_add (self->eim_groups, found);
	return found;
}

static gboolean
config_read_eims (EsimdConfig *self, GKeyFile *keyfile, const gchar *path, GError **error)
{
	g_auto(GStrv) groups = g_key_file_get_groups (keyfile, NULL);

	for (guint i = 0; groups[i] != NULL; i++) {
		EsimdEimGroup *group;

		if (!config_group_is_eim (groups[i]))
			continue;
		if (g_str_has_prefix (groups[i], EIM_GROUP_PREFIX) &&
		    strlen (groups[i] + strlen (EIM_GROUP_PREFIX)) > ESIM_EIM_ID_MAX_LENGTH) {
			g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			             "%s: [%s]: an eimId is at most %d bytes", path, groups[i],
			             ESIM_EIM_ID_MAX_LENGTH);
			return FALSE;
		}
		group = config_eim_group (self, groups[i]);
		for (guint key = 0; key < EIM_KEY_COUNT; key++) {
			if (!g_key_file_has_key (keyfile, groups[i], eim_keys[key], NULL))
				continue;
			if (!config_read_eim_key (keyfile, path, groups[i], key, &group->settings, error))
				return FALSE;
			group->set |= 1u << key;
		}
	}
	return TRUE;
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
	    !config_read_eims (self, keyfile, path, error))
		return FALSE;
	if (!config_read_push (self, keyfile, path, error) ||
	    !config_read_sms_wakeup (self, keyfile, path, error))
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
		return config_check_push (self, error);
	dir = g_dir_open (config_dir, 0, &dir_error);
	if (dir == NULL) {
		if (g_error_matches (dir_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return config_check_push (self, error);
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
	return config_check_push (self, error);
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

/* ---- per-eIM settings ---- */

static void
config_replace_str (gchar **to, const gchar *from)
{
	g_free (*to);
	*to = g_strdup (from);
}

static void
config_apply_eim_group (const EsimdEimGroup *group, EsimdEimSettings *settings)
{
	const EsimdEimSettings *from = &group->settings;

	if (group->set & (1u << EIM_KEY_BINDING))
		settings->binding = from->binding;
	if (group->set & (1u << EIM_KEY_ASN1_PATH))
		config_replace_str (&settings->asn1_path, from->asn1_path);
	if (group->set & (1u << EIM_KEY_JSON_PREFIX))
		config_replace_str (&settings->json_prefix, from->json_prefix);
	if (group->set & (1u << EIM_KEY_CA_FILE))
		config_replace_str (&settings->ca_file, from->ca_file);
	for (guint i = 0; i < G_N_ELEMENTS (eim_uint_keys); i++) {
		if (group->set & (1u << eim_uint_keys[i].key))
			G_STRUCT_MEMBER (guint, settings, eim_uint_keys[i].offset) =
				G_STRUCT_MEMBER (guint, from, eim_uint_keys[i].offset);
	}
}

EsimdEimSettings *
esimd_config_get_eim_settings (const EsimdConfig *self, const gchar *eim_id)
{
	EsimdEimSettings *settings;

	g_return_val_if_fail (self != NULL, NULL);

	settings = g_new0 (EsimdEimSettings, 1);
	settings->binding = ESIM_ESIPA_BINDING_ASN1;
	settings->asn1_path = g_strdup (ESIM_ESIPA_PATH_ASN1);
	settings->json_prefix = g_strdup (ESIM_ESIPA_JSON_PREFIX);
	settings->timeout_s = ESIM_ESIPA_DEFAULT_TIMEOUT;
	settings->attempts = ESIM_ESIPA_DEFAULT_ATTEMPTS;
	settings->retry_delay_s = ESIM_ESIPA_DEFAULT_RETRY_DELAY;
	settings->poll_interval_s = ESIMD_EIM_POLL_INTERVAL_DEFAULT;
	settings->poll_jitter_percent = ESIMD_EIM_POLL_JITTER_DEFAULT;
	settings->backoff_max_s = ESIMD_EIM_BACKOFF_MAX_DEFAULT;
	settings->max_packages = ESIMD_EIM_MAX_PACKAGES_DEFAULT;
	settings->rollback_timeout_s = ESIMD_EIM_ROLLBACK_TIMEOUT_DEFAULT;
	settings->switch_timeout_s = self->switch_timeout_s;
	config_apply_eim_group (self->eim_defaults, settings);
	for (guint i = 0; eim_id != NULL && i < self->eim_groups->len; i++) {
		const EsimdEimGroup *group = g_ptr_array_index (self->eim_groups, i);

		/* an eimId is an identifier: matched exactly */
		if (g_strcmp0 (group->eim_id, eim_id) == 0)
			config_apply_eim_group (group, settings);
	}
	return settings;
}

void
esimd_eim_settings_free (EsimdEimSettings *settings)
{
	if (settings == NULL)
		return;
	eim_settings_clear (settings);
	g_free (settings);
}

void
esimd_eim_settings_to_client_options (const EsimdEimSettings *settings,
                                      EsimEsipaClientOptions *options)
{
	g_return_if_fail (settings != NULL);
	g_return_if_fail (options != NULL);

	memset (options, 0, sizeof (*options));
	options->binding = settings->binding;
	options->asn1_path = settings->asn1_path;
	options->json_prefix = settings->json_prefix;
	options->ca_file = settings->ca_file;
	options->timeout = settings->timeout_s;
	options->attempts = settings->attempts;
	options->retry_delay = settings->retry_delay_s;
}
