/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The state directory and the per-eUICC records in it (see esimd-store.h). */

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "esim-file.h"
#include "esim-util.h"
#include "esimd-store.h"

#define RECORD_PREFIX       "euicc-"
#define RECORD_SUFFIX       ".ini"
#define CORRUPT_SUFFIX      ".corrupt"
/* esim_file_replace() names its temporaries "PATH.esimd-XXXXXX" */
#define TEMPORARY_INFIX     RECORD_SUFFIX ".esimd-"
#define NOTIFICATION_GROUP  "notification "
#define EIM_RESULT_GROUP    "eim-result "
#define EID_HEX_LEN         32

struct _EsimdStore {
	gchar *dir;
};

/* ---- the directory ---- */

static gboolean
set_errno_error (GError **error, gint saved_errno, const gchar *what)
{
	g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s: %s", what,
	             g_strerror (saved_errno));
	return FALSE;
}

/* Creates @dir (and its missing parents) private to esimd's user. */
static gboolean
state_dir_create (const gchar *dir, GError **error)
{
	if (g_mkdir_with_parents (dir, 0700) != 0)
		return set_errno_error (error, errno, "cannot create it");
	/* whatever the umask said */
	if (g_chmod (dir, 0700) != 0)
		return set_errno_error (error, errno, "cannot make it private");
	g_info ("created the state directory %s", dir);
	return TRUE;
}

/* The state holds what esimd promised servers and cards: nobody else may write there. */
static gboolean
state_dir_check (const gchar *dir, GError **error)
{
	struct stat st;

	if (stat (dir, &st) != 0) {
		if (errno != ENOENT)
			return set_errno_error (error, errno, "cannot look at it");
		if (!state_dir_create (dir, error))
			return FALSE;
		if (stat (dir, &st) != 0)
			return set_errno_error (error, errno, "cannot look at it");
	}
	if (!S_ISDIR (st.st_mode)) {
		g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY, "not a directory");
		return FALSE;
	}
	if (st.st_uid != geteuid ()) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
		             "owned by uid %u, not by esimd's user (uid %u)", (guint) st.st_uid,
		             (guint) geteuid ());
		return FALSE;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
		             "writable by group or others (mode %04o): make it 0700",
		             (guint) (st.st_mode & 07777));
		return FALSE;
	}
	if (access (dir, W_OK | X_OK) != 0)
		return set_errno_error (error, errno, "cannot write in it");
	return TRUE;
}

/* Deletes what saves killed between writing and renaming left (esim_file_replace). */
static void
store_remove_temporaries (EsimdStore *self)
{
	g_autoptr(GDir) listing = g_dir_open (self->dir, 0, NULL);
	const gchar *name;
	guint removed = 0;

	if (listing == NULL)
		return;
	while ((name = g_dir_read_name (listing)) != NULL) {
		const gchar *infix = strstr (name, TEMPORARY_INFIX);
		g_autofree gchar *base = NULL;
		g_autofree gchar *record = NULL;

		if (!g_str_has_prefix (name, RECORD_PREFIX) || infix == NULL)
			continue;
		/* the record the temporary was to replace: "euicc-EID.ini" */
		base = g_strndup (name, (gsize) (infix - name) + strlen (RECORD_SUFFIX));
		record = g_build_filename (self->dir, base, NULL);
		removed += esim_file_remove_temporaries (record);
	}
	if (removed > 0)
		g_info ("removed %u temporary file(s) of interrupted saves from %s", removed,
		        self->dir);
}

EsimdStore *
esimd_store_open (const gchar *dir, GError **error)
{
	EsimdStore *self;

	g_return_val_if_fail (dir != NULL && dir[0] != '\0', NULL);

	if (!state_dir_check (dir, error))
		return NULL;
	self = g_new0 (EsimdStore, 1);
	self->dir = g_strdup (dir);
	store_remove_temporaries (self);
	return self;
}

void
esimd_store_free (EsimdStore *self)
{
	if (self == NULL)
		return;
	g_free (self->dir);
	g_free (self);
}

