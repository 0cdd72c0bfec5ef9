/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "esim-util.h"
#include "esimd-log.h"

#define ESIMD_LOG_IDENTIFIER "esimd"
#define ESIMD_LOG_EUICC_PREFIX "euicc"

static EsimdLogLevel log_level = ESIMD_LOG_LEVEL_INFO;
static gboolean log_to_journal;

/* log id -> EID of the eUICCs, for ESIMD_EID; messages may come from any thread */
G_LOCK_DEFINE_STATIC (log_eids);
static GHashTable *log_eids;

static const gchar *const level_names[] = {
	[ESIMD_LOG_LEVEL_ERROR] = "error",
	[ESIMD_LOG_LEVEL_WARNING] = "warning",
	[ESIMD_LOG_LEVEL_INFO] = "info",
	[ESIMD_LOG_LEVEL_DEBUG] = "debug",
};

const gchar *
esimd_log_level_to_string (EsimdLogLevel level)
{
	g_return_val_if_fail (level <= ESIMD_LOG_LEVEL_DEBUG, "info");
	return level_names[level];
}

gboolean
esimd_log_level_from_string (const gchar *str, EsimdLogLevel *level)
{
	for (guint i = 0; str != NULL && i < G_N_ELEMENTS (level_names); i++) {
		if (g_strcmp0 (str, level_names[i]) == 0) {
			*level = (EsimdLogLevel) i;
			return TRUE;
		}
	}
	return FALSE;
}

void
esimd_log_set_level (EsimdLogLevel level)
{
	g_return_if_fail (level <= ESIMD_LOG_LEVEL_DEBUG);
	log_level = level;
}

EsimdLogLevel
esimd_log_get_level (void)
{
	return log_level;
}

