/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the AT backend reads from a modem, parsed without any I/O: splitting
 * the byte stream into lines, V.250 / 27.007 final result codes, the
 * +CGLA: / +CSIM: response APDUs and the +CCHO session id, plus the masking
 * of APDU data in log lines.  Every function takes arbitrary modem text and
 * returns a result or a GError, never reading past the string.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Takes the next complete, non-empty line (split on CR and LF, surrounding
 * whitespace stripped) off the front of @buffer; FALSE when there is none
 * yet (the partial line stays in @buffer). */
gboolean esim_at_buffer_take_line (GString *buffer, gchar **line);

/* OK, ERROR, +CME ERROR: …, +CMS ERROR: …, COMMAND NOT SUPPORT; @ok tells
 * success from failure. */
gboolean esim_at_line_is_final_result (const gchar *line, gboolean *ok);
/* The bare session id 27.007 allows as the answer to +CCHO. */
gboolean esim_at_line_is_digits (const gchar *line);

/* "+CGLA: 46,\"BF2E…9000\"" (@prefix "+CGLA:", or "+CSIM:"): the response
 * APDU (data + SW1 SW2).  The length counts hex characters; a wrong one is
 * only logged, the data decides. */
GBytes  *esim_at_parse_apdu_answer (const gchar *line, const gchar *prefix, GError **error);
/* "+CCHO: 1", or the bare "1" of 27.007. */
gboolean esim_at_parse_session_id (const gchar *line, guint *session_id, GError **error);

/* "AT+CGLA=1,16,\"81E2…\"" -> "AT+CGLA": names a command without its data. */
gchar   *esim_at_command_name (const gchar *text);
/* A command or information line for the log: quoted APDUs and AIDs are
 * only shown when personal-info logging is on. */
gchar   *esim_at_text_for_log (const gchar *text);
/* A line the command in flight does not expect (URC, garbage) for the log:
 * only its "+NAME" part, unless personal-info logging is on. */
gchar   *esim_at_unexpected_line_for_log (const gchar *line);

G_END_DECLS