const gchar *
esimd_store_get_dir (EsimdStore *self)
{
	g_return_val_if_fail (self != NULL, NULL);
	return self->dir;
}

/* ---- records ---- */

static gboolean
is_hex (const gchar *text, gsize max_len)
{
	gsize len = strlen (text);

	if (len > max_len)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isxdigit (text[i]))
			return FALSE;
	}
	return TRUE;
}

static gboolean
eid_is_valid (const gchar *eid)
{
	return eid != NULL && strlen (eid) == EID_HEX_LEN && is_hex (eid, EID_HEX_LEN);
}

/* One file per eUICC, whatever case its EID is written in. */
static gchar *
record_path (EsimdStore *self, const gchar *eid)
{
	g_autofree gchar *upper = g_ascii_strup (eid, -1);
	g_autofree gchar *name = g_strconcat (RECORD_PREFIX, upper, RECORD_SUFFIX, NULL);

	return g_build_filename (self->dir, name, NULL);
}

static gboolean
invalid_value (GError **error, const gchar *group, const gchar *key, const gchar *value)
{
	g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
	             "[%s] %s: invalid value \"%s\"", group, key, value);
	return FALSE;
}

/* Reads an optional unsigned (or with @is_signed, signed) decimal value of @group. */
static gboolean
group_get_number (GKeyFile *record, const gchar *group, const gchar *key, gboolean is_signed,
                  gint64 *value, GError **error)
{
	g_autofree gchar *text = g_key_file_get_value (record, group, key, NULL);
	guint64 unsigned_value;

	*value = 0;
	if (text == NULL)
		return TRUE;
	if (is_signed) {
		if (!g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, value, NULL))
			return invalid_value (error, group, key, text);
		return TRUE;
	}
	if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT, &unsigned_value, NULL))
		return invalid_value (error, group, key, text);
	*value = (gint64) unsigned_value;
	return TRUE;
}

/* Fills @out from the group "notification SEQ" of @record. */
static gboolean
notification_from_group (GKeyFile *record, const gchar *group, EsimdNotificationRecord *out,
                         GError **error)
{
	g_autofree gchar *delivered = g_key_file_get_value (record, group, "Delivered", NULL);
	g_autofree gchar *digest = g_key_file_get_value (record, group, "Digest", NULL);
	gint64 attempts, next_attempt;

	memset (out, 0, sizeof (*out));
	if (!g_ascii_string_to_unsigned (group + strlen (NOTIFICATION_GROUP), 10, 0, G_MAXUINT64,
	                                 &out->seq, NULL)) {
		g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
		             "[%s]: not a sequence number", group);
		return FALSE;
	}
	if (delivered != NULL && g_strcmp0 (delivered, "true") != 0 &&
	    g_strcmp0 (delivered, "false") != 0)
		return invalid_value (error, group, "Delivered", delivered);
	out->delivered = g_strcmp0 (delivered, "true") == 0;
	if (!group_get_number (record, group, "Attempts", FALSE, &attempts, error) ||
	    !group_get_number (record, group, "NextAttempt", TRUE, &next_attempt, error))
		return FALSE;
	out->attempts = (guint) attempts;
	out->next_attempt = next_attempt;
	if (digest != NULL) {
		if (!is_hex (digest, ESIMD_STORE_DIGEST_MAX_LEN))
			return invalid_value (error, group, "Digest", digest);
		g_strlcpy (out->digest, digest, sizeof (out->digest));
	}
	return TRUE;
}

/* Every notification of @record, by sequence number; FALSE when one is invalid. */
static gboolean
record_get_notifications (GKeyFile *record, GArray *notifications, GError **error)
{
	g_auto(GStrv) groups = g_key_file_get_groups (record, NULL);

	for (guint i = 0; groups[i] != NULL; i++) {
		EsimdNotificationRecord notification;

		/* groups of other kinds are kept, for the esimd versions that know them */
		if (!g_str_has_prefix (groups[i], NOTIFICATION_GROUP))
			continue;
		if (!notification_from_group (record, groups[i], &notification, error))
			return FALSE;
		g_array_append_val (notifications, notification);
	}
	return TRUE;
}

