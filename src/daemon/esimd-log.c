/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <stdio.h>
#include <unistd.h>

#include "esimd-log.h"

#define ESIMD_LOG_FIELD_ID "ESIMD_LOG_ID"

static EsimdLogLevel log_level = ESIMD_LOG_LEVEL_INFO;

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

static const gchar *
log_field_string (const GLogField *field)
{
	/* length -1 means NUL-terminated; other lengths are not produced by GLib's macros */
	if (field->length < 0)
		return field->value;
	return NULL;
}

static GLogWriterOutput
esimd_log_writer (GLogLevelFlags flags, const GLogField *fields, gsize n_fields, gpointer user_data)
{
	EsimdLogLevel level = log_level_from_flags (flags);
	const gchar *message = NULL;
	const gchar *domain = NULL;
	const gchar *log_id = NULL;
	g_autoptr(GString) line = NULL;

	if (level > log_level)
		return G_LOG_WRITER_HANDLED;

	for (gsize i = 0; i < n_fields; i++) {
		if (g_strcmp0 (fields[i].key, "MESSAGE") == 0)
			message = log_field_string (&fields[i]);
		else if (g_strcmp0 (fields[i].key, "GLIB_DOMAIN") == 0)
			domain = log_field_string (&fields[i]);
		else if (g_strcmp0 (fields[i].key, ESIMD_LOG_FIELD_ID) == 0)
			log_id = log_field_string (&fields[i]);
	}

	line = g_string_new (NULL);
	g_string_append_printf (line, "esimd[%d]: %s ", (gint) getpid (), level_names[level]);
	if (log_id != NULL)
		g_string_append_printf (line, "[%s] ", log_id);
	/* messages from libraries name their domain; ours do not need to */
	if (domain != NULL && g_strcmp0 (domain, G_LOG_DOMAIN) != 0)
		g_string_append_printf (line, "%s: ", domain);
	g_string_append (line, message != NULL ? message : "(no message)");
	g_string_append_c (line, '\n');
	fputs (line->str, stderr);
	fflush (stderr);
	return G_LOG_WRITER_HANDLED;
}

void
esimd_log_init (void)
{
	static gsize initialised = 0;

	if (g_once_init_enter (&initialised)) {
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
		{ ESIMD_LOG_FIELD_ID, log_id, -1 },
	};

	/* skip formatting debug lines nobody will read */
	if (log_level_from_flags (level) > log_level)
		return;
	va_start (args, format);
	message = g_strdup_vprintf (format, args);
	va_end (args);
	fields[1].value = message;
	g_log_structured_array (level, fields, log_id != NULL ? 3 : 2);
}
