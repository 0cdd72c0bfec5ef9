/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The MBIM quirks file: parsing, validation and matching of one modem.
 *
 * The whole file is validated on every load, so a typo in an entry for some
 * other modem is reported instead of silently never applying.
 */

#define G_LOG_DOMAIN "esim"

#include <string.h>

#include "esim-file.h"
#include "esim-mbim-quirks.h"

#define QUIRKS_FILE_NAME "mbim-quirks.conf"

#define KEY_CLASS_BYTE        "ClassByte"
#define KEY_SELECT_P2         "SelectP2"
#define KEY_APPEND_LE         "AppendLe"
#define KEY_SKIP_SLOT_MAPPING "SkipSlotMapping"
#define KEY_CHANNEL_GROUP     "ChannelGroup"

typedef enum {
	GROUP_KIND_USB,
	GROUP_KIND_MODEL,
} GroupKind;

void
esim_mbim_quirks_init (EsimMbimQuirks *quirks)
{
	g_return_if_fail (quirks != NULL);

	quirks->class_byte = ESIM_MBIM_CLASS_BYTE_INTER_INDUSTRY;
	quirks->select_p2 = ESIM_MBIM_SELECT_P2_DEFAULT;
	quirks->append_le = FALSE;
	quirks->skip_slot_mapping = FALSE;
	quirks->channel_group = ESIM_MBIM_CHANNEL_GROUP_DEFAULT;
}

static gboolean
parse_hex16 (const gchar *text, gsize len, guint16 *out)
{
	g_autofree gchar *copy = NULL;
	guint64 value = 0;

	if (len != 4)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isxdigit (text[i]))
			return FALSE;
	}
	copy = g_strndup (text, len);
	if (!g_ascii_string_to_unsigned (copy, 16, 0, G_MAXUINT16, &value, NULL))
		return FALSE;
	*out = (guint16) value;
	return TRUE;
}

/* "usb:2c7c:0800" or "model:PATTERN"; anything else is an error. */
static gboolean
parse_group_name (const gchar *group, GroupKind *kind, guint16 *vid, guint16 *pid,
                  const gchar **pattern, GError **error)
{
	if (g_str_has_prefix (group, "usb:")) {
		const gchar *ids = group + strlen ("usb:");

		if (strlen (ids) == 9 && ids[4] == ':' && parse_hex16 (ids, 4, vid) &&
		    parse_hex16 (ids + 5, 4, pid)) {
			*kind = GROUP_KIND_USB;
			return TRUE;
		}
		g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
		             "[%s]: expected [usb:VVVV:PPPP] with 4 hex digits each", group);
		return FALSE;
	}
	if (g_str_has_prefix (group, "model:")) {
		*pattern = group + strlen ("model:");
		if (**pattern == '\0') {
			g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			             "[%s]: the model pattern is empty", group);
			return FALSE;
		}
		*kind = GROUP_KIND_MODEL;
		return TRUE;
	}
	g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
	             "[%s]: unknown group (expected [usb:VVVV:PPPP] or [model:NAME])", group);
	return FALSE;
}

static gboolean
parse_class_byte (const gchar *group, const gchar *value, EsimMbimClassByte *out, GError **error)
{
	if (g_ascii_strcasecmp (value, "extended") == 0) {
		*out = ESIM_MBIM_CLASS_BYTE_EXTENDED;
		return TRUE;
	}
	if (g_ascii_strcasecmp (value, "interindustry") == 0 ||
	    g_ascii_strcasecmp (value, "inter-industry") == 0) {
		*out = ESIM_MBIM_CLASS_BYTE_INTER_INDUSTRY;
		return TRUE;
	}
	g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
	             "[%s] " KEY_CLASS_BYTE "=%s: expected 'extended' or 'interindustry'",
	             group, value);
	return FALSE;
}