/* Keeps an unreadable record for a human to look at, and lets esimd start afresh. */
static void
store_move_aside (EsimdStore *self, const gchar *eid, const gchar *path, const gchar *reason)
{
	g_autofree gchar *aside = g_strconcat (path, CORRUPT_SUFFIX, NULL);
	g_autofree gchar *eid_log = esim_log_personal (eid);

	if (g_rename (path, aside) != 0) {
		g_warning ("the state record of eUICC %s in %s cannot be read (%s) nor moved aside: %s",
		           eid_log, self->dir, reason, g_strerror (errno));
		return;
	}
	g_warning ("the state record of eUICC %s in %s cannot be read (%s): moved aside to "
	           "*%s, starting afresh", eid_log, self->dir, reason, CORRUPT_SUFFIX);
}

static gboolean eim_result_from_group (GKeyFile *record, const gchar *group, gchar **eim_id,
                                       gchar **key, GBytes **encoded, GError **error);

/* Every eIM result group of @record reads back; FALSE when one does not. */
static gboolean
record_check_eim_results (GKeyFile *record, GError **error)
{
	g_auto(GStrv) groups = g_key_file_get_groups (record, NULL);

	for (guint i = 0; groups[i] != NULL; i++) {
		if (g_str_has_prefix (groups[i], EIM_RESULT_GROUP) &&
		    !eim_result_from_group (record, groups[i], NULL, NULL, NULL, error))
			return FALSE;
	}
	return TRUE;
}

static gint
compare_seq (gconstpointer a, gconstpointer b)
{
	const EsimdNotificationRecord *first = a;
	const EsimdNotificationRecord *second = b;

	return first->seq < second->seq ? -1 : first->seq > second->seq;
}

static GArray *
notifications_new (void)
{
	return g_array_new (FALSE, TRUE, sizeof (EsimdNotificationRecord));
}

/* The record of @eid: empty when there is none or it is unreadable (then moved aside). */
static GKeyFile *
store_load (EsimdStore *self, const gchar *eid)
{
	g_autofree gchar *path = record_path (self, eid);
	g_autoptr(GKeyFile) record = g_key_file_new ();
	g_autoptr(GArray) notifications = notifications_new ();
	g_autofree gchar *contents = NULL;
	g_autoptr(GError) error = NULL;
	gsize length = 0;

	if (!esim_file_read_regular (path, ESIMD_STORE_RECORD_MAX_BYTES, TRUE, &contents, &length,
	                             NULL, NULL, &error)) {
		if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
			store_move_aside (self, eid, path, error->message);
		return g_steal_pointer (&record);
	}
	/* GKeyFile would stop reading at a NUL byte: the rest would go unnoticed */
	if (memchr (contents, '\0', length) != NULL) {
		store_move_aside (self, eid, path, "a NUL byte in a text file");
		return g_steal_pointer (&record);
	}
	if (!g_key_file_load_from_data (record, contents, length, G_KEY_FILE_KEEP_COMMENTS,
	                                &error) ||
	    !record_get_notifications (record, notifications, &error) ||
	    !record_check_eim_results (record, &error)) {
		store_move_aside (self, eid, path, error->message);
		return g_key_file_new ();
	}
	return g_steal_pointer (&record);
}