static EsimdLogLevel
log_level_from_flags (GLogLevelFlags flags)
{
	if (flags & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
		return ESIMD_LOG_LEVEL_ERROR;
	if (flags & G_LOG_LEVEL_WARNING)
		return ESIMD_LOG_LEVEL_WARNING;
	if (flags & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
		return ESIMD_LOG_LEVEL_INFO;
	return ESIMD_LOG_LEVEL_DEBUG;
}

/* syslog priorities as GLib's own g_log() gives them (gmessages.c), so that
 * messages of libraries and of esimd rank alike */
static const gchar *
priority_from_flags (GLogLevelFlags flags)
{
	if (flags & G_LOG_LEVEL_ERROR)
		return "3";
	if (flags & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
		return "4";
	if (flags & G_LOG_LEVEL_MESSAGE)
		return "5";
	if (flags & G_LOG_LEVEL_INFO)
		return "6";
	return "7";
}

gboolean
esimd_log_wants (GLogLevelFlags flags, const gchar *domain)
{
	if (log_level_from_flags (flags) <= log_level)
		return TRUE;
	/* G_MESSAGES_DEBUG=all, or naming the domain, shows its info and debug messages too,
	 * as GLib's own writer does; it never hides the other levels, the configured level does */
	if ((flags & (G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG)) == 0)
		return FALSE;
	return !g_log_writer_default_would_drop (flags & G_LOG_LEVEL_MASK, domain);
}

static const gchar *
log_field_string (const GLogField *field)
{
	/* length -1 means NUL-terminated; other lengths are not produced by GLib's macros */
	if (field->length < 0)
		return field->value;
	return NULL;
}

static const gchar *
find_field (const GLogField *fields, gsize n_fields, const gchar *key)
{
	for (gsize i = 0; i < n_fields; i++) {
		if (g_strcmp0 (fields[i].key, key) == 0)
			return log_field_string (&fields[i]);
	}
	return NULL;
}

void
esimd_log_set_eid (const gchar *log_id, const gchar *eid)
{
	g_return_if_fail (log_id != NULL);

	G_LOCK (log_eids);
	if (log_eids == NULL)
		log_eids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
	if (eid != NULL && *eid != '\0')
		g_hash_table_insert (log_eids, g_strdup (log_id), g_strdup (eid));
	else
		g_hash_table_remove (log_eids, log_id);
	G_UNLOCK (log_eids);
}

/* the EID as the log may show it: masked unless personal info is logged */
static gchar *
log_eid_shown (const gchar *log_id)
{
	gchar *shown = NULL;

	G_LOCK (log_eids);
	if (log_eids != NULL && g_hash_table_contains (log_eids, log_id))
		shown = esim_log_personal (g_hash_table_lookup (log_eids, log_id));
	G_UNLOCK (log_eids);
	return shown;
}

static void
journal_field_clear (gpointer data)
{
	GLogField *field = data;

	g_free ((gchar *) field->key);
	g_free ((gpointer) field->value);
}

static void
journal_fields_add (GArray *array, const gchar *key, gconstpointer value, gssize length)
{
	GLogField field = { g_strdup (key), NULL, length };

	field.value = length < 0 ? g_strdup (value) : g_memdup2 (value, (gsize) length);
	g_array_append_val (array, field);
}

GArray *
esimd_log_journal_fields (GLogLevelFlags flags, const GLogField *fields, gsize n_fields)
{
	GArray *array = g_array_sized_new (FALSE, FALSE, sizeof (GLogField), n_fields + 5);
	const gchar *log_id = find_field (fields, n_fields, ESIMD_LOG_FIELD_OBJECT);

	g_array_set_clear_func (array, journal_field_clear);
	/* g_log() gives a PRIORITY, g_log_structured_array() callers may not */
	if (find_field (fields, n_fields, "PRIORITY") == NULL)
		journal_fields_add (array, "PRIORITY", priority_from_flags (flags), -1);
	if (find_field (fields, n_fields, "SYSLOG_IDENTIFIER") == NULL)
		journal_fields_add (array, "SYSLOG_IDENTIFIER", ESIMD_LOG_IDENTIFIER, -1);
	for (gsize i = 0; i < n_fields; i++) {
		/* GLib's markers for its own API carry nothing worth keeping; a field without
		 * a value would crash the journald writer */
		if (g_strcmp0 (fields[i].key, "GLIB_OLD_LOG_API") == 0 || fields[i].value == NULL)
			continue;
		journal_fields_add (array, fields[i].key, fields[i].value, fields[i].length);
	}
	if (log_id != NULL && g_str_has_prefix (log_id, ESIMD_LOG_EUICC_PREFIX)) {
		g_autofree gchar *eid = log_eid_shown (log_id);

		journal_fields_add (array, ESIMD_LOG_FIELD_EUICC, log_id, -1);
		if (eid != NULL)
			journal_fields_add (array, ESIMD_LOG_FIELD_EID, eid, -1);
	}
	return array;
}

void
esimd_log_journal_fields_free (GArray *fields)
{
	g_array_unref (fields);
}

gchar *
esimd_log_format_line (GLogLevelFlags flags, const GLogField *fields, gsize n_fields)
{
	const gchar *message = find_field (fields, n_fields, "MESSAGE");
	const gchar *domain = find_field (fields, n_fields, "GLIB_DOMAIN");
	const gchar *log_id = find_field (fields, n_fields, ESIMD_LOG_FIELD_OBJECT);
	GString *line = g_string_new (NULL);

	g_string_append_printf (line, "esimd[%d]: %s ", (gint) getpid (),
	                        level_names[log_level_from_flags (flags)]);
	if (log_id != NULL)
		g_string_append_printf (line, "[%s] ", log_id);
	/* messages from libraries name their domain; ours do not need to */
	if (domain != NULL && g_strcmp0 (domain, G_LOG_DOMAIN) != 0)
		g_string_append_printf (line, "%s: ", domain);
	g_string_append (line, message != NULL ? message : "(no message)");
	g_string_append_c (line, '\n');
	return g_string_free (line, FALSE);
}

static GLogWriterOutput
esimd_log_writer (GLogLevelFlags flags, const GLogField *fields, gsize n_fields, gpointer user_data)
{
	g_autofree gchar *line = NULL;

	if (!esimd_log_wants (flags, find_field (fields, n_fields, "GLIB_DOMAIN")))
		return G_LOG_WRITER_HANDLED;

	if (log_to_journal) {
		GArray *journal_fields = esimd_log_journal_fields (flags, fields, n_fields);
		GLogWriterOutput output = g_log_writer_journald (flags,
		                                                 (const GLogField *) journal_fields->data,
		                                                 journal_fields->len, user_data);

		esimd_log_journal_fields_free (journal_fields);
		/* journald gone (restarting): the line below still reaches stderr */
		if (output == G_LOG_WRITER_HANDLED)
			return output;
	}
	line = esimd_log_format_line (flags, fields, n_fields);
	fputs (line, stderr);
	fflush (stderr);
	return G_LOG_WRITER_HANDLED;
}

void
esimd_log_init (void)
{
	static gsize initialised = 0;

	if (g_once_init_enter (&initialised)) {
		/* systemd connects stderr to journald's stdout stream (StandardError=journal) */
		log_to_journal = g_log_writer_is_journald (fileno (stderr));
		g_log_set_writer_func (esimd_log_writer, NULL, NULL);
		g_once_init_leave (&initialised, 1);
	}
}

void
esimd_log_object (const gchar *log_id, GLogLevelFlags level, const gchar *format, ...)
{
	g_autofree gchar *message = NULL;
	va_list args;
	GLogField fields[] = {
		{ "GLIB_DOMAIN", G_LOG_DOMAIN, -1 },
		{ "MESSAGE", NULL, -1 },
		{ ESIMD_LOG_FIELD_OBJECT, log_id, -1 },
	};

	/* skip formatting debug lines nobody will read */
	if (!esimd_log_wants (level, G_LOG_DOMAIN))
		return;
	va_start (args, format);
	message = g_strdup_vprintf (format, args);
	va_end (args);
	fields[1].value = message;
	g_log_structured_array (level, fields, log_id != NULL ? 3 : 2);
}