/* Decimal, or hexadecimal with 0x; within [min, max]. */
static gboolean
parse_number (const gchar *group, const gchar *key, const gchar *value, guint64 min,
              guint64 max, guint64 *out, GError **error)
{
	g_autoptr(GError) local_error = NULL;
	const gchar *digits = value;
	guint base = 10;

	if (g_str_has_prefix (value, "0x") || g_str_has_prefix (value, "0X")) {
		digits = value + 2;
		base = 16;
	}
	/* g_ascii_string_to_unsigned() would accept a second "0x" or a sign */
	if (*digits == '\0' || !g_ascii_isxdigit (*digits) ||
	    !g_ascii_string_to_unsigned (digits, base, min, max, out, &local_error)) {
		g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
		             "[%s] %s=%s: expected a number from %" G_GUINT64_FORMAT
		             " to %" G_GUINT64_FORMAT " (decimal or 0x hex)",
		             group, key, value, min, max);
		return FALSE;
	}
	return TRUE;
}

static gboolean
parse_boolean (GKeyFile *file, const gchar *group, const gchar *key, gboolean *out,
               GError **error)
{
	g_autoptr(GError) local_error = NULL;
	gboolean value = g_key_file_get_boolean (file, group, key, &local_error);

	if (local_error != NULL) {
		g_autofree gchar *raw = g_key_file_get_value (file, group, key, NULL);

		g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
		             "[%s] %s=%s: expected true or false", group, key, raw != NULL ? raw : "");
		return FALSE;
	}
	*out = value;
	return TRUE;
}