static gboolean
store_save (EsimdStore *self, const gchar *eid, GKeyFile *record, GError **error)
{
	g_autofree gchar *path = record_path (self, eid);
	g_autofree gchar *eid_log = esim_log_personal (eid);
	g_auto(GStrv) groups = g_key_file_get_groups (record, NULL);
	g_autofree gchar *data = NULL;
	gsize length = 0;

	/* nothing left to remember: no file */
	if (groups[0] == NULL) {
		if (g_unlink (path) != 0 && errno != ENOENT) {
			set_errno_error (error, errno, "cannot remove it");
			g_prefix_error (error, "the state record of eUICC %s: ", eid_log);
			return FALSE;
		}
		return TRUE;
	}
	data = g_key_file_to_data (record, &length, NULL);
	if (length > ESIMD_STORE_RECORD_MAX_BYTES) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
		             "the state record of eUICC %s would exceed %u bytes", eid_log,
		             (guint) ESIMD_STORE_RECORD_MAX_BYTES);
		return FALSE;
	}
	if (!esim_file_replace (path, data, length, NULL, error)) {
		g_prefix_error (error, "the state record of eUICC %s: ", eid_log);
		return FALSE;
	}
	return TRUE;
}

static gboolean
check_eid (const gchar *eid, GError **error)
{
	if (eid_is_valid (eid))
		return TRUE;
	g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
	                     "an EID is 32 hexadecimal digits");
	return FALSE;
}

/* ---- notifications ---- */

GArray *
esimd_store_get_notifications (EsimdStore *self, const gchar *eid)
{
	g_autoptr(GKeyFile) record = NULL;
	GArray *notifications = notifications_new ();

	g_return_val_if_fail (self != NULL, notifications);

	if (!eid_is_valid (eid))
		return notifications;
	record = store_load (self, eid);
	/* store_load checked every group */
	if (!record_get_notifications (record, notifications, NULL))
		g_array_set_size (notifications, 0);
	g_array_sort (notifications, compare_seq);
	return notifications;
}

gboolean
esimd_store_lookup_notification (EsimdStore *self, const gchar *eid, guint64 seq,
                                 EsimdNotificationRecord *record)
{
	g_autoptr(GArray) notifications = NULL;

	g_return_val_if_fail (self != NULL, FALSE);
	g_return_val_if_fail (record != NULL, FALSE);

	notifications = esimd_store_get_notifications (self, eid);
	for (guint i = 0; i < notifications->len; i++) {
		const EsimdNotificationRecord *found = &g_array_index (notifications,
		                                                       EsimdNotificationRecord, i);
		if (found->seq == seq) {
			*record = *found;
			return TRUE;
		}
	}
	return FALSE;
}

static gchar *
notification_group (guint64 seq)
{
	return g_strdup_printf (NOTIFICATION_GROUP "%" G_GUINT64_FORMAT, seq);
}

gboolean
esimd_store_set_notification (EsimdStore *self, const gchar *eid,
                              const EsimdNotificationRecord *record, GError **error)
{
	g_autoptr(GKeyFile) file = NULL;
	g_autofree gchar *group = NULL;

	g_return_val_if_fail (self != NULL, FALSE);
	g_return_val_if_fail (record != NULL, FALSE);

	if (!check_eid (eid, error))
		return FALSE;
	if (strnlen (record->digest, sizeof (record->digest)) > ESIMD_STORE_DIGEST_MAX_LEN ||
	    !is_hex (record->digest, ESIMD_STORE_DIGEST_MAX_LEN)) {
		g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		                     "a notification digest is at most 64 hexadecimal digits");
		return FALSE;
	}
	file = store_load (self, eid);
	group = notification_group (record->seq);
	g_key_file_remove_group (file, group, NULL);
	g_key_file_set_boolean (file, group, "Delivered", record->delivered);
	g_key_file_set_uint64 (file, group, "Attempts", record->attempts);
	g_key_file_set_int64 (file, group, "NextAttempt", record->next_attempt);
	if (record->digest[0] != '\0')
		g_key_file_set_string (file, group, "Digest", record->digest);
	return store_save (self, eid, file, error);
}

gboolean
esimd_store_forget_notification (EsimdStore *self, const gchar *eid, guint64 seq,
                                 GError **error)
{
	g_autoptr(GKeyFile) file = NULL;
	g_autofree gchar *group = NULL;

	g_return_val_if_fail (self != NULL, FALSE);

	if (!check_eid (eid, error))
		return FALSE;
	file = store_load (self, eid);
	group = notification_group (seq);
	if (!g_key_file_remove_group (file, group, NULL))
		return TRUE;
	return store_save (self, eid, file, error);
}

