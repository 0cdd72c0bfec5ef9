/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the AT backend's parsing of what a modem writes on
 * its AT port (esim-at-parse.c).  The input is the byte stream of the port:
 * NULs are dropped as the port does, the rest is split into lines exactly
 * as the port splits them, and every line goes through every parser the
 * backend may apply to it (final result code, bare session id, +CGLA: and
 * +CSIM: response APDUs, +CCHO session id, +CME ERROR code, the log
 * masking); the line's first byte also goes through the CLA re-coding for
 * every channel.  A parser must
 * return a result or a GError: a crash or a read past the line is the bug.
 */

#include "esim-at-parse.h"
#include "esim-error.h"

int LLVMFuzzerTestOneInput (const guint8 *data, gsize size);

static void
fuzz_apdu_answer (const gchar *line, const gchar *prefix)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) apdu = esim_at_parse_apdu_answer (line, prefix, &error);

	if (apdu != NULL)
		g_assert_cmpuint (g_bytes_get_size (apdu), >=, 2);
	else
		g_assert_nonnull (error);
}

static void
fuzz_line (const gchar *line)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *name = esim_at_command_name (line);
	g_autofree gchar *for_log = esim_at_text_for_log (line);
	g_autofree gchar *unexpected = esim_at_unexpected_line_for_log (line);
	gboolean ok = FALSE;
	guint session_id = 0;

	g_assert_nonnull (name);
	g_assert_nonnull (for_log);
	g_assert_nonnull (unexpected);
	(void) esim_at_line_is_final_result (line, &ok);
	(void) esim_at_line_is_digits (line);
	fuzz_apdu_answer (line, "+CGLA:");
	fuzz_apdu_answer (line, "+CSIM:");
	guint cme = 0;

	if (!esim_at_parse_session_id (line, &session_id, &error))
		g_assert_nonnull (error);
	(void) esim_at_parse_cme_error (line, &cme);
	for (guint channel = 0; channel <= 19; channel++) {
		guint8 cla = (guint8) line[0];
		guint8 recoded = 0;
		guint8 back = 0;

		/* re-coding is lossless for the channel: coding it back gives the same */
		if (esim_at_cla_set_channel (cla, channel, &recoded)) {
			g_assert_true (esim_at_cla_set_channel (recoded, channel, &back));
			g_assert_cmphex (back, ==, recoded);
		} else {
			g_assert_cmphex (recoded, ==, cla);
		}
	}
}

int
LLVMFuzzerTestOneInput (const guint8 *data, gsize size)
{
	g_autoptr(GString) buffer = g_string_sized_new (size);
	gchar *line = NULL;

	for (gsize i = 0; i < size; i++) {
		if (data[i] != '\0')
			g_string_append_c (buffer, (gchar) data[i]);
	}
	while (esim_at_buffer_take_line (buffer, &line)) {
		fuzz_line (line);
		g_clear_pointer (&line, g_free);
	}
	/* what is left is a line still waiting for its end: parsed as is too */
	fuzz_line (buffer->str);
	return 0;
}