/* Applies (or, with @quirks NULL, only validates) every key of @group. */
static gboolean
apply_group (GKeyFile *file, const gchar *group, EsimMbimQuirks *quirks, GError **error)
{
	EsimMbimQuirks scratch;
	g_auto(GStrv) keys = NULL;

	if (quirks == NULL) {
		esim_mbim_quirks_init (&scratch);
		quirks = &scratch;
	}
	keys = g_key_file_get_keys (file, group, NULL, error);
	if (keys == NULL)
		return FALSE;
	for (guint i = 0; keys[i] != NULL; i++) {
		const gchar *key = keys[i];
		g_autofree gchar *value = g_key_file_get_string (file, group, key, error);
		guint64 number = 0;

		if (value == NULL)
			return FALSE;
		g_strstrip (value);
		if (g_strcmp0 (key, KEY_CLASS_BYTE) == 0) {
			if (!parse_class_byte (group, value, &quirks->class_byte, error))
				return FALSE;
		} else if (g_strcmp0 (key, KEY_SELECT_P2) == 0) {
			if (!parse_number (group, key, value, 0, 0xFF, &number, error))
				return FALSE;
			quirks->select_p2 = (guint8) number;
		} else if (g_strcmp0 (key, KEY_CHANNEL_GROUP) == 0) {
			/* 0 is not a group: Close Channel uses it as "no group" */
			if (!parse_number (group, key, value, 1, G_MAXUINT32, &number, error))
				return FALSE;
			quirks->channel_group = (guint32) number;
		} else if (g_strcmp0 (key, KEY_APPEND_LE) == 0) {
			if (!parse_boolean (file, group, key, &quirks->append_le, error))
				return FALSE;
		} else if (g_strcmp0 (key, KEY_SKIP_SLOT_MAPPING) == 0) {
			if (!parse_boolean (file, group, key, &quirks->skip_slot_mapping, error))
				return FALSE;
		} else {
			g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			             "[%s] %s: unknown key (known: " KEY_CLASS_BYTE ", " KEY_SELECT_P2
			             ", " KEY_APPEND_LE ", " KEY_SKIP_SLOT_MAPPING ", "
			             KEY_CHANNEL_GROUP ")",
			             group, key);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
model_matches (const gchar *pattern, const gchar *model)
{
	g_autofree gchar *pattern_folded = NULL;
	g_autofree gchar *model_folded = NULL;
	g_autofree gchar *model_stripped = NULL;

	if (model == NULL)
		return FALSE;
	model_stripped = g_strstrip (g_strdup (model));
	if (*model_stripped == '\0')
		return FALSE;
	pattern_folded = g_utf8_casefold (pattern, -1);
	model_folded = g_utf8_casefold (model_stripped, -1);
	return g_pattern_match_simple (pattern_folded, model_folded);
}

gboolean
esim_mbim_quirks_load (EsimMbimQuirks *out, GKeyFile *file, guint16 vid, guint16 pid,
                       const gchar *model, GError **error)
{
	EsimMbimQuirks result;
	g_auto(GStrv) groups = NULL;
	const gchar *usb_group = NULL;

	g_return_val_if_fail (out != NULL, FALSE);
	g_return_val_if_fail (file != NULL, FALSE);
	g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

	esim_mbim_quirks_init (out);
	esim_mbim_quirks_init (&result);
	groups = g_key_file_get_groups (file, NULL);
	for (guint i = 0; groups[i] != NULL; i++) {
		GroupKind kind = GROUP_KIND_MODEL;
		guint16 group_vid = 0, group_pid = 0;
		const gchar *pattern = NULL;
		gboolean matches;

		if (!parse_group_name (groups[i], &kind, &group_vid, &group_pid, &pattern, error))
			return FALSE;
		if (kind == GROUP_KIND_USB) {
			/* applied last, after every model group */
			matches = (vid != 0 || pid != 0) && group_vid == vid && group_pid == pid;
			if (matches)
				usb_group = groups[i];
			if (!apply_group (file, groups[i], NULL, error))
				return FALSE;
			continue;
		}
		matches = model_matches (pattern, model);
		if (!apply_group (file, groups[i], matches ? &result : NULL, error))
			return FALSE;
	}
	if (usb_group != NULL && !apply_group (file, usb_group, &result, error))
		return FALSE;
	*out = result;
	return TRUE;
}

/* a quirks table is a few KiB; anything near this is not one */
#define QUIRKS_FILE_MAX_SIZE (1024 * 1024)

static GKeyFile *
load_file (const gchar *path, GError **error)
{
	g_autoptr(GKeyFile) file = g_key_file_new ();
	g_autofree gchar *contents = NULL;
	gsize length = 0;

	/* a FIFO or a device in its place must not hang or flood the daemon */
	if (!esim_file_read_regular (path, QUIRKS_FILE_MAX_SIZE, FALSE, &contents, &length, NULL,
	                             NULL, error) ||
	    !g_key_file_load_from_data (file, contents, length, G_KEY_FILE_NONE, error)) {
		g_prefix_error (error, "%s: ", path);
		return NULL;
	}
	g_debug ("MBIM quirks from %s", path);
	return g_steal_pointer (&file);
}

GKeyFile *
esim_mbim_quirks_load_default_file (GError **error)
{
	g_autoptr(GPtrArray) candidates = g_ptr_array_new_with_free_func (g_free);
	g_autoptr(GString) tried = g_string_new (NULL);
	const gchar *override_dir = g_getenv ("ESIMD_DATADIR");
	const gchar *const *data_dirs;

	if (override_dir != NULL && *override_dir != '\0') {
		g_ptr_array_add (candidates, g_build_filename (override_dir, QUIRKS_FILE_NAME, NULL));
	} else {
		g_ptr_array_add (candidates,
		                 g_build_filename (SYSCONFDIR, "esimd", QUIRKS_FILE_NAME, NULL));
#ifdef ESIMD_PKGDATADIR
		g_ptr_array_add (candidates, g_build_filename (ESIMD_PKGDATADIR, QUIRKS_FILE_NAME, NULL));
#endif
		data_dirs = g_get_system_data_dirs ();
		for (guint i = 0; data_dirs[i] != NULL; i++)
			g_ptr_array_add (candidates,
			                 g_build_filename (data_dirs[i], "esimd", QUIRKS_FILE_NAME, NULL));
	}
	for (guint i = 0; i < candidates->len; i++) {
		const gchar *path = g_ptr_array_index (candidates, i);

		if (g_file_test (path, G_FILE_TEST_EXISTS))
			return load_file (path, error);
		g_string_append_printf (tried, "%s%s", tried->len > 0 ? ", " : "", path);
	}
	g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "no MBIM quirks file (tried %s)",
	             tried->str);
	return NULL;
}

gchar *
esim_mbim_quirks_to_string (const EsimMbimQuirks *quirks)
{
	g_return_val_if_fail (quirks != NULL, NULL);

	return g_strdup_printf ("class-byte=%s select-p2=0x%02X append-le=%s "
	                        "skip-slot-mapping=%s channel-group=%u",
	                        quirks->class_byte == ESIM_MBIM_CLASS_BYTE_EXTENDED ?
	                        "extended" : "interindustry",
	                        quirks->select_p2,
	                        quirks->append_le ? "yes" : "no",
	                        quirks->skip_slot_mapping ? "yes" : "no",
	                        quirks->channel_group);
}
