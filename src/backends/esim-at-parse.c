/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parsing what a modem sends on its AT port (see esim-at-parse.h). */

#define G_LOG_DOMAIN "esim"

#include <string.h>

#include "esim-at-parse.h"
#include "esim-error.h"
#include "esim-tags.h"
#include "esim-util.h"

gboolean
esim_at_buffer_take_line (GString *buffer, gchar **line)
{
	g_return_val_if_fail (buffer != NULL, FALSE);
	g_return_val_if_fail (line != NULL, FALSE);

	for (;;) {
		gsize len = strcspn (buffer->str, "\r\n");
		g_autofree gchar *text = NULL;

		if (len == buffer->len)
			return FALSE; /* no complete line yet */
		text = g_strndup (buffer->str, len);
		g_string_erase (buffer, 0, len + 1);
		g_strstrip (text);
		if (*text != '\0') {
			*line = g_steal_pointer (&text);
			return TRUE;
		}
	}
}

gboolean
esim_at_line_is_final_result (const gchar *line, gboolean *ok)
{
	g_return_val_if_fail (line != NULL, FALSE);
	g_return_val_if_fail (ok != NULL, FALSE);

	*ok = g_strcmp0 (line, "OK") == 0;
	return *ok || g_strcmp0 (line, "ERROR") == 0 ||
	       g_str_has_prefix (line, "+CME ERROR") || g_str_has_prefix (line, "+CMS ERROR") ||
	       g_strcmp0 (line, "COMMAND NOT SUPPORT") == 0;
}

gboolean
esim_at_line_is_digits (const gchar *line)
{
	g_return_val_if_fail (line != NULL, FALSE);

	if (*line == '\0')
		return FALSE;
	for (const gchar *p = line; *p != '\0'; p++) {
		if (!g_ascii_isdigit (*p))
			return FALSE;
	}
	return TRUE;
}

static GBytes *
malformed_answer (GError **error, const gchar *prefix, const gchar *what)
{
	g_set_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE, "%s answer %s",
	             prefix, what);
	return NULL;
}

GBytes *
esim_at_parse_apdu_answer (const gchar *line, const gchar *prefix, GError **error)
{
	const gchar *start;
	const gchar *comma;
	const gchar *end;
	g_autofree gchar *number = NULL;
	g_autofree gchar *hex = NULL;
	g_autoptr(GBytes) bytes = NULL;
	guint64 declared = 0;

	g_return_val_if_fail (line != NULL, NULL);
	g_return_val_if_fail (prefix != NULL, NULL);

	if (!g_str_has_prefix (line, prefix))
		return malformed_answer (error, prefix, "is another line");
	start = line + strlen (prefix);
	comma = strchr (start, ',');
	if (comma == NULL)
		return malformed_answer (error, prefix, "without length and data");
	number = g_strstrip (g_strndup (start, comma - start));
	if (!g_ascii_string_to_unsigned (number, 10, 0, G_MAXUINT32, &declared, NULL))
		return malformed_answer (error, prefix, "with a bad length");
	start = comma + 1;
	while (*start == ' ')
		start++;
	end = start + strlen (start);
	while (end > start && end[-1] == ' ')
		end--;
	if (*start == '"') {
		start++;
		if (end <= start || end[-1] != '"')
			return malformed_answer (error, prefix, "with an unterminated string");
		end--;
	}
	hex = g_strndup (start, end - start);
	bytes = esim_hex_decode (hex, NULL);
	if (bytes == NULL || g_bytes_get_size (bytes) < 2)
		return malformed_answer (error, prefix, "is not a response APDU of hex digits");
	if (declared != strlen (hex))
		g_debug ("%s announced %" G_GUINT64_FORMAT " characters and carried %" G_GSIZE_FORMAT,
		         prefix, declared, strlen (hex));
	return g_steal_pointer (&bytes);
}

gboolean
esim_at_parse_session_id (const gchar *line, guint *session_id, GError **error)
{
	g_autofree gchar *value = NULL;
	guint64 number = 0;

	g_return_val_if_fail (line != NULL, FALSE);
	g_return_val_if_fail (session_id != NULL, FALSE);

	if (g_str_has_prefix (line, "+CCHO:"))
		line += strlen ("+CCHO:");
	value = g_strstrip (g_strdup (line));
	if (!g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT32, &number, NULL)) {
		g_autofree gchar *shown = esim_at_unexpected_line_for_log (value);

		g_set_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE,
		             "AT+CCHO answered %s instead of a session id", shown);
		return FALSE;
	}
	*session_id = (guint) number;
	return TRUE;
}

