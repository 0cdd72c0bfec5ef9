/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the AT backend reads from a modem, parsed without any I/O: splitting
 * the byte stream into lines, V.250 / 27.007 final result codes, the
 * +CGLA: / +CSIM: response APDUs, the +CCHO session id and +CME ERROR codes,
 * the re-coding of a CLA's logical-channel bits, plus the masking of APDU
 * data in log lines.  Every function takes arbitrary modem text and
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
/* "+CCHO: 1", or the bare "1" of 27.007.  Any unsigned 32-bit value: the
 * session id is an integer the MT chooses (27.007 §8.45), not a channel. */
gboolean esim_at_parse_session_id (const gchar *line, guint *session_id, GError **error);

/* 27.007 §9.2 codes the backend acts on */
typedef enum {
	ESIM_AT_CME_OPERATION_NOT_ALLOWED   = 3,
	ESIM_AT_CME_OPERATION_NOT_SUPPORTED = 4,
	ESIM_AT_CME_SIM_NOT_INSERTED        = 10,
	ESIM_AT_CME_SIM_FAILURE             = 13,
	ESIM_AT_CME_SIM_BUSY                = 14,
	ESIM_AT_CME_MEMORY_FULL             = 20,
	ESIM_AT_CME_INVALID_INDEX           = 21,
	ESIM_AT_CME_NOT_FOUND               = 22,
	ESIM_AT_CME_INCORRECT_PARAMETERS    = 50,
	ESIM_AT_CME_UNKNOWN                 = 100,
} EsimAtCmeError;

/* "+CME ERROR: 20" (+CMEE=1) or "+CME ERROR: memory full" (+CMEE=2, the
 * texts of the codes above): the error code.  FALSE for anything else, plain
 * "ERROR" included (+CMEE=0 gives no cause). */
gboolean esim_at_parse_cme_error (const gchar *line, guint *code);

/* @cla with its logical-channel bits set to @channel (0-19), switching
 * between the first (channels 0-3) and further (4-19) interindustry coding
 * as ISO/IEC 7816-4 §5.4.1 and ETSI TS 102 221 §10.1.1 define them, for the
 * interindustry classes and the proprietary ones built alike (GlobalPlatform
 * 8X/CX/EX).  FALSE, and @cla unchanged in @recoded, for a class without
 * channel bits (2X/3X RFU, AX/BX, FF), or one that would become FF. */
gboolean esim_at_cla_set_channel (guint8 cla, guint channel, guint8 *recoded);

/* "AT+CGLA=1,16,\"81E2…\"" -> "AT+CGLA": names a command without its data. */
gchar   *esim_at_command_name (const gchar *text);
/* A command or information line for the log: quoted APDUs and AIDs are
 * only shown when personal-info logging is on. */
gchar   *esim_at_text_for_log (const gchar *text);
/* A line the command in flight does not expect (URC, garbage) for the log:
 * only its "+NAME" part, unless personal-info logging is on. */
gchar   *esim_at_unexpected_line_for_log (const gchar *line);

G_END_DECLS