/* ---- eIM results ---- */

static gboolean
eim_text_is_valid (const gchar *text, gsize max_len)
{
	return text != NULL && text[0] != '\0' && strlen (text) <= max_len &&
	       g_utf8_validate (text, -1, NULL);
}

/* Reads the group "eim-result N": EimId, Key and Data (base64, not empty). */
static gboolean
eim_result_from_group (GKeyFile *record, const gchar *group, gchar **eim_id, gchar **key,
                       GBytes **encoded, GError **error)
{
	g_autofree gchar *id = g_key_file_get_string (record, group, "EimId", NULL);
	g_autofree gchar *name = g_key_file_get_string (record, group, "Key", NULL);
	g_autofree gchar *data = g_key_file_get_value (record, group, "Data", NULL);
	g_autofree guchar *decoded = NULL;
	guint64 number;
	gsize len = 0;

	if (!g_ascii_string_to_unsigned (group + strlen (EIM_RESULT_GROUP), 10, 0, G_MAXUINT,
	                                 &number, NULL)) {
		g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
		             "[%s]: not a result number", group);
		return FALSE;
	}
	if (!eim_text_is_valid (id, G_MAXSIZE))
		return invalid_value (error, group, "EimId", id != NULL ? id : "");
	if (!eim_text_is_valid (name, ESIMD_STORE_EIM_KEY_MAX_LEN))
		return invalid_value (error, group, "Key", name != NULL ? name : "");
	if (data == NULL || data[0] == '\0' ||
	    strspn (data, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") !=
	    strlen (data) || strlen (data) % 4 != 0 ||
	    (decoded = g_base64_decode (data, &len)) == NULL || len == 0)
		return invalid_value (error, group, "Data", data != NULL ? data : "");
	if (eim_id != NULL)
		*eim_id = g_steal_pointer (&id);
	if (key != NULL)
		*key = g_steal_pointer (&name);
	if (encoded != NULL)
		*encoded = g_bytes_new_take (g_steal_pointer (&decoded), len);
	return TRUE;
}

static gint
compare_result_groups (gconstpointer a, gconstpointer b)
{
	guint64 first = g_ascii_strtoull (*(const gchar *const *) a + strlen (EIM_RESULT_GROUP),
	                                  NULL, 10);
	guint64 second = g_ascii_strtoull (*(const gchar *const *) b + strlen (EIM_RESULT_GROUP),
	                                   NULL, 10);

	return first < second ? -1 : first > second;
}

/* The eIM result groups of @record, oldest (lowest number) first. */
static GPtrArray *
record_eim_result_groups (GKeyFile *record)
{
	g_auto(GStrv) groups = g_key_file_get_groups (record, NULL);
	GPtrArray *found = g_ptr_array_new_with_free_func (g_free);

	for (guint i = 0; groups[i] != NULL; i++) {
		if (g_str_has_prefix (groups[i], EIM_RESULT_GROUP))
			g_ptr_array_add (found, g_strdup (groups[i]));
	}
	g_ptr_array_sort (found, compare_result_groups);
	return found;
}

/* The group holding @key of @eim_id, or NULL; @next_number: one above the highest in use. */
static gchar *
record_find_eim_result (GKeyFile *record, const gchar *eim_id, const gchar *key,
                        guint64 *next_number)
{
	g_autoptr(GPtrArray) groups = record_eim_result_groups (record);
	gchar *found = NULL;

	*next_number = 0;
	for (guint i = 0; i < groups->len; i++) {
		const gchar *group = g_ptr_array_index (groups, i);
		g_autofree gchar *id = NULL;
		g_autofree gchar *name = NULL;

		*next_number = g_ascii_strtoull (group + strlen (EIM_RESULT_GROUP), NULL, 10) + 1;
		if (found == NULL &&
		    eim_result_from_group (record, group, &id, &name, NULL, NULL) &&
		    g_strcmp0 (id, eim_id) == 0 && g_strcmp0 (name, key) == 0)
			found = g_strdup (group);
	}
	return found;
}