/* 27.007 §9.2.1 verbose texts of the codes in EsimAtCmeError */
static const struct {
	guint        code;
	const gchar *text;
} cme_texts[] = {
	{ ESIM_AT_CME_OPERATION_NOT_ALLOWED, "operation not allowed" },
	{ ESIM_AT_CME_OPERATION_NOT_SUPPORTED, "operation not supported" },
	{ ESIM_AT_CME_SIM_NOT_INSERTED, "SIM not inserted" },
	{ ESIM_AT_CME_SIM_FAILURE, "SIM failure" },
	{ ESIM_AT_CME_SIM_BUSY, "SIM busy" },
	{ ESIM_AT_CME_MEMORY_FULL, "memory full" },
	{ ESIM_AT_CME_INVALID_INDEX, "invalid index" },
	{ ESIM_AT_CME_NOT_FOUND, "not found" },
	{ ESIM_AT_CME_INCORRECT_PARAMETERS, "incorrect parameters" },
	{ ESIM_AT_CME_UNKNOWN, "unknown" },
};

gboolean
esim_at_parse_cme_error (const gchar *line, guint *code)
{
	g_autofree gchar *value = NULL;
	guint64 number = 0;

	g_return_val_if_fail (line != NULL, FALSE);
	g_return_val_if_fail (code != NULL, FALSE);

	if (!g_str_has_prefix (line, "+CME ERROR:"))
		return FALSE;
	value = g_strstrip (g_strdup (line + strlen ("+CME ERROR:")));
	if (g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT32, &number, NULL)) {
		*code = (guint) number;
		return TRUE;
	}
	for (guint i = 0; i < G_N_ELEMENTS (cme_texts); i++) {
		if (g_ascii_strcasecmp (value, cme_texts[i].text) == 0) {
			*code = cme_texts[i].code;
			return TRUE;
		}
	}
	return FALSE;
}

/* FF is not a class: a proprietary class with secure messaging and chaining
 * cannot be moved to channel 19 */
static gboolean
esim_at_cla_checked (guint8 cla, guint8 *recoded)
{
	if (*recoded != 0xFF)
		return TRUE;
	*recoded = cla;
	return FALSE;
}

gboolean
esim_at_cla_set_channel (guint8 cla, guint channel, guint8 *recoded)
{
	gboolean further = (cla & ESIM_CLA_FURTHER_INTERINDUSTRY) != 0;
	guint8 kept = cla & 0x90; /* proprietary class (b8) and command chaining (b5) */
	gboolean secure;

	g_return_val_if_fail (channel <= ESIM_LOGICAL_CHANNEL_MAX, FALSE);
	g_return_val_if_fail (recoded != NULL, FALSE);

	*recoded = cla;
	if (cla == 0xFF || (cla & 0x60) == 0x20)
		return FALSE; /* 2X/3X are RFU, AX/BX carry no channel, FF is invalid */
	if (channel < 4 && !further) {
		*recoded = (cla & 0xFC) | (guint8) channel;
		return TRUE;
	}
	if (channel >= 4 && further) {
		*recoded = (cla & 0xF0) | (guint8) (channel - 4);
		return esim_at_cla_checked (cla, recoded);
	}
	/* the other coding: secure messaging is b4-b3 in the first, b6 in the further */
	secure = further ? (cla & 0x20) != 0 : (cla & 0x0C) != 0;
	if (channel < 4)
		*recoded = kept | (secure ? 0x08 : 0x00) | (guint8) channel;
	else
		*recoded = kept | ESIM_CLA_FURTHER_INTERINDUSTRY | (secure ? 0x20 : 0x00) |
		           (guint8) (channel - 4);
	return esim_at_cla_checked (cla, recoded);
}

gchar *
esim_at_command_name (const gchar *text)
{
	g_return_val_if_fail (text != NULL, NULL);
	return g_strndup (text, strcspn (text, "=?"));
}

gchar *
esim_at_text_for_log (const gchar *text)
{
	const gchar *quote;

	g_return_val_if_fail (text != NULL, NULL);

	quote = strchr (text, '"');
	if (quote == NULL || esim_log_get_personal_info ())
		return g_strdup (text);
	return g_strdup_printf ("%.*s\"...\" (%" G_GSIZE_FORMAT " characters)",
	                        (gint) (quote - text), text, strlen (quote));
}

gchar *
esim_at_unexpected_line_for_log (const gchar *line)
{
	gsize name_len;

	g_return_val_if_fail (line != NULL, NULL);

	if (esim_log_get_personal_info ())
		return g_strdup_printf ("\"%s\"", line);
	/* "+CIEV: 1,0" -> "+CIEV"; a line without a name may be APDU data */
	name_len = strcspn (line, ":");
	if (line[0] == '+' && line[name_len] == ':')
		return g_strndup (line, name_len);
	return g_strdup_printf ("a line of %" G_GSIZE_FORMAT " characters", strlen (line));
}