static gboolean
check_eim_arguments (const gchar *eid, const gchar *eim_id, const gchar *key, GError **error)
{
	if (!check_eid (eid, error))
		return FALSE;
	if (!eim_text_is_valid (eim_id, G_MAXSIZE) ||
	    !eim_text_is_valid (key, ESIMD_STORE_EIM_KEY_MAX_LEN)) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		             "an eIM id and a result key are non-empty UTF-8 (the key at most %u "
		             "bytes)", (guint) ESIMD_STORE_EIM_KEY_MAX_LEN);
		return FALSE;
	}
	return TRUE;
}

GPtrArray *
esimd_store_get_eim_results (EsimdStore *self, const gchar *eid, const gchar *eim_id,
                             GPtrArray **keys)
{
	GPtrArray *results = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
	g_autoptr(GKeyFile) record = NULL;
	g_autoptr(GPtrArray) groups = NULL;

	if (keys != NULL)
		*keys = g_ptr_array_new_with_free_func (g_free);
	g_return_val_if_fail (self != NULL, results);

	if (!eid_is_valid (eid) || eim_id == NULL)
		return results;
	record = store_load (self, eid);
	groups = record_eim_result_groups (record);
	for (guint i = 0; i < groups->len; i++) {
		g_autofree gchar *id = NULL;
		g_autofree gchar *key = NULL;
		GBytes *encoded = NULL;

		/* store_load checked every group */
		if (!eim_result_from_group (record, g_ptr_array_index (groups, i), &id, &key, &encoded,
		                            NULL))
			continue;
		if (g_strcmp0 (id, eim_id) != 0) {
			g_bytes_unref (encoded);
			continue;
		}
		g_ptr_array_add (results, encoded);
		if (keys != NULL)
			g_ptr_array_add (*keys, g_steal_pointer (&key));
	}
	return results;
}

gboolean
esimd_store_save_eim_result (EsimdStore *self, const gchar *eid, const gchar *eim_id,
                             const gchar *key, GBytes *encoded, GError **error)
{
	g_autoptr(GKeyFile) file = NULL;
	g_autofree gchar *group = NULL;
	g_autofree gchar *data = NULL;
	guint64 next_number = 0;
	gsize len = 0;
	gconstpointer bytes;

	g_return_val_if_fail (self != NULL, FALSE);

	if (!check_eim_arguments (eid, eim_id, key, error))
		return FALSE;
	bytes = encoded != NULL ? g_bytes_get_data (encoded, &len) : NULL;
	if (len == 0) {
		g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		                     "an empty eIM result");
		return FALSE;
	}
	file = store_load (self, eid);
	group = record_find_eim_result (file, eim_id, key, &next_number);
	if (group == NULL)
		group = g_strdup_printf (EIM_RESULT_GROUP "%" G_GUINT64_FORMAT, next_number);
	data = g_base64_encode (bytes, len);
	g_key_file_remove_group (file, group, NULL);
	g_key_file_set_string (file, group, "EimId", eim_id);
	g_key_file_set_string (file, group, "Key", key);
	g_key_file_set_value (file, group, "Data", data);
	return store_save (self, eid, file, error);
}

gboolean
esimd_store_forget_eim_result (EsimdStore *self, const gchar *eid, const gchar *eim_id,
                               const gchar *key, GError **error)
{
	g_autoptr(GKeyFile) file = NULL;
	g_autofree gchar *group = NULL;
	guint64 next_number;

	g_return_val_if_fail (self != NULL, FALSE);

	if (!check_eim_arguments (eid, eim_id, key, error))
		return FALSE;
	file = store_load (self, eid);
	group = record_find_eim_result (file, eim_id, key, &next_number);
	if (group == NULL)
		return TRUE;
	g_key_file_remove_group (file, group, NULL);
	return store_save (self, eid, file, error);
}
